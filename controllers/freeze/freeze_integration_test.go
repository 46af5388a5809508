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

package freeze_test

import (
	"context"
	"os"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"github.com/prometheus/client_golang/prometheus/testutil"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	wavegatev1alpha1 "github.com/wavegate/wavegate/api/v1alpha1"
	"github.com/wavegate/wavegate/internal/metrics"
	"github.com/wavegate/wavegate/internal/setup"
	. "github.com/wavegate/wavegate/internal/test/objects"
	"github.com/wavegate/wavegate/internal/test/testenv"
)

var (
	env   *testenv.Env
	clock = NewFakeClock(time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC))
)

func TestMain(m *testing.M) {
	os.Exit(testenv.Main(m, &env, func(mgr ctrl.Manager) error {
		opts := setup.ForTests(clock.Now)
		return setup.Manager(mgr, opts)
	}))
}

func get(g Gomega, name string) *wavegatev1alpha1.Freeze {
	frz := &wavegatev1alpha1.Freeze{}
	g.Expect(env.Client.Get(context.Background(), client.ObjectKey{Name: name}, frz)).To(Succeed())
	return frz
}

func TestAFreezeReportsWhatItPausesAndExpiresAtExpiresAt(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	g.Expect(env.Client.Create(ctx, Region("fr1"))).To(Succeed())
	g.Expect(env.Client.Create(ctx, WavePlan("default", Wave("w1", "fr1")))).To(Succeed())
	g.Eventually(func() error {
		return env.Client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "app-fr1", Labels: map[string]string{wavegatev1alpha1.LabelRegion: "fr1"}}})
	}).Should(Succeed())
	// The rollout's target does not exist yet, so the rollout stays in wave w1.
	g.Expect(env.Client.Create(ctx, Rollout("paused-by-freeze"))).To(Succeed())

	expiresAt := clock.Now().Add(time.Hour).Truncate(time.Second)
	g.Expect(env.Client.Create(ctx, Freeze("fr1-outage", []string{"fr1"}, ExpiringAt(expiresAt)))).To(Succeed())
	g.Eventually(func(g Gomega) {
		frz := get(g, "fr1-outage")
		g.Expect(frz.Status.Active).To(BeTrue())
		g.Expect(frz.Status.Since.Time).To(BeTemporally("==", clock.Now()))
		g.Expect(frz.Status.PausedRollouts).To(BeEquivalentTo(1))
		g.Expect(frz.Status.Conditions).To(ConsistOf(And(
			HaveField("Type", wavegatev1alpha1.ConditionReady), HaveField("Status", metav1.ConditionTrue),
			HaveField("Reason", wavegatev1alpha1.ReasonInForce), HaveField("ObservedGeneration", frz.Generation))))
		g.Expect(testutil.ToFloat64(metrics.FreezeActive.WithLabelValues("fr1-outage"))).To(Equal(1.0))
	}).Should(Succeed())

	clock.Advance(time.Hour)
	g.Eventually(func(g Gomega) {
		frz := get(g, "fr1-outage")
		g.Expect(frz.Status.Active).To(BeFalse(), "expired at exactly expiresAt")
		g.Expect(frz.Status.PausedRollouts).To(BeZero(), "the rollout is no longer paused by it")
		g.Expect(frz.Status.Conditions).To(ConsistOf(And(
			HaveField("Type", wavegatev1alpha1.ConditionReady), HaveField("Status", metav1.ConditionFalse),
			HaveField("Reason", wavegatev1alpha1.ReasonExpired))), "an expired Freeze is not Ready")
		g.Expect(testutil.ToFloat64(metrics.FreezeActive.WithLabelValues("fr1-outage"))).To(Equal(0.0))
	}).Should(Succeed())
	g.Eventually(func(g Gomega) {
		evs := &eventsv1.EventList{}
		g.Expect(env.Client.List(ctx, evs)).To(Succeed())
		var reasons []string
		for _, e := range evs.Items {
			if e.Regarding.Name == "fr1-outage" {
				reasons = append(reasons, e.Reason)
			}
		}
		g.Expect(reasons).To(ContainElements("FreezeStarted", "FreezeEnded"))
	}).Should(Succeed())
}
