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

// RegionSpec describes one region of the inventory.
type RegionSpec struct {
	// displayName is a human-readable name, such as "Australia East".
	// +optional
	// +kubebuilder:validation:MaxLength=128
	DisplayName string `json:"displayName,omitempty"`

	// pairedRegion names this region's failover pair. It must name another
	// Region, and that Region should name this one back: a change never
	// reaches both regions of a pair at once.
	// +optional
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([a-z0-9-]*[a-z0-9])?$`
	PairedRegion string `json:"pairedRegion,omitempty"`

	// cloud names the partition or sovereign cloud the region belongs to (free text).
	// +optional
	// +kubebuilder:validation:MaxLength=63
	Cloud string `json:"cloud,omitempty"`

	// cluster says that the region is a Kubernetes cluster of its own, and
	// how to reach it. Without it the region is this cluster's objects that
	// carry the region's label (or whose Namespace does).
	// +optional
	Cluster *RegionCluster `json:"cluster,omitempty"`
}

// RegionCluster says how the hub reaches a regional cluster.
type RegionCluster struct {
	// kubeconfigSecretRef names the Secret in the hub that holds a
	// kubeconfig for the region's cluster, as Argo CD cluster Secrets and
	// Cluster API kubeconfig Secrets do. Its namespace must be one the
	// manager may read Secrets in (the chart's hub.kubeconfigNamespace,
	// by default the release namespace).
	KubeconfigSecretRef SecretKeyRef `json:"kubeconfigSecretRef"`
}

// SecretKeyRef names one key of a Secret.
type SecretKeyRef struct {
	// namespace of the Secret.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	Namespace string `json:"namespace"`
	// name of the Secret.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`
	// key in the Secret's data that holds the kubeconfig; "value" (the
	// Cluster API convention) when unset.
	// +optional
	// +kubebuilder:default=value
	// +kubebuilder:validation:MaxLength=253
	Key string `json:"key,omitempty"`
}

// Reasons of a Region's Ready condition.
const (
	// ReasonPaired: the region's failover pair names it back.
	ReasonPaired = "Paired"
	// ReasonNoPair: the region has no failover pair.
	ReasonNoPair = "NoPair"
	// ReasonPairPending: the pair does not exist or does not name the
	// region back yet, as while a folder of Regions is applied.
	ReasonPairPending = "PairPending"
	// ReasonPairConflict: the pair names a third region as its own pair.
	ReasonPairConflict = "PairConflict"
)

// ConditionConnected is True while the hub reaches a region's cluster
// (spec.cluster). A Region without spec.cluster has no such condition.
const ConditionConnected = "Connected"

// Reasons of a Region's Connected condition.
const (
	// ReasonReachable: the region's API server answered.
	ReasonReachable = "Reachable"
	// ReasonKubeconfigNotFound: the Secret or its key does not exist.
	ReasonKubeconfigNotFound = "KubeconfigNotFound"
	// ReasonKubeconfigNotPermitted: the manager may not read the Secret.
	ReasonKubeconfigNotPermitted = "KubeconfigNotPermitted"
	// ReasonInvalidKubeconfig: the key does not hold a usable kubeconfig.
	ReasonInvalidKubeconfig = "InvalidKubeconfig"
	// ReasonUnreachable: the region's API server did not answer.
	ReasonUnreachable = "Unreachable"
)

// RegionStatus is the observed state of a Region.
type RegionStatus struct {
	// observedGeneration is the generation last processed by the controller.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// conditions: Ready is True when the region has no pair or its pair
	// names it back; False with reason PairPending while the pair does not
	// exist or does not name it back yet (it counts as paired for every
	// safety rule meanwhile), and PairConflict when the pair names a third
	// region.
	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// cluster is what the hub last saw of the region's cluster; set only
	// for a Region with spec.cluster.
	// +optional
	Cluster *RegionClusterStatus `json:"cluster,omitempty"`
}

// RegionClusterStatus is what the hub last saw of a regional cluster.
type RegionClusterStatus struct {
	// serverVersion is the version the region's API server reported.
	// +optional
	ServerVersion string `json:"serverVersion,omitempty"`
	// lastContact is when the region's API server last answered the hub.
	// +optional
	LastContact *metav1.Time `json:"lastContact,omitempty"`
}

// Region is one region of the inventory. A region name that has no Region
// object is unknown, and unknown is never safe.
// Names are used as label values, so they are DNS labels.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Cluster,shortName=rg,categories=wavegate
// +kubebuilder:printcolumn:name="Display Name",type=string,JSONPath=`.spec.displayName`
// +kubebuilder:printcolumn:name="Pair",type=string,JSONPath=`.spec.pairedRegion`
// +kubebuilder:printcolumn:name="Cloud",type=string,JSONPath=`.spec.cloud`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Connected",type=string,JSONPath=`.status.conditions[?(@.type=="Connected")].status`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
// +kubebuilder:validation:XValidation:rule="!has(self.spec) || !has(self.spec.pairedRegion) || self.spec.pairedRegion != self.metadata.name",message="spec.pairedRegion must name another region, not this one",fieldPath=".spec.pairedRegion",reason=FieldValueInvalid
type Region struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec describes the region.
	// +optional
	Spec RegionSpec `json:"spec,omitempty"`

	// status is the observed state of the region.
	// +optional
	Status RegionStatus `json:"status,omitempty"`
}

// RegionList is a list of Regions.
// +kubebuilder:object:root=true
type RegionList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Region `json:"items"`
}

func init() {
	register(&Region{}, &RegionList{})
}
