# The two front doors (see README.md). Everything else is CMake.
#   make demo   build, then compile and run the bundled example
#   make test   build and run the whole test suite (also what CI runs)
BUILD ?= build
ASAN_BUILD ?= build-asan
JOBS ?= $(shell nproc)

.PHONY: demo test deps build build-asan clean

deps:
	@./scripts/setup.sh

build: deps
	@cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

build-asan: deps
	@cmake -S . -B $(ASAN_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Debug \
	  -DWA_SANITIZE=address,undefined >/dev/null
	@cmake --build $(ASAN_BUILD) -j $(JOBS)

demo: build
	@./scripts/demo.sh $(BUILD)

test: build build-asan
	@./scripts/test.sh $(BUILD) $(ASAN_BUILD)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
