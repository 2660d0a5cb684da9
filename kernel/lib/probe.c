// SPDX-License-Identifier: GPL-2.0
/*
 * probe: kprobes in Lua. probe.new(symbol, {pre =, post =}) hooks functions
 * of a state to a kernel symbol; they run as callbacks in atomic context
 * (state.h), with a context object that is valid only while they run.
 *
 * A kprobe at a function's entry goes through ftrace on Debian's kernels:
 * its handlers run in the probed function's own context, with preemption
 * off. Elsewhere a kprobe is an int3 breakpoint, taken like an NMI, where
 * no Lua may run: those hits count as busy (lunatik_callback_run()).
 */
#include <linux/kallsyms.h>
#include <linux/kprobes.h>
#include <linux/ptrace.h>
#include <linux/sched.h>
#include <linux/smp.h>

#include "lua.h"
#include "lauxlib.h"
#include "state.h"
#include "libs.h"

#define PROBE		"probe"
#define PROBE_CTX	"probe.ctx"
#define PROBE_NARGS	6	/* the integer argument registers */

/* The context object, reused for every hit of its probe. */
struct probectx {
	struct pt_regs *regs;	/* NULL outside the probe's callback */
};

struct lprobe {
	struct kprobe kp;
	struct lunatik_callback pre;
	struct lunatik_callback post;
	bool registered;
	int ctxref;		/* the struct probectx's userdata, in the registry */
	struct probectx *ctx;
	char symbol[KSYM_NAME_LEN];
};

/* What one hit's callback needs. */
struct probecall {
	struct lprobe *p;
	struct pt_regs *regs;
};

static struct probectx *checkctx(lua_State *L)
{
	struct probectx *c = luaL_checkudata(L, 1, PROBE_CTX);

	if (!c->regs)
		luaL_error(L, "probe context is no longer valid: its callback "
			   "returned");
	return c;
}

/* ctx:pid(): the process (thread group) id, what getpid() returns. */
static int ctx_pid(lua_State *L)
{
	checkctx(L);
	lua_pushinteger(L, task_tgid_nr(current));
	return 1;
}

static int ctx_comm(lua_State *L)
{
	char comm[TASK_COMM_LEN];

	checkctx(L);
	strscpy(comm, current->comm, sizeof(comm));
	lua_pushstring(L, comm);
	return 1;
}

static int ctx_cpu(lua_State *L)
{
	checkctx(L);
	lua_pushinteger(L, smp_processor_id());
	return 1;
}

/* ctx:arg(n): the probed function's nth integer argument, as at its entry. */
static int ctx_arg(lua_State *L)
{
	struct probectx *c = checkctx(L);
	lua_Integer n = luaL_checkinteger(L, 2);

	luaL_argcheck(L, n >= 1 && n <= PROBE_NARGS, 2, "must be 1 to 6");
	lua_pushinteger(L, (lua_Integer)regs_get_kernel_argument(c->regs,
								 n - 1));
	return 1;
}

static int ctx_tostring(lua_State *L)
{
	struct probectx *c = luaL_checkudata(L, 1, PROBE_CTX);

	lua_pushstring(L, c->regs ? PROBE_CTX : PROBE_CTX " (expired)");
	return 1;
}

/*
 * The protected part of a hit's callback: index 1 the struct probecall, 2
 * the function. The context expires however the function ends, so the
 * function runs in a pcall of its own whose error goes on up.
 */
static int probecall(lua_State *L)
{
	struct probecall *call = lua_touserdata(L, 1);
	struct probectx *ctx = call->p->ctx;
	int status;

	lua_rawgeti(L, LUA_REGISTRYINDEX, call->p->ctxref);	/* 3 */
	ctx->regs = call->regs;
	lua_pushvalue(L, 2);
	lua_pushvalue(L, 3);
	status = lua_pcall(L, 1, 0, 0);
	ctx->regs = NULL;
	return status == LUA_OK ? 0 : lua_error(L);
}

static int probe_pre(struct kprobe *kp, struct pt_regs *regs)
{
	struct probecall call = {
		.p = container_of(kp, struct lprobe, kp), .regs = regs,
	};

	lunatik_callback_run(&call.p->pre, true, probecall, &call);
	return 0;	/* go on with the probed function */
}

static void probe_post(struct kprobe *kp, struct pt_regs *regs,
		       unsigned long flags)
{
	struct probecall call = {
		.p = container_of(kp, struct lprobe, kp), .regs = regs,
	};

	lunatik_callback_run(&call.p->post, true, probecall, &call);
}

/* Lets go of the functions and the context object; idempotent. */
static void release(lua_State *L, struct lprobe *p)
{
	lunatik_callback_release(L, &p->pre);
	lunatik_callback_release(L, &p->post);
	luaL_unref(L, LUA_REGISTRYINDEX, p->ctxref);
	p->ctxref = LUA_NOREF;
}

/* Unhooks, and lets go of what the probe holds. */
static void probe_unregister(lua_State *L, struct lprobe *p)
{
	if (p->registered) {
		/* Waits for handlers in flight: none touches @p afterwards. */
		unregister_kprobe(&p->kp);
		p->registered = false;
	}
	release(L, p);
}

static struct lprobe *checkprobe(lua_State *L)
{
	return luaL_checkudata(L, 1, PROBE);
}

static int probe_unregister_method(lua_State *L)
{
	struct lprobe *p = checkprobe(L);

	lunatik_lib_checksleep(L, "unregister");
	probe_unregister(L, p);
	return 0;
}

/* __gc and __close: never in an atomic callback (state.h). */
static int probe_gc(lua_State *L)
{
	probe_unregister(L, checkprobe(L));
	return 0;
}

/* Adds the integer field @name of the table at -1 to that of the one at -2. */
static void addfield(lua_State *L, const char *name)
{
	lua_getfield(L, -2, name);
	lua_getfield(L, -2, name);
	lua_pushinteger(L, lua_tointeger(L, -2) + lua_tointeger(L, -1));
	lua_setfield(L, -5, name);
	lua_pop(L, 2);
}

/*
 * p:stats(): the counts of pre and post together, the last error of
 * either (pre's first), and missed: hits the kernel skipped because a
 * probe was running on that CPU already.
 */
static int probe_stats(lua_State *L)
{
	struct lprobe *p = checkprobe(L);

	if (p->kp.pre_handler) {
		lunatik_callback_pushstats(L, &p->pre);
		if (p->kp.post_handler) {
			lunatik_callback_pushstats(L, &p->post);
			addfield(L, "calls");
			addfield(L, "errors");
			addfield(L, "busy");
			if (lua_getfield(L, -2, "lasterror") == LUA_TNIL) {
				lua_getfield(L, -2, "lasterror");
				lua_setfield(L, -4, "lasterror");
			}
			lua_pop(L, 2);
		}
	} else {
		lunatik_callback_pushstats(L, &p->post);
	}
	lua_pushinteger(L, p->kp.nmissed);
	lua_setfield(L, -2, "missed");
	return 1;
}

static int probe_tostring(lua_State *L)
{
	struct lprobe *p = checkprobe(L);

	if (p->registered)
		lua_pushfstring(L, PROBE " (%s)", p->symbol);
	else
		lua_pushliteral(L, PROBE " (unregistered)");
	return 1;
}

/* The function in field @name of the table at 2 for @cb, if there is one. */
static bool takefunction(lua_State *L, const char *name,
			 struct lunatik_callback *cb)
{
	int type = lua_getfield(L, 2, name);

	if (type == LUA_TNIL) {
		lua_pop(L, 1);
		return false;
	}
	if (type != LUA_TFUNCTION)
		luaL_error(L, "probe.new: field '%s' must be a function, not %s",
			   name, luaL_typename(L, -1));
	lunatik_callback_init(L, -1, cb);
	lua_pop(L, 1);
	return true;
}

static const char *registererror(int err)
{
	switch (err) {
	case -ENOENT:
		return "no such symbol";
	case -EINVAL:
		return "the kernel does not allow probing it";
	case -EILSEQ:
		return "not an instruction boundary";
	case -EEXIST:
		return "already probed here by another probe of its kind";
	case -ENOMEM:
		return "not enough memory";
	default:
		return NULL;
	}
}

/* probe.new(symbol, {pre =, post =}): a registered probe, or nil and a message. */
static int probe_new(lua_State *L)
{
	size_t len;
	const char *symbol = luaL_checklstring(L, 1, &len);
	const char *why;
	struct lprobe *p;
	int err;

	luaL_checktype(L, 2, LUA_TTABLE);
	lunatik_lib_checkregister(L, "probe.new");
	luaL_argcheck(L, len > 0 && len < KSYM_NAME_LEN &&
		      strlen(symbol) == len, 1, "not a symbol name");

	/* Closed until registered, so that __gc has nothing to undo. */
	p = lua_newuserdatauv(L, sizeof(*p), 0);
	memset(p, 0, sizeof(*p));
	p->pre.ref = LUA_NOREF;
	p->post.ref = LUA_NOREF;
	p->ctxref = LUA_NOREF;
	luaL_setmetatable(L, PROBE);
	p->ctx = lua_newuserdatauv(L, sizeof(*p->ctx), 0);
	p->ctx->regs = NULL;
	luaL_setmetatable(L, PROBE_CTX);
	p->ctxref = luaL_ref(L, LUA_REGISTRYINDEX);
	if (takefunction(L, "pre", &p->pre))
		p->kp.pre_handler = probe_pre;
	if (takefunction(L, "post", &p->post))
		p->kp.post_handler = probe_post;
	if (!p->kp.pre_handler && !p->kp.post_handler) {
		release(L, p);
		return luaL_error(L, "probe.new: give a 'pre' or 'post' "
				  "function");
	}
	memcpy(p->symbol, symbol, len + 1);
	p->kp.symbol_name = p->symbol;
	err = register_kprobe(&p->kp);
	if (err) {
		release(L, p);
		why = registererror(err);
		lua_pushnil(L);
		if (why)
			lua_pushfstring(L, "cannot probe '%s': %s", symbol, why);
		else
			lua_pushfstring(L, "cannot probe '%s' (error %d)",
					symbol, err);
		return 2;
	}
	p->registered = true;
	return 1;
}

int luaopen_probe(lua_State *L)
{
	static const luaL_Reg probe_methods[] = {
		{ "unregister", probe_unregister_method },
		{ "stats", probe_stats }, { NULL, NULL }
	};
	static const luaL_Reg ctx_methods[] = {
		{ "pid", ctx_pid }, { "comm", ctx_comm }, { "cpu", ctx_cpu },
		{ "arg", ctx_arg }, { NULL, NULL }
	};
	static const luaL_Reg functions[] = {
		{ "new", probe_new }, { NULL, NULL }
	};

	lunatik_lib_newclass(L, PROBE, probe_methods, probe_gc, probe_tostring);
	lunatik_lib_newclass(L, PROBE_CTX, ctx_methods, NULL, ctx_tostring);
	luaL_newlib(L, functions);
	return 1;
}
