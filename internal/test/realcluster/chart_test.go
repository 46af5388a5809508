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
	"context"
	"os"
	"slices"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func TestTheChartRendersWhatTheHarnessInstalls(t *testing.T) {
	helm := os.Getenv(EnvHelm)
	if helm == "" {
		t.Fatal("HELM is not set: run with make test, which builds the pinned helm")
	}
	chart, err := RenderChart(context.Background(), helm)
	if err != nil {
		t.Fatal(err)
	}
	args, err := chart.ManagerArgs()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"--leader-elect=true", "--cert-rotation=true", "--controller-user=system:serviceaccount:" + Namespace + ":" + ServiceAccount} {
		if !slices.Contains(args, want) {
			t.Errorf("the chart's manager args %v lack %s", args, want)
		}
	}
	if chart.Find("ServiceAccount", ServiceAccount) == nil || chart.Find("Secret", CertSecret) == nil {
		t.Error("the chart should render the manager's ServiceAccount and its certificate Secret")
	}
	gate := chart.Find("ValidatingWebhookConfiguration", "wavegate-gate")
	if gate == nil {
		t.Fatal("the chart renders no wavegate-gate")
	}
	gate = gate.DeepCopy()
	if err := pointWebhooksAt(gate, "https://localhost:1234/"); err != nil {
		t.Fatal(err)
	}
	hooks, _, _ := unstructured.NestedSlice(gate.Object, "webhooks")
	for _, h := range hooks {
		cc, _, _ := unstructured.NestedMap(h.(map[string]any), "clientConfig")
		url, _ := cc["url"].(string)
		if _, hasService := cc["service"]; hasService || !strings.HasPrefix(url, "https://localhost:1234/") || len(url) <= len("https://localhost:1234/") {
			t.Errorf("clientConfig %v: want a URL on the host that keeps the Service's path", cc)
		}
	}
}
