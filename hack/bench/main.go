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

// Command bench runs the benchmarks behind SPEC §7's quality bars and prints
// one machine-readable line last:
//
//	decide_p99_us=… freeze_pause_1000_s=… webhook_p99_ms=… webhook_ratio=… heap_100k_mib=… burst200_errors=… burst200_p99_ms=… restore_ratio=…
//
// Every figure is read from the custom metrics the benchmarks report
// (b.ReportMetric), never computed here; a figure no benchmark measured is
// n/a. The benchmarks' own output is passed through above the line, and
// a comment line above it gives the floors measured in the same run: the
// API server's status writes for the freeze, BenchmarkDecideFloor's facts
// and empty-policy evaluation for the decision, and hack/webhookload's
// create latency without webhooks and with a webhook that only answers.
//
// heap_100k_mib comes from hack/heap (the manager's heap with 100,000
// gated objects over 10,000 namespaces, about 2 minutes on 2 cores); with
// BENCH_HEAP=0 (or -heap=false) it is skipped and printed n/a.
//
// webhook_p99_ms and webhook_ratio come from hack/webhookload, which starts
// a real local cluster (kwok) and so needs the real cluster's binaries in
// the environment (make bench passes them); it runs only with
// BENCH_WEBHOOK=1 (or -webhook), about 4 minutes, and is n/a otherwise;
// so are the burst figures (errors and client p99 of phase A's fixed rate,
// 200 new changes/s by default) and restore_ratio (5,000 distinct objects
// created as fast as the client can, with Wavegate over without).
//
//	KUBEBUILDER_ASSETS=$(make -s envtest-path) go run ./hack/bench
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	decideCount := flag.Int("decide-count", 5, "runs of BenchmarkDecide and BenchmarkDecideFloor; the median of their p99s is reported")
	decideTime := flag.String("decide-benchtime", "1s", "-benchtime of each BenchmarkDecide and BenchmarkDecideFloor run")
	freezeCount := flag.Int("freeze-count", 3, "runs of BenchmarkFreezePropagation (each builds 1,000 rollouts, about a minute); the median is reported")
	heap := flag.Bool("heap", os.Getenv("BENCH_HEAP") != "0", "also run hack/heap (about 2 minutes); BENCH_HEAP=0 turns it off")
	withWebhook := flag.Bool("webhook", os.Getenv("BENCH_WEBHOOK") == "1", "also run hack/webhookload on a real cluster (about 2 minutes); BENCH_WEBHOOK=1 turns it on")
	webhookFlags := flag.String("webhook-flags", "", "flags for hack/webhookload, such as -duration=10s")
	heapFlags := flag.String("heap-flags", "", "flags for hack/heap, such as -objects=50000 (extrapolated to 100k)")
	flag.Parse()

	decide, err := run("./internal/gate/facts/", "^BenchmarkDecide(Floor)?$", *decideTime, *decideCount)
	if err != nil {
		fail(err)
	}
	freeze, err := runEach("./controllers/freeze/propagation/", "^BenchmarkFreezePropagation$", "1x", *freezeCount)
	if err != nil {
		fail(err)
	}

	// The webhook load runs before the heap load, and only once what the
	// freeze benchmark's etcd wrote has reached the disk: each gated create
	// waits for an etcd write of its change record, and a disk still busy
	// with another load's writes made the webhook's phase queue and collapse.
	webhook := []string{"n/a", "n/a", "n/a", "n/a", "200", "n/a", "n/a", "n/a"}
	if *withWebhook {
		settle()
		if webhook, err = runLast("./hack/webhookload", *webhookFlags, "webhook_p99_ms", "webhook_ratio", "webhook_floor_p99_ms", "webhook_floor_ratio",
			"burst_rate", "burst_errors", "burst_p99_ms", "restore_ratio"); err != nil {
			fail(err)
		}
	}

	heapMiB := "n/a"
	if *heap {
		if heapMiB, err = runHeap(*heapFlags); err != nil {
			fail(err)
		}
	}

	std := "BenchmarkDecide/regions=100/rollouts=1000/freezes=50/policies=50"
	big := "BenchmarkDecide/regions=1000/rollouts=10000/freezes=500/policies=500"
	fmt.Printf("# decide p50/p99 µs (median of %d): standard %s/%s, 10x %s/%s; freeze (median of %d): all paused %s s (runs: %s), status-write floor %s s, first denial p99 %s ms\n",
		*decideCount,
		decide.median(std, "p50-µs"), decide.median(std, "p99-µs"),
		decide.median(big, "p50-µs"), decide.median(big, "p99-µs"),
		*freezeCount, freeze.median("BenchmarkFreezePropagation", "s-to-1000-paused"), freeze.all("BenchmarkFreezePropagation", "s-to-1000-paused"),
		freeze.median("BenchmarkFreezePropagation", "s-floor-1000-status-writes"),
		freeze.median("BenchmarkFreezePropagation", "ms-to-denial-p99"))
	fmt.Printf("# decide floors p50/p99 µs (median of %d, same process): facts built and rendered %s/%s, plus OPA evaluating an empty policy %s/%s\n",
		*decideCount,
		decide.median("BenchmarkDecideFloor/facts", "p50-µs"), decide.median("BenchmarkDecideFloor/facts", "p99-µs"),
		decide.median("BenchmarkDecideFloor/evaluator", "p50-µs"), decide.median("BenchmarkDecideFloor/evaluator", "p99-µs"))
	fmt.Printf("# webhook floor (same run; a webhook that only answers): webhook p99 %s ms, create p99 ratio %s\n", webhook[2], webhook[3])
	fmt.Printf("decide_p99_us=%s freeze_pause_1000_s=%s webhook_p99_ms=%s webhook_ratio=%s heap_100k_mib=%s burst%[6]s_errors=%[7]s burst%[6]s_p99_ms=%[8]s restore_ratio=%[9]s\n",
		decide.median(std, "p99-µs"), freeze.median("BenchmarkFreezePropagation", "s-to-1000-paused"), webhook[0], webhook[1], heapMiB,
		webhook[4], webhook[5], webhook[6], webhook[7])
}

// settle writes the machine's dirty pages to disk before a latency
// measurement.
func settle() {
	start := time.Now()
	syscall.Sync()
	fmt.Fprintf(os.Stderr, "+ sync (%s)\n", time.Since(start).Round(time.Millisecond))
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "bench:", err)
	os.Exit(1)
}

// results holds every value each benchmark reported, by benchmark name
// (without the -GOMAXPROCS suffix) and unit.
type results map[string]map[string][]float64

// run runs one package's benchmark, passing its output through, and
// collects the metrics it reports.
func run(pkg, bench, benchtime string, count int) (results, error) {
	args := []string{"test", "-run=NONE", "-bench=" + bench, "-benchtime=" + benchtime,
		"-count=" + strconv.Itoa(count), "-timeout=30m", pkg}
	fmt.Fprintln(os.Stderr, "+ go", strings.Join(args, " "))
	cmd := exec.Command("go", args...) //nolint:gosec // go test with flags built here from fixed names and numbers
	var out bytes.Buffer
	cmd.Stdout = io.MultiWriter(os.Stdout, &out)
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("go test %s: %w", pkg, err)
	}
	return parse(&out), nil
}

// runEach runs one package's benchmark count times, each in a process
// (and an API server) of its own: a benchmark that builds objects finds
// them already there on a second run in the same process.
func runEach(pkg, bench, benchtime string, count int) (results, error) {
	all := results{}
	for range count {
		r, err := run(pkg, bench, benchtime, 1)
		if err != nil {
			return nil, err
		}
		for name, units := range r {
			if all[name] == nil {
				all[name] = map[string][]float64{}
			}
			for unit, vs := range units {
				all[name][unit] = append(all[name][unit], vs...)
			}
		}
	}
	return all, nil
}

// runHeap runs hack/heap, passing its output through, and returns the
// value of the heap_100k_mib= line it prints last.
func runHeap(flags string) (string, error) {
	args := append([]string{"run", "./hack/heap"}, strings.Fields(flags)...)
	fmt.Fprintln(os.Stderr, "+ go", strings.Join(args, " "))
	cmd := exec.Command("go", args...) //nolint:gosec // go run of a fixed package with the caller's flags
	var out bytes.Buffer
	cmd.Stdout = io.MultiWriter(os.Stdout, &out)
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go run ./hack/heap: %w", err)
	}
	const prefix = "heap_100k_mib="
	value := ""
	sc := bufio.NewScanner(&out)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), prefix); ok {
			value = v
		}
	}
	if _, err := strconv.ParseFloat(value, 64); err != nil {
		return "", fmt.Errorf("hack/heap printed no %snumber line", prefix)
	}
	return value, nil
}

// runLast runs a command package, passing its output through, and returns
// the values of the keys in the last line that holds the first key
// (key=value pairs, as in the bench line).
func runLast(pkg, flags string, keys ...string) ([]string, error) {
	args := append([]string{"run", pkg}, strings.Fields(flags)...)
	fmt.Fprintln(os.Stderr, "+ go", strings.Join(args, " "))
	cmd := exec.Command("go", args...) //nolint:gosec // go run of a fixed package with the caller's flags
	var out bytes.Buffer
	cmd.Stdout = io.MultiWriter(os.Stdout, &out)
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("go run %s: %w", pkg, err)
	}
	var last map[string]string
	sc := bufio.NewScanner(&out)
	for sc.Scan() {
		kv := map[string]string{}
		for _, f := range strings.Fields(sc.Text()) {
			if k, v, ok := strings.Cut(f, "="); ok {
				kv[k] = v
			}
		}
		if _, ok := kv[keys[0]]; ok {
			last = kv
		}
	}
	if last == nil {
		return nil, fmt.Errorf("%s printed no %s= line", pkg, keys[0])
	}
	vals := make([]string, len(keys))
	for i, k := range keys {
		if vals[i] = last[k]; vals[i] == "" {
			vals[i] = "n/a"
		}
	}
	return vals, nil
}

// parse reads benchmark lines: name, iterations, then value-unit pairs.
func parse(r io.Reader) results {
	res := results{}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") {
			continue
		}
		name := f[0]
		if i := strings.LastIndex(name, "-"); i > 0 {
			if _, err := strconv.Atoi(name[i+1:]); err == nil {
				name = name[:i]
			}
		}
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				continue
			}
			if res[name] == nil {
				res[name] = map[string][]float64{}
			}
			res[name][f[i+1]] = append(res[name][f[i+1]], v)
		}
	}
	return res
}

// all lists every value of one metric, in the order the runs reported them.
func (r results) all(name, unit string) string {
	vs := make([]string, 0, len(r[name][unit]))
	for _, v := range r[name][unit] {
		vs = append(vs, strconv.FormatFloat(v, 'f', -1, 64))
	}
	return strings.Join(vs, ", ")
}

// median is the median of a metric over the runs, or n/a when none
// reported it.
func (r results) median(name, unit string) string {
	vs := append([]float64(nil), r[name][unit]...)
	if len(vs) == 0 {
		return "n/a"
	}
	sort.Float64s(vs)
	m := vs[len(vs)/2]
	if len(vs)%2 == 0 {
		m = (vs[len(vs)/2-1] + vs[len(vs)/2]) / 2
	}
	return strconv.FormatFloat(m, 'f', -1, 64)
}
