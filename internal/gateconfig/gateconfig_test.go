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

package gateconfig

import (
	"strings"
	"testing"

	. "github.com/onsi/gomega"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
)

func TestEveryGateWebhookFailsClosedFastAndRecordsNothingOnDryRun(t *testing.T) {
	cfg := Configuration(Options{Namespace: "wavegate-system", ServiceNamespace: "wavegate-system", Service: "wavegate-webhook", Path: "/gate"})
	NewWithT(t).Expect(cfg.Webhooks).To(HaveLen(4))
	for _, w := range cfg.Webhooks {
		t.Run(w.Name, func(t *testing.T) {
			g := NewWithT(t)
			g.Expect(*w.FailurePolicy).To(Equal(admissionregistrationv1.Fail))
			g.Expect(*w.TimeoutSeconds).To(BeNumerically("<=", 5))
			g.Expect(*w.SideEffects).To(Equal(admissionregistrationv1.SideEffectClassNoneOnDryRun))
			g.Expect(*w.ClientConfig.Service.Path).To(Equal("/gate"))

			g.Expect(w.NamespaceSelector.MatchExpressions).To(ContainElement(HaveField("Values", ConsistOf("kube-system", "wavegate-system"))),
				"kube-system and Wavegate's own namespace are never gated")
			var exprs []string
			for _, c := range w.MatchConditions {
				exprs = append(exprs, c.Expression)
			}
			all := strings.Join(exprs, " && ")
			for _, never := range []string{"'pods'", "'nodes'", "'events'", "'leases'", "'events.k8s.io'", "request.resource.group != 'wavegate.io'"} {
				g.Expect(all).To(ContainSubstring(never))
			}
		})
	}
}

func TestCreatesAndUpdatesReachTheWebhookOnlyForRegionalObjects(t *testing.T) {
	cfg := Configuration(Options{Namespace: "wavegate-system", Path: "/gate"})
	for _, w := range cfg.Webhooks {
		if w.Rules[0].Operations[0] == admissionregistrationv1.Delete {
			continue
		}
		narrowed := false
		if w.ObjectSelector != nil && w.ObjectSelector.MatchExpressions[0].Key == "wavegate.io/region" {
			narrowed = true
		}
		for _, e := range w.NamespaceSelector.MatchExpressions {
			narrowed = narrowed || e.Key == "wavegate.io/region"
		}
		for _, c := range w.MatchConditions {
			narrowed = narrowed || strings.Contains(c.Expression, "'wavegate.io/regions' in object.metadata.annotations")
		}
		NewWithT(t).Expect(narrowed).To(BeTrue(), "webhook %s would receive creates and updates of objects that name no region", w.Name)
	}
}
