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
// wavegate-agent ClusterRole. `make e2e` runs it after the single-cluster
// suites.
package multicluster

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	wavegatev1alpha1 "github.com/wavegate/wavegate/api/v1alpha1"
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
	hubWG    *realcluster.Wavegate
	regional map[string]*realcluster.Cluster
	agents   map[string]*realcluster.Wavegate
	started  time.Time
}

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	env.started = time.Now()
	ctx := context.Background()
	bins, err := realcluster.BinariesFromEnv()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	env.bins = bins
	dir := filepath.Join(testenv.RepoRoot(), "bin", "e2e-multicluster")
	_ = os.RemoveAll(dir)
	prefix := cmp.Or(os.Getenv("WAVEGATE_E2E_NAME"), "wavegate-e2e") + "-mc-"
	env.regional, env.agents = map[string]*realcluster.Cluster{}, map[string]*realcluster.Wavegate{}
	defer teardown()
	if err := setUp(ctx, bins, dir, prefix); err != nil {
		fmt.Fprintln(os.Stderr, err)
		dumpLogs()
		return 1
	}
	code := m.Run()
	if code != 0 {
		dumpLogs()
	}
	logf("multi-cluster e2e finished in %.1fs", time.Since(env.started).Seconds())
	return code
}

// setUp creates the hub and the regional clusters, installs Wavegate in
// each, and registers each regional cluster with the hub as a Region.
func setUp(ctx context.Context, bins realcluster.Binaries, dir, prefix string) error {
	var err error
	if env.hub, err = realcluster.Create(ctx, bins, prefix+"hub", filepath.Join(dir, "hub"), os.Stdout); err != nil {
		return err
	}
	for _, r := range regions {
		c, err := realcluster.Create(ctx, bins, prefix+r, filepath.Join(dir, r), os.Stdout)
		if err != nil {
			return err
		}
		env.regional[r] = c
		if err := c.AddRegionNodes(ctx, []string{r}); err != nil {
			return err
		}
	}
	logf("a hub and %d regional clusters ready", len(regions))
	if env.hubWG, err = realcluster.Install(ctx, env.hub, bins, 1, os.Stdout); err != nil {
		return fmt.Errorf("failed to install Wavegate in the hub: %w", err)
	}
	for _, r := range regions {
		hubKubeconfig, err := agentIdentity(ctx, r, filepath.Join(dir, r+"-hub.kubeconfig"))
		if err != nil {
			return err
		}
		w, err := realcluster.InstallAgent(ctx, env.regional[r], bins, 1, os.Stdout, r, hubKubeconfig,
			"agent.hubStaleness="+staleness.String())
		if err != nil {
			return fmt.Errorf("failed to install the agent of %s: %w", r, err)
		}
		env.agents[r] = w
		if err := registerRegion(ctx, r); err != nil {
			return err
		}
	}
	logf("Wavegate installed: the hub and %d agents", len(regions))
	return nil
}

// agentIdentity creates the hub ServiceAccount an agent reaches the hub as,
// bound to the chart's wavegate-agent ClusterRole, and writes its
// kubeconfig to path.
func agentIdentity(ctx context.Context, region, path string) (string, error) {
	name := "wavegate-agent-" + region
	cl := env.hub.Client
	if err := cl.Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: realcluster.Namespace, Name: name}}); err != nil {
		return "", err
	}
	if err := cl.Create(ctx, &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "wavegate-agent"},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Namespace: realcluster.Namespace, Name: name}},
	}); err != nil {
		return "", err
	}
	return env.hub.ServiceAccountKubeconfig(ctx, realcluster.Namespace, name, path)
}

// registerRegion stores, in the hub, a kubeconfig of the regional cluster's
// wavegate-manager ServiceAccount (it may patch rollout targets there) and
// creates the Region naming it.
func registerRegion(ctx context.Context, region string) error {
	path, err := env.regional[region].ServiceAccountKubeconfig(ctx, realcluster.Namespace, realcluster.ServiceAccount,
		filepath.Join(env.regional[region].Dir, "hub-to-region.kubeconfig"))
	if err != nil {
		return err
	}
	kubeconfig, err := os.ReadFile(path) //nolint:gosec // written just above
	if err != nil {
		return err
	}
	if err := env.hub.Client.Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: realcluster.Namespace, Name: "region-" + region},
		Data:       map[string][]byte{"value": kubeconfig},
	}); err != nil {
		return err
	}
	rg := &wavegatev1alpha1.Region{ObjectMeta: metav1.ObjectMeta{Name: region}}
	rg.Spec.Cluster = &wavegatev1alpha1.RegionCluster{KubeconfigSecretRef: wavegatev1alpha1.SecretKeyRef{Namespace: realcluster.Namespace, Name: "region-" + region}}
	return env.hub.Client.Create(ctx, rg)
}

func teardown() {
	if os.Getenv("WAVEGATE_E2E_KEEP") != "" {
		logf("keeping the clusters: KUBECONFIG=%s", env.hub.Kubeconfig)
		return
	}
	for _, w := range env.agents {
		w.Stop()
	}
	if env.hubWG != nil {
		env.hubWG.Stop()
	}
	for _, c := range env.regional {
		_ = c.Delete(context.Background())
	}
	if env.hub != nil {
		_ = env.hub.Delete(context.Background())
	}
}

func logf(format string, args ...any) {
	fmt.Printf("[e2e-multicluster %5.1fs] %s\n", time.Since(env.started).Seconds(), fmt.Sprintf(format, args...))
}

// dumpLogs prints the tail of each manager's log.
func dumpLogs() {
	all := map[string]*realcluster.Wavegate{"hub": env.hubWG}
	for r, w := range env.agents {
		all["agent "+r] = w
	}
	for name, w := range all {
		if w == nil {
			continue
		}
		for _, r := range w.Replicas {
			b, err := os.ReadFile(r.LogPath)
			if err != nil {
				continue
			}
			if len(b) > 6000 {
				b = b[len(b)-6000:]
			}
			fmt.Printf("---- %s %s (%s), last lines ----\n%s\n", name, r.Name, r.LogPath, b)
		}
	}
}
