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

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Exemptions are break-glass identities: their changes are admitted with a
// warning, an audit annotation, an Event and a metric.
type Exemptions struct {
	// users are user names that may break the glass.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=64
	// +kubebuilder:validation:items:MinLength=1
	Users []string `json:"users,omitempty"`

	// groups are group names whose members may break the glass.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=64
	// +kubebuilder:validation:items:MinLength=1
	Groups []string `json:"groups,omitempty"`
}

// FreezeSpec stops every rollout and every gated change in its regions.
type FreezeSpec struct {
	// regions lists the frozen regions, or is ["*"] for every region.
	// +required
	// +listType=set
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=500
	// +kubebuilder:validation:items:MaxLength=63
	// +kubebuilder:validation:items:Pattern=`^(\*|[a-z0-9]([-a-z0-9]*[a-z0-9])?)$`
	// +kubebuilder:validation:XValidation:rule="!('*' in self) || size(self) == 1",message="use \"*\" alone to freeze every region, or list regions without \"*\""
	Regions []string `json:"regions"`

	// reason says why changes stop; it is quoted in every denial.
	// +required
	// +kubebuilder:validation:MinLength=10
	// +kubebuilder:validation:MaxLength=1024
	// +kubebuilder:validation:XValidation:rule="self.trim().size() >= 10",message="say in at least 10 characters why changes stop"
	Reason string `json:"reason"`

	// ticket is the incident or change ticket, such as INC-12345.
	// +optional
	// +kubebuilder:validation:MaxLength=128
	Ticket string `json:"ticket,omitempty"`

	// expiresAt ends the freeze by itself. It must be in the future when set.
	// +optional
	ExpiresAt *metav1.Time `json:"expiresAt,omitempty"`

	// exemptions are this freeze's break-glass identities.
	// +optional
	Exemptions Exemptions `json:"exemptions,omitempty"`

	// allowReverts lets a ConfigRollout's revert (onUnhealthy: Revert)
	// restore what it changed in the frozen regions. Freezes created by
	// freezeOnUnhealthy set it.
	// +optional
	AllowReverts bool `json:"allowReverts,omitempty"`
}

// Covers reports whether the freeze names region, directly or through "*".
func (s *FreezeSpec) Covers(region string) bool {
	for _, r := range s.Regions {
		if r == region || r == AllRegions {
			return true
		}
	}
	return false
}

// ActiveAt reports whether the Freeze is in force at t: from the moment it
// exists until its expiresAt, if it has one. An expired Freeze is inactive at
// once, whatever its status says.
func (f *Freeze) ActiveAt(t time.Time) bool {
	return f.Spec.ExpiresAt == nil || t.Before(f.Spec.ExpiresAt.Time)
}

// Condition reasons of a Freeze.
const (
	// ReasonInForce: the Freeze is active.
	ReasonInForce = "InForce"
	// ReasonExpired: expiresAt has passed; the Freeze no longer stops anything.
	ReasonExpired = "Expired"
)

// Event reasons of a Freeze.
const (
	// EventFreezeStarted: the Freeze came into force.
	EventFreezeStarted = "FreezeStarted"
	// EventFreezeEnded: the Freeze expired.
	EventFreezeEnded = "FreezeEnded"
)

// FreezeStatus is the observed state of a Freeze.
type FreezeStatus struct {
	// observedGeneration is the generation last processed by the controller.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
	// active is true while the freeze is in force.
	// +optional
	Active bool `json:"active,omitempty"`
	// since is when the freeze became active.
	// +optional
	Since *metav1.Time `json:"since,omitempty"`
	// pausedRollouts counts the ConfigRollouts this freeze pauses.
	// +optional
	PausedRollouts int32 `json:"pausedRollouts,omitempty"`
	// conditions: Ready is True while the Freeze is in force, and False
	// (reason Expired) once expiresAt has passed.
	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// Freeze is the emergency switch: while active, every gated change and every
// rollout in its regions stops. Deleting the Freeze ends it.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Cluster,shortName=frz,categories=wavegate
// +kubebuilder:printcolumn:name="Regions",type=string,JSONPath=`.spec.regions`
// +kubebuilder:printcolumn:name="Active",type=boolean,JSONPath=`.status.active`
// +kubebuilder:printcolumn:name="Paused",type=integer,JSONPath=`.status.pausedRollouts`
// +kubebuilder:printcolumn:name="Ticket",type=string,JSONPath=`.spec.ticket`
// +kubebuilder:printcolumn:name="Expires",type=date,JSONPath=`.spec.expiresAt`
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=`.spec.reason`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type Freeze struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec says what is frozen and why.
	// +required
	Spec FreezeSpec `json:"spec"`

	// status is the observed state of the freeze.
	// +optional
	Status FreezeStatus `json:"status,omitempty"`
}

// FreezeList is a list of Freezes.
// +kubebuilder:object:root=true
type FreezeList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Freeze `json:"items"`
}

func init() {
	register(&Freeze{}, &FreezeList{})
}
