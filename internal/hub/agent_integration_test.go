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

package hub_test

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"

	wavegatev1alpha1 "github.com/wavegate/wavegate/api/v1alpha1"
	"github.com/wavegate/wavegate/internal/hub"
	"github.com/wavegate/wavegate/internal/setup"
	. "github.com/wavegate/wavegate/internal/test/objects"
	"github.com/wavegate/wavegate/internal/test/testenv"
)

// staleness is the agents' --hub-staleness in these tests: short, so an
// outage outlives it within a test, and longer than a few heartbeats.
const staleness = 8 * time.Second

// agent is one regional cluster whose gate is an agent of the hub.
type agent struct {
	region string
	env    *testenv.Env
	hub    *hub.Hub
	proxy  *testenv.Proxy // between the agent and the hub
}

// startAgent starts a regional cluster with the agent's webhook
// configuration and an agent for region, reaching the hub through a proxy
// the test can cut.
func startAgent(t *testing.T, hubEnv *testenv.Env, region string) *agent {
	t.Helper()
	g := NewWithT(t)
	u, err := url.Parse(hubEnv.Config.Host)
	g.Expect(err).NotTo(HaveOccurred())
	proxy, err := testenv.StartProxy(u.Host)
	g.Expect(err).NotTo(HaveOccurred())
	t.Cleanup(func() { _ = proxy.Cut() })
	hubCfg := rest.CopyConfig(hubEnv.Config)
	hubCfg.Host = "https://" + proxy.Addr
	a := &agent{region: region, proxy: proxy}
	a.env, err = testenv.StartAgentCluster(func(mgr ctrl.Manager) error {
		opts := setup.Defaults()
		a.hub, err = hub.New(hubCfg, mgr.GetScheme(), setup.CacheOptions(), staleness)
		if err != nil {
			return err
		}
		opts.Hub, opts.Region = a.hub, region
		if err := setup.AgentControllers(mgr, opts); err != nil {
			return err
		}
		return setup.Webhooks(mgr, opts)
	})
	g.Expect(err).NotTo(HaveOccurred())
	t.Cleanup(func() { _ = a.env.Stop() })
	// The agent's gate judges it once it has synced with the hub.
	g.Eventually(func() error {
		return a.env.Client.Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "app"}})
	}, time.Minute).Should(Succeed())
	return a
}

// create creates the ConfigMap app/name in the agent's cluster as change id.
func (a *agent) create(name, id string) error {
	return a.env.Client.Create(context.Background(), &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Namespace: "app", Name: name, Annotations: map[string]string{wavegatev1alpha1.AnnotationChangeID: id}},
		Data:       map[string]string{"key": id},
	})
}

func TestAgentsJudgeRegionalClustersByTheHub(t *testing.T) {
	if os.Getenv("KUBEBUILDER_ASSETS") == "" {
		t.Fatal("KUBEBUILDER_ASSETS is not set: run the integration tests with 'make test'")
	}
	g := NewWithT(t)
	ctx := context.Background()
	opts := setup.Defaults()
	hubEnv, err := testenv.Start(func(mgr ctrl.Manager) error { return setup.Webhooks(mgr, opts) })
	g.Expect(err).NotTo(HaveOccurred())
	t.Cleanup(func() { _ = hubEnv.Stop() })
	for _, r := range []string{"eastus", "westus"} {
		g.Expect(hubEnv.Client.Create(ctx, Region(r))).To(Succeed())
	}
	g.Expect(hubEnv.Client.Create(ctx, WavePlan("default", Wave("first", "eastus"), Wave("second", "westus")))).To(Succeed())
	east, west := startAgent(t, hubEnv, "eastus"), startAgent(t, hubEnv, "westus")
	for _, a := range []*agent{east, west} {
		g.Eventually(func() error { return a.create("hello", "hello-"+a.region) }).Should(Succeed(), "the %s agent never admitted a change", a.region)
	}

	t.Run("the same change entering a second cluster inside the bake is denied", func(t *testing.T) {
		g := NewWithT(t)
		g.Expect(east.create("settings", "cv-1")).To(Succeed())
		err := west.create("settings", "cv-1")
		g.Expect(err).To(MatchError(ContainSubstring("[wavegate:change-velocity] change cv-1")))
		g.Expect(err).To(MatchError(ContainSubstring("reached eastus")))
		var rec wavegatev1alpha1.ChangeRecordList
		g.Expect(hubEnv.Client.List(ctx, &rec)).To(Succeed())
		g.Expect(rec.Items).NotTo(BeEmpty(), "the agents write their change records to the hub")
	})

	t.Run("a Freeze in the hub stops a regional cluster", func(t *testing.T) {
		g := NewWithT(t)
		g.Expect(hubEnv.Client.Create(ctx, Freeze("stop-east", []string{"eastus"}))).To(Succeed())
		created := time.Now()
		var denial error
		for i := 0; denial == nil; i++ {
			denial = east.create(fmt.Sprintf("freeze-%d", i), fmt.Sprintf("freeze-%d", i))
			g.Expect(time.Since(created)).To(BeNumerically("<", time.Minute), "the Freeze never reached the agent")
		}
		t.Logf("freeze to first denial across clusters: %s", time.Since(created).Round(time.Millisecond))
		g.Expect(denial).To(MatchError(ContainSubstring("[wavegate:freeze]")))
		g.Expect(west.create("not-frozen", "not-frozen")).To(Succeed(), "westus is not frozen")
		g.Expect(hubEnv.Client.Delete(ctx, Freeze("stop-east", nil))).To(Succeed())
		g.Eventually(func() error { return east.create("thawed", "thawed") }).Should(Succeed())
	})

	t.Run("with the hub down an agent judges by its cache, then denies, and recovers", func(t *testing.T) {
		g := NewWithT(t)
		g.Expect(east.proxy.Cut()).To(Succeed())
		cut := time.Now()
		// Within the bound: judged on the cached state (the hub's record
		// of cv-1 in eastus still denies it in westus), and a Freeze of the
		// agent's own cluster applies.
		g.Expect(east.env.Client.Create(ctx, Freeze("local-stop", []string{wavegatev1alpha1.AllRegions}))).To(Succeed())
		g.Eventually(func() error { return east.create("during-outage", "during-outage") }).
			Should(MatchError(ContainSubstring("[wavegate:freeze] ")))
		g.Expect(time.Since(cut)).To(BeNumerically("<", staleness), "too slow to check the cached state within the bound")
		// Past the bound: denied, saying why.
		g.Eventually(func() error { return east.create("past-bound", "past-bound") }, 3*staleness).
			Should(MatchError(ContainSubstring("[wavegate:hub-unreachable] the Wavegate agent of region eastus cannot reach its hub")))
		g.Expect(east.env.Client.Delete(ctx, Freeze("local-stop", nil))).To(Succeed())
		g.Expect(east.create("still-down", "still-down")).To(MatchError(ContainSubstring("hub-unreachable")))
		g.Expect(west.create("other-agent", "other-agent")).To(Succeed(), "an agent whose hub answers is not affected")

		g.Expect(east.proxy.Restore()).To(Succeed())
		g.Eventually(func() error { return east.create("recovered", "recovered") }, time.Minute).Should(Succeed())
		err := west.create("settings", "cv-1")
		g.Expect(err).To(MatchError(ContainSubstring("change-velocity")), "the hub's records hold after the outage")
		g.Expect(strings.Contains(err.Error(), "hub-unreachable")).To(BeFalse())
	})
}
