# Darknet with the [asoftmax] layer (A-Softmax / SphereFace). See README.md.
#
#   make          build Darknet + [asoftmax]: build/darknet/darknet, build/darknet/libdarknet.{a,so}
#   make test     build a test copy (no -Ofast) and run every test (tests/run-tests.sh)
#   make demo     train the softmax and [asoftmax] Fashion-MNIST cfgs side by side
#   make clean    remove build/ (the downloaded Darknet source is kept in build/cache)
#
# Switches passed through to Darknet's own Makefile:
#   OPENMP=1 (default: ~2x faster CPU training)  DEBUG=0  GPU=0  CUDNN=0  ARCH=
# Test switches: SANITIZE=1 builds the tests with ASan + UBSan.

OPENMP   ?= 1
DEBUG    ?= 0
GPU      ?= 0
CUDNN    ?= 0
ARCH     ?=
SANITIZE ?= 0

BUILD       := build
DARKNET_DIR := $(BUILD)/darknet
DARKNET     := $(DARKNET_DIR)/darknet

DN_ARGS := OPENMP=$(OPENMP) DEBUG=$(DEBUG) GPU=$(GPU) CUDNN=$(CUDNN)
ifneq ($(strip $(ARCH)),)
DN_ARGS += "ARCH=$(ARCH)"
endif

# the test build: Darknet's flags minus -Ofast (it makes isnan() always false)
ifeq ($(SANITIZE),1)
TEST_DIR  := $(BUILD)/darknet-sanitize
TEST_BIN  := $(BUILD)/tests-sanitize
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer
TEST_ARGS := OPENMP=0 "OPTS=-O1 -g $(SAN_FLAGS)" "LDFLAGS=-lm -pthread $(SAN_FLAGS)"
TEST_OMP  :=
export ASAN_OPTIONS  := abort_on_error=0:detect_leaks=1
export LSAN_OPTIONS  := suppressions=$(CURDIR)/tests/lsan.supp:print_suppressions=0
export UBSAN_OPTIONS := print_stacktrace=1:halt_on_error=1
else
TEST_DIR  := $(BUILD)/darknet-test
TEST_BIN  := $(BUILD)/tests
SAN_FLAGS :=
TEST_ARGS := OPENMP=1 "OPTS=-O2 -g"
TEST_OMP  := -fopenmp
endif
TEST_CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Wshadow -Werror $(SAN_FLAGS) \
               -I$(TEST_DIR)/include -I$(TEST_DIR)/src
TEST_LIBS   := -lm -pthread $(TEST_OMP)

.PHONY: all darknet test demo clean deps

all: darknet

darknet:
ifeq ($(GPU),1)
	@echo "make: the [asoftmax] GPU path is not implemented yet; build with GPU=0" >&2; exit 1
endif
	scripts/build-darknet.sh $(DARKNET_DIR) $(DN_ARGS)
	@echo "built $(DARKNET) ($(DN_ARGS))"

deps:
	scripts/install-deps.sh

test: deps
	scripts/build-darknet.sh $(TEST_DIR) $(TEST_ARGS)
	@mkdir -p $(TEST_BIN)
	$(CC) $(TEST_CFLAGS) tests/test_asoftmax.c $(TEST_DIR)/libdarknet.a $(TEST_LIBS) -o $(TEST_BIN)/test_asoftmax
	$(CC) $(TEST_CFLAGS) tools/fmnist2darknet.c $(TEST_DIR)/libdarknet.a -lz $(TEST_LIBS) -o $(TEST_BIN)/fmnist2darknet
	tests/run-tests.sh $(TEST_DIR)/darknet $(TEST_BIN)

demo: deps darknet
	$(CC) -std=gnu11 -O2 -Wall -Wextra -Werror -I$(DARKNET_DIR)/include -I$(DARKNET_DIR)/src \
	    tools/fmnist2darknet.c $(DARKNET_DIR)/libdarknet.a -lz -lm -pthread -fopenmp -o $(BUILD)/fmnist2darknet
	scripts/demo.sh $(DARKNET) $(BUILD)/fmnist2darknet

clean:
	rm -rf $(BUILD)/darknet $(BUILD)/darknet-test $(BUILD)/darknet-sanitize $(BUILD)/darknet-src \
	    $(BUILD)/tests $(BUILD)/tests-sanitize $(BUILD)/demo $(BUILD)/fmnist2darknet
