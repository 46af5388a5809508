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

// Package config holds Wavegate's manifests; its test renders the kustomize
// install and has a real API server accept every object.
package config

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"

	"github.com/wavegate/wavegate/internal/manifest"
	"github.com/wavegate/wavegate/internal/test/testenv"
)

var clusterScoped = map[string]bool{
	"CustomResourceDefinition": true, "Namespace": true, "ClusterRole": true, "ClusterRoleBinding": true,
	"ValidatingWebhookConfiguration": true, "ValidatingAdmissionPolicy": true, "ValidatingAdmissionPolicyBinding": true,
}

// renderDefault renders the kustomize install, config/default.
func renderDefault(t *testing.T) []*unstructured.Unstructured {
	t.Helper()
	g := NewWithT(t)
	resMap, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(filesys.MakeFsOnDisk(), "default")
	g.Expect(err).NotTo(HaveOccurred())
	rendered, err := resMap.AsYaml()
	g.Expect(err).NotTo(HaveOccurred())
	objs, err := manifest.Read(bytes.NewReader(rendered))
	g.Expect(err).NotTo(HaveOccurred())
	return objs
}

func TestTheKustomizeInstallIsAcceptedByTheAPIServer(t *testing.T) {
	g := NewWithT(t)
	objs := renderDefault(t)

	kinds := map[string]int{}
	for _, o := range objs {
		kinds[o.GetKind()]++
		if !clusterScoped[o.GetKind()] {
			g.Expect(o.GetNamespace()).To(Equal("wavegate-system"), "%s %s", o.GetKind(), o.GetName())
		}
	}
	g.Expect(kinds).To(HaveKeyWithValue("CustomResourceDefinition", 6))
	g.Expect(kinds).To(HaveKeyWithValue("ValidatingWebhookConfiguration", 2))
	g.Expect(kinds).To(HaveKey("Deployment"))
	g.Expect(kinds).To(HaveKey("PodDisruptionBudget"))
	g.Expect(kinds).To(HaveKeyWithValue("ValidatingAdmissionPolicy", 2))
	g.Expect(kinds).To(HaveKeyWithValue("ValidatingAdmissionPolicyBinding", 2))
	names := map[string]bool{}
	for _, o := range objs {
		names[o.GetKind()+"/"+o.GetName()] = true
	}
	g.Expect(names).To(HaveKey("ClusterRole/wavegate-metrics-reader"))
	g.Expect(names).To(HaveKey("Service/wavegate-metrics-service"), "metrics on their own Service, not the webhook's")

	// The image is the release this tree builds, never a moving tag.
	chart, err := os.ReadFile(filepath.Join("..", "charts", "wavegate", "Chart.yaml"))
	g.Expect(err).NotTo(HaveOccurred())
	appVersion := regexp.MustCompile(`(?m)^appVersion: "?([^"\s]+)"?$`).FindSubmatch(chart)
	g.Expect(appVersion).NotTo(BeNil())
	for _, o := range objs {
		if o.GetKind() != "Deployment" {
			continue
		}
		containers, _, _ := unstructured.NestedSlice(o.Object, "spec", "template", "spec", "containers")
		for _, c := range containers {
			image := c.(map[string]any)["image"].(string)
			g.Expect(image).To(HaveSuffix(":"+string(appVersion[1])), "the kustomize image is pinned to the chart's appVersion")
		}
		spec, _, _ := unstructured.NestedMap(o.Object, "spec", "template", "spec")
		g.Expect(spec).To(HaveKeyWithValue("priorityClassName", "system-cluster-critical"))
		g.Expect(fmt.Sprint(spec["topologySpreadConstraints"])).To(ContainSubstring("topology.kubernetes.io/zone"))
	}

	env, err := testenv.StartWithoutWebhookServer()
	g.Expect(err).NotTo(HaveOccurred())
	defer func() { g.Expect(env.Stop()).To(Succeed()) }()
	ctx := context.Background()
	for _, o := range objs {
		if o.GetKind() == "Namespace" {
			g.Expect(env.Client.Apply(ctx, client.ApplyConfigurationFromUnstructured(o), client.FieldOwner("test"))).To(Succeed())
		}
	}
	for _, o := range objs {
		if o.GetKind() == "Namespace" {
			continue
		}
		err := env.Client.Apply(ctx, client.ApplyConfigurationFromUnstructured(o), client.FieldOwner("test"), client.ForceOwnership, client.DryRunAll)
		g.Expect(err).NotTo(HaveOccurred(), "%s %s was rejected", o.GetKind(), o.GetName())
	}
}
