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

package main

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	wavegatev1alpha1 "github.com/wavegate/wavegate/api/v1alpha1"
	"github.com/wavegate/wavegate/internal/cli"
	"github.com/wavegate/wavegate/internal/manifest"
	"github.com/wavegate/wavegate/internal/test/testenv"
)

// Issue 24: with every replica down, pause created the Freeze (in force: the
// webhooks fail closed) and then waited 30 s and exited 1, which a script
// reads as "the pause failed". It now says within seconds that the Freeze
// is in force and no replica is ready, with exit code 3. This control plane
// has Wavegate's CRDs and webhook configuration and nothing serving them;
// the webhook Service's Endpoints and the leader Lease are written by hand,
// as the endpoints controller and a leader would.
func TestPauseWithNoReplicaReadySaysSoFast(t *testing.T) {
	g := NewWithT(t)
	down, err := testenv.StartWithoutWebhookServer()
	g.Expect(err).NotTo(HaveOccurred())
	defer func() { g.Expect(down.Stop()).To(Succeed()) }()
	ctx := context.Background()
	c := down.Client
	const ns = "wavegate-system"
	g.Expect(c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}})).To(Succeed())
	g.Expect(c.Create(ctx, &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "wavegate-webhook-service"},
		Spec: corev1.ServiceSpec{Selector: map[string]string{"app.kubernetes.io/name": "wavegate"}, Ports: []corev1.ServicePort{{Name: "webhook", Port: 443}}}})).To(Succeed())
	endpoints := &corev1.Endpoints{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "wavegate-webhook-service"}} //nolint:staticcheck // what pause reads
	setEndpoints := func(ready, notReady int) {
		subset := corev1.EndpointSubset{Ports: []corev1.EndpointPort{{Name: "webhook", Port: 9443}}} //nolint:staticcheck // what pause reads
		for i := range ready {
			subset.Addresses = append(subset.Addresses, corev1.EndpointAddress{IP: fmt.Sprintf("10.0.0.%d", i+1)})
		}
		for i := range notReady {
			subset.NotReadyAddresses = append(subset.NotReadyAddresses, corev1.EndpointAddress{IP: fmt.Sprintf("10.0.1.%d", i+1)})
		}
		endpoints.Subsets = []corev1.EndpointSubset{subset} //nolint:staticcheck // what pause reads
		if endpoints.ResourceVersion == "" {
			g.Expect(c.Create(ctx, endpoints)).To(Succeed())
		} else {
			g.Expect(c.Update(ctx, endpoints)).To(Succeed())
		}
	}
	setEndpoints(0, 2)

	dir := t.TempDir()
	admin := filepath.Join(dir, "admin")
	g.Expect(down.WriteKubeconfig(admin)).To(Succeed())
	// fred has only the chart's wavegate-freeze-operator role (its rules
	// from config/rbac/user_roles.yaml); carol may create and read Freezes
	// and nothing else.
	operator := filepath.Join(dir, "fred")
	g.Expect(down.WriteKubeconfigFor(operator, "fred")).To(Succeed())
	roles, err := manifest.ReadFile(filepath.Join(testenv.RepoRoot(), "config", "rbac", "user_roles.yaml"))
	g.Expect(err).NotTo(HaveOccurred())
	for _, r := range roles {
		if r.GetName() == "freeze-operator" {
			r.SetName("wavegate-freeze-operator")
			g.Expect(c.Create(ctx, r)).To(Succeed())
		}
	}
	bind := func(user, role string) {
		g.Expect(c.Create(ctx, &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: user},
			RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: role},
			Subjects: []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: "User", Name: user}}})).To(Succeed())
	}
	bind("fred", "wavegate-freeze-operator")
	g.Expect(c.Create(ctx, &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "freezes-only"},
		Rules: []rbacv1.PolicyRule{{APIGroups: []string{wavegatev1alpha1.GroupVersion.Group}, Resources: []string{"freezes"}, Verbs: []string{"get", "create"}}}})).To(Succeed())
	bind("carol", "freezes-only")
	freezesOnly := filepath.Join(dir, "carol")
	g.Expect(down.WriteKubeconfigFor(freezesOnly, "carol")).To(Succeed())

	pause := func(kubeconfig, name string, extra ...string) (string, int, time.Duration) {
		start := time.Now()
		_, errOut, code := wavegateWith(t, kubeconfig, append([]string{"pause", "--region", "eastus", "--reason", "Storage outage: stop all deployments", "--name", name}, extra...)...)
		return errOut, code, time.Since(start)
	}
	inForce := func(g Gomega, name string) {
		f := &wavegatev1alpha1.Freeze{}
		g.Expect(c.Get(ctx, client.ObjectKey{Name: name}, f)).To(Succeed(), "the Freeze is created")
		g.Expect(f.Status.Active).To(BeFalse(), "nothing marks it active")
	}
	downMsg := func(name string, notReady string) string {
		return "Error: Freeze " + name + " is created and in force at the API server, but no Wavegate replica is ready " +
			"(the webhook Service wavegate-system/wavegate-webhook-service has no ready endpoint, " + notReady + " not ready): " +
			"the webhooks fail closed, so every gated change is denied, but no rollout is paused and nothing reports the Freeze " +
			"until a replica is back; bring the manager back (docs/runbook.md)\n"
	}
	slowMsg := func(name, timeout string) string {
		return "Freeze " + name + " is stored and in force, but no Wavegate controller reported it active within " + timeout
	}

	t.Run("no replica ready: exit code 3 within seconds, saying the Freeze is in force", func(t *testing.T) {
		g := NewWithT(t)
		errOut, code, took := pause(admin, "down-admin")
		g.Expect(code).To(Equal(cli.ExitFrozenWithoutGate), errOut)
		g.Expect(took).To(BeNumerically("<", 10*time.Second), "not the 30 s wait")
		g.Expect(errOut).To(Equal("Freeze down-admin created; waiting for it to be active\n" + downMsg("down-admin", "2")))
		inForce(g, "down-admin")
	})
	t.Run("a freeze operator may tell too", func(t *testing.T) {
		g := NewWithT(t)
		errOut, code, took := pause(operator, "down-operator")
		g.Expect(code).To(Equal(cli.ExitFrozenWithoutGate), errOut)
		g.Expect(took).To(BeNumerically("<", 10*time.Second))
		g.Expect(errOut).To(HaveSuffix(downMsg("down-operator", "2")))
	})
	t.Run("a user who may not read the Endpoints waits as before and says why", func(t *testing.T) {
		g := NewWithT(t)
		errOut, code, took := pause(freezesOnly, "down-carol", "--timeout", "3s")
		g.Expect(code).To(Equal(cli.ExitFailed), errOut)
		g.Expect(took).To(BeNumerically(">=", 3*time.Second))
		g.Expect(errOut).To(ContainSubstring(slowMsg("down-carol", "3s")))
		g.Expect(errOut).To(ContainSubstring("pause could not tell whether a replica is ready: you may not read Endpoints wavegate-system/wavegate-webhook-service (the wavegate-freeze-operator role may)"))
		inForce(g, "down-carol")
	})
	t.Run("Wavegate in another namespace than --wavegate-namespace: waits as before and says why", func(t *testing.T) {
		g := NewWithT(t)
		errOut, code, _ := pause(admin, "down-elsewhere", "--timeout", "2s", "--wavegate-namespace", "gate")
		g.Expect(code).To(Equal(cli.ExitFailed), errOut)
		g.Expect(errOut).To(ContainSubstring("Endpoints gate/wavegate-webhook-service not found; if Wavegate is installed in another namespace, say so with --wavegate-namespace"))
	})
	t.Run("a leader that holds the Lease without being ready may still report: pause asks again when the Lease would expire", func(t *testing.T) {
		g := NewWithT(t)
		now := metav1.NewMicroTime(time.Now())
		g.Expect(c.Create(ctx, &coordinationv1.Lease{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "wavegate-manager.wavegate.io"},
			Spec: coordinationv1.LeaseSpec{HolderIdentity: ptr.To("wavegate-manager-0"), LeaseDurationSeconds: ptr.To[int32](4), AcquireTime: &now, RenewTime: &now}})).To(Succeed())
		errOut, code, took := pause(admin, "down-leader")
		g.Expect(code).To(Equal(cli.ExitFrozenWithoutGate), errOut)
		g.Expect(took).To(BeNumerically(">=", 3*time.Second), "it waited for the Lease")
		g.Expect(took).To(BeNumerically("<", 15*time.Second))
	})
	t.Run("a ready replica: pause waits for the controller as before", func(t *testing.T) {
		g := NewWithT(t)
		setEndpoints(1, 1)
		errOut, code, took := pause(admin, "slow", "--timeout", "3s")
		g.Expect(code).To(Equal(cli.ExitFailed), errOut)
		g.Expect(took).To(BeNumerically(">=", 3*time.Second), "the whole timeout")
		g.Expect(errOut).To(ContainSubstring(slowMsg("slow", "3s") + "; while no replica answers, the webhooks deny every gated change; check the manager pods (docs/runbook.md)\n"))
		g.Expect(errOut).NotTo(ContainSubstring("could not tell"))
	})
}
