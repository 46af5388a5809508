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
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/wavegate/wavegate/internal/manifest"
	"github.com/wavegate/wavegate/internal/test/testenv"
)

// Namespace is where the suites and the demo install Wavegate.
const Namespace = "wavegate-system"

// Release is the Helm release name.
const Release = "wavegate"

// KubeVersion is the Kubernetes version the chart is rendered for: the one
// the Makefile builds (ENVTEST_K8S_VERSION), rather than the old version
// helm template assumes unless told.
const KubeVersion = "1.37.2"

// Chart is the rendered Helm chart.
type Chart struct {
	Objects []*unstructured.Unstructured
}

// RenderChart runs `helm template` on charts/wavegate with the CRDs, as
// `helm install` would install it, with extra --set values.
func RenderChart(ctx context.Context, helm string, set ...string) (*Chart, error) {
	args := []string{"template", Release, filepath.Join(testenv.RepoRoot(), "charts", "wavegate"),
		"--namespace", Namespace, "--include-crds", "--kube-version", KubeVersion}
	for _, s := range set {
		args = append(args, "--set", s)
	}
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, helm, args...) //nolint:gosec // the pinned helm the Makefile built
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("helm template failed: %w: %s", err, stderr.String())
	}
	objs, err := manifest.Read(bytes.NewReader(out))
	if err != nil {
		return nil, fmt.Errorf("the rendered chart does not parse: %w", err)
	}
	return &Chart{Objects: objs}, nil
}

// Find returns the rendered object of kind and name, or nil.
func (c *Chart) Find(kind, name string) *unstructured.Unstructured {
	for _, o := range c.Objects {
		if o.GetKind() == kind && o.GetName() == name {
			return o
		}
	}
	return nil
}

// ManagerArgs are the manager container's arguments as the chart renders them.
func (c *Chart) ManagerArgs() ([]string, error) {
	d := c.Find("Deployment", "wavegate-manager")
	if d == nil {
		return nil, fmt.Errorf("the chart renders no Deployment wavegate-manager")
	}
	containers, _, _ := unstructured.NestedSlice(d.Object, "spec", "template", "spec", "containers")
	for _, ct := range containers {
		m, _ := ct.(map[string]any)
		if m["name"] != "manager" {
			continue
		}
		args, _, err := unstructured.NestedStringSlice(m, "args")
		return args, err
	}
	return nil, fmt.Errorf("the Deployment wavegate-manager has no container named manager")
}

// Install applies every rendered object except the manager Deployment (the
// manager runs as host processes instead), with the webhooks' clientConfig
// pointed at url, the only edit made to the chart. It waits until the CRDs
// are served.
func (c *Chart) Install(ctx context.Context, cl client.Client, url string) error {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: Namespace}}
	if err := cl.Create(ctx, ns); client.IgnoreAlreadyExists(err) != nil {
		return err
	}
	// CRDs first, so the objects that use them are understood.
	ordered := make([]*unstructured.Unstructured, 0, len(c.Objects))
	for _, pass := range []func(*unstructured.Unstructured) bool{
		func(o *unstructured.Unstructured) bool { return o.GetKind() == "CustomResourceDefinition" },
		func(o *unstructured.Unstructured) bool { return o.GetKind() != "CustomResourceDefinition" },
	} {
		for _, o := range c.Objects {
			if pass(o) {
				ordered = append(ordered, o)
			}
		}
	}
	for _, o := range ordered {
		if o.GetKind() == "Deployment" && o.GetName() == "wavegate-manager" {
			continue
		}
		o = o.DeepCopy()
		if o.GetKind() == "ValidatingWebhookConfiguration" || o.GetKind() == "MutatingWebhookConfiguration" {
			if err := pointWebhooksAt(o, url); err != nil {
				return err
			}
		}
		if err := applyWithRetry(ctx, cl, o); err != nil {
			return fmt.Errorf("the API server rejected the chart's %s %s: %w", o.GetKind(), o.GetName(), err)
		}
	}
	return nil
}

// applyWithRetry applies o, retrying while a just-created CRD is not served yet.
func applyWithRetry(ctx context.Context, cl client.Client, o *unstructured.Unstructured) error {
	var last error
	err := wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		last = cl.Apply(ctx, client.ApplyConfigurationFromUnstructured(o), client.FieldOwner("helm"), client.ForceOwnership)
		return last == nil, nil
	})
	if err != nil {
		return last
	}
	return nil
}

// pointWebhooksAt replaces each webhook's Service reference with a URL on
// the host, keeping the path.
func pointWebhooksAt(o *unstructured.Unstructured, url string) error {
	hooks, _, err := unstructured.NestedSlice(o.Object, "webhooks")
	if err != nil {
		return err
	}
	for i, h := range hooks {
		m, _ := h.(map[string]any)
		path, _, _ := unstructured.NestedString(m, "clientConfig", "service", "path")
		cc := map[string]any{"url": strings.TrimSuffix(url, "/") + path}
		if ca, ok, _ := unstructured.NestedString(m, "clientConfig", "caBundle"); ok {
			cc["caBundle"] = ca
		}
		m["clientConfig"] = cc
		hooks[i] = m
	}
	return unstructured.SetNestedSlice(o.Object, hooks, "webhooks")
}
