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
	"cmp"
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/metadata"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/cluster"
	"sigs.k8s.io/controller-runtime/pkg/manager"

	wavegatev1alpha1 "github.com/wavegate/wavegate/api/v1alpha1"
	"github.com/wavegate/wavegate/internal/access"
	"github.com/wavegate/wavegate/internal/gate/engine"
	"github.com/wavegate/wavegate/internal/gate/facts"
	"github.com/wavegate/wavegate/internal/gate/records"
	"github.com/wavegate/wavegate/internal/gate/webhookconfig"
	"github.com/wavegate/wavegate/internal/hub"
)

// Options configure a gate that runs in a manager.
type Options struct {
	// Now is the clock.
	Now func() time.Time
	// PolicyDir holds operators' own Rego policies; empty for none.
	PolicyDir string
	// PolicyEvalTimeout bounds one evaluation of the policies; zero: none.
	PolicyEvalTimeout time.Duration
	// ControllerUser is Wavegate's own controller identity.
	ControllerUser string
	// BreakGlassGroup may break every freeze and protected delete.
	BreakGlassGroup string
	// DenyUnseen: see facts.Builder.
	DenyUnseen bool
	// ScanInterval is how often the protection scan looks again at which
	// kinds are served and which Wavegate may list. Default 30s.
	ScanInterval time.Duration
	// Hub, for an agent, is where Regions, WavePlans, ConfigRollouts,
	// Freezes, AutomationPolicies and change records are read and written;
	// nil on a hub, which reads its own cluster.
	Hub *hub.Hub
	// Region is an agent's region (see facts.Builder.DefaultRegion).
	Region string
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
	eng.SetEvalTimeout(o.PolicyEvalTimeout)
	if o.PolicyDir != "" {
		if err := mgr.Add(engine.WatchDir(eng, o.PolicyDir, mgr.GetLogger().WithName("policies"))); err != nil {
			return nil, nil, err
		}
	}
	ix := facts.NewIndex()
	feed := &facts.Feed{}
	// The inventory and the change records are the hub's; the Namespaces
	// and what they hold are this cluster's.
	var inventory cluster.Cluster = mgr
	if o.Hub != nil {
		inventory = o.Hub
		if err := feed.WatchLocalFreezes(ctx, mgr.GetCache(), ix); err != nil {
			return nil, nil, err
		}
		o.Hub.Refresh = func(ctx context.Context) error {
			list := &wavegatev1alpha1.FreezeList{}
			if err := o.Hub.GetAPIReader().List(ctx, list); err != nil {
				return err
			}
			facts.RefreshHubFreezes(ix, list.Items)
			return nil
		}
	}
	if err := feed.WatchInventory(ctx, inventory.GetCache(), ix); err != nil {
		return nil, nil, err
	}
	if err := feed.WatchNamespaces(ctx, mgr.GetCache(), ix); err != nil {
		return nil, nil, err
	}
	protected, err := protectionScan(mgr, ix, o.ScanInterval)
	if err != nil {
		return nil, nil, err
	}
	feed.Track(protected.Synced)
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
		Engine: eng,
		Facts: &facts.Builder{Index: ix, Now: o.Now, ControllerUser: o.ControllerUser, BreakGlassGroup: o.BreakGlassGroup,
			DenyUnseen: o.DenyUnseen, DefaultRegion: o.Region},
		Records: &records.Store{Reader: inventory.GetAPIReader(), Writer: inventory.GetClient(), Cache: ix, Retain: time.Hour,
			// Under the webhook's own timeout, so the denial says why.
			Timeout: time.Duration(webhookconfig.TimeoutSeconds-1) * time.Second},
		Namespace: func(ctx context.Context, name string) (map[string]string, error) {
			ns := &corev1.Namespace{}
			if err := mgr.GetAPIReader().Get(ctx, client.ObjectKey{Name: name}, ns); err != nil {
				return nil, err
			}
			return ns.Labels, nil
		},
	}, feed.Synced, nil
}

// protectionScan tracks protected objects in every kind Wavegate may list.
func protectionScan(mgr ctrl.Manager, ix *facts.Index, interval time.Duration) (*facts.ProtectionScan, error) {
	disc, err := discovery.NewDiscoveryClientForConfig(mgr.GetConfig())
	if err != nil {
		return nil, fmt.Errorf("failed to create the discovery client: %w", err)
	}
	mc, err := metadata.NewForConfig(mgr.GetConfig())
	if err != nil {
		return nil, fmt.Errorf("failed to create the metadata client: %w", err)
	}
	return &facts.ProtectionScan{
		Discovery: disc, Metadata: mc, Mapper: mgr.GetRESTMapper(), Index: ix, Interval: cmp.Or(interval, 30*time.Second),
		Access: func(ctx context.Context, gr schema.GroupResource) (bool, error) {
			return access.MayListAndWatch(ctx, mgr.GetClient(), gr)
		},
		Log: mgr.GetLogger().WithName("protection-scan"),
	}, nil
}
