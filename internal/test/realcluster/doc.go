/*
Copyright 2026 The Wavegate Authors.

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

// Package realcluster runs Wavegate the way users install it, on a real
// local cluster: kwokctl's binary runtime starts kube-apiserver, etcd,
// kube-controller-manager, kube-scheduler and kwok (fake nodes, one per
// region), all built from Go modules. Wavegate is installed from the rendered
// Helm chart (CRDs, RBAC, webhook configurations), and two or more manager
// processes run on the host with leader election, each with a token of the
// chart's ServiceAccount, never with admin credentials. A small TCP proxy
// stands in for the webhook Service: it sends each connection to a ready
// replica, as kube-proxy would.
//
// Every cluster's API server writes its audit log with the audit policy
// Wavegate ships (config/audit/policy.yaml), and every run ends with
// `wavegate audit` over it (Cluster.Audit, Regions.Audit): an admitted
// request that breaks a safety invariant of docs/spec.md §11 fails the run.
//
// The e2e suites (internal/test/e2e), `make demo` and `make dev` use it.
package realcluster
