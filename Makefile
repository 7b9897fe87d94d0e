# Thin wrapper over CMake so that `make` at the root builds build/campaignd.
#   make          build (RelWithDebInfo) into build/
#   make test     every test: unit, end-to-end, and all of it under ASan+UBSan
#   make run      install what is missing, build, start on embedded defaults
#   make bench    every benchmark in Release mode; figures in bench/results.json
#   make format   clang-format every C file
BUILD ?= build

.PHONY: all build test run bench clean format
all: build

build:
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(BUILD) -j2

test:
	./scripts/test.sh

run:
	./scripts/run.sh

bench:
	./scripts/bench.sh

format:
	clang-format -i $$(git ls-files 'src/*.c' 'src/*.h' 'src/*.cc' 'tests/*.c' 'bench/*.c' 'fuzz/*.c' 'fuzz/*.h')

clean:
	rm -rf build build-asan build-fuzz
