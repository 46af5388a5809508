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
	"sync"
	"testing"

	. "github.com/onsi/gomega"
	admissionv1 "k8s.io/api/admission/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	wavegatev1alpha1 "github.com/wavegate/wavegate/api/v1alpha1"
	"github.com/wavegate/wavegate/controllers/webhook"
	"github.com/wavegate/wavegate/internal/gate/facts"
	"github.com/wavegate/wavegate/internal/setup"
)

// startReplica runs a second, independent webhook replica over the same API
// server: its own informers, its own facts index, its own record writes.
func startReplica(t *testing.T) *webhook.GateHandler {
	t.Helper()
	g := NewWithT(t)
	mgr, err := ctrl.NewManager(env.Config, ctrl.Options{
		Scheme: env.Scheme, Metrics: metricsserver.Options{BindAddress: "0"}, HealthProbeBindAddress: "0",
	})
	g.Expect(err).NotTo(HaveOccurred())
	opts := setup.Defaults()
	opts.Now = clock.Now
	opts.AutomationScanResources = "configmaps"
	gate, err := setup.NewGateHandler(mgr, opts)
	g.Expect(err).NotTo(HaveOccurred())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- mgr.Start(ctx) }()
	t.Cleanup(func() {
		cancel()
		g.Expect(<-done).To(Succeed())
	})
	g.Eventually(gate.Synced).Should(BeTrue())
	return gate
}

// createRequest is the AdmissionRequest the API server would send for
// creating a ConfigMap of change id in region.
func createRequest(t *testing.T, ns, name, region, id string) admission.Request {
	cm := configMap(ns, name, inRegion(region), change(id))
	cm.TypeMeta = metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"}
	raw, err := json.Marshal(cm)
	NewWithT(t).Expect(err).NotTo(HaveOccurred())
	return admission.Request{AdmissionRequest: admissionv1.AdmissionRequest{
		UID:       types.UID(fmt.Sprintf("%s-%s", id, region)),
		Kind:      metav1.GroupVersionKind{Version: "v1", Kind: "ConfigMap"},
		Resource:  metav1.GroupVersionResource{Version: "v1", Resource: "configmaps"},
		Namespace: ns, Name: name,
		Operation: admissionv1.Create,
		UserInfo:  authenticationv1.UserInfo{Username: "alice"},
		Object:    runtime.RawExtension{Raw: raw},
	}}
}

// TestTwoReplicasRacingOnOneChangeNeverBothAdmitAViolation sends the same
// change into two failover-paired regions through two replicas at the same
// moment. Whichever records first wins; the other must see that record and
// deny, every time.
func TestTwoReplicasRacingOnOneChangeNeverBothAdmitAViolation(t *testing.T) {
	gateFixture(t)
	a, b := startReplica(t), startReplica(t)
	ns := newNamespace(t, nil)
	ctx := context.Background()

	const trials = 50
	for i := range trials {
		id := fmt.Sprintf("race-%d", i)
		east := createRequest(t, ns, id+"-east", "g-eastus", id)
		west := createRequest(t, ns, id+"-west", "g-westus", id)
		var wg sync.WaitGroup
		start := make(chan struct{})
		answers := make([]admission.Response, 2)
		for j, call := range []func() admission.Response{
			func() admission.Response { return a.Handle(ctx, east) },
			func() admission.Response { return b.Handle(ctx, west) },
		} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				answers[j] = call()
			}()
		}
		close(start)
		wg.Wait()

		admitted := 0
		for _, r := range answers {
			if r.Allowed {
				admitted++
			} else {
				NewWithT(t).Expect(r.Result.Message).To(ContainSubstring("[wavegate:change-velocity]"), "trial %d: denied for the wrong reason", i)
			}
		}
		NewWithT(t).Expect(admitted).To(Equal(1), "trial %d: %d of the two paired regions were admitted: %+v / %+v", i, admitted, answers[0].Result, answers[1].Result)
	}

	// The API server holds one record per change, with exactly one region.
	for i := range trials {
		rec := &wavegatev1alpha1.ChangeRecord{}
		key := client.ObjectKey{Name: facts.ChangeRecordName(fmt.Sprintf("race-%d", i))}
		NewWithT(t).Expect(env.Client.Get(ctx, key, rec)).To(Succeed())
		NewWithT(t).Expect(rec.Spec.Entries).To(HaveLen(1))
	}
}
