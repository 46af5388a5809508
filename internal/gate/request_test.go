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

package gate

import (
	"strings"
	"testing"

	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

func TestNewRequestNamesTheWorkloadOfAScale(t *testing.T) {
	scale := []byte(`{"apiVersion":"autoscaling/v1","kind":"Scale","metadata":{"name":"web","namespace":"shop"},"spec":{"replicas":3}}`)
	r, err := NewRequest(&admissionv1.AdmissionRequest{
		Operation: admissionv1.Update, SubResource: "scale", Namespace: "shop", Name: "web",
		Kind:     metav1.GroupVersionKind{Group: "autoscaling", Version: "v1", Kind: "Scale"},
		Resource: metav1.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"},
		Object:   runtime.RawExtension{Raw: scale}, OldObject: runtime.RawExtension{Raw: scale},
	})
	if err != nil {
		t.Fatal(err)
	}
	if r.Kind != "Deployment" || r.Group != "apps" || r.Version != "v1" || r.SubResource != "scale" {
		t.Errorf("a Scale of a Deployment should be judged as the Deployment, got %s %s/%s (%s)", r.Kind, r.Group, r.Version, r.SubResource)
	}
}

func TestNewRequestRefusesARequestWithoutAnObject(t *testing.T) {
	_, err := NewRequest(&admissionv1.AdmissionRequest{Operation: admissionv1.Delete, Name: "x"})
	if err == nil || !strings.Contains(err.Error(), "carries no object") {
		t.Errorf("want an error that says the request carries no object, got %v", err)
	}
	_, err = NewRequest(&admissionv1.AdmissionRequest{Operation: admissionv1.Create, Object: runtime.RawExtension{Raw: []byte("{")}})
	if err == nil || !strings.Contains(err.Error(), "the new object") {
		t.Errorf("want an error that names the new object, got %v", err)
	}
}
