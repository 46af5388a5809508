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

package main

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/wavegate/wavegate/internal/test/realcluster"
)

// point is one step of the ramp: what an offered rate came to.
type point struct {
	rate int
	res  *result
	secs float64
	// kube is how long Kubernetes' own root-CA publisher took to write its
	// ConfigMap into a regional Namespace created mid-step (-1: not seen).
	kube time.Duration
}

// throughput is the admitted creates per second.
func (p point) throughput() float64 { return float64(p.res.admitted()) / p.secs }

// refusedPct is the share of the offered creates not admitted for want of
// capacity: refused as overloaded, or failed (a timeout).
func (p point) refusedPct() float64 {
	offered := float64(len(p.res.lat) + p.res.errs)
	if offered == 0 {
		return 0
	}
	return 100 * float64(p.res.overloaded+p.res.errs) / offered
}

// ramp drives each rate for step, a pause between steps so one step's
// backlog does not spill into the next.
func ramp(ctx context.Context, cs kubernetes.Interface, nss []string, tag string, rates []int, each time.Duration) []point {
	var out []point
	for _, rate := range rates {
		if ctx.Err() != nil {
			break
		}
		kube := make(chan time.Duration, 1)
		go func() {
			time.Sleep(each / 2)
			kube <- kubernetesWrite(ctx, cs, fmt.Sprintf("%s-%d-kube", tag, rate), nss[0])
		}()
		res := drive(ctx, cs, nss, fmt.Sprintf("%s-%d", tag, rate), rate, each)
		p := point{rate: rate, res: res, secs: each.Seconds(), kube: <-kube}
		step("ramp %s %4d/s: %6.1f admitted/s, p99 %.0f ms, %.1f %% refused or failed, Kubernetes' own write in %.0f ms (%s)",
			tag, rate, p.throughput(), msf(res.p(0.99)), p.refusedPct(), msf(p.kube), res)
		out = append(out, p)
		time.Sleep(3 * time.Second)
	}
	return out
}

// kubernetesWrite creates a Namespace with the region label of like and
// times how long kube-controller-manager's root-CA publisher takes to write
// kube-root-ca.crt into it: Kubernetes' own traffic, which never reaches
// the gate, so a burst that overloads the gate must not slow it.
func kubernetesWrite(ctx context.Context, cs kubernetes.Interface, name, like string) time.Duration {
	src, err := cs.CoreV1().Namespaces().Get(ctx, like, metav1.GetOptions{})
	if err != nil {
		return -1
	}
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: src.Labels}}
	if _, err := cs.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil {
		return -1
	}
	t0 := time.Now()
	for time.Since(t0) < 30*time.Second && ctx.Err() == nil {
		if _, err := cs.CoreV1().ConfigMaps(name).Get(ctx, "kube-root-ca.crt", metav1.GetOptions{}); err == nil {
			return time.Since(t0)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return -1
}

// restored is what a restore came to.
type restored struct {
	n, errs int
	took    time.Duration
	lastErr error
}

// restore creates n distinct regional objects, each a new change, workers
// at a time and as fast as the client can, as a GitOps resync or a restore
// from backup does. The client is client-go's, which retries a 429 that
// carries Retry-After (as [wavegate:overloaded] does) by itself, as kubectl,
// Argo CD and Flux do.
func restore(ctx context.Context, cs kubernetes.Interface, nss []string, tag string, n, workers int) restored {
	var next atomic.Int64
	var mu sync.Mutex
	out := restored{n: n}
	var wg sync.WaitGroup
	t0 := time.Now()
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				cm := newChange(nss, tag, i, t0)
				_, err := cs.CoreV1().ConfigMaps(cm.Namespace).Create(ctx, cm, metav1.CreateOptions{})
				if err != nil {
					mu.Lock()
					out.errs++
					out.lastErr = err
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	out.took = time.Since(t0)
	return out
}

func (r restored) String() string {
	s := fmt.Sprintf("%d objects in %.1f s (%.0f/s), %d errors", r.n, r.took.Seconds(), float64(r.n)/r.took.Seconds(), r.errs)
	if r.lastErr != nil {
		s += "; last error: " + r.lastErr.Error()
	}
	return s
}

// parseRates reads "50,100,200".
func parseRates(list string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(list, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		r, err := strconv.Atoi(f)
		if err != nil || r < 1 {
			return nil, fmt.Errorf("invalid -ramp rate %q: use positive creates per second, such as 50,100,200,400,800", f)
		}
		out = append(out, r)
	}
	return out, nil
}

// series is one line of the plot.
type series struct {
	name   string
	color  string
	points []point
}

// plot writes the ramp as an SVG: admitted/s, create p99 and the share
// refused or failed, each against the offered rate.
func plot(path string, all []series) error {
	const w, h, pad = 300, 220, 45
	panels := []struct {
		title string
		y     func(point) float64
		log   bool
	}{
		{"admitted creates/s", point.throughput, false},
		{"create p99, ms (log)", func(p point) float64 { return msf(p.res.p(0.99)) }, true},
		{"refused or failed, %", point.refusedPct, false},
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="11">`+"\n", 3*w, h+40)
	maxX := 0
	for _, s := range all {
		for _, p := range s.points {
			maxX = max(maxX, p.rate)
		}
	}
	for i, pn := range panels {
		x0 := i * w
		lo, hi := math.Inf(1), 0.0
		for _, s := range all {
			for _, p := range s.points {
				v := pn.y(p)
				hi, lo = math.Max(hi, v), math.Min(lo, v)
			}
		}
		if hi <= 0 {
			hi = 1
		}
		scale := func(v float64) float64 {
			if pn.log {
				l, u := math.Log10(math.Max(lo, 1)), math.Log10(math.Max(hi, 10))
				return float64(h-pad) - (math.Log10(math.Max(v, 1))-l)/(u-l+1e-9)*float64(h-2*pad)
			}
			return float64(h-pad) - v/hi*float64(h-2*pad)
		}
		fx := func(r int) float64 { return float64(x0+pad) + float64(r)/float64(maxX)*float64(w-2*pad) }
		fmt.Fprintf(&b, `<text x="%d" y="15">%s</text>`+"\n", x0+pad, pn.title)
		fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="black"/><line x1="%d" y1="%d" x2="%d" y2="%d" stroke="black"/>`+"\n",
			x0+pad, h-pad, x0+w-pad, h-pad, x0+pad, pad, x0+pad, h-pad)
		fmt.Fprintf(&b, `<text x="%d" y="%d">%s</text><text x="%d" y="%d" text-anchor="end">%.0f</text>`+"\n",
			x0+pad, pad-4, yLabel(hi), x0+w-pad, h-pad+14, float64(maxX))
		fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle">offered new changes/s</text>`+"\n", x0+w/2, h-pad+28)
		for _, s := range all {
			var pts []string
			for _, p := range s.points {
				pts = append(pts, fmt.Sprintf("%.1f,%.1f", fx(p.rate), scale(pn.y(p))))
			}
			fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="2" points="%s"/>`+"\n", s.color, strings.Join(pts, " "))
		}
	}
	for i, s := range all {
		fmt.Fprintf(&b, `<text x="%d" y="%d" fill="%s">■ %s</text>`+"\n", pad+i*220, h+30, s.color, s.name)
	}
	b.WriteString("</svg>\n")
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return err
	}
	return os.WriteFile(path, []byte(b.String()), 0o600)
}

func yLabel(v float64) string { return strconv.FormatFloat(v, 'f', 0, 64) }

// table prints the ramp as a Markdown table, for docs/benchmarks.md.
func table(all []series) {
	fmt.Println("| offered/s | " + strings.Join(names(all), " | ") + " |")
	fmt.Println("|---|" + strings.Repeat("---|", len(all)))
	rates := map[int]bool{}
	for _, s := range all {
		for _, p := range s.points {
			rates[p.rate] = true
		}
	}
	var sorted []int
	for r := range rates {
		sorted = append(sorted, r)
	}
	sort.Ints(sorted)
	for _, r := range sorted {
		row := []string{strconv.Itoa(r)}
		for _, s := range all {
			cell := "–"
			for _, p := range s.points {
				if p.rate == r {
					cell = fmt.Sprintf("%.0f/s, p99 %.0f ms, %.1f %% refused/failed, kube-root-ca.crt in %.0f ms", p.throughput(), msf(p.res.p(0.99)), p.refusedPct(), msf(p.kube))
				}
			}
			row = append(row, cell)
		}
		fmt.Println("| " + strings.Join(row, " | ") + " |")
	}
}

func names(all []series) []string {
	out := make([]string, len(all))
	for i, s := range all {
		out[i] = s.name
	}
	return out
}

// curveOptions are the flags of the ramp and the restore.
type curveOptions struct {
	rates            []int
	step             time.Duration
	plot             string
	restore, workers int
}

var curve curveOptions

// restorePhase runs the restore into fresh region namespaces; nothing
// without -restore.
func restorePhase(ctx context.Context, cs kubernetes.Interface, regions []string, prefix string) (restored, error) {
	if curve.restore <= 0 {
		return restored{}, nil
	}
	nss, err := namespaces(ctx, cs, prefix, regions)
	if err != nil {
		return restored{}, err
	}
	time.Sleep(2 * time.Second)
	r := restore(ctx, cs, nss, prefix, curve.restore, curve.workers)
	step("%s: %s", prefix, r)
	return r, nil
}

// report prints the ramp's table and writes its plot.
func (o curveOptions) report(gated, ungated, floor []point) error {
	if len(o.rates) == 0 {
		return nil
	}
	all := []series{{"Wavegate", "#d62728", gated}, {"a webhook that only answers", "#1f77b4", floor}, {"no webhook", "#2ca02c", ungated}}
	table(all)
	if o.plot == "" {
		return nil
	}
	step("plot written to %s", o.plot)
	return plot(o.plot, all)
}

// gatedExtras runs the restore with Wavegate installed, audits the
// cluster's log (how many violations; n/a without a restore), then runs
// the ramp, which may overload the gate, and times its recovery.
func gatedExtras(ctx context.Context, cs kubernetes.Interface, wg *realcluster.Wavegate, nss, regions []string) ([]point, restored, string, error) {
	r, err := restorePhase(ctx, cs, regions, "restore-a")
	if err != nil {
		return nil, r, "n/a", err
	}
	violations := "n/a"
	if curve.restore > 0 {
		audited, err := wg.Audit(ctx)
		if err != nil {
			return nil, r, "n/a", err
		}
		violations = strconv.Itoa(len(audited.Violations))
		step("wavegate audit over the cluster's audit log (phase A and the restore): %s violations", violations)
	}
	points := ramp(ctx, cs, nss, "ramp-a", curve.rates, curve.step)
	if len(points) > 0 {
		recovery(ctx, cs, wg, nss[0])
	}
	return points, r, violations, nil
}

// recovery reports how long after the ramp's last step a gated write is
// admitted again, with what the replicas report meanwhile: the requests
// in flight and their goroutines.
func recovery(ctx context.Context, cs kubernetes.Interface, wg *realcluster.Wavegate, ns string) {
	t0 := time.Now()
	for i := 0; time.Since(t0) < 2*time.Minute && ctx.Err() == nil; i++ {
		cm := newChange([]string{ns}, "recover", i, t0)
		err := cs.CoreV1().RESTClient().Post().Namespace(ns).Resource("configmaps").Body(cm).MaxRetries(0).Do(ctx).Error()
		if err == nil {
			step("after the ramp a gated create was admitted again in %.1f s", time.Since(t0).Seconds())
			return
		}
		var gauges []string
		for _, r := range wg.Replicas {
			raw, merr := r.Metrics()
			if merr != nil {
				gauges = append(gauges, r.Name+": "+merr.Error())
				continue
			}
			_ = parse(raw, func(name string, _ map[string]string, v float64) {
				if name == "wavegate_admission_in_flight" || name == "go_goroutines" {
					gauges = append(gauges, fmt.Sprintf("%s %s=%.0f", r.Name, name, v))
				}
			})
		}
		step("recovering %.0f s after the ramp: %s; %s", time.Since(t0).Seconds(), strings.Join(gauges, ", "), err)
		time.Sleep(2 * time.Second)
	}
}
