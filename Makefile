# Lunatik: `make run` and `make test` are all a fresh Debian 12 machine
# needs (as root). Every target first installs what is missing.

BUILD ?= build
JOBS ?= $(shell nproc)

.PHONY: all deps module modules debug-kernel user install test run bench fuzz \
	clean

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

# lunatik.so and memory.so where Debian's lua5.4 finds them
# (/usr/local/lib/lua/5.4), the CLI in /usr/local/bin.
install: user
	@cmake --install $(BUILD)/user --prefix /usr/local

test: all
	@scripts/build-module.sh $(BUILD) --all
	@tests/run.sh $(BUILD)

run: all
	@vm/lunatik-vm --build $(BUILD) --interactive -- \
		$(abspath $(BUILD))/user/cli/lunatik shell

bench: all
	@bench/run.sh $(BUILD)

fuzz: all
	@tests/fuzz/run.sh $(BUILD) --long

clean:
	rm -rf $(BUILD)/module $(BUILD)/module-* $(BUILD)/user $(BUILD)/vm
