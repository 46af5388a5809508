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

package webhook

import (
	"context"
	"fmt"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"

	wavegatev1alpha1 "github.com/wavegate/wavegate/api/v1alpha1"
	"github.com/wavegate/wavegate/internal/gate/webhookconfig"
)

// +kubebuilder:rbac:groups=admissionregistration.k8s.io,resources=validatingwebhookconfigurations,verbs=get;list;watch
// +kubebuilder:rbac:groups=admissionregistration.k8s.io,resources=validatingwebhookconfigurations,verbs=update,resourceNames=wavegate-gate

// AutomationIdentities keeps the delete-automation entry of the gate's
// webhook configuration naming exactly the identities of the
// AutomationPolicies, so the API server sends the gate a delete of an object
// that names no region only when delete automation makes it. It runs on the
// elected leader and writes only the configuration it is given by name.
//
// Until its first write the entry matches every delete (the generated
// configuration says "true"), and when every replica is down the entry keeps
// the identities it last wrote: automation stays gated, and fails closed.
type AutomationIdentities struct {
	// Reader reads AutomationPolicies and the configuration (a cache).
	Reader client.Reader
	// Client writes the configuration.
	Client client.Client
	// Name is the gate's ValidatingWebhookConfiguration.
	Name string
	// Policies, for an agent, is the hub's cache, where the
	// AutomationPolicies are; nil: Reader.
	Policies cache.Cache
}

// SetupWithManager watches AutomationPolicies and the gate's configuration,
// so a configuration applied again (an upgrade) is brought up to date too.
func (r *AutomationIdentities) SetupWithManager(mgr ctrl.Manager) error {
	name := r.Name
	only := handler.EnqueueRequestsFromMapFunc(func(context.Context, client.Object) []reconcile.Request {
		return []reconcile.Request{{NamespacedName: types.NamespacedName{Name: name}}}
	})
	b := ctrl.NewControllerManagedBy(mgr).
		Named("gate-automation-identities").
		For(&admissionregistrationv1.ValidatingWebhookConfiguration{},
			builder.WithPredicates(predicate.NewPredicateFuncs(func(o client.Object) bool { return o.GetName() == name })))
	if r.Policies != nil {
		b = b.WatchesRawSource(source.Kind(r.Policies, client.Object(&wavegatev1alpha1.AutomationPolicy{}), only))
	} else {
		b = b.Watches(&wavegatev1alpha1.AutomationPolicy{}, only)
	}
	return b.Complete(r)
}

func (r *AutomationIdentities) policies() client.Reader {
	if r.Policies != nil {
		return r.Policies
	}
	return r.Reader
}

// Reconcile writes the identities of every AutomationPolicy into the
// configuration's delete-automation entry when they differ.
func (r *AutomationIdentities) Reconcile(ctx context.Context, _ ctrl.Request) (ctrl.Result, error) {
	list := &wavegatev1alpha1.AutomationPolicyList{}
	if err := r.policies().List(ctx, list); err != nil {
		return ctrl.Result{}, fmt.Errorf("failed to list AutomationPolicies: %w", err)
	}
	policies := make([]*wavegatev1alpha1.AutomationPolicy, len(list.Items))
	for i := range list.Items {
		policies[i] = &list.Items[i]
	}
	cached := &admissionregistrationv1.ValidatingWebhookConfiguration{}
	if err := r.Reader.Get(ctx, client.ObjectKey{Name: r.Name}, cached); err != nil {
		if apierrors.IsNotFound(err) {
			// Nothing to keep current; its creation triggers this again.
			ctrl.LoggerFrom(ctx).Info("The gate's webhook configuration does not exist", "name", r.Name)
			return ctrl.Result{}, nil
		}
		return ctrl.Result{}, err
	}
	cfg := cached.DeepCopy()
	if !webhookconfig.SetAutomation(cfg, webhookconfig.AutomationOf(policies)) {
		return ctrl.Result{}, nil
	}
	// An update based on the version read: a concurrent writer (the
	// certificate rotator) makes it fail and this runs again.
	if err := r.Client.Update(ctx, cfg); err != nil {
		return ctrl.Result{}, fmt.Errorf("failed to update the delete-automation identities of %s: %w", r.Name, err)
	}
	ctrl.LoggerFrom(ctx).Info("Updated the delete-automation identities of the gate", "name", r.Name, "policies", len(policies))
	return ctrl.Result{}, nil
}
