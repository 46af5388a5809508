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

package rollout_test

import (
	"context"
	"fmt"
	"os"
	"sort"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	wavegatev1alpha1 "github.com/wavegate/wavegate/api/v1alpha1"
	"github.com/wavegate/wavegate/internal/setup"
	. "github.com/wavegate/wavegate/internal/test/objects"
	"github.com/wavegate/wavegate/internal/test/testenv"
)

var (
	env   *testenv.Env
	clock = NewFakeClock(time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC))
)

const controllerUser = "wavegate-controller"

func options() setup.Options {
	opts := setup.ForTests(clock.Now)
	opts.ControllerUser = controllerUser
	return opts
}

// The webhooks run for the whole package; each test runs its own controller,
// so a test can stop and restart it.
func TestMain(m *testing.M) {
	code := testenv.Main(m, &env, func(mgr ctrl.Manager) error {
		return setup.Webhooks(mgr, options())
	})
	stopPrometheus()
	os.Exit(code)
}

// startController runs the rollout controller as Wavegate's own identity
// until the returned stop is called (or the test ends).
func startController(t testing.TB) (stop func()) {
	return startControllerWith(t, 100*time.Millisecond)
}

// startControllerWith runs the controller with a given MaxRequeue: a long one
// shows that it reacts to watches, not timers.
func startControllerWith(t testing.TB, maxRequeue time.Duration) (stop func()) {
	t.Helper()
	opts := options()
	opts.MaxRequeue = maxRequeue
	return runController(t, opts)
}

// runController runs the controllers with opts, as Wavegate's own identity.
func runController(t testing.TB, opts setup.Options) (stop func()) {
	t.Helper()
	g := NewWithT(t)
	mgr, err := ctrl.NewManager(env.Config, ctrl.Options{
		Scheme: env.Scheme, Metrics: metricsserver.Options{BindAddress: "0"}, HealthProbeBindAddress: "0",
		// Several tests start a controller of the same name, one after the other.
		Controller: config.Controller{SkipNameValidation: ptr.To(true)},
	})
	g.Expect(err).NotTo(HaveOccurred())
	cfg := rest.CopyConfig(env.Config)
	cfg.Impersonate = rest.ImpersonationConfig{UserName: controllerUser, Groups: []string{"system:masters"}}
	patcher, err := client.New(cfg, client.Options{Scheme: env.Scheme})
	g.Expect(err).NotTo(HaveOccurred())
	opts.RolloutPatcher = patcher
	g.Expect(setup.Controllers(mgr, opts)).To(Succeed())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- mgr.Start(ctx) }()
	stopped := false
	stop = func() {
		if !stopped {
			stopped = true
			cancel()
			g.Expect(<-done).To(Succeed())
		}
	}
	t.Cleanup(stop)
	return stop
}

// inventory creates regions (pairs as given), a plan of the given waves with
// a 1h bake each, and a namespace per region labelled with it.
func inventory(t testing.TB, plan string, pairs map[string]string, waves ...[]string) {
	t.Helper()
	g := NewWithT(t)
	ctx := context.Background()
	var ws []wavegatev1alpha1.Wave
	for i, regions := range waves {
		ws = append(ws, Wave(fmt.Sprintf("w%d", i+1), regions...))
		for _, r := range regions {
			g.Expect(env.Client.Create(ctx, Region(r))).To(Succeed())
		}
	}
	for a, b := range pairs {
		rg := &wavegatev1alpha1.Region{}
		g.Expect(env.Client.Get(ctx, client.ObjectKey{Name: b}, rg)).To(Succeed())
		rg.Spec.PairedRegion = a
		g.Expect(env.Client.Update(ctx, rg)).To(Succeed())
	}
	for _, regions := range waves {
		for _, r := range regions {
			// Identical namespaces in several regions would be one change to
			// the gate, so each is its own change. The gate learns of the new
			// Regions through its informers, hence Eventually.
			g.Eventually(func() error {
				return env.Client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{
					Name: "app-" + r, Labels: map[string]string{wavegatev1alpha1.LabelRegion: r},
					Annotations: map[string]string{wavegatev1alpha1.AnnotationChangeID: "namespace-" + r},
				}})
			}).Should(Succeed())
		}
	}
	g.Expect(env.Client.Create(ctx, WavePlan(plan, ws...))).To(Succeed())
}

// settings creates the ConfigMap "settings" at version 1.0.0 in a region's namespace.
func settings(t testing.TB, region string, annotations map[string]string) {
	t.Helper()
	NewWithT(t).Eventually(func() error {
		return env.Client.Create(context.Background(), &corev1.ConfigMap{
			ObjectMeta: metav1.ObjectMeta{Namespace: "app-" + region, Name: "settings",
				Labels: map[string]string{wavegatev1alpha1.LabelVersion: "1.0.0"}, Annotations: annotations},
			Data: map[string]string{"region": region, "mode": "old"},
		})
	}).Should(Succeed())
}

// configMapRollout changes "settings" to version 2.0.0 with mode new.
func configMapRollout(name, plan string) *wavegatev1alpha1.ConfigRollout {
	return Rollout(name, WithPlan(plan), func(r *wavegatev1alpha1.ConfigRollout) {
		r.Spec.Target = wavegatev1alpha1.TargetRef{APIVersion: "v1", Kind: "ConfigMap", Name: "settings"}
		r.Spec.Patch = JSON(map[string]any{
			"metadata": map[string]any{"labels": map[string]any{wavegatev1alpha1.LabelVersion: "2.0.0"}},
			"data":     map[string]any{"mode": "new"},
		})
	})
}

func get(g Gomega, name string) *wavegatev1alpha1.ConfigRollout {
	ro := &wavegatev1alpha1.ConfigRollout{}
	g.Expect(env.Client.Get(context.Background(), client.ObjectKey{Name: name}, ro)).To(Succeed())
	return ro
}

func regionState(ro *wavegatev1alpha1.ConfigRollout, region string) wavegatev1alpha1.RolloutRegionStatus {
	for _, rs := range ro.Status.Regions {
		if rs.Name == region {
			return rs
		}
	}
	return wavegatev1alpha1.RolloutRegionStatus{}
}

func condition(ro *wavegatev1alpha1.ConfigRollout, t string) metav1.Condition {
	for _, c := range ro.Status.Conditions {
		if c.Type == t {
			return c
		}
	}
	return metav1.Condition{}
}

// conditionTypes lists a rollout's conditions as "Type=Status", sorted.
func conditionTypes(ro *wavegatev1alpha1.ConfigRollout) []string {
	var out []string
	for _, c := range ro.Status.Conditions {
		out = append(out, c.Type+"="+string(c.Status))
	}
	sort.Strings(out)
	return out
}

func TestWavesRunInPlanOrderAndEachWaveBakesBeforeTheNext(t *testing.T) {
	waves := [][]string{{"o1", "o2"}, {"o3", "o4"}, {"o5", "o6"}, {"o7", "o8"}}
	inventory(t, "order", map[string]string{"o1": "o5", "o2": "o6", "o3": "o7", "o4": "o8"}, waves...)
	for _, wave := range waves {
		for _, r := range wave {
			settings(t, r, nil)
		}
	}
	startController(t)
	g := NewWithT(t)
	g.Expect(env.Client.Create(context.Background(), configMapRollout("order", "order"))).To(Succeed())

	for i := range waves {
		g.Eventually(func(g Gomega) {
			ro := get(g, "order")
			g.Expect(ro.Status.Phase).To(Equal(wavegatev1alpha1.PhaseBaking), "wave %d", i+1)
			g.Expect(ro.Status.CurrentWave).To(Equal(fmt.Sprintf("w%d", i+1)))
			// kstatus: a moving rollout is Reconciling (Progressing, by its
			// SPEC name), and says nothing of what it is not.
			converged := "Converged=False"
			if i == len(waves)-1 {
				converged = "Converged=True" // the last wave bakes with every region converged
			}
			g.Expect(conditionTypes(ro)).To(Equal([]string{converged, "Progressing=True", "Ready=False", "Reconciling=True"}))
		}).Should(Succeed())
		ro := get(g, "order")
		for _, later := range waves[i+1:] {
			for _, r := range later {
				g.Expect(regionState(ro, r).AppliedAt).To(BeNil(), "%s was patched before wave %d baked", r, i+1)
			}
		}
		clock.Advance(61 * time.Minute)
	}
	g.Eventually(func(g Gomega) {
		ro := get(g, "order")
		g.Expect(ro.Status.Phase).To(Equal(wavegatev1alpha1.PhaseComplete))
		g.Expect(ro.Status.Convergence).To(Equal("8/8"))
		g.Expect(condition(ro, wavegatev1alpha1.ConditionReady).Status).To(Equal(metav1.ConditionTrue))
		// What kubectl wait --for=condition=Ready reads: the condition of
		// the current generation.
		g.Expect(condition(ro, wavegatev1alpha1.ConditionReady).ObservedGeneration).To(Equal(ro.Generation))
		g.Expect(conditionTypes(ro)).To(Equal([]string{"Converged=True", "Ready=True"}), "a Complete rollout carries no False conditions")
	}).Should(Succeed())

	// From the recorded times: every region of wave N+1 was patched at least
	// one bake (1h) after the last region of wave N converged.
	ro := get(g, "order")
	for i := 1; i < len(waves); i++ {
		var lastConverged time.Time
		for _, r := range waves[i-1] {
			if at := regionState(ro, r).ConvergedAt.Time; at.After(lastConverged) {
				lastConverged = at
			}
		}
		for _, r := range waves[i] {
			applied := regionState(ro, r).AppliedAt
			g.Expect(applied).NotTo(BeNil())
			g.Expect(applied.Sub(lastConverged)).To(BeNumerically(">=", time.Hour), "%s followed wave %d too soon", r, i)
		}
	}

	cm := &corev1.ConfigMap{}
	g.Expect(env.Client.Get(context.Background(), client.ObjectKey{Namespace: "app-o8", Name: "settings"}, cm)).To(Succeed())
	g.Expect(cm.Data["mode"]).To(Equal("new"))
	g.Expect(managers(cm)).To(ContainElement("wavegate"), "the patch is applied with field manager wavegate")
}

func managers(o client.Object) []string {
	var out []string
	for _, m := range o.GetManagedFields() {
		out = append(out, m.Manager)
	}
	sort.Strings(out)
	return out
}

// The target informer keeps only objects some rollout selects. A rollout
// created after it listed must still find targets that existed, unchanged,
// since before: read from the API server while the informer is young, or
// through the informer once it lists the kind again.
func TestARolloutFindsTargetsTheTargetCacheDidNotKeep(t *testing.T) {
	for _, c := range []struct {
		name   string
		relist time.Duration
	}{
		{"read from the API server", time.Hour},
		{"listed again", time.Nanosecond},
	} {
		t.Run(c.name, func(t *testing.T) {
			region := fmt.Sprintf("late%d", c.relist/time.Hour)
			inventory(t, region, nil, []string{region})
			settings(t, region, nil)
			g := NewWithT(t)
			ctx := context.Background()
			other := &corev1.ConfigMap{
				ObjectMeta: metav1.ObjectMeta{Namespace: "app-" + region, Name: "other-" + region, Labels: map[string]string{wavegatev1alpha1.LabelVersion: "1.0.0"},
					// Each subtest's ConfigMap is its own change: its own id
					// and its own payload (the same payload is one change,
					// whatever its id).
					Annotations: map[string]string{wavegatev1alpha1.AnnotationChangeID: "other-" + region}},
				Data: map[string]string{"mode": "old", "region": region},
			}
			g.Eventually(func() error { return env.Client.Create(ctx, other) }).Should(Succeed())
			opts := options()
			opts.MaxRequeue, opts.TargetRelistAfter = time.Hour, c.relist
			runController(t, opts)

			g.Expect(env.Client.Create(ctx, configMapRollout(region+"-first", region))).To(Succeed())
			g.Eventually(func(g Gomega) {
				g.Expect(regionState(get(g, region+"-first"), region).State).To(Equal(wavegatev1alpha1.RegionConverged))
			}).Should(Succeed())

			second := configMapRollout(region+"-second", region)
			// A name no rollout of an earlier subtest targets.
			second.Spec.Target.Name = other.Name
			g.Expect(env.Client.Create(ctx, second)).To(Succeed())
			g.Eventually(func(g Gomega) {
				g.Expect(regionState(get(g, region+"-second"), region).State).To(Equal(wavegatev1alpha1.RegionConverged))
				cm := &corev1.ConfigMap{}
				g.Expect(env.Client.Get(ctx, client.ObjectKeyFromObject(other), cm)).To(Succeed())
				g.Expect(cm.Data["mode"]).To(Equal("new"))
			}).Should(Succeed())
		})
	}
}
