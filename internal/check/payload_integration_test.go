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

package check_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/wavegate/wavegate/internal/gate/facts"
	"github.com/wavegate/wavegate/internal/manifest"
)

// manifests are written as people write them: without the fields the API
// server fills in.
const manifests = `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web, wavegate.io/region: eastus}}
    spec:
      serviceAccountName: web
      containers:
      - name: web
        image: registry.example/web:1.2.3
        ports: [{containerPort: 8080}]
        env:
        - {name: NODE, valueFrom: {fieldRef: {fieldPath: spec.nodeName}}}
        resources: {requests: {cpu: "0.5", memory: 1024Mi}, limits: {memory: 2Gi}}
        readinessProbe: {httpGet: {path: /healthz, port: 8080}}
        livenessProbe: {tcpSocket: {port: 8080}, periodSeconds: 20}
      - name: sidecar
        image: registry.example/sidecar
      volumes:
      - {name: cfg, configMap: {name: web}}
      - {name: creds, secret: {secretName: web}}
      - {name: scratch, emptyDir: {}}
      - name: info
        downwardAPI: {items: [{path: labels, fieldRef: {fieldPath: metadata.labels}}]}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  serviceName: db
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      containers: [{name: db, image: "registry.example/db:16"}]
  volumeClaimTemplates:
  - metadata: {name: data}
    spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 10Gi}}}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec:
      containers: [{name: agent, image: "registry.example/agent:2"}]
---
apiVersion: batch/v1
kind: Job
metadata: {name: migrate}
spec:
  template:
    spec:
      restartPolicy: Never
      containers: [{name: migrate, image: "registry.example/migrate:7"}]
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: report}
spec:
  schedule: "0 * * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          containers: [{name: report, image: "registry.example/report:1"}]
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: 8080}]
---
apiVersion: v1
kind: Service
metadata: {name: web-nodeport}
spec:
  type: NodePort
  selector: {app: web}
  ports: [{port: 80}]
---
apiVersion: v1
kind: Service
metadata: {name: db}
spec:
  clusterIP: None
  selector: {app: db}
  ports: [{port: 5432}]
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 1Gi}}
---
apiVersion: v1
kind: Secret
metadata: {name: web}
stringData: {password: hunter2}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: web}
data: {endpoint: "https://web.example"}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: web}
imagePullSecrets: [{name: registry}]
`

// TestAManifestAndTheObjectItBecomesAreTheSameChange checks the payload
// rule against the real API server's defaults: `wavegate check` hashes the
// manifest, the webhook the object the API server made of it, and both must
// name the same change, or a change would be judged differently offline.
func TestAManifestAndTheObjectItBecomesAreTheSameChange(t *testing.T) {
	ctx := context.Background()
	g := NewWithT(t)
	ns := "payload"
	g.Expect(env.Client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}})).To(Succeed())
	objs, err := manifest.Read(strings.NewReader(manifests))
	g.Expect(err).NotTo(HaveOccurred())
	hash := func(g Gomega, u *unstructured.Unstructured) string {
		raw, err := json.Marshal(u.Object)
		g.Expect(err).NotTo(HaveOccurred())
		o, err := facts.DecodeObject(raw)
		g.Expect(err).NotTo(HaveOccurred())
		return o.PayloadHash
	}
	for _, m := range objs {
		t.Run(m.GetKind()+" "+m.GetName(), func(t *testing.T) {
			g := NewWithT(t)
			m.SetNamespace(ns)
			want := hash(g, m)
			g.Expect(want).NotTo(BeEmpty(), "the manifest carries configuration")
			stored := m.DeepCopy()
			g.Expect(env.Client.Create(ctx, stored)).To(Succeed())
			g.Expect(env.Client.Get(ctx, client.ObjectKeyFromObject(m), stored)).To(Succeed())
			g.Expect(hash(g, stored)).To(Equal(want), "the API server's defaults made it another change:\n%v", stored.Object)
		})
	}
}
