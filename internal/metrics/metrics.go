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

// Package metrics defines Wavegate's Prometheus metrics, registered with
// controller-runtime's registry so the manager's /metrics serves them.
package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
	crmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
)

// Decisions of the admission gate, the values of the decision label.
const (
	DecisionAllowed    = "allowed"
	DecisionDenied     = "denied"
	DecisionBreakGlass = "break-glass"
	// RuleNone labels admissions that no rule objected to; RuleInternal
	// labels denials because something could not be decided.
	RuleNone     = "none"
	RuleInternal = "internal"
)

var (
	// AdmissionRequests counts gate decisions by rule and decision; a request
	// denied by two rules counts once for each.
	AdmissionRequests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "wavegate_admission_requests_total",
		Help: "Admission requests judged by the Wavegate gate, by rule and decision (allowed, denied, break-glass).",
	}, []string{"rule", "decision"})

	// AdmissionDuration is the time from receiving a request to answering it.
	AdmissionDuration = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "wavegate_admission_duration_seconds",
		Help:    "Time the Wavegate gate took to decide an admission request, including any change-record write.",
		Buckets: []float64{0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5},
	})
)

func init() {
	crmetrics.Registry.MustRegister(AdmissionRequests, AdmissionDuration)
}
