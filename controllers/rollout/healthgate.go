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
package rollout

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	wavegatev1alpha1 "github.com/wavegate/wavegate/api/v1alpha1"
)

// This file holds the health gate of docs/spec.md section 9, in the same
// pure style as wave.go: the reconciler evaluates the checks that are due
// (evaluation.go) and the stepper folds the verdicts into status, halts on
// an unhealthy region, and chooses what to revert.

// checksOf are the rollout's health checks and its plan's; a rollout's own
// check replaces the plan's of the same name.
func checksOf(ro *wavegatev1alpha1.ConfigRollout, plan *wavegatev1alpha1.WavePlan) []wavegatev1alpha1.HealthCheck {
	out := append([]wavegatev1alpha1.HealthCheck(nil), ro.Spec.HealthChecks...)
	if plan == nil {
		return out
	}
	own := map[string]bool{}
	for _, c := range out {
		own[c.Name] = true
	}
	for _, c := range plan.Spec.HealthChecks {
		if !own[c.Name] {
			out = append(out, c)
		}
	}
	return out
}

// minInterval is the shortest interval of the checks, 0 without checks.
func minInterval(checks []wavegatev1alpha1.HealthCheck) time.Duration {
	var d time.Duration
	for _, c := range checks {
		if i := c.IntervalOrDefault(); d == 0 || i < d {
			d = i
		}
	}
	return d
}

// healthEntry returns the region's status entry for a check, creating it.
func healthEntry(rs *wavegatev1alpha1.RolloutRegionStatus, name string) *wavegatev1alpha1.HealthStatus {
	if h := healthOf(rs, name); h != nil {
		return h
	}
	rs.Health = append(rs.Health, wavegatev1alpha1.HealthStatus{Name: name})
	return &rs.Health[len(rs.Health)-1]
}

// unhealthyCheck names the check that made a region unhealthy, or "".
func unhealthyCheck(rs *wavegatev1alpha1.RolloutRegionStatus, checks []wavegatev1alpha1.HealthCheck) (wavegatev1alpha1.HealthCheck, *wavegatev1alpha1.HealthStatus, bool) {
	for _, c := range checks {
		for i := range rs.Health {
			if h := &rs.Health[i]; h.Name == c.Name && h.Failures >= c.ThresholdOrDefault() {
				return c, h, true
			}
		}
	}
	return wavegatev1alpha1.HealthCheck{}, nil, false
}

// recordHealth folds this step's evaluations into the regions' status: a
// healthy verdict clears a check's failures, an unhealthy one adds one, and
// failureThreshold in a row make the region Unhealthy.
func (s *stepper) recordHealth() {
	if s.halted() {
		return // a halted rollout is not evaluated any more
	}
	for region, verdicts := range s.w.health {
		rs := s.findRegion(region)
		if rs == nil {
			continue
		}
		names := make([]string, 0, len(verdicts))
		for name := range verdicts {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			v := verdicts[name]
			h := healthEntry(rs, name)
			h.Value, h.LastEvaluated = v.Value, &metav1.Time{Time: s.w.now}
			if v.Healthy {
				h.Failures = 0
			} else {
				h.Failures++
			}
		}
		if rs.State != wavegatev1alpha1.RegionUnhealthy && rs.State != wavegatev1alpha1.RegionReverted {
			s.markUnhealthy(rs)
		}
	}
}

// markUnhealthy makes a region Unhealthy once a check reached its threshold.
func (s *stepper) markUnhealthy(rs *wavegatev1alpha1.RolloutRegionStatus) {
	c, h, bad := unhealthyCheck(rs, s.w.checks)
	if !bad {
		return
	}
	why := s.w.health[rs.Name][c.Name].Why
	rs.State = wavegatev1alpha1.RegionUnhealthy
	rs.Message = fmt.Sprintf("health check %s: %s (%d evaluations in a row)", c.Name, why, h.Failures)
	s.unhealthy = append(s.unhealthy, unhealthyRegion{region: rs.Name, check: c.Name, why: why})
	s.emit(corev1.EventTypeWarning, wavegatev1alpha1.EventRegionUnhealthy, "Region %s is unhealthy: %s", rs.Name, rs.Message)
	s.emit(corev1.EventTypeWarning, wavegatev1alpha1.EventRolloutHalted, "Halted: region %s is unhealthy (%s); no further region is applied", rs.Name, rs.Message)
}

// unhealthyRegion is a region that turned unhealthy in this step.
type unhealthyRegion struct {
	region, check, why string
}

// halted: a region turned unhealthy (and may since have been reverted);
// no further region is applied for this revision.
func (s *stepper) halted() bool { return halted(s.st) }

// halted reports whether a region of st turned unhealthy (and may since
// have been reverted).
func halted(st wavegatev1alpha1.ConfigRolloutStatus) bool {
	for _, rs := range st.Regions {
		if rs.State == wavegatev1alpha1.RegionUnhealthy || rs.State == wavegatev1alpha1.RegionReverted {
			return true
		}
	}
	return false
}

// stickyHealth keeps a region Unhealthy or Reverted whatever is observed:
// only an edit of the change (a new revision) starts it over.
func stickyHealth(rs *wavegatev1alpha1.RolloutRegionStatus, prev wavegatev1alpha1.RegionState, prevMessage string) {
	if prev == wavegatev1alpha1.RegionUnhealthy || prev == wavegatev1alpha1.RegionReverted {
		rs.State, rs.Message = prev, prevMessage
	}
}

// healthyAfter reports whether every check passed in every region of the
// current wave in an evaluation at or after t: the evaluation "again before
// the next wave starts".
func (s *stepper) healthyAfter(t time.Time) bool {
	for _, rs := range s.currentRegions() {
		for _, c := range s.w.checks {
			h := healthOf(rs, c.Name)
			if h == nil || h.LastEvaluated == nil || h.LastEvaluated.Time.Before(t) || h.Failures > 0 {
				return false
			}
		}
	}
	return true
}

// toRevert lists the regions whose changes a Revert restores now: every
// region this rollout changed and recorded, not yet reverted, and not held
// by a Freeze that does not allow reverts. held names those held.
func (s *stepper) toRevert() (regions, held []string) {
	if s.ro.Spec.OnUnhealthy != wavegatev1alpha1.UnhealthyRevert || !s.halted() {
		return nil, nil
	}
	for _, rs := range s.st.Regions {
		if len(rs.Replaced) == 0 || rs.RevertedAt != nil {
			continue
		}
		if f := s.freezeWithoutReverts(rs.Name); f != "" {
			held = append(held, fmt.Sprintf("%s (Freeze %s does not allow reverts)", rs.Name, f))
			continue
		}
		regions = append(regions, rs.Name)
	}
	return regions, held
}

// freezeWithoutReverts names a Freeze covering region that does not allow reverts.
func (s *stepper) freezeWithoutReverts(region string) string {
	for _, f := range s.w.freezes {
		if f.Spec.Covers(region) && !f.Spec.AllowReverts {
			return f.Name
		}
	}
	return ""
}

// reverted reports whether every region the rollout changed was restored.
func (s *stepper) reverted() bool {
	any := false
	for _, rs := range s.st.Regions {
		if len(rs.Replaced) > 0 && rs.RevertedAt == nil {
			return false
		}
		any = any || rs.RevertedAt != nil
	}
	return any
}

// healthVerdict words why the rollout is halted, for its phase: the
// message of each region that turned unhealthy, which a revert keeps.
func (s *stepper) healthVerdict() string {
	var parts []string
	for _, rs := range s.st.Regions {
		if rs.State == wavegatev1alpha1.RegionUnhealthy {
			parts = append(parts, fmt.Sprintf("region %s is unhealthy: %s", rs.Name, rs.Message))
		}
	}
	return strings.Join(parts, "; ")
}

// maxReplaced bounds what is recorded per target for a revert.
const maxReplaced = 4096

// replacedBy returns a JSON merge patch that restores in obj what patch
// replaces: for each field the patch sets, the object's current value, or
// null where the object has none.
func replacedBy(obj *unstructured.Unstructured, patch []byte) (apiextensionsv1.JSON, error) {
	var p map[string]any
	if err := json.Unmarshal(patch, &p); err != nil {
		return apiextensionsv1.JSON{}, err
	}
	raw, err := json.Marshal(inverse(p, obj.Object))
	if err != nil {
		return apiextensionsv1.JSON{}, err
	}
	if len(raw) > maxReplaced {
		return apiextensionsv1.JSON{}, fmt.Errorf("what the patch replaces in %s is %d bytes, more than the %d a revert records", refOf(obj), len(raw), maxReplaced)
	}
	return apiextensionsv1.JSON{Raw: raw}, nil
}

func inverse(patch, current map[string]any) map[string]any {
	out := make(map[string]any, len(patch))
	for k, v := range patch {
		cur, exists := current[k]
		sub, isObj := v.(map[string]any)
		curObj, curIsObj := cur.(map[string]any)
		switch {
		case isObj && (curIsObj || !exists):
			// Key by key, so a restore removes only what the patch added.
			out[k] = inverse(sub, curObj)
		case exists:
			out[k] = cur
		default:
			out[k] = nil
		}
	}
	return out
}

// keepFirst adds to recorded what it does not hold yet for a target: a
// revert restores what was there before this rollout's first patch, not what
// an earlier revision of it wrote.
func keepFirst(recorded, fresh []wavegatev1alpha1.Replaced) []wavegatev1alpha1.Replaced {
	have := map[string]bool{}
	for _, r := range recorded {
		have[r.Target] = true
	}
	for _, r := range fresh {
		if !have[r.Target] {
			recorded = append(recorded, r)
		}
	}
	return recorded
}

// markReverted records that a region's changes were restored. The region
// that turned unhealthy keeps the message that says why.
func (s *stepper) markReverted(region string) {
	rs := s.findRegion(region)
	if rs == nil {
		return
	}
	rs.RevertedAt = &metav1.Time{Time: s.w.now}
	if rs.State != wavegatev1alpha1.RegionUnhealthy {
		rs.State, rs.Message = wavegatev1alpha1.RegionReverted, "reverted: what the rollout changed here was restored"
	}
	if s.reverted() {
		s.emit(corev1.EventTypeWarning, wavegatev1alpha1.EventRolloutReverted, "Reverted every region the rollout changed")
	}
}
