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

// Labels and annotations that users put on their own objects (docs/spec.md section 2).
const (
	// LabelRegion marks an object (or every object of a Namespace) as configuring one region.
	LabelRegion = "wavegate.io/region"
	// AnnotationRegions marks an object as configuring several regions at once: "r1,r2" or "*".
	AnnotationRegions = "wavegate.io/regions"
	// LabelProtection is "protected" or "deletable"; a missing label means protected.
	LabelProtection = "wavegate.io/protection"
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

// Condition types shared by the Wavegate kinds (kstatus vocabulary plus the
// rollout-specific ones).
const (
	// ConditionReady is True when the object is fully reconciled and usable.
	ConditionReady = "Ready"
	// ConditionReconciling is True while the controller works towards the desired state.
	ConditionReconciling = "Reconciling"
	// ConditionStalled is True when progress needs a human.
	ConditionStalled = "Stalled"
	// ConditionProgressing is True while a rollout moves through its waves.
	ConditionProgressing = "Progressing"
	// ConditionPaused is True while a rollout is paused by its spec or a Freeze.
	ConditionPaused = "Paused"
	// ConditionBlocked is True while a rollout cannot proceed (a pin, a deadline).
	ConditionBlocked = "Blocked"
	// ConditionConverged is True while every targeted region is observed at spec.version.
	ConditionConverged = "Converged"
	// ConditionActive is True while a Freeze is in force.
	ConditionActive = "Active"
)
