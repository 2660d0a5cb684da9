# Lunatik: `make run` and `make test` are all a fresh Debian 12 machine
# needs (as root). Every target first installs what is missing.

BUILD ?= build
JOBS ?= $(shell nproc)

.PHONY: all deps module user install test run bench fuzz clean

all: deps
	$(MAKE) --no-print-directory module user

deps:
	@scripts/deps.sh $(BUILD)

# The kernel version is read after deps so that freshly installed headers
# count; the module is built for the newest kernel with image and headers.
module: deps
	@scripts/stage-module.sh $(BUILD)
	$(MAKE) -C /lib/modules/$$(scripts/kver.sh)/build \
		M=$(abspath $(BUILD))/module modules

user: deps
	@cmake -S . -B $(BUILD)/user -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(BUILD)/user -j $(JOBS)

# lunatik.so and memory.so where Debian's lua5.4 finds them
# (/usr/local/lib/lua/5.4), the CLI in /usr/local/bin.
install: user
	@cmake --install $(BUILD)/user --prefix /usr/local

test: all
	@tests/run.sh $(BUILD)

run: all
	@vm/lunatik-vm --build $(BUILD) --interactive -- \
		$(abspath $(BUILD))/user/cli/lunatik shell

bench: all
	@bench/run.sh $(BUILD)

fuzz: all
	@tests/fuzz/run.sh $(BUILD) --long

clean:
	rm -rf $(BUILD)/module $(BUILD)/user $(BUILD)/vm
