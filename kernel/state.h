/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A Lua state inside the kernel: its interpreter, memory limit and lock.
 * state.c owns the Lua side; netlink.c owns naming, lookup and the wire.
 */
#ifndef _LUNATIK_STATE_H
#define _LUNATIK_STATE_H

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
	/* Held while Lua runs and while any field below it changes. */
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
		spinlock_t lock;
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
 * @send: called by the Lua function netlink.send() with s->lock held:
 *	queues @data for the state's receiver. Returns @len, or -ENOTCONN
 *	when no receiver is registered or its socket is gone, -ENOBUFS when
 *	its queue is full, -ENOMEM.
 * @gone: called by the registry, once, when a published state is
 *	destroyed, with the receiver it had (a reference the caller keeps):
 *	tells that socket so. Must not block; a notice that does not fit is
 *	dropped.
 */
struct lunatik_state_ops {
	int (*send)(struct lunatik_state *s, const void *data, size_t len);
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

/* Module parameters (main.c). */
extern unsigned int lunatik_maxstates;
extern unsigned int lunatik_timeout_ms;

#endif /* _LUNATIK_STATE_H */
