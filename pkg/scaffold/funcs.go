package scaffold

import (
	"bytes"
	"encoding/json"
	"fmt"
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
	f["sentence"] = sentence
	f["mdText"] = mdText
	f["mdCode"] = func(s string) string { return mdCode(s, false) }
	f["mdCellCode"] = func(s string) string { return mdCode(s, true) }
	f["yamlString"] = yamlString
	f["toYaml"] = func(v any) (string, error) {
		b, err := marshalYAML(v)
		return strings.TrimSuffix(string(b), "\n"), err
	}
	f["yamlBlock"] = yamlBlock
	// toJson is used inside YAML files, so it escapes what YAML cannot hold raw.
	f["toJson"] = func(v any) (string, error) { b, err := json.Marshal(v); return string(escapeForYAML(b)), err }
	f["dsoiKey"] = fileKey
	f["goName"] = model.GoName
	f["lowerCamel"] = model.LowerCamel
	f["kubeName"] = model.KubeName
	// comment writes s as comment lines, each starting with prefix.
	f["comment"] = func(prefix, s string) string {
		lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
		for i, l := range lines {
			lines[i] = strings.TrimRight(prefix+l, " \t")
		}
		return strings.Join(lines, "\n")
	}
	return f
}

// yamlString quotes s as a YAML double-quoted scalar (JSON, with what YAML cannot hold raw
// escaped), which carries any text exactly.
func yamlString(s string) string {
	b, _ := json.Marshal(s)
	return string(escapeForYAML(b))
}

// marshalYAML is yaml.Marshal for values whose strings may hold any text: YAML's reader
// refuses some characters JSON leaves raw, so they are escaped on the way.
func marshalYAML(v any) ([]byte, error) {
	j, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return yaml.JSONToYAML(escapeForYAML(j))
}

// escapeForYAML rewrites, in JSON text, the characters YAML refuses or reads as line breaks
// (DEL, C1 controls including NEL, the byte order mark, non-characters) as \u escapes, which
// JSON and YAML read alike. JSON already escapes C0 controls, LS and PS.
func escapeForYAML(j []byte) []byte {
	if !bytes.ContainsFunc(j, yamlUnsafe) {
		return j
	}
	var b bytes.Buffer
	for _, r := range string(j) {
		if yamlUnsafe(r) {
			fmt.Fprintf(&b, `\u%04x`, r)
		} else {
			b.WriteRune(r)
		}
	}
	return b.Bytes()
}

func yamlUnsafe(r rune) bool {
	return r == 0x7f || (r >= 0x80 && r <= 0x9f) || r == 0xfeff || r == 0xfffe || r == 0xffff
}

// yamlBlock renders s as a YAML literal block scalar at the given indent, so config files
// stay readable in the sample CR; strings a block cannot carry exactly are quoted instead.
func yamlBlock(indent int, s string) string {
	if s == "" || strings.HasPrefix(s, " ") || strings.HasPrefix(s, "\n") || strings.HasSuffix(strings.TrimRight(s, "\n"), " ") ||
		strings.HasSuffix(s, "\n\n") || strings.ContainsFunc(s, blockUnsafe) {
		return yamlString(s)
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

// blockUnsafe are the characters a literal block cannot carry as they are: controls other
// than newline (tabs included, which YAML may take for indentation), YAML's Unicode line
// breaks and what YAML refuses raw.
func blockUnsafe(r rune) bool {
	return (r < 0x20 && r != '\n') || r == 0x2028 || r == 0x2029 || yamlUnsafe(r)
}

// sentence ends s with a period unless it already ends a sentence.
func sentence(s string) string {
	s = strings.TrimRight(s, " \t\n")
	if s == "" || strings.ContainsAny(s[len(s)-1:], ".!?") {
		return s
	}
	return s + "."
}

// mdText is s as Markdown inline text that renders as s: runs of white space become one
// space (as Markdown shows them anyway) and the characters Markdown (GitHub's included)
// gives a meaning to inline are backslash-escaped. It fits inside a table cell.
func mdText(s string) string {
	var b strings.Builder
	for _, r := range strings.Join(strings.Fields(s), " ") {
		if strings.ContainsRune("\\`*_[]<>|~&", r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// mdCode is s as a Markdown code span that renders as s (white space collapsed): fenced by
// more backquotes than s holds in a row, and padded when s starts or ends with one. In a
// table cell, pipes are escaped, which GitHub's tables undo even inside code.
func mdCode(s string, inCell bool) string {
	s = strings.Join(strings.Fields(s), " ")
	run, longest := 0, 0
	for _, r := range s {
		if r == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	if inCell {
		s = strings.ReplaceAll(s, "|", `\|`)
	}
	fence := strings.Repeat("`", longest+1)
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		s = " " + s + " "
	}
	return fence + s + fence
}
