package scaffold

import (
	"strings"
	"testing"
)

// The owner line of the license header ends with exactly one period, whatever the owner.
func TestApacheHeaderOwnerLine(t *testing.T) {
	for owner, want := range map[string]string{
		"":          "Copyright the project authors.",
		"Acme":      "Copyright Acme.",
		"Acme Inc.": "Copyright Acme Inc.",
		"Acme, Inc": "Copyright Acme, Inc.",
	} {
		if got, _, _ := strings.Cut(apacheHeader(owner), "\n"); got != want {
			t.Errorf("owner %q: first line %q, want %q", owner, got, want)
		}
	}
}
