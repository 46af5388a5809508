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
	"errors"
	"os"
	"sync"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	wavegatev1alpha1 "github.com/wavegate/wavegate/api/v1alpha1"
	"github.com/wavegate/wavegate/internal/setup"
	. "github.com/wavegate/wavegate/internal/test/objects"
	"github.com/wavegate/wavegate/internal/test/testenv"
)

var env *testenv.Env

// testNow is when the webhooks' clock starts, so time-dependent messages are
// exact; clock lets a test move it on.
var (
	testNow = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	clock   = NewFakeClock(testNow)
)

// controllerUser is Wavegate's controller identity in these tests.
const controllerUser = "wavegate-controller"

// gateConfiguration is the gate's ValidatingWebhookConfiguration as
// config/webhook installs it (without kustomize's name prefix).
const gateConfiguration = "gate"

func TestMain(m *testing.M) {
	os.Exit(testenv.Main(m, &env, func(mgr ctrl.Manager) error {
		opts := setup.Defaults()
		opts.Now = clock.Now
		opts.ControllerUser = controllerUser
		opts.AutomationScanResources = "configmaps"
		opts.GateConfiguration = gateConfiguration
		// Only the webhooks, and the controller that keeps the gate's
		// delete-automation identities: these tests write rollout status
		// themselves, as the rollout controller would.
		return errors.Join(setup.Webhooks(mgr, opts), setup.AutomationIdentities(mgr, opts))
	}))
}

var fixtureOnce sync.Once

// fixture creates the inventory the cases refer to: fx-a/fx-b and fx-f/fx-g
// are failover pairs; fx-c, fx-d and fx-e have none. Plan fx-plan has waves
// w1 [fx-a fx-c] and w2 [fx-b fx-d].
func fixture(t *testing.T) {
	t.Helper()
	fixtureOnce.Do(func() {
		ctx := context.Background()
		objs := []client.Object{
			Region("fx-a"), Region("fx-b", PairedWith("fx-a")), Region("fx-c"), Region("fx-d"), Region("fx-e"),
			Region("fx-f"), Region("fx-g", PairedWith("fx-f")),
		}
		for _, o := range objs {
			NewWithT(t).Expect(env.Client.Create(ctx, o)).To(Succeed())
		}
		pairBack := func(name, pair string) {
			rg := &wavegatev1alpha1.Region{}
			NewWithT(t).Expect(env.Client.Get(ctx, client.ObjectKey{Name: name}, rg)).To(Succeed())
			rg.Spec.PairedRegion = pair
			NewWithT(t).Expect(env.Client.Update(ctx, rg)).To(Succeed())
		}
		pairBack("fx-a", "fx-b")
		pairBack("fx-f", "fx-g")
		NewWithT(t).Expect(env.Client.Create(ctx, WavePlan("fx-plan", Wave("w1", "fx-a", "fx-c"), Wave("w2", "fx-b", "fx-d")))).To(Succeed())
	})
}

// expectInvalid asserts that err is the API server's Invalid error with a
// cause on field whose message is exactly message.
func expectInvalid(g Gomega, err error, fieldPath, message string) {
	g.Expect(err).To(HaveOccurred(), "the API server admitted the object")
	var status apierrors.APIStatus
	g.Expect(errors.As(err, &status)).To(BeTrue(), "not an API status error: %v", err)
	g.Expect(status.Status().Reason).To(Equal(metav1.StatusReasonInvalid), "%v", err)
	g.Expect(status.Status().Details).NotTo(BeNil(), "%v", err)
	g.Expect(status.Status().Details.Causes).To(ContainElement(And(
		HaveField("Field", fieldPath),
		HaveField("Message", message),
	)), "%v", err)
}

func TestInvalidObjectsAreRejectedByTheAPIServer(t *testing.T) {
	fixture(t)
	now := clock.Now().UTC().Format(time.RFC3339)
	cases := []struct {
		name    string
		obj     client.Object
		field   string
		message string
	}{
		// Region
		{
			name:    "a region paired with itself",
			obj:     Region("iv-self", PairedWith("iv-self")),
			field:   "spec.pairedRegion",
			message: `Invalid value: spec.pairedRegion must name another region, not this one`,
		},
		{
			name:    "a region paired with a region that has another pair",
			obj:     Region("iv-third", PairedWith("fx-a")),
			field:   "spec.pairedRegion",
			message: `Invalid value: "fx-a": Region fx-a is already paired with fx-b; a region has one failover pair, so unpair them first`,
		},
		{
			name:    "a region name that cannot be a label value",
			obj:     Region("east.us"),
			field:   "metadata.name",
			message: `Invalid value: "east.us": must be a DNS label (lowercase letters, digits and '-', at most 63 characters) because it is the value of the wavegate.io/region label`,
		},
		{
			name: "a display name that is too long",
			obj: func() client.Object {
				r := Region("iv-long")
				r.Spec.DisplayName = string(make([]byte, 129))
				return r
			}(),
			field:   "spec.displayName",
			message: `Too long: may not be more than 128 bytes`,
		},
		// WavePlan
		{
			name:    "a region in two waves",
			obj:     WavePlan("iv-twice", Wave("w1", "fx-c"), Wave("w2", "fx-d", "fx-c")),
			field:   "spec.waves[1].regions[1]",
			message: `Invalid value: "fx-c": region fx-c is already in wave w1; a region belongs to exactly one wave, so remove it from one of them`,
		},
		{
			name:    "a failover pair in one wave",
			obj:     WavePlan("iv-pair", Wave("w1", "fx-a", "fx-c", "fx-b")),
			field:   "spec.waves[0].regions[2]",
			message: `Invalid value: "fx-b": regions fx-a and fx-b are a failover pair and may not share wave w1; move one of them to another wave`,
		},
		{
			name:    "a region that is not in the inventory",
			obj:     WavePlan("iv-unknown", Wave("w1", "fx-c"), Wave("w2", "chinaeast9")),
			field:   "spec.waves[1].regions[0]",
			message: `Invalid value: "chinaeast9": region chinaeast9 is not in the region inventory; create the Region first or fix the name (unknown is not safe)`,
		},
		{
			name:    "two waves with one name",
			obj:     WavePlan("iv-dupname", Wave("w1", "fx-c"), Wave("w1", "fx-d")),
			field:   "spec.waves[1]",
			message: `Duplicate value: {"name":"w1"}`,
		},
		{
			name: "a bake time below the plan's minimum",
			obj: func() client.Object {
				wp := WavePlan("iv-bake", Wave("w1", "fx-c"), Wave("w2", "fx-d"))
				wp.Spec.Waves[1].BakeTime = metav1.Duration{Duration: 5 * time.Minute}
				return wp
			}(),
			field:   "spec.waves",
			message: `Invalid value: every wave's bakeTime must be at least minBakeTime; raise the bakeTime of the waves below it or lower minBakeTime`,
		},
		{
			name: "a wave above maxRegionsPerWave",
			obj: func() client.Object {
				wp := WavePlan("iv-big", Wave("w1", "fx-c", "fx-d", "fx-e"))
				two := int32(2)
				wp.Spec.MaxRegionsPerWave = &two
				return wp
			}(),
			field:   "spec.waves",
			message: `Invalid value: a wave has more regions than maxRegionsPerWave; split it into smaller waves`,
		},
		{
			name:    "an empty wave",
			obj:     WavePlan("iv-empty", Wave("w1", "fx-c"), Wave("w2")),
			field:   "spec.waves[1].regions",
			message: `Required value`,
		},
		{
			name:    "a plan without waves",
			obj:     WavePlan("iv-nowaves"),
			field:   "spec.waves",
			message: `Required value`,
		},
		// ConfigRollout
		{
			name: "a target with both name and selector",
			obj: Rollout("iv-both", WithPlan("fx-plan"), func(r *wavegatev1alpha1.ConfigRollout) {
				r.Spec.Target.Selector = &metav1.LabelSelector{MatchLabels: map[string]string{"app": "x"}}
			}),
			field:   "spec.target",
			message: `Invalid value: exactly one of name or selector must be set`,
		},
		{
			name: "a target with neither name nor selector",
			obj: Rollout("iv-neither", WithPlan("fx-plan"), func(r *wavegatev1alpha1.ConfigRollout) {
				r.Spec.Target.Name = ""
			}),
			field:   "spec.target",
			message: `Invalid value: exactly one of name or selector must be set`,
		},
		{
			name: "an empty patch",
			obj: Rollout("iv-nopatch", WithPlan("fx-plan"), func(r *wavegatev1alpha1.ConfigRollout) {
				r.Spec.Patch = JSON(map[string]any{})
			}),
			field:   "spec.patch",
			message: `Invalid value: 0: spec.patch in body should have at least 1 properties`,
		},
		{
			name: "a health check that is not PromQL",
			obj: Rollout("iv-promql", WithPlan("fx-plan"), func(r *wavegatev1alpha1.ConfigRollout) {
				r.Spec.HealthChecks = []wavegatev1alpha1.HealthCheck{{Name: "errors", Query: `sum(rate(errors{region="{{ .Region }}"}[2m])`, Max: ptr.To("0.01")}}
			}),
			field:   "spec.healthChecks[0].query",
			message: `Invalid value: "sum(rate(errors{region=\"{{ .Region }}\"}[2m])": not PromQL: 1:38: parse error: unclosed left parenthesis`,
		},
		{
			name: "a health check without bounds",
			obj: Rollout("iv-nobound", WithPlan("fx-plan"), func(r *wavegatev1alpha1.ConfigRollout) {
				r.Spec.HealthChecks = []wavegatev1alpha1.HealthCheck{{Name: "errors", Query: "up"}}
			}),
			field:   "spec.healthChecks[0]",
			message: `Invalid value: set max (unhealthy above it), min (unhealthy below it), or both`,
		},
		{
			name: "a health check bound that is not a number",
			obj: Rollout("iv-nan", WithPlan("fx-plan"), func(r *wavegatev1alpha1.ConfigRollout) {
				r.Spec.HealthChecks = []wavegatev1alpha1.HealthCheck{{Name: "errors", Query: "up", Max: ptr.To("one percent")}}
			}),
			field:   "spec.healthChecks[0].max",
			message: `Invalid value: "one percent": not a number; write a decimal number such as "0.01"`,
		},
		{
			name: "a health check interval under a second",
			obj: Rollout("iv-fast", WithPlan("fx-plan"), func(r *wavegatev1alpha1.ConfigRollout) {
				r.Spec.HealthChecks = []wavegatev1alpha1.HealthCheck{{Name: "errors", Query: "up", Max: ptr.To("1"),
					Interval: &metav1.Duration{Duration: 100 * time.Millisecond}}}
			}),
			field:   "spec.healthChecks[0].interval",
			message: `Invalid value: "100ms": must be at least 1s`,
		},
		{
			name:    "a rollout that depends on itself",
			obj:     Rollout("iv-selfdep", WithPlan("fx-plan"), DependingOn("iv-selfdep")),
			field:   "spec.dependsOn",
			message: `Invalid value: spec.dependsOn must not name the rollout itself`,
		},
		{
			name:    "a plan that does not exist",
			obj:     Rollout("iv-noplan", WithPlan("no-such-plan")),
			field:   "spec.planRef",
			message: `Invalid value: "no-such-plan": WavePlan no-such-plan does not exist; create it or name an existing plan`,
		},
		{
			name:    "a region that is not in the plan",
			obj:     Rollout("iv-region", WithPlan("fx-plan"), InRegions("fx-a", "fx-e")),
			field:   "spec.regions[1]",
			message: `Invalid value: "fx-e": region fx-e is not in WavePlan fx-plan; add it to a wave of the plan or remove it here`,
		},
		{
			name:    "a skipped region that is not in the plan",
			obj:     Rollout("iv-skip", WithPlan("fx-plan"), Skipping("fx-e", "separate sovereign rollout")),
			field:   "spec.skipRegions[0].name",
			message: `Invalid value: "fx-e": region fx-e is not in WavePlan fx-plan; add it to a wave of the plan or remove it here`,
		},
		{
			name:    "a skipped region without a reason",
			obj:     Rollout("iv-noreason", WithPlan("fx-plan"), Skipping("fx-c", "   ")),
			field:   "spec.skipRegions[0].reason",
			message: `Invalid value: "   ": reason must say why the region is skipped`,
		},
		{
			name:    "a rollout without a version",
			obj:     Rollout("iv-noversion", WithPlan("fx-plan"), WithVersion("")),
			field:   "spec.version",
			message: `Invalid value: "": spec.version in body should be at least 1 chars long`,
		},
		// Freeze
		{
			name: "a freeze with a short reason",
			obj: Freeze("iv-short", []string{"fx-c"}, func(f *wavegatev1alpha1.Freeze) {
				f.Spec.Reason = "outage"
			}),
			field:   "spec.reason",
			message: `Invalid value: "outage": spec.reason in body should be at least 10 chars long`,
		},
		{
			name:    "a freeze that mixes * with regions",
			obj:     Freeze("iv-mixed", []string{"*", "fx-c"}),
			field:   "spec.regions",
			message: `Invalid value: use "*" alone to freeze every region, or list regions without "*"`,
		},
		{
			name:    "a freeze of an unknown region",
			obj:     Freeze("iv-frzunknown", []string{"fx-c", "chinaeast9"}),
			field:   "spec.regions[1]",
			message: `Invalid value: "chinaeast9": region chinaeast9 is not in the region inventory; create the Region first or fix the name (unknown is not safe)`,
		},
		{
			name:    "a freeze that has already expired",
			obj:     Freeze("iv-expired", []string{"*"}, ExpiringAt(time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC))),
			field:   "spec.expiresAt",
			message: `Invalid value: "2020-01-02T03:04:05Z": must be in the future (now is ` + now + `); to end a freeze, delete it`,
		},
		{
			name:    "a freeze of no region",
			obj:     Freeze("iv-noregion", []string{}),
			field:   "spec.regions",
			message: `Invalid value: 0: spec.regions in body should have at least 1 items`,
		},
		// AutomationPolicy
		{
			name: "a policy without an identity",
			obj: Policy("iv-noone", []string{"fx-c"}, func(p *wavegatev1alpha1.AutomationPolicy) {
				p.Spec.Identities = wavegatev1alpha1.Identities{}
			}),
			field:   "spec.identities",
			message: `Invalid value: name at least one identity in serviceAccounts, users or groups`,
		},
		{
			name:    "a policy scoped to an unknown region",
			obj:     Policy("iv-apunknown", []string{"fx-c", "chinaeast9"}),
			field:   "spec.scope.regions[1]",
			message: `Invalid value: "chinaeast9": region chinaeast9 is not in the region inventory; create the Region first or fix the name (unknown is not safe)`,
		},
		{
			name: "a service account that is not namespace/name",
			obj: Policy("iv-sa", []string{"*"}, func(p *wavegatev1alpha1.AutomationPolicy) {
				p.Spec.Identities.ServiceAccounts = []string{"cleaner"}
			}),
			field:   "spec.identities.serviceAccounts[0]",
			message: `Invalid value: "cleaner": spec.identities.serviceAccounts[0] in body should match '^[a-z0-9]([-a-z0-9]*[a-z0-9])?/[a-z0-9]([-a-z0-9.]*[a-z0-9])?$'`,
		},
		{
			name: "a negative deletion breaker",
			obj: Policy("iv-breaker", []string{"*"}, func(p *wavegatev1alpha1.AutomationPolicy) {
				p.Spec.MaxDeletionsPerHour = -1
			}),
			field:   "spec.maxDeletionsPerHour",
			message: `Invalid value: -1: spec.maxDeletionsPerHour in body should be greater than or equal to 0`,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			err := env.Client.Create(context.Background(), tc.obj)
			expectInvalid(g, err, tc.field, tc.message)
		})
	}
}
