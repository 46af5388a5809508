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

package webhook_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"github.com/prometheus/client_golang/prometheus/testutil"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	wavegatev1alpha1 "github.com/wavegate/wavegate/api/v1alpha1"
	"github.com/wavegate/wavegate/internal/metrics"
	. "github.com/wavegate/wavegate/internal/test/objects"
	"github.com/wavegate/wavegate/internal/test/testenv"
)

// The gate's inventory: g-eastus and g-westus are a failover pair. Plan
// gate-plan has waves w1 [g-eastus], w2 [g-westeurope g-centralus] and
// w3 [g-westus], each baking 1h.
var gateFixtureOnce sync.Once

func gateFixture(t *testing.T) {
	t.Helper()
	gateFixtureOnce.Do(func() {
		g := NewWithT(t)
		ctx := context.Background()
		for _, r := range []*wavegatev1alpha1.Region{
			Region("g-eastus"), Region("g-westus", PairedWith("g-eastus")), Region("g-centralus"), Region("g-westeurope"),
		} {
			g.Expect(env.Client.Create(ctx, r)).To(Succeed())
		}
		g.Expect(env.Client.Create(ctx, WavePlan("gate-plan",
			Wave("w1", "g-eastus"), Wave("w2", "g-westeurope", "g-centralus"), Wave("w3", "g-westus")))).To(Succeed())
	})
}

var nsCounter int

// newNamespace creates a namespace of its own for a test.
func newNamespace(t *testing.T, labels map[string]string) string {
	t.Helper()
	nsCounter++
	name := fmt.Sprintf("gate-%d-%d", time.Now().UnixNano()%100000, nsCounter)
	NewWithT(t).Expect(env.Client.Create(context.Background(), &corev1.Namespace{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels},
	})).To(Succeed())
	return name
}

// clientAs impersonates a user; system:masters keeps RBAC out of the way so
// only Wavegate decides.
func clientAs(t *testing.T, user string, groups ...string) (client.Client, *testenv.Warnings) {
	t.Helper()
	w := &testenv.Warnings{}
	cfg := rest.CopyConfig(env.Config)
	cfg.Impersonate = rest.ImpersonationConfig{UserName: user, Groups: append([]string{"system:masters"}, groups...)}
	cfg.WarningHandlerWithContext = w
	c, err := client.New(cfg, client.Options{Scheme: env.Scheme})
	NewWithT(t).Expect(err).NotTo(HaveOccurred())
	return c, w
}

type cmOption func(*corev1.ConfigMap)

func configMap(ns, name string, opts ...cmOption) *corev1.ConfigMap {
	cm := &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: map[string]string{}, Annotations: map[string]string{}},
		Data:       map[string]string{"key": name},
	}
	for _, o := range opts {
		o(cm)
	}
	return cm
}

func inRegion(r string) cmOption {
	return func(cm *corev1.ConfigMap) { cm.Labels[wavegatev1alpha1.LabelRegion] = r }
}

func annotated(k, v string) cmOption {
	return func(cm *corev1.ConfigMap) { cm.Annotations[k] = v }
}

// protectedAs labels the ConfigMap wavegate.io/protection=v.
func protectedAs(v string) cmOption {
	return func(cm *corev1.ConfigMap) { cm.Labels[wavegatev1alpha1.LabelProtection] = v }
}

// change names the change and judges it by gate-plan.
func change(id string) cmOption {
	return func(cm *corev1.ConfigMap) {
		cm.Annotations[wavegatev1alpha1.AnnotationChangeID] = id
		if _, ok := cm.Annotations[wavegatev1alpha1.AnnotationPlan]; !ok {
			cm.Annotations[wavegatev1alpha1.AnnotationPlan] = "gate-plan"
		}
	}
}

// expectDenied asserts that the gate denied a request with exactly msg, as
// the client prints it after the webhook's name.
func expectDenied(g Gomega, err error, msg string) {
	g.Expect(err).To(HaveOccurred(), "the request was admitted")
	g.Expect(apierrors.IsForbidden(err)).To(BeTrue(), "not a denial: %v", err)
	g.Expect(err.Error()).To(MatchRegexp(`^admission webhook "[a-z.-]+\.gate\.wavegate\.io" denied the request: `))
	_, got, _ := strings.Cut(err.Error(), "denied the request: ")
	g.Expect(got).To(Equal(msg))
}

// expectDeniedWith asserts that the gate denied a request and that one line of
// its message is exactly line (other rules may deny too).
func expectDeniedWith(g Gomega, err error, line string) {
	g.Expect(err).To(HaveOccurred(), "the request was admitted")
	g.Expect(apierrors.IsForbidden(err)).To(BeTrue(), "not a denial: %v", err)
	_, got, _ := strings.Cut(err.Error(), "denied the request: ")
	g.Expect(strings.Split(got, "\n")).To(ContainElement(line))
}

func rfc3339(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func TestFreezeDeniesEveryChangeInAFrozenRegion(t *testing.T) {
	gateFixture(t)
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t, nil)
	frozenNS := newNamespace(t, map[string]string{wavegatev1alpha1.LabelRegion: "g-centralus"})
	moving := configMap(ns, "moving", inRegion("g-centralus"))
	g.Expect(env.Client.Create(ctx, moving)).To(Succeed())

	frz := Freeze("gate-centralus", []string{"g-centralus"}, func(f *wavegatev1alpha1.Freeze) {
		f.Spec.Reason = "Central US storage outage"
		f.Spec.Ticket = "INC-1"
		f.Spec.Exemptions.Groups = []string{"storage-oncall"}
	})
	g.Expect(env.Client.Create(ctx, frz)).To(Succeed())
	want := "[wavegate:freeze] region g-centralus is frozen by Freeze gate-centralus (INC-1): Central US storage outage; wait for the freeze to end or use break-glass"

	g.Eventually(func(g Gomega) {
		expectDenied(g, env.Client.Create(ctx, configMap(ns, "new", inRegion("g-centralus"))), want)
	}).Should(Succeed())

	t.Run("a region the freeze does not cover is not affected", func(t *testing.T) {
		NewWithT(t).Expect(env.Client.Create(ctx, configMap(ns, "east", inRegion("g-eastus")))).To(Succeed())
	})
	t.Run("removing the region label in an update does not escape the freeze", func(t *testing.T) {
		g := NewWithT(t)
		delete(moving.Labels, wavegatev1alpha1.LabelRegion)
		expectDenied(g, env.Client.Update(ctx, moving), want)
	})
	t.Run("a namespace's region label gates the objects inside it", func(t *testing.T) {
		expectDenied(NewWithT(t), env.Client.Create(ctx, configMap(frozenNS, "plain")), want)
	})
	t.Run("deletes are gated too", func(t *testing.T) {
		g := NewWithT(t)
		fresh := &corev1.ConfigMap{}
		g.Expect(env.Client.Get(ctx, client.ObjectKeyFromObject(moving), fresh)).To(Succeed())
		expectDenied(g, env.Client.Delete(ctx, fresh), want)
	})
	t.Run("an exempt group breaks the glass with a warning", func(t *testing.T) {
		g := NewWithT(t)
		bob, warnings := clientAs(t, "bob", "storage-oncall")
		g.Expect(bob.Create(ctx, configMap(ns, "hotfix", inRegion("g-centralus")))).To(Succeed())
		g.Expect(warnings.Take()).To(ConsistOf(
			"[wavegate:freeze] region g-centralus is frozen by Freeze gate-centralus (INC-1): Central US storage outage; admitted as break-glass for bob"))
	})
	t.Run("the global break-glass group breaks every freeze", func(t *testing.T) {
		carol, warnings := clientAs(t, "carol", "wavegate:break-glass")
		NewWithT(t).Expect(carol.Create(ctx, configMap(ns, "hotfix-2", inRegion("g-centralus")))).To(Succeed())
		NewWithT(t).Expect(warnings.Take()).To(HaveLen(1))
	})
	t.Run("the controller is never exempt from a freeze", func(t *testing.T) {
		ctl, _ := clientAs(t, controllerUser)
		expectDenied(NewWithT(t), ctl.Create(ctx, configMap(ns, "by-controller", inRegion("g-centralus"))), want)
	})
	t.Run("deleting the freeze ends it", func(t *testing.T) {
		g := NewWithT(t)
		g.Expect(env.Client.Delete(ctx, frz)).To(Succeed())
		g.Eventually(func() error { return env.Client.Create(ctx, configMap(ns, "after", inRegion("g-centralus"))) }).Should(Succeed())
	})
}

func TestAnExpiredFreezeDeniesNothing(t *testing.T) {
	gateFixture(t)
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t, nil)
	frz := Freeze("gate-expiring", []string{"g-westeurope"}, ExpiringAt(clock.Now().Add(time.Hour)))
	g.Expect(env.Client.Create(ctx, frz)).To(Succeed())
	defer func() { _ = env.Client.Delete(ctx, frz) }()
	g.Eventually(func(g Gomega) {
		err := env.Client.Create(ctx, configMap(ns, "before", inRegion("g-westeurope")))
		g.Expect(err).To(MatchError(ContainSubstring("[wavegate:freeze] region g-westeurope is frozen by Freeze gate-expiring")))
	}).Should(Succeed())

	clock.Advance(61 * time.Minute)
	g.Expect(env.Client.Create(ctx, configMap(ns, "after", inRegion("g-westeurope")))).To(Succeed(),
		"the webhook checks expiresAt itself; it does not wait for a controller")
}

func TestMultiRegionObjectsAreDenied(t *testing.T) {
	gateFixture(t)
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t, nil)

	regions := &wavegatev1alpha1.RegionList{}
	g.Expect(env.Client.List(ctx, regions)).To(Succeed())
	// Every freeze covers an object for every region, so other rules may deny it too.
	expectDeniedWith(g, env.Client.Create(ctx, configMap(ns, "cleanup-config", annotated(wavegatev1alpha1.AnnotationRegions, "*"))),
		fmt.Sprintf("[wavegate:multi-region] ConfigMap %s/cleanup-config targets %d regions at once (*); split it into one object per region and roll it out with a ConfigRollout", ns, len(regions.Items)))

	expectDenied(g, env.Client.Create(ctx, configMap(ns, "two", annotated(wavegatev1alpha1.AnnotationRegions, "g-eastus,g-westeurope"))),
		fmt.Sprintf("[wavegate:multi-region] ConfigMap %s/two targets 2 regions at once (g-eastus, g-westeurope); split it into one object per region and roll it out with a ConfigRollout", ns))

	g.Expect(env.Client.Create(ctx, configMap(ns, "one", annotated(wavegatev1alpha1.AnnotationRegions, "g-eastus")))).To(Succeed())

	ctl, _ := clientAs(t, controllerUser)
	g.Expect(ctl.Create(ctx, configMap(ns, "sanctioned", annotated(wavegatev1alpha1.AnnotationRegions, "g-eastus,g-westeurope")))).To(Succeed(),
		"the controller is the sanctioned path")
}

func TestUnknownRegionsAreDenied(t *testing.T) {
	gateFixture(t)
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t, nil)
	expectDenied(g, env.Client.Create(ctx, configMap(ns, "nine", inRegion("chinaeast9"))),
		"[wavegate:unknown-region] region chinaeast9 is not in the region inventory; unknown is not safe")
	g.Expect(env.Client.Create(ctx, configMap(ns, "known", inRegion("g-eastus")))).To(Succeed())
}

func TestChangeVelocityHoldsAChangeToItsWaves(t *testing.T) {
	gateFixture(t)
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t, nil)

	g.Expect(env.Client.Create(ctx, configMap(ns, "vel1-east", inRegion("g-eastus"), change("vel-1")))).To(Succeed())
	g.Eventually(func(g Gomega) {
		until := clock.Now().Add(time.Hour)
		expectDenied(g, env.Client.Create(ctx, configMap(ns, "vel1-weu", inRegion("g-westeurope"), change("vel-1"))),
			"[wavegate:change-velocity] change vel-1 reached g-eastus 0s ago (wave w1, bake 1h); g-westeurope may follow after "+rfc3339(until)+"; use a ConfigRollout")
	}).Should(Succeed())

	t.Run("applying the same change again where it already is passes", func(t *testing.T) {
		g := NewWithT(t)
		cm := &corev1.ConfigMap{}
		g.Expect(env.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "vel1-east"}, cm)).To(Succeed())
		cm.Labels["touched"] = "yes"
		g.Expect(env.Client.Update(ctx, cm)).To(Succeed())
	})
	t.Run("the next wave may follow once the wave has baked", func(t *testing.T) {
		clock.Advance(61 * time.Minute)
		NewWithT(t).Expect(env.Client.Create(ctx, configMap(ns, "vel1-weu", inRegion("g-westeurope"), change("vel-1")))).To(Succeed())
	})
	t.Run("the failover pair of a region still baking is denied", func(t *testing.T) {
		g := NewWithT(t)
		g.Expect(env.Client.Create(ctx, configMap(ns, "vel2-east", inRegion("g-eastus"), change("vel-2")))).To(Succeed())
		g.Eventually(func(g Gomega) {
			err := env.Client.Create(ctx, configMap(ns, "vel2-west", inRegion("g-westus"), change("vel-2")))
			g.Expect(err).To(MatchError(ContainSubstring("[wavegate:change-velocity] change vel-2 reached g-eastus 0s ago (wave w1, bake 1h); its failover pair g-westus may follow after " + rfc3339(clock.Now().Add(time.Hour)))))
		}).Should(Succeed())
	})
	t.Run("without a plan a second region waits an hour", func(t *testing.T) {
		g := NewWithT(t)
		noPlan := func(cm *corev1.ConfigMap) { cm.Annotations[wavegatev1alpha1.AnnotationPlan] = "no-such-plan" }
		g.Expect(env.Client.Create(ctx, configMap(ns, "vel3-east", inRegion("g-eastus"), noPlan, change("vel-3")))).To(Succeed())
		g.Eventually(func(g Gomega) {
			expectDenied(g, env.Client.Create(ctx, configMap(ns, "vel3-weu", inRegion("g-westeurope"), noPlan, change("vel-3"))),
				"[wavegate:change-velocity] change vel-3 reached g-eastus 0s ago and there is no WavePlan no-such-plan, so a second region waits 1h; g-westeurope may follow after "+rfc3339(clock.Now().Add(time.Hour))+"; use a ConfigRollout")
		}).Should(Succeed())
	})
	t.Run("the controller is exempt", func(t *testing.T) {
		ctl, _ := clientAs(t, controllerUser)
		NewWithT(t).Expect(ctl.Create(ctx, configMap(ns, "vel2-west-ctl", inRegion("g-westus"), change("vel-2")))).To(Succeed())
	})
}

func TestServerSideDryRunShowsTheVerdictAndRecordsNothing(t *testing.T) {
	gateFixture(t)
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t, nil)

	g.Expect(env.Client.Create(ctx, configMap(ns, "dry", inRegion("g-eastus"), change("dry-1")), client.DryRunAll)).To(Succeed())
	expectDenied(g, env.Client.Create(ctx, configMap(ns, "dry-nine", inRegion("chinaeast9")), client.DryRunAll),
		"[wavegate:unknown-region] region chinaeast9 is not in the region inventory; unknown is not safe")

	records := &wavegatev1alpha1.ChangeRecordList{}
	g.Expect(env.Client.List(ctx, records)).To(Succeed())
	for _, r := range records.Items {
		g.Expect(r.Spec.ChangeID).NotTo(Equal("dry-1"), "a dry run must record nothing")
	}
	// The same change for real, in a later wave, passes: the dry run left no trace.
	g.Expect(env.Client.Create(ctx, configMap(ns, "dry-weu", inRegion("g-westeurope"), change("dry-1")))).To(Succeed())
}

// setKeysRegions writes the observed region states of ConfigRollout
// gate-keys, as the rollout controller would: for its current generation.
func setKeysRegions(g Gomega, regions ...wavegatev1alpha1.RolloutRegionStatus) {
	ctx := context.Background()
	ro := &wavegatev1alpha1.ConfigRollout{}
	g.Expect(env.Client.Get(ctx, client.ObjectKey{Name: "gate-keys"}, ro)).To(Succeed())
	ro.Status.ObservedGeneration = ro.Generation
	ro.Status.Regions = regions
	g.Expect(env.Client.Status().Update(ctx, ro)).To(Succeed())
}

func TestRequiresWaitsForConvergenceInTheRegionAndItsPair(t *testing.T) {
	gateFixture(t)
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t, nil)
	g.Expect(env.Client.Create(ctx, Rollout("gate-keys", WithPlan("gate-plan")))).To(Succeed())
	setKeysRegions(g,
		wavegatev1alpha1.RolloutRegionStatus{Name: "g-eastus", State: wavegatev1alpha1.RegionPinned, ObservedVersion: "1.9.3", Message: "hotfix hold"},
		wavegatev1alpha1.RolloutRegionStatus{Name: "g-westus", State: wavegatev1alpha1.RegionPinned, ObservedVersion: "1.9.3"},
	)
	rotation := func(name string) *corev1.ConfigMap {
		return configMap(ns, name, inRegion("g-eastus"), annotated(wavegatev1alpha1.AnnotationRequires, "gate-keys"))
	}
	g.Eventually(func(g Gomega) {
		expectDenied(g, env.Client.Create(ctx, rotation("key-rotation")),
			"[wavegate:requires] ConfigRollout gate-keys has not converged in g-eastus (Pinned at 1.9.3: hotfix hold) and g-westus (Pinned at 1.9.3); apply this change once it has converged there")
	}).Should(Succeed())

	t.Run("convergence in the region alone is not enough", func(t *testing.T) {
		g := NewWithT(t)
		setKeysRegions(g,
			wavegatev1alpha1.RolloutRegionStatus{Name: "g-eastus", State: wavegatev1alpha1.RegionConverged, ObservedVersion: "2.0.0"},
			wavegatev1alpha1.RolloutRegionStatus{Name: "g-westus", State: wavegatev1alpha1.RegionPinned, ObservedVersion: "1.9.3"},
		)
		g.Eventually(func(g Gomega) {
			expectDenied(g, env.Client.Create(ctx, rotation("key-rotation")),
				"[wavegate:requires] ConfigRollout gate-keys has not converged in g-westus (Pinned at 1.9.3); apply this change once it has converged there")
		}).Should(Succeed())
	})
	t.Run("convergence in both admits the change", func(t *testing.T) {
		g := NewWithT(t)
		setKeysRegions(g,
			wavegatev1alpha1.RolloutRegionStatus{Name: "g-eastus", State: wavegatev1alpha1.RegionConverged, ObservedVersion: "2.0.0"},
			wavegatev1alpha1.RolloutRegionStatus{Name: "g-westus", State: wavegatev1alpha1.RegionConverged, ObservedVersion: "2.0.0"},
		)
		g.Eventually(func() error { return env.Client.Create(ctx, rotation("key-rotation")) }).Should(Succeed())
	})
	t.Run("status the controller has not written for the edited spec is stale", func(t *testing.T) {
		g := NewWithT(t)
		ro := &wavegatev1alpha1.ConfigRollout{}
		g.Expect(env.Client.Get(ctx, client.ObjectKey{Name: "gate-keys"}, ro)).To(Succeed())
		ro.Spec.Version = "2.1.0"
		g.Expect(env.Client.Update(ctx, ro)).To(Succeed())
		g.Eventually(func(g Gomega) {
			expectDenied(g, env.Client.Create(ctx, rotation("key-rotation-2")),
				fmt.Sprintf("[wavegate:requires] ConfigRollout gate-keys has not converged in g-eastus (status is for generation %[1]d, not the current %[2]d) and g-westus (status is for generation %[1]d, not the current %[2]d); apply this change once it has converged there", ro.Generation-1, ro.Generation))
		}).Should(Succeed())
		t.Run("and once written, regions observed at the old version are not converged", func(t *testing.T) {
			g := NewWithT(t)
			setKeysRegions(g,
				wavegatev1alpha1.RolloutRegionStatus{Name: "g-eastus", State: wavegatev1alpha1.RegionConverged, ObservedVersion: "2.0.0"},
				wavegatev1alpha1.RolloutRegionStatus{Name: "g-westus", State: wavegatev1alpha1.RegionConverged, ObservedVersion: "2.1.0"},
			)
			g.Eventually(func(g Gomega) {
				expectDenied(g, env.Client.Create(ctx, rotation("key-rotation-2")),
					"[wavegate:requires] ConfigRollout gate-keys has not converged in g-eastus (Converged at 2.0.0, not at 2.1.0); apply this change once it has converged there")
			}).Should(Succeed())
		})
	})
	t.Run("a rollout that does not exist denies", func(t *testing.T) {
		expectDenied(NewWithT(t), env.Client.Create(ctx, configMap(ns, "orphan", inRegion("g-eastus"), annotated(wavegatev1alpha1.AnnotationRequires, "gate-none"))),
			"[wavegate:requires] ConfigRollout gate-none does not exist; create it and let it converge before this change")
	})
}

func TestProtectedObjectsAreNotDeleted(t *testing.T) {
	gateFixture(t)
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t, nil)
	keep := configMap(ns, "endpoint-eus", protectedAs(wavegatev1alpha1.ProtectionProtected))
	tmp := configMap(ns, "scratch", protectedAs(wavegatev1alpha1.ProtectionDeletable))
	g.Expect(env.Client.Create(ctx, keep)).To(Succeed())
	g.Expect(env.Client.Create(ctx, tmp)).To(Succeed())

	expectDenied(g, env.Client.Delete(ctx, keep),
		fmt.Sprintf("[wavegate:protected-delete] ConfigMap %s/endpoint-eus is labelled wavegate.io/protection=protected; have a human label it wavegate.io/protection=deletable first, or use break-glass", ns))
	g.Expect(env.Client.Delete(ctx, tmp)).To(Succeed(), "a human may delete what is not protected")

	nsObj := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}
	g.Eventually(func(g Gomega) {
		expectDenied(g, env.Client.Delete(ctx, nsObj),
			fmt.Sprintf("[wavegate:protected-delete] Namespace %s contains protected objects (ConfigMap %s/endpoint-eus); delete or relabel them first, or use break-glass", ns, ns))
	}).Should(Succeed())

	breakGlass := testutil.ToFloat64(metrics.AdmissionRequests.WithLabelValues("protected-delete", metrics.DecisionBreakGlass))
	sre, warnings := clientAs(t, "carol", "wavegate:break-glass")
	g.Expect(sre.Delete(ctx, keep)).To(Succeed())
	g.Expect(warnings.Take()).To(ConsistOf(fmt.Sprintf(
		"[wavegate:protected-delete] ConfigMap %s/endpoint-eus is labelled wavegate.io/protection=protected; admitted as break-glass for carol", ns)))
	g.Expect(testutil.ToFloat64(metrics.AdmissionRequests.WithLabelValues("protected-delete", metrics.DecisionBreakGlass))).To(Equal(breakGlass+1),
		"break-glass is counted")
	g.Eventually(func(g Gomega) {
		events := &eventsv1.EventList{}
		g.Expect(env.Client.List(ctx, events, client.InNamespace(ns))).To(Succeed())
		g.Expect(events.Items).To(ContainElement(And(
			HaveField("Reason", "BreakGlass"),
			HaveField("Regarding.Name", "endpoint-eus"),
			HaveField("Note", ContainSubstring("by carol")),
		)))
	}).Should(Succeed(), "break-glass leaves an Event on the object")

	g.Eventually(func() error { return env.Client.Delete(ctx, nsObj) }).Should(Succeed(),
		"with the protected object gone the namespace may go")
}

func TestDeleteAutomationStaysInsideItsPolicy(t *testing.T) {
	gateFixture(t)
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t, nil)
	policy := Policy("gate-cleanup", []string{"g-eastus"}, func(p *wavegatev1alpha1.AutomationPolicy) {
		p.Spec.Identities.ServiceAccounts = []string{"gate-auto/cleaner"}
		p.Spec.Scope.Namespaces = []string{ns}
		p.Spec.Scope.Resources = []wavegatev1alpha1.GroupResource{{Group: "", Resource: "configmaps"}}
		p.Spec.MaxDeletionsPerHour = 2
	})
	g.Expect(env.Client.Create(ctx, policy)).To(Succeed())
	deletable := protectedAs(wavegatev1alpha1.ProtectionDeletable)
	for _, cm := range []*corev1.ConfigMap{
		configMap(ns, "d1", inRegion("g-eastus"), deletable),
		configMap(ns, "d2", inRegion("g-eastus"), deletable),
		configMap(ns, "d3", inRegion("g-eastus"), deletable),
		configMap(ns, "untagged", inRegion("g-eastus")),
		configMap(ns, "west", inRegion("g-westus"), deletable),
	} {
		g.Expect(env.Client.Create(ctx, cm)).To(Succeed())
	}
	cleaner, _ := clientAs(t, "system:serviceaccount:gate-auto:cleaner", "system:serviceaccounts")
	del := func(name string) error {
		return cleaner.Delete(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}})
	}
	setStatus := func(g Gomega, untagged int32) {
		p := &wavegatev1alpha1.AutomationPolicy{}
		g.Expect(env.Client.Get(ctx, client.ObjectKeyFromObject(policy), p)).To(Succeed())
		p.Status.ObservedGeneration = p.Generation
		p.Status.UntaggedCount = untagged
		status := metav1.ConditionTrue
		if untagged > 0 {
			status = metav1.ConditionFalse
		}
		p.Status.Conditions = []metav1.Condition{{Type: wavegatev1alpha1.ConditionReady, Status: status, Reason: "Scanned", Message: "scanned", LastTransitionTime: metav1.Now()}}
		g.Expect(env.Client.Status().Update(ctx, p)).To(Succeed())
	}

	g.Eventually(func(g Gomega) {
		expectDeniedWith(g, del("d1"), "[wavegate:automation-scope] AutomationPolicy gate-cleanup is not Ready: its status has not been reported yet; wait for the controller to report its status")
	}).Should(Succeed())

	setStatus(g, 3)
	g.Eventually(func(g Gomega) {
		expectDenied(g, del("d1"), "[wavegate:automation-scope] AutomationPolicy gate-cleanup is not Ready: 3 resources in scope are untagged; tag them before the automation may run")
	}).Should(Succeed())

	setStatus(g, 0)
	g.Eventually(func() error { return del("d1") }).Should(Succeed(), "a Ready policy lets the automation delete deletable objects in scope")

	expectDenied(g, del("untagged"), fmt.Sprintf(
		"[wavegate:protected-delete] ConfigMap %s/untagged is not tagged wavegate.io/protection=deletable; automation may not delete it", ns))
	expectDenied(g, del("west"), fmt.Sprintf(
		"[wavegate:automation-scope] ConfigMap %s/west is outside the scope of AutomationPolicy gate-cleanup (region g-westus is not in scope); automation may delete only inside its scope", ns))

	g.Expect(del("d2")).To(Succeed())
	expectDenied(g, del("d3"),
		"[wavegate:automation-scope] AutomationPolicy gate-cleanup tripped its mass-deletion breaker: 2 deletions in the last hour (maxDeletionsPerHour 2); wait until fewer deletions fall in the last hour or raise maxDeletionsPerHour")

	clock.Advance(61 * time.Minute)
	g.Expect(del("d3")).To(Succeed(), "the breaker counts the last hour only")
}
