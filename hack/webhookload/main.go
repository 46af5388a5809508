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

// Command webhookload measures Wavegate's webhooks as the API server sees
// them (SPEC §7). It starts a real local cluster (kwokctl, binary runtime,
// as make e2e and make demo do), installs Wavegate from the rendered chart
// with two manager replicas, applies the sample Regions, and then creates
// ConfigMaps at a fixed open-loop rate (200/s by default) in namespaces
// labelled with a region, each create a new change in one region.
//
// Phase A runs with Wavegate installed; phase B deletes Wavegate's
// ValidatingWebhookConfigurations and runs the same workload into fresh
// namespaces; phase C registers the floor, a webhook that only answers
// (Wavegate's own webhook server and certificate with a handler that admits
// without deciding; see floor.go), and runs it again. It prints the
// client-side create latency of each phase and the p99 of the API server's
// own apiserver_admission_webhook_admission_duration_seconds histogram for
// the gate's webhooks over phase A and for the floor over phase C (read
// from /metrics before and after; the percentile is interpolated within a
// bucket, so it has bucket resolution). The last line is
//
//	webhook_p99_ms=… webhook_ratio=… webhook_floor_p99_ms=… webhook_floor_ratio=…
//
// where a ratio is the create p99 of phase A (or C) over that of phase B. The
// cluster is removed at the end, also on Ctrl-C. It needs the real
// cluster's binaries in the environment (see the Makefile's REAL_CLUSTER_ENV):
//
//	make build cluster-tools && make webhookload
package main

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"flag"
	"fmt"
	"io"
	"maps"
	"math"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"

	wavegatev1alpha1 "github.com/wavegate/wavegate/api/v1alpha1"
	"github.com/wavegate/wavegate/internal/test/proc"
	"github.com/wavegate/wavegate/internal/test/realcluster"
	"github.com/wavegate/wavegate/internal/test/testenv"
)

func main() {
	rate := flag.Int("rate", 200, "creates per second (open loop)")
	duration := flag.Duration("duration", 20*time.Second, "length of each phase")
	warmup := flag.Duration("warmup", 2*time.Second, "unmeasured load at the same rate before each phase")
	name := flag.String("name", "wavegate-load", "kwokctl cluster name")
	flag.IntVar(&objectsPerChange, "objects-per-change", 1,
		"ConfigMaps per change (the same wavegate.io/change-id, in one region): 1, the default, makes every create a new change, which the gate must record; with N only every Nth create writes a change record")
	flag.StringVar(&cpuProfile, "cpu-profile", "", "write a CPU profile of the first manager replica over phase A to this file (go tool pprof)")
	flag.StringVar(&apiserverProfile, "apiserver-profile", "", "write a CPU profile of kube-apiserver over phase A to this file (go tool pprof bin/k8s/*/kube-apiserver FILE)")
	rampList := flag.String("ramp", "", "after each phase's fixed rate, offer these rates in turn (creates/s, comma-separated, such as 50,100,200,400,800), each for -ramp-step")
	flag.DurationVar(&curve.step, "ramp-step", 10*time.Second, "length of each step of -ramp")
	flag.StringVar(&curve.plot, "plot", "", "write the ramp as an SVG to this file")
	flag.IntVar(&curve.restore, "restore", 5000, "after phases A and B, create this many distinct regional objects as fast as the client can (a GitOps resync or a restore); 0: none")
	flag.IntVar(&curve.workers, "restore-workers", 50, "creates in flight at once during -restore")
	flag.Var(&chartValues, "set", "a chart value for the install, such as webhook.maxInFlight=1000 (repeatable)")
	flag.Parse()
	var err error
	if curve.rates, err = parseRates(*rampList); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	// The floor's webhook server is controller-runtime's (the only
	// controller-runtime component that logs here); its logs are not part of
	// the measurement.
	ctrllog.SetLogger(logr.Discard())
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	if err := run(ctx, *name, *rate, *duration, *warmup); err != nil {
		fmt.Fprintln(os.Stderr, "webhookload failed:", err)
		fmt.Println("webhook_p99_ms=n/a webhook_ratio=n/a webhook_floor_p99_ms=n/a webhook_floor_ratio=n/a burst_rate=n/a burst_errors=n/a burst_p99_ms=n/a burst_admitted_pct=n/a restore_ratio=n/a restore_errors=n/a audit_violations=n/a")
		os.Exit(1)
	}
}

var start = time.Now()

func step(format string, args ...any) {
	fmt.Printf("[webhookload %4.0fs] %s\n", time.Since(start).Seconds(), fmt.Sprintf(format, args...))
}

// quiet drops kwokctl's and the installer's own log lines.
type quiet struct{}

func (quiet) Write(p []byte) (int, error) { return len(p), nil }

// gateConfigs are the chart's ValidatingWebhookConfigurations: "wavegate-"
// and the name in charts/wavegate/files/{manifests,gate}.yaml.
var gateConfigs = []string{"wavegate-gate", "wavegate-validating-webhook-configuration"}

func run(ctx context.Context, name string, rate int, duration, warmup time.Duration) error {
	bins, err := realcluster.BinariesFromEnv()
	if err != nil {
		return err
	}
	dir := filepath.Join(testenv.RepoRoot(), "bin", "load")
	step("starting a real cluster %q (kwokctl, binary runtime)", name)
	cluster, err := realcluster.Create(ctx, bins, name, dir, quiet{})
	if err != nil {
		return err
	}
	defer func() {
		// The components' logs outlive the cluster: a component that died
		// under the load says why there.
		logs := filepath.Join(dir, "logs-"+time.Now().Format("150405"))
		if err := os.CopyFS(logs, os.DirFS(filepath.Dir(cluster.AuditLog()))); err == nil {
			step("the components' logs are kept in %s", logs)
		}
		step("deleting the cluster")
		_ = cluster.Delete(context.Background())
	}()
	regions, err := realcluster.SampleRegions()
	if err != nil {
		return err
	}
	step("cluster ready in %.1fs; installing Wavegate with 2 manager replicas", cluster.Started.Seconds())
	wg, err := realcluster.Install(ctx, cluster, bins, 2, quiet{}, chartValues...)
	if err != nil {
		return err
	}
	defer func() {
		step("stopping the manager replicas")
		wg.Stop()
	}()
	if _, err := wg.Leader(ctx, time.Minute); err != nil {
		return err
	}
	for _, f := range []string{"10-regions.yaml", "20-region-pairs.yaml"} {
		n, err := cluster.ApplySample(ctx, f, "webhookload")
		if err != nil {
			return err
		}
		step("applied config/samples/%s (%d objects)", f, n)
	}

	cfg := rest.CopyConfig(cluster.Config)
	cfg.QPS, cfg.Burst = float32(10*rate), 10*rate
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	return measure(ctx, cs, cluster, wg, regions, rate, duration, warmup)
}

// measure runs phase A (gated), phase B (Wavegate's webhook configurations
// removed) and phase C (a webhook that only answers) and prints the result
// line.
func measure(ctx context.Context, cs kubernetes.Interface, cluster *realcluster.Cluster, wg *realcluster.Wavegate, regions []string, rate int, duration, warmup time.Duration) error {
	svc, replicas := wg.Service, wg.Replicas
	// Phase A: gated.
	nsA, err := namespaces(ctx, cs, "load-a", regions)
	if err != nil {
		return err
	}
	// Give the managers' informers a moment to see the namespaces' labels.
	time.Sleep(2 * time.Second)
	step("phase A (Wavegate installed): warm-up %s, then %d creates/s for %s over %d region namespaces, %d per change", warmup, rate, duration, len(nsA), objectsPerChange)
	drive(ctx, cs, nsA, "warm-a", rate, warmup)
	before, err := scrape(ctx, cs, replicas, gateWebhooks)
	if err != nil {
		return err
	}
	profiled := profile(replicas[0], duration)
	apiProfiled := profileAPIServer(ctx, cs, duration)
	conns := svc.Accepted()
	a := drive(ctx, cs, nsA, "a", rate, duration)
	if err := cmp.Or(<-profiled, <-apiProfiled); err != nil {
		return err
	}
	after, err := scrape(ctx, cs, replicas, gateWebhooks)
	if err != nil {
		return err
	}
	step("phase A: %s; the API server opened %d connections to the webhooks", a, svc.Accepted()-conns)
	d := after.sub(before)
	webhookP99 := d.webhook.quantile(0.99)
	step("API server's admission_duration for *.gate.wavegate.io over phase A: %d calls, p50 %s ms, p99 %s ms (bucket resolution; buckets %s)",
		int(d.webhook.count()), ms(d.webhook.quantile(0.5)), ms(webhookP99), d.webhook)
	step("of which the managers' handler (wavegate_admission_duration_seconds, with the change-record write): %d calls, p50 %s ms, p99 %s ms (buckets %s)",
		int(d.handler.count()), ms(d.handler.quantile(0.5)), ms(d.handler.quantile(0.99)), d.handler)
	step("of which the API server's POST changerecords: %d, p50 %s ms, p99 %s ms (buckets %s)",
		int(d.records.count()), ms(d.records.quantile(0.5)), ms(d.records.quantile(0.99)), d.records)
	step("CPU seconds over phase A (%s): %s", duration, d.cpuString())
	rampA, restA, violations, err := gatedExtras(ctx, cs, wg, nsA, regions)
	if err != nil {
		return err
	}

	// Phase B: the same workload, without Wavegate's webhooks.
	like, likeErr := installedWebhook(ctx, cs)
	for _, n := range gateConfigs {
		err := cs.AdmissionregistrationV1().ValidatingWebhookConfigurations().Delete(ctx, n, metav1.DeleteOptions{})
		if err != nil && !apierrors.IsNotFound(err) {
			return err
		}
	}
	step("deleted ValidatingWebhookConfigurations %s", strings.Join(gateConfigs, ", "))
	nsB, err := namespaces(ctx, cs, "load-b", regions)
	if err != nil {
		return err
	}
	time.Sleep(2 * time.Second)
	step("phase B (webhooks removed): warm-up %s, then %d creates/s for %s", warmup, rate, duration)
	drive(ctx, cs, nsB, "warm-b", rate, warmup)
	cpuB := processCPU()
	b := drive(ctx, cs, nsB, "b", rate, duration)
	step("phase B: %s", b)
	step("CPU seconds over phase B (%s): %s", duration, sample{cpu: processCPU()}.sub(sample{cpu: cpuB}).cpuString())
	restB, err := restorePhase(ctx, cs, regions, "restore-b")
	if err = cmp.Or(err, ctx.Err()); err != nil {
		return err
	}
	rampB := ramp(ctx, cs, nsB, "ramp-b", curve.rates, curve.step)

	ratio := p99Ratio(a, b)
	step("create latency gated/ungated: p50 %.2f/%.2f ms (%.2fx), p99 %.2f/%.2f ms (%.2fx)",
		msf(a.p(0.5)), msf(b.p(0.5)), float64(a.p(0.5))/float64(b.p(0.5)),
		msf(a.p(0.99)), msf(b.p(0.99)), ratio)

	// Phase C: the floor, a webhook that admits without deciding. It is a
	// reference beside the result: when it cannot be measured, phases A
	// and B still count.
	floorP99, floorRatio := math.NaN(), math.NaN()
	var c *result
	var p99 float64
	var rampC []point
	err = likeErr
	if err == nil {
		c, p99, err = floorPhase(ctx, cs, cluster, replicas[0].CertDir, like, regions, rate, duration, warmup, func(nss []string) {
			rampC = ramp(ctx, cs, nss, "ramp-c", curve.rates, curve.step)
		})
	}
	switch {
	case ctx.Err() != nil:
		return ctx.Err()
	case err != nil:
		step("the floor was not measured: %v", err)
	default:
		floorP99, floorRatio = p99, p99Ratio(c, b)
		step("floor, a webhook that only answers/ungated: p50 %.2f/%.2f ms (%.2fx), p99 %.2f/%.2f ms (%.2fx); its webhook p99 %s ms",
			msf(c.p(0.5)), msf(b.p(0.5)), float64(c.p(0.5))/float64(b.p(0.5)),
			msf(c.p(0.99)), msf(b.p(0.99)), floorRatio, ms(floorP99))
	}
	if err := curve.report(rampA, rampB, rampC); err != nil {
		return err
	}
	printSummary([4]float64{webhookP99, ratio, floorP99, floorRatio}, rate, a, restA, restB, violations)
	return nil
}

// printSummary prints the result line: the webhook's p99 and create p99
// ratio, the floor's, the fixed-rate burst of phase A and the restore.
func printSummary(webhook [4]float64, rate int, a *result, restA, restB restored, violations string) {
	restoreRatio := math.NaN()
	if restB.took > 0 {
		restoreRatio = restA.took.Seconds() / restB.took.Seconds()
		step("restore with/without Wavegate: %.1f/%.1f s (%.2fx), %d/%d errors", restA.took.Seconds(), restB.took.Seconds(), restoreRatio, restA.errs, restB.errs)
	}
	fmt.Printf("webhook_p99_ms=%s webhook_ratio=%s webhook_floor_p99_ms=%s webhook_floor_ratio=%s burst_rate=%d burst_errors=%d burst_p99_ms=%.2f burst_admitted_pct=%.2f restore_ratio=%s restore_errors=%d audit_violations=%s\n",
		ms(webhook[0]), num(webhook[1]), ms(webhook[2]), num(webhook[3]),
		rate, a.errs, msf(a.p(0.99)), 100*float64(a.admitted())/float64(max(len(a.lat)+a.errs, 1)), num(restoreRatio), restA.errs, violations)
}

// p99Ratio is the create p99 of x over that of base, NaN without data.
func p99Ratio(x, base *result) float64 {
	if base.p(0.99) <= 0 {
		return math.NaN()
	}
	return float64(x.p(0.99)) / float64(base.p(0.99))
}

// values is a repeatable string flag.
type values []string

func (v *values) String() string     { return strings.Join(*v, ",") }
func (v *values) Set(s string) error { *v = append(*v, s); return nil }

var (
	// chartValues are -set.
	chartValues values
	// apiserverProfile is where -apiserver-profile writes.
	apiserverProfile string
	// cpuProfile is where -cpu-profile writes.
	cpuProfile string
	// objectsPerChange is -objects-per-change.
	objectsPerChange = 1
)

// profile starts a CPU profile of r over d, written to cpuProfile; the
// channel says when it is written. Without -cpu-profile it does nothing.
func profile(r *realcluster.Replica, d time.Duration) <-chan error {
	done := make(chan error, 1)
	if cpuProfile == "" {
		done <- nil
		return done
	}
	go func() {
		done <- func() error {
			url := fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", r.PprofAddr, int(d.Seconds()))
			req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, url, nil)
			if err != nil {
				return err
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				return fmt.Errorf("CPU profile of %s: %w", r.Name, err)
			}
			defer func() { _ = resp.Body.Close() }()
			f, err := os.Create(cpuProfile)
			if err != nil {
				return err
			}
			if _, err := io.Copy(f, resp.Body); err != nil {
				_ = f.Close()
				return err
			}
			step("CPU profile of %s over phase A written to %s", r.Name, cpuProfile)
			return f.Close()
		}()
	}()
	return done
}

// profileAPIServer starts a CPU profile of kube-apiserver over d (its
// /debug/pprof, which the admin may read), written to apiserverProfile.
func profileAPIServer(ctx context.Context, cs kubernetes.Interface, d time.Duration) <-chan error {
	done := make(chan error, 1)
	if apiserverProfile == "" {
		done <- nil
		return done
	}
	go func() {
		raw, err := cs.CoreV1().RESTClient().Get().AbsPath("/debug/pprof/profile").Param("seconds", strconv.Itoa(int(d.Seconds()))).
			Timeout(d + time.Minute).DoRaw(ctx)
		if err == nil {
			err = os.WriteFile(apiserverProfile, raw, 0o600)
		}
		if err == nil {
			step("CPU profile of kube-apiserver over phase A written to %s", apiserverProfile)
		}
		done <- err
	}()
	return done
}

// namespaces creates one namespace per region, labelled with it. A
// Namespace with a region label is gated, so right after a step that
// overloaded the gate its create is retried for a while.
func namespaces(ctx context.Context, cs kubernetes.Interface, prefix string, regions []string) ([]string, error) {
	var names []string
	for _, r := range regions {
		ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{
			Name:   prefix + "-" + r,
			Labels: map[string]string{"wavegate.io/region": r},
		}}
		var err error
		for deadline := time.Now().Add(time.Minute); ; time.Sleep(time.Second) {
			_, err = cs.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{})
			if err == nil || apierrors.IsAlreadyExists(err) || time.Now().After(deadline) || ctx.Err() != nil {
				break
			}
		}
		if err != nil && !apierrors.IsAlreadyExists(err) {
			return nil, fmt.Errorf("namespace %s: %w", ns.Name, err)
		}
		names = append(names, ns.Name)
	}
	return names, nil
}

// result is one phase's client-side create latencies.
type result struct {
	lat    []time.Duration
	denied int
	// overloaded: refused unjudged with [wavegate:overloaded] (429).
	overloaded int
	errs       int
	lastErr    error
	late       time.Duration // how far the generator fell behind its schedule
}

func (r *result) p(q float64) time.Duration {
	if len(r.lat) == 0 {
		return 0
	}
	i := int(math.Ceil(q*float64(len(r.lat)))) - 1
	return r.lat[max(i, 0)]
}

// admitted is how many creates succeeded.
func (r *result) admitted() int { return len(r.lat) - r.denied - r.overloaded }

func (r *result) String() string {
	s := fmt.Sprintf("%d answered, p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms; %d admitted, %d denied, %d refused as overloaded, %d other errors; schedule slip %s",
		len(r.lat), msf(r.p(0.5)), msf(r.p(0.9)), msf(r.p(0.99)), msf(r.p(1)), r.admitted(), r.denied, r.overloaded, r.errs, r.late.Round(time.Millisecond))
	if r.lastErr != nil {
		s += "; last error: " + r.lastErr.Error()
	}
	return s
}

// add counts one create's outcome.
func (r *result) add(err error, el time.Duration) {
	switch {
	case err == nil:
		r.lat = append(r.lat, el)
	case apierrors.IsTooManyRequests(err) && strings.Contains(err.Error(), "[wavegate:overloaded]"):
		// An answer too, and a fast one: the point of refusing.
		r.lat = append(r.lat, el)
		r.overloaded++
	case apierrors.IsForbidden(err) || apierrors.IsInvalid(err):
		// A denial is a full admission round trip too.
		r.lat = append(r.lat, el)
		r.denied++
		r.lastErr = err
	default:
		r.errs++
		r.lastErr = err
	}
}

// newChange is the i-th ConfigMap of a workload: new data in one region
// (its namespace's, round-robin), objectsPerChange of them per change-id.
func newChange(nss []string, tag string, i int, t0 time.Time) *corev1.ConfigMap {
	c := i / max(objectsPerChange, 1)
	return &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{
			Name: fmt.Sprintf("%s-%06d", tag, i), Namespace: nss[c%len(nss)],
			Annotations: map[string]string{wavegatev1alpha1.AnnotationChangeID: fmt.Sprintf("%s-%d-%d", tag, c, t0.UnixNano())},
		},
		Data: map[string]string{"setting": fmt.Sprintf("%s-%d-%d", tag, i, t0.UnixNano())},
	}
}

// drive creates ConfigMaps at rate per second for d, open loop: each create
// starts at its scheduled time whether or not earlier ones have returned.
// It does not retry: a refusal is counted as it came.
func drive(ctx context.Context, cs kubernetes.Interface, nss []string, tag string, rate int, d time.Duration) *result {
	n := int(float64(rate) * d.Seconds())
	interval := time.Second / time.Duration(rate)
	res := &result{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	t0 := time.Now()
	for i := 0; i < n && ctx.Err() == nil; i++ {
		at := t0.Add(time.Duration(i) * interval)
		if wait := time.Until(at); wait > 0 {
			time.Sleep(wait)
		} else if -wait > res.late {
			res.late = -wait
		}
		cm := newChange(nss, tag, i, t0)
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := time.Now()
			err := cs.CoreV1().RESTClient().Post().Namespace(cm.Namespace).Resource("configmaps").Body(cm).MaxRetries(0).Do(ctx).Error()
			el := time.Since(s)
			mu.Lock()
			defer mu.Unlock()
			res.add(err, el)
		}()
	}
	wg.Wait()
	sort.Slice(res.lat, func(i, j int) bool { return res.lat[i] < res.lat[j] })
	return res
}

// histogram is a cumulative histogram: le bound to count.
type histogram map[float64]float64

var (
	sampleLine = regexp.MustCompile(`^(\w+)(?:\{(.*)\})? (\S+)$`)
	labelRe    = regexp.MustCompile(`(\w+)="([^"]*)"`)
)

// sample is what phase A is judged by, read once before and once after it:
// the API server's own view of the gate's webhooks and of the change-record
// writes they make, the managers' view of the same requests, and the CPU
// each process spent.
type sample struct {
	webhook histogram          // API server: admission duration of the webhooks measured (Wavegate's or the floor's)
	records histogram          // API server: duration of POST changerecords
	handler histogram          // managers: wavegate_admission_duration_seconds, summed over replicas
	cpu     map[string]float64 // process_cpu_seconds_total by process
}

func (s sample) sub(o sample) sample {
	d := sample{webhook: s.webhook.sub(o.webhook), records: s.records.sub(o.records), handler: s.handler.sub(o.handler), cpu: map[string]float64{}}
	for k, v := range s.cpu {
		d.cpu[k] = v - o.cpu[k]
	}
	return d
}

// gateWebhooks matches the names of Wavegate's gate webhooks.
func gateWebhooks(name string) bool { return strings.HasSuffix(name, ".gate.wavegate.io") }

// scrape reads the API server's /metrics, with the admission durations of
// the webhooks whose names match, and every replica's.
func scrape(ctx context.Context, cs kubernetes.Interface, replicas []*realcluster.Replica, webhooks func(name string) bool) (sample, error) {
	s := sample{webhook: histogram{}, records: histogram{}, handler: histogram{}, cpu: map[string]float64{}}
	raw, err := cs.CoreV1().RESTClient().Get().AbsPath("/metrics").DoRaw(ctx)
	if err != nil {
		return s, fmt.Errorf("GET /metrics: %w", err)
	}
	err = parse(raw, func(name string, labels map[string]string, v float64) {
		switch {
		case name == "apiserver_admission_webhook_admission_duration_seconds_bucket" && webhooks(labels["name"]):
			s.webhook.add(labels["le"], v)
		case name == "apiserver_request_duration_seconds_bucket" && labels["resource"] == "changerecords" && labels["verb"] == "POST":
			s.records.add(labels["le"], v)
		}
	})
	if err != nil {
		return s, err
	}
	for _, r := range replicas {
		raw, err := r.Metrics()
		if err != nil {
			return s, err
		}
		err = parse(raw, func(name string, labels map[string]string, v float64) {
			if name == "wavegate_admission_duration_seconds_bucket" {
				s.handler.add(labels["le"], v)
			}
		})
		if err != nil {
			return s, err
		}
	}
	s.cpu = processCPU()
	return s, nil
}

// processCPU is the CPU seconds of every process on the machine, by command
// name (the load generator, which also runs the Service in front of the
// webhooks, is "webhookload").
func processCPU() map[string]float64 { return proc.CPU(nil) }

// parse calls each for every sample line of a text exposition.
func parse(raw []byte, each func(name string, labels map[string]string, v float64)) error {
	sc := bufio.NewScanner(bytes.NewReader(raw))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		m := sampleLine.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		v, err := strconv.ParseFloat(m[3], 64)
		if err != nil {
			return fmt.Errorf("metrics line %q: %w", sc.Text(), err)
		}
		labels := map[string]string{}
		for _, l := range labelRe.FindAllStringSubmatch(m[2], -1) {
			labels[l[1]] = l[2]
		}
		each(m[1], labels, v)
	}
	return sc.Err()
}

// add adds a bucket's count; a bound that does not parse is ignored.
func (h histogram) add(le string, v float64) {
	if bound, err := strconv.ParseFloat(le, 64); err == nil {
		h[bound] += v
	}
}

func (h histogram) sub(o histogram) histogram {
	d := histogram{}
	for le, v := range h {
		d[le] = v - o[le]
	}
	return d
}

func (h histogram) bounds() []float64 {
	var les []float64
	for le := range h {
		les = append(les, le)
	}
	sort.Float64s(les)
	return les
}

func (h histogram) count() float64 { return h[math.Inf(1)] }

// quantile interpolates linearly within the bucket holding the q-th
// observation, as Prometheus's histogram_quantile does; NaN without data.
func (h histogram) quantile(q float64) float64 {
	total := h.count()
	if total <= 0 {
		return math.NaN()
	}
	rank := q * total
	lower, prev := 0.0, 0.0
	for _, le := range h.bounds() {
		if h[le] >= rank {
			if math.IsInf(le, 1) {
				return lower // beyond the last finite bound: report that bound
			}
			if h[le] == prev {
				return le
			}
			return lower + (le-lower)*(rank-prev)/(h[le]-prev)
		}
		lower, prev = le, h[le]
	}
	return math.NaN()
}

func (h histogram) String() string {
	var parts []string
	prev := 0.0
	for _, le := range h.bounds() {
		if n := h[le] - prev; n > 0 {
			parts = append(parts, fmt.Sprintf("≤%gms:%d", le*1000, int(n)))
		}
		prev = h[le]
	}
	return strings.Join(parts, " ")
}

func (s sample) cpuString() string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(s.cpu)) {
		if s.cpu[k] < 0.05 {
			continue
		}
		parts = append(parts, fmt.Sprintf("%s %.1f", k, s.cpu[k]))
	}
	return strings.Join(parts, ", ")
}

func msf(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// ms formats seconds as milliseconds, or n/a.
func ms(s float64) string { return num(s * 1000) }

func num(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "n/a"
	}
	return strconv.FormatFloat(v, 'f', 2, 64)
}
