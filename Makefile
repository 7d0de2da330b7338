# SPDX-License-Identifier: GPL-2.0
#
# pallocbits top-level Makefile.  Kernel objects are described in Kbuild; this
# file drives the out-of-tree module build, the userspace library and the
# test scripts.  `make help` lists the targets.

PROJ		:= $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
BUILD		:= $(PROJ)/build
# BUILD_VARIANT=NAME (with KDIR=...) builds the module for another kernel in
# build/kmod-NAME, linked as build/pallocbits-NAME.ko, leaving the default
# build/kmod and build/pallocbits.ko alone (scripts/vmtest.sh: debug, rt).
BUILD_VARIANT	?=
KMOD_DIR	:= $(BUILD)/kmod$(if $(BUILD_VARIANT),-$(BUILD_VARIANT))
KMOD_KO		:= $(BUILD)/pallocbits$(if $(BUILD_VARIANT),-$(BUILD_VARIANT)).ko
USER_DIR	:= $(BUILD)/user
# Kernel headers to build against: KDIR=... overrides scripts/kdir.sh's choice.
KDIR		?=
KMAKE_FLAGS	:= CONFIG_PALLOCBITS=m CONFIG_PALLOCBITS_DEVICE=y CONFIG_DEBUG_INFO_BTF_MODULES=

USER_CC		?= cc
USER_CFLAGS	:= -I$(PROJ)/user/include -I$(PROJ)
USER_OPT	?= -O2 -g -Wall -Wextra -Werror -std=gnu11

# Sources of the module, linked into the build directory so that kbuild
# writes its objects there and never into the checkout.
KMOD_SRCS	:= Kbuild uapi $(wildcard $(PROJ)/*.c $(PROJ)/*.h)

PREFIX		?= /usr/local
DESTDIR		?=

.PHONY: all module user print-user-cflags kunit kunit-debug oracle check bench profile clean help deps \
	lint dkms install docs

all: module

deps:
	@$(PROJ)/scripts/deps.sh

module:
	@$(PROJ)/scripts/deps.sh build
	@mkdir -p $(KMOD_DIR)
	@for f in $(notdir $(KMOD_SRCS)); do ln -sfn $(PROJ)/$$f $(KMOD_DIR)/$$f; done
	@kdir="$(KDIR)"; [ -n "$$kdir" ] || kdir=$$($(PROJ)/scripts/kdir.sh); \
	$(MAKE) -C "$$kdir" M=$(KMOD_DIR) $(KMAKE_FLAGS) W=1 modules
	@ln -sfn $(KMOD_DIR)/pallocbits.ko $(KMOD_KO)

$(USER_DIR)/pallocbits.o: $(PROJ)/pallocbits.c $(PROJ)/pallocbits.h $(wildcard $(PROJ)/user/include/*/*.h)
	@mkdir -p $(USER_DIR)
	$(USER_CC) $(USER_OPT) $(USER_CFLAGS) -DKBUILD_MODNAME='"pallocbits"' -c -o $@ $<

# The device library (lib/libpallocbits.h): open, alloc, map, export, sync, free.
$(USER_DIR)/libpallocbits-dev.o: $(PROJ)/lib/libpallocbits.c $(PROJ)/lib/libpallocbits.h \
		$(PROJ)/uapi/pallocbits.h $(wildcard $(PROJ)/user/include/*/*.h)
	@mkdir -p $(USER_DIR)
	$(USER_CC) $(USER_OPT) $(USER_CFLAGS) -c -o $@ $<

# One archive: the chunk bitmap and the device library.
$(USER_DIR)/libpallocbits.a: $(USER_DIR)/pallocbits.o $(USER_DIR)/libpallocbits-dev.o
	rm -f $@
	ar rcs $@ $^

# The README's example (needs the device: built, never run by make).
$(USER_DIR)/dmabuf-example: $(PROJ)/lib/example.c $(USER_DIR)/libpallocbits.a
	$(USER_CC) $(USER_OPT) $(USER_CFLAGS) -o $@ $< $(USER_DIR)/libpallocbits.a

# The device library against a simulated device (ioctl, mmap, open, close
# wrapped at link time): runs anywhere; make check runs it.
$(USER_DIR)/libtest: $(PROJ)/lib/libtest.c $(USER_DIR)/libpallocbits.a
	$(USER_CC) $(USER_OPT) $(USER_CFLAGS) -Wl,--wrap=ioctl,--wrap=mmap,--wrap=mmap64,--wrap=munmap \
		-Wl,--wrap=open,--wrap=open64,--wrap=close \
		-o $@ $< $(USER_DIR)/libpallocbits.a

user: $(USER_DIR)/libpallocbits.a $(USER_DIR)/dmabuf-example $(USER_DIR)/libtest

# The flags a userspace C file needs to include pallocbits.h or
# lib/libpallocbits.h and link the library.
print-user-cflags:
	@echo $(USER_CFLAGS)

kunit:
	@$(PROJ)/scripts/kunit.sh plain

kunit-debug:
	@$(PROJ)/scripts/kunit.sh debug

oracle:
	@$(PROJ)/scripts/oracle.sh

check:
	@$(PROJ)/scripts/check.sh

# libFuzzer over the chunk bitmap (clang, ASan, UBSan); FUZZ_SECONDS overrides
# the time budget of `make fuzz`.
FUZZ_SECONDS	?= 240

.PHONY: fuzz fuzz-smoke

fuzz:
	@$(PROJ)/scripts/fuzz.sh $(FUZZ_SECONDS)

fuzz-smoke:
	@$(PROJ)/scripts/fuzz.sh 20

bench:
	@$(PROJ)/scripts/bench.sh

profile:
	@$(PROJ)/scripts/profile.sh

# pallocctl, the command line client of /dev/pallocbits (through lib/libpallocbits).
$(BUILD)/pallocctl: $(PROJ)/tools/pallocctl.c $(PROJ)/lib/libpallocbits.c \
		$(PROJ)/lib/libpallocbits.h $(PROJ)/uapi/pallocbits.h
	@mkdir -p $(BUILD)
	$(USER_CC) $(USER_OPT) -I$(PROJ) -o $@ $< $(PROJ)/lib/libpallocbits.c

# Whole-module tests and the demo in QEMU (TCG) on the Debian kernel; the
# same tests on a debug kernel built from linux-source-6.1 (KASAN, lockdep,
# ...; scripts/vmkernel.sh) and on Debian's PREEMPT_RT kernel.
.PHONY: pallocctl vmtest demo vmtest-debug vmtest-rt

pallocctl: $(BUILD)/pallocctl

vmtest:
	@$(PROJ)/scripts/vmtest.sh test

demo:
	@$(PROJ)/scripts/vmtest.sh demo

vmtest-debug:
	@KERNEL=debug $(PROJ)/scripts/vmtest.sh test

vmtest-rt:
	@KERNEL=rt $(PROJ)/scripts/vmtest.sh test

lint:
	@$(PROJ)/scripts/lint.sh

# The uapi reference, rendered from its kernel-doc (no Sphinx needed).
docs:
	@mkdir -p $(BUILD)/docs
	@perl "$$($(PROJ)/scripts/ksrc.sh)/scripts/kernel-doc" -rst $(PROJ)/uapi/pallocbits.h \
		>$(BUILD)/docs/uapi.rst 2>/dev/null
	@echo "docs: $(BUILD)/docs/uapi.rst"

# DKMS build against the installed headers, in scratch trees.
dkms:
	@$(PROJ)/scripts/dkms.sh

# The module (into updates/ of the headers' kernel, then depmod), the udev
# rule, the uapi header, and pallocctl.  DESTDIR and PREFIX are honoured.
install: module
	@kdir="$(KDIR)"; [ -n "$$kdir" ] || kdir=$$($(PROJ)/scripts/kdir.sh); \
	kver=$$(sed -n 's/^#define UTS_RELEASE "\(.*\)"/\1/p' "$$kdir/include/generated/utsrelease.h" 2>/dev/null); \
	[ -n "$$kver" ] || kver=$$(cat "$$kdir/include/config/kernel.release"); \
	$(MAKE) -C "$$kdir" M=$(KMOD_DIR) $(KMAKE_FLAGS) INSTALL_MOD_DIR=updates \
		$(if $(DESTDIR),INSTALL_MOD_PATH=$(DESTDIR)) modules_install && \
	depmod $(if $(DESTDIR),-b $(DESTDIR)) -a "$$kver"
	install -D -m 0644 $(PROJ)/packaging/99-pallocbits.rules $(DESTDIR)/etc/udev/rules.d/99-pallocbits.rules
	install -D -m 0644 $(PROJ)/uapi/pallocbits.h $(DESTDIR)$(PREFIX)/include/linux/pallocbits.h
	@if [ -f $(BUILD)/pallocctl ] || $(MAKE) -s pallocctl; then \
		install -D -m 0755 $(BUILD)/pallocctl $(DESTDIR)$(PREFIX)/bin/pallocctl; fi

clean:
	rm -rf $(BUILD)

help:
	@echo 'make [module]      build pallocbits.ko against the Debian 6.1 headers (W=1)'
	@echo 'make user          build build/user/libpallocbits.a (the chunk bitmap in userspace and'
	@echo '                   the device library lib/libpallocbits.h), build/user/dmabuf-example'
	@echo 'make -s print-user-cflags   flags to compile against the userspace library'
	@echo 'make kunit         KUnit suites on UML (kunit.py)'
	@echo 'make kunit-debug   the same with KASAN, UBSAN and lockdep'
	@echo 'make oracle        differential test of the chunk bitmap against Go itself'
	@echo 'make check         everything above; ends with "N passed, N failed"'
	@echo 'make fuzz          libFuzzer over the chunk bitmap, 240 s (FUZZ_SECONDS=...)'
	@echo 'make fuzz-smoke    the same for 20 s'
	@echo 'make bench         benchmarks (UML kernel, userspace, Go); not a test; build/bench/bench.txt'
	@echo 'make profile       perf profile of the heap in the benchmark kernel; build/profile/'
	@echo 'make pallocctl     build build/pallocctl, the command line client of /dev/pallocbits'
	@echo 'make vmtest        whole-module tests in QEMU, both modes; build/results/vmtest'
	@echo 'make vmtest-debug  the same on a debug kernel (KASAN, lockdep, atomic-sleep, PREEMPT);'
	@echo '                   built once into the cache; build/results/vmtest-debug'
	@echo 'make vmtest-rt     the same on the Debian PREEMPT_RT kernel; build/results/vmtest-rt'
	@echo 'make demo          a scripted pallocctl session in QEMU: stats and the debugfs map;'
	@echo '                   then vivid (V4L2) captures into dma-bufs of /dev/dma_heap/pallocbits'
	@echo 'make lint          checkpatch --strict, kernel-doc, sparse'
	@echo 'make dkms          DKMS build against the installed headers (scratch trees)'
	@echo 'make install       module (+depmod), udev rule, uapi header, pallocctl'
