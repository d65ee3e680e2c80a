package model

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"reflect"
	"strconv"
	"strings"

	"github.com/invopop/jsonschema"
	corev1 "k8s.io/api/core/v1"
)

// typesSource is types.go itself: its doc comments become the schema's descriptions
// without needing the source tree at run time.
//
//go:embed types.go
var typesSource []byte

// Schema returns a JSON Schema (draft 2020-12) of Application for editor completion:
// every object closed (additionalProperties false), required fields, enums and
// descriptions from the Go doc comments. The output is deterministic and ends in a newline.
func Schema() ([]byte, error) {
	comments, err := typeComments()
	if err != nil {
		return nil, err
	}
	names := map[string]reflect.Type{}
	var clash error
	r := &jsonschema.Reflector{
		Anonymous:  true,
		CommentMap: comments,
		Mapper:     schemaForLeaf,
		// Definitions are named by Go type name; two packages could use the same name.
		Namer: func(t reflect.Type) string {
			if other, ok := names[t.Name()]; ok && other != t && t.Name() != "" {
				clash = fmt.Errorf("schema: two types named %s (%s and %s)", t.Name(), other, t)
			}
			names[t.Name()] = t
			return ""
		},
	}
	s := r.Reflect(&Application{})
	if clash != nil {
		return nil, clash
	}
	s.Title = "dsoi-gen application description"
	if err := refine(s.Definitions); err != nil {
		return nil, err
	}
	out, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(out, '\n'), nil
}

// schemaForLeaf describes the Kubernetes types that decode themselves from JSON.
func schemaForLeaf(t reflect.Type) *jsonschema.Schema {
	switch t {
	case quantityType:
		return &jsonschema.Schema{
			Description: "A Kubernetes quantity such as 500m, 1Gi or 2.",
			OneOf:       []*jsonschema.Schema{{Type: "string"}, {Type: "number"}},
		}
	case intOrStringType:
		return &jsonschema.Schema{
			Description: "A port number or name.",
			OneOf:       []*jsonschema.Schema{{Type: "integer"}, {Type: "string"}},
		}
	}
	return nil
}

// refine adds what the Go types cannot say: enums, patterns and defaults.
func refine(defs jsonschema.Definitions) error {
	type rule struct {
		def, prop string
		apply     func(*jsonschema.Schema)
	}
	enum := func(values ...string) func(*jsonschema.Schema) {
		return func(s *jsonschema.Schema) {
			for _, v := range values {
				s.Enum = append(s.Enum, v)
			}
		}
	}
	withDefault := func(value any, f func(*jsonschema.Schema)) func(*jsonschema.Schema) {
		return func(s *jsonschema.Schema) {
			f(s)
			s.Default = value
		}
	}
	pattern := func(p string) func(*jsonschema.Schema) {
		return func(s *jsonschema.Schema) { s.Pattern = p }
	}
	between := func(lo, hi int, def any) func(*jsonschema.Schema) {
		return func(s *jsonschema.Schema) {
			s.Minimum = json.Number(strconv.Itoa(lo))
			if hi > 0 {
				s.Maximum = json.Number(strconv.Itoa(hi))
			}
			if def != nil {
				s.Default = def
			}
		}
	}
	one := uint64(1)
	rules := []rule{
		{"Application", "apiVersion", enum(APIVersion)},
		{"Application", "kind", enum(Kind)},
		{"Operator", "kind", pattern(kindPattern.String())},
		{"Operator", "version", pattern(versionPattern.String())},
		{"Operator", "license", withDefault(LicenseApache2, enum(LicenseApache2, LicenseNone))},
		{"Spec", "nodeTypes", func(s *jsonschema.Schema) { s.MinItems = &one }},
		{"Spec", "deploymentOrder", func(s *jsonschema.Schema) { s.MinItems = &one }},
		{"NodeType", "workload", enum(StatefulSet, Deployment)},
		{"NodeType", "replicas", func(s *jsonschema.Schema) { s.Default = 1 }},
		{"NodeType", "minReplicas", between(1, 0, nil)},
		{"HealthGate", "target", withDefault(GateTargetPod, enum(GateTargetPod, GateTargetService))},
		{"HealthGate", "path", pattern(`^/[^\s#]*$`)},
		{"HealthGate", "status", between(100, 599, DefaultGateStatus)},
		{"HealthGate", "intervalSeconds", between(1, maxGateSeconds, DefaultGateIntervalSeconds)},
		{"HealthGate", "timeoutSeconds", between(1, maxGateSeconds, DefaultGateTimeoutSeconds)},
		{"HealthGate", "successThreshold", between(1, maxGateSuccessThreshold, DefaultGateSuccessThreshold)},
		{"ClaimRetention", "whenScaled", withDefault(ClaimRetain, enum(ClaimRetain, ClaimDelete))},
		{"ClaimRetention", "whenDeleted", withDefault(ClaimRetain, enum(ClaimRetain))},
		{"Decommission", "intervalSeconds", between(1, maxGateSeconds, DefaultGateIntervalSeconds)},
		{"Decommission", "timeoutSeconds", between(1, maxGateSeconds, DefaultGateTimeoutSeconds)},
		{"DrainStart", "method", withDefault(DefaultDrainMethod, enum(DrainMethods...))},
		{"DrainStart", "path", pattern(`^/[^\s#]*$`)},
		{"DrainStart", "status", between(100, 599, nil)},
		{"DrainCheck", "path", pattern(`^/[^\s#]*$`)},
		{"DrainCheck", "status", between(100, 599, DefaultGateStatus)},
		{"Port", "protocol", withDefault(string(corev1.ProtocolTCP), enum(string(corev1.ProtocolTCP), string(corev1.ProtocolUDP), string(corev1.ProtocolSCTP)))},
		{"Service", "type", withDefault(string(corev1.ServiceTypeClusterIP), enum(string(corev1.ServiceTypeClusterIP), string(corev1.ServiceTypeNodePort), string(corev1.ServiceTypeLoadBalancer)))},
		{"Field", "type", enum(FieldString, FieldInt, FieldBool, FieldSecretRef)},
		{"ConfigFile", "format", enum(FormatProperties, FormatYAML, FormatJSON, FormatXML, FormatText)},
		{"ConfigFile", "scope", withDefault(ScopeNode, enum(ScopeNode, ScopeCluster))},
		{"Rollout", "install", withDefault(Parallel, enum(Parallel, Ordered))},
		{"Rollout", "upgrade", withDefault(Ordered, enum(Parallel, Ordered))},
	}
	for _, r := range rules {
		def, ok := defs[r.def]
		if !ok || def.Properties == nil {
			return fmt.Errorf("schema: no definition %s", r.def)
		}
		prop, ok := def.Properties.Get(r.prop)
		if !ok {
			return fmt.Errorf("schema: no property %s.%s", r.def, r.prop)
		}
		r.apply(prop)
	}
	return nil
}

// typeComments reads the doc comments of types.go into the key form that
// jsonschema.Reflector.CommentMap expects: "<pkg>.<Type>" and "<pkg>.<Type>.<Field>".
func typeComments() (map[string]string, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "types.go", typesSource, parser.ParseComments)
	if err != nil {
		return nil, err
	}
	pkg := reflect.TypeFor[Application]().PkgPath()
	comments := map[string]string{}
	for _, decl := range f.Decls {
		gd, ok := decl.(*ast.GenDecl)
		if !ok || gd.Tok != token.TYPE {
			continue
		}
		for _, spec := range gd.Specs {
			ts := spec.(*ast.TypeSpec)
			doc := ts.Doc
			if doc == nil && len(gd.Specs) == 1 {
				doc = gd.Doc
			}
			if text := commentText(doc); text != "" {
				comments[pkg+"."+ts.Name.Name] = text
			}
			st, ok := ts.Type.(*ast.StructType)
			if !ok {
				continue
			}
			for _, field := range st.Fields.List {
				doc := field.Doc
				if doc == nil {
					doc = field.Comment
				}
				text := commentText(doc)
				for _, name := range field.Names {
					if text != "" {
						comments[pkg+"."+ts.Name.Name+"."+name.Name] = text
					}
				}
			}
		}
	}
	return comments, nil
}

// commentText joins a comment's lines into one paragraph.
func commentText(c *ast.CommentGroup) string {
	return strings.Join(strings.Fields(c.Text()), " ")
}
