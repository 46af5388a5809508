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

// Package clusters connects the hub to regions that are clusters of their
// own (Region spec.cluster): it reads each region's kubeconfig Secret,
// keeps one client and one cache per regional cluster, and says whether the
// cluster answers and why not. A kubeconfig that changes (a rotated
// credential) replaces the region's client and cache.
package clusters

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/version"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"

	wavegatev1alpha1 "github.com/wavegate/wavegate/api/v1alpha1"
)

// +kubebuilder:rbac:groups="",resources=secrets,verbs=get,namespace=wavegate-system

// Cluster is the hub's connection to one regional cluster.
type Cluster struct {
	// Region is the region the cluster is.
	Region string
	// Client reads and writes the regional cluster directly.
	Client client.Client
	// Cache reads the regional cluster through informers; it runs from
	// the first Connect and stops when the kubeconfig changes or the
	// Region goes.
	Cache cache.Cache
	// Config, HTTPClient and Mapper reach the cluster, for a cache of its
	// own (the rollout controller's target cache).
	Config     *rest.Config
	HTTPClient *http.Client
	Mapper     meta.RESTMapper
	// Done is closed when the connection is dropped: its caches stop.
	Done <-chan struct{}

	source    string // the Secret's resourceVersion and key it was built from
	stop      context.CancelFunc
	discovery discovery.DiscoveryInterface
}

// Health is what a probe of a regional cluster found.
type Health struct {
	// Connected is true when the cluster's API server answered.
	Connected bool
	// Reason and Message say why not (or how it answered).
	Reason, Message string
	// ServerVersion is the version the API server reported.
	ServerVersion string
}

// Registry keeps the hub's connections, by region.
type Registry struct {
	// Secrets reads kubeconfig Secrets from the hub; it should not be a
	// cache, so the manager needs no cluster-wide watch on Secrets.
	Secrets client.Reader
	Scheme  *runtime.Scheme
	// Timeout bounds one probe of a regional API server; 5s when zero.
	Timeout time.Duration
	// CacheOptions are the options of each regional cache (transforms).
	CacheOptions cache.Options

	mu       sync.Mutex
	clusters map[string]*Cluster
	health   map[string]Health
}

// Probe reads the region's kubeconfig, connects (or reuses the connection
// built from the same kubeconfig) and asks the API server for its version.
func (r *Registry) Probe(ctx context.Context, rg *wavegatev1alpha1.Region) Health {
	h := r.probe(ctx, rg)
	r.mu.Lock()
	if r.health == nil {
		r.health = map[string]Health{}
	}
	r.health[rg.Name] = h
	r.mu.Unlock()
	return h
}

func (r *Registry) probe(ctx context.Context, rg *wavegatev1alpha1.Region) Health {
	if rg.Spec.Cluster == nil {
		return Health{Reason: wavegatev1alpha1.ReasonKubeconfigNotFound, Message: "the Region has no spec.cluster"}
	}
	ref := rg.Spec.Cluster.KubeconfigSecretRef
	kubeconfig, source, h := r.kubeconfig(ctx, ref)
	if kubeconfig == nil {
		// A connection built from a Secret that is gone or broken stops.
		r.stop(rg.Name)
		return h
	}
	c, err := r.connect(rg.Name, kubeconfig, source)
	if err != nil {
		r.stop(rg.Name)
		return Health{Reason: wavegatev1alpha1.ReasonInvalidKubeconfig,
			Message: fmt.Sprintf("key %q of Secret %s/%s does not hold a usable kubeconfig: %v; store a kubeconfig for the region's cluster there", keyOf(ref), ref.Namespace, ref.Name, err)}
	}
	version, err := c.serverVersion(ctx, cmpTimeout(r.Timeout))
	if err != nil {
		return Health{Reason: wavegatev1alpha1.ReasonUnreachable,
			Message: fmt.Sprintf("the API server of region %s did not answer: %v", rg.Name, err)}
	}
	return Health{Connected: true, Reason: wavegatev1alpha1.ReasonReachable, ServerVersion: version,
		Message: fmt.Sprintf("the API server of region %s answered (%s)", rg.Name, version)}
}

// kubeconfig reads the kubeconfig a Region names, or says why it cannot.
func (r *Registry) kubeconfig(ctx context.Context, ref wavegatev1alpha1.SecretKeyRef) ([]byte, string, Health) {
	secret := &corev1.Secret{}
	err := r.Secrets.Get(ctx, client.ObjectKey{Namespace: ref.Namespace, Name: ref.Name}, secret)
	switch {
	case apierrors.IsNotFound(err):
		return nil, "", Health{Reason: wavegatev1alpha1.ReasonKubeconfigNotFound,
			Message: fmt.Sprintf("Secret %s/%s does not exist; create it with the region's kubeconfig under key %q", ref.Namespace, ref.Name, keyOf(ref))}
	case apierrors.IsForbidden(err):
		return nil, "", Health{Reason: wavegatev1alpha1.ReasonKubeconfigNotPermitted,
			Message: fmt.Sprintf("Wavegate may not read Secret %s/%s: %v; keep kubeconfig Secrets in the namespace the chart's hub.kubeconfigNamespace names", ref.Namespace, ref.Name, err)}
	case err != nil:
		return nil, "", Health{Reason: wavegatev1alpha1.ReasonKubeconfigNotFound,
			Message: fmt.Sprintf("failed to read Secret %s/%s: %v", ref.Namespace, ref.Name, err)}
	}
	data, ok := secret.Data[keyOf(ref)]
	if !ok || len(data) == 0 {
		return nil, "", Health{Reason: wavegatev1alpha1.ReasonKubeconfigNotFound,
			Message: fmt.Sprintf("Secret %s/%s has no key %q; put the region's kubeconfig there or set spec.cluster.kubeconfigSecretRef.key", ref.Namespace, ref.Name, keyOf(ref))}
	}
	// The source is the kubeconfig itself: a change to the Secret's labels
	// must not rebuild the region's cache.
	sum := sha256.Sum256(data)
	return data, hex.EncodeToString(sum[:]), Health{}
}

func keyOf(ref wavegatev1alpha1.SecretKeyRef) string {
	if ref.Key == "" {
		return "value"
	}
	return ref.Key
}

func cmpTimeout(d time.Duration) time.Duration {
	if d <= 0 {
		return 5 * time.Second
	}
	return d
}

// connect returns the region's connection, building it anew when the
// kubeconfig it was built from has changed.
func (r *Registry) connect(region string, kubeconfig []byte, source string) (*Cluster, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if c, ok := r.clusters[region]; ok {
		if c.source == source {
			return c, nil
		}
		c.stop()
		delete(r.clusters, region)
	}
	if err := selfContained(kubeconfig); err != nil {
		return nil, err
	}
	cfg, err := clientcmd.RESTConfigFromKubeConfig(kubeconfig)
	if err != nil {
		return nil, err
	}
	c, err := newCluster(region, cfg, r.Scheme, r.CacheOptions)
	if err != nil {
		return nil, err
	}
	c.source = source
	if r.clusters == nil {
		r.clusters = map[string]*Cluster{}
	}
	r.clusters[region] = c
	return c, nil
}

func newCluster(region string, cfg *rest.Config, scheme *runtime.Scheme, opts cache.Options) (*Cluster, error) {
	cfg = rest.CopyConfig(cfg)
	cfg.UserAgent = "wavegate-hub"
	httpClient, err := rest.HTTPClientFor(cfg)
	if err != nil {
		return nil, err
	}
	mapper, err := apiutil.NewDynamicRESTMapper(cfg, httpClient)
	if err != nil {
		return nil, err
	}
	cl, err := client.New(cfg, client.Options{Scheme: scheme, HTTPClient: httpClient, Mapper: mapper})
	if err != nil {
		return nil, err
	}
	opts.Scheme, opts.HTTPClient, opts.Mapper = scheme, httpClient, mapper
	ca, err := cache.New(cfg, opts)
	if err != nil {
		return nil, err
	}
	disc, err := discovery.NewDiscoveryClientForConfigAndClient(cfg, httpClient)
	if err != nil {
		return nil, err
	}
	ctx, stop := context.WithCancel(context.Background())
	go func() { _ = ca.Start(ctx) }()
	return &Cluster{Region: region, Client: cl, Cache: ca, Config: cfg, HTTPClient: httpClient, Mapper: mapper,
		Done: ctx.Done(), stop: stop, discovery: disc}, nil
}

// serverVersion asks the regional API server for its version, within
// timeout.
func (c *Cluster) serverVersion(ctx context.Context, timeout time.Duration) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	raw, err := c.discovery.RESTClient().Get().AbsPath("/version").Do(ctx).Raw()
	if err != nil {
		return "", err
	}
	var v version.Info
	if err := json.Unmarshal(raw, &v); err != nil {
		return "", fmt.Errorf("unreadable /version: %w", err)
	}
	return v.GitVersion, nil
}

// selfContained refuses a kubeconfig that would make the hub run a command,
// read a file or use a proxy: whoever may write the Secret would otherwise
// run code in the manager or send it the manager's own token (tokenFile:
// /var/run/secrets/…). Credentials and CAs must be inline.
func selfContained(kubeconfig []byte) error {
	cfg, err := clientcmd.Load(kubeconfig)
	if err != nil {
		return err
	}
	for name, a := range cfg.AuthInfos {
		switch {
		case a.Exec != nil:
			return fmt.Errorf("user %q runs a command (exec); use an inline token or client certificate", name)
		case a.AuthProvider != nil:
			return fmt.Errorf("user %q uses an auth-provider plugin; use an inline token or client certificate", name)
		case a.TokenFile != "", a.ClientCertificate != "", a.ClientKey != "":
			return fmt.Errorf("user %q reads a file (tokenFile, client-certificate or client-key); put the data inline", name)
		case a.Impersonate != "" || len(a.ImpersonateGroups) > 0 || a.ImpersonateUID != "":
			return fmt.Errorf("user %q impersonates; give the identity the rights itself", name)
		}
	}
	for name, c := range cfg.Clusters {
		switch {
		case c.CertificateAuthority != "":
			return fmt.Errorf("cluster %q reads its CA from a file; use certificate-authority-data", name)
		case c.ProxyURL != "":
			return fmt.Errorf("cluster %q uses a proxy-url; reach the API server directly", name)
		}
	}
	return nil
}

// Get returns the connection to a region's cluster as of the last probe,
// or why there is none.
func (r *Registry) Get(region string) (*Cluster, Health) {
	r.mu.Lock()
	defer r.mu.Unlock()
	h, probed := r.health[region]
	if !probed {
		return nil, Health{Reason: wavegatev1alpha1.ReasonUnreachable, Message: fmt.Sprintf("region %s's cluster has not been probed yet", region)}
	}
	c := r.clusters[region]
	if !h.Connected || c == nil {
		return nil, h
	}
	return c, h
}

// Forget stops the connection to a region's cluster (its Region is gone or
// no longer names a cluster).
func (r *Registry) Forget(region string) {
	r.stop(region)
	r.mu.Lock()
	delete(r.health, region)
	r.mu.Unlock()
}

// stop stops the region's connection, if any.
func (r *Registry) stop(region string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if c, ok := r.clusters[region]; ok {
		c.stop()
		delete(r.clusters, region)
	}
}

// Stop stops every connection.
func (r *Registry) Stop() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for region, c := range r.clusters {
		c.stop()
		delete(r.clusters, region)
	}
}
