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

// Identities are the requesters whose deletes count as delete automation.
// +kubebuilder:validation:XValidation:rule="size(self.?serviceAccounts.orValue([])) + size(self.?users.orValue([])) + size(self.?groups.orValue([])) > 0",message="name at least one identity in serviceAccounts, users or groups"
type Identities struct {
	// serviceAccounts as "namespace/name".
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=64
	// +kubebuilder:validation:items:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?/[a-z0-9]([-a-z0-9.]*[a-z0-9])?$`
	ServiceAccounts []string `json:"serviceAccounts,omitempty"`

	// users are user names.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=64
	// +kubebuilder:validation:items:MinLength=1
	Users []string `json:"users,omitempty"`

	// groups are group names.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=64
	// +kubebuilder:validation:items:MinLength=1
	Groups []string `json:"groups,omitempty"`
}

// GroupResource names a kind of resource, such as {group: "", resource: configmaps}.
type GroupResource struct {
	// group is the API group; "" for the core group.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	Group string `json:"group"`

	// resource is the plural resource name.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	Resource string `json:"resource"`
}

// AutomationScope is where a delete automation may act.
type AutomationScope struct {
	// regions the automation may delete in, or ["*"].
	// +required
	// +listType=set
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=500
	// +kubebuilder:validation:items:MaxLength=63
	// +kubebuilder:validation:XValidation:rule="!('*' in self) || size(self) == 1",message="use \"*\" alone for every region, or list regions without \"*\""
	Regions []string `json:"regions"`

	// namespaces the automation may delete in; empty means every namespace.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=256
	// +kubebuilder:validation:items:MaxLength=63
	Namespaces []string `json:"namespaces,omitempty"`

	// resources the automation may delete; empty means every kind.
	// +optional
	// +kubebuilder:validation:MaxItems=64
	Resources []GroupResource `json:"resources,omitempty"`
}

// AutomationPolicySpec says who deletes, and where.
type AutomationPolicySpec struct {
	// identities are the requesters whose deletes are delete automation.
	// +required
	Identities Identities `json:"identities"`

	// scope is where the automation may delete.
	// +required
	Scope AutomationScope `json:"scope"`

	// maxDeletionsPerHour is the mass-deletion breaker, counted across all
	// webhook replicas. 0 forbids deletes.
	// +optional
	// +kubebuilder:default=50
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=100000
	MaxDeletionsPerHour int32 `json:"maxDeletionsPerHour"`
}

// ObjectRef names one object in status.
type ObjectRef struct {
	// kind of the object.
	Kind string `json:"kind"`
	// namespace of the object; empty when cluster-scoped.
	// +optional
	Namespace string `json:"namespace,omitempty"`
	// name of the object.
	Name string `json:"name"`
}

// AutomationPolicyStatus is what the controller found in the policy's scope.
type AutomationPolicyStatus struct {
	// observedGeneration is the generation last processed by the controller.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
	// untaggedCount counts resources in scope without wavegate.io/protection.
	// +optional
	UntaggedCount int32 `json:"untaggedCount,omitempty"`
	// untagged lists the first 20 of them.
	// +optional
	// +kubebuilder:validation:MaxItems=20
	Untagged []ObjectRef `json:"untagged,omitempty"`
	// uncoveredRegions are scope regions that are not in the inventory.
	// +optional
	// +listType=set
	UncoveredRegions []string `json:"uncoveredRegions,omitempty"`
	// conditions: Ready is True only when nothing is untagged or uncovered.
	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// AutomationPolicy names a delete automation and bounds where it may act.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Cluster,shortName=ap,categories=wavegate
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Untagged",type=integer,JSONPath=`.status.untaggedCount`
// +kubebuilder:printcolumn:name="Uncovered",type=string,JSONPath=`.status.uncoveredRegions`
// +kubebuilder:printcolumn:name="Max/h",type=integer,JSONPath=`.spec.maxDeletionsPerHour`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type AutomationPolicy struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec says who deletes, and where.
	// +required
	Spec AutomationPolicySpec `json:"spec"`

	// status is what the controller found in scope.
	// +optional
	Status AutomationPolicyStatus `json:"status,omitempty"`
}

// AutomationPolicyList is a list of AutomationPolicies.
// +kubebuilder:object:root=true
type AutomationPolicyList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []AutomationPolicy `json:"items"`
}

func init() {
	register(&AutomationPolicy{}, &AutomationPolicyList{})
}
