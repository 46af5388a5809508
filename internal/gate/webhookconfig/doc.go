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

// Package webhookconfig declares which requests the API server sends to the
// admission gate, once, as the gate's ValidatingWebhookConfiguration.
// Requests that can never be denied never reach the webhook: the API server
// filters them with rules, namespace and object selectors and CEL match
// conditions, so an outage of the webhook cannot block them. Gated evaluates
// that same configuration for `wavegate check`, and the delete-automation
// identities that only AutomationPolicies know are kept in it at run time.
package webhookconfig
