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

	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	wavegatev1alpha1 "github.com/wavegate/wavegate/api/v1alpha1"
	"github.com/wavegate/wavegate/internal/health"
)

// +kubebuilder:webhook:path=/validate-wavegate-io-v1alpha1-waveplan,mutating=false,failurePolicy=fail,sideEffects=None,groups=wavegate.io,resources=waveplans,verbs=create;update,versions=v1alpha1,name=vwaveplan.wavegate.io,admissionReviewVersions=v1,timeoutSeconds=5

// wavePlanValidator checks a plan's regions against the inventory: every
// region known, in one wave only, and never in the same wave as its pair.
// Wave names, empty waves, bake times and wave sizes are checked by CEL.
type wavePlanValidator struct {
	reader client.Reader
}

// NewWavePlanValidator returns the validator of the WavePlan webhook.
func NewWavePlanValidator(reader client.Reader) admission.Validator[*wavegatev1alpha1.WavePlan] {
	v := &wavePlanValidator{reader: reader}
	return validator[*wavegatev1alpha1.WavePlan]{validate: v.validate, spec: func(o *wavegatev1alpha1.WavePlan) any { return o.Spec }}
}

// validate judges the whole plan on every change: a plan is only as good as
// its worst wave, and plans are small.
func (v *wavePlanValidator) validate(ctx context.Context, _, wp *wavegatev1alpha1.WavePlan) (admission.Warnings, error) {
	inv, err := loadInventory(ctx, v.reader)
	if err != nil {
		return nil, err
	}
	errs := validateWaves(inv, wp.Spec.Waves)
	errs = append(errs, health.Validate(field.NewPath("spec", "healthChecks"), wp.Spec.HealthChecks)...)
	return nil, invalid("WavePlan", wp.Name, errs)
}

// validateWaves is the pure part of WavePlan validation.
func validateWaves(inv inventory, waves []wavegatev1alpha1.Wave) field.ErrorList {
	var errs field.ErrorList
	waveOf := map[string]string{}
	pairs := inv.pairs()
	for i, w := range waves {
		regionsPath := field.NewPath("spec", "waves").Index(i).Child("regions")
		errs = append(errs, inv.unknownRegions(regionsPath, w.Regions, nil, false)...)
		for j, r := range w.Regions {
			if prev, dup := waveOf[r]; dup && prev != w.Name {
				errs = append(errs, field.Invalid(regionsPath.Index(j), r,
					fmt.Sprintf("region %s is already in wave %s; a region belongs to exactly one wave, so remove it from one of them", r, prev)))
			}
			waveOf[r] = w.Name
			for _, earlier := range w.Regions[:j] {
				if pairs.Paired(r, earlier) {
					errs = append(errs, field.Invalid(regionsPath.Index(j), r,
						fmt.Sprintf("regions %s and %s are a failover pair and may not share wave %s; move one of them to another wave", earlier, r, w.Name)))
				}
			}
		}
	}
	return errs
}
