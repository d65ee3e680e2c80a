package plugin

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"sigs.k8s.io/kubebuilder/v4/pkg/plugin/external"
)

// serve sends one request through ServeExternal, as kubebuilder does through stdin and stdout.
func serve(t *testing.T, req external.PluginRequest) external.PluginResponse {
	t.Helper()
	in, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := ServeExternal(context.Background(), bytes.NewReader(in), &out); err != nil {
		t.Fatal(err)
	}
	var res external.PluginResponse
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		t.Fatalf("the response is not JSON: %v\n%s", err, out.String())
	}
	if res.APIVersion != "v1alpha1" || res.Command != req.Command {
		t.Errorf("response header: %+v", res)
	}
	return res
}

func TestExternalDeclaresFlagsAndHelp(t *testing.T) {
	for sub, want := range map[string]string{"--init": "app,example,force", "--api": "app,force", "--edit": "allow-dirty,dry-run,stop-serving", "--webhook": ""} {
		res := serve(t, external.PluginRequest{APIVersion: "v1alpha1", Command: "flags", Args: []string{sub}})
		var names []string
		for _, f := range res.Flags {
			names = append(names, f.Name)
			if f.Usage == "" || (f.Name == "force" && (f.Type != "bool" || f.Default != "false")) {
				t.Errorf("%s: flag %+v", sub, f)
			}
		}
		if res.Error || strings.Join(names, ",") != want {
			t.Errorf("%s: flags %v (errors %v), want %s", sub, names, res.ErrorMsgs, want)
		}
		res = serve(t, external.PluginRequest{APIVersion: "v1alpha1", Command: "metadata", Args: []string{sub}})
		if res.Error || (sub != "--webhook" && (res.Metadata.Description == "" || !strings.Contains(res.Metadata.Examples, "kubebuilder "))) {
			t.Errorf("%s: metadata %+v (errors %v)", sub, res.Metadata, res.ErrorMsgs)
		}
	}
}

func TestExternalReportsErrorsInTheResponse(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	bad := badDescription(t, dir)
	for _, c := range []struct {
		req  external.PluginRequest
		want string
	}{
		{external.PluginRequest{Command: "init", Args: []string{"--app", bad}}, badProblem},
		{external.PluginRequest{Command: "init", Args: []string{"--app=" + bad, "--example", "druid"}}, "not both"},
		{external.PluginRequest{Command: "init", Args: []string{"--project-version", "3"}}, "no description"},
		{external.PluginRequest{Command: "edit"}, "PROJECT records dsoi.yaml"},
		{external.PluginRequest{Command: "create webhook"}, "its commands are init, create api and edit"},
	} {
		res := serve(t, c.req)
		if !res.Error || len(res.Universe) > 0 || !strings.Contains(strings.Join(res.ErrorMsgs, "\n"), c.want) {
			t.Errorf("%s %v: got error=%v %q, want %q", c.req.Command, c.req.Args, res.Error, res.ErrorMsgs, c.want)
		}
	}
	var out bytes.Buffer
	if err := ServeExternal(context.Background(), strings.NewReader("not json"), &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), `"error":true`) || !strings.Contains(out.String(), "cannot read Kubebuilder's request") {
		t.Errorf("a broken request: %s", out.String())
	}
}

// TestExternalReturnsOnlyItsFiles checks the known trap: Kubebuilder sends the whole working
// directory, binary files included (already mangled into JSON strings); the plugin must send
// back only the files it writes.
func TestExternalReturnsOnlyItsFiles(t *testing.T) {
	skipShort(t)
	t.Chdir(t.TempDir())
	binary := []byte{0x89, 'P', 'N', 'G', 0xff, 0xfe, 0x00}
	if err := os.WriteFile("logo.png", binary, 0o644); err != nil {
		t.Fatal(err)
	}
	res := serve(t, external.PluginRequest{
		APIVersion: "v1alpha1",
		Command:    "init",
		Args:       []string{"--example", "parseable"},
		Universe:   map[string]string{"logo.png": string(binary)},
		Config:     map[string]any{"version": "3", "layout": []string{Key}},
	})
	if res.Error {
		t.Fatal(res.ErrorMsgs)
	}
	if _, ok := res.Universe["logo.png"]; ok {
		t.Error("the response echoes a file the plugin did not write")
	}
	if _, ok := res.Universe["PROJECT"]; ok {
		t.Error("the response writes PROJECT, which kubebuilder refuses at init")
	}
	if _, ok := res.Universe["api/v1alpha1/parseable_types.go"]; !ok || len(res.Universe) < 30 {
		t.Errorf("the response lacks the project: %d files", len(res.Universe))
	}
}

func TestUniverseRefusesBinaryFiles(t *testing.T) {
	_, err := universe(map[string][]byte{"ok.txt": []byte("ok"), "logo.png": {0xff, 0xfe}})
	if err == nil || !strings.Contains(err.Error(), "logo.png is not UTF-8") {
		t.Fatalf("got %v", err)
	}
}
