# Darknet with the [asoftmax] layer (A-Softmax / SphereFace). See README.md.
#
#   make          build Darknet + [asoftmax]: build/darknet/darknet, build/darknet/libdarknet.{a,so}
#                 (FORK=alexeyab: AlexeyAB's fork, in build/alexeyab/darknet/)
#   make test     build test copies (no -Ofast) of BOTH forks and run every test
#                 (tests/run-tests.sh); the unit and bad-input suites run again against the
#                 shipped -Ofast builds, and weights are exchanged between the forks
#   make demo     train the softmax and [asoftmax] Fashion-MNIST cfgs side by side
#   make bench    time/memory of [asoftmax] vs [connected]+[softmax], end-to-end images/s, and
#                 OpenBLAS against Darknet's own loops (~6 min)
#   make clean    remove build/ (the downloaded Darknet source is kept in build/cache)
#   make gpu-build     compile + link both GPU variants (GPU=1 CUDNN=1 and CUDNN=0) and the GPU test
#   make gpu-check     on a machine with a GPU: build, GPU-vs-CPU tests, GPU training run
#   make emu-build     Darknet GPU=1 CUDNN=0 on the CPU (tests/cuda-emu) and the GPU tests against
#                      it (part of make test, which runs them as the "emulated" GPU suites)
#   make fuzz          fuzz the [asoftmax] section parser + layer (clang libFuzzer, ASan+UBSan)
#   make valgrind      the unit tests under valgrind memcheck
#   make longrun       5000 training batches of the Fashion-MNIST [asoftmax] cfg (~40 min on 2 cores)
#
# FORK=pjreddie (default: pjreddie's Darknet, the `darknet` submodule or Debian's source
#   package) or FORK=alexeyab (AlexeyAB's fork at 59596d78: the `darknet-alexeyab` submodule or
#   the verified tarball, scripts/get-darknet.sh) for make, make demo, make bench, make longrun.
# Switches passed through to Darknet's own Makefile:
#   OPENMP=1 (default: ~2x faster CPU training)  DEBUG=0  GPU=0  CUDNN=0  ARCH=
#   BLAS=openblas (default: every CPU product through Debian's OpenBLAS, OpenMP variant,
#   patches/0005) or BLAS=darknet (Darknet's own gemm loops)
# Test switches: SANITIZE=1 builds the tests with ASan + UBSan.

OPENMP   ?= 1
DEBUG    ?= 0
GPU      ?= 0
CUDNN    ?= 0
ARCH     ?=
SANITIZE ?= 0
BLAS     ?= openblas
CUDA_HOME ?= /usr/local/cuda
NVCC     ?= $(shell command -v nvcc 2>/dev/null || echo $(CUDA_HOME)/bin/nvcc)

FORK     ?= pjreddie

BUILD := build
# every build of a fork lives under FORK_BUILD; the pristine sources under build/ (cache)
ifeq ($(FORK),pjreddie)
FORK_BUILD := $(BUILD)
FORK_LIBS  :=
else ifeq ($(FORK),alexeyab)
FORK_BUILD := $(BUILD)/alexeyab
FORK_LIBS  := -lstdc++ # the fork's library holds C++ (http_stream.cpp)
else
$(error FORK=$(FORK): use FORK=pjreddie (the default) or FORK=alexeyab)
endif
export DARKNET_FORK := $(FORK)
DARKNET_DIR := $(FORK_BUILD)/darknet
DARKNET     := $(DARKNET_DIR)/darknet

# OpenBLAS from libopenblas-openmp-dev: its threads are Darknet's OpenMP threads (one pool,
# OMP_NUM_THREADS for both), so the two never oversubscribe the cores. rpath pins this variant
# whatever Debian's libopenblas.so.0 alternative points to.
MULTIARCH := $(shell $(CC) -print-multiarch 2>/dev/null)
ifeq ($(BLAS),openblas)
BLAS_LIBDIR := /usr/lib/$(MULTIARCH)/openblas-openmp
BLAS_CFLAGS := -I/usr/include/$(MULTIARCH)/openblas-openmp
BLAS_LIBS   := -L$(BLAS_LIBDIR) -Wl,-rpath,$(BLAS_LIBDIR) -lopenblas
BLAS_ARGS   := OPENBLAS=1 "OPENBLAS_CFLAGS=$(BLAS_CFLAGS)" "OPENBLAS_LIBS=$(BLAS_LIBS)"
# OpenBLAS 0.3.21 runs generic kernels on CPUs newer than itself: name the right ones for
# every program this Makefile runs (scripts/openblas-coretype.sh; empty where not needed)
OPENBLAS_CORETYPE := $(shell CC=$(CC) scripts/openblas-coretype.sh $(BLAS_LIBDIR))
ifneq ($(OPENBLAS_CORETYPE),)
export OPENBLAS_CORETYPE
endif
else ifeq ($(BLAS),darknet)
BLAS_LIBS   :=
BLAS_ARGS   :=
else
$(error BLAS=$(BLAS): use BLAS=openblas (the default) or BLAS=darknet)
endif

DN_ARGS := OPENMP=$(OPENMP) DEBUG=$(DEBUG) GPU=$(GPU) CUDNN=$(CUDNN) $(BLAS_ARGS)
ifeq ($(GPU),1)
DN_ARGS += NVCC=$(NVCC)
endif
ifneq ($(strip $(ARCH)),)
DN_ARGS += "ARCH=$(ARCH)"
endif

# the test build: Darknet's flags minus -Ofast (it makes isnan() always false)
ifeq ($(SANITIZE),1)
TEST_DIR  := $(FORK_BUILD)/darknet-sanitize
TEST_BIN  := $(FORK_BUILD)/tests-sanitize
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer
TEST_ARGS := OPENMP=0 "OPTS=-O1 -g $(SAN_FLAGS)" "LDFLAGS=-lm -pthread $(SAN_FLAGS) $(BLAS_LIBS)" $(BLAS_ARGS)
TEST_OMP  :=
export ASAN_OPTIONS  := abort_on_error=0:detect_leaks=1
export LSAN_OPTIONS  := suppressions=$(CURDIR)/tests/lsan.supp:print_suppressions=0
export UBSAN_OPTIONS := print_stacktrace=1:halt_on_error=1
else
TEST_DIR  := $(FORK_BUILD)/darknet-test
TEST_BIN  := $(FORK_BUILD)/tests
SAN_FLAGS :=
TEST_ARGS := OPENMP=1 "OPTS=-O2 -g" $(BLAS_ARGS)
TEST_OMP  := -fopenmp
endif
# The shipped CPU build, which users run (Darknet's -Ofast, OpenMP): `make test` runs the unit
# and bad-input suites against it too, since -Ofast may drop NaN/Inf checks. It is `make`'s own
# build/darknet (shared with `make demo`), or a CPU twin of it when GPU=1 is given.
SHIP_DIR  := $(if $(filter 1,$(GPU)),$(FORK_BUILD)/darknet-cpu,$(DARKNET_DIR))
SHIP_ARGS := OPENMP=$(OPENMP) DEBUG=$(DEBUG) GPU=0 CUDNN=0 $(BLAS_ARGS)

TEST_CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Wshadow -Werror $(SAN_FLAGS) \
               -I$(TEST_DIR)/include -I$(TEST_DIR)/src
TEST_LIBS   := $(BLAS_LIBS) $(FORK_LIBS) -lm -pthread $(TEST_OMP)

.PHONY: all darknet blas-check converter test test-build demo demo-openset render eval clean deps gpu-build gpu-check emu-build fuzz valgrind longrun bench

all: darknet

# BLAS=openblas needs Debian's libopenblas-openmp-dev (`make deps` installs it)
blas-check:
	@if [ "$(BLAS)" = openblas ] && [ ! -e $(BLAS_LIBDIR)/libopenblas.so ]; then \
	    echo "OpenBLAS not found at $(BLAS_LIBDIR): run 'make deps' (installs"; \
	    echo "libopenblas-openmp-dev), or build with Darknet's own loops: BLAS=darknet"; exit 1; fi

darknet: blas-check
	scripts/build-darknet.sh $(DARKNET_DIR) $(DN_ARGS)
	@echo "built $(DARKNET) (BLAS=$(BLAS) OPENMP=$(OPENMP) DEBUG=$(DEBUG) GPU=$(GPU) CUDNN=$(CUDNN))"
	@if [ -n "$(OPENBLAS_CORETYPE)" ]; then echo "note: OpenBLAS does not know this CPU and would run generic kernels;"; \
	    echo "      run darknet with OPENBLAS_CORETYPE=$(OPENBLAS_CORETYPE) in the environment (make's targets do)"; fi

deps:
	scripts/install-deps.sh

# make test: the test programs of both forks, then every suite (tests/run-tests.sh). The
# second fork runs the suites that test the layer (unit, bad input, e2e, the shipped build,
# the GPU-vs-CPU test); the tools' suites (eval metrics, loader, SphereFace-20, network
# parity, prepare-casia) run on pjreddie's build, and cross_fork trains on each fork and
# predicts on the other.
# AlexeyAB's source (scripts/get-darknet.sh) may be absent from a user's clone (no submodule,
# no GitHub, no tarball): then its suites are SKIPPED, except under CI (CI=true), which must
# test both forks.
test: deps
	$(MAKE) --no-print-directory test-build FORK=pjreddie
	@rc=0; scripts/get-darknet.sh $(BUILD)/darknet-alexeyab-src alexeyab || rc=$$?; \
	 if [ $$rc = 0 ]; then set -e; $(MAKE) --no-print-directory test-build FORK=alexeyab; \
	     tests/run-tests.sh --fork pjreddie $(call test_args,$(BUILD)) \
	         --fork alexeyab $(call test_args,$(BUILD)/alexeyab); \
	 elif [ $$rc = 3 ] && [ -z "$$CI" ]; then \
	     SKIPPED_FORK="alexeyab: no source for AlexeyAB's fork (see above)" \
	         tests/run-tests.sh --fork pjreddie $(call test_args,$(BUILD)); \
	 else echo "AlexeyAB's fork could not be fetched (required when CI is set)"; exit 1; fi
# test_args FORK_BUILD: DARKNET TESTDIR SHIPPED (- under SANITIZE=1) of that fork's test-build
test_args = $(1)/darknet-$(if $(filter 1,$(SANITIZE)),sanitize,test)/darknet \
    $(1)/tests$(if $(filter 1,$(SANITIZE)),-sanitize) \
    $(if $(filter 1,$(SANITIZE)),-,$(if $(filter 1,$(GPU)),$(1)/darknet-cpu,$(1)/darknet)/darknet)

# the test programs of one fork (FORK=...) in $(TEST_BIN)
test-build: blas-check
	scripts/build-darknet.sh $(TEST_DIR) $(TEST_ARGS)
	@mkdir -p $(TEST_BIN)
	$(CC) $(TEST_CFLAGS) tests/test_asoftmax.c $(TEST_DIR)/libdarknet.a $(TEST_LIBS) -o $(TEST_BIN)/test_asoftmax
	$(CC) $(TEST_CFLAGS) tests/test_asoftmax_network.c $(TEST_DIR)/libdarknet.a $(TEST_LIBS) -o $(TEST_BIN)/test_asoftmax_network
	@if [ "$(FORK)" = pjreddie ]; then set -ex; \
	$(CC) $(TEST_CFLAGS) tools/fmnist2darknet.c $(TEST_DIR)/libdarknet.a -lz $(TEST_LIBS) -o $(TEST_BIN)/fmnist2darknet; \
	$(CC) $(TEST_CFLAGS) -fopenmp -Itools tests/test_eval_metrics.c tools/eval_metrics.c -lm -o $(TEST_BIN)/test_eval_metrics; \
	$(CC) $(TEST_CFLAGS) -Itools tools/asoftmax_eval.c tools/eval_metrics.c $(TEST_DIR)/libdarknet.a $(TEST_LIBS) -o $(TEST_BIN)/asoftmax_eval; \
	$(CC) $(TEST_CFLAGS) tests/test_sphereface20.c $(TEST_DIR)/libdarknet.a $(TEST_LIBS) -o $(TEST_BIN)/test_sphereface20; \
	$(CC) $(TEST_CFLAGS) tests/test_loader.c $(TEST_DIR)/libdarknet.a $(TEST_LIBS) -o $(TEST_BIN)/test_loader; \
	$(CC) $(TEST_CFLAGS) -Itools -Idev tests/test_network_gpu.c $(TEST_DIR)/libdarknet.a $(TEST_LIBS) -o $(TEST_BIN)/test_network_parity_cpu; \
	$(CC) $(TEST_CFLAGS) -Itools -Idev dev/delta_probe.c $(TEST_DIR)/libdarknet.a $(TEST_LIBS) -o $(TEST_BIN)/delta_probe; \
	$(CC) $(TEST_CFLAGS) $$(pkg-config --cflags freetype2) -Itools dev/render_glyphs.c $(RENDER_LIBS) -o $(TEST_BIN)/render_glyphs; fi
	@if [ "$(SANITIZE)" != 1 ]; then set -e; scripts/build-darknet.sh $(SHIP_DIR) $(SHIP_ARGS); \
	    mkdir -p $(TEST_BIN)/shipped; echo "unit tests against the shipped build $(SHIP_DIR)"; \
	    for t in test_asoftmax test_asoftmax_network; do \
	        $(CC) $(TEST_CFLAGS:$(TEST_DIR)/%=$(SHIP_DIR)/%) tests/$$t.c $(SHIP_DIR)/libdarknet.a \
	            $(TEST_LIBS) -o $(TEST_BIN)/shipped/$$t; done; \
	 else rm -rf $(TEST_BIN)/shipped; fi
	@$(MAKE) --no-print-directory emu-build TEST_BIN=$(TEST_BIN)
	@if [ "$(SANITIZE)" != 1 ] && [ -x "$(NVCC)" ]; then $(MAKE) --no-print-directory gpu-build TEST_BIN=$(TEST_BIN); \
	 else rm -f $(TEST_BIN)/test_asoftmax_gpu $(TEST_BIN)/test_network_gpu; \
	   if [ "$(SANITIZE)" = 1 ]; then echo "GPU build SKIPPED: not with SANITIZE=1"; \
	   else echo "GPU build SKIPPED: no nvcc at $(NVCC)"; fi; fi

# Our tools, built against pjreddie's main build whatever FORK is (they use its API; weights
# files are the same on both forks): the Fashion-MNIST converter (demo, longrun, bench) and
# asoftmax_eval (demo, eval). With GPU=1 that build is the GPU one: same -DGPU/-DCUDNN (the
# structs differ) and the CUDA libraries.
TOOL_DIR    := $(BUILD)/darknet
TOOL_CFLAGS := -std=gnu11 -O2 -Wall -Wextra -Wshadow -Werror -I$(TOOL_DIR)/include -I$(TOOL_DIR)/src \
               $(if $(filter 1,$(GPU)),-DGPU -I$(CUDA_HOME)/include $(if $(filter 1,$(CUDNN)),-DCUDNN))
TOOL_LIBS   := $(TOOL_DIR)/libdarknet.a $(BLAS_LIBS) -lm -pthread -fopenmp \
               $(if $(filter 1,$(GPU)),-L$(CUDA_HOME)/lib64 -lcuda -lcudart -lcublas -lcurand $(if $(filter 1,$(CUDNN)),-lcudnn) -lstdc++)
CONVERTER   := $(BUILD)/fmnist2darknet
EVAL        := $(BUILD)/asoftmax_eval
converter: darknet
	@if [ "$(FORK)" != pjreddie ]; then $(MAKE) --no-print-directory darknet FORK=pjreddie; fi
	$(CC) $(TOOL_CFLAGS) tools/fmnist2darknet.c $(TOOL_LIBS) -lz -o $(CONVERTER)

# make eval: build/asoftmax_eval alone (e.g. for LFW: docs/faces.md)
eval: darknet
	@if [ "$(FORK)" != pjreddie ]; then $(MAKE) --no-print-directory darknet FORK=pjreddie; fi
	$(CC) $(TOOL_CFLAGS) -Itools tools/asoftmax_eval.c tools/eval_metrics.c $(TOOL_LIBS) -o $(EVAL)

demo: deps converter eval
	DEMO_OUT=$(FORK_BUILD)/demo scripts/demo.sh $(DARKNET) $(CONVERTER) $(EVAL)

# make demo-openset: open-set verification on rendered characters (scripts/demo-openset.sh;
# OPENSET_SIZE=small|large and the variables listed there); installs the CJK typefaces
RENDER       := $(BUILD)/render_glyphs
# FreeType's flags are asked at run time ($$(...)): `make deps` may have just installed it
RENDER_FLAGS := -std=gnu11 -O2 -Wall -Wextra -Wshadow -Werror $$(pkg-config --cflags freetype2)
RENDER_LIBS  := $$(pkg-config --libs freetype2) -lm -pthread
render: deps
	@mkdir -p $(BUILD)
	$(CC) $(RENDER_FLAGS) -Itools dev/render_glyphs.c $(RENDER_LIBS) -o $(RENDER)
demo-openset: deps render eval
	scripts/install-deps.sh --openset
	DEMO_OUT=$(FORK_BUILD)/openset scripts/demo-openset.sh $(DARKNET) $(RENDER) $(EVAL)

# Both GPU variants must compile and link on CUDA 12/13 + cuDNN 8/9 (no GPU needed); the
# GPU-vs-CPU test links against the cuDNN one and reports SKIPPED where no GPU is present.
GPU_DIR  := $(FORK_BUILD)/darknet-gpu
GPU_LIBS := -L$(CUDA_HOME)/lib64 -lcuda -lcudart -lcublas -lcurand -lcudnn -lstdc++ -lm -pthread
gpu-build:
	scripts/build-darknet.sh $(GPU_DIR) GPU=1 CUDNN=1 NVCC=$(NVCC) $(if $(strip $(ARCH)),"ARCH=$(ARCH)")
	scripts/build-darknet.sh $(FORK_BUILD)/darknet-gpu-nocudnn GPU=1 CUDNN=0 NVCC=$(NVCC) $(if $(strip $(ARCH)),"ARCH=$(ARCH)")
	@mkdir -p $(TEST_BIN)
	$(CC) -std=gnu11 -O2 -g -Wall -Wextra -Wshadow -Werror -DGPU -DCUDNN -I$(CUDA_HOME)/include \
	    -I$(GPU_DIR)/include -I$(GPU_DIR)/src tests/test_asoftmax_gpu.c $(GPU_DIR)/libdarknet.a \
	    $(GPU_LIBS) -o $(TEST_BIN)/test_asoftmax_gpu
	@# the whole-network GPU parity test drives pjreddie's network API (not ported to the fork)
	@if [ "$(FORK)" = pjreddie ]; then set -x; \
	  $(CC) -std=gnu11 -O2 -g -Wall -Wextra -Wshadow -Werror -DGPU -DCUDNN -I$(CUDA_HOME)/include \
	    -I$(GPU_DIR)/include -I$(GPU_DIR)/src -Itools -Idev tests/test_network_gpu.c $(GPU_DIR)/libdarknet.a \
	    $(GPU_LIBS) -o $(TEST_BIN)/test_network_gpu; \
	 else rm -f $(TEST_BIN)/test_network_gpu; fi

gpu-check:
	scripts/gpu-check.sh

# The GPU code on the CPU (tests/cuda-emu/README.md): the emulator's library and self-test in
# EMU_LIB, this fork's Darknet GPU=1 CUDNN=0 built with its nvcc stand-in, headers and runtime
# in EMU_DIR (nothing of the CUDA toolkit is used: COMMON and LDFLAGS replace the Makefile's),
# and the GPU test programs linked against it in TEST_BIN/emu. With SANITIZE=1 all of it under
# ASan + UBSan. EMU_REV (the emulator's headers and source rewriter) is in the build arguments
# so that build-darknet.sh rebuilds the copy when they change.
EMU_LIB   := $(BUILD)/cuda-emu$(if $(filter 1,$(SANITIZE)),-sanitize)
EMU_DIR   := $(FORK_BUILD)/darknet-emu$(if $(filter 1,$(SANITIZE)),-sanitize)
EMU_INC   := $(CURDIR)/tests/cuda-emu/include
EMU_BLAS  := /usr/lib/$(MULTIARCH)/openblas-openmp
EMU_LIBS  := -L$(CURDIR)/$(EMU_LIB) -lcudaemu -L$(EMU_BLAS) -Wl,-rpath,$(EMU_BLAS) -lopenblas -lstdc++
EMU_REV    = $(shell cat tests/cuda-emu/include/* tests/cuda-emu/nvcc tests/cuda-emu/rewrite.pl | sha256sum | cut -c1-16)
EMU_ARGS   = GPU=1 CUDNN=0 OPENMP=0 NVCC=$(CURDIR)/tests/cuda-emu/nvcc CUDA_EMU_REV=$(EMU_REV) \
    "OPTS=$(if $(filter 1,$(SANITIZE)),-O1 -g $(SAN_FLAGS),-O2 -g)" \
    "COMMON=-Iinclude/ $(if $(filter alexeyab,$(FORK)),-I3rdparty/stb/include,-Isrc/) -DGPU -I$(EMU_INC) -DOPENBLAS -I/usr/include/$(MULTIARCH)/openblas-openmp" \
    "LDFLAGS=-lm -pthread $(SAN_FLAGS) $(EMU_LIBS)"
EMU_CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Wshadow -Werror $(SAN_FLAGS) -DGPU \
              -I$(EMU_DIR)/include -I$(EMU_DIR)/src -I$(EMU_INC)
emu-build:
	SANITIZE=$(SANITIZE) tests/cuda-emu/build.sh $(EMU_LIB)
	@rm -f $(EMU_DIR)/darknet # relinked against this libcudaemu.a
	scripts/build-darknet.sh $(EMU_DIR) $(EMU_ARGS)
	@mkdir -p $(TEST_BIN)/emu
	ln -sf $(CURDIR)/$(EMU_DIR)/darknet $(TEST_BIN)/emu/darknet
	cp $(EMU_LIB)/selftest $(TEST_BIN)/emu/cuda_emu_selftest
	$(CC) $(EMU_CFLAGS) tests/test_asoftmax_gpu.c $(EMU_DIR)/libdarknet.a $(EMU_LIBS) -lm -pthread \
	    -o $(TEST_BIN)/emu/test_asoftmax_gpu
	@if [ "$(FORK)" = pjreddie ]; then set -x; \
	  $(CC) $(EMU_CFLAGS) -Itools -Idev tests/test_network_gpu.c $(EMU_DIR)/libdarknet.a $(EMU_LIBS) -lm -pthread \
	    -o $(TEST_BIN)/emu/test_network_gpu; \
	 else rm -f $(TEST_BIN)/emu/test_network_gpu; fi

# 5000 batches of cfg/fmnist-asoftmax.cfg: no NaN, a falling loss (~40 min on 2 cores; not in CI)
longrun: deps converter
	scripts/longrun.sh $(DARKNET) $(CONVERTER)

# The unit tests under valgrind memcheck: zero errors, zero definite leaks outside the
# Darknet leaks listed (each with its reason) in tests/valgrind.supp. OPENBLAS_CORETYPE is
# dropped: valgrind's virtual CPU has no AVX-512, so OpenBLAS must choose for itself there.
valgrind: deps
	DARKNET_FORK=pjreddie scripts/build-darknet.sh $(BUILD)/darknet-test OPENMP=1 "OPTS=-O2 -g" $(BLAS_ARGS)
	@mkdir -p $(BUILD)/tests-valgrind
	@set -e; for t in test_asoftmax test_asoftmax_network; do \
	  $(CC) -std=gnu11 -O2 -g -Wall -Wextra -Wshadow -Werror -I$(BUILD)/darknet-test/include \
	    -I$(BUILD)/darknet-test/src tests/$$t.c $(BUILD)/darknet-test/libdarknet.a \
	    $(BLAS_LIBS) -lm -pthread -fopenmp -o $(BUILD)/tests-valgrind/$$t; \
	  env -u OPENBLAS_CORETYPE OMP_NUM_THREADS=1 valgrind --tool=memcheck --error-exitcode=1 --leak-check=full \
	    --errors-for-leak-kinds=definite --show-leak-kinds=definite \
	    --suppressions=tests/valgrind.supp $(BUILD)/tests-valgrind/$$t \
	    $(BUILD)/tests-valgrind > $(BUILD)/valgrind-$$t.log 2>&1 \
	    || { grep -E '^==[0-9]+==' $(BUILD)/valgrind-$$t.log | head -60; exit 1; }; \
	  echo "$$t under valgrind:"; grep -E 'ERROR SUMMARY|definitely lost|suppressed:' $(BUILD)/valgrind-$$t.log; \
	  grep -E '[0-9]+ passed, [0-9]+ failed' $(BUILD)/valgrind-$$t.log; done

# libFuzzer over the [asoftmax] section text; Darknet is rebuilt with clang + coverage.
FUZZ_SECONDS ?= 60
FUZZ_DIR     := $(BUILD)/darknet-fuzz
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=undefined
fuzz: deps
	DARKNET_FORK=pjreddie scripts/build-darknet.sh $(FUZZ_DIR) CC=clang CPP=clang++ OPENMP=0 $(BLAS_ARGS) \
	    "OPTS=-O1 -g -fsanitize=fuzzer-no-link $(FUZZ_SAN)" "LDFLAGS=-lm -pthread $(FUZZ_SAN) $(BLAS_LIBS)"
	clang -O1 -g -fsanitize=fuzzer $(FUZZ_SAN) -I$(FUZZ_DIR)/include -I$(FUZZ_DIR)/src \
	    tests/fuzz/fuzz_asoftmax_cfg.c $(FUZZ_DIR)/libdarknet.a $(BLAS_LIBS) -lm -pthread -o $(BUILD)/fuzz_asoftmax_cfg
	@mkdir -p $(BUILD)/fuzz-corpus
	@echo "fuzzing for $(FUZZ_SECONDS) s (log: $(BUILD)/fuzz.log)"
	@$(BUILD)/fuzz_asoftmax_cfg -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=2048 \
	    -print_final_stats=1 -artifact_prefix=$(BUILD)/ $(BUILD)/fuzz-corpus tests/fuzz/corpus \
	    > $(BUILD)/fuzz.log 2>&1 || { grep -v '^asoftmax ' $(BUILD)/fuzz.log | tail -40; exit 1; }
	@grep -E 'stat::number_of_executed_units|Done [0-9]+ runs' $(BUILD)/fuzz.log
	@echo "fuzz: clean (no crash, hang, leak or sanitizer report)"

# `make bench`: [asoftmax] vs [connected] + [softmax], side by side (scripts/bench.sh: the
# BENCH_* variables, ~4 min on 2 cores). Separate from `make test`: timings never gate.
# The GPU twin of dev/bench_heads.c is built when nvcc is installed; it prints SKIPPED
# where no GPU is present.
BENCH_DIR    := $(BUILD)/bench
BENCH_CFLAGS := -std=gnu11 -O2 -Wall -Wextra -Wshadow -Werror
bench: deps converter
	@[ "$(FORK)" = pjreddie ] || { echo "make bench measures pjreddie's build (FORK=pjreddie)"; exit 1; }
	@mkdir -p $(BENCH_DIR)
	$(CC) $(TOOL_CFLAGS) -Itools dev/bench_heads.c $(TOOL_LIBS) -o $(BENCH_DIR)/bench_heads
	@if [ -x "$(NVCC)" ]; then \
	    DARKNET_FORK=pjreddie scripts/build-darknet.sh $(BUILD)/darknet-gpu GPU=1 CUDNN=1 NVCC=$(NVCC) $(if $(strip $(ARCH)),"ARCH=$(ARCH)") && \
	    echo "building the GPU twin $(BENCH_DIR)/bench_heads_gpu" && \
	    $(CC) $(BENCH_CFLAGS) -DGPU -DCUDNN -I$(BUILD)/darknet-gpu/include -I$(BUILD)/darknet-gpu/src -I$(CUDA_HOME)/include -Itools \
	        dev/bench_heads.c $(BUILD)/darknet-gpu/libdarknet.a $(GPU_LIBS) -o $(BENCH_DIR)/bench_heads_gpu; \
	 else rm -f $(BENCH_DIR)/bench_heads_gpu; echo "GPU twin SKIPPED (no nvcc at $(NVCC))"; fi
	@if [ "$(BLAS)" = openblas ]; then set -e; \
	    scripts/build-darknet.sh $(BUILD)/darknet-loops OPENMP=$(OPENMP) DEBUG=$(DEBUG) GPU=0 CUDNN=0; \
	    echo "building the Darknet-loops twin $(BENCH_DIR)/bench_heads_loops"; \
	    $(CC) $(BENCH_CFLAGS) -I$(BUILD)/darknet-loops/include -I$(BUILD)/darknet-loops/src -Itools dev/bench_heads.c \
	        $(BUILD)/darknet-loops/libdarknet.a -lm -pthread -fopenmp -o $(BENCH_DIR)/bench_heads_loops; \
	 else rm -f $(BENCH_DIR)/bench_heads_loops; fi
	scripts/bench.sh $(DARKNET) $(BENCH_DIR) $(if $(filter openblas,$(BLAS)),$(BUILD)/darknet-loops/darknet)

clean:
	@[ -d $(BUILD) ] && find $(BUILD) -mindepth 1 -maxdepth 1 ! -name cache -exec rm -rf {} + || true
