# Wavegate: a safe-deployment gate for Kubernetes.
# Every tool is pinned here and built from Go modules into bin/, never downloaded
# as a prebuilt binary. A tool is rebuilt only when its pinned version changes.

##@ Versions

CONTROLLER_TOOLS_VERSION ?= v0.23.0
GOLANGCI_LINT_VERSION ?= v2.15.0
OPA_VERSION ?= v1.22.3
HELM_VERSION ?= v3.22.0
KWOK_VERSION ?= v0.8.0
# PROMETHEUS_VERSION is the Go module version of github.com/prometheus/prometheus
# (v0.316.0 is Prometheus 3.16); the health-gate tests scrape through it.
PROMETHEUS_VERSION ?= v0.316.0
# ENVTEST_K8S_VERSION is the kube-apiserver built for envtest; etcd follows
# the version that k8s.io/kubernetes requires.
ENVTEST_K8S_VERSION ?= 1.37.2

SHELL := /usr/bin/env bash -o pipefail
.SHELLFLAGS := -ec

LOCALBIN ?= $(CURDIR)/bin
CONTROLLER_GEN ?= $(LOCALBIN)/controller-gen-$(CONTROLLER_TOOLS_VERSION)
GOLANGCI_LINT ?= $(LOCALBIN)/golangci-lint-$(GOLANGCI_LINT_VERSION)
OPA ?= $(LOCALBIN)/opa-$(OPA_VERSION)
HELM ?= $(LOCALBIN)/helm-$(HELM_VERSION)
KWOK ?= $(LOCALBIN)/kwok-$(KWOK_VERSION)
KWOKCTL ?= $(LOCALBIN)/kwokctl-$(KWOK_VERSION)
PROMETHEUS ?= $(LOCALBIN)/prometheus-$(PROMETHEUS_VERSION)
ENVTEST_ASSETS ?= $(LOCALBIN)/k8s/$(ENVTEST_K8S_VERSION)-$(shell go env GOOS)-$(shell go env GOARCH)

GO_TEST_FLAGS ?= -race -count=1

.PHONY: all
all: build

##@ General

.PHONY: help
help: ## Show this help.
	@awk 'BEGIN {FS = ":.*##"; printf "\nUsage:\n  make \033[36m<target>\033[0m\n"} /^[a-zA-Z_0-9-]+:.*?##/ { printf "  \033[36m%-16s\033[0m %s\n", $$1, $$2 } /^##@/ { printf "\n\033[1m%s\033[0m\n", substr($$0, 5) } ' $(MAKEFILE_LIST)

##@ Development

.PHONY: generate
generate: controller-gen ## Generate deepcopy code for the API types.
	$(CONTROLLER_GEN) object:headerFile="hack/boilerplate.go.txt" paths="./api/..."

.PHONY: manifests
manifests: controller-gen ## Generate CRDs, RBAC and webhook configuration under config/.
	$(CONTROLLER_GEN) rbac:roleName=manager crd webhook \
		paths="./api/..." paths="./controllers/..." paths="./cmd/..." paths="./internal/..." \
		output:crd:artifacts:config=config/crd/bases \
		output:rbac:artifacts:config=config/rbac \
		output:webhook:artifacts:config=config/webhook
	go run ./hack/gen-gate-webhook config/webhook/gate.yaml
	go run ./hack/gen-gate-webhook -agent config/agent/gate.yaml
	rm -f charts/wavegate/crds/*.yaml && cp config/crd/bases/*.yaml charts/wavegate/crds/
	cp config/rbac/role.yaml config/rbac/aggregated.yaml config/rbac/user_roles.yaml config/admissionpolicy/policies.yaml \
		config/webhook/manifests.yaml config/webhook/gate.yaml charts/wavegate/files/
	cp config/agent/gate.yaml charts/wavegate/files/gate-agent.yaml

.PHONY: fmt
fmt: golangci-lint ## Format the code (gofmt and goimports, as lint checks them).
	$(GOLANGCI_LINT) fmt ./...

.PHONY: vet
vet: ## Run go vet.
	go vet ./...
	go vet -tags e2e ./internal/test/e2e/... ./hack/demo/...

.PHONY: lint
lint: golangci-lint ## Run golangci-lint, also on the real-cluster suites (build tag e2e).
	$(GOLANGCI_LINT) run ./...
	$(GOLANGCI_LINT) run --build-tags e2e ./internal/test/e2e/... ./hack/demo/...

.PHONY: test
test: envtest test-rego helm prometheus ## Run unit, Rego, chart and envtest suites with -race against a real kube-apiserver, etcd and Prometheus.
	KUBEBUILDER_ASSETS="$(ENVTEST_ASSETS)" HELM="$(HELM)" WAVEGATE_PROMETHEUS="$(PROMETHEUS)" go test $(GO_TEST_FLAGS) ./...

# FUZZTIME is how long each fuzz target runs beyond its checked-in corpus
# (testdata/fuzz/<target>/, which make test already runs as plain tests).
FUZZTIME ?= 10s
# FUZZMINIMIZETIME bounds the shrinking of each new interesting input, which
# otherwise takes up to a minute and stalls a short run.
FUZZMINIMIZETIME ?= 2s

.PHONY: fuzz
fuzz: ## Run every Go fuzz target (func FuzzXxx in a _test.go file) for FUZZTIME each, one at a time.
	@set -e; for file in $$(grep -rl --include='*_test.go' '^func Fuzz' cmd controllers internal | sort); do \
		for target in $$(sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*/\1/p' $$file); do \
			echo "-- $$target in ./$$(dirname $$file) for $(FUZZTIME)"; \
			go test -run='^$$' -fuzz="^$$target\$$" -fuzztime=$(FUZZTIME) -fuzzminimizetime=$(FUZZMINIMIZETIME) ./$$(dirname $$file); \
		done; \
	done

# INVARIANTS_CHECKS is how many generated histories make invariants tries
# (make test tries rapid's default of 100 with the rest of the suites).
INVARIANTS_CHECKS ?= 20000

.PHONY: invariants
invariants: ## Search generated histories for a request the gate admits against the safety invariants (docs/spec.md §11), for INVARIANTS_CHECKS histories.
	go test -count=1 -timeout 60m -run 'TestAdmittedHistoriesKeepThePromise|TestAChangeThatFollowsThePlanIsAdmitted' \
		./internal/test/histories/ -rapid.checks=$(INVARIANTS_CHECKS)

# REAL_CLUSTER_ENV tells the real-cluster harness (internal/realcluster) where
# its binaries are; every one of them is built from Go modules into bin/.
REAL_CLUSTER_ENV = WAVEGATE_K8S_BIN="$(ENVTEST_ASSETS)" WAVEGATE_KWOK="$(KWOK)" WAVEGATE_KWOKCTL="$(KWOKCTL)" \
	HELM="$(HELM)" WAVEGATE_PROMETHEUS="$(PROMETHEUS)" WAVEGATE_MANAGER="$(LOCALBIN)/manager" WAVEGATE_CLI="$(LOCALBIN)/wavegate" \
	PATH="$(ENVTEST_ASSETS):$$PATH"
E2E_FLAGS ?= -count=1 -p 1 -timeout 30m -v

.PHONY: e2e
e2e: cluster-tools prometheus build ## Run the suites on a real cluster (kwok, binary runtime) with Wavegate installed from the chart.
	$(REAL_CLUSTER_ENV) go test -tags e2e $(E2E_FLAGS) ./internal/test/e2e/... ./hack/demo/...

.PHONY: test-rego
test-rego: opa ## Run the Rego policy tests with the opa command line, and check their formatting.
	$(OPA) test policies
	@unformatted=$$($(OPA) fmt --list policies); \
	if [ -n "$$unformatted" ]; then echo "opa fmt would change: $$unformatted (run $(OPA) fmt -w policies)"; exit 1; fi

.PHONY: verify
verify: generate manifests ## Regenerate, check formatting and vet; fail when the tree is dirty or unformatted.
	@unformatted=$$(gofmt -s -l $$(git ls-files '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt -s would change: $$unformatted (run make fmt)"; exit 1; fi
	go vet ./...
	go vet -tags e2e ./internal/test/e2e/... ./hack/demo/...
	@if git grep -nE '^(<<<<<<<|>>>>>>>)( |$$)' -- ':!bin'; then echo "merge conflict markers are committed (above)"; exit 1; fi
	@if [ -n "$$(git status --porcelain -- api config charts)" ]; then \
		echo "Generated files are stale; run 'make generate manifests' and commit:"; \
		git status --porcelain -- api config charts; git --no-pager diff --stat -- api config charts; exit 1; \
	fi
	@echo "Generated files are up to date."

##@ Benchmarks

# BENCH_FLAGS go to hack/bench: -decide-count, -decide-benchtime, -freeze-count, -heap-flags.
# BENCH_HEAP=0 skips the manager heap at 100,000 objects (hack/heap, about 2 minutes) and prints n/a.
BENCH_FLAGS ?=

.PHONY: bench
bench: envtest ## Run the decision and freeze-propagation benchmarks; the last line is decide_p99_us=… freeze_pause_1000_s=… webhook_p99_ms=… webhook_ratio=… heap_100k_mib=… burst200_errors=… burst200_p99_ms=… restore_ratio=… (n/a: not measured; BENCH_WEBHOOK=1 after make build cluster-tools adds hack/webhookload).
	$(REAL_CLUSTER_ENV) KUBEBUILDER_ASSETS="$(ENVTEST_ASSETS)" go run ./hack/bench $(BENCH_FLAGS)

.PHONY: webhookload
webhookload: cluster-tools build ## Measure the webhook as the API server sees it on a real cluster: last line webhook_p99_ms=… webhook_ratio=….
	$(REAL_CLUSTER_ENV) go run ./hack/webhookload $(WEBHOOKLOAD_FLAGS)

##@ Demo

.PHONY: demo
demo: cluster-tools prometheus build ## Run Wavegate on a real local cluster with Prometheus, roll out wave by wave, replay the four outages, show a health gate halt, revert and freeze, and stay up until Ctrl-C.
	@echo "Building the demo (a first run also builds the Kubernetes control plane, kwok and the tools from Go modules: 15 to 25 minutes on 2 cores)"
	go build -o $(LOCALBIN)/wavegate-demo ./hack/demo
	$(REAL_CLUSTER_ENV) $(LOCALBIN)/wavegate-demo

.PHONY: demo-multicluster
demo-multicluster: cluster-tools build ## Run a hub and two regional clusters (Wavegate in mode hub and agent), roll out across them wave by wave, pause every region from the hub, and stay up until Ctrl-C.
	go build -o $(LOCALBIN)/wavegate-demo ./hack/demo
	$(REAL_CLUSTER_ENV) $(LOCALBIN)/wavegate-demo --multicluster

.PHONY: dev
dev: cluster-tools prometheus build ## Like demo, without the replays and the health gate: a real local cluster with Wavegate, Prometheus and the samples.
	go build -o $(LOCALBIN)/wavegate-demo ./hack/demo
	$(REAL_CLUSTER_ENV) $(LOCALBIN)/wavegate-demo --replay=false --health=false

##@ Build

.PHONY: build
build: ## Build the manager, the wavegate CLI and its kubectl plugin name into bin/.
	go build -o $(LOCALBIN)/manager ./cmd/manager
	go build -o $(LOCALBIN)/wavegate ./cmd/wavegate
	cp $(LOCALBIN)/wavegate $(LOCALBIN)/kubectl-wavegate

.PHONY: run
run: manifests generate ## Run the manager against the current kubeconfig.
	go run ./cmd/manager

##@ Tools

.PHONY: tools
tools: controller-gen golangci-lint opa helm envtest cluster-tools prometheus ## Build every pinned tool into bin/.

.PHONY: controller-gen
controller-gen: $(CONTROLLER_GEN) ## Build controller-gen.
$(CONTROLLER_GEN):
	$(call go-install-tool,$(CONTROLLER_GEN),sigs.k8s.io/controller-tools/cmd/controller-gen,$(CONTROLLER_TOOLS_VERSION))

.PHONY: golangci-lint
golangci-lint: $(GOLANGCI_LINT) ## Build golangci-lint.
$(GOLANGCI_LINT):
	$(call go-install-tool,$(GOLANGCI_LINT),github.com/golangci/golangci-lint/v2/cmd/golangci-lint,$(GOLANGCI_LINT_VERSION))

.PHONY: opa
opa: $(OPA) ## Build the opa command line.
$(OPA):
	$(call go-install-tool,$(OPA),github.com/open-policy-agent/opa,$(OPA_VERSION))

.PHONY: helm
helm: $(HELM) ## Build helm.
$(HELM):
	$(call go-install-tool,$(HELM),helm.sh/helm/v3/cmd/helm,$(HELM_VERSION))

.PHONY: envtest
envtest: $(ENVTEST_ASSETS)/etcd ## Build kube-apiserver and etcd for envtest from Go modules.
$(ENVTEST_ASSETS)/etcd:
	hack/build-envtest.sh v$(ENVTEST_K8S_VERSION) $(ENVTEST_ASSETS)

.PHONY: cluster-tools
cluster-tools: envtest kwok kwokctl helm $(ENVTEST_ASSETS)/kube-scheduler ## Build everything a real local cluster needs: the control plane, kubectl, kwok and kwokctl.
$(ENVTEST_ASSETS)/kube-scheduler:
	@echo "Building kube-controller-manager, kube-scheduler and kubectl from Go modules (cold: a few minutes on 2 cores)"
	hack/build-envtest.sh v$(ENVTEST_K8S_VERSION) $(ENVTEST_ASSETS) kube-controller-manager kube-scheduler kubectl

.PHONY: kwok
kwok: $(KWOK) ## Build kwok (fake nodes).
$(KWOK):
	$(call go-install-tool,$(KWOK),sigs.k8s.io/kwok/cmd/kwok,$(KWOK_VERSION))

.PHONY: kwokctl
kwokctl: $(KWOKCTL) ## Build kwokctl (starts a real local cluster with the binary runtime).
$(KWOKCTL):
	$(call go-install-tool,$(KWOKCTL),sigs.k8s.io/kwok/cmd/kwokctl,$(KWOK_VERSION))

.PHONY: prometheus
prometheus: $(PROMETHEUS) ## Build the Prometheus server (scrapes the test exporters of the health-gate suites).
$(PROMETHEUS):
	@echo "Building Prometheus from Go modules (cold: about 4 minutes on 2 idle cores, 20 or more on a busy machine)"
	$(call go-install-tool,$(PROMETHEUS),github.com/prometheus/prometheus/cmd/prometheus,$(PROMETHEUS_VERSION))

.PHONY: envtest-path
envtest-path: envtest ## Print the KUBEBUILDER_ASSETS directory.
	@echo $(ENVTEST_ASSETS)

# go-install-tool builds a tool at a pinned version into bin/<name>-<version>.
# $1 target path, $2 package, $3 version.
define go-install-tool
@[ -f "$(1)" ] || { \
	set -e; \
	echo "Building $(2)@$(3) into $(1)"; \
	tmp=$$(mktemp -d); \
	GOBIN=$$tmp go install $(2)@$(3); \
	mkdir -p $(LOCALBIN); \
	mv $$tmp/$$(basename $(2)) $(1); \
	rm -rf $$tmp; \
}
endef
