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

package records

import (
	"context"
	"errors"
	"fmt"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	wavegatev1alpha1 "github.com/wavegate/wavegate/api/v1alpha1"
)

// ErrConflict means another replica changed the record first.
var ErrConflict = errors.New("the change record was changed by another replica")

// Cache is where the store puts the records it wrote or read fresh, so this
// replica sees them before the informer delivers them.
type Cache interface {
	SetChangeRecord(*wavegatev1alpha1.ChangeRecord)
}

// Store reads and writes ChangeRecords.
type Store struct {
	// Reader must bypass the informer cache: it reads what won a race.
	Reader client.Reader
	Writer client.Writer
	Cache  Cache
	// Retain is how long deletion entries are kept (the breaker counts one hour).
	Retain time.Duration
	// Timeout bounds one read or write, so a change whose record cannot be
	// written in time is denied as undecidable before the API server gives
	// up on the webhook; zero: no bound but the caller's.
	Timeout time.Duration
}

func (s *Store) bounded(ctx context.Context) (context.Context, context.CancelFunc) {
	if s.Timeout <= 0 {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, s.Timeout)
}

// Fresh reads a record from the API server, bypassing every cache; nil when
// it does not exist.
func (s *Store) Fresh(ctx context.Context, name string) (*wavegatev1alpha1.ChangeRecord, error) {
	ctx, cancel := s.bounded(ctx)
	defer cancel()
	rec := &wavegatev1alpha1.ChangeRecord{}
	err := s.Reader.Get(ctx, client.ObjectKey{Name: name}, rec)
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("failed to read ChangeRecord %s: %w", name, err)
	}
	// Keep what won the race (the index keeps whichever copy is newer), so
	// this replica's next request of the change does not lose the same race
	// again before the watch delivers it.
	if s.Cache != nil {
		s.Cache.SetChangeRecord(rec)
	}
	return rec, nil
}

// Append adds entries to the record name. base is the version the decision
// was made on (nil when there was no record); the write succeeds only if the
// record is still at that version. template fills the spec of a new record.
func (s *Store) Append(ctx context.Context, name string, base *wavegatev1alpha1.ChangeRecord, template wavegatev1alpha1.ChangeRecordSpec, entries []wavegatev1alpha1.ChangeEntry, now time.Time) error {
	ctx, cancel := s.bounded(ctx)
	defer cancel()
	var rec *wavegatev1alpha1.ChangeRecord
	var err error
	if base == nil {
		rec = &wavegatev1alpha1.ChangeRecord{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: template}
		rec.Spec.Entries = append(rec.Spec.Entries, entries...)
		err = s.Writer.Create(ctx, rec)
	} else {
		rec = base.DeepCopy()
		rec.Spec.Entries = append(s.prune(rec, now), entries...)
		// Update sends base's resourceVersion: the API server refuses it if
		// another replica wrote in between.
		err = s.Writer.Update(ctx, rec)
	}
	switch {
	case apierrors.IsConflict(err), apierrors.IsAlreadyExists(err):
		return ErrConflict
	case err != nil:
		return fmt.Errorf("failed to write ChangeRecord %s: %w", name, err)
	}
	if s.Cache != nil {
		s.Cache.SetChangeRecord(rec)
	}
	return nil
}

// prune drops deletion entries older than Retain; change entries are kept,
// since a change's history is what its velocity is judged on.
func (s *Store) prune(rec *wavegatev1alpha1.ChangeRecord, now time.Time) []wavegatev1alpha1.ChangeEntry {
	if rec.Spec.Policy == "" || s.Retain <= 0 {
		return rec.Spec.Entries
	}
	kept := rec.Spec.Entries[:0:0]
	for _, e := range rec.Spec.Entries {
		if now.Sub(e.At.Time) < s.Retain {
			kept = append(kept, e)
		}
	}
	return kept
}

// MemoryCache is where Memory keeps its records.
type MemoryCache interface {
	Cache
	ChangeRecord(name string) *wavegatev1alpha1.ChangeRecord
}

// Memory keeps change records in memory only, for `wavegate check`: one
// process judging one sequence of applies, so there is nothing to race.
type Memory struct {
	Cache   MemoryCache
	version int
}

// Append adds entries to the record.
func (m *Memory) Append(_ context.Context, name string, base *wavegatev1alpha1.ChangeRecord, template wavegatev1alpha1.ChangeRecordSpec, entries []wavegatev1alpha1.ChangeEntry, _ time.Time) error {
	rec := &wavegatev1alpha1.ChangeRecord{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: template}
	if base != nil {
		rec = base.DeepCopy()
	}
	rec.Spec.Entries = append(rec.Spec.Entries, entries...)
	m.version++
	rec.ResourceVersion = fmt.Sprintf("offline-%d", m.version)
	m.Cache.SetChangeRecord(rec)
	return nil
}

// Fresh returns the record as kept.
func (m *Memory) Fresh(_ context.Context, name string) (*wavegatev1alpha1.ChangeRecord, error) {
	return m.Cache.ChangeRecord(name), nil
}
