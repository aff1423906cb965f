# stampede — see README.md. Every target works on a fresh clone.
GO      ?= go
BIN     := bin/stampede
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X main.version=$(VERSION)
PKGS    := ./...

.PHONY: build demo test lint bench bench-compare fuzz fmt clean

## build: compile bin/stampede
build:
	$(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/stampede

## demo: attack the built-in simulation of the seed APIs; reports in stampede-demo/
demo: build
	./$(BIN) demo --dir stampede-demo

## lint: gofmt check, go vet, and go.mod/go.sum exactly as go mod tidy leaves them
lint:
	@unformatted=$$(gofmt -l .); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed on:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet $(PKGS)
	@$(GO) mod tidy -diff || { echo "go.mod or go.sum is not tidy: run go mod tidy"; exit 1; }

## test: lint (gofmt, vet, go mod tidy), then every test (fuzz seed corpora included) with the race detector
test: lint
	$(GO) test -race -count=1 -timeout 8m $(PKGS)

## bench: Go benchmarks of the hot paths, then a quick side-by-side run against vegeta (bench-compare QUICK=1)
bench:
	$(GO) test -run '^$$' -bench . -benchmem -count 1 $(PKGS)
	QUICK=1 $(GO) run ./scripts/benchcompare

## bench-compare: stampede vs the pinned vegeta on a local target, alternating pairs, medians, ratios and goals (~9 min; PAIRS=2, QUICK=1, ONLY=a,b,c,d,e,f, OUT=bench-out; docs/performance.md)
bench-compare:
	$(GO) run ./scripts/benchcompare

## fuzz: every fuzz target for FUZZTIME each (default 60s; FUZZTIME=5s make fuzz for a quick pass)
fuzz:
	GO=$(GO) ./scripts/fuzz.sh

## fmt: format the code
fmt:
	gofmt -w $$(git ls-files '*.go')

clean:
	rm -rf bin stampede-results.bin stampede-demo bench-out
