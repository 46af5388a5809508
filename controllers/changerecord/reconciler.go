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

package changerecord

import (
	"context"
	"fmt"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	wavegatev1alpha1 "github.com/wavegate/wavegate/api/v1alpha1"
)

// +kubebuilder:rbac:groups=wavegate.io,resources=changerecords,verbs=get;list;watch;delete

// Reconciler deletes ChangeRecords whose newest entry is older than Retention.
type Reconciler struct {
	Reader    client.Reader
	Client    client.Client
	Now       func() time.Time
	Retention time.Duration
	// MaxRequeue bounds the wait, so an injected clock is read again.
	MaxRequeue time.Duration
}

// Reconcile deletes one record once it has expired, or waits until it does.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	rec := &wavegatev1alpha1.ChangeRecord{}
	if err := r.Reader.Get(ctx, req.NamespacedName, rec); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	left := remaining(rec, r.Now(), r.Retention)
	if left > 0 {
		return ctrl.Result{RequeueAfter: min(left, r.MaxRequeue)}, nil
	}
	// The precondition keeps a record that a webhook replica has just
	// extended: the delete then fails and the record is looked at again.
	err := r.Client.Delete(ctx, rec, client.Preconditions{ResourceVersion: &rec.ResourceVersion})
	switch {
	case apierrors.IsConflict(err):
		return ctrl.Result{RequeueAfter: time.Second}, nil
	case err != nil && !apierrors.IsNotFound(err):
		return ctrl.Result{}, fmt.Errorf("failed to delete ChangeRecord %s: %w", rec.Name, err)
	}
	ctrl.LoggerFrom(ctx).V(1).Info("Deleted an expired change record", "record", rec.Name)
	return ctrl.Result{}, nil
}

// remaining is how long a record is still kept: retention after its newest
// entry (or its creation, when it has none).
func remaining(rec *wavegatev1alpha1.ChangeRecord, now time.Time, retention time.Duration) time.Duration {
	newest := rec.CreationTimestamp.Time
	for _, e := range rec.Spec.Entries {
		if e.At.After(newest) {
			newest = e.At.Time
		}
	}
	return newest.Add(retention).Sub(now)
}

// SetupWithManager registers the reconciler.
func (r *Reconciler) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).For(&wavegatev1alpha1.ChangeRecord{}).Complete(r)
}
