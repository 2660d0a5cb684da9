// SPDX-License-Identifier: GPL-2.0
/*
 * The per-network-namespace registry of states. Lock order: the registry's
 * lock, then a state's upload lock, receiver lock or executor lock. The
 * registry lock is never held while Lua runs.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/jhash.h>
#include <linux/mm.h>
#include <linux/netdevice.h>
#include <linux/string.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>
#include <net/sock.h>

#include "executor.h"
#include "registry.h"
#include "state.h"
#include "upload.h"

/*
 * Finalizers' budget when a namespace goes away or the module unloads:
 * the states close in parallel, each within this.
 */
#define LUNATIK_TEARDOWN_MS	100

static unsigned int lunatik_net_id __read_mostly;

struct lunatik_registry *lunatik_registry_of(struct net *net)
{
	return net_generic(net, lunatik_net_id);
}

static u32 name_hash(const char *name)
{
	return jhash(name, strlen(name), 0);
}

void lunatik_registry_prepare(struct lunatik_state *s)
{
	lunatik_upload_init(&s->upload);
	spin_lock_init(&s->receiver.lock);
	lunatik_executor_init(&s->exec, &s->interrupt);
	INIT_LIST_HEAD(&s->node);
	INIT_HLIST_NODE(&s->hnode);
}

static struct lunatik_state *lookup(struct lunatik_registry *r,
				    const char *name)
{
	struct lunatik_state *s;

	lockdep_assert_held(&r->lock);
	hash_for_each_possible(r->names, s, hnode, name_hash(name))
		if (!strcmp(s->name, name))
			return s;
	return NULL;
}

int lunatik_registry_insert(struct lunatik_registry *r,
			    struct lunatik_state *s)
{
	int err = 0;

	mutex_lock(&r->lock);
	if (lookup(r, s->name)) {
		err = -EEXIST;
	} else if (r->count >= READ_ONCE(lunatik_maxstates)) {
		err = -ENOSPC;
	} else {
		hash_add(r->names, &s->hnode, name_hash(s->name));
		list_add_tail(&s->node, &r->states);
		r->count++;
		r->generation++;
	}
	mutex_unlock(&r->lock);
	return err;
}

struct lunatik_state *lunatik_registry_find(struct lunatik_registry *r,
					    const char *name)
{
	struct lunatik_state *s;

	mutex_lock(&r->lock);
	s = lookup(r, name);
	if (s)
		lunatik_state_get(s);
	mutex_unlock(&r->lock);
	return s;
}

/*
 * The state @c stands on, or, when that one was removed since, the one
 * now at its position (the dump is flagged by the generation).
 */
static struct lunatik_state *cursor_resume(struct lunatik_registry *r,
					   struct lunatik_cursor *c)
{
	struct lunatik_state *next = c->next;
	struct lunatik_state *s;
	unsigned long index = 0;

	lockdep_assert_held(&r->lock);
	if (next && !list_empty(&next->node))
		return next;
	list_for_each_entry(s, &r->states, node)
		if (index++ == c->index)
			return s;
	return NULL;
}

unsigned int lunatik_registry_walk(struct lunatik_registry *r,
				   struct lunatik_cursor *c,
				   int (*put)(struct lunatik_state *s,
					      unsigned int generation,
					      void *arg),
				   void *arg)
{
	struct lunatik_state *held = c->next;
	struct lunatik_state *s;
	unsigned int generation;

	mutex_lock(&r->lock);
	generation = r->generation;
	s = cursor_resume(r, c);
	c->next = NULL;
	if (!s)
		goto out;
	list_for_each_entry_from(s, &r->states, node) {
		if (put(s, generation, arg)) {
			lunatik_state_get(s);
			c->next = s;
			break;
		}
		c->index++;
	}
out:
	mutex_unlock(&r->lock);
	if (held)
		lunatik_state_put(held);
	return generation;
}

void lunatik_cursor_release(struct lunatik_cursor *c)
{
	if (c->next)
		lunatik_state_put(c->next);
	c->next = NULL;
}

static void unlink_state(struct lunatik_registry *r, struct lunatik_state *s)
{
	lockdep_assert_held(&r->lock);
	hash_del(&s->hnode);
	list_del_init(&s->node);
	r->count--;
	r->generation++;
}

int lunatik_registry_set_receiver(struct lunatik_state *s, struct sock *sk,
				  u32 portid)
{
	unsigned long flags;
	struct sock *old;

	spin_lock_irqsave(&s->receiver.lock, flags);
	if (s->receiver.dead) {
		spin_unlock_irqrestore(&s->receiver.lock, flags);
		return -ENOENT;
	}
	sock_hold(sk);
	old = s->receiver.sk;
	s->receiver.sk = sk;
	s->receiver.portid = portid;
	spin_unlock_irqrestore(&s->receiver.lock, flags);
	if (old)
		sock_put(old);
	return 0;
}

struct sock *lunatik_registry_receiver(struct lunatik_state *s, u32 *portid)
{
	unsigned long flags;
	struct sock *sk;

	spin_lock_irqsave(&s->receiver.lock, flags);
	sk = s->receiver.sk;
	if (sk)
		sock_hold(sk);
	*portid = s->receiver.portid;
	spin_unlock_irqrestore(&s->receiver.lock, flags);
	return sk;
}

/*
 * Unregisters @s's receiver when it is @portid (0: any socket); @notify:
 * and tells it that @s is gone.
 */
static void drop_receiver(struct lunatik_state *s, u32 portid, bool retire,
			  bool notify)
{
	struct sock *sk = NULL;
	unsigned long flags;
	u32 owner = 0;

	spin_lock_irqsave(&s->receiver.lock, flags);
	if (retire)
		s->receiver.dead = true;
	if (s->receiver.sk && (!portid || s->receiver.portid == portid)) {
		sk = s->receiver.sk;
		owner = s->receiver.portid;
		s->receiver.sk = NULL;
		s->receiver.portid = 0;
	}
	spin_unlock_irqrestore(&s->receiver.lock, flags);
	if (!sk)
		return;
	if (notify)
		s->ops->gone(s, sk, owner);
	sock_put(sk);
}

static void retire_release(struct lunatik_executor *ex)
{
	struct lunatik_state *s = container_of(ex, struct lunatik_state, exec);

	lunatik_state_close(s, READ_ONCE(lunatik_timeout_ms));
	lunatik_state_put(s);
}

static void teardown_release(struct lunatik_executor *ex)
{
	struct lunatik_state *s = container_of(ex, struct lunatik_state, exec);

	lunatik_state_close(s, LUNATIK_TEARDOWN_MS);
	lunatik_state_put(s);
}

/*
 * Stops @s taking receivers, uploads and jobs, and has its worker close it;
 * @published: its receiver is told that it is gone.
 */
static void shutdown_state(struct lunatik_state *s,
			   void (*release)(struct lunatik_executor *ex),
			   bool published)
{
	lunatik_upload_drop(&s->upload, 0, true);
	drop_receiver(s, 0, true, published);
	lunatik_executor_shutdown(&s->exec, release);
}

void lunatik_registry_retire(struct lunatik_state *s)
{
	shutdown_state(s, retire_release, false);
}

int lunatik_registry_remove(struct lunatik_registry *r, const char *name)
{
	struct lunatik_state *s;

	mutex_lock(&r->lock);
	s = lookup(r, name);
	if (s)
		unlink_state(r, s);
	mutex_unlock(&r->lock);
	if (!s)
		return -ENOENT;
	shutdown_state(s, retire_release, true);
	return 0;
}

void lunatik_registry_forget_socket(struct net *net, u32 portid)
{
	struct lunatik_registry *r = lunatik_registry_of(net);
	struct lunatik_state *s;

	mutex_lock(&r->lock);
	list_for_each_entry(s, &r->states, node) {
		lunatik_upload_drop(&s->upload, portid, false);
		drop_receiver(s, portid, false, false);
		lunatik_executor_forget(&s->exec, portid);
	}
	mutex_unlock(&r->lock);
}

static int __net_init registry_net_init(struct net *net)
{
	struct lunatik_registry *r = lunatik_registry_of(net);

	mutex_init(&r->lock);
	INIT_LIST_HEAD(&r->states);
	hash_init(r->names);
	r->count = 0;
	r->generation = 0;
	return 0;
}

/*
 * A namespace goes away only after its last socket closed, and the module
 * only after the family is gone: no request can arrive here. The states
 * close in parallel, each with LUNATIK_TEARDOWN_MS for its finalizers, and
 * this waits for all of them: none outlives its namespace or the module.
 */
static void __net_exit registry_net_exit(struct net *net)
{
	struct lunatik_registry *r = lunatik_registry_of(net);
	struct lunatik_state *s, *next;
	LIST_HEAD(doomed);

	mutex_lock(&r->lock);
	list_for_each_entry_safe(s, next, &r->states, node) {
		unlink_state(r, s);
		list_add_tail(&s->node, &doomed);
	}
	mutex_unlock(&r->lock);

	list_for_each_entry(s, &doomed, node) {
		lunatik_state_get(s);	/* kept until its worker is done */
		shutdown_state(s, teardown_release, true);
	}
	list_for_each_entry_safe(s, next, &doomed, node) {
		list_del_init(&s->node);
		lunatik_executor_flush(&s->exec);
		lunatik_state_put(s);
	}
}

static struct pernet_operations registry_net_ops = {
	.init = registry_net_init,
	.exit = registry_net_exit,
	.id = &lunatik_net_id,
	.size = sizeof(struct lunatik_registry),
};

int lunatik_registry_init(void)
{
	return register_pernet_subsys(&registry_net_ops);
}

void lunatik_registry_exit(void)
{
	unregister_pernet_subsys(&registry_net_ops);
}
