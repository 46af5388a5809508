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

// Command heap measures the manager's heap while it tracks many gated
// objects (SPEC §7, scale): it starts an envtest control plane (etcd and
// kube-apiserver run as their own processes), creates Regions, Namespaces
// (half of them in a region) and small ConfigMaps (half protected, tracked
// by the gate's protection scan; half rollout targets, held by the rollout
// controller's ConfigMap informer), then runs the manager in this process
// with the production wiring (setup.Controllers and the gate's informers,
// no webhook server) and reads runtime.MemStats once every cache has synced.
// A baseline is read first, from the same manager on the cluster before the
// namespaces and ConfigMaps exist.
//
// The last line is machine-readable:
//
//	heap_100k_mib=…
//
// It is the HeapInuse at 100,000 objects: measured directly when -objects is
// 100000, otherwise extrapolated linearly from the baseline and the bytes per
// object measured (and the summary line says so).
//
//	KUBEBUILDER_ASSETS=$(make -s envtest-path) go run ./hack/heap
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	ctrlconfig "sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	wavegatev1alpha1 "github.com/wavegate/wavegate/api/v1alpha1"
	"github.com/wavegate/wavegate/internal/logging"
	"github.com/wavegate/wavegate/internal/setup"
	"github.com/wavegate/wavegate/internal/test/objects"
	"github.com/wavegate/wavegate/internal/test/testenv"
)

const (
	// targetLabel selects the rollout targets.
	targetLabel = "heap.wavegate.io/target"
	rolloutName = "heap-targets"
	mib         = 1 << 20
)

type config struct {
	objects    int
	namespaces int
	regions    int
	workers    int
	timeout    time.Duration
	profile    string
}

func main() {
	var c config
	flag.IntVar(&c.objects, "objects", 100000, "ConfigMaps to create: half protected, half rollout targets")
	flag.IntVar(&c.namespaces, "namespaces", 10000, "Namespaces to spread them over; half are in a region")
	flag.IntVar(&c.regions, "regions", 100, "Regions in the inventory")
	flag.IntVar(&c.workers, "workers", 32, "concurrent creators")
	flag.DurationVar(&c.timeout, "sync-timeout", 10*time.Minute, "how long the manager may take to sync")
	flag.StringVar(&c.profile, "heap-profile", "", "write a pprof heap profile of the full reading to this file")
	flag.Parse()
	if err := run(c); err != nil {
		fmt.Fprintln(os.Stderr, "heap:", err)
		os.Exit(1)
	}
}

func run(c config) (err error) {
	if os.Getenv("KUBEBUILDER_ASSETS") == "" {
		return errors.New("KUBEBUILDER_ASSETS is not set: run KUBEBUILDER_ASSETS=$(make -s envtest-path) go run ./hack/heap")
	}
	if c.objects <= 0 || c.namespaces <= 0 || c.regions <= 0 || c.workers <= 0 {
		return errors.New("-objects, -namespaces, -regions and -workers must be positive")
	}
	logger, err := logging.New(logging.FormatConsole, "error")
	if err != nil {
		return err
	}
	logf.SetLogger(logger)
	start := time.Now()
	env := &envtest.Environment{
		CRDDirectoryPaths:     []string{filepath.Join(testenv.RepoRoot(), "config", "crd", "bases")},
		ErrorIfCRDPathMissing: true,
	}
	cfg, err := env.Start()
	if err != nil {
		return errors.Join(fmt.Errorf("failed to start envtest: %w", err), env.Stop())
	}
	defer func() { err = errors.Join(err, env.Stop()) }()
	progress("control plane up in %s", since(start))
	cfg.WarningHandler = rest.NoWarnings{}

	ctx := context.Background()
	if err := createInventory(ctx, cfg, c.regions); err != nil {
		return err
	}

	// Baseline: the same manager on the cluster with the inventory and the
	// rollout but none of the namespaces and objects.
	base, err := measure(ctx, cfg, c.timeout, "")
	if err != nil {
		return fmt.Errorf("baseline: %w", err)
	}
	progress("baseline: HeapInuse %.1f MiB, HeapAlloc %.1f MiB (manager synced in %s)",
		mibOf(base.inuse), mibOf(base.alloc), base.synced)

	t := time.Now()
	if err := createObjects(ctx, cfg, c); err != nil {
		return err
	}
	created := time.Since(t)
	progress("created %d namespaces and %d ConfigMaps in %s", c.namespaces, c.objects, created.Round(time.Second))

	full, err := measure(ctx, cfg, c.timeout, c.profile)
	if err != nil {
		return err
	}
	perObject := float64(full.inuse-base.inuse) / float64(c.objects)
	perObjectAlloc := float64(full.alloc-base.alloc) / float64(c.objects)
	at100k := full.inuse
	how := "measured"
	if c.objects != 100000 {
		at100k = base.inuse + uint64(perObject*100000)
		how = fmt.Sprintf("extrapolated linearly from %d objects", c.objects)
	}
	fmt.Printf("# heap: %d objects over %d namespaces: HeapInuse %.1f MiB (HeapAlloc %.1f MiB, Sys %.1f MiB), baseline %.1f MiB; "+
		"%.0f B per tracked object in use (%.0f B allocated); manager synced in %s; total %s; at 100k: %.1f MiB (%s)\n",
		c.objects, c.namespaces, mibOf(full.inuse), mibOf(full.alloc), mibOf(full.sys), mibOf(base.inuse),
		perObject, perObjectAlloc, full.synced, since(start), mibOf(at100k), how)
	fmt.Printf("heap_100k_mib=%.1f\n", mibOf(at100k))
	return nil
}

// createInventory creates the Regions, a plan whose first wave is a region
// without namespaces (so the rollout patches nothing while it is measured)
// and the rollout whose selector matches the target ConfigMaps.
func createInventory(ctx context.Context, cfg *rest.Config, n int) error {
	cl, err := client.New(cfg, client.Options{Scheme: testenv.NewScheme()})
	if err != nil {
		return err
	}
	names := make([]string, 0, n)
	for i := range n {
		names = append(names, regionName(i))
	}
	all := append([]string{"heap-canary"}, names...)
	for _, r := range all {
		if err := cl.Create(ctx, objects.Region(r)); err != nil {
			return fmt.Errorf("failed to create Region %s: %w", r, err)
		}
	}
	plan := objects.WavePlan("heap", objects.Wave("canary", "heap-canary"), objects.Wave("rest", names...))
	if err := cl.Create(ctx, plan); err != nil {
		return fmt.Errorf("failed to create the WavePlan: %w", err)
	}
	ro := objects.Rollout(rolloutName, objects.WithPlan("heap"), func(r *wavegatev1alpha1.ConfigRollout) {
		r.Spec.Target = wavegatev1alpha1.TargetRef{
			APIVersion: "v1", Kind: "ConfigMap",
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{targetLabel: "true"}},
		}
	})
	if err := cl.Create(ctx, ro); err != nil {
		return fmt.Errorf("failed to create the ConfigRollout: %w", err)
	}
	progress("created %d Regions, a WavePlan and ConfigRollout %s", len(all), rolloutName)
	return nil
}

func regionName(i int) string { return fmt.Sprintf("heap-r%03d", i) }

// createObjects creates the namespaces, then the ConfigMaps, each with
// c.workers concurrent creators.
func createObjects(ctx context.Context, cfg *rest.Config, c config) error {
	fast := rest.CopyConfig(cfg)
	fast.QPS, fast.Burst = 5000, 10000
	cl, err := client.New(fast, client.Options{Scheme: testenv.NewScheme()})
	if err != nil {
		return err
	}
	err = parallel(c.namespaces, c.workers, "namespaces", func(i int) error {
		ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: nsName(i)}}
		if i%2 == 0 {
			ns.Labels = map[string]string{wavegatev1alpha1.LabelRegion: regionName((i / 2) % c.regions)}
		}
		return cl.Create(ctx, ns)
	})
	if err != nil {
		return err
	}
	return parallel(c.objects, c.workers, "ConfigMaps", func(i int) error {
		cm := &corev1.ConfigMap{
			ObjectMeta: metav1.ObjectMeta{Name: "cm-" + strconv.Itoa(i), Namespace: nsName(i % c.namespaces)},
			Data:       map[string]string{"key": "value-" + strconv.Itoa(i)},
		}
		if i%2 == 0 {
			cm.Labels = map[string]string{wavegatev1alpha1.LabelProtection: "protected"}
		} else {
			cm.Labels = map[string]string{targetLabel: "true"}
		}
		return cl.Create(ctx, cm)
	})
}

func nsName(i int) string { return fmt.Sprintf("heap-ns-%05d", i) }

// parallel calls create for 0..n-1 on workers goroutines, printing progress
// every 10,000, and returns the first error.
func parallel(n, workers int, what string, create func(int) error) error {
	var next, done atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	start := time.Now()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if err := create(i); err != nil {
					errs <- fmt.Errorf("failed to create %s #%d: %w", what, i, err)
					next.Store(int64(n)) // stop the others
					return
				}
				if d := done.Add(1); d%10000 == 0 {
					progress("%s: %d/%d (%.0f/s)", what, d, n, float64(d)/time.Since(start).Seconds())
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	return <-errs
}

type reading struct {
	inuse, alloc, sys uint64
	synced            time.Duration
}

// measure runs the manager until its caches, the gate's facts and the
// rollout's target informer have synced, reads the heap and stops it.
func measure(parent context.Context, cfg *rest.Config, timeout time.Duration, profile string) (reading, error) {
	start := time.Now()
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:                 testenv.NewScheme(),
		Cache:                  setup.CacheOptions(),
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
		// The baseline's manager registered the same controllers in this process.
		Controller: ctrlconfig.Controller{SkipNameValidation: ptr.To(true)},
	})
	if err != nil {
		return reading{}, err
	}
	opts := setup.Defaults()
	// One Event writer for the controllers and the gate, as cmd/manager has.
	if opts.Events, err = setup.NewRecorders(mgr, opts); err != nil {
		return reading{}, err
	}
	defer opts.Events.StopWithin()
	if err := setup.Controllers(mgr, opts); err != nil {
		return reading{}, err
	}
	gate, err := setup.NewGateHandler(mgr, opts)
	if err != nil {
		return reading{}, err
	}
	ctx, cancel := context.WithCancel(parent)
	done := make(chan error, 1)
	go func() { done <- mgr.Start(ctx) }()
	stop := func() error {
		cancel()
		return <-done
	}

	syncCtx, cancelSync := context.WithTimeout(ctx, timeout)
	defer cancelSync()
	if !mgr.GetCache().WaitForCacheSync(syncCtx) {
		return reading{}, errors.Join(fmt.Errorf("the manager's caches did not sync within %s", timeout), stop())
	}
	// The rollout controller starts its ConfigMap informer on its first
	// reconcile, and that reconcile reads the targets through it, which
	// waits for the informer to sync: once the rollout has a status, its
	// informer holds every target. Wait for that, and for the gate's facts
	// (the protection scan included). (A List through the manager's cache
	// here would start a second, unfiltered ConfigMap informer and measure
	// it too.)
	cl := mgr.GetClient()
	last := time.Now()
	err = wait.PollUntilContextCancel(syncCtx, 500*time.Millisecond, true, func(ctx context.Context) (bool, error) {
		ro := &wavegatev1alpha1.ConfigRollout{}
		if err := cl.Get(ctx, client.ObjectKey{Name: rolloutName}, ro); err != nil || ro.Status.ObservedGeneration == 0 {
			if time.Since(last) > 10*time.Second {
				last = time.Now()
				progress("waiting for the manager: rollout %s not reconciled yet", rolloutName)
			}
			return false, nil //nolint:nilerr // not reconciled yet: poll again
		}
		return gate.Synced(), nil
	})
	if err != nil {
		return reading{}, errors.Join(fmt.Errorf("the manager did not sync within %s: %w", timeout, err), stop())
	}
	synced := time.Since(start).Round(100 * time.Millisecond)
	ms := steadyHeap()
	r := reading{inuse: ms.HeapInuse, alloc: ms.HeapAlloc, sys: ms.Sys, synced: synced}
	if profile != "" {
		if err := writeHeapProfile(profile); err != nil {
			return reading{}, errors.Join(err, stop())
		}
	}
	if err := stop(); err != nil {
		return reading{}, fmt.Errorf("the manager failed: %w", err)
	}
	// Drop what the stopped manager held before the next reading.
	runtime.GC()
	runtime.GC()
	return r, nil
}

// steadyHeap reads the heap once the manager is at rest: it lets the first
// reconciles and scans settle, then reads what is live (after two
// collections) every 3 s until two readings in a row agree within 5 %, at
// most ten times. On a loaded machine an informer can be caught listing
// again (its old store and the new list both live for a moment), which is
// not what the manager holds while it tracks the objects.
func steadyHeap() runtime.MemStats {
	time.Sleep(5 * time.Second)
	var prev, ms runtime.MemStats
	for i := range 10 {
		if i > 0 {
			time.Sleep(3 * time.Second)
		}
		runtime.GC()
		runtime.GC()
		runtime.ReadMemStats(&ms)
		if i > 0 && math.Abs(float64(ms.HeapAlloc)-float64(prev.HeapAlloc)) < 0.05*float64(prev.HeapAlloc) {
			break
		}
		if i > 0 {
			progress("heap not at rest yet: HeapAlloc %.1f MiB, then %.1f MiB", mibOf(prev.HeapAlloc), mibOf(ms.HeapAlloc))
		}
		prev = ms
	}
	return ms
}

// writeHeapProfile writes what is live now, for go tool pprof.
func writeHeapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
		return errors.Join(err, f.Close())
	}
	return f.Close()
}

func progress(format string, args ...any) {
	fmt.Printf("# "+format+"\n", args...)
}

func mibOf(b uint64) float64 { return float64(b) / mib }

func since(t time.Time) time.Duration { return time.Since(t).Round(time.Second) }
