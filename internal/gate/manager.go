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

package gate

import (
	"context"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/manager"

	"github.com/wavegate/wavegate/internal/gate/engine"
	"github.com/wavegate/wavegate/internal/gate/facts"
	"github.com/wavegate/wavegate/internal/gate/records"
)

// Options configure a gate that runs in a manager.
type Options struct {
	// Now is the clock.
	Now func() time.Time
	// PolicyDir holds operators' own Rego policies; empty for none.
	PolicyDir string
	// ControllerUser is Wavegate's own controller identity.
	ControllerUser string
	// BreakGlassGroup may break every freeze and protected delete.
	BreakGlassGroup string
	// ProtectedResources are tracked for protected objects.
	ProtectedResources []schema.GroupResource
}

// ForManager builds the gate that the webhook serves: the engine with its
// policies, and the facts index fed by mgr's informers on every replica. It
// registers what it runs with mgr but serves nothing. synced reports whether
// every informer has synced; until then the gate must not decide.
func ForManager(mgr ctrl.Manager, o Options) (g *Gate, synced func() bool, err error) {
	ctx := context.Background()
	modules, err := engine.Modules(o.PolicyDir)
	if err != nil {
		return nil, nil, err
	}
	eng, err := engine.New(ctx, modules)
	if err != nil {
		return nil, nil, err
	}
	if o.PolicyDir != "" {
		if err := mgr.Add(engine.WatchDir(eng, o.PolicyDir, mgr.GetLogger().WithName("policies"))); err != nil {
			return nil, nil, err
		}
	}
	ix := facts.NewIndex()
	feed := &facts.Feed{}
	if err := feed.WatchAll(ctx, mgr.GetCache(), ix); err != nil {
		return nil, nil, err
	}
	protected, err := feed.WatchProtected(mgr.GetConfig(), mgr.GetRESTMapper(), o.ProtectedResources, ix)
	if err != nil {
		return nil, nil, err
	}
	workloads, err := feed.WatchWorkloads(mgr.GetConfig(), ix)
	if err != nil {
		return nil, nil, err
	}
	for _, r := range []manager.Runnable{protected, workloads} {
		if err := mgr.Add(r); err != nil {
			return nil, nil, err
		}
	}
	return &Gate{
		Engine:  eng,
		Facts:   &facts.Builder{Index: ix, Now: o.Now, ControllerUser: o.ControllerUser, BreakGlassGroup: o.BreakGlassGroup},
		Records: &records.Store{Reader: mgr.GetAPIReader(), Writer: mgr.GetClient(), Cache: ix, Retain: time.Hour},
		Namespace: func(ctx context.Context, name string) (map[string]string, error) {
			ns := &corev1.Namespace{}
			if err := mgr.GetAPIReader().Get(ctx, client.ObjectKey{Name: name}, ns); err != nil {
				return nil, err
			}
			return ns.Labels, nil
		},
	}, feed.Synced, nil
}
