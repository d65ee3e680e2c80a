package scaffold

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/dsoi-gen/dsoi-gen/pkg/model"
)

// Data is what templates see: the description plus every name derived from it, computed
// once here so templates stay free of naming logic.
type Data struct {
	App *model.Application
	// Description is the normalized description, written into the project as dsoi.yaml.
	Description string
	// GeneratorVersion is the dsoi-gen version that rendered the project.
	GeneratorVersion string
	// ControllerToolsVersion is the controller-gen version the Makefile pins.
	ControllerToolsVersion string

	Name, DisplayName, Repo, Domain, Group, Version string
	// APIGroup is group.domain, or domain when group is empty.
	APIGroup string
	// Kind, KindLower and KindPlural name the custom resource.
	Kind, KindLower, KindPlural string
	// ConfigField is the app config group list ("pinotConfig"), ConfigType its item type.
	ConfigField, ConfigType string
	ProjectName             string
	// Header is the license header of Go files ("" for license none), Boilerplate the same for hack/.
	Header string

	NodeTypes    []NodeTypeData
	Dependencies []DependencyData
	// NodeFiles are config files with scope node (fields of each app config group);
	// ClusterFiles those with scope cluster (fields of spec.clusterConfig).
	NodeFiles, ClusterFiles []FileData
}

// NodeTypeData is one node type with derived names.
type NodeTypeData struct {
	model.NodeType
	GoName, KubeName string
	// Files are the config files mounted into this node type.
	Files []FileData
	// ReplicaCount is the sample replica count; Floor the node type's minReplicas (0: none).
	ReplicaCount, Floor int32
}

// DependencyData is one dependency (DSOI external) with derived names.
type DependencyData struct {
	model.Dependency
	JSONName, GoName string
	Fields           []FieldData
}

// FieldData is one dependency field with its Go type.
type FieldData struct {
	model.Field
	JSONName, GoName string
	// GoType is the Go type in the CR: string, int64, bool or corev1.SecretKeySelector
	// (pointers for optional non-strings).
	GoType string
	// SecretName and SecretKey split a secretRef example "name/key".
	SecretName, SecretKey string
}

// FileData is one config file with derived names.
type FileData struct {
	model.ConfigFile
	JSONName, GoName string
	// Key is the ConfigMap key holding the file.
	Key string
}

func newData(app *model.Application, description, version string) (*Data, error) {
	op := app.Spec.Operator
	d := &Data{
		App:                    app,
		Description:            description,
		GeneratorVersion:       version,
		ControllerToolsVersion: ControllerToolsVersion,
		Name:                   app.Metadata.Name,
		DisplayName:            app.Spec.DisplayName,
		Repo:                   op.Repo,
		Domain:                 op.Domain,
		Group:                  op.Group,
		Version:                op.Version,
		APIGroup:               op.Domain,
		Kind:                   op.Kind,
		KindLower:              strings.ToLower(op.Kind),
		KindPlural:             plural(strings.ToLower(op.Kind)),
		ConfigField:            model.LowerCamel(app.Metadata.Name) + "Config",
		ConfigType:             op.Kind + "Config",
		ProjectName:            app.Metadata.Name + "-operator",
	}
	if d.DisplayName == "" {
		d.DisplayName = op.Kind
	}
	if op.Group != "" {
		d.APIGroup = op.Group + "." + op.Domain
	}
	if op.License != "none" {
		d.Header = apacheHeader(op.Owner)
	}

	files := map[string]FileData{}
	for _, f := range app.Spec.ConfigFiles {
		fd := FileData{ConfigFile: f, JSONName: model.LowerCamel(f.Name), GoName: model.GoName(f.Name), Key: fileKey(f.FileName)}
		files[f.Name] = fd
		if f.Scope == model.ScopeCluster {
			d.ClusterFiles = append(d.ClusterFiles, fd)
		} else {
			d.NodeFiles = append(d.NodeFiles, fd)
		}
	}
	for _, nt := range app.Spec.NodeTypes {
		n := NodeTypeData{NodeType: nt, GoName: model.GoName(nt.Name), KubeName: model.KubeName(nt.Name), ReplicaCount: 1}
		if nt.Replicas != nil {
			n.ReplicaCount = *nt.Replicas
		}
		if nt.MinReplicas != nil {
			n.Floor = *nt.MinReplicas
		}
		for _, name := range nt.ConfigFiles {
			n.Files = append(n.Files, files[name])
		}
		d.NodeTypes = append(d.NodeTypes, n)
	}
	for _, dep := range app.Spec.Dependencies {
		dd := DependencyData{Dependency: dep, JSONName: model.LowerCamel(dep.Name), GoName: model.GoName(dep.Name)}
		for _, f := range dep.Fields {
			fd, err := fieldData(f)
			if err != nil {
				return nil, fmt.Errorf("spec.dependencies %s: %w", dep.Name, err)
			}
			dd.Fields = append(dd.Fields, fd)
		}
		d.Dependencies = append(d.Dependencies, dd)
	}
	return d, nil
}

func fieldData(f model.Field) (FieldData, error) {
	fd := FieldData{Field: f, JSONName: f.Name, GoName: model.GoName(f.Name)}
	switch f.Type {
	case model.FieldString:
		fd.GoType = "string"
	case model.FieldInt:
		fd.GoType = "int64"
	case model.FieldBool:
		fd.GoType = "bool"
	case model.FieldSecretRef:
		fd.GoType = "corev1.SecretKeySelector"
		if name, key, ok := strings.Cut(f.Example, "/"); ok {
			fd.SecretName, fd.SecretKey = name, key
		}
	default:
		return fd, fmt.Errorf("field %s: unknown type %q", f.Name, f.Type)
	}
	if !f.Required && f.Type != model.FieldString {
		fd.GoType = "*" + fd.GoType
	}
	return fd, nil
}

// ExampleValue is the sample CR value of a scalar field, as YAML.
func (f FieldData) ExampleValue() string {
	switch f.Type {
	case model.FieldInt:
		if _, err := strconv.ParseInt(f.Example, 10, 64); err == nil {
			return f.Example
		}
		return "0"
	case model.FieldBool:
		if f.Example == "true" {
			return "true"
		}
		return "false"
	}
	return yamlString(f.Example)
}

// plural follows the English rules Kubernetes resource names use.
func plural(s string) string {
	switch {
	case strings.HasSuffix(s, "s"), strings.HasSuffix(s, "x"), strings.HasSuffix(s, "z"),
		strings.HasSuffix(s, "ch"), strings.HasSuffix(s, "sh"):
		return s + "es"
	case strings.HasSuffix(s, "y") && len(s) > 1 && !strings.ContainsRune("aeiou", rune(s[len(s)-2])):
		return s[:len(s)-1] + "ies"
	}
	return s + "s"
}

// fileKey is the ConfigMap key of a config file (the rule of dsoi.FileKey in generated projects).
func fileKey(fileName string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			return r
		}
		return '_'
	}, fileName)
}

// apacheHeader is the Apache 2.0 header without a year, so output never depends on the clock.
func apacheHeader(owner string) string {
	if owner == "" {
		owner = "the project authors"
	}
	if !strings.HasSuffix(owner, ".") {
		owner += "." // "Acme Inc." keeps its one period
	}
	return `Copyright ` + owner + `

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.`
}

// EnvNeedsStrconv reports whether a dependency field of type int or bool is passed as an
// environment variable, so the controller must format numbers or booleans.
func (d *Data) EnvNeedsStrconv() bool {
	for _, dep := range d.Dependencies {
		for _, f := range dep.Fields {
			if f.Env != "" && (f.Type == "int" || f.Type == "bool") {
				return true
			}
		}
	}
	return false
}

// HasHealthGates reports whether a node type has health gates, so the API has their status.
func (d *Data) HasHealthGates() bool {
	for _, nt := range d.NodeTypes {
		if len(nt.HealthGates) > 0 {
			return true
		}
	}
	return false
}

// HasDecommissions reports whether a node type drains its pods before a scale-down, so the
// API has the drain's status.
func (d *Data) HasDecommissions() bool {
	for _, nt := range d.NodeTypes {
		if nt.Decommission != nil {
			return true
		}
	}
	return false
}

// HasAppCalls reports whether the operator calls the application's own HTTP endpoints
// (health gates, decommissions), so each node has an appAddress.
func (d *Data) HasAppCalls() bool { return d.HasHealthGates() || d.HasDecommissions() }

// ClaimDeletingNodeTypes are the node types that delete the claims of the pods a scale-down
// removes, by default.
func (d *Data) ClaimDeletingNodeTypes() []NodeTypeData {
	var out []NodeTypeData
	for _, nt := range d.NodeTypes {
		if nt.ClaimRetention != nil && nt.ClaimRetention.WhenScaled == model.ClaimDelete {
			out = append(out, nt)
		}
	}
	return out
}

// HasFloors reports whether a node type has a minimum number of replicas.
func (d *Data) HasFloors() bool {
	for _, nt := range d.NodeTypes {
		if nt.Floor > 0 {
			return true
		}
	}
	return false
}

// HasStatefulSets reports whether a node type runs as a StatefulSet, so the generated tests
// include replacing its unready pods first.
func (d *Data) HasStatefulSets() bool {
	for _, nt := range d.NodeTypes {
		if nt.Workload == "StatefulSet" {
			return true
		}
	}
	return false
}

// HasStatefulStorage reports whether a StatefulSet node type has storage, so the generated
// tests include the immutable-field (storage size) case.
func (d *Data) HasStatefulStorage() bool {
	for _, nt := range d.NodeTypes {
		if nt.Workload == "StatefulSet" && len(nt.Storage) > 0 {
			return true
		}
	}
	return false
}
