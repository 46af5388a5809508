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
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"sort"
	"strconv"
	"strings"

	wavegatev1alpha1 "github.com/wavegate/wavegate/api/v1alpha1"
)

// uid is an object's metadata.uid, kept as 16 bytes.
type uid [16]byte

// parseUID reads a UUID; any other non-empty uid is hashed to 16 bytes.
func parseUID(s string) uid {
	var u uid
	if s == "" {
		return u
	}
	if len(s) == 36 {
		h := strings.ReplaceAll(s, "-", "")
		if n, err := hex.Decode(u[:], []byte(h)); err == nil && n == 16 {
			return u
		}
	}
	sum := sha256.Sum256([]byte(s))
	copy(u[:], sum[:])
	return u
}

func (u uid) String() string {
	h := hex.EncodeToString(u[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// digest identifies a configuration payload: the first half of a SHA-256
// of the object's group, kind and payload.
type digest [16]byte

// parsed is what the properties read of one object as the API server
// stored it.
type parsed struct {
	group, kind         string
	name, namespace     string
	uid                 uid
	labels, annotations map[string]string
	owners              []uid
	finalizers          []string
	deleting            bool
	generation          int64
	// payload is the hash of the configuration payload; empty tells whether
	// the payload is empty (no payload: a Namespace, an empty
	// ServiceAccount, a service-account-token Secret).
	payload digest
	empty   bool
	// rest hashes what is not metadata.finalizers or status (labels,
	// annotations, every other top-level field); only computed for an
	// object being deleted, to tell a finalizer removal from a change.
	rest digest
}

type objectMeta struct {
	Name              string            `json:"name"`
	Namespace         string            `json:"namespace"`
	UID               string            `json:"uid"`
	Labels            map[string]string `json:"labels"`
	Annotations       map[string]string `json:"annotations"`
	OwnerReferences   []ownerRef        `json:"ownerReferences"`
	Finalizers        []string          `json:"finalizers"`
	DeletionTimestamp *string           `json:"deletionTimestamp"`
	Generation        int64             `json:"generation"`
}

type ownerRef struct {
	UID string `json:"uid"`
}

// rawRef is a JSON value kept as a slice of the input, without a copy: the
// input of parseObject is an event's response object, which outlives the
// parse.
type rawRef []byte

// UnmarshalJSON keeps data as it is.
func (r *rawRef) UnmarshalJSON(data []byte) error {
	*r = data
	return nil
}

// wireObject is what parseObject decodes in one pass: the fields every
// kind's payload is read from, kept raw until the kind says which counts.
type wireObject struct {
	APIVersion string     `json:"apiVersion"`
	Kind       string     `json:"kind"`
	Metadata   objectMeta `json:"metadata"`
	Spec       any        `json:"spec"`
	Data       any        `json:"data"`
	BinaryData any        `json:"binaryData"`
	StringData any        `json:"stringData"`
	Type       any        `json:"type"`
}

var errNotAnObject = errors.New("not an object")

// parseObject reads an object as the API server stored it. A Status (the
// response of most deletes) or a List is not an object.
func parseObject(raw json.RawMessage) (*parsed, error) {
	if len(raw) == 0 || raw[0] != '{' {
		return nil, errNotAnObject
	}
	var w wireObject
	if err := json.Unmarshal(raw, &w); err != nil {
		return nil, err
	}
	if w.Kind == "" || w.Kind == "Status" || strings.HasSuffix(w.Kind, "List") {
		return nil, errNotAnObject
	}
	meta := w.Metadata
	group, _ := splitAPIVersion(w.APIVersion)
	p := &parsed{group: group, kind: w.Kind, name: meta.Name, namespace: meta.Namespace, uid: parseUID(meta.UID),
		labels: meta.Labels, annotations: meta.Annotations, finalizers: meta.Finalizers,
		deleting: meta.DeletionTimestamp != nil, generation: meta.Generation}
	for _, o := range meta.OwnerReferences {
		if o.UID != "" {
			p.owners = append(p.owners, parseUID(o.UID))
		}
	}
	if group == wavegatev1alpha1.GroupVersion.Group {
		p.empty = true
		return p, nil
	}
	var err error
	if p.payload, p.empty, err = payloadOf(group, &w, raw); err != nil {
		return nil, err
	}
	if p.deleting {
		if p.rest, err = restOf(raw, meta); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// stringMap reads data, binaryData or stringData: a map of strings.
func stringMap(v any, field string) (map[string]any, error) {
	switch m := v.(type) {
	case nil:
		return nil, nil
	case map[string]any:
		for k, x := range m {
			if _, ok := x.(string); !ok {
				return nil, fmt.Errorf("invalid %s: %s is not a string", field, k)
			}
		}
		return m, nil
	}
	return nil, errors.New("invalid " + field + ": not a map")
}

// payloadOf hashes an object's configuration payload (docs/spec.md §2):
// the data of a ConfigMap or Secret as bytes, merged into one map so that
// the same bytes count the same wherever they are written; none for a
// Namespace or a service-account-token Secret; for other kinds spec without
// replicas, selector and the region label of its pod template, or, for
// kinds without spec, every top-level field but apiVersion, kind, metadata
// and status.
func payloadOf(group string, w *wireObject, raw json.RawMessage) (digest, bool, error) {
	if group == "" {
		switch w.Kind {
		case "Namespace":
			return digest{}, true, nil
		case "ConfigMap", "Secret":
			return dataPayload(w)
		}
	}
	var fields map[string]any
	if w.Spec != nil {
		m, isMap := w.Spec.(map[string]any)
		if !isMap {
			fields = map[string]any{"spec": w.Spec}
		} else {
			cleanSpec(m)
			fields = m
		}
	} else {
		var top map[string]rawRef
		if err := json.Unmarshal(raw, &top); err != nil {
			return digest{}, false, err
		}
		fields = map[string]any{}
		for k, v := range top {
			switch k {
			case "apiVersion", "kind", "metadata", "status":
				continue
			}
			val, err := decodeAny(v)
			if err != nil {
				return digest{}, false, errors.New("invalid " + k + ": " + err.Error())
			}
			fields[k] = val
		}
	}
	h := newPayloadHash(group, w.Kind)
	writeCanonical(h, fields)
	return h.sum(), len(fields) == 0, nil
}

// cleanSpec removes what differs per region by nature: replicas, the
// selector and the region label of the pod template; maps it leaves empty
// go too.
func cleanSpec(spec map[string]any) {
	delete(spec, "replicas")
	delete(spec, "selector")
	tmpl, _ := spec["template"].(map[string]any)
	if tmpl == nil {
		return
	}
	meta, _ := tmpl["metadata"].(map[string]any)
	if meta == nil {
		return
	}
	labels, _ := meta["labels"].(map[string]any)
	if labels == nil {
		return
	}
	delete(labels, wavegatev1alpha1.LabelRegion)
	if len(labels) == 0 {
		delete(meta, "labels")
	}
	if len(meta) == 0 {
		delete(tmpl, "metadata")
	}
	if len(tmpl) == 0 {
		delete(spec, "template")
	}
}

// decodeAny decodes a JSON value. Numbers are float64: equal numbers
// still hash equal, written by the API server or read from a state file.
func decodeAny(raw []byte) (any, error) {
	var v any
	err := json.Unmarshal(raw, &v)
	return v, err
}

// payloadHash hashes a payload as canonical bytes: the group, the kind,
// then the value with map keys sorted, each value tagged with its type.
type payloadHash struct {
	h   hash.Hash
	buf []byte
}

func newPayloadHash(group, kind string) *payloadHash {
	h := &payloadHash{h: sha256.New()}
	h.str(group)
	h.str(kind)
	return h
}

func (h *payloadHash) bytes(tag byte, b []byte) {
	h.buf = append(h.buf[:0], tag)
	h.buf = binary.BigEndian.AppendUint64(h.buf, uint64(len(b)))
	h.h.Write(h.buf)
	h.h.Write(b)
}

func (h *payloadHash) str(s string) { h.bytes('s', []byte(s)) }

func (h *payloadHash) sum() digest {
	var d digest
	copy(d[:], h.h.Sum(nil))
	return d
}

// writeCanonical writes a decoded JSON value: equal values, however their
// maps were ordered, write equal bytes.
func writeCanonical(h *payloadHash, v any) {
	switch x := v.(type) {
	case nil:
		h.bytes('z', nil)
	case bool:
		if x {
			h.bytes('t', nil)
		} else {
			h.bytes('f', nil)
		}
	case float64:
		h.bytes('n', []byte(strconv.FormatFloat(x, 'g', -1, 64)))
	case string:
		h.str(x)
	case []any:
		h.bytes('[', binary.BigEndian.AppendUint64(nil, uint64(len(x))))
		for _, e := range x {
			writeCanonical(h, e)
		}
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		h.bytes('{', binary.BigEndian.AppendUint64(nil, uint64(len(x))))
		for _, k := range keys {
			h.str(k)
			writeCanonical(h, x[k])
		}
	default:
		data, _ := json.Marshal(x)
		h.bytes('?', data)
	}
}

// dataPayload merges data, binaryData and stringData into one map of key
// to bytes: base64 is decoded where the API stores it (a ConfigMap's
// binaryData, a Secret's data).
func dataPayload(w *wireObject) (digest, bool, error) {
	if typ, _ := w.Type.(string); w.Kind == "Secret" && typ == "kubernetes.io/service-account-token" {
		return digest{}, true, nil
	}
	merged := map[string][]byte{}
	add := func(raw any, field string, encoded bool) error {
		m, err := stringMap(raw, field)
		if err != nil {
			return err
		}
		for k, x := range m {
			v := x.(string)
			b := []byte(v)
			if encoded {
				if dec, err := base64.StdEncoding.DecodeString(v); err == nil {
					b = dec
				}
			}
			merged[k] = b
		}
		return nil
	}
	if err := add(w.Data, "data", w.Kind == "Secret"); err != nil {
		return digest{}, false, err
	}
	if err := add(w.BinaryData, "binaryData", true); err != nil {
		return digest{}, false, err
	}
	if err := add(w.StringData, "stringData", false); err != nil {
		return digest{}, false, err
	}
	keys := make([]string, 0, len(merged))
	for k := range merged {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	h := newPayloadHash("", w.Kind)
	for _, k := range keys {
		h.str(k)
		h.bytes('b', merged[k])
	}
	return h.sum(), len(keys) == 0, nil
}

// restOf hashes an object without its finalizers, status and the fields
// the API server sets on every write.
func restOf(raw json.RawMessage, meta objectMeta) (digest, error) {
	var top map[string]rawRef
	if err := json.Unmarshal(raw, &top); err != nil {
		return digest{}, err
	}
	h := newPayloadHash("", "")
	keys := make([]string, 0, len(top))
	for k := range top {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		switch k {
		case "metadata", "status":
			continue
		}
		h.str(k)
		h.bytes('r', top[k])
	}
	for _, m := range []map[string]string{meta.Labels, meta.Annotations} {
		data, _ := json.Marshal(m)
		h.bytes('m', data)
	}
	return h.sum(), nil
}
