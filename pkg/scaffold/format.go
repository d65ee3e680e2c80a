package scaffold

import (
	"bytes"
	"fmt"
	"strings"

	"golang.org/x/tools/imports"
	"sigs.k8s.io/yaml"
)

// formatTree formats Go files with goimports and checks that YAML files parse, so a
// template bug shows up here, naming the file, and never as a broken project on disk.
func formatTree(tree Tree) error {
	var problems []string
	for _, p := range tree.Paths() {
		switch {
		case strings.HasSuffix(p, ".go"):
			out, err := imports.Process(p, tree[p], &imports.Options{Comments: true, TabIndent: true, TabWidth: 8, FormatOnly: true})
			if err != nil {
				problems = append(problems, fmt.Sprintf("format %s: %v\n%s", p, err, numbered(tree[p])))
				continue
			}
			tree[p] = out
		case strings.HasSuffix(p, ".yaml") || strings.HasSuffix(p, ".yml"):
			for i, doc := range bytes.Split(tree[p], []byte("\n---\n")) {
				var v any
				if err := yaml.Unmarshal(doc, &v); err != nil {
					problems = append(problems, fmt.Sprintf("check %s (document %d): %v\n%s", p, i+1, err, numbered(doc)))
				}
			}
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("generated files are invalid (a template bug):\n%s", strings.Join(problems, "\n"))
	}
	return nil
}

// numbered prefixes each line with its number, for error messages about generated source.
func numbered(src []byte) string {
	var b strings.Builder
	for i, line := range strings.Split(string(src), "\n") {
		fmt.Fprintf(&b, "%4d  %s\n", i+1, line)
	}
	return b.String()
}
