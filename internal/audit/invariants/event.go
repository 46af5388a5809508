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

package invariants

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Event is one request as the API server logged it when its response was
// complete (audit.k8s.io/v1, stage ResponseComplete): admitted when Code is
// below 300.
type Event struct {
	// AuditID is the API server's id of the request.
	AuditID string
	// Received is when the API server received the request; the request is
	// judged at this time.
	Received time.Time
	// Completed is when the response was complete: the time the write took
	// effect (a Freeze is created at the completion of its create).
	Completed time.Time
	// User and Groups are the requester, after impersonation.
	User   string
	Groups []string
	// Verb is the audit verb: create, update, patch, delete or
	// deletecollection (reads are ignored).
	Verb string
	// APIGroup, APIVersion, Resource, Subresource, Namespace and Name are the
	// request's objectRef. Name is empty on a create with generateName; the
	// response object names it then.
	APIGroup    string
	APIVersion  string
	Resource    string
	Subresource string
	Namespace   string
	Name        string
	// RequestObject and ResponseObject are the bodies logged at level
	// RequestResponse; empty at level Metadata. The response object of a
	// write is the object as stored.
	RequestObject  json.RawMessage
	ResponseObject json.RawMessage
	// Code is the response's HTTP status code.
	Code int
	// RequestURI is the request's URI; its query tells a dry run and a
	// delete's propagationPolicy.
	RequestURI string
	// DryRun is set for requests with a dryRun parameter: nothing was stored.
	DryRun bool
	// Annotations are the audit annotations (the gate's break-glass note,
	// the authorizer's decision).
	Annotations map[string]string
	// Source and Line say where the event was read (the file and its line),
	// for messages; empty for events built in memory.
	Source string
	Line   int

	// prep is the response object, parsed ahead by Prepare.
	prep *prepared
}

type prepared struct {
	p   *parsed
	err error
}

// Prepare parses the response object ahead of Add, which then does not.
// Unlike Add it may run concurrently, on different Events: a reader can
// prepare events on several cores and add them in order on one.
func (e *Event) Prepare() {
	p, err := parseObject(e.ResponseObject)
	e.prep = &prepared{p: p, err: err}
}

// object is the parsed response object.
func (e *Event) object() (*parsed, error) {
	if e.prep == nil {
		e.Prepare()
	}
	return e.prep.p, e.prep.err
}

// Time is when the request is judged: when the API server received it, or
// when it completed if the receipt time is unknown.
func (e *Event) Time() time.Time {
	if e.Received.IsZero() {
		return e.Completed
	}
	return e.Received
}

func (e *Event) completed() time.Time {
	if e.Completed.IsZero() {
		return e.Received
	}
	return e.Completed
}

// Write describes one request by its objects rather than by the JSON of an
// audit line; its Event is what the API server logs for it at level
// RequestResponse. Tests that generate histories build Events with it.
type Write struct {
	// At is when the request was received and completed.
	At time.Time
	// User and Groups are the requester.
	User   string
	Groups []string
	// Verb is create, update, patch, delete or deletecollection.
	Verb string
	// Object is the object as stored after the request (a typed object,
	// an *unstructured.Unstructured or a map), or nil for a delete that
	// returns a Status. APIGroup, Namespace and Name default to its own.
	Object any
	// Request is the request body, if any: DeleteOptions for a delete.
	Request any
	// APIGroup, Resource (plural, such as "configmaps"; by default the
	// lower-case plural of Object's kind), Subresource, Namespace and Name
	// form the objectRef.
	APIGroup    string
	Resource    string
	Subresource string
	Namespace   string
	Name        string
	// Code is the response code; 201 for a create and 200 otherwise by
	// default.
	Code int
	// DryRun marks a dry run.
	DryRun bool
}

// Event returns the Event the API server logs for w.
func (w Write) Event() (Event, error) {
	e := Event{Received: w.At, Completed: w.At, User: w.User, Groups: w.Groups, Verb: w.Verb,
		APIGroup: w.APIGroup, Resource: w.Resource, Subresource: w.Subresource,
		Namespace: w.Namespace, Name: w.Name, Code: w.Code, DryRun: w.DryRun}
	if w.Object != nil {
		data, err := json.Marshal(w.Object)
		if err != nil {
			return e, fmt.Errorf("failed to encode the object of %s %s: %w", w.Verb, w.Name, err)
		}
		e.ResponseObject = data
		var m struct {
			APIVersion string `json:"apiVersion"`
			Kind       string `json:"kind"`
			Metadata   struct {
				Name      string `json:"name"`
				Namespace string `json:"namespace"`
			} `json:"metadata"`
		}
		if err := json.Unmarshal(data, &m); err != nil {
			return e, fmt.Errorf("the object of %s %s is not an object: %w", w.Verb, w.Name, err)
		}
		group, version := splitAPIVersion(m.APIVersion)
		if e.APIGroup == "" {
			e.APIGroup = group
		}
		e.APIVersion = version
		if e.Resource == "" {
			e.Resource = Plural(m.Kind)
		}
		if e.Namespace == "" {
			e.Namespace = m.Metadata.Namespace
		}
		if e.Name == "" {
			e.Name = m.Metadata.Name
		}
	}
	if w.Request != nil {
		data, err := json.Marshal(w.Request)
		if err != nil {
			return e, fmt.Errorf("failed to encode the request of %s %s: %w", w.Verb, w.Name, err)
		}
		e.RequestObject = data
	}
	if e.Code == 0 {
		e.Code = 200
		if w.Verb == "create" {
			e.Code = 201
		}
	}
	return e, nil
}

// Plural is the resource name of a kind the way Kubernetes names most of
// them: lower case, with "es" after s, x, z, ch and sh, and "ies" for a
// consonant and y. Name the resource when a kind differs (Endpoints).
func Plural(kind string) string {
	k := strings.ToLower(kind)
	switch {
	case k == "":
		return ""
	case strings.HasSuffix(k, "s"), strings.HasSuffix(k, "x"), strings.HasSuffix(k, "z"),
		strings.HasSuffix(k, "ch"), strings.HasSuffix(k, "sh"):
		return k + "es"
	case strings.HasSuffix(k, "y") && len(k) > 1 && !strings.ContainsRune("aeiou", rune(k[len(k)-2])):
		return k[:len(k)-1] + "ies"
	}
	return k + "s"
}

func splitAPIVersion(apiVersion string) (group, version string) {
	if i := strings.LastIndexByte(apiVersion, '/'); i >= 0 {
		return apiVersion[:i], apiVersion[i+1:]
	}
	return "", apiVersion
}
