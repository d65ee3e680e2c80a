package model

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzLoad feeds the loader arbitrary bytes, starting from the built-in examples, the small
// description the tests edit, and what fuzzing found before (testdata/fuzz/FuzzLoad, run by
// every `go test`). Whatever comes in, Load never panics; it
// either accepts a description that validates, or refuses with problems that each say
// what is wrong and where: a line for everything but a whole-file problem, and a field for
// everything that is not about the YAML itself.
func FuzzLoad(f *testing.F) {
	seeds, err := filepath.Glob("../examples/*.yaml")
	if err != nil || len(seeds) == 0 {
		f.Fatalf("no examples to seed from: %v", err)
	}
	for _, p := range seeds {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(base)) // small, so mutations reach the validator quickly
	f.Fuzz(func(t *testing.T, data []byte) {
		app, err := Load("fuzz.yaml", data)
		if err == nil {
			if app == nil {
				t.Fatal("no error and no application")
			}
			if ps := Validate(app); len(ps) > 0 {
				t.Fatalf("accepted a description that does not validate: %v", ps)
			}
			return
		}
		var ps Problems
		if !errors.As(err, &ps) || len(ps) == 0 {
			t.Fatalf("error is not a list of problems: %T %v", err, err)
		}
		for _, p := range ps {
			if p.File != "fuzz.yaml" || p.Message == "" {
				t.Errorf("problem without file or message: %#v", p)
			}
			if p.Line == 0 && !wholeFile(p) {
				t.Errorf("problem without a line: %q", p.Error())
			}
			if p.Field == "" && !aboutYAML(p) {
				t.Errorf("problem without a field: %q", p.Error())
			}
		}
	})
}

// wholeFile reports problems about the file as a whole, which have no line.
func wholeFile(p Problem) bool {
	return p.Message == "the file is empty" || p.Message == "the file has no content, only comments" ||
		strings.HasPrefix(p.Message, "file is too large")
}

// aboutYAML reports problems with the YAML itself or its top level, where no field can be named.
func aboutYAML(p Problem) bool {
	return wholeFile(p) || strings.HasPrefix(p.Message, "invalid YAML: ") ||
		strings.HasPrefix(p.Message, "a second YAML document starts here") ||
		strings.HasPrefix(p.Message, "expected a mapping with apiVersion, kind, metadata and spec")
}
