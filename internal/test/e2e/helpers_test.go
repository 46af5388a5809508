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

package e2e

import (
	"context"
	"fmt"
	"os/exec"
	"sort"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	wavegatev1alpha1 "github.com/wavegate/wavegate/api/v1alpha1"
	"github.com/wavegate/wavegate/internal/test/realcluster"
)

func samplesDir() string { return realcluster.SamplesDir() }

// sampleRegions are the Regions of config/samples/10-regions.yaml.
func sampleRegions() []string {
	regions, err := realcluster.SampleRegions()
	if err != nil {
		panic(err)
	}
	return regions
}

// applySamples applies sample files as the cluster's administrator.
func applySamples(ctx context.Context, files ...string) error {
	for _, f := range files {
		if _, err := env.cluster.ApplySample(ctx, f, "e2e"); err != nil {
			return err
		}
	}
	return nil
}

// admin is the cluster administrator's client: for setup steps, and for
// the requests a cluster user makes.
func admin() client.Client { return env.cluster.Client }

// kubectl runs kubectl as the cluster administrator and returns its output.
func kubectl(ctx context.Context, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "kubectl", append([]string{"--kubeconfig", env.cluster.Kubeconfig}, args...)...)
	out, err := cmd.CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

// wavegateCLI runs the wavegate command line as the cluster administrator.
func wavegateCLI(ctx context.Context, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, env.bins.Wavegate, append([]string{"--kubeconfig", env.cluster.Kubeconfig}, args...)...)
	out, err := cmd.CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

func regionalNamespace(name, region string) *corev1.Namespace {
	return &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{
		Name: name, Labels: map[string]string{wavegatev1alpha1.LabelRegion: region},
	}}
}

// deployment is a Deployment whose pods run on the region's fake node.
func deployment(ns, name, region, version string, replicas int32) *appsv1.Deployment {
	labels := map[string]string{"app": name}
	tmpl := map[string]string{"app": name, "app.kubernetes.io/version": version}
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To(replicas),
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: tmpl},
				Spec: corev1.PodSpec{
					NodeSelector: map[string]string{realcluster.LabelTopologyRegion: region},
					Tolerations:  []corev1.Toleration{{Key: "kwok.x-k8s.io/node", Operator: corev1.TolerationOpExists}},
					Containers: []corev1.Container{{
						Name: name, Image: "registry.example.com/" + name + ":" + version,
						Env: []corev1.EnvVar{{Name: "REGION", Value: region}},
					}},
				},
			},
		},
	}
}

// available reports whether the Deployment has rolled out its current spec.
func available(d *appsv1.Deployment) bool {
	want := ptr.Deref(d.Spec.Replicas, 1)
	return d.Status.ObservedGeneration == d.Generation && d.Status.UpdatedReplicas == want &&
		d.Status.AvailableReplicas == want && d.Status.Replicas == want
}

// checkDenials fails t for every webhook denial since since that a rule did
// not call for (allowed lists rule ids that this test expects), and prints
// the counts.
func checkDenials(t *testing.T, since time.Time, allowed ...string) []realcluster.Denial {
	t.Helper()
	denials, err := env.cluster.Denials(since)
	if err != nil {
		t.Fatalf("reading the audit log: %v", err)
	}
	counts := map[string]int{}
	var unexpected []realcluster.Denial
	for _, d := range denials {
		rule := ruleOf(d.Message)
		counts[rule]++
		ok := false
		for _, a := range allowed {
			ok = ok || a == rule
		}
		if !ok {
			unexpected = append(unexpected, d)
		}
	}
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s=%d", k, counts[k]))
	}
	logf("%s: %d webhook denials in the API server's audit log (%s); expected rules: %v", t.Name(), len(denials), strings.Join(parts, " "), allowed)
	for _, d := range unexpected {
		t.Errorf("unexpected denial: %s", d)
	}
	return denials
}

// ruleOf is the rule id of a denial message, "internal" for Wavegate's own
// failures and "unreachable" when the API server could not call it.
func ruleOf(msg string) string {
	if strings.Contains(msg, "failed calling webhook") {
		return "unreachable"
	}
	if i := strings.Index(msg, "[wavegate:"); i >= 0 {
		rest := msg[i+len("[wavegate:"):]
		if j := strings.Index(rest, "]"); j >= 0 {
			return rest[:j]
		}
	}
	return "other"
}

// eventually polls cond until it holds or timeout passes.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() (bool, error)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var last error
	for time.Now().Before(deadline) {
		ok, err := cond()
		if ok {
			return
		}
		last = err
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("timed out after %s waiting for %s (last error: %v)", timeout, what, last)
}
