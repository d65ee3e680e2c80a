package model

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// Limits on what aliases may expand to: a small file must not become a huge document.
const (
	maxNodes       = 100_000
	maxScalarBytes = 16 << 20
)

var (
	unmarshalerType = reflect.TypeFor[json.Unmarshaler]()
	quantityType    = reflect.TypeFor[resource.Quantity]()
	intOrStringType = reflect.TypeFor[intstr.IntOrString]()
)

// walker checks a yaml.Node tree against a Go type, field by field through the json tags.
// It reports every unknown field and type mismatch with its line, records the line of
// every field path it meets, and builds the JSON form of the tree for encoding/json.
type walker struct {
	problems Problems
	lines    map[string]int
	nodes    int
	bytes    int
	tooBig   bool
	// expanding holds the aliases being followed, to catch an anchor that contains itself.
	expanding map[*yaml.Node]bool
}

func newWalker() *walker {
	return &walker{lines: map[string]int{}, expanding: map[*yaml.Node]bool{}}
}

func (w *walker) problem(line int, path, format string, args ...any) {
	w.problems = append(w.problems, Problem{Line: line, Field: path, Message: fmt.Sprintf(format, args...)})
}

// lineOf returns the line of a field path, or of its nearest ancestor that is in the file
// (a missing required field is reported at the mapping that should hold it).
func (w *walker) lineOf(path string) int {
	for {
		if line, ok := w.lines[path]; ok {
			return line
		}
		if path == "" {
			return 0
		}
		path = parentPath(path)
	}
}

// parentPath strips the last ".field" or "[index]" of a path.
func parentPath(path string) string {
	i := strings.LastIndexAny(path, ".[")
	if i < 0 {
		return ""
	}
	return path[:i]
}

func joinPath(path, field string) string {
	if field == "" {
		field = `""` // an empty key still gets a path to point at
	}
	if path == "" {
		return field
	}
	return path + "." + field
}

// value returns the JSON form of n as a value of type t; ok is false when there is
// nothing to set (null, or a problem already reported).
func (w *walker) value(n *yaml.Node, t reflect.Type, path string) (v any, ok bool) {
	w.nodes++
	if w.nodes > maxNodes || w.bytes > maxScalarBytes {
		if !w.tooBig {
			w.tooBig = true
			w.problem(n.Line, path, "the description expands to too much data (more than %d YAML nodes or %d MiB of text); are aliases repeating large parts?", maxNodes, maxScalarBytes>>20)
		}
		return nil, false
	}
	if n.Kind == yaml.AliasNode {
		if w.expanding[n] {
			w.problem(n.Line, path, "alias *%s refers to a value that contains it", n.Value)
			return nil, false
		}
		w.expanding[n] = true
		defer delete(w.expanding, n)
		return w.value(n.Alias, t, path)
	}
	if isNull(n) {
		return nil, false
	}
	if !w.checkTag(n, path) {
		return nil, false
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	// Types that decode themselves (quantities, int-or-string) are leaves.
	if reflect.PointerTo(t).Implements(unmarshalerType) {
		return w.leaf(n, t, path)
	}
	switch t.Kind() {
	case reflect.Struct:
		return w.object(n, t, path)
	case reflect.Slice:
		return w.list(n, t, path)
	case reflect.Map:
		return w.dict(n, t, path)
	case reflect.String:
		if n.Kind != yaml.ScalarNode {
			return w.mismatch(n, path, "a string")
		}
		// Any scalar is taken literally: "port: 8000" in a string field means "8000".
		w.bytes += len(n.Value)
		return n.Value, true
	case reflect.Bool:
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" {
			return w.mismatch(n, path, "true or false")
		}
		var b bool
		if err := n.Decode(&b); err != nil {
			return w.mismatch(n, path, "true or false")
		}
		return b, true
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" {
			return w.mismatch(n, path, "an integer")
		}
		var i int64
		if err := n.Decode(&i); err != nil || reflect.New(t).Elem().OverflowInt(i) {
			w.problem(n.Line, path, "integer %s is out of range", n.Value)
			return nil, false
		}
		return i, true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" {
			return w.mismatch(n, path, "a non-negative integer")
		}
		var u uint64
		if err := n.Decode(&u); err != nil || reflect.New(t).Elem().OverflowUint(u) {
			w.problem(n.Line, path, "integer %s is out of range", n.Value)
			return nil, false
		}
		return u, true
	case reflect.Float32, reflect.Float64:
		if n.Kind != yaml.ScalarNode || (n.ShortTag() != "!!int" && n.ShortTag() != "!!float") {
			return w.mismatch(n, path, "a number")
		}
		var f float64
		if err := n.Decode(&f); err != nil {
			return w.mismatch(n, path, "a number")
		}
		return f, true
	}
	w.problem(n.Line, path, "internal error: cannot check Go type %s", t)
	return nil, false
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// checkTag refuses explicit tags that have no JSON meaning (!!binary, !!set, custom tags).
func (w *walker) checkTag(n *yaml.Node, path string) bool {
	switch n.ShortTag() {
	case "!!str", "!!int", "!!float", "!!bool", "!!null", "!!timestamp", "!!map", "!!seq":
		return true
	}
	w.problem(n.Line, path, "unsupported YAML tag %s", n.Tag)
	return false
}

func (w *walker) mismatch(n *yaml.Node, path, want string) (any, bool) {
	w.problem(n.Line, path, "expected %s, got %s", want, describe(n))
	return nil, false
}

// describe names what a node is, for messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	}
	v := n.Value
	if len(v) > 40 {
		v = v[:40] + "..."
	}
	if n.ShortTag() == "!!str" {
		return "the string " + strconv.Quote(v)
	}
	return v
}

// key checks a mapping key and returns its text.
func (w *walker) key(k *yaml.Node, path string) (string, bool) {
	if k.Kind != yaml.ScalarNode {
		w.problem(k.Line, path, "mapping keys must be plain names, got %s", describe(k))
		return "", false
	}
	if k.ShortTag() == "!!merge" {
		w.problem(k.Line, path, "merge keys (<<) are not supported; write the fields out")
		return "", false
	}
	return k.Value, true
}

// object checks a mapping against a struct: every key must be one of its json fields.
func (w *walker) object(n *yaml.Node, t reflect.Type, path string) (any, bool) {
	if n.Kind != yaml.MappingNode {
		return w.mismatch(n, path, "a mapping")
	}
	fields, names := jsonFields(t)
	out := map[string]any{}
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		name, ok := w.key(k, path)
		if !ok {
			continue
		}
		p := joinPath(path, name)
		if first, dup := seen[name]; dup {
			w.problem(k.Line, p, "field is set twice (first at line %d)", first)
			continue
		}
		seen[name] = k.Line
		ft, known := fields[name]
		if !known {
			w.problem(k.Line, p, "%s", unknownField(name, names))
			continue
		}
		w.lines[p] = k.Line
		if val, ok := w.value(v, ft, p); ok {
			out[name] = val
		}
	}
	return out, true
}

func unknownField(name string, known []string) string {
	if s := suggest(name, known); s != "" {
		return fmt.Sprintf("unknown field %q (did you mean %q?)", name, s)
	}
	return fmt.Sprintf("unknown field %q (known fields: %s)", name, strings.Join(known, ", "))
}

// list checks a sequence against a slice type.
func (w *walker) list(n *yaml.Node, t reflect.Type, path string) (any, bool) {
	if n.Kind != yaml.SequenceNode {
		return w.mismatch(n, path, "a list")
	}
	out := make([]any, 0, len(n.Content))
	for i, item := range n.Content {
		p := fmt.Sprintf("%s[%d]", path, i)
		w.lines[p] = item.Line
		if isNull(item) {
			w.problem(item.Line, p, "empty list entry")
			continue
		}
		if val, ok := w.value(item, t.Elem(), p); ok {
			out = append(out, val)
		}
	}
	return out, true
}

// dict checks a mapping against a map type with string keys (resource lists).
func (w *walker) dict(n *yaml.Node, t reflect.Type, path string) (any, bool) {
	if n.Kind != yaml.MappingNode {
		return w.mismatch(n, path, "a mapping")
	}
	if t.Key().Kind() != reflect.String {
		w.problem(n.Line, path, "internal error: map key type %s", t.Key())
		return nil, false
	}
	out := map[string]any{}
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		name, ok := w.key(k, path)
		if !ok {
			continue
		}
		p := joinPath(path, name)
		if first, dup := seen[name]; dup {
			w.problem(k.Line, p, "key is set twice (first at line %d)", first)
			continue
		}
		seen[name] = k.Line
		w.lines[p] = k.Line
		if val, ok := w.value(v, t.Elem(), p); ok {
			out[name] = val
		}
	}
	return out, true
}

// leaf turns a scalar into the JSON that a json.Unmarshaler type expects, and checks
// that it decodes, so that a bad quantity is reported with its line.
func (w *walker) leaf(n *yaml.Node, t reflect.Type, path string) (any, bool) {
	if n.Kind != yaml.ScalarNode {
		return w.mismatch(n, path, "a single value")
	}
	var v any = n.Value
	switch n.ShortTag() {
	case "!!int":
		var i int64
		if err := n.Decode(&i); err == nil {
			v = i
		}
	case "!!float":
		var f float64
		if err := n.Decode(&f); err == nil {
			v = f
		}
	case "!!bool":
		var b bool
		if err := n.Decode(&b); err == nil {
			v = b
		}
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return w.mismatch(n, path, "a single value")
	}
	if err := json.Unmarshal(raw, reflect.New(t).Interface()); err != nil {
		switch t {
		case quantityType:
			w.problem(n.Line, path, "invalid quantity %q: use a Kubernetes quantity such as 500m, 1Gi or 2", n.Value)
		case intOrStringType:
			w.problem(n.Line, path, "expected a port number or name, got %s", describe(n))
		default:
			w.problem(n.Line, path, "invalid value %s: %v", describe(n), err)
		}
		return nil, false
	}
	return json.RawMessage(raw), true
}

// jsonFields lists the JSON field names of a struct (embedded structs without a name are
// inlined, as encoding/json does) with their types, in declaration order.
func jsonFields(t reflect.Type) (map[string]reflect.Type, []string) {
	fields := map[string]reflect.Type{}
	var names []string
	var collect func(t reflect.Type)
	collect = func(t reflect.Type) {
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			tag := f.Tag.Get("json")
			if tag == "-" {
				continue
			}
			name, _, _ := strings.Cut(tag, ",")
			ft := f.Type
			if f.Anonymous && name == "" {
				if ft.Kind() == reflect.Pointer {
					ft = ft.Elem()
				}
				if ft.Kind() == reflect.Struct {
					collect(ft)
					continue
				}
			}
			if !f.IsExported() {
				continue
			}
			if name == "" {
				name = f.Name
			}
			if _, dup := fields[name]; !dup {
				names = append(names, name)
			}
			fields[name] = f.Type
		}
	}
	collect(t)
	return fields, names
}
