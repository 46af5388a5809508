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

package audit_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
	auditinternal "k8s.io/apiserver/pkg/apis/audit"
	"k8s.io/apiserver/pkg/audit/policy"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"
)

// The audit policy is evaluated by the API server's own code: each request
// gets the level the checker needs, and no secret data is logged.
func TestTheAuditPolicyLogsWhatTheCheckerNeeds(t *testing.T) {
	g := NewWithT(t)
	path := filepath.Join("..", "..", "config", "audit", "policy.yaml")
	data, err := os.ReadFile(path)
	g.Expect(err).NotTo(HaveOccurred())
	p, err := policy.LoadPolicyFromBytes(data)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(p.OmitStages).To(ConsistOf(auditinternal.StageRequestReceived))
	g.Expect(p.OmitManagedFields).To(BeTrue())
	eval := policy.NewPolicyRuleEvaluator(p)

	alice := &user.DefaultInfo{Name: "alice", Groups: []string{"system:authenticated"}}
	gc := &user.DefaultInfo{Name: "system:serviceaccount:kube-system:generic-garbage-collector", Groups: []string{"system:serviceaccounts:kube-system"}}
	cases := []struct {
		request string // verb group/resource[/subresource]
		who     user.Info
		want    auditinternal.Level
	}{
		{"create /configmaps", alice, auditinternal.LevelRequestResponse},
		{"patch apps/deployments", alice, auditinternal.LevelRequestResponse},
		{"update apps/deployments/scale", alice, auditinternal.LevelRequestResponse},
		{"delete /namespaces", alice, auditinternal.LevelRequestResponse},
		{"deletecollection /configmaps", alice, auditinternal.LevelRequestResponse},
		{"delete /configmaps", gc, auditinternal.LevelRequestResponse},
		{"create wavegate.io/freezes", alice, auditinternal.LevelRequestResponse},
		{"update wavegate.io/freezes", alice, auditinternal.LevelRequestResponse},
		{"patch wavegate.io/configrollouts/status", alice, auditinternal.LevelRequestResponse},
		{"update wavegate.io/configrollouts/status", alice, auditinternal.LevelRequestResponse},
		{"create /secrets", alice, auditinternal.LevelMetadata},
		{"update /secrets", alice, auditinternal.LevelMetadata},
		{"get /configmaps", alice, auditinternal.LevelNone},
		{"list wavegate.io/freezes", alice, auditinternal.LevelNone},
		{"watch /secrets", alice, auditinternal.LevelNone},
		{"create /events", alice, auditinternal.LevelNone},
		{"create events.k8s.io/events", alice, auditinternal.LevelNone},
		{"update coordination.k8s.io/leases", alice, auditinternal.LevelNone},
		{"create /pods", alice, auditinternal.LevelNone},
		{"create /pods/binding", alice, auditinternal.LevelNone},
		{"patch /nodes/status", alice, auditinternal.LevelNone},
		{"update apps/deployments/status", alice, auditinternal.LevelNone},
		{"update wavegate.io/freezes/status", alice, auditinternal.LevelNone},
		{"create /serviceaccounts/token", alice, auditinternal.LevelNone},
		{"create authentication.k8s.io/tokenreviews", alice, auditinternal.LevelNone},
		{"create authorization.k8s.io/subjectaccessreviews", alice, auditinternal.LevelNone},
	}
	for _, tc := range cases {
		verb, ref, _ := strings.Cut(tc.request, " ")
		group, rest, _ := strings.Cut(ref, "/")
		resource, sub, _ := strings.Cut(rest, "/")
		attrs := authorizer.AttributesRecord{User: tc.who, Verb: verb, APIGroup: group, Resource: resource, Subresource: sub,
			Namespace: "app", Name: "x", ResourceRequest: true}
		g.Expect(eval.EvaluatePolicyRule(attrs).Level).To(Equal(tc.want), tc.request)
	}
	nonResource := authorizer.AttributesRecord{User: alice, Verb: "get", Path: "/healthz"}
	g.Expect(eval.EvaluatePolicyRule(nonResource).Level).To(Equal(auditinternal.LevelNone))
}

// docs/spec.md carries the policy; the two say the same.
func TestTheSpecCarriesTheAuditPolicy(t *testing.T) {
	g := NewWithT(t)
	policy, err := os.ReadFile(filepath.Join("..", "..", "config", "audit", "policy.yaml"))
	g.Expect(err).NotTo(HaveOccurred())
	spec, err := os.ReadFile(filepath.Join("..", "..", "docs", "spec.md"))
	g.Expect(err).NotTo(HaveOccurred())
	_, section, found := strings.Cut(string(spec), "#### The audit policy")
	g.Expect(found).To(BeTrue())
	_, block, _ := strings.Cut(section, "```yaml\n")
	block, _, _ = strings.Cut(block, "```")
	body := string(policy)[strings.Index(string(policy), "apiVersion: audit.k8s.io/v1"):]
	g.Expect(block).To(Equal(body))
}
