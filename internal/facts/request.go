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
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	wavegatev1alpha1 "github.com/wavegate/wavegate/api/v1alpha1"
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
	Namespace string
	Name      string
	// Object is the new object (nil on DELETE); OldObject the stored one
	// (nil on CREATE).
	Object    *Object
	OldObject *Object
}

// Ref names the object for messages: "ConfigMap aoai/cleanup-config".
func (r *Request) Ref() string {
	if r.Namespace == "" {
		return r.Kind + " " + r.Name
	}
	return r.Kind + " " + r.Namespace + "/" + r.Name
}

// current is the object as it will be: the new object, or the old one on DELETE.
func (r *Request) current() *Object {
	if r.Object != nil {
		return r.Object
	}
	return r.OldObject
}

// Object is the part of an object the rules read.
type Object struct {
	Labels      map[string]string
	Annotations map[string]string
	// PayloadHash identifies the change when no change-id annotation names it.
	PayloadHash string
}

// payloadFields are hashed, in this order, to identify a change (SPEC section 2).
var payloadFields = []string{"data", "binaryData", "stringData", "spec"}

// ignoredFields are never part of a payload.
var ignoredFields = map[string]bool{"apiVersion": true, "kind": true, "metadata": true, "status": true}

// DecodeObject reads the labels, annotations and payload hash of a raw object.
func DecodeObject(raw []byte) (*Object, error) {
	if len(raw) == 0 {
		return nil, nil
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(raw, &top); err != nil {
		return nil, fmt.Errorf("failed to decode the object: %w", err)
	}
	var meta struct {
		Labels      map[string]string `json:"labels"`
		Annotations map[string]string `json:"annotations"`
	}
	if m, ok := top["metadata"]; ok {
		if err := json.Unmarshal(m, &meta); err != nil {
			return nil, fmt.Errorf("failed to decode the object's metadata: %w", err)
		}
	}
	return &Object{Labels: meta.Labels, Annotations: meta.Annotations, PayloadHash: payloadHash(top)}, nil
}

// payloadHash hashes data/binaryData/stringData/spec, or, for kinds that have
// none of them, every top-level field but metadata and status.
func payloadHash(top map[string]json.RawMessage) string {
	fields := make([]string, 0, len(payloadFields))
	for _, f := range payloadFields {
		if _, ok := top[f]; ok {
			fields = append(fields, f)
		}
	}
	if len(fields) == 0 {
		for f := range top {
			if !ignoredFields[f] {
				fields = append(fields, f)
			}
		}
		sort.Strings(fields)
	}
	h := sha256.New()
	for _, f := range fields {
		h.Write([]byte(f))
		h.Write([]byte{0})
		h.Write(top[f])
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// region is the object's own region label.
func (o *Object) region() string {
	if o == nil {
		return ""
	}
	return strings.TrimSpace(o.Labels[wavegatev1alpha1.LabelRegion])
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

// changeID is the change-id annotation, else the payload hash.
func (o *Object) changeID() (id, short string) {
	if v := strings.TrimSpace(o.Annotations[wavegatev1alpha1.AnnotationChangeID]); v != "" {
		return v, v
	}
	return "sha256:" + o.PayloadHash, o.PayloadHash[:8] + "…"
}

// plan is the WavePlan that judges the object's velocity.
func (o *Object) plan() string {
	if p := strings.TrimSpace(o.Annotations[wavegatev1alpha1.AnnotationPlan]); p != "" {
		return p
	}
	return wavegatev1alpha1.DefaultWavePlan
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
