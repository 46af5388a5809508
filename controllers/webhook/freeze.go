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
	"time"

	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	wavegatev1alpha1 "github.com/wavegate/wavegate/api/v1alpha1"
)

// +kubebuilder:webhook:path=/validate-wavegate-io-v1alpha1-freeze,mutating=false,failurePolicy=fail,sideEffects=None,groups=wavegate.io,resources=freezes,verbs=create;update,versions=v1alpha1,name=vfreeze.wavegate.io,admissionReviewVersions=v1,timeoutSeconds=5

// FreezeValidator checks that a Freeze names known regions (or "*") and
// expires in the future.
type FreezeValidator struct {
	Reader client.Reader
	Now    Clock
}

var _ admission.Validator[*wavegatev1alpha1.Freeze] = &FreezeValidator{}

// ValidateCreate validates a new Freeze.
func (v *FreezeValidator) ValidateCreate(ctx context.Context, frz *wavegatev1alpha1.Freeze) (admission.Warnings, error) {
	return nil, v.validate(ctx, nil, frz)
}

// ValidateUpdate validates a changed Freeze.
func (v *FreezeValidator) ValidateUpdate(ctx context.Context, old, frz *wavegatev1alpha1.Freeze) (admission.Warnings, error) {
	if specUnchanged(old.Spec, frz.Spec) {
		return nil, nil
	}
	return nil, v.validate(ctx, old, frz)
}

// ValidateDelete admits every delete: deleting a Freeze ends it.
func (v *FreezeValidator) ValidateDelete(context.Context, *wavegatev1alpha1.Freeze) (admission.Warnings, error) {
	return nil, nil
}

func (v *FreezeValidator) validate(ctx context.Context, old, frz *wavegatev1alpha1.Freeze) error {
	var errs field.ErrorList
	var oldRegions []string
	var oldExpiry *time.Time
	if old != nil {
		oldRegions = old.Spec.Regions
		if old.Spec.ExpiresAt != nil {
			oldExpiry = &old.Spec.ExpiresAt.Time
		}
	}
	if exp := frz.Spec.ExpiresAt; exp != nil && (oldExpiry == nil || !oldExpiry.Equal(exp.Time)) {
		if now := v.Now(); !exp.After(now) {
			errs = append(errs, field.Invalid(field.NewPath("spec", "expiresAt"), exp.UTC().Format(time.RFC3339),
				fmt.Sprintf("must be in the future (now is %s); to end a freeze, delete it", now.UTC().Format(time.RFC3339))))
		}
	}
	// A freeze of every region needs no inventory, so the emergency stop works
	// even when the inventory cannot be read.
	if !wavegatev1alpha1.IsAllRegions(frz.Spec.Regions) {
		inv, err := loadInventory(ctx, v.Reader)
		if err != nil {
			return err
		}
		errs = append(errs, inv.unknownRegions(field.NewPath("spec", "regions"), frz.Spec.Regions, oldRegions, true)...)
	}
	return invalid("Freeze", frz.Name, errs)
}
