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

// Package audittest builds histories for the invariant checker: objects as
// maps, and an APIServer that turns requests into the audit.k8s.io/v1 lines
// a real API server writes (uid, resourceVersion, generation and
// creationTimestamp filled in as it would), or into Events directly.
package audittest

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"strconv"
	"strings"
	"time"

	"github.com/wavegate/wavegate/internal/audit/invariants"
)

// Object is an object as the API server stores it, as JSON would decode it.
type Object = map[string]any

// Opt changes an object.
type Opt func(Object)

func meta(o Object) map[string]any {
	m, _ := o["metadata"].(map[string]any)
	if m == nil {
		m = map[string]any{}
		o["metadata"] = m
	}
	return m
}

func metaMap(o Object, field string) map[string]any {
	m := meta(o)
	f, _ := m[field].(map[string]any)
	if f == nil {
		f = map[string]any{}
		m[field] = f
	}
	return f
}

// Label sets a label.
func Label(k, v string) Opt { return func(o Object) { metaMap(o, "labels")[k] = v } }

// Region labels the object with wavegate.io/region.
func Region(r string) Opt { return Label("wavegate.io/region", r) }

// Protection labels the object with wavegate.io/protection.
func Protection(p string) Opt { return Label("wavegate.io/protection", p) }

// Annotation sets an annotation.
func Annotation(k, v string) Opt { return func(o Object) { metaMap(o, "annotations")[k] = v } }

// Owner adds an ownerReference to the object with uid.
func Owner(kind, name, uid string) Opt {
	return func(o Object) {
		m := meta(o)
		refs, _ := m["ownerReferences"].([]any)
		m["ownerReferences"] = append(refs, map[string]any{"apiVersion": "v1", "kind": kind, "name": name, "uid": uid})
	}
}

// Finalizers sets metadata.finalizers.
func Finalizers(f ...string) Opt {
	return func(o Object) {
		list := make([]any, len(f))
		for i, x := range f {
			list[i] = x
		}
		meta(o)["finalizers"] = list
	}
}

// Deleting sets metadata.deletionTimestamp.
func Deleting(at time.Time) Opt {
	return func(o Object) { meta(o)["deletionTimestamp"] = at.UTC().Format(time.RFC3339) }
}

// Field sets a top-level field.
func Field(k string, v any) Opt { return func(o Object) { o[k] = v } }

func object(apiVersion, kind, namespace, name string, opts []Opt) Object {
	m := map[string]any{"name": name}
	if namespace != "" {
		m["namespace"] = namespace
	}
	o := Object{"apiVersion": apiVersion, "kind": kind, "metadata": m}
	for _, opt := range opts {
		opt(o)
	}
	return o
}

// ConfigMap is a ConfigMap with data.
func ConfigMap(namespace, name string, data map[string]string, opts ...Opt) Object {
	d := map[string]any{}
	for k, v := range data {
		d[k] = v
	}
	return object("v1", "ConfigMap", namespace, name, append([]Opt{Field("data", d)}, opts...))
}

// Secret is an Opaque Secret with data (base64, as stored).
func Secret(namespace, name string, data map[string]string, opts ...Opt) Object {
	d := map[string]any{}
	for k, v := range data {
		d[k] = v
	}
	return object("v1", "Secret", namespace, name, append([]Opt{Field("type", "Opaque"), Field("data", d)}, opts...))
}

// Namespace is a Namespace, labelled with region unless it is empty.
func Namespace(name, region string, opts ...Opt) Object {
	if region != "" {
		opts = append([]Opt{Region(region)}, opts...)
	}
	opts = append([]Opt{Label("kubernetes.io/metadata.name", name), Field("spec", map[string]any{"finalizers": []any{"kubernetes"}})}, opts...)
	return object("v1", "Namespace", "", name, opts)
}

// Deployment is a Deployment running image, with replicas and a selector.
func Deployment(namespace, name, image string, replicas int, opts ...Opt) Object {
	spec := map[string]any{
		"replicas": replicas,
		"selector": map[string]any{"matchLabels": map[string]any{"app": name}},
		"template": map[string]any{
			"metadata": map[string]any{"labels": map[string]any{"app": name}},
			"spec":     map[string]any{"containers": []any{map[string]any{"name": name, "image": image}}},
		},
	}
	return object("apps/v1", "Deployment", namespace, name, append([]Opt{Field("spec", spec)}, opts...))
}

const wavegateAPI = "wavegate.io/v1alpha1"

// RegionObject is a Region, with its failover pair if pair is set.
func RegionObject(name, pair string) Object {
	spec := map[string]any{}
	if pair != "" {
		spec["pairedRegion"] = pair
	}
	return object(wavegateAPI, "Region", "", name, []Opt{Field("spec", spec)})
}

// Wave is one wave of a plan.
type Wave struct {
	Name    string
	Bake    time.Duration
	Regions []string
}

// WavePlan is a WavePlan of waves.
func WavePlan(name string, waves ...Wave) Object {
	var ws []any
	for _, w := range waves {
		regions := make([]any, len(w.Regions))
		for i, r := range w.Regions {
			regions[i] = r
		}
		ws = append(ws, map[string]any{"name": w.Name, "bakeTime": w.Bake.String(), "regions": regions})
	}
	return object(wavegateAPI, "WavePlan", "", name, []Opt{Field("spec", map[string]any{"minBakeTime": "15m", "waves": ws})})
}

// FreezeSpec is what a Freeze says.
type FreezeSpec struct {
	Regions      []string
	Reason       string
	Ticket       string
	ExpiresAt    time.Time
	ExemptUsers  []string
	ExemptGroups []string
	AllowReverts bool
}

// Freeze is a Freeze.
func Freeze(name string, s FreezeSpec) Object {
	spec := map[string]any{"regions": strs(s.Regions), "reason": s.Reason}
	if s.Ticket != "" {
		spec["ticket"] = s.Ticket
	}
	if !s.ExpiresAt.IsZero() {
		spec["expiresAt"] = s.ExpiresAt.UTC().Format(time.RFC3339)
	}
	if len(s.ExemptUsers)+len(s.ExemptGroups) > 0 {
		spec["exemptions"] = map[string]any{"users": strs(s.ExemptUsers), "groups": strs(s.ExemptGroups)}
	}
	if s.AllowReverts {
		spec["allowReverts"] = true
	}
	return object(wavegateAPI, "Freeze", "", name, []Opt{Field("spec", spec)})
}

// RegionStatus is one region of a rollout's status.
type RegionStatus struct {
	Name, State, Version, Message string
}

// ConfigRollout is a rollout of version at generation, with status observed
// at observed.
func ConfigRollout(name, version string, generation, observed int, regions ...RegionStatus) Object {
	var rs []any
	for _, r := range regions {
		s := map[string]any{"name": r.Name, "state": r.State}
		if r.Version != "" {
			s["observedVersion"] = r.Version
		}
		if r.Message != "" {
			s["message"] = r.Message
		}
		rs = append(rs, s)
	}
	spec := map[string]any{
		"target":  map[string]any{"apiVersion": "apps/v1", "kind": "Deployment", "namespace": "identity", "name": "msi-token-service"},
		"patch":   map[string]any{"spec": map[string]any{"template": map[string]any{"metadata": map[string]any{"labels": map[string]any{"app.kubernetes.io/version": version}}}}},
		"version": version,
	}
	o := object(wavegateAPI, "ConfigRollout", "", name, []Opt{Field("spec", spec),
		Field("status", map[string]any{"observedGeneration": observed, "regions": rs})})
	meta(o)["generation"] = generation
	return o
}

// AutomationPolicy names delete automation identities.
func AutomationPolicy(name string, serviceAccounts, users, groups []string, regions ...string) Object {
	spec := map[string]any{
		"identities":          map[string]any{"serviceAccounts": strs(serviceAccounts), "users": strs(users), "groups": strs(groups)},
		"scope":               map[string]any{"regions": strs(regions)},
		"maxDeletionsPerHour": 50,
	}
	return object(wavegateAPI, "AutomationPolicy", "", name, []Opt{Field("spec", spec)})
}

func strs(s []string) []any {
	out := make([]any, len(s))
	for i, x := range s {
		out[i] = x
	}
	return out
}

// Request is one request to an APIServer.
type Request struct {
	invariants.Write
	// Level is the audit level: RequestResponse by default; Metadata logs
	// no bodies (as the audit policy does for Secrets).
	Level string
	// Latency is how long the request took; 5ms by default.
	Latency time.Duration
}

// APIServer plays the API server for a history: it keeps each object's
// uid, resourceVersion, generation and creation time, so that what it
// logs is what a real API server would store and return.
type APIServer struct {
	objects map[string]Object
	rv      int
	n       int
}

// NewAPIServer returns an APIServer with nothing stored.
func NewAPIServer() *APIServer { return &APIServer{objects: map[string]Object{}} }

// UID is the uid the APIServer gives an object.
func UID(resource, namespace, name string) string {
	sum := sha256.Sum256([]byte(resource + "/" + namespace + "/" + name))
	h := hex.EncodeToString(sum[:16])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

func (s *APIServer) store(r *Request) Object {
	w := r.Write
	key := w.Resource + "/" + w.Namespace + "/" + w.Name
	src := toMap(w.Object)
	obj := Object{}
	maps.Copy(obj, src)
	m := map[string]any{}
	maps.Copy(m, meta(src))
	obj["metadata"] = m
	if w.Namespace == "" {
		if ns, _ := m["namespace"].(string); ns != "" {
			key = w.Resource + "/" + ns + "/" + w.Name
		}
	}
	prev := s.objects[key]
	s.rv++
	m["resourceVersion"] = strconv.Itoa(s.rv)
	if prev != nil && w.Verb != "create" {
		pm := meta(prev)
		m["uid"], m["creationTimestamp"] = pm["uid"], pm["creationTimestamp"]
		if _, set := m["generation"]; !set {
			gen, _ := pm["generation"].(int)
			if !jsonEqual(prev["spec"], obj["spec"]) {
				gen++
			}
			m["generation"] = gen
		}
	} else {
		m["uid"] = UID(w.Resource, w.Namespace, w.Name)
		m["creationTimestamp"] = w.At.UTC().Format(time.RFC3339)
		if _, set := m["generation"]; !set {
			m["generation"] = 1
		}
	}
	s.objects[key] = obj
	return obj
}

// toMap is an object as JSON decodes it.
func toMap(o any) Object {
	if m, ok := o.(Object); ok {
		return m
	}
	data, _ := json.Marshal(o)
	m := Object{}
	_ = json.Unmarshal(data, &m)
	return m
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

// Event is the Event the API server logs for r (and stores its result).
func (s *APIServer) Event(r Request) (invariants.Event, error) {
	if r.Object != nil {
		o := toMap(r.Object)
		r.Object = o
		if m := meta(o); r.Name == "" {
			r.Name, _ = m["name"].(string)
		}
		if r.Namespace == "" {
			r.Namespace, _ = meta(o)["namespace"].(string)
		}
		if r.Resource == "" {
			kind, _ := o["kind"].(string)
			r.Resource = invariants.Plural(kind)
		}
		if r.Code < 300 {
			r.Object = s.store(&r)
		}
	}
	if r.Verb == "delete" && r.Code < 300 && r.Object == nil {
		delete(s.objects, r.Resource+"/"+r.Namespace+"/"+r.Name)
	}
	e, err := r.Event()
	if err != nil {
		return e, err
	}
	s.n++
	e.AuditID = fmt.Sprintf("00000000-0000-4000-8000-%012d", s.n)
	if r.Latency == 0 {
		r.Latency = 5 * time.Millisecond
	}
	e.Completed = e.Received.Add(r.Latency)
	e.RequestURI = uri(e)
	if r.Level == "Metadata" {
		e.RequestObject, e.ResponseObject = nil, nil
	}
	e.Annotations = map[string]string{"authorization.k8s.io/decision": "allow", "authorization.k8s.io/reason": ""}
	return e, nil
}

func uri(e invariants.Event) string {
	var b strings.Builder
	if e.APIGroup == "" {
		b.WriteString("/api/v1")
	} else {
		b.WriteString("/apis/" + e.APIGroup + "/" + orV1(e.APIVersion))
	}
	if e.Namespace != "" && e.Resource != "namespaces" {
		b.WriteString("/namespaces/" + e.Namespace)
	}
	b.WriteString("/" + e.Resource)
	if e.Verb != "create" && e.Name != "" {
		b.WriteString("/" + e.Name)
	}
	if e.Subresource != "" {
		b.WriteString("/" + e.Subresource)
	}
	if e.DryRun {
		b.WriteString("?dryRun=All")
	}
	return b.String()
}

func orV1(v string) string {
	if v == "" {
		return "v1"
	}
	return v
}

// Line is the audit.k8s.io/v1 JSON line the API server writes for r.
func (s *APIServer) Line(r Request) ([]byte, error) {
	e, err := s.Event(r)
	if err != nil {
		return nil, err
	}
	level := r.Level
	if level == "" {
		level = "RequestResponse"
	}
	status := map[string]any{"metadata": map[string]any{}, "code": e.Code}
	if e.Code >= 300 {
		status["status"] = "Failure"
		status["message"] = "admission webhook \"region-label.gate.wavegate.io\" denied the request"
		status["reason"] = "Forbidden"
	}
	line := map[string]any{
		"kind": "Event", "apiVersion": "audit.k8s.io/v1", "level": level, "auditID": e.AuditID,
		"stage": "ResponseComplete", "requestURI": e.RequestURI, "verb": e.Verb,
		"user":      map[string]any{"username": e.User, "groups": strs(append([]string{}, e.Groups...))},
		"sourceIPs": []any{"10.0.0.1"}, "userAgent": "kubectl/v1.37.2 (linux/amd64) kubernetes/0000000",
		"objectRef":                objectRef(e),
		"responseStatus":           status,
		"requestReceivedTimestamp": e.Received.UTC().Format("2006-01-02T15:04:05.000000Z"),
		"stageTimestamp":           e.Completed.UTC().Format("2006-01-02T15:04:05.000000Z"),
		"annotations":              e.Annotations,
	}
	if len(e.RequestObject) > 0 {
		line["requestObject"] = e.RequestObject
	} else if level == "RequestResponse" && e.Verb != "delete" && len(e.ResponseObject) > 0 {
		line["requestObject"] = e.ResponseObject
	}
	if len(e.ResponseObject) > 0 {
		line["responseObject"] = e.ResponseObject
	} else if level == "RequestResponse" && e.Verb == "delete" {
		line["responseObject"] = map[string]any{"kind": "Status", "apiVersion": "v1", "metadata": map[string]any{}, "status": "Success",
			"details": map[string]any{"name": e.Name, "kind": e.Resource}}
	}
	return json.Marshal(line)
}

func objectRef(e invariants.Event) map[string]any {
	ref := map[string]any{"resource": e.Resource, "apiVersion": orV1(e.APIVersion)}
	if e.Namespace != "" && e.Resource != "namespaces" {
		ref["namespace"] = e.Namespace
	}
	if e.Name != "" {
		ref["name"] = e.Name
	}
	if e.APIGroup != "" {
		ref["apiGroup"] = e.APIGroup
	}
	if e.Subresource != "" {
		ref["subresource"] = e.Subresource
	}
	return ref
}
