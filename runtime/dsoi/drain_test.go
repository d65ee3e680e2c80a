package dsoi

import "testing"

func TestPodOrdinal(t *testing.T) {
	for pod, want := range map[string]int32{"db-data-0": 0, "db-data-12": 12} {
		if got, ok := podOrdinal("db-data", pod); !ok || got != want {
			t.Errorf("podOrdinal(%s) = %d, %v; want %d", pod, got, ok, want)
		}
	}
	// Not a pod of that StatefulSet: a drain recorded for it counts as finished, never as
	// a pod to drain again.
	for _, pod := range []string{"db-data", "db-data-", "db-data-01", "db-data-x", "db-0", "db-data-2-1", "db-data-99999999999"} {
		if got, ok := podOrdinal("db-data", pod); ok {
			t.Errorf("podOrdinal(%s) = %d, want none", pod, got)
		}
	}
}
