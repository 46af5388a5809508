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
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"sigs.k8s.io/controller-runtime/pkg/client"

	wavegatev1alpha1 "github.com/wavegate/wavegate/api/v1alpha1"
	"github.com/wavegate/wavegate/internal/test/promtest"
)

// healthyRatio is every region's error ratio until the demo raises one.
const healthyRatio = 0.001

// The health-gate scene of config/samples/demo/health.yaml.
const (
	healthRollout = "msi-token-cache"
	healthTarget  = "msi-token-settings"
	badRegion     = "westcentralus"
	badRatio      = 0.07
)

// startPrometheus starts the exporter, with every region at healthyRatio,
// and a real Prometheus that scrapes it every second, its data under dir
// (emptied first: a previous run's series would answer the first queries).
func (d *demo) startPrometheus(ctx context.Context, binary, dir string, regions []string) error {
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return err
	}
	var err error
	if d.exporter, err = promtest.NewExporter(); err != nil {
		return err
	}
	for _, r := range regions {
		d.exporter.SetRegion(promtest.ErrorRatio, r, healthyRatio)
	}
	start := time.Now()
	d.prom, err = promtest.Start(ctx, promtest.Options{
		Binary: binary, Dir: dir, Targets: []string{d.exporter.Addr()}, ScrapeInterval: time.Second,
	})
	if err != nil {
		_ = d.exporter.Close()
		return err
	}
	step("Prometheus ready at %s in %.1fs, scraping %s{region} every 1s (%g in every region)",
		d.prom.URL(), time.Since(start).Seconds(), promtest.ErrorRatio, healthyRatio)
	return nil
}

// healthGate applies config/samples/demo/health.yaml, lets the canary and
// the pilot wave apply, raises the pilot region's error ratio and prints the
// rollout halting, reverting both regions and freezing the pilot region, the
// Freeze denying an unrelated change there, and wavegate status.
func (d *demo) healthGate(ctx context.Context) error {
	for _, r := range []string{"eastus2euap", badRegion, "eastus"} {
		if _, err := promtest.WaitForValue(ctx, d.prom.URL(), errorRatioOf(r), promtest.Equal(healthyRatio), 30*time.Second); err != nil {
			return fmt.Errorf("prometheus has no healthy error ratio for %s: %w", r, err)
		}
	}
	fmt.Printf("\n== A setting rolled out with a health check (%s{region} at most 0.01, every 1s, 2 failures in a row; onUnhealthy: Revert, freezeOnUnhealthy)\n", promtest.ErrorRatio)
	fmt.Printf("$ kubectl apply -f config/samples/demo/health.yaml\n")
	fmt.Println(indent(d.kubectl(ctx, "apply", "-f", filepath.Join(d.root, "config", "samples", "demo", "health.yaml"))))
	if err := d.watchHealthRollout(ctx); err != nil {
		return err
	}
	// With onUnhealthy: Revert the halt and the revert are one step, so the
	// rollout's phase goes from Baking to Failed; its Events tell the steps.
	fmt.Printf("\n$ %s\n%s\n", eventsCommand, indent(d.rolloutEvents(ctx)))
	fmt.Printf("\n$ %s\n%s\n", settingsCommand, indent(d.kubectl(ctx, settingsArgs...)))
	freeze := "unhealthy-" + healthRollout + "-" + badRegion
	fmt.Printf("\n$ kubectl get freeze %s %s\n%s\n", freeze, freezeColumns,
		indent(d.kubectl(ctx, "get", "freeze", freeze, "-o", strings.TrimPrefix(freezeColumns, "-o "))))
	file := filepath.Join("config", "samples", "demo", "health-unrelated-change.yaml")
	fmt.Printf("\n$ kubectl apply -f %s\n%s\n", file, indent(d.kubectl(ctx, "apply", "-f", filepath.Join(d.root, file))))
	fmt.Printf("\n$ wavegate status   # its ROLLOUTS\n%s\n", indent(section(d.wavegateCLI(ctx, "status"), "ROLLOUTS")))
	return nil
}

// watchHealthRollout prints the checked rollout's progress, raises the
// error ratio of badRegion once the pilot wave converged there, and returns
// when the rollout has failed.
func (d *demo) watchHealthRollout(ctx context.Context) error {
	seen := map[string]string{}
	wave, phase := "", wavegatev1alpha1.RolloutPhase("")
	raised := false
	deadline := time.Now().Add(3 * time.Minute)
	for {
		if time.Now().After(deadline) {
			return fmt.Errorf("the rollout %s did not fail with Reverted within 3 minutes", healthRollout)
		}
		ro := &wavegatev1alpha1.ConfigRollout{}
		if err := d.cluster.Client.Get(ctx, client.ObjectKey{Name: healthRollout}, ro); err != nil {
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
			step("  %-20s %-12s %s", rs.Name, rs.State, d.settingsDetail(ctx, rs))
		}
		if ro.Status.Phase != phase {
			phase = ro.Status.Phase
			if c := meta.FindStatusCondition(ro.Status.Conditions, wavegatev1alpha1.ConditionStalled); c != nil && c.Status == "True" {
				step("%s: %s: %s", phase, c.Reason, c.Message)
			}
		}
		if !raised && seen[badRegion] == string(wavegatev1alpha1.RegionConverged) {
			raised = true
			fmt.Printf("\n$ %s\n%s\n\n", settingsCommand, indent(d.kubectl(ctx, settingsArgs...)))
			step("the error ratio of %s rises to %g (the exporter serves it; Prometheus scrapes it within 1s)", badRegion, badRatio)
			d.exporter.SetRegion(promtest.ErrorRatio, badRegion, badRatio)
		}
		if phase == wavegatev1alpha1.PhaseFailed {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
}

const freezeColumns = `-o custom-columns=NAME:.metadata.name,REGIONS:.spec.regions[*],ALLOW-REVERTS:.spec.allowReverts,EXPIRES:.spec.expiresAt,REASON:.spec.reason`

const eventsCommand = "kubectl get events --field-selector involvedObject.name=" + healthRollout +
	" --sort-by=.metadata.creationTimestamp -o custom-columns=TYPE:.type,REASON:.reason,MESSAGE:.message"

// rolloutEvents lists the rollout's Events once RolloutReverted is among
// them: the manager records Events asynchronously.
func (d *demo) rolloutEvents(ctx context.Context) string {
	args := strings.Fields(eventsCommand)[1:]
	out := ""
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(250 * time.Millisecond) {
		if out = d.kubectl(ctx, args...); strings.Contains(out, wavegatev1alpha1.EventRolloutReverted) {
			break
		}
	}
	return out
}

// settingsCommand lists the setting in every region of the scene.
const settingsCommand = `kubectl get configmaps -A --field-selector metadata.name=msi-token-settings -o custom-columns=NAMESPACE:.metadata.namespace,VERSION:.metadata.labels.app\.kubernetes\.io/version,TOKEN-CACHE:.data.tokenCache`

var settingsArgs = []string{"get", "configmaps", "-A", "--field-selector", "metadata.name=" + healthTarget, "-o",
	`custom-columns=NAMESPACE:.metadata.namespace,VERSION:.metadata.labels.app\.kubernetes\.io/version,TOKEN-CACHE:.data.tokenCache`}

// settingsDetail is the region's setting and its health values.
func (d *demo) settingsDetail(ctx context.Context, rs wavegatev1alpha1.RolloutRegionStatus) string {
	detail := ""
	var cm corev1.ConfigMap
	if err := d.cluster.Client.Get(ctx, client.ObjectKey{Namespace: "identity-" + rs.Name, Name: healthTarget}, &cm); err == nil {
		detail = fmt.Sprintf("tokenCache=%s at %s", cm.Data["tokenCache"], cm.Labels[wavegatev1alpha1.LabelVersion])
	}
	for _, h := range rs.Health {
		detail += fmt.Sprintf("; %s %s (%d failures)", h.Name, h.Value, h.Failures)
	}
	if rs.State == wavegatev1alpha1.RegionUnhealthy || rs.State == wavegatev1alpha1.RegionReverted {
		detail += "; " + rs.Message
	}
	return detail
}

func errorRatioOf(region string) string {
	return fmt.Sprintf("%s{region=%q}", promtest.ErrorRatio, region)
}

// section is the part of wavegate status under the heading name, up to the
// next blank line.
func section(status, name string) string {
	var out []string
	in := false
	for _, line := range strings.Split(status, "\n") {
		switch {
		case strings.HasPrefix(line, name):
			in = true
		case in && strings.TrimSpace(line) == "":
			return strings.Join(out, "\n")
		}
		if in {
			out = append(out, line)
		}
	}
	if len(out) == 0 {
		return status
	}
	return strings.Join(out, "\n")
}
