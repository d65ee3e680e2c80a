package dsoi

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

func crAt(name, rv string) *corev1.ConfigMap {
	return &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: name, ResourceVersion: rv}}
}

func TestOwnWritesHoldsBackOnlyOlderReads(t *testing.T) {
	var w OwnWrites
	if w.Stale(crAt("a", "5")) {
		t.Fatal("a CR never written is stale")
	}
	w.Wrote(crAt("a", "100"))
	for _, rv := range []string{"99", "9", "10"} { // numeric order, not string order
		if !w.Stale(crAt("a", rv)) {
			t.Errorf("read at %s after a write at 100: not stale", rv)
		}
	}
	if w.Stale(crAt("b", "1")) {
		t.Error("another CR is stale")
	}
	if w.Stale(crAt("a", "100")) {
		t.Error("read at the written version: stale")
	}
	// Caught up: the record is gone, so a later read is never held back by it.
	if w.Stale(crAt("a", "99")) {
		t.Error("record kept after the cache caught up")
	}
	w.Wrote(crAt("a", "200"))
	if w.Stale(crAt("a", "250")) {
		t.Error("read newer than the write (someone else wrote since): stale")
	}
	if len(w.last) != 0 {
		t.Errorf("records left: %v", w.last)
	}
}

// A resourceVersion that is not a number (a storage other than etcd) never holds a CR back:
// the status write's optimistic lock still guards it.
func TestOwnWritesNeverHoldsBackUncomparableVersions(t *testing.T) {
	var w OwnWrites
	w.Wrote(crAt("a", "abc"))
	if w.Stale(crAt("a", "abd")) {
		t.Error("uncomparable versions: stale")
	}
	w.Wrote(crAt("a", "100"))
	w.Forget(types.NamespacedName{Namespace: "ns", Name: "a"})
	if w.Stale(crAt("a", "1")) {
		t.Error("forgotten CR: stale")
	}
}
