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

// Package facts keeps the cluster facts the admission gate decides on, and
// builds the policy input for one request from them. The Index is fed by
// informer event handlers, so the hot path makes no API call, and it is
// indexed so that a request reads only what it can touch: its regions and
// their pairs, the freezes covering them, the rollouts it requires and the
// policies of its requester.
package facts
