# wisp — the two commands of the quick start (`make run`, `make test`) and their helpers.
BUILD      ?= build
BUILD_TYPE ?= RelWithDebInfo
JOBS       ?= $(shell nproc)
CMAKE_ARGS ?=
# full (-g) or lines (line tables only: a quicker build; CI and the sanitizer builds use it).
DEBUG_INFO ?= full
# The spec corpus, when not at ../shared/spec (see CMakeLists.txt).
SPEC_ARG   = $(if $(WISP_SPEC_DIR),-DWISP_SPEC_DIR=$(WISP_SPEC_DIR))

.PHONY: all deps configure build install deb run test test-sanitize fuzz bench format clean

all: build

deps:
	@bash scripts/install-deps.sh

configure: deps
	@cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) -DWISP_DEBUG_INFO=$(DEBUG_INFO) $(SPEC_ARG) $(CMAKE_ARGS) >/dev/null

build: configure
	@cmake --build $(BUILD) -j $(JOBS)

# `make install PREFIX=P`: the command, headers, libraries, CMake package and wisp.pc under P.
PREFIX ?= /usr/local
install: build
	@cmake --install $(BUILD) --prefix $(PREFIX)

# `make deb`: wisp_VERSION_amd64.deb and libwisp-dev_VERSION_amd64.deb in $(BUILD).
deb: build
	@cd $(BUILD) && cpack -G DEB

# The main job: `wisp serve` with the example routes (until Ctrl-C).
run: build
	@bash scripts/run-demo.sh $(BUILD)

# Without a spec corpus the tests pass without conformance, and say so before and after.
test: build
	@cat $(BUILD)/SPEC-CORPUS-MISSING.txt 2>/dev/null || true
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS) --timeout 600; rc=$$?; \
	  cat SPEC-CORPUS-MISSING.txt 2>/dev/null; exit $$rc

# Sanitizers: one clang build with ASan+UBSan (and libFuzzer's coverage, so that `make fuzz` uses
# the same build) runs the unit, CLI, `wisp serve`, C API, dynamic-linking and guest tests; a TSan build
# runs the unit tests that run threads. The unit tests run there as 4 GoogleTest shards (tests/CMakeLists.txt,
# WISP_UNIT_SHARDS): a sanitized process takes seconds to start.
# -O1 (ASan's advice): compiles a quarter faster than -O2 (Beast's templates, instrumented).
SAN_FLAGS = -O1 -g -DNDEBUG
# MutationFuzz's mutants under ASan (3000 in the release build): the same seed, the first 1500;
# all 3000 take ~460 s there, the one shard that holds them the sanitizer run's longest.
SAN_FUZZ_MUTANTS ?= 1500
SAN_CONFIGURE = cmake -S . -B $(BUILD)-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DWISP_FUZZ=ON \
	  -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ -DWISP_UNIT_SHARDS=4 -DWISP_DEBUG_INFO=lines \
	  "-DCMAKE_C_FLAGS_RELWITHDEBINFO=$(SAN_FLAGS)" "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=$(SAN_FLAGS)" $(SPEC_ARG) >/dev/null
test-sanitize: deps
	@$(SAN_CONFIGURE)
	@cmake --build $(BUILD)-fuzz -j $(JOBS)
	@cd $(BUILD)-fuzz && WISP_FUZZ_MUTANTS=$(SAN_FUZZ_MUTANTS) ctest --output-on-failure \
	  -L 'unit|cli|capi|dylink|guests' -j $(JOBS)
	@cmake -S . -B $(BUILD)-tsan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DWISP_SANITIZE=thread \
	  -DWISP_UNIT_SHARDS=4 -DWISP_DEBUG_INFO=lines $(SPEC_ARG) >/dev/null
	@cmake --build $(BUILD)-tsan -j $(JOBS) --target wisp_unit_tests
	@cd $(BUILD)-tsan && ctest --output-on-failure -L unit -j $(JOBS)

# libFuzzer targets (fuzz/, clang, ASan+UBSan), each run for FUZZ_SECONDS; see README "Fuzzing".
FUZZ_SECONDS ?= 60
fuzz: deps
	@$(SAN_CONFIGURE)
	@cmake --build $(BUILD)-fuzz -j $(JOBS) --target fuzz_targets
	@bash fuzz/run.sh $(BUILD)-fuzz $(FUZZ_SECONDS)

bench: build
	@bash bench/run.sh $(BUILD)

format:
	@clang-format -i $$(git ls-files '*.cpp' '*.hpp' '*.h' '*.c')

clean:
	rm -rf $(BUILD) $(BUILD)-asan $(BUILD)-tsan $(BUILD)-fuzz
