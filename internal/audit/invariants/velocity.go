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
	"strings"
	"time"

	wavegatev1alpha1 "github.com/wavegate/wavegate/api/v1alpha1"
)

// noPlanWait is how long a change waits before a second region when no
// plan judges it (docs/spec.md §4).
const noPlanWait = time.Hour

// velocity judges S1 for a change (when judge is set) and records the
// regions it reached. reached(q) is the union of the entries of q's keys; q
// enters every region it targets that is not a region of reached(q); after
// q, every key of q holds every region q targets.
func (c *Checker) velocity(r *req, rq *Request, ch *change, judge bool) {
	var reached []entry
	for _, k := range ch.keys {
		reached = append(reached, c.s.entries(k)...)
	}
	var entered []string
	for _, t := range ch.targets {
		if !slices.ContainsFunc(reached, func(x entry) bool { return x.region == t }) {
			entered = append(entered, t)
		}
	}
	if judge && len(entered) > 0 {
		c.progressive(r, rq, ch, reached, entered)
	}
	var by *ref
	for _, k := range ch.keys {
		list := c.s.entries(k)
		for _, t := range ch.targets {
			if !slices.ContainsFunc(list, func(x entry) bool { return x.region == t }) {
				if by == nil {
					by = &ref{stamp: c.stampOf(r), kind: c.s.intern(ch.kind), namespace: ch.namespace, name: ch.objName}
				}
				list = append(list, entry{region: t, at: r.t.UnixNano(), by: by})
			}
		}
		c.s.setEntries(k, list)
	}
}

// s1 collects the violations of one request entering regions.
type s1 struct {
	c        *Checker
	rq       *Request
	ch       *change
	p        *plan
	t        time.Time // the request's time plus the tolerance
	reached  []entry
	entered  []string
	findings []finding
}

// finding is one clause of S1 that a request breaks.
type finding struct {
	rule, clause, explanation string
	earlier                   []Earlier
}

// progressive checks S1 for a request entering regions (docs/spec.md §11):
// waves never go down; a later wave only after the highest reached wave
// baked; nothing else before a canary outside the first wave baked; never
// a failover pair within its bake; never two waves, or a pair, at once.
func (c *Checker) progressive(r *req, rq *Request, ch *change, reached []entry, entered []string) {
	j := &s1{c: c, rq: rq, ch: ch, t: r.t.Add(c.o.Tolerance), reached: reached, entered: entered,
		p: c.s.plans[wavegatev1alpha1.PlanOrDefault(ch.plan)]}
	if j.p == nil || len(j.p.waves) == 0 {
		j.noPlan()
	} else {
		j.wavesGoDown()
		j.laterWaveBeforeBake()
		j.canaryNotBaked()
		j.pairWithinBake()
		j.atOnce()
	}
	j.report()
}

func (j *s1) violate(rule, clause, explanation string, earlier []entry, what func(entry) string) {
	f := finding{rule: rule, clause: clause, explanation: explanation}
	for _, x := range earlier {
		f.earlier = append(f.earlier, j.c.s.earlier(x, what(x)))
	}
	j.findings = append(j.findings, f)
}

// report makes one violation per rule of the clauses a request breaks:
// a request may break several, and a reviewer reads them as one.
func (j *s1) report() {
	var order []string
	byRule := map[string]*Violation{}
	for _, f := range j.findings {
		v := byRule[f.rule]
		if v == nil {
			v = &Violation{Property: S1, Rule: f.rule, Request: *j.rq}
			byRule[f.rule] = v
			order = append(order, f.rule)
		}
		v.Clauses = append(v.Clauses, f.clause)
		if v.Explanation != "" {
			v.Explanation += "; "
		}
		v.Explanation += f.explanation
		for _, e := range f.earlier {
			if !slices.ContainsFunc(v.Earlier, func(x Earlier) bool { return x.Region == e.Region && x.Where() == e.Where() && x.Time.Equal(e.Time) }) {
				v.Earlier = append(v.Earlier, e)
			}
		}
	}
	for _, rule := range order {
		j.c.violate(*byRule[rule])
	}
}

func (j *s1) rule() string {
	if j.ch.multi && len(j.entered) > 1 {
		return RuleMultiRegion
	}
	return RuleChangeVelocity
}

func (j *s1) enteredText() string { return strings.Join(j.entered, ", ") }

func (j *s1) entryWhat(x entry) string {
	w := j.p.wave(x.region)
	return fmt.Sprintf("change %s entered %s (wave %s, bake %s)", j.ch.name, x.region, j.p.waveName(w), shortDuration(j.p.bake(w)))
}

// noPlan: without the plan, a change enters a second region only an hour
// after its last entry, and never two regions at once.
func (j *s1) noPlan() {
	name := wavegatev1alpha1.PlanOrDefault(j.ch.plan)
	if len(j.reached) == 0 {
		if len(j.entered) >= 2 {
			j.violate(j.rule(), ClauseNoPlan, fmt.Sprintf("change %s entered %s at once, and no WavePlan %s exists to order them", j.ch.name, j.enteredText(), name), nil, nil)
		}
		return
	}
	last := j.reached[0]
	for _, x := range j.reached[1:] {
		if x.at > last.at {
			last = x
		}
	}
	if until := last.time().Add(noPlanWait); j.t.Before(until) {
		j.violate(RuleChangeVelocity, ClauseNoPlan, fmt.Sprintf("change %s entered %s %s after it entered %s, and no WavePlan %s exists: without a plan a change enters another region only after 1h (not before %s)",
			j.ch.name, j.enteredText(), shortDuration(j.rq.Time.Sub(last.time())), last.region, name, rfc3339(until)),
			[]entry{last}, func(x entry) string { return "change " + j.ch.name + " entered " + x.region })
	}
}

// highest is the highest wave of the reached regions, and its entries.
func (j *s1) highest() (int, []entry) {
	w := -1
	for _, x := range j.reached {
		w = max(w, j.p.wave(x.region))
	}
	var at []entry
	for _, x := range j.reached {
		if j.p.wave(x.region) == w {
			at = append(at, x)
		}
	}
	return w, at
}

func (j *s1) wavesGoDown() {
	w, at := j.highest()
	var down []string
	for _, e := range j.entered {
		if j.p.wave(e) < w {
			down = append(down, fmt.Sprintf("%s (wave %s)", e, j.p.waveName(j.p.wave(e))))
		}
	}
	if len(down) == 0 {
		return
	}
	j.violate(RuleChangeVelocity, ClauseWavesGoDown, fmt.Sprintf("change %s entered %s after it had reached wave %s of plan %s: the waves a change enters never go down",
		j.ch.name, strings.Join(down, ", "), j.p.waveName(w), j.p.name), at, j.entryWhat)
}

func (j *s1) laterWaveBeforeBake() {
	w, at := j.highest()
	if w < 0 {
		return
	}
	var later []string
	for _, e := range j.entered {
		if j.p.wave(e) > w {
			later = append(later, fmt.Sprintf("%s (wave %s)", e, j.p.waveName(j.p.wave(e))))
		}
	}
	if len(later) == 0 {
		return
	}
	last := at[0]
	for _, x := range at[1:] {
		if x.at > last.at {
			last = x
		}
	}
	until := last.time().Add(j.p.bake(w))
	if !j.t.Before(until) {
		return
	}
	j.violate(RuleChangeVelocity, ClauseWaveNotBaked, fmt.Sprintf("change %s entered %s before wave %s baked: it last entered that wave in %s %s earlier (bake %s); the next wave may follow after %s",
		j.ch.name, strings.Join(later, ", "), j.p.waveName(w), last.region, shortDuration(j.rq.Time.Sub(last.time())), shortDuration(j.p.bake(w)), rfc3339(until)),
		[]entry{last}, j.entryWhat)
}

func (j *s1) canaryNotBaked() {
	if len(j.reached) == 0 {
		return
	}
	first := j.reached[0]
	for _, x := range j.reached[1:] {
		if x.at < first.at || (x.at == first.at && j.p.wave(x.region) < j.p.wave(first.region)) {
			first = x
		}
	}
	w := j.p.wave(first.region)
	if w == 0 {
		return
	}
	until := first.time().Add(j.p.bake(w))
	if !j.t.Before(until) {
		return
	}
	j.violate(RuleChangeVelocity, ClauseCanaryNotBaked, fmt.Sprintf("change %s entered %s before its canary %s baked: it entered %s first, in wave %s rather than the plan's first wave, %s earlier (bake %s); no other region before %s",
		j.ch.name, j.enteredText(), first.region, first.region, j.p.waveName(w), shortDuration(j.rq.Time.Sub(first.time())), shortDuration(j.p.bake(w)), rfc3339(until)),
		[]entry{first}, j.entryWhat)
}

func (j *s1) pairWithinBake() {
	for _, e := range j.entered {
		for _, x := range j.reached {
			if !j.c.s.paired(e, x.region) {
				continue
			}
			bake := j.p.bake(j.p.wave(x.region))
			until := x.time().Add(bake)
			if !j.t.Before(until) {
				continue
			}
			j.violate(RuleChangeVelocity, ClausePairNotBaked, fmt.Sprintf("change %s entered %s, the failover pair of %s, %s after it entered %s (wave %s, bake %s); not before %s",
				j.ch.name, e, x.region, shortDuration(j.rq.Time.Sub(x.time())), x.region, j.p.waveName(j.p.wave(x.region)), shortDuration(bake), rfc3339(until)),
				[]entry{x}, j.entryWhat)
		}
	}
}

func (j *s1) atOnce() {
	if len(j.entered) < 2 {
		return
	}
	var problems []string
	for i, a := range j.entered {
		for _, b := range j.entered[i+1:] {
			if j.c.s.paired(a, b) {
				problems = append(problems, fmt.Sprintf("%s and %s are a failover pair", a, b))
			}
		}
	}
	waves := map[int]bool{}
	firstWave := true
	for _, e := range j.entered {
		waves[j.p.wave(e)] = true
		firstWave = firstWave && j.p.wave(e) == 0
	}
	if len(waves) > 1 {
		var parts []string
		for _, e := range j.entered {
			parts = append(parts, fmt.Sprintf("%s (%s)", e, j.p.waveName(j.p.wave(e))))
		}
		problems = append(problems, "they are of different waves: "+strings.Join(parts, ", "))
	}
	if len(j.reached) == 0 && !firstWave && len(waves) == 1 {
		problems = append(problems, "they are the change's first regions and not in the plan's first wave")
	}
	if len(problems) == 0 {
		return
	}
	j.violate(j.rule(), ClauseAtOnce, fmt.Sprintf("change %s entered %s at once: %s", j.ch.name, j.enteredText(), strings.Join(problems, "; ")), nil, nil)
}

// rfc3339 formats a time for messages.
func rfc3339(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// shortDuration writes 6h, 1h30m, 4m10s, 250ms.
func shortDuration(d time.Duration) string {
	if d < 0 {
		return "-" + shortDuration(-d)
	}
	if d < time.Minute {
		return d.Round(time.Millisecond).String()
	}
	d = d.Round(time.Second)
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
