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
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	. "github.com/onsi/gomega"

	wavegatev1alpha1 "github.com/wavegate/wavegate/api/v1alpha1"
	"github.com/wavegate/wavegate/internal/gate/engine"
	"github.com/wavegate/wavegate/internal/gate/facts"
	"github.com/wavegate/wavegate/internal/gate/records"
	. "github.com/wavegate/wavegate/internal/test/objects"
)

func newTestGate(t *testing.T, namespace func(context.Context, string) (map[string]string, error)) *Gate {
	t.Helper()
	g := NewWithT(t)
	modules, err := engine.Modules("")
	g.Expect(err).NotTo(HaveOccurred())
	eng, err := engine.New(context.Background(), modules)
	g.Expect(err).NotTo(HaveOccurred())
	ix := facts.NewIndex()
	ix.SetRegion(Region("eastus"))
	ix.SetNamespace("seen", nil)
	return &Gate{
		Engine:    eng,
		Facts:     &facts.Builder{Index: ix, Now: func() time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) }},
		Records:   &records.Memory{Cache: ix},
		Namespace: namespace,
	}
}

func creating(ns string) *facts.Request {
	return &facts.Request{
		UID: "u", Operation: "CREATE", User: "alice", Kind: "ConfigMap", Version: "v1", Resource: "configmaps", Namespace: ns, Name: "cfg",
		Object: &facts.Object{Labels: map[string]string{}, Annotations: map[string]string{}, PayloadHash: "h"},
	}
}

// TestANamespaceNotSeenYetIsReadNotTakenForUnlabelled: a Namespace created a
// moment ago (one `kubectl apply` of a labelled Namespace and its contents)
// may not be in the gate's cache yet. Its region label still counts: the gate
// reads it, and when it cannot, the request is undecidable.
func TestANamespaceNotSeenYetIsReadNotTakenForUnlabelled(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	reads := 0
	gt := newTestGate(t, func(_ context.Context, name string) (map[string]string, error) {
		reads++
		if name == "new" {
			return map[string]string{wavegatev1alpha1.LabelRegion: "chinaeast9"}, nil
		}
		return nil, errors.New("namespaces \"" + name + "\" is forbidden")
	})

	dec, _, err := gt.Judge(ctx, creating("new"))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(dec.Deny).To(ConsistOf(engine.Verdict{Rule: "unknown-region",
		Msg: "[wavegate:unknown-region] region chinaeast9 is not in the region inventory; unknown is not safe"}),
		"the Namespace's region label counts although the cache has not seen it")

	_, _, err = gt.Judge(ctx, creating("unreadable"))
	g.Expect(err).To(MatchError(ContainSubstring("the Namespace unreadable is not in its cache yet and reading it failed")))

	reads = 0
	dec, _, err = gt.Judge(ctx, creating("seen"))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(dec.Allowed()).To(BeTrue())
	g.Expect(reads).To(BeZero(), "a Namespace in the cache is never read")

	// Creating a Namespace names it as the request's namespace, but it does
	// not exist yet: its own labels are in the request.
	ns := &facts.Request{UID: "n", Operation: "CREATE", User: "alice", Kind: "Namespace", Version: "v1", Resource: "namespaces", Namespace: "brand-new", Name: "brand-new",
		Object: &facts.Object{Labels: map[string]string{}, Annotations: map[string]string{}}}
	dec, _, err = gt.Judge(ctx, ns)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(dec.Allowed()).To(BeTrue())
	g.Expect(reads).To(BeZero(), "a Namespace request never reads its own Namespace")
}

// TestACustomPolicyAddsDenialsThroughTheGateButRemovesNone: the gate with
// operators' policies loaded as the manager loads them. The one that tries
// to break the glass for everyone only defines a rule in its own package;
// the one that denies adds its denial to the embedded one.
func TestACustomPolicyAddsDenialsThroughTheGateButRemovesNone(t *testing.T) {
	g := NewWithT(t)
	dir := t.TempDir()
	g.Expect(os.WriteFile(filepath.Join(dir, "glass.rego"), []byte("package wavegate.custom\n\nimport data.wavegate.lib\n\nlib.break_glass := true\n\nmain.deny := set()\n"), 0o600)).To(Succeed())
	g.Expect(os.WriteFile(filepath.Join(dir, "cfg.rego"), []byte("package wavegate.custom.cfg\n\ndeny contains {\"rule\": \"cfg\", \"msg\": \"[wavegate:cfg] no cfg; rename it\"} if input.object.name == \"cfg\"\n"), 0o600)).To(Succeed())
	modules, err := engine.Modules(dir)
	g.Expect(err).NotTo(HaveOccurred())
	gt := newTestGate(t, nil)
	gt.Engine, err = engine.New(context.Background(), modules)
	g.Expect(err).NotTo(HaveOccurred())

	r := creating("")
	r.Object.Labels[wavegatev1alpha1.LabelRegion] = "chinaeast9"
	dec, _, err := gt.Judge(context.Background(), r)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(dec.Deny).To(ConsistOf(
		engine.Verdict{Rule: "cfg", Msg: "[wavegate:cfg] no cfg; rename it"},
		engine.Verdict{Rule: "unknown-region", Msg: "[wavegate:unknown-region] region chinaeast9 is not in the region inventory; unknown is not safe"},
	))

	g.Expect(os.WriteFile(filepath.Join(dir, "main.rego"), []byte("package wavegate.main\n\ndecision := {\"deny\": set(), \"warn\": set()}\n"), 0o600)).To(Succeed())
	_, err = engine.Modules(dir)
	g.Expect(err).To(MatchError(ContainSubstring("main.rego declares package wavegate.main")))
}

// heldStore is the offline record store with every write held until
// released and, as the API server, refused when its base is not the stored
// version. It counts the writes sent and those stored; the first write
// fails with failFirst.
type heldStore struct {
	records.Memory
	writes, stored atomic.Int32
	release        chan struct{}
	failFirst      error
}

func (s *heldStore) Append(ctx context.Context, name string, base *wavegatev1alpha1.ChangeRecord, template wavegatev1alpha1.ChangeRecordSpec, entries []wavegatev1alpha1.ChangeEntry, now time.Time) error {
	n := s.writes.Add(1)
	<-s.release
	if n == 1 && s.failFirst != nil {
		return s.failFirst
	}
	current := s.Cache.ChangeRecord(name)
	if (base == nil) != (current == nil) || (base != nil && base.ResourceVersion != current.ResourceVersion) {
		return records.ErrConflict
	}
	s.stored.Add(1)
	return s.Memory.Append(ctx, name, base, template, entries, now)
}

type judged struct {
	dec engine.Decision
	err error
}

// judgeTogether starts three requests of one change in one region, each
// once the ones before it are blocked, and returns the store's writes at
// that point and what the three came to once the writes are released.
func judgeTogether(t *testing.T, store *heldStore) (int32, []judged) {
	gt := newTestGate(t, nil)
	store.Memory = records.Memory{Cache: gt.Facts.Index}
	store.release = make(chan struct{})
	gt.Records = store
	results := make(chan judged, 3)
	for _, name := range []string{"a", "b", "c"} {
		r := creating("seen")
		r.Name = name
		r.Object.Labels[wavegatev1alpha1.LabelRegion] = "eastus"
		r.Object.Annotations[wavegatev1alpha1.AnnotationChangeID] = "chg-1"
		go func() {
			dec, _, err := gt.Judge(context.Background(), r)
			results <- judged{dec, err}
		}()
		synctest.Wait() // the first is writing, the others wait
	}
	whileHeld := store.writes.Load()
	close(store.release)
	var out []judged
	for range 3 {
		out = append(out, <-results)
	}
	rec := gt.Facts.Index.ChangeRecord(facts.ChangeRecordName("chg-1"))
	NewWithT(t).Expect(rec).NotTo(BeNil())
	NewWithT(t).Expect(rec.Spec.Entries).To(HaveLen(1), "one entry for the change's one region")
	return whileHeld, out
}

// TestRequestsOfOneChangeWaitForItsRecordInsteadOfRacingIt: a change applied
// to several objects at once sends its requests together. The first writes
// the change record; the others wait for that write and are admitted on
// what it wrote, instead of each sending a write the API server would
// refuse as stale. Fails on a gate that lets them race: three writes.
func TestRequestsOfOneChangeWaitForItsRecordInsteadOfRacingIt(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := NewWithT(t)
		store := &heldStore{}
		whileHeld, results := judgeTogether(t, store)
		g.Expect(whileHeld).To(BeEquivalentTo(1), "only the first request of the change writes its record")
		for _, r := range results {
			g.Expect(r.err).NotTo(HaveOccurred())
			g.Expect(r.dec.Allowed()).To(BeTrue())
		}
		g.Expect(store.writes.Load()).To(BeEquivalentTo(2), "the others were admitted on the records the first wrote (its change-id's and its payload's)")
	})
}

// TestAWriteThatFailsReleasesTheRequestsWaitingForIt: when the write the
// others wait for fails, its request is undecidable and the others write
// the record themselves (one stores it; the other waits for that write or
// loses the race to it, and is admitted on it either way).
func TestAWriteThatFailsReleasesTheRequestsWaitingForIt(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := NewWithT(t)
		store := &heldStore{failFirst: errors.New("etcdserver: request timed out")}
		whileHeld, results := judgeTogether(t, store)
		g.Expect(whileHeld).To(BeEquivalentTo(1))
		failed := 0
		for _, r := range results {
			if r.err != nil {
				g.Expect(r.err).To(MatchError(ContainSubstring("request timed out")))
				failed++
				continue
			}
			g.Expect(r.dec.Allowed()).To(BeTrue())
		}
		g.Expect(failed).To(Equal(1), "only the request whose write failed is undecidable")
		g.Expect(store.stored.Load()).To(BeEquivalentTo(2), "one of the waiters wrote the change's two records")
	})
}
