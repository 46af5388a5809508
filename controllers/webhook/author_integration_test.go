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
	"testing"

	. "github.com/onsi/gomega"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	wavegatev1alpha1 "github.com/wavegate/wavegate/api/v1alpha1"
	. "github.com/wavegate/wavegate/internal/test/objects"
)

// TestARolloutsAuthorMustBeAllowedToPatchItsTargets: the controller patches
// targets with its own identity, so a ConfigRollout is a request to act on
// its author's behalf. Someone who may create ConfigRollouts but not patch
// Deployments in the target namespace must not get them patched.
func TestARolloutsAuthorMustBeAllowedToPatchItsTargets(t *testing.T) {
	fixture(t)
	g := NewWithT(t)
	ctx := context.Background()
	grant := func(name string, rules ...rbacv1.PolicyRule) {
		g.Expect(env.Client.Create(ctx, &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: name}, Rules: rules})).To(Succeed())
		g.Expect(env.Client.Create(ctx, &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: name},
			RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: name},
			Subjects: []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: "User", Name: "mallory"}}})).To(Succeed())
	}
	grant("author-rollouts", rbacv1.PolicyRule{APIGroups: []string{wavegatev1alpha1.GroupVersion.Group}, Resources: []string{"configrollouts"},
		Verbs: []string{"create", "update", "get"}})
	cfg := rest.CopyConfig(env.Config)
	cfg.Impersonate = rest.ImpersonationConfig{UserName: "mallory", Groups: []string{"system:authenticated"}}
	mallory, err := client.New(cfg, client.Options{Scheme: env.Scheme})
	g.Expect(err).NotTo(HaveOccurred())

	ro := Rollout("author-deputy", WithPlan("fx-plan"))
	err = mallory.Create(ctx, ro)
	g.Expect(apierrors.IsForbidden(err)).To(BeTrue(), "%v", err)
	g.Expect(err.Error()).To(ContainSubstring("mallory may not patch Deployment objects in namespace app, so may not roll a change out to them: " +
		"the controller would patch them on your behalf; ask for patch on them, or have someone who may patch them create the rollout"))

	grant("author-deployments", rbacv1.PolicyRule{APIGroups: []string{"apps"}, Resources: []string{"deployments"}, Verbs: []string{"patch"}})
	g.Eventually(func() error { return mallory.Create(ctx, Rollout("author-deputy", WithPlan("fx-plan"))) }).Should(Succeed(),
		"once mallory may patch Deployments, the rollout is hers to make")

	widened := &wavegatev1alpha1.ConfigRollout{}
	g.Expect(mallory.Get(ctx, client.ObjectKey{Name: "author-deputy"}, widened)).To(Succeed())
	widened.Spec.Target.Kind, widened.Spec.Target.APIVersion = "ConfigMap", "v1"
	err = mallory.Update(ctx, widened)
	g.Expect(apierrors.IsForbidden(err)).To(BeTrue(), "retargeting is a change too: %v", err)
	g.Expect(err.Error()).To(ContainSubstring("mallory may not patch ConfigMap objects in namespace app"))
}
