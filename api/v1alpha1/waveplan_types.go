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
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Wave is one step of the safe-deployment order.
type Wave struct {
	// name identifies the wave, such as canary, pilot or broad-1.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([a-z0-9-]*[a-z0-9])?$`
	Name string `json:"name"`

	// regions are the regions that change together in this wave. A region
	// belongs to one wave, and a failover pair never shares a wave.
	// +required
	// +listType=set
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=100
	// +kubebuilder:validation:items:MaxLength=63
	Regions []string `json:"regions"`

	// bakeTime is how long the wave must stay converged before the next wave
	// starts. It may not be below the plan's minBakeTime.
	// +required
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:MaxLength=32
	// +kubebuilder:validation:Pattern=`^([0-9]+(\.[0-9]+)?(ns|us|ms|s|m|h))+$`
	BakeTime metav1.Duration `json:"bakeTime"`
}

// WavePlanSpec is a safe-deployment order.
// +kubebuilder:validation:XValidation:rule="!has(self.minBakeTime) || self.waves.all(w, duration(w.bakeTime) >= duration(self.minBakeTime))",message="every wave's bakeTime must be at least minBakeTime; raise the bakeTime of the waves below it or lower minBakeTime",fieldPath=".waves",reason=FieldValueInvalid
// +kubebuilder:validation:XValidation:rule="!has(self.maxRegionsPerWave) || self.waves.all(w, size(w.regions) <= self.maxRegionsPerWave)",message="a wave has more regions than maxRegionsPerWave; split it into smaller waves",fieldPath=".waves",reason=FieldValueInvalid
type WavePlanSpec struct {
	// minBakeTime is the floor for every wave's bakeTime.
	// +optional
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:MaxLength=32
	// +kubebuilder:validation:Pattern=`^([0-9]+(\.[0-9]+)?(ns|us|ms|s|m|h))+$`
	MinBakeTime *metav1.Duration `json:"minBakeTime,omitempty"`

	// maxRegionsPerWave caps the blast radius of one wave.
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=100
	MaxRegionsPerWave *int32 `json:"maxRegionsPerWave,omitempty"`

	// waves run strictly in this order.
	// +required
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=50
	Waves []Wave `json:"waves"`

	// healthChecks apply to every rollout on the plan, beside its own.
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=16
	HealthChecks []HealthCheck `json:"healthChecks,omitempty"`
}

// WavePlanStatus is the observed state of a WavePlan.
type WavePlanStatus struct {
	// observedGeneration is the generation last processed by the controller.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// conditions: Ready is True when every region of the plan is in the inventory.
	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// WavePlan is the safe-deployment wave order. The plan named "default" is
// used wherever no plan is named.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Cluster,shortName=wp,categories=wavegate
// +kubebuilder:printcolumn:name="Min Bake",type=string,JSONPath=`.spec.minBakeTime`
// +kubebuilder:printcolumn:name="Max Per Wave",type=integer,JSONPath=`.spec.maxRegionsPerWave`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type WavePlan struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec is the wave order.
	// +required
	Spec WavePlanSpec `json:"spec"`

	// status is the observed state of the plan.
	// +optional
	Status WavePlanStatus `json:"status,omitempty"`
}

// WavePlanList is a list of WavePlans.
// +kubebuilder:object:root=true
type WavePlanList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []WavePlan `json:"items"`
}

func init() {
	register(&WavePlan{}, &WavePlanList{})
}
