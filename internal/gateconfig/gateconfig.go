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

// Package gateconfig generates the ValidatingWebhookConfiguration of the
// admission gate. Requests that can never be denied never reach the webhook:
// the API server filters them with rules, namespace and object selectors and
// CEL match conditions, so an outage of the webhook cannot block them.
package gateconfig

import (
	"fmt"
	"strings"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	wavegatev1alpha1 "github.com/wavegate/wavegate/api/v1alpha1"
)

// Name is the name of the gate's ValidatingWebhookConfiguration in a
// cluster; config/webhook/gate.yaml says "gate" and kustomize adds the prefix.
const Name = "wavegate-gate"

// DefaultResources are the kinds tracked for protection and exported with
// the state (resource or resource.group, comma-separated).
const DefaultResources = "configmaps,services,serviceaccounts,persistentvolumeclaims,deployments.apps,statefulsets.apps,daemonsets.apps"

// TimeoutSeconds is short: a slow webhook stalls every gated write.
const TimeoutSeconds = 5

// Exempt are the API server's own controllers, whose deletes follow a delete
// that was already judged.
var Exempt = []string{
	"system:serviceaccount:kube-system:generic-garbage-collector",
	"system:serviceaccount:kube-system:namespace-controller",
}

// Options place the webhook service.
type Options struct {
	// Namespace is Wavegate's own namespace; it is never gated.
	Namespace string
	// ServiceNamespace and Service name the webhook Service.
	ServiceNamespace string
	Service          string
	// Path is the gate's HTTP path.
	Path string
}

// Configuration returns the gate's webhook configuration.
func Configuration(o Options) *admissionregistrationv1.ValidatingWebhookConfiguration {
	createUpdate := []admissionregistrationv1.OperationType{admissionregistrationv1.Create, admissionregistrationv1.Update}
	deleteOnly := []admissionregistrationv1.OperationType{admissionregistrationv1.Delete}
	notOwnLabel := fmt.Sprintf("!%s && !%s", labelled("object"), labelled("oldObject"))
	return &admissionregistrationv1.ValidatingWebhookConfiguration{
		TypeMeta:   metav1.TypeMeta{APIVersion: "admissionregistration.k8s.io/v1", Kind: "ValidatingWebhookConfiguration"},
		ObjectMeta: metav1.ObjectMeta{Name: Name},
		Webhooks: []admissionregistrationv1.ValidatingWebhook{
			// Objects with their own region label; the selector matches when
			// the old or the new object has it, so removing the label is gated.
			o.webhook("region-label.gate.wavegate.io", createUpdate,
				&metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: wavegatev1alpha1.LabelRegion, Operator: metav1.LabelSelectorOpExists}}},
				o.namespaces()),
			// Objects in a Namespace with a region label (and no label of their
			// own). The namespace selector does not filter cluster-scoped
			// objects, so the condition keeps them out.
			o.webhook("region-namespace.gate.wavegate.io", createUpdate, nil,
				o.namespaces(metav1.LabelSelectorRequirement{Key: wavegatev1alpha1.LabelRegion, Operator: metav1.LabelSelectorOpExists}),
				condition("namespaced", "has(request.namespace) && request.namespace != ''"),
				condition("no-own-region-label", notOwnLabel)),
			// Objects annotated with several regions, or with requires.
			o.webhook("region-annotation.gate.wavegate.io", createUpdate, nil, o.namespaces(),
				condition("annotated", fmt.Sprintf("%s || %s", annotated("object"), annotated("oldObject"))),
				condition("no-own-region-label", notOwnLabel)),
			// Every delete: protected objects, Namespaces holding them, and
			// delete automation, whose identities are only known at run time.
			o.webhook("delete.gate.wavegate.io", deleteOnly, nil, o.namespaces(),
				condition("not-system-deleters", fmt.Sprintf("!(request.userInfo.username in [%s])", quoted(Exempt)))),
		},
	}
}

// webhook is one entry; every entry skips Pods, Nodes, Leases, Events and
// Wavegate's own kinds, fails closed and records nothing on dry-run.
func (o Options) webhook(name string, ops []admissionregistrationv1.OperationType, objects, namespaces *metav1.LabelSelector, conds ...admissionregistrationv1.MatchCondition) admissionregistrationv1.ValidatingWebhook {
	fail := admissionregistrationv1.Fail
	sideEffects := admissionregistrationv1.SideEffectClassNoneOnDryRun
	equivalent := admissionregistrationv1.Equivalent
	timeout := int32(TimeoutSeconds)
	all := admissionregistrationv1.AllScopes
	path := o.Path
	return admissionregistrationv1.ValidatingWebhook{
		Name:                    name,
		AdmissionReviewVersions: []string{"v1"},
		ClientConfig: admissionregistrationv1.WebhookClientConfig{
			Service: &admissionregistrationv1.ServiceReference{Namespace: o.ServiceNamespace, Name: o.Service, Path: &path},
		},
		Rules: []admissionregistrationv1.RuleWithOperations{{
			Operations: ops,
			Rule: admissionregistrationv1.Rule{
				APIGroups: []string{"*"}, APIVersions: []string{"*"}, Resources: []string{"*"}, Scope: &all,
			},
		}},
		FailurePolicy:     &fail,
		MatchPolicy:       &equivalent,
		SideEffects:       &sideEffects,
		TimeoutSeconds:    &timeout,
		NamespaceSelector: namespaces,
		ObjectSelector:    objects,
		MatchConditions: append([]admissionregistrationv1.MatchCondition{
			condition("not-pods-nodes-leases-events", "!(request.resource.group == '' && request.resource.resource in ['pods', 'nodes', 'events']) && "+
				"!(request.resource.group == 'coordination.k8s.io' && request.resource.resource == 'leases') && request.resource.group != 'events.k8s.io'"),
			condition("not-wavegate-kinds", "request.resource.group != 'wavegate.io'"),
		}, conds...),
	}
}

// namespaces never gates kube-system or Wavegate's own namespace; extra
// narrows the selector further.
func (o Options) namespaces(extra ...metav1.LabelSelectorRequirement) *metav1.LabelSelector {
	return &metav1.LabelSelector{MatchExpressions: append([]metav1.LabelSelectorRequirement{{
		Key: "kubernetes.io/metadata.name", Operator: metav1.LabelSelectorOpNotIn, Values: []string{"kube-system", o.Namespace},
	}}, extra...)}
}

func condition(name, expr string) admissionregistrationv1.MatchCondition {
	return admissionregistrationv1.MatchCondition{Name: name, Expression: expr}
}

// labelled is CEL for "o exists and carries its own region label".
func labelled(o string) string {
	return fmt.Sprintf("(%[1]s != null && has(%[1]s.metadata.labels) && '%[2]s' in %[1]s.metadata.labels)", o, wavegatev1alpha1.LabelRegion)
}

// annotated is CEL for "o exists and carries a regions or requires annotation".
func annotated(o string) string {
	return fmt.Sprintf("(%[1]s != null && has(%[1]s.metadata.annotations) && ('%[2]s' in %[1]s.metadata.annotations || '%[3]s' in %[1]s.metadata.annotations))",
		o, wavegatev1alpha1.AnnotationRegions, wavegatev1alpha1.AnnotationRequires)
}

func quoted(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = "'" + s + "'"
	}
	return strings.Join(q, ", ")
}

// Attributes are what the webhook configuration's filters look at.
type Attributes struct {
	Operation   string // CREATE, UPDATE or DELETE
	Group       string
	Resource    string
	Namespace   string
	User        string
	Labels      []map[string]string // of the new and the old object
	Annotations []map[string]string // of the new and the old object
	// NamespaceLabelled: the object's Namespace has a region label.
	NamespaceLabelled bool
}

// Gated mirrors Configuration in Go, for `wavegate check`: it reports
// whether the API server would send a request to the gate at all. A request
// that is not gated is admitted without a decision, as in a cluster.
func Gated(o Options, a Attributes) bool {
	switch {
	case a.Group == "" && (a.Resource == "pods" || a.Resource == "nodes" || a.Resource == "events"),
		a.Group == "coordination.k8s.io" && a.Resource == "leases",
		a.Group == "events.k8s.io", a.Group == wavegatev1alpha1.GroupVersion.Group,
		a.Namespace == "kube-system", a.Namespace == o.Namespace:
		return false
	case a.Operation == string(admissionregistrationv1.Delete):
		for _, u := range Exempt {
			if a.User == u {
				return false
			}
		}
		return true
	}
	for _, l := range a.Labels {
		if _, ok := l[wavegatev1alpha1.LabelRegion]; ok {
			return true
		}
	}
	if a.NamespaceLabelled {
		return true
	}
	for _, an := range a.Annotations {
		_, regions := an[wavegatev1alpha1.AnnotationRegions]
		_, requires := an[wavegatev1alpha1.AnnotationRequires]
		if regions || requires {
			return true
		}
	}
	return false
}
