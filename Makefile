# Convenience wrapper around CMake; the two commands of the README live here.
#   make example   install build dependencies, build, run why502 on the bundled capture (text
#                  report on the terminal, HTML report in $(BUILD)/example.html)
#   make test      install everything the tests need, build (plain and sanitized), run ctest
#   make release   the fastest build (Release, link-time and profile-guided optimisation) in
#                  $(RELEASE_BUILD)/why502: the one bench/ measures
BUILD ?= build
ASAN_BUILD ?= build-asan
RELEASE_BUILD ?= build-release
JOBS ?= 2
EXAMPLE ?= examples/squid-forward-proxy.pcap

.PHONY: all deps deps-test build example test asan release unit docs clean

all: build

deps:
	scripts/install-deps.sh --build-only

deps-test:
	scripts/install-deps.sh

build:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build $(BUILD) -j$(JOBS)

example: deps build
	$(BUILD)/why502 --html $(BUILD)/example.html $(EXAMPLE); test $$? -le 1
	@echo "HTML report: $(BUILD)/example.html"

asan:
	CC=clang cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DWHY_SANITIZE=ON -DWHY_WERROR=ON -DWHY_LAB=OFF >/dev/null
	cmake --build $(ASAN_BUILD) -j$(JOBS)

release: deps
	scripts/build-release.sh --dir $(RELEASE_BUILD) --jobs $(JOBS)

# Every test: the sanitized build, then the plain build with the lab (scripts/run-tests.sh).
# The last line is "N passed, N failed" over both runs.
test: deps-test
	scripts/run-tests.sh

docs: build
	$(BUILD)/why502 --man > docs/why502.1
	$(BUILD)/why502 --causes > docs/causes.md

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(RELEASE_BUILD)
