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
package rollout

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	wavegatev1alpha1 "github.com/wavegate/wavegate/api/v1alpha1"
	"github.com/wavegate/wavegate/internal/health"
	"github.com/wavegate/wavegate/internal/metrics"
)

// +kubebuilder:rbac:groups=wavegate.io,resources=freezes,verbs=create

// unhealthyFreezeTTL is how long a Freeze made by freezeOnUnhealthy lasts.
const unhealthyFreezeTTL = 24 * time.Hour

// evaluate reads, for every region of the current wave this revision
// applied, each health check that is due: its interval has passed, or the
// wave's bake has ended since it was last read (the evaluation before the
// next wave). A halted rollout is not evaluated any more.
func (r *Reconciler) evaluate(ctx context.Context, ro *wavegatev1alpha1.ConfigRollout, w *world) {
	w.checks = checksOf(ro, w.plan)
	due := dueChecks(ro, w)
	if len(due) == 0 {
		return
	}
	source := r.Health
	if source == nil {
		source = health.Unconfigured{}
	}
	w.health = map[string]map[string]health.Verdict{}
	for region, checks := range due {
		w.health[region] = map[string]health.Verdict{}
		for _, c := range checks {
			v := evaluateOne(ctx, source, c, region)
			w.health[region][c.Name] = v
			if f, err := strconv.ParseFloat(v.Value, 64); err == nil {
				metrics.RolloutHealthValue.WithLabelValues(ro.Name, region, c.Name).Set(f)
			}
		}
	}
}

func evaluateOne(ctx context.Context, source health.Source, c wavegatev1alpha1.HealthCheck, region string) health.Verdict {
	q, err := health.Query(c, region)
	if err != nil {
		return health.Judge(c, 0, err)
	}
	v, err := source.Value(ctx, q)
	return health.Judge(c, v, err)
}

// dueChecks lists, per region, the checks to evaluate now.
func dueChecks(ro *wavegatev1alpha1.ConfigRollout, w *world) map[string][]wavegatev1alpha1.HealthCheck {
	st := ro.Status
	if len(w.checks) == 0 || w.plan == nil || st.Revision != revision(ro) {
		return nil
	}
	idx := 0
	if st.CurrentWaveIndex != nil {
		idx = int(*st.CurrentWaveIndex)
	}
	waves := rolloutWaves(ro, w.plan)
	if idx >= len(waves) {
		return nil
	}
	if halted(st) {
		return nil
	}
	out := map[string][]wavegatev1alpha1.HealthCheck{}
	for _, region := range waves[idx] {
		rs := regionIn(st.Regions, region)
		if rs == nil || rs.AppliedAt == nil || rs.State == wavegatev1alpha1.RegionSkipped {
			continue
		}
		for _, c := range w.checks {
			if due(c, healthOf(rs, c.Name), st.BakeUntil, w.now) {
				out[region] = append(out[region], c)
			}
		}
	}
	return out
}

// due: the check was never read in the region, its interval has passed, or
// the bake ended after it was last read.
func due(c wavegatev1alpha1.HealthCheck, h *wavegatev1alpha1.HealthStatus, bakeUntil *metav1.Time, now time.Time) bool {
	if h == nil || h.LastEvaluated == nil || now.Sub(h.LastEvaluated.Time) >= c.IntervalOrDefault() {
		return true
	}
	return bakeUntil != nil && !now.Before(bakeUntil.Time) && h.LastEvaluated.Time.Before(bakeUntil.Time)
}

// regionIn returns the status entry of a region, or nil.
func regionIn(regions []wavegatev1alpha1.RolloutRegionStatus, region string) *wavegatev1alpha1.RolloutRegionStatus {
	for i := range regions {
		if regions[i].Name == region {
			return &regions[i]
		}
	}
	return nil
}

func healthOf(rs *wavegatev1alpha1.RolloutRegionStatus, name string) *wavegatev1alpha1.HealthStatus {
	for i := range rs.Health {
		if rs.Health[i].Name == name {
			return &rs.Health[i]
		}
	}
	return nil
}

// revertRegions restores, in each region, what the rollout's patch replaced,
// as the controller identity. The patch is marked wavegate.io/revert-of so
// the gate lets it through a Freeze that allows reverts.
func (r *Reconciler) revertRegions(ctx context.Context, ro *wavegatev1alpha1.ConfigRollout, w *world, regions []string) []applied {
	out := make([]applied, 0, len(regions))
	for _, region := range regions {
		a := applied{region: region, revert: true}
		rs := regionIn(ro.Status.Regions, region)
		for _, rep := range rs.Replaced {
			patcher, err := w.patcherFor(region, r.Patcher)
			if err == nil {
				err = r.revertTarget(ctx, patcher, ro, rep)
			}
			if err != nil {
				a.err = fmt.Errorf("revert of %s: %w", rep.Target, err)
				break
			}
		}
		out = append(out, a)
	}
	return out
}

func (r *Reconciler) revertTarget(ctx context.Context, patcher client.Client, ro *wavegatev1alpha1.ConfigRollout, rep wavegatev1alpha1.Replaced) error {
	var patch map[string]any
	if err := json.Unmarshal(rep.Patch.Raw, &patch); err != nil {
		return err
	}
	meta, _ := patch["metadata"].(map[string]any)
	if meta == nil {
		meta = map[string]any{}
	}
	annotations, _ := meta["annotations"].(map[string]any)
	if annotations == nil {
		annotations = map[string]any{}
	}
	annotations[wavegatev1alpha1.AnnotationRevertOf] = ro.Name
	meta["annotations"], patch["metadata"] = annotations, meta
	raw, err := json.Marshal(patch)
	if err != nil {
		return err
	}
	gvk, err := targetGVK(ro)
	if err != nil {
		return err
	}
	obj := &unstructured.Unstructured{}
	obj.SetGroupVersionKind(gvk)
	ns, name := splitRef(rep.Target)
	obj.SetNamespace(ns)
	obj.SetName(name)
	return patcher.Patch(ctx, obj, client.RawPatch(types.MergePatchType, raw), client.FieldOwner(FieldManager))
}

// splitRef reads "namespace/name" (or "name") out of "Kind namespace/name".
func splitRef(target string) (namespace, name string) {
	_, ref, _ := strings.Cut(target, " ")
	if i := strings.LastIndex(ref, "/"); i >= 0 {
		return ref[:i], ref[i+1:]
	}
	return "", ref
}

// freezeUnhealthy creates, for each region that turned unhealthy, a Freeze
// of that region (freezeOnUnhealthy), so every other change stops there
// too. It allows reverts, so a Revert still restores the region.
func (r *Reconciler) freezeUnhealthy(ctx context.Context, ro *wavegatev1alpha1.ConfigRollout, regions []unhealthyRegion) error {
	if !ro.Spec.FreezeOnUnhealthy {
		return nil
	}
	for _, u := range regions {
		f := &wavegatev1alpha1.Freeze{
			ObjectMeta: metav1.ObjectMeta{
				Name:   freezeName(ro.Name, u.region),
				Labels: map[string]string{wavegatev1alpha1.LabelRollout: ro.Name},
			},
			Spec: wavegatev1alpha1.FreezeSpec{
				Regions:      []string{u.region},
				Reason:       fmt.Sprintf("ConfigRollout %s: health check %s in region %s: %s", ro.Name, u.check, u.region, u.why),
				ExpiresAt:    &metav1.Time{Time: r.Now().Add(unhealthyFreezeTTL)},
				AllowReverts: true,
			},
		}
		if len(f.Spec.Reason) > 1024 {
			f.Spec.Reason = f.Spec.Reason[:1024]
		}
		if err := r.Client.Create(ctx, f); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("failed to freeze unhealthy region %s: %w", u.region, err)
		}
	}
	return nil
}

// freezeName is "unhealthy-<rollout>-<region>", within a name's 253 bytes.
func freezeName(rollout, region string) string {
	name := "unhealthy-" + rollout + "-" + region
	if len(name) > 253 {
		name = name[:253]
	}
	return name
}
