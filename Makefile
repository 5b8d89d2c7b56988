# portls: `make demo` and `make test` are all a fresh Debian/Ubuntu machine needs.
# Each target runs scripts/bootstrap first when it has not run (or when it changed).

BUILD      ?= build
ASAN_BUILD ?= build-asan
BUILD_TYPE ?= RelWithDebInfo
PREFIX     ?= /usr/local
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
CACHE      := $(or $(PORTLS_CACHE),$(or $(XDG_CACHE_HOME),$(HOME)/.cache)/portls)
STAMP      := $(CACHE)/bootstrap.done
CMAKE_ARGS ?=

FUZZ_SECONDS ?= 300

.PHONY: all build asan test test-normal test-asan demo bench install clean bootstrap fuzz

all: build

bootstrap: $(STAMP)

$(STAMP): scripts/bootstrap
	scripts/bootstrap

build: $(STAMP)
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) $(CMAKE_ARGS)
	cmake --build $(BUILD) -j$(JOBS)

asan: $(STAMP)
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DPORTLS_SANITIZE=ON $(CMAKE_ARGS)
	cmake --build $(ASAN_BUILD) -j$(JOBS)

# The whole suite twice: as built, and under AddressSanitizer + UndefinedBehaviorSanitizer.
test: test-normal test-asan

test-normal: build
	cd $(BUILD) && ctest --output-on-failure -j$(JOBS)

test-asan: asan
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest --output-on-failure -j$(JOBS)

demo: build
	scripts/demo $(BUILD)

# Measurements, compared within one run (these machines are noisy).
bench: build
	bench/run.sh $(BUILD)

# The bundle parser under libFuzzer for FUZZ_SECONDS (make test runs it for 10 s).
fuzz: build
	tests/gen_certs.sh $(BUILD)/test-pki
	cd $(BUILD) && FUZZ_SECONDS=$(FUZZ_SECONDS) ctest -R fuzz_crt_bundle --output-on-failure

install: build
	cmake --install $(BUILD) --prefix $(PREFIX)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
