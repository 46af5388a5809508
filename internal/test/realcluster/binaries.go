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

package realcluster

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// Binaries are the programs a real cluster and a Wavegate install need. The
// Makefile builds them from Go modules into bin/ and passes their paths in
// the environment (see BinariesFromEnv).
type Binaries struct {
	// K8sDir holds kube-apiserver, etcd, kube-controller-manager and kube-scheduler.
	K8sDir  string
	Kwok    string
	Kwokctl string
	Helm    string
	// Manager is cmd/manager, built from this tree.
	Manager string
	// Wavegate is cmd/wavegate, built from this tree.
	Wavegate string
}

// Environment variables that name the binaries.
const (
	EnvK8sDir   = "WAVEGATE_K8S_BIN"
	EnvKwok     = "WAVEGATE_KWOK"
	EnvKwokctl  = "WAVEGATE_KWOKCTL"
	EnvHelm     = "HELM"
	EnvManager  = "WAVEGATE_MANAGER"
	EnvWavegate = "WAVEGATE_CLI"
)

// BinariesFromEnv reads the binaries' paths from the environment and checks
// that each exists, so a missing one fails with the command that builds it.
func BinariesFromEnv() (Binaries, error) {
	b := Binaries{
		K8sDir: os.Getenv(EnvK8sDir), Kwok: os.Getenv(EnvKwok), Kwokctl: os.Getenv(EnvKwokctl),
		Helm: os.Getenv(EnvHelm), Manager: os.Getenv(EnvManager), Wavegate: os.Getenv(EnvWavegate),
	}
	var errs []error
	check := func(env, path string) {
		if path == "" {
			errs = append(errs, fmt.Errorf("%s is not set", env))
			return
		}
		if _, err := os.Stat(path); err != nil {
			errs = append(errs, fmt.Errorf("%s=%s: %w", env, path, err))
		}
	}
	check(EnvK8sDir, b.K8sDir)
	for _, c := range []string{"kube-apiserver", "etcd", "kube-controller-manager", "kube-scheduler"} {
		if b.K8sDir != "" {
			check(EnvK8sDir, filepath.Join(b.K8sDir, c))
		}
	}
	check(EnvKwok, b.Kwok)
	check(EnvKwokctl, b.Kwokctl)
	check(EnvHelm, b.Helm)
	check(EnvManager, b.Manager)
	check(EnvWavegate, b.Wavegate)
	if err := errors.Join(errs...); err != nil {
		return b, fmt.Errorf("the real cluster's binaries are missing (run it with 'make e2e', 'make demo' or 'make dev', which build them into bin/): %w", err)
	}
	if _, err := exec.LookPath("kubectl"); err != nil {
		return b, errors.New("kubectl is not on PATH: the demo and the suites run kubectl as a user would")
	}
	return b, nil
}
