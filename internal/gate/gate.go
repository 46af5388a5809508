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
	for attempt := 1; attempt <= maxAttempts; attempt++ {
		in := g.Facts.Build(r, fresh)
		dec, err := g.Engine.Decide(ctx, in.Value())
		if err != nil {
			return engine.Decision{}, in, err
		}
		if !dec.Allowed() || r.DryRun {
			return dec, in, nil
		}
		conflicted, err := g.record(ctx, in, fresh)
		if err != nil {
			return engine.Decision{}, in, err
		}
		if !conflicted {
			return dec, in, nil
		}
	}
	return engine.Decision{}, nil, fmt.Errorf("the change record kept changing under %d attempts to record this change", maxAttempts)
}

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

// record carries out the facts' record plan. On a conflict it reads the fresh record
// into fresh, so the caller decides again. When another request of this
// replica is writing one of the records, it waits for that write and has
// the caller decide again on the index, which holds what was written.
func (g *Gate) record(ctx context.Context, in *facts.Input, fresh map[string]*wavegatev1alpha1.ChangeRecord) (conflicted bool, err error) {
	for _, w := range in.Record.Writes {
		release, busy := g.writing.claim(w.Name)
		if busy != nil {
			select {
			case <-busy:
			case <-ctx.Done():
				return false, fmt.Errorf("waiting for the change record %s to be written: %w", w.Name, ctx.Err())
			}
			delete(fresh, w.Name)
			return true, nil
		}
		err := g.Records.Append(ctx, w.Name, in.Record.Bases[w.Name], w.Template, w.Entries, in.Now)
		release()
		if errors.Is(err, records.ErrConflict) {
			latest, err := g.Records.Fresh(ctx, w.Name)
			if err != nil {
				return false, err
			}
			fresh[w.Name] = latest
			return true, nil
		}
		if err != nil {
			return false, err
		}
		delete(fresh, w.Name)
	}
	return false, nil
}
