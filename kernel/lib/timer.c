// SPDX-License-Identifier: GPL-2.0
/*
 * timer: Lua functions run later, once or every so often. timer.after(ms,
 * fn) and timer.every(ms, fn) run @fn as a callback in process context
 * (state.h), from a work item of the module's timer workqueue: it waits
 * for its turn at the state and may do anything a chunk does.
 *
 * The timer itself lives outside Lua, because its work item may still be
 * waiting for the state's lock when the Lua object is collected: a
 * finalizer runs under that lock, so it cannot wait for the work item, and
 * the two share the timer through a reference count instead.
 */
#include <linux/jiffies.h>
#include <linux/kref.h>
#include <linux/slab.h>
#include <linux/workqueue.h>

#include "lua.h"
#include "lauxlib.h"
#include "state.h"
#include "libs.h"

#define TIMER		"timer"
/* Longest delay or period, in ms: about 24 days. */
#define TIMER_MAX_MS	INT_MAX

static struct workqueue_struct *timer_wq;

struct ltimer {
	/* One for the Lua object, one for each queued or running work item. */
	struct kref kref;
	struct delayed_work work;
	struct lunatik_callback cb;
	struct lunatik_state *s;	/* counted reference */
	unsigned long period;		/* jiffies; 0: runs once */
	bool over;	/* cancelled, or ran once: queued no more */
};

/*
 * The Lua object: a pointer, in a userdata as big as the timer so that the
 * state's memory limit counts what a timer costs.
 */
struct ltimer_ref {
	struct ltimer *t;
	u8 charge[sizeof(struct ltimer) - sizeof(struct ltimer *)];
};

static void timer_free(struct kref *kref)
{
	struct ltimer *t = container_of(kref, struct ltimer, kref);

	lunatik_state_put(t->s);
	kfree(t);
}

/* Under the state's lock: queues @t's work item @delay from now. */
static void timer_queue(struct ltimer *t, unsigned long delay)
{
	kref_get(&t->kref);
	if (!queue_delayed_work(timer_wq, &t->work, delay))
		kref_put(&t->kref, timer_free);	/* never the last one */
}

/*
 * The protected part of a tick, under the state's lock: index 1 the
 * timer, 2 the function. The next tick is queued first, so that an error
 * or a t:cancel() in the function has the last word.
 */
static int timercall(lua_State *L)
{
	struct ltimer *t = lua_touserdata(L, 1);

	if (t->period)
		timer_queue(t, t->period);
	else
		t->over = true;
	lua_pushvalue(L, 2);
	lua_call(L, 0, 0);
	return 0;
}

static void timer_tick(struct work_struct *work)
{
	struct ltimer *t = container_of(to_delayed_work(work), struct ltimer,
					work);

	/* Cancelled or collected meanwhile: the callback is released, and
	 * this only drops the work item's reference. */
	lunatik_callback_run(&t->cb, false, timercall, t);
	kref_put(&t->kref, timer_free);
}

static struct ltimer_ref *checktimer(lua_State *L)
{
	return luaL_checkudata(L, 1, TIMER);
}

/* Under the state's lock: no tick of @t runs Lua after this. */
static void timer_cancel(lua_State *L, struct ltimer *t)
{
	if (t->cb.ref == LUA_NOREF)
		return;
	t->over = true;
	if (cancel_delayed_work(&t->work))
		kref_put(&t->kref, timer_free);	/* the queued item's */
	/* A work item already waiting for the lock finds no function. */
	lunatik_callback_release(L, &t->cb);
}

static int timer_cancel_method(lua_State *L)
{
	struct ltimer_ref *r = checktimer(L);

	if (r->t)
		timer_cancel(L, r->t);
	return 0;
}

/* __gc and __close. */
static int timer_gc(lua_State *L)
{
	struct ltimer_ref *r = checktimer(L);

	if (r->t) {
		timer_cancel(L, r->t);
		kref_put(&r->t->kref, timer_free);
		r->t = NULL;
	}
	return 0;
}

/* t:stats(): {calls = n, errors = n, busy = n, lasterror = msg or nil}. */
static int timer_stats(lua_State *L)
{
	struct ltimer_ref *r = checktimer(L);

	if (!r->t)
		return luaL_error(L, "timer is closed");
	lunatik_callback_pushstats(L, &r->t->cb);
	return 1;
}

static int timer_tostring(lua_State *L)
{
	struct ltimer_ref *r = checktimer(L);

	if (!r->t)
		lua_pushliteral(L, TIMER " (closed)");
	else if (r->t->over)
		lua_pushliteral(L, TIMER " (over)");
	else if (r->t->period)
		lua_pushfstring(L, TIMER " (every %d ms)",
				jiffies_to_msecs(r->t->period));
	else
		lua_pushliteral(L, TIMER " (pending)");
	return 1;
}

static int newtimer(lua_State *L, bool periodic)
{
	lua_Integer ms = luaL_checkinteger(L, 1);
	struct ltimer_ref *r;
	struct ltimer *t;
	unsigned long delay;

	luaL_argcheck(L, ms >= (periodic ? 1 : 0) && ms <= TIMER_MAX_MS, 1,
		      periodic ? "must be 1 to 2147483647 ms" :
				 "must be 0 to 2147483647 ms");
	luaL_checktype(L, 2, LUA_TFUNCTION);
	lunatik_lib_checkregister(L, periodic ? "timer.every" :
					"timer.after");

	/* Closed until the timer exists, so that __gc has nothing to undo. */
	r = lua_newuserdatauv(L, sizeof(*r), 0);
	r->t = NULL;
	luaL_setmetatable(L, TIMER);
	t = kzalloc(sizeof(*t), GFP_KERNEL_ACCOUNT);
	if (!t) {
		lua_pushnil(L);
		lua_pushliteral(L, "not enough memory");
		return 2;
	}
	kref_init(&t->kref);
	INIT_DELAYED_WORK(&t->work, timer_tick);
	t->cb.ref = LUA_NOREF;
	t->s = lunatik_state_of(L);
	lunatik_state_get(t->s);
	r->t = t;
	lunatik_callback_init(L, 2, &t->cb);
	delay = msecs_to_jiffies(ms);
	if (periodic)
		t->period = max(delay, 1UL);
	timer_queue(t, delay);
	return 1;
}

/* timer.after(ms, fn): runs fn once, ms from now. */
static int timer_after(lua_State *L)
{
	return newtimer(L, false);
}

/* timer.every(ms, fn): runs fn every ms, the first time ms from now. */
static int timer_every(lua_State *L)
{
	return newtimer(L, true);
}

int luaopen_timer(lua_State *L)
{
	static const luaL_Reg methods[] = {
		{ "cancel", timer_cancel_method }, { "stats", timer_stats },
		{ NULL, NULL }
	};
	static const luaL_Reg functions[] = {
		{ "after", timer_after }, { "every", timer_every },
		{ NULL, NULL }
	};

	lunatik_lib_newclass(L, TIMER, methods, timer_gc, timer_tostring);
	luaL_newlib(L, functions);
	return 1;
}

int lunatik_timer_init(void)
{
	/* Ticks wait for their state: never on a per-CPU pool's workers. */
	timer_wq = alloc_workqueue("lunatik_timer", WQ_UNBOUND, 0);
	return timer_wq ? 0 : -ENOMEM;
}

/* After every state closed: waits for the ticks still queued or waiting. */
void lunatik_timer_exit(void)
{
	destroy_workqueue(timer_wq);
}
