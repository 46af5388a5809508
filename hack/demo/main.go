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

// Command demo runs Wavegate on a local control plane: a kube-apiserver and
// etcd built from Go modules, the CRDs and webhooks installed, the manager
// serving them over TLS, and the sample inventory applied. Unless --replay
// is false (make dev), it then replays the four outages of SPEC section 1 as
// kubectl commands with the verdicts the API server returned. It stays up
// until Ctrl-C, then stops everything it started.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	wavegatev1alpha1 "github.com/wavegate/wavegate/api/v1alpha1"
	"github.com/wavegate/wavegate/internal/controlplane"
	"github.com/wavegate/wavegate/internal/logging"
	"github.com/wavegate/wavegate/internal/manifest"
	"github.com/wavegate/wavegate/internal/setup"
)

func main() {
	replay := flag.Bool("replay", true, "Replay the four outages after setting up.")
	flag.Parse()
	if err := run(*replay); err != nil {
		fmt.Fprintln(os.Stderr, "demo failed:", err)
		os.Exit(1)
	}
}

var start = time.Now()

func step(format string, args ...any) {
	fmt.Printf("[demo %4.0fs] %s\n", time.Since(start).Seconds(), fmt.Sprintf(format, args...))
}

func run(replay bool) error {
	root := controlplane.RepoRoot()
	logger, err := logging.New(logging.FormatConsole, "error")
	if err != nil {
		return err
	}
	step("starting kube-apiserver and etcd, installing CRDs and webhooks, starting the manager")
	var env *controlplane.Env
	env, err = controlplane.StartWithLogger(logger, func(mgr controlplane.Manager) error {
		opts := setup.Defaults()
		// The controller patches targets as its own identity, as in a cluster.
		cfg := rest.CopyConfig(mgr.GetConfig())
		cfg.Impersonate = rest.ImpersonationConfig{UserName: opts.ControllerUser, Groups: []string{"system:masters"}}
		patcher, err := client.New(cfg, client.Options{Scheme: mgr.GetScheme()})
		if err != nil {
			return err
		}
		opts.RolloutPatcher = patcher
		return setup.Manager(mgr, opts)
	})
	if err != nil {
		return err
	}
	defer func() {
		step("stopping the manager and the control plane")
		if err := env.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "failed to stop cleanly:", err)
		}
	}()

	kubeconfig := filepath.Join(root, "bin", "demo", "kubeconfig")
	if err := env.WriteKubeconfig(kubeconfig); err != nil {
		return err
	}
	ctx := context.Background()
	applied, err := controlplane.ApplyDir(ctx, env.Client, filepath.Join(root, "config", "samples"), "wavegate-demo")
	for _, f := range applied {
		step("applied config/samples/%s (%d objects)", f.Name, len(f.Objects))
	}
	if err != nil {
		return err
	}
	if replay {
		if err := replayOutages(ctx, env.Client, root, kubeconfig); err != nil {
			return err
		}
	}

	rel, _ := filepath.Rel(mustGetwd(), kubeconfig)
	fmt.Printf(`
Ready: Wavegate is running on a local control plane. In another shell:
  export KUBECONFIG=%s
  kubectl get regions,waveplans,configrollouts,freezes,automationpolicies
  kubectl apply -f config/samples/incidents/3-decommission.yaml           # denied: unknown region
  go run ./cmd/wavegate status
Press Ctrl-C to stop.
`, rel)

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	<-sig
	return nil
}

// replayOutages sets the scene, then applies each incident manifest as a user
// would and prints the verdict.
func replayOutages(ctx context.Context, c client.Client, root, kubeconfig string) error {
	objs, err := manifest.ReadFile(filepath.Join(root, "config", "samples", "demo", "setup.yaml"))
	if err != nil {
		return err
	}
	for _, o := range objs {
		err := wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, 20*time.Second, true, func(ctx context.Context) (bool, error) {
			return c.Apply(ctx, client.ApplyConfigurationFromUnstructured(o), client.FieldOwner("wavegate-demo"), client.ForceOwnership) == nil, nil
		})
		if err != nil {
			return fmt.Errorf("failed to set up %s %s for the replay: %w", o.GetKind(), o.GetName(), err)
		}
	}
	step("waiting for the rollout controller to observe the pinned pair")
	_ = wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, 20*time.Second, true, func(ctx context.Context) (bool, error) {
		ro := &wavegatev1alpha1.ConfigRollout{}
		if err := c.Get(ctx, client.ObjectKey{Name: "msi-auto-keys"}, ro); err != nil {
			return false, nil //nolint:nilerr // not there yet
		}
		for _, rs := range ro.Status.Regions {
			if rs.Name == "australiaeast" && rs.State == wavegatev1alpha1.RegionPinned {
				return true, nil
			}
		}
		return false, nil
	})

	incidents := []struct{ title, file string }{
		{"1. One global configuration for every region at once", "1-global-cleanup-config.yaml"},
		{"2. A key rotation while a failover pair is pinned to an old build", "2-key-rotation.yaml"},
		{"3. A decommission that read 'not found' as 'unused'", "3-decommission.yaml"},
		{"4. Changes during a regional outage, and one change racing into a failover pair", "4-regional-change.yaml"},
	}
	for _, inc := range incidents {
		file := filepath.Join("config", "samples", "incidents", inc.file)
		fmt.Printf("\n== %s\n$ kubectl apply -f %s\n", inc.title, file)
		fmt.Println(indent(kubectlApply(ctx, c, kubeconfig, filepath.Join(root, file))))
	}
	fmt.Println()
	return nil
}

// kubectlApply runs kubectl when it is installed; otherwise it applies each
// document with the Go client and prints what kubectl would.
func kubectlApply(ctx context.Context, c client.Client, kubeconfig, file string) string {
	if path, err := exec.LookPath("kubectl"); err == nil {
		out, _ := exec.CommandContext(ctx, path, "--kubeconfig", kubeconfig, "apply", "-f", file).CombinedOutput() //nolint:gosec // our own sample files
		return strings.TrimSpace(string(out))
	}
	objs, err := manifest.ReadFile(file)
	if err != nil {
		return err.Error()
	}
	var lines []string
	for _, o := range objs {
		if err := c.Apply(ctx, client.ApplyConfigurationFromUnstructured(o), client.FieldOwner("kubectl")); err != nil {
			lines = append(lines, fmt.Sprintf("Error from server: %v", err))
			continue
		}
		lines = append(lines, fmt.Sprintf("%s/%s applied", strings.ToLower(o.GetKind()), o.GetName()))
	}
	return strings.Join(lines, "\n")
}

func indent(s string) string {
	return "  " + strings.ReplaceAll(s, "\n", "\n  ")
}

func mustGetwd() string {
	wd, err := os.Getwd()
	if err != nil {
		return "."
	}
	return wd
}
