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
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	wavegatev1alpha1 "github.com/wavegate/wavegate/api/v1alpha1"
	"github.com/wavegate/wavegate/internal/setup"
	. "github.com/wavegate/wavegate/internal/test/objects"
	"github.com/wavegate/wavegate/internal/test/testenv"
)

var (
	env        *testenv.Env
	binary     string
	kubeconfig string
)

// TestMain builds the wavegate binary and runs it against a real API server
// with Wavegate's webhooks and controllers.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "wavegate-cli-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer func() { _ = os.RemoveAll(dir) }()
	binary = filepath.Join(dir, "wavegate")
	if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "failed to build wavegate: %v\n%s", err, out)
		os.Exit(1)
	}
	kubeconfig = filepath.Join(dir, "kubeconfig")
	os.Exit(testenv.Main(m, &env, func(mgr ctrl.Manager) error {
		opts := setup.Defaults()
		opts.AutomationScanResources = "configmaps"
		opts.MaxRequeue = 200 * time.Millisecond
		return setup.Manager(mgr, opts)
	}))
}

// wavegate runs the binary and returns its stdout, stderr and exit code.
func wavegate(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	if _, err := os.Stat(kubeconfig); err != nil {
		NewWithT(t).Expect(env.WriteKubeconfig(kubeconfig)).To(Succeed())
	}
	return wavegateWith(t, kubeconfig, args...)
}

// wavegateWith runs the binary with a kubeconfig of its own.
func wavegateWith(t *testing.T, kubeconfig string, args ...string) (string, string, int) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(binary, append([]string{"--kubeconfig", kubeconfig}, args...)...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		code = exitErr.ExitCode()
	} else if err != nil {
		t.Fatalf("failed to run wavegate: %v", err)
	}
	return stdout.String(), stderr.String(), code
}

func configMap(region, name string) *corev1.ConfigMap {
	return &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Namespace: "app-" + region, Name: name,
			Labels:      map[string]string{wavegatev1alpha1.LabelVersion: "1.0.0"},
			Annotations: map[string]string{wavegatev1alpha1.AnnotationChangeID: region + "-" + name}},
		Data: map[string]string{"region": region},
	}
}

func phase(g Gomega, name string) wavegatev1alpha1.RolloutPhase {
	ro := &wavegatev1alpha1.ConfigRollout{}
	g.Expect(env.Client.Get(context.Background(), client.ObjectKey{Name: name}, ro)).To(Succeed())
	return ro.Status.Phase
}

// The outage: responders paused one region, then every region, by hand.
func TestReplayOfTheRegionalOutage(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	for _, r := range []string{"eastus", "centralus"} {
		g.Expect(env.Client.Create(ctx, Region(r))).To(Succeed())
	}
	g.Expect(env.Client.Create(ctx, WavePlan("default", Wave("w1", "eastus"), Wave("w2", "centralus")))).To(Succeed())
	for _, r := range []string{"eastus", "centralus"} {
		g.Eventually(func() error {
			return env.Client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "app-" + r,
				Labels: map[string]string{wavegatev1alpha1.LabelRegion: r}, Annotations: map[string]string{wavegatev1alpha1.AnnotationChangeID: "ns-" + r}}})
		}).Should(Succeed())
		g.Expect(env.Client.Create(ctx, configMap(r, "settings"))).To(Succeed())
	}
	ro := Rollout("inflight", func(r *wavegatev1alpha1.ConfigRollout) {
		r.Spec.Target = wavegatev1alpha1.TargetRef{APIVersion: "v1", Kind: "ConfigMap", Name: "settings"}
		r.Spec.Patch = JSON(map[string]any{"metadata": map[string]any{"labels": map[string]any{wavegatev1alpha1.LabelVersion: "2.0.0"}}})
	})
	g.Expect(env.Client.Create(ctx, ro)).To(Succeed())
	g.Eventually(func(g Gomega) wavegatev1alpha1.RolloutPhase { return phase(g, "inflight") }).Should(Equal(wavegatev1alpha1.PhaseBaking))

	out, errOut, code := wavegate(t, "pause", "--region", "centralus", "--reason", "Central US storage outage", "--ticket", "INC-12345", "--name", "inc-centralus")
	g.Expect(code).To(Equal(0), errOut)
	g.Expect(out).To(Equal("Freeze inc-centralus is active: centralus frozen; 0 rollouts paused\n"))
	g.Eventually(func() error { return env.Client.Create(ctx, configMap("centralus", "hotfix")) }).Should(
		MatchError(ContainSubstring("[wavegate:freeze] region centralus is frozen by Freeze inc-centralus (INC-12345): Central US storage outage")))
	g.Expect(env.Client.Create(ctx, configMap("eastus", "fine"))).To(Succeed(), "other regions still change")

	out, errOut, code = wavegate(t, "pause", "--all-regions", "--reason", "Global incident: stop all deployments", "--name", "inc-global")
	g.Expect(code).To(Equal(0), errOut)
	g.Expect(out).To(Equal("Freeze inc-global is active: every region frozen; 1 rollouts paused\n"))
	g.Expect(phase(g, "inflight")).To(Equal(wavegatev1alpha1.PhasePaused))
	g.Eventually(func() error { return env.Client.Create(ctx, configMap("eastus", "blocked")) }).Should(
		MatchError(ContainSubstring("[wavegate:freeze] region eastus is frozen by Freeze inc-global")))

	out, _, code = wavegate(t, "status")
	g.Expect(code).To(Equal(0))
	g.Expect(out).To(ContainSubstring("FREEZES"))
	g.Expect(out).To(MatchRegexp(`inc-global\s+every region\s+yes\s+1\s+-\s+never\s+Global incident`))
	g.Expect(out).To(MatchRegexp(`inflight\s+Paused\s+w1\s+1/2\s+-\s+Frozen: paused by Freeze`))
	g.Expect(out).To(MatchRegexp(`centralus\s+-\s+-\s+inc-centralus,inc-global`))
	t.Logf("wavegate status:\n%s", out)

	out, _, code = wavegate(t, "status", "-o", "json")
	g.Expect(code).To(Equal(0))
	var st map[string][]any
	g.Expect(json.Unmarshal([]byte(out), &st)).To(Succeed())
	g.Expect(st["freezes"]).To(HaveLen(2))

	out, errOut, code = wavegate(t, "resume", "--all")
	g.Expect(code).To(Equal(0), errOut)
	g.Expect(strings.Split(strings.TrimSpace(out), "\n")).To(ConsistOf("Freeze inc-centralus ended", "Freeze inc-global ended"))
	g.Eventually(func() error { return env.Client.Create(ctx, configMap("eastus", "after")) }).Should(Succeed(), "changes pass again")
	g.Eventually(func(g Gomega) wavegatev1alpha1.RolloutPhase { return phase(g, "inflight") }).Should(Equal(wavegatev1alpha1.PhaseBaking), "the rollout resumes")
}

func TestBadUsageAndAnUnreachableClusterGiveClearErrors(t *testing.T) {
	g := NewWithT(t)
	_, errOut, code := wavegate(t, "pause", "--region", "eastus")
	g.Expect(code).To(Equal(2))
	g.Expect(errOut).To(Equal("Error: --reason is required: say why changes stop, in at least 10 characters; it is quoted in every denial\n"))

	_, errOut, code = wavegate(t, "pause", "--all-regions", "--region", "eastus", "--reason", "a long enough reason")
	g.Expect(code).To(Equal(2))
	g.Expect(errOut).To(ContainSubstring("use either --all-regions or --region, not both"))

	_, errOut, code = wavegate(t, "pause", "--region", "nowhere9", "--reason", "a long enough reason")
	g.Expect(code).To(Equal(2), "the API server rejects an unknown region: bad input")
	g.Expect(errOut).To(ContainSubstring("region nowhere9 is not in the region inventory"))

	_, errOut, code = wavegate(t, "resume")
	g.Expect(code).To(Equal(2))
	g.Expect(errOut).To(ContainSubstring("name the Freezes to end, or use --all"))

	_, errOut, code = wavegate(t, "resume", "no-such-freeze")
	g.Expect(code).To(Equal(1))
	g.Expect(errOut).To(ContainSubstring("could not end no-such-freeze"))

	unreachable := filepath.Join(t.TempDir(), "kubeconfig")
	g.Expect(os.WriteFile(unreachable, []byte(`apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: u, user: {token: t}}]
contexts: [{name: c, context: {cluster: c, user: u}}]
current-context: c
`), 0o600)).To(Succeed())
	cmd := exec.Command(binary, "--kubeconfig", unreachable, "status")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	var exitErr *exec.ExitError
	g.Expect(errors.As(err, &exitErr)).To(BeTrue(), "%v", err)
	g.Expect(exitErr.ExitCode()).To(Equal(1))
	g.Expect(stderr.String()).To(ContainSubstring("cannot reach the cluster at https://127.0.0.1:1"))
}

func TestStateExportFeedsCheck(t *testing.T) {
	g := NewWithT(t)
	state := filepath.Join(t.TempDir(), "state.yaml")
	_, errOut, code := wavegate(t, "state", "export", "-o", state, "--resources", "configmaps")
	g.Expect(code).To(Equal(0), errOut)
	data, err := os.ReadFile(state)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(string(data)).To(ContainSubstring("kind: Region"))
	g.Expect(string(data)).NotTo(ContainSubstring("managedFields"))

	manifests := filepath.Join(t.TempDir(), "unknown.yaml")
	g.Expect(os.WriteFile(manifests, []byte("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x, namespace: apps, labels: {wavegate.io/region: nowhere9}}\n"), 0o600)).To(Succeed())
	out, _, code := wavegate(t, "check", "-f", manifests, "--state", state)
	g.Expect(code).To(Equal(1))
	g.Expect(out).To(ContainSubstring("ConfigMap apps/x: [wavegate:unknown-region] region nowhere9 is not in the region inventory; unknown is not safe"))
}
