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

// Command auditload measures `wavegate audit` against its bar (SPEC §7: a
// 1 GiB audit log in under a minute, under 200 MiB of memory).
//
// With -write it writes an audit log of realistic traffic, as the API
// server logs it under config/audit/policy.yaml: CI rolling ConfigMaps
// (with a change-id, per-region data) and Deployments (an image bump, the
// same everywhere) through the waves of the default plan, bake respected;
// Kubernetes' controllers answering with ReplicaSets, EndpointSlices and
// garbage collection; Secrets rotated (level Metadata); Wavegate's
// controller writing ConfigRollout status; delete automation removing
// what it tagged deletable; Freezes, and the writes they deny.
//
//	go run ./hack/auditload -write /tmp/audit-1g.log -size 1GiB
//
// With -check it runs the checker on logs in this process, as `wavegate
// audit` does, and reports wall time, throughput, the peak Go heap
// (sampled every 50 ms) and the peak resident set (VmHWM):
//
//	go run ./hack/auditload -check /tmp/audit-1g.log
//
// The last line is machine-readable.
package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wavegate/wavegate/internal/audit"
	at "github.com/wavegate/wavegate/internal/audit/audittest"
	"github.com/wavegate/wavegate/internal/audit/invariants"
)

func main() {
	write := flag.String("write", "", "Write an audit log to this file.")
	size := flag.String("size", "1GiB", "How much to write: bytes, or with KiB, MiB or GiB.")
	apps := flag.Int("apps", 1000, "Applications, each a ConfigMap, a Deployment and a Secret in every region.")
	seed := flag.Uint64("seed", 1, "Random seed.")
	check := flag.Bool("check", false, "Run the checker on the files named as arguments.")
	cpuProfile := flag.String("cpuprofile", "", "With -check, write a CPU profile to this file.")
	flag.StringVar(&memProfile, "memprofile", "", "With -check, write a heap profile of what the checker keeps at the end to this file.")
	flag.Parse()
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "auditload:", err)
			os.Exit(1)
		}
		defer pprof.StopCPUProfile()
	}
	var err error
	switch {
	case *write != "":
		var n int64
		if n, err = parseSize(*size); err == nil {
			err = generate(*write, n, *apps, *seed)
		}
	case *check:
		err = measure(flag.Args())
	default:
		err = fmt.Errorf("use -write FILE or -check FILE")
	}
	if err != nil {
		pprof.StopCPUProfile()
		fmt.Fprintln(os.Stderr, "auditload:", err)
		os.Exit(1)
	}
}

func parseSize(s string) (int64, error) {
	mult := int64(1)
	for suffix, m := range map[string]int64{"KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30} {
		if strings.HasSuffix(s, suffix) {
			s, mult = strings.TrimSuffix(s, suffix), m
		}
	}
	n, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, fmt.Errorf("invalid -size %q", s)
	}
	return int64(n * float64(mult)), nil
}

const (
	ci       = "system:serviceaccount:ci:deployer"
	cleanup  = "system:serviceaccount:ops:cleanup"
	oncall   = "oncall@example.com"
	manager  = invariants.DefaultControllerUser
	deployer = "system:serviceaccount:kube-system:deployment-controller"
	rsCtl    = "system:serviceaccount:kube-system:replicaset-controller"
	slices   = "system:serviceaccount:kube-system:endpointslice-controller"
	gc       = "system:serviceaccount:kube-system:generic-garbage-collector"
	kcm      = "system:serviceaccount:kube-system:root-ca-cert-publisher"
	teams    = 50
)

// A plan of 20 regions: canary, pilot, three broad waves of six; each
// region of broad-1 is paired with one of broad-2.
var waves = []at.Wave{
	{Name: "canary", Bake: 15 * time.Minute, Regions: []string{"r00"}},
	{Name: "pilot", Bake: 30 * time.Minute, Regions: []string{"r01"}},
	{Name: "broad-1", Bake: time.Hour, Regions: []string{"r02", "r03", "r04", "r05", "r06", "r07"}},
	{Name: "broad-2", Bake: time.Hour, Regions: []string{"r08", "r09", "r10", "r11", "r12", "r13"}},
	{Name: "broad-3", Bake: time.Hour, Regions: []string{"r14", "r15", "r16", "r17", "r18", "r19"}},
}

// rollout is one application's change going through the waves.
type rollout struct {
	rev    int
	wave   int
	nextAt time.Time
	image  bool // a Deployment image bump rather than a ConfigMap change
}

type generator struct {
	rnd      *rand.Rand
	api      *at.APIServer
	out      *bufio.Writer
	written  int64
	now      time.Time
	apps     int
	rollouts []rollout
	frozen   map[string]time.Time // region → end of its Freeze
	freezes  int
	temp     int
}

func generate(path string, size int64, apps int, seed uint64) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	g := &generator{rnd: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), //nolint:gosec // reproducible traffic, not a secret
		api: at.NewAPIServer(), out: bufio.NewWriterSize(f, 1<<20),
		now: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), apps: apps, rollouts: make([]rollout, apps),
		frozen: map[string]time.Time{}}
	start := time.Now()
	if err := g.setup(); err != nil {
		return err
	}
	for g.written < size {
		if err := g.step(); err != nil {
			return err
		}
	}
	if err := g.out.Flush(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	fmt.Printf("auditload: wrote %.1f MiB to %s in %s, covering %s of traffic\n",
		float64(g.written)/(1<<20), path, time.Since(start).Round(time.Second), g.now.Sub(time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)).Round(time.Hour))
	return nil
}

func (g *generator) emit(user, verb string, obj at.Object, opts ...func(*at.Request)) error {
	r := at.Request{Write: invariants.Write{At: g.now, User: user, Verb: verb, Object: obj, Groups: []string{"system:authenticated"}}}
	r.Latency = time.Duration(2+g.rnd.IntN(20)) * time.Millisecond
	for _, o := range opts {
		o(&r)
	}
	line, err := g.api.Line(r)
	if err != nil {
		return err
	}
	n, _ := g.out.Write(line)
	_ = g.out.WriteByte('\n')
	g.written += int64(n) + 1
	g.now = g.now.Add(time.Duration(300+g.rnd.IntN(1500)) * time.Millisecond)
	return nil
}

func (g *generator) del(user, resource, namespace, name string, opts ...func(*at.Request)) error {
	r := at.Request{Write: invariants.Write{At: g.now, User: user, Verb: "delete", Resource: resource, Namespace: namespace, Name: name,
		Groups: []string{"system:authenticated"}}}
	if resource == "replicasets" {
		r.APIGroup = "apps"
	}
	for _, o := range opts {
		o(&r)
	}
	line, err := g.api.Line(r)
	if err != nil {
		return err
	}
	n, _ := g.out.Write(line)
	_ = g.out.WriteByte('\n')
	g.written += int64(n) + 1
	g.now = g.now.Add(time.Duration(300+g.rnd.IntN(1500)) * time.Millisecond)
	return nil
}

func regions() []string {
	var out []string
	for _, w := range waves {
		out = append(out, w.Regions...)
	}
	return out
}

func pair(r string) string {
	i, _ := strconv.Atoi(r[1:])
	switch {
	case i >= 2 && i <= 7:
		return fmt.Sprintf("r%02d", i+6)
	case i >= 8 && i <= 13:
		return fmt.Sprintf("r%02d", i-6)
	}
	return ""
}

func namespace(app int, region string) string { return fmt.Sprintf("team-%02d-%s", app%teams, region) }

func appName(app int) string { return fmt.Sprintf("app-%04d", app) }

func (g *generator) setup() error {
	admin := "kubernetes-admin"
	for _, r := range regions() {
		if err := g.emit(admin, "create", at.RegionObject(r, pair(r))); err != nil {
			return err
		}
	}
	if err := g.emit(admin, "create", at.WavePlan("default", waves...)); err != nil {
		return err
	}
	if err := g.emit(admin, "create", at.AutomationPolicy("cleanup", []string{"ops/cleanup"}, nil, nil, "*")); err != nil {
		return err
	}
	if err := g.emit(admin, "create", at.ConfigRollout("platform-keys", "1.0.0", 1, 1)); err != nil {
		return err
	}
	for t := 0; t < teams; t++ {
		for _, r := range regions() {
			ns := namespace(t, r)
			if err := g.emit(admin, "create", at.Namespace(ns, r)); err != nil {
				return err
			}
			if err := g.emit(kcm, "create", at.ConfigMap(ns, "kube-root-ca.crt", map[string]string{"ca.crt": caCert})); err != nil {
				return err
			}
		}
	}
	// Every application everywhere, each region's data its own.
	for a := 0; a < g.apps; a++ {
		for _, r := range regions() {
			if err := g.emit(ci, "create", g.configMap(a, r, 0)); err != nil {
				return err
			}
			if err := g.emit(ci, "create", g.deployment(a, r, 0)); err != nil {
				return err
			}
		}
	}
	return nil
}

const caCert = "-----BEGIN CERTIFICATE-----\nMIIC/jCCAeagAwIBAgIBADANBgkqhkiG9w0BAQsFADAVMRMwEQYDVQQDEwprdWJlcm5ldGVzMB4XDTI0MDcxODEyMDAwMFoXDTM0MDcxNjEyMDAwMFowFTETMBEGA1UEAxMKa3ViZXJuZXRlczCCASIwDQYJKoZIhvcNAQEBBQADggEPADCCAQoCggEBAL\n-----END CERTIFICATE-----\n"

// configMap is an application's configuration in a region at a revision:
// per-region endpoints, shared settings, a change-id naming the revision.
func (g *generator) configMap(app int, region string, rev int) at.Object {
	data := map[string]string{
		"endpoint":      fmt.Sprintf("https://%s.%s.internal.example.com:8443", appName(app), region),
		"settings.json": fmt.Sprintf(`{"revision":%d,"featureFlags":{"newCheckout":%t,"fastPath":%t,"betaSearch":%t},"timeouts":{"connectMs":250,"readMs":%d},"retries":{"max":%d,"backoffMs":100},"log":{"level":"info","sampling":0.01}}`, rev, rev%2 == 0, rev%3 == 0, rev%5 == 0, 1000+rev%7*100, 3+rev%3),
		"limits.yaml":   fmt.Sprintf("rps: %d\nburst: %d\nmaxBodyBytes: 1048576\nallowedOrigins:\n- https://portal.example.com\n- https://admin.example.com\n", 100+rev%10*10, 200+rev%10*20),
	}
	opts := []at.Opt{at.Label("app.kubernetes.io/name", appName(app)), at.Label("app.kubernetes.io/part-of", fmt.Sprintf("team-%02d", app%teams))}
	if rev > 0 {
		// CI names each revision; the first, each region's own, predates it.
		opts = append(opts, at.Annotation("wavegate.io/change-id", fmt.Sprintf("%s-config-r%d", appName(app), rev)))
	}
	if app%5 == 0 {
		opts = append(opts, at.Protection("protected"))
	}
	return at.ConfigMap(namespace(app, region), appName(app)+"-config", data, opts...)
}

func (g *generator) deployment(app int, region string, rev int) at.Object {
	d := at.Deployment(namespace(app, region), appName(app), fmt.Sprintf("registry.example.com/%s:1.%d.0", appName(app), rev), 3+app%4,
		at.Label("app.kubernetes.io/name", appName(app)), at.Label("app.kubernetes.io/version", fmt.Sprintf("1.%d.0", rev)))
	if rev > 0 {
		at.Annotation("wavegate.io/change-id", fmt.Sprintf("%s-image-r%d", appName(app), rev))(d)
	}
	spec := d["spec"].(map[string]any)
	tmpl := spec["template"].(map[string]any)
	c := tmpl["spec"].(map[string]any)["containers"].([]any)[0].(map[string]any)
	var env []any
	env = append(env, map[string]any{"name": "REGION", "value": region})
	for i := 0; i < 12; i++ {
		env = append(env, map[string]any{"name": fmt.Sprintf("SETTING_%02d", i), "value": fmt.Sprintf("value-%d", i)})
	}
	c["env"] = env
	c["resources"] = map[string]any{"requests": map[string]any{"cpu": "250m", "memory": "256Mi"}, "limits": map[string]any{"cpu": "1", "memory": "512Mi"}}
	c["readinessProbe"] = map[string]any{"httpGet": map[string]any{"path": "/healthz", "port": 8080}, "periodSeconds": 5}
	c["ports"] = []any{map[string]any{"containerPort": 8080, "name": "http", "protocol": "TCP"}}
	spec["strategy"] = map[string]any{"type": "RollingUpdate", "rollingUpdate": map[string]any{"maxSurge": "25%", "maxUnavailable": "25%"}}
	tmpl["metadata"].(map[string]any)["labels"].(map[string]any)["app.kubernetes.io/version"] = fmt.Sprintf("1.%d.0", rev)
	return d
}

// step writes one slice of traffic.
func (g *generator) step() error {
	switch p := g.rnd.IntN(100); {
	case p < 55:
		return g.advanceRollout()
	case p < 65:
		return g.kubernetesNoise()
	case p < 73:
		a, r := g.rnd.IntN(g.apps), regions()[g.rnd.IntN(20)]
		return g.emit(ci, "update", at.Secret(namespace(a, r), appName(a)+"-creds", map[string]string{"rotated": "cm90YXRlZA=="}), metadataLevel, g.deniedIn(r))
	case p < 80:
		return g.rolloutStatus()
	case p < 90:
		return g.cleanupTemp()
	case p < 91:
		if g.rnd.IntN(20) == 0 {
			return g.freeze()
		}
		return g.kubernetesNoise()
	default:
		// A request the gate denied, here a change entering too fast.
		a := g.rnd.IntN(g.apps)
		return g.emit(ci, "update", g.configMap(a, regions()[19], g.rollouts[a].rev+1000), func(r *at.Request) { r.Code = 403 })
	}
}

var metadataLevel = func(r *at.Request) { r.Level = "Metadata" }

// deniedIn: the gate denies a write in a frozen region.
func (g *generator) deniedIn(region string) func(*at.Request) {
	frozen := g.frozen[region].After(g.now)
	return func(r *at.Request) {
		if frozen {
			r.Code = 403
		}
	}
}

// advanceRollout moves one application's change into its next wave, once
// the previous one baked (and the next wave is not frozen).
func (g *generator) advanceRollout() error {
	a := g.rnd.IntN(g.apps)
	ro := &g.rollouts[a]
	if g.now.Before(ro.nextAt) {
		return g.emit(ci, "patch", g.configMap(a, regions()[0], ro.rev), func(r *at.Request) { r.DryRun = true })
	}
	if ro.wave == len(waves) {
		*ro = rollout{rev: ro.rev + 1, image: g.rnd.IntN(3) == 0}
	}
	w := waves[ro.wave]
	for _, r := range w.Regions {
		if end, ok := g.frozen[r]; ok && g.now.Before(end) {
			// Denied by the Freeze: the rollout waits.
			return g.emit(ci, "patch", g.configMap(a, r, ro.rev), func(r *at.Request) { r.Code = 403 })
		}
	}
	for _, r := range w.Regions {
		if ro.image {
			if err := g.emit(ci, "patch", g.deployment(a, r, ro.rev)); err != nil {
				return err
			}
			if err := g.replicaSet(a, r, ro.rev); err != nil {
				return err
			}
			continue
		}
		if err := g.emit(ci, "patch", g.configMap(a, r, ro.rev)); err != nil {
			return err
		}
	}
	ro.nextAt = g.now.Add(w.Bake + time.Duration(g.rnd.IntN(600))*time.Second)
	ro.wave++
	return nil
}

// replicaSet: the Deployment controller's answer to an image bump; the
// garbage collector removes the ReplicaSet three revisions back.
func (g *generator) replicaSet(app int, region string, rev int) error {
	ns, name := namespace(app, region), appName(app)
	owner := at.Owner("Deployment", name, at.UID("deployments", ns, name))
	rs := at.Object{"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": map[string]any{"name": fmt.Sprintf("%s-%d", name, rev), "namespace": ns},
		"spec": map[string]any{"replicas": 3, "selector": map[string]any{"matchLabels": map[string]any{"app": name}},
			"template": g.deployment(app, region, rev)["spec"].(map[string]any)["template"]}}
	owner(rs)
	if err := g.emit(deployer, "create", rs); err != nil {
		return err
	}
	if rev >= 3 {
		return g.del(gc, "replicasets", ns, fmt.Sprintf("%s-%d", name, rev-3))
	}
	return nil
}

// kubernetesNoise: EndpointSlices follow pods.
func (g *generator) kubernetesNoise() error {
	a, r := g.rnd.IntN(g.apps), regions()[g.rnd.IntN(20)]
	var endpoints []any
	for i := 0; i < 3+a%4; i++ {
		endpoints = append(endpoints, map[string]any{"addresses": []any{fmt.Sprintf("10.%d.%d.%d", a%200, i, g.rnd.IntN(250))},
			"conditions": map[string]any{"ready": g.rnd.IntN(10) > 0, "serving": true, "terminating": false},
			"nodeName":   fmt.Sprintf("node-%s-%d", r, g.rnd.IntN(50)),
			"targetRef":  map[string]any{"kind": "Pod", "name": fmt.Sprintf("%s-%x", appName(a), g.rnd.Uint32()), "namespace": namespace(a, r)}})
	}
	slice := at.Object{"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
		"metadata":    map[string]any{"name": appName(a) + "-x7k2p", "namespace": namespace(a, r), "labels": map[string]any{"kubernetes.io/service-name": appName(a)}},
		"addressType": "IPv4", "endpoints": endpoints, "ports": []any{map[string]any{"name": "http", "port": 8080, "protocol": "TCP"}}}
	return g.emit(slices, "update", slice, func(r *at.Request) { r.Resource = "endpointslices"; r.APIGroup = "discovery.k8s.io" })
}

// rolloutStatus: Wavegate's controller reports a rollout's regions.
func (g *generator) rolloutStatus() error {
	var rs []at.RegionStatus
	for i, r := range regions() {
		state := "Converged"
		if i > 10 && g.rnd.IntN(3) == 0 {
			state = "Applied"
		}
		rs = append(rs, at.RegionStatus{Name: r, State: state, Version: "1.0.0"})
	}
	return g.emit(manager, "update", at.ConfigRollout("platform-keys", "1.0.0", 1, 1, rs...), func(r *at.Request) { r.Subresource = "status" })
}

// cleanupTemp: a job writes scratch ConfigMaps tagged deletable; the delete
// automation removes them.
func (g *generator) cleanupTemp() error {
	r := regions()[g.rnd.IntN(20)]
	ns := namespace(g.rnd.IntN(teams), r)
	g.temp++
	name := fmt.Sprintf("scratch-%d", g.temp)
	if g.frozen[r].After(g.now) {
		return g.emit(ci, "create", at.ConfigMap(ns, name, map[string]string{"job": strconv.Itoa(g.temp)}), g.deniedIn(r))
	}
	if err := g.emit(ci, "create", at.ConfigMap(ns, name, map[string]string{"job": strconv.Itoa(g.temp), "region": r}, at.Protection("deletable"))); err != nil {
		return err
	}
	return g.del(cleanup, "configmaps", ns, name, g.deniedIn(r))
}

// freeze: an incident freezes one region for half an hour.
func (g *generator) freeze() error {
	r := regions()[2+g.rnd.IntN(18)]
	if end, ok := g.frozen[r]; ok && g.now.Before(end) {
		return nil
	}
	g.freezes++
	g.frozen[r] = g.now.Add(30 * time.Minute)
	return g.emit(oncall, "create", at.Freeze(fmt.Sprintf("inc-%d", g.freezes), at.FreezeSpec{Regions: []string{r}, Reason: "incident in " + r,
		Ticket: fmt.Sprintf("INC-%d", 1000+g.freezes), ExpiresAt: g.now.Add(30 * time.Minute)}))
}

var memProfile string

// measure runs the checker as `wavegate audit` does and reports time and
// memory.
func measure(files []string) error {
	if len(files) == 0 {
		return fmt.Errorf("name the logs to check")
	}
	var peak atomic.Uint64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		var m runtime.MemStats
		for {
			runtime.ReadMemStats(&m)
			if m.HeapInuse > peak.Load() {
				peak.Store(m.HeapInuse)
			}
			select {
			case <-stop:
				return
			case <-time.After(50 * time.Millisecond):
			}
		}
	})
	start := time.Now()
	// What audit.Run does, with the checker kept for the heap profile.
	reader, err := audit.Open(files)
	if err != nil {
		return err
	}
	checker, err := invariants.New(invariants.Options{})
	if err != nil {
		return err
	}
	next := start.Add(5 * time.Second)
	for {
		e, err := reader.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		checker.Add(e)
		if time.Now().After(next) {
			events, bytes := reader.Progress()
			fmt.Fprintf(os.Stderr, "auditload: %d events, %.0f MiB, %.1f MB/s\n", events, float64(bytes)/(1<<20), float64(bytes)/1e6/time.Since(start).Seconds())
			next = time.Now().Add(5 * time.Second)
		}
	}
	wall := time.Since(start)
	_ = reader.Close()
	close(stop)
	wg.Wait()
	events, bytes := reader.Progress()
	rss := vmHWM()
	runtime.GC()
	var live runtime.MemStats
	runtime.ReadMemStats(&live)
	if memProfile != "" {
		f, err := os.Create(memProfile)
		if err != nil {
			return err
		}
		if err := pprof.WriteHeapProfile(f); err != nil {
			return err
		}
		_ = f.Close()
	}
	rep := &audit.Report{Files: reader.Files(), Summary: checker.Summary()}
	fmt.Printf("auditload: %s; %.1f MiB live at the end\n", rep.SummaryLine(), float64(live.HeapAlloc)/(1<<20))
	runtime.KeepAlive(checker)
	fmt.Printf("audit_1g: events=%d bytes=%d wall_s=%.1f mb_per_s=%.1f peak_heap_inuse_mib=%.1f peak_rss_mib=%.1f violations=%d\n",
		events, bytes, wall.Seconds(), float64(bytes)/1e6/wall.Seconds(), float64(peak.Load())/(1<<20), rss, rep.Summary.Total())
	return nil
}

// vmHWM is the process's peak resident set in MiB.
func vmHWM() float64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			kb, _ := strconv.ParseFloat(strings.Fields(line)[1], 64)
			return kb / 1024
		}
	}
	return -1
}
