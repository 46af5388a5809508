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
	"sort"
	"strings"
)

// OwnerRef names an owner: enough to read it, and its UID.
type OwnerRef struct {
	APIVersion, Kind, Name, UID string
}

// Owner is an object above a protected object whose owners the Index should
// read: where it lives (a namespaced owner shares its dependent's
// namespace) and what it is.
type Owner struct {
	Namespace string
	Ref       OwnerRef
}

// ownerGraph is what a delete takes with it through owner references: the
// garbage collector deletes what an object owns, then what that owned, and
// so on. It holds every protected object with its owners (from the
// protection scan's informers) and every object above one, with its owners
// (read by the scan, which has no informer for untagged objects).
type ownerGraph struct {
	nodes    map[string]ownerNode // UID -> the node
	children multimap             // owner UID -> UIDs of the nodes it owns
	// protected: UID -> "Kind namespace/name" of a protected object, and
	// the reverse.
	protected map[string]string
	uidOf     map[string]string
}

type ownerNode struct {
	namespace string
	self      OwnerRef
	owners    []OwnerRef
	// read: the node was read for its owners (ProtectionScan.readOwners),
	// not learned from a protected object's informer.
	read bool
}

func newOwnerGraph() ownerGraph {
	return ownerGraph{nodes: map[string]ownerNode{}, children: multimap{}, protected: map[string]string{}, uidOf: map[string]string{}}
}

func (g *ownerGraph) set(uid string, n ownerNode) {
	g.drop(uid)
	g.nodes[uid] = n
	for _, o := range n.owners {
		g.children.add(o.UID, uid)
	}
}

func (g *ownerGraph) drop(uid string) {
	for _, o := range g.nodes[uid].owners {
		g.children.remove(o.UID, uid)
	}
	delete(g.nodes, uid)
}

// unprotect forgets that ref is protected; its node stays only if it was
// read as an owner of another protected object.
func (g *ownerGraph) unprotect(ref string) {
	uid, ok := g.uidOf[ref]
	if !ok {
		return
	}
	delete(g.uidOf, ref)
	delete(g.protected, uid)
	if !g.nodes[uid].read {
		g.drop(uid)
	}
}

// below names the protected objects a delete of uid takes with it: those it
// owns, those they own, and so on.
func (g *ownerGraph) below(uid string) []string {
	var out []string
	seen := set{uid: {}}
	for queue := []string{uid}; len(queue) > 0; queue = queue[1:] {
		for child := range g.children[queue[0]] {
			if _, ok := seen[child]; ok {
				continue
			}
			seen[child] = struct{}{}
			queue = append(queue, child)
			if ref, ok := g.protected[child]; ok {
				out = append(out, ref)
			}
		}
	}
	sort.Strings(out)
	return out
}

// SetProtected records whether an object ("Kind namespace/name") in a
// namespace counts as protected (CountsAsProtected), with its UID and its
// owners: deleting an owner deletes it.
func (ix *Index) SetProtected(namespace, ref string, protected bool, uid string, owners ...OwnerRef) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	ix.owned.unprotect(ref)
	if !protected {
		ix.protected.remove(namespace, ref)
		return
	}
	ix.protected.add(namespace, ref)
	if uid == "" {
		return
	}
	ix.owned.protected[uid], ix.owned.uidOf[ref] = ref, uid
	n := ownerNode{namespace: namespace, owners: owners}
	if old := ix.owned.nodes[uid]; old.read {
		// It is also above another protected object: keep it when it
		// stops being protected itself.
		n.read, n.self = true, old.self
	}
	ix.owned.set(uid, n)
}

// ForgetProtected drops every protected object of kind: the kind is no
// longer served, so nothing of it can be inside a Namespace.
func (ix *Index) ForgetProtected(kind string) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	for ns, refs := range ix.protected {
		for ref := range refs {
			if strings.HasPrefix(ref, kind+" ") {
				ix.protected.remove(ns, ref)
				ix.owned.unprotect(ref)
			}
		}
	}
}

// SetOwnersRead records the owners read for an object above a protected
// one (nil: it has none, or it is gone).
func (ix *Index) SetOwnersRead(o Owner, owners []OwnerRef) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	ix.owned.set(o.Ref.UID, ownerNode{namespace: o.Namespace, self: o.Ref, owners: owners, read: true})
}

// ForgetOwners drops what the Index knows of an object's owners.
func (ix *Index) ForgetOwners(uid string) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	ix.owned.drop(uid)
}

// OwnersToRead are the objects above protected ones whose owners the Index
// does not know; with again, also those it read before, since an object's
// owner references can change.
func (ix *Index) OwnersToRead(again bool) []Owner {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	var out []Owner
	seen := set{}
	add := func(o Owner) {
		if _, ok := seen[o.Ref.UID]; !ok {
			seen[o.Ref.UID] = struct{}{}
			out = append(out, o)
		}
	}
	for _, n := range ix.owned.nodes {
		if again && n.read {
			add(Owner{Namespace: n.namespace, Ref: n.self})
		}
		for _, r := range n.owners {
			if _, known := ix.owned.nodes[r.UID]; !known {
				add(Owner{Namespace: n.namespace, Ref: r})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Ref.UID < out[j].Ref.UID })
	return out
}

// PruneOwners forgets the objects read for their owners that are no longer
// above any protected object.
func (ix *Index) PruneOwners() {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	above := set{}
	var climb func(uid string)
	climb = func(uid string) {
		for _, o := range ix.owned.nodes[uid].owners {
			if _, ok := above[o.UID]; !ok {
				above[o.UID] = struct{}{}
				climb(o.UID)
			}
		}
	}
	for uid := range ix.owned.protected {
		above[uid] = struct{}{} // a protected object keeps its own node
		climb(uid)
	}
	for uid, n := range ix.owned.nodes {
		if _, ok := above[uid]; n.read && !ok {
			ix.owned.drop(uid)
		}
	}
}
