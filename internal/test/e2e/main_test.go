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
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

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
	c, err := realcluster.Create(ctx, bins, "wavegate-e2e", dir, os.Stdout)
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
	if code != 0 {
		dumpLogs()
	}
	logf("e2e finished in %.1fs", time.Since(start).Seconds())
	return code
}

func logf(format string, args ...any) {
	fmt.Printf("[e2e %5.1fs] %s\n", time.Since(env.started).Seconds(), fmt.Sprintf(format, args...))
}

// dumpLogs prints the tail of each manager's log, for a failed run in CI.
func dumpLogs() {
	if env.wavegate == nil {
		return
	}
	for _, r := range env.wavegate.Replicas {
		b, err := os.ReadFile(r.LogPath)
		if err != nil {
			continue
		}
		if len(b) > 8000 {
			b = b[len(b)-8000:]
		}
		fmt.Printf("---- %s (%s), last lines ----\n%s\n", r.Name, r.LogPath, b)
	}
}
