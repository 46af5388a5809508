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
	"errors"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	wavegatev1alpha1 "github.com/wavegate/wavegate/api/v1alpha1"
)

// +kubebuilder:rbac:groups=wavegate.io,resources=regions;waveplans;configrollouts;freezes;automationpolicies,verbs=get;list;watch

// SetupValidators registers the typed validating webhooks for every Wavegate
// kind with the manager's webhook server.
//
// reader reads the inventory the objects are validated against: the hub's,
// for an agent (remote), whose unreachable hub does not stop a Freeze.
func SetupValidators(mgr ctrl.Manager, reader client.Reader, remote bool, now Clock) error {
	return errors.Join(
		ctrl.NewWebhookManagedBy(mgr, &wavegatev1alpha1.Region{}).
			WithValidator(NewRegionValidator(reader)).Complete(),
		ctrl.NewWebhookManagedBy(mgr, &wavegatev1alpha1.WavePlan{}).
			WithValidator(NewWavePlanValidator(reader)).Complete(),
		ctrl.NewWebhookManagedBy(mgr, &wavegatev1alpha1.ConfigRollout{}).
			WithValidator(NewConfigRolloutValidator(reader, AuthorizerMayPatch(mgr.GetClient(), mgr.GetRESTMapper()))).Complete(),
		ctrl.NewWebhookManagedBy(mgr, &wavegatev1alpha1.Freeze{}).
			WithValidator(NewFreezeValidator(reader, now, remote)).Complete(),
		ctrl.NewWebhookManagedBy(mgr, &wavegatev1alpha1.AutomationPolicy{}).
			WithValidator(NewAutomationPolicyValidator(reader)).Complete(),
	)
}
