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
// how many rollouts it pauses. It expires a Freeze at exactly expiresAt.
package freeze

import (
	"context"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/handler"

	wavegatev1alpha1 "github.com/wavegate/wavegate/api/v1alpha1"
	"github.com/wavegate/wavegate/internal/enqueue"
	"github.com/wavegate/wavegate/internal/metrics"
)

// +kubebuilder:rbac:groups=wavegate.io,resources=freezes,verbs=get;list;watch
// +kubebuilder:rbac:groups=wavegate.io,resources=freezes/status,verbs=get;update;patch

// Condition reasons of a Freeze.
const (
	// ReasonInForce: the Freeze is active.
	ReasonInForce = "InForce"
	// ReasonExpired: expiresAt has passed.
	ReasonExpired = "Expired"
)

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
	now := r.Now()
	active, requeue := status(frz, now, len(paused.Items))
	if !equality.Semantic.DeepEqual(before.Status, frz.Status) {
		if err := r.Client.Status().Patch(ctx, frz, client.MergeFrom(before)); err != nil {
			return ctrl.Result{}, fmt.Errorf("failed to patch the status of Freeze %s: %w", frz.Name, err)
		}
	}
	switch {
	case active && !before.Status.Active && before.Status.Since == nil:
		r.Recorder.Eventf(frz, nil, "Warning", "FreezeStarted", "Freeze", "Freeze of %s started: %s", regions(frz), frz.Spec.Reason)
	case !active && before.Status.Active:
		r.Recorder.Eventf(frz, nil, "Normal", "FreezeEnded", "Expire", "Freeze of %s ended: expiresAt %s passed", regions(frz), frz.Spec.ExpiresAt.UTC().Format(time.RFC3339))
	}
	value := 0.0
	if active {
		value = 1
	}
	metrics.FreezeActive.WithLabelValues(frz.Name).Set(value)
	if requeue > 0 {
		return ctrl.Result{RequeueAfter: min(requeue, r.MaxRequeue)}, nil
	}
	return ctrl.Result{}, nil
}

// status sets a Freeze's status at now; it returns whether the Freeze is
// active and, while it is and will expire, how long until it does.
func status(frz *wavegatev1alpha1.Freeze, now time.Time, pausedRollouts int) (bool, time.Duration) {
	active := frz.Spec.ExpiresAt == nil || now.Before(frz.Spec.ExpiresAt.Time)
	st := &frz.Status
	st.ObservedGeneration = frz.Generation
	st.Active = active
	st.PausedRollouts = int32(pausedRollouts) //nolint:gosec // a count of objects
	cond := metav1.Condition{Type: wavegatev1alpha1.ConditionActive, ObservedGeneration: frz.Generation}
	if active {
		if st.Since == nil {
			st.Since = &metav1.Time{Time: now}
		}
		cond.Status, cond.Reason = metav1.ConditionTrue, ReasonInForce
		cond.Message = fmt.Sprintf("%s frozen: %s; %d rollouts paused", regions(frz), frz.Spec.Reason, pausedRollouts)
	} else {
		cond.Status, cond.Reason = metav1.ConditionFalse, ReasonExpired
		cond.Message = fmt.Sprintf("expired at %s", frz.Spec.ExpiresAt.UTC().Format(time.RFC3339))
	}
	meta.SetStatusCondition(&st.Conditions, cond)
	meta.SetStatusCondition(&st.Conditions, metav1.Condition{
		Type: wavegatev1alpha1.ConditionReady, Status: metav1.ConditionTrue, Reason: cond.Reason, Message: cond.Message, ObservedGeneration: frz.Generation,
	})
	if active && frz.Spec.ExpiresAt != nil {
		return true, frz.Spec.ExpiresAt.Sub(now)
	}
	return active, 0
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
		For(&wavegatev1alpha1.Freeze{}).
		// A rollout paused or released by any Freeze changes that Freeze's count.
		Watches(&wavegatev1alpha1.ConfigRollout{}, handler.EnqueueRequestsFromMapFunc(
			enqueue.All(r.Reader, func() client.ObjectList { return &wavegatev1alpha1.FreezeList{} }))).
		Complete(r)
}
