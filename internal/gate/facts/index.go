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

package facts

import (
	"sort"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	wavegatev1alpha1 "github.com/wavegate/wavegate/api/v1alpha1"
	"github.com/wavegate/wavegate/internal/gate/webhookconfig"
	"github.com/wavegate/wavegate/internal/regions"
)

// set is a set of names.
type set map[string]struct{}

// multimap maps a key to a set of names, for secondary indexes.
type multimap map[string]set

func (m multimap) add(key, name string) {
	s, ok := m[key]
	if !ok {
		s = set{}
		m[key] = s
	}
	s[name] = struct{}{}
}

func (m multimap) remove(key, name string) {
	if s, ok := m[key]; ok {
		delete(s, name)
		if len(s) == 0 {
			delete(m, key)
		}
	}
}

// plan is a WavePlan reduced to what velocity needs.
type plan struct {
	waveOf map[string]int
	waves  []wave
}

type wave struct {
	name string
	bake metav1.Duration
}

// Index is the in-memory view of Regions, WavePlans, Freezes, ConfigRollouts,
// AutomationPolicies, Namespace region labels, protected objects and change
// records. It is safe for concurrent use; objects it holds are never mutated.
type Index struct {
	mu sync.RWMutex

	regions map[string]*wavegatev1alpha1.Region
	pairs   *regions.Pairs

	plans map[string]*plan
	// waveBakes is the longest bake of each wave name over every plan.
	waveBakes map[string]time.Duration

	freezes         map[string]*wavegatev1alpha1.Freeze
	freezesByRegion multimap // region or "*" -> freezes

	rollouts map[string]*wavegatev1alpha1.ConfigRollout

	policies           map[string]*wavegatev1alpha1.AutomationPolicy
	policiesByIdentity multimap // identity key -> policies

	namespaceRegion map[string]string
	namespaces      set      // every Namespace seen, labelled or not
	protected       multimap // namespace -> "Kind namespace/name" of protected objects
	// owned is the graph of owner references above protected objects
	// (lineage.go): deleting an owner deletes what it owns.
	owned  ownerGraph
	unseen func() []string

	// workloadRegion holds the region labels of scalable workloads
	// (workloadKey), for their Scale, which carries no labels.
	workloadRegion map[string]string

	records map[string]*wavegatev1alpha1.ChangeRecord
}

// NewIndex returns an empty Index.
func NewIndex() *Index {
	return &Index{
		regions:            map[string]*wavegatev1alpha1.Region{},
		pairs:              &regions.Pairs{},
		plans:              map[string]*plan{},
		freezes:            map[string]*wavegatev1alpha1.Freeze{},
		freezesByRegion:    multimap{},
		rollouts:           map[string]*wavegatev1alpha1.ConfigRollout{},
		policies:           map[string]*wavegatev1alpha1.AutomationPolicy{},
		policiesByIdentity: multimap{},
		namespaceRegion:    map[string]string{},
		namespaces:         set{},
		protected:          multimap{},
		owned:              newOwnerGraph(),
		workloadRegion:     map[string]string{},
		records:            map[string]*wavegatev1alpha1.ChangeRecord{},
	}
}

// SetRegion adds or replaces a Region.
func (ix *Index) SetRegion(r *wavegatev1alpha1.Region) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	ix.regions[r.Name] = r
	ix.pairs.Set(r)
}

// DeleteRegion removes a Region.
func (ix *Index) DeleteRegion(name string) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	delete(ix.regions, name)
	ix.pairs.Delete(name)
}

// SetWavePlan adds or replaces a WavePlan.
func (ix *Index) SetWavePlan(wp *wavegatev1alpha1.WavePlan) {
	p := &plan{waveOf: map[string]int{}}
	for i, w := range wp.Spec.Waves {
		p.waves = append(p.waves, wave{name: w.Name, bake: w.BakeTime})
		for _, r := range w.Regions {
			p.waveOf[r] = i
		}
	}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	ix.plans[wp.Name] = p
	ix.indexWaveBakes()
}

// DeleteWavePlan removes a WavePlan.
func (ix *Index) DeleteWavePlan(name string) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	delete(ix.plans, name)
	ix.indexWaveBakes()
}

// indexWaveBakes keeps the longest bake of each wave name over every plan
// (plans change rarely; a decision reads it once per region reached). The
// caller holds the lock.
func (ix *Index) indexWaveBakes() {
	bakes := map[string]time.Duration{}
	for _, p := range ix.plans {
		for _, w := range p.waves {
			bakes[w.name] = max(bakes[w.name], w.bake.Duration)
		}
	}
	ix.waveBakes = bakes
}

// SetFreeze adds or replaces a Freeze.
func (ix *Index) SetFreeze(f *wavegatev1alpha1.Freeze) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	ix.deleteFreezeLocked(f.Name)
	ix.freezes[f.Name] = f
	for _, r := range f.Spec.Regions {
		ix.freezesByRegion.add(r, f.Name)
	}
}

// FreezeNames are the names of every Freeze indexed.
func (ix *Index) FreezeNames() []string {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	out := make([]string, 0, len(ix.freezes))
	for name := range ix.freezes {
		out = append(out, name)
	}
	return out
}

// DeleteFreeze removes a Freeze: deleting a Freeze ends it.
func (ix *Index) DeleteFreeze(name string) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	ix.deleteFreezeLocked(name)
}

func (ix *Index) deleteFreezeLocked(name string) {
	if old, ok := ix.freezes[name]; ok {
		for _, r := range old.Spec.Regions {
			ix.freezesByRegion.remove(r, name)
		}
	}
	delete(ix.freezes, name)
}

// SetConfigRollout adds or replaces a ConfigRollout.
func (ix *Index) SetConfigRollout(r *wavegatev1alpha1.ConfigRollout) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	ix.rollouts[r.Name] = r
}

// DeleteConfigRollout removes a ConfigRollout.
func (ix *Index) DeleteConfigRollout(name string) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	delete(ix.rollouts, name)
}

// SetAutomationPolicy adds or replaces an AutomationPolicy.
func (ix *Index) SetAutomationPolicy(p *wavegatev1alpha1.AutomationPolicy) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	ix.deleteAutomationPolicyLocked(p.Name)
	ix.policies[p.Name] = p
	for _, key := range identityKeys(p.Spec.Identities) {
		ix.policiesByIdentity.add(key, p.Name)
	}
}

// DeleteAutomationPolicy removes an AutomationPolicy.
func (ix *Index) DeleteAutomationPolicy(name string) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	ix.deleteAutomationPolicyLocked(name)
}

func (ix *Index) deleteAutomationPolicyLocked(name string) {
	if old, ok := ix.policies[name]; ok {
		for _, key := range identityKeys(old.Spec.Identities) {
			ix.policiesByIdentity.remove(key, name)
		}
	}
	delete(ix.policies, name)
}

// SetNamespace records a Namespace's region label ("" when it has none).
func (ix *Index) SetNamespace(name string, labels map[string]string) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	ix.namespaces[name] = struct{}{}
	if r := regions.Label(labels); r != "" {
		ix.namespaceRegion[name] = r
	} else {
		delete(ix.namespaceRegion, name)
	}
}

// DeleteNamespace forgets a Namespace.
func (ix *Index) DeleteNamespace(name string) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	delete(ix.namespaceRegion, name)
	delete(ix.namespaces, name)
}

// HasNamespace reports whether the index has seen a Namespace: one it has
// not seen may have a region label it does not know yet, which is not the
// same as having none.
func (ix *Index) HasNamespace(name string) bool {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	_, ok := ix.namespaces[name]
	return ok
}

// SetUnseen sets where the Index learns the kinds whose protected objects
// cannot be known (ProtectionScan.Unseen).
func (ix *Index) SetUnseen(unseen func() []string) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	ix.unseen = unseen
}

// workloadKey names a workload by group, resource, namespace and name.
func workloadKey(group, resource, namespace, name string) string {
	return group + "/" + resource + "/" + namespace + "/" + name
}

// SetWorkloadRegion records a workload's own region label ("" forgets it).
func (ix *Index) SetWorkloadRegion(group, resource, namespace, name, region string) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	key := workloadKey(group, resource, namespace, name)
	if region != "" {
		ix.workloadRegion[key] = region
	} else {
		delete(ix.workloadRegion, key)
	}
}

// SetChangeRecord adds or replaces a ChangeRecord.
func (ix *Index) SetChangeRecord(r *wavegatev1alpha1.ChangeRecord) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if old, ok := ix.records[r.Name]; ok && newerThan(old.ResourceVersion, r.ResourceVersion) {
		return // the webhook already stored a newer copy it wrote itself
	}
	ix.records[r.Name] = r
}

// DeleteChangeRecord removes a ChangeRecord.
func (ix *Index) DeleteChangeRecord(name string) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	delete(ix.records, name)
}

// ChangeRecord returns the cached record, or nil.
func (ix *Index) ChangeRecord(name string) *wavegatev1alpha1.ChangeRecord {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return ix.records[name]
}

// newerThan compares resourceVersions. They are opaque to clients in general,
// but etcd-backed servers use increasing integers; when either is not an
// integer the incoming copy wins.
func newerThan(a, b string) bool {
	if len(a) != len(b) {
		return len(a) > len(b) && isDigits(a) && isDigits(b)
	}
	return a > b && isDigits(a) && isDigits(b)
}

func isDigits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}

// identityKeys are the index keys of a policy's identities.
func identityKeys(ids wavegatev1alpha1.Identities) []string {
	keys := make([]string, 0, len(ids.ServiceAccounts)+len(ids.Users)+len(ids.Groups))
	for _, sa := range ids.ServiceAccounts {
		keys = append(keys, "sa:"+sa)
	}
	for _, u := range ids.Users {
		keys = append(keys, "user:"+u)
	}
	for _, g := range ids.Groups {
		keys = append(keys, "group:"+g)
	}
	return keys
}

// sorted returns the names of a set in order.
func sorted(s set) []string {
	out := make([]string, 0, len(s))
	for k := range s {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Automation are the identities of every AutomationPolicy, as the gate's
// delete-automation entry names them.
func (ix *Index) Automation() *webhookconfig.Automation {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	policies := make([]*wavegatev1alpha1.AutomationPolicy, 0, len(ix.policies))
	for _, p := range ix.policies {
		policies = append(policies, p)
	}
	return webhookconfig.AutomationOf(policies)
}

// NamespaceRegion is a Namespace's region label, or "".
func (ix *Index) NamespaceRegion(name string) string {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return ix.namespaceRegion[name]
}
