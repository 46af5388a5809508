//go:build e2e

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
	"bufio"
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/wavegate/wavegate/internal/test/realcluster"
	"github.com/wavegate/wavegate/internal/test/testenv"
)

// TestTheDemoComesUpJudgesChangesAndLeavesNothingBehind runs what `make dev`
// runs (make e2e passes the binaries' paths) plus the demo's health gate:
// it waits for the rollout to stop at the pinned pair and for the checked
// rollout to be halted, reverted and frozen by the error ratio that the
// demo's Prometheus reports, applies a denied and an allowed change through
// bin/demo/kubeconfig, stops it with Ctrl-C and checks that the cluster, the
// manager replicas and Prometheus are gone.
func TestTheDemoComesUpJudgesChangesAndLeavesNothingBehind(t *testing.T) {
	if _, err := realcluster.BinariesFromEnv(); err != nil {
		t.Fatal(err)
	}
	g := NewWithT(t)
	d := startDemo(t, "--replay=false")
	output := d.output()
	g.Expect(output).To(And(
		ContainSubstring("wave broad-1"),
		ContainSubstring("Blocked: PinnedBuild"),
		Not(ContainSubstring("== 1. One global configuration")),
	), "the demo rolls out to the pinned pair and, with --replay=false, does not replay the outages")
	g.Expect(output).To(And(
		MatchRegexp(`installing Wavegate from the rendered Helm chart \(manager.prometheusURL=http://127.0.0.1:\d+\)`),
		ContainSubstring("Failed: Reverted: region westcentralus is unhealthy: health check error-rate: 0.07 above max 0.01 (2 evaluations in a row); reverted in eastus2euap, westcentralus"),
		MatchRegexp(`RegionUnhealthy[\s\S]*RolloutHalted[\s\S]*RolloutReverted`),
		ContainSubstring("[wavegate:freeze] region westcentralus is frozen by Freeze unhealthy-msi-token-cache-westcentralus"),
		MatchRegexp(`msi-token-cache +Failed +pilot +0/3 +westcentralus error-rate=0.07 +Reverted:`),
	), "the checked rollout is halted by the error ratio Prometheus reports, reverted and frozen, and wavegate status shows it")
	promURL := regexp.MustCompile(`Prometheus: (http://127.0.0.1:\d+)`).FindStringSubmatch(output)
	g.Expect(promURL).To(HaveLen(2), "the demo names its Prometheus")

	ctrllog.SetLogger(logr.Discard())
	cfg, err := clientcmd.BuildConfigFromFlags("", filepath.Join(testenv.RepoRoot(), "bin", "demo", "kubeconfig"))
	g.Expect(err).NotTo(HaveOccurred())
	c, err := client.New(cfg, client.Options{Scheme: testenv.NewScheme()})
	g.Expect(err).NotTo(HaveOccurred())
	ctx := context.Background()
	g.Expect(c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "dev-test"}})).To(Succeed())
	denied := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "dev-test", Name: "frozen",
		Labels: map[string]string{"wavegate.io/region": "centralus"}}}
	g.Expect(c.Create(ctx, denied)).To(MatchError(ContainSubstring("[wavegate:freeze] region centralus is frozen by Freeze inc-20240718-centralus")))
	allowed := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "dev-test", Name: "fine",
		Labels: map[string]string{"wavegate.io/region": "eastus"}}}
	g.Expect(c.Create(ctx, allowed)).To(Succeed())
	settings := &corev1.ConfigMap{}
	g.Expect(c.Get(ctx, client.ObjectKey{Namespace: "identity-westcentralus", Name: "msi-token-settings"}, settings)).To(Succeed())
	g.Expect(settings.Data).To(HaveKeyWithValue("tokenCache", "memory"), "the revert restored the value the rollout replaced")
	resp, err := http.Get(promURL[1] + "/api/v1/query?query=wavegate_test_error_ratio%7Bregion%3D%22westcentralus%22%7D")
	g.Expect(err).NotTo(HaveOccurred(), "the demo's Prometheus answers while it is up")
	body, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	g.Expect(string(body)).To(ContainSubstring(`"0.07"`))
	d.audit(ctx, 1)

	d.interrupt()
	// The cluster is gone: its API server no longer answers.
	short, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	g.Expect(c.List(short, &corev1.NamespaceList{})).NotTo(Succeed(), "the cluster's API server still answers after Ctrl-C")
	if resp, err := (&http.Client{Timeout: 5 * time.Second}).Get(promURL[1] + "/-/ready"); err == nil {
		_ = resp.Body.Close()
		t.Fatal("Prometheus still answers after Ctrl-C")
	}
}

// demoRun is a demo process that printed its Ready: message.
type demoRun struct {
	t       *testing.T
	cmd     *exec.Cmd
	exited  chan struct{}
	waitErr error
	mu      sync.Mutex
	lines   []string
}

// startDemo builds and starts the demo with args and waits until it is
// ready. A failing test stops it as Ctrl-C does, so that it removes what it
// started; it is killed only when it hangs.
func startDemo(t *testing.T, args ...string) *demoRun {
	t.Helper()
	g := NewWithT(t)
	bin := filepath.Join(t.TempDir(), "wavegate-demo")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	g.Expect(err).NotTo(HaveOccurred(), string(out))
	d := &demoRun{t: t, cmd: exec.Command(bin, args...), exited: make(chan struct{})} //nolint:gosec // the demo just built
	d.cmd.Dir = testenv.RepoRoot()
	stdout, err := d.cmd.StdoutPipe()
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(d.cmd.Start()).To(Succeed())
	go func() { d.waitErr = d.cmd.Wait(); close(d.exited) }()
	t.Cleanup(func() {
		_ = d.cmd.Process.Signal(os.Interrupt)
		select {
		case <-d.exited:
		case <-time.After(2 * time.Minute):
			_ = d.cmd.Process.Kill()
		}
	})
	ready := make(chan struct{})
	go func() {
		s := bufio.NewScanner(stdout)
		for s.Scan() {
			d.mu.Lock()
			d.lines = append(d.lines, s.Text())
			d.mu.Unlock()
			t.Log(s.Text())
			if strings.HasPrefix(s.Text(), "Press Ctrl-C to stop") {
				close(ready)
			}
		}
	}()
	select {
	case <-ready:
	case <-d.exited:
		t.Fatalf("the demo exited before it was ready: %v", d.waitErr)
	case <-time.After(5 * time.Minute):
		t.Fatal("the demo did not print its Ready: message within 5 minutes")
	}
	return d
}

func (d *demoRun) output() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return strings.Join(d.lines, "\n")
}

// printedAudit is a `wavegate audit` command line the demo printed.
var printedAudit = regexp.MustCompile(`^(?:\$ |\s+)\S*wavegate (audit \S.*?)(?:\s+#.*)?$`)

// audit runs again, after the test's own requests, each `wavegate audit`
// command the demo printed (it audits at the end of its replay), and fails
// the test on any violation of the safety invariants (docs/spec.md §11):
// every real-cluster run ends so. want is how many logs the demo audits.
func (d *demoRun) audit(ctx context.Context, want int) {
	d.t.Helper()
	bins, err := realcluster.BinariesFromEnv()
	if err != nil {
		d.t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, line := range strings.Split(d.output(), "\n") {
		m := printedAudit.FindStringSubmatch(line)
		if m == nil || seen[m[1]] {
			continue
		}
		seen[m[1]] = true
		args := strings.Fields(m[1])
		for i := 1; i < len(args); i++ {
			// The demo prints paths relative to where it runs: the repository.
			if (args[i-1] == "--log" || args[i-1] == "--state") && !filepath.IsAbs(args[i]) {
				args[i] = filepath.Join(testenv.RepoRoot(), args[i])
			}
		}
		res, err := realcluster.RunAudit(ctx, bins.Wavegate, args)
		if err != nil {
			d.t.Errorf("wavegate %s: %v", m[1], err)
			continue
		}
		d.t.Logf("wavegate %s: %s", m[1], res.SummaryLine())
		if res.Failed() {
			d.t.Errorf("the API server admitted requests that break the safety invariants (docs/spec.md §11):\n$ wavegate %s\n%s", m[1], res.Text())
		}
	}
	if len(seen) != want {
		d.t.Errorf("the demo printed %d wavegate audit commands, want one for each of its %d audit logs: %v", len(seen), want, seen)
	}
}

// interrupt presses Ctrl-C and waits for a clean exit.
func (d *demoRun) interrupt() {
	g := NewWithT(d.t)
	g.Expect(d.cmd.Process.Signal(os.Interrupt)).To(Succeed())
	select {
	case <-d.exited:
		g.Expect(d.waitErr).NotTo(HaveOccurred(), "Ctrl-C stops the demo cleanly")
	case <-time.After(2 * time.Minute):
		d.t.Fatal("the demo did not stop within two minutes of Ctrl-C")
	}
}

// TestTheMulticlusterDemoRollsOutAndPausesAcrossClusters runs what
// `make demo-multicluster` runs: a hub and two regional clusters, a rollout
// across them and a pause of every region from the hub; Ctrl-C removes them.
func TestTheMulticlusterDemoRollsOutAndPausesAcrossClusters(t *testing.T) {
	g := NewWithT(t)
	d := startDemo(t, "--multicluster")
	output := d.output()
	g.Expect(output).To(And(
		MatchRegexp(`eastus +- +- +- +connected v`),
		MatchRegexp(`westus +- +- +- +connected v`),
		ContainSubstring("web-2 is Complete: 2/2 regions converged"),
		MatchRegexp(`(?s)eastus +Converged.*westus +Converged`),
		ContainSubstring("[wavegate:freeze] region eastus is frozen by Freeze pause-"),
		ContainSubstring("[wavegate:freeze] region westus is frozen by Freeze pause-"),
	))
	hub := regexp.MustCompile(`export KUBECONFIG=(\S+)`).FindStringSubmatch(output)
	g.Expect(hub).To(HaveLen(2))
	ctrllog.SetLogger(logr.Discard())
	cfg, err := clientcmd.BuildConfigFromFlags("", filepath.Join(testenv.RepoRoot(), hub[1]))
	g.Expect(err).NotTo(HaveOccurred())
	c, err := client.New(cfg, client.Options{Scheme: testenv.NewScheme()})
	g.Expect(err).NotTo(HaveOccurred())
	d.audit(context.Background(), 3)
	d.interrupt()
	short, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	g.Expect(c.List(short, &corev1.NamespaceList{})).NotTo(Succeed(), "the hub's API server still answers after Ctrl-C")
}
