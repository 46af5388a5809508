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

package histories

import (
	"flag"
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"pgregory.net/rapid"

	wavegatev1alpha1 "github.com/wavegate/wavegate/api/v1alpha1"
	"github.com/wavegate/wavegate/internal/gate/facts"
)

// TestAdmittedHistoriesKeepThePromise generates adversarial histories: the
// same payload under fresh change-ids, changes started at either end of the
// waves, region labels that disagree with their Namespace's, Namespaces
// relabelled, owner references, Freezes created and ended, time through
// bakes, and every kind of identity. Whatever the gate admits must keep
// §11, as the independent checker reads it.
func TestAdmittedHistoriesKeepThePromise(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		w := newWorld(t)
		t.Repeat(map[string]func(*rapid.T){
			"apply":      w.apply,
			"delete":     w.delete,
			"relabel":    w.relabel,
			"freeze":     w.freeze,
			"thaw":       w.thaw,
			"wait":       w.wait,
			"kubernetes": w.kubernetesTraffic,
			"":           w.holds,
		})
	})
}

// TestAChangeThatFollowsThePlanIsAdmitted is the other side: a change
// entered first in the plan's first wave, then wave by wave after each
// bake, with no Freeze, is never denied, and neither is Kubernetes' own
// traffic between its steps.
func TestAChangeThatFollowsThePlanIsAdmitted(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		w := newWorld(t)
		rounds := rapid.IntRange(1, 2).Draw(t, "rounds")
		for round := range rounds {
			payload := rapid.StringMatching(`[a-z]{1,8}`).Draw(t, "payload") + fmt.Sprint(round)
			id := rapid.SampledFrom([]string{"", fmt.Sprintf("release-%d", round)}).Draw(t, "change-id")
			binary := rapid.Bool().Draw(t, "binaryData")
			for _, wave := range waves {
				entered := rapid.SliceOfNDistinct(rapid.SampledFrom(wave.regions), 1, len(wave.regions), rapid.ID[string]).Draw(t, "regions of "+wave.name)
				for _, r := range entered {
					w.now = w.now.Add(rapid.SampledFrom([]time.Duration{0, time.Minute, 20 * time.Minute}).Draw(t, "gap"))
					w.kubernetesTraffic(t)
					var annotations map[string]string
					if id != "" {
						annotations = map[string]string{wavegatev1alpha1.AnnotationChangeID: id}
					}
					r := request{who: human, verb: w.verbFor(namespaceOf(r), "settings"),
						object: configMap(namespaceOf(r), "settings", nil, annotations, payload, binary)}
					if !w.send(t, r) {
						t.Fatalf("a change that follows the plan was denied:\n  %s", joinHistory(w.history))
					}
				}
				w.now = w.now.Add(wave.bake + rapid.SampledFrom([]time.Duration{0, time.Minute, 2 * time.Hour}).Draw(t, "past the bake"))
			}
		}
		w.holds(t)
	})
}

func joinHistory(h []string) string { return strings.Join(h, "\n  ") }

var (
	// Kubernetes' own controllers write what kubernetesTraffic writes, not
	// arbitrary regional objects: nothing judges or records their writes.
	who          = rapid.SampledFrom([]identity{human, human, automation, breakGlass, controller})
	names        = rapid.SampledFrom([]string{"settings", "keys"})
	payloads     = rapid.SampledFrom([]string{"v1", "v2", "", "v1"})
	changeIDs    = rapid.SampledFrom([]string{"", "", "chg-1", "chg-2"})
	protections  = rapid.SampledFrom([]string{"", wavegatev1alpha1.ProtectionProtected, wavegatev1alpha1.ProtectionDeletable})
	regionLabels = rapid.SampledFrom(append([]string{"", "", ""}, regions...))
)

// apply creates or updates a ConfigMap somewhere, as someone.
func (w *world) apply(t *rapid.T) {
	ns := rapid.SampledFrom(w.namespaceNames()).Draw(t, "namespace")
	name := names.Draw(t, "name")
	labels := map[string]string{}
	if r := regionLabels.Draw(t, "region label"); r != "" {
		labels[wavegatev1alpha1.LabelRegion] = r
	}
	if p := protections.Draw(t, "protection"); p != "" {
		labels[wavegatev1alpha1.LabelProtection] = p
	}
	var annotations map[string]string
	if id := changeIDs.Draw(t, "change-id"); id != "" {
		annotations = map[string]string{wavegatev1alpha1.AnnotationChangeID: id}
	}
	obj := configMap(ns, name, labels, annotations, payloads.Draw(t, "payload"), rapid.Bool().Draw(t, "binaryData"))
	w.identify(obj)
	if owners := w.uidsIn(ns, obj.GetUID()); len(owners) > 0 && rapid.Bool().Draw(t, "owned") {
		uid := rapid.SampledFrom(owners).Draw(t, "owner")
		obj.SetOwnerReferences([]metav1.OwnerReference{{APIVersion: "v1", Kind: "ConfigMap", Name: "owner", UID: types.UID(uid)}})
	}
	w.send(t, request{who: who.Draw(t, "who"), verb: w.verbFor(ns, name), object: obj})
}

// delete removes a stored object.
func (w *world) delete(t *rapid.T) {
	keys := w.objectKeys()
	if len(keys) == 0 {
		t.Skip("nothing to delete")
	}
	obj := w.objects[rapid.SampledFrom(keys).Draw(t, "object")]
	by := who.Draw(t, "who")
	labels := obj.GetLabels()
	regional := labels[wavegatev1alpha1.LabelRegion] != "" || w.namespaces[obj.GetNamespace()] != ""
	if by.user != automation.user && !regional && !facts.CountsAsProtected(labels[wavegatev1alpha1.LabelProtection]) {
		// No webhook sees a person delete an object that names no region
		// and is not protected, outside a regional Namespace, so a protected
		// object it owns is not kept (decision 36: open).
		t.Skip("a delete no webhook sees")
	}
	if by.user == automation.user && w.ownsUntagged(obj) {
		// The gate tracks the dependents that carry a protection label; an
		// untagged one is kept from automation by its AutomationPolicy's
		// scan, not for every kind (decision 36: open).
		t.Skip("automation deleting an owner of an untagged object")
	}
	w.send(t, request{who: by, verb: "delete", object: obj.DeepCopy()})
}

// relabel gives a Namespace another region, or none. A Namespace without a
// region is not relabelled: its objects never reached the gate (the webhook
// configuration selects regional objects), so giving it a region moves
// changes the gate has no record of. That hole is open (docs/decisions.md,
// decision 36).
func (w *world) relabel(t *rapid.T) {
	ns := rapid.SampledFrom(w.namespaceNames()).Draw(t, "namespace")
	if w.namespaces[ns] == "" {
		t.Skip("a Namespace without a region is not given one (decision 36)")
	}
	obj := &unstructured.Unstructured{}
	obj.SetAPIVersion("v1")
	obj.SetKind("Namespace")
	obj.SetName(ns)
	if r := regionLabels.Draw(t, "region label"); r != "" {
		obj.SetLabels(map[string]string{wavegatev1alpha1.LabelRegion: r})
	}
	w.send(t, request{who: rapid.SampledFrom([]identity{human, breakGlass}).Draw(t, "who"), verb: "update", object: obj})
}

// freeze stops some regions, or all, perhaps until a time.
func (w *world) freeze(t *rapid.T) {
	scope := rapid.SampledFrom([][]string{{"*"}, {"eastus"}, {"westeurope", "northeurope"}, {"eastus2euap"}, {"brazilsouth"}}).Draw(t, "frozen")
	obj := &unstructured.Unstructured{}
	obj.SetAPIVersion(wavegatev1alpha1.GroupVersion.String())
	obj.SetKind("Freeze")
	obj.SetName(fmt.Sprintf("frz-%d", len(w.freezes)))
	spec := map[string]any{"regions": toAny(scope), "reason": "generated incident freeze"}
	if d := rapid.SampledFrom([]time.Duration{0, 30 * time.Minute, 3 * time.Hour}).Draw(t, "expires in"); d > 0 {
		spec["expiresAt"] = w.now.Add(d).Format(time.RFC3339)
	}
	obj.Object["spec"] = spec
	w.send(t, request{who: human, verb: "create", object: obj})
}

// thaw ends a Freeze by deleting it.
func (w *world) thaw(t *rapid.T) {
	var names []string
	for name, live := range w.freezes {
		if live {
			names = append(names, name)
		}
	}
	if len(names) == 0 {
		t.Skip("no Freeze to end")
	}
	sort.Strings(names)
	obj := &unstructured.Unstructured{}
	obj.SetAPIVersion(wavegatev1alpha1.GroupVersion.String())
	obj.SetKind("Freeze")
	obj.SetName(rapid.SampledFrom(names).Draw(t, "freeze"))
	w.send(t, request{who: human, verb: "delete", object: obj})
}

// wait moves the clock, through bakes and expiries.
func (w *world) wait(t *rapid.T) {
	w.now = w.now.Add(rapid.SampledFrom([]time.Duration{time.Minute, 20 * time.Minute, time.Hour, 2 * time.Hour, 6 * time.Hour, 7 * time.Hour}).Draw(t, "wait"))
}

// kubernetesTraffic is what Kubernetes' own controllers write in every
// Namespace: the root CA ConfigMap, the same bytes everywhere. It is never
// denied, whatever is frozen or baking.
func (w *world) kubernetesTraffic(t *rapid.T) {
	ns := rapid.SampledFrom(w.namespaceNames()).Draw(t, "namespace")
	obj := configMap(ns, "kube-root-ca.crt", nil, nil, "-----BEGIN CERTIFICATE-----", false)
	w.identify(obj)
	if !w.send(t, request{who: kubernetes, verb: w.verbFor(ns, "kube-root-ca.crt"), object: obj}) {
		t.Fatalf("Kubernetes' own traffic was denied:\n  %s", joinHistory(w.history))
	}
}

func (w *world) namespaceNames() []string {
	out := make([]string, 0, len(w.namespaces))
	for ns := range w.namespaces {
		out = append(out, ns)
	}
	sort.Strings(out)
	return out
}

func (w *world) objectKeys() []string {
	out := make([]string, 0, len(w.objects))
	for k := range w.objects {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func (w *world) verbFor(namespace, name string) string {
	if _, ok := w.objects[namespace+"/"+name]; ok {
		return "update"
	}
	return "create"
}

// identify gives an object the UID it has, or a new one.
func (w *world) identify(obj *unstructured.Unstructured) {
	if old, ok := w.objects[obj.GetNamespace()+"/"+obj.GetName()]; ok {
		obj.SetUID(old.GetUID())
		return
	}
	w.uid++
	obj.SetUID(types.UID(fmt.Sprintf("uid-%d", w.uid)))
}

// ownsUntagged reports whether an object is the owner of a stored object
// without a protection label.
func (w *world) ownsUntagged(owner *unstructured.Unstructured) bool {
	for _, o := range w.objects {
		if _, tagged := o.GetLabels()[wavegatev1alpha1.LabelProtection]; tagged {
			continue
		}
		for _, ref := range o.GetOwnerReferences() {
			if ref.UID == owner.GetUID() {
				return true
			}
		}
	}
	return false
}

// uidsIn are the UIDs of the objects of a namespace but one.
func (w *world) uidsIn(namespace string, except types.UID) []string {
	var out []string
	for _, k := range w.objectKeys() {
		o := w.objects[k]
		if o.GetNamespace() == namespace && o.GetUID() != except {
			out = append(out, string(o.GetUID()))
		}
	}
	return slices.Compact(out)
}

func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// quickChecks is how many histories each property tries in `make test`,
// which runs every package with -race: a short search there, and the long
// one in `make invariants`, which sets -rapid.checks itself.
const quickChecks = "30"

func TestMain(m *testing.M) {
	flag.Parse()
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == "rapid.checks" })
	if !set {
		if err := flag.Set("rapid.checks", quickChecks); err != nil {
			panic(err)
		}
	}
	os.Exit(m.Run())
}
