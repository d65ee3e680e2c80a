# dsoi-gen: generate DSOI Kubernetes operators.

GO ?= go
# kube-apiserver and etcd for envtest, built from the Go module proxy (hack/tools pins them).
K8S_ASSETS = $(shell hack/build-control-plane.sh)

.PHONY: all
all: build

.PHONY: build
build: ## Build dsoi-gen into bin/.
	$(GO) build -o bin/dsoi-gen ./cmd/dsoi-gen

.PHONY: example
example: ## Render the built-in Pinot example into ./pinot-operator.
	$(GO) run ./cmd/dsoi-gen init --example pinot ./pinot-operator

.PHONY: control-plane
control-plane: ## Build (once) the kube-apiserver and etcd that tests run against.
	hack/build-control-plane.sh

.PHONY: vet
vet:
	$(GO) vet ./...
	@test -z "$$(gofmt -l $$(git ls-files '*.go' | grep -v '^golden/'))" || { gofmt -l $$(git ls-files '*.go' | grep -v '^golden/'); echo "gofmt: files above need formatting"; exit 1; }

.PHONY: test
test: vet control-plane ## All tests: unit, golden trees, every golden project's own `make test`, the race detector, short fuzzing, then e2e.
	KUBEBUILDER_ASSETS="$(K8S_ASSETS)" $(GO) test -timeout 60m ./...
	$(MAKE) race
	$(MAKE) fuzz FUZZTIME=20s
	$(MAKE) e2e

FUZZTIME ?= 5m

.PHONY: fuzz
fuzz: ## Fuzz the description loader and the renderer, $(FUZZTIME) each (make test: 20s each).
	$(GO) test ./pkg/model -run '^$$' -fuzz FuzzLoad -fuzztime $(FUZZTIME) -fuzzminimizetime 5s
	$(GO) test ./pkg/scaffold -run '^$$' -fuzz FuzzRender -fuzztime $(FUZZTIME) -fuzzminimizetime 5s

.PHONY: race
# The injected-fault test drives one goroutine through many reconciles: slow under the race
# detector and nothing for it to find, so it runs only in the plain `go test ./...`.
race: control-plane ## The engine's fast tests and the runtime's tests (envtest included) under the race detector.
	$(GO) test -race -short ./pkg/...
	KUBEBUILDER_ASSETS="$(K8S_ASSETS)" $(GO) test -race -skip TestReconcileSurvivesInjectedFaults ./runtime/...

.PHONY: golden
golden: ## Rewrite the golden trees from the current templates.
	$(GO) test ./golden -run TestGoldenTrees -update

.PHONY: bench
bench: bench-render bench-upgrade bench-e2e bench-scale ## All figures: render and upgrade benchmarks, each golden operator on a KWOK cluster, then 100 CRs.

.PHONY: bench-render
bench-render: ## Render time and allocations per golden case and for 10, 50 and 200 node types.
	$(GO) test -run '^$$' -bench . -benchmem ./pkg/scaffold

.PHONY: bench-upgrade
bench-upgrade: ## One three-way merge, and planning the upgrade of an up-to-date project (render, go mod tidy, controller-gen).
	$(GO) test -run '^$$' -bench . -benchmem -benchtime 3x ./pkg/upgrade

.PHONY: e2e
e2e: ## End-to-end tests: every golden operator on a KWOK cluster (real API server, controllers, scheduler).
	DSOI_E2E=1 DSOI_K8S_BIN="$$(hack/build-control-plane.sh all)" $(GO) test ./test/e2e -count=1 -v -timeout 60m

.PHONY: bench-scale
SCALE ?= 100
bench-scale: ## One operator for $(SCALE) CRs on a KWOK cluster against the cluster alone: time to Available, upgrades, requests, memory.
	@log=$$(mktemp); DSOI_E2E=1 DSOI_E2E_BENCH=1 DSOI_SCALE=$(SCALE) DSOI_K8S_BIN="$$(hack/build-control-plane.sh all)" \
		$(GO) test ./test/e2e -run TestScale -v -count=1 -timeout 60m >$$log 2>&1; status=$$?; \
		grep '^SCALE' $$log; [ $$status -eq 0 ] || tail -100 $$log; rm -f $$log; exit $$status

.PHONY: bench-e2e
bench-e2e: ## The e2e figures of every golden operator (time to Available, upgrade, requests, memory), one E2E line each.
	@log=$$(mktemp); DSOI_E2E=1 DSOI_E2E_BENCH=1 DSOI_K8S_BIN="$$(hack/build-control-plane.sh all)" \
		$(GO) test ./test/e2e -run TestE2E -v -count=1 -timeout 60m >$$log 2>&1; status=$$?; \
		grep '^E2E' $$log; [ $$status -eq 0 ] || tail -100 $$log; rm -f $$log; exit $$status
