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

// Package histories holds the property tests of Wavegate's promise
// (docs/spec.md §11): generated, adversarial histories of requests go
// through the real decision path (the gate's facts, its Rego and its change
// records, as `wavegate check` runs them) on a simulated clock, and every
// request it admits is handed to the invariant checker of `wavegate audit`,
// which is written from §11 alone and shares no code with the rules. A
// violation fails the test with the shrunk history. The other side is
// checked too: a change that follows the plan is always admitted, and
// Kubernetes' own traffic is never denied.
//
// `make test` runs a short search (30 histories a property); `make invariants` runs it for minutes
// (INVARIANTS_CHECKS).
package histories
