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

package webhook

import (
	"context"
	"net/http"
	"testing"

	. "github.com/onsi/gomega"
	"github.com/prometheus/client_golang/prometheus/testutil"
	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/wavegate/wavegate/internal/gate"
	"github.com/wavegate/wavegate/internal/metrics"
)

// TestAReplicaAtItsBoundRefusesAtOnceAndUnjudged: past --max-in-flight a
// gated request is refused with 429 and [wavegate:overloaded], never
// admitted; once a slot is free the next request is judged again.
func TestAReplicaAtItsBoundRefusesAtOnceAndUnjudged(t *testing.T) {
	g := NewWithT(t)
	h := &GateHandler{Limit: gate.NewLimiter(1, 0), Synced: func() bool { return false }, Log: ctrl.Log}
	req := admission.Request{AdmissionRequest: admissionv1.AdmissionRequest{
		UID: "u1", Operation: admissionv1.Create, Kind: metav1.GroupVersionKind{Version: "v1", Kind: "ConfigMap"},
		Namespace: "app-eastus", Name: "settings",
	}}
	refused := testutil.ToFloat64(metrics.AdmissionRequests.WithLabelValues(RuleOverloaded, metrics.DecisionDenied))

	release, ok := h.Limit.Acquire(context.Background())
	g.Expect(ok).To(BeTrue())
	resp := h.Handle(context.Background(), req)
	g.Expect(resp.Allowed).To(BeFalse())
	g.Expect(resp.Result.Code).To(BeEquivalentTo(http.StatusTooManyRequests))
	g.Expect(resp.Result.Message).To(HavePrefix("[wavegate:overloaded] "))
	g.Expect(resp.Result.Message).To(ContainSubstring("ConfigMap settings was not judged"))
	g.Expect(resp.Result.Details.RetryAfterSeconds).To(BeNumerically(">", 0))
	g.Expect(testutil.ToFloat64(metrics.AdmissionRequests.WithLabelValues(RuleOverloaded, metrics.DecisionDenied))).To(Equal(refused + 1))

	release()
	resp = h.Handle(context.Background(), req)
	g.Expect(resp.Result.Message).To(ContainSubstring("informer caches have not synced"), "with a slot free the request is judged (here: undecidable, so denied)")
	g.Expect(h.Limit.InFlight()).To(BeZero(), "the slot is given back after the answer")
}
