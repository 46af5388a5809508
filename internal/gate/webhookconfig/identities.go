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

package webhookconfig

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"

	wavegatev1alpha1 "github.com/wavegate/wavegate/api/v1alpha1"
)

// Controllers are a set of requesters: users by name, and every service
// account of some namespaces.
type Controllers struct {
	Users                    []string
	ServiceAccountNamespaces []string
}

// KubernetesControllers are Kubernetes' own controllers. What they write
// follows from a write that was already judged (a Deployment's ReplicaSets, a
// Service's EndpointSlices, a Namespace's default ServiceAccount and root CA
// ConfigMap, the garbage collector's and the namespace controller's deletes,
// an autoscaler's scale), so no gate entry receives their requests: an outage
// of Wavegate never stops Kubernetes reconciling, and a Freeze never stops
// autoscaling. The webhook configuration's CEL, `wavegate check` (Gated) and
// the policy input (request.kubernetesController) all read this one list.
var KubernetesControllers = Controllers{
	Users:                    []string{"system:kube-controller-manager", "system:kube-scheduler"},
	ServiceAccountNamespaces: []string{"kube-system"},
}

// Matches reports whether user is one of the controllers.
func (c Controllers) Matches(user string) bool {
	if slices.Contains(c.Users, user) {
		return true
	}
	for _, ns := range c.ServiceAccountNamespaces {
		if strings.HasPrefix(user, serviceAccountPrefix+ns+":") {
			return true
		}
	}
	return false
}

// cel is CEL for "the requester is one of the controllers".
func (c Controllers) cel() string {
	terms := []string{fmt.Sprintf("request.userInfo.username in [%s]", quoted(c.Users))}
	for _, ns := range c.ServiceAccountNamespaces {
		terms = append(terms, fmt.Sprintf("request.userInfo.username.startsWith('%s%s:')", serviceAccountPrefix, ns))
	}
	return "(" + strings.Join(terms, " || ") + ")"
}

// IsKubernetesController reports whether user is one of Kubernetes' own
// controllers.
func IsKubernetesController(user string) bool { return KubernetesControllers.Matches(user) }

const serviceAccountPrefix = "system:serviceaccount:"

// ServiceAccountUser is the user name of a service account "namespace/name".
func ServiceAccountUser(namespacedName string) string {
	ns, name, _ := strings.Cut(namespacedName, "/")
	return serviceAccountPrefix + ns + ":" + name
}

// Automation are the delete-automation identities that AutomationPolicies
// name, as the API server sees requesters: user names (service accounts
// included) and groups. A nil *Automation means "not known yet".
type Automation struct {
	Users  []string
	Groups []string
}

// AutomationOf collects the identities of policies, sorted and without
// duplicates.
func AutomationOf(policies []*wavegatev1alpha1.AutomationPolicy) *Automation {
	users, groups := map[string]bool{}, map[string]bool{}
	for _, p := range policies {
		for _, sa := range p.Spec.Identities.ServiceAccounts {
			users[ServiceAccountUser(sa)] = true
		}
		for _, u := range p.Spec.Identities.Users {
			users[u] = true
		}
		for _, g := range p.Spec.Identities.Groups {
			groups[g] = true
		}
	}
	return &Automation{Users: sortedKeys(users), Groups: sortedKeys(groups)}
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Matches reports whether a requester is delete automation. Before the
// identities are known, everyone might be.
func (a *Automation) Matches(user string, groups []string) bool {
	if a == nil {
		return true
	}
	if slices.Contains(a.Users, user) {
		return true
	}
	for _, g := range groups {
		if slices.Contains(a.Groups, g) {
			return true
		}
	}
	return false
}

// Condition is the CEL match condition of the delete-automation entry:
// "true" before the identities are known, so every delete reaches the gate
// until Wavegate has read the AutomationPolicies (fail closed).
func (a *Automation) Condition() string {
	if a == nil {
		return "true"
	}
	var terms []string
	if len(a.Users) > 0 {
		terms = append(terms, fmt.Sprintf("request.userInfo.username in [%s]", celStrings(a.Users)))
	}
	if len(a.Groups) > 0 {
		terms = append(terms, fmt.Sprintf("(has(request.userInfo.groups) && request.userInfo.groups.exists(g, g in [%s]))", celStrings(a.Groups)))
	}
	if len(terms) == 0 {
		return "false"
	}
	return strings.Join(terms, " || ")
}

// celStrings quotes arbitrary strings as CEL string literals: Go's escapes
// are a subset of CEL's.
func celStrings(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = strconv.Quote(s)
	}
	return strings.Join(q, ", ")
}

// SetAutomation writes a's condition into every entry of cfg that selects
// delete automation (delete-automation, protection) and reports whether that
// changed anything. It reports false, and changes nothing, when cfg has no
// such entry.
func SetAutomation(cfg *admissionregistrationv1.ValidatingWebhookConfiguration, a *Automation) bool {
	expr := a.Condition()
	changed := false
	for i := range cfg.Webhooks {
		w := &cfg.Webhooks[i]
		for j := range w.MatchConditions {
			c := &w.MatchConditions[j]
			if c.Name == AutomationConditionName && c.Expression != expr {
				c.Expression = expr
				changed = true
			}
		}
	}
	return changed
}
