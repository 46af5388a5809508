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

package webhook_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	. "github.com/onsi/gomega"
	admissionv1 "k8s.io/api/admission/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/tools/events"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	wavegatev1alpha1 "github.com/wavegate/wavegate/api/v1alpha1"
)

// breakGlassDelete is the AdmissionRequest the API server sends when carol,
// in the break-glass group, deletes a protected ConfigMap.
func breakGlassDelete(t *testing.T, ns string, dryRun bool) admission.Request {
	cm := configMap(ns, "endpoint-eus", protectedAs(wavegatev1alpha1.ProtectionProtected))
	cm.TypeMeta = metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"}
	raw, err := json.Marshal(cm)
	NewWithT(t).Expect(err).NotTo(HaveOccurred())
	return admission.Request{AdmissionRequest: admissionv1.AdmissionRequest{
		UID:       "break-glass-dry-run",
		Kind:      metav1.GroupVersionKind{Version: "v1", Kind: "ConfigMap"},
		Resource:  metav1.GroupVersionResource{Version: "v1", Resource: "configmaps"},
		Namespace: ns, Name: "endpoint-eus",
		Operation: admissionv1.Delete,
		UserInfo:  authenticationv1.UserInfo{Username: "carol", Groups: []string{"wavegate:break-glass"}},
		OldObject: runtime.RawExtension{Raw: raw},
		DryRun:    ptr.To(dryRun),
	}}
}

// TestABreakGlassDryRunWritesNoEvent: the gate declares sideEffects
// NoneOnDryRun, so a break-glass dry run shows its warning but leaves no
// Event; the same request for real leaves one.
func TestABreakGlassDryRunWritesNoEvent(t *testing.T) {
	gateFixture(t)
	g := NewWithT(t)
	ns := newNamespace(t, nil)
	h := startReplica(t)
	recorder := events.NewFakeRecorder(10)
	h.Recorder = recorder
	warning := fmt.Sprintf("[wavegate:protected-delete] ConfigMap %s/endpoint-eus is labelled wavegate.io/protection=protected; admitted as break-glass for carol", ns)

	g.Eventually(func(g Gomega) {
		resp := h.Handle(context.Background(), breakGlassDelete(t, ns, true))
		g.Expect(resp.Allowed).To(BeTrue(), "%+v", resp.Result)
		g.Expect(resp.Warnings).To(ConsistOf(warning))
	}).Should(Succeed())
	g.Expect(recorder.Events).To(BeEmpty(), "a dry run must not write an Event")

	resp := h.Handle(context.Background(), breakGlassDelete(t, ns, false))
	g.Expect(resp.Allowed).To(BeTrue(), "%+v", resp.Result)
	g.Expect(recorder.Events).To(Receive(ContainSubstring("BreakGlass")), "the real break-glass delete leaves an Event")
}
