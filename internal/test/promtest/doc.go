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

// Package promtest runs a real Prometheus server for the health-gate suites:
// an Exporter whose series a test sets per region, a Server that is the
// prometheus binary the Makefile builds from Go modules (make prometheus)
// scraping it, and helpers that query it with the same client the manager
// uses (github.com/prometheus/client_golang/api), so a test can wait until
// Prometheus has scraped a value, or take Prometheus away and bring it back.
package promtest
