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

// Package propagation holds the Freeze propagation benchmark (SPEC §7): a
// Freeze to the first denied change, and to 1,000 ConfigRollouts Paused,
// against a real API server with Wavegate's webhooks and controllers.
//
// It is a package of its own because it runs the manager as it ships: the
// Freeze controller's integration tests look at rollouts again every 100 ms
// so that a moved test clock is read at once, and a thousand rollouts doing
// that would keep the controller busy with work a deployed manager never
// does (it looks again every 30 s at most).
package propagation
