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

// Package rollout holds the ConfigRollout reconciler: it moves a change wave
// by wave with bake time, and reports convergence as observed, never as
// assumed. All progress lives in status, so a restarted controller neither
// repeats nor skips a step.
package rollout

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"

	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/source"

	wavegatev1alpha1 "github.com/wavegate/wavegate/api/v1alpha1"
	"github.com/wavegate/wavegate/internal/access"
	"github.com/wavegate/wavegate/internal/clusters"
	"github.com/wavegate/wavegate/internal/health"
	"github.com/wavegate/wavegate/internal/metrics"
	"github.com/wavegate/wavegate/internal/regions"
)

// +kubebuilder:rbac:groups=wavegate.io,resources=configrollouts,verbs=get;list;watch
// +kubebuilder:rbac:groups=wavegate.io,resources=configrollouts/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=wavegate.io,resources=waveplans;regions;freezes,verbs=get;list;watch

// FieldManager owns the fields the controller patches on targets.
const FieldManager = "wavegate"

// Reconciler moves ConfigRollouts through their waves.
type Reconciler struct {
	// Reader reads through the manager's cache, targets of any kind included.
	Reader client.Reader
	// Live reads the API server, bypassing the cache: a step that patches
	// targets is taken only on the rollout as it is now (nil: no check).
	Live client.Reader
	// Client writes the rollout's status.
	Client client.Client
	// Patcher applies patches to targets as Wavegate's controller identity,
	// so they pass through the admission gate as the sanctioned path.
	Patcher  client.Client
	Recorder events.EventRecorder
	Now      func() time.Time
	// MaxRequeue bounds how long a rollout waits before it is looked at
	// again, even when nothing it watches changes.
	MaxRequeue time.Duration
	// RelistAfter is the least age of a target informer before a rollout
	// that selects objects it did not keep makes it list its kind again (a
	// list fetches every object of the kind); until then such a rollout
	// reads its targets from the API server. Zero: 10 s.
	RelistAfter time.Duration

	// Health reads health-check values; nil means no Prometheus is
	// configured, and every check is unknown (unhealthy).
	Health health.Source

	// MayTarget asks the API server whether Wavegate may get, list, watch
	// and patch a target kind; nil means it may.
	MayTarget access.Check

	// Clusters are the connections to regions that are clusters of their
	// own; nil: every region is in this cluster.
	Clusters *clusters.Registry

	// local is this cluster's target cache, which holds only what some
	// rollout selects (selection.go); SetupWithManager makes it.
	local *targetSource
	// regional: *clusters.Cluster to the *targetSource of that connection.
	regional  sync.Map
	selection *selection
	// watching: kindKey to struct{}, every target kind watched in a source.
	watching    sync.Map
	watchSource func(source.Source) error
}

// Reconcile fetches a rollout, gathers what it needs, takes one step,
// patches the regions the step chose, and writes the status that settles
// from it.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	ro := &wavegatev1alpha1.ConfigRollout{}
	if err := r.Reader.Get(ctx, req.NamespacedName, ro); err != nil {
		if apierrors.IsNotFound(err) {
			metrics.ForgetRollout(req.Name)
		}
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	before := ro.DeepCopy()
	w, err := r.gather(ctx, ro)
	if err != nil {
		return ctrl.Result{}, err
	}
	p := step(ro, w)
	results, wait, err := r.act(ctx, ro, w, p)
	if wait {
		return ctrl.Result{RequeueAfter: 100 * time.Millisecond}, err
	}
	// A Freeze that could not be created is retried; what was patched is
	// recorded first.
	freezeErr := err
	out := settle(ro, w, p, results)
	ro.Status = out.status
	// An unchanged status is not written: a thousand rollouts at rest cost
	// no API writes.
	// The write carries the resourceVersion it was computed from: a step
	// taken on a stale copy must not overwrite progress (an appliedAt) that
	// a newer step recorded. On a conflict, look again at once.
	// It is an update, not a merge patch: the status is this controller's
	// alone, and the API server then neither encodes the stored object nor
	// applies a patch to it, which is a quarter of its CPU when a Freeze
	// pauses a thousand rollouts (docs/benchmarks.md).
	if !equality.Semantic.DeepEqual(before.Status, ro.Status) {
		err := r.Client.Status().Update(ctx, ro)
		if apierrors.IsConflict(err) {
			return ctrl.Result{RequeueAfter: time.Millisecond}, nil
		}
		if err != nil {
			return ctrl.Result{}, fmt.Errorf("failed to write the status of ConfigRollout %s: %w", ro.Name, err)
		}
	}
	r.emit(ro, out.events)
	metrics.RecordRollout(ro)
	// A target deleted or changed while it was patched: look again at once,
	// with the controller's backoff.
	var retry []error
	for _, a := range results {
		if a.err != nil && retryAtOnce(a.err) {
			retry = append(retry, fmt.Errorf("failed to patch region %s: %w", a.region, a.err))
		}
	}
	if err := errors.Join(append(retry, freezeErr)...); err != nil {
		return ctrl.Result{}, err
	}
	return ctrl.Result{RequeueAfter: r.requeue(out.requeue)}, nil
}

// act carries out what the step chose: the patches of the regions to apply,
// the reverts, and the Freezes of regions that turned unhealthy. wait says
// to look again shortly without acting: a patch is a side effect that a
// failed status write cannot take back, and the cache may still hold the
// status from before our last write; a step taken on it would apply (and
// report) a region again.
func (r *Reconciler) act(ctx context.Context, ro *wavegatev1alpha1.ConfigRollout, w *world, p progress) ([]applied, bool, error) {
	if len(p.apply)+len(p.revert) > 0 {
		if stale, err := r.stale(ctx, ro); err != nil || stale {
			return nil, true, err
		}
	}
	results := r.applyRegions(ctx, ro, w, p.apply)
	results = append(results, r.revertRegions(ctx, ro, w, p.revert)...)
	// The Freeze goes before the status write: the gate then denies every
	// other change in the region even if that write fails.
	return results, false, r.freezeUnhealthy(ctx, ro, p.unhealthy)
}

// stale reports whether the API server holds a newer version of the rollout
// than the cache gave us.
func (r *Reconciler) stale(ctx context.Context, ro *wavegatev1alpha1.ConfigRollout) (bool, error) {
	if r.Live == nil {
		return false, nil
	}
	live := &metav1.PartialObjectMetadata{}
	live.SetGroupVersionKind(wavegatev1alpha1.GroupVersion.WithKind("ConfigRollout"))
	if err := r.Live.Get(ctx, client.ObjectKeyFromObject(ro), live); err != nil {
		return false, client.IgnoreNotFound(err)
	}
	return live.ResourceVersion != ro.ResourceVersion, nil
}

func (r *Reconciler) requeue(d time.Duration) time.Duration {
	if d <= 0 || d > r.MaxRequeue {
		return r.MaxRequeue
	}
	return d
}

// gather reads the plan, the Freezes in force, the dependencies and every
// region's targets.
func (r *Reconciler) gather(ctx context.Context, ro *wavegatev1alpha1.ConfigRollout) (*world, error) {
	w := &world{now: r.Now(), deps: map[string]*wavegatev1alpha1.ConfigRollout{}}
	plan := &wavegatev1alpha1.WavePlan{}
	switch err := r.Reader.Get(ctx, client.ObjectKey{Name: ro.Spec.PlanName()}, plan); {
	case apierrors.IsNotFound(err):
	case err != nil:
		return nil, err
	default:
		w.plan = plan
	}
	if err := r.gatherFreezesAndDeps(ctx, ro, w); err != nil {
		return nil, err
	}
	inventory := &wavegatev1alpha1.RegionList{}
	if err := r.Reader.List(ctx, inventory); err != nil {
		return nil, err
	}
	w.pairs = pairsOf(inventory.Items)
	// Targets are looked for here only if some region of the plan is in
	// this cluster: a hub whose regions are all clusters neither watches the
	// kind itself nor needs to serve it.
	targets := map[string][]*unstructured.Unstructured{}
	var unreadable *failure
	if !onlyClusters(w.plan, ro.Spec.SkipRegions, inventory.Items) {
		local, f, err := r.targets(ctx, ro)
		if err != nil {
			return nil, err
		}
		if local != nil {
			targets = local
		}
		unreadable = f
	}
	// Also when the local targets cannot be read: a revert must know which
	// regions are clusters, and reach them only through their own client.
	if regional := r.regionalTargets(ctx, ro, inventory.Items, w, targets); unreadable == nil {
		unreadable = regional
	}
	r.evaluate(ctx, ro, w)
	w.targets, w.unreadable = targets, unreadable
	w.observed = map[string]observed{}
	if w.plan != nil {
		for _, wave := range w.plan.Spec.Waves {
			for _, region := range wave.Regions {
				w.observed[region] = observeRegion(ro, targets[region])
			}
		}
	}
	return w, nil
}

// gatherFreezesAndDeps reads the Freezes in force (an expired one is over at
// once) and the rollouts of spec.dependsOn.
func (r *Reconciler) gatherFreezesAndDeps(ctx context.Context, ro *wavegatev1alpha1.ConfigRollout, w *world) error {
	freezes := &wavegatev1alpha1.FreezeList{}
	if err := r.Reader.List(ctx, freezes); err != nil {
		return err
	}
	for _, f := range freezes.Items {
		if f.ActiveAt(w.now) {
			w.freezes = append(w.freezes, f)
		}
	}
	for _, name := range ro.Spec.DependsOn {
		dep := &wavegatev1alpha1.ConfigRollout{}
		if err := r.Reader.Get(ctx, client.ObjectKey{Name: name}, dep); err == nil {
			w.deps[name] = dep
		} else if !apierrors.IsNotFound(err) {
			return err
		}
	}
	return nil
}

// pairsOf returns each region's failover pairs (regions.Pairs).
func pairsOf(list []wavegatev1alpha1.Region) func(string) []string {
	return regions.NewPairs(list).Of
}

// targets lists the rollout's target objects and groups them by region: the
// object's own region label, else its Namespace's. When the targets cannot
// be read because of the spec or the cluster (an invalid apiVersion or
// selector, a kind the cluster does not serve), it says why instead, with
// the API server's words.
func (r *Reconciler) targets(ctx context.Context, ro *wavegatev1alpha1.ConfigRollout) (map[string][]*unstructured.Unstructured, *failure, error) {
	gvk, opts, invalid := listOptions(ro)
	if invalid != nil {
		return nil, invalid, nil
	}
	// Asked before a watch starts: a watch on a kind that is not served
	// would retry in the background for as long as the manager runs.
	mapping, err := r.Client.RESTMapper().RESTMapping(gvk.GroupKind(), gvk.Version)
	if meta.IsNoMatchError(err) {
		return nil, &failure{permanent: true, reason: wavegatev1alpha1.ReasonKindNotServed,
			message: fmt.Sprintf("the cluster does not serve the target kind: %v; correct spec.target or install the kind", err)}, nil
	}
	if err != nil {
		return nil, nil, err
	}
	// Asked before a watch starts too: an informer on a kind Wavegate may
	// not list would never sync, and the rollout would wait silently.
	if f, err := r.permitted(ctx, mapping.Resource.GroupResource()); f != nil || err != nil {
		return nil, f, err
	}
	readCtx, cancel := context.WithTimeout(ctx, targetReadTimeout)
	defer cancel()
	items, err := r.read(readCtx, kindKey{r.local, gvk}, ro, opts)
	if err != nil {
		return nil, nil, fmt.Errorf("failed to list %s targets: %w", gvk.Kind, err)
	}
	targets, err := r.byRegion(ctx, ro, items)
	return targets, nil, err
}

// permitted says why the rollout is blocked when Wavegate may not read and
// patch the target kind, or nil.
func (r *Reconciler) permitted(ctx context.Context, gr schema.GroupResource) (*failure, error) {
	if r.MayTarget == nil {
		return nil, nil
	}
	ok, err := r.MayTarget(ctx, gr)
	if err != nil || ok {
		return nil, err
	}
	return &failure{reason: wavegatev1alpha1.ReasonTargetNotPermitted,
		message: fmt.Sprintf("Wavegate may not get, list, watch and patch %s; add them to a ClusterRole labelled wavegate.io/aggregate-to-rollout-targets=true (docs/security.md)", gr)}, nil
}

// listOptions reads spec.target: the kind of the targets and how to select
// them, or why they cannot be selected.
func listOptions(ro *wavegatev1alpha1.ConfigRollout) (schema.GroupVersionKind, []client.ListOption, *failure) {
	gvk, err := targetGVK(ro)
	if err != nil {
		return gvk, nil, &failure{permanent: true, reason: wavegatev1alpha1.ReasonInvalidTarget, message: err.Error()}
	}
	var opts []client.ListOption
	if sel := ro.Spec.Target.Selector; sel != nil {
		s, err := metav1.LabelSelectorAsSelector(sel)
		if err != nil {
			return gvk, nil, &failure{permanent: true, reason: wavegatev1alpha1.ReasonInvalidTarget, message: fmt.Sprintf("invalid spec.target.selector: %v", err)}
		}
		opts = append(opts, client.MatchingLabelsSelector{Selector: s})
	}
	return gvk, opts, nil
}

// byRegion groups targets by region (regions.Of: the object's own region
// label, else its Namespace's). Objects in no region are not targets.
func (r *Reconciler) byRegion(ctx context.Context, ro *wavegatev1alpha1.ConfigRollout, items []unstructured.Unstructured) (map[string][]*unstructured.Unstructured, error) {
	out := map[string][]*unstructured.Unstructured{}
	namespaces := namespaceLabels{reader: r.Reader, seen: map[string]map[string]string{}}
	for i := range items {
		t := &items[i]
		if name := ro.Spec.Target.Name; name != "" && t.GetName() != name {
			continue
		}
		region, err := namespaces.regionOf(ctx, t)
		if err != nil {
			return nil, err
		}
		if region != "" {
			out[region] = append(out[region], t)
		}
	}
	return out, nil
}

// namespaceLabels reads Namespaces' labels through reader, each once.
type namespaceLabels struct {
	reader client.Reader
	seen   map[string]map[string]string
}

// regionOf is the region an object names: its own region label, else its
// Namespace's (regions.Of); "" when neither names one.
func (n namespaceLabels) regionOf(ctx context.Context, t *unstructured.Unstructured) (string, error) {
	if own := regions.Label(t.GetLabels()); own != "" || t.GetNamespace() == "" {
		return own, nil
	}
	labels, ok := n.seen[t.GetNamespace()]
	if !ok {
		ns := regions.Namespace()
		if err := n.reader.Get(ctx, client.ObjectKey{Name: t.GetNamespace()}, ns); err != nil && !apierrors.IsNotFound(err) {
			return "", err
		}
		labels = ns.Labels
		n.seen[t.GetNamespace()] = labels
	}
	return regions.Of(t.GetLabels(), labels), nil
}

func targetGVK(ro *wavegatev1alpha1.ConfigRollout) (schema.GroupVersionKind, error) {
	gv, err := schema.ParseGroupVersion(ro.Spec.Target.APIVersion)
	if err != nil {
		return schema.GroupVersionKind{}, fmt.Errorf("invalid spec.target.apiVersion %q: %w", ro.Spec.Target.APIVersion, err)
	}
	return gv.WithKind(ro.Spec.Target.Kind), nil
}

// scheme is the scheme of the client, which decides which target kinds are
// cached typed.
func (r *Reconciler) scheme() *runtime.Scheme {
	if r.Client == nil {
		return nil
	}
	return r.Client.Scheme()
}

// ensureWatch starts watching a target kind in a source the first time a
// rollout names it there: a pin added to a target, or a workload that
// finishes its rollout, moves the rollout at once.
func (r *Reconciler) ensureWatch(k kindKey) error {
	if _, loaded := r.watching.LoadOrStore(k, struct{}{}); loaded || r.watchSource == nil {
		return nil
	}
	if err := r.watchSource(k.src.watch(source.Kind(k.src.cache, targetObject(r.scheme(), k.gvk), handler.EnqueueRequestsFromMapFunc(r.rolloutsOf(k.gvk))))); err != nil {
		r.watching.Delete(k)
		return fmt.Errorf("failed to watch %s: %w", k.gvk, err)
	}
	return nil
}

// applyRegions patches every target of each region the step chose, as the
// controller identity, and says for each region whether every patch was
// accepted. A region whose patch fails does not stop the others.
func (r *Reconciler) applyRegions(ctx context.Context, ro *wavegatev1alpha1.ConfigRollout, w *world, regions []string) []applied {
	out := make([]applied, 0, len(regions))
	for _, region := range regions {
		a := applied{region: region}
		for _, t := range w.targets[region] {
			// The controller identity is exempt from multi-region (it is the
			// sanctioned path for one region at a time), so it must never be
			// the path for an object that configures several regions at once.
			if v, ok := t.GetAnnotations()[wavegatev1alpha1.AnnotationRegions]; ok {
				a.err = &multiRegionTarget{ref: t.GetKind() + " " + refOf(t), regions: v}
				break
			}
			patch := client.RawPatch(types.MergePatchType, ro.Spec.Patch.Raw)
			obj := &unstructured.Unstructured{}
			obj.SetGroupVersionKind(t.GroupVersionKind())
			obj.SetNamespace(t.GetNamespace())
			obj.SetName(t.GetName())
			// What the patch replaces is recorded first, for a Revert.
			var rep apiextensionsv1.JSON
			if ro.Spec.OnUnhealthy == wavegatev1alpha1.UnhealthyRevert {
				var err error
				if rep, err = replacedBy(t, ro.Spec.Patch.Raw); err != nil {
					a.err = fmt.Errorf("%s %s: %w", t.GetKind(), refOf(t), err)
					break
				}
			}
			patcher, err := w.patcherFor(region, r.Patcher)
			if err == nil {
				err = patcher.Patch(ctx, obj, patch, client.FieldOwner(FieldManager))
			}
			if err != nil {
				// The region is not applied; the next step patches it again.
				a.err = fmt.Errorf("%s %s: %w", t.GetKind(), refOf(t), err)
				break
			}
			if rep.Raw != nil {
				a.replaced = append(a.replaced, wavegatev1alpha1.Replaced{Target: t.GetKind() + " " + refOf(t), Patch: rep})
			}
		}
		out = append(out, a)
	}
	return out
}

// multiRegionTarget: a target is annotated wavegate.io/regions; the
// controller refuses to patch it.
type multiRegionTarget struct{ ref, regions string }

func (e *multiRegionTarget) Error() string {
	return fmt.Sprintf("%s is annotated %s=%s", e.ref, wavegatev1alpha1.AnnotationRegions, e.regions)
}

func (r *Reconciler) emit(ro *wavegatev1alpha1.ConfigRollout, evs []event) {
	for _, e := range evs {
		r.Recorder.Eventf(ro, nil, e.kind, e.reason, "Reconcile", "%s", e.msg)
	}
}

// selectorMatches is used by the target watch to find rollouts of an object.
func selectorMatches(ro *wavegatev1alpha1.ConfigRollout, obj client.Object) bool {
	t := ro.Spec.Target
	if t.Namespace != "" && t.Namespace != obj.GetNamespace() {
		return false
	}
	if t.Name != "" {
		return t.Name == obj.GetName()
	}
	sel, err := metav1.LabelSelectorAsSelector(t.Selector)
	return err == nil && sel.Matches(labels.Set(obj.GetLabels()))
}
