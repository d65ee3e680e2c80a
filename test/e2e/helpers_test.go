package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// These run without a cluster: they check the helpers the end-to-end test relies on.

func TestWithTag(t *testing.T) {
	for _, c := range []struct{ image, tag, want, oldTag string }{
		{"apachepinot/pinot:1.2.0", "crash", "apachepinot/pinot:crash", "1.2.0"},
		{"registry:5000/team/app", "next", "registry:5000/team/app:next", "latest"},
		{"app:v1", "v1-next", "app:v1-next", "v1"},
	} {
		if got := withTag(c.image, c.tag); got != c.want {
			t.Errorf("withTag(%q, %q) = %q, want %q", c.image, c.tag, got, c.want)
		}
		if got := tagOf(c.image); got != c.oldTag {
			t.Errorf("tagOf(%q) = %q, want %q", c.image, got, c.oldTag)
		}
	}
}

func TestLowerCamel(t *testing.T) {
	for in, want := range map[string]string{"controller-conf": "controllerConf", "middle-manager-runtime": "middleManagerRuntime",
		"coordinator-log4j2": "coordinatorLog4j2", "metadataStore": "metadataStore", "common_runtime": "commonRuntime"} {
		if got := lowerCamel(in); got != want {
			t.Errorf("lowerCamel(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCountRequests(t *testing.T) {
	log := `{"stage":"ResponseComplete","verb":"update","userAgent":"manager/v0.0.0 (linux/amd64) kubernetes/$Format","objectRef":{"resource":"statefulsets"},"requestReceivedTimestamp":"2026-01-01T00:00:01.000000Z","responseStatus":{"code":200}}
{"stage":"ResponseComplete","verb":"update","userAgent":"manager/v0.0.0","objectRef":{"resource":"pinots","subresource":"status"},"requestReceivedTimestamp":"2026-01-01T00:00:02.000000Z","responseStatus":{"code":409}}
{"stage":"ResponseStarted","verb":"watch","userAgent":"manager/v0.0.0","objectRef":{"resource":"pods"},"requestReceivedTimestamp":"2026-01-01T00:00:03.000000Z"}
{"stage":"ResponseComplete","verb":"watch","userAgent":"manager/v0.0.0","objectRef":{"resource":"pods"},"requestReceivedTimestamp":"2026-01-01T00:00:03.000000Z"}
{"stage":"ResponseComplete","verb":"get","userAgent":"kube-controller-manager/v1.37.2","objectRef":{"resource":"pods"},"requestReceivedTimestamp":"2026-01-01T00:00:04.000000Z"}
{"stage":"ResponseComplete","verb":"create","userAgent":"manager/v0.0.0","objectRef":{"resource":"events"},"requestReceivedTimestamp":"2026-01-01T00:01:00.000000Z"}
`
	path := filepath.Join(t.TempDir(), "audit.log")
	if err := os.WriteFile(path, []byte(log), 0o644); err != nil {
		t.Fatal(err)
	}
	from := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	r, err := countRequests(path, managerAgent, from, from.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	// The event at 00:01:00 is outside [from, from+1m); the watch counts once; kube-controller-manager not at all.
	if r.Writes != 2 || r.Conflicts != 1 || r.Reads != 1 || r.Detail["update pinots/status (409 Conflict)"] != 1 {
		t.Errorf("countRequests = %s, want 2 writes (1 conflict) and 1 read", r)
	}
	wantLog := []string{"2026-01-01T00:00:01Z update statefulsets  200", "2026-01-01T00:00:02Z update pinots/status (409 Conflict)  409"}
	if strings.Join(r.WriteLog, "\n") != strings.Join(wantLog, "\n") {
		t.Errorf("WriteLog = %q, want %q", r.WriteLog, wantLog)
	}
}
