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
	"slices"
	"sort"
	"strings"
	"time"

	wavegatev1alpha1 "github.com/wavegate/wavegate/api/v1alpha1"
)

// propagation is how long a new Freeze may take to hold every request
// (docs/spec.md §11 S6).
const propagation = time.Second

// freeze checks S2 for an admitted create, update, delete or scale of an
// object whose regions, by every reading, are v: no active Freeze created
// more than a second before the request covers any of them, unless the
// requester is exempt (then it is a break-glass admission).
func (c *Checker) freeze(r *req, rq *Request, v view, revert bool) {
	if !v.regional() {
		return
	}
	for _, f := range c.s.freezeList {
		if !f.activeAt(r.t, c.o.Tolerance) || r.t.Sub(f.created) <= propagation {
			continue
		}
		covered := coveredBy(f, v)
		if len(covered) == 0 {
			continue
		}
		explanation := fmt.Sprintf("%s is frozen by Freeze %s%s, created %s before the request: %s",
			regionList(covered), f.name, ticket(f), shortDuration(r.t.Sub(f.created)), f.spec.Reason)
		if why := c.exempt(r, f, revert); why != "" {
			c.breakGlass = append(c.breakGlass, BreakGlass{Property: S2, Rule: RuleFreeze, Request: *rq, Freeze: f.name,
				Why: why + c.gateNote(r), Explanation: explanation})
			continue
		}
		vio := Violation{Property: S2, Rule: RuleFreeze, Request: *rq, Explanation: explanation}
		if f.by != nil {
			vio.Earlier = []Earlier{{Request: *f.by, Region: strings.Join(covered, ", "), What: "created Freeze " + f.name}}
		}
		c.violate(vio)
	}
}

// coveredBy lists the regions of v that f covers; "*" covers every
// regional object.
func coveredBy(f *freeze, v view) []string {
	if slices.Contains(f.spec.Regions, wavegatev1alpha1.AllRegions) {
		return v.names()
	}
	if v.all {
		return append([]string(nil), f.spec.Regions...)
	}
	var out []string
	for _, r := range v.regions {
		if slices.Contains(f.spec.Regions, r) {
			out = append(out, r)
		}
	}
	return out
}

func regionList(regions []string) string {
	if len(regions) == 1 {
		return "region " + regions[0]
	}
	return "regions " + strings.Join(regions, ", ")
}

func ticket(f *freeze) string {
	if f.spec.Ticket == "" {
		return ""
	}
	return " (" + f.spec.Ticket + ")"
}

// exempt says why a request passes a Freeze, or "": the Freeze's own
// exemptions, the global break-glass group, or Wavegate's controller
// restoring a rollout when the Freeze allows reverts.
func (c *Checker) exempt(r *req, f *freeze, revert bool) string {
	switch {
	case slices.Contains(f.spec.Exemptions.Users, r.e.User):
		return fmt.Sprintf("user %s is exempt by Freeze %s", r.e.User, f.name)
	case c.breaksGlass(r):
		return "member of the break-glass group " + c.o.BreakGlassGroup
	case r.who == controller && revert && f.spec.AllowReverts:
		return fmt.Sprintf("Wavegate's controller restoring a rollout (%s), which Freeze %s allows (allowReverts)", wavegatev1alpha1.AnnotationRevertOf, f.name)
	}
	for _, g := range r.e.Groups {
		if slices.Contains(f.spec.Exemptions.Groups, g) {
			return fmt.Sprintf("group %s is exempt by Freeze %s", g, f.name)
		}
	}
	return ""
}

// gateNote quotes the gate's own break-glass audit annotation, if any.
func (c *Checker) gateNote(r *req) string {
	keys := make([]string, 0, len(r.e.Annotations))
	for k := range r.e.Annotations {
		if k == "break-glass" || strings.HasSuffix(k, "/break-glass") {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var notes []string
	for _, k := range keys {
		notes = append(notes, strings.ReplaceAll(r.e.Annotations[k], "\n", "; "))
	}
	if len(notes) == 0 {
		return ""
	}
	return "; the gate noted: " + strings.Join(notes, "; ")
}

// freezeEdit checks S6 for an update of a Freeze: while it is active, only
// the break-glass group may move its expiry earlier, remove a region, add
// an exemption or turn allowReverts on.
func (c *Checker) freezeEdit(r *req, rq *Request, next wavegatev1alpha1.FreezeSpec) {
	old := c.s.freezes[r.e.Name]
	if old == nil {
		c.note(*rq, NoteNotSeen)
		return
	}
	if !old.activeAt(r.t, c.o.Tolerance) {
		return
	}
	problems := weakened(old.spec, next)
	if len(problems) == 0 {
		return
	}
	explanation := fmt.Sprintf("the update of active Freeze %s %s; only the break-glass group %s may weaken an active Freeze (anyone may delete it)",
		old.name, strings.Join(problems, ", "), c.o.BreakGlassGroup)
	if c.breaksGlass(r) {
		c.breakGlass = append(c.breakGlass, BreakGlass{Property: S6, Rule: RuleFreeze, Request: *rq, Freeze: old.name,
			Why: "member of the break-glass group " + c.o.BreakGlassGroup + c.gateNote(r), Explanation: explanation})
		return
	}
	v := Violation{Property: S6, Rule: RuleFreeze, Request: *rq, Explanation: explanation}
	if old.by != nil {
		v.Earlier = []Earlier{{Request: *old.by, What: "wrote Freeze " + old.name + " as it was"}}
	}
	c.violate(v)
}

// weakened lists how next weakens old.
func weakened(old, next wavegatev1alpha1.FreezeSpec) []string {
	var out []string
	switch {
	case next.ExpiresAt == nil:
	case old.ExpiresAt == nil:
		out = append(out, "sets spec.expiresAt to "+rfc3339(next.ExpiresAt.Time)+" where there was none")
	case next.ExpiresAt.Before(old.ExpiresAt):
		out = append(out, "moves spec.expiresAt earlier, from "+rfc3339(old.ExpiresAt.Time)+" to "+rfc3339(next.ExpiresAt.Time))
	}
	if !slices.Contains(next.Regions, wavegatev1alpha1.AllRegions) {
		var removed []string
		for _, r := range old.Regions {
			if !slices.Contains(next.Regions, r) {
				removed = append(removed, r)
			}
		}
		if len(removed) > 0 {
			out = append(out, "removes region "+strings.Join(removed, ", ")+" from spec.regions")
		}
	}
	for _, u := range next.Exemptions.Users {
		if !slices.Contains(old.Exemptions.Users, u) {
			out = append(out, "adds the exemption of user "+u)
		}
	}
	for _, g := range next.Exemptions.Groups {
		if !slices.Contains(old.Exemptions.Groups, g) {
			out = append(out, "adds the exemption of group "+g)
		}
	}
	if next.AllowReverts && !old.AllowReverts {
		out = append(out, "turns spec.allowReverts on")
	}
	return out
}
