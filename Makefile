# portls: `make demo` and `make test` are all a fresh Debian/Ubuntu machine needs.
# Each target runs scripts/bootstrap first when it has not run (or when it changed).

BUILD      ?= build
ASAN_BUILD ?= build-asan
MINIMAL_BUILD ?= build-minimal
SMALL_BUILD ?= build-small
SMALL_BENCH_BUILD ?= build-small-bench
OTA_SMALL_BUILD ?= build-ota-small
FUZZ_BUILD ?= build-fuzz
TSAN_BUILD ?= build-tsan
SYSTEM_BUILD ?= build-system
SMALL_OPTIONS := -DCONFIG_MBEDTLS_DYNAMIC_BUFFER=ON -DCONFIG_MBEDTLS_DYNAMIC_FREE_CONFIG_DATA=ON -DCONFIG_MBEDTLS_DYNAMIC_FREE_CA_CERT=ON \
	-DCONFIG_MBEDTLS_DYNAMIC_FREE_PEER_CERT=ON
BUILD_TYPE ?= RelWithDebInfo
PREFIX     ?= /usr/local
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
CACHE      := $(or $(PORTLS_CACHE),$(or $(XDG_CACHE_HOME),$(HOME)/.cache)/portls)
STAMP      := $(CACHE)/bootstrap.done
CMAKE_ARGS ?=
SANITIZER_ENV := ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

FUZZ_SECONDS ?= 300

.PHONY: all build asan tsan test-tsan small small-bench ota-small test test-normal test-asan test-small test-ota-small check-minimal \
	check-system demo bench bench-mem bench-http bench-mqtt bench-ota install clean bootstrap fuzz fuzz-build test-fuzz

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

# The whole suite twice: as built, and under AddressSanitizer + UndefinedBehaviorSanitizer; the
# tests that apply once more with the free-after-use options on; the library with every
# optional feature off; the suite on Debian's own mbedTLS packages; and each fuzz target for 10 s.
test: test-normal test-asan test-tsan test-small test-ota-small check-minimal check-system test-fuzz

# The log starts with the mbedTLS the build is made of (version, tarballs' SHA-256, patches).
test-normal: build
	$(BUILD)/tools/portls/portls --version
	cd $(BUILD) && ctest --output-on-failure -j$(JOBS)

# The fault-injection walks fail every allocation in turn, thousands of handshakes each: they
# run in the plain build (leaks show in the heap accounting) and under the sanitizers in
# test-small, whose dynamic buffers allocate at the most places; here they would take a third of
# make test's time to repeat them.
test-asan: asan
	cd $(ASAN_BUILD) && $(SANITIZER_ENV) ctest --output-on-failure -j$(JOBS) -E heap_walk

# The threaded tests (CTest label "threads") under ThreadSanitizer. Only they are built: they need
# no mbedTLS, which keeps this run short.
TSAN_TESTS := test_freertos
tsan: $(STAMP)
	cmake -S . -B $(TSAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DPORTLS_TSAN=ON $(CMAKE_ARGS)
	cmake --build $(TSAN_BUILD) -j$(JOBS) --target $(TSAN_TESTS)

test-tsan: tsan
	cd $(TSAN_BUILD) && TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 ctest --output-on-failure -j$(JOBS) -L threads

# Dynamic buffers and the free-after-use options on (a small device's configuration), under the
# sanitizers too: the buffers move under mbedTLS.
small: $(STAMP)
	cmake -S . -B $(SMALL_BUILD) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) -DPORTLS_SANITIZE=ON $(SMALL_OPTIONS) $(CMAKE_ARGS)
	cmake --build $(SMALL_BUILD) -j$(JOBS)

# Tests that look at the peer's certificate after the handshake do not apply there.
test-small: small
	cd $(SMALL_BUILD) && $(SANITIZER_ENV) ctest --output-on-failure -j$(JOBS) \
		-R 'free_after_use|handshake|session|psk|data|records|tcp|protocol|esp_tls_server|esp_tls_heap|mqtt|keylog|example_heap'

# A small device's OTA configuration: dynamic buffers and 4 KiB input records
# (CONFIG_MBEDTLS_SSL_IN_CONTENT_LEN), where only a partial download fits nginx's responses, and a
# whole answer fits from a server that keeps to record_size_limit (gnutls-serv). Only what its
# tests and bench-ota need is built. Unsanitized, it also counts the whole process's heap of
# ESP-IDF's mqtt/ssl_mutual_auth example against its 32 KiB budget.
OTA_SMALL_OPTIONS := $(SMALL_OPTIONS) -DCONFIG_MBEDTLS_SSL_IN_CONTENT_LEN=4096
ota-small: $(STAMP)
	cmake -S . -B $(OTA_SMALL_BUILD) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) $(OTA_SMALL_OPTIONS) $(CMAKE_ARGS)
	cmake --build $(OTA_SMALL_BUILD) -j$(JOBS) --target test_https_ota_small_records bench_ota_heap \
		test_example_heap_budget test_esp_tls_record_size_limit bench_esp_tls_heap bench_openssl_heap

test-ota-small: ota-small
	cd $(OTA_SMALL_BUILD) && ctest --output-on-failure \
		-R '^(test_https_ota_small_records|test_example_heap_budget|test_esp_tls_record_size_limit)$$'

# ESP-IDF's Kconfig defaults (the ESP-TLS and HTTP client features off), no TLS 1.3, no bundle
# and no key log: the paths behind those options must keep compiling, and the tests that apply to
# such a build run (arguments and the error record, version pins, record diagnostics, TCP, the
# global CA store, the transports, and SSLKEYLOGFILE ignored).
MINIMAL_TESTS := test_esp_tls_args test_esp_tls_protocol test_esp_tls_records test_esp_tls_tcp \
	test_esp_tls_ca_store test_tcp_transport test_esp_tls_keylog
empty :=
space := $(empty) $(empty)
check-minimal: $(STAMP)
	cmake -S . -B $(MINIMAL_BUILD) -DCONFIG_ESP_TLS_CLIENT_SESSION_TICKETS=OFF \
		-DCONFIG_ESP_TLS_SERVER_SESSION_TICKETS=OFF -DCONFIG_ESP_TLS_SERVER_CERT_SELECT_HOOK=OFF \
		-DCONFIG_ESP_TLS_SERVER_MIN_AUTH_MODE_OPTIONAL=OFF -DCONFIG_ESP_TLS_PSK_VERIFICATION=OFF \
		-DCONFIG_MBEDTLS_CERTIFICATE_BUNDLE=OFF -DCONFIG_MBEDTLS_SSL_PROTO_TLS1_3=OFF \
		-DCONFIG_ESP_HTTP_CLIENT_ENABLE_CUSTOM_TRANSPORT=OFF -DCONFIG_ESP_HTTP_CLIENT_SAVE_RESPONSE_HEADERS=OFF \
		-DPORTLS_KEYLOG=OFF $(CMAKE_ARGS)
	cmake --build $(MINIMAL_BUILD) -j$(JOBS) --target esp-tls tcp_transport esp_http_client $(MINIMAL_TESTS)
	cd $(MINIMAL_BUILD) && ctest --output-on-failure -j$(JOBS) -R '^($(subst $(space),|,$(MINIMAL_TESTS)))$$'

# PORTLS_MBEDTLS=system on Debian's binary mbedTLS 3.6 packages (scripts/bootstrap unpacks them into
# the cache; nothing is installed), then every test that applies there. Their config has neither
# MBEDTLS_PLATFORM_MEMORY nor the trusted-certificate callback, so heap accounting and the
# built-in bundle are off, and the record lengths are the library's.
SYSTEM_OPTIONS := -DPORTLS_MBEDTLS=system -DCMAKE_PREFIX_PATH=$(CACHE)/mbedtls-system/usr -DPORTLS_HEAP_ACCOUNTING=OFF \
	-DCONFIG_MBEDTLS_CERTIFICATE_BUNDLE=OFF -DCONFIG_MBEDTLS_SSL_OUT_CONTENT_LEN=16384
check-system: $(STAMP)
	scripts/bootstrap --system-mbedtls
	cmake -S . -B $(SYSTEM_BUILD) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) $(SYSTEM_OPTIONS) $(CMAKE_ARGS)
	cmake --build $(SYSTEM_BUILD) -j$(JOBS)
	$(SYSTEM_BUILD)/tools/portls/portls --version
	cd $(SYSTEM_BUILD) && ctest --output-on-failure -j$(JOBS)

demo: build
	scripts/demo $(BUILD)

# Measurements, compared within one run (these machines are noisy).
bench: build
	bench/run.sh $(BUILD) bundle

# esp_http_client against curl on one nginx: requests per second and download throughput.
bench-http: build
	bench/run.sh $(BUILD) http

# The MQTT client against libmosquitto on one mosquitto: publish rates, connect time, heap.
bench-mqtt: build
	bench/run.sh $(BUILD) mqtt

# One client connection's heap against a minimal OpenSSL client's, the whole process counted the
# same way for both (a malloc replacement, hence unsanitized builds); the table also goes to
# bench/results/ as JSON. The small-device configuration gets a build of its own for this; with
# 4 KiB input records (ota-small's build), the row against gnutls-serv, which keeps to
# record_size_limit.
small-bench: $(STAMP)
	cmake -S . -B $(SMALL_BENCH_BUILD) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) $(SMALL_OPTIONS) $(CMAKE_ARGS)
	cmake --build $(SMALL_BENCH_BUILD) -j$(JOBS)

bench-mem: build small-bench ota-small
	bench/run.sh $(BUILD) mem
	bench/run.sh $(SMALL_BENCH_BUILD) mem
	bench/run.sh $(OTA_SMALL_BUILD) mem

# A whole OTA update's heap: the default buffers (one request, then 3 KiB ranges), and dynamic
# buffers with 4 KiB input records and 3 KiB ranges; the table also goes to bench/results/ as JSON.
bench-ota: build ota-small
	bench/run.sh $(BUILD) ota $(OTA_SMALL_BUILD)

# The libFuzzer targets (the bundle parser, the HTTP response path, the WebSocket frames), built
# with clang, every library instrumented; each runs for FUZZ_SECONDS (make test: 10 s).
fuzz-build: $(STAMP)
	cmake -S . -B $(FUZZ_BUILD) -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug -DPORTLS_FUZZ=ON $(CMAKE_ARGS)
	cmake --build $(FUZZ_BUILD) -j$(JOBS) --target portls_fuzz

test-fuzz: fuzz-build
	cd $(FUZZ_BUILD) && FUZZ_SECONDS=10 ctest -L fuzz --output-on-failure -j$(JOBS)

fuzz: fuzz-build
	cd $(FUZZ_BUILD) && FUZZ_SECONDS=$(FUZZ_SECONDS) ctest -L fuzz --output-on-failure -j$(JOBS)

install: build
	cmake --install $(BUILD) --prefix $(PREFIX)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(TSAN_BUILD) $(SMALL_BUILD) $(SMALL_BENCH_BUILD) $(OTA_SMALL_BUILD) $(MINIMAL_BUILD) $(FUZZ_BUILD) \
		$(SYSTEM_BUILD)
