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

package facts

import (
	"testing"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	toolscache "k8s.io/client-go/tools/cache"

	wavegatev1alpha1 "github.com/wavegate/wavegate/api/v1alpha1"
)

func TestSlimKeepsIdentityAndTheNamedLabelsOnly(t *testing.T) {
	g := NewWithT(t)
	in := &metav1.PartialObjectMetadata{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: metav1.ObjectMeta{
			Name: "settings", Namespace: "aoai", UID: "u-1", ResourceVersion: "42",
			Labels:        map[string]string{wavegatev1alpha1.LabelProtection: "protected", "app": "aoai"},
			Annotations:   map[string]string{"kubectl.kubernetes.io/last-applied-configuration": "{…}"},
			ManagedFields: []metav1.ManagedFieldsEntry{{Manager: "kubectl"}},
		},
	}
	out, err := slim(wavegatev1alpha1.LabelProtection)(in)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(out).To(Equal(&metav1.PartialObjectMetadata{
		TypeMeta: in.TypeMeta,
		ObjectMeta: metav1.ObjectMeta{
			Name: "settings", Namespace: "aoai", UID: "u-1", ResourceVersion: "42",
			Labels: map[string]string{wavegatev1alpha1.LabelProtection: "protected"},
		},
	}))
	g.Expect(in.Annotations).To(HaveLen(1), "the informer's input must not be changed in place")

	unlabelled, err := slim(wavegatev1alpha1.LabelRegion)(in)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(unlabelled.(*metav1.PartialObjectMetadata).Labels).To(BeNil())

	tomb := toolscache.DeletedFinalStateUnknown{Key: "aoai/settings", Obj: in}
	g.Expect(slim()(tomb)).To(Equal(tomb), "anything but a metadata-only object passes unchanged")
}
