# Thin wrapper around CMake: install what is missing, configure, build, run.
#   make run     build and open the TUI on a demo store
#   make test    build (plain, ASan+UBSan, libFuzzer) and run every test
#   make bench   build and print the DESIGN.md section 8 figures
.PHONY: all deps deps-test deps-bench build run test bench demo clean

BUILD_PACKAGES := build-essential cmake pkg-config libncurses-dev libuv1-dev libcjson-dev \
	libreadline-dev liblmdb-dev libssl-dev
TEST_PACKAGES := libcmocka-dev memcached sasl2-bin libsasl2-modules tmux libmemcached-dev \
	libmemcached-tools openssl clang libclang-rt-14-dev python3
BENCH_PACKAGES := jq memcached

BUILD ?= build
WERROR ?= ON
JOBS ?= 2
DEMO_STORE ?= $(BUILD)/demo.kvdb
CMAKE_FLAGS := -DCMAKE_BUILD_TYPE=RelWithDebInfo -DKV_WERROR=$(WERROR)

all: build

# Installs missing Debian packages when run as root; otherwise prints the apt-get line and stops.
deps:
	@scripts/ensure-packages $(BUILD_PACKAGES)

deps-test:
	@scripts/ensure-packages $(BUILD_PACKAGES) $(TEST_PACKAGES)

deps-bench:
	@scripts/ensure-packages $(BUILD_PACKAGES) $(BENCH_PACKAGES)

build: deps
	@cmake -S . -B $(BUILD) $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD) -j$(JOBS)

demo: build
	@rm -rf $(DEMO_STORE) $(DEMO_STORE)-lock
	@$(BUILD)/kvtui -s file:$(DEMO_STORE) import assets/demo/demo.jsonl

run: demo
	$(BUILD)/kvtui -s file:$(DEMO_STORE)

test: deps-test
	@cmake -S . -B $(BUILD) $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD) -j$(JOBS)
	@cmake -S . -B $(BUILD)-asan $(CMAKE_FLAGS) -DKV_SANITIZE=ON >/dev/null
	@cmake --build $(BUILD)-asan -j$(JOBS)
	@CC=clang cmake -S . -B $(BUILD)-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DKV_FUZZ=ON >/dev/null
	@cmake --build $(BUILD)-fuzz -j$(JOBS)
	@scripts/run-tests $(BUILD) $(BUILD)-asan $(BUILD)-fuzz

bench: deps-bench build
	@$(BUILD)/tests/kvbench $(BUILD)/bench

clean:
	rm -rf $(BUILD) $(BUILD)-asan $(BUILD)-fuzz
