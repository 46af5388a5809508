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

import (
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TargetRef selects the regional objects a rollout changes: one or more per region.
// +kubebuilder:validation:XValidation:rule="has(self.name) != has(self.selector)",message="exactly one of name or selector must be set"
type TargetRef struct {
	// apiVersion of the target objects, such as apps/v1.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	APIVersion string `json:"apiVersion"`

	// kind of the target objects, such as Deployment.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	Kind string `json:"kind"`

	// namespace of the target objects; empty for cluster-scoped kinds or to
	// match the name in every namespace.
	// +optional
	// +kubebuilder:validation:MaxLength=63
	Namespace string `json:"namespace,omitempty"`

	// name of the target object in each region. Exactly one of name and selector.
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name,omitempty"`

	// selector matches the target objects by label. Exactly one of name and selector.
	// +optional
	Selector *metav1.LabelSelector `json:"selector,omitempty"`
}

// SkipRegion is a visible exception to a rollout.
type SkipRegion struct {
	// name of the region the rollout leaves alone.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	Name string `json:"name"`

	// reason says why the region is skipped; it is shown in status.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=512
	// +kubebuilder:validation:XValidation:rule="self.trim().size() > 0",message="reason must say why the region is skipped"
	Reason string `json:"reason"`
}

// HealthCheck is a Prometheus query that must stay within bounds in every
// region a rollout changed (docs/spec.md section 9).
// +kubebuilder:validation:XValidation:rule="has(self.min) || has(self.max)",message="set max (unhealthy above it), min (unhealthy below it), or both"
type HealthCheck struct {
	// name identifies the check in status, events and metrics.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	Name string `json:"name"`

	// query is PromQL; {{ .Region }} is replaced by the region's name. It
	// must return one sample.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=4096
	Query string `json:"query"`

	// max: the region is unhealthy while the value is above it.
	// +optional
	// +kubebuilder:validation:MaxLength=64
	Max *string `json:"max,omitempty"`

	// min: the region is unhealthy while the value is below it.
	// +optional
	// +kubebuilder:validation:MaxLength=64
	Min *string `json:"min,omitempty"`

	// interval between two evaluations; at least 1s.
	// +optional
	// +kubebuilder:default="30s"
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:MaxLength=32
	// +kubebuilder:validation:Pattern=`^([0-9]+(\.[0-9]+)?(ns|us|ms|s|m|h))+$`
	Interval *metav1.Duration `json:"interval,omitempty"`

	// failureThreshold is how many consecutive unhealthy evaluations make
	// the region Unhealthy.
	// +optional
	// +kubebuilder:default=2
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=100
	FailureThreshold *int32 `json:"failureThreshold,omitempty"`
}

// IntervalOrDefault is the check's interval, 30s when unset.
func (c *HealthCheck) IntervalOrDefault() time.Duration {
	if c.Interval == nil || c.Interval.Duration <= 0 {
		return 30 * time.Second
	}
	return c.Interval.Duration
}

// ThresholdOrDefault is the check's failureThreshold, 2 when unset.
func (c *HealthCheck) ThresholdOrDefault() int32 {
	if c.FailureThreshold == nil || *c.FailureThreshold < 1 {
		return 2
	}
	return *c.FailureThreshold
}

// UnhealthyAction is what a rollout does when a region it changed is unhealthy.
// +kubebuilder:validation:Enum=Halt;Revert
type UnhealthyAction string

const (
	// UnhealthyHalt stops the rollout: no further region is applied.
	UnhealthyHalt UnhealthyAction = "Halt"
	// UnhealthyRevert also restores, in every region the rollout changed,
	// the values its patch replaced.
	UnhealthyRevert UnhealthyAction = "Revert"
)

// ConfigRolloutSpec is one change rolled out wave by wave.
type ConfigRolloutSpec struct {
	// planRef names the WavePlan that orders the rollout.
	// +optional
	// +kubebuilder:default=default
	// +kubebuilder:validation:MaxLength=253
	PlanRef string `json:"planRef,omitempty"`

	// target selects the regional objects to change.
	// +required
	Target TargetRef `json:"target"`

	// patch is a JSON merge patch applied to each target with field manager "wavegate".
	// +required
	// +kubebuilder:validation:Type=object
	// +kubebuilder:pruning:PreserveUnknownFields
	// +kubebuilder:validation:MinProperties=1
	Patch apiextensionsv1.JSON `json:"patch"`

	// version is the version this change delivers, as observed through the
	// app.kubernetes.io/version label.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	Version string `json:"version"`

	// dependsOn names ConfigRollouts that must have converged in a region and
	// its failover pair before this rollout touches the region.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=32
	// +kubebuilder:validation:items:MaxLength=253
	DependsOn []string `json:"dependsOn,omitempty"`

	// regions limits the rollout to a subset of the plan's regions.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=500
	// +kubebuilder:validation:items:MaxLength=63
	Regions []string `json:"regions,omitempty"`

	// skipRegions are visible exceptions; each needs a reason.
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=500
	SkipRegions []SkipRegion `json:"skipRegions,omitempty"`

	// paused stops the rollout before its next step.
	// +optional
	Paused bool `json:"paused,omitempty"`

	// progressDeadline is how long a region may take to converge (or be
	// reported pinned) before the rollout is Blocked.
	// +optional
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:MaxLength=32
	// +kubebuilder:validation:Pattern=`^([0-9]+(\.[0-9]+)?(ns|us|ms|s|m|h))+$`
	ProgressDeadline *metav1.Duration `json:"progressDeadline,omitempty"`

	// healthChecks are evaluated in every region the rollout applied, from
	// its apply until the end of its wave's bake and again before the next
	// wave. The plan's healthChecks apply as well.
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=16
	HealthChecks []HealthCheck `json:"healthChecks,omitempty"`

	// onUnhealthy: Halt (default) stops the rollout; Revert also restores
	// what the patch replaced in every region the rollout changed.
	// +optional
	// +kubebuilder:default=Halt
	OnUnhealthy UnhealthyAction `json:"onUnhealthy,omitempty"`

	// freezeOnUnhealthy also creates a Freeze for an unhealthy region, so
	// every other change stops there too.
	// +optional
	FreezeOnUnhealthy bool `json:"freezeOnUnhealthy,omitempty"`
}

// PlanName is the WavePlan that orders the rollout: spec.planRef, else the
// default plan.
func (s *ConfigRolloutSpec) PlanName() string {
	return PlanOrDefault(s.PlanRef)
}

// RolloutPhase summarises where a rollout is.
// +kubebuilder:validation:Enum=Pending;Progressing;Baking;Paused;Blocked;Complete;Failed
type RolloutPhase string

// Condition reasons of a ConfigRollout.
const (
	// ReasonPinnedBuild: a target is pinned to another version.
	ReasonPinnedBuild = "PinnedBuild"
	// ReasonTargetMissing: a region of the current wave has no target object.
	ReasonTargetMissing = "TargetMissing"
	// ReasonProgressDeadlineExceeded: a region did not converge within progressDeadline.
	ReasonProgressDeadlineExceeded = "ProgressDeadlineExceeded"
	// ReasonPlanNotFound: the WavePlan does not exist.
	ReasonPlanNotFound = "PlanNotFound"
	// ReasonFrozen: a Freeze covers a region of the current wave.
	ReasonFrozen = "Frozen"
	// ReasonSpecPaused: spec.paused is true.
	ReasonSpecPaused = "SpecPaused"
	// ReasonWaiting: the rollout waits (for convergence, a dependency or a bake).
	ReasonWaiting = "Waiting"
	// ReasonKindNotServed: the cluster does not serve the target kind.
	ReasonKindNotServed = "KindNotServed"
	// ReasonTargetNotPermitted: Wavegate may not read or patch the target
	// kind (docs/security.md: the rollout-targets ClusterRole). The rollout
	// is Blocked until it may.
	ReasonTargetNotPermitted = "TargetNotPermitted"
	// ReasonClusterNotConnected: a region of the step is a cluster of its
	// own (Region spec.cluster) that the hub does not reach; its targets
	// can be neither read nor patched, so the rollout waits rather than
	// skip the region.
	ReasonClusterNotConnected = "ClusterNotConnected"
	// ReasonUnhealthy: a region the rollout changed failed a health check.
	ReasonUnhealthy = "Unhealthy"
	// ReasonReverted: the rollout restored what it changed after a region
	// turned unhealthy.
	ReasonReverted = "Reverted"
	// ReasonInvalidTarget: spec.target cannot be read (an apiVersion or a
	// selector the API server would not accept).
	ReasonInvalidTarget = "InvalidTarget"
	// ReasonPatchFailed: the API server did not accept the patch of a target.
	// The rollout is Failed when no retry can succeed (the patch is invalid),
	// and Blocked while one may (a denial, an unavailable server).
	ReasonPatchFailed = "PatchFailed"
	// ReasonComplete: every wave has baked.
	ReasonComplete = "Complete"
	// ReasonConverged / ReasonNotConverged report live convergence.
	ReasonConverged    = "Converged"
	ReasonNotConverged = "NotConverged"
)

// Event reasons of a ConfigRollout: one Event on every transition.
const (
	// EventWaveStarted: a wave's regions may now be applied.
	EventWaveStarted = "WaveStarted"
	// EventRegionApplied: the patch was applied to every target of a region.
	EventRegionApplied = "RegionApplied"
	// EventRegionConverged: a region is observed at spec.version.
	EventRegionConverged = "RegionConverged"
	// EventRegionPinned: a region's target is pinned to another version.
	EventRegionPinned = "RegionPinned"
	// EventBakeStarted: every region of the wave converged; the bake began.
	EventBakeStarted = "BakeStarted"
	// EventWaveCompleted: the wave converged and baked.
	EventWaveCompleted = "WaveCompleted"
	// EventRolloutComplete: every wave converged and baked.
	EventRolloutComplete = "RolloutComplete"
	// EventRegionUnhealthy: a health check failed failureThreshold times in
	// a row in a region.
	EventRegionUnhealthy = "RegionUnhealthy"
	// EventRolloutHalted: a region turned unhealthy; no further region is applied.
	EventRolloutHalted = "RolloutHalted"
	// EventRolloutReverted: what the rollout changed was restored.
	EventRolloutReverted = "RolloutReverted"
	// EventPaused: spec.paused or a Freeze paused the rollout.
	EventPaused = "Paused"
	// EventResumed: the rollout goes on after a pause.
	EventResumed = "Resumed"
	// EventBlocked: the rollout cannot go on (a pin, a missing target, a
	// deadline, a missing plan, a patch the API server did not accept).
	EventBlocked = "Blocked"
	// EventFailed: the rollout cannot go on without a change to its spec.
	EventFailed = "Failed"
)

// Rollout phases.
const (
	// PhasePending: nothing applied yet.
	PhasePending RolloutPhase = "Pending"
	// PhaseProgressing: the current wave is being applied or converging.
	PhaseProgressing RolloutPhase = "Progressing"
	// PhaseBaking: the current wave converged and is baking.
	PhaseBaking RolloutPhase = "Baking"
	// PhasePaused: paused by spec.paused or a Freeze.
	PhasePaused RolloutPhase = "Paused"
	// PhaseBlocked: a pin, a missing target or plan, a missed progress
	// deadline or a patch the API server does not accept yet stops the rollout.
	PhaseBlocked RolloutPhase = "Blocked"
	// PhaseComplete: every targeted region is observed at spec.version.
	PhaseComplete RolloutPhase = "Complete"
	// PhaseFailed: the rollout cannot go on without a change to its spec (or
	// to the cluster): the target kind is not served, or the API server
	// rejects the patch as invalid.
	PhaseFailed RolloutPhase = "Failed"
)

// RegionState is what the controller observed of one region.
// +kubebuilder:validation:Enum=Pending;Applied;Converged;Pinned;NotConverged;Missing;Frozen;Skipped;Unhealthy;Reverted
type RegionState string

// Region states.
const (
	// RegionPending: the region's wave has not started.
	RegionPending RegionState = "Pending"
	// RegionApplied: the patch was applied; convergence is not yet observed.
	RegionApplied RegionState = "Applied"
	// RegionConverged: observed running spec.version.
	RegionConverged RegionState = "Converged"
	// RegionPinned: a target holds a pin on another version; it is never patched.
	RegionPinned RegionState = "Pinned"
	// RegionNotConverged: applied, but not observed at spec.version.
	RegionNotConverged RegionState = "NotConverged"
	// RegionMissing: no target object was found in the region.
	RegionMissing RegionState = "Missing"
	// RegionFrozen: a Freeze covers the region.
	RegionFrozen RegionState = "Frozen"
	// RegionSkipped: listed in spec.skipRegions.
	RegionSkipped RegionState = "Skipped"
	// RegionUnhealthy: a health check failed failureThreshold times in a row.
	RegionUnhealthy RegionState = "Unhealthy"
	// RegionReverted: what the patch replaced was restored.
	RegionReverted RegionState = "Reverted"
)

// HealthStatus is the latest evaluation of one health check in one region.
type HealthStatus struct {
	// name of the check.
	Name string `json:"name"`
	// value is the last value read, or why none could be read.
	// +optional
	Value string `json:"value,omitempty"`
	// failures counts consecutive unhealthy evaluations.
	// +optional
	Failures int32 `json:"failures,omitempty"`
	// lastEvaluated is when the check was last evaluated.
	// +optional
	LastEvaluated *metav1.Time `json:"lastEvaluated,omitempty"`
}

// Replaced is what a patch replaced in one target, as a JSON merge patch
// that restores it.
type Replaced struct {
	// target is "Kind namespace/name".
	Target string `json:"target"`
	// patch restores the values the rollout's patch replaced.
	// +kubebuilder:validation:Type=object
	// +kubebuilder:pruning:PreserveUnknownFields
	Patch apiextensionsv1.JSON `json:"patch"`
}

// RolloutRegionStatus is the observed state of one region of a rollout.
type RolloutRegionStatus struct {
	// name of the region.
	Name string `json:"name"`
	// wave the region belongs to.
	// +optional
	Wave string `json:"wave,omitempty"`
	// state of the region.
	State RegionState `json:"state"`
	// observedVersion is the version the region was observed running.
	// +optional
	ObservedVersion string `json:"observedVersion,omitempty"`
	// message explains the state (a pin reason, what is not converged).
	// +optional
	Message string `json:"message,omitempty"`
	// appliedAt is when the patch was applied in the region.
	// +optional
	AppliedAt *metav1.Time `json:"appliedAt,omitempty"`
	// convergedAt is when the region was first observed converged.
	// +optional
	ConvergedAt *metav1.Time `json:"convergedAt,omitempty"`
	// appliedRevision is the revision (status.revision) of the change last
	// applied in the region. A region applied under an older revision is
	// applied again, in its wave, before it counts as converged.
	// +optional
	AppliedRevision string `json:"appliedRevision,omitempty"`
	// health is each health check's latest evaluation in the region.
	// +optional
	// +listType=map
	// +listMapKey=name
	Health []HealthStatus `json:"health,omitempty"`
	// revertedAt is when what the patch replaced was restored (Revert).
	// The region that turned unhealthy stays Unhealthy; the others become
	// Reverted.
	// +optional
	RevertedAt *metav1.Time `json:"revertedAt,omitempty"`
	// replaced is, per target, what the patch replaced (for Revert),
	// recorded at apply time.
	// +optional
	// +kubebuilder:validation:MaxItems=16
	Replaced []Replaced `json:"replaced,omitempty"`
}

// ConfigRolloutStatus is the observed progress of a rollout. All progress
// lives here, so a restarted controller neither repeats nor skips a step.
type ConfigRolloutStatus struct {
	// observedGeneration is the generation last processed by the controller.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
	// revision identifies the change this progress is for: a hash of
	// spec.version and spec.patch. When either is edited, the change starts
	// again from the first wave.
	// +optional
	Revision string `json:"revision,omitempty"`
	// phase summarises the rollout.
	// +optional
	Phase RolloutPhase `json:"phase,omitempty"`
	// currentWave is the name of the wave in progress.
	// +optional
	CurrentWave string `json:"currentWave,omitempty"`
	// currentWaveIndex is the position of currentWave in the plan, from 0.
	// +optional
	CurrentWaveIndex *int32 `json:"currentWaveIndex,omitempty"`
	// bakeStartedAt is when the current wave converged and began to bake.
	// +optional
	BakeStartedAt *metav1.Time `json:"bakeStartedAt,omitempty"`
	// bakeUntil is when the current wave's bake ends, if no freeze intervenes.
	// +optional
	BakeUntil *metav1.Time `json:"bakeUntil,omitempty"`
	// bakeFrozenFor is how long the current bake was frozen; frozen time does
	// not count as bake time.
	// +optional
	BakeFrozenFor *metav1.Duration `json:"bakeFrozenFor,omitempty"`
	// frozenSince is when a Freeze paused the rollout, while it does.
	// +optional
	FrozenSince *metav1.Time `json:"frozenSince,omitempty"`
	// pausedBy names the Freeze that pauses the rollout, while one does.
	// +optional
	PausedBy string `json:"pausedBy,omitempty"`
	// convergence is "converged/total" over the targeted regions.
	// +optional
	Convergence string `json:"convergence,omitempty"`
	// regions is the observed state of every region of the rollout.
	// +optional
	// +listType=map
	// +listMapKey=name
	Regions []RolloutRegionStatus `json:"regions,omitempty"`
	// conditions: Ready (the summary: True once Complete and converged) and
	// Converged (live) are always present. Reconciling and Progressing (while
	// the rollout moves), Stalled (while Blocked or Failed), Blocked and
	// Paused are present only while True.
	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// ConfigRollout is one change rolled out wave by wave, with bake time and
// observed (never assumed) convergence.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Cluster,shortName=cro,categories=wavegate
// +kubebuilder:printcolumn:name="Phase",type=string,JSONPath=`.status.phase`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`,priority=1
// +kubebuilder:printcolumn:name="Wave",type=string,JSONPath=`.status.currentWave`
// +kubebuilder:printcolumn:name="Converged",type=string,JSONPath=`.status.convergence`
// +kubebuilder:printcolumn:name="Version",type=string,JSONPath=`.spec.version`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
// +kubebuilder:validation:XValidation:rule="!has(self.spec.dependsOn) || !(self.metadata.name in self.spec.dependsOn)",message="spec.dependsOn must not name the rollout itself",fieldPath=".spec.dependsOn",reason=FieldValueInvalid
type ConfigRollout struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec is the change and how to roll it out.
	// +required
	Spec ConfigRolloutSpec `json:"spec"`

	// status is the observed progress.
	// +optional
	Status ConfigRolloutStatus `json:"status,omitempty"`
}

// ConfigRolloutList is a list of ConfigRollouts.
// +kubebuilder:object:root=true
type ConfigRolloutList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []ConfigRollout `json:"items"`
}

func init() {
	register(&ConfigRollout{}, &ConfigRolloutList{})
}
