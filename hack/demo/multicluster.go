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
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	wavegatev1alpha1 "github.com/wavegate/wavegate/api/v1alpha1"
	"github.com/wavegate/wavegate/internal/test/realcluster"
	"github.com/wavegate/wavegate/internal/test/testenv"
)

// The multi-cluster demo (make demo-multicluster): a hub and a cluster per
// region, Wavegate in mode hub and mode agent, a rollout of a real
// Deployment across the regional clusters wave by wave, and a pause of every
// region from the hub that each regional gate honours.

// multiRegions are the demo's regional clusters, in wave order.
var multiRegions = []string{"eastus", "westus"}

// multi is what the multi-cluster demo's steps share.
type multi struct {
	root string
	bins realcluster.Binaries
	all  *realcluster.Regions
	// audits are the command lines of the audits of the clusters' logs.
	audits []string
}

func runMulticluster() error {
	ctx := context.Background()
	bins, err := realcluster.BinariesFromEnv()
	if err != nil {
		return err
	}
	m := &multi{root: testenv.RepoRoot(), bins: bins}
	dir := filepath.Join(m.root, "bin", "demo-multicluster")
	_ = os.RemoveAll(dir)
	prefix := cmp.Or(os.Getenv("WAVEGATE_DEMO_NAME"), "wavegate-demo") + "-"
	step("starting a hub and %d regional clusters (kwokctl, binary runtime), installing Wavegate from the chart in each: mode hub in the hub, mode agent in %s",
		len(multiRegions), strings.Join(multiRegions, " and "))
	if m.all, err = realcluster.CreateRegions(ctx, bins, dir, prefix, multiRegions, 1, 5*time.Minute, quiet{}); err != nil {
		return err
	}
	defer func() {
		step("deleting the clusters")
		m.all.Delete()
	}()
	step("every regional cluster is a Region of the hub, reached through its kubeconfig Secret")
	if err := m.waitConnected(ctx); err != nil {
		return err
	}
	fmt.Printf("\n$ wavegate status   # against the hub\n%s\n", indent(m.wavegate(ctx, "status")))
	if err := m.rollout(ctx); err != nil {
		return err
	}
	if err := m.pause(ctx); err != nil {
		return err
	}
	if err := m.audit(ctx); err != nil {
		return err
	}
	m.printReady()
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	<-sig
	return nil
}

func (m *multi) waitConnected(ctx context.Context) error {
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		connected := 0
		for _, r := range multiRegions {
			rg := &wavegatev1alpha1.Region{}
			if err := m.all.Hub.Client.Get(ctx, client.ObjectKey{Name: r}, rg); err != nil {
				return err
			}
			for _, c := range rg.Status.Conditions {
				if c.Type == wavegatev1alpha1.ConditionConnected && c.Status == metav1.ConditionTrue {
					connected++
				}
			}
		}
		if connected == len(multiRegions) {
			return nil
		}
		time.Sleep(500 * time.Millisecond)
	}
	return fmt.Errorf("the hub did not connect to every regional cluster within 2 minutes")
}

// rollout creates the Deployment web in each regional cluster (each agent
// judges its create) and rolls 2.0.0 out from the hub, wave by wave.
func (m *multi) rollout(ctx context.Context) error {
	// The plan first: the first install of web is one change too, entering
	// the clusters wave by wave.
	plan := &wavegatev1alpha1.WavePlan{ObjectMeta: metav1.ObjectMeta{Name: realcluster.WebPlan}}
	plan.Spec.MinBakeTime = &metav1.Duration{Duration: time.Second}
	for i, r := range multiRegions {
		plan.Spec.Waves = append(plan.Spec.Waves, wavegatev1alpha1.Wave{Name: fmt.Sprintf("wave-%d", i+1), Regions: []string{r}, BakeTime: metav1.Duration{Duration: 5 * time.Second}})
	}
	if err := m.all.Hub.Client.Create(ctx, plan); err != nil {
		return err
	}
	for _, r := range multiRegions {
		if err := m.createWeb(ctx, r); err != nil {
			return err
		}
	}
	step("Deployment app/web 1.0.0 runs in every regional cluster, installed wave by wave on plan %s", realcluster.WebPlan)
	ro := realcluster.WebRollout("web-2", realcluster.WebPlan, "2.0.0")
	fmt.Printf("\n== web 2.0.0, rolled out from the hub across the regional clusters (bake 5s per wave)\n")
	if err := m.all.Hub.Client.Create(ctx, ro); err != nil {
		return err
	}
	return m.follow(ctx, "web-2")
}

func (m *multi) createWeb(ctx context.Context, region string) error {
	cl := m.all.Clusters[region].Client
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "app", Annotations: map[string]string{wavegatev1alpha1.AnnotationChangeID: "namespace-app-" + region}}}
	dep := realcluster.WebDeployment(region, "1.0.0", 2)
	// The agent judges once it has synced with the hub.
	deadline := time.Now().Add(2 * time.Minute)
	for _, o := range []client.Object{ns, dep} {
		for {
			err := client.IgnoreAlreadyExists(cl.Create(ctx, o))
			if err == nil {
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("creating %s in %s: %w", o.GetName(), region, err)
			}
			time.Sleep(time.Second)
		}
	}
	return nil
}

// follow prints each region's state as it changes until the rollout is
// Complete.
func (m *multi) follow(ctx context.Context, name string) error {
	seen := map[string]string{}
	deadline := time.Now().Add(4 * time.Minute)
	for time.Now().Before(deadline) {
		ro := &wavegatev1alpha1.ConfigRollout{}
		if err := m.all.Hub.Client.Get(ctx, client.ObjectKey{Name: name}, ro); err != nil {
			return err
		}
		for _, rs := range ro.Status.Regions {
			if seen[rs.Name] == string(rs.State) || rs.State == wavegatev1alpha1.RegionPending {
				continue
			}
			seen[rs.Name] = string(rs.State)
			step("  %-8s %-12s %s", rs.Name, rs.State, m.webIn(ctx, rs.Name))
		}
		if ro.Status.Phase == wavegatev1alpha1.PhaseComplete {
			step("%s is Complete: %s regions converged, each observed in its own cluster", name, ro.Status.Convergence)
			return nil
		}
		time.Sleep(300 * time.Millisecond)
	}
	return fmt.Errorf("rollout %s did not complete within 4 minutes", name)
}

func (m *multi) webIn(ctx context.Context, region string) string {
	dep := &appsv1.Deployment{}
	if err := m.all.Clusters[region].Client.Get(ctx, client.ObjectKey{Namespace: "app", Name: "web"}, dep); err != nil {
		return err.Error()
	}
	return fmt.Sprintf("in %s's cluster: Deployment at %s, %d/%d replicas updated and available", region,
		dep.Spec.Template.Labels[wavegatev1alpha1.LabelVersion], dep.Status.UpdatedReplicas, dep.Status.AvailableReplicas)
}

// pause stops every region from the hub and shows each regional gate deny
// a change, then resumes.
func (m *multi) pause(ctx context.Context) error {
	fmt.Printf("\n== One command on the hub stops every regional cluster\n$ wavegate pause --all-regions --reason \"demo: stop every region\"\n%s\n",
		indent(m.wavegate(ctx, "pause", "--all-regions", "--reason", "demo: stop every region")))
	for _, r := range multiRegions {
		c := m.all.Clusters[r]
		out, _ := exec.CommandContext(ctx, "kubectl", "--kubeconfig", c.Kubeconfig, "-n", "app", //nolint:gosec // our own arguments
			"create", "configmap", "during-pause", "--from-literal=k=v").CombinedOutput()
		fmt.Printf("$ kubectl --kubeconfig %s -n app create configmap during-pause --from-literal=k=v   # %s\n%s\n", relative(c.Kubeconfig), r, indent(strings.TrimSpace(string(out))))
	}
	fmt.Printf("$ wavegate resume --all\n%s\n", indent(m.wavegate(ctx, "resume", "--all")))
	return nil
}

// audit checks the safety invariants over every cluster's audit log: the
// hub's, and each regional cluster's as an agent's, with the hub's state
// (realcluster.Regions.Audit says why).
func (m *multi) audit(ctx context.Context) error {
	fmt.Printf("\n== The safety invariants (docs/spec.md section 11), checked over each API server's audit log\n")
	results, err := m.all.Audit(ctx)
	if err != nil {
		return err
	}
	var errs []error
	for i, res := range results {
		what := "the hub's audit log"
		if i > 0 {
			what = multiRegions[i-1] + "'s audit log"
		}
		cmd := auditCommand(m.bins.Wavegate, res)
		m.audits = append(m.audits, fmt.Sprintf("%s   # %s", cmd, what))
		errs = append(errs, reportAudit(what, cmd, res))
	}
	return errors.Join(errs...)
}

func (m *multi) wavegate(ctx context.Context, args ...string) string {
	out, _ := exec.CommandContext(ctx, m.bins.Wavegate, append([]string{"--kubeconfig", m.all.Hub.Kubeconfig}, args...)...).CombinedOutput() //nolint:gosec // our own binary
	return strings.TrimSpace(string(out))
}

func (m *multi) printReady() {
	fmt.Printf("\nReady: a hub and %d regional clusters run Wavegate. In another shell:\n", len(multiRegions))
	fmt.Printf("  export KUBECONFIG=%s   # the hub\n", relative(m.all.Hub.Kubeconfig))
	fmt.Printf("  kubectl get regions -o wide; bin/wavegate status\n")
	for _, r := range multiRegions {
		fmt.Printf("  kubectl --kubeconfig %s get deploy -n app   # %s\n", relative(m.all.Clusters[r].Kubeconfig), r)
	}
	for _, a := range m.audits {
		fmt.Printf("  %s\n", a)
	}
	fmt.Printf("Press Ctrl-C to stop; the clusters are deleted.\n")
}

// relative is path relative to the working directory, when it can be.
func relative(path string) string {
	if rel, err := filepath.Rel(mustGetwd(), path); err == nil {
		return rel
	}
	return path
}
