# p4w developer tasks. `make help` lists them.
#
# Targets that need PostgreSQL run through scripts/with-postgres.sh: it uses DATABASE_URL when set,
# and otherwise provisions a throwaway socket-only cluster under .data/ for the duration of the command.

GO         ?= go
BIN        := bin/p4w
WITH_PG    := scripts/with-postgres.sh
# Extra flags for `go test`, e.g. make test TESTFLAGS='-run TestEnrol -v'
TESTFLAGS  ?=
# Flags for the micro-benchmarks, e.g. make bench BENCHFLAGS='-benchtime=5s -count=5'
BENCHFLAGS ?= -benchtime=5s
# Rounds of the load benchmark: each round loads p4w and both baselines for half a second apiece
LOADROUNDS ?= 40
# Participants in the file of the import benchmark, e.g. make bench-import BENCHROWS=50000 for a quick run
BENCHROWS  ?= 1000000
# Enrolments of the report benchmark's national data set, e.g. make bench-reports BENCHENROLMENTS=100000 for a quick run,
# and the requests of each report it times
BENCHENROLMENTS ?= 1000000
BENCHRUNS  ?= 10
# What `p4w version` prints: the nearest git tag (with -dirty for uncommitted changes), or dev.
# The commit is stamped by the toolchain; -buildvcs=auto overrides a GOFLAGS=-buildvcs=false.
VERSION    ?= $(shell git describe --tags --dirty 2>/dev/null || echo dev)
BUILDFLAGS := -buildvcs=auto -ldflags "-X main.version=$(VERSION)"
# Configurations of the generated packages; each is run from its own directory. check-generated runs
# a copy of each whose output: points into a temporary directory (oapi-codegen prefers the config's
# output: over -o), so the working tree is never written.
GEN_CONFIGS := api/server.cfg.yaml pkg/client/client.cfg.yaml

.DEFAULT_GOAL := help

.PHONY: help generate check-generated build run reset vet test bench bench-import bench-reports lint lint-contract

help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  %-16s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

generate: ## regenerate code from openapi.yaml (go generate ./...)
	$(GO) generate ./...

check-generated: ## fail when committed generated code is stale (the working tree is not touched)
	@set -eu; \
	tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	stale=""; \
	for cfg in $(GEN_CONFIGS); do \
		if [ ! -f "$$cfg" ]; then echo "check-generated: $$cfg not found, skipped" >&2; continue; fi; \
		dir=$$(dirname "$$cfg"); \
		out=$$(sed -n 's/^output:[[:space:]]*//p' "$$cfg" | sed 's/[[:space:]]*#.*$$//; s/[[:space:]]*$$//; s/^["'\'']//; s/["'\'']$$//'); \
		if [ -z "$$out" ]; then echo "check-generated: $$cfg has no output: field" >&2; exit 1; fi; \
		up=$$(printf '%s' "$$dir" | sed 's|[^/][^/]*|..|g'); \
		name=$$(printf '%s' "$$cfg" | tr / _); gen="$$tmp/$$name.go"; \
		sed "s|^output:.*\$$|output: $$gen|" "$$cfg" > "$$tmp/$$name"; \
		grep -qx "output: $$gen" "$$tmp/$$name" || { echo "check-generated: cannot redirect the output of $$cfg" >&2; exit 1; }; \
		(cd "$$dir" && $(GO) tool oapi-codegen -config "$$tmp/$$name" -o "$$gen" "$$up/openapi.yaml"); \
		[ -s "$$gen" ] || { echo "check-generated: oapi-codegen wrote nothing for $$cfg" >&2; exit 1; }; \
		if ! cmp -s "$$gen" "$$dir/$$out"; then stale="$$stale $$dir/$$out"; fi; \
	done; \
	if [ -n "$$stale" ]; then \
		echo "generated code is stale: run make generate (stale:$$stale)" >&2; exit 1; \
	fi; \
	cmp -s openapi.yaml api/openapi.yaml || { echo "api/openapi.yaml differs from openapi.yaml: run make generate" >&2; exit 1; }; \
	echo "check-generated: generated code is up to date"

build: ## build the server into bin/p4w and the command line into bin/p4wctl
	$(GO) build $(BUILDFLAGS) -o $(BIN) ./cmd/p4w
	$(GO) build -o bin/p4wctl ./cmd/p4wctl

run: build ## migrate, seed demo data and serve, against DATABASE_URL or a throwaway local cluster
	$(WITH_PG) sh -c './$(BIN) migrate up && ./$(BIN) seed demo && P4W_WEBHOOK_ALLOW_HTTP_LOOPBACK=$${P4W_WEBHOOK_ALLOW_HTTP_LOOPBACK:-true} exec ./$(BIN) serve'

reset: build ## drop and recreate the demo database (DATABASE_URL's, or make run's local one), then migrate and seed it
	$(WITH_PG) sh -c 'scripts/reset-db.sh && ./$(BIN) migrate up && ./$(BIN) seed demo'

vet: ## go vet ./...
	$(GO) vet ./...

test: check-generated vet ## check generated code, vet, then run all tests with -race against PostgreSQL
	$(WITH_PG) $(GO) test -race -count=1 -timeout 25m $(TESTFLAGS) ./...

bench: ## auth micro-benchmarks, then the load benchmark: p4w against a net/http + pgx baseline on 100k participants
	$(GO) test -run '^$$' -bench . -benchmem $(BENCHFLAGS) ./internal/auth/
	$(WITH_PG) $(GO) test -run '^$$' -bench . -benchtime $(LOADROUNDS)x ./internal/loadtest/

bench-import: ## import BENCHROWS participants (1,000,000) through the API twice, beside psql \copy of the file; rows/s and the server's peak RSS
	P4W_BENCH_ROWS=$(BENCHROWS) $(WITH_PG) $(GO) test -run '^$$' -bench Import -benchtime 1x -timeout 2h ./internal/loadtest/importbench/

bench-reports: ## every funder report over a generated national data set of BENCHENROLMENTS enrolments (1,000,000): median, p95, hand-written SQL's median and ratio, figures checked
	P4W_BENCH_ENROLMENTS=$(BENCHENROLMENTS) P4W_BENCH_RUNS=$(BENCHRUNS) $(WITH_PG) $(GO) test -run '^$$' -bench Reports -benchtime 1x -timeout 2h ./internal/loadtest/reportbench/

bench-webhooks: ## the write path with one subscription to every event, paused and not, and without the outbox; delivery rate and lag to a local receiver
	$(WITH_PG) $(GO) test -run '^$$' -bench Webhooks -benchtime 1x -timeout 30m ./internal/loadtest/webhookbench/

lint: ## fail when gofmt would change a file
	@out=$$(gofmt -l .); \
	if [ -n "$$out" ]; then echo "gofmt -l reports unformatted files (run gofmt -w):"; echo "$$out"; exit 1; fi

lint-contract: ## lint openapi.yaml with Redocly CLI and Spectral (pinned, from npm; needs npm), failing on any warning
	scripts/lint-contract.sh
