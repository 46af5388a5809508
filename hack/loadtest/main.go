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

// Command loadtest sends AdmissionReviews over HTTPS to Wavegate's gate at a
// fixed rate and reports latency percentiles and errors. It starts the gate
// in a second process on loopback, with a synthetic cluster's facts, so the
// figure is the webhook path (TLS, HTTP, decoding, facts, Rego, encoding)
// without an API server. It only ever talks to 127.0.0.1.
//
//	go run ./hack/loadtest --rate 1000 --duration 10s
package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"runtime/pprof"
	"sort"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/go-logr/logr"
	admissionv1 "k8s.io/api/admission/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	crmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
	ctrlwebhook "sigs.k8s.io/controller-runtime/pkg/webhook"

	wavegatev1alpha1 "github.com/wavegate/wavegate/api/v1alpha1"
	"github.com/wavegate/wavegate/internal/gate"
	"github.com/wavegate/wavegate/internal/gate/engine"
	"github.com/wavegate/wavegate/internal/gate/webhookconfig"
	"github.com/wavegate/wavegate/internal/setup"
	"github.com/wavegate/wavegate/internal/test/synthetic"
)

type config struct {
	rate     int
	duration time.Duration
	workers  int
	state    synthetic.State
	// serve makes this process the server only, on this port; the load
	// generator starts it as a child so that client and server are separate
	// processes, as they are in a cluster.
	serve int
}

func main() {
	var c config
	flag.IntVar(&c.rate, "rate", 1000, "Requests per second, sent open-loop at a fixed interval.")
	flag.DurationVar(&c.duration, "duration", 10*time.Second, "How long to send.")
	flag.IntVar(&c.workers, "workers", 64, "Concurrent connections.")
	flag.IntVar(&c.state.Regions, "regions", 100, "Synthetic regions.")
	flag.IntVar(&c.state.Rollouts, "rollouts", 1000, "Synthetic ConfigRollouts.")
	flag.IntVar(&c.state.Freezes, "freezes", 50, "Synthetic Freezes.")
	flag.IntVar(&c.state.Policies, "policies", 50, "Synthetic AutomationPolicies.")
	flag.IntVar(&c.serve, "serve", 0, "Internal: serve the gate on this loopback port until killed.")
	cpuprofile := flag.String("cpuprofile", "", "Write a CPU profile of the whole run (server and client) to this file.")
	flag.Parse()
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "cannot write the CPU profile:", err)
			os.Exit(2)
		}
		defer pprof.StopCPUProfile()
	}
	if c.rate < 1 || c.duration <= 0 || c.workers < 1 {
		fmt.Fprintln(os.Stderr, "--rate, --duration and --workers must be positive")
		os.Exit(2)
	}
	if c.serve != 0 {
		if err := serve(c); err != nil {
			fmt.Fprintln(os.Stderr, "loadtest server failed:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(c); err != nil {
		pprof.StopCPUProfile()
		fmt.Fprintln(os.Stderr, "loadtest failed:", err)
		os.Exit(1)
	}
}

func run(c config) error {
	// controller-runtime's logger would otherwise buffer every line, waiting to be set.
	logf.SetLogger(logr.Discard())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	url, stop, err := startServerProcess(ctx, c)
	if err != nil {
		return err
	}
	defer stop()
	body, err := reviewBody()
	if err != nil {
		return err
	}
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
		TLSClientConfig:     &tls.Config{InsecureSkipVerify: true}, //nolint:gosec // a self-signed loopback server
		MaxIdleConnsPerHost: c.workers,
	}}
	// Warm up connections and the engine before measuring.
	for range c.workers {
		if err := send(client, url, body); err != nil {
			return fmt.Errorf("warm-up request failed: %w", err)
		}
	}
	fmt.Printf("Sending %d requests/s for %s to %s with %d connections\n", c.rate, c.duration, url, c.workers)
	res := drive(client, url, body, c)
	res.print(c)
	if res.errors > 0 {
		return fmt.Errorf("%d of %d requests failed", res.errors, res.sent)
	}
	return nil
}

// serve runs the gate over HTTPS on loopback with a self-signed certificate
// until the process is killed, then prints the gate's own latency histogram.
func serve(c config) error {
	logf.SetLogger(logr.Discard())
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	fmt.Printf("Building the synthetic state: %+v\n", c.state)
	eng, err := newEngine(ctx)
	if err != nil {
		return err
	}
	g := &gate.Gate{
		Engine: eng,
		Facts:  synthetic.Builder(c.state),
	}
	dir, err := os.MkdirTemp("", "wavegate-loadtest-")
	if err != nil {
		return err
	}
	defer func() { _ = os.RemoveAll(dir) }()
	if err := writeSelfSignedCert(dir); err != nil {
		return err
	}
	srv := ctrlwebhook.NewServer(ctrlwebhook.Options{Host: "127.0.0.1", Port: c.serve, CertDir: dir})
	setup.ServeGate(srv, g, logr.Discard())
	err = srv.Start(ctx)
	printHandlerHistogram()
	return err
}

// startServerProcess runs this program again with --serve and waits until it
// accepts TLS connections.
func startServerProcess(ctx context.Context, c config) (string, func(), error) {
	port, err := freePort()
	if err != nil {
		return "", nil, err
	}
	self, err := os.Executable()
	if err != nil {
		return "", nil, err
	}
	cmd := exec.CommandContext(ctx, self, "--serve", strconv.Itoa(port), //nolint:gosec // this program, with our own flags
		"--regions", strconv.Itoa(c.state.Regions), "--rollouts", strconv.Itoa(c.state.Rollouts),
		"--freezes", strconv.Itoa(c.state.Freezes), "--policies", strconv.Itoa(c.state.Policies))
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Start(); err != nil {
		return "", nil, err
	}
	stop := func() {
		_ = cmd.Process.Signal(os.Interrupt)
		_ = cmd.Wait()
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	for i := 0; ; i++ {
		conn, err := tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true}) //nolint:gosec // loopback readiness probe
		if err == nil {
			_ = conn.Close()
			return "https://" + addr + webhookconfig.Path, stop, nil
		}
		if i > 600 {
			stop()
			return "", nil, fmt.Errorf("the gate did not start on %s: %w", addr, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func newEngine(ctx context.Context) (*engine.Engine, error) {
	modules, err := engine.Modules("")
	if err != nil {
		return nil, err
	}
	return engine.New(ctx, modules)
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer func() { _ = l.Close() }()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// reviewBody is an UPDATE of a ConfigMap in a region its change already
// reached, requiring a converged rollout: admitted, and nothing to record.
func reviewBody() ([]byte, error) {
	cm := &corev1.ConfigMap{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: metav1.ObjectMeta{Namespace: "app", Name: "settings",
			Labels: map[string]string{wavegatev1alpha1.LabelRegion: synthetic.Region(2)},
			Annotations: map[string]string{
				wavegatev1alpha1.AnnotationChangeID: "chg-7",
				wavegatev1alpha1.AnnotationRequires: "rollout-00007",
			}},
		Data: map[string]string{"key": "value"},
	}
	raw, err := json.Marshal(cm)
	if err != nil {
		return nil, err
	}
	review := admissionv1.AdmissionReview{
		TypeMeta: metav1.TypeMeta{APIVersion: "admission.k8s.io/v1", Kind: "AdmissionReview"},
		Request: &admissionv1.AdmissionRequest{
			UID:       types.UID("loadtest"),
			Kind:      metav1.GroupVersionKind{Version: "v1", Kind: "ConfigMap"},
			Resource:  metav1.GroupVersionResource{Version: "v1", Resource: "configmaps"},
			Namespace: "app", Name: "settings", Operation: admissionv1.Update,
			UserInfo:  authenticationv1.UserInfo{Username: "alice", Groups: []string{"dev"}},
			Object:    runtime.RawExtension{Raw: raw},
			OldObject: runtime.RawExtension{Raw: raw},
		},
	}
	return json.Marshal(review)
}

func send(client *http.Client, url string, body []byte) error {
	resp, err := client.Post(url, "application/json", bytes.NewReader(body))
	if err != nil {
		return err
	}
	defer func() { _ = resp.Body.Close() }()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("HTTP %d: %s", resp.StatusCode, data)
	}
	var review admissionv1.AdmissionReview
	if err := json.Unmarshal(data, &review); err != nil {
		return err
	}
	if review.Response == nil || !review.Response.Allowed {
		return errors.New("the request was not admitted: " + string(data))
	}
	return nil
}

type result struct {
	sent, errors int
	latencies    []time.Duration
	elapsed      time.Duration
	firstErr     error
	// maxLag is how late the generator itself sent a request: a late
	// generator shows as latency, so it is reported apart.
	maxLag time.Duration
}

// drive sends at a fixed rate. Latency is measured from when a request was
// due, not when a worker picked it up, so a backlog shows in the figures.
func drive(client *http.Client, url string, body []byte, c config) *result {
	total := int(c.duration.Seconds() * float64(c.rate))
	due := make(chan time.Time, total)
	res := &result{latencies: make([]time.Duration, 0, total)}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range c.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for t := range due {
				err := send(client, url, body)
				lat := time.Since(t)
				mu.Lock()
				res.sent++
				res.latencies = append(res.latencies, lat)
				if err != nil {
					res.errors++
					if res.firstErr == nil {
						res.firstErr = err
					}
				}
				mu.Unlock()
			}
		}()
	}
	interval := time.Second / time.Duration(c.rate)
	start := time.Now()
	for i := range total {
		next := start.Add(time.Duration(i) * interval)
		if d := time.Until(next); d > 0 {
			time.Sleep(d)
		}
		if lag := time.Since(next); lag > res.maxLag {
			res.maxLag = lag
		}
		due <- next
		if i > 0 && i%c.rate == 0 {
			mu.Lock()
			fmt.Printf("  %ds: %d sent, %d errors\n", i/c.rate, res.sent, res.errors)
			mu.Unlock()
		}
	}
	close(due)
	wg.Wait()
	res.elapsed = time.Since(start)
	return res
}

func (r *result) print(c config) {
	sort.Slice(r.latencies, func(i, j int) bool { return r.latencies[i] < r.latencies[j] })
	pct := func(p float64) time.Duration {
		if len(r.latencies) == 0 {
			return 0
		}
		return r.latencies[min(len(r.latencies)-1, int(float64(len(r.latencies))*p))]
	}
	fmt.Printf("\nrequests %d in %s (%.0f/s, target %d/s), errors %d\n", r.sent, r.elapsed.Round(time.Millisecond), float64(r.sent)/r.elapsed.Seconds(), c.rate, r.errors)
	fmt.Printf("latency p50 %s  p90 %s  p99 %s  max %s\n", pct(0.50).Round(time.Microsecond), pct(0.90).Round(time.Microsecond), pct(0.99).Round(time.Microsecond), pct(1).Round(time.Microsecond))
	fmt.Printf("generator lag max %s\n", r.maxLag.Round(time.Microsecond))
	if r.firstErr != nil {
		fmt.Printf("first error: %v\n", r.firstErr)
	}
}

// printHandlerHistogram shows the gate's own wavegate_admission_duration_seconds,
// which excludes TLS, HTTP and queueing, to tell where time goes.
func printHandlerHistogram() {
	families, err := crmetrics.Registry.Gather()
	if err != nil {
		return
	}
	for _, f := range families {
		if f.GetName() != "wavegate_admission_duration_seconds" {
			continue
		}
		h := f.GetMetric()[0].GetHistogram()
		fmt.Printf("gate handler time (wavegate_admission_duration_seconds), %d requests:\n", h.GetSampleCount())
		for _, b := range h.GetBucket() {
			fmt.Printf("  <= %-8s %6.2f%%\n", time.Duration(b.GetUpperBound()*float64(time.Second)), 100*float64(b.GetCumulativeCount())/float64(h.GetSampleCount()))
		}
	}
}
