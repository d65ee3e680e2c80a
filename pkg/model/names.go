package model

import (
	"fmt"
	"go/token"
	"regexp"
	"strings"
	"unicode"

	"k8s.io/apimachinery/pkg/util/validation"
)

// GoName turns a name into an exported Go identifier (UpperCamelCase):
// "middle-manager" and "middleManager" become "MiddleManager", "zkAddress" "ZkAddress".
func GoName(name string) string {
	var b strings.Builder
	for _, word := range splitWords(name) {
		r := []rune(word)
		r[0] = unicode.ToUpper(r[0])
		b.WriteString(string(r))
	}
	return b.String()
}

// LowerCamel turns a name into an unexported Go identifier or JSON field name:
// "controller-conf" becomes "controllerConf".
func LowerCamel(name string) string {
	g := []rune(GoName(name))
	if len(g) == 0 {
		return ""
	}
	g[0] = unicode.ToLower(g[0])
	return string(g)
}

// KubeName turns a name into a kebab-case DNS label: "middleManager" becomes
// "middle-manager", "connectURI" "connect-uri"; DNS labels stay as they are.
func KubeName(name string) string {
	r := []rune(name)
	var b strings.Builder
	for i, c := range r {
		switch {
		case c == '_' || c == '.':
			b.WriteByte('-')
			continue
		case unicode.IsUpper(c) && i > 0:
			prev := r[i-1]
			nextLower := i+1 < len(r) && unicode.IsLower(r[i+1])
			if unicode.IsLower(prev) || unicode.IsDigit(prev) || (unicode.IsUpper(prev) && nextLower) {
				b.WriteByte('-')
			}
		}
		b.WriteRune(unicode.ToLower(c))
	}
	return b.String()
}

// splitWords splits a name at '-', '_' and '.'; camelCase humps stay inside a word.
func splitWords(name string) []string {
	return strings.FieldsFunc(name, func(r rune) bool { return r == '-' || r == '_' || r == '.' })
}

var lowerCamelPattern = regexp.MustCompile(`^[a-z][a-zA-Z0-9]*$`)

// nameStyle says which spellings a list of names accepts.
type nameStyle int

const (
	dnsLabel   nameStyle = iota // lowercase, digits and '-': metadata, config files, storage
	dnsOrCamel                  // also lowerCamelCase: node types, dependencies
	camelOnly                   // lowerCamelCase only: dependency fields (JSON field names)
)

const dnsLabelRule = "a DNS-1123 label (lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63 characters)"

// checkName reports an empty or badly spelled name. Names become Kubernetes object names
// and Go identifiers, so they must start with a letter and must not be Go keywords.
func checkName(ps *Problems, path, name string, style nameStyle) bool {
	if name == "" {
		ps.add(path, "is required")
		return false
	}
	camel := lowerCamelPattern.MatchString(name) && len(name) <= validation.DNS1123LabelMaxLength
	dns := len(validation.IsDNS1123Label(name)) == 0
	var ok bool
	var rule string
	switch style {
	case dnsLabel:
		ok, rule = dns, "must be "+dnsLabelRule
	case dnsOrCamel:
		ok, rule = dns || camel, "must be "+dnsLabelRule+" or a lowerCamelCase identifier such as middleManager"
	case camelOnly:
		ok, rule = camel, "must be a lowerCamelCase identifier such as zkAddress (it becomes a JSON field name), at most 63 characters"
	}
	switch {
	case !ok:
		ps.add(path, "invalid name %q: %s", name, rule)
	case name[0] >= '0' && name[0] <= '9':
		ps.add(path, "invalid name %q: must start with a letter (it becomes a Go identifier)", name)
	case token.IsKeyword(LowerCamel(name)):
		ps.add(path, "invalid name %q: %q is a Go keyword and cannot be a Go identifier", name, LowerCamel(name))
	case len(KubeName(name)) > validation.DNS1123LabelMaxLength:
		ps.add(path, "invalid name %q: its Kubernetes form %q is longer than 63 characters", name, KubeName(name))
	default:
		return true
	}
	return false
}

// uniqueNames finds duplicates in one list of names, including different names that
// would become the same Go identifier or Kubernetes name (foo-bar and fooBar).
type uniqueNames struct {
	what   string // "node type", "dependency" ...
	byName map[string]string
	byGo   map[string]string
	byKube map[string]string
}

func newUniqueNames(what string) *uniqueNames {
	return &uniqueNames{what: what, byName: map[string]string{}, byGo: map[string]string{}, byKube: map[string]string{}}
}

// add reports the name at path when it repeats or clashes with an earlier one.
func (u *uniqueNames) add(ps *Problems, path, name string) {
	if name == "" {
		return
	}
	if _, dup := u.byName[name]; dup {
		ps.add(path, "duplicate %s %q", u.what, name)
		return
	}
	u.byName[name] = name
	if other, clash := u.byGo[GoName(name)]; clash {
		ps.add(path, "%s %q clashes with %q: both become the Go name %s", u.what, name, other, GoName(name))
		return
	}
	if other, clash := u.byKube[KubeName(name)]; clash {
		ps.add(path, "%s %q clashes with %q: both become the Kubernetes name %s", u.what, name, other, KubeName(name))
		return
	}
	u.byGo[GoName(name)] = name
	u.byKube[KubeName(name)] = name
}

// checkEnum reports a value outside the allowed ones, suggesting the right spelling.
func checkEnum(ps *Problems, path, what, value string, allowed ...string) {
	for _, a := range allowed {
		if value == a {
			return
		}
	}
	if value == "" {
		ps.add(path, "is required: %s", orList(allowed))
		return
	}
	msg := fmt.Sprintf("invalid %s %q: must be %s", what, value, orList(allowed))
	if s := suggest(value, allowed); s != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", s)
	}
	ps.add(path, "%s", msg)
}

// orList writes "a, b or c".
func orList(items []string) string {
	if len(items) == 1 {
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " or " + items[len(items)-1]
}
