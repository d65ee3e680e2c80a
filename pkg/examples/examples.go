// Package examples embeds the built-in application descriptions.
package examples

import (
	"embed"
	"fmt"
	"sort"
	"strings"

	"github.com/dsoi-gen/dsoi-gen/pkg/model"
)

//go:embed *.yaml
var files embed.FS

// Names lists the built-in examples, sorted.
func Names() []string {
	entries, _ := files.ReadDir(".")
	var names []string
	for _, e := range entries {
		names = append(names, strings.TrimSuffix(e.Name(), ".yaml"))
	}
	sort.Strings(names)
	return names
}

// Get returns the description of a built-in example and the file name to use in messages.
func Get(name string) (file string, data []byte, err error) {
	file = name + ".yaml"
	data, err = files.ReadFile(file)
	if err != nil {
		return "", nil, fmt.Errorf("no built-in example %q (known: %s)", name, strings.Join(Names(), ", "))
	}
	return file, data, nil
}

// Load reads a built-in example as an application description, checked as any description is.
func Load(name string) (*model.Application, error) {
	file, data, err := Get(name)
	if err != nil {
		return nil, err
	}
	return model.Load(file, data)
}
