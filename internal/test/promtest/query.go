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

package promtest

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/api"
	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"
)

// queryTimeout bounds one query, so a Prometheus that hangs fails the
// query as one that is down does.
const queryTimeout = 2 * time.Second

// pollInterval is how often the Wait helpers query; well under the
// shortest scrape interval a test uses.
const pollInterval = 50 * time.Millisecond

// Query evaluates query at the current time against the Prometheus at url
// with the client the manager uses. It returns the value and true for one
// sample (or a scalar), false for an empty vector ("no sample"), and an
// error when Prometheus does not answer, refuses the query, or returns more
// than one series.
func Query(ctx context.Context, url, query string) (float64, bool, error) {
	client, err := api.NewClient(api.Config{Address: url})
	if err != nil {
		return 0, false, fmt.Errorf("failed to create a Prometheus client for %s: %w", url, err)
	}
	ctx, cancel := context.WithTimeout(ctx, queryTimeout)
	defer cancel()
	result, _, _, err := promv1.NewAPI(client).Query(ctx, query, time.Now())
	if err != nil {
		return 0, false, fmt.Errorf("failed to query %s for %s: %w", url, query, err)
	}
	switch v := result.(type) {
	case model.Vector:
		switch len(v) {
		case 0:
			return 0, false, nil
		case 1:
			return float64(v[0].Value), true, nil
		default:
			return 0, false, fmt.Errorf("query %s returned %d series, want at most one: %s", query, len(v), v)
		}
	case *model.Scalar:
		return float64(v.Value), true, nil
	default:
		return 0, false, fmt.Errorf("query %s returned a %s, want a vector or a scalar", query, result.Type())
	}
}

// WaitForValue queries until the query returns one sample for which want
// is true, and returns that value. On timeout the error says what the last
// query returned.
func WaitForValue(ctx context.Context, url, query string, want func(float64) bool, timeout time.Duration) (float64, error) {
	var got float64
	err := poll(ctx, timeout, func() (string, bool) {
		v, ok, err := Query(ctx, url, query)
		switch {
		case err != nil:
			return err.Error(), false
		case !ok:
			return "no sample", false
		case !want(v):
			return fmt.Sprintf("value %v", v), false
		}
		got = v
		return "", true
	})
	if err != nil {
		return 0, fmt.Errorf("no wanted value for %s within %s: %w", query, timeout, err)
	}
	return got, nil
}

// WaitForNoSample queries until the query answers with an empty vector, as
// it does once the series is gone from the scrape and marked stale.
func WaitForNoSample(ctx context.Context, url, query string, timeout time.Duration) error {
	err := poll(ctx, timeout, func() (string, bool) {
		v, ok, err := Query(ctx, url, query)
		switch {
		case err != nil:
			return err.Error(), false
		case ok:
			return fmt.Sprintf("value %v", v), false
		}
		return "", true
	})
	if err != nil {
		return fmt.Errorf("%s still has a sample after %s: %w", query, timeout, err)
	}
	return nil
}

// Equal returns a predicate for WaitForValue that wants exactly v.
func Equal(v float64) func(float64) bool {
	return func(got float64) bool { return got == v }
}

// poll calls try until it succeeds, the timeout passes or ctx ends; the
// error carries try's last description of what it saw.
func poll(ctx context.Context, timeout time.Duration, try func() (last string, done bool)) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	for {
		last, done := try()
		if done {
			return nil
		}
		select {
		case <-ctx.Done():
			return errors.New("the last query returned " + last)
		case <-tick.C:
		}
	}
}
