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

	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	wavegatev1alpha1 "github.com/wavegate/wavegate/api/v1alpha1"
)

// +kubebuilder:webhook:path=/validate-wavegate-io-v1alpha1-automationpolicy,mutating=false,failurePolicy=fail,sideEffects=None,groups=wavegate.io,resources=automationpolicies,verbs=create;update,versions=v1alpha1,name=vautomationpolicy.wavegate.io,admissionReviewVersions=v1,timeoutSeconds=5

// automationPolicyValidator checks that a policy's scope names known regions
// (or "*"). That it names at least one identity is checked by CEL.
type automationPolicyValidator struct {
	reader client.Reader
}

// NewAutomationPolicyValidator returns the validator of the AutomationPolicy webhook.
func NewAutomationPolicyValidator(reader client.Reader) admission.Validator[*wavegatev1alpha1.AutomationPolicy] {
	v := &automationPolicyValidator{reader: reader}
	return validator[*wavegatev1alpha1.AutomationPolicy]{validate: v.validate, spec: func(o *wavegatev1alpha1.AutomationPolicy) any { return o.Spec }}
}

func (v *automationPolicyValidator) validate(ctx context.Context, old, ap *wavegatev1alpha1.AutomationPolicy) (admission.Warnings, error) {
	inv, err := loadInventory(ctx, v.reader)
	if err != nil {
		return nil, err
	}
	var oldRegions []string
	if old != nil {
		oldRegions = old.Spec.Scope.Regions
	}
	path := field.NewPath("spec", "scope", "regions")
	return nil, invalid("AutomationPolicy", ap.Name, inv.unknownRegions(path, ap.Spec.Scope.Regions, oldRegions, true))
}
