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
	"fmt"
	"path/filepath"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/wavegate/wavegate/internal/manifest"
	"github.com/wavegate/wavegate/internal/test/testenv"
)

// SamplesDir is config/samples.
func SamplesDir() string { return filepath.Join(testenv.RepoRoot(), "config", "samples") }

// SampleRegions are the Regions of config/samples/10-regions.yaml: the
// regions that get a fake node.
func SampleRegions() ([]string, error) {
	objs, err := manifest.ReadFile(filepath.Join(SamplesDir(), "10-regions.yaml"))
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(objs))
	for _, o := range objs {
		out = append(out, o.GetName())
	}
	return out, nil
}

// ApplySample applies a file of config/samples with server-side apply, as
// the cluster's administrator, and returns how many objects it held. It
// stops at the first object the API server rejects.
func (c *Cluster) ApplySample(ctx context.Context, file, fieldOwner string) (int, error) {
	objs, err := manifest.ReadFile(filepath.Join(SamplesDir(), file))
	if err != nil {
		return 0, err
	}
	for _, o := range objs {
		if err := c.Client.Apply(ctx, client.ApplyConfigurationFromUnstructured(o), client.FieldOwner(fieldOwner), client.ForceOwnership); err != nil {
			return 0, fmt.Errorf("config/samples/%s: %s %s was rejected: %w", file, o.GetKind(), o.GetName(), err)
		}
	}
	return len(objs), nil
}
