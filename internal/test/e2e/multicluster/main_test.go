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

// Package multicluster runs Wavegate across real clusters: a hub and two
// regional clusters (kwokctl's binary runtime each), Wavegate installed from
// the chart in each, the hub in mode hub and the regional clusters in mode
// agent, every manager running as its chart's ServiceAccount and every
// agent reaching the hub as a ServiceAccount bound to the hub's
// wavegate-agent ClusterRole (realcluster.CreateRegions). `make e2e` runs it
// after the single-cluster suites.
package multicluster

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/wavegate/wavegate/internal/gate/webhookconfig"
	"github.com/wavegate/wavegate/internal/test/realcluster"
	"github.com/wavegate/wavegate/internal/test/testenv"
)

// The agents' --hub-staleness: short, so the hub-down test outlives it.
const staleness = 15 * time.Second

// regions are the regional clusters, in wave order.
var regions = []string{"eastus", "westus"}

var env struct {
	bins     realcluster.Binaries
	hub      *realcluster.Cluster
	regional map[string]*realcluster.Cluster
	all      *realcluster.Regions
	started  time.Time
}

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	env.started = time.Now()
	bins, err := realcluster.BinariesFromEnv()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	env.bins = bins
	dir := filepath.Join(testenv.RepoRoot(), "bin", "e2e-multicluster")
	_ = os.RemoveAll(dir)
	prefix := cmp.Or(os.Getenv("WAVEGATE_E2E_NAME"), "wavegate-e2e") + "-mc-"
	all, err := realcluster.CreateRegions(context.Background(), bins, dir, prefix, regions, 1, staleness, os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, "failed to set up the hub and the regional clusters:", err)
		return 1
	}
	env.all, env.hub, env.regional = all, all.Hub, all.Clusters
	defer func() {
		if os.Getenv("WAVEGATE_E2E_KEEP") != "" {
			logf("keeping the clusters: KUBECONFIG=%s", env.hub.Kubeconfig)
			return
		}
		all.Delete()
	}()
	logf("a hub and %d regional clusters, each with Wavegate installed from the chart", len(regions))
	code := m.Run()
	if !auditTheLogs(context.Background(), dir) {
		code = 1
	}
	if code != 0 {
		for name, log := range all.Logs(6000) {
			fmt.Printf("---- %s, last lines ----\n%s\n", name, log)
		}
	}
	logf("multi-cluster e2e finished in %.1fs", time.Since(env.started).Seconds())
	return code
}

// TestInstalledInModeHubAndAgent checks the harness: the hub runs the
// hub's gate configuration and ships the agents' ClusterRole; each regional
// cluster runs the agent's gate configuration, and its manager is an agent
// of its own region, reaching the hub.
func TestInstalledInModeHubAndAgent(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	entries := func(c *realcluster.Cluster) []string {
		cfg := &admissionregistrationv1.ValidatingWebhookConfiguration{}
		g.Expect(c.Client.Get(ctx, client.ObjectKey{Name: "wavegate-gate"}, cfg)).To(Succeed())
		var names []string
		for _, w := range cfg.Webhooks {
			names = append(names, w.Name)
		}
		return names
	}
	g.Expect(entries(env.hub)).NotTo(ContainElement(webhookconfig.WebhookAgentRegion))
	g.Expect(env.hub.Client.Get(ctx, client.ObjectKey{Name: "wavegate-agent"}, &rbacv1.ClusterRole{})).To(Succeed())
	for _, r := range regions {
		g.Expect(entries(env.regional[r])).To(ContainElements(webhookconfig.WebhookAgentRegion, webhookconfig.WebhookAgentDelete), "in %s", r)
		d := env.all.Agents[r].Chart.Find("Deployment", "wavegate-manager")
		g.Expect(d).NotTo(BeNil())
		containers, _, _ := unstructured.NestedSlice(d.Object, "spec", "template", "spec", "containers")
		g.Expect(containers).NotTo(BeEmpty())
		g.Expect(containers[0]).To(HaveKeyWithValue("args", ContainElements("--region="+r, HavePrefix("--hub-kubeconfig="),
			"--controller-user=system:serviceaccount:"+realcluster.Namespace+":"+realcluster.HubServiceAccount)))
		g.Expect(env.regional[r].Client.Get(ctx, client.ObjectKey{Namespace: realcluster.Namespace, Name: realcluster.HubServiceAccount},
			&corev1.ServiceAccount{})).To(Succeed(), "the hub's identity in %s", r)
	}
}

// auditTheLogs ends the suite as §11 of docs/spec.md asks of every
// real-cluster run: `wavegate audit` over each cluster's API server audit
// log (the hub's, and each regional cluster's as an agent's with the hub's
// state: realcluster.Regions.Audit says what that can and cannot see) must
// find no admitted request that breaks a safety invariant. On a failure the
// failing logs are kept in dir, since deleting the clusters removes them.
func auditTheLogs(ctx context.Context, dir string) bool {
	results, err := env.all.Audit(ctx)
	names := append([]string{"hub"}, regions...)
	ok := err == nil
	if err != nil {
		fmt.Fprintln(os.Stderr, "FAIL: the audit of the clusters' logs could not run:", err)
	}
	for i, res := range results {
		logf("the %s cluster's log\n$ %s\n%s", names[i], res.Command(), res.Text())
		if !res.Failed() {
			continue
		}
		ok = false
		c := env.hub
		if i > 0 {
			c = env.regional[names[i]]
		}
		kept := filepath.Join(dir, names[i]+"-audit.log")
		if err := c.KeepAuditLog(kept); err != nil {
			kept = fmt.Sprintf("not kept: %v", err)
		}
		fmt.Printf("FAIL: the %s cluster's API server admitted requests that break the safety invariants (docs/spec.md §11), listed above; the log: %s\n",
			names[i], kept)
	}
	return ok
}

func logf(format string, args ...any) {
	fmt.Printf("[e2e-multicluster %5.1fs] %s\n", time.Since(env.started).Seconds(), fmt.Sprintf(format, args...))
}
