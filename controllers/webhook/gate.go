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

package webhook

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/go-logr/logr"
	admissionv1 "k8s.io/api/admission/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/tools/events"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	wavegatev1alpha1 "github.com/wavegate/wavegate/api/v1alpha1"
	"github.com/wavegate/wavegate/internal/engine"
	"github.com/wavegate/wavegate/internal/facts"
	"github.com/wavegate/wavegate/internal/gateconfig"
	"github.com/wavegate/wavegate/internal/metrics"
	"github.com/wavegate/wavegate/internal/records"
)

// GatePath is where the API server sends gated requests.
const GatePath = "/gate"

// maxAttempts bounds how often the gate decides again after losing a race
// for a change record to another replica.
const maxAttempts = 5

// +kubebuilder:rbac:groups=apps,resources=deployments;statefulsets;replicasets,verbs=list;watch

// Gate is the Rego-backed admission handler for everyone else's objects. It
// builds the facts of a request from the Index, asks the engine, records
// admitted changes, and answers with the verdict.
type Gate struct {
	Engine   *engine.Engine
	Facts    *facts.Builder
	Records  RecordStore
	Synced   func() bool
	Recorder events.EventRecorder
	Log      logr.Logger
}

var _ admission.Handler = &Gate{}

// RecordStore keeps change records: in the API server for the webhook, in
// memory for `wavegate check`.
type RecordStore interface {
	// Append adds entries to a record, based on the version base (nil: no
	// record yet); it returns records.ErrConflict if base is stale.
	Append(ctx context.Context, name string, base *wavegatev1alpha1.ChangeRecord, template wavegatev1alpha1.ChangeRecordSpec, entries []wavegatev1alpha1.ChangeEntry, now time.Time) error
	// Fresh reads a record bypassing every cache; nil when there is none.
	Fresh(ctx context.Context, name string) (*wavegatev1alpha1.ChangeRecord, error)
}

// Handle judges one request.
func (g *Gate) Handle(ctx context.Context, req admission.Request) admission.Response {
	start := time.Now()
	resp, dec := g.handle(ctx, req)
	metrics.AdmissionDuration.Observe(time.Since(start).Seconds())
	countDecision(resp, dec)
	return resp
}

func (g *Gate) handle(ctx context.Context, req admission.Request) (admission.Response, engine.Decision) {
	// Kubernetes' own controllers never reach the gate (gateconfig); their
	// deletes follow a delete that was already judged.
	if req.Operation == admissionv1.Delete && gateconfig.IsKubernetesController(req.UserInfo.Username) {
		return admission.Allowed(""), engine.Decision{}
	}
	if !g.Synced() {
		return g.undecidable(req, errors.New("its informer caches have not synced yet; retry in a few seconds")), engine.Decision{}
	}
	r, err := newRequest(req)
	if err != nil {
		return g.undecidable(req, err), engine.Decision{}
	}
	dec, in, err := g.Judge(ctx, r)
	if err != nil {
		return g.undecidable(req, err), engine.Decision{}
	}
	if !dec.Allowed() {
		g.logDecision(r, in, dec, "denied")
		return denied(dec), dec
	}
	return g.allowed(r, in, dec), dec
}

// Judge decides one request and, when it is admitted and not a dry run,
// records what it changes. It is the one decision path: the webhook and
// `wavegate check` both call it.
func (g *Gate) Judge(ctx context.Context, r *facts.Request) (engine.Decision, *facts.Input, error) {
	fresh := map[string]*wavegatev1alpha1.ChangeRecord{}
	for attempt := 1; attempt <= maxAttempts; attempt++ {
		in := g.Facts.Build(r, fresh)
		dec, err := g.Engine.Decide(ctx, in.Value())
		if err != nil {
			return engine.Decision{}, in, err
		}
		if !dec.Allowed() || r.DryRun {
			return dec, in, nil
		}
		conflicted, err := g.record(ctx, in, fresh)
		if err != nil {
			return engine.Decision{}, in, err
		}
		if !conflicted {
			return dec, in, nil
		}
	}
	return engine.Decision{}, nil, fmt.Errorf("the change record kept changing under %d attempts to record this change", maxAttempts)
}

// record writes what an admitted request changes: the regions a change
// enters, and a deletion by automation. On a conflict it reads the fresh
// record into fresh, so the caller decides again on what really happened.
func (g *Gate) record(ctx context.Context, in *facts.Input, fresh map[string]*wavegatev1alpha1.ChangeRecord) (conflicted bool, err error) {
	type write struct {
		name     string
		template wavegatev1alpha1.ChangeRecordSpec
		entries  []wavegatev1alpha1.ChangeEntry
	}
	var writes []write
	if len(in.Entering) > 0 {
		writes = append(writes, write{in.ChangeRecord, wavegatev1alpha1.ChangeRecordSpec{ChangeID: in.ChangeID}, in.Entering})
	}
	for _, p := range in.Automation {
		entry := wavegatev1alpha1.ChangeEntry{Object: in.Request.Ref()}
		entry.At.Time = in.Now
		if len(in.Regions) > 0 {
			entry.Region = in.Regions[0]
		}
		writes = append(writes, write{facts.DeletionRecordName(p.Name), wavegatev1alpha1.ChangeRecordSpec{Policy: p.Name}, []wavegatev1alpha1.ChangeEntry{entry}})
	}
	for _, w := range writes {
		err := g.Records.Append(ctx, w.name, in.Bases[w.name], w.template, w.entries, in.Now)
		if errors.Is(err, records.ErrConflict) {
			latest, err := g.Records.Fresh(ctx, w.name)
			if err != nil {
				return false, err
			}
			fresh[w.name] = latest
			return true, nil
		}
		if err != nil {
			return false, err
		}
		delete(fresh, w.name)
	}
	return false, nil
}

// allowed admits the request with the rules' warnings; a break-glass
// admission also gets an audit annotation, an Event and a log line.
func (g *Gate) allowed(r *facts.Request, in *facts.Input, dec engine.Decision) admission.Response {
	resp := admission.Allowed("").WithWarnings(messages(dec.Warn)...)
	var broken []string
	for _, w := range dec.Warn {
		if w.BreakGlass == "" {
			continue
		}
		broken = append(broken, w.Msg)
		g.Recorder.Eventf(breakGlassSubject(r, w), nil, "Warning", "BreakGlass", "Admit", "%s %s by %s: %s", strings.ToLower(r.Operation), r.Ref(), r.User, w.Msg)
	}
	if len(broken) > 0 {
		resp.AuditAnnotations = map[string]string{"break-glass": strings.Join(broken, "\n")}
		g.logDecision(r, in, dec, "break-glass")
	}
	return resp
}

// breakGlassSubject is the object the Event is about: the Freeze that was
// broken, else the object that was changed.
func breakGlassSubject(r *facts.Request, w engine.Verdict) *unstructured.Unstructured {
	u := &unstructured.Unstructured{}
	if w.Rule == "freeze" {
		u.SetGroupVersionKind(wavegatev1alpha1.GroupVersion.WithKind("Freeze"))
		u.SetName(w.BreakGlass)
		return u
	}
	u.SetGroupVersionKind(schema.GroupVersionKind{Group: r.Group, Version: r.Version, Kind: r.Kind})
	u.SetNamespace(r.Namespace)
	u.SetName(r.Name)
	return u
}

func (g *Gate) logDecision(r *facts.Request, in *facts.Input, dec engine.Decision, verdict string) {
	rules := make([]string, 0, len(dec.Deny)+len(dec.Warn))
	for _, v := range append(append([]engine.Verdict(nil), dec.Deny...), dec.Warn...) {
		rules = append(rules, v.Rule)
	}
	g.Log.Info("Admission decision", "uid", r.UID, "user", r.User, "operation", r.Operation,
		"kind", r.Kind, "object", r.Ref(), "regions", in.Regions, "rules", rules, "verdict", verdict,
		"messages", messages(append(append([]engine.Verdict(nil), dec.Deny...), dec.Warn...)))
}

// undecidable denies a request the gate could not judge, saying what could
// not be decided: unknown is never safe.
func (g *Gate) undecidable(req admission.Request, err error) admission.Response {
	g.Log.Error(err, "Admission denied: undecidable", "uid", req.UID, "user", req.UserInfo.Username,
		"operation", req.Operation, "kind", req.Kind.Kind, "namespace", req.Namespace, "name", req.Name, "verdict", "denied")
	return admission.Errored(500, fmt.Errorf("[wavegate:internal] wavegate could not decide on %s %s: %w; the change is denied because unknown is not safe, retry it", req.Kind.Kind, req.Name, err))
}

func denied(dec engine.Decision) admission.Response {
	return admission.Denied(strings.Join(messages(dec.Deny), "\n")).WithWarnings(messages(dec.Warn)...)
}

func messages(vs []engine.Verdict) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = v.Msg
	}
	return out
}

func countDecision(resp admission.Response, dec engine.Decision) {
	switch {
	case !resp.Allowed && len(dec.Deny) == 0:
		metrics.AdmissionRequests.WithLabelValues(metrics.RuleInternal, metrics.DecisionDenied).Inc()
	case !resp.Allowed:
		for _, v := range dec.Deny {
			metrics.AdmissionRequests.WithLabelValues(v.Rule, metrics.DecisionDenied).Inc()
		}
	default:
		counted := false
		for _, v := range dec.Warn {
			if v.BreakGlass != "" {
				metrics.AdmissionRequests.WithLabelValues(v.Rule, metrics.DecisionBreakGlass).Inc()
				counted = true
			}
		}
		if !counted {
			metrics.AdmissionRequests.WithLabelValues(metrics.RuleNone, metrics.DecisionAllowed).Inc()
		}
	}
}

// newRequest reads the parts of an AdmissionRequest the facts need.
func newRequest(req admission.Request) (*facts.Request, error) {
	obj, err := facts.DecodeObject(req.Object.Raw)
	if err != nil {
		return nil, fmt.Errorf("the new object: %w", err)
	}
	old, err := facts.DecodeObject(req.OldObject.Raw)
	if err != nil {
		return nil, fmt.Errorf("the old object: %w", err)
	}
	if obj == nil && old == nil {
		return nil, errors.New("the request carries no object")
	}
	r := &facts.Request{
		UID:         string(req.UID),
		Operation:   string(req.Operation),
		DryRun:      req.DryRun != nil && *req.DryRun,
		User:        req.UserInfo.Username,
		Groups:      req.UserInfo.Groups,
		Kind:        req.Kind.Kind,
		Group:       req.Kind.Group,
		Version:     req.Kind.Version,
		Resource:    req.Resource.Resource,
		SubResource: req.SubResource,
		Namespace:   req.Namespace,
		Name:        req.Name,
		Object:      obj,
		OldObject:   old,
	}
	if req.SubResource != "" {
		// The object is the subresource (a Scale); the request is about the
		// workload it scales.
		r.Group, r.Version = req.Resource.Group, req.Resource.Version
		r.Kind = scaledKinds[schema.GroupResource{Group: req.Resource.Group, Resource: req.Resource.Resource}]
		if r.Kind == "" {
			r.Kind = req.Resource.Resource
		}
	}
	return r, nil
}

// scaledKinds name the workloads whose Scale the gate judges, for messages.
var scaledKinds = map[schema.GroupResource]string{
	{Group: "apps", Resource: "deployments"}:        "Deployment",
	{Group: "apps", Resource: "statefulsets"}:       "StatefulSet",
	{Group: "apps", Resource: "replicasets"}:        "ReplicaSet",
	{Group: "", Resource: "replicationcontrollers"}: "ReplicationController",
}
