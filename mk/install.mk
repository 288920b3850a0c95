# mk/install.mk: make install, make uninstall, and the shared libgconvdev.
# Included by the top-level Makefile after its build rules (it uses LIB_SRCS,
# LIB, TOOLS, DAEMON, DRM_CFLAGS, ...).  docs/install.md says what goes
# where and why.
#
#   make install   [PREFIX=/usr/local] [DESTDIR=]   build what is missing, install
#   make uninstall [PREFIX=/usr/local] [DESTDIR=]   remove what install put there
#   make shlib      only build $(BUILD)/lib/libgconvdev.so.* (not part of `all`)
#
# Every directory below can be overridden on the command line, e.g.
# make install PREFIX=/usr LIBDIR=/usr/lib/x86_64-linux-gnu.

PREFIX ?= /usr/local
DESTDIR ?=
BINDIR ?= $(PREFIX)/bin
SBINDIR ?= $(PREFIX)/sbin
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
DATADIR ?= $(PREFIX)/share
MANDIR ?= $(DATADIR)/man
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
# gconvd's built-in policy path is /etc/gconv/gconvd.conf, so system
# prefixes (/usr, /usr/local) put the policy there; any other prefix (a
# home directory, /opt/gconv) gets $(PREFIX)/etc, and the installed
# gconvd.service passes that path with --policy.
SYSCONFDIR ?= $(if $(filter /usr /usr/local,$(PREFIX)),/etc,$(PREFIX)/etc)
# systemd, udev and sysusers read $(PREFIX)/lib/... for /usr and /usr/local
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
UDEVRULESDIR ?= $(PREFIX)/lib/udev/rules.d
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
BASHCOMPLETIONDIR ?= $(DATADIR)/bash-completion/completions

INSTALL ?= install
LDCONFIG ?= ldconfig

# ---- libgconvdev.so ------------------------------------------------------
#
# The soname carries the ABI major version; the real name is
# MAJOR.MINOR.PATCH (docs/install.md: when each one changes).  The version
# is also the pkg-config module's.
LIBGCONVDEV_VERSION := 0.1.0
LIBGCONVDEV_SOVERSION := $(firstword $(subst ., ,$(LIBGCONVDEV_VERSION)))
LIBGCONVDEV_SONAME := libgconvdev.so.$(LIBGCONVDEV_SOVERSION)
LIBGCONVDEV_SO := $(BUILD)/lib/libgconvdev.so.$(LIBGCONVDEV_VERSION)

# The same sources as the static library, compiled again with -fPIC under
# $(BUILD)/pic/ (the static build is left as it is).  -fvisibility=hidden
# (CFLAGS_ALL) keeps every symbol but the GCONV_EXPORT ones out of the
# dynamic symbol table, the generated protobuf-c code's included.  A
# target-specific flag given to an object of LIB_OBJS must be given to
# its PIC twin here too (drm.o's, for now).
PIC_BUILD := $(BUILD)/pic
PIC_OBJS := $(LIB_SRCS:%.c=$(PIC_BUILD)/%.o) $(PIC_BUILD)/gen/onnx.pb-c.o

$(PIC_BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS_ALL) $(CFLAGS_ALL) -fPIC -c $< -o $@

$(PIC_BUILD)/libgconvdev/device/drm.o: CPPFLAGS_ALL += -Iinclude/uapi/drm $(DRM_CFLAGS)
$(PIC_BUILD)/libgconvdev/engine/fast.o: CFLAGS_ALL += $(FAST_CFLAGS)
$(LIB_SRCS:%.c=$(PIC_BUILD)/%.o): | $(PB_H)

$(PIC_BUILD)/gen/onnx.pb-c.o: $(PB_C)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS_ALL) -std=c11 $(CFLAGS) $(filter -fsanitize% -fno-%,$(CFLAGS_ALL)) \
		-fvisibility=hidden -fPIC -c $< -o $@

# -z defs: every dependency is linked in (a client needs only -lgconvdev)
$(LIBGCONVDEV_SO): $(PIC_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_ALL) -shared -Wl,-soname,$(LIBGCONVDEV_SONAME) -Wl,-z,defs \
		-Wl,--as-needed $^ -o $@ $(LDLIBS_ALL)
	ln -sf $(notdir $@) $(BUILD)/lib/$(LIBGCONVDEV_SONAME)
	ln -sf $(LIBGCONVDEV_SONAME) $(BUILD)/lib/libgconvdev.so

.PHONY: shlib
shlib: $(LIBGCONVDEV_SO)

# ---- what gets installed --------------------------------------------------

INSTALL_BIN := $(BUILD)/bin/gconv-run $(BUILD)/bin/gconv-compile \
	       $(BUILD)/bin/gconv-demo $(BUILD)/bin/gconv-cost
INSTALL_SBIN := $(DAEMON)
# gconvctl (tools/gconvctl/, part of `make tools` once it exists) is
# installed if it was built
INSTALL_GCONVCTL := $(BUILD)/bin/gconvctl
INSTALL_HEADERS := $(wildcard libgconvdev/include/gconv/*.h) \
		   $(wildcard include/gconv/*.h)
MANPAGES := $(wildcard man/*.[1-8])
BASH_COMPLETIONS := etc/bash-completion/gconvctl

# The DKMS source tree: the module's sources, the two Kbuild files and the
# headers kernel/Kbuild's -I$(src)/../include and -I$(src)/../include/uapi/drm
# find, in the repository's layout, so that
# `make -C $KDIR M=$(DKMSSRCDIR) modules` builds kernel/gconv.ko.  Its
# version is dkms.conf's PACKAGE_VERSION (the module's, not the library's).
DKMS_VERSION := $(shell sed -n 's/^PACKAGE_VERSION="\{0,1\}\([^"]*\)"\{0,1\}$$/\1/p' dkms.conf)
DKMSSRCDIR ?= $(PREFIX)/src/gconv-$(DKMS_VERSION)
DKMS_FILES := dkms.conf Kbuild kernel/Kbuild \
	      $(filter-out %.mod.c,$(wildcard kernel/*.c)) $(wildcard kernel/*.h) \
	      $(wildcard include/gconv/*.h include/uapi/*/*.h)

# The pkg-config file, with the install's paths
define GCONV_PC
prefix=$(PREFIX)
exec_prefix=$${prefix}
libdir=$(patsubst $(PREFIX)/%,$${prefix}/%,$(LIBDIR))
includedir=$(patsubst $(PREFIX)/%,$${prefix}/%,$(INCLUDEDIR))

Name: libgconvdev
Description: gconv CNN accelerator: GCONV chains, ONNX compiler, device API, gconvd client
Version: $(LIBGCONVDEV_VERSION)
Requires.private: libprotobuf-c libxxhash libdrm
Libs: -L$${libdir} -lgconvdev
Libs.private: -lm -lpthread
Cflags: -I$${includedir}
endef
export GCONV_PC

# The units as installed: ExecStart's gconvd (whatever directory the unit
# names) and the policy path become the install's.
UNIT_SED := -e 's|^\(ExecStart=\)[^ ]*/gconvd\b|\1$(SBINDIR)/gconvd|' \
	    -e 's|/etc/gconv/gconvd\.conf|$(SYSCONFDIR)/gconv/gconvd.conf|g'

INSTALL_POLICY := $(DESTDIR)$(SYSCONFDIR)/gconv/gconvd.conf
DKMS_DEST := $(DESTDIR)$(DKMSSRCDIR)

# In order: programs (gconvctl if it was built); libgconvdev (the shared
# library with its soname and dev links, the archive, the headers, the
# pkg-config file); gconvd under systemd with its policy (an existing one is
# the administrator's and never overwritten); the udev rule and the group
# it names; man pages by section; bash completions that exist; the module's
# sources for DKMS.  A real install (no DESTDIR) as root ends with
# ldconfig, for the new soname.
.PHONY: install uninstall
install: tools $(LIB) $(LIBGCONVDEV_SO)
	$(INSTALL) -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SBINDIR) \
		$(DESTDIR)$(LIBDIR) $(DESTDIR)$(PKGCONFIGDIR) \
		$(DESTDIR)$(INCLUDEDIR)/gconv $(DESTDIR)$(SYSTEMDUNITDIR) \
		$(DESTDIR)$(UDEVRULESDIR) $(DESTDIR)$(SYSUSERSDIR) \
		$(DESTDIR)$(SYSCONFDIR)/gconv
	$(INSTALL) -m 755 $(INSTALL_BIN) $(DESTDIR)$(BINDIR)/
	$(INSTALL) -m 755 $(INSTALL_SBIN) $(DESTDIR)$(SBINDIR)/
	if [ -e $(INSTALL_GCONVCTL) ]; then $(INSTALL) -m 755 $(INSTALL_GCONVCTL) $(DESTDIR)$(SBINDIR)/; fi
	$(INSTALL) -m 755 $(LIBGCONVDEV_SO) $(DESTDIR)$(LIBDIR)/
	ln -sfn $(notdir $(LIBGCONVDEV_SO)) $(DESTDIR)$(LIBDIR)/$(LIBGCONVDEV_SONAME)
	ln -sfn $(LIBGCONVDEV_SONAME) $(DESTDIR)$(LIBDIR)/libgconvdev.so
	$(INSTALL) -m 644 $(LIB) $(DESTDIR)$(LIBDIR)/
	$(INSTALL) -m 644 $(INSTALL_HEADERS) $(DESTDIR)$(INCLUDEDIR)/gconv/
	printf '%s\n' "$$GCONV_PC" >$(DESTDIR)$(PKGCONFIGDIR)/libgconvdev.pc
	chmod 644 $(DESTDIR)$(PKGCONFIGDIR)/libgconvdev.pc
	for u in gconvd.service gconvd.socket; do \
		sed $(UNIT_SED) etc/systemd/$$u >$(DESTDIR)$(SYSTEMDUNITDIR)/$$u && \
		chmod 644 $(DESTDIR)$(SYSTEMDUNITDIR)/$$u || exit 1; \
	done
	if [ ! -e $(INSTALL_POLICY) ]; then $(INSTALL) -m 644 etc/gconvd.conf $(INSTALL_POLICY); \
	else echo "install: keeping the existing $(INSTALL_POLICY)"; fi
	$(INSTALL) -m 644 etc/udev/70-gconv.rules $(DESTDIR)$(UDEVRULESDIR)/
	$(INSTALL) -m 644 etc/sysusers.d/gconv.conf $(DESTDIR)$(SYSUSERSDIR)/
	for m in $(MANPAGES); do \
		$(INSTALL) -d $(DESTDIR)$(MANDIR)/man$${m##*.} && \
		$(INSTALL) -m 644 $$m $(DESTDIR)$(MANDIR)/man$${m##*.}/ || exit 1; \
	done
	for c in $(BASH_COMPLETIONS); do \
		[ ! -e $$c ] || $(INSTALL) -D -m 644 $$c \
			$(DESTDIR)$(BASHCOMPLETIONDIR)/$${c##*/} || exit 1; \
	done
	for f in $(DKMS_FILES); do \
		$(INSTALL) -D -m 644 $$f $(DKMS_DEST)/$$f || exit 1; \
	done
	if [ -z "$(DESTDIR)" ] && [ "$$(id -u)" = 0 ]; then $(LDCONFIG); fi

# Removes every file install puts, by name, then the directories of
# gconv's own that are left empty (a DKMS tree someone built in place
# keeps its objects, and its directories).  The policy file goes only if
# it is still the one shipped.
DKMS_DIRS := $(addprefix $(DKMS_DEST)/,kernel include/gconv include/uapi/drm \
	     include/uapi/linux include/uapi include) $(DKMS_DEST)
uninstall:
	rm -f $(addprefix $(DESTDIR)$(BINDIR)/,$(notdir $(INSTALL_BIN))) \
	      $(addprefix $(DESTDIR)$(SBINDIR)/,$(notdir $(INSTALL_SBIN)) gconvctl) \
	      $(DESTDIR)$(LIBDIR)/$(notdir $(LIBGCONVDEV_SO)) $(DESTDIR)$(LIBDIR)/$(LIBGCONVDEV_SONAME) \
	      $(DESTDIR)$(LIBDIR)/libgconvdev.so $(DESTDIR)$(LIBDIR)/libgconvdev.a \
	      $(DESTDIR)$(PKGCONFIGDIR)/libgconvdev.pc \
	      $(addprefix $(DESTDIR)$(INCLUDEDIR)/gconv/,$(notdir $(INSTALL_HEADERS))) \
	      $(DESTDIR)$(SYSTEMDUNITDIR)/gconvd.service \
	      $(DESTDIR)$(SYSTEMDUNITDIR)/gconvd.socket \
	      $(DESTDIR)$(UDEVRULESDIR)/70-gconv.rules \
	      $(DESTDIR)$(SYSUSERSDIR)/gconv.conf \
	      $(DESTDIR)$(BASHCOMPLETIONDIR)/gconvctl \
	      $(addprefix $(DKMS_DEST)/,$(DKMS_FILES))
	for m in $(MANPAGES); do rm -f $(DESTDIR)$(MANDIR)/man$${m##*.}/$${m##*/}; done
	if cmp -s etc/gconvd.conf $(INSTALL_POLICY); then rm -f $(INSTALL_POLICY); \
	elif [ -e $(INSTALL_POLICY) ]; then echo "uninstall: keeping the changed $(INSTALL_POLICY)"; fi
	for d in $(DKMS_DIRS) $(DESTDIR)$(INCLUDEDIR)/gconv \
		 $(DESTDIR)$(SYSCONFDIR)/gconv; do \
		[ ! -d $$d ] || rmdir --ignore-fail-on-non-empty $$d; \
	done
	if [ -z "$(DESTDIR)" ] && [ "$$(id -u)" = 0 ]; then $(LDCONFIG); fi
