package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"sigs.k8s.io/kubebuilder/v4/pkg/plugin/external"
)

func TestKubebuilderExternalAnswersOnStdout(t *testing.T) {
	cmd := newRootCommand()
	var out, errOut bytes.Buffer
	cmd.SetIn(strings.NewReader(`{"apiVersion":"v1alpha1","command":"flags","args":["--init"],"universe":{}}`))
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	cmd.SetArgs([]string{"kubebuilder", "external"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	var res external.PluginResponse
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		t.Fatalf("stdout is not one JSON response: %v\n%s", err, out.String())
	}
	if res.Error || len(res.Flags) != 3 || errOut.Len() > 0 {
		t.Fatalf("flags of init: %+v, stderr %q", res, errOut.String())
	}
}

func TestKubebuilderInstallRefusesATemporaryBinary(t *testing.T) {
	// The test binary lives in a go-build folder, like a `go run` one.
	_, err := run(t, "kubebuilder", "install", "--plugins-root", t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "temporary build") {
		t.Fatalf("got %v, want a refusal to install a binary that will be deleted", err)
	}
}
