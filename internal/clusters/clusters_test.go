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

package clusters

import (
	"strings"
	"testing"
)

func kubeconfig(user, cluster string) []byte {
	return []byte(`apiVersion: v1
kind: Config
clusters:
- name: c
  cluster:
    server: https://eastus.example:6443
` + cluster + `
users:
- name: u
  user:
` + user + `
contexts:
- name: x
  context: {cluster: c, user: u}
current-context: x
`)
}

func TestAKubeconfigMustBeSelfContained(t *testing.T) {
	cases := map[string]struct {
		user, cluster, wantErr string
	}{
		"an inline token":              {user: "    token: abc"},
		"a command":                    {user: "    exec: {apiVersion: client.authentication.k8s.io/v1, command: /bin/sh}", wantErr: "runs a command"},
		"the manager's own token file": {user: "    tokenFile: /var/run/secrets/kubernetes.io/serviceaccount/token", wantErr: "reads a file"},
		"a client key file":            {user: "    client-key: /etc/key.pem", wantErr: "reads a file"},
		"an auth provider":             {user: "    auth-provider: {name: oidc}", wantErr: "auth-provider"},
		"impersonation":                {user: "    token: abc\n    as: admin", wantErr: "impersonates"},
		"a CA file":                    {user: "    token: abc", cluster: "    certificate-authority: /etc/ca.pem", wantErr: "CA from a file"},
		"a proxy":                      {user: "    token: abc", cluster: "    proxy-url: http://proxy:3128", wantErr: "proxy-url"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			err := selfContained(kubeconfig(tc.user, tc.cluster))
			switch {
			case tc.wantErr == "" && err != nil:
				t.Errorf("refused: %v", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Errorf("err = %v, want one saying %q", err, tc.wantErr)
			}
		})
	}
}
