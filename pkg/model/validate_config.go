package model

import (
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"

	"gopkg.in/yaml.v3"
	"k8s.io/apimachinery/pkg/util/validation"
)

func validateConfigFiles(ps *Problems, spec *Spec) {
	used := map[string]bool{}
	for _, nt := range spec.NodeTypes {
		for _, name := range nt.ConfigFiles {
			used[name] = true
		}
	}
	names := newUniqueNames("config file")
	for i, cf := range spec.ConfigFiles {
		cp := fmt.Sprintf("spec.configFiles[%d]", i)
		if checkName(ps, cp+".name", cf.Name, dnsLabel) {
			names.add(ps, cp+".name", cf.Name)
		}
		if cf.Name != "" && !used[cf.Name] {
			ps.add(cp+".name", "config file %q is not listed by any node type, so it would never be mounted", cf.Name)
		}
		checkFileName(ps, cp+".fileName", cf.FileName)
		checkMountPath(ps, cp+".mountPath", cf.MountPath)
		checkEnum(ps, cp+".format", "format", cf.Format, FormatProperties, FormatYAML, FormatJSON, FormatXML, FormatText)
		checkEnum(ps, cp+".scope", "scope", cf.Scope, ScopeNode, ScopeCluster)
		checkDefault(ps, cp+".default", cf.Format, cf.Default)
	}
}

// checkFileName requires a plain file name: the directory is mountPath, and the name is
// also a ConfigMap key.
func checkFileName(ps *Problems, p, name string) {
	switch {
	case name == "":
		ps.add(p, "is required: a file name such as app.properties")
	case strings.ContainsAny(name, `/\`):
		ps.add(p, "invalid file name %q: must not contain a path separator (set the directory in mountPath)", name)
	case name == "." || name == "..":
		ps.add(p, "invalid file name %q", name)
	case strings.Contains(name, ".."):
		ps.add(p, "invalid file name %q: must not contain \"..\"", name)
	default:
		if errs := validation.IsConfigMapKey(name); len(errs) > 0 {
			ps.add(p, "invalid file name %q: %s", name, strings.Join(errs, "; "))
		}
	}
}

// checkDefault parses a default content whose format has a syntax that can be checked.
func checkDefault(ps *Problems, p, format, content string) {
	if content == "" {
		return
	}
	switch format {
	case FormatYAML:
		var v any
		if err := yaml.Unmarshal([]byte(content), &v); err != nil {
			sp := syntaxProblem([]byte(content), err)
			msg := strings.TrimPrefix(sp.Message, "invalid YAML: ")
			if sp.Line > 0 {
				msg = fmt.Sprintf("line %d of the default: %s", sp.Line, msg)
			}
			ps.add(p, "default is not valid YAML: %s", msg)
		}
	case FormatJSON:
		var v any
		if err := json.Unmarshal([]byte(content), &v); err != nil {
			ps.add(p, "default is not valid JSON: %v", err)
		}
	case FormatXML:
		if err := checkXML(content); err != nil {
			ps.add(p, "default is not well-formed XML: %v", err)
		}
	}
}

func checkXML(content string) error {
	dec := xml.NewDecoder(strings.NewReader(content))
	root := false
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		if _, ok := tok.(xml.StartElement); ok {
			root = true
		}
	}
	if !root {
		return errors.New("no root element")
	}
	return nil
}
