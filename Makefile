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
