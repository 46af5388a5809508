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

package config

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	wavegatev1alpha1 "github.com/wavegate/wavegate/api/v1alpha1"
	. "github.com/wavegate/wavegate/internal/test/objects"
	"github.com/wavegate/wavegate/internal/test/testenv"
)

// freezeEdit is one update of a Freeze: the Freeze as it is stored, the
// change, and the denial a plain user gets ("" when the edit tightens it).
type freezeEdit struct {
	name   string
	stored []Option[wavegatev1alpha1.Freeze]
	change func(*wavegatev1alpha1.Freeze)
	denied string
}

// SPEC §11 S6: an active Freeze ends early only when it is deleted or edited
// by break-glass. The ValidatingAdmissionPolicy of the kustomize install is
// installed into a real API server (it needs no webhook, so it holds while
// every replica is down) and each edit is tried as a user whom RBAC lets
// update Freezes (wavegate-admin), with and without the break-glass group.
func TestTheFreezePolicyLetsOnlyBreakGlassLoosenAFreeze(t *testing.T) {
	g := NewWithT(t)
	objs := renderDefault(t)

	env, err := testenv.StartWithoutWebhookServer()
	g.Expect(err).NotTo(HaveOccurred())
	defer func() { g.Expect(env.Stop()).To(Succeed()) }()
	ctx := context.Background()
	installed := false
	for _, o := range objs {
		switch {
		case o.GetKind() == "ValidatingAdmissionPolicy" || o.GetKind() == "ValidatingAdmissionPolicyBinding",
			o.GetKind() == "ClusterRole" && o.GetName() == "wavegate-admin":
			g.Expect(env.Client.Apply(ctx, client.ApplyConfigurationFromUnstructured(o), client.FieldOwner("test"))).To(Succeed(), "%s %s", o.GetKind(), o.GetName())
			installed = installed || o.GetName() == "wavegate-freezes.wavegate.io"
		}
	}
	g.Expect(installed).To(BeTrue(), "the install has the Freeze policy")
	g.Expect(env.Client.Create(ctx, &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "freeze-editors"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "wavegate-admin"},
		Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: "User", Name: "mallory"}, {APIGroup: rbacv1.GroupName, Kind: "User", Name: "sre"}},
	})).To(Succeed())

	as := func(user string, groups ...string) client.Client {
		cfg := rest.CopyConfig(env.Config)
		cfg.Impersonate = rest.ImpersonationConfig{UserName: user, Groups: groups}
		c, err := client.New(cfg, client.Options{Scheme: env.Scheme})
		g.Expect(err).NotTo(HaveOccurred())
		return c
	}
	mallory, sre := as("mallory", "system:authenticated"), as("sre", "system:authenticated", "wavegate:break-glass")

	now := time.Now().UTC().Truncate(time.Second)
	in2h, in4h := now.Add(2*time.Hour), now.Add(4*time.Hour)
	rfc := func(t time.Time) string { return t.Format(time.RFC3339) }
	allowingReverts := func(f *wavegatev1alpha1.Freeze) { f.Spec.AllowReverts = true }
	exempting := func(group string) Option[wavegatev1alpha1.Freeze] {
		return func(f *wavegatev1alpha1.Freeze) { f.Spec.Exemptions.Groups = append(f.Spec.Exemptions.Groups, group) }
	}
	loosen := []freezeEdit{
		{"move the expiry earlier", []Option[wavegatev1alpha1.Freeze]{ExpiringAt(in4h)},
			func(f *wavegatev1alpha1.Freeze) { f.Spec.ExpiresAt = &metav1.Time{Time: now.Add(5 * time.Second)} },
			fmt.Sprintf("[wavegate:freeze] mallory may not move the expiry of Freeze %%s earlier (%s to %s); "+
				"only the break-glass group (wavegate:break-glass) may; delete the Freeze to end it", rfc(in4h), rfc(now.Add(5*time.Second)))},
		{"give a Freeze without one an expiry", nil,
			func(f *wavegatev1alpha1.Freeze) { f.Spec.ExpiresAt = &metav1.Time{Time: in4h} },
			fmt.Sprintf("[wavegate:freeze] mallory may not give Freeze %%s an expiry (%s); it had none; "+
				"only the break-glass group (wavegate:break-glass) may; delete the Freeze to end it", rfc(in4h))},
		{"turn on allowReverts", nil, allowingReverts,
			"[wavegate:freeze] mallory may not turn on allowReverts of Freeze %s, which lets reverts through it; " +
				"only the break-glass group (wavegate:break-glass) may; delete the Freeze to end it"},
		{"narrow the regions", nil,
			func(f *wavegatev1alpha1.Freeze) { f.Spec.Regions = []string{"eastus"} },
			"[wavegate:freeze] mallory may not narrow the regions of Freeze %s (eastus, westus to eastus); " +
				"only the break-glass group (wavegate:break-glass) may; delete the Freeze to end it"},
		{"widen the exemptions", nil,
			func(f *wavegatev1alpha1.Freeze) { f.Spec.Exemptions.Groups = []string{"deployers"} },
			"[wavegate:freeze] mallory may not widen the exemptions of Freeze %s; " +
				"only the break-glass group (wavegate:break-glass) may, or create a new Freeze"},
	}
	tighten := []freezeEdit{
		{"move the expiry later", []Option[wavegatev1alpha1.Freeze]{ExpiringAt(in2h)},
			func(f *wavegatev1alpha1.Freeze) { f.Spec.ExpiresAt = &metav1.Time{Time: in4h} }, ""},
		{"remove the expiry", []Option[wavegatev1alpha1.Freeze]{ExpiringAt(in2h)},
			func(f *wavegatev1alpha1.Freeze) { f.Spec.ExpiresAt = nil }, ""},
		{"keep the expiry and change the ticket", []Option[wavegatev1alpha1.Freeze]{ExpiringAt(in2h)},
			func(f *wavegatev1alpha1.Freeze) { f.Spec.Ticket = "INC-2" }, ""},
		{"turn off allowReverts", []Option[wavegatev1alpha1.Freeze]{allowingReverts},
			func(f *wavegatev1alpha1.Freeze) { f.Spec.AllowReverts = false }, ""},
		{"add a region", nil,
			func(f *wavegatev1alpha1.Freeze) { f.Spec.Regions = append(f.Spec.Regions, "centralus") }, ""},
		{"freeze every region", nil,
			func(f *wavegatev1alpha1.Freeze) { f.Spec.Regions = []string{wavegatev1alpha1.AllRegions} }, ""},
		{"narrow the exemptions", []Option[wavegatev1alpha1.Freeze]{exempting("oncall")},
			func(f *wavegatev1alpha1.Freeze) { f.Spec.Exemptions.Groups = nil }, ""},
	}

	n := 0
	try := func(c client.Client, e freezeEdit) error {
		n++
		name := fmt.Sprintf("edit-%d", n)
		g.Expect(env.Client.Create(ctx, Freeze(name, []string{"eastus", "westus"}, e.stored...))).To(Succeed())
		f := &wavegatev1alpha1.Freeze{}
		g.Expect(c.Get(ctx, client.ObjectKey{Name: name}, f)).To(Succeed())
		e.change(f)
		return c.Update(ctx, f)
	}
	// The API server applies a new policy once its informer has it.
	narrow := loosen[3]
	g.Eventually(func() error { return try(mallory, narrow) }).WithTimeout(30 * time.Second).Should(MatchError(ContainSubstring("[wavegate:freeze]")))

	for _, e := range loosen {
		t.Run("a plain user may not "+e.name, func(t *testing.T) {
			err := try(mallory, e)
			g := NewWithT(t)
			g.Expect(err).To(HaveOccurred())
			g.Expect(err.Error()).To(ContainSubstring(fmt.Sprintf(e.denied, fmt.Sprintf("edit-%d", n))))
			g.Expect(strings.Count(err.Error(), "[wavegate:freeze]")).To(Equal(1), "one edit, one line: %v", err)
		})
		t.Run("break-glass may "+e.name, func(t *testing.T) {
			NewWithT(t).Expect(try(sre, e)).To(Succeed())
		})
	}
	for _, e := range tighten {
		t.Run("a plain user may "+e.name, func(t *testing.T) {
			NewWithT(t).Expect(try(mallory, e)).To(Succeed())
		})
	}
}
