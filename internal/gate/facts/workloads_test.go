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
	"testing"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/rest"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/manager"

	wavegatev1alpha1 "github.com/wavegate/wavegate/api/v1alpha1"
)

func TestTheWorkloadInformersRunOnEveryReplica(t *testing.T) {
	r, err := (&Feed{}).WatchWorkloads(&rest.Config{Host: "https://127.0.0.1:1"}, NewIndex())
	g := NewWithT(t)
	g.Expect(err).NotTo(HaveOccurred())
	le, ok := r.(manager.LeaderElectionRunnable)
	g.Expect(ok && !le.NeedLeaderElection()).To(BeTrue(), "a standby replica judges scale requests too")
}

func TestWorkloadRegionsFollowTheInformer(t *testing.T) {
	ix := NewIndex()
	h := workloadHandler(schema.GroupResource{Group: "apps", Resource: "deployments"}, ix)
	web := func(region string) *metav1.PartialObjectMetadata {
		return &metav1.PartialObjectMetadata{ObjectMeta: metav1.ObjectMeta{Namespace: "app", Name: "web", Labels: map[string]string{wavegatev1alpha1.LabelRegion: region}}}
	}
	region := func() string { return ix.workloadRegion[workloadKey("apps", "deployments", "app", "web")] }
	g := NewWithT(t)
	h.OnAdd(web("eastus"), false)
	g.Expect(region()).To(Equal("eastus"))
	h.OnUpdate(web("eastus"), web("westus"))
	g.Expect(region()).To(Equal("westus"))
	h.OnDelete(toolscache.DeletedFinalStateUnknown{Key: "app/web", Obj: web("westus")})
	g.Expect(region()).To(BeEmpty(), "a workload whose label went away leaves the selection")
}
