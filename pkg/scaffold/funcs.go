package scaffold

import (
	"encoding/json"
	"strconv"
	"strings"
	"text/template"

	"github.com/Masterminds/sprig/v3"
	"sigs.k8s.io/yaml"

	"github.com/dsoi-gen/dsoi-gen/pkg/model"
)

// funcs are sprig's functions, minus those that read the environment (output must not
// depend on where dsoi-gen runs), plus the few that generating Go and YAML needs.
func funcs() template.FuncMap {
	f := sprig.TxtFuncMap()
	for _, name := range []string{"env", "expandenv", "now", "date", "dateInZone", "date_in_zone", "unixEpoch",
		"randAlpha", "randAlphaNum", "randAscii", "randNumeric", "randBytes", "uuidv4", "genPrivateKey",
		"genCA", "genSelfSignedCert", "genSignedCert", "getHostByName"} {
		delete(f, name)
	}
	f["goString"] = strconv.Quote
	// oneLine keeps free text from breaking out of a // comment or a table row.
	f["oneLine"] = func(s string) string { return strings.Join(strings.Fields(s), " ") }
	// mdCell keeps text inside one Markdown table cell, even within backquotes.
	f["mdCell"] = func(s string) string { return strings.ReplaceAll(strings.Join(strings.Fields(s), " "), "|", `\|`) }
	f["yamlString"] = func(s string) string { b, _ := json.Marshal(s); return string(b) }
	f["toYaml"] = func(v any) (string, error) {
		b, err := yaml.Marshal(v)
		return strings.TrimSuffix(string(b), "\n"), err
	}
	f["yamlBlock"] = yamlBlock
	f["toJson"] = func(v any) (string, error) { b, err := json.Marshal(v); return string(b), err }
	f["dsoiKey"] = fileKey
	f["goName"] = model.GoName
	f["lowerCamel"] = model.LowerCamel
	f["kubeName"] = model.KubeName
	f["comment"] = func(prefix, s string) string {
		lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
		for i, l := range lines {
			lines[i] = strings.TrimRight(prefix+l, " ")
		}
		return strings.Join(lines, "\n")
	}
	return f
}

// yamlBlock renders s as a YAML literal block scalar at the given indent, so config files
// stay readable in the sample CR; strings a block cannot carry exactly are quoted instead.
func yamlBlock(indent int, s string) string {
	if s == "" || strings.HasPrefix(s, " ") || strings.HasPrefix(s, "\n") || strings.Contains(s, "\r") ||
		strings.Contains(s, "\t") || strings.HasSuffix(strings.TrimRight(s, "\n"), " ") || strings.HasSuffix(s, "\n\n") {
		b, _ := json.Marshal(s)
		return string(b)
	}
	pad := strings.Repeat(" ", indent)
	head := "|-"
	if strings.HasSuffix(s, "\n") {
		head = "|"
	}
	var b strings.Builder
	b.WriteString(head)
	for _, line := range strings.Split(strings.TrimSuffix(s, "\n"), "\n") {
		b.WriteString("\n")
		if line != "" {
			b.WriteString(pad + line)
		}
	}
	return b.String()
}
