package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"unicode"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

// App is the part of a golden project's dsoi.yaml the tests need to know what to expect.
type App struct {
	Metadata struct {
		Name string `json:"name"`
	} `json:"metadata"`
	Spec struct {
		ConfigFiles     []ConfigFile `json:"configFiles"`
		Dependencies    []Dependency `json:"dependencies"`
		DeploymentOrder []string     `json:"deploymentOrder"`
		NodeTypes       []struct {
			Name        string       `json:"name"`
			ConfigFiles []string     `json:"configFiles"`
			HealthGates []HealthGate `json:"healthGates"`
			// Decommission drains a pod before a scale-down removes it.
			Decommission *Decommission `json:"decommission"`
			MinReplicas  int64         `json:"minReplicas"`
		} `json:"nodeTypes"`
		Autoscaling bool `json:"autoscaling"`
		Operator    struct {
			Kind    string `json:"kind"`
			Version string `json:"version"`
		} `json:"operator"`
	} `json:"spec"`
}

// ConfigFile is a config file of the application, mounted into the node types that list it.
type ConfigFile struct {
	Name      string `json:"name"`
	FileName  string `json:"fileName"`
	MountPath string `json:"mountPath"`
	// Scope is "node" (a field of each app config group) or "cluster" (spec.clusterConfig).
	Scope   string `json:"scope"`
	Default string `json:"default"`
}

// Dependency is an external system; each of its fields set in spec.external becomes an env var.
type Dependency struct {
	Name   string `json:"name"`
	Fields []struct {
		Name string `json:"name"`
		Env  string `json:"env"`
		Type string `json:"type"`
	} `json:"fields"`
}

// HealthGate is a health gate of a node type: the path it asks and what a healthy
// application answers there.
type HealthGate struct {
	Name          string `json:"name"`
	Path          string `json:"path"`
	HealthyAnswer string `json:"healthyAnswer"`
}

// Decommission is what the tests need of a node type's decommission: the paths of its start
// call and check, and what a drained pod answers.
type Decommission struct {
	Start struct {
		Path string `json:"path"`
	} `json:"start"`
	Check struct {
		Path          string `json:"path"`
		DrainedAnswer string `json:"drainedAnswer"`
	} `json:"check"`
}

// DecommissionOf returns the decommission of a node type (nil: none).
func (a *App) DecommissionOf(nodeType string) *Decommission {
	for _, nt := range a.Spec.NodeTypes {
		if nt.Name == nodeType {
			return nt.Decommission
		}
	}
	return nil
}

// GatesOf returns the health gates of a node type.
func (a *App) GatesOf(nodeType string) []HealthGate {
	for _, nt := range a.Spec.NodeTypes {
		if nt.Name == nodeType {
			return nt.HealthGates
		}
	}
	return nil
}

// Field is the CR field (in an app config group or spec.clusterConfig) holding the file.
func (f ConfigFile) Field() string { return lowerCamel(f.Name) }

// loadApp reads dsoi.yaml of a project.
func loadApp(dir string) (*App, error) {
	b, err := os.ReadFile(filepath.Join(dir, "dsoi.yaml"))
	if err != nil {
		return nil, err
	}
	var app App
	if err := yaml.Unmarshal(b, &app); err != nil {
		return nil, fmt.Errorf("dsoi.yaml: %w", err)
	}
	return &app, nil
}

// AppConfigField is the spec field holding the app config groups ("pinotConfig").
func (a *App) AppConfigField() string { return lowerCamel(a.Metadata.Name) + "Config" }

// HasConfigGroups reports whether the CR has app config groups (some file is node-scoped).
func (a *App) HasConfigGroups() bool {
	for _, f := range a.Spec.ConfigFiles {
		if f.Scope != "cluster" {
			return true
		}
	}
	return false
}

// FilesOf returns the config files mounted into a node type.
func (a *App) FilesOf(nodeType string) []ConfigFile {
	byName := map[string]ConfigFile{}
	for _, f := range a.Spec.ConfigFiles {
		byName[f.Name] = f
	}
	var out []ConfigFile
	for _, nt := range a.Spec.NodeTypes {
		if nt.Name == nodeType {
			for _, name := range nt.ConfigFiles {
				out = append(out, byName[name])
			}
		}
	}
	return out
}

// loadSample reads the project's sample CR (config/samples/<version>_<kind>.yaml).
func loadSample(dir string, app *App) (*unstructured.Unstructured, error) {
	name := fmt.Sprintf("%s_%s.yaml", app.Spec.Operator.Version, strings.ToLower(app.Spec.Operator.Kind))
	b, err := os.ReadFile(filepath.Join(dir, "config", "samples", name))
	if err != nil {
		return nil, err
	}
	j, err := yaml.YAMLToJSON(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	// The unstructured decoder keeps integers as int64, as objects read from the API are.
	u := &unstructured.Unstructured{}
	if err := u.UnmarshalJSON(j); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return u, nil
}

// lowerCamel spells a description name as its JSON field, as dsoi-gen does:
// "middle-manager-runtime" becomes "middleManagerRuntime".
func lowerCamel(name string) string {
	var b strings.Builder
	for i, word := range strings.FieldsFunc(name, func(r rune) bool { return r == '-' || r == '_' || r == '.' }) {
		r := []rune(word)
		if i == 0 {
			r[0] = unicode.ToLower(r[0])
		} else {
			r[0] = unicode.ToUpper(r[0])
		}
		b.WriteString(string(r))
	}
	return b.String()
}
