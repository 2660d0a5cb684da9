/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The states of one network namespace, by name and in creation order.
 */
#ifndef _LUNATIK_REGISTRY_H
#define _LUNATIK_REGISTRY_H

#include <linux/hashtable.h>
#include <linux/list.h>
#include <linux/mutex.h>

struct lunatik_state;
struct net;
struct sock;

struct lunatik_registry {
	struct mutex lock;
	struct list_head states;	/* creation order, for dumps */
	DECLARE_HASHTABLE(names, 10);
	unsigned int count;
	/* Bumped whenever the set of states changes; dumps compare it. */
	unsigned int generation;
};

struct lunatik_registry *lunatik_registry_of(struct net *net);

/* Initializes the fields of @s that the registry and upload.c own. */
void lunatik_registry_prepare(struct lunatik_state *s);

/*
 * Publishes @s, taking over the caller's reference. Returns -EEXIST when
 * the name is taken, -ENOSPC when the namespace holds maxstates states.
 */
int lunatik_registry_insert(struct lunatik_registry *r,
			    struct lunatik_state *s);

/* Returns the state named @name with a new reference, or NULL. */
struct lunatik_state *lunatik_registry_find(struct lunatik_registry *r,
					    const char *name);

/*
 * A walk's position between calls: a counted reference to the next state
 * to visit, and its position, used only when that state was removed
 * meanwhile. Zeroed to start; released with lunatik_cursor_release().
 */
struct lunatik_cursor {
	struct lunatik_state *next;
	unsigned long index;
};

/*
 * Calls @put for each state from @c on, in creation order, under the
 * registry's lock, with the registry's generation (bumped whenever the set
 * of states changes). When @put returns non-zero, that state is kept in @c
 * and the next call starts with it. Returns the generation.
 */
unsigned int lunatik_registry_walk(struct lunatik_registry *r,
				   struct lunatik_cursor *c,
				   int (*put)(struct lunatik_state *s,
					      unsigned int generation,
					      void *arg),
				   void *arg);
void lunatik_cursor_release(struct lunatik_cursor *c);

/*
 * Makes @sk, bound to @portid, @s's receiver (where netlink.send()
 * unicasts), holding a reference to it. Returns -ENOENT when @s is being
 * destroyed: it takes no receiver any more.
 */
int lunatik_registry_set_receiver(struct lunatik_state *s, struct sock *sk,
				  u32 portid);

/* Returns @s's receiver with a new reference and its port, or NULL. */
struct sock *lunatik_registry_receiver(struct lunatik_state *s, u32 *portid);

/*
 * Unpublishes the state named @name and has it destroyed: its running
 * chunk is interrupted, its queued requests answered -ENOENT, and its
 * worker closes it (finalizers get timeout_ms), and its receiver is told
 * (lunatik_state_ops.gone). Does not wait for that. Returns -ENOENT when
 * there is none.
 */
int lunatik_registry_remove(struct lunatik_registry *r, const char *name);

/*
 * Destroys, as above, a state that was never published (its receiver is
 * not told); it takes no new receiver, upload or job from now on.
 */
void lunatik_registry_retire(struct lunatik_state *s);

/*
 * Drops the uploads, receiver registrations and requests of a closed
 * socket, and interrupts a chunk running for it.
 */
void lunatik_registry_forget_socket(struct net *net, u32 portid);

int lunatik_registry_init(void);
void lunatik_registry_exit(void);

#endif /* _LUNATIK_REGISTRY_H */
