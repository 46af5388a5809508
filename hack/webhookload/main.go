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
// namespaces. It prints the client-side create latency of both phases and
// the p99 of the API server's own
// apiserver_admission_webhook_admission_duration_seconds histogram for the
// gate's webhooks over phase A (read from /metrics before and after; the
// percentile is interpolated within a bucket, so it has bucket resolution).
// The last line is
//
//	webhook_p99_ms=… webhook_ratio=…
//
// where the ratio is the create p99 of phase A over that of phase B. The
// cluster is removed at the end, also on Ctrl-C. It needs the real
// cluster's binaries in the environment (see the Makefile's REAL_CLUSTER_ENV):
//
//	make build cluster-tools && make webhookload
package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/wavegate/wavegate/internal/test/realcluster"
	"github.com/wavegate/wavegate/internal/test/testenv"
)

func main() {
	rate := flag.Int("rate", 200, "creates per second (open loop)")
	duration := flag.Duration("duration", 20*time.Second, "length of each phase")
	warmup := flag.Duration("warmup", 2*time.Second, "unmeasured load at the same rate before each phase")
	name := flag.String("name", "wavegate-load", "kwokctl cluster name")
	flag.Parse()
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	if err := run(ctx, *name, *rate, *duration, *warmup); err != nil {
		fmt.Fprintln(os.Stderr, "webhookload failed:", err)
		fmt.Println("webhook_p99_ms=n/a webhook_ratio=n/a")
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
		step("deleting the cluster")
		_ = cluster.Delete(context.Background())
	}()
	regions, err := realcluster.SampleRegions()
	if err != nil {
		return err
	}
	step("cluster ready in %.1fs; installing Wavegate with 2 manager replicas", cluster.Started.Seconds())
	wg, err := realcluster.Install(ctx, cluster, bins, 2, quiet{})
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
	return measure(ctx, cs, regions, rate, duration, warmup)
}

// measure runs phase A (gated) and phase B (Wavegate's webhook
// configurations removed) and prints the result line.
func measure(ctx context.Context, cs kubernetes.Interface, regions []string, rate int, duration, warmup time.Duration) error {
	// Phase A: gated.
	nsA, err := namespaces(ctx, cs, "load-a", regions)
	if err != nil {
		return err
	}
	// Give the managers' informers a moment to see the namespaces' labels.
	time.Sleep(2 * time.Second)
	step("phase A (Wavegate installed): warm-up %s, then %d creates/s for %s over %d region namespaces", warmup, rate, duration, len(nsA))
	drive(ctx, cs, nsA, "warm-a", rate, warmup)
	before, err := scrape(ctx, cs)
	if err != nil {
		return err
	}
	a := drive(ctx, cs, nsA, "a", rate, duration)
	after, err := scrape(ctx, cs)
	if err != nil {
		return err
	}
	step("phase A: %s", a)
	hist := after.sub(before)
	webhookP99 := hist.quantile(0.99)
	step("API server's admission_duration for *.gate.wavegate.io over phase A: %d calls, p50 %s ms, p99 %s ms (bucket resolution; buckets %s)",
		int(hist.count()), ms(hist.quantile(0.5)), ms(webhookP99), hist)

	// Phase B: the same workload, without Wavegate's webhooks.
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
	b := drive(ctx, cs, nsB, "b", rate, duration)
	step("phase B: %s", b)
	if ctx.Err() != nil {
		return ctx.Err()
	}

	ratio := math.NaN()
	if b.p(0.99) > 0 {
		ratio = float64(a.p(0.99)) / float64(b.p(0.99))
	}
	step("create latency gated/ungated: p50 %.2f/%.2f ms (%.2fx), p99 %.2f/%.2f ms (%.2fx)",
		msf(a.p(0.5)), msf(b.p(0.5)), float64(a.p(0.5))/float64(b.p(0.5)),
		msf(a.p(0.99)), msf(b.p(0.99)), ratio)
	fmt.Printf("webhook_p99_ms=%s webhook_ratio=%s\n", ms(webhookP99), num(ratio))
	return nil
}

// namespaces creates one namespace per region, labelled with it.
func namespaces(ctx context.Context, cs kubernetes.Interface, prefix string, regions []string) ([]string, error) {
	var names []string
	for _, r := range regions {
		ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{
			Name:   prefix + "-" + r,
			Labels: map[string]string{"wavegate.io/region": r},
		}}
		if _, err := cs.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil {
			return nil, fmt.Errorf("namespace %s: %w", ns.Name, err)
		}
		names = append(names, ns.Name)
	}
	return names, nil
}

// result is one phase's client-side create latencies.
type result struct {
	lat     []time.Duration
	denied  int
	errs    int
	lastErr error
	late    time.Duration // how far the generator fell behind its schedule
}

func (r *result) p(q float64) time.Duration {
	if len(r.lat) == 0 {
		return 0
	}
	i := int(math.Ceil(q*float64(len(r.lat)))) - 1
	return r.lat[max(i, 0)]
}

func (r *result) String() string {
	s := fmt.Sprintf("%d creates, p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms; %d denied, %d other errors; schedule slip %s",
		len(r.lat), msf(r.p(0.5)), msf(r.p(0.9)), msf(r.p(0.99)), msf(r.p(1)), r.denied, r.errs, r.late.Round(time.Millisecond))
	if r.lastErr != nil {
		s += "; last error: " + r.lastErr.Error()
	}
	return s
}

// drive creates ConfigMaps at rate per second for d, open loop: each create
// starts at its scheduled time whether or not earlier ones have returned.
// Each ConfigMap is new data in one region (its namespace's), round-robin.
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
		cm := &corev1.ConfigMap{
			ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("%s-%06d", tag, i), Namespace: nss[i%len(nss)]},
			Data:       map[string]string{"setting": fmt.Sprintf("%s-%d-%d", tag, i, t0.UnixNano())},
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := time.Now()
			_, err := cs.CoreV1().ConfigMaps(cm.Namespace).Create(ctx, cm, metav1.CreateOptions{})
			el := time.Since(s)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				res.lat = append(res.lat, el)
			case apierrors.IsForbidden(err) || apierrors.IsInvalid(err):
				// A denial is a full admission round trip too.
				res.lat = append(res.lat, el)
				res.denied++
				res.lastErr = err
			default:
				res.errs++
				res.lastErr = err
			}
		}()
	}
	wg.Wait()
	sort.Slice(res.lat, func(i, j int) bool { return res.lat[i] < res.lat[j] })
	return res
}

// histogram is a cumulative histogram: le bound to count.
type histogram map[float64]float64

var (
	bucketLine = regexp.MustCompile(`^apiserver_admission_webhook_admission_duration_seconds_bucket\{(.*)\} (\S+)$`)
	labelRe    = regexp.MustCompile(`(\w+)="([^"]*)"`)
)

// scrape reads the API server's /metrics and sums the admission-duration
// buckets of the gate's webhooks (every name ending .gate.wavegate.io).
func scrape(ctx context.Context, cs kubernetes.Interface) (histogram, error) {
	raw, err := cs.CoreV1().RESTClient().Get().AbsPath("/metrics").DoRaw(ctx)
	if err != nil {
		return nil, fmt.Errorf("GET /metrics: %w", err)
	}
	h := histogram{}
	sc := bufio.NewScanner(bytes.NewReader(raw))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		m := bucketLine.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		labels := map[string]string{}
		for _, l := range labelRe.FindAllStringSubmatch(m[1], -1) {
			labels[l[1]] = l[2]
		}
		if !strings.HasSuffix(labels["name"], ".gate.wavegate.io") {
			continue
		}
		le, err1 := strconv.ParseFloat(labels["le"], 64)
		v, err2 := strconv.ParseFloat(m[2], 64)
		if err := errors.Join(err1, err2); err != nil {
			return nil, fmt.Errorf("bucket line %q: %w", sc.Text(), err)
		}
		h[le] += v
	}
	return h, sc.Err()
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

func msf(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// ms formats seconds as milliseconds, or n/a.
func ms(s float64) string { return num(s * 1000) }

func num(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "n/a"
	}
	return strconv.FormatFloat(v, 'f', 2, 64)
}
