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
test: vet control-plane ## All tests: unit, golden trees, and every golden project's own `make test`.
	KUBEBUILDER_ASSETS="$(K8S_ASSETS)" $(GO) test -timeout 60m ./...

.PHONY: golden
golden: ## Rewrite the golden trees from the current templates.
	$(GO) test ./golden -run TestGoldenTrees -update

.PHONY: bench
bench: ## Render time and allocations per golden case and for 10, 50 and 200 node types.
	$(GO) test -run '^$$' -bench . -benchmem ./pkg/scaffold
