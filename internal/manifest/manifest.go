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

package manifest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode"

	yamlv2 "go.yaml.in/yaml/v2"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// Read decodes every non-empty document of r, in order. Each object must
// have apiVersion, kind and a name (or generateName); a List (a kind whose
// name ends in "List", with an items array) is expanded into its items. A
// key that appears twice in one mapping, at any depth, is an error that
// names the document, the key and its path: decoders keep the last one
// silently, so what is judged would not be what the author sees.
func Read(r io.Reader) ([]*unstructured.Unstructured, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	dec := newDecoder(data)
	var objs []*unstructured.Unstructured
	for doc := 1; ; doc++ {
		u := &unstructured.Unstructured{}
		err := dec.decode(&u.Object)
		if errors.Is(err, io.EOF) {
			return objs, nil
		}
		if err != nil {
			return nil, fmt.Errorf("document %d: %w", doc, err)
		}
		if len(u.Object) == 0 {
			continue
		}
		if u.GetAPIVersion() == "" || u.GetKind() == "" {
			return nil, fmt.Errorf("document %d: apiVersion and kind are required", doc)
		}
		if !isList(u) {
			if err := named(u); err != nil {
				return nil, fmt.Errorf("document %d: %w", doc, err)
			}
			objs = append(objs, u)
			continue
		}
		listed, err := items(doc, u)
		if err != nil {
			return nil, err
		}
		objs = append(objs, listed...)
	}
}

// items are the objects of the List u, document doc.
func items(doc int, u *unstructured.Unstructured) ([]*unstructured.Unstructured, error) {
	list, err := u.ToList()
	if err != nil {
		return nil, fmt.Errorf("document %d: %w", doc, err)
	}
	objs := make([]*unstructured.Unstructured, 0, len(list.Items))
	for i := range list.Items {
		item := &list.Items[i]
		if item.GetAPIVersion() == "" || item.GetKind() == "" {
			return nil, fmt.Errorf("document %d, item %d: apiVersion and kind are required", doc, i+1)
		}
		if err := named(item); err != nil {
			return nil, fmt.Errorf("document %d, item %d: %w", doc, i+1, err)
		}
		objs = append(objs, item)
	}
	return objs, nil
}

// isList reports whether u is a list of objects: a kind named ...List (List,
// ConfigMapList) with an items array. Any other object is one object,
// whatever fields it has: a ConfigMap with a top-level "items: []" taken for
// a List would vanish from the check.
func isList(u *unstructured.Unstructured) bool {
	_, isArray := u.Object["items"].([]any)
	return isArray && strings.HasSuffix(u.GetKind(), "List")
}

// decoder reads the documents of a stream as k8s.io/apimachinery's
// YAMLOrJSONDecoder does (what kubectl reads): a stream that starts with
// "{" is a sequence of JSON objects, anything else YAML documents separated
// by "---" lines; a stream that starts with "{" but is not JSON is YAML
// from its first object that is not. Unlike it, the decoder keeps each
// document's bytes, so a duplicate key is found before decoding merges it
// away.
type decoder struct {
	data []byte
	json *json.Decoder
	// jsonEnd is the offset after the last JSON object decoded.
	jsonEnd  int64
	jsonDocs int
	yaml     *utilyaml.YAMLReader
}

func newDecoder(data []byte) *decoder {
	d := &decoder{data: data}
	// YAMLOrJSONDecoder guesses from its first 4096 bytes.
	if utilyaml.IsJSONBuffer(data[:min(len(data), 4096)]) {
		d.json = json.NewDecoder(bytes.NewReader(data))
	} else {
		d.yaml = utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	}
	return d
}

// decode decodes the next document into obj, as YAMLOrJSONDecoder would,
// and then refuses it if one of its mappings repeats a key. It returns
// io.EOF after the last document.
func (d *decoder) decode(obj *map[string]any) error {
	var jsonErr error
	if d.json != nil {
		var raw json.RawMessage
		err := d.json.Decode(&raw)
		if err == nil {
			err = json.Unmarshal(raw, obj)
		}
		switch {
		case err == nil:
			d.jsonDocs++
			d.jsonEnd = d.json.InputOffset()
			return jsonDuplicate(raw)
		case errors.Is(err, io.EOF), d.jsonDocs > 1:
			return err
		}
		// Zero or one JSON object so far: the stream may be YAML from here
		// on. If it is not, the JSON error says more.
		jsonErr = err
		d.json = nil
		d.yaml = utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(afterLineSpace(d.data[d.jsonEnd:]))))
	}
	raw, err := d.yaml.Read()
	if err != nil {
		if jsonErr != nil && !errors.Is(err, io.EOF) {
			return jsonErr
		}
		return err
	}
	if err := yaml.Unmarshal(raw, obj); err != nil {
		if jsonErr != nil {
			return jsonErr
		}
		return err
	}
	return yamlDuplicate(raw)
}

// afterLineSpace skips the white space that follows a JSON object, up to
// and including the first newline, as YAMLOrJSONDecoder does before it
// reads the rest as YAML.
func afterLineSpace(b []byte) []byte {
	for i, r := range string(b) {
		switch {
		case r == '\n':
			return b[i+1:]
		case !unicode.IsSpace(r):
			return b[i:]
		}
	}
	return nil
}

// DuplicateKeyError is a key that appears twice in one mapping of a
// document.
type DuplicateKeyError struct {
	// Key is the repeated key.
	Key string
	// Path is where the key is, such as metadata.labels.app.
	Path string
}

func (e *DuplicateKeyError) Error() string {
	return fmt.Sprintf("duplicate key %q at %s: a key may appear only once in a mapping (decoders keep the last one silently); remove one", e.Key, e.Path)
}

// jsonDuplicate finds a repeated key in raw, one valid JSON value. Keys are
// compared as encoding/json compares them: exactly, after unescaping.
func jsonDuplicate(raw []byte) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var walk func(path string) error
	walk = func(path string) error {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		switch tok {
		case json.Delim('{'):
			seen := map[string]bool{}
			for dec.More() {
				tok, err := dec.Token()
				if err != nil {
					return err
				}
				key, _ := tok.(string)
				if seen[key] {
					return &DuplicateKeyError{Key: key, Path: join(path, key)}
				}
				seen[key] = true
				if err := walk(join(path, key)); err != nil {
					return err
				}
			}
		case json.Delim('['):
			for i := 0; dec.More(); i++ {
				if err := walk(path + "[" + strconv.Itoa(i) + "]"); err != nil {
					return err
				}
			}
		default:
			return nil
		}
		_, err = dec.Token() // the closing delimiter
		return err
	}
	return walk("")
}

// yamlDuplicate finds a repeated key in raw, one YAML document that
// sigs.k8s.io/yaml has decoded. Keys are compared as the JSON keys that
// decoding makes of them, with the same YAML library: 1 and "1", or true
// and "true", are the same key there. Keys that come from a merge ("<<")
// may be overridden, as YAML says, and are not compared.
func yamlDuplicate(raw []byte) error {
	var doc yamlv2.MapSlice
	if err := yamlv2.Unmarshal(raw, &doc); err != nil {
		// Not a mapping (sigs.k8s.io/yaml decoded null): nothing to repeat.
		return nil //nolint:nilerr // the document decoded; only mappings have keys
	}
	var walk func(v any, path string) error
	walk = func(v any, path string) error {
		switch v := v.(type) {
		case yamlv2.MapSlice:
			seen := map[string]bool{}
			for _, item := range v {
				key := jsonKey(item.Key)
				if seen[key] {
					return &DuplicateKeyError{Key: key, Path: join(path, key)}
				}
				seen[key] = true
				if err := walk(item.Value, join(path, key)); err != nil {
					return err
				}
			}
		case []any:
			for i, e := range v {
				if err := walk(e, path+"["+strconv.Itoa(i)+"]"); err != nil {
					return err
				}
			}
		}
		return nil
	}
	return walk(doc, "")
}

// jsonKey is the JSON key sigs.k8s.io/yaml makes of a YAML key (its
// convertToJSONableObject).
func jsonKey(k any) string {
	switch k := k.(type) {
	case string:
		return k
	case int:
		return strconv.Itoa(k)
	case int64:
		return strconv.FormatInt(k, 10)
	case float64:
		switch s := strconv.FormatFloat(k, 'g', -1, 32); s {
		case "+Inf":
			return ".inf"
		case "-Inf":
			return "-.inf"
		case "NaN":
			return ".nan"
		default:
			return s
		}
	case bool:
		return strconv.FormatBool(k)
	default:
		return fmt.Sprint(k)
	}
}

var plainKey = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// join appends key to a path such as metadata.labels; a key that is not a
// plain word is quoted: metadata.labels["wavegate.io/region"].
func join(path, key string) string {
	if !plainKey.MatchString(key) {
		return path + "[" + strconv.Quote(key) + "]"
	}
	if path == "" {
		return key
	}
	return path + "." + key
}

// named refuses an object without metadata.name or metadata.generateName,
// as the API server does. Metadata that is not an object is left to the
// caller's decoding, which says what is wrong with it.
func named(u *unstructured.Unstructured) error {
	if md := u.Object["metadata"]; md != nil {
		if _, isMap := md.(map[string]any); !isMap {
			return nil
		}
	}
	if u.GetName() == "" && u.GetGenerateName() == "" {
		return fmt.Errorf("%s %s has no metadata.name; name the object", u.GetAPIVersion(), u.GetKind())
	}
	return nil
}

// ReadFile reads the objects of one file.
func ReadFile(path string) ([]*unstructured.Unstructured, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	objs, err := Read(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return objs, nil
}

// Doc is one object of a file, with its place for messages.
type Doc struct {
	File   string
	Index  int // document number in the file, from 1
	Object *unstructured.Unstructured
}

// ReadDocs reads the objects of files and directories (their .yaml, .yml
// and .json files, in name order), remembering where each came from.
func ReadDocs(paths []string) ([]Doc, error) {
	var docs []Doc
	for _, p := range paths {
		files, err := expand(p)
		if err != nil {
			return nil, err
		}
		for _, f := range files {
			objs, err := ReadFile(f)
			if err != nil {
				return nil, err
			}
			for i, o := range objs {
				docs = append(docs, Doc{File: f, Index: i + 1, Object: o})
			}
		}
	}
	return docs, nil
}

func expand(path string) ([]string, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !info.IsDir() {
		return []string{path}, nil
	}
	var files []string
	for _, pattern := range []string{"*.yaml", "*.yml", "*.json"} {
		m, err := filepath.Glob(filepath.Join(path, pattern))
		if err != nil {
			return nil, err
		}
		files = append(files, m...)
	}
	sort.Strings(files)
	if len(files) == 0 {
		return nil, fmt.Errorf("%s holds no .yaml, .yml or .json files", path)
	}
	return files, nil
}
