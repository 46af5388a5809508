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
	"fmt"
	"time"

	wavegatev1alpha1 "github.com/wavegate/wavegate/api/v1alpha1"
	"github.com/wavegate/wavegate/internal/gate/engine"
	"github.com/wavegate/wavegate/internal/gate/facts"
	"github.com/wavegate/wavegate/internal/gate/records"
)

// maxAttempts bounds how often the gate decides again after losing a race
// for a change record to another replica.
const maxAttempts = 5

// Gate decides requests.
type Gate struct {
	Engine  *engine.Engine
	Facts   *facts.Builder
	Records RecordStore
	// Namespace reads a Namespace's labels from the API server. The gate
	// calls it only for a Namespace its index has not seen yet (created a
	// moment ago, as in one `kubectl apply` of a Namespace and its
	// contents): not seen is not the same as unlabelled. nil: the index is
	// complete (wavegate check), and a Namespace it lacks has no labels.
	Namespace func(ctx context.Context, name string) (map[string]string, error)

	// writing is the records this replica's requests are writing.
	writing inflight
}

// RecordStore keeps change records: in the API server for the webhook, in
// memory for `wavegate check`.
type RecordStore interface {
	// Append adds entries to a record, based on the version base (nil: no
	// record yet); it returns records.ErrConflict if base is stale.
	Append(ctx context.Context, name string, base *wavegatev1alpha1.ChangeRecord, template wavegatev1alpha1.ChangeRecordSpec, entries []wavegatev1alpha1.ChangeEntry, now time.Time) error
	// Fresh reads a record bypassing every cache; nil when there is none.
	Fresh(ctx context.Context, name string) (*wavegatev1alpha1.ChangeRecord, error)
}

// Judge decides one request and, when it is admitted and not a dry run,
// records what it changes. When another replica recorded the same change
// first, it decides again on what really happened, so two replicas racing
// never both admit a violation.
func (g *Gate) Judge(ctx context.Context, r *facts.Request) (engine.Decision, *facts.Input, error) {
	if err := g.readNamespace(ctx, r); err != nil {
		return engine.Decision{}, nil, err
	}
	fresh := map[string]*wavegatev1alpha1.ChangeRecord{}
	for lost := 0; lost < maxAttempts; {
		in := g.Facts.Build(r, fresh)
		dec, err := g.Engine.Decide(ctx, in.Value())
		if err != nil {
			return engine.Decision{}, in, err
		}
		if !dec.Allowed() || r.DryRun {
			return dec, in, nil
		}
		out, err := g.record(ctx, in, fresh)
		if err != nil {
			return engine.Decision{}, in, err
		}
		switch out {
		case recorded:
			return dec, in, nil
		case lostRace:
			lost++
		case waited:
			// Not an attempt: each wait ends when another request's write
			// does, and ctx bounds them all.
		}
	}
	return engine.Decision{}, nil, fmt.Errorf("the change record kept changing under %d attempts to record this change", maxAttempts)
}

// outcome is what recording an admitted request came to.
type outcome int

const (
	// recorded: every record of the plan holds the request.
	recorded outcome = iota
	// lostRace: another replica wrote a record first; fresh holds what it
	// wrote, and the request is decided again on it.
	lostRace
	// waited: another request of this replica was writing one of the
	// records; the request is decided again on what that write left in the
	// index.
	waited
)

// readNamespace fills in the labels of a Namespace the index has not seen
// yet. When it cannot be read the request is undecidable.
func (g *Gate) readNamespace(ctx context.Context, r *facts.Request) error {
	// A request about a Namespace names it as its own namespace: its labels
	// are in the request, and on a create it does not exist yet.
	if r.Namespace == "" || r.IsNamespace() || g.Namespace == nil || g.Facts.Index.HasNamespace(r.Namespace) {
		return nil
	}
	labels, err := g.Namespace(ctx, r.Namespace)
	if err != nil {
		return fmt.Errorf("the Namespace %s is not in its cache yet and reading it failed: %w", r.Namespace, err)
	}
	if labels == nil {
		labels = map[string]string{}
	}
	r.NamespaceLabels = labels
	return nil
}

// record carries out the facts' record plan. It claims every record of the
// plan before writing any, so that waiting for another request never leaves
// this one half recorded, and holds them until its writes, and the fresh read
// after a lost race, are done: a request that waited then finds in the index
// what was written or what won.
func (g *Gate) record(ctx context.Context, in *facts.Input, fresh map[string]*wavegatev1alpha1.ChangeRecord) (outcome, error) {
	if len(in.Record.Writes) == 0 {
		return recorded, nil
	}
	names := make([]string, len(in.Record.Writes))
	for i, w := range in.Record.Writes {
		names[i] = w.Name
	}
	release, busy := g.writing.claim(names...)
	if busy != nil {
		select {
		case <-busy:
		case <-ctx.Done():
			return 0, fmt.Errorf("waiting for another request's write of the change records %v: %w", names, ctx.Err())
		}
		// The index holds at least what fresh does: a fresh read is kept
		// there too.
		for _, name := range names {
			delete(fresh, name)
		}
		return waited, nil
	}
	defer release()
	for _, w := range in.Record.Writes {
		err := g.Records.Append(ctx, w.Name, in.Record.Bases[w.Name], w.Template, w.Entries, in.Now)
		if errors.Is(err, records.ErrConflict) {
			latest, err := g.Records.Fresh(ctx, w.Name)
			if err != nil {
				return 0, err
			}
			fresh[w.Name] = latest
			return lostRace, nil
		}
		if err != nil {
			return 0, err
		}
		delete(fresh, w.Name)
	}
	return recorded, nil
}
