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
// serving them over TLS, and the sample inventory applied. It stays up until
// Ctrl-C, then stops everything it started.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/wavegate/wavegate/internal/controlplane"
	"github.com/wavegate/wavegate/internal/logging"
	"github.com/wavegate/wavegate/internal/manifest"
	"github.com/wavegate/wavegate/internal/setup"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "demo failed:", err)
		os.Exit(1)
	}
}

var start = time.Now()

func step(format string, args ...any) {
	fmt.Printf("[demo %4.0fs] %s\n", time.Since(start).Seconds(), fmt.Sprintf(format, args...))
}

func run() error {
	root := controlplane.RepoRoot()
	logger, err := logging.New(logging.FormatConsole, "error")
	if err != nil {
		return err
	}
	step("starting kube-apiserver and etcd, installing CRDs and webhooks, starting the manager")
	env, err := controlplane.StartWithLogger(logger, func(mgr controlplane.Manager) error {
		return setup.Manager(mgr, setup.Defaults())
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
	applied, err := controlplane.ApplyDir(context.Background(), env.Client, filepath.Join(root, "config", "samples"), "wavegate-demo")
	for _, f := range applied {
		step("applied config/samples/%s (%d objects)", f.Name, len(f.Objects))
	}
	if err != nil {
		return err
	}
	showRejection(env.Client, filepath.Join(root, "config", "samples", "invalid", "waveplan-pair-in-one-wave.yaml"))

	rel, _ := filepath.Rel(mustGetwd(), kubeconfig)
	fmt.Printf(`
Ready: Wavegate is running on a local control plane. In another shell:
  export KUBECONFIG=%s
  kubectl get regions,waveplans,configrollouts,freezes,automationpolicies
  kubectl apply -f config/samples/invalid/freeze-short-reason.yaml   # denied, with the field and the fix
Press Ctrl-C to stop.
`, rel)

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	<-sig
	return nil
}

// showRejection applies one invalid sample and prints the API server's verdict.
func showRejection(c client.Client, file string) {
	objs, err := manifest.ReadFile(file)
	if err != nil || len(objs) != 1 {
		step("could not read %s: %v", file, err)
		return
	}
	err = c.Create(context.Background(), objs[0])
	var verdict string
	switch {
	case err == nil:
		verdict = "admitted (unexpected)"
	case errors.Is(err, context.DeadlineExceeded):
		verdict = "timed out"
	default:
		verdict = strings.TrimSpace(err.Error())
	}
	step("kubectl apply -f %s\n  -> %s", filepath.Base(file), verdict)
}

func mustGetwd() string {
	wd, err := os.Getwd()
	if err != nil {
		return "."
	}
	return wd
}
