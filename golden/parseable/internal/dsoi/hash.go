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
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
)

// ConfigHash hashes the contents of every config file mounted into a node set, looked up
// under the same ConfigMap name and key the pods mount, so the hash changes exactly when
// what the pods would read changes.
func ConfigHash(c *Cluster, ns *NodeSet) (string, error) {
	data := make(map[string]map[string]string, len(c.ConfigMaps))
	for _, cm := range c.ConfigMaps {
		data[cm.Name] = cm.Data
	}
	files := append([]File(nil), ns.Files...)
	sort.Slice(files, func(i, j int) bool {
		a, b := files[i], files[j]
		if a.ConfigMap != b.ConfigMap {
			return a.ConfigMap < b.ConfigMap
		}
		if a.Key != b.Key {
			return a.Key < b.Key
		}
		// One key may be mounted at several places: order those too, so the hash does
		// not depend on the order of the files.
		if a.MountPath != b.MountPath {
			return a.MountPath < b.MountPath
		}
		return a.FileName < b.FileName
	})
	if len(files) == 0 {
		return "", nil
	}
	h := sha256.New()
	for _, f := range files {
		content, ok := data[f.ConfigMap][f.Key]
		if !ok {
			return "", fmt.Errorf("node set %q: config file %q: ConfigMap %q has no key %q", ns.Name, f.FileName, f.ConfigMap, f.Key)
		}
		// Length-prefixed fields, so no two different inputs hash alike.
		fmt.Fprintf(h, "%d:%s%d:%s%d:%s%d:%s", len(f.ConfigMap), f.ConfigMap, len(f.Key), f.Key, len(f.MountPath+"/"+f.FileName), f.MountPath+"/"+f.FileName, len(content), content)
	}
	return hex.EncodeToString(h.Sum(nil))[:16], nil
}
