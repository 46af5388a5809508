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

// Package freeze holds the Freeze reconciler. The gate enforces a Freeze on
// its own (it checks expiresAt itself); this controller keeps the Freeze's
// status current for people and tools: whether it is active, since when, and
// how many rollouts it pauses. It expires a Freeze at exactly expiresAt: from
// then on the Freeze is neither active nor Ready.
package freeze

import (
	"context"
	"fmt"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	"k8s.io/client-go/util/workqueue"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	ctrlevent "sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	wavegatev1alpha1 "github.com/wavegate/wavegate/api/v1alpha1"
	"github.com/wavegate/wavegate/internal/metrics"
)

// +kubebuilder:rbac:groups=wavegate.io,resources=freezes,verbs=get;list;watch
// +kubebuilder:rbac:groups=wavegate.io,resources=freezes/status,verbs=get;update;patch

const indexPausedBy = "status.pausedBy"

// Reconciler keeps Freeze status current.
type Reconciler struct {
	Reader   client.Reader
	Client   client.Client
	Recorder events.EventRecorder
	Now      func() time.Time
	// MaxRequeue bounds the wait for expiresAt, so an injected clock is read again.
	MaxRequeue time.Duration
}

// Reconcile computes a Freeze's status.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	frz := &wavegatev1alpha1.Freeze{}
	if err := r.Reader.Get(ctx, req.NamespacedName, frz); err != nil {
		if apierrors.IsNotFound(err) {
			metrics.FreezeActive.DeleteLabelValues(req.Name)
		}
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	paused := &wavegatev1alpha1.ConfigRolloutList{}
	if err := r.Reader.List(ctx, paused, client.MatchingFields{indexPausedBy: frz.Name}); err != nil {
		return ctrl.Result{}, err
	}
	before := frz.DeepCopy()
	st, requeue := status(frz, r.Now(), len(paused.Items))
	frz.Status = st
	if !equality.Semantic.DeepEqual(before.Status, frz.Status) {
		if err := r.Client.Status().Patch(ctx, frz, client.MergeFrom(before)); err != nil {
			// Deleted since the cache gave it: ended, nothing to report.
			if apierrors.IsNotFound(err) {
				return ctrl.Result{}, nil
			}
			return ctrl.Result{}, fmt.Errorf("failed to patch the status of Freeze %s: %w", frz.Name, err)
		}
	}
	for _, e := range transitions(frz, before.Status) {
		r.Recorder.Eventf(frz, nil, e.kind, e.reason, e.action, "%s", e.msg)
	}
	value := 0.0
	if st.Active {
		value = 1
	}
	metrics.FreezeActive.WithLabelValues(frz.Name).Set(value)
	if requeue > 0 {
		// At expiresAt the Freeze turns inactive and not Ready.
		return ctrl.Result{RequeueAfter: min(requeue, r.MaxRequeue)}, nil
	}
	return ctrl.Result{}, nil
}

// legacyActive is the condition that said what Ready says now; it is
// removed from Freezes that still carry it.
const legacyActive = "Active"

// status returns a Freeze's status at now. Ready is True while the Freeze is
// in force and False, with reason Expired, once expiresAt has passed. While
// it is active and will expire, status also says how long until it does.
func status(frz *wavegatev1alpha1.Freeze, now time.Time, pausedRollouts int) (wavegatev1alpha1.FreezeStatus, time.Duration) {
	st := *frz.Status.DeepCopy()
	active := frz.ActiveAt(now)
	st.ObservedGeneration = frz.Generation
	st.Active = active
	st.PausedRollouts = int32(pausedRollouts) //nolint:gosec // a count of objects
	ready := metav1.Condition{Type: wavegatev1alpha1.ConditionReady, ObservedGeneration: frz.Generation, LastTransitionTime: metav1.Time{Time: now}}
	if active {
		if st.Since == nil {
			st.Since = &metav1.Time{Time: now}
		}
		ready.Status, ready.Reason = metav1.ConditionTrue, wavegatev1alpha1.ReasonInForce
		ready.Message = fmt.Sprintf("%s frozen: %s; %d rollouts paused", regions(frz), frz.Spec.Reason, pausedRollouts)
	} else {
		ready.Status, ready.Reason = metav1.ConditionFalse, wavegatev1alpha1.ReasonExpired
		ready.Message = fmt.Sprintf("expired at %s; it stops nothing any more", frz.Spec.ExpiresAt.UTC().Format(time.RFC3339))
	}
	meta.SetStatusCondition(&st.Conditions, ready)
	meta.RemoveStatusCondition(&st.Conditions, legacyActive)
	if active && frz.Spec.ExpiresAt != nil {
		return st, frz.Spec.ExpiresAt.Sub(now)
	}
	return st, 0
}

// event is a Kubernetes Event to emit for a transition.
type event struct {
	kind, reason, action, msg string
}

// transitions are the Events of a Freeze whose status was prev and is now
// frz.Status: it started, or it ended.
func transitions(frz *wavegatev1alpha1.Freeze, prev wavegatev1alpha1.FreezeStatus) []event {
	switch {
	case frz.Status.Active && !prev.Active && prev.Since == nil:
		return []event{{corev1.EventTypeWarning, wavegatev1alpha1.EventFreezeStarted, "Freeze",
			fmt.Sprintf("Freeze of %s started: %s", regions(frz), frz.Spec.Reason)}}
	case !frz.Status.Active && prev.Active:
		return []event{{corev1.EventTypeNormal, wavegatev1alpha1.EventFreezeEnded, "Expire",
			fmt.Sprintf("Freeze of %s ended: expiresAt %s passed", regions(frz), frz.Spec.ExpiresAt.UTC().Format(time.RFC3339))}}
	}
	return nil
}

func regions(frz *wavegatev1alpha1.Freeze) string {
	if wavegatev1alpha1.IsAllRegions(frz.Spec.Regions) {
		return "every region"
	}
	return fmt.Sprintf("%v", frz.Spec.Regions)
}

// SetupWithManager registers the reconciler; a rollout that a Freeze pauses
// or releases updates that Freeze's count.
func (r *Reconciler) SetupWithManager(ctx context.Context, mgr ctrl.Manager) error {
	if err := mgr.GetFieldIndexer().IndexField(ctx, &wavegatev1alpha1.ConfigRollout{}, indexPausedBy, func(o client.Object) []string {
		if by := o.(*wavegatev1alpha1.ConfigRollout).Status.PausedBy; by != "" {
			return []string{by}
		}
		return nil
	}); err != nil {
		return err
	}
	return ctrl.NewControllerManagedBy(mgr).
		// A Freeze's own status writes need no second look: while a
		// thousand rollouts pause, each write would start another recount,
		// and another write, outside the recount interval.
		For(&wavegatev1alpha1.Freeze{}, builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Watches(&wavegatev1alpha1.ConfigRollout{}, &recountPausing{every: recountEvery, last: map[string]time.Time{}}).
		Complete(r)
}

// recountEvery bounds how often one Freeze is recounted while its rollouts
// pause: a Freeze of a region with a thousand rollouts would otherwise be
// recounted, and its status written, for nearly every one of them, and those
// writes compete with the rollouts' own.
const recountEvery = 250 * time.Millisecond

// recountPausing enqueues the Freezes whose count a rollout change may move:
// the one that paused it before and the one that pauses it now. A Freeze is
// recounted at most once per interval: the first change at once (`wavegate
// pause` reports the count as soon as it settles), and the changes that come
// within the interval after a recount in one recount at its end.
type recountPausing struct {
	every time.Duration
	mu    sync.Mutex
	last  map[string]time.Time // Freeze -> its latest recount, done or scheduled
}

var _ handler.EventHandler = &recountPausing{}

func (h *recountPausing) Create(_ context.Context, e ctrlevent.CreateEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
	h.add(q, pausedBy(e.Object))
}

func (h *recountPausing) Update(_ context.Context, e ctrlevent.UpdateEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
	if before, after := pausedBy(e.ObjectOld), pausedBy(e.ObjectNew); before != after {
		h.add(q, before)
		h.add(q, after)
	}
}

func (h *recountPausing) Delete(_ context.Context, e ctrlevent.DeleteEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
	h.add(q, pausedBy(e.Object))
}

func (h *recountPausing) Generic(_ context.Context, e ctrlevent.GenericEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
	h.add(q, pausedBy(e.Object))
}

func (h *recountPausing) add(q workqueue.TypedRateLimitingInterface[reconcile.Request], freeze string) {
	if freeze == "" {
		return
	}
	if after, ok := h.when(freeze, time.Now()); ok {
		q.AddAfter(reconcile.Request{NamespacedName: types.NamespacedName{Name: freeze}}, after)
	}
}

// when says how long after now a change to a rollout of freeze should
// recount it, and false when a recount is already scheduled after now.
func (h *recountPausing) when(freeze string, now time.Time) (time.Duration, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	// Forget intervals that have ended, so deleted Freezes do not pile up.
	for name, t := range h.last {
		if !now.Before(t.Add(h.every)) {
			delete(h.last, name)
		}
	}
	last, recent := h.last[freeze]
	switch {
	case !recent:
		h.last[freeze] = now
		return 0, true
	case last.After(now):
		return 0, false
	default:
		at := last.Add(h.every)
		h.last[freeze] = at
		return at.Sub(now), true
	}
}

// pausedBy is the Freeze that pauses a rollout, or "".
func pausedBy(o client.Object) string {
	if ro, ok := o.(*wavegatev1alpha1.ConfigRollout); ok {
		return ro.Status.PausedBy
	}
	return ""
}
