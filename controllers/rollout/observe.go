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
	"encoding/json"
	"fmt"
	"reflect"

	jsonpatch "github.com/evanphx/json-patch/v5"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	wavegatev1alpha1 "github.com/wavegate/wavegate/api/v1alpha1"
)

// observed is what the controller saw of one region's targets.
type observed struct {
	// missing: no target object in the region.
	missing bool
	// pinned holds "version (reason)" per pinned target; a pinned target is
	// never patched.
	pinned    bool
	pinnedAt  string
	pinReason string
	converged bool
	version   string
	// why says what is not converged yet.
	why string
}

// workloads are the kinds whose rollout is observed through their status.
var workloads = map[string]bool{"apps/Deployment": true, "apps/StatefulSet": true, "apps/DaemonSet": true}

// observeRegion judges the targets of one region against the rollout.
func observeRegion(ro *wavegatev1alpha1.ConfigRollout, targets []*unstructured.Unstructured) observed {
	if len(targets) == 0 {
		return observed{missing: true, why: "no target object found"}
	}
	o := observed{converged: true}
	for _, t := range targets {
		if pin := t.GetAnnotations()[wavegatev1alpha1.AnnotationPinnedVersion]; pin != "" && pin != ro.Spec.Version {
			o.pinned, o.pinnedAt, o.pinReason = true, pin, t.GetAnnotations()[wavegatev1alpha1.AnnotationPinReason]
			o.version, o.converged = pin, false
			continue
		}
		version, ok, why := converged(ro, t)
		if o.version == "" || !ok {
			o.version = version
		}
		if !ok && o.converged {
			o.converged, o.why = false, fmt.Sprintf("%s %s: %s", t.GetKind(), refOf(t), why)
		}
	}
	return o
}

func refOf(t *unstructured.Unstructured) string {
	if t.GetNamespace() == "" {
		return t.GetName()
	}
	return t.GetNamespace() + "/" + t.GetName()
}

// converged reports whether one target is observed at spec.version: for
// workloads, the pod template's version label and a finished rollout; for
// anything else, the object's version label and a patch that would change
// nothing if applied again.
func converged(ro *wavegatev1alpha1.ConfigRollout, t *unstructured.Unstructured) (version string, ok bool, why string) {
	gk := t.GroupVersionKind().Group + "/" + t.GetKind()
	if workloads[gk] {
		version, _, _ = unstructured.NestedString(t.Object, "spec", "template", "metadata", "labels", wavegatev1alpha1.LabelVersion)
		if version != ro.Spec.Version {
			return version, false, fmt.Sprintf("pod template runs version %q, want %q", version, ro.Spec.Version)
		}
		if done, why := workloadRolledOut(t); !done {
			return version, false, why
		}
		return version, true, ""
	}
	version = t.GetLabels()[wavegatev1alpha1.LabelVersion]
	if version != ro.Spec.Version {
		return version, false, fmt.Sprintf("runs version %q, want %q", version, ro.Spec.Version)
	}
	if changes, err := patchWouldChange(t, ro.Spec.Patch.Raw); err != nil || changes {
		return version, false, "the patch is not fully applied"
	}
	return version, true, ""
}

// workloadRolledOut reads a Deployment's, StatefulSet's or DaemonSet's status.
func workloadRolledOut(t *unstructured.Unstructured) (bool, string) {
	gen := t.GetGeneration()
	observedGen, _, _ := unstructured.NestedInt64(t.Object, "status", "observedGeneration")
	if observedGen < gen {
		return false, fmt.Sprintf("observedGeneration %d is behind generation %d", observedGen, gen)
	}
	status := func(f string) int64 { v, _, _ := unstructured.NestedInt64(t.Object, "status", f); return v }
	if t.GetKind() == "DaemonSet" {
		want := status("desiredNumberScheduled")
		if status("updatedNumberScheduled") != want || status("numberAvailable") != want {
			return false, fmt.Sprintf("%d of %d pods updated, %d available", status("updatedNumberScheduled"), want, status("numberAvailable"))
		}
		return true, ""
	}
	want, found, _ := unstructured.NestedInt64(t.Object, "spec", "replicas")
	if !found {
		want = 1
	}
	if status("updatedReplicas") != want || status("availableReplicas") != want || status("replicas") != want {
		return false, fmt.Sprintf("%d of %d replicas updated, %d available, %d in total", status("updatedReplicas"), want, status("availableReplicas"), status("replicas"))
	}
	return true, ""
}

// patchWouldChange reports whether applying the merge patch again would
// change the object.
func patchWouldChange(t *unstructured.Unstructured, patch []byte) (bool, error) {
	doc, err := json.Marshal(t.Object)
	if err != nil {
		return false, err
	}
	merged, err := jsonpatch.MergePatch(doc, patch)
	if err != nil {
		return false, err
	}
	var before, after map[string]any
	if err := json.Unmarshal(doc, &before); err != nil {
		return false, err
	}
	if err := json.Unmarshal(merged, &after); err != nil {
		return false, err
	}
	return !reflect.DeepEqual(before, after), nil
}
