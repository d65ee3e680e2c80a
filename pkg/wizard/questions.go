package wizard

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/dsoi-gen/dsoi-gen/pkg/model"
)

// nameCheck adapts model.ValidateName to a field validator.
func nameCheck(kind model.NameKind) func(string) error {
	return func(s string) error { return model.ValidateName(kind, s) }
}

func (w *Wizard) askName(ctx context.Context, app *model.Application) error {
	var s step
	s.text("Application name (such as pinot)", &app.Metadata.Name, false, nameCheck(model.AppName))
	return w.ask(ctx, &s)
}

func (w *Wizard) askOperator(ctx context.Context, app *model.Application) error {
	name, op := app.Metadata.Name, &app.Spec.Operator
	setIfEmpty(&app.Spec.DisplayName, DefaultDisplayName(name))
	setIfEmpty(&op.Repo, DefaultRepo(w.opts.User, name))
	setIfEmpty(&op.Domain, "example.com")
	setIfEmpty(&op.Version, "v1alpha1")
	setIfEmpty(&op.Kind, DefaultKind(name))
	var s step
	s.text("Display name", &app.Spec.DisplayName, false, model.ValidateDisplayName)
	s.text("Go module path of the operator", &op.Repo, false, model.ValidateRepo)
	s.text("API domain", &op.Domain, false, model.ValidateDomain)
	s.text("API group", &op.Group, true, func(g string) error { return model.ValidateGroup(g, op.Domain) })
	s.text("API version", &op.Version, false, model.ValidateVersion)
	s.text("Kind of the custom resource", &op.Kind, false, model.ValidateKind)
	return w.ask(ctx, &s)
}

func (w *Wizard) askConfigFiles(ctx context.Context, app *model.Application) error {
	old := app.Spec.ConfigFiles
	var files []model.ConfigFile
	more, err := w.Confirm(ctx, "Does "+app.Metadata.Name+" read configuration files to mount?", len(old) > 0)
	for i := 0; more && err == nil; i++ {
		var cf model.ConfigFile
		if i < len(old) {
			cf = old[i]
		}
		if err = w.askConfigFile(ctx, i+1, &cf); err != nil {
			break
		}
		files = append(files, cf)
		more, err = w.Confirm(ctx, "Another config file?", i+1 < len(old))
	}
	if err != nil {
		return err
	}
	app.Spec.ConfigFiles = files
	return nil
}

func (w *Wizard) askConfigFile(ctx context.Context, n int, cf *model.ConfigFile) error {
	var s step
	s.text(fmt.Sprintf("Config file %d: name (such as broker-config)", n), &cf.Name, false, nameCheck(model.ConfigFileName))
	s.text("File name (such as broker.properties)", &cf.FileName, false, model.ValidateFileName)
	s.text("Directory it is mounted in", &cf.MountPath, false, model.ValidateMountPath)
	s.choice("Scope: one file per node type, or one for the whole cluster", &cf.Scope, model.ScopeNode, model.ScopeCluster)
	if err := w.ask(ctx, &s); err != nil {
		return err
	}
	setIfEmpty(&cf.Format, model.FormatFromFileName(cf.FileName))
	s = step{}
	s.choice("Format", &cf.Format, model.FormatProperties, model.FormatYAML, model.FormatJSON, model.FormatXML, model.FormatText)
	s.longText("Default content", &cf.Default, func(c string) error { return model.ValidateDefault(cf.Format, c) })
	return w.ask(ctx, &s)
}

func (w *Wizard) askNodeTypes(ctx context.Context, app *model.Application) error {
	old := app.Spec.NodeTypes
	var nodes []model.NodeType
	for i := 0; ; i++ {
		var nt model.NodeType
		if i < len(old) {
			nt = old[i]
		}
		if err := w.askNodeType(ctx, i+1, &nt, app.Spec.ConfigFiles); err != nil {
			return err
		}
		nodes = append(nodes, nt)
		more, err := w.Confirm(ctx, "Another node type?", i+1 < len(old))
		if err != nil {
			return err
		}
		if !more {
			break
		}
	}
	app.Spec.NodeTypes = nodes
	return nil
}

func (w *Wizard) askNodeType(ctx context.Context, n int, nt *model.NodeType, configs []model.ConfigFile) error {
	ports, storage, replicas, minReplicas := FormatPorts(nt.Ports), FormatStorage(nt.Storage), "1", ""
	if nt.Replicas != nil {
		replicas = strconv.Itoa(int(*nt.Replicas))
	}
	if nt.MinReplicas != nil {
		minReplicas = strconv.Itoa(int(*nt.MinReplicas))
	}
	defReplicas := replicas
	var s step
	s.text(fmt.Sprintf("Node type %d: name (such as broker)", n), &nt.Name, false, nameCheck(model.NodeTypeName))
	s.choice("Workload", &nt.Workload, model.StatefulSet, model.Deployment)
	s.text("Container image", &nt.Image, false, model.ValidateImage)
	s.text("Ports (name:port, such as http:8080,admin:9090)", &ports, true, func(p string) error { _, err := ParsePorts(p); return err })
	s.text("Storage (name:mountPath:size, such as data:/var/data:1Gi)", &storage, true, func(v string) error { _, err := ParseStorage(v); return err })
	s.text("Replicas", &replicas, false, func(r string) error { _, err := ParseReplicas(r); return err })
	s.text("Minimum replicas (a floor for scale-downs, such as a quorum of 3)", &minReplicas, true, func(m string) error {
		// The replicas answered just before; an empty answer kept the pre-filled value.
		r := strings.TrimSpace(replicas)
		if r == "" {
			r = defReplicas
		}
		_, err := ParseMinReplicas(m, r)
		return err
	})
	var names, mounted []string
	for _, cf := range configs {
		names = append(names, cf.Name)
		for _, m := range nt.ConfigFiles {
			if m == cf.Name {
				mounted = append(mounted, m)
			}
		}
	}
	list := strings.Join(mounted, ", ")
	switch {
	case len(names) == 0:
	case w.opts.Accessible:
		// A plain multi-select needs a number per toggle: a list is easier to answer.
		s.text("Config files to mount (of "+strings.Join(names, ", ")+")", &list, true, func(l string) error {
			return model.ValidateNodeConfigFiles(splitList(l), configs)
		})
	default:
		s.choices("Config files to mount", &mounted, names...)
	}
	if err := w.ask(ctx, &s); err != nil {
		return err
	}
	var err error
	if nt.Ports, err = ParsePorts(ports); err != nil {
		return err
	}
	if nt.Storage, err = ParseStorage(storage); err != nil {
		return err
	}
	if w.opts.Accessible {
		mounted = splitList(list)
	}
	r, err := ParseReplicas(replicas)
	if err != nil {
		return err
	}
	if nt.MinReplicas, err = ParseMinReplicas(minReplicas, replicas); err != nil {
		return err
	}
	nt.Replicas, nt.ConfigFiles = &r, mounted
	if len(nt.Ports) == 0 {
		nt.Service = nil     // a service needs a port
		nt.HealthGates = nil // and a health gate calls one
		return nil
	}
	if err := w.askHealthGates(ctx, nt); err != nil {
		return err
	}
	if err := w.askDecommission(ctx, nt); err != nil {
		return err
	}
	return w.askClaimRetention(ctx, nt)
}

// askClaimRetention asks, for a StatefulSet node type with storage, whether a scale-down
// keeps or deletes the claims of the pods it removes.
func (w *Wizard) askClaimRetention(ctx context.Context, nt *model.NodeType) error {
	if nt.Workload != model.StatefulSet || len(nt.Storage) == 0 {
		nt.ClaimRetention = nil
		return nil
	}
	when := model.ClaimRetain
	if nt.ClaimRetention != nil && nt.ClaimRetention.WhenScaled != "" {
		when = nt.ClaimRetention.WhenScaled
	}
	var s step
	s.choice("Claims of the pods a scale-down of "+nt.Name+" removes (Retain keeps their data for a later scale-up)", &when, model.ClaimRetain, model.ClaimDelete)
	if err := w.ask(ctx, &s); err != nil {
		return err
	}
	nt.ClaimRetention = nil
	if when == model.ClaimDelete {
		nt.ClaimRetention = &model.ClaimRetention{WhenScaled: model.ClaimDelete, WhenDeleted: model.ClaimRetain}
	}
	return nil
}

// askDecommission asks whether a StatefulSet node type drains each pod before a scale-down
// removes it, and how: the port, the call that starts the drain and the check that ends it.
// The timing keeps its value, or its default.
func (w *Wizard) askDecommission(ctx context.Context, nt *model.NodeType) error {
	if nt.Workload != model.StatefulSet {
		nt.Decommission = nil // a Deployment removes pods of its own choosing
		return nil
	}
	yes, err := w.Confirm(ctx, "Drain each pod of "+nt.Name+" before a scale-down removes it (a call that starts the drain, then a check)?", nt.Decommission != nil)
	if err != nil || !yes {
		nt.Decommission = nil
		return err
	}
	d := nt.Decommission
	if d == nil {
		d = &model.Decommission{}
	}
	if d.Start == nil {
		d.Start = &model.DrainStart{}
	}
	if d.Check == nil {
		d.Check = &model.DrainCheck{}
	}
	setIfEmpty(&d.Start.Method, model.DefaultDrainMethod)
	var ports []string
	for _, p := range nt.Ports {
		ports = append(ports, p.Name)
	}
	if !slices.Contains(ports, d.Port) {
		d.Port = "" // a port that is gone: pick again
	}
	var s step
	s.choice("Port of the drain calls", &d.Port, ports...)
	s.choice("Method of the call that starts draining a pod", &d.Start.Method, model.DrainMethods...)
	s.text("Path of the call that starts draining (such as /drain)", &d.Start.Path, false, model.ValidateGatePath)
	s.text("Path of the GET that says a pod is drained (such as /drain/status)", &d.Check.Path, false, model.ValidateGatePath)
	s.text("Condition on its answer once drained (CEL over status, body and text, such as size(body) == 0)", &d.Check.Condition, true, model.ValidateGateCondition)
	if err := w.ask(ctx, &s); err != nil {
		return err
	}
	nt.Decommission = d
	if d.Check.Condition == "" {
		d.Check.DrainedAnswer = ""
		return nil
	}
	var answer step
	answer.text("What it answers once a pod is drained (such as []); the condition is checked on it", &d.Check.DrainedAnswer, false,
		func(body string) error { return model.ValidateDrainedAnswer(d.Check.Condition, body) })
	return w.ask(ctx, &answer)
}

// askHealthGates asks for the health gates of a node type that has ports. Only the name,
// port, path and condition are asked; the rest keeps its value, or its default.
func (w *Wizard) askHealthGates(ctx context.Context, nt *model.NodeType) error {
	old := nt.HealthGates
	var gates []model.HealthGate
	more, err := w.Confirm(ctx, "Health gates for "+nt.Name+" (HTTP checks of its own state that a rollout waits for)?", len(old) > 0)
	for i := 0; more && err == nil; i++ {
		var g model.HealthGate
		if i < len(old) {
			g = old[i]
		}
		if err = w.askHealthGate(ctx, i+1, nt, gates, &g); err != nil {
			break
		}
		gates = append(gates, g)
		more, err = w.Confirm(ctx, "Another health gate of "+nt.Name+"?", i+1 < len(old))
	}
	if err != nil {
		return err
	}
	nt.HealthGates = gates
	return nil
}

func (w *Wizard) askHealthGate(ctx context.Context, n int, nt *model.NodeType, earlier []model.HealthGate, g *model.HealthGate) error {
	var ports, names []string
	for _, p := range nt.Ports {
		ports = append(ports, p.Name)
	}
	for _, e := range earlier {
		names = append(names, e.Name)
	}
	if !slices.Contains(ports, g.Port) {
		g.Port = "" // a port that is gone: pick again
	}
	var s step
	s.text(fmt.Sprintf("Health gate %d of %s: name (such as segments-loaded)", n, nt.Name), &g.Name, false,
		func(name string) error { return model.ValidateGateName(name, names) })
	s.choice("Port it calls", &g.Port, ports...)
	s.text("HTTP path (such as /health)", &g.Path, false, model.ValidateGatePath)
	s.text("Condition on the answer (CEL over status, body and text, such as body.loaded == true)", &g.Condition, true, model.ValidateGateCondition)
	if err := w.ask(ctx, &s); err != nil || g.Condition == "" {
		return err
	}
	var answer step
	answer.text("What it answers when healthy (such as {\"loaded\": true}); the condition is checked on it", &g.HealthyAnswer, false,
		func(body string) error { return model.ValidateGateAnswer(*g, body) })
	return w.ask(ctx, &answer)
}

func (w *Wizard) askDependencies(ctx context.Context, app *model.Application) error {
	old := app.Spec.Dependencies
	var deps []model.Dependency
	more, err := w.Confirm(ctx, "Does "+app.Metadata.Name+" need outside systems (dependencies such as ZooKeeper or a database)?", len(old) > 0)
	for i := 0; more && err == nil; i++ {
		var dep model.Dependency
		if i < len(old) {
			dep = old[i]
		}
		if err = w.askDependency(ctx, i+1, &dep); err != nil {
			break
		}
		deps = append(deps, dep)
		more, err = w.Confirm(ctx, "Another dependency?", i+1 < len(old))
	}
	if err != nil {
		return err
	}
	app.Spec.Dependencies = deps
	return nil
}

func (w *Wizard) askDependency(ctx context.Context, n int, dep *model.Dependency) error {
	var s step
	s.text(fmt.Sprintf("Dependency %d: name (such as zookeeper)", n), &dep.Name, false, nameCheck(model.DependencyName))
	if err := w.ask(ctx, &s); err != nil {
		return err
	}
	old := dep.Fields
	var fields []model.Field
	for i := 0; ; i++ {
		var f model.Field
		if i < len(old) {
			f = old[i]
		}
		s = step{}
		s.text(fmt.Sprintf("Field %d of %s: name (such as zkAddress)", i+1, dep.Name), &f.Name, false, nameCheck(model.FieldName))
		s.choice("Type", &f.Type, model.FieldString, model.FieldInt, model.FieldBool, model.FieldSecretRef)
		s.text("Environment variable that passes it to the nodes", &f.Env, true, model.ValidateEnvName)
		if err := w.ask(ctx, &s); err != nil {
			return err
		}
		fields = append(fields, f)
		more, err := w.Confirm(ctx, "Another field of "+dep.Name+"?", i+1 < len(old))
		if err != nil {
			return err
		}
		if !more {
			break
		}
	}
	dep.Fields = fields
	return nil
}

func (w *Wizard) askOrder(ctx context.Context, app *model.Application) error {
	var names []string
	for _, nt := range app.Spec.NodeTypes {
		names = append(names, nt.Name)
	}
	order := FormatOrder(DefaultOrder(app.Spec.DeploymentOrder, names))
	var s step
	s.text("Deployment order (edit to reorder)", &order, false, func(o string) error { _, err := ParseOrder(o, names); return err })
	if err := w.ask(ctx, &s); err != nil {
		return err
	}
	var err error
	app.Spec.DeploymentOrder, err = ParseOrder(order, names)
	return err
}

func (w *Wizard) askRollout(ctx context.Context, app *model.Application) error {
	r := &app.Spec.Rollout
	var s step
	s.choice("Install node types", &r.Install, model.Parallel, model.Ordered)
	s.choice("Upgrade node types", &r.Upgrade, model.Ordered, model.Parallel)
	s.confirm("Generate autoscaling (the "+app.Spec.Operator.Kind+"Autoscaling API)?", &app.Spec.Autoscaling)
	return w.ask(ctx, &s)
}

func setIfEmpty(s *string, value string) {
	if *s == "" {
		*s = value
	}
}
