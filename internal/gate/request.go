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

package gate

import (
	"errors"
	"fmt"

	admissionv1 "k8s.io/api/admission/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/wavegate/wavegate/internal/gate/facts"
)

// NewRequest parses an AdmissionRequest once into what the facts need.
func NewRequest(req *admissionv1.AdmissionRequest) (*facts.Request, error) {
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
