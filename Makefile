# asyncnet's commands. .ci/run calls `make ci`; README names `make test`.
GO          ?= go
STATICCHECK ?= honnef.co/go/tools/cmd/staticcheck@v0.8.2
PKGS        := ./...
## MATRIX: the packages whose tests run on each transport (yamux's
## transport matrix, docs/design.md): gnet, the default, with the rest,
## then memtransport (ASYNCNET_TRANSPORT=mem, internal/testutil).
MATRIX      := ./core ./stream ./server ./client
TEST_MEM    := ASYNCNET_TRANSPORT=mem $(GO) test -race -count=1 -shuffle=on $(MATRIX)

BENCH       := cd bench &&
PROM        := cd metrics/prom &&

CLUSTER     := $(GO) run ./examples/cluster

.PHONY: deps cluster-demo cluster-demo-reuseport test test-mem vet lint fmt fmt-check staticcheck layering crossvet bench bench-churn bench-go bench-mem bench-smoke fuzz-smoke ci

## deps: install what some tests and demos use, from Debian's packages, if
## missing: openssl (the openssl s_client test of examples/tls-echo),
## netcat-openbsd and socat (the half-close tests of the proxy examples),
## redis-server and redis-tools (examples/connector's backend; redis-cli and
## redis-benchmark drive examples/resp and examples/cluster), curl and wrk
## (examples/http), haproxy (examples/cluster). Tests skip, naming the tool,
## without them. Safe to run again: it installs only what is missing.
## haproxy lives in /usr/sbin, which a user's PATH may lack: it is looked
## for there too.
DEPS := openssl:openssl nc:netcat-openbsd socat:socat redis-server:redis-server \
	redis-cli:redis-tools redis-benchmark:redis-tools curl:curl wrk:wrk haproxy:haproxy
deps:
	@missing=""; for d in $(DEPS); do \
		PATH="$$PATH:/usr/sbin:/sbin" command -v $${d%%:*} >/dev/null 2>&1 || \
		case " $$missing " in *" $${d#*:} "*) ;; *) missing="$$missing $${d#*:}";; esac; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "deps: installing$$missing"; \
		sudo=""; [ "$$(id -u)" -eq 0 ] || sudo="sudo"; \
		{ $$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq $$missing; } >/dev/null 2>&1 || \
		echo "deps: could not install$$missing; the tests that use them will be skipped"; \
	fi

## cluster-demo: three examples/resp processes behind HAProxy, restarted
## one after another while redis-benchmark runs through HAProxy; prints the
## requests, the failures (0) and each backend's share (docs/scaling.md).
## cluster-demo-reuseport: the same processes on one port (SO_REUSEPORT),
## no balancer, and what the client sees as each is replaced.
## CLUSTERFLAGS passes flags (-settle 5s -n 50000 -c 50 -no-drain ...).
cluster-demo:
	$(CLUSTER) $(CLUSTERFLAGS)

cluster-demo-reuseport:
	$(CLUSTER) -mode reuseport $(CLUSTERFLAGS)

## test: vet, then every test with the race detector, in random order
## (the library, the MATRIX packages again on memtransport, then the
## modules of their own: the benchmark suite in bench/ and the Prometheus
## collector in metrics/prom/). ASYNCNET_TEST_SCALE=3 widens the time
## bounds of timing tests on a slow machine.
test: vet
	$(GO) test -race -count=1 -shuffle=on $(PKGS)
	$(TEST_MEM)
	$(BENCH) $(GO) test -race -count=1 -shuffle=on ./...
	$(PROM) $(GO) test -race -count=1 -shuffle=on ./...

## test-mem: only the MATRIX packages, on memtransport.
test-mem:
	$(TEST_MEM)

vet:
	$(GO) vet $(PKGS)
	$(BENCH) $(GO) vet ./...
	$(PROM) $(GO) vet ./...

## lint: formatting, vet, staticcheck, the gnet layering rule, other platforms.
lint: fmt-check vet staticcheck layering crossvet

fmt:
	gofmt -w .

fmt-check:
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "not gofmt-formatted:"; echo "$$out"; exit 1; fi

staticcheck:
	$(GO) run $(STATICCHECK) $(PKGS)
	$(BENCH) $(GO) run $(STATICCHECK) ./...
	$(PROM) $(GO) run $(STATICCHECK) ./...

## layering: only adapters/ may import gnet, and core must not reach it at all.
layering:
	@bad=$$($(GO) list -f '{{.ImportPath}} {{join .Imports " "}}' $(PKGS) | grep 'github.com/panjf2000/gnet' | awk '{print $$1}' | grep -v -e '/adapters$$' -e '/examples/' -e '/bench' || true); \
	if [ -n "$$bad" ]; then echo "these packages import gnet; only adapters/ may:"; echo "$$bad"; exit 1; fi
	@if $(GO) list -deps ./core ./conditions | grep -q 'github.com/panjf2000/gnet'; then echo "core depends on gnet"; exit 1; fi
	@echo "layering ok: gnet stays in adapters/"

crossvet:
	GOOS=darwin $(GO) vet $(PKGS)
	GOOS=windows $(GO) vet $(PKGS)
	GOOS=freebsd $(GO) vet $(PKGS)

## bench: the benchmark suite (bench/, docs/benchmarks.md): every server,
## interleaved, churn included, about 35 minutes; CSV and summary.md in
## bench/results, plots in docs/img. BENCHFLAGS passes flags to benchrun
## (-rounds 5 ...).
bench:
	bench/scripts/install-tools.sh
	$(BENCH) $(GO) run ./cmd/benchrun -out results $(BENCHFLAGS)
	$(BENCH) $(GO) run ./cmd/benchplot -in results -out ../docs/img

## bench-churn: only the short-lived connection loads (churn, the 10,000
## connection burst, wrk with Connection: close), 3 rounds of 2 s, about 5
## minutes; CSV and summary.md in bench/results/churn, the churn plot in
## docs/img/bench-churn.svg (the other plots are left as they are).
bench-churn:
	bench/scripts/install-tools.sh
	$(BENCH) $(GO) run ./cmd/benchrun -scenarios "" -idle 0 -tool-loads plaintext-close \
		-rounds 3 -warmup 500ms -duration 2s -out results/churn $(BENCHFLAGS)
	$(BENCH) $(GO) run ./cmd/benchplot -in results/churn -out ../docs/img -only bench-churn.svg

## bench-go: the library's Go benchmarks, with allocation counts.
bench-go:
	$(GO) test -run '^$$' -bench . -benchmem -count 5 $(PKGS)

## bench-mem: memory under abuse of the caps (bench/cmd/benchmem,
## docs/benchmarks.md): peers that never read, or flood, against the write
## and read caps; 3 rounds, under a minute. BENCHMEMFLAGS passes flags to
## benchmem (-json, -scenarios write-cap -n 100 -cap 8MiB ...).
bench-mem:
	$(BENCH) $(GO) run ./cmd/benchmem $(BENCHMEMFLAGS)

## bench-smoke: every Go benchmark once, and the suite for a few seconds,
## small (churn and a 100-connection burst included), plots included, so
## that none rots (no timing is checked).
bench-smoke:
	ASYNCNET_BENCH_IDLE=200 $(GO) test -run '^$$' -bench . -benchtime 1x $(PKGS)
	tmp=$$(mktemp -d) && $(BENCH) $(GO) run ./cmd/benchrun -smoke -out $$tmp && \
		$(GO) run ./cmd/benchplot -in $$tmp -out $$tmp && rm -rf $$tmp
	$(BENCH) $(GO) run ./cmd/benchmem -smoke

## fuzz-smoke: every fuzz target for a few seconds beyond its checked-in
## corpus (which `make test` already runs), so that none rots.
FUZZTIME ?= 5s
fuzz-smoke:
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME) ./internal/netaddr
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME) ./internal/proxyproto
	$(GO) test -run '^$$' -fuzz '^FuzzOptions$$' -fuzztime $(FUZZTIME) ./core
	$(GO) test -run '^$$' -fuzz '^FuzzParseReply$$' -fuzztime $(FUZZTIME) ./examples/connector

ci: test lint bench-smoke fuzz-smoke
