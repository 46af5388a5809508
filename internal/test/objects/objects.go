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

package objects

import (
	"encoding/json"
	"sync"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	wavegatev1alpha1 "github.com/wavegate/wavegate/api/v1alpha1"
)

// Option changes an object under construction.
type Option[T any] func(*T)

func build[T any](obj *T, opts []Option[T]) *T {
	for _, o := range opts {
		o(obj)
	}
	return obj
}

// Region returns a Region named name.
func Region(name string, opts ...Option[wavegatev1alpha1.Region]) *wavegatev1alpha1.Region {
	return build(&wavegatev1alpha1.Region{ObjectMeta: metav1.ObjectMeta{Name: name}}, opts)
}

// InCluster makes a Region a cluster of its own, reached through the
// kubeconfig under key "value" of Secret namespace/name.
func InCluster(namespace, name string) Option[wavegatev1alpha1.Region] {
	return func(r *wavegatev1alpha1.Region) {
		r.Spec.Cluster = &wavegatev1alpha1.RegionCluster{KubeconfigSecretRef: wavegatev1alpha1.SecretKeyRef{Namespace: namespace, Name: name}}
	}
}

// PairedWith sets a Region's failover pair.
func PairedWith(pair string) Option[wavegatev1alpha1.Region] {
	return func(r *wavegatev1alpha1.Region) { r.Spec.PairedRegion = pair }
}

// WavePlan returns a plan with the given waves and a minBakeTime of 15m.
func WavePlan(name string, waves ...wavegatev1alpha1.Wave) *wavegatev1alpha1.WavePlan {
	return &wavegatev1alpha1.WavePlan{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: wavegatev1alpha1.WavePlanSpec{
			MinBakeTime: &metav1.Duration{Duration: 15 * time.Minute},
			Waves:       waves,
		},
	}
}

// Wave returns a wave that bakes for one hour.
func Wave(name string, regions ...string) wavegatev1alpha1.Wave {
	return wavegatev1alpha1.Wave{Name: name, Regions: regions, BakeTime: metav1.Duration{Duration: time.Hour}}
}

// Rollout returns a ConfigRollout of the Deployment "app" to version 2.0.0.
func Rollout(name string, opts ...Option[wavegatev1alpha1.ConfigRollout]) *wavegatev1alpha1.ConfigRollout {
	return build(&wavegatev1alpha1.ConfigRollout{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: wavegatev1alpha1.ConfigRolloutSpec{
			Target:  wavegatev1alpha1.TargetRef{APIVersion: "apps/v1", Kind: "Deployment", Namespace: "app", Name: "app"},
			Patch:   JSON(map[string]any{"metadata": map[string]any{"labels": map[string]any{wavegatev1alpha1.LabelVersion: "2.0.0"}}}),
			Version: "2.0.0",
		},
	}, opts)
}

// WithPlan sets a rollout's planRef.
func WithPlan(plan string) Option[wavegatev1alpha1.ConfigRollout] {
	return func(r *wavegatev1alpha1.ConfigRollout) { r.Spec.PlanRef = plan }
}

// WithVersion sets a rollout's version.
func WithVersion(v string) Option[wavegatev1alpha1.ConfigRollout] {
	return func(r *wavegatev1alpha1.ConfigRollout) { r.Spec.Version = v }
}

// DependingOn sets a rollout's dependsOn.
func DependingOn(names ...string) Option[wavegatev1alpha1.ConfigRollout] {
	return func(r *wavegatev1alpha1.ConfigRollout) { r.Spec.DependsOn = names }
}

// InRegions limits a rollout to regions.
func InRegions(regions ...string) Option[wavegatev1alpha1.ConfigRollout] {
	return func(r *wavegatev1alpha1.ConfigRollout) { r.Spec.Regions = regions }
}

// Skipping adds a skipRegions entry.
func Skipping(region, reason string) Option[wavegatev1alpha1.ConfigRollout] {
	return func(r *wavegatev1alpha1.ConfigRollout) {
		r.Spec.SkipRegions = append(r.Spec.SkipRegions, wavegatev1alpha1.SkipRegion{Name: region, Reason: reason})
	}
}

// Freeze returns a Freeze of regions with a valid reason.
func Freeze(name string, regions []string, opts ...Option[wavegatev1alpha1.Freeze]) *wavegatev1alpha1.Freeze {
	return build(&wavegatev1alpha1.Freeze{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec:       wavegatev1alpha1.FreezeSpec{Regions: regions, Reason: "storage outage: stop all deployments"},
	}, opts)
}

// ExpiringAt sets a Freeze's expiresAt.
func ExpiringAt(t time.Time) Option[wavegatev1alpha1.Freeze] {
	return func(f *wavegatev1alpha1.Freeze) { f.Spec.ExpiresAt = &metav1.Time{Time: t} }
}

// Policy returns an AutomationPolicy for the service account cleanup/cleaner.
func Policy(name string, regions []string, opts ...Option[wavegatev1alpha1.AutomationPolicy]) *wavegatev1alpha1.AutomationPolicy {
	return build(&wavegatev1alpha1.AutomationPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: wavegatev1alpha1.AutomationPolicySpec{
			Identities:          wavegatev1alpha1.Identities{ServiceAccounts: []string{"cleanup/cleaner"}},
			Scope:               wavegatev1alpha1.AutomationScope{Regions: regions},
			MaxDeletionsPerHour: 50,
		},
	}, opts)
}

// JSON turns a value into an apiextensions JSON, for rollout patches.
func JSON(v any) apiextensionsv1.JSON {
	raw, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return apiextensionsv1.JSON{Raw: raw}
}

// FakeClock is a settable clock for tests; safe for concurrent use.
type FakeClock struct {
	mu  sync.Mutex
	now time.Time
}

// NewFakeClock returns a clock stopped at t.
func NewFakeClock(t time.Time) *FakeClock { return &FakeClock{now: t} }

// Now returns the clock's time.
func (c *FakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *FakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}
