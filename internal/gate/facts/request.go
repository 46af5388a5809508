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
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"

	wavegatev1alpha1 "github.com/wavegate/wavegate/api/v1alpha1"
	"github.com/wavegate/wavegate/internal/regions"
)

// Request is what the gate needs of one admission request.
type Request struct {
	UID       string
	Operation string // CREATE, UPDATE or DELETE
	DryRun    bool
	User      string
	Groups    []string
	Kind      string
	Group     string
	Version   string
	Resource  string
	// SubResource is "scale" for a scale request; Kind, Group and Resource
	// then name the scaled workload, and Object is its Scale.
	SubResource string
	Namespace   string
	Name        string
	// Object is the new object (nil on DELETE); OldObject the stored one
	// (nil on CREATE).
	Object    *Object
	OldObject *Object
	// NamespaceLabels are the labels of the request's Namespace when the
	// gate read it from the API server because its cache had not seen it
	// yet; nil otherwise, when the index knows them.
	NamespaceLabels map[string]string
}

// Ref names the object for messages: "ConfigMap aoai/cleanup-config". The
// API server names a Namespace as its own namespace; it is "Namespace aoai".
func (r *Request) Ref() string {
	if r.Namespace == "" || r.IsNamespace() {
		return r.Kind + " " + r.Name
	}
	return r.Kind + " " + r.Namespace + "/" + r.Name
}

// IsNamespace reports whether the request is about a Namespace itself.
func (r *Request) IsNamespace() bool {
	return r.Group == "" && r.Kind == "Namespace"
}

// current is the object as it will be: the new object, or the old one on DELETE.
func (r *Request) current() *Object {
	if r.Object != nil {
		return r.Object
	}
	return r.OldObject
}

// changesPayload reports whether the request is an update that changes the
// object's configuration payload.
func (r *Request) changesPayload() bool {
	return r.Operation == "UPDATE" && r.OldObject != nil && r.Object != nil && r.OldObject.PayloadHash != r.Object.PayloadHash
}

// Finalizing reports whether the request is an update of an object that is
// being deleted which changes nothing but removing finalizers: that is not a
// change, and it must never be held up.
func (r *Request) Finalizing() bool {
	return r.Operation == "UPDATE" && FinalizersOnly(r.OldObject, r.Object)
}

// Object is the part of an object the rules read.
type Object struct {
	Labels      map[string]string
	Annotations map[string]string
	// PayloadHash identifies the configuration payload (payload.go); it is ""
	// when the object carries none.
	PayloadHash string
	// UID and OwnerUIDs (metadata.ownerReferences) let protection follow
	// owner references: deleting an owner deletes its dependents.
	UID       string
	OwnerUIDs []string
	// Deleting: the object has a deletionTimestamp.
	Deleting   bool
	Finalizers []string
	// top is the decoded object, read again only to compare an update of an
	// object being deleted.
	top map[string]any
}

// DecodeObject reads the labels, annotations and payload hash of a raw object.
func DecodeObject(raw []byte) (*Object, error) {
	if len(raw) == 0 {
		return nil, nil
	}
	var top map[string]any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&top); err != nil {
		return nil, fmt.Errorf("failed to decode the object: %w", err)
	}
	if top == nil {
		return nil, errors.New("failed to decode the object: it is not a JSON object")
	}
	var meta struct {
		Labels            map[string]string `json:"labels"`
		Annotations       map[string]string `json:"annotations"`
		DeletionTimestamp *string           `json:"deletionTimestamp"`
		Finalizers        []string          `json:"finalizers"`
		UID               string            `json:"uid"`
		OwnerReferences   []struct {
			UID string `json:"uid"`
		} `json:"ownerReferences"`
	}
	if m, ok := top["metadata"]; ok && m != nil {
		if _, isMap := m.(map[string]any); !isMap {
			return nil, errors.New("failed to decode the object's metadata: it is not a JSON object")
		}
		b, err := json.Marshal(m)
		if err == nil {
			err = json.Unmarshal(b, &meta)
		}
		if err != nil {
			return nil, fmt.Errorf("failed to decode the object's metadata: %w", err)
		}
	}
	owners := make([]string, 0, len(meta.OwnerReferences))
	for _, o := range meta.OwnerReferences {
		if o.UID != "" {
			owners = append(owners, o.UID)
		}
	}
	return &Object{
		Labels: meta.Labels, Annotations: meta.Annotations,
		PayloadHash: payloadHash(top),
		UID:         meta.UID, OwnerUIDs: owners,
		Deleting: meta.DeletionTimestamp != nil, Finalizers: meta.Finalizers,
		top: top,
	}, nil
}

// content is everything but metadata and status, plus the labels and
// annotations: what an update that only removes finalizers leaves alone.
func (o *Object) content() map[string]any {
	rest := make(map[string]any, len(o.top)+2)
	for k, v := range o.top {
		if k != "metadata" && k != "status" {
			rest[k] = v
		}
	}
	rest["metadata.labels"] = canonical(toAny(o.Labels))
	rest["metadata.annotations"] = canonical(toAny(o.Annotations))
	return rest
}

func toAny(m map[string]string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// FinalizersOnly reports whether updating old to updated only removes
// finalizers from an object that is already being deleted.
func FinalizersOnly(old, updated *Object) bool {
	if old == nil || updated == nil || !old.Deleting {
		return false
	}
	for _, f := range updated.Finalizers {
		if !slices.Contains(old.Finalizers, f) {
			return false
		}
	}
	return reflect.DeepEqual(canonical(old.content()), canonical(updated.content()))
}

// region is the object's own region label.
func (o *Object) region() string {
	if o == nil {
		return ""
	}
	return regions.Label(o.Labels)
}

// annotatedRegions parses wavegate.io/regions: "r1,r2" or "*".
func (o *Object) annotatedRegions() []string {
	if o == nil {
		return nil
	}
	v, ok := o.Annotations[wavegatev1alpha1.AnnotationRegions]
	if !ok {
		return nil
	}
	var out []string
	for _, r := range strings.Split(v, ",") {
		r = strings.TrimSpace(r)
		if r == wavegatev1alpha1.AllRegions {
			return []string{wavegatev1alpha1.AllRegions}
		}
		if r != "" {
			out = append(out, r)
		}
	}
	return out
}

// requires parses wavegate.io/requires.
func (o *Object) requires() []string {
	if o == nil {
		return nil
	}
	var out []string
	for _, r := range strings.Split(o.Annotations[wavegatev1alpha1.AnnotationRequires], ",") {
		if r = strings.TrimSpace(r); r != "" {
			out = append(out, r)
		}
	}
	return out
}

// ChangeKey is one name a change goes by: its change-id, or the hash of
// its payload.
type ChangeKey struct {
	ID, Short string
}

// changeKeys are the names of the change an object carries (docs/spec.md
// section 2): its wavegate.io/change-id when it has one, then the hash of
// its payload (hash: EmptyHash for an update that empties it). Two
// requests are the same change when they share either: an id joins
// payloads, and never splits one.
func (o *Object) changeKeys(hash string) []ChangeKey {
	byHash := ChangeKey{ID: "sha256:" + hash, Short: shortID("sha256:" + hash)}
	if v := strings.TrimSpace(o.Annotations[wavegatev1alpha1.AnnotationChangeID]); v != "" && v != byHash.ID {
		return []ChangeKey{{ID: v, Short: v}, byHash}
	}
	return []ChangeKey{byHash}
}

// payloadKey is the hash a create or update carries: the payload's, or,
// when an update empties it, the hash that stands for an empty payload of
// the object's group and kind (every object emptied is the same change).
func (r *Request) payloadKey() string {
	if r.Object.PayloadHash == "" && r.emptiesPayload() {
		return emptyPayloadHash(r.Object.top)
	}
	return r.Object.PayloadHash
}

// emptiesPayload reports whether the request is an update that leaves an
// object that had a payload without one.
func (r *Request) emptiesPayload() bool {
	return r.Operation == "UPDATE" && r.OldObject != nil && r.Object != nil && r.OldObject.PayloadHash != "" && r.Object.PayloadHash == ""
}

// plan is the WavePlan that judges the object's velocity.
func (o *Object) plan() string {
	return wavegatev1alpha1.PlanOrDefault(o.Annotations[wavegatev1alpha1.AnnotationPlan])
}

// ChangeRecordName is the name of the record of a change.
func ChangeRecordName(changeID string) string {
	sum := sha256.Sum256([]byte(changeID))
	return "change-" + hex.EncodeToString(sum[:10])
}

// DeletionRecordName is the name of the record of a policy's deletions;
// names too long to prefix are hashed.
func DeletionRecordName(policy string) string {
	if len(policy) > 253-len("deletions-") {
		sum := sha256.Sum256([]byte(policy))
		return "deletions-" + hex.EncodeToString(sum[:10])
	}
	return "deletions-" + policy
}
