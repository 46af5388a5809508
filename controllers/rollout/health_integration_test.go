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
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	wavegatev1alpha1 "github.com/wavegate/wavegate/api/v1alpha1"
	. "github.com/wavegate/wavegate/internal/test/objects"
	"github.com/wavegate/wavegate/internal/test/promtest"
)

// The health-gate suites run against a real Prometheus (built from Go
// modules by make prometheus) that scrapes, every second, an exporter whose
// per-region error ratio each test sets. The controllers run on the real
// clock here: a health check's interval is real time.
var prom struct {
	once     sync.Once
	err      error
	exporter *promtest.Exporter
	server   *promtest.Server
}

func prometheus(t testing.TB) (*promtest.Exporter, *promtest.Server) {
	t.Helper()
	prom.once.Do(func() {
		bin, err := promtest.BinaryFromEnv()
		if err != nil {
			prom.err = err
			return
		}
		if prom.exporter, prom.err = promtest.NewExporter(); prom.err != nil {
			return
		}
		dir, err := os.MkdirTemp("", "wavegate-prometheus-")
		if err != nil {
			prom.err = err
			return
		}
		prom.server, prom.err = promtest.Start(context.Background(), promtest.Options{
			Binary: bin, Dir: dir, Targets: []string{prom.exporter.Addr()}, ScrapeInterval: time.Second,
		})
	})
	if prom.err != nil {
		t.Fatal(prom.err)
	}
	return prom.exporter, prom.server
}

func stopPrometheus() {
	if prom.server != nil {
		prom.server.Stop()
		_ = os.RemoveAll(filepath.Dir(prom.server.LogPath()))
	}
	if prom.exporter != nil {
		_ = prom.exporter.Close()
	}
}

// healthScene creates regions with the settings ConfigMap, a plan of one
// wave per region with a bake of bake, and sets every region's error ratio
// to a healthy 0.001, waiting until Prometheus has it.
func healthScene(t testing.TB, plan string, bake time.Duration, waves ...[]string) {
	t.Helper()
	g := NewWithT(t)
	exporter, server := prometheus(t)
	inventory(t, plan, nil, waves...)
	wp := &wavegatev1alpha1.WavePlan{}
	g.Expect(env.Client.Get(context.Background(), client.ObjectKey{Name: plan}, wp)).To(Succeed())
	wp.Spec.MinBakeTime = &metav1.Duration{Duration: time.Second}
	for i := range wp.Spec.Waves {
		wp.Spec.Waves[i].BakeTime = metav1.Duration{Duration: bake}
	}
	g.Expect(env.Client.Update(context.Background(), wp)).To(Succeed())
	for _, wave := range waves {
		for _, r := range wave {
			settings(t, r, nil)
			setErrorRatio(t, exporter, server, r, 0.001)
		}
	}
}

func setErrorRatio(t testing.TB, exporter *promtest.Exporter, server *promtest.Server, region string, v float64) {
	t.Helper()
	exporter.SetRegion(promtest.ErrorRatio, region, v)
	_, err := promtest.WaitForValue(context.Background(), server.URL(), errorRatioOf(region), promtest.Equal(v), 10*time.Second)
	NewWithT(t).Expect(err).NotTo(HaveOccurred())
}

func errorRatioOf(region string) string {
	return fmt.Sprintf("%s{region=%q}", promtest.ErrorRatio, region)
}

// healthController runs the controllers on the real clock, reading the
// test's Prometheus (or url, when given).
func healthController(t testing.TB, url string) (stop func()) {
	t.Helper()
	opts := options()
	opts.Now = time.Now
	opts.MaxRequeue = 200 * time.Millisecond
	opts.PrometheusURL = url
	return runController(t, opts)
}

// checkedRollout changes settings to 2.0.0 with an error-ratio check of a
// one-second interval that fails above 0.01.
func checkedRollout(name, plan string, threshold int32, opts ...Option[wavegatev1alpha1.ConfigRollout]) *wavegatev1alpha1.ConfigRollout {
	ro := configMapRollout(name, plan)
	ro.Spec.HealthChecks = []wavegatev1alpha1.HealthCheck{{
		Name: "error-rate", Query: promtest.ErrorRatio + `{region="{{ .Region }}"}`, Max: ptr.To("0.01"),
		Interval: &metav1.Duration{Duration: time.Second}, FailureThreshold: ptr.To(threshold),
	}}
	for _, o := range opts {
		o(ro)
	}
	return ro
}

func TestAHealthyRolloutCompletesWithEveryRegionEvaluated(t *testing.T) {
	healthScene(t, "healthy", 2*time.Second, []string{"hh1"}, []string{"hh2"})
	_, server := prometheus(t)
	healthController(t, server.URL())
	g := NewWithT(t)
	g.Expect(env.Client.Create(context.Background(), checkedRollout("healthy", "healthy", 2))).To(Succeed())
	g.Eventually(func(g Gomega) {
		ro := get(g, "healthy")
		g.Expect(ro.Status.Phase).To(Equal(wavegatev1alpha1.PhaseComplete))
		for _, r := range []string{"hh1", "hh2"} {
			g.Expect(regionState(ro, r).Health).To(ConsistOf(And(
				HaveField("Name", "error-rate"), HaveField("Value", "0.001"), HaveField("Failures", int32(0)))))
		}
	}).WithTimeout(30 * time.Second).Should(Succeed())
}

func TestARegionTurningBadMidBakeHaltsTheRolloutBeforeTheNextWave(t *testing.T) {
	healthScene(t, "midbake", time.Hour, []string{"mb1"}, []string{"mb2"})
	exporter, server := prometheus(t)
	healthController(t, server.URL())
	g := NewWithT(t)
	g.Expect(env.Client.Create(context.Background(), checkedRollout("midbake", "midbake", 2))).To(Succeed())
	g.Eventually(func() wavegatev1alpha1.RolloutPhase { return get(g, "midbake").Status.Phase }).Should(Equal(wavegatev1alpha1.PhaseBaking))

	turned := time.Now()
	setErrorRatio(t, exporter, server, "mb1", 0.07)
	g.Eventually(func(g Gomega) {
		ro := get(g, "midbake")
		g.Expect(ro.Status.Phase).To(Equal(wavegatev1alpha1.PhaseBlocked))
		g.Expect(condition(ro, wavegatev1alpha1.ConditionStalled).Reason).To(Equal(wavegatev1alpha1.ReasonUnhealthy))
		g.Expect(condition(ro, wavegatev1alpha1.ConditionStalled).Message).To(HavePrefix(
			"region mb1 is unhealthy: health check error-rate: 0.07 above max 0.01 (2 evaluations in a row); no further region is applied"))
		g.Expect(regionState(ro, "mb1").State).To(Equal(wavegatev1alpha1.RegionUnhealthy))
	}).WithTimeout(30 * time.Second).Should(Succeed())
	t.Logf("from the exporter turning bad to Blocked: %s (scrape 1s, interval 1s, threshold 2)", time.Since(turned).Round(10*time.Millisecond))
	g.Consistently(func() string { return configMapIn(g, "mb2").Data["mode"] }).WithTimeout(2*time.Second).Should(Equal("old"),
		"the next wave is never applied")
}

func TestRevertRestoresEveryChangedRegionAndTheFreezeStopsEveryOtherChange(t *testing.T) {
	healthScene(t, "revert", time.Hour, []string{"rv1", "rv2"}, []string{"rv3"})
	exporter, server := prometheus(t)
	healthController(t, server.URL())
	g := NewWithT(t)
	ctx := context.Background()
	g.Expect(env.Client.Create(ctx, checkedRollout("revert", "revert", 2, func(r *wavegatev1alpha1.ConfigRollout) {
		r.Spec.OnUnhealthy = wavegatev1alpha1.UnhealthyRevert
		r.Spec.FreezeOnUnhealthy = true
	}))).To(Succeed())
	g.Eventually(func() string { return configMapIn(g, "rv2").Data["mode"] }).Should(Equal("new"))

	setErrorRatio(t, exporter, server, "rv1", 0.5)
	g.Eventually(func(g Gomega) {
		ro := get(g, "revert")
		g.Expect(ro.Status.Phase).To(Equal(wavegatev1alpha1.PhaseFailed))
		g.Expect(condition(ro, wavegatev1alpha1.ConditionStalled).Reason).To(Equal(wavegatev1alpha1.ReasonReverted))
		g.Expect(condition(ro, wavegatev1alpha1.ConditionStalled).Message).To(ContainSubstring("reverted in rv1, rv2"))
	}).WithTimeout(30 * time.Second).Should(Succeed())
	for _, r := range []string{"rv1", "rv2"} {
		cm := configMapIn(g, r)
		g.Expect(cm.Data["mode"]).To(Equal("old"), "the value the patch replaced is back in %s", r)
		g.Expect(cm.Labels[wavegatev1alpha1.LabelVersion]).To(Equal("1.0.0"))
	}
	g.Expect(configMapIn(g, "rv3").Data["mode"]).To(Equal("old"), "the next wave was never applied")

	frz := &wavegatev1alpha1.Freeze{}
	g.Expect(env.Client.Get(ctx, client.ObjectKey{Name: "unhealthy-revert-rv1"}, frz)).To(Succeed())
	g.Expect(frz.Spec.Regions).To(Equal([]string{"rv1"}))
	g.Expect(frz.Spec.AllowReverts).To(BeTrue())
	g.Expect(frz.Spec.Reason).To(Equal("ConfigRollout revert: health check error-rate in region rv1: 0.5 above max 0.01"))
	g.Expect(frz.Spec.ExpiresAt).NotTo(BeNil())
	g.Eventually(func() error {
		return env.Client.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "app-rv1", Name: "unrelated"}, Data: map[string]string{"x": "y"}})
	}).Should(MatchError(ContainSubstring("[wavegate:freeze] region rv1 is frozen by Freeze unhealthy-revert-rv1")),
		"every other change in the region is denied")
}

func TestAPrometheusOutageHalts(t *testing.T) {
	healthScene(t, "outage", time.Hour, []string{"po1"}, []string{"po2"})
	_, server := prometheus(t)
	healthController(t, server.URL())
	g := NewWithT(t)
	g.Expect(env.Client.Create(context.Background(), checkedRollout("outage", "outage", 2))).To(Succeed())
	g.Eventually(func() wavegatev1alpha1.RolloutPhase { return get(g, "outage").Status.Phase }).Should(Equal(wavegatev1alpha1.PhaseBaking))

	server.Kill()
	defer func() { g.Expect(server.Restart(context.Background())).To(Succeed()) }()
	g.Eventually(func(g Gomega) {
		ro := get(g, "outage")
		g.Expect(ro.Status.Phase).To(Equal(wavegatev1alpha1.PhaseBlocked))
		g.Expect(condition(ro, wavegatev1alpha1.ConditionStalled).Message).To(And(
			HavePrefix("region po1 is unhealthy: health check error-rate: unknown (query failed"),
			ContainSubstring("and unknown is not safe")))
	}).WithTimeout(30 * time.Second).Should(Succeed())
}

func TestNoPrometheusConfiguredHalts(t *testing.T) {
	healthScene(t, "noprom", time.Hour, []string{"np1"})
	healthController(t, "")
	g := NewWithT(t)
	g.Expect(env.Client.Create(context.Background(), checkedRollout("noprom", "noprom", 1))).To(Succeed())
	g.Eventually(func(g Gomega) {
		ro := get(g, "noprom")
		g.Expect(ro.Status.Phase).To(Equal(wavegatev1alpha1.PhaseBlocked))
		g.Expect(condition(ro, wavegatev1alpha1.ConditionStalled).Message).To(ContainSubstring("unknown (no Prometheus is configured (--prometheus-url))"))
	}).WithTimeout(30 * time.Second).Should(Succeed())
}

func TestARestartMidFailureCountNeitherForgetsNorDoubleCounts(t *testing.T) {
	healthScene(t, "restart-health", time.Hour, []string{"rh1"}, []string{"rh2"})
	exporter, server := prometheus(t)
	stop := healthController(t, server.URL())
	g := NewWithT(t)
	g.Expect(env.Client.Create(context.Background(), checkedRollout("restart-health", "restart-health", 4))).To(Succeed())
	g.Eventually(func() wavegatev1alpha1.RolloutPhase { return get(g, "restart-health").Status.Phase }).Should(Equal(wavegatev1alpha1.PhaseBaking))

	setErrorRatio(t, exporter, server, "rh1", 0.2)
	var before int32
	g.Eventually(func() int32 {
		hs := regionState(get(g, "restart-health"), "rh1").Health
		if len(hs) == 0 {
			return 0
		}
		before = hs[0].Failures
		return before
	}).Should(BeNumerically(">=", 1))
	stop()
	// While no controller runs, nothing is counted.
	stopped := regionState(get(g, "restart-health"), "rh1").Health[0]
	g.Expect(stopped.Failures).To(BeNumerically("<", 4), "stopped before the threshold")

	healthController(t, server.URL())
	g.Eventually(func(g Gomega) {
		ro := get(g, "restart-health")
		g.Expect(ro.Status.Phase).To(Equal(wavegatev1alpha1.PhaseBlocked))
		g.Expect(regionState(ro, "rh1").Health[0].Failures).To(Equal(int32(4)), "counted from where it was, to the threshold")
	}).WithTimeout(30 * time.Second).Should(Succeed())
	g.Expect(regionState(get(g, "restart-health"), "rh1").Message).To(ContainSubstring("(4 evaluations in a row)"))
}

// BenchmarkHealthHalt measures, on the real Prometheus, the time from the
// exporter turning a region bad to the rollout Blocked (docs/spec.md
// section 7: at most one scrape interval plus failureThreshold evaluation
// intervals plus 1 s; here 1 s + 2 x 1 s + 1 s = 4 s).
//
//	KUBEBUILDER_ASSETS=$PWD/bin/k8s/1.37.2-linux-amd64 WAVEGATE_PROMETHEUS=$PWD/bin/prometheus-v0.316.0 \
//	  go test -run NONE -bench HealthHalt -benchtime 5x ./controllers/rollout/
var haltRuns int

func BenchmarkHealthHalt(b *testing.B) {
	exporter, server := prometheus(b)
	healthController(b, server.URL())
	g := NewWithT(b)
	var total time.Duration
	for range b.N {
		haltRuns++ // the benchmark runs more than once: every run needs new names
		region, name := fmt.Sprintf("hb%d-1", haltRuns), fmt.Sprintf("halt-%d", haltRuns)
		healthScene(b, name, time.Hour, []string{region}, []string{fmt.Sprintf("hb%d-2", haltRuns)})
		g.Expect(env.Client.Create(context.Background(), checkedRollout(name, name, 2))).To(Succeed())
		g.Eventually(func() wavegatev1alpha1.RolloutPhase { return get(g, name).Status.Phase }).Should(Equal(wavegatev1alpha1.PhaseBaking))
		exporter.SetRegion(promtest.ErrorRatio, region, 0.5)
		turned := time.Now()
		g.Eventually(func() wavegatev1alpha1.RolloutPhase { return get(g, name).Status.Phase }).
			WithPolling(10 * time.Millisecond).WithTimeout(30 * time.Second).Should(Equal(wavegatev1alpha1.PhaseBlocked))
		total += time.Since(turned)
	}
	b.ReportMetric(total.Seconds()/float64(b.N), "halt_s/op")
}
