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

// Path is where the API server sends gated requests.
const Path = "/gate"

// TimeoutSeconds is short: a slow webhook stalls every gated write, and a
// stuck replica should fail its requests in seconds. The gate answers
// within it (the handler's deadline is half a second less); past its
// in-flight bound it refuses at once (docs/decisions.md 37).
const TimeoutSeconds = 3

// The entries of the gate's configuration.
const (
	WebhookRegionLabel          = "region-label.gate.wavegate.io"
	WebhookRegionNamespace      = "region-namespace.gate.wavegate.io"
	WebhookRegionAnnotation     = "region-annotation.gate.wavegate.io"
	WebhookScaleNamespace       = "scale-region-namespace.gate.wavegate.io"
	WebhookScale                = "scale.gate.wavegate.io"
	WebhookDelete               = "delete.gate.wavegate.io"
	WebhookDeleteNamespace      = "delete-region-namespace.gate.wavegate.io"
	WebhookDeleteNamespaceKind  = "delete-namespace.gate.wavegate.io"
	WebhookDeleteAutomation     = "delete-automation.gate.wavegate.io"
	WebhookProtectionUnknown    = "protection-unknown.gate.wavegate.io"
	WebhookProtectionLowered    = "protection-lowered.gate.wavegate.io"
	WebhookAgentRegion          = "agent-region.gate.wavegate.io"
	WebhookAgentDelete          = "agent-delete.gate.wavegate.io"
	AutomationConditionName     = "automation-identities"
	kubernetesControllersName   = "not-kubernetes-controllers"
	finalizingConditionName     = "not-finalizing"
	deniableDeleteConditionName = "names-a-region-or-protected"
)

// ScaledWorkloads are the resources whose scale subresource is gated outside
// region-labelled namespaces: the gate knows their region labels from a
// metadata informer (facts.WatchWorkloads), because the Scale object the API
// server sends carries no labels.
var ScaledWorkloads = []string{"deployments", "statefulsets", "replicasets"}

// ScaledWorkloadsGroup is the API group of ScaledWorkloads.
const ScaledWorkloadsGroup = "apps"

// Options place the webhook service.
type Options struct {
	// Namespace is Wavegate's own namespace; it is never gated.
	Namespace string
	// ServiceNamespace and Service name the webhook Service.
	ServiceNamespace string
	Service          string
	// Path is the gate's HTTP path.
	Path string
	// Automation are the delete-automation identities named by the
	// AutomationPolicies; nil until Wavegate has read them, when every delete
	// is sent to the gate (fail closed).
	Automation *Automation
	// Agent is the configuration of an agent's cluster, where every
	// namespaced object that names no region belongs to the agent's region:
	// its creates, updates and deletes are gated too.
	Agent bool
}

// Configuration returns the gate's webhook configuration.
func Configuration(o Options) *admissionregistrationv1.ValidatingWebhookConfiguration {
	createUpdate := []admissionregistrationv1.OperationType{admissionregistrationv1.Create, admissionregistrationv1.Update}
	update := []admissionregistrationv1.OperationType{admissionregistrationv1.Update}
	deleteOnly := []admissionregistrationv1.OperationType{admissionregistrationv1.Delete}
	notOwnLabel := fmt.Sprintf("!%s && !%s", labelled("object"), labelled("oldObject"))
	regionNamespace := metav1.LabelSelectorRequirement{Key: wavegatev1alpha1.LabelRegion, Operator: metav1.LabelSelectorOpExists}
	noRegionNamespace := metav1.LabelSelectorRequirement{Key: wavegatev1alpha1.LabelRegion, Operator: metav1.LabelSelectorOpDoesNotExist}
	every := []string{"*"}
	scale := []string{"*/scale"}
	workloadScale := make([]string, len(ScaledWorkloads))
	for i, r := range ScaledWorkloads {
		workloadScale[i] = r + "/scale"
	}
	notRegional := condition("not-regional", fmt.Sprintf("%s && !%s && !%s", notOwnLabel, annotated("object"), annotated("oldObject")))
	notNamespaces := condition("not-namespaces", "!(request.resource.group == '' && request.resource.resource == 'namespaces')")
	deniable := condition(deniableDeleteConditionName, deniableDelete)
	notDeniable := condition("not-"+deniableDeleteConditionName, "!"+deniableDelete)
	namespaced := condition("namespaced", "has(request.namespace) && request.namespace != ''")
	webhooks := []admissionregistrationv1.ValidatingWebhook{
		// Objects with their own region label; the selector matches when
		// the old or the new object has it, so removing the label is gated.
		o.webhook(WebhookRegionLabel, createUpdate, rule("*", every),
			&metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: wavegatev1alpha1.LabelRegion, Operator: metav1.LabelSelectorOpExists}}},
			o.namespaces(), notFinalizing),
		// Objects in a Namespace with a region label (and no label of their
		// own). The namespace selector does not filter cluster-scoped
		// objects, so the condition keeps them out.
		o.webhook(WebhookRegionNamespace, createUpdate, rule("*", every), nil,
			o.namespaces(regionNamespace), namespaced,
			condition("no-own-region-label", notOwnLabel), notFinalizing),
		// Objects annotated with several regions, or with requires.
		o.webhook(WebhookRegionAnnotation, createUpdate, rule("*", every), nil, o.namespaces(),
			condition("annotated", fmt.Sprintf("%s || %s", annotated("object"), annotated("oldObject"))),
			condition("no-own-region-label", notOwnLabel), notFinalizing),
		// Scaling anything in a Namespace with a region label.
		o.webhook(WebhookScaleNamespace, update, rule("*", scale), nil, o.namespaces(regionNamespace)),
		// Scaling a workload elsewhere: the Scale object carries no labels,
		// so the gate looks the workload's region label up itself.
		o.webhook(WebhookScale, update, o.elsewhereScale(workloadScale), nil, o.namespaces(noRegionNamespace)),
		// Deletes of objects that name a region or are protected.
		o.webhook(WebhookDelete, deleteOnly, rule("*", every), nil, o.namespaces(), notNamespaces, deniable),
		// Deletes of other objects in a Namespace with a region label.
		o.webhook(WebhookDeleteNamespace, deleteOnly, rule("*", every), nil, o.namespaces(regionNamespace),
			namespaced, notNamespaces, notDeniable),
		// Deletes of Namespaces: they may hold protected objects.
		o.webhook(WebhookDeleteNamespaceKind, deleteOnly, rule("", []string{"namespaces"}), nil, o.namespaces()),
		// Deletes of anything else by delete automation, whose identities
		// the AutomationPolicies name; Wavegate keeps this condition current.
		o.webhook(WebhookDeleteAutomation, deleteOnly, rule("*", every), nil, o.namespaces(noRegionNamespace),
			o.outsideAgent(notNamespaces, notDeniable, condition(AutomationConditionName, o.Automation.Condition()))...),
		// Creates and updates that no region entry sends (so no request
		// is judged twice), of objects whose protection value is neither
		// protected nor deletable: the gate warns about the typo.
		o.webhook(WebhookProtectionUnknown, createUpdate, rule("*", every), nil, o.namespaces(noRegionNamespace),
			o.outsideAgent(notRegional, condition("protection-unknown", protectionUnknown), notFinalizing)...),
		// The same for delete automation lowering an object's protection
		// (to deletable, or to untagged from protected) or giving an object
		// not tagged deletable an owner: the gate denies.
		o.webhook(WebhookProtectionLowered, update, rule("*", every), nil, o.namespaces(noRegionNamespace),
			o.outsideAgent(notRegional, condition("protection-lowered", protectionLowered), notFinalizing,
				condition(AutomationConditionName, o.Automation.Condition()))...),
	}
	if o.Agent {
		webhooks = append(webhooks,
			// Creates and updates of namespaced objects that name no region
			// by label or annotation: on an agent's cluster they are the
			// agent's region's.
			o.webhook(WebhookAgentRegion, createUpdate, rule("*", every), nil, o.namespaces(noRegionNamespace),
				namespaced, notRegional, notFinalizing),
			// Deletes of the same objects (protected ones go to delete.gate).
			o.webhook(WebhookAgentDelete, deleteOnly, rule("*", every), nil, o.namespaces(noRegionNamespace),
				namespaced, notNamespaces, notDeniable))
	}
	return &admissionregistrationv1.ValidatingWebhookConfiguration{
		TypeMeta:   metav1.TypeMeta{APIVersion: "admissionregistration.k8s.io/v1", Kind: "ValidatingWebhookConfiguration"},
		ObjectMeta: metav1.ObjectMeta{Name: Name},
		Webhooks:   webhooks,
	}
}

// outsideAgent are the conditions of an entry that sends some requests
// outside a region; on an agent's cluster the agent entries send every
// namespaced one, so there the entry keeps to cluster-scoped objects and no
// request is judged (and recorded) twice.
func (o Options) outsideAgent(conds ...admissionregistrationv1.MatchCondition) []admissionregistrationv1.MatchCondition {
	if !o.Agent {
		return conds
	}
	return append(conds, condition("not-agent-namespaced", "!has(request.namespace) || request.namespace == ''"))
}

// elsewhereScale is the rule of scaling outside region-labelled namespaces:
// the built-in workloads (whose region label the gate looks up), or, on an
// agent's cluster, where everything there is the agent's region, anything.
func (o Options) elsewhereScale(workloadScale []string) admissionregistrationv1.Rule {
	if o.Agent {
		return rule("*", []string{"*/scale"})
	}
	return rule(ScaledWorkloadsGroup, workloadScale)
}

func rule(group string, resources []string) admissionregistrationv1.Rule {
	all := admissionregistrationv1.AllScopes
	return admissionregistrationv1.Rule{APIGroups: []string{group}, APIVersions: []string{"*"}, Resources: resources, Scope: &all}
}

// webhook is one entry; every entry skips Pods, Nodes, Leases, Events,
// Wavegate's own kinds and Kubernetes' own controllers, fails closed and
// records nothing on dry-run.
func (o Options) webhook(name string, ops []admissionregistrationv1.OperationType, r admissionregistrationv1.Rule, objects, namespaces *metav1.LabelSelector, conds ...admissionregistrationv1.MatchCondition) admissionregistrationv1.ValidatingWebhook {
	fail := admissionregistrationv1.Fail
	sideEffects := admissionregistrationv1.SideEffectClassNoneOnDryRun
	equivalent := admissionregistrationv1.Equivalent
	timeout := int32(TimeoutSeconds)
	path := o.Path
	return admissionregistrationv1.ValidatingWebhook{
		Name:                    name,
		AdmissionReviewVersions: []string{"v1"},
		ClientConfig: admissionregistrationv1.WebhookClientConfig{
			Service: &admissionregistrationv1.ServiceReference{Namespace: o.ServiceNamespace, Name: o.Service, Path: &path},
		},
		Rules:             []admissionregistrationv1.RuleWithOperations{{Operations: ops, Rule: r}},
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
			condition(kubernetesControllersName, "!"+KubernetesControllers.cel()),
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

// deniableDelete is CEL for "the object being deleted names a region of its
// own (label or annotation) or carries a protection value other than
// deletable (protected, or a typo that counts as protected): a human's delete of
// any other object in a Namespace without a region label is never denied.
var deniableDelete = fmt.Sprintf("(%[1]s || (oldObject != null && has(oldObject.metadata.labels) && "+
	"'%[2]s' in oldObject.metadata.labels && oldObject.metadata.labels['%[2]s'] != '%[3]s') || "+
	"(oldObject != null && has(oldObject.metadata.annotations) && '%[4]s' in oldObject.metadata.annotations))",
	labelled("oldObject"), wavegatev1alpha1.LabelProtection, wavegatev1alpha1.ProtectionDeletable, wavegatev1alpha1.AnnotationRegions)

// protectionOf is CEL for o's protection label, "" when it has none.
func protectionOf(o string) string {
	return fmt.Sprintf("((%[1]s != null && has(%[1]s.metadata.labels) && '%[2]s' in %[1]s.metadata.labels) ? %[1]s.metadata.labels['%[2]s'] : '')",
		o, wavegatev1alpha1.LabelProtection)
}

// protectionUnknown is CEL for "the new object's protection value is
// neither protected nor deletable".
var protectionUnknown = fmt.Sprintf("!(%s in ['', '%s', '%s'])",
	protectionOf("object"), wavegatev1alpha1.ProtectionProtected, wavegatev1alpha1.ProtectionDeletable)

// protectionLowered is CEL for "the protection changes from anything but
// deletable to deletable or to untagged, or from protected to anything
// else, or the object gets an owner while it is not tagged deletable"
// (deleting the owner would delete it: protection follows owner
// references).
var protectionLowered = fmt.Sprintf("(%[1]s in ['', '%[3]s'] && %[2]s != '%[3]s' && %[1]s != %[2]s) || "+
	"(%[2]s == '%[4]s' && %[1]s != '%[4]s') || "+
	"(%[1]s != '%[3]s' && has(object.metadata.ownerReferences) && object.metadata.ownerReferences.exists(r, "+
	"!(has(oldObject.metadata.ownerReferences) && oldObject.metadata.ownerReferences.exists(o, o.uid == r.uid))))",
	protectionOf("object"), protectionOf("oldObject"), wavegatev1alpha1.ProtectionDeletable, wavegatev1alpha1.ProtectionProtected)

// notFinalizing keeps out an update of an object that is being deleted when
// it changes nothing but removes finalizers: that is not a change, and an
// outage of Wavegate must not hold up finalization. Everything but metadata
// and status, and the labels and annotations, must be equal.
var notFinalizing = condition(finalizingConditionName, "!(request.operation == 'UPDATE' && oldObject != null && object != null && "+
	"has(oldObject.metadata.deletionTimestamp) && "+
	"(has(object.metadata.finalizers) ? object.metadata.finalizers : []).all(f, has(oldObject.metadata.finalizers) && f in oldObject.metadata.finalizers) && "+
	"(has(object.metadata.labels) ? object.metadata.labels : {}) == (has(oldObject.metadata.labels) ? oldObject.metadata.labels : {}) && "+
	"(has(object.metadata.annotations) ? object.metadata.annotations : {}) == (has(oldObject.metadata.annotations) ? oldObject.metadata.annotations : {}) && "+
	"object.all(k, k == 'metadata' || k == 'status' || (k in oldObject && object[k] == oldObject[k])) && "+
	"oldObject.all(k, k == 'metadata' || k == 'status' || k in object))")

func quoted(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = "'" + s + "'"
	}
	return strings.Join(q, ", ")
}
