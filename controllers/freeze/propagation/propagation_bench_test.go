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

package propagation_test

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	goruntime "runtime"
	"runtime/pprof"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	toolscache "k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/retry"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	wavegatev1alpha1 "github.com/wavegate/wavegate/api/v1alpha1"
	"github.com/wavegate/wavegate/internal/setup"
	. "github.com/wavegate/wavegate/internal/test/objects"
	"github.com/wavegate/wavegate/internal/test/proc"
	"github.com/wavegate/wavegate/internal/test/testenv"
)

var env *testenv.Env

// TestMain starts the API server and the manager with the options it ships
// with, apart from a fixed clock (no rollout finishes baking while it is
// measured) and protection tracked on ConfigMaps only.
func TestMain(m *testing.M) {
	// Only benchmarks live here: without -bench, no API server is started.
	flag.Parse()
	if f := flag.Lookup("test.bench"); f == nil || f.Value.String() == "" {
		os.Exit(m.Run())
	}
	clock := NewFakeClock(time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC))
	os.Exit(testenv.Main(m, &env, func(mgr ctrl.Manager) error {
		opts := setup.ForTests(clock.Now)
		opts.MaxRequeue = setup.Defaults().MaxRequeue
		return setup.Manager(mgr, opts)
	}))
}

// BenchmarkFreezePropagation measures, against a real API server with
// Wavegate's webhooks and controllers: the time from creating a Freeze to the
// first denied change in its region (20 trials), and to every one of 1,000
// in-flight ConfigRollouts showing Paused.
//
//	KUBEBUILDER_ASSETS=$(make -s envtest-path) go test ./controllers/freeze/propagation/ -run NONE -bench BenchmarkFreezePropagation -benchtime 1x
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
	// The pause is observed as a user watching the rollouts sees it: through
	// one watch. Listing all 1,000 rollouts every few milliseconds would load
	// the API server the pause is measured on.
	paused := watchPaused(ctx, b, "prop", rollouts)
	b.ResetTimer()
	stopProfiles := profile(ctx, b)
	before, cpuBefore := apiRequests(ctx, b), processCPU()
	start := time.Now()
	must(env.Client.Create(ctx, Freeze("prop-all", []string{"pp1"})))
	var marks pauseMarks
	select {
	case marks = <-paused:
	case <-time.After(5 * time.Minute):
		b.Fatalf("only %d rollouts paused after 5 minutes", count(wavegatev1alpha1.PhasePaused))
	}
	allPaused := marks.all.Sub(start)
	stopProfiles()
	requests := apiRequests(ctx, b).sub(before)
	b.Logf("API requests while pausing: %s", requests)
	b.Logf("CPU seconds while pausing (%.1f s on %d cores): %s", allPaused.Seconds(), goruntime.NumCPU(), processCPU().sub(cpuBefore))
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
	b.ReportMetric((requests["PATCH configrollouts/status"]+requests["PUT configrollouts/status"])/rollouts, "status-writes/rollout")
	b.ReportMetric((requests["PATCH configrollouts/status 409"]+requests["PUT configrollouts/status 409"])/rollouts, "conflicts/rollout")
	b.ReportMetric(marks.first.Sub(start).Seconds(), "s-to-first-paused")
	b.ReportMetric(marks.half.Sub(start).Seconds(), "s-to-500-paused")
}

// profile writes, when WAVEGATE_BENCH_PROFILES names a directory, CPU
// profiles of the pause: manager.prof for this process (the manager, its
// webhooks and the benchmark's client) and kube-apiserver.prof for the API
// server (its /debug/pprof, 6 s). The returned func stops the first.
func profile(ctx context.Context, b *testing.B) func() {
	b.Helper()
	dir := os.Getenv("WAVEGATE_BENCH_PROFILES")
	if dir == "" {
		return func() {}
	}
	f, err := os.Create(filepath.Join(dir, "manager.prof")) //nolint:gosec // the directory the person running the benchmark named
	if err != nil {
		b.Fatal(err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		b.Fatal(err)
	}
	go func() {
		data, err := kubernetes.NewForConfigOrDie(env.Config).CoreV1().RESTClient().Get().
			AbsPath("/debug/pprof/profile").Param("seconds", "6").DoRaw(ctx)
		if err == nil {
			err = os.WriteFile(filepath.Join(dir, "kube-apiserver.prof"), data, 0o600) //nolint:gosec // as above
		}
		if err != nil {
			b.Logf("no API server profile: %v", err)
		}
	}()
	return func() {
		pprof.StopCPUProfile()
		_ = f.Close()
	}
}

// processCPU is the CPU seconds of this process (the manager, its webhooks
// and the benchmark's clients) and of its children (etcd and
// kube-apiserver), by command name.
func processCPU() counts {
	self := os.Getpid()
	return proc.CPU(func(pid, ppid int) bool { return pid == self || ppid == self })
}

// counts are named figures: API requests by "VERB resource[/subresource]"
// (apiRequests) or CPU seconds by command (processCPU).
type counts map[string]float64

func (c counts) sub(o counts) counts {
	out := counts{}
	for k, v := range c {
		if d := v - o[k]; d != 0 {
			out[k] = d
		}
	}
	return out
}

func (c counts) String() string {
	keys := make([]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s=%g; ", k, c[k])
	}
	return strings.TrimSuffix(b.String(), "; ")
}

// apiRequests reads the API server's apiserver_request_total, summed by
// "VERB resource[/subresource]", and by the same key plus the code for
// every code but 2xx.
func apiRequests(ctx context.Context, b *testing.B) counts {
	b.Helper()
	raw, err := kubernetes.NewForConfigOrDie(env.Config).CoreV1().RESTClient().Get().AbsPath("/metrics").DoRaw(ctx)
	if err != nil {
		b.Fatal(err)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(bytes.NewReader(raw))
	if err != nil {
		b.Fatal(err)
	}
	out := counts{}
	for _, m := range families["apiserver_request_total"].GetMetric() {
		l := map[string]string{}
		for _, p := range m.GetLabel() {
			l[p.GetName()] = p.GetValue()
		}
		key := l["verb"] + " " + l["resource"]
		if l["subresource"] != "" {
			key += "/" + l["subresource"]
		}
		out[key] += m.GetCounter().GetValue()
		if !strings.HasPrefix(l["code"], "2") {
			out[key+" "+l["code"]] += m.GetCounter().GetValue()
		}
	}
	return out
}

// pauseMarks are when the first, the middle and the last rollout were seen
// Paused.
type pauseMarks struct{ first, half, all time.Time }

// watchPaused watches the rollouts of plan from now on, with an informer
// (a watch that lists again if it is cut), and reports when the first, the
// n/2-th and the n-th of them were seen Paused.
func watchPaused(ctx context.Context, b *testing.B, plan string, n int) <-chan pauseMarks {
	b.Helper()
	c, err := client.NewWithWatch(env.Config, client.Options{Scheme: env.Scheme})
	if err != nil {
		b.Fatal(err)
	}
	lw := &toolscache.ListWatch{
		ListWithContextFunc: func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
			list := &wavegatev1alpha1.ConfigRolloutList{}
			return list, c.List(ctx, list, &client.ListOptions{Raw: &o})
		},
		WatchFuncWithContext: func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
			return c.Watch(ctx, &wavegatev1alpha1.ConfigRolloutList{}, &client.ListOptions{Raw: &o})
		},
	}
	inf := toolscache.NewSharedIndexInformer(lw, &wavegatev1alpha1.ConfigRollout{}, 0, toolscache.Indexers{})
	out := make(chan pauseMarks, 1)
	var (
		mu    sync.Mutex
		marks pauseMarks
		seen  = map[string]bool{}
	)
	see := func(o any) {
		ro, ok := o.(*wavegatev1alpha1.ConfigRollout)
		if !ok || ro.Spec.PlanRef != plan || ro.Status.Phase != wavegatev1alpha1.PhasePaused {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if seen[ro.Name] {
			return
		}
		seen[ro.Name] = true
		now := time.Now()
		switch len(seen) {
		case 1:
			marks.first = now
		case n / 2:
			marks.half = now
		case n:
			marks.all = now
			out <- marks
		}
	}
	if _, err := inf.AddEventHandler(toolscache.ResourceEventHandlerFuncs{
		AddFunc:    see,
		UpdateFunc: func(_, o any) { see(o) },
	}); err != nil {
		b.Fatal(err)
	}
	stop := make(chan struct{})
	b.Cleanup(func() { close(stop) })
	go inf.Run(stop)
	if !toolscache.WaitForCacheSync(ctx.Done(), inf.HasSynced) {
		b.Fatal("the rollouts' informer did not sync")
	}
	return out
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
// run, for one status write to each of n rollouts: updates of
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
	var rollouts []*wavegatev1alpha1.ConfigRollout
	for i := range list.Items {
		if list.Items[i].Spec.PlanRef == plan {
			rollouts = append(rollouts, &list.Items[i])
		}
	}
	if len(rollouts) != n {
		b.Fatalf("found %d rollouts of plan %s, want %d", len(rollouts), plan, n)
	}
	const workers = 16 // the rollout controller's MaxConcurrentReconciles
	work := make(chan *wavegatev1alpha1.ConfigRollout)
	errs := make(chan error, workers)
	var wg sync.WaitGroup
	start := time.Now()
	for range workers {
		wg.Go(func() {
			for ro := range work {
				// An update, as the rollout controller writes; the
				// convergence summary is display text that nothing reads.
				err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
					ro.Status.Convergence = "floor probe"
					err := c.Status().Update(ctx, ro)
					if apierrors.IsConflict(err) {
						_ = c.Get(ctx, client.ObjectKeyFromObject(ro), ro)
					}
					return err
				})
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	for _, ro := range rollouts {
		work <- ro
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
