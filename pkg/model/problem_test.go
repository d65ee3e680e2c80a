package model

import (
	"errors"
	"testing"
)

func TestProblemError(t *testing.T) {
	tests := []struct {
		p    Problem
		want string
	}{
		{Problem{File: "pinot.yaml", Line: 12, Field: "spec.nodeTypes[1].name", Message: `duplicate node type "broker"`}, `pinot.yaml:12: spec.nodeTypes[1].name: duplicate node type "broker"`},
		{Problem{File: "pinot.yaml", Field: "spec.nodeTypes", Message: "m"}, "pinot.yaml: spec.nodeTypes: m"},
		{Problem{File: "pinot.yaml", Line: 3, Message: "m"}, "pinot.yaml:3: m"},
		{Problem{File: "pinot.yaml", Message: "m"}, "pinot.yaml: m"},
		{Problem{Line: 3, Field: "kind", Message: "m"}, "line 3: kind: m"},
		{Problem{Field: "kind", Message: "m"}, "kind: m"},
		{Problem{Message: "m"}, "m"},
	}
	for _, tc := range tests {
		if got := tc.p.Error(); got != tc.want {
			t.Errorf("Error() = %q, want %q", got, tc.want)
		}
	}
}

func TestProblemsSortAndError(t *testing.T) {
	ps := Problems{
		{File: "a.yaml", Line: 9, Field: "b", Message: "x"},
		{File: "a.yaml", Line: 2, Field: "spec.nodeTypes[10].name", Message: "x"},
		{File: "a.yaml", Line: 2, Field: "spec.nodeTypes[2].name", Message: "y"},
		{File: "a.yaml", Line: 2, Field: "spec.nodeTypes[2].name", Message: "x"},
		{File: "a.yaml", Line: 0, Field: "z", Message: "x"},
	}
	ps.Sort()
	want := "a.yaml: z: x\n" +
		"a.yaml:2: spec.nodeTypes[2].name: x\n" +
		"a.yaml:2: spec.nodeTypes[2].name: y\n" +
		"a.yaml:2: spec.nodeTypes[10].name: x\n" +
		"a.yaml:9: b: x"
	if got := ps.Error(); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
	var err error = ps
	var back Problems
	if !errors.As(err, &back) || len(back) != 5 {
		t.Errorf("Problems does not round-trip through error")
	}
}

func TestComparePaths(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"a[2]", "a[10]", -1}, {"a[10]", "a[2]", 1}, {"a[2].b", "a[2].b", 0},
		{"a", "a.b", -1}, {"spec.x", "spec.a", 1}, {"a1b", "a01c", -1},
	}
	for _, tc := range tests {
		if got := comparePaths(tc.a, tc.b); got != tc.want {
			t.Errorf("comparePaths(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}
