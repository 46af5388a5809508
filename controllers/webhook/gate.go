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
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/go-logr/logr"
	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/tools/events"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	wavegatev1alpha1 "github.com/wavegate/wavegate/api/v1alpha1"
	"github.com/wavegate/wavegate/internal/gate"
	"github.com/wavegate/wavegate/internal/gate/engine"
	"github.com/wavegate/wavegate/internal/gate/facts"
	"github.com/wavegate/wavegate/internal/gate/webhookconfig"
	"github.com/wavegate/wavegate/internal/metrics"
)

// GatePath is where the API server sends gated requests.
const GatePath = webhookconfig.Path

// +kubebuilder:rbac:groups=apps,resources=deployments;statefulsets;replicasets,verbs=list;watch

// GateHandler serves the gate over the admission webhook protocol: it turns
// an AdmissionRequest into a gate.Judge call and the decision into a
// response, with metrics, Events for break-glass and a log line per denial.
// It decides nothing itself.
type GateHandler struct {
	Gate   *gate.Gate
	Synced func() bool
	// Stale, for an agent, says why its copy of the hub's state can no
	// longer be trusted (nil while it can); nil on a hub.
	Stale    func() error
	Recorder events.EventRecorder
	Log      logr.Logger
	// Limit bounds the requests judged at once; nil: no bound.
	Limit *gate.Limiter
}

var _ admission.Handler = &GateHandler{}

// Handle judges one request.
func (h *GateHandler) Handle(ctx context.Context, req admission.Request) admission.Response {
	start := time.Now()
	resp, dec := h.handle(ctx, req)
	metrics.AdmissionDuration.Observe(time.Since(start).Seconds())
	countDecision(resp, dec)
	return resp
}

func (h *GateHandler) handle(ctx context.Context, req admission.Request) (admission.Response, engine.Decision) {
	// Kubernetes' own controllers never reach the gate (webhookconfig); their
	// deletes follow a delete that was already judged.
	if req.Operation == admissionv1.Delete && webhookconfig.IsKubernetesController(req.UserInfo.Username) {
		return admission.Allowed(""), engine.Decision{}
	}
	if h.Limit != nil {
		release, ok := h.Limit.Acquire(ctx)
		if !ok {
			return h.overloaded(req)
		}
		defer release()
	}
	metrics.AdmissionInFlight.Inc()
	defer metrics.AdmissionInFlight.Dec()
	// Answer before the API server gives up on the webhook, so that a slow
	// record write is denied with its reason rather than timed out.
	ctx, cancel := context.WithTimeout(ctx, answerWithin)
	defer cancel()
	if !h.Synced() {
		return h.undecidable(req, errors.New("its informer caches have not synced yet; retry in a few seconds")), engine.Decision{}
	}
	r, err := gate.NewRequest(&req.AdmissionRequest)
	if err != nil {
		return h.undecidable(req, err), engine.Decision{}
	}
	if dec, stale := h.stale(r); stale {
		return denied(dec), dec
	}
	dec, in, err := h.Gate.Judge(ctx, r)
	if errors.Is(err, engine.ErrEvalTimeout) {
		metrics.PolicyEvalTimeouts.Inc()
	}
	if err != nil {
		return h.undecidable(req, err), engine.Decision{}
	}
	if !dec.Allowed() {
		h.logDecision(r, in, dec, "denied")
		return denied(dec), dec
	}
	return h.allowed(r, in, dec), dec
}

// stale denies every request but a break-glass one while an agent's copy
// of its hub is too old to judge by: the hub's Freezes are unknown.
func (h *GateHandler) stale(r *facts.Request) (engine.Decision, bool) {
	if h.Stale == nil {
		return engine.Decision{}, false
	}
	err := h.Stale()
	if err == nil || slices.Contains(r.Groups, h.Gate.Facts.BreakGlassGroup) {
		return engine.Decision{}, false
	}
	h.Log.Info("Admission denied: the hub is unreachable", "user", r.User, "operation", r.Operation, "object", r.Ref(), "verdict", "denied")
	return engine.Decision{Deny: []engine.Verdict{{Rule: RuleHubUnreachable, Msg: err.Error()}}}, true
}

// RuleHubUnreachable names the denials of an agent that cannot trust its
// copy of the hub's state.
const RuleHubUnreachable = "hub-unreachable"

// allowed admits the request with the rules' warnings; a break-glass
// admission also gets an audit annotation, an Event (not on a dry run) and a
// log line.
func (h *GateHandler) allowed(r *facts.Request, in *facts.Input, dec engine.Decision) admission.Response {
	resp := admission.Allowed("").WithWarnings(messages(dec.Warn)...)
	var broken []string
	for _, w := range dec.Warn {
		if w.BreakGlass == "" {
			continue
		}
		broken = append(broken, w.Msg)
		// sideEffects: NoneOnDryRun: a dry run writes nothing, not even an
		// Event; the warning and the audit annotation still show the verdict.
		if r.DryRun {
			continue
		}
		h.Recorder.Eventf(breakGlassSubject(r, w), nil, "Warning", "BreakGlass", "Admit", "%s %s by %s: %s", strings.ToLower(r.Operation), r.Ref(), r.User, w.Msg)
	}
	if len(broken) > 0 {
		resp.AuditAnnotations = map[string]string{"break-glass": strings.Join(broken, "\n")}
		h.logDecision(r, in, dec, "break-glass")
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

func (h *GateHandler) logDecision(r *facts.Request, in *facts.Input, dec engine.Decision, verdict string) {
	rules := make([]string, 0, len(dec.Deny)+len(dec.Warn))
	for _, v := range append(append([]engine.Verdict(nil), dec.Deny...), dec.Warn...) {
		rules = append(rules, v.Rule)
	}
	h.Log.Info("Admission decision", "uid", r.UID, "user", r.User, "operation", r.Operation,
		"kind", r.Kind, "object", r.Ref(), "regions", in.Regions, "rules", rules, "verdict", verdict,
		"messages", messages(append(append([]engine.Verdict(nil), dec.Deny...), dec.Warn...)))
}

// undecidable denies a request the gate could not judge, saying what could
// not be decided: unknown is never safe.
func (h *GateHandler) undecidable(req admission.Request, err error) admission.Response {
	h.Log.Error(err, "Admission denied: undecidable", "uid", req.UID, "user", req.UserInfo.Username,
		"operation", req.Operation, "kind", req.Kind.Kind, "namespace", req.Namespace, "name", req.Name, "verdict", "denied")
	return admission.Errored(500, fmt.Errorf("[wavegate:internal] wavegate could not decide on %s %s: %w; the change is denied because unknown is not safe, retry it", req.Kind.Kind, req.Name, err))
}

// answerWithin bounds the work on one request: under the webhook's timeout.
const answerWithin = webhookconfig.TimeoutSeconds*time.Second - 500*time.Millisecond

// RuleOverloaded names the refusals of a replica that is already judging
// as many requests as it may (--max-in-flight).
const RuleOverloaded = "overloaded"

// overloadedRetry is the retry a refusal suggests: about how long the
// requests in flight take to be answered under load.
const overloadedRetry = 2

// overloaded refuses a request unjudged, at once and with 429, so that a
// client retries rather than waits out the webhook's timeout; a gated
// request is never admitted unjudged.
func (h *GateHandler) overloaded(req admission.Request) (admission.Response, engine.Decision) {
	msg := fmt.Sprintf("[wavegate:%s] this Wavegate replica is judging %d requests already, so %s %s was not judged; it is denied because a gated change is never admitted unjudged; retry in %d s",
		RuleOverloaded, h.Limit.Max(), req.Kind.Kind, req.Name, overloadedRetry)
	h.Log.V(1).Info("Admission refused: overloaded", "uid", req.UID, "user", req.UserInfo.Username, "operation", req.Operation,
		"kind", req.Kind.Kind, "namespace", req.Namespace, "name", req.Name, "verdict", "denied")
	resp := admission.Denied(msg)
	resp.Result.Code = http.StatusTooManyRequests
	resp.Result.Reason = metav1.StatusReasonTooManyRequests
	resp.Result.Details = &metav1.StatusDetails{RetryAfterSeconds: overloadedRetry}
	return resp, engine.Decision{Deny: []engine.Verdict{{Rule: RuleOverloaded, Msg: msg}}}
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
