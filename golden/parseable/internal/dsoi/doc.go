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

// Package dsoi is the lifecycle library shared by operators generated with dsoi-gen.
//
// A generated controller turns its custom resource into a list of NodeSets (one per entry of
// spec.nodes) and hands them to this package, which builds the Kubernetes objects (ConfigMaps,
// Services, StatefulSets or Deployments, PodDisruptionBudgets), applies them without needless
// writes, and reports how far each node set has rolled out.
//
// dsoi-gen copies this package verbatim into every generated project; edit it in dsoi-gen.
package dsoi
