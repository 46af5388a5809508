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

// Package gate owns the admission decision: a request is parsed once into a
// facts.Request, its facts are built from the index in one pass, the engine
// (the Rego policies) decides, and an admitted change is recorded so that
// change-velocity and the deletion breaker see it. The webhook handler in
// controllers/webhook and `wavegate check` both call Judge; neither decides
// anything of its own.
//
// Subpackages: facts (the index and the policy input), engine (OPA),
// records (change records) and webhookconfig (which requests the API server
// sends to the gate at all).
package gate
