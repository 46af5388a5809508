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

// The emergency switch must work while every replica is down (docs/spec.md section
// 8): every rule local to a Freeze is OpenAPI or CEL in its CRD, which the API
// server enforces by itself, so this webhook fails open. It adds only what the
// CRD cannot say: expiresAt in the future, and regions in the inventory.
// +kubebuilder:webhook:path=/validate-wavegate-io-v1alpha1-freeze,mutating=false,failurePolicy=ignore,sideEffects=None,groups=wavegate.io,resources=freezes,verbs=create;update,versions=v1alpha1,name=vfreeze.wavegate.io,admissionReviewVersions=v1,timeoutSeconds=5

// freezeValidator checks that a Freeze names known regions (or "*") and
// expires in the future.
type freezeValidator struct {
	reader client.Reader
	now    Clock
	// remote: the inventory is read from a hub that may be unreachable (an
	// agent). A Freeze only ever stops changes, so one is then admitted
	// with a warning rather than refused: pausing must work in an outage.
	remote bool
}

// NewFreezeValidator returns the validator of the Freeze webhook. With
// remote, the inventory is a hub's, and a Freeze whose regions cannot be
// checked against it is admitted with a warning.
func NewFreezeValidator(reader client.Reader, now Clock, remote bool) admission.Validator[*wavegatev1alpha1.Freeze] {
	v := &freezeValidator{reader: reader, now: now, remote: remote}
	return validator[*wavegatev1alpha1.Freeze]{validate: v.validate, spec: func(o *wavegatev1alpha1.Freeze) any { return o.Spec }}
}

func (v *freezeValidator) validate(ctx context.Context, old, frz *wavegatev1alpha1.Freeze) (admission.Warnings, error) {
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
		if now := v.now(); !exp.After(now) {
			errs = append(errs, field.Invalid(field.NewPath("spec", "expiresAt"), exp.UTC().Format(time.RFC3339),
				fmt.Sprintf("must be in the future (now is %s); to end a freeze, delete it", now.UTC().Format(time.RFC3339))))
		}
	}
	// A freeze of every region needs no inventory, so the emergency stop works
	// even when the inventory cannot be read.
	if !wavegatev1alpha1.IsAllRegions(frz.Spec.Regions) {
		inv, err := loadInventory(ctx, v.reader)
		if err != nil && v.remote {
			return admission.Warnings{fmt.Sprintf("the regions of Freeze %s were not checked: %v; it applies to the regions it names", frz.Name, err)},
				invalid("Freeze", frz.Name, errs)
		}
		if err != nil {
			return nil, err
		}
		errs = append(errs, inv.unknownRegions(field.NewPath("spec", "regions"), frz.Spec.Regions, oldRegions, true)...)
	}
	return nil, invalid("Freeze", frz.Name, errs)
}
