package dsoi

import (
	"slices"
	"strings"
	"testing"
)

func TestConfigHash(t *testing.T) {
	// hash returns the config hash of the controller node set after edit.
	hash := func(t *testing.T, edit func(c *Cluster)) string {
		t.Helper()
		c := testCluster("ns1")
		if edit != nil {
			edit(c)
		}
		h, err := ConfigHash(c, &c.NodeSets[0])
		if err != nil {
			t.Fatalf("ConfigHash: %v", err)
		}
		return h
	}
	base := hash(t, nil)
	if len(base) != 16 {
		t.Fatalf("hash %q, want 16 hex characters", base)
	}

	tests := map[string]struct {
		edit    func(c *Cluster)
		changes bool
	}{
		"mounted file content changes": {
			edit:    func(c *Cluster) { c.ConfigMaps[0].Data["controller.conf"] = "controller.port=9001\n" },
			changes: true,
		},
		"file of another ConfigMap changes": {
			edit:    func(c *Cluster) { c.ConfigMaps[1].Data["log4j2.xml"] = "<Configuration status=\"warn\"/>\n" },
			changes: true,
		},
		"file moves to another directory": {
			edit:    func(c *Cluster) { c.NodeSets[0].Files[0].MountPath = "/opt/config" },
			changes: true,
		},
		"unmounted key of the same ConfigMap changes": {
			edit: func(c *Cluster) { c.ConfigMaps[0].Data["unused.conf"] = "x=2\n" },
		},
		"unmounted key is added": {
			edit: func(c *Cluster) { c.ConfigMaps[0].Data["new.conf"] = "y=1\n" },
		},
		"unrelated ConfigMap is added": {
			edit: func(c *Cluster) {
				c.ConfigMaps = append(c.ConfigMaps, ConfigMap{Name: "x", Data: map[string]string{"a": "b"}})
			},
		},
		"files listed in another order": {
			edit: func(c *Cluster) { slices.Reverse(c.NodeSets[0].Files) },
		},
		"ConfigMaps listed in another order": {
			edit: func(c *Cluster) { slices.Reverse(c.ConfigMaps) },
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			got := hash(t, tt.edit)
			if changed := got != base; changed != tt.changes {
				t.Errorf("hash %s -> %s: changed = %v, want %v", base, got, changed, tt.changes)
			}
		})
	}
}

// One key mounted at two places: the order of the files must still not matter.
func TestConfigHashSameKeyTwice(t *testing.T) {
	c := testCluster("ns1")
	ns := &c.NodeSets[0]
	ns.Files = []File{
		{ConfigMap: "basic-common", Key: "log4j2.xml", FileName: "log4j2.xml", MountPath: "/var/pinot/config"},
		{ConfigMap: "basic-common", Key: "log4j2.xml", FileName: "log4j2.xml", MountPath: "/var/pinot/tools"},
		{ConfigMap: "basic-common", Key: "log4j2.xml", FileName: "log4j2-copy.xml", MountPath: "/var/pinot/config"},
	}
	first, err := ConfigHash(c, ns)
	if err != nil {
		t.Fatal(err)
	}
	for _, order := range [][]int{{0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0}} {
		files := ns.Files
		permuted := NodeSet{Name: ns.Name, Files: []File{files[order[0]], files[order[1]], files[order[2]]}}
		got, err := ConfigHash(c, &permuted)
		if err != nil {
			t.Fatal(err)
		}
		if got != first {
			t.Errorf("files in order %v hash to %s, in the original order to %s", order, got, first)
		}
	}
}

func TestConfigHashErrorsAndEmpty(t *testing.T) {
	c := testCluster("ns1")
	ns := &c.NodeSets[0]
	ns.Files = append(ns.Files, File{ConfigMap: "basic-common", Key: "missing.xml", FileName: "missing.xml", MountPath: "/etc"})
	if h, err := ConfigHash(c, ns); err == nil || !strings.Contains(err.Error(), `"missing.xml"`) || !strings.Contains(err.Error(), `"basic-common"`) {
		t.Errorf("missing key: hash %q, error %v; want an error naming the ConfigMap and key", h, err)
	}
	ns.Files = []File{{ConfigMap: "no-such-configmap", Key: "a", FileName: "a", MountPath: "/etc"}}
	if h, err := ConfigHash(c, ns); err == nil {
		t.Errorf("missing ConfigMap: hash %q, want an error", h)
	}
	ns.Files = nil
	if h, err := ConfigHash(c, ns); err != nil || h != "" {
		t.Errorf("no files: hash %q, error %v; want empty and no error", h, err)
	}
}
