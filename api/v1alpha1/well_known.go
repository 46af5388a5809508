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

package v1alpha1

import "strings"

// Labels and annotations that users put on their own objects (docs/spec.md section 2).
const (
	// LabelRegion marks an object (or every object of a Namespace) as configuring one region.
	LabelRegion = "wavegate.io/region"
	// LabelRollout names the ConfigRollout that made an object, such as the
	// Freeze of freezeOnUnhealthy.
	LabelRollout = "wavegate.io/rollout"
	// AnnotationRegions marks an object as configuring several regions at once: "r1,r2" or "*".
	AnnotationRegions = "wavegate.io/regions"
	// LabelProtection is "protected" or "deletable"; a missing label means protected.
	LabelProtection = "wavegate.io/protection"
	// AnnotationRevertOf marks the controller's patch that restores what a
	// ConfigRollout changed (onUnhealthy: Revert); the gate lets it through a
	// Freeze that allows reverts.
	AnnotationRevertOf = "wavegate.io/revert-of"
	// AnnotationRequires names ConfigRollouts that must have converged before a change.
	AnnotationRequires = "wavegate.io/requires"
	// AnnotationChangeID names a change; without it a hash of the payload identifies it.
	AnnotationChangeID = "wavegate.io/change-id"
	// AnnotationPlan names the WavePlan that judges a change's velocity.
	AnnotationPlan = "wavegate.io/plan"
	// AnnotationPinnedVersion holds a rollout target on a version.
	AnnotationPinnedVersion = "wavegate.io/pinned-version"
	// AnnotationPinReason says why a target is pinned.
	AnnotationPinReason = "wavegate.io/pin-reason"
	// LabelVersion is the version an object runs, as observed.
	LabelVersion = "app.kubernetes.io/version"
)

// Values of LabelProtection.
const (
	// ProtectionProtected forbids automation to delete the object.
	ProtectionProtected = "protected"
	// ProtectionDeletable allows delete automation to remove the object.
	ProtectionDeletable = "deletable"
)

// AllRegions is the region wildcard accepted by Freezes and AutomationPolicies.
const AllRegions = "*"

// IsAllRegions reports whether a region list is the wildcard ["*"].
func IsAllRegions(regions []string) bool {
	return len(regions) == 1 && regions[0] == AllRegions
}

// DefaultWavePlan is the plan used wherever no plan is named.
const DefaultWavePlan = "default"

// PlanOrDefault is the WavePlan a name refers to: the name itself, else
// DefaultWavePlan when it is empty or blank.
func PlanOrDefault(name string) string {
	if name = strings.TrimSpace(name); name != "" {
		return name
	}
	return DefaultWavePlan
}

// Condition types shared by the Wavegate kinds: the kstatus vocabulary and
// the rollout's own. Ready is the summary of every kind and is always
// present; Reconciling, Stalled, Progressing, Paused and Blocked are
// abnormal-true: present only while True, removed otherwise.
const (
	// ConditionReady is True when the object is fully reconciled and usable:
	// a rollout Complete and converged, a Freeze in force, a policy whose
	// scope is fully tagged and known.
	ConditionReady = "Ready"
	// ConditionReconciling is True while the controller works towards the
	// desired state (kstatus).
	ConditionReconciling = "Reconciling"
	// ConditionStalled is True while progress needs a human (kstatus): a
	// rollout Blocked or Failed, a policy whose scope cannot be scanned.
	ConditionStalled = "Stalled"
	// ConditionProgressing is True while a rollout moves through its waves
	// (the rollout's name for Reconciling).
	ConditionProgressing = "Progressing"
	// ConditionPaused is True while a rollout is paused by its spec or a Freeze.
	ConditionPaused = "Paused"
	// ConditionBlocked is True while a rollout is Blocked (a pin, a missing
	// target, a deadline); Stalled is True then too, and also when it Failed.
	ConditionBlocked = "Blocked"
	// ConditionConverged is True while every targeted region is observed at
	// spec.version; unlike the others it is always present, and turns False
	// on drift.
	ConditionConverged = "Converged"
)
