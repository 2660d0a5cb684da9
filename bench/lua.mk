# Builds a stand-alone Lua interpreter from Debian's Lua sources with the
# given code-generation flags, for comparing Lua's speed in the kernel and
# in user space. Called by bench/run.sh:
#   make -f bench/lua.mk SRC=BUILD/lua-src OUT=DIR FLAGS='...'
# The interpreter is OUT/lua; objects stay in OUT. Lua's sources are only
# read, never copied into the repository.

SRC ?= build/lua-src
OUT ?= build/bench/lua
FLAGS ?= -O2

# Those of Debian's lua5.4 package that decide what the language does.
LUA_DEFINES := -DLUA_COMPAT_5_3 -DLUA_USE_LINUX
CORE := lapi lcode lctype ldebug ldo ldump lfunc lgc llex lmem lobject \
	lopcodes lparser lstate lstring ltable ltm lundump lvm lzio lauxlib \
	lbaselib lcorolib ldblib liolib lmathlib loadlib loslib lstrlib \
	ltablib lutf8lib linit lua
OBJECTS := $(addprefix $(OUT)/,$(addsuffix .o,$(CORE)))

$(OUT)/lua: $(OBJECTS)
	$(CC) -no-pie -o $@ $^ -Wl,-E -lm -ldl

$(OUT)/%.o: $(SRC)/src/%.c $(OUT)/flags
	$(CC) $(FLAGS) $(LUA_DEFINES) -c -o $@ $<

# Rebuild everything when the flags change.
$(OUT)/flags: FORCE
	@mkdir -p $(OUT)
	@echo '$(FLAGS)' | cmp -s - $@ || echo '$(FLAGS)' >$@

.PHONY: FORCE
