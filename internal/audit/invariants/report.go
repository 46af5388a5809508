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

package invariants

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Property is one of the safety invariants of docs/spec.md §11.
type Property string

// The properties.
const (
	// S1 Progressive exposure: a change enters regions wave by wave, after bake.
	S1 Property = "S1"
	// S2 Freeze: nothing is admitted in a region covered by an active Freeze.
	S2 Property = "S2"
	// S3 Deletion safety: automation deletes only what is tagged deletable.
	S3 Property = "S3"
	// S4 Prerequisites: a change waits for the rollouts it requires.
	S4 Property = "S4"
	// S5 Unknown is not safe: a gated request names only known regions.
	S5 Property = "S5"
	// S6 The emergency switch holds: an active Freeze is not weakened.
	S6 Property = "S6"
)

// Properties lists every property, in order.
var Properties = []Property{S1, S2, S3, S4, S5, S6}

// Rules of docs/spec.md §4 that should have denied a violation. A Freeze
// weakened in place (S6) is the freeze rule too: the ValidatingAdmissionPolicy
// of docs/spec.md §8 denies it as [wavegate:freeze].
const (
	RuleChangeVelocity  = "change-velocity"
	RuleMultiRegion     = "multi-region"
	RuleFreeze          = "freeze"
	RuleProtectedDelete = "protected-delete"
	RuleRequires        = "requires"
	RuleUnknownRegion   = "unknown-region"
)

// VerbState is the verb of a Request that stands for an object of the
// initial state.
const VerbState = "state"

// Request is one request of the history, as a report names it.
type Request struct {
	// Time is when the API server received it.
	Time time.Time `json:"time"`
	// User is the requester; empty for an object of the initial state.
	User string `json:"user,omitempty"`
	// Verb is the audit verb; "state" for an object of the initial state.
	Verb string `json:"verb"`
	// Object is "Kind namespace/name", or "Kind name" when cluster-scoped.
	Object string `json:"object"`
	// Regions are the regions the request touched, as the property reads them.
	Regions []string `json:"regions,omitempty"`
	// AuditID is the API server's id of the request.
	AuditID string `json:"auditID,omitempty"`
	// Source and Line say where the request was read: the log and its line.
	Source string `json:"source,omitempty"`
	Line   int    `json:"line,omitempty"`
}

// Where is "file:line", or "" for a request built in memory.
func (r Request) Where() string {
	if r.Source == "" {
		return ""
	}
	return r.Source + ":" + strconv.Itoa(r.Line)
}

func (r Request) String() string {
	var b strings.Builder
	switch {
	case r.Verb == VerbState:
		b.WriteString("(the state file) " + r.Object)
		return b.String()
	case r.Time.IsZero():
		b.WriteString("(before the log)")
	default:
		b.WriteString(r.Time.UTC().Format(time.RFC3339Nano))
	}
	for _, part := range []string{r.User, r.Verb, r.Object} {
		if part != "" {
			b.WriteString(" " + part)
		}
	}
	if len(r.Regions) > 0 {
		b.WriteString(" (" + strings.Join(r.Regions, ", ") + ")")
	}
	return b.String()
}

// Earlier is an earlier request that makes a request a violation: the
// change's entry into a region, the Freeze's create, the write that left an
// object protected.
type Earlier struct {
	Request
	// Region is the region the earlier request is about, if any.
	Region string `json:"region,omitempty"`
	// What says what the earlier request did that matters here.
	What string `json:"what"`
}

func (e Earlier) String() string {
	return e.Request.String() + ": " + e.What
}

// Violation is an admitted request that breaks a property.
type Violation struct {
	// Property is the broken invariant, S1 to S6.
	Property Property `json:"property"`
	// Rule is the rule of docs/spec.md §4 that should have denied the request.
	Rule string `json:"rule"`
	// Request is the admitted request.
	Request Request `json:"request"`
	// Earlier are the earlier requests that make it a violation.
	Earlier []Earlier `json:"earlier,omitempty"`
	// Explanation says in one line what is wrong.
	Explanation string `json:"explanation"`
	// Clauses are the clauses of S1 the request breaks (ClauseWavesGoDown
	// and the others); empty for the other properties.
	Clauses []string `json:"clauses,omitempty"`
}

// The clauses of S1 (docs/spec.md §11), as Violation.Clauses names them.
const (
	// ClauseWavesGoDown (a): a region of an earlier wave than one reached.
	ClauseWavesGoDown = "a: waves go down"
	// ClauseWaveNotBaked (b): a later wave before the highest reached wave baked.
	ClauseWaveNotBaked = "b: next wave before bake"
	// ClauseCanaryNotBaked (c): another region before a canary outside the first wave baked.
	ClauseCanaryNotBaked = "c: canary not baked"
	// ClausePairNotBaked (d): the failover pair of a region entered less than its bake ago.
	ClausePairNotBaked = "d: failover pair within bake"
	// ClauseAtOnce (e): a failover pair, two waves, or several first regions outside the first wave at once.
	ClauseAtOnce = "e: at once"
	// ClauseNoPlan: no plan, and a second region within the hour or several at once.
	ClauseNoPlan = "no plan"
)

func (v Violation) String() string {
	return fmt.Sprintf("%s %s: %s: %s", v.Property, v.Rule, v.Request, v.Explanation)
}

// BreakGlass is an admission that a property allows only because the
// requester broke the glass (or, for a revert, because the Freeze allows
// it); it is listed apart, never as a violation.
type BreakGlass struct {
	// Property is the invariant the request was exempt from.
	Property Property `json:"property"`
	// Rule is the rule it passed.
	Rule string `json:"rule"`
	// Request is the admitted request.
	Request Request `json:"request"`
	// Freeze names the Freeze it passed, for S2 and S6.
	Freeze string `json:"freeze,omitempty"`
	// Object is what it would otherwise have violated: the protected object
	// it deleted (S3), the Freeze it edited (S6).
	Object string `json:"object,omitempty"`
	// Why says what let it through: the group or exemption, and the gate's
	// own audit annotation when the log has one.
	Why string `json:"why"`
	// Explanation is what would have been the violation.
	Explanation string `json:"explanation"`
}

func (b BreakGlass) String() string {
	what := b.Freeze
	if what == "" {
		what = b.Object
	}
	return fmt.Sprintf("%s %s past %s: %s; %s", b.Property, b.Request, what, b.Why, b.Explanation)
}

// Note is a request the Checker could not judge completely, and why.
type Note struct {
	// Request is the request.
	Request Request `json:"request"`
	// Reason says what could not be judged, such as "unverifiable: not seen
	// before".
	Reason string `json:"reason"`
}

func (n Note) String() string { return n.Request.String() + ": " + n.Reason }

// Summary counts what the Checker saw.
type Summary struct {
	// Events counts every event added.
	Events int `json:"events"`
	// Judged counts the admitted requests judged against the properties.
	Judged int `json:"judged"`
	// Denied counts the requests the API server did not admit.
	Denied int `json:"denied"`
	// Violations counts the violations per property.
	Violations map[Property]int `json:"violations"`
	// BreakGlass counts the break-glass admissions.
	BreakGlass int `json:"breakGlass"`
	// Notes counts the notes per reason, including those not kept.
	Notes map[string]int `json:"notes,omitempty"`
}

// Total is the number of violations.
func (s Summary) Total() int {
	n := 0
	for _, c := range s.Violations {
		n += c
	}
	return n
}
