# gconvctl, the administration tool (docs/gconvctl.md, man/gconvctl.8),
# included by the top-level Makefile.  gconv.ko through its generic
# netlink family (libnl-genl-3), gconvd through its socket (libgconvdev's
# client side), every answer a json-c object.
#
#   $(BUILD)/bin/gconvctl               part of `make tools`
#   $(BUILD)/tests/vm/gconvctl-static   the same, static, for the VM guest
#                                       (tests/vm/check-gconvctl; part of
#                                       `make vm-prereqs`, plain build only)

GCONVCTL := $(BUILD)/bin/gconvctl
GCONVCTL_STATIC := $(BUILD)/tests/vm/gconvctl-static
GCONVCTL_SRCS := tools/gconvctl/main.c tools/gconvctl/out.c \
		 tools/gconvctl/kernel.c tools/gconvctl/daemon.c
GCONVCTL_OBJS := $(GCONVCTL_SRCS:%.c=$(BUILD)/%.o)
GCONVCTL_PKGS := libnl-genl-3.0 json-c
GCONVCTL_CFLAGS := $(shell pkg-config --cflags $(GCONVCTL_PKGS) 2>/dev/null || \
		   echo -I/usr/include/libnl3 -I/usr/include/json-c)
GCONVCTL_LIBS := $(shell pkg-config --libs $(GCONVCTL_PKGS) 2>/dev/null || \
		 echo -lnl-genl-3 -lnl-3 -ljson-c)
GCONVCTL_STATIC_LIBS := $(shell pkg-config --static --libs $(GCONVCTL_PKGS) 2>/dev/null || \
			echo -lnl-genl-3 -lnl-3 -lpthread -ljson-c)

# <linux/gconv.h> is the family's UAPI header (include/uapi/linux)
$(GCONVCTL_OBJS): CPPFLAGS_ALL += -Iinclude/uapi $(GCONVCTL_CFLAGS)

$(GCONVCTL): $(GCONVCTL_OBJS) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_ALL) $^ -o $@ $(GCONVCTL_LIBS) $(LDLIBS_ALL)

# libnl, json-c, libdrm, protobuf-c and xxhash all ship static archives
$(GCONVCTL_STATIC): $(GCONVCTL_OBJS) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) -static $^ -o $@ $(GCONVCTL_STATIC_LIBS) $(LDLIBS_ALL)

tools: $(GCONVCTL)
vm-prereqs: $(GCONVCTL_STATIC)

# the output helpers' unit tests (tests/unit/test_gconvctl_out.c, in TESTS)
$(BUILD)/tests/unit/test_gconvctl_out.o: CPPFLAGS_ALL += -Itools/gconvctl \
	$(GCONVCTL_CFLAGS)
$(BUILD)/tests/test_gconvctl_out: $(BUILD)/tests/unit/test_gconvctl_out.o \
				  $(BUILD)/tools/gconvctl/out.o
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_ALL) $^ -o $@ $(GCONVCTL_LIBS)
