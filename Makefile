# The project's interface. CMake does the building; these targets are what
# people type. Build trees live under build/ and never in the source tree.
#   make          optimised build with gcc (-Werror)
#   make demo     deps + build + a real scenario on umxd, narrated
#   make test     deps + gcc build + clang ASan/UBSan build + the whole suite
#   make test-xen real Xen 4.17 + dom0 + PV domU under QEMU (docs/XEN-HARNESS.md)
#   make bench    optimised benchmarks, each beside its baseline
#   make fuzz     long libFuzzer runs (FUZZ_SECONDS per target)
#   make lint     clang-format check, clang-tidy, cppcheck
#   make install  PREFIX=/usr/local (headers, libumx, umx.pc, umx, umxd, the
#                 domain programs, drop-in Xen libraries, man pages, systemd unit)
#   make deps     install the Debian packages all of the above need

PREFIX ?= /usr/local
CC ?= gcc
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
FUZZ_SECONDS ?= 300
GENERATOR := $(shell command -v ninja >/dev/null 2>&1 && echo Ninja || echo "Unix Makefiles")

BUILD       := build/release
BUILD_GCC   := build/gcc
BUILD_TEST  := build/test

.PHONY: all build build-gcc demo test test-quick test-xen bench fuzz lint format install deps clean

all: build

$(BUILD)/build.ninja $(BUILD)/Makefile:
	cmake -S . -B $(BUILD) -G "$(GENERATOR)" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DCMAKE_C_COMPILER=$(CC) -DCMAKE_INSTALL_PREFIX=$(PREFIX) -DUMX_TESTS=OFF

build: $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS)

deps:
	@sh scripts/deps.sh all

# Only what the demo needs is installed; the build is one progress line
# (its log is kept); then the README's story.
demo:
	@sh scripts/deps.sh demo
	@GENERATOR="$(GENERATOR)" CC=$(CC) JOBS=$(JOBS) sh scripts/demo.sh $(BUILD)

# gcc must build everything warning-free too, optimised as `make` builds it
# (some warnings only appear at -O2); the suite runs under clang's
# ASan+UBSan because the fuzz smoke runs need clang's libFuzzer in the same tree.
test: deps build-gcc
	@xen=0; UMX_BUILD_DIR=$(BUILD_GCC) bash tests/xen/run.bash || xen=1; \
	  $(MAKE) --no-print-directory test-quick || exit 1; \
	  [ $$xen = 0 ] || { echo "make test: the Xen harness failed (its report is above)"; exit 1; }

test-quick:
	cmake -S . -B $(BUILD_TEST) -G "$(GENERATOR)" -DCMAKE_BUILD_TYPE=Debug \
	  -DCMAKE_C_COMPILER=clang -DUMX_SANITIZE=ON -DUMX_FUZZ=ON -DUMX_TESTS=ON
	cmake --build $(BUILD_TEST) -j $(JOBS)
	cd $(BUILD_TEST) && ctest --output-on-failure -j $(JOBS) --timeout 300

build-gcc:
	cmake -S . -B $(BUILD_GCC) -G "$(GENERATOR)" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DCMAKE_C_COMPILER=gcc -DUMX_TESTS=ON
	cmake --build $(BUILD_GCC) -j $(JOBS)

# Real Xen under QEMU; scenarios in tests/xen/scenarios (make test runs it too).
# The gcc build: scenarios also run test programs (tests/tools).
test-xen: deps build-gcc
	UMX_BUILD_DIR=$(BUILD_GCC) bash tests/xen/run.bash

bench: deps build
	@sh scripts/bench.sh $(BUILD)

# Chaos campaign, not in make test: SOAK_SECONDS (default 600) of killing
# random domains under checked traffic; its table is docs/RELIABILITY.md's.
.PHONY: soak
soak: deps build-gcc
	@bash scripts/soak.sh $(BUILD_GCC) $(SOAK_SECONDS)

fuzz: deps
	cmake -S . -B $(BUILD_TEST) -G "$(GENERATOR)" -DCMAKE_BUILD_TYPE=Debug \
	  -DCMAKE_C_COMPILER=clang -DUMX_SANITIZE=ON -DUMX_FUZZ=ON -DUMX_TESTS=ON
	cmake --build $(BUILD_TEST) -j $(JOBS)
	@sh fuzz/run.sh $(BUILD_TEST)/fuzz $(FUZZ_SECONDS)

lint: $(BUILD_GCC)/compile_commands.json
	@sh scripts/lint.sh $(BUILD_GCC)

$(BUILD_GCC)/compile_commands.json:
	cmake -S . -B $(BUILD_GCC) -G "$(GENERATOR)" -DCMAKE_BUILD_TYPE=Debug \
	  -DCMAKE_C_COMPILER=gcc -DUMX_TESTS=ON

format:
	@git ls-files '*.c' '*.h' | xargs clang-format -i

install: build
	cmake --install $(BUILD) --prefix $(PREFIX)

clean:
	rm -rf build
