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

// Package invariants checks a history of admitted requests against the
// safety invariants of docs/spec.md §11 (S1–S6). It is written from the
// spec alone and imports nothing of the gate (no internal/gate, no policies,
// no OPA, no internal/regions), so that a bug in a rule cannot hide itself by
// living in the checker too.
//
// A Checker replays the history, one Event at a time in the order the API
// server completed them, into a small state of its own: Regions, WavePlans,
// Freezes, ConfigRollouts (with status), AutomationPolicies, Namespaces and,
// for every other object, only what the properties read (uid, region and
// protection labels, owner references, the hash of its configuration
// payload). It never keeps whole objects. An object the replay never saw is
// unknown: what depends on it is a Note, never a Violation.
//
// Time. A request is judged at the time the API server received it. The gate
// decides on its own clock, a few milliseconds later, so every comparison of
// a request's time with a deadline (a bake, the hour without a plan, a
// Freeze's expiry) is made at the request's time plus Options.Tolerance
// (default 1s): clock skew between the API server and the gate is never
// reported as a violation, and a violation is reported only when the request
// came at least Tolerance before the deadline.
//
// Change history. Which regions a change has reached is known from the
// history alone: the Checker does not read the gate's ChangeRecords, and what
// a change reached before the first event is unknown. A history that starts
// in the middle of a rollout can therefore miss a violation, never invent one.
package invariants
