package wizard

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/dsoi-gen/dsoi-gen/pkg/model"
)

// stage is one step of the session; prefix is the field path its answers live under.
type stage struct {
	title  string
	prefix []string
	ask    func(*Wizard, context.Context, *model.Application) error
}

// Config files come before node types, which pick from them.
var stages = []stage{
	{"Application name", []string{"metadata", "apiVersion", "kind"}, (*Wizard).askName},
	{"Operator (module, API group, version, kind)", []string{"spec.displayName", "spec.operator"}, (*Wizard).askOperator},
	{"Config files", []string{"spec.configFiles"}, (*Wizard).askConfigFiles},
	{"Node types", []string{"spec.nodeTypes"}, (*Wizard).askNodeTypes},
	{"Dependencies", []string{"spec.dependencies"}, (*Wizard).askDependencies},
	{"Deployment order", []string{"spec.deploymentOrder"}, (*Wizard).askOrder},
	{"Rollout and autoscaling", []string{"spec.rollout", "spec.autoscaling"}, (*Wizard).askRollout},
}

const abort = "Abort (nothing is written)"

// Application asks every step, then checks the whole description as `dsoi-gen validate`
// does, and re-asks the steps the user picks until it is valid.
func (w *Wizard) Application(ctx context.Context) (*model.Application, error) {
	app, err := w.start()
	if err != nil {
		return nil, err
	}
	for _, st := range stages {
		if err := st.ask(w, ctx, app); err != nil {
			return nil, err
		}
	}
	for {
		ps := Check(app)
		if len(ps) == 0 {
			return app, nil
		}
		fmt.Fprintf(w.out(), "\nThe description has %d problem(s):\n", len(ps))
		for _, p := range ps {
			fmt.Fprintf(w.out(), "  %s: %s\n", p.Field, p.Message)
		}
		titles := []string{stageOf(ps[0].Field).title}
		for _, st := range stages {
			if st.title != titles[0] {
				titles = append(titles, st.title)
			}
		}
		choice := titles[0]
		var s step
		s.choice("Which step do you want to fix?", &choice, append(titles, abort)...)
		if err := w.ask(ctx, &s); err != nil {
			return nil, err
		}
		if choice == abort {
			return nil, fmt.Errorf("%w: the description has problems:\n%v", ErrAborted, ps)
		}
		for _, st := range stages {
			if st.title == choice {
				if err := st.ask(w, ctx, app); err != nil {
					return nil, err
				}
			}
		}
	}
}

func stageOf(field string) stage {
	for _, st := range stages {
		for _, p := range st.prefix {
			if strings.HasPrefix(field, p) {
				return st
			}
		}
	}
	return stages[0]
}

// start copies the starting description, so that an aborted session changes nothing.
func (w *Wizard) start() (*model.Application, error) {
	app := &model.Application{}
	if w.opts.Start != nil {
		data, err := json.Marshal(w.opts.Start)
		if err != nil {
			return nil, err
		}
		if err := json.Unmarshal(data, app); err != nil {
			return nil, err
		}
	}
	app.APIVersion, app.Kind = model.APIVersion, model.Kind
	return app, nil
}

func (w *Wizard) out() io.Writer {
	if w.opts.Out == nil {
		return io.Discard
	}
	return w.opts.Out
}

// Check loads the description as its YAML file would be loaded, and returns its problems.
func Check(app *model.Application) model.Problems {
	data, err := Marshal(app)
	if err != nil {
		return model.Problems{{Message: err.Error()}}
	}
	_, err = model.Load("", data)
	var ps model.Problems
	if errors.As(err, &ps) {
		return ps
	}
	if err != nil {
		return model.Problems{{Message: err.Error()}}
	}
	return nil
}

// Summary describes the application in a few lines, for a last look before writing.
func Summary(app *model.Application) string {
	var b strings.Builder
	op := app.Spec.Operator
	group := op.Domain
	if op.Group != "" {
		group = op.Group + "." + op.Domain
	}
	fmt.Fprintf(&b, "%s (%s): kind %s, API %s/%s, module %s\n", app.Metadata.Name, app.Spec.DisplayName, op.Kind, group, op.Version, op.Repo)
	for _, nt := range app.Spec.NodeTypes {
		replicas := int32(1)
		if nt.Replicas != nil {
			replicas = *nt.Replicas
		}
		fmt.Fprintf(&b, "  node type %s: %s of %s, %d replica(s)", nt.Name, nt.Workload, nt.Image, replicas)
		if nt.MinReplicas != nil {
			fmt.Fprintf(&b, " (at least %d)", *nt.MinReplicas)
		}
		if len(nt.Ports) > 0 {
			fmt.Fprintf(&b, ", ports %s", FormatPorts(nt.Ports))
		}
		if len(nt.Storage) > 0 {
			fmt.Fprintf(&b, ", storage %s", FormatStorage(nt.Storage))
		}
		if len(nt.ConfigFiles) > 0 {
			fmt.Fprintf(&b, ", config %s", strings.Join(nt.ConfigFiles, ", "))
		}
		if len(nt.HealthGates) > 0 {
			var gates []string
			for _, g := range nt.HealthGates {
				gates = append(gates, g.Name+" (GET "+g.Path+" on "+g.Port+")")
			}
			fmt.Fprintf(&b, ", health gates %s", strings.Join(gates, ", "))
		}
		if r := nt.ClaimRetention; r != nil && r.WhenScaled == model.ClaimDelete {
			b.WriteString(", claims deleted on scale-down")
		}
		if d := nt.Decommission; d != nil && d.Start != nil && d.Check != nil {
			fmt.Fprintf(&b, ", drains pods (%s %s, then GET %s on %s)", d.Start.Method, d.Start.Path, d.Check.Path, d.Port)
		}
		b.WriteString("\n")
	}
	for _, cf := range app.Spec.ConfigFiles {
		fmt.Fprintf(&b, "  config file %s: %s/%s (%s)\n", cf.Name, cf.MountPath, cf.FileName, cf.Format)
	}
	for _, dep := range app.Spec.Dependencies {
		var fields []string
		for _, f := range dep.Fields {
			fields = append(fields, f.Name+" "+f.Type)
		}
		fmt.Fprintf(&b, "  dependency %s: %s\n", dep.Name, strings.Join(fields, ", "))
	}
	fmt.Fprintf(&b, "  deployment order: %s; install %s, upgrade %s; autoscaling %t\n",
		FormatOrder(app.Spec.DeploymentOrder), app.Spec.Rollout.Install, app.Spec.Rollout.Upgrade, app.Spec.Autoscaling)
	return b.String()
}
