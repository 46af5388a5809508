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

// Package webhook holds the typed validating webhooks for Wavegate's own
// kinds. OpenAPI and CEL in the CRDs reject everything that needs only the
// object itself; these validators add the rules that need other objects: the
// region inventory, the wave plans and the other rollouts.
//
// They read through an uncached reader on purpose: writes to Wavegate's own
// kinds are rare, and a stale cache would deny a plan whose regions were
// created a moment before.
package webhook
