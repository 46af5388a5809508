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
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"sort"
	"strings"

	wavegatev1alpha1 "github.com/wavegate/wavegate/api/v1alpha1"
)

// digest identifies a configuration payload: the first half of a SHA-256
// of the object's group, kind and payload.
type digest [16]byte

// parsed is what the properties read of one object as the API server
// stored it.
type parsed struct {
	group, kind         string
	name, namespace     string
	uid                 string
	labels, annotations map[string]string
	owners              []string
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
	// top holds the raw top-level fields, for Wavegate's own kinds.
	top map[string]json.RawMessage
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

var errNotAnObject = errors.New("not an object")

// parseObject reads an object as the API server stored it. A Status (the
// response of most deletes) or a List is not an object.
func parseObject(raw json.RawMessage) (*parsed, error) {
	if len(raw) == 0 || raw[0] != '{' {
		return nil, errNotAnObject
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(raw, &top); err != nil {
		return nil, err
	}
	var apiVersion, kind string
	if err := unmarshalField(top, "apiVersion", &apiVersion); err != nil {
		return nil, err
	}
	if err := unmarshalField(top, "kind", &kind); err != nil {
		return nil, err
	}
	if kind == "" || kind == "Status" || strings.HasSuffix(kind, "List") {
		return nil, errNotAnObject
	}
	var meta objectMeta
	if err := unmarshalField(top, "metadata", &meta); err != nil {
		return nil, err
	}
	group, _ := splitAPIVersion(apiVersion)
	p := &parsed{group: group, kind: kind, name: meta.Name, namespace: meta.Namespace, uid: meta.UID,
		labels: meta.Labels, annotations: meta.Annotations, finalizers: meta.Finalizers,
		deleting: meta.DeletionTimestamp != nil, generation: meta.Generation}
	for _, o := range meta.OwnerReferences {
		if o.UID != "" {
			p.owners = append(p.owners, o.UID)
		}
	}
	if group == wavegatev1alpha1.GroupVersion.Group {
		p.top = top
		p.empty = true
		return p, nil
	}
	var err error
	if p.payload, p.empty, err = payloadOf(group, kind, top); err != nil {
		return nil, err
	}
	if p.deleting {
		p.rest = restOf(top, meta)
	}
	return p, nil
}

func unmarshalField(top map[string]json.RawMessage, key string, v any) error {
	raw, ok := top[key]
	if !ok || string(raw) == "null" {
		return nil
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return errors.New("invalid " + key + ": " + err.Error())
	}
	return nil
}

// payloadOf hashes an object's configuration payload (docs/spec.md §2):
// the data of a ConfigMap or Secret as bytes, merged into one map so that
// the same bytes count the same wherever they are written; none for a
// Namespace or a service-account-token Secret; for other kinds spec without
// replicas, selector and the region label of its pod template, or, for
// kinds without spec, every top-level field but apiVersion, kind, metadata
// and status.
func payloadOf(group, kind string, top map[string]json.RawMessage) (digest, bool, error) {
	if group == "" {
		switch kind {
		case "Namespace":
			return digest{}, true, nil
		case "ConfigMap", "Secret":
			return dataPayload(kind, top)
		}
	}
	var fields map[string]any
	if raw, ok := top["spec"]; ok {
		spec, err := decodeAny(raw)
		if err != nil {
			return digest{}, false, errors.New("invalid spec: " + err.Error())
		}
		m, isMap := spec.(map[string]any)
		if !isMap {
			fields = map[string]any{"spec": spec}
		} else {
			cleanSpec(m)
			fields = m
		}
	} else {
		fields = map[string]any{}
		for k, raw := range top {
			switch k {
			case "apiVersion", "kind", "metadata", "status":
				continue
			}
			v, err := decodeAny(raw)
			if err != nil {
				return digest{}, false, errors.New("invalid " + k + ": " + err.Error())
			}
			fields[k] = v
		}
	}
	canonical, err := json.Marshal(fields)
	if err != nil {
		return digest{}, false, err
	}
	return hashPayload(group, kind, canonical), len(fields) == 0, nil
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

func decodeAny(raw json.RawMessage) (any, error) {
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var v any
	err := d.Decode(&v)
	return v, err
}

// dataPayload merges data, binaryData and stringData into one map of key
// to bytes: base64 is decoded where the API stores it (a ConfigMap's
// binaryData, a Secret's data).
func dataPayload(kind string, top map[string]json.RawMessage) (digest, bool, error) {
	var typ string
	if err := unmarshalField(top, "type", &typ); err != nil {
		return digest{}, false, err
	}
	if kind == "Secret" && typ == "kubernetes.io/service-account-token" {
		return digest{}, true, nil
	}
	merged := map[string][]byte{}
	add := func(field string, encoded bool) error {
		var m map[string]string
		if err := unmarshalField(top, field, &m); err != nil {
			return err
		}
		for k, v := range m {
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
	secret := kind == "Secret"
	if err := add("data", secret); err != nil {
		return digest{}, false, err
	}
	if err := add("binaryData", true); err != nil {
		return digest{}, false, err
	}
	if err := add("stringData", false); err != nil {
		return digest{}, false, err
	}
	keys := make([]string, 0, len(merged))
	for k := range merged {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var buf bytes.Buffer
	var n [8]byte
	for _, k := range keys {
		binary.BigEndian.PutUint64(n[:], uint64(len(k)))
		buf.Write(n[:])
		buf.WriteString(k)
		binary.BigEndian.PutUint64(n[:], uint64(len(merged[k])))
		buf.Write(n[:])
		buf.Write(merged[k])
	}
	return hashPayload("", kind, buf.Bytes()), len(keys) == 0, nil
}

func hashPayload(group, kind string, canonical []byte) digest {
	h := sha256.New()
	h.Write([]byte(group))
	h.Write([]byte{0})
	h.Write([]byte(kind))
	h.Write([]byte{0})
	h.Write(canonical)
	var d digest
	copy(d[:], h.Sum(nil))
	return d
}

// restOf hashes an object without its finalizers, status and the fields
// the API server sets on every write.
func restOf(top map[string]json.RawMessage, meta objectMeta) digest {
	h := sha256.New()
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
		h.Write([]byte(k))
		h.Write([]byte{0})
		h.Write(top[k])
		h.Write([]byte{0})
	}
	for _, m := range []map[string]string{meta.Labels, meta.Annotations} {
		data, _ := json.Marshal(m)
		h.Write(data)
		h.Write([]byte{0})
	}
	var d digest
	copy(d[:], h.Sum(nil))
	return d
}
