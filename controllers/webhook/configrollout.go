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
	"strings"

	authenticationv1 "k8s.io/api/authentication/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	wavegatev1alpha1 "github.com/wavegate/wavegate/api/v1alpha1"
	"github.com/wavegate/wavegate/internal/access"
	"github.com/wavegate/wavegate/internal/health"
)

// +kubebuilder:webhook:path=/validate-wavegate-io-v1alpha1-configrollout,mutating=false,failurePolicy=fail,sideEffects=None,groups=wavegate.io,resources=configrollouts,verbs=create;update,versions=v1alpha1,name=vconfigrollout.wavegate.io,admissionReviewVersions=v1,timeoutSeconds=5

// configRolloutValidator checks a rollout against its plan and the other
// rollouts: the plan exists, regions and skipRegions are in the plan, and
// dependsOn forms no cycle. Exactly one of target name/selector, a non-empty
// patch and dependsOn not naming the rollout itself are checked by CEL.
type configRolloutValidator struct {
	reader   client.Reader
	mayPatch MayPatch
}

// MayPatch asks the API server whether user may patch resource gvk in
// namespace ("" for every namespace).
type MayPatch func(ctx context.Context, user authenticationv1.UserInfo, gvk schema.GroupVersionKind, namespace string) (access.Decision, error)

// AuthorizerMayPatch answers MayPatch with a SubjectAccessReview, mapping
// the kind to its resource with mapper.
func AuthorizerMayPatch(c client.Client, mapper meta.RESTMapper) MayPatch {
	return func(ctx context.Context, user authenticationv1.UserInfo, gvk schema.GroupVersionKind, namespace string) (access.Decision, error) {
		var gr schema.GroupResource
		m, err := mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
		switch {
		case meta.IsNoMatchError(err):
			// A kind not served yet is admitted (the controller reports it
			// and waits), so ask about the resource it will most likely be
			// served as: only someone who may patch that resource passes.
			plural, _ := meta.UnsafeGuessKindToResource(gvk)
			gr = plural.GroupResource()
		case err != nil:
			return access.Decision{}, err
		default:
			gr = m.Resource.GroupResource()
		}
		return access.UserMay(ctx, c, user, "patch", gr, namespace)
	}
}

// NewConfigRolloutValidator returns the validator of the ConfigRollout
// webhook. mayPatch checks that the author may patch the targets (no
// confused deputy: the controller patches with its own identity); nil skips
// that check, for tests of the other rules only.
func NewConfigRolloutValidator(reader client.Reader, mayPatch MayPatch) admission.Validator[*wavegatev1alpha1.ConfigRollout] {
	v := &configRolloutValidator{reader: reader, mayPatch: mayPatch}
	return validator[*wavegatev1alpha1.ConfigRollout]{validate: v.validate, spec: func(o *wavegatev1alpha1.ConfigRollout) any { return o.Spec }}
}

func (v *configRolloutValidator) validate(ctx context.Context, _, cro *wavegatev1alpha1.ConfigRollout) (admission.Warnings, error) {
	errs, err := v.validatePlan(ctx, cro)
	if err != nil {
		return nil, err
	}
	errs = append(errs, health.Validate(field.NewPath("spec", "healthChecks"), cro.Spec.HealthChecks)...)
	var warnings admission.Warnings
	if len(cro.Spec.DependsOn) > 0 {
		list := &wavegatev1alpha1.ConfigRolloutList{}
		if err := v.reader.List(ctx, list); err != nil {
			return nil, undecidable("the ConfigRollouts named in spec.dependsOn", err)
		}
		graph := dependencyGraph(list.Items)
		graph[cro.Name] = cro.Spec.DependsOn
		for i, dep := range cro.Spec.DependsOn {
			if _, ok := graph[dep]; !ok {
				warnings = append(warnings, fmt.Sprintf("ConfigRollout %s does not exist yet; this rollout waits until it exists and has converged", dep))
			}
			if cycle := findCycle(graph, cro.Name, dep); cycle != nil {
				errs = append(errs, field.Invalid(field.NewPath("spec", "dependsOn").Index(i), dep,
					fmt.Sprintf("depending on %s forms a cycle (%s); remove one of these dependencies", dep, strings.Join(cycle, " -> "))))
			}
		}
	}
	if err := invalid("ConfigRollout", cro.Name, errs); err != nil {
		return warnings, err
	}
	return warnings, v.authorAuthorized(ctx, cro)
}

// authorAuthorized denies a rollout whose author may not patch its targets
// themselves: the controller patches them with its own identity, and would
// otherwise lend its permissions to anyone who may create a ConfigRollout.
func (v *configRolloutValidator) authorAuthorized(ctx context.Context, cro *wavegatev1alpha1.ConfigRollout) error {
	if v.mayPatch == nil {
		return nil
	}
	req, err := admission.RequestFromContext(ctx)
	if err != nil {
		return undecidable("the author of this request", err)
	}
	gvk := schema.FromAPIVersionAndKind(cro.Spec.Target.APIVersion, cro.Spec.Target.Kind)
	where := "in every namespace"
	if ns := cro.Spec.Target.Namespace; ns != "" {
		where = "in namespace " + ns
	}
	d, err := v.mayPatch(ctx, req.UserInfo, gvk, cro.Spec.Target.Namespace)
	switch {
	case err != nil:
		return undecidable("whether "+req.UserInfo.Username+" may patch the targets", err)
	case !d.Allowed:
		return apierrors.NewForbidden(wavegatev1alpha1.GroupVersion.WithResource("configrollouts").GroupResource(), cro.Name,
			fmt.Errorf("%s may not patch %s objects %s, so may not roll a change out to them: the controller would patch them on your behalf; "+
				"ask for patch on them, or have someone who may patch them create the rollout", req.UserInfo.Username, gvk.Kind, where))
	}
	return nil
}

// validatePlan checks that the plan exists and holds every region the rollout names.
func (v *configRolloutValidator) validatePlan(ctx context.Context, cro *wavegatev1alpha1.ConfigRollout) (field.ErrorList, error) {
	planName := cro.Spec.PlanName()
	plan := &wavegatev1alpha1.WavePlan{}
	err := v.reader.Get(ctx, client.ObjectKey{Name: planName}, plan)
	switch {
	case apierrors.IsNotFound(err):
		return field.ErrorList{field.Invalid(field.NewPath("spec", "planRef"), planName,
			fmt.Sprintf("WavePlan %s does not exist; create it or name an existing plan", planName))}, nil
	case err != nil:
		return nil, undecidable("WavePlan "+planName, err)
	}

	inPlan := map[string]bool{}
	for _, w := range plan.Spec.Waves {
		for _, r := range w.Regions {
			inPlan[r] = true
		}
	}
	notInPlan := func(path *field.Path, region string) *field.Error {
		return field.Invalid(path, region, fmt.Sprintf("region %s is not in WavePlan %s; add it to a wave of the plan or remove it here", region, planName))
	}
	var errs field.ErrorList
	for i, r := range cro.Spec.Regions {
		if !inPlan[r] {
			errs = append(errs, notInPlan(field.NewPath("spec", "regions").Index(i), r))
		}
	}
	for i, s := range cro.Spec.SkipRegions {
		if !inPlan[s.Name] {
			errs = append(errs, notInPlan(field.NewPath("spec", "skipRegions").Index(i).Child("name"), s.Name))
		}
	}
	return errs, nil
}

// dependencyGraph maps each rollout to the rollouts it depends on.
func dependencyGraph(rollouts []wavegatev1alpha1.ConfigRollout) map[string][]string {
	graph := make(map[string][]string, len(rollouts))
	for _, r := range rollouts {
		graph[r.Name] = r.Spec.DependsOn
	}
	return graph
}

// findCycle returns the path from to back to from if the edge from -> to closes
// a cycle, as [from, to, ..., from], or nil.
func findCycle(graph map[string][]string, from, to string) []string {
	visited := map[string]bool{}
	var walk func(node string, path []string) []string
	walk = func(node string, path []string) []string {
		path = append(path, node)
		if node == from {
			return path
		}
		if visited[node] {
			return nil
		}
		visited[node] = true
		for _, next := range graph[node] {
			if found := walk(next, path); found != nil {
				return found
			}
		}
		return nil
	}
	if found := walk(to, nil); found != nil {
		return append([]string{from}, found...)
	}
	return nil
}
