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

// Command demo runs Wavegate on a real local cluster: kwokctl's binary
// runtime (kube-apiserver, etcd, kube-controller-manager, kube-scheduler and
// a fake node in every sample region), Wavegate installed from the rendered
// Helm chart with two manager replicas running as the chart's
// ServiceAccount, and the samples applied. It rolls a new build of a real
// Deployment out wave by wave with short bakes until the pinned failover
// pair blocks it, then (unless --replay=false, as in make dev) replays the
// four outages of docs/spec.md section 1 as kubectl commands with the verdicts the
// API server returned, and (unless --health=false, as in make dev) rolls a
// setting out with a health check that a real Prometheus answers: a region's
// error ratio rises, and the rollout halts, reverts and freezes the region.
// It stays up until Ctrl-C, then removes the cluster. With --multicluster it
// runs a hub and a cluster per region instead (multicluster.go).
package main

import (
	"cmp"
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

	appsv1 "k8s.io/api/apps/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	wavegatev1alpha1 "github.com/wavegate/wavegate/api/v1alpha1"
	"github.com/wavegate/wavegate/internal/test/promtest"
	"github.com/wavegate/wavegate/internal/test/realcluster"
	"github.com/wavegate/wavegate/internal/test/testenv"
)

func main() {
	replay := flag.Bool("replay", true, "Replay the four outages after the rollout (make dev sets false).")
	health := flag.Bool("health", true, "Show a rollout that a region's error ratio halts, reverts and freezes (make dev sets false).")
	multicluster := flag.Bool("multicluster", false, "Run a hub and a cluster per region instead (make demo-multicluster).")
	flag.Parse()
	var err error
	if *multicluster {
		err = runMulticluster()
	} else {
		err = run(*replay, *health)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "demo failed:", err)
		os.Exit(1)
	}
}

var start = time.Now()

func step(format string, args ...any) {
	fmt.Printf("[demo %4.0fs] %s\n", time.Since(start).Seconds(), fmt.Sprintf(format, args...))
}

// demo is what the steps share.
type demo struct {
	root     string
	bins     realcluster.Binaries
	cluster  *realcluster.Cluster
	wavegate *realcluster.Wavegate
	// exporter serves wavegate_test_error_ratio{region} for every sample
	// region, which prom scrapes and the manager's health checks query.
	exporter *promtest.Exporter
	prom     *promtest.Server
	// audit is the command line of the audit of the cluster's log.
	audit string
}

// scenes are what the demo shows after the rollout: the outages replayed
// and the health gate when asked for, then the audit of the cluster's log.
func (d *demo) scenes(ctx context.Context, replay, health bool) error {
	if replay {
		if err := d.replayOutages(ctx); err != nil {
			return err
		}
	}
	if health {
		if err := d.healthGate(ctx); err != nil {
			return err
		}
	}
	return d.checkInvariants(ctx)
}

// checkInvariants runs wavegate audit over the cluster's own log and
// reports it; a violation fails the demo.
func (d *demo) checkInvariants(ctx context.Context) error {
	fmt.Printf("\n== The safety invariants (docs/spec.md section 11), checked over the API server's audit log\n")
	res, err := d.wavegate.Audit(ctx)
	if err != nil {
		return err
	}
	d.audit = auditCommand(d.bins.Wavegate, res)
	return reportAudit("the cluster's audit log", d.audit, res)
}

func run(replay, health bool) error {
	ctx := context.Background()
	bins, err := realcluster.BinariesFromEnv()
	if err != nil {
		return err
	}
	promBinary, err := promtest.BinaryFromEnv()
	if err != nil {
		return err
	}
	d := &demo{root: testenv.RepoRoot(), bins: bins}
	dir := filepath.Join(d.root, "bin", "demo")
	step("starting a real cluster (kwokctl, binary runtime: kube-apiserver, etcd, kube-controller-manager, kube-scheduler, kwok)")
	// WAVEGATE_DEMO_NAME lets two worktrees run the demo (or make e2e, which
	// runs its test) side by side: kwokctl's clusters share one namespace of names.
	name := cmp.Or(os.Getenv("WAVEGATE_DEMO_NAME"), "wavegate-demo")
	if d.cluster, err = realcluster.Create(ctx, bins, name, dir, quiet{}); err != nil {
		return err
	}
	defer func() {
		step("deleting the cluster")
		_ = d.cluster.Delete(context.Background())
	}()
	regions, err := realcluster.SampleRegions()
	if err != nil {
		return err
	}
	if err := d.cluster.AddRegionNodes(ctx, regions); err != nil {
		return err
	}
	step("cluster ready in %.1fs, with a fake node in each of %d regions", d.cluster.Started.Seconds(), len(regions))
	if err := d.startPrometheus(ctx, promBinary, filepath.Join(dir, "prometheus"), regions); err != nil {
		return err
	}
	defer func() {
		step("stopping Prometheus")
		d.prom.Stop()
		_ = d.exporter.Close()
	}()
	step("installing Wavegate from the rendered Helm chart (manager.prometheusURL=%s); starting 2 manager replicas as ServiceAccount %s/%s",
		d.prom.URL(), realcluster.Namespace, realcluster.ServiceAccount)
	if d.wavegate, err = realcluster.Install(ctx, d.cluster, bins, 2, quiet{}, "manager.prometheusURL="+d.prom.URL()); err != nil {
		return err
	}
	defer func() {
		step("stopping the manager replicas")
		d.wavegate.Stop()
	}()
	leader, err := d.wavegate.Leader(ctx, time.Minute)
	if err != nil {
		return err
	}
	step("Wavegate is ready on both replicas; %s is the leader", leader.Name)
	if err := d.applySamples(ctx); err != nil {
		return err
	}
	if err := d.rollout(ctx); err != nil {
		return err
	}
	if err := d.scenes(ctx, replay, health); err != nil {
		return err
	}
	d.printReady()
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	<-sig
	return nil
}

// quiet drops kwokctl's and the installer's own log lines; the demo prints
// its steps instead.
type quiet struct{}

func (quiet) Write(p []byte) (int, error) { return len(p), nil }

// applySamples applies the inventory, the default plan, the incident Freeze
// and the AutomationPolicy, then the demo's plan and token service.
func (d *demo) applySamples(ctx context.Context) error {
	files := []string{"10-regions.yaml", "20-region-pairs.yaml", "30-waveplan.yaml", "50-freeze.yaml", "60-automationpolicy.yaml", "demo/setup.yaml"}
	for _, f := range files {
		n, err := d.cluster.ApplySample(ctx, f, "wavegate-demo")
		if err != nil {
			return err
		}
		step("applied config/samples/%s (%d objects)", f, n)
	}
	return d.waitTokenService(ctx)
}

// waitTokenService waits until the token service is available in every
// region of the demo's plan.
func (d *demo) waitTokenService(ctx context.Context) error {
	deadline := time.Now().Add(3 * time.Minute)
	for time.Now().Before(deadline) {
		var list appsv1.DeploymentList
		if err := d.cluster.Client.List(ctx, &list); err != nil {
			return err
		}
		total, ready := 0, 0
		for _, dep := range list.Items {
			if dep.Name != "msi-token-service" {
				continue
			}
			total++
			if dep.Status.ObservedGeneration == dep.Generation && dep.Status.AvailableReplicas == *dep.Spec.Replicas && dep.Status.UpdatedReplicas == *dep.Spec.Replicas {
				ready++
			}
		}
		if total > 0 && ready == total {
			step("msi-token-service 1.9.3 is available in %d regions (pods Ready on the fake nodes)", total)
			return nil
		}
		time.Sleep(500 * time.Millisecond)
	}
	return fmt.Errorf("msi-token-service did not become available within 3 minutes")
}

// rollout applies the demo ConfigRollout and prints its progress, wave by
// wave and region by region, until the pinned pair blocks it.
func (d *demo) rollout(ctx context.Context) error {
	fmt.Printf("\n== A new build of msi-token-service, rolled out wave by wave (bake 5s per wave)\n$ kubectl apply -f config/samples/demo/rollout.yaml\n")
	fmt.Println(indent(d.kubectl(ctx, "apply", "-f", filepath.Join(d.root, "config", "samples", "demo", "rollout.yaml"))))
	seen := map[string]string{}
	wave := ""
	deadline := time.Now().Add(4 * time.Minute)
	for time.Now().Before(deadline) {
		ro := &wavegatev1alpha1.ConfigRollout{}
		if err := d.cluster.Client.Get(ctx, client.ObjectKey{Name: "msi-auto-keys"}, ro); err != nil {
			return err
		}
		if ro.Status.CurrentWave != wave {
			wave = ro.Status.CurrentWave
			step("wave %s: phase %s, %s regions converged", wave, ro.Status.Phase, ro.Status.Convergence)
		}
		for _, rs := range ro.Status.Regions {
			if seen[rs.Name] == string(rs.State) || rs.State == wavegatev1alpha1.RegionPending {
				continue
			}
			seen[rs.Name] = string(rs.State)
			step("  %-20s %-12s %s", rs.Name, rs.State, d.regionDetail(ctx, rs))
		}
		if ro.Status.Phase == wavegatev1alpha1.PhaseBlocked && seen["eastus"] == string(wavegatev1alpha1.RegionConverged) &&
			seen["northeurope"] == string(wavegatev1alpha1.RegionConverged) {
			for _, c := range ro.Status.Conditions {
				if c.Status == "True" && (c.Type == "Stalled" || c.Type == "Blocked") {
					step("Blocked: %s: %s", c.Reason, c.Message)
					break
				}
			}
			fmt.Printf("\n$ wavegate status\n%s\n", indent(d.wavegateCLI(ctx, "status")))
			return nil
		}
		time.Sleep(300 * time.Millisecond)
	}
	return fmt.Errorf("the rollout did not reach Blocked: PinnedBuild within 4 minutes")
}

// regionDetail says what is observed in the region's cluster objects.
func (d *demo) regionDetail(ctx context.Context, rs wavegatev1alpha1.RolloutRegionStatus) string {
	var dep appsv1.Deployment
	if err := d.cluster.Client.Get(ctx, client.ObjectKey{Namespace: "identity-" + rs.Name, Name: "msi-token-service"}, &dep); err != nil {
		return rs.Message
	}
	v := dep.Spec.Template.Labels["app.kubernetes.io/version"]
	detail := fmt.Sprintf("Deployment at %s: %d/%d replicas updated and available", v, dep.Status.UpdatedReplicas, dep.Status.AvailableReplicas)
	if rs.State == wavegatev1alpha1.RegionPinned {
		detail = fmt.Sprintf("pinned at %s (%s); not patched", rs.ObservedVersion, orNone(rs.Message))
	}
	return detail
}

// replayOutages applies each incident manifest as a user would and prints
// the verdict.
func (d *demo) replayOutages(ctx context.Context) error {
	incidents := []struct{ title, file string }{
		{"1. One global configuration for every region at once", "1-global-cleanup-config.yaml"},
		{"2. A key rotation while a failover pair is pinned to an old build", "2-key-rotation.yaml"},
		{"3. A decommission that read 'not found' as 'unused'", "3-decommission.yaml"},
		{"4. Changes during a regional outage, and one change racing into a failover pair", "4-regional-change.yaml"},
	}
	for _, inc := range incidents {
		file := filepath.Join("config", "samples", "incidents", inc.file)
		fmt.Printf("\n== %s\n$ kubectl apply -f %s\n", inc.title, file)
		fmt.Println(indent(d.kubectl(ctx, "apply", "-f", filepath.Join(d.root, file))))
	}
	return nil
}

func (d *demo) kubectl(ctx context.Context, args ...string) string {
	out, _ := exec.CommandContext(ctx, "kubectl", append([]string{"--kubeconfig", d.cluster.Kubeconfig}, args...)...).CombinedOutput() //nolint:gosec // our own arguments
	return strings.TrimSpace(string(out))
}

func (d *demo) wavegateCLI(ctx context.Context, args ...string) string {
	out, _ := exec.CommandContext(ctx, d.bins.Wavegate, append([]string{"--kubeconfig", d.cluster.Kubeconfig}, args...)...).CombinedOutput() //nolint:gosec // our own binary
	return strings.TrimSpace(string(out))
}

func (d *demo) printReady() {
	rel, err := filepath.Rel(mustGetwd(), d.cluster.Kubeconfig)
	if err != nil {
		rel = d.cluster.Kubeconfig
	}
	logs := filepath.Join(filepath.Dir(d.wavegate.Replicas[0].LogPath), "..")
	fmt.Printf(`
Ready: Wavegate is running on a real local cluster (2 replicas, installed from charts/wavegate). In another shell:
  export KUBECONFIG=%s
  kubectl get nodes,regions,waveplans,configrollouts,freezes,automationpolicies
  kubectl apply -f config/samples/incidents/3-decommission.yaml           # denied: unknown region
  bin/wavegate status
  bin/wavegate pause --region eastus --reason "demo: stop eastus for a while"
  %s   # the safety invariants over the API server's audit log
Manager logs: %s/wavegate-manager-*/manager.log
Prometheus: %s (the managers' --prometheus-url) scrapes %s{region="<region>"}, %g in every region
  the demo left alone; a ConfigRollout's healthChecks can query it.
Press Ctrl-C to stop; the cluster is deleted.
`, rel, d.audit, logs, d.prom.URL(), promtest.ErrorRatio, healthyRatio)
}

// auditCommand is the command line of an audit as a person types it in the
// repository: the CLI and every path relative to the working directory.
func auditCommand(cli string, res *realcluster.AuditResult) string {
	args := []string{relative(cli)}
	for _, a := range res.Args {
		if filepath.IsAbs(a) {
			a = relative(a)
		}
		args = append(args, a)
	}
	return strings.Join(args, " ")
}

// reportAudit prints an audit's command and summary. A violation of the
// safety invariants is the demo failing: it prints the report loudly and
// returns an error.
func reportAudit(what, command string, res *realcluster.AuditResult) error {
	fmt.Printf("$ %s\n", command)
	step("wavegate audit of %s: %s", what, res.SummaryLine())
	if !res.Failed() {
		return nil
	}
	banner := strings.Repeat("!", 100)
	fmt.Printf("%s\nThe API server admitted requests that break the safety invariants (docs/spec.md section 11):\n%s%s\n", banner, res.Text(), banner)
	return fmt.Errorf("wavegate audit found %d violations of the safety invariants in %s", len(res.Violations), what)
}

func orNone(s string) string {
	if s == "" {
		return "no reason given"
	}
	return s
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
