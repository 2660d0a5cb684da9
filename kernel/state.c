// SPDX-License-Identifier: GPL-2.0
/*
 * The Lua side of a state: its allocator under the memory limit, its
 * libraries, the time budget of the code it runs, and running chunks and
 * receive_callback for netlink.c (the contract is state.h).
 */
/* Kbuild forces luaconf-kernel.h, and with it printk.h, in first. */
#undef pr_fmt
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/jiffies.h>
#include <linux/llist.h>
#include <linux/mm.h>
#include <linux/sched/clock.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <net/netlink.h>

#include "lua.h"
#include "lauxlib.h"
#include "lualib.h"
#include "lib/libs.h"
#include "memory/memory.h"
#include "state.h"

/* Lua instructions between two calls of the time-budget hook. */
#define LUNATIK_HOOK_COUNT	1000

/*
 * Below this much kernel stack, allocations do not enter direct reclaim,
 * whose own stack use could overflow what is left.
 */
#define LUNATIK_RECLAIM_STACK	(8 * 1024)

/*
 * print(): one call logs at most LUNATIK_PRINT_MAXSIZE bytes of its text
 * (and says how much it cut), in log records of at most
 * LUNATIK_PRINT_LINEMAX bytes (printk cuts longer ones). A state logs at
 * most LUNATIK_PRINT_BURST records per LUNATIK_PRINT_INTERVAL, like
 * printk_ratelimit(), and counts the ones it suppressed, which it reports
 * when the next interval begins.
 */
#define LUNATIK_PRINT_MAXSIZE	4096
#define LUNATIK_PRINT_LINEMAX	768
#define LUNATIK_PRINT_BURST	100
#define LUNATIK_PRINT_INTERVAL	(5 * HZ)

/*
 * The busy bit: whoever runs Lua in the state holds LUNATIK_BUSY. An atomic
 * callback only ever tries to take it, so it can never deadlock, even when
 * it interrupts the holder on the same CPU. A process-context caller takes
 * it with s->lock held, sets LUNATIK_WAITING so that callbacks on other
 * CPUs cannot keep taking it first, and spins: every other holder is an
 * atomic callback, which ends within lunatik_callback_us.
 */
#define LUNATIK_BUSY	1
#define LUNATIK_WAITING	2

DEFINE_PER_CPU(unsigned long, lunatik_stack_floor);

/* A state and what only state.c knows of it. */
struct lunatik_runtime {
	struct lunatik_state state;
	atomic_t busy;
	bool atomic;		/* an atomic callback runs: no sleeping */
	bool closing;		/* lua_close() runs */
	struct llist_head deferred;	/* see lunatik_free() */
	unsigned long deadline;	/* jiffies when the running code is over */
	unsigned int timeout_ms; /* its budget; 0: none */
	u64 deadline_ns;	/* the same for an atomic callback */
	struct {
		unsigned long begin;	/* jiffies: the interval's start */
		unsigned int lines;	/* logged in it */
		unsigned int missed;	/* suppressed, not yet reported */
	} print;		/* print()'s rate limit, under s->lock */
	struct {
		bool on;	/* a request's code runs: keep what it prints */
		bool cut;
		char *buf;	/* kvmalloc'd, @size bytes */
		size_t len;
		size_t size;
	} output;		/* print()'s copy for the caller, under s->lock */
};

static struct lunatik_runtime *lunatik_runtime(lua_State *L)
{
	void *ud;

	lua_getallocf(L, &ud);
	return ud;
}

/*
 * vfree() may sleep outside interrupts (a probe with preemption off), and
 * modules have no vfree_atomic(): such a block waits in @deferred, in its
 * own first bytes, for the next process-context entry or the close.
 */
static void lunatik_free(struct lunatik_runtime *rt, void *ptr)
{
	if (rt->atomic && !in_interrupt() && is_vmalloc_addr(ptr))
		llist_add(ptr, &rt->deferred);
	else
		kvfree(ptr);
}

static void lunatik_free_deferred(struct lunatik_runtime *rt)
{
	struct llist_node *node, *next;

	llist_for_each_safe(node, next, llist_del_all(&rt->deferred))
		vfree(node);
}

/* Takes s->lock and the busy bit (see LUNATIK_BUSY). */
static void lunatik_lock(struct lunatik_state *s)
{
	struct lunatik_runtime *rt = container_of(s, struct lunatik_runtime,
						  state);

	mutex_lock(&s->lock);
	atomic_or(LUNATIK_WAITING, &rt->busy);
	while (atomic_cmpxchg_acquire(&rt->busy, LUNATIK_WAITING,
				      LUNATIK_BUSY) != LUNATIK_WAITING)
		cpu_relax();
	lunatik_free_deferred(rt);
}

static void lunatik_unlock(struct lunatik_state *s)
{
	struct lunatik_runtime *rt = container_of(s, struct lunatik_runtime,
						  state);

	atomic_set_release(&rt->busy, 0);
	mutex_unlock(&s->lock);
}

static void lunatik_hook(lua_State *L, lua_Debug *ar)
{
	lunatik_checkpoint(L);
}

/* Starts the time budget of a chunk, a callback or the finalizers. */
static void lunatik_start(struct lunatik_runtime *rt, lua_State *L,
			  unsigned int ms)
{
	rt->timeout_ms = ms;
	rt->deadline = jiffies + msecs_to_jiffies(ms);
	lua_sethook(L, lunatik_hook, LUA_MASKCOUNT, LUNATIK_HOOK_COUNT);
}

/*
 * Once the budget is spent, the thread's count hook runs on every
 * instruction: a pcall that caught the error returns into Lua code, which
 * raises again at once, until the error leaves the chunk. (Counting to
 * 1000 again would let a loop around pcall catch every error, for ever.)
 * A thread that kept that count from a chunk that ended gets its usual
 * count back at its first checkpoint within budget.
 */
void lunatik_checkpoint(lua_State *L)
{
	struct lunatik_runtime *rt = lunatik_runtime(L);
	bool interrupted, expired;

	if (rt->atomic) {
		interrupted = false;
		expired = local_clock() > rt->deadline_ns;
	} else {
		cond_resched();
		interrupted = READ_ONCE(rt->state.interrupt);
		expired = rt->timeout_ms && time_after(jiffies, rt->deadline);
	}
	if (likely(!interrupted && !expired)) {
		if (unlikely(lua_gethookcount(L) != LUNATIK_HOOK_COUNT))
			lua_sethook(L, lunatik_hook, LUA_MASKCOUNT,
				    LUNATIK_HOOK_COUNT);
		return;
	}
	lua_sethook(L, lunatik_hook, LUA_MASKCOUNT, 1);
	if (interrupted)
		luaL_error(L, "interrupted");
	else if (rt->atomic)
		luaL_error(L, "timeout: callback ran for more than %d us",
			   (int)READ_ONCE(lunatik_callback_us));
	else
		luaL_error(L, "timeout: chunk ran for more than %d ms",
			   rt->timeout_ms);
}

/*
 * The Lua heap is charged to the memory cgroup of the task that runs the
 * code (__GFP_ACCOUNT charges current's). Should Lua come to run in a
 * kernel thread, that thread must take the state creator's memcg
 * (set_active_memcg()) for the charge to land there.
 */
static void *lunatik_realloc(struct lunatik_runtime *rt, void *ptr,
			     size_t osize, size_t nsize)
{
	gfp_t gfp = __GFP_NOWARN | __GFP_RETRY_MAYFAIL | __GFP_ACCOUNT;
	void *new;

	if (rt->atomic)	/* kvmalloc then takes kmalloc only */
		gfp = GFP_ATOMIC | __GFP_NOWARN;
	else if (lunatik_stackleft() > LUNATIK_RECLAIM_STACK)
		gfp |= GFP_KERNEL;
	else
		gfp |= GFP_NOWAIT;
	if (!is_vmalloc_addr(ptr) && nsize <= PAGE_SIZE)
		return krealloc(ptr, nsize, gfp);
	new = kvmalloc(nsize, gfp);
	if (new && ptr) {
		memcpy(new, ptr, min(osize, nsize));
		lunatik_free(rt, ptr);
	}
	return new;
}

/*
 * Lua's allocator: counts every byte Lua asks for in curralloc and refuses
 * to go over maxalloc, which Lua reports as "not enough memory".
 */
static void *lunatik_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
	struct lunatik_runtime *rt = ud;
	struct lunatik_state *s = &rt->state;
	void *new;

	if (!ptr)
		osize = 0;	/* Lua passes the type of the new object */
	if (nsize == 0) {
		lunatik_free(rt, ptr);
		WRITE_ONCE(s->curralloc, s->curralloc - osize);
		return NULL;
	}
	if (nsize > osize && nsize - osize > s->maxalloc - s->curralloc)
		return NULL;
	new = lunatik_realloc(rt, ptr, osize, nsize);
	if (!new) {
		if (nsize > osize)
			return NULL;
		new = ptr;	/* Lua needs shrinking to succeed; it fits */
	}
	WRITE_ONCE(s->curralloc, s->curralloc - osize + nsize);
	return new;
}

/* Lua's last resort after an error outside any protected call: our bug. */
static int lunatik_panic(lua_State *L)
{
	pr_err("unprotected Lua error: %s\n", lua_tostring(L, -1));
	return 0;
}

/* Whether print() may log one more record now. */
static bool lunatik_print_allowed(struct lunatik_runtime *rt)
{
	if (time_after(jiffies, rt->print.begin + LUNATIK_PRINT_INTERVAL)) {
		if (rt->print.missed)
			pr_info("%s: %u lines suppressed\n", rt->state.name,
				rt->print.missed);
		rt->print.begin = jiffies;
		rt->print.lines = 0;
		rt->print.missed = 0;
	}
	if (rt->print.lines < LUNATIK_PRINT_BURST) {
		rt->print.lines++;
		return true;
	}
	rt->print.missed++;
	return false;
}

/*
 * Keeps @len bytes that print() wrote for the caller of the running
 * request, up to LUNATIK_OUTPUT_MAXSIZE in all; the buffer doubles as it
 * fills, so a chunk that prints little costs little.
 */
static void lunatik_capture(struct lunatik_runtime *rt, const char *text,
			    size_t len)
{
	gfp_t gfp = GFP_KERNEL_ACCOUNT | __GFP_NOWARN;
	size_t size;
	char *buf;

	if (!rt->output.on)
		return;
	if (len > LUNATIK_OUTPUT_MAXSIZE - rt->output.len) {
		len = LUNATIK_OUTPUT_MAXSIZE - rt->output.len;
		rt->output.cut = true;
	}
	if (len > rt->output.size - rt->output.len) {
		size = max_t(size_t, rt->output.size * 2, 1024);
		size = clamp_t(size_t, size, rt->output.len + len,
			       LUNATIK_OUTPUT_MAXSIZE);
		/* As lunatik_realloc: no reclaim on a short stack. */
		if (lunatik_stackleft() <= LUNATIK_RECLAIM_STACK)
			gfp = GFP_NOWAIT | __GFP_ACCOUNT | __GFP_NOWARN;
		buf = kvmalloc(size, gfp);
		if (!buf) {
			rt->output.cut = true;
			return;
		}
		if (rt->output.len)
			memcpy(buf, rt->output.buf, rt->output.len);
		kvfree(rt->output.buf);
		rt->output.buf = buf;
		rt->output.size = size;
	}
	if (len)
		memcpy(rt->output.buf + rt->output.len, text, len);
	rt->output.len += len;
}

/* Starts keeping print()'s output for the request about to run. */
static void lunatik_capture_start(struct lunatik_runtime *rt)
{
	rt->output.on = true;
	rt->output.cut = false;
	rt->output.buf = NULL;
	rt->output.len = 0;
	rt->output.size = 0;
}

/* Hands what was kept over to @reply. */
static void lunatik_capture_end(struct lunatik_runtime *rt,
				struct lunatik_reply *reply)
{
	reply->output = rt->output.buf;
	reply->outlen = rt->output.len;
	reply->output_cut = rt->output.cut;
	rt->output.on = false;
	rt->output.buf = NULL;
}

/*
 * print(...): one kernel log record per line of text, after the state's
 * name, within the limits above; the time budget counts every record.
 * The caller of the running request also gets the whole text and a
 * newline, as lua5.4's print writes it (lunatik_capture).
 */
static int lunatik_print(lua_State *L)
{
	struct lunatik_state *s = lua_touserdata(L, lua_upvalueindex(1));
	struct lunatik_runtime *rt =
		container_of(s, struct lunatik_runtime, state);
	int n = lua_gettop(L);
	const char *text, *end, *eol;
	size_t len, piece;
	luaL_Buffer b;
	int i;

	luaL_buffinit(L, &b);
	for (i = 1; i <= n; i++) {
		if (i > 1)
			luaL_addchar(&b, '\t');
		luaL_tolstring(L, i, NULL);
		luaL_addvalue(&b);
	}
	luaL_pushresult(&b);
	text = lua_tolstring(L, -1, &len);
	lunatik_capture(rt, text, len);
	lunatik_capture(rt, "\n", 1);
	end = text + min_t(size_t, len, LUNATIK_PRINT_MAXSIZE);
	do {
		eol = memchr(text, '\n', end - text);
		if (!eol)
			eol = end;
		piece = min_t(size_t, eol - text, LUNATIK_PRINT_LINEMAX);
		lunatik_work(L, LUNATIK_STEP + piece);
		if (lunatik_print_allowed(rt))
			pr_info("%s: %.*s\n", s->name, (int)piece, text);
		text += piece;
		if (text == eol)
			text++;		/* past the newline */
	} while (text < end);
	if (len > LUNATIK_PRINT_MAXSIZE && lunatik_print_allowed(rt))
		pr_info("%s: (print cut: %zu more bytes)\n", s->name,
			len - LUNATIK_PRINT_MAXSIZE);
	return 0;
}

/* load(chunk [, chunkname [, mode [, env]]]): text only, whatever mode says. */
static int lunatik_load(lua_State *L)
{
	lua_CFunction load = lua_tocfunction(L, lua_upvalueindex(1));

	if (lua_gettop(L) < 3)
		lua_settop(L, 3);
	lua_pushliteral(L, "t");
	lua_replace(L, 3);
	return load(L);
}

/*
 * string.format: the kernel's vsnprintf has no floating point, and there
 * are no floats to format: refuse %a %e %f %g (and capitals) up front.
 */
static int lunatik_format(lua_State *L)
{
	lua_CFunction format = lua_tocfunction(L, lua_upvalueindex(1));
	size_t len;
	const char *p = luaL_checklstring(L, 1, &len);
	const char *end = p + len;

	while ((p = memchr(p, '%', end - p)) != NULL) {
		if (++p == end)
			break;
		if (*p == '%') {
			p++;
			continue;
		}
		p += strspn(p, "-+ #0123456789.");
		if (p < end && *p != '\0' && strchr("aAeEfFgG", *p))
			return luaL_error(L, "invalid conversion '%%%c' to 'format' "
					  "(no floating point in the kernel)", *p);
	}
	return format(L);
}

/*
 * string.rep: repeating the empty string n times loops n times in C,
 * which for a huge n would never end; the result is empty anyway.
 */
static int lunatik_rep(lua_State *L)
{
	lua_CFunction rep = lua_tocfunction(L, lua_upvalueindex(1));
	size_t len, seplen;

	luaL_checklstring(L, 1, &len);
	luaL_checkinteger(L, 2);
	luaL_optlstring(L, 3, "", &seplen);
	if (len == 0 && seplen == 0) {
		lua_pushliteral(L, "");
		return 1;
	}
	return rep(L);
}

/* Replaces the C function @name of the table on top with @wrapper. */
static void lunatik_wrap(lua_State *L, const char *name,
			 lua_CFunction wrapper)
{
	lua_getfield(L, -1, name);
	lua_pushcclosure(L, wrapper, 1);
	lua_setfield(L, -2, name);
}

/*
 * netlink.send(data): queues a memory or a string for the state's
 * receiver. Returns the bytes queued, or nil and a message.
 */
static int lunatik_netlink_sendlua(lua_State *L)
{
	struct lunatik_state *s = lua_touserdata(L, lua_upvalueindex(1));
	const char *data;
	size_t len;
	int ret;

	data = lmemory_tobuffer(L, 1, &len);
	if (!data) {
		if (lua_type(L, 1) != LUA_TSTRING)
			return luaL_typeerror(L, 1, "memory or string");
		data = lua_tolstring(L, 1, &len);
	}
	lua_pushnil(L);
	if (len > LUNATIK_DATA_MAXSIZE) {
		lua_pushfstring(L, "data too large: %I bytes, the most is %d",
				(lua_Integer)len, LUNATIK_DATA_MAXSIZE);
		return 2;
	}
	ret = s->ops->send(s, data, len,
			   lunatik_runtime(L)->atomic ? GFP_ATOMIC : GFP_KERNEL);
	switch (ret) {
	case -ENOTCONN:
		lua_pushliteral(L, "no receiver");
		return 2;
	case -ENOBUFS:
		lua_pushliteral(L, "receiver queue full");
		return 2;
	case -ENOMEM:
		lua_pushliteral(L, "not enough memory");
		return 2;
	}
	if (ret < 0) {
		lua_pushfstring(L, "netlink error %d", ret);
		return 2;
	}
	lua_pushinteger(L, ret);
	return 1;
}

/* Opens the libraries, in protected mode; argument: the state. */
static int lunatik_openlibs(lua_State *L)
{
	static const luaL_Reg libs[] = {
		{ LUA_GNAME, luaopen_base },
		{ LUA_LOADLIBNAME, luaopen_package },
		{ LUA_COLIBNAME, luaopen_coroutine },
		{ LUA_TABLIBNAME, luaopen_table },
		{ LUA_STRLIBNAME, luaopen_string },
		{ LUA_UTF8LIBNAME, luaopen_utf8 },
		{ LUA_MATHLIBNAME, luaopen_math },
		{ "memory", luaopen_memory },
		{ NULL, NULL }
	};
	const luaL_Reg *lib;

	for (lib = libs; lib->func; lib++) {
		luaL_requiref(L, lib->name, lib->func, 1);
		lua_pop(L, 1);
	}
	for (lib = lunatik_libs; lib->func; lib++) {
		luaL_requiref(L, lib->name, lib->func, 1);
		lua_pop(L, 1);
	}

	lua_pushglobaltable(L);
	lua_pushnil(L);
	lua_setfield(L, -2, "dofile");
	lua_pushnil(L);
	lua_setfield(L, -2, "loadfile");
	lunatik_wrap(L, "load", lunatik_load);
	lua_pushvalue(L, 1);
	lua_pushcclosure(L, lunatik_print, 1);
	lua_setfield(L, -2, "print");
	lua_createtable(L, 0, 1);
	lua_pushvalue(L, 1);
	lua_pushcclosure(L, lunatik_netlink_sendlua, 1);
	lua_setfield(L, -2, "send");
	lua_pushvalue(L, -1);
	lua_setfield(L, -3, "netlink");
	luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
	lua_insert(L, -2);
	lua_setfield(L, -2, "netlink");	/* for require'netlink' */
	lua_pop(L, 1);

	lua_getfield(L, -1, LUA_STRLIBNAME);
	lunatik_wrap(L, "format", lunatik_format);
	lunatik_wrap(L, "rep", lunatik_rep);
	return 0;
}

struct lunatik_state *lunatik_state_new(const char *name, size_t maxalloc,
					struct net *net,
					const struct lunatik_state_ops *ops)
{
	struct lunatik_runtime *rt;
	struct lunatik_state *s;
	lua_State *L;

	rt = kzalloc(sizeof(*rt), GFP_KERNEL_ACCOUNT);
	if (!rt)
		return ERR_PTR(-ENOMEM);
	s = &rt->state;
	kref_init(&s->kref);
	mutex_init(&s->lock);
	strscpy(s->name, name, sizeof(s->name));
	s->maxalloc = maxalloc;
	s->net = net;
	rt->print.begin = jiffies;
	s->ops = ops;

	L = lua_newstate(lunatik_alloc, rt);
	if (!L)
		goto err;
	lua_atpanic(L, lunatik_panic);
	lunatik_start(rt, L, READ_ONCE(lunatik_timeout_ms));
	lua_pushcfunction(L, lunatik_openlibs);
	lua_pushlightuserdata(L, s);
	if (lua_pcall(L, 1, 0, 0) != LUA_OK) {
		lua_close(L);
		goto err;
	}
	s->L = L;
	return s;
err:
	kfree(rt);
	return ERR_PTR(-ENOMEM);
}

void lunatik_state_get(struct lunatik_state *s)
{
	kref_get(&s->kref);
}

/* Closes the interpreter; finalizers (__gc) run under a budget of @ms. */
static void lunatik_close(struct lunatik_state *s, unsigned int ms)
{
	if (s->L) {
		/* What interrupted the last chunk must not end its finalizers. */
		WRITE_ONCE(s->interrupt, false);
		struct lunatik_runtime *rt = container_of(s,
				struct lunatik_runtime, state);

		lunatik_start(rt, s->L, ms);
		rt->closing = true;
		lua_close(s->L);
		s->L = NULL;
		lunatik_free_deferred(rt);
	}
}

static void lunatik_release(struct kref *kref)
{
	struct lunatik_state *s = container_of(kref, struct lunatik_state,
					       kref);

	lunatik_close(s, READ_ONCE(lunatik_timeout_ms));
	kfree(container_of(s, struct lunatik_runtime, state));
}

void lunatik_state_put(struct lunatik_state *s)
{
	kref_put(&s->kref, lunatik_release);
}

void lunatik_state_close(struct lunatik_state *s, unsigned int budget_ms)
{
	lunatik_lock(s);
	lunatik_close(s, budget_ms);
	lunatik_unlock(s);
}

/* The message handler: the error message with a traceback. */
static int lunatik_msghandler(lua_State *L)
{
	const char *msg = lua_tostring(L, 1);

	if (!msg) {
		if (luaL_callmeta(L, 1, "__tostring") &&
		    lua_type(L, -1) == LUA_TSTRING)
			msg = lua_tostring(L, -1);
		else
			msg = lua_pushfstring(L, "(error object is a %s value)",
					      luaL_typename(L, 1));
	}
	luaL_traceback(L, L, msg, 1);
	return 1;
}

/*
 * Runs the chunk at index 1 and leaves its results, those the wire cannot
 * carry (tables, functions...) replaced by their tostring.
 */
static int lunatik_runchunk(lua_State *L)
{
	int i, n;

	lua_call(L, 0, LUA_MULTRET);
	n = lua_gettop(L);
	luaL_checkstack(L, 2, "too many results");
	for (i = 1; i <= n; i++) {
		switch (lua_type(L, i)) {
		case LUA_TNIL:
		case LUA_TBOOLEAN:
		case LUA_TNUMBER:
		case LUA_TSTRING:
			break;
		default:
			luaL_tolstring(L, i, NULL);
			lua_replace(L, i);
		}
	}
	return n;
}

void lunatik_reply_free(struct lunatik_reply *reply)
{
	kvfree(reply->buf);
	kvfree(reply->values);
	kvfree(reply->output);
}

/* Returns the payload length of the value at @i, as the wire carries it. */
static size_t lunatik_valuelen(lua_State *L, int i)
{
	size_t len;

	switch (lua_type(L, i)) {
	case LUA_TNIL:
		return 0;
	case LUA_TBOOLEAN:
		return sizeof(u8);
	case LUA_TNUMBER:
		return sizeof(s64);
	default:	/* a string: lunatik_runchunk saw to it */
		lua_tolstring(L, i, &len);
		return len;
	}
}

/* Copies the values from @first to the top of the stack into @reply. */
static int lunatik_encode(lua_State *L, int first, struct lunatik_reply *reply)
{
	int i, n = lua_gettop(L) - first + 1;
	size_t size = 0, payload = 0, len;
	struct lunatik_result *v;
	lua_Integer integer;
	char *buf;
	u8 b;

	for (i = first; i < first + n; i++) {
		len = lunatik_valuelen(L, i);
		if (len > LUNATIK_RESULTS_MAXSIZE)
			return -E2BIG;
		size += nla_total_size(len);
		if (size > LUNATIK_RESULTS_MAXSIZE)
			return -E2BIG;
		payload += len;
	}
	if (n == 0)
		return 0;
	reply->values = kvmalloc_array(n, sizeof(*reply->values),
				       GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
	reply->buf = kvmalloc(max_t(size_t, payload, 1),
			      GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
	if (!reply->values || !reply->buf)
		return -ENOMEM;
	reply->nvalues = n;
	buf = reply->buf;
	for (i = first, v = reply->values; i < first + n; i++, v++) {
		v->len = lunatik_valuelen(L, i);
		switch (lua_type(L, i)) {
		case LUA_TNIL:
			v->type = LUNATIK_VALUE_NIL;
			break;
		case LUA_TBOOLEAN:
			v->type = LUNATIK_VALUE_BOOLEAN;
			b = lua_toboolean(L, i);
			memcpy(buf, &b, sizeof(b));
			break;
		case LUA_TNUMBER:
			v->type = LUNATIK_VALUE_INTEGER;
			integer = lua_tointeger(L, i);
			memcpy(buf, &integer, sizeof(integer));
			break;
		default:
			v->type = LUNATIK_VALUE_STRING;
			memcpy(buf, lua_tostring(L, i), v->len);
		}
		buf += v->len;
	}
	reply->len = payload;
	return 0;
}

/*
 * Copies the error message on top of the stack into @reply, up to its
 * first NUL (the wire carries it as C strings) and at most
 * LUNATIK_RESULTS_MAXSIZE bytes.
 */
static int lunatik_error(lua_State *L, struct lunatik_reply *reply)
{
	const char *msg = "(error object is not a string)";
	size_t len = strlen(msg);

	if (lua_type(L, -1) == LUA_TSTRING)
		msg = lua_tolstring(L, -1, &len);
	len = strnlen(msg, min_t(size_t, len, LUNATIK_RESULTS_MAXSIZE));
	reply->buf = kvmalloc(max_t(size_t, len, 1),
			      GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
	if (!reply->buf)
		return -ENOMEM;
	memcpy(reply->buf, msg, len);
	reply->lua_error = true;
	reply->len = len;
	return 0;
}

/* Locks @s for running Lua; returns the interpreter or NULL. */
static lua_State *lunatik_enter(struct lunatik_state *s, int *err)
{
	lunatik_lock(s);
	if (!s->L) {
		lunatik_unlock(s);
		*err = -ENOENT;
		return NULL;
	}
	lunatik_start(container_of(s, struct lunatik_runtime, state), s->L,
		      READ_ONCE(lunatik_timeout_ms));
	lunatik_capture_start(container_of(s, struct lunatik_runtime, state));
	return s->L;
}

static void lunatik_leave(struct lunatik_state *s, struct lunatik_reply *reply)
{
	lua_settop(s->L, 0);
	lunatik_capture_end(container_of(s, struct lunatik_runtime, state),
			    reply);
	lunatik_unlock(s);
}

/*
 * Compiled chunks, by name and text: compiling even "return" costs more than
 * the rest of a round trip, and clients tend to send the same short chunks
 * again. Only chunks whose text never names _ENV are kept, so the closure's
 * one upvalue (_ENV, shared with the functions it made) can only ever hold
 * the globals, as a fresh load would. The table is weak-valued, so a
 * collection empties it of whatever no running code holds (an emergency
 * one too: the cache never costs a chunk its memory), and it is started
 * over after LUNATIK_CHUNKS_MAX insertions. Its memory is the state's own:
 * under maxalloc and charged to its memory cgroup.
 */
#define LUNATIK_CHUNKS_MAX	64
#define LUNATIK_CHUNKS_MAXCODE	256

static const char lunatik_chunks;	/* its registry key */

struct lunatik_chunk {
	const char *code;
	size_t len;
	const char *name;
	int status;	/* of the load; LUA_OK for a cached chunk */
};

static bool lunatik_cacheable(const char *code, size_t len)
{
	const char *p = code, *end = code + len;

	if (len > LUNATIK_CHUNKS_MAXCODE)
		return false;
	while ((p = memchr(p, '_', end - p))) {
		if (end - p >= 4 && !memcmp(p, "_ENV", 4))
			return false;
		p++;
	}
	return true;
}

/* Pushes an empty cache, counting 0 insertions, and registers it. */
static void lunatik_newchunks(lua_State *L)
{
	lua_createtable(L, 0, 1);
	lua_createtable(L, 0, 1);
	lua_pushliteral(L, "v");
	lua_setfield(L, -2, "__mode");
	lua_setmetatable(L, -2);
	lua_pushinteger(L, 0);
	lua_rawseti(L, -2, 0);
	lua_pushvalue(L, -1);
	lua_rawsetp(L, LUA_REGISTRYINDEX, &lunatik_chunks);
}

/*
 * Protected (it allocates): leaves the chunk's function from the cache, or
 * loads it (then the function or the load's error message, and its status).
 */
static int lunatik_getchunk(lua_State *L)
{
	struct lunatik_chunk *c = lua_touserdata(L, 1);
	lua_Integer n;

	lua_pushlstring(L, c->name, strlen(c->name) + 1); /* its NUL ends it */
	lua_pushlstring(L, c->code, c->len);
	lua_concat(L, 2);					/* 2: key */
	if (lua_rawgetp(L, LUA_REGISTRYINDEX, &lunatik_chunks) != LUA_TTABLE) {
		lua_pop(L, 1);
		lunatik_newchunks(L);				/* 3 */
	}
	lua_pushvalue(L, 2);
	if (lua_rawget(L, 3) == LUA_TFUNCTION)
		return 1;
	lua_pop(L, 1);
	c->status = luaL_loadbufferx(L, c->code, c->len, c->name, "t");
	if (c->status != LUA_OK)
		return 1;
	lua_rawgeti(L, 3, 0);
	n = lua_tointeger(L, -1);
	lua_pop(L, 1);
	if (n >= LUNATIK_CHUNKS_MAX) {
		lunatik_newchunks(L);
		lua_replace(L, 3);
		n = 0;
	}
	lua_pushinteger(L, n + 1);
	lua_rawseti(L, 3, 0);
	lua_pushvalue(L, 2);
	lua_pushvalue(L, 4);
	lua_rawset(L, 3);
	return 1;
}

/* Pushes the chunk's function, or its load error; returns the status. */
static int lunatik_loadchunk(lua_State *L, const char *code, size_t len,
			     const char *name)
{
	struct lunatik_chunk c = { code, len, name, LUA_OK };

	if (lunatik_cacheable(code, len)) {
		lua_pushcfunction(L, lunatik_getchunk);
		lua_pushlightuserdata(L, &c);
		if (lua_pcall(L, 1, 1, 0) == LUA_OK)
			return c.status;
		lua_pop(L, 1);	/* out of memory: try without the cache */
	}
	return luaL_loadbufferx(L, code, len, name, "t");
}

int lunatik_state_dostring(struct lunatik_state *s, const char *code,
			   size_t len, const char *codename,
			   struct lunatik_reply *reply)
{
	char chunkname[LUNATIK_SCRIPTNAME_MAXSIZE + 2];
	lua_State *L;
	int status, err;

	*reply = (struct lunatik_reply){};
	if (len > 0 && code[0] == LUA_SIGNATURE[0])
		return -EINVAL;
	/* '=': messages show the name as it is ("lua in kernel:1: ...") */
	snprintf(chunkname, sizeof(chunkname), "=%s",
		 codename ? codename : LUNATIK_DEFAULT_CODENAME);

	L = lunatik_enter(s, &err);
	if (!L)
		return err;
	lua_pushcfunction(L, lunatik_msghandler);
	status = lunatik_loadchunk(L, code, len, chunkname);
	if (status == LUA_OK) {
		lua_pushcfunction(L, lunatik_runchunk);
		lua_insert(L, -2);
		status = lua_pcall(L, 1, LUA_MULTRET, 1);
	}
	err = status == LUA_OK ? lunatik_encode(L, 2, reply) :
				 lunatik_error(L, reply);
	lunatik_leave(s, reply);
	return err;
}

/* Calls receive_callback(mem); argument: the struct lunatik_data. */
static int lunatik_callback(lua_State *L)
{
	const struct lunatik_data *data = lua_touserdata(L, 1);

	if (lua_getglobal(L, "receive_callback") != LUA_TFUNCTION)
		return luaL_error(L, "receive_callback is not defined: the "
				  "state needs a global function "
				  "receive_callback(mem)");
	data->copy(lmemory_newfixed(L, data->len), data);
	lua_call(L, 1, 0);
	return 0;
}

int lunatik_state_send(struct lunatik_state *s,
		       const struct lunatik_data *data,
		       struct lunatik_reply *reply)
{
	lua_State *L;
	int err;

	*reply = (struct lunatik_reply){};
	L = lunatik_enter(s, &err);
	if (!L)
		return err;
	lua_pushcfunction(L, lunatik_msghandler);
	lua_pushcfunction(L, lunatik_callback);
	lua_pushlightuserdata(L, (void *)data);
	err = lua_pcall(L, 1, 0, 1) == LUA_OK ? 0 : lunatik_error(L, reply);
	lunatik_leave(s, reply);
	return err;
}

struct lunatik_state *lunatik_state_of(lua_State *L)
{
	return &lunatik_runtime(L)->state;
}

bool lunatik_state_atomic(lua_State *L)
{
	return lunatik_runtime(L)->atomic;
}

bool lunatik_state_closing(lua_State *L)
{
	return lunatik_runtime(L)->closing;
}

void lunatik_callback_init(lua_State *L, int idx, struct lunatik_callback *cb)
{
	luaL_checktype(L, idx, LUA_TFUNCTION);
	/* NOREF until taken: luaL_ref() may raise a memory error. */
	*cb = (struct lunatik_callback){ .s = lunatik_state_of(L),
					 .ref = LUA_NOREF };
	atomic64_set(&cb->busy, 0);
	lua_pushvalue(L, idx);
	cb->ref = luaL_ref(L, LUA_REGISTRYINDEX);
}

void lunatik_callback_release(lua_State *L, struct lunatik_callback *cb)
{
	luaL_unref(L, LUA_REGISTRYINDEX, cb->ref);
	cb->ref = LUA_NOREF;
}

void lunatik_callback_pushstats(lua_State *L,
				const struct lunatik_callback *cb)
{
	lua_createtable(L, 0, 4);
	lua_pushinteger(L, cb->calls);
	lua_setfield(L, -2, "calls");
	lua_pushinteger(L, cb->errors);
	lua_setfield(L, -2, "errors");
	lua_pushinteger(L, atomic64_read(&cb->busy));
	lua_setfield(L, -2, "busy");
	if (cb->has_error) {
		lua_pushstring(L, cb->lasterror);
		lua_setfield(L, -2, "lasterror");
	}
}

/* Keeps the error message on top of @L's stack in @cb. */
static void lunatik_callback_error(lua_State *L, struct lunatik_callback *cb)
{
	const char *msg = lua_tostring(L, -1);

	cb->errors++;
	cb->has_error = true;
	strscpy(cb->lasterror, msg ? msg : "(error object is not a string)",
		sizeof(cb->lasterror));
}

int lunatik_callback_run(struct lunatik_callback *cb, bool atomic,
			 int (*call)(lua_State *L), void *arg)
{
	struct lunatik_state *s = cb->s;
	struct lunatik_runtime *rt = container_of(s, struct lunatik_runtime,
						  state);
	unsigned long floor = 0;
	int top, err = 0;
	lua_State *L;

	if (atomic) {
		/* Hard IRQ and NMI could interrupt a netlink.send (its locks). */
		if (in_hardirq() || in_nmi() ||
		    atomic_cmpxchg_acquire(&rt->busy, 0, LUNATIK_BUSY) != 0) {
			atomic64_inc(&cb->busy);
			return -EBUSY;
		}
	} else {
		lunatik_lock(s);
	}
	L = s->L;
	if (!L || cb->ref == LUA_NOREF) {
		atomic64_inc(&cb->busy);
		err = -ENOENT;
		goto out;
	}
	top = lua_gettop(L);
	if (atomic) {
		floor = this_cpu_read(lunatik_stack_floor);
		this_cpu_write(lunatik_stack_floor,
			       current_stack_pointer - LUNATIK_CALLBACK_STACK);
		rt->atomic = true;
		/* A finalizer may unhook, which sleeps. */
		lunatik_gcatomic(L, 1);
		rt->deadline_ns = local_clock() +
				  READ_ONCE(lunatik_callback_us) * NSEC_PER_USEC;
		lua_sethook(L, lunatik_hook, LUA_MASKCOUNT, LUNATIK_HOOK_COUNT);
	} else {
		lunatik_start(rt, L, READ_ONCE(lunatik_timeout_ms));
	}
	cb->calls++;
	lua_pushcfunction(L, call);
	lua_pushlightuserdata(L, arg);
	lua_rawgeti(L, LUA_REGISTRYINDEX, cb->ref);
	if (lua_pcall(L, 2, 0, 0) != LUA_OK) {
		lunatik_callback_error(L, cb);
		err = -EPROTO;
	}
	lua_settop(L, top);
	if (atomic) {
		lunatik_gcatomic(L, 0);
		rt->atomic = false;
		this_cpu_write(lunatik_stack_floor, floor);
	}
out:
	if (atomic)	/* a waiter's LUNATIK_WAITING stays */
		atomic_fetch_andnot_release(LUNATIK_BUSY, &rt->busy);
	else
		lunatik_unlock(s);
	return err;
}
