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

// Package v1alpha1 contains the wavegate.io/v1alpha1 API: Regions, WavePlans,
// ConfigRollouts, Freezes and AutomationPolicies. All kinds are cluster-scoped.
// +kubebuilder:object:generate=true
// +groupName=wavegate.io
package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

var (
	// GroupVersion is the group and version of the Wavegate API.
	GroupVersion = schema.GroupVersion{Group: "wavegate.io", Version: "v1alpha1"}

	// SchemeBuilder registers the Wavegate types with a runtime.Scheme.
	SchemeBuilder = runtime.NewSchemeBuilder(addKnownTypes)

	// AddToScheme adds the Wavegate types to a runtime.Scheme.
	AddToScheme = SchemeBuilder.AddToScheme

	// knownTypes is filled by each kind's init function.
	knownTypes []runtime.Object
)

// register records a kind and its list for addKnownTypes.
func register(objs ...runtime.Object) {
	knownTypes = append(knownTypes, objs...)
}

func addKnownTypes(s *runtime.Scheme) error {
	s.AddKnownTypes(GroupVersion, knownTypes...)
	metav1.AddToGroupVersion(s, GroupVersion)
	return nil
}
