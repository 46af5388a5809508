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
	"runtime"
	"testing"
	"time"

	"k8s.io/client-go/util/retry"

	wavegatev1alpha1 "github.com/wavegate/wavegate/api/v1alpha1"
)

// BenchmarkReconcileAll creates 1,000 ConfigRollouts over 20 regions in the
// envtest API server, starts the controller, and measures the time until
// every rollout has been reconciled once, and the heap that takes.
//
//	make envtest && KUBEBUILDER_ASSETS=$(make -s envtest-path) go test ./controllers/rollout/ -run xxx -bench BenchmarkReconcileAll -benchtime 1x
func BenchmarkReconcileAll(b *testing.B) {
	// One run builds a thousand objects in the API server; a second would
	// find them there. The figure is a measurement of one run.
	if b.N != 1 {
		b.Skip("run with -benchtime 1x")
	}
	const rollouts = 1000
	var regions []string
	for i := range 20 {
		regions = append(regions, fmt.Sprintf("sc%02d", i))
	}
	var waves [][]string
	for i := 0; i < 20; i += 5 {
		waves = append(waves, regions[i:i+5])
	}
	inventory(b, "scale", nil, waves...)
	for _, r := range regions {
		settings(b, r, nil)
	}
	ctx := context.Background()
	for i := range rollouts {
		ro := configMapRollout(fmt.Sprintf("scale-%04d", i), "scale")
		ro.Spec.Paused = true // measure observation, not patching 20,000 times
		if err := retry.OnError(retry.DefaultBackoff, func(error) bool { return true }, func() error { return env.Client.Create(ctx, ro) }); err != nil {
			b.Fatal(err)
		}
	}
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)

	b.ResetTimer()
	start := time.Now()
	stop := startControllerWith(b, time.Hour)
	for {
		list := &wavegatev1alpha1.ConfigRolloutList{}
		if err := env.Client.List(ctx, list); err != nil {
			b.Fatal(err)
		}
		done := 0
		for _, ro := range list.Items {
			if ro.Status.ObservedGeneration == ro.Generation && ro.Status.Phase != "" {
				done++
			}
		}
		if done >= rollouts {
			break
		}
		if time.Since(start) > 5*time.Minute {
			b.Fatalf("only %d of %d rollouts reconciled after 5 minutes", done, rollouts)
		}
		time.Sleep(50 * time.Millisecond)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	stop()
	b.ReportMetric(elapsed.Seconds(), "s-to-reconcile-all")
	b.ReportMetric(float64(after.HeapInuse)/(1<<20), "MiB-heap-in-use")
	b.ReportMetric(float64(after.HeapInuse-before.HeapInuse)/(1<<20), "MiB-heap-added")
}
