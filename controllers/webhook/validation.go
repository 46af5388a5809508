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

	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	wavegatev1alpha1 "github.com/wavegate/wavegate/api/v1alpha1"
	"github.com/wavegate/wavegate/internal/regions"
)

// inventory is the set of Regions, by name.
type inventory map[string]*wavegatev1alpha1.Region

// loadInventory reads every Region.
func loadInventory(ctx context.Context, r client.Reader) (inventory, error) {
	list := &wavegatev1alpha1.RegionList{}
	if err := r.List(ctx, list); err != nil {
		return nil, undecidable("the region inventory", err)
	}
	inv := make(inventory, len(list.Items))
	for i := range list.Items {
		inv[list.Items[i].Name] = &list.Items[i]
	}
	return inv, nil
}

// pairs are the inventory's failover pairs (regions.Pairs: a pair declared
// on one side only still counts).
func (inv inventory) pairs() *regions.Pairs {
	list := make([]wavegatev1alpha1.Region, 0, len(inv))
	for _, r := range inv {
		list = append(list, *r)
	}
	return regions.NewPairs(list)
}

// unknownRegions returns an error for every region of list that is neither in
// the inventory nor, when wildcard is true, "*". Regions in keep (the old
// object's regions on update) are not judged again, so an object stays
// editable after a Region it names is removed.
func (inv inventory) unknownRegions(path *field.Path, list []string, keep []string, wildcard bool) field.ErrorList {
	kept := make(map[string]bool, len(keep))
	for _, r := range keep {
		kept[r] = true
	}
	var errs field.ErrorList
	for i, r := range list {
		if kept[r] || (wildcard && r == wavegatev1alpha1.AllRegions) {
			continue
		}
		if _, ok := inv[r]; !ok {
			errs = append(errs, field.Invalid(path.Index(i), r, unknownRegionMessage(r)))
		}
	}
	return errs
}

func unknownRegionMessage(region string) string {
	return fmt.Sprintf("region %s is not in the region inventory; create the Region first or fix the name (unknown is not safe)", region)
}

// undecidable is the error returned when a rule cannot be decided: the request
// is denied (fail closed) with a message that says what could not be read.
func undecidable(what string, err error) error {
	return apierrors.NewServiceUnavailable(fmt.Sprintf("wavegate could not read %s to validate this object: %v; retry", what, err))
}

// invalid turns a field.ErrorList into the API server's Invalid error, or nil.
func invalid(kind, name string, errs field.ErrorList) error {
	if len(errs) == 0 {
		return nil
	}
	return apierrors.NewInvalid(wavegatev1alpha1.GroupVersion.WithKind(kind).GroupKind(), name, errs)
}

// Clock tells the time; tests inject a fixed one.
type Clock func() time.Time

// specUnchanged reports whether an update leaves the spec alone (labels,
// annotations, finalizers). Such updates are always admitted, so an object
// stays manageable after something it refers to has gone.
func specUnchanged(old, updated any) bool {
	return equality.Semantic.DeepEqual(old, updated)
}

// validator adapts one validate(old, obj) function, where old is nil on
// create, to controller-runtime's typed admission.Validator. Updates that
// leave the spec alone are admitted, and deletes are never judged here: the
// typed webhooks guard what Wavegate's own objects say, not their removal.
type validator[T runtime.Object] struct {
	validate func(ctx context.Context, old, obj T) (admission.Warnings, error)
	spec     func(T) any
}

// ValidateCreate validates a new object.
func (v validator[T]) ValidateCreate(ctx context.Context, obj T) (admission.Warnings, error) {
	var none T
	return v.validate(ctx, none, obj)
}

// ValidateUpdate validates a changed object.
func (v validator[T]) ValidateUpdate(ctx context.Context, old, obj T) (admission.Warnings, error) {
	if specUnchanged(v.spec(old), v.spec(obj)) {
		return nil, nil
	}
	return v.validate(ctx, old, obj)
}

// ValidateDelete admits every delete.
func (v validator[T]) ValidateDelete(context.Context, T) (admission.Warnings, error) {
	return nil, nil
}
