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

// Package access asks the API server who may do what: whether Wavegate
// itself may list and watch a resource (SelfSubjectAccessReview), and
// whether the author of a request may act on a resource (SubjectAccessReview).
// The answer is the API server's authorizer, so RBAC, webhooks and any other
// authorizer count, not a copy of RBAC rules.
package access

import (
	"context"
	"fmt"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"
	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// +kubebuilder:rbac:groups=authorization.k8s.io,resources=subjectaccessreviews,verbs=create

// MayListAndWatch reports whether the caller of c may list and watch gr in
// every namespace.
func MayListAndWatch(ctx context.Context, c client.Client, gr schema.GroupResource) (bool, error) {
	return May(ctx, c, gr, "list", "watch")
}

// May reports whether the caller of c may do every one of verbs on gr in
// every namespace.
func May(ctx context.Context, c client.Client, gr schema.GroupResource, verbs ...string) (bool, error) {
	for _, verb := range verbs {
		review := &authorizationv1.SelfSubjectAccessReview{Spec: authorizationv1.SelfSubjectAccessReviewSpec{
			ResourceAttributes: &authorizationv1.ResourceAttributes{Verb: verb, Group: gr.Group, Resource: gr.Resource},
		}}
		if err := c.Create(ctx, review); err != nil {
			return false, fmt.Errorf("failed to ask whether Wavegate may %s %s: %w", verb, gr, err)
		}
		if !review.Status.Allowed {
			return false, nil
		}
	}
	return true, nil
}

// Decision is the API server's answer to whether a user may do something.
type Decision struct {
	Allowed bool
	// Reason is the authorizer's reason, if it gave one.
	Reason string
}

// UserMay asks whether user may do verb on gr in namespace ("" for every
// namespace).
func UserMay(ctx context.Context, c client.Client, user authenticationv1.UserInfo, verb string, gr schema.GroupResource, namespace string) (Decision, error) {
	extra := make(map[string]authorizationv1.ExtraValue, len(user.Extra))
	for k, v := range user.Extra {
		extra[k] = authorizationv1.ExtraValue(v)
	}
	review := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
		User: user.Username, UID: user.UID, Groups: user.Groups, Extra: extra,
		ResourceAttributes: &authorizationv1.ResourceAttributes{
			Verb: verb, Group: gr.Group, Resource: gr.Resource, Namespace: namespace,
		},
	}}
	if err := c.Create(ctx, review); err != nil {
		return Decision{}, fmt.Errorf("failed to ask whether %s may %s %s: %w", user.Username, verb, gr, err)
	}
	return Decision{Allowed: review.Status.Allowed && !review.Status.Denied, Reason: review.Status.Reason}, nil
}

// Check answers whether something is allowed on a resource.
type Check func(context.Context, schema.GroupResource) (bool, error)

// Remembered returns check with each answer remembered for ttl, so a
// question asked on every reconcile of a thousand rollouts reaches the API
// server once per resource and ttl. Callers that ask while the question is
// out share its answer: sixteen workers finding it expired at once ask once.
// Errors are not remembered.
func Remembered(check Check, ttl time.Duration, now func() time.Time) Check {
	type answer struct {
		ok bool
		at time.Time
	}
	var (
		mu       sync.Mutex
		answers  = map[schema.GroupResource]answer{}
		inFlight singleflight.Group
	)
	return func(ctx context.Context, gr schema.GroupResource) (bool, error) {
		mu.Lock()
		a, found := answers[gr]
		mu.Unlock()
		if found && now().Sub(a.at) < ttl {
			return a.ok, nil
		}
		answered := inFlight.DoChan(gr.String(), func() (any, error) {
			// Not the first caller's context: its end must not fail the
			// callers that share the answer.
			ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), checkTimeout)
			defer cancel()
			ok, err := check(ctx, gr)
			if err == nil {
				mu.Lock()
				answers[gr] = answer{ok: ok, at: now()}
				mu.Unlock()
			}
			return ok, err
		})
		select {
		case <-ctx.Done():
			return false, ctx.Err()
		case r := <-answered:
			if r.Err != nil {
				return false, r.Err
			}
			may, _ := r.Val.(bool)
			return may, nil
		}
	}
}

// checkTimeout bounds a question that callers share.
const checkTimeout = 30 * time.Second
