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

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	wavegatev1alpha1 "github.com/wavegate/wavegate/api/v1alpha1"
)

// +kubebuilder:webhook:path=/validate-wavegate-io-v1alpha1-region,mutating=false,failurePolicy=fail,sideEffects=None,groups=wavegate.io,resources=regions,verbs=create;update,versions=v1alpha1,name=vregion.wavegate.io,admissionReviewVersions=v1,timeoutSeconds=5

// regionValidator checks a Region's name and that its failover pair is not
// paired with a third region; a pair that does not exist yet, or does not
// name the region back yet, is admitted with a warning.
type regionValidator struct {
	reader client.Reader
}

// NewRegionValidator returns the validator of the Region webhook.
func NewRegionValidator(reader client.Reader) admission.Validator[*wavegatev1alpha1.Region] {
	v := &regionValidator{reader: reader}
	return validator[*wavegatev1alpha1.Region]{validate: v.validate, spec: func(o *wavegatev1alpha1.Region) any { return o.Spec }}
}

func (v *regionValidator) validate(ctx context.Context, old, rg *wavegatev1alpha1.Region) (admission.Warnings, error) {
	// CEL cannot attach an error to metadata.name, so the name is checked here.
	if msgs := validation.IsDNS1123Label(rg.Name); len(msgs) > 0 {
		return nil, invalid("Region", rg.Name, field.ErrorList{field.Invalid(field.NewPath("metadata", "name"), rg.Name,
			"must be a DNS label (lowercase letters, digits and '-', at most 63 characters) because it is the value of the wavegate.io/region label")})
	}
	var warnings admission.Warnings
	if old != nil && old.Spec.PairedRegion != "" && old.Spec.PairedRegion != rg.Spec.PairedRegion {
		warnings = append(warnings, fmt.Sprintf("Region %s may still name %s as its pair; update its spec.pairedRegion", old.Spec.PairedRegion, rg.Name))
	}
	pairName := rg.Spec.PairedRegion
	if pairName == "" || (old != nil && old.Spec.PairedRegion == pairName) {
		return warnings, nil
	}

	path := field.NewPath("spec", "pairedRegion")
	pair := &wavegatev1alpha1.Region{}
	err := v.reader.Get(ctx, client.ObjectKey{Name: pairName}, pair)
	switch {
	case apierrors.IsNotFound(err):
		// Two Regions that name each other apply in one kubectl apply, in any
		// order (SPEC §3): the first is admitted with a warning, shown as
		// PairPending in its status, and counts as paired meanwhile.
		return append(warnings, fmt.Sprintf("Region %s does not exist yet; create it with spec.pairedRegion %s. Until then Region %s is not Ready (PairPending), and the two already count as a failover pair for every safety rule", pairName, rg.Name, rg.Name)), nil
	case err != nil:
		return warnings, undecidable("Region "+pairName, err)
	}

	switch pair.Spec.PairedRegion {
	case rg.Name:
	case "":
		warnings = append(warnings, fmt.Sprintf("Region %s does not name %s back as its pair yet; set its spec.pairedRegion to %s", pairName, rg.Name, rg.Name))
	default:
		return warnings, invalid("Region", rg.Name, field.ErrorList{field.Invalid(path, pairName,
			fmt.Sprintf("Region %s is already paired with %s; a region has one failover pair, so unpair them first", pairName, pair.Spec.PairedRegion))})
	}
	return warnings, nil
}
