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

package facts

import (
	"context"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/metadata/metadatainformer"
	toolscache "k8s.io/client-go/tools/cache"

	wavegatev1alpha1 "github.com/wavegate/wavegate/api/v1alpha1"
)

// ProtectionScan tracks, in every namespaced kind Wavegate may list and
// watch, the objects whose wavegate.io/protection label counts as protected
// (CountsAsProtected), so the gate can tell whether a Namespace about to be
// deleted holds one without listing anything on the hot path. The kinds come
// from discovery and the permission from the API server's authorizer, both
// checked again every Interval, so a CustomResourceDefinition installed or a
// ClusterRole aggregated later is picked up. The informers are metadata-only
// and select on the label, so they hold only protected objects' metadata.
//
// A kind Wavegate may not list (Secrets, by default) is unseen: the Index
// names it, and a Namespace delete that cannot be judged is denied.
type ProtectionScan struct {
	Discovery discovery.DiscoveryInterface
	Metadata  metadata.Interface
	// Access asks the API server whether Wavegate may list and watch a kind.
	Access func(context.Context, schema.GroupResource) (bool, error)
	Index  *Index
	// Mapper maps an owner reference's kind to its resource.
	Mapper meta.RESTMapper
	// Interval between two looks at discovery and permissions, and at the
	// owners above protected objects.
	Interval time.Duration
	Log      logr.Logger

	// owned is signalled when a protected object with owners is seen.
	owned chan struct{}

	mu      sync.Mutex
	tracked map[schema.GroupVersionResource]*trackedKind
	scanned bool
	synced  bool // once true, stays true (Synced)
	unseen  []string
}

type trackedKind struct {
	kind   string
	stop   context.CancelFunc
	synced func() bool
}

// ungated kinds are never judged (docs/spec.md section 4: Pods, Events and
// Leases are never gated), so what they hold cannot stop a Namespace delete.
var ungated = map[schema.GroupResource]bool{
	{Resource: "pods"}:                                 true,
	{Resource: "events"}:                               true,
	{Group: "events.k8s.io", Resource: "events"}:       true,
	{Group: "coordination.k8s.io", Resource: "leases"}: true,
}

// selector: every value but deletable counts as protected: protected, or a typo.
var selector = wavegatev1alpha1.LabelProtection + "," + wavegatev1alpha1.LabelProtection + "!=" + wavegatev1alpha1.ProtectionDeletable

// Start scans until ctx ends. Every replica serves the webhook, so every
// replica runs it.
func (p *ProtectionScan) Start(ctx context.Context) error {
	started := time.Now()
	p.owned = make(chan struct{}, 1)
	go p.followOwners(ctx)
	for {
		p.scan(ctx)
		select {
		case <-ctx.Done():
			p.stopAll()
			return nil
		case <-time.After(p.next(time.Since(started))):
		}
	}
}

// soon is how often the scan looks again, in its first minute, while some
// kind is unseen: on a fresh install the ClusterRoles that let Wavegate list
// those kinds are aggregated by kube-controller-manager moments after the
// manager starts, and until the scan sees them a Namespace delete is
// judged without their protected objects.
const soon = 2 * time.Second

func (p *ProtectionScan) next(uptime time.Duration) time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.unseen) > 0 && uptime < time.Minute && soon < p.Interval {
		return soon
	}
	return p.Interval
}

// NeedLeaderElection is false: every replica decides admissions.
func (*ProtectionScan) NeedLeaderElection() bool { return false }

// Synced reports whether the first scan is done and every informer it
// started has synced. Until then the gate does not decide. It stays true
// after that: a kind a later scan starts to watch is unseen until its
// informer syncs (Unseen), which is how a Namespace delete judges it, so it
// need not stop every other decision meanwhile.
func (p *ProtectionScan) Synced() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.synced {
		return true
	}
	if !p.scanned {
		return false
	}
	for _, t := range p.tracked {
		if !t.synced() {
			return false
		}
	}
	p.synced = true
	return true
}

func (p *ProtectionScan) scan(ctx context.Context) {
	kinds, err := p.namespacedKinds()
	if err != nil {
		// Partial discovery (an aggregated API down) still names the kinds
		// it found; the rest are unseen until the next scan.
		p.Log.Error(err, "Discovery of namespaced kinds was incomplete")
	}
	var unseen []string
	for gvr, kind := range kinds {
		if ctx.Err() != nil {
			return // shutting down
		}
		if p.isTracked(gvr) {
			continue
		}
		ok, aerr := p.Access(ctx, gvr.GroupResource())
		if aerr != nil {
			p.Log.Error(aerr, "Could not ask whether Wavegate may list a kind", "resource", gvr.GroupResource().String())
		}
		if !ok {
			unseen = append(unseen, gvr.GroupResource().String())
			continue
		}
		p.track(ctx, gvr, kind)
	}
	var gone []string
	p.mu.Lock()
	for gvr, t := range p.tracked {
		if _, served := kinds[gvr]; !served && err == nil {
			t.stop()
			delete(p.tracked, gvr)
			gone = append(gone, t.kind)
		}
	}
	sort.Strings(unseen)
	p.unseen, p.scanned = unseen, true
	p.mu.Unlock()
	// The Index is locked only after p.mu is released: Index.Build calls
	// Unseen, which takes p.mu, while it holds the Index's lock.
	for _, kind := range gone {
		p.Index.ForgetProtected(kind)
	}
	p.Index.SetUnseen(p.Unseen)
}

// Unseen names the namespaced kinds whose protected objects Wavegate cannot
// know: those it may not list, and those whose informer has not synced yet.
func (p *ProtectionScan) Unseen() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := append([]string(nil), p.unseen...)
	for gvr, t := range p.tracked {
		if !t.synced() {
			out = append(out, gvr.GroupResource().String())
		}
	}
	sort.Strings(out)
	return out
}

// namespacedKinds are the served namespaced kinds, at their preferred
// version, that can be listed, watched and deleted, except the ungated ones.
func (p *ProtectionScan) namespacedKinds() (map[schema.GroupVersionResource]string, error) {
	lists, err := p.Discovery.ServerPreferredNamespacedResources()
	out := map[schema.GroupVersionResource]string{}
	for _, list := range lists {
		gv, perr := schema.ParseGroupVersion(list.GroupVersion)
		if perr != nil {
			continue
		}
		for _, r := range list.APIResources {
			gvr := gv.WithResource(r.Name)
			verbs := sets.New(r.Verbs...)
			if strings.Contains(r.Name, "/") || ungated[gvr.GroupResource()] || !verbs.HasAll("list", "watch", "delete") {
				continue
			}
			out[gvr] = r.Kind
		}
	}
	return out, err
}

func (p *ProtectionScan) isTracked(gvr schema.GroupVersionResource) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	_, ok := p.tracked[gvr]
	return ok
}

func (p *ProtectionScan) track(ctx context.Context, gvr schema.GroupVersionResource, kind string) {
	inf := metadatainformer.NewFilteredMetadataInformer(p.Metadata, gvr, metav1.NamespaceAll, 0, toolscache.Indexers{},
		func(o *metav1.ListOptions) { o.LabelSelector = selector }).Informer()
	if err := inf.SetTransform(slim(wavegatev1alpha1.LabelProtection)); err != nil {
		p.Log.Error(err, "Could not set the informer's transform", "resource", gvr.GroupResource().String())
		return
	}
	if _, err := inf.AddEventHandler(protectedHandler(kind, p.Index, p.ownersChanged)); err != nil {
		p.Log.Error(err, "Could not watch a kind for protected objects", "resource", gvr.GroupResource().String())
		return
	}
	ictx, cancel := context.WithCancel(ctx)
	go inf.Run(ictx.Done())
	p.mu.Lock()
	if p.tracked == nil {
		p.tracked = map[schema.GroupVersionResource]*trackedKind{}
	}
	p.tracked[gvr] = &trackedKind{kind: kind, stop: cancel, synced: inf.HasSynced}
	p.mu.Unlock()
}

func (p *ProtectionScan) stopAll() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, t := range p.tracked {
		t.stop()
	}
}

// slim is the transform of a metadata-only informer that feeds a fact: it
// keeps an object's identity and the labels named, and drops the rest
// before the informer stores it, but for its owner references (protection
// follows them). Annotations (a last-applied-configuration
// is often kilobytes) and managedFields are most of an object's metadata,
// and no fact reads them.
func slim(labels ...string) toolscache.TransformFunc {
	return func(o any) (any, error) {
		m, ok := o.(*metav1.PartialObjectMetadata)
		if !ok {
			return o, nil
		}
		out := &metav1.PartialObjectMetadata{TypeMeta: m.TypeMeta}
		out.Name, out.Namespace, out.UID, out.ResourceVersion = m.Name, m.Namespace, m.UID, m.ResourceVersion
		for _, ref := range m.OwnerReferences {
			out.OwnerReferences = append(out.OwnerReferences, metav1.OwnerReference{APIVersion: ref.APIVersion, Kind: ref.Kind, Name: ref.Name, UID: ref.UID})
		}
		for _, k := range labels {
			if v, ok := m.Labels[k]; ok {
				if out.Labels == nil {
					out.Labels = make(map[string]string, len(labels))
				}
				out.Labels[k] = v
			}
		}
		return out, nil
	}
}

// protectedHandler keeps the Index's protected objects; owned tells the
// scan that one has owners, whose own owners it then reads.
func protectedHandler(kind string, ix *Index, owned func()) toolscache.ResourceEventHandlerFuncs {
	set := func(o any, protected bool) {
		if tomb, ok := o.(toolscache.DeletedFinalStateUnknown); ok {
			o = tomb.Obj
		}
		m, ok := o.(*metav1.PartialObjectMetadata)
		if !ok || m.Namespace == "" {
			return
		}
		ix.SetProtected(m.Namespace, kind+" "+m.Namespace+"/"+m.Name, protected, string(m.UID), OwnerRefs(m.OwnerReferences)...)
		if protected && len(m.OwnerReferences) > 0 {
			owned()
		}
	}
	return toolscache.ResourceEventHandlerFuncs{
		AddFunc:    func(o any) { set(o, true) },
		UpdateFunc: func(_, o any) { set(o, true) },
		DeleteFunc: func(o any) { set(o, false) },
	}
}

// CountsAsProtected reports whether a wavegate.io/protection value protects
// an object from a human's delete: every value but deletable and untagged
// (""), so a typo such as Protected protects rather than exposes.
func CountsAsProtected(protection string) bool {
	return protection != "" && protection != wavegatev1alpha1.ProtectionDeletable
}
