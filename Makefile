# koko: the two commands that do everything on a fresh Debian 12 machine.
#   make run   installs what is missing, builds, analyses the bundled sample, writes report/index.html
#   make test  installs what is missing, builds and runs the whole test suite
BUILD ?= build
JOBS ?= $(shell nproc)
export CCACHE_DIR ?= $(CURDIR)/$(BUILD)/.ccache
KOKO_LANG ?= en

.PHONY: all deps configure build run test asan bench clean format

all: build

deps:
	@scripts/install-deps

$(BUILD)/build.ninja: | deps
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo

configure: deps $(BUILD)/build.ninja

build: configure
	cmake --build $(BUILD) -j $(JOBS)

run: build
	$(BUILD)/koko --workspace sample.koko.db analyze data/sample --out report --lang $(KOKO_LANG)
	@echo "report: $(CURDIR)/report/index.html"

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

# Address and undefined-behaviour sanitizers over the whole suite, in a build folder of their own.
asan: deps
	cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DKOKO_SANITIZE=ON -DKOKO_BENCH=OFF
	cmake --build build-asan -j $(JOBS)
	cd build-asan && ctest --output-on-failure -j $(JOBS)

bench: build
	bench/run

format:
	clang-format -i $$(git ls-files '*.cpp' '*.hpp')

clean:
	rm -rf $(BUILD) build-asan

# libFuzzer over the readers, encodings and field parsers (docs/fuzzing.md), FUZZ_SECONDS long (default 10 min).
# Built with clang (installed here when missing); new corpus entries go to $(FUZZ_DIR)/corpus, crashes to
# $(FUZZ_DIR)/artifacts. Replay one input: $(FUZZ_DIR)/fuzz_readers FILE
FUZZ_SECONDS ?= 600
FUZZ_DIR ?= build-fuzz
FUZZ_FLAGS ?= -max_len=8192 -timeout=20
FUZZ_SOURCES = tests/fuzz/fuzz_readers.cpp src/koko/io/csv.cpp src/koko/io/encoding.cpp src/koko/io/fields.cpp \
  src/koko/io/jsonl.cpp

.PHONY: fuzz
fuzz: deps $(FUZZ_DIR)/fuzz_readers
	mkdir -p $(FUZZ_DIR)/corpus $(FUZZ_DIR)/artifacts
	$(FUZZ_DIR)/fuzz_readers $(FUZZ_DIR)/corpus tests/fuzz/corpus -dict=tests/fuzz/readers.dict \
	  -max_total_time=$(FUZZ_SECONDS) $(FUZZ_FLAGS) -artifact_prefix=$(FUZZ_DIR)/artifacts/ -print_final_stats=1

$(FUZZ_DIR)/fuzz_readers: $(FUZZ_SOURCES) $(wildcard src/koko/io/*.hpp src/koko/core/*.hpp)
	@missing=""; for p in clang libclang-rt-14-dev; do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "fuzz: installing$$missing"; SUDO=""; [ "$$(id -u)" -ne 0 ] && SUDO=sudo; \
	  export DEBIAN_FRONTEND=noninteractive; $$SUDO apt-get update -qq && \
	  $$SUDO apt-get install -y -qq --no-install-recommends $$missing; \
	fi
	mkdir -p $(FUZZ_DIR)
	clang++ -std=c++20 -g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined \
	  -fno-sanitize-recover=undefined -Wall -Wextra -Werror -Isrc $(FUZZ_SOURCES) -o $@ \
	  -lfmt -licui18n -licuuc -licudata -lz
