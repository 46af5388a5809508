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
	"errors"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	wavegatev1alpha1 "github.com/wavegate/wavegate/api/v1alpha1"
)

// This file holds the pure status functions of a rollout: its phase, its
// conditions and the Events of a phase change, each decided from plain
// values so that a table test can state every case.

// failure is what the API server answered when the targets could not be
// read or a patch was not applied.
type failure struct {
	// permanent: no retry can succeed without a change to the spec or to
	// the cluster; the rollout is Failed. Otherwise it is Blocked.
	permanent       bool
	reason, message string
}

// phaseInput is what a rollout's phase is decided from.
type phaseInput struct {
	// failure is set when the targets could not be read or a patch failed.
	failure *failure
	// planMissing names the WavePlan when it does not exist.
	planMissing string
	// pins are every pinned region, "region at version (reason)";
	// pinInWave says whether one of them is in the current wave.
	pins      []string
	pinInWave bool
	// missing are the current wave's regions without a target; target
	// words the target, "ConfigMap settings".
	missing []string
	target  string
	// late are the current wave's regions past the progress deadline,
	// "region (what is not converged)".
	late     []string
	deadline time.Duration
	// frozen: a Freeze pauses the rollout; frozenBy covers frozenRegion of
	// the current wave.
	frozen                 bool
	frozenBy, frozenRegion string
	specPaused             bool
	complete               bool
	// wave is the current wave; bakeUntil is set while it bakes.
	wave      string
	bakeUntil time.Time
	// started: some region was applied or is converged.
	started bool
	// waiting are the current wave's regions not converged, "region (State)".
	waiting []string
	// unhealthy says which regions failed a health check; reverted, that
	// every region the rollout changed was restored; revertHeld, which
	// regions a Freeze keeps from being reverted.
	unhealthy  string
	reverted   []string
	revertHeld []string
}

// verdict is a phase with the reason and message its conditions carry.
type verdict struct {
	phase           wavegatev1alpha1.RolloutPhase
	reason, message string
}

// phase decides the rollout's phase; the order of the cases is the order of
// precedence.
func phase(in phaseInput) verdict {
	if v, stopped := stopped(in); stopped {
		return v
	}
	switch {
	case in.frozen:
		msg := "paused by a Freeze"
		if in.frozenBy != "" {
			msg = fmt.Sprintf("paused by Freeze %s, which covers region %s of wave %s", in.frozenBy, in.frozenRegion, in.wave)
		}
		return verdict{wavegatev1alpha1.PhasePaused, wavegatev1alpha1.ReasonFrozen, msg}
	case in.specPaused:
		return verdict{wavegatev1alpha1.PhasePaused, wavegatev1alpha1.ReasonSpecPaused, "spec.paused is true"}
	case in.complete:
		return verdict{wavegatev1alpha1.PhaseComplete, wavegatev1alpha1.ReasonComplete, "every wave converged and baked"}
	case !in.bakeUntil.IsZero():
		return verdict{wavegatev1alpha1.PhaseBaking, wavegatev1alpha1.ReasonWaiting,
			fmt.Sprintf("wave %s is baking until %s", in.wave, in.bakeUntil.UTC().Format(time.RFC3339))}
	case !in.started:
		return verdict{wavegatev1alpha1.PhasePending, wavegatev1alpha1.ReasonWaiting, waitingMessage(in)}
	default:
		return verdict{wavegatev1alpha1.PhaseProgressing, wavegatev1alpha1.ReasonWaiting, waitingMessage(in)}
	}
}

// stopped decides whether the rollout is Failed or Blocked, and why; these
// come before a pause.
func stopped(in phaseInput) (verdict, bool) {
	switch {
	case in.unhealthy != "" && len(in.reverted) > 0:
		return verdict{wavegatev1alpha1.PhaseFailed, wavegatev1alpha1.ReasonReverted,
			fmt.Sprintf("%s; reverted in %s; fix the cause and edit spec.version or spec.patch to roll out again", in.unhealthy, strings.Join(in.reverted, ", "))}, true
	case in.unhealthy != "":
		msg := in.unhealthy + "; no further region is applied"
		if len(in.revertHeld) > 0 {
			msg += "; reverting, held in " + strings.Join(in.revertHeld, ", ")
		}
		return verdict{wavegatev1alpha1.PhaseBlocked, wavegatev1alpha1.ReasonUnhealthy, msg + "; fix the region and edit spec.version or spec.patch to roll out again"}, true
	case in.failure != nil && in.failure.permanent:
		return verdict{wavegatev1alpha1.PhaseFailed, in.failure.reason, in.failure.message}, true
	case in.planMissing != "":
		return verdict{wavegatev1alpha1.PhaseBlocked, wavegatev1alpha1.ReasonPlanNotFound,
			fmt.Sprintf("WavePlan %s does not exist; create it or change spec.planRef", in.planMissing)}, true
	// Every pinned region is named, not only those of the current wave.
	case len(in.pins) > 0 && (in.complete || in.pinInWave):
		return verdict{wavegatev1alpha1.PhaseBlocked, wavegatev1alpha1.ReasonPinnedBuild,
			fmt.Sprintf("pinned, so never patched: %s; remove the pins or change spec.version", strings.Join(in.pins, ", "))}, true
	case len(in.missing) > 0:
		return verdict{wavegatev1alpha1.PhaseBlocked, wavegatev1alpha1.ReasonTargetMissing,
			fmt.Sprintf("no %s found in %s; create it or skip the region in spec.skipRegions", in.target, strings.Join(in.missing, ", "))}, true
	case len(in.late) > 0:
		return verdict{wavegatev1alpha1.PhaseBlocked, wavegatev1alpha1.ReasonProgressDeadlineExceeded,
			fmt.Sprintf("not converged within progressDeadline %s: %s", in.deadline, strings.Join(in.late, ", "))}, true
	case in.failure != nil:
		return verdict{wavegatev1alpha1.PhaseBlocked, in.failure.reason, in.failure.message}, true
	}
	return verdict{}, false
}

func waitingMessage(in phaseInput) string {
	return fmt.Sprintf("wave %s: waiting for %s", in.wave, strings.Join(in.waiting, ", "))
}

// convergenceCount is how many targeted regions are observed at the version.
type convergenceCount struct {
	// known is false while the plan is missing or the targets cannot be read.
	known            bool
	converged, total int
	version          string
}

func (c convergenceCount) all() bool { return c.known && c.converged == c.total }

// String is status.convergence: "converged/total".
func (c convergenceCount) String() string { return fmt.Sprintf("%d/%d", c.converged, c.total) }

func (c convergenceCount) message() string {
	return fmt.Sprintf("%d/%d regions observed at %s", c.converged, c.total, c.version)
}

// conditions returns prev with the rollout's conditions set from the verdict
// and the convergence, the kstatus way. Ready is the summary and Converged
// the live convergence; both are always present. Reconciling and its SPEC
// name Progressing, Stalled, Blocked and Paused are abnormal-true: present
// only while True, removed otherwise. A condition's lastTransitionTime is now
// when its status changes; prev is not modified.
func conditions(prev []metav1.Condition, v verdict, conv convergenceCount, generation int64, now time.Time) []metav1.Condition {
	out := append([]metav1.Condition(nil), prev...)
	set := func(t string, status metav1.ConditionStatus, reason, msg string) {
		meta.SetStatusCondition(&out, metav1.Condition{
			Type: t, Status: status, Reason: reason, Message: msg,
			ObservedGeneration: generation, LastTransitionTime: metav1.Time{Time: now},
		})
	}
	switch {
	case v.phase == wavegatev1alpha1.PhaseComplete && conv.all():
		set(wavegatev1alpha1.ConditionReady, metav1.ConditionTrue, v.reason, v.message)
	case v.phase == wavegatev1alpha1.PhaseComplete:
		// Drift after completion: the waves are done, the regions are not.
		set(wavegatev1alpha1.ConditionReady, metav1.ConditionFalse, wavegatev1alpha1.ReasonNotConverged, conv.message())
	default:
		set(wavegatev1alpha1.ConditionReady, metav1.ConditionFalse, v.reason, v.message)
	}
	switch {
	case !conv.known:
		set(wavegatev1alpha1.ConditionConverged, metav1.ConditionUnknown, v.reason, v.message)
	case conv.all():
		set(wavegatev1alpha1.ConditionConverged, metav1.ConditionTrue, wavegatev1alpha1.ReasonConverged, conv.message())
	default:
		set(wavegatev1alpha1.ConditionConverged, metav1.ConditionFalse, wavegatev1alpha1.ReasonNotConverged, conv.message())
	}
	is := func(phases ...wavegatev1alpha1.RolloutPhase) bool {
		for _, p := range phases {
			if v.phase == p {
				return true
			}
		}
		return false
	}
	moving := is(wavegatev1alpha1.PhasePending, wavegatev1alpha1.PhaseProgressing, wavegatev1alpha1.PhaseBaking)
	for _, c := range []struct {
		typ string
		on  bool
	}{
		{wavegatev1alpha1.ConditionReconciling, moving},
		{wavegatev1alpha1.ConditionProgressing, moving},
		{wavegatev1alpha1.ConditionStalled, is(wavegatev1alpha1.PhaseBlocked, wavegatev1alpha1.PhaseFailed)},
		{wavegatev1alpha1.ConditionBlocked, is(wavegatev1alpha1.PhaseBlocked)},
		{wavegatev1alpha1.ConditionPaused, is(wavegatev1alpha1.PhasePaused)},
	} {
		if c.on {
			set(c.typ, metav1.ConditionTrue, v.reason, v.message)
		} else {
			meta.RemoveStatusCondition(&out, c.typ)
		}
	}
	return out
}

// phaseEvents are the Events of a change of phase from prev to v; emitted
// are the Events the step already has (a Freeze that ended has said
// Resumed).
func phaseEvents(prev wavegatev1alpha1.RolloutPhase, v verdict, emitted []event) []event {
	if prev == v.phase {
		return nil
	}
	switch v.phase {
	case wavegatev1alpha1.PhaseBlocked:
		return []event{{corev1.EventTypeWarning, wavegatev1alpha1.EventBlocked, v.reason + ": " + v.message}}
	case wavegatev1alpha1.PhaseFailed:
		return []event{{corev1.EventTypeWarning, wavegatev1alpha1.EventFailed, v.reason + ": " + v.message}}
	case wavegatev1alpha1.PhasePaused:
		return []event{{corev1.EventTypeWarning, wavegatev1alpha1.EventPaused, v.message}}
	}
	if prev != wavegatev1alpha1.PhasePaused {
		return nil
	}
	for _, e := range emitted {
		if e.reason == wavegatev1alpha1.EventResumed {
			return nil
		}
	}
	return []event{{corev1.EventTypeNormal, wavegatev1alpha1.EventResumed, "Resumed: " + v.message}}
}

// patchFailure says what a failed patch of a region means for the rollout:
// nil when looking again at once may well succeed (the target was deleted or
// changed meanwhile); permanent when the API server rejects the patch itself
// (invalid, malformed, too large), so only a new spec.patch can succeed; else
// the rollout is Blocked (a denial, an unavailable server) and retried.
func patchFailure(region string, err error) *failure {
	if retryAtOnce(err) {
		return nil
	}
	f := &failure{reason: wavegatev1alpha1.ReasonPatchFailed}
	var multi *multiRegionTarget
	switch {
	case errors.As(err, &multi):
		f.permanent = true
		f.message = fmt.Sprintf("%v in region %s; Wavegate never patches an object that configures several regions at once; split it into one object per region, or narrow spec.target", err, region)
	case apierrors.IsInvalid(err), apierrors.IsBadRequest(err), apierrors.IsRequestEntityTooLargeError(err),
		apierrors.IsUnsupportedMediaType(err), apierrors.IsNotAcceptable(err), apierrors.IsMethodNotSupported(err):
		f.permanent = true
		f.message = fmt.Sprintf("the API server rejected the patch in region %s: %v; change spec.patch", region, err)
	default:
		f.message = fmt.Sprintf("the patch was not applied in region %s: %v; retrying", region, err)
	}
	return f
}

// retryAtOnce reports whether a failed patch should simply be tried again.
func retryAtOnce(err error) bool {
	return apierrors.IsNotFound(err) || apierrors.IsConflict(err)
}
