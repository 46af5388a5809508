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

// ChangeEntry is one admitted step of a change: the change entered a region,
// or delete automation deleted an object.
type ChangeEntry struct {
	// region the change entered, or the region of the deleted object.
	// +optional
	Region string `json:"region,omitempty"`
	// wave of the region in the plan the change was judged by.
	// +optional
	Wave string `json:"wave,omitempty"`
	// waveIndex is the position of wave in the plan, from 0.
	// +optional
	WaveIndex int32 `json:"waveIndex,omitempty"`
	// at is when the webhook admitted the step.
	At metav1.Time `json:"at"`
	// object is the admitted object, as "Kind namespace/name".
	// +optional
	Object string `json:"object,omitempty"`
}

// ChangeRecordSpec is what the admission webhook recorded of one change, or of
// one AutomationPolicy's deletions.
type ChangeRecordSpec struct {
	// changeID is the change's wavegate.io/change-id or payload hash; empty
	// for a deletion record.
	// +optional
	ChangeID string `json:"changeID,omitempty"`
	// policy is the AutomationPolicy whose deletions this record counts.
	// +optional
	Policy string `json:"policy,omitempty"`
	// entries are the admitted steps, oldest first.
	// +optional
	Entries []ChangeEntry `json:"entries,omitempty"`
}

// ChangeRecord is Wavegate's own memory of admitted changes, kept in the API
// server so that every webhook replica sees the same history. Replicas update
// it with optimistic concurrency (resourceVersion), so two replicas racing on
// the same change cannot both admit a violation. Users do not write it.
// +kubebuilder:object:root=true
// +kubebuilder:resource:scope=Cluster,shortName=chr,categories=wavegate
// +kubebuilder:printcolumn:name="Change",type=string,JSONPath=`.spec.changeID`
// +kubebuilder:printcolumn:name="Policy",type=string,JSONPath=`.spec.policy`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type ChangeRecord struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec is the record.
	Spec ChangeRecordSpec `json:"spec"`
}

// ChangeRecordList is a list of ChangeRecords.
// +kubebuilder:object:root=true
type ChangeRecordList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []ChangeRecord `json:"items"`
}

func init() {
	register(&ChangeRecord{}, &ChangeRecordList{})
}
