/*
Copyright Acme Inc.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

package dsoi

import (
	"sync"

	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/resourceversion"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// OwnWrites remembers, per custom resource (by namespace and name), the resourceVersion its own last write returned.
// controller-runtime's cache cannot read its own writes: a reconcile woken by a child's event
// a moment after a status write can read the CR as it was before that write. Acting on it
// would repeat what the status already records (a drain start, an event) and its own status
// write would be refused with 409 Conflict. With OwnWrites the reconcile waits instead: the
// watch event of the write is on its way and wakes it again.
//
// Resource versions compare as numbers (Kubernetes 1.35 made them comparable); where one
// does not, only equality is known and the CR is never held back.
type OwnWrites struct {
	mu   sync.Mutex
	last map[types.NamespacedName]string
}

// Wrote records the resourceVersion the API server gave obj in answer to a write.
func (w *OwnWrites) Wrote(obj client.Object) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.last == nil {
		w.last = map[types.NamespacedName]string{}
	}
	w.last[client.ObjectKeyFromObject(obj)] = obj.GetResourceVersion()
}

// Stale reports whether obj, as read from the cache, is older than the last write recorded
// for it. Once the cache has caught up the record is dropped, so an idle CR costs nothing.
func (w *OwnWrites) Stale(obj client.Object) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	key := client.ObjectKeyFromObject(obj)
	last, ok := w.last[key]
	if !ok {
		return false
	}
	if order, err := resourceversion.CompareResourceVersion(obj.GetResourceVersion(), last); err == nil && order < 0 {
		return true
	}
	delete(w.last, key)
	return false
}

// Forget drops the record of a CR that is gone. A CR made again under the same name is
// never held back by an old record: its resourceVersion is newer than any write before it.
func (w *OwnWrites) Forget(key types.NamespacedName) {
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(w.last, key)
}
