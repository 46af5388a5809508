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

package check_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/wavegate/wavegate/internal/check"
	"github.com/wavegate/wavegate/internal/manifest"
)

// BenchmarkCheck10000 judges 10,000 manifests, as one `wavegate check` run,
// against the sample state: ConfigMaps spread over four regions, each its own
// change, so every one is decided and recorded.
//
//	KUBEBUILDER_ASSETS=$(make -s envtest-path) go test ./internal/check/ -run xxx -bench BenchmarkCheck10000 -benchtime 3x
func BenchmarkCheck10000(b *testing.B) {
	state, err := manifest.ReadFile(filepath.Join("..", "..", "config", "samples", "state.yaml"))
	if err != nil {
		b.Fatal(err)
	}
	regions := []string{"eastus", "westus", "eastus2euap", "westcentralus"}
	docs := make([]*unstructured.Unstructured, 10000)
	for i := range docs {
		docs[i] = &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "v1", "kind": "ConfigMap",
			"metadata": map[string]any{
				"name": fmt.Sprintf("settings-%05d", i), "namespace": "app",
				"labels": map[string]any{"wavegate.io/region": regions[i%len(regions)]},
			},
			"data": map[string]any{"value": fmt.Sprint(i)},
		}}
	}
	ctx := context.Background()
	now := time.Date(2024, 7, 18, 14, 0, 0, 0, time.UTC)
	for b.Loop() {
		c, err := check.New(ctx, state, check.Options{Now: now, BreakGlassGroup: "wavegate:break-glass", Namespace: "wavegate-system"})
		if err != nil {
			b.Fatal(err)
		}
		for _, d := range docs {
			v, err := c.Check(ctx, check.Request{Object: d, User: "ci"})
			if err != nil || !v.Allowed {
				b.Fatalf("%s: %+v %v", d.GetName(), v, err)
			}
		}
	}
}
