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
	"fmt"
	"sort"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	wavegatev1alpha1 "github.com/wavegate/wavegate/api/v1alpha1"
	"github.com/wavegate/wavegate/internal/convergence"
)

// world is everything one step needs, gathered by the reconciler.
type world struct {
	now  time.Time
	plan *wavegatev1alpha1.WavePlan // nil when the plan does not exist
	// targets are each region's target objects; observed is what they show.
	targets  map[string][]*unstructured.Unstructured
	observed map[string]observed
	// freezes are the Freezes in force now.
	freezes []wavegatev1alpha1.Freeze
	// deps are the rollouts of spec.dependsOn (absent when they do not exist).
	deps  map[string]*wavegatev1alpha1.ConfigRollout
	pairs func(region string) []string
}

// event is a Kubernetes Event to emit for a transition.
type event struct {
	kind, reason, msg string
}

// outcome is what a step decided: the new status, the regions to patch now,
// the Events of its transitions and when to look again.
type outcome struct {
	status  wavegatev1alpha1.ConfigRolloutStatus
	apply   []string
	events  []event
	requeue time.Duration
}

// step computes the next status of a rollout from its current status and what
// is observed now. It is pure: the reconciler gathers the world and carries
// out the outcome.
func step(ro *wavegatev1alpha1.ConfigRollout, w *world) outcome {
	s := &stepper{ro: ro, w: w, st: *ro.Status.DeepCopy()}
	s.run()
	s.st.ObservedGeneration = ro.Generation
	return outcome{status: s.st, apply: s.apply, events: s.events, requeue: s.requeue}
}

type stepper struct {
	ro      *wavegatev1alpha1.ConfigRollout
	w       *world
	st      wavegatev1alpha1.ConfigRolloutStatus
	waves   [][]string // the rollout's regions, wave by wave
	apply   []string
	events  []event
	requeue time.Duration
}

func (s *stepper) emit(kind, reason, format string, args ...any) {
	s.events = append(s.events, event{kind: kind, reason: reason, msg: fmt.Sprintf(format, args...)})
}

func (s *stepper) run() {
	if s.w.plan == nil {
		s.setPhase(wavegatev1alpha1.PhaseBlocked, wavegatev1alpha1.ReasonPlanNotFound,
			fmt.Sprintf("WavePlan %s does not exist; create it or change spec.planRef", s.planName()))
		return
	}
	s.waves = s.rolloutWaves()
	if s.ro.Status.CurrentWaveIndex == nil && len(s.waves) > 0 {
		s.emit("Normal", "WaveStarted", "Wave %s started", s.w.plan.Spec.Waves[0].Name)
	}
	s.observeRegions()
	// Advance through waves that are done; a step never starts a wave whose
	// predecessor has not converged and baked.
	for s.advance() {
	}
	s.summarise()
}

func (s *stepper) planName() string {
	if s.ro.Spec.PlanRef == "" {
		return wavegatev1alpha1.DefaultWavePlan
	}
	return s.ro.Spec.PlanRef
}

// rolloutWaves lists the rollout's regions per plan wave, limited to
// spec.regions when it is set.
func (s *stepper) rolloutWaves() [][]string {
	only := map[string]bool{}
	for _, r := range s.ro.Spec.Regions {
		only[r] = true
	}
	waves := make([][]string, len(s.w.plan.Spec.Waves))
	for i, wave := range s.w.plan.Spec.Waves {
		for _, r := range wave.Regions {
			if len(only) == 0 || only[r] {
				waves[i] = append(waves[i], r)
			}
		}
	}
	return waves
}

func (s *stepper) waveIndex() int {
	if s.st.CurrentWaveIndex == nil {
		return 0
	}
	return int(*s.st.CurrentWaveIndex)
}

func (s *stepper) setWaveIndex(i int) {
	idx := int32(i) //nolint:gosec // a plan has at most 50 waves
	s.st.CurrentWaveIndex = &idx
}

func (s *stepper) complete() bool { return s.waveIndex() >= len(s.waves) }

func (s *stepper) skipReason(region string) (string, bool) {
	for _, sk := range s.ro.Spec.SkipRegions {
		if sk.Name == region {
			return sk.Reason, true
		}
	}
	return "", false
}

// regionStatus returns the status entry of a region, creating it.
func (s *stepper) regionStatus(region string) *wavegatev1alpha1.RolloutRegionStatus {
	for i := range s.st.Regions {
		if s.st.Regions[i].Name == region {
			return &s.st.Regions[i]
		}
	}
	s.st.Regions = append(s.st.Regions, wavegatev1alpha1.RolloutRegionStatus{Name: region})
	return &s.st.Regions[len(s.st.Regions)-1]
}

// observeRegions sets every region's state from what is observed now.
func (s *stepper) observeRegions() {
	current := s.waveIndex()
	var keep []wavegatev1alpha1.RolloutRegionStatus
	for i, wave := range s.waves {
		for _, region := range wave {
			rs := s.regionStatus(region)
			prev := rs.State
			rs.Wave = s.w.plan.Spec.Waves[i].Name
			s.observeRegion(rs, i, current)
			if rs.State != prev {
				s.transitionEvent(rs)
			}
			keep = append(keep, *rs)
		}
	}
	s.st.Regions = keep
}

func (s *stepper) observeRegion(rs *wavegatev1alpha1.RolloutRegionStatus, wave, current int) {
	if reason, ok := s.skipReason(rs.Name); ok {
		rs.State, rs.Message = wavegatev1alpha1.RegionSkipped, reason
		return
	}
	o := s.w.observed[rs.Name]
	rs.ObservedVersion, rs.Message = o.version, o.why
	switch {
	case o.pinned:
		rs.State = wavegatev1alpha1.RegionPinned
		rs.Message = o.pinReason
	case o.converged:
		rs.State = wavegatev1alpha1.RegionConverged
		if rs.ConvergedAt == nil {
			rs.ConvergedAt = &metav1.Time{Time: s.w.now}
		}
	case o.missing:
		rs.State = wavegatev1alpha1.RegionMissing
	case wave > current || (wave == current && rs.AppliedAt == nil):
		rs.State = wavegatev1alpha1.RegionPending
		if s.frozen(rs.Name) != "" && wave == current {
			rs.State, rs.Message = wavegatev1alpha1.RegionFrozen, "frozen by Freeze "+s.frozen(rs.Name)
		}
	default:
		rs.State = wavegatev1alpha1.RegionNotConverged
		rs.ConvergedAt = nil
	}
}

func (s *stepper) transitionEvent(rs *wavegatev1alpha1.RolloutRegionStatus) {
	switch rs.State {
	case wavegatev1alpha1.RegionConverged:
		s.emit("Normal", "RegionConverged", "Region %s converged at %s", rs.Name, rs.ObservedVersion)
	case wavegatev1alpha1.RegionPinned:
		s.emit("Warning", "RegionPinned", "Region %s is pinned at %s: %s", rs.Name, rs.ObservedVersion, orNone(rs.Message))
	}
}

func orNone(s string) string {
	if s == "" {
		return "no reason given"
	}
	return s
}

// frozen names the Freeze that covers a region, or "".
func (s *stepper) frozen(region string) string {
	for _, f := range s.w.freezes {
		if f.Spec.Covers(region) {
			return f.Name
		}
	}
	return ""
}

// currentRegions are the regions of the current wave that are not skipped.
func (s *stepper) currentRegions() []*wavegatev1alpha1.RolloutRegionStatus {
	var out []*wavegatev1alpha1.RolloutRegionStatus
	if s.complete() {
		return nil
	}
	for _, region := range s.waves[s.waveIndex()] {
		rs := s.regionStatus(region)
		if rs.State != wavegatev1alpha1.RegionSkipped {
			out = append(out, rs)
		}
	}
	return out
}

// advance works on the current wave and reports whether it moved on to the
// next one, so the caller can start that wave in the same step.
func (s *stepper) advance() bool {
	if s.complete() {
		return false
	}
	s.st.CurrentWave = s.w.plan.Spec.Waves[s.waveIndex()].Name
	if s.holdForFreeze() || s.ro.Spec.Paused {
		return false
	}
	regions := s.currentRegions()
	if len(regions) == 0 {
		// Nothing of this rollout is in the wave (spec.regions, skipRegions):
		// nothing changed there, so there is nothing to bake.
		s.setWaveIndex(s.waveIndex() + 1)
		return true
	}
	waiting := false
	for _, rs := range regions {
		if rs.State == wavegatev1alpha1.RegionPending {
			if msg := s.dependencyWait(rs.Name); msg != "" {
				rs.Message, waiting = msg, true
				continue
			}
			s.apply = append(s.apply, rs.Name)
			waiting = true
		}
		if rs.State != wavegatev1alpha1.RegionConverged {
			waiting = true
		}
	}
	// A pinned, missing or late region does not hold back the rest of its
	// wave, but the wave never completes, so no later wave starts.
	if waiting || s.blocked() {
		s.st.BakeStartedAt, s.st.BakeUntil = nil, nil
		return false
	}
	return s.bake()
}

// bake runs the current wave's bake; it reports whether the wave completed.
func (s *stepper) bake() bool {
	wave := s.w.plan.Spec.Waves[s.waveIndex()]
	if s.st.BakeStartedAt == nil {
		s.st.BakeStartedAt = &metav1.Time{Time: s.w.now}
		s.st.BakeFrozenFor = nil
		s.emit("Normal", "BakeStarted", "Wave %s converged; baking for %s", wave.Name, wave.BakeTime.Duration)
	}
	until := s.st.BakeStartedAt.Add(wave.BakeTime.Duration)
	if s.st.BakeFrozenFor != nil {
		until = until.Add(s.st.BakeFrozenFor.Duration)
	}
	s.st.BakeUntil = &metav1.Time{Time: until}
	if s.w.now.Before(until) {
		s.requeueAfter(until.Sub(s.w.now))
		return false
	}
	// Convergence was just observed for every region of the wave, at the end
	// of the bake: the wave is done.
	s.emit("Normal", "WaveCompleted", "Wave %s converged and baked", wave.Name)
	s.setWaveIndex(s.waveIndex() + 1)
	s.st.BakeStartedAt, s.st.BakeUntil, s.st.BakeFrozenFor = nil, nil, nil
	if s.complete() {
		s.st.CurrentWave = ""
		s.emit("Normal", "RolloutComplete", "Every wave converged and baked at version %s", s.ro.Spec.Version)
		return false
	}
	s.emit("Normal", "WaveStarted", "Wave %s started", s.w.plan.Spec.Waves[s.waveIndex()].Name)
	s.observeRegions()
	return true
}

// holdForFreeze pauses the rollout while a Freeze covers a region of the
// current wave, and keeps frozen time out of the bake.
func (s *stepper) holdForFreeze() bool {
	var by string
	for _, region := range s.waves[s.waveIndex()] {
		if by = s.frozen(region); by != "" {
			break
		}
	}
	s.st.PausedBy = by
	if by == "" {
		if s.st.FrozenSince != nil {
			frozenFor := s.w.now.Sub(s.st.FrozenSince.Time)
			if s.st.BakeStartedAt != nil {
				total := frozenFor
				if s.st.BakeFrozenFor != nil {
					total += s.st.BakeFrozenFor.Duration
				}
				s.st.BakeFrozenFor = &metav1.Duration{Duration: total}
			}
			s.st.FrozenSince = nil
			s.emit("Normal", "Resumed", "No Freeze covers wave %s any more; resuming after %s", s.st.CurrentWave, frozenFor)
		}
		return false
	}
	if s.st.FrozenSince == nil {
		s.st.FrozenSince = &metav1.Time{Time: s.w.now}
	}
	return true
}

// dependencyWait says which dependency has not converged in a region and its pair.
func (s *stepper) dependencyWait(region string) string {
	for _, name := range s.ro.Spec.DependsOn {
		dep, ok := s.w.deps[name]
		if !ok {
			return fmt.Sprintf("waiting for ConfigRollout %s, which does not exist", name)
		}
		rs := convergence.InRegionAndPairs(&dep.Status, region, s.w.pairs(region))
		if !convergence.Converged(rs) {
			var pending []string
			for _, r := range rs {
				if !r.Converged {
					pending = append(pending, fmt.Sprintf("%s (%s)", r.Region, r.Detail))
				}
			}
			return fmt.Sprintf("waiting for ConfigRollout %s to converge in %s", name, strings.Join(pending, " and "))
		}
	}
	return ""
}

// blockers are what stops the current wave: its pinned regions, its regions
// without a target, and its regions past their progress deadline.
func (s *stepper) blockers() (pins, missing, late []string) {
	for _, rs := range s.currentRegions() {
		switch {
		case rs.State == wavegatev1alpha1.RegionMissing:
			missing = append(missing, rs.Name)
		case rs.State == wavegatev1alpha1.RegionNotConverged && s.ro.Spec.ProgressDeadline != nil && rs.AppliedAt != nil &&
			s.w.now.Sub(rs.AppliedAt.Time) > s.ro.Spec.ProgressDeadline.Duration:
			late = append(late, fmt.Sprintf("%s (%s)", rs.Name, orNone(rs.Message)))
		}
	}
	return s.pins(true), missing, late
}

func (s *stepper) blocked() bool {
	pins, missing, late := s.blockers()
	return len(pins)+len(missing)+len(late) > 0
}

// pins lists pinned regions as "region at version (reason)"; with
// currentOnly, only those of the current wave.
func (s *stepper) pins(currentOnly bool) []string {
	var out []string
	for _, rs := range s.st.Regions {
		if rs.State != wavegatev1alpha1.RegionPinned {
			continue
		}
		if currentOnly && !s.inCurrentWave(rs.Name) {
			continue
		}
		out = append(out, fmt.Sprintf("%s at %s (%s)", rs.Name, rs.ObservedVersion, orNone(rs.Message)))
	}
	sort.Strings(out)
	return out
}

func (s *stepper) inCurrentWave(region string) bool {
	for _, rs := range s.currentRegions() {
		if rs.Name == region {
			return true
		}
	}
	return false
}

func (s *stepper) requeueAfter(d time.Duration) {
	if s.requeue == 0 || d < s.requeue {
		s.requeue = d
	}
}

// summarise sets the phase, the conditions and the convergence count.
func (s *stepper) summarise() {
	converged, total := 0, 0
	for _, rs := range s.st.Regions {
		if rs.State == wavegatev1alpha1.RegionSkipped {
			continue
		}
		total++
		if rs.State == wavegatev1alpha1.RegionConverged {
			converged++
		}
	}
	s.st.Convergence = fmt.Sprintf("%d/%d", converged, total)
	s.setWaveIndex(s.waveIndex())
	allConverged := converged == total
	if allConverged {
		s.condition(wavegatev1alpha1.ConditionConverged, true, wavegatev1alpha1.ReasonConverged, fmt.Sprintf("%d/%d regions observed at %s", converged, total, s.ro.Spec.Version))
	} else {
		s.condition(wavegatev1alpha1.ConditionConverged, false, wavegatev1alpha1.ReasonNotConverged, fmt.Sprintf("%d/%d regions observed at %s", converged, total, s.ro.Spec.Version))
	}

	phase, reason, msg := s.phase()
	s.setPhase(phase, reason, msg)
}

// phase decides the rollout's phase; the order is the order of precedence.
func (s *stepper) phase() (wavegatev1alpha1.RolloutPhase, string, string) {
	currentPins, missing, late := s.blockers()
	// Every pinned region is named, not only those of the current wave.
	if pins := s.pins(false); len(pins) > 0 && (s.complete() || len(currentPins) > 0) {
		return wavegatev1alpha1.PhaseBlocked, wavegatev1alpha1.ReasonPinnedBuild,
			fmt.Sprintf("pinned, so never patched: %s; remove the pins or change spec.version", strings.Join(pins, ", "))
	}
	switch {
	case len(missing) > 0:
		return wavegatev1alpha1.PhaseBlocked, wavegatev1alpha1.ReasonTargetMissing,
			fmt.Sprintf("no %s %s found in %s; create it or skip the region in spec.skipRegions", s.ro.Spec.Target.Kind, targetName(s.ro), strings.Join(missing, ", "))
	case len(late) > 0:
		return wavegatev1alpha1.PhaseBlocked, wavegatev1alpha1.ReasonProgressDeadlineExceeded,
			fmt.Sprintf("not converged within progressDeadline %s: %s", s.ro.Spec.ProgressDeadline.Duration, strings.Join(late, ", "))
	case s.st.FrozenSince != nil:
		return wavegatev1alpha1.PhasePaused, wavegatev1alpha1.ReasonFrozen, s.freezeMessage()
	case s.ro.Spec.Paused:
		return wavegatev1alpha1.PhasePaused, wavegatev1alpha1.ReasonSpecPaused, "spec.paused is true"
	case s.complete():
		return wavegatev1alpha1.PhaseComplete, wavegatev1alpha1.ReasonComplete, "every wave converged and baked"
	case s.st.BakeStartedAt != nil:
		return wavegatev1alpha1.PhaseBaking, wavegatev1alpha1.ReasonWaiting,
			fmt.Sprintf("wave %s is baking until %s", s.st.CurrentWave, s.st.BakeUntil.UTC().Format(time.RFC3339))
	case s.nothingApplied():
		return wavegatev1alpha1.PhasePending, wavegatev1alpha1.ReasonWaiting, s.waitingMessage()
	default:
		return wavegatev1alpha1.PhaseProgressing, wavegatev1alpha1.ReasonWaiting, s.waitingMessage()
	}
}

func targetName(ro *wavegatev1alpha1.ConfigRollout) string {
	if ro.Spec.Target.Name != "" {
		return ro.Spec.Target.Name
	}
	return "matching the selector"
}

func (s *stepper) freezeMessage() string {
	for _, region := range s.waves[s.waveIndex()] {
		if by := s.frozen(region); by != "" {
			return fmt.Sprintf("paused by Freeze %s, which covers region %s of wave %s", by, region, s.st.CurrentWave)
		}
	}
	return "paused by a Freeze"
}

func (s *stepper) nothingApplied() bool {
	for _, rs := range s.st.Regions {
		if rs.AppliedAt != nil || rs.State == wavegatev1alpha1.RegionConverged {
			return false
		}
	}
	return len(s.apply) == 0
}

func (s *stepper) waitingMessage() string {
	var waiting []string
	for _, rs := range s.currentRegions() {
		if rs.State != wavegatev1alpha1.RegionConverged {
			waiting = append(waiting, fmt.Sprintf("%s (%s)", rs.Name, rs.State))
		}
	}
	return fmt.Sprintf("wave %s: waiting for %s", s.st.CurrentWave, strings.Join(waiting, ", "))
}

// setPhase records the phase and the conditions that follow from it, and
// emits an Event when the phase changes.
func (s *stepper) setPhase(phase wavegatev1alpha1.RolloutPhase, reason, msg string) {
	prev := s.st.Phase
	s.st.Phase = phase
	is := func(p wavegatev1alpha1.RolloutPhase) bool { return phase == p }
	s.condition(wavegatev1alpha1.ConditionBlocked, is(wavegatev1alpha1.PhaseBlocked), reason, msg)
	s.condition(wavegatev1alpha1.ConditionPaused, is(wavegatev1alpha1.PhasePaused), reason, msg)
	s.condition(wavegatev1alpha1.ConditionProgressing, is(wavegatev1alpha1.PhaseProgressing) || is(wavegatev1alpha1.PhaseBaking) || is(wavegatev1alpha1.PhasePending), reason, msg)
	converged := meta.IsStatusConditionTrue(s.st.Conditions, wavegatev1alpha1.ConditionConverged)
	s.condition(wavegatev1alpha1.ConditionReady, is(wavegatev1alpha1.PhaseComplete) && converged, reason, msg)
	s.condition(wavegatev1alpha1.ConditionStalled, is(wavegatev1alpha1.PhaseBlocked) || is(wavegatev1alpha1.PhaseFailed), reason, msg)
	s.condition(wavegatev1alpha1.ConditionReconciling, is(wavegatev1alpha1.PhaseProgressing) || is(wavegatev1alpha1.PhaseBaking) || is(wavegatev1alpha1.PhasePending), reason, msg)
	if prev == phase {
		return
	}
	switch {
	case phase == wavegatev1alpha1.PhaseBlocked:
		s.emit("Warning", "Blocked", "%s: %s", reason, msg)
	case phase == wavegatev1alpha1.PhasePaused:
		s.emit("Warning", "Paused", "%s", msg)
	case prev == wavegatev1alpha1.PhasePaused && reason != wavegatev1alpha1.ReasonFrozen && !s.ro.Spec.Paused && s.st.FrozenSince == nil && !s.resumedEmitted():
		s.emit("Normal", "Resumed", "Resumed: %s", msg)
	}
}

func (s *stepper) resumedEmitted() bool {
	for _, e := range s.events {
		if e.reason == "Resumed" {
			return true
		}
	}
	return false
}

func (s *stepper) condition(t string, status bool, reason, msg string) {
	c := metav1.Condition{Type: t, Status: metav1.ConditionFalse, Reason: reason, Message: msg, ObservedGeneration: s.ro.Generation}
	if status {
		c.Status = metav1.ConditionTrue
	}
	if c.Reason == "" {
		c.Reason = wavegatev1alpha1.ReasonWaiting
	}
	changed := meta.SetStatusCondition(&s.st.Conditions, c)
	// SetStatusCondition stamps the wall clock; the rollout's clock is the
	// injected one, so tests and status agree.
	if changed {
		meta.FindStatusCondition(s.st.Conditions, t).LastTransitionTime = metav1.Time{Time: s.w.now}
	}
}
