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
	"errors"
	"fmt"
	"maps"
	"net"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// ErrorRatio is the series the health-gate tests use for a region's error
// ratio: wavegate_test_error_ratio{region="eastus"}.
const ErrorRatio = "wavegate_test_error_ratio"

// RegionLabel is the label that SetRegion and DeleteRegion set.
const RegionLabel = "region"

var (
	metricNameRE = regexp.MustCompile(`^[a-zA-Z_:][a-zA-Z0-9_:]*$`)
	labelNameRE  = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)
)

// Exporter serves the series a test sets, in the Prometheus text format, on
// 127.0.0.1 at a random port (/metrics). A series is a metric name with a
// label set; a name may carry different label sets. A name that ends in
// _total is exposed as a counter, every other as a gauge. A series that
// was never set, or was deleted, is absent from the scrape, so Prometheus
// marks it stale and a query finds no sample.
type Exporter struct {
	registry *prometheus.Registry
	listener net.Listener
	server   *http.Server
	done     chan struct{}

	mu     sync.Mutex
	series map[string]sample
}

type sample struct {
	name   string
	labels map[string]string
	value  float64
}

// NewExporter starts an Exporter; Close stops it.
func NewExporter() (*Exporter, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("failed to listen for the test exporter: %w", err)
	}
	e := &Exporter{
		registry: prometheus.NewRegistry(),
		listener: ln,
		done:     make(chan struct{}),
		series:   map[string]sample{},
	}
	e.registry.MustRegister((*collector)(e))
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(e.registry, promhttp.HandlerOpts{}))
	e.server = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		defer close(e.done)
		_ = e.server.Serve(ln)
	}()
	return e, nil
}

// Addr is the exporter's host:port, a scrape target for Options.Targets.
func (e *Exporter) Addr() string { return e.listener.Addr().String() }

// Registry is the exporter's registry, for a test that wants to expose its
// own collectors beside the series it sets.
func (e *Exporter) Registry() *prometheus.Registry { return e.registry }

// Close stops serving; Prometheus then fails its scrapes and marks every
// series stale.
func (e *Exporter) Close() error {
	err := e.server.Close()
	<-e.done
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// Set sets the series name{labels} to v. It panics on a name or label name
// that Prometheus would refuse, as that is a mistake in the test.
func (e *Exporter) Set(name string, labels map[string]string, v float64) {
	key := seriesKey(name, labels)
	e.mu.Lock()
	defer e.mu.Unlock()
	e.series[key] = sample{name: name, labels: maps.Clone(labels), value: v}
}

// Add adds delta to the series name{labels}, starting from 0; with a name
// that ends in _total it is a counter that rate() reads.
func (e *Exporter) Add(name string, labels map[string]string, delta float64) {
	key := seriesKey(name, labels)
	e.mu.Lock()
	defer e.mu.Unlock()
	s, ok := e.series[key]
	if !ok {
		s = sample{name: name, labels: maps.Clone(labels)}
	}
	s.value += delta
	e.series[key] = s
}

// Delete removes the series name{labels}, so the next scrape has no sample
// for it; it reports whether the series existed.
func (e *Exporter) Delete(name string, labels map[string]string) bool {
	key := seriesKey(name, labels)
	e.mu.Lock()
	defer e.mu.Unlock()
	_, ok := e.series[key]
	delete(e.series, key)
	return ok
}

// SetRegion sets name{region="<region>"} to v.
func (e *Exporter) SetRegion(name, region string, v float64) {
	e.Set(name, map[string]string{RegionLabel: region}, v)
}

// DeleteRegion removes name{region="<region>"}.
func (e *Exporter) DeleteRegion(name, region string) bool {
	return e.Delete(name, map[string]string{RegionLabel: region})
}

// seriesKey identifies a series independently of map order; it panics on
// names Prometheus would refuse, at the call that made the mistake rather
// than in a scrape that fails later.
func seriesKey(name string, labels map[string]string) string {
	if !metricNameRE.MatchString(name) {
		panic(fmt.Sprintf("promtest: invalid metric name %q", name))
	}
	var b strings.Builder
	b.WriteString(name)
	for _, k := range slices.Sorted(maps.Keys(labels)) {
		if !labelNameRE.MatchString(k) || strings.HasPrefix(k, "__") {
			panic(fmt.Sprintf("promtest: invalid label name %q on %s", k, name))
		}
		fmt.Fprintf(&b, "\xff%s\xff%s", k, labels[k])
	}
	return b.String()
}

// collector exposes the Exporter's series. It describes nothing, so the
// registry accepts series whose label sets are only known at scrape time.
type collector Exporter

func (c *collector) Describe(chan<- *prometheus.Desc) {}

func (c *collector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	samples := slices.Collect(maps.Values(c.series))
	c.mu.Unlock()
	for _, s := range samples {
		names := slices.Sorted(maps.Keys(s.labels))
		values := make([]string, len(names))
		for i, n := range names {
			values[i] = s.labels[n]
		}
		kind := prometheus.GaugeValue
		if strings.HasSuffix(s.name, "_total") {
			kind = prometheus.CounterValue
		}
		desc := prometheus.NewDesc(s.name, "Set by the test through promtest.Exporter.", names, nil)
		m, err := prometheus.NewConstMetric(desc, kind, s.value, values...)
		if err != nil {
			m = prometheus.NewInvalidMetric(desc, err)
		}
		ch <- m
	}
}
