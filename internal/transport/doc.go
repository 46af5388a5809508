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

// Package transport owns how the manager's servers speak TLS (SPEC §8,
// "Transport"): the lowest TLS version they accept, HTTP/2 off on every one
// of them (CVE-2023-44487, HTTP/2 rapid reset), the one serving certificate
// they share, so a renewal reaches the webhook and the metrics server at
// once, and the optional client-certificate authentication of the API server
// by the webhook server.
package transport
