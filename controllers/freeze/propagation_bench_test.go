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
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	wavegatev1alpha1 "github.com/wavegate/wavegate/api/v1alpha1"
	. "github.com/wavegate/wavegate/internal/test/objects"
)

// BenchmarkFreezePropagation measures, against a real API server with
// Wavegate's webhooks and controllers: the time from creating a Freeze to the
// first denied change in its region (20 trials), and to every one of 1,000
// in-flight ConfigRollouts showing Paused.
//
//	KUBEBUILDER_ASSETS=$(make -s envtest-path) go test ./controllers/freeze/ -run xxx -bench BenchmarkFreezePropagation -benchtime 1x
func BenchmarkFreezePropagation(b *testing.B) {
	// One run builds a thousand objects in the API server; a second would
	// find them there. The figure is a measurement of one run.
	if b.N != 1 {
		b.Skip("run with -benchtime 1x")
	}
	ctx := context.Background()
	must := func(err error) {
		b.Helper()
		if err != nil {
			b.Fatal(err)
		}
	}
	retryAll := func(f func() error) error {
		return retry.OnError(retry.DefaultBackoff, func(error) bool { return true }, f)
	}
	must(env.Client.Create(ctx, Region("pp1")))
	must(env.Client.Create(ctx, WavePlan("prop", Wave("w1", "pp1"))))
	must(retryAll(func() error {
		return env.Client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "app-pp1", Labels: map[string]string{wavegatev1alpha1.LabelRegion: "pp1"}}})
	}))
	must(env.Client.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "app-pp1", Name: "settings"}, Data: map[string]string{"k": "v"}}))

	// First denied change, 20 times.
	var toDenial []time.Duration
	for i := range 20 {
		frz := Freeze(fmt.Sprintf("prop-%d", i), []string{"pp1"})
		start := time.Now()
		must(env.Client.Create(ctx, frz))
		for n := 0; ; n++ {
			cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "app-pp1", Name: fmt.Sprintf("probe-%d-%d", i, n)}, Data: map[string]string{"n": fmt.Sprint(i, n)}}
			if err := env.Client.Create(ctx, cm, &clientDryRun); err != nil {
				toDenial = append(toDenial, time.Since(start))
				break
			}
		}
		must(env.Client.Delete(ctx, frz))
		must(retryAll(func() error {
			return env.Client.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "app-pp1", Name: "free"}}, &clientDryRun)
		}))
	}
	sort.Slice(toDenial, func(i, j int) bool { return toDenial[i] < toDenial[j] })

	// 1,000 in-flight rollouts, all baking wave w1.
	const rollouts = 1000
	for i := range rollouts {
		ro := Rollout(fmt.Sprintf("prop-%04d", i), WithPlan("prop"), func(r *wavegatev1alpha1.ConfigRollout) {
			r.Spec.Target = wavegatev1alpha1.TargetRef{APIVersion: "v1", Kind: "ConfigMap", Namespace: "app-pp1", Name: "settings"}
			r.Spec.Patch = JSON(map[string]any{"metadata": map[string]any{"labels": map[string]any{wavegatev1alpha1.LabelVersion: "2.0.0"}}})
		})
		must(retryAll(func() error { return env.Client.Create(ctx, ro) }))
	}
	count := func(phase wavegatev1alpha1.RolloutPhase) int {
		list := &wavegatev1alpha1.ConfigRolloutList{}
		must(env.Client.List(ctx, list))
		n := 0
		for _, ro := range list.Items {
			if ro.Spec.PlanRef == "prop" && ro.Status.Phase == phase {
				n++
			}
		}
		return n
	}
	for deadline := time.Now().Add(5 * time.Minute); count(wavegatev1alpha1.PhaseBaking) < rollouts; time.Sleep(200 * time.Millisecond) {
		if time.Now().After(deadline) {
			b.Fatalf("only %d rollouts reached Baking", count(wavegatev1alpha1.PhaseBaking))
		}
	}
	b.ResetTimer()
	start := time.Now()
	must(env.Client.Create(ctx, Freeze("prop-all", []string{"pp1"})))
	for count(wavegatev1alpha1.PhasePaused) < rollouts {
		if time.Since(start) > 5*time.Minute {
			b.Fatalf("only %d rollouts paused after 5 minutes", count(wavegatev1alpha1.PhasePaused))
		}
		time.Sleep(50 * time.Millisecond)
	}
	allPaused := time.Since(start)
	b.StopTimer()
	// The floor, in the same run: the better of two passes, each once the
	// controllers have settled. Events are written one at a time by the
	// event broadcaster and trail the pause by seconds; a floor measured
	// while they are still written would share the API server with them.
	floor := time.Duration(1<<63 - 1)
	for range 2 {
		settle(ctx, b)
		floor = min(floor, statusWriteFloor(ctx, b, "prop", rollouts))
	}

	b.ReportMetric(float64(toDenial[len(toDenial)/2].Milliseconds()), "ms-to-denial-p50")
	b.ReportMetric(float64(toDenial[len(toDenial)-1].Milliseconds()), "ms-to-denial-p99")
	b.ReportMetric(allPaused.Seconds(), "s-to-1000-paused")
	b.ReportMetric(floor.Seconds(), "s-floor-1000-status-writes")
}

// settle waits until no Event has been written for two seconds (at most a
// minute).
func settle(ctx context.Context, b *testing.B) {
	b.Helper()
	last, quiet := -1, 0
	for deadline := time.Now().Add(time.Minute); quiet < 2 && time.Now().Before(deadline); time.Sleep(time.Second) {
		evs := &eventsv1.EventList{}
		if err := env.Client.List(ctx, evs); err != nil {
			b.Fatal(err)
		}
		if len(evs.Items) == last {
			quiet++
		} else {
			last, quiet = len(evs.Items), 0
		}
	}
}

// statusWriteFloor measures what the API server alone needs, in the same
// run, for one status write to each of n rollouts: merge patches of
// ConfigRollout status from as many workers as the rollout controller has,
// through a client with the manager's rest config (its QPS and burst). No
// reconcile, cache or Event is involved: pausing n rollouts cannot be faster.
func statusWriteFloor(ctx context.Context, b *testing.B, plan string, n int) time.Duration {
	b.Helper()
	c, err := client.New(env.Config, client.Options{Scheme: env.Scheme})
	if err != nil {
		b.Fatal(err)
	}
	list := &wavegatev1alpha1.ConfigRolloutList{}
	if err := c.List(ctx, list); err != nil {
		b.Fatal(err)
	}
	var names []string
	for _, ro := range list.Items {
		if ro.Spec.PlanRef == plan {
			names = append(names, ro.Name)
		}
	}
	if len(names) != n {
		b.Fatalf("found %d rollouts of plan %s, want %d", len(names), plan, n)
	}
	const workers = 16 // the rollout controller's MaxConcurrentReconciles
	work := make(chan string)
	errs := make(chan error, workers)
	var wg sync.WaitGroup
	start := time.Now()
	for range workers {
		wg.Go(func() {
			for name := range work {
				ro := &wavegatev1alpha1.ConfigRollout{ObjectMeta: metav1.ObjectMeta{Name: name}}
				// The convergence summary is display text that nothing reads.
				patch := client.RawPatch(types.MergePatchType, []byte(`{"status":{"convergence":"floor probe"}}`))
				if err := c.Status().Patch(ctx, ro, patch); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	for _, name := range names {
		work <- name
	}
	close(work)
	wg.Wait()
	took := time.Since(start)
	close(errs)
	if err := <-errs; err != nil {
		b.Fatal(err)
	}
	return took
}

// clientDryRun probes the gate without leaving objects behind.
var clientDryRun = client.CreateOptions{DryRun: []string{metav1.DryRunAll}}
