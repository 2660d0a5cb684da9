/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A Lua state inside the kernel: its interpreter, memory limit and lock.
 * state.c owns the Lua side; netlink.c owns naming, lookup and the wire.
 */
#ifndef _LUNATIK_STATE_H
#define _LUNATIK_STATE_H

#include <linux/atomic.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <uapi/linux/lunatik.h>

#include "executor.h"
#include "upload.h"

struct lua_State;
struct net;
struct sock;

struct lunatik_state {
	struct kref kref;
	/*
	 * Held by a process-context caller while it runs Lua and while any
	 * field below it changes; Lua itself runs only under the state's
	 * busy bit (state.c), which atomic callbacks take without it.
	 */
	struct mutex lock;
	struct lua_State *L;	/* NULL once closed */
	char name[LUNATIK_STATENAME_MAXSIZE + 1];
	size_t maxalloc;
	size_t curralloc;	/* exact; read without the lock with READ_ONCE */
	struct net *net;	/* not a counted reference: states die with it */
	const struct lunatik_state_ops *ops;
	/* Set by the executor to stop the running code at a checkpoint. */
	bool interrupt;
	/*
	 * Owned by upload.c (upload) and registry.c (the rest), which
	 * initialize them before the state is published; state.c never
	 * touches them.
	 */
	struct lunatik_upload upload;
	struct {
		spinlock_t lock;	/* IRQs off: callbacks send too */
		struct sock *sk;	/* counted reference; NULL: none */
		u32 portid;
		bool dead;	/* retired: takes no new receiver */
	} receiver;		/* where netlink.send() unicasts */
	struct lunatik_executor exec;	/* runs the state's code */
	struct list_head node;	/* registry: in creation order, for dumps */
	struct hlist_node hnode; /* registry: by name */
};

/* One returned value: an enum lunatik_value and its payload's length. */
struct lunatik_result {
	u32 type;
	u32 len;
};

/*
 * What a chunk or callback left behind. On success @values lists the
 * @nvalues results, whose payloads (u8 for a boolean, s64 for an integer,
 * a string's bytes) follow each other in @buf; on a Lua error @lua_error is
 * true and @buf holds the message's @len bytes (no NUL among them).
 * @output holds the @outlen bytes print() wrote for the caller, and
 * @output_cut says that more were printed (LUNATIK_OUTPUT_MAXSIZE).
 * Release with lunatik_reply_free().
 */
struct lunatik_reply {
	bool lua_error;
	char *buf;
	size_t len;
	struct lunatik_result *values;
	unsigned int nvalues;
	char *output;
	size_t outlen;
	bool output_cut;
};

void lunatik_reply_free(struct lunatik_reply *reply);

/*
 * What a state's Lua code reaches outside state.c, given by its creator so
 * that state.c depends on nothing above it.
 *
 * @send: called by the Lua function netlink.send() while the state runs,
 *	in any context but hard IRQ: queues @data for the state's receiver,
 *	allocating with @gfp, never waiting. Returns @len, or -ENOTCONN
 *	when no receiver is registered or its socket is gone, -ENOBUFS when
 *	its queue is full, -ENOMEM.
 * @gone: called by the registry, once, when a published state is
 *	destroyed, with the receiver it had (a reference the caller keeps):
 *	tells that socket so. Must not block; a notice that does not fit is
 *	dropped.
 */
struct lunatik_state_ops {
	int (*send)(struct lunatik_state *s, const void *data, size_t len,
		    gfp_t gfp);
	void (*gone)(struct lunatik_state *s, struct sock *sk, u32 portid);
};

/*
 * Creates a state with its libraries open. Returns ERR_PTR(-ENOMEM) when
 * memory or @maxalloc do not suffice. The caller gets one reference.
 */
struct lunatik_state *lunatik_state_new(const char *name, size_t maxalloc,
					struct net *net,
					const struct lunatik_state_ops *ops);
void lunatik_state_get(struct lunatik_state *s);
void lunatik_state_put(struct lunatik_state *s);

/*
 * Destroys the interpreter, waiting for a chunk running in it to end; its
 * finalizers get @budget_ms. Later calls to run functions return -ENOENT.
 * Does not touch the upload, receiver or executor: their owners do.
 */
void lunatik_state_close(struct lunatik_state *s, unsigned int budget_ms);

/*
 * Runs a text chunk. Returns 0 with @reply filled, -ENOENT if the state is
 * closed, -EINVAL for a binary chunk, -E2BIG when the results do not fit in
 * LUNATIK_RESULTS_MAXSIZE, -ENOMEM; after -E2BIG and -ENOMEM @reply still
 * holds the output. Release @reply in every case. Takes s->lock.
 */
int lunatik_state_dostring(struct lunatik_state *s, const char *code,
			   size_t len, const char *codename,
			   struct lunatik_reply *reply);

/*
 * Data on its way into a state, possibly in pieces: @copy writes its @len
 * bytes to @dst, straight into the memory object the callback receives.
 */
struct lunatik_data {
	size_t len;
	void (*copy)(void *dst, const struct lunatik_data *data);
	const void *source;	/* for @copy */
};

/*
 * Calls the global receive_callback(mem) with a copy of @data. Returns 0
 * with @reply filled (no values on success; lua_error when the callback is
 * missing or raised; the output), -ENOENT if closed, -ENOMEM. Release
 * @reply in every case. Takes s->lock.
 */
int lunatik_state_send(struct lunatik_state *s,
		       const struct lunatik_data *data,
		       struct lunatik_reply *reply);

/*
 * Callbacks: a Lua function of a state that a binding in kernel/lib/ runs on
 * a kernel event (a packet, a probe hit, a timer). Lua in a state runs for
 * one caller at a time; a chunk, a send and a process-context callback wait
 * for their turn (s->lock), but an atomic one (softirq, or preemption or
 * interrupts off) never waits: when the state is busy it does not run, and
 * counts that in @busy. An atomic callback runs with GFP_ATOMIC allocations
 * (still under maxalloc), never sleeps, and gets lunatik_callback_us of
 * time; a process-context one gets lunatik_timeout_ms.
 *
 * The binding keeps the struct in the memory of the Lua object that owns
 * the hook, and must have unhooked it (waiting for callbacks in flight)
 * before that object's __gc returns.
 */
#define LUNATIK_LASTERROR_MAXSIZE	256

struct lunatik_callback {
	struct lunatik_state *s;
	int ref;		/* the function, in the registry */
	u64 calls;		/* ran, with or without an error */
	u64 errors;		/* of @calls: raised or ran out of time */
	atomic64_t busy;	/* not run: the state was busy or closed */
	bool has_error;
	char lasterror[LUNATIK_LASTERROR_MAXSIZE];
};

/* The state whose Lua code runs in @L. */
struct lunatik_state *lunatik_state_of(struct lua_State *L);

/*
 * Whether @L runs an atomic callback: a function that may sleep (one that
 * registers or unregisters a hook) must refuse then. Finalizers never run
 * there: atomic callbacks collect in Lua's emergency mode, which runs none
 * (lunatik_gcatomic()); they wait for a collection in process context.
 */
bool lunatik_state_atomic(struct lua_State *L);

/*
 * Whether @L's state is being closed: its finalizers run. A hook made then
 * would never be finalized (Lua runs no finalizer of an object made during
 * lua_close()), so nothing may register one.
 */
bool lunatik_state_closing(struct lua_State *L);

/*
 * Takes the function at index @idx of @L for @cb (raises a Lua error when
 * it is not a function). Release with lunatik_callback_release().
 */
void lunatik_callback_init(struct lua_State *L, int idx,
			   struct lunatik_callback *cb);
void lunatik_callback_release(struct lua_State *L,
			      struct lunatik_callback *cb);

/* Pushes {calls = n, errors = n, busy = n, lasterror = msg or nil}. */
void lunatik_callback_pushstats(struct lua_State *L,
				const struct lunatik_callback *cb);

/*
 * Runs @cb's function through @call, a protected C function that finds
 * @arg (a light userdata) at index 1 and the function at index 2. @atomic:
 * the caller cannot sleep. Returns 0 when the function ran and returned,
 * -EPROTO when it raised or ran out of time (counted in @errors, the
 * message kept), -EBUSY when the state was busy and -ENOENT when it is
 * closed (counted in @busy: the function did not run).
 */
int lunatik_callback_run(struct lunatik_callback *cb, bool atomic,
			 int (*call)(struct lua_State *L), void *arg);

/* Module parameters (main.c). */
extern unsigned int lunatik_maxstates;
extern unsigned int lunatik_timeout_ms;
extern unsigned int lunatik_callback_us;

#endif /* _LUNATIK_STATE_H */
