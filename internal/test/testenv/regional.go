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

package testenv

import (
	"errors"
	"fmt"

	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
)

// Regional is a second API server and etcd standing for a regional
// cluster: Wavegate's hub reaches it through a kubeconfig, as it would a
// region's cluster.
type Regional struct {
	// Client is an admin client of the regional cluster, for the test's
	// own setup and checks.
	Client client.Client
	// Kubeconfig reaches the regional cluster as a member of system:masters
	// (the identity a hub's kubeconfig Secret would hold).
	Kubeconfig []byte
	env        *envtest.Environment
}

// StartRegional starts a regional cluster with the CRDs under crdDirs.
func StartRegional(crdDirs ...string) (*Regional, error) {
	env := &envtest.Environment{CRDDirectoryPaths: crdDirs, ErrorIfCRDPathMissing: len(crdDirs) > 0}
	cfg, err := env.Start()
	if err != nil {
		return nil, errors.Join(fmt.Errorf("failed to start the regional cluster: %w", err), env.Stop())
	}
	r := &Regional{env: env}
	if r.Client, err = client.New(cfg, client.Options{Scheme: NewScheme()}); err != nil {
		return nil, errors.Join(err, env.Stop())
	}
	user, err := env.AddUser(envtest.User{Name: "wavegate-hub", Groups: []string{"system:masters"}}, nil)
	if err != nil {
		return nil, errors.Join(err, env.Stop())
	}
	if r.Kubeconfig, err = user.KubeConfig(); err != nil {
		return nil, errors.Join(err, env.Stop())
	}
	return r, nil
}

// Stop stops the regional cluster.
func (r *Regional) Stop() error { return r.env.Stop() }
