package model

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// MaxFileSize is the largest description accepted: descriptions are small, and a limit
// keeps a wrong path (a log, an image) from being read whole.
const MaxFileSize = 1 << 20

// LoadFile reads and loads a description file. It refuses files over MaxFileSize before
// reading them, and empty files. Errors from the file system are returned as they are;
// everything else is Problems.
func LoadFile(path string) (*Application, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !info.Mode().IsRegular() {
		return nil, Problems{{File: path, Message: "not a regular file"}}
	}
	if info.Size() > MaxFileSize {
		return nil, Problems{tooLarge(path, info.Size())}
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	// The file may have grown since Stat: read one byte more than allowed to notice.
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, err
	}
	return Load(path, data)
}

func tooLarge(file string, size int64) Problem {
	return Problem{File: file, Message: fmt.Sprintf("file is too large (%d bytes); a description may be at most 1 MiB", size)}
}

// Load parses, checks, defaults and validates a description. file names it in messages.
// On any problem it returns nil and Problems listing all the problems found, sorted.
func Load(file string, data []byte) (*Application, error) {
	app, ps := load(data)
	if len(ps) > 0 {
		for i := range ps {
			ps[i].File = file
		}
		ps.Sort()
		return nil, ps
	}
	return app, nil
}

func load(data []byte) (*Application, Problems) {
	if len(data) > MaxFileSize {
		return nil, Problems{tooLarge("", int64(len(data)))}
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, Problems{{Message: "the file is empty"}}
	}
	root, ps := parse(data)
	if root == nil {
		return nil, ps
	}
	// A file of another kind (a Kubernetes manifest, say) would bury the real cause under
	// unknown fields: report only its header.
	if hp := checkHeader(root); len(hp) > 0 {
		return nil, append(ps, hp...)
	}
	w := newWalker()
	w.lines[""] = root.Line
	tree, _ := w.value(root, reflect.TypeFor[Application](), "")
	ps = append(ps, w.problems...)
	if len(ps) > 0 {
		return nil, ps
	}
	app, err := decode(tree)
	if err != nil {
		return nil, Problems{{Message: "internal error: " + err.Error()}}
	}
	Normalize(app)
	Default(app)
	ps = Validate(app)
	if len(ps) > 0 {
		for i := range ps {
			if ps[i].Line == 0 {
				ps[i].Line = w.lineOf(ps[i].Field)
			}
		}
		return nil, ps
	}
	return app, nil
}

// parse reads the single YAML document of a description and returns its root node.
// A second document is a problem, but the first is still returned to be checked.
func parse(data []byte) (*yaml.Node, Problems) {
	var ps Problems
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var root *yaml.Node
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, append(ps, syntaxProblem(data, err))
		}
		if len(doc.Content) == 0 || isNull(doc.Content[0]) {
			continue
		}
		if root != nil {
			if len(ps) == 0 {
				ps = append(ps, Problem{Line: doc.Line, Message: "a second YAML document starts here; a file holds exactly one description"})
			}
			continue
		}
		root = doc.Content[0]
	}
	if root == nil {
		return nil, Problems{{Message: "the file has no content, only comments"}}
	}
	if root.Kind != yaml.MappingNode {
		return nil, Problems{{Line: root.Line, Message: fmt.Sprintf("expected a mapping with apiVersion, kind, metadata and spec, got %s", describe(root))}}
	}
	return root, ps
}

var (
	yamlLineError = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)
	unknownAnchor = regexp.MustCompile(`^yaml: unknown anchor '(.*)' referenced$`)
)

// yaml.v3 reports parser errors (as opposed to scanner errors) with a 0-based line: the
// line where the construct that could not be finished began.
var parserErrors = map[string]bool{
	"did not find expected <stream-start>":   true,
	"did not find expected <document start>": true,
	"found undefined tag handle":             true,
	"did not find expected node content":     true,
	"did not find expected '-' indicator":    true,
	"did not find expected key":              true,
	"did not find expected ',' or ']'":       true,
	"did not find expected ',' or '}'":       true,
	"found duplicate %YAML directive":        true,
	"found incompatible YAML document":       true,
	"found duplicate %TAG directive":         true,
}

// syntaxProblem turns a yaml.v3 error into a problem with a 1-based line. yaml.v3 leaves
// the line out of a few messages; for the common ones it is found in the text.
func syntaxProblem(data []byte, err error) Problem {
	lines := strings.Split(string(data), "\n")
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 0
	if m := yamlLineError.FindStringSubmatch(err.Error()); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = m[2]
		if parserErrors[msg] {
			line++
		}
	}
	if m := unknownAnchor.FindStringSubmatch(err.Error()); m != nil {
		msg = fmt.Sprintf("alias *%s refers to no anchor &%s defined before it", m[1], m[1])
		for i, l := range lines {
			if strings.Contains(l, "*"+m[1]) {
				line = i + 1
				break
			}
		}
	}
	if line == 0 && (strings.Contains(msg, "control characters") || strings.Contains(msg, "UTF-8")) {
		line = firstUnreadableLine(lines)
	}
	if strings.Contains(msg, "unexpected end of stream") {
		msg += " (a quote, bracket or brace is never closed)"
	}
	if strings.Contains(msg, "cannot start any token") {
		for i, l := range lines {
			indent := l[:len(l)-len(strings.TrimLeft(l, " \t"))]
			if strings.Contains(indent, "\t") && (line == 0 || line == i+1) {
				line, msg = i+1, "tabs are not allowed for indentation; use spaces"
				break
			}
		}
	}
	if line == 0 {
		// yaml.v3 leaves the line out when the error's marks are on its line 0: the first line.
		line = 1
	}
	return Problem{Line: line, Message: "invalid YAML: " + msg}
}

// firstUnreadableLine is the 1-based number of the first line that is not valid UTF-8 or
// holds a control character YAML refuses (0 when none does).
func firstUnreadableLine(lines []string) int {
	for i, l := range lines {
		if !utf8.ValidString(l) {
			return i + 1
		}
		for _, r := range l {
			if r < 0x20 && r != '\t' && r != '\r' || r == 0x7f || r >= 0x80 && r < 0xa0 && r != 0x85 || r == 0xfffe || r == 0xffff {
				return i + 1
			}
		}
	}
	return 0
}

// checkHeader compares apiVersion and kind, when they are present, with what a
// description must have. Missing ones are left to Validate.
func checkHeader(root *yaml.Node) Problems {
	var ps Problems
	want := []struct{ field, value string }{{"apiVersion", APIVersion}, {"kind", Kind}}
	for _, h := range want {
		for i := 0; i+1 < len(root.Content); i += 2 {
			k, v := root.Content[i], root.Content[i+1]
			if k.Value == h.field && v.Kind == yaml.ScalarNode && !isNull(v) && v.Value != h.value {
				ps = append(ps, Problem{Line: k.Line, Field: h.field, Message: fmt.Sprintf("%s %q is not a dsoi-gen description (want %q)", h.field, v.Value, h.value)})
			}
		}
	}
	return ps
}

// decode turns the checked tree into an Application through encoding/json, so that the
// Kubernetes types decode exactly as they do from JSON.
func decode(tree any) (*Application, error) {
	raw, err := json.Marshal(tree)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var app Application
	if err := dec.Decode(&app); err != nil {
		return nil, err
	}
	return &app, nil
}
