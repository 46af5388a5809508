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

// Package e2e holds the suites that run on a real cluster (kwokctl's binary
// runtime: kube-apiserver, etcd, kube-controller-manager, kube-scheduler and
// fake nodes) with Wavegate installed from the rendered Helm chart and two
// manager replicas running as the chart's ServiceAccount. Run them with
// `make e2e`, which builds every binary first.
//
// Admin credentials are used only by the suites' own setup steps and by
// kubectl standing in for a cluster user; the manager never has them.
package e2e

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/wavegate/wavegate/internal/gate/webhookconfig"
	"github.com/wavegate/wavegate/internal/test/realcluster"
	"github.com/wavegate/wavegate/internal/test/testenv"
)

// env is the one cluster every suite shares; suites that stop replicas start
// them again before they return.
var env struct {
	cluster  *realcluster.Cluster
	wavegate *realcluster.Wavegate
	bins     realcluster.Binaries
	started  time.Time
}

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	start := time.Now()
	env.started = start
	ctx := context.Background()
	bins, err := realcluster.BinariesFromEnv()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	env.bins = bins
	dir := filepath.Join(testenv.RepoRoot(), "bin", "e2e")
	_ = os.RemoveAll(dir)
	logf("starting a kwok cluster (kwokctl, binary runtime) in %s", dir)
	// WAVEGATE_E2E_NAME lets two worktrees run the suites side by side.
	name := cmp.Or(os.Getenv("WAVEGATE_E2E_NAME"), "wavegate-e2e")
	c, err := realcluster.Create(ctx, bins, name, dir, os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	env.cluster = c
	defer func() {
		if os.Getenv("WAVEGATE_E2E_KEEP") != "" {
			logf("keeping the cluster: KUBECONFIG=%s", c.Kubeconfig)
			return
		}
		_ = c.Delete(context.Background())
	}()
	logf("cluster ready in %.1fs", c.Started.Seconds())
	if err := c.AddRegionNodes(ctx, sampleRegions()); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	installStart := time.Now()
	w, err := realcluster.Install(ctx, c, bins, 2, os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, "failed to install Wavegate:", err)
		dumpLogs()
		return 1
	}
	env.wavegate = w
	defer w.Stop()
	logf("Wavegate installed from the chart, 2 replicas ready in %.1fs", time.Since(installStart).Seconds())
	if err := applySamples(ctx, "10-regions.yaml", "20-region-pairs.yaml"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	code := m.Run()
	if !auditTheLog(ctx, dir) {
		code = 1
	}
	if code != 0 {
		dumpLogs()
	}
	logf("e2e finished in %.1fs", time.Since(start).Seconds())
	return code
}

// auditTheLog ends the suites as §11 of docs/spec.md asks of every
// real-cluster run: `wavegate audit` over the API server's audit log must
// find no admitted request that breaks a safety invariant. What the suites
// did with break-glass is listed apart and is not a failure. On a failure
// the log is kept in dir, since deleting the cluster removes it.
func auditTheLog(ctx context.Context, dir string) bool {
	res, err := env.wavegate.Audit(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, "FAIL: the audit of the API server's log could not run:", err)
		return false
	}
	// The whole report: what the suites did by break-glass, and the notes,
	// belong in the run's output too.
	logf("$ %s\n%s", res.Command(), res.Text())
	if !res.Failed() {
		return true
	}
	kept := filepath.Join(dir, "audit.log")
	if err := env.cluster.KeepAuditLog(kept); err != nil {
		kept = fmt.Sprintf("not kept: %v", err)
	}
	fmt.Printf("FAIL: the API server admitted requests that break the safety invariants (docs/spec.md §11), listed above; the log: %s\n", kept)
	return false
}

func logf(format string, args ...any) {
	fmt.Printf("[e2e %5.1fs] %s\n", time.Since(env.started).Seconds(), fmt.Sprintf(format, args...))
}

// dumpLogs prints the tail of each manager's log, for a failed run in CI.
func dumpLogs() {
	if env.wavegate == nil {
		return
	}
	for replica, log := range env.wavegate.Logs(8000) {
		fmt.Printf("---- %s, last lines ----\n%s\n", replica, log)
	}
}

// TestInstalledAsTheChartRendersIt checks the harness itself: every object
// the chart renders is in the cluster as rendered (RBAC, Service, webhook
// configurations), the webhooks differ only in where they send requests
// (clientConfig), and exactly one replica leads while both serve.
func TestInstalledAsTheChartRendersIt(t *testing.T) {
	ctx := context.Background()
	for _, want := range env.wavegate.Chart.Objects {
		if want.GetKind() == "Deployment" || want.GetKind() == "CustomResourceDefinition" {
			continue // the manager runs on the host; CRDs are checked by the suites using them
		}
		got := &unstructured.Unstructured{}
		got.SetGroupVersionKind(want.GroupVersionKind())
		if err := admin().Get(ctx, client.ObjectKeyFromObject(want), got); err != nil {
			t.Errorf("%s %s from the chart is not installed: %v", want.GetKind(), want.GetName(), err)
			continue
		}
		if want.GetKind() == "ValidatingWebhookConfiguration" {
			checkWebhooksAsRendered(t, want, got)
			continue
		}
		for _, field := range []string{"rules", "roleRef", "subjects", "aggregationRule"} {
			if _, aggregated := want.Object["aggregationRule"]; aggregated && field == "rules" {
				continue // the controller manager fills them from the aggregated roles
			}
			w, _, _ := unstructured.NestedFieldCopy(want.Object, field)
			g, _, _ := unstructured.NestedFieldCopy(got.Object, field)
			if !equality.Semantic.DeepEqual(w, g) {
				t.Errorf("%s %s: %s differs from what the chart renders:\nchart:   %v\ncluster: %v", want.GetKind(), want.GetName(), field, w, g)
			}
		}
	}
	leaders := 0
	for _, r := range env.wavegate.Replicas {
		if !r.Ready() {
			t.Errorf("replica %s is not ready", r.Name)
		}
		if r.IsLeader() {
			leaders++
		}
	}
	if leaders != 1 {
		t.Errorf("%d replicas lead, want exactly 1", leaders)
	}
}

// checkWebhooksAsRendered compares webhook configurations as the API server
// reads them (with its defaults), apart from the one part the harness changes
// (clientConfig) and the condition the leader keeps current at run time (the
// delete-automation identities, decision 19).
func checkWebhooksAsRendered(t *testing.T, want, got *unstructured.Unstructured) {
	t.Helper()
	var w, g admissionregistrationv1.ValidatingWebhookConfiguration
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(want.Object, &w); err != nil {
		t.Fatal(err)
	}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(got.Object, &g); err != nil {
		t.Fatal(err)
	}
	if len(w.Webhooks) != len(g.Webhooks) {
		t.Errorf("%s has %d webhooks, the chart renders %d", want.GetName(), len(g.Webhooks), len(w.Webhooks))
		return
	}
	for i := range w.Webhooks {
		wh, gh := comparable(w.Webhooks[i]), comparable(g.Webhooks[i])
		if !equality.Semantic.DeepDerivative(wh, gh) {
			t.Errorf("%s webhook %s differs from what the chart renders:\nchart:   %+v\ncluster: %+v", want.GetName(), wh.Name, wh, gh)
		}
	}
}

func comparable(h admissionregistrationv1.ValidatingWebhook) admissionregistrationv1.ValidatingWebhook {
	h.ClientConfig = admissionregistrationv1.WebhookClientConfig{}
	var kept []admissionregistrationv1.MatchCondition
	for _, c := range h.MatchConditions {
		if c.Name != webhookconfig.AutomationConditionName {
			kept = append(kept, c)
		}
	}
	h.MatchConditions = kept
	return h
}
