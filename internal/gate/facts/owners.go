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
	"context"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// maxOwnerDepth bounds how far up a chain of owner references the scan
// reads: Kubernetes' own chains (Deployment, ReplicaSet, Pod) are two deep.
const maxOwnerDepth = 8

// OwnerRefs are the owners an object names.
func OwnerRefs(refs []metav1.OwnerReference) []OwnerRef {
	out := make([]OwnerRef, len(refs))
	for i, r := range refs {
		out[i] = OwnerRef{APIVersion: r.APIVersion, Kind: r.Kind, Name: r.Name, UID: string(r.UID)}
	}
	return out
}

func (p *ProtectionScan) ownersChanged() {
	select {
	case p.owned <- struct{}{}:
	default: // a read is already due
	}
}

// followOwners reads the owners above protected objects: at once when a
// protected object with owners appears, and all of them again every
// Interval, since an owner can be given an owner of its own. The informers
// select protected objects only, so an untagged object between a protected
// one and the object deleted is known only by reading it; until it is read,
// a delete of what owns it is judged without it (docs/decisions.md 36).
func (p *ProtectionScan) followOwners(ctx context.Context) {
	tick := time.NewTicker(p.Interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-p.owned:
			p.readOwners(ctx, false)
		case <-tick.C:
			p.readOwners(ctx, true)
		}
	}
}

// readOwners reads the owners the Index lacks, level by level up the
// chains; with again, it first reads those it knows once more.
func (p *ProtectionScan) readOwners(ctx context.Context, again bool) {
	failed := set{}
	for depth := 0; depth < maxOwnerDepth && ctx.Err() == nil; depth++ {
		todo := p.Index.OwnersToRead(again && depth == 0)
		read := 0
		for _, o := range todo {
			if _, ok := failed[o.Ref.UID]; ok {
				continue
			}
			owners, err := p.ownersOf(ctx, o)
			if err != nil {
				failed[o.Ref.UID] = struct{}{}
				p.Log.Error(err, "Could not read the owners of an object that owns a protected one", "namespace", o.Namespace, "kind", o.Ref.Kind, "name", o.Ref.Name)
				continue
			}
			p.Index.SetOwnersRead(o, owners)
			read++
		}
		if read == 0 {
			break
		}
	}
	if again {
		p.Index.PruneOwners()
	}
}

// ownersOf reads an object's owner references. It lists by name rather than
// getting, so list, which the scan already needs, is the only permission
// it asks for. An object gone, or replaced by another of the same name, has
// no owners to follow.
func (p *ProtectionScan) ownersOf(ctx context.Context, o Owner) ([]OwnerRef, error) {
	gv, err := schema.ParseGroupVersion(o.Ref.APIVersion)
	if err != nil {
		return nil, fmt.Errorf("owner reference %s: %w", o.Ref.APIVersion, err)
	}
	mapping, err := p.Mapper.RESTMapping(gv.WithKind(o.Ref.Kind).GroupKind(), gv.Version)
	if err != nil {
		return nil, err
	}
	namespace := ""
	if mapping.Scope.Name() == meta.RESTScopeNameNamespace {
		namespace = o.Namespace
	}
	list, err := p.Metadata.Resource(mapping.Resource).Namespace(namespace).List(ctx,
		metav1.ListOptions{FieldSelector: fields.OneTermEqualSelector("metadata.name", o.Ref.Name).String()})
	if err != nil {
		return nil, err
	}
	for _, item := range list.Items {
		if string(item.UID) == o.Ref.UID {
			return OwnerRefs(item.OwnerReferences), nil
		}
	}
	return nil, nil
}
