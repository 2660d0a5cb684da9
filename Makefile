# SPDX-License-Identifier: MIT
# Lunatik: `make run` and `make test` are all a fresh Debian 12 machine
# needs (as root). Every target first installs what is missing.

BUILD ?= build
PREFIX ?= /usr/local
DESTDIR ?=
JOBS ?= $(shell nproc)

.PHONY: all deps module modules debug-kernel user install uninstall test run \
	bench fuzz clean

all: deps
	$(MAKE) --no-print-directory module user

deps:
	@scripts/deps.sh $(BUILD)

# The kernel version is read after deps so that freshly installed headers
# count; `module` builds BUILD/module for Debian's default kernel
# (scripts/kver.sh), `modules` one BUILD/module-RELEASE more for each other
# kernel the tests boot, the debug kernel included (built once per machine
# and cached: scripts/debug-kernel.sh).
module: deps
	@scripts/build-module.sh $(BUILD)

modules: deps
	@scripts/build-module.sh $(BUILD) --all

debug-kernel: deps
	@scripts/debug-kernel.sh >/dev/null

user: deps
	@cmake -S . -B $(BUILD)/user -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(BUILD)/user -j $(JOBS)

# Into DESTDIR/PREFIX: lunatik.so and memory.so where Debian's lua5.4
# finds them (PREFIX/lib/lua/5.4), liblunatik.a, its headers and
# lunatik.pc, the CLI and its man page; the module's sources with a
# dkms.conf in DESTDIR/usr/src/lunatik-VERSION.
install: user
	@cmake -S . -B $(BUILD)/user -DCMAKE_INSTALL_PREFIX=$(PREFIX) >/dev/null
	@DESTDIR=$(DESTDIR) cmake --install $(BUILD)/user
	@scripts/install-dkms.sh install $(BUILD) $(DESTDIR)

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/lunatik \
		$(DESTDIR)$(PREFIX)/share/man/man1/lunatik.1 \
		$(DESTDIR)$(PREFIX)/lib/lua/5.4/lunatik.so \
		$(DESTDIR)$(PREFIX)/lib/lua/5.4/memory.so \
		$(DESTDIR)$(PREFIX)/lib/liblunatik.a \
		$(DESTDIR)$(PREFIX)/lib/pkgconfig/lunatik.pc
	rm -rf $(DESTDIR)$(PREFIX)/include/lunatik
	@scripts/install-dkms.sh uninstall $(BUILD) $(DESTDIR)

test: all
	@scripts/build-module.sh $(BUILD) --all
	@tests/run.sh $(BUILD)

run: all
	@vm/lunatik-vm --build $(BUILD) --interactive -- \
		$(abspath $(BUILD))/user/cli/lunatik shell

bench: all
	@bench/run.sh $(BUILD)

# 1,000,000 fuzzer messages (tests/fuzz/run.sh), on Debian's default kernel
# or on FUZZ_KERNEL (a release scripts/kver.sh --all lists, or debug).
FUZZ_KERNEL ?=
fuzz: all
	@$(if $(FUZZ_KERNEL),scripts/build-module.sh $(BUILD) $(FUZZ_KERNEL))
	@LUNATIK_FUZZ_KERNEL=$(FUZZ_KERNEL) tests/fuzz/run.sh $(BUILD) --long

clean:
	rm -rf $(BUILD)/module $(BUILD)/module-* $(BUILD)/user $(BUILD)/vm
