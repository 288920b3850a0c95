# gconv top-level Makefile.
#
#   make            build the userspace parts into build/
#   make demo       install what it needs, build, run the main job (a VM)
#   make demo-host  the main job's tenants on the cpu backend, no VM
#   make check      install what it needs, build, run every test
#                   (plain and under ASan+UBSan); ends "N passed, N failed"
#   make conformance  the ONNX node-test suite alone
#   make qemu       build (or find cached) QEMU with the gconv device
#   make module     build gconv.ko against KDIR (once kernel/ has a driver)
#   make bench      benchmarks: a table and build/bench.json (tools/bench)
#   make paper      the GCONV Chain paper's claim on seven CNNs, with the
#                   cost model (tools/paper, docs/cost-model.md)
#   make fuzz-kernel  fuzz gconv.ko in a VM for FUZZ_SECONDS (default 1800;
#                   tests/vm/check-fuzz, FUZZ_ARGS='--seed S' replays a run)
#   make clean      remove build/
#
# Userspace objects go to $(BUILD) (default build/); the sanitizer variant
# of the tests is the same rules run with BUILD=build/asan SAN=1.

BUILD ?= build
.DEFAULT_GOAL := all
SAN ?= 0
# The module is built against the running kernel's headers if they exist,
# else against the Debian 6.12 headers the VM tests boot with.
KDIR ?= $(shell d=/lib/modules/$$(uname -r)/build; [ -d $$d ] && echo $$d || \
	  echo /usr/src/linux-headers-$$(tools/vm/kernel --abi 2>/dev/null))
# the VM tests always use the Debian kernel's headers
VM_KDIR = /usr/src/linux-headers-$(shell tools/vm/kernel --abi)

CC ?= cc
CFLAGS ?= -O2 -g
WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wvla
CPPFLAGS_ALL := -Iinclude -Ilibgconvdev/include -Iqemu-device -D_POSIX_C_SOURCE=200809L
CFLAGS_ALL := -std=c11 $(WARN) $(CFLAGS) -fvisibility=hidden -MMD -MP
LDLIBS_ALL := -lm

ifeq ($(SAN),1)
CFLAGS_ALL += -fsanitize=address,undefined -fno-sanitize-recover=all \
	      -fno-omit-frame-pointer -O1
LDFLAGS_ALL += -fsanitize=address,undefined
endif

# ---- libgconvdev --------------------------------------------------------

# ONNX's protobuf schema, compiled to C by protoc-c at build time.
ONNX_PROTO ?= /usr/include/onnx/onnx.proto
GEN := $(BUILD)/gen
PB_C := $(GEN)/onnx.pb-c.c
PB_H := $(GEN)/onnx.pb-c.h
PB_OBJ := $(GEN)/onnx.pb-c.o

LIB_SRCS := libgconvdev/chain.c libgconvdev/engine/golden.c \
	    libgconvdev/engine/fast.c libgconvdev/engine/blas.c \
	    libgconvdev/engine/select.c libgconvdev/engine/pool.c \
	    libgconvdev/tensor_io.c \
	    libgconvdev/compiler/graph.c libgconvdev/compiler/import.c \
	    libgconvdev/compiler/infer.c libgconvdev/compiler/lower.c \
	    libgconvdev/compiler/model.c \
	    libgconvdev/device/device.c libgconvdev/device/cpu.c \
	    libgconvdev/device/drm.c
# gconvd's wire protocol (protocol.h) and its client library (client.h)
LIB_SRCS += libgconvdev/protocol.c libgconvdev/client.c libgconvdev/fail.c
# the analytical cost model (cost.h; self-contained: the QEMU device copies it)
LIB_SRCS += libgconvdev/cost/cost.c libgconvdev/cost/cost_chain.c \
	    libgconvdev/cost/baseline.c
LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/%.o) $(PB_OBJ)
LIB := $(BUILD)/lib/libgconvdev.a
CPPFLAGS_ALL += -I$(GEN)
# the drm device backend: libdrm (drmIoctl, PRIME) and the driver's UAPI
DRM_CFLAGS := $(shell pkg-config --cflags libdrm 2>/dev/null || echo -I/usr/include/libdrm)
DRM_LIBS := $(shell pkg-config --libs libdrm 2>/dev/null || echo -ldrm)
$(BUILD)/libgconvdev/device/drm.o: CPPFLAGS_ALL += -Iinclude/uapi/drm $(DRM_CFLAGS)
LDLIBS_ALL := -lprotobuf-c -lxxhash $(DRM_LIBS) $(LDLIBS_ALL)
# the fast engine's SGEMM: OpenBLAS (Debian libopenblas-dev for cblas.h),
# not linked but loaded on first use (libgconvdev/engine/blas.c), so that
# its threads start after a daemon has set its signal mask
# its loops are written for the vectoriser: -O2's very-cheap cost model
# skips every loop whose trip count is not a multiple of the vector width
FAST_CFLAGS := -ftree-vectorize -fvect-cost-model=dynamic -fno-math-errno
$(BUILD)/libgconvdev/engine/fast.o: CFLAGS_ALL += $(FAST_CFLAGS)

$(PB_C) $(PB_H) &: $(ONNX_PROTO)
	@mkdir -p $(GEN)
	protoc-c --c_out=$(GEN) -I$(dir $(ONNX_PROTO)) $(ONNX_PROTO)

# generated code: not held to our warning set
$(PB_OBJ): $(PB_C)
	$(CC) $(CPPFLAGS_ALL) -std=c11 $(CFLAGS) $(filter -fsanitize% -fno-%,$(CFLAGS_ALL)) -c $< -o $@

$(LIB_SRCS:%.c=$(BUILD)/%.o): | $(PB_H)

# ---- tools --------------------------------------------------------------

TOOLS := $(BUILD)/bin/gconv-demo $(BUILD)/bin/gconv-compile \
	 $(BUILD)/bin/gconv-run $(BUILD)/bin/gconv-tenant \
	 $(BUILD)/bin/gconv-cost
TOOL_COMMON := $(BUILD)/tests/common/sample_chain.o

# ---- gconvd -------------------------------------------------------------

# the daemon: sd-event and sd-daemon (libsystemd), inih for the policy file
DAEMON := $(BUILD)/bin/gconvd
DAEMON_OBJS := $(BUILD)/daemon/gconvd.o $(BUILD)/daemon/policy.o
DAEMON_LIBS := -lsystemd -linih -ljson-c -lmicrohttpd -lpthread
$(DAEMON_OBJS): CPPFLAGS_ALL += -Idaemon

$(DAEMON): $(DAEMON_OBJS) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_ALL) $^ -o $@ $(LDLIBS_ALL) $(DAEMON_LIBS)

# the policy parser's unit tests: policy.o and inih, without the daemon
$(BUILD)/tests/unit/test_policy.o: CPPFLAGS_ALL += -Idaemon
$(BUILD)/tests/test_policy: $(BUILD)/tests/unit/test_policy.o \
			    $(BUILD)/daemon/policy.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_ALL) $^ -o $@ $(LDLIBS_ALL) -linih

include tools/gconvctl/gconvctl.mk

# ---- tests --------------------------------------------------------------

TEST_SRCS := $(wildcard tests/unit/test_*.c)
TESTS := $(TEST_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
CONFORMANCE := $(BUILD)/tests/conformance-run
CONFORMANCE_EXPECT := tests/conformance/expected-pass.txt
CNN_CHECK := $(BUILD)/tests/cnn-check
# gconvd from the outside, cpu backend (tests/daemon/check-gconvd runs it)
GCONVD_TEST := $(BUILD)/tests/gconvd-test $(BUILD)/tests/gconvd-sched-test

.PHONY: all lib tools tests check demo module clean

# all also builds the static client of gconvd's tenant tests, a guest
# program (GUEST_PROGS) that tests/daemon/check-gconvd-tenants runs on the
# host too; plain build only, like every guest program
all: lib tools tests $(if $(filter 1,$(SAN)),,$(BUILD)/tests/vm/guest-gconvd-client)

lib: $(LIB)
tools: $(TOOLS) $(DAEMON)
# gconvd is in both: its tests run it plain and under ASan+UBSan
tests: $(TESTS) $(CONFORMANCE) $(CNN_CHECK) $(DAEMON) $(GCONVD_TEST)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS_ALL) $(CFLAGS_ALL) -c $< -o $@

$(LIB): $(LIB_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

$(BUILD)/bin/gconv-demo: $(BUILD)/tools/gconv-demo.o $(TOOL_COMMON) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_ALL) $^ -o $@ $(LDLIBS_ALL)

# the tools' error messages (tools/tool_msg.c)
TOOL_MSG := $(BUILD)/tools/tool_msg.o

# the cost model's tool prints JSON with json-c
$(BUILD)/bin/gconv-cost: $(BUILD)/tools/gconv-cost.o $(TOOL_MSG) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_ALL) $^ -o $@ $(LDLIBS_ALL) -ljson-c

$(BUILD)/bin/gconv-%: $(BUILD)/tools/gconv-%.o $(TOOL_MSG) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_ALL) $^ -o $@ $(LDLIBS_ALL)

# the device model's QEMU-independent core, tested on the host
DEVICE_CORE := $(BUILD)/qemu-device/gconv-core.o

$(BUILD)/tests/test_device: $(BUILD)/tests/unit/test_device.o $(DEVICE_CORE) \
			    $(TOOL_COMMON) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_ALL) $^ -o $@ $(LDLIBS_ALL)

$(BUILD)/tests/%: $(BUILD)/tests/unit/%.o $(TOOL_COMMON) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_ALL) $^ -o $@ $(LDLIBS_ALL)

# ONNX's backend node tests (Debian's libonnx-testdata) through the
# compiler: tests/conformance/README.md.

$(BUILD)/tests/conformance/run.o: | $(PB_H)

$(CONFORMANCE): $(BUILD)/tests/conformance/run.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_ALL) $^ -o $@ $(LDLIBS_ALL)

.PHONY: conformance
conformance: $(CONFORMANCE)
	$(CONFORMANCE) --expect $(CONFORMANCE_EXPECT)

# VM tests: static guest programs (plain build only: they run in the VM),
# our QEMU (built and cached by qemu-device/build) and the Debian kernel.
GUEST_PROGS := $(BUILD)/tests/vm/guest-rawdev $(BUILD)/tests/vm/gconv-test \
	       $(BUILD)/tests/vm/gconv-nltest $(BUILD)/tests/vm/gconv-fuzz \
	       $(BUILD)/tests/vm/guest-devapi $(BUILD)/tests/vm/guest-gconvd-client

# the device API's drm backend (tests/vm/check-devapi): libgconvdev with
# libdrm, and the compiler (protobuf-c, xxhash) for the digits model
$(BUILD)/tests/vm/guest-devapi: $(BUILD)/tests/vm/guest_devapi.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) -static $^ -o $@ $(LDLIBS_ALL)

# gconvd's clients (tests/vm/check-gconvd): the client library, and the
# compiler and cpu backend for reference outputs
$(BUILD)/tests/vm/guest-gconvd-client: $(BUILD)/tests/vm/guest_gconvd_client.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) -static $^ -o $@ $(LDLIBS_ALL)

$(BUILD)/tests/vm/guest-rawdev: $(BUILD)/tests/vm/guest_rawdev.o \
				$(TOOL_COMMON) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) -static $^ -o $@ -lm

# the driver's test program talks to /dev/accel through libdrm (static)
$(BUILD)/tests/vm/gconv_test.o: CPPFLAGS_ALL += -D_GNU_SOURCE \
	-Iinclude/uapi/drm -I/usr/include/libdrm
$(BUILD)/tests/vm/gconv-test: $(BUILD)/tests/vm/gconv_test.o \
			      $(TOOL_COMMON) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) -static $^ -o $@ /usr/lib/x86_64-linux-gnu/libdrm.a -lm

# the driver's fuzzer (tests/vm/check-fuzz runs it): raw ioctls only
$(BUILD)/tests/vm/gconv_fuzz.o: CPPFLAGS_ALL += -D_GNU_SOURCE \
	-Iinclude/uapi/drm -I/usr/include/libdrm
$(BUILD)/tests/vm/gconv-fuzz: $(BUILD)/tests/vm/gconv_fuzz.o \
			      $(TOOL_COMMON) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) -static $^ -o $@ -lm

# the netlink family's test client: libnl-genl (static), the family's UAPI
# header as <linux/gconv.h>, and the driver's ioctls for jobs to report
$(BUILD)/tests/vm/gconv_nltest.o: CPPFLAGS_ALL += -D_GNU_SOURCE \
	-Iinclude/uapi -Iinclude/uapi/drm -I/usr/include/libdrm -I/usr/include/libnl3
$(BUILD)/tests/vm/gconv-nltest: $(BUILD)/tests/vm/gconv_nltest.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) -static $^ -o $@ -lnl-genl-3 -lnl-3 -lpthread -lm

.PHONY: qemu vm-prereqs
qemu:
	qemu-device/build --print-binary

# the module for the VM tests, against the Debian kernel they boot (and
# gconvd, dynamic, for tests/vm/check-gconvd)
vm-prereqs: qemu $(GUEST_PROGS) $(DAEMON)
	tools/vm/kernel >/dev/null
	$(MAKE) -C $(VM_KDIR) M=$(CURDIR) W=1 modules

# gconv.ko under its fuzzer for a long while (make check runs a short one).
# FUZZ_SECONDS from the command line or the environment wins over the
# default of 1800 (fuzz-protocol's own default of 60 does not apply here);
# FUZZ_ARGS passes gconv-fuzz options, e.g. FUZZ_ARGS='--seed 1234'.
FUZZ_KERNEL_SECONDS = $(if $(filter command environment%,$(firstword $(origin FUZZ_SECONDS))),$(FUZZ_SECONDS),1800)
.PHONY: fuzz-kernel
fuzz-kernel: vm-prereqs
	GCONV_FUZZ_ARGS='$(FUZZ_ARGS)' tests/vm/check-fuzz $(BUILD) $(FUZZ_KERNEL_SECONDS)

# Real CNNs (torchvision exports, cached outside the clone) against PyTorch.

$(CNN_CHECK): $(BUILD)/tests/models/cnn_check.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_ALL) $^ -o $@ $(LDLIBS_ALL)

$(BUILD)/tests/gconvd-test: $(BUILD)/tests/daemon/gconvd_test.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_ALL) $^ -o $@ $(LDLIBS_ALL)

$(BUILD)/tests/gconvd-sched-test: $(BUILD)/tests/daemon/gconvd_sched_test.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_ALL) $^ -o $@ $(LDLIBS_ALL)

# gconvd's message checker under libFuzzer (not part of make check):
# make fuzz-protocol [FUZZ_SECONDS=60].  The corpus starts from one valid
# message of each type and grows in $(FUZZ_DIR)/protocol-corpus; an input
# is an fd-count byte and a message of up to GCONVD_MAX_MSG (65536) bytes.
FUZZ_SECONDS ?= 60
FUZZ_CC ?= clang
FUZZ_DIR := $(BUILD)/fuzz
FUZZ_PROTO_SRCS := tests/fuzz/fuzz_protocol.c libgconvdev/protocol.c
FUZZ_PROTO_DEPS := $(FUZZ_PROTO_SRCS) tests/common/proto_msgs.h \
		   libgconvdev/include/gconv/protocol.h

$(FUZZ_DIR)/fuzz-protocol: $(FUZZ_PROTO_DEPS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(CPPFLAGS_ALL) -std=c11 $(WARN) -O1 -g \
		-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		$(FUZZ_PROTO_SRCS) -o $@

$(FUZZ_DIR)/protocol-seeds: $(FUZZ_PROTO_DEPS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(CPPFLAGS_ALL) -std=c11 $(WARN) -O1 -DFUZZ_SEEDS \
		$(FUZZ_PROTO_SRCS) -o $@

.PHONY: fuzz-protocol
fuzz-protocol: $(FUZZ_DIR)/fuzz-protocol $(FUZZ_DIR)/protocol-seeds
	@mkdir -p $(FUZZ_DIR)/protocol-corpus
	$(FUZZ_DIR)/protocol-seeds $(FUZZ_DIR)/protocol-corpus
	$(FUZZ_DIR)/fuzz-protocol -max_total_time=$(FUZZ_SECONDS) \
		-max_len=65537 -print_final_stats=1 \
		$(FUZZ_DIR)/protocol-corpus

# make bench: benchmarks against baselines measured in the same run
# (tools/bench prints a table and writes $(BUILD)/bench.json).
BENCH_PROGS := $(BUILD)/tests/bench-gconvd-memory \
	       $(BUILD)/tests/bench-gconvd-sched
BENCH_COMMON := $(BUILD)/tests/bench/gconvd_common.o

$(BENCH_PROGS): $(BUILD)/tests/bench-gconvd-%: $(BUILD)/tests/bench/gconvd_%.o \
				$(BENCH_COMMON) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_ALL) $^ -o $@ $(LDLIBS_ALL)

# the fast engine against the golden one, ResNet-18 end to end, and
# against PyTorch on seven CNNs; the machine's fp32 peak
ENGINE_BENCH := $(BUILD)/tests/bench-engine $(BUILD)/tests/bench-peak \
		$(BUILD)/tests/bench-dnnl

# oneDNN against the fast engine on ResNet-18's convolutions (make bench
# only: Debian libdnnl-dev, installed by deps-bench)
$(BUILD)/tests/bench-dnnl: $(BUILD)/tests/bench/dnnl_probe.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_ALL) $^ -o $@ -ldnnl $(LDLIBS_ALL) -lpthread

$(BUILD)/tests/bench-peak: $(BUILD)/tests/bench/peak.o
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_ALL) $^ -o $@ -lpthread

$(BUILD)/tests/bench-engine: $(BUILD)/tests/bench/engine_bench.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_ALL) $^ -o $@ $(LDLIBS_ALL)

.PHONY: bench
bench: deps-bench
	$(MAKE) tools $(BENCH_PROGS) $(ENGINE_BENCH)
	tools/bench $(BUILD)

# make paper: the GCONV Chain paper's 3.4x / 3.2x claim against gconv-cost's
# analytical model on its seven CNNs (tools/paper, docs/cost-model.md);
# PAPER_ARGS passes gconv-cost options, e.g. PAPER_ARGS='--glb 216'.
.PHONY: paper
paper: deps-bench
	$(MAKE) $(BUILD)/bin/gconv-cost
	tools/paper $(BUILD) -- $(PAPER_ARGS)

.PHONY: deps-bench
deps-bench:
	tools/setup-deps build compiler models bench

# ---- the two README commands -------------------------------------------

# Each suite is one command for tests/run-tests, which sums their
# "N passed, N failed" lines: the unit tests plain and under ASan+UBSan,
# ONNX conformance plain and under ASan+UBSan, the fast engine without a
# BLAS, and ResNet-18 against PyTorch.
CHECK_SUITES := $(TESTS) $(TESTS:$(BUILD)/%=$(BUILD)/asan/%) \
	"$(CONFORMANCE) --expect $(CONFORMANCE_EXPECT)" \
	"$(BUILD)/asan/tests/conformance-run --expect $(CONFORMANCE_EXPECT)" \
	"env GCONV_BLAS=none $(BUILD)/tests/test_fast_engine" \
	"tests/models/check-cnns $(BUILD) resnet18" \
	"tests/daemon/check-gconv-run $(BUILD)" \
	"tests/daemon/check-gconvd $(BUILD)" \
	"tests/daemon/check-gconvd $(BUILD)/asan" \
	"tests/daemon/check-gconvd-tenants $(BUILD)" \
	"tests/tools/check-gconvctl $(BUILD)" \
	"tests/tools/check-gconvctl-gconvd $(BUILD)" \
	"tests/tools/check-demo $(BUILD)" \
	"tests/install/check-install $(BUILD)" \
	"tests/vm/check-rawdev $(BUILD)" \
	"tests/vm/check-driver $(BUILD)" \
	"tests/vm/check-netlink $(BUILD)" \
	"tests/vm/check-faults $(BUILD)" \
	"tests/vm/check-fuzz $(BUILD) 60" \
	"tests/vm/check-devapi $(BUILD)" \
	"tests/vm/check-gconvd $(BUILD)" \
	"tests/vm/check-gconvctl $(BUILD)" \
	"tools/check-kernel" \
	"tools/vm/selftest"

check: deps-check
	$(MAKE) all
	$(MAKE) BUILD=$(BUILD)/asan SAN=1 tests
	$(MAKE) vm-prereqs
	tests/run-tests $(CHECK_SUITES)

demo: deps-demo
	$(MAKE) tools
	$(MAKE) vm-prereqs
	BUILD=$(BUILD) tools/demo

# the same tenants on the cpu backend, without a VM
demo-host: deps-demo-host
	$(MAKE) tools
	BUILD=$(BUILD) tools/demo-host

.PHONY: deps-check deps-demo deps-demo-host demo-host
deps-check:
	tools/setup-deps build compiler conformance models qemu vm kernel

deps-demo:
	tools/setup-deps build compiler models qemu vm kernel

deps-demo-host:
	tools/setup-deps build compiler models

# ---- kernel module (kernel/, through the top-level Kbuild) -------------

module:
	$(MAKE) -C $(KDIR) M=$(CURDIR) W=1 modules

clean:
	rm -rf $(BUILD)
	@if [ -d "$(KDIR)" ]; then $(MAKE) -C $(KDIR) M=$(CURDIR) clean; fi

include mk/install.mk

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
