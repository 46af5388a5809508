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

package regions

import (
	"sort"
	"strings"
	"sync"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	wavegatev1alpha1 "github.com/wavegate/wavegate/api/v1alpha1"
)

// Of is the region an object configures: its own wavegate.io/region label,
// else its Namespace's, with surrounding blanks removed. "" means the object
// names no region by label (it may still name several by the regions
// annotation, which is not a region of its own).
func Of(labels, namespaceLabels map[string]string) string {
	return Resolve(Label(labels), Label(namespaceLabels))
}

// Resolve is Of for callers that hold the regions rather than the labels
// (the gate's index keeps each Namespace's region, and a Scale carries no
// labels): the object's own region wins over its Namespace's.
func Resolve(own, namespace string) string {
	if own = strings.TrimSpace(own); own != "" {
		return own
	}
	return strings.TrimSpace(namespace)
}

// Label is the region that a set of labels names, "" for none.
func Label(labels map[string]string) string {
	return strings.TrimSpace(labels[wavegatev1alpha1.LabelRegion])
}

// Pairs knows every region's failover pairs. A pair is symmetric, and one
// declared on one side only already counts (docs/spec.md: a one-sided pair counts for
// every safety rule), so a region can have more than one pair while an edit
// is half applied. It is safe for concurrent use.
type Pairs struct {
	mu       sync.RWMutex
	declared map[string]string          // region -> the pair it names
	namedBy  map[string]map[string]bool // region -> regions that name it
}

// NewPairs returns the pairs of regions.
func NewPairs(list []wavegatev1alpha1.Region) *Pairs {
	p := &Pairs{}
	for i := range list {
		p.Set(&list[i])
	}
	return p
}

// Set records the pair a Region declares, replacing what it declared before.
func (p *Pairs) Set(r *wavegatev1alpha1.Region) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.deleteLocked(r.Name)
	if p.declared == nil {
		p.declared, p.namedBy = map[string]string{}, map[string]map[string]bool{}
	}
	if pair := r.Spec.PairedRegion; pair != "" {
		p.declared[r.Name] = pair
		if p.namedBy[pair] == nil {
			p.namedBy[pair] = map[string]bool{}
		}
		p.namedBy[pair][r.Name] = true
	}
}

// Delete forgets the pair a Region declared.
func (p *Pairs) Delete(name string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.deleteLocked(name)
}

func (p *Pairs) deleteLocked(name string) {
	pair, ok := p.declared[name]
	if !ok {
		return
	}
	delete(p.declared, name)
	delete(p.namedBy[pair], name)
	if len(p.namedBy[pair]) == 0 {
		delete(p.namedBy, pair)
	}
}

// Of returns the failover pairs of a region, declared on either side, sorted.
func (p *Pairs) Of(region string) []string {
	p.mu.RLock()
	defer p.mu.RUnlock()
	var out []string
	if pair, ok := p.declared[region]; ok {
		out = append(out, pair)
	}
	for r := range p.namedBy[region] {
		if len(out) == 0 || out[0] != r {
			out = append(out, r)
		}
	}
	sort.Strings(out)
	return out
}

// Paired reports whether a and b are failover pairs, declared on either side.
func (p *Pairs) Paired(a, b string) bool {
	for _, x := range p.Of(a) {
		if x == b {
			return true
		}
	}
	return false
}

// Namespace is an empty metadata-only Namespace: its region is in its
// labels, so this is all Wavegate caches of a Namespace.
func Namespace() *metav1.PartialObjectMetadata {
	ns := &metav1.PartialObjectMetadata{}
	ns.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("Namespace"))
	return ns
}

// NamespaceList is an empty metadata-only list of Namespaces.
func NamespaceList() *metav1.PartialObjectMetadataList {
	list := &metav1.PartialObjectMetadataList{}
	list.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("NamespaceList"))
	return list
}
