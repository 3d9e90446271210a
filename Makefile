# ntk — GNU make build. `make` builds bin/ntk and lib/libntk.{a,so};
# `make check` runs every test, then again under ASan+UBSan in build-asan/.
# Sources are found by wildcard: add src/<module>/foo.c, src/cli/cmd_foo.c or
# tests/check_foo.c and they are built and run without editing this file.
# The library's sources live in one folder per module (src/core, src/dataset,
# src/kernel, ...; README "Source layout"); src/cli and src/mpi are the programs.
# Internal headers are included as "foo.h" from their own module and as
# "module/foo.h" from elsewhere (-Isrc).

PREFIX   ?= /usr/local
BUILD    ?= build
SAN      ?= 0
CC       ?= gcc

ifeq ($(BUILD),build)
BINDIR := bin
LIBDIR := lib
else
BINDIR := $(BUILD)/bin
LIBDIR := $(BUILD)/lib
endif
OBJDIR := $(BUILD)/obj

# Flags from pkg-config are looked up when a recipe first needs them (deferred
# `=` plus a cache), never when the Makefile is parsed: on a fresh machine the
# packages do not exist until `deps` has run. Every target that installs
# packages (demo, check, bench, mpi, ...) runs `deps` first and then a second
# make, which reads the Makefile again on the completed system.
PKGS     := openblas lapacke
PKG_CFLAGS   = $(eval PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null))$(PKG_CFLAGS)
PKG_LIBS     = $(eval PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null))$(PKG_LIBS)
CHECK_CFLAGS = $(eval CHECK_CFLAGS := $(shell pkg-config --cflags check 2>/dev/null))$(CHECK_CFLAGS)
CHECK_LIBS   = $(eval CHECK_LIBS := $(shell pkg-config --libs check 2>/dev/null))$(CHECK_LIBS)

WARN     := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wno-unused-parameter
OPT      ?= -O2 -g -march=x86-64-v2 -mtune=generic
CFLAGS   ?=
override CFLAGS += -std=gnu11 $(OPT) $(WARN) -fopenmp -fPIC -Iinclude -Isrc $(PKG_CFLAGS)
# Header dependencies: every compile writes foo.d beside foo.o (-MMD; -MP adds
# a target per header so a deleted header does not break the build).
override CFLAGS += -MMD -MP
LDLIBS   = $(PKG_LIBS) -lcsv -lm -fopenmp

ifeq ($(SAN),1)
override CFLAGS += -O1 -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDSAN    := -fsanitize=address,undefined
endif

LIB_SRCS := $(sort $(filter-out src/cli/% src/mpi/%,$(wildcard src/*/*.c)))
LIB_HDRS := $(filter-out src/cli/% src/mpi/%,$(wildcard src/*/*.h))
# A source left directly in src/ (say, from a branch older than the module
# folders) would silently not be built: say so instead.
ifneq ($(wildcard src/*.c src/*.h),)
$(error $(wildcard src/*.c src/*.h): move into a module folder src/<module>/ (git mv))
endif
CLI_SRCS := $(sort $(wildcard src/cli/*.c))
TEST_SRCS:= $(sort $(wildcard tests/check_*.c))
# Files allowed fast-math in their hot loops (validity checks stay outside them).
FAST_SRCS:= $(wildcard src/kernel/kernel_tile.c)

LIB_OBJS := $(LIB_SRCS:src/%.c=$(OBJDIR)/%.o)
CLI_OBJS := $(CLI_SRCS:src/cli/%.c=$(OBJDIR)/cli/%.o)
TEST_BINS:= $(TEST_SRCS:tests/%.c=$(BUILD)/tests/%)

STATIC   := $(LIBDIR)/libntk.a
SHARED   := $(LIBDIR)/libntk.so
# Versioned shared library: the file libntk.so.X.Y.Z (X.Y.Z = NTK_VERSION in
# include/ntk/common.h, a file of the repository, so reading it while parsing
# is safe) with SONAME libntk.so.X, and the symlinks libntk.so.X and libntk.so.
SOVERSION := $(shell sed -n 's/^\#define NTK_VERSION "\(.*\)"/\1/p' include/ntk/common.h)
SOMAJOR  := $(firstword $(subst ., ,$(SOVERSION)))
SHARED_REAL := $(SHARED).$(SOVERSION)
NTK      := $(BINDIR)/ntk

# `check-fresh`: the first run on a simulated fresh machine (tests/fresh/run.sh).
.PHONY: check-fresh
check-fresh:
	@sh tests/fresh/run.sh

.PHONY: fuzz-model tools all deps check test unit cli-test asan demo bench clean install fuzz mpi check-valgrind

# `make` alone: install missing packages, then build (a second make, so that
# nothing is computed before the packages exist).
.DEFAULT_GOAL := default
.PHONY: default
default: deps
	$(MAKE) all

all: $(NTK) $(STATIC) $(SHARED)

# One object folder per module ($(OBJDIR)/kernel/, ...), made on demand.
$(OBJDIR)/%.o: src/%.c $(OBJDIR)/%.d
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c $< -o $@

$(FAST_SRCS:src/%.c=$(OBJDIR)/%.o): override CFLAGS += -ffast-math -fno-finite-math-only
# Only declarations marked NTK_API (include/ntk/*.h) are exported from libntk.so.
$(LIB_OBJS): override CFLAGS += -fvisibility=hidden

$(OBJDIR)/cli/%.o: src/cli/%.c $(OBJDIR)/cli/%.d | $(OBJDIR)/cli
	$(CC) $(CFLAGS) -c $< -o $@

$(OBJDIR)/cli $(BINDIR) $(LIBDIR) $(BUILD)/tests:
	mkdir -p $@

$(STATIC): $(LIB_OBJS) | $(LIBDIR)
	rm -f $@ && ar rcs $@ $^

$(SHARED_REAL): $(LIB_OBJS) | $(LIBDIR)
	$(CC) -shared -Wl,-soname,libntk.so.$(SOMAJOR) -o $@ $^ $(LDSAN) $(LDLIBS)

$(SHARED): $(SHARED_REAL)
	ln -sf libntk.so.$(SOVERSION) $(LIBDIR)/libntk.so.$(SOMAJOR)
	ln -sf libntk.so.$(SOMAJOR) $@

$(NTK): $(CLI_OBJS) $(STATIC) | $(BINDIR)
	$(CC) -o $@ $(CLI_OBJS) $(STATIC) $(LDSAN) $(LDLIBS)

$(BUILD)/tests/%: tests/%.c $(BUILD)/tests/%.d $(STATIC) | $(BUILD)/tests
	$(CC) $(CFLAGS) $(CHECK_CFLAGS) -Itests -o $@ $< $(STATIC) $(LDSAN) $(CHECK_LIBS) $(LDLIBS)

# Benchmark programs in tools/ (C, linked against the library).
$(BUILD)/tools/%: tools/%.c $(STATIC)
	@mkdir -p $(BUILD)/tools
	$(CC) $(CFLAGS) -o $@ $(filter %.c,$^) $(STATIC) $(LDSAN) $(LDLIBS)

# The two UCI programs share the collection's reader.
$(BUILD)/tools/uci_benchmark $(BUILD)/tools/uci_hinge: tools/uci_common.c tools/uci_common.h

tools: $(BUILD)/tools/uci_benchmark

deps:
	@sh tools/deps.sh

# clang and its sanitizer runtimes for the libFuzzer harnesses.
.PHONY: deps-fuzz
deps-fuzz: deps
	@sh tools/deps.sh clang libclang-rt-14-dev

# --- mpi ---
# `make mpi`: bin/ntk-mpi (eval/fit/predict on ScaLAPACK over MPI) and
# lib/libntk_mpi.a, compiled with mpicc. The single-process ntk and libntk
# have no MPI dependency. `make test` (so `make check`) runs tests/mpi when
# mpicc and ScaLAPACK are installed (`make deps` installs them).
MPICC    ?= mpicc
MPI_SRCS := $(sort $(wildcard src/mpi/*.c))
MPI_OBJS := $(MPI_SRCS:src/mpi/%.c=$(OBJDIR)/mpi/%.o)
MPI_LIB  := $(LIBDIR)/libntk_mpi.a
NTK_MPI  := $(BINDIR)/ntk-mpi
HAVE_MPI := $(and $(shell command -v $(MPICC) 2>/dev/null),$(wildcard /usr/lib/*/libscalapack-openmpi.so),$(wildcard /usr/lib/*/openmpi/include/mpi.h))

$(OBJDIR)/mpi/%.o: src/mpi/%.c $(OBJDIR)/mpi/%.d | $(OBJDIR)/mpi
	$(MPICC) $(CFLAGS) -c $< -o $@

$(OBJDIR)/mpi:
	mkdir -p $@

$(MPI_LIB): $(filter-out $(OBJDIR)/mpi/main.o,$(MPI_OBJS)) | $(LIBDIR)
	rm -f $@ && ar rcs $@ $^

$(NTK_MPI): $(OBJDIR)/mpi/main.o $(MPI_LIB) $(filter-out $(OBJDIR)/cli/main.o,$(CLI_OBJS)) $(STATIC) | $(BINDIR)
	$(MPICC) -o $@ $(OBJDIR)/mpi/main.o $(filter-out $(OBJDIR)/cli/main.o,$(CLI_OBJS)) \
	    $(MPI_LIB) $(STATIC) $(LDSAN) -lscalapack-openmpi $(LDLIBS)

mpi: deps
	$(MAKE) $(NTK_MPI)

.PHONY: mpi-test
mpi-test: $(NTK) $(NTK_MPI)
	@NTK=$(NTK) NTK_MPI=$(NTK_MPI) SAN=$(SAN) sh tests/mpi/run.sh

# ntk-mpi with 1, 2, 4 ranks against ntk, same run (tools/bench_mpi.sh).
.PHONY: bench-mpi
bench-mpi: deps
	$(MAKE) bench-mpi-run

.PHONY: bench-mpi-run
bench-mpi-run: $(NTK) $(NTK_MPI)
	NTK=$(NTK) NTK_MPI=$(NTK_MPI) sh tools/bench_mpi.sh

ifneq ($(HAVE_MPI),)
test: mpi-test
endif
# --- end mpi ---

# --- dependencies ---
# The .d files written by -MMD. An object whose .d is missing (never built
# with -MMD) depends on a target with no recipe, which forces its rebuild;
# afterwards the .d lists every header the source includes.
DEPFILES := $(LIB_OBJS:.o=.d) $(CLI_OBJS:.o=.d) $(MPI_OBJS:.o=.d) $(TEST_BINS:=.d)
$(DEPFILES):
include $(wildcard $(DEPFILES))

# `make -j deps all` (deps with any building goal): nothing compiles before
# the packages are installed. (`make`, `make check`, ... run deps and then a
# second make, so they are ordered already.)
ifneq ($(filter deps,$(MAKECMDGOALS)),)
$(LIB_OBJS) $(CLI_OBJS) $(MPI_OBJS) $(TEST_BINS): | deps
endif
# --- end dependencies ---

# Unit tests (Check) then command-line tests, for one build directory.
test: $(NTK) $(SHARED) $(TEST_BINS)
	@set -e; for t in $(TEST_BINS); do echo "== $$t"; CK_DEFAULT_TIMEOUT=600 $$t; done
	@NTK=$(NTK) NTK_SHARED=$(SHARED) sh tests/cli/run.sh

check: deps
	$(MAKE) test
	$(MAKE) BUILD=build-asan SAN=1 test
	@sh tests/fresh/run.sh
	@echo "check: all tests passed (plain and ASan+UBSan builds)"

demo: deps
	$(MAKE) demo-run

.PHONY: demo-run
demo-run: $(NTK)
	$(NTK) eval --train data/bostonhousing.csv --test-frac 0.25 --seed 0 \
	    --depth 3 --reg 1e-4 --reg-scale relative --times 0.1,1,10,100,1000,inf --time-scale mean

bench: deps
	$(MAKE) bench-run

.PHONY: bench-run
bench-run: all $(BUILD)/tools/bench_kernel
	sh tools/bench.sh

install: deps
	$(MAKE) install-files

.PHONY: install-files
install-files: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib $(DESTDIR)$(PREFIX)/include/ntk $(DESTDIR)$(PREFIX)/lib/pkgconfig
	install -m 755 $(NTK) $(DESTDIR)$(PREFIX)/bin/
	install -m 644 $(STATIC) $(DESTDIR)$(PREFIX)/lib/
	install -m 755 $(SHARED_REAL) $(DESTDIR)$(PREFIX)/lib/
	ln -sf libntk.so.$(SOVERSION) $(DESTDIR)$(PREFIX)/lib/libntk.so.$(SOMAJOR)
	ln -sf libntk.so.$(SOMAJOR) $(DESTDIR)$(PREFIX)/lib/libntk.so
	install -m 644 include/ntk/*.h $(DESTDIR)$(PREFIX)/include/ntk/
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(shell sed -n 's/.*NTK_VERSION "\(.*\)"/\1/p' include/ntk/common.h)|' \
	    ntk.pc.in > $(DESTDIR)$(PREFIX)/lib/pkgconfig/ntk.pc

clean:
	rm -rf build build-asan build-fuzz bin lib

# --- fuzz (dataset) ---
# `make fuzz`: build the libFuzzer harness for the CSV loader and encoder with
# clang (fuzzer + ASan + UBSan) into build-fuzz/ and run it for FUZZ_SECONDS,
# seeded from data/*.csv and tests/data/bad/. New inputs go to
# build-fuzz/corpus, crashes to build-fuzz/crash-*. Not part of `make check`.
FUZZ_SECONDS ?= 30
FUZZ_CC      ?= clang
FUZZ_DIR     := build-fuzz
FUZZ_SRCS    := $(sort $(wildcard src/dataset/*.c)) src/core/common.c src/core/rng.c
FUZZ_FLAGS   := -std=gnu11 -g -O1 -fsanitize=fuzzer,address,undefined \
                -fno-sanitize-recover=undefined -Iinclude -Isrc

$(FUZZ_DIR)/fuzz_csv: fuzz/fuzz_csv.c $(FUZZ_SRCS) $(wildcard include/ntk/*.h) $(LIB_HDRS)
	mkdir -p $(FUZZ_DIR)
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ fuzz/fuzz_csv.c $(FUZZ_SRCS) -lcsv -lm

fuzz: deps-fuzz
	$(MAKE) fuzz-run

.PHONY: fuzz-run fuzz-model-run fuzz-opts-run
fuzz-run: $(FUZZ_DIR)/fuzz_csv
	mkdir -p $(FUZZ_DIR)/corpus $(FUZZ_DIR)/seeds
	cp data/*.csv tests/data/bad/* $(FUZZ_DIR)/seeds/
	$(FUZZ_DIR)/fuzz_csv -max_total_time=$(FUZZ_SECONDS) -max_len=8192 -timeout=10 \
	    -artifact_prefix=$(FUZZ_DIR)/ -print_final_stats=1 $(FUZZ_DIR)/corpus $(FUZZ_DIR)/seeds
# The model-file reader: every library source, OpenBLAS/LAPACKE and gcc's
# OpenMP runtime (clang -fopenmp=libgomp). Seeds: models written by bin/ntk fit.
$(FUZZ_DIR)/fuzz_model: fuzz/fuzz_model.c $(LIB_SRCS) $(wildcard include/ntk/*.h) $(LIB_HDRS)
	mkdir -p $(FUZZ_DIR)
	$(FUZZ_CC) $(FUZZ_FLAGS) -fopenmp=libgomp $(PKG_CFLAGS) -o $@ fuzz/fuzz_model.c $(LIB_SRCS) \
	    $(PKG_LIBS) -lcsv -lm -lgomp

fuzz-model: deps-fuzz
	$(MAKE) fuzz-model-run

fuzz-model-run: $(FUZZ_DIR)/fuzz_model $(NTK)
	mkdir -p $(FUZZ_DIR)/corpus-model $(FUZZ_DIR)/seeds-model
	$(NTK) fit --train data/iris.csv --depth 2 --times 1,inf -o $(FUZZ_DIR)/seeds-model/iris.ntk --quiet >/dev/null
	$(NTK) fit --train data/servo.csv --act erf --times inf -o $(FUZZ_DIR)/seeds-model/servo.ntk --quiet >/dev/null
	$(FUZZ_DIR)/fuzz_model -max_total_time=$(FUZZ_SECONDS) -max_len=65536 -timeout=10 \
	    -artifact_prefix=$(FUZZ_DIR)/model- -print_final_stats=1 $(FUZZ_DIR)/corpus-model $(FUZZ_DIR)/seeds-model
# --- end fuzz ---

# --- bench (kernel) ---
# Kernel speed against numpy (tools/bench_kernel.sh; table in docs/kernel.md).
.PHONY: bench-kernel
BENCH_KERNEL := $(BUILD)/tools/bench_kernel
$(BENCH_KERNEL): tools/bench_kernel.c $(STATIC)
	mkdir -p $(BUILD)/tools
	$(CC) $(CFLAGS) -o $@ $< $(STATIC) $(LDSAN) $(LDLIBS)
bench-kernel: $(BENCH_KERNEL)
	sh tools/bench_kernel.sh $(BENCH_KERNEL)
# --- end bench (kernel) ---

# --- bench (performance) ---
# `make bench` (above) also needs bench_blas: BLAS peak, dpotrf/dsyevd as a
# fraction of it, and the solver paths at scale (tools/bench.sh, docs/performance.md).
bench-run: $(BUILD)/tools/bench_blas
.PHONY: bench-blas
bench-blas: $(BUILD)/tools/bench_blas
	$(BUILD)/tools/bench_blas blas 3000 3000 26
# --- end bench (performance) ---

# --- hardening ---
# `make fuzz-opts`: libFuzzer harness for the option and list parsers (--times,
# --act, --acts, --drop/--categorical/--target, every option value, whole
# argument vectors), built from the CLI option sources and the library.
# `make fuzz-all`: every harness (CSV loader, model reader, options) one after
# the other, FUZZ_SECONDS each. `make check-valgrind`: the CLI tests with bin/ntk
# under valgrind (memcheck; definite leaks are errors; suppressions for the
# OpenMP/OpenBLAS thread pools in tests/valgrind.supp). Neither is part of
# `make check`; see docs/hardening.md.
FUZZ_CLI_SRCS := src/cli/cli_opts.c src/cli/cli_select.c src/cli/cli_util.c src/cli/cli_format.c src/cli/cli_svm.c \
                 src/cli/cli_args.c
$(FUZZ_DIR)/fuzz_opts: fuzz/fuzz_opts.c $(FUZZ_CLI_SRCS) $(LIB_SRCS) $(wildcard include/ntk/*.h src/cli/*.h) $(LIB_HDRS)
	mkdir -p $(FUZZ_DIR)
	$(FUZZ_CC) $(FUZZ_FLAGS) -Wno-unknown-attributes -fopenmp=libgomp $(PKG_CFLAGS) -o $@ fuzz/fuzz_opts.c \
	    $(FUZZ_CLI_SRCS) $(LIB_SRCS) $(PKG_LIBS) -lcsv -lm -lgomp

.PHONY: fuzz-opts fuzz-all
fuzz-opts: deps-fuzz
	$(MAKE) fuzz-opts-run

fuzz-opts-run: $(FUZZ_DIR)/fuzz_opts
	mkdir -p $(FUZZ_DIR)/corpus-opts
	$(FUZZ_DIR)/fuzz_opts -max_total_time=$(FUZZ_SECONDS) -max_len=512 -timeout=10 -close_fd_mask=2 \
	    -artifact_prefix=$(FUZZ_DIR)/opts- -print_final_stats=1 $(FUZZ_DIR)/corpus-opts fuzz/seeds-opts

# One harness at a time (recursive makes in sequence, whatever -j says).
fuzz-all: deps-fuzz
	$(MAKE) fuzz-run
	$(MAKE) fuzz-model-run
	$(MAKE) fuzz-opts-run

VALGRIND_DIR := $(BUILD)/valgrind
check-valgrind: $(NTK)
	rm -rf $(VALGRIND_DIR) && mkdir -p $(VALGRIND_DIR)
	cp $(NTK) $(VALGRIND_DIR)/ntk.bin   # a private copy: rebuilds during the long run do not race
	printf '#!/bin/sh\nexec %s -q --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite --show-leak-kinds=definite --suppressions=%s --log-file=%s/vg.%%p.log %s "$$@"\n' \
	    "$$(command -v valgrind)" "$(CURDIR)/tests/valgrind.supp" "$(CURDIR)/$(VALGRIND_DIR)" "$(CURDIR)/$(VALGRIND_DIR)/ntk.bin" > $(VALGRIND_DIR)/ntk
	chmod +x $(VALGRIND_DIR)/ntk
	@NTK=$(VALGRIND_DIR)/ntk sh tests/cli/run.sh; rc=$$?; \
	 bad=$$(grep -l 'ERROR SUMMARY: [1-9]\|definitely lost: [1-9]' $(VALGRIND_DIR)/vg.*.log 2>/dev/null); \
	 echo "check-valgrind: $$(ls $(VALGRIND_DIR)/vg.*.log | wc -l) ntk runs under valgrind, $$(echo $$bad | wc -w) with errors"; \
	 for f in $$bad; do echo "== $$f"; head -40 $$f; done; \
	 [ $$rc -eq 0 ] && [ -z "$$bad" ]
# --- end hardening ---

# --- python ---
# `make python`: the Python package `ntk` (python/ntk: ntk/__init__.py over the
# CPython extension python/ntk/_ntk.c, linked with the static libntk.a so the
# library's symbol visibility does not matter) for Debian's /usr/bin/python3,
# installed into its site directory (sysconfig purelib, e.g.
# /usr/local/lib/python3.11/dist-packages; PYTHON_SITE=DIR overrides). As the
# other installing targets: deps first, then a second make, so no flag is
# computed before the packages exist. In-tree use without installing:
# `make python-build` then PYTHONPATH=build/python. `make test` (so `make
# check`, which installs the packages) runs python/tests with pytest in the
# plain build only: sanitized code cannot be loaded into python.
PYTHON      ?= /usr/bin/python3
PY_PKGS     := python3-dev python3-numpy python3-sklearn python3-pandas python3-pytest
PY_DIR      := build/python/ntk
PY_EXT      := $(PY_DIR)/_ntk.so
PY_FILES    := $(patsubst python/ntk/%,$(PY_DIR)/%,$(wildcard python/ntk/*.py))
PY_CFLAGS    = $(eval PY_CFLAGS := $(shell $(PYTHON) -c 'import sysconfig, numpy; print("-I" + sysconfig.get_paths()["include"], "-I" + numpy.get_include())' 2>/dev/null))$(PY_CFLAGS)

.PHONY: python deps-python python-build python-install python-test
deps-python: deps
	@sh tools/deps.sh $(PY_PKGS)

python: deps-python
	$(MAKE) python-install

$(PY_DIR)/%.py: python/ntk/%.py
	@mkdir -p $(PY_DIR)
	cp $< $@

# Always the plain (unsanitized) static library of the default build.
$(PY_EXT): python/ntk/_ntk.c $(wildcard python/ntk/*.h) $(wildcard include/ntk/*.h) lib/libntk.a
	@mkdir -p $(PY_DIR)
	$(CC) $(CFLAGS) $(PY_CFLAGS) -fno-strict-aliasing -shared -o $@ python/ntk/_ntk.c lib/libntk.a $(LDLIBS)

python-build: $(PY_EXT) $(PY_FILES)

python-install: python-build
	@site="$${PYTHON_SITE:-$$($(PYTHON) -c 'import sysconfig; print(sysconfig.get_path("purelib"))')}"; \
	 set -e; install -d "$(DESTDIR)$$site/ntk"; \
	 install -m 644 $(PY_FILES) "$(DESTDIR)$$site/ntk/"; \
	 install -m 755 $(PY_EXT) "$(DESTDIR)$$site/ntk/"; \
	 echo "python: installed the ntk package in $(DESTDIR)$$site/ntk for $(PYTHON)"

python-test: $(NTK)
	@if [ "$(SAN)" = 1 ]; then \
	    echo "python: tests run in the plain build only (sanitized code cannot load into python)"; \
	 elif ! $(PYTHON) -c 'import numpy, sklearn, pandas, pytest, sysconfig, os, sys; sys.exit(not os.path.exists(os.path.join(sysconfig.get_paths()["include"], "Python.h")))' 2>/dev/null; then \
	    echo "python: tests skipped: $(PYTHON) lacks numpy/sklearn/pandas/pytest or Python.h (make deps-python)"; \
	 else \
	    $(MAKE) python-build && NTK=$(NTK) PYTHONPATH=build/python $(PYTHON) -m pytest python/tests -q -p no:cacheprovider; \
	 fi

test: python-test
check: deps-python
# --- end python ---
