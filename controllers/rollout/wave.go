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
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	wavegatev1alpha1 "github.com/wavegate/wavegate/api/v1alpha1"
	"github.com/wavegate/wavegate/internal/convergence"
	"github.com/wavegate/wavegate/internal/health"
)

// This file holds the wave logic: which regions a step patches, and how the
// rollout's progress (regions, current wave, bake clock) moves. It is pure:
// the reconciler gathers the world, takes a step, patches what the step
// chose and settles the outcome; status.go decides the phase and conditions.

// world is everything one step needs, gathered by the reconciler.
type world struct {
	now  time.Time
	plan *wavegatev1alpha1.WavePlan // nil when the plan does not exist
	// unreadable says why the targets cannot be read (a kind the cluster
	// does not serve, an invalid target); nil when they can.
	unreadable *failure
	// targets are each region's target objects; observed is what they show.
	targets  map[string][]*unstructured.Unstructured
	observed map[string]observed
	// freezes are the Freezes in force now.
	freezes []wavegatev1alpha1.Freeze
	// deps are the rollouts of spec.dependsOn (absent when they do not exist).
	deps  map[string]*wavegatev1alpha1.ConfigRollout
	pairs func(region string) []string
	// checks are the rollout's and its plan's health checks; health holds
	// this step's evaluations, by region and check.
	checks []wavegatev1alpha1.HealthCheck
	health map[string]map[string]health.Verdict
	// clustered are the regions that are clusters of their own; patchers
	// reach those of them the hub is connected to. Every other region's
	// targets are patched locally.
	clustered map[string]bool
	patchers  map[string]client.Client
}

// patcherFor is the client that patches a region's targets. A region that
// is a cluster the hub does not reach has none: its targets are never
// patched (or reverted) through the local client instead.
func (w *world) patcherFor(region string, local client.Client) (client.Client, error) {
	if c, ok := w.patchers[region]; ok {
		return c, nil
	}
	if w.clustered[region] {
		return nil, fmt.Errorf("region %s is a cluster the hub does not reach now", region)
	}
	return local, nil
}

// event is a Kubernetes Event to emit for a transition.
type event struct {
	kind, reason, msg string
}

// progress is what a step decided: the rollout's progress (its regions, its
// wave and bake clock), the regions to patch now, the Events of its
// transitions and when to look again. Phase and conditions are settled once
// the patches are done.
type progress struct {
	status  wavegatev1alpha1.ConfigRolloutStatus
	apply   []string
	revert  []string
	events  []event
	requeue time.Duration
	// unhealthy are the regions that turned unhealthy in this step.
	unhealthy []unhealthyRegion
}

// applied is what came of patching one region's targets.
type applied struct {
	region string
	// err is nil when every target of the region was patched.
	err error
	// replaced is, per target, what the patch replaced (for a revert).
	replaced []wavegatev1alpha1.Replaced
	// revert: this was a revert of the region, not an apply.
	revert bool
}

// outcome is the status to write, the Events to emit and when to look again.
type outcome struct {
	status  wavegatev1alpha1.ConfigRolloutStatus
	events  []event
	requeue time.Duration
}

// step computes the rollout's next progress from its current status and what
// is observed now.
func step(ro *wavegatev1alpha1.ConfigRollout, w *world) progress {
	st := *ro.Status.DeepCopy()
	restart(&st, revision(ro))
	s := newStepper(ro, w, st)
	if w.plan != nil && w.unreadable == nil {
		s.run()
	}
	revert, _ := s.toRevert()
	return progress{status: s.st, apply: s.apply, revert: revert, events: s.events, requeue: s.requeue, unhealthy: s.unhealthy}
}

// settle records the regions whose patch the API server accepted, then
// decides the phase and the conditions from the progress as it now is.
func settle(ro *wavegatev1alpha1.ConfigRollout, w *world, p progress, results []applied) outcome {
	s := newStepper(ro, w, *p.status.DeepCopy())
	s.events = append([]event(nil), p.events...)
	failed := w.unreadable
	for _, a := range results {
		if a.err != nil {
			if f := patchFailure(a.region, a.err); f != nil && failed == nil {
				failed = f
			}
			continue
		}
		if a.revert {
			s.markReverted(a.region)
			continue
		}
		rs := s.findRegion(a.region)
		if rs == nil {
			continue
		}
		rs.AppliedAt = &metav1.Time{Time: w.now}
		rs.AppliedRevision = s.st.Revision
		rs.State = wavegatev1alpha1.RegionApplied
		rs.Replaced = keepFirst(rs.Replaced, a.replaced)
		s.emit(corev1.EventTypeNormal, wavegatev1alpha1.EventRegionApplied, "Applied version %s to region %s", ro.Spec.Version, a.region)
	}
	in := s.describe(failed)
	v := phase(in)
	conv := s.convergence()
	st := &s.st
	st.ObservedGeneration = ro.Generation
	if conv.known {
		st.Convergence = conv.String()
	}
	s.events = append(s.events, phaseEvents(ro.Status.Phase, v, s.events)...)
	st.Phase = v.phase
	st.Conditions = conditions(st.Conditions, v, conv, ro.Generation, w.now)
	return outcome{status: s.st, events: s.events, requeue: p.requeue}
}

// revision identifies the change a rollout delivers: its spec.version and
// spec.patch. Other edits (paused, skipRegions, progressDeadline) do not
// change it.
func revision(ro *wavegatev1alpha1.ConfigRollout) string {
	h := sha256.New()
	h.Write([]byte(ro.Spec.Version))
	h.Write([]byte{0})
	h.Write(ro.Spec.Patch.Raw)
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// restart starts the change again from the first wave when spec.version or
// spec.patch was edited since the progress in st was made (SPEC §3): the
// wave and bake clock go back to the start, and every region applied under
// the earlier revision keeps that revision in appliedRevision, so that it is
// applied again in its wave, with bake, before it counts as converged. It
// reports whether the change restarted.
func restart(st *wavegatev1alpha1.ConfigRolloutStatus, rev string) bool {
	prev := st.Revision
	st.Revision = rev
	if prev == "" || prev == rev {
		// A new rollout, or status from before revisions were recorded.
		return false
	}
	st.CurrentWaveIndex, st.CurrentWave = nil, ""
	st.BakeStartedAt, st.BakeUntil, st.BakeFrozenFor = nil, nil, nil
	for i := range st.Regions {
		rs := &st.Regions[i]
		if rs.AppliedAt != nil && rs.AppliedRevision == "" {
			rs.AppliedRevision = prev
		}
		rs.AppliedAt, rs.ConvergedAt = nil, nil
		// An edited change is judged afresh: health starts over, and a
		// halted or reverted region may be applied again.
		rs.Health = nil
		if rs.State == wavegatev1alpha1.RegionUnhealthy || rs.State == wavegatev1alpha1.RegionReverted {
			rs.State, rs.Message = wavegatev1alpha1.RegionPending, ""
		}
	}
	return true
}

type stepper struct {
	ro      *wavegatev1alpha1.ConfigRollout
	w       *world
	st      wavegatev1alpha1.ConfigRolloutStatus
	waves   [][]string // the rollout's regions, wave by wave
	apply   []string
	events  []event
	requeue time.Duration
	// unhealthy are the regions that turned unhealthy in this step.
	unhealthy []unhealthyRegion
}

func newStepper(ro *wavegatev1alpha1.ConfigRollout, w *world, st wavegatev1alpha1.ConfigRolloutStatus) *stepper {
	s := &stepper{ro: ro, w: w, st: st}
	if w.plan != nil {
		s.waves = rolloutWaves(ro, w.plan)
	}
	return s
}

func (s *stepper) emit(kind, reason, format string, args ...any) {
	s.events = append(s.events, event{kind: kind, reason: reason, msg: fmt.Sprintf(format, args...)})
}

func (s *stepper) run() {
	if s.st.CurrentWaveIndex == nil && len(s.waves) > 0 {
		s.emit(corev1.EventTypeNormal, wavegatev1alpha1.EventWaveStarted, "Wave %s started", s.w.plan.Spec.Waves[0].Name)
	}
	s.observeRegions()
	s.recordHealth()
	// Advance through waves that are done; a step never starts a wave whose
	// predecessor has not converged and baked.
	for s.advance() {
	}
	s.setWaveIndex(s.waveIndex())
}

// rolloutWaves lists the rollout's regions per plan wave, limited to
// spec.regions when it is set.
func rolloutWaves(ro *wavegatev1alpha1.ConfigRollout, plan *wavegatev1alpha1.WavePlan) [][]string {
	only := map[string]bool{}
	for _, r := range ro.Spec.Regions {
		only[r] = true
	}
	waves := make([][]string, len(plan.Spec.Waves))
	for i, wave := range plan.Spec.Waves {
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
	if rs := s.findRegion(region); rs != nil {
		return rs
	}
	s.st.Regions = append(s.st.Regions, wavegatev1alpha1.RolloutRegionStatus{Name: region})
	return &s.st.Regions[len(s.st.Regions)-1]
}

// findRegion returns the status entry of a region, or nil.
func (s *stepper) findRegion(region string) *wavegatev1alpha1.RolloutRegionStatus {
	return regionIn(s.st.Regions, region)
}

// observeRegions sets every region's state from what is observed now.
func (s *stepper) observeRegions() {
	current := s.waveIndex()
	var keep []wavegatev1alpha1.RolloutRegionStatus
	for i, wave := range s.waves {
		for _, region := range wave {
			rs := s.regionStatus(region)
			prev, prevMessage := rs.State, rs.Message
			rs.Wave = s.w.plan.Spec.Waves[i].Name
			s.observeRegion(rs, i, current)
			stickyHealth(rs, prev, prevMessage)
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
	// Applied under an earlier revision of the change: what is observed
	// there may be the old change, so it is applied again in its wave.
	stale := rs.AppliedRevision != "" && rs.AppliedRevision != s.st.Revision
	if stale && o.converged {
		rs.Message = "applied before spec.version or spec.patch was edited; applying again in its wave"
	}
	switch {
	case o.pinned:
		rs.State = wavegatev1alpha1.RegionPinned
		rs.Message = o.pinReason
	case o.converged && !stale:
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
		s.emit(corev1.EventTypeNormal, wavegatev1alpha1.EventRegionConverged, "Region %s converged at %s", rs.Name, rs.ObservedVersion)
	case wavegatev1alpha1.RegionPinned:
		s.emit(corev1.EventTypeWarning, wavegatev1alpha1.EventRegionPinned, "Region %s is pinned at %s: %s", rs.Name, rs.ObservedVersion, orNone(rs.Message))
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
		if rs := s.findRegion(region); rs != nil && rs.State != wavegatev1alpha1.RegionSkipped {
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
	if s.halted() || s.holdForFreeze() || s.ro.Spec.Paused {
		return false
	}
	// While a wave's regions are applied, their checks are evaluated every
	// interval.
	if d := minInterval(s.w.checks); d > 0 {
		s.requeueAfter(d)
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
		s.emit(corev1.EventTypeNormal, wavegatev1alpha1.EventBakeStarted, "Wave %s converged; baking for %s", wave.Name, wave.BakeTime.Duration)
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
	// The wave's regions are evaluated once more after the bake; the next
	// wave starts only when every check passes there.
	if !s.healthyAfter(until) {
		return false
	}
	// Convergence was just observed for every region of the wave, at the end
	// of the bake: the wave is done.
	s.emit(corev1.EventTypeNormal, wavegatev1alpha1.EventWaveCompleted, "Wave %s converged and baked", wave.Name)
	s.setWaveIndex(s.waveIndex() + 1)
	s.st.BakeStartedAt, s.st.BakeUntil, s.st.BakeFrozenFor = nil, nil, nil
	if s.complete() {
		s.st.CurrentWave = ""
		s.emit(corev1.EventTypeNormal, wavegatev1alpha1.EventRolloutComplete, "Every wave converged and baked at version %s", s.ro.Spec.Version)
		return false
	}
	s.emit(corev1.EventTypeNormal, wavegatev1alpha1.EventWaveStarted, "Wave %s started", s.w.plan.Spec.Waves[s.waveIndex()].Name)
	s.observeRegions()
	return true
}

// holdForFreeze pauses the rollout while a Freeze covers a region of the
// current wave, and keeps frozen time out of the bake.
func (s *stepper) holdForFreeze() bool {
	by, _ := s.freeze()
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
			s.emit(corev1.EventTypeNormal, wavegatev1alpha1.EventResumed, "No Freeze covers wave %s any more; resuming after %s", s.st.CurrentWave, frozenFor)
		}
		return false
	}
	if s.st.FrozenSince == nil {
		s.st.FrozenSince = &metav1.Time{Time: s.w.now}
	}
	return true
}

// freeze names the Freeze that covers a region of the current wave, and
// that region; "" when none does. A region in spec.skipRegions is not the
// rollout's to change, so a Freeze there does not pause it.
func (s *stepper) freeze() (by, region string) {
	if s.complete() {
		return "", ""
	}
	for _, r := range s.waves[s.waveIndex()] {
		if _, skipped := s.skipReason(r); skipped {
			continue
		}
		if by := s.frozen(r); by != "" {
			return by, r
		}
	}
	return "", ""
}

// dependencyWait says which dependency has not converged in a region and its pair.
func (s *stepper) dependencyWait(region string) string {
	for _, name := range s.ro.Spec.DependsOn {
		dep, ok := s.w.deps[name]
		if !ok {
			return fmt.Sprintf("waiting for ConfigRollout %s, which does not exist", name)
		}
		rs := convergence.InRegionAndPairs(dep, region, s.w.pairs(region))
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

// describe gathers what the phase is decided from.
func (s *stepper) describe(failed *failure) phaseInput {
	in := phaseInput{failure: failed, specPaused: s.ro.Spec.Paused, target: targetName(s.ro)}
	if s.halted() {
		in.unhealthy = s.healthVerdict()
		_, in.revertHeld = s.toRevert()
		if s.reverted() {
			for _, rs := range s.st.Regions {
				if rs.RevertedAt != nil {
					in.reverted = append(in.reverted, rs.Name)
				}
			}
		}
	}
	if s.w.plan == nil {
		in.planMissing = s.ro.Spec.PlanName()
		return in
	}
	currentPins, missing, late := s.blockers()
	in.pins, in.pinInWave = s.pins(false), len(currentPins) > 0
	in.missing, in.late = missing, late
	if d := s.ro.Spec.ProgressDeadline; d != nil {
		in.deadline = d.Duration
	}
	in.frozen = s.st.FrozenSince != nil
	in.frozenBy, in.frozenRegion = s.freeze()
	in.complete = s.complete()
	in.wave = s.st.CurrentWave
	if s.st.BakeStartedAt != nil && s.st.BakeUntil != nil {
		in.bakeUntil = s.st.BakeUntil.Time
	}
	for _, rs := range s.st.Regions {
		if rs.AppliedAt != nil || rs.State == wavegatev1alpha1.RegionConverged {
			in.started = true
		}
	}
	for _, rs := range s.currentRegions() {
		if rs.State != wavegatev1alpha1.RegionConverged {
			in.waiting = append(in.waiting, fmt.Sprintf("%s (%s)", rs.Name, rs.State))
		}
	}
	return in
}

// convergence counts the targeted regions observed at spec.version; it is
// not known while the plan is missing or the targets cannot be read.
func (s *stepper) convergence() convergenceCount {
	c := convergenceCount{version: s.ro.Spec.Version, known: s.w.plan != nil && s.w.unreadable == nil}
	for _, rs := range s.st.Regions {
		if rs.State == wavegatev1alpha1.RegionSkipped {
			continue
		}
		c.total++
		if rs.State == wavegatev1alpha1.RegionConverged {
			c.converged++
		}
	}
	return c
}

// targetName words the target for messages: "ConfigMap settings".
func targetName(ro *wavegatev1alpha1.ConfigRollout) string {
	if ro.Spec.Target.Name != "" {
		return ro.Spec.Target.Kind + " " + ro.Spec.Target.Name
	}
	return ro.Spec.Target.Kind + " matching the selector"
}
