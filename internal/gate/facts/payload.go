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

package facts

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"math"
	"reflect"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/api/resource"

	wavegatev1alpha1 "github.com/wavegate/wavegate/api/v1alpha1"
)

// The configuration payload of an object (docs/spec.md section 2) is what a change
// carries into a region. Two requests carry the same change when their
// payloads are equal after canonicalization; the rule is written down in
// docs/decisions.md ("Change identity"):
//
//   - ConfigMaps and Secrets: the bytes of data, binaryData and stringData
//     in one map, so the same bytes are the same payload wherever they are
//     written. A Secret of type
//     kubernetes.io/service-account-token carries none: its data is written
//     by the token controller.
//   - Other kinds: spec; kinds without spec (RBAC, ServiceAccounts,
//     StorageClasses...) every top-level field but apiVersion, kind, metadata
//     and status.
//   - Never part of it: spec.replicas and spec.selector, which differ per
//     region by nature; values the API server or a controller sets for one
//     object (a Service's cluster IPs and node ports, a bound claim's volume,
//     a Namespace's finalizers, a Job's controller-uid labels); the region
//     label inside pod and claim templates.
//   - null is absent, and for built-in kinds a field that holds the API
//     server's default is absent, so a manifest (as `wavegate check` reads it)
//     and the stored object it becomes (as the webhook sees it) hash the same.
//   - Resource quantities and numbers are compared in canonical form.
//
// An object created with an empty payload carries no change: it is never
// judged by change-velocity and nothing is recorded for it. An update that
// empties a payload is a change (emptyPayloadHash names it).

// payloadHash returns the hash of an object's payload, keyed by its group and
// kind, or "" when it carries no payload.
func payloadHash(top map[string]any) string {
	group, kind := groupKind(top)
	p := payload(group, kind, top)
	if len(p) == 0 {
		return ""
	}
	body, err := json.Marshal(p) // map keys are sorted, so this is canonical
	if err != nil {
		return ""
	}
	h := sha256.New()
	h.Write([]byte(group))
	h.Write([]byte{0})
	h.Write([]byte(kind))
	h.Write([]byte{0})
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil))
}

// emptyPayloadHash is payloadHash of an object of the same group and kind
// with an empty payload.
func emptyPayloadHash(top map[string]any) string {
	group, kind := groupKind(top)
	h := sha256.New()
	h.Write([]byte(group))
	h.Write([]byte{0})
	h.Write([]byte(kind))
	h.Write([]byte{0})
	h.Write([]byte("{}"))
	return hex.EncodeToString(h.Sum(nil))
}

func groupKind(top map[string]any) (group, kind string) {
	apiVersion, _ := top["apiVersion"].(string)
	if g, _, ok := strings.Cut(apiVersion, "/"); ok {
		group = g
	}
	kind, _ = top["kind"].(string)
	return group, kind
}

// payload is the canonical payload of an object.
func payload(group, kind string, top map[string]any) map[string]any {
	if group == "" && (kind == "ConfigMap" || kind == "Secret") {
		return dataPayload(kind, top)
	}
	var p map[string]any
	if spec, ok := top["spec"].(map[string]any); ok {
		p = map[string]any{"spec": spec}
	} else {
		p = map[string]any{}
		for k, v := range top {
			switch k {
			case "apiVersion", "kind", "metadata", "status":
			default:
				p[k] = v
			}
		}
	}
	p, _ = canonical(p).(map[string]any)
	if spec, ok := p["spec"].(map[string]any); ok {
		delete(spec, "replicas")
		delete(spec, "selector")
		if rules, ok := kindDefaults[group+"/"+kind]; ok {
			rules.strip(spec)
		}
		if len(spec) == 0 {
			delete(p, "spec")
		}
	} else if rules, ok := kindDefaults[group+"/"+kind]; ok {
		rules.strip(p)
	}
	return p
}

// dataPayload is the bytes of data, binaryData and stringData in one map,
// each value base64-encoded: the same bytes are the same payload whether
// they are written as a ConfigMap's data or binaryData, or a Secret's data
// or stringData (docs/spec.md section 2).
func dataPayload(kind string, top map[string]any) map[string]any {
	if kind == "Secret" && top["type"] == "kubernetes.io/service-account-token" {
		return nil
	}
	data := map[string]any{}
	put := func(field string, encoded bool) {
		m, _ := top[field].(map[string]any)
		for k, v := range m {
			s, ok := v.(string)
			if !ok {
				continue
			}
			b := []byte(s)
			if encoded {
				if decoded, err := base64.StdEncoding.DecodeString(s); err == nil {
					b = decoded
				}
			}
			data[k] = base64.StdEncoding.EncodeToString(b)
		}
	}
	put("data", kind == "Secret")
	put("binaryData", true)
	put("stringData", false)
	if len(data) == 0 {
		return nil
	}
	return map[string]any{"data": data}
}

// canonical returns v without nulls and with numbers in one form; it copies
// maps and slices, so rules may change the result.
func canonical(v any) any {
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, x := range t {
			if x == nil {
				continue
			}
			out[k] = canonical(x)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, x := range t {
			out[i] = canonical(x)
		}
		return out
	case json.Number:
		return canonicalNumber(t)
	case float64:
		return canonicalNumber(json.Number(strconv.FormatFloat(t, 'g', -1, 64)))
	}
	return v
}

func canonicalNumber(n json.Number) json.Number {
	if i, err := n.Int64(); err == nil {
		return json.Number(strconv.FormatInt(i, 10))
	}
	if f, err := n.Float64(); err == nil && !math.IsInf(f, 0) {
		if f == math.Trunc(f) && math.Abs(f) < 1<<53 {
			return json.Number(strconv.FormatInt(int64(f), 10))
		}
		return json.Number(strconv.FormatFloat(f, 'g', -1, 64))
	}
	return n
}

// rules strip defaults and per-object values from a map: each key names a
// field and what to do with it.
type rules map[string]rule

// rule is what happens to one field: drop it when drop says so (after the
// field's own fields and elements were stripped), and strip its fields
// (for maps) or its elements' fields (for lists) with fields.
type rule struct {
	drop   func(v any, parent map[string]any) bool
	fields rules
}

func (rs rules) strip(m map[string]any) {
	for k, r := range rs {
		v, ok := m[k]
		if !ok {
			continue
		}
		if r.fields != nil {
			switch t := v.(type) {
			case map[string]any:
				r.fields.strip(t)
			case []any:
				for _, e := range t {
					if em, ok := e.(map[string]any); ok {
						r.fields.strip(em)
					}
				}
			}
		}
		if r.drop != nil && r.drop(v, m) {
			delete(m, k)
		}
	}
}

// is drops a field that holds the default value def.
func is(def any) rule {
	return rule{drop: func(v any, _ map[string]any) bool { return equalValue(v, def) }}
}

// always drops a field: its value is set per object.
func always() rule {
	return rule{drop: func(any, map[string]any) bool { return true }}
}

// within strips a nested map or list and drops it when nothing is left, which
// is what the API server defaults an absent one to.
func within(fields rules) rule {
	return rule{fields: fields, drop: func(v any, _ map[string]any) bool { return empty(v) }}
}

// each strips every element of a list, keeping the list.
func each(fields rules) rule { return rule{fields: fields} }

// emptyIsDefault drops an empty map or list.
func emptyIsDefault() rule {
	return rule{drop: func(v any, _ map[string]any) bool { return empty(v) }}
}

func empty(v any) bool {
	switch t := v.(type) {
	case map[string]any:
		return len(t) == 0
	case []any:
		return len(t) == 0
	}
	return false
}

func equalValue(v, def any) bool {
	switch d := def.(type) {
	case int:
		n, ok := v.(json.Number)
		return ok && string(n) == strconv.Itoa(d)
	case bool:
		b, ok := v.(bool)
		return ok && b == d
	case string:
		s, ok := v.(string)
		return ok && s == d
	}
	return false
}

// quantities rewrites every value of a requests or limits map to the
// canonical form the API server stores.
func quantities() rule {
	canon := rule{drop: func(v any, parent map[string]any) bool {
		m, ok := v.(map[string]any)
		if !ok {
			return false
		}
		for k, x := range m {
			var s string
			switch t := x.(type) {
			case string:
				s = t
			case json.Number:
				s = string(t)
			default:
				continue
			}
			if q, err := resource.ParseQuantity(s); err == nil {
				m[k] = q.String()
			}
		}
		return len(m) == 0
	}}
	return within(rules{"requests": canon, "limits": canon})
}

// sameAs drops a field that repeats another (a deprecated alias the API
// server fills in).
func sameAs(other string) rule {
	return rule{drop: func(v any, parent map[string]any) bool {
		o, ok := parent[other]
		return ok && reflect.DeepEqual(o, v)
	}}
}

// imagePullPolicy drops the policy the API server would choose for the image.
func imagePullPolicy() rule {
	return rule{drop: func(v any, parent map[string]any) bool {
		image, _ := parent["image"].(string)
		return v == defaultPullPolicy(image)
	}}
}

func defaultPullPolicy(image string) string {
	if strings.Contains(image, "@") {
		return "IfNotPresent"
	}
	name := image[strings.LastIndex(image, "/")+1:]
	if _, tag, ok := strings.Cut(name, ":"); !ok || tag == "latest" {
		return "Always"
	}
	return "IfNotPresent"
}

// targetPort drops a Service port's targetPort when it equals its port.
func targetPort() rule {
	return rule{drop: func(v any, parent map[string]any) bool {
		port, ok := parent["port"].(json.Number)
		if !ok {
			return false
		}
		switch t := v.(type) {
		case json.Number:
			return t == port
		case string:
			return t == string(port)
		}
		return false
	}}
}

// unlessNone drops a cluster IP the API server allocated, but keeps "None"
// (a headless Service), which is configuration.
func unlessNone() rule {
	return rule{drop: func(v any, _ map[string]any) bool { return v != "None" }}
}

// withoutLabels drops labels that name the region or a single object from a
// template's labels.
func withoutLabels(keys ...string) rule {
	return within(rules{"labels": rule{drop: func(v any, _ map[string]any) bool {
		m, ok := v.(map[string]any)
		if !ok {
			return false
		}
		for _, k := range keys {
			delete(m, k)
		}
		return len(m) == 0
	}}})
}

var (
	fieldRef = within(rules{"apiVersion": is("v1")})

	probe = within(rules{
		"timeoutSeconds": is(1), "periodSeconds": is(10), "successThreshold": is(1), "failureThreshold": is(3),
		"httpGet": within(rules{"scheme": is("HTTP")}),
	})

	container = rules{
		"terminationMessagePath":   is("/dev/termination-log"),
		"terminationMessagePolicy": is("File"),
		"imagePullPolicy":          imagePullPolicy(),
		"ports":                    each(rules{"protocol": is("TCP")}),
		"env":                      each(rules{"valueFrom": within(rules{"fieldRef": fieldRef})}),
		"livenessProbe":            probe,
		"readinessProbe":           probe,
		"startupProbe":             probe,
		"resources":                quantities(),
	}

	mode420 = rules{"defaultMode": is(420)}

	volume = rules{
		"configMap":   within(mode420),
		"secret":      within(mode420),
		"downwardAPI": within(rules{"defaultMode": is(420), "items": each(rules{"fieldRef": fieldRef})}),
		"projected": within(rules{"defaultMode": is(420), "sources": each(rules{
			"downwardAPI":         within(rules{"items": each(rules{"fieldRef": fieldRef})}),
			"serviceAccountToken": within(rules{"expirationSeconds": is(3600)}),
		})}),
	}

	podSpec = rules{
		"restartPolicy":                 is("Always"),
		"dnsPolicy":                     is("ClusterFirst"),
		"terminationGracePeriodSeconds": is(30),
		"schedulerName":                 is("default-scheduler"),
		"enableServiceLinks":            is(true),
		"securityContext":               emptyIsDefault(),
		"serviceAccount":                sameAs("serviceAccountName"),
		"containers":                    each(container),
		"initContainers":                each(container),
		"volumes":                       each(volume),
	}

	podTemplate = within(rules{
		"metadata": withoutLabels(wavegatev1alpha1.LabelRegion),
		"spec":     within(podSpec),
	})

	jobPodTemplate = within(rules{
		"metadata": withoutLabels(wavegatev1alpha1.LabelRegion, "controller-uid", "batch.kubernetes.io/controller-uid",
			"job-name", "batch.kubernetes.io/job-name"),
		"spec": within(podSpec),
	})

	claimSpec = rules{
		"volumeMode":    is("Filesystem"),
		"volumeName":    always(),
		"dataSourceRef": sameAs("dataSource"),
		"resources":     quantities(),
	}

	jobSpec = rules{
		"backoffLimit":         is(6),
		"completionMode":       is("NonIndexed"),
		"suspend":              is(false),
		"podReplacementPolicy": is("TerminatingOrFailed"),
		"manualSelector":       is(false),
		"parallelism":          is(1),
		"completions":          is(1),
		"template":             jobPodTemplate,
	}

	// kindDefaults are the rules of built-in kinds, by "group/Kind", applied
	// to spec (or, for kinds without spec, to the payload).
	kindDefaults = map[string]rules{
		"apps/Deployment": {
			"strategy": within(rules{
				"type":          is("RollingUpdate"),
				"rollingUpdate": within(rules{"maxSurge": is("25%"), "maxUnavailable": is("25%")}),
			}),
			"revisionHistoryLimit":    is(10),
			"progressDeadlineSeconds": is(600),
			"template":                podTemplate,
		},
		"apps/StatefulSet": {
			"podManagementPolicy": is("OrderedReady"),
			"updateStrategy": within(rules{
				"type":          is("RollingUpdate"),
				"rollingUpdate": within(rules{"partition": is(0), "maxUnavailable": is(1)}),
			}),
			"revisionHistoryLimit":                 is(10),
			"persistentVolumeClaimRetentionPolicy": within(rules{"whenDeleted": is("Retain"), "whenScaled": is("Retain")}),
			"volumeClaimTemplates": each(rules{
				"apiVersion": always(),
				"kind":       always(),
				"metadata":   withoutLabels(wavegatev1alpha1.LabelRegion),
				"spec":       within(claimSpec),
				"status":     always(),
			}),
			"template": podTemplate,
		},
		"apps/DaemonSet": {
			"updateStrategy": within(rules{
				"type":          is("RollingUpdate"),
				"rollingUpdate": within(rules{"maxUnavailable": is(1), "maxSurge": is(0)}),
			}),
			"revisionHistoryLimit": is(10),
			"template":             podTemplate,
		},
		"apps/ReplicaSet":        {"template": podTemplate},
		"/ReplicationController": {"template": podTemplate},
		"/PodTemplate":           {"template": podTemplate},
		"batch/Job":              jobSpec,
		"batch/CronJob": {
			"concurrencyPolicy":          is("Allow"),
			"suspend":                    is(false),
			"successfulJobsHistoryLimit": is(3),
			"failedJobsHistoryLimit":     is(1),
			"jobTemplate": within(rules{
				"metadata": withoutLabels(wavegatev1alpha1.LabelRegion),
				"spec":     within(jobSpec),
			}),
		},
		"/Service": {
			"type":                          is("ClusterIP"),
			"sessionAffinity":               is("None"),
			"clusterIP":                     unlessNone(),
			"clusterIPs":                    always(),
			"ipFamilies":                    always(),
			"ipFamilyPolicy":                is("SingleStack"),
			"internalTrafficPolicy":         is("Cluster"),
			"externalTrafficPolicy":         is("Cluster"),
			"allocateLoadBalancerNodePorts": is(true),
			"healthCheckNodePort":           always(),
			"ports":                         each(rules{"protocol": is("TCP"), "targetPort": targetPort(), "nodePort": always()}),
		},
		"/PersistentVolumeClaim": claimSpec,
		"/Namespace":             {"finalizers": always()},
	}
)
