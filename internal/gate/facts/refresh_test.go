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
	"testing"
	"time"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	wavegatev1alpha1 "github.com/wavegate/wavegate/api/v1alpha1"
)

func TestRefreshingTheHubsFreezesKeepsTheAgentsOwn(t *testing.T) {
	g := NewWithT(t)
	freeze := func(name string) *wavegatev1alpha1.Freeze {
		return &wavegatev1alpha1.Freeze{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: wavegatev1alpha1.FreezeSpec{Regions: []string{"eastus"}}}
	}
	ix := NewIndex()
	ix.SetFreeze(freeze("ended-during-the-outage"))
	ix.SetFreeze(freeze("still-on"))
	ix.SetFreeze(freeze(LocalFreezeName("pause")))

	RefreshHubFreezes(ix, []wavegatev1alpha1.Freeze{*freeze("still-on"), *freeze("created-during-the-outage")})

	names := ix.FreezeNames()
	sort.Strings(names)
	g.Expect(names).To(Equal([]string{"created-during-the-outage", "local/pause", "still-on"}))
}

func TestTheScanLooksAgainSoonOnlyInItsFirstMinuteAndOnlyForUnseenKinds(t *testing.T) {
	g := NewWithT(t)
	p := &ProtectionScan{Interval: 30 * time.Second}
	g.Expect(p.next(time.Second)).To(Equal(30*time.Second), "nothing unseen: the usual interval")
	p.unseen = []string{"configmaps"}
	g.Expect(p.next(time.Second)).To(Equal(soon), "a kind unseen just after start (RBAC not aggregated yet)")
	g.Expect(p.next(2*time.Minute)).To(Equal(30*time.Second), "later, an unseen kind (Secrets) is looked at as usual")
}

func TestAKindWatchedLaterDoesNotUnsyncTheGate(t *testing.T) {
	g := NewWithT(t)
	first := true
	later := false
	p := &ProtectionScan{scanned: true, tracked: map[schema.GroupVersionResource]*trackedKind{
		{Version: "v1", Resource: "configmaps"}: {kind: "ConfigMap", synced: func() bool { return first }},
	}}
	g.Expect(p.Synced()).To(BeTrue())
	p.tracked[schema.GroupVersionResource{Group: "networking.k8s.io", Version: "v1", Resource: "ingresses"}] = &trackedKind{kind: "Ingress", synced: func() bool { return later }}
	g.Expect(p.Synced()).To(BeTrue(), "a kind a later scan watches does not stop every decision")
	g.Expect(p.Unseen()).To(ConsistOf("ingresses.networking.k8s.io"), "it is unseen until its informer syncs")
}
