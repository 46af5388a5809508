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

	wavegatev1alpha1 "github.com/wavegate/wavegate/api/v1alpha1"
)

// requires checks S4 for a change: every ConfigRollout its
// wavegate.io/requires names exists and has converged in every region the
// change targets (those it leaves with new data included) and in each
// one's failover pair.
func (c *Checker) requires(rq *Request, ch *change, annotation string) {
	var names []string
	for _, n := range strings.Split(annotation, ",") {
		if n = strings.TrimSpace(n); n != "" && !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	if len(names) == 0 {
		return
	}
	regions := append([]string(nil), ch.targets...)
	for _, t := range ch.targets {
		for _, p := range c.s.pairsOf(t) {
			if !slices.Contains(regions, p) {
				regions = append(regions, p)
			}
		}
	}
	sort.Strings(regions)
	for _, name := range names {
		ro := c.s.rollouts[name]
		if ro == nil {
			c.violate(Violation{Property: S4, Rule: RuleRequires, Request: *rq,
				Explanation: fmt.Sprintf("change %s requires ConfigRollout %s, which does not exist", ch.name, name)})
			continue
		}
		var missing []string
		for _, reg := range regions {
			if why := ro.notConverged(reg); why != "" {
				missing = append(missing, reg+" ("+why+")")
			}
		}
		if len(missing) == 0 {
			continue
		}
		v := Violation{Property: S4, Rule: RuleRequires, Request: *rq,
			Explanation: fmt.Sprintf("change %s requires ConfigRollout %s, which has not converged in %s", ch.name, name, strings.Join(missing, " and "))}
		if ro.by != nil {
			v.Earlier = []Earlier{{Request: *ro.by, What: "last wrote ConfigRollout " + name}}
		}
		c.violate(v)
	}
}

// notConverged says why the rollout has not converged in region, or "":
// converged is status of the current generation with the region observed
// at spec.version in state Converged.
func (ro *rollout) notConverged(region string) string {
	if ro.observedGeneration != ro.generation {
		return fmt.Sprintf("status is for generation %d, not %d", ro.observedGeneration, ro.generation)
	}
	s, ok := ro.regions[region]
	switch {
	case !ok:
		return "not in its status"
	case s.State == wavegatev1alpha1.RegionConverged && s.ObservedVersion == ro.version:
		return ""
	}
	why := string(s.State)
	if s.ObservedVersion != "" {
		why += " at " + s.ObservedVersion
	}
	if s.Message != "" {
		why += ": " + s.Message
	}
	if s.State == wavegatev1alpha1.RegionConverged {
		why += ", not " + ro.version
	}
	return why
}
