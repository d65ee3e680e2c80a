package upgrade

import (
	"slices"
	"strings"
	"testing"

	"github.com/dsoi-gen/dsoi-gen/pkg/examples"
	"github.com/dsoi-gen/dsoi-gen/pkg/model"
)

func example(t *testing.T, name string) *model.Application {
	t.Helper()
	app, err := examples.Load(name)
	if err != nil {
		t.Fatal(err)
	}
	return app
}

func TestBreakingChanges(t *testing.T) {
	cases := []struct {
		name   string
		change func(a *model.Application)
		want   []string
	}{
		{"nothing", func(a *model.Application) {}, nil},
		{"a new optional dependency and node type", func(a *model.Application) {
			a.Spec.Dependencies = append(a.Spec.Dependencies, model.Dependency{Name: "kafka", Fields: []model.Field{{Name: "brokers", Type: model.FieldString}}})
			a.Spec.NodeTypes = append(a.Spec.NodeTypes, model.NodeType{Name: "extra", Workload: model.Deployment})
		}, nil},
		{"removed node type", func(a *model.Application) { a.Spec.NodeTypes = a.Spec.NodeTypes[1:] },
			[]string{"node type controller is removed"}},
		{"workload kind", func(a *model.Application) { a.Spec.NodeTypes[1].Workload = model.Deployment },
			[]string{"node type broker changes from a StatefulSet to a Deployment"}},
		{"kind", func(a *model.Application) { a.Spec.Operator.Kind = "PinotCluster" },
			[]string{"the custom resource changes from Pinot (datainfra.io) to PinotCluster (datainfra.io)"}},
		{"removed dependency", func(a *model.Application) { a.Spec.Dependencies = nil },
			[]string{"dependency zookeeper is removed"}},
		{"renamed field", func(a *model.Application) { a.Spec.Dependencies[0].Fields[0].Name = "connect" },
			[]string{"field zookeeper.zkAddress is renamed to connect", "field zookeeper.connect is new and required"}},
		{"retyped field", func(a *model.Application) { a.Spec.Dependencies[0].Fields[0].Type = model.FieldInt },
			[]string{"field zookeeper.zkAddress changes type from string to int"}},
		{"new required dependency", func(a *model.Application) {
			a.Spec.Dependencies = append(a.Spec.Dependencies, model.Dependency{Name: "kafka", Required: true})
		}, []string{"dependency kafka is new and required"}},
		{"removed config file", func(a *model.Application) { a.Spec.ConfigFiles = a.Spec.ConfigFiles[1:] },
			[]string{"config file controller-conf is removed"}},
		{"a new floor", func(a *model.Application) { three := int32(3); a.Spec.NodeTypes[1].MinReplicas = &three },
			[]string{"node type broker needs at least 3 replicas (minReplicas, was 0)"}},
		{"claims deleted on scale-down", func(a *model.Application) {
			a.Spec.NodeTypes[0].ClaimRetention = &model.ClaimRetention{WhenScaled: model.ClaimDelete, WhenDeleted: model.ClaimRetain}
		}, []string{"node type controller now deletes the claims of the pods a scale-down removes"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			old, next := example(t, "pinot"), example(t, "pinot")
			c.change(next)
			got := breakingChanges(old, next)
			if len(got) != len(c.want) {
				t.Fatalf("got %d breaking changes, want %d:\n%s", len(got), len(c.want), strings.Join(got, "\n"))
			}
			for i, want := range c.want {
				if !strings.HasPrefix(got[i], want) {
					t.Errorf("change %d = %q, want it to start with %q", i, got[i], want)
				}
			}
		})
	}
}

func TestKeepServing(t *testing.T) {
	old := example(t, "pinot") // v1beta1
	next := example(t, "pinot")
	next.Spec.Operator.Version = "v1"

	app, notes, err := keepServing(old, next, nil)
	if err != nil || !slices.Equal(app.Spec.Operator.PreviousVersions, []string{"v1beta1"}) || len(notes) != 1 {
		t.Fatalf("version change: previousVersions %v, notes %v, err %v; want v1beta1 kept served and one note", app.Spec.Operator.PreviousVersions, notes, err)
	}
	if next.Spec.Operator.PreviousVersions != nil {
		t.Error("keepServing changed the caller's description")
	}

	// The next upgrade, from a description that does not list previousVersions, keeps them.
	again, notes, err := keepServing(app, next, nil)
	if err != nil || !slices.Equal(again.Spec.Operator.PreviousVersions, []string{"v1beta1"}) || notes != nil {
		t.Fatalf("same version again: previousVersions %v, notes %v, err %v", again.Spec.Operator.PreviousVersions, notes, err)
	}
	// Stopping is explicit, and reported as breaking by breakingChanges.
	stopped, _, err := keepServing(app, next, []string{"v1beta1"})
	if err != nil || stopped.Spec.Operator.PreviousVersions != nil {
		t.Fatalf("--stop-serving v1beta1: previousVersions %v, err %v", stopped.Spec.Operator.PreviousVersions, err)
	}
	if got := breakingChanges(app, stopped); len(got) != 1 || !strings.HasPrefix(got[0], "the CRD version v1beta1 is no longer served") {
		t.Errorf("breaking changes after stopping v1beta1: %v", got)
	}
	if _, _, err := keepServing(app, next, []string{"v2"}); err == nil || !strings.Contains(err.Error(), "--stop-serving v2: not an earlier version this project serves (earlier versions: [v1beta1])") {
		t.Errorf("--stop-serving an unknown version: err = %v", err)
	}
}
