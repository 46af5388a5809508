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

package realcluster

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"time"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// CertSecret is the Secret the chart mounts into the manager pods, which the
// manager fills with its webhook certificate.
const CertSecret = "wavegate-webhook-cert" //nolint:gosec // a Secret name, not a credential

// mountSecret does the kubelet's part for the host processes: it keeps the
// files of the certificate Secret in every replica's certificate directory,
// as the chart's Secret volume would. The manager writes the Secret; it
// never writes the files.
func (w *Wavegate) mountSecret(ctx context.Context, dirs []string) {
	t := time.NewTicker(250 * time.Millisecond)
	defer t.Stop()
	for {
		var s corev1.Secret
		if err := w.cluster.Client.Get(ctx, client.ObjectKey{Namespace: Namespace, Name: CertSecret}, &s); err == nil {
			for _, dir := range dirs {
				for name, data := range s.Data {
					writeIfChanged(filepath.Join(dir, name), data)
				}
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// writeIfChanged replaces path atomically when its content differs.
func writeIfChanged(path string, data []byte) {
	if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, data) {
		return
	}
	tmp := path + ".tmp"
	if os.WriteFile(tmp, data, 0o600) == nil {
		_ = os.Rename(tmp, path)
	}
}
