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

package promtest_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	"github.com/wavegate/wavegate/internal/test/promtest"
)

// TestPrometheus runs the real server against an Exporter through the
// changes a health gate meets: a value, a new value, no sample, Prometheus
// down, Prometheus back.
func TestPrometheus(t *testing.T) {
	g := NewWithT(t)
	ctx := t.Context()
	// Fail, never skip: make test builds the binary, and a suite that
	// skips without it would pass in CI while testing nothing.
	binary, err := promtest.BinaryFromEnv()
	g.Expect(err).NotTo(HaveOccurred())

	exp, err := promtest.NewExporter()
	g.Expect(err).NotTo(HaveOccurred())
	t.Cleanup(func() { _ = exp.Close() })
	const interval = time.Second
	started := time.Now()
	srv, err := promtest.Start(ctx, promtest.Options{
		Binary: binary, Dir: t.TempDir(), Targets: []string{exp.Addr()}, ScrapeInterval: interval,
	})
	g.Expect(err).NotTo(HaveOccurred())
	t.Cleanup(srv.Stop)
	t.Logf("Prometheus ready %s after Start", time.Since(started).Round(time.Millisecond))

	const query = `wavegate_test_error_ratio{region="eastus"}`
	const timeout = 30 * time.Second
	// setAndWait logs how long from Set until a query sees the value: one
	// scrape interval at most, plus the query (SPEC §7's health-gate halt
	// latency builds on it). Logged, not asserted, as the quality bars say.
	setAndWait := func(what string, v float64) {
		t.Helper()
		start := time.Now()
		exp.SetRegion(promtest.ErrorRatio, "eastus", v)
		got, err := promtest.WaitForValue(ctx, srv.URL(), query, promtest.Equal(v), timeout)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(got).To(Equal(v))
		t.Logf("%s: %v visible in a query %s after Set (scrape interval %s)", what, v, time.Since(start).Round(time.Millisecond), interval)
	}

	setAndWait("first value", 0.07)
	setAndWait("changed value", 0.002)

	start := time.Now()
	g.Expect(exp.DeleteRegion(promtest.ErrorRatio, "eastus")).To(BeTrue())
	g.Expect(promtest.WaitForNoSample(ctx, srv.URL(), query, timeout)).To(Succeed())
	t.Logf("deleted series: no sample %s after Delete", time.Since(start).Round(time.Millisecond))

	setAndWait("value before the outage", 0.05)
	srv.Kill()
	g.Expect(srv.Running()).To(BeFalse())
	_, _, err = promtest.Query(ctx, srv.URL(), query)
	g.Expect(err).To(HaveOccurred(), "a query to a killed Prometheus fails")

	started = time.Now()
	g.Expect(srv.Restart(ctx)).To(Succeed())
	t.Logf("Prometheus ready %s after Restart (write-ahead log replayed)", time.Since(started).Round(time.Millisecond))
	got, err := promtest.WaitForValue(ctx, srv.URL(), query, promtest.Equal(0.05), timeout)
	g.Expect(err).NotTo(HaveOccurred(), "after a restart on the same port Prometheus answers again")
	g.Expect(got).To(Equal(0.05))
	setAndWait("value after the restart", 0.09)
}

func TestStartFailureCarriesTheLog(t *testing.T) {
	g := NewWithT(t)
	binary, err := promtest.BinaryFromEnv()
	g.Expect(err).NotTo(HaveOccurred())
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	// A file where the TSDB directory belongs: Prometheus exits at once.
	dir := t.TempDir()
	g.Expect(os.WriteFile(filepath.Join(dir, "data"), nil, 0o600)).To(Succeed())
	_, err = promtest.Start(ctx, promtest.Options{Binary: binary, Dir: dir})
	g.Expect(err).To(MatchError(And(ContainSubstring("did not become ready"), ContainSubstring("prometheus.log"))))
	t.Logf("the error: %v", err)
}
