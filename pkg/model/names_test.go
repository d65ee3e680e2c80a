package model

import (
	"go/token"
	"testing"
)

func TestGoName(t *testing.T) {
	tests := map[string]string{
		"middle-manager":  "MiddleManager",
		"middleManager":   "MiddleManager",
		"zkAddress":       "ZkAddress",
		"controller-conf": "ControllerConf",
		"broker":          "Broker",
		"connectURI":      "ConnectURI",
		"s3-store":        "S3Store",
		"a--b":            "AB",
		"snake_case.name": "SnakeCaseName",
		"":                "",
	}
	for in, want := range tests {
		if got := GoName(in); got != want {
			t.Errorf("GoName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestLowerCamel(t *testing.T) {
	tests := map[string]string{
		"controller-conf": "controllerConf",
		"middleManager":   "middleManager",
		"middle-manager":  "middleManager",
		"zkAddress":       "zkAddress",
		"broker":          "broker",
		"s3-store":        "s3Store",
		"":                "",
	}
	for in, want := range tests {
		if got := LowerCamel(in); got != want {
			t.Errorf("LowerCamel(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestKubeName(t *testing.T) {
	tests := map[string]string{
		"middleManager":   "middle-manager",
		"middle-manager":  "middle-manager",
		"zkAddress":       "zk-address",
		"connectURI":      "connect-uri",
		"uriPathName":     "uri-path-name",
		"httpURLPath":     "http-url-path",
		"s3Bucket":        "s3-bucket",
		"broker":          "broker",
		"controller-conf": "controller-conf",
		"snake_case":      "snake-case",
		"":                "",
	}
	for in, want := range tests {
		if got := KubeName(in); got != want {
			t.Errorf("KubeName(%q) = %q, want %q", in, got, want)
		}
	}
}

// Every name that passes validation must give valid Go identifiers.
func TestNamesGiveIdentifiers(t *testing.T) {
	for _, name := range []string{"middleManager", "a-b-c", "s3", "x1-y2", "zkAddress"} {
		var ps Problems
		if !checkName(&ps, "n", name, dnsOrCamel) {
			t.Fatalf("%q rejected: %v", name, ps)
		}
		for _, id := range []string{GoName(name), LowerCamel(name)} {
			if !token.IsIdentifier(id) {
				t.Errorf("%q gives %q, not a Go identifier", name, id)
			}
		}
	}
}

func TestSuggest(t *testing.T) {
	known := []string{"name", "workload", "image", "ports", "storage", "configFiles"}
	tests := map[string]string{
		"prots":       "ports",
		"imgae":       "image",
		"Workload":    "workload",
		"configfiles": "configFiles",
		"storge":      "storage",
		"zzz":         "",
		"env":         "",
	}
	for in, want := range tests {
		if got := suggest(in, known); got != want {
			t.Errorf("suggest(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestEditDistance(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"abc", "", 3}, {"", "ab", 2}, {"ports", "prots", 1},
		{"kitten", "sitting", 3}, {"same", "same", 0}, {"ab", "ba", 1},
	}
	for _, tc := range tests {
		if got := editDistance(tc.a, tc.b); got != tc.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}
