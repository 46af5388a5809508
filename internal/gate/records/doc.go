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

// Package records stores what the admission gate admitted (the regions a
// change entered, the deletions of an automation) as ChangeRecords in the API
// server, shared by every webhook replica. Writes use optimistic concurrency:
// a write based on a version another replica has already replaced fails with
// ErrConflict, and the gate decides again on the fresh record. So two
// replicas racing on the same change can never both admit a violation.
package records
