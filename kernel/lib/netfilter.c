// SPDX-License-Identifier: GPL-2.0
/*
 * netfilter: packet hooks in Lua. netfilter.register{...} hooks a function
 * into the state's network namespace; it judges each packet as a
 * callback in atomic context (state.h), through a packet object that is
 * valid only while it runs.
 */
#include <linux/netfilter.h>
#include <linux/netfilter_ipv4.h>
#include <linux/skbuff.h>

#include "lua.h"
#include "lauxlib.h"
#include "memory/memory.h"
#include "state.h"
#include "libs.h"

#define NETFILTER_HOOK	"netfilter.hook"
#define NETFILTER_SKB	"netfilter.skb"

/* The packet object, reused for every packet of its hook. */
struct nfskb {
	struct sk_buff *skb;	/* NULL outside the hook's callback */
	const struct nf_hook_state *state;
	/*
	 * skb:data()'s memory, also reused: a memory per packet would be a
	 * finalizer per packet, and none runs in atomic context (state.h).
	 */
	void *data;
	bool mapped;		/* data is over this packet */
};

struct nfhook {
	struct nf_hook_ops ops;
	struct lunatik_callback cb;
	struct net *net;
	bool registered;
	unsigned int onerror;
	int skbref;		/* the struct nfskb's userdata, in the registry */
	struct nfskb *skb;
};

/* What one packet's callback needs and leaves. */
struct nfcall {
	struct nfhook *h;
	struct sk_buff *skb;
	const struct nf_hook_state *state;
	unsigned int verdict;
};

static struct nfskb *checkskb(lua_State *L)
{
	struct nfskb *p = luaL_checkudata(L, 1, NETFILTER_SKB);

	if (!p->skb)
		luaL_error(L, "packet is no longer valid: its hook returned");
	return p;
}

static int skb_len(lua_State *L)
{
	lua_pushinteger(L, checkskb(L)->skb->len);
	return 1;
}

/*
 * skb:data(): the packet from its network header on, linear and writable
 * (a change to its bytes does not fix checksums). Mapped once per packet:
 * the first call may move the packet's bytes.
 */
static int skb_data(lua_State *L)
{
	struct nfskb *p = checkskb(L);
	struct sk_buff *skb = p->skb;
	int offset;

	if (!p->mapped) {
		if (skb_linearize(skb) ||
		    skb_ensure_writable(skb, skb->len))
			return luaL_error(L, "not enough memory");
		offset = skb_network_offset(skb);
		if (offset < 0 || offset > skb->len)
			return luaL_error(L, "packet has no network header");
		lmemory_setexternal(p->data, (char *)skb_network_header(skb),
				    skb->len - offset);
		p->mapped = true;
	}
	lua_getiuservalue(L, 1, 1);
	return 1;
}

static int skb_ifindex(lua_State *L)
{
	const struct nf_hook_state *state = checkskb(L)->state;
	const struct net_device *dev = state->in ? state->in : state->out;

	lua_pushinteger(L, dev ? dev->ifindex : 0);
	return 1;
}

static int skb_mark(lua_State *L)
{
	lua_pushinteger(L, checkskb(L)->skb->mark);
	return 1;
}

static int skb_setmark(lua_State *L)
{
	struct nfskb *p = checkskb(L);
	lua_Integer mark = luaL_checkinteger(L, 2);

	luaL_argcheck(L, mark >= 0 && mark <= U32_MAX, 2, "out of range");
	p->skb->mark = mark;
	return 0;
}

static int skb_tostring(lua_State *L)
{
	struct nfskb *p = luaL_checkudata(L, 1, NETFILTER_SKB);

	if (p->skb)
		lua_pushfstring(L, NETFILTER_SKB " (%d bytes)", (int)p->skb->len);
	else
		lua_pushliteral(L, NETFILTER_SKB " (expired)");
	return 1;
}

/* Ends the packet object's validity, and that of its memory. */
static void skb_expire(struct nfskb *p)
{
	if (p->mapped) {
		lmemory_invalidate(p->data);
		p->mapped = false;
	}
	p->skb = NULL;
	p->state = NULL;
}

/*
 * The protected part of a packet's callback: index 1 the struct nfcall,
 * 2 the function. The packet object expires however the function ends, so
 * the function runs in a pcall of its own whose error goes on up.
 */
static int nfcall(lua_State *L)
{
	struct nfcall *call = lua_touserdata(L, 1);
	struct nfhook *h = call->h;
	lua_Integer verdict;
	int status, isint;

	lua_rawgeti(L, LUA_REGISTRYINDEX, h->skbref);		/* 3 */
	h->skb->skb = call->skb;
	h->skb->state = call->state;
	lua_pushvalue(L, 2);
	lua_pushvalue(L, 3);
	status = lua_pcall(L, 1, 1, 0);
	skb_expire(h->skb);
	if (status != LUA_OK)
		return lua_error(L);
	if (lua_isnil(L, -1))
		return 0;	/* call->verdict stays ACCEPT */
	verdict = lua_tointegerx(L, -1, &isint);
	if (!isint || (verdict != NF_DROP && verdict != NF_ACCEPT))
		return luaL_error(L, "hook returned %s: the verdict must be "
				  "netfilter.action.DROP or ACCEPT",
				  luaL_tolstring(L, -1, NULL));
	call->verdict = verdict;
	return 0;
}

static unsigned int nfhook_run(void *priv, struct sk_buff *skb,
			       const struct nf_hook_state *state)
{
	struct nfcall call = {
		.h = priv, .skb = skb, .state = state, .verdict = NF_ACCEPT,
	};

	if (lunatik_callback_run(&call.h->cb, true, nfcall, &call))
		return call.h->onerror;
	return call.verdict;
}

/* Unhooks and lets go of the function and the packet object. */
static void nfhook_unregister(lua_State *L, struct nfhook *h)
{
	if (!h->registered)
		return;
	/* Waits for callbacks in flight: none touches @h afterwards. */
	nf_unregister_net_hook(h->net, &h->ops);
	h->registered = false;
	lunatik_callback_release(L, &h->cb);
	luaL_unref(L, LUA_REGISTRYINDEX, h->skbref);
	h->skbref = LUA_NOREF;
}

static struct nfhook *checkhook(lua_State *L)
{
	return luaL_checkudata(L, 1, NETFILTER_HOOK);
}

static int hook_unregister(lua_State *L)
{
	struct nfhook *h = checkhook(L);

	lunatik_lib_checksleep(L, "unregister");
	nfhook_unregister(L, h);
	return 0;
}

/* __gc and __close: never in an atomic callback (state.h). */
static int hook_gc(lua_State *L)
{
	nfhook_unregister(L, checkhook(L));
	return 0;
}

static int hook_stats(lua_State *L)
{
	lunatik_callback_pushstats(L, &checkhook(L)->cb);
	return 1;
}

static int hook_tostring(lua_State *L)
{
	struct nfhook *h = checkhook(L);

	if (h->registered)
		lua_pushfstring(L, NETFILTER_HOOK " (pf %d, hook %d, priority %d)",
				h->ops.pf, h->ops.hooknum, h->ops.priority);
	else
		lua_pushliteral(L, NETFILTER_HOOK " (unregistered)");
	return 1;
}

/* An integer field of the table at 1; @dflt when absent, unless < 0. */
static lua_Integer intfield(lua_State *L, const char *name, lua_Integer dflt,
			    bool required)
{
	lua_Integer v;
	int isint;

	if (lua_getfield(L, 1, name) == LUA_TNIL) {
		if (required)
			luaL_error(L, "netfilter.register: field '%s' missing",
				   name);
		lua_pop(L, 1);
		return dflt;
	}
	v = lua_tointegerx(L, -1, &isint);
	if (!isint)
		luaL_error(L, "netfilter.register: field '%s' must be an "
			   "integer, not %s", name, luaL_typename(L, -1));
	lua_pop(L, 1);
	return v;
}

static bool valid_family(lua_Integer pf)
{
	return pf == NFPROTO_IPV4 || pf == NFPROTO_IPV6 || pf == NFPROTO_INET;
}

/*
 * netfilter.register{pf =, hooknum =, priority =, hook =, onerror =}:
 * a registered hook, or nil and a message.
 */
static int nf_register(lua_State *L)
{
	lua_Integer pf, hooknum, priority, onerror;
	struct nfhook *h;
	int err;

	luaL_checktype(L, 1, LUA_TTABLE);
	lunatik_lib_checkregister(L, "netfilter.register");
	pf = intfield(L, "pf", 0, true);
	hooknum = intfield(L, "hooknum", 0, true);
	priority = intfield(L, "priority", NF_IP_PRI_FILTER, false);
	onerror = intfield(L, "onerror", NF_ACCEPT, false);
	if (lua_getfield(L, 1, "hook") != LUA_TFUNCTION)
		return luaL_error(L, "netfilter.register: field 'hook' must be "
				  "a function, not %s", luaL_typename(L, -1));
	if (onerror != NF_DROP && onerror != NF_ACCEPT)
		return luaL_error(L, "netfilter.register: onerror must be "
				  "netfilter.action.DROP or ACCEPT");
	lua_pushnil(L);
	if (!valid_family(pf)) {
		lua_pushfstring(L, "unknown family %I", pf);
		return 2;
	}
	if (hooknum < 0 || hooknum >= NF_INET_NUMHOOKS) {
		lua_pushfstring(L, "unknown hook number %I", hooknum);
		return 2;
	}
	if (priority < INT_MIN || priority > INT_MAX) {
		lua_pushfstring(L, "priority %I out of range", priority);
		return 2;
	}
	lua_pop(L, 1);

	/* Closed until registered, so that __gc has nothing to undo. */
	h = lua_newuserdatauv(L, sizeof(*h), 0);
	memset(h, 0, sizeof(*h));
	h->skbref = LUA_NOREF;
	h->cb.ref = LUA_NOREF;
	luaL_setmetatable(L, NETFILTER_HOOK);
	h->skb = lua_newuserdatauv(L, sizeof(*h->skb), 1);
	memset(h->skb, 0, sizeof(*h->skb));
	luaL_setmetatable(L, NETFILTER_SKB);
	h->skb->data = lmemory_newexternal(L, NULL, 0);
	lua_setiuservalue(L, -2, 1);
	h->skbref = luaL_ref(L, LUA_REGISTRYINDEX);
	lunatik_callback_init(L, -2, &h->cb);		/* the hook field */
	h->net = lunatik_state_of(L)->net;
	h->onerror = onerror;
	h->ops.hook = nfhook_run;
	h->ops.priv = h;
	h->ops.pf = pf;
	h->ops.hooknum = hooknum;
	h->ops.priority = priority;
	err = nf_register_net_hook(h->net, &h->ops);
	if (err) {
		lunatik_callback_release(L, &h->cb);
		luaL_unref(L, LUA_REGISTRYINDEX, h->skbref);
		h->skbref = LUA_NOREF;
		lua_pushnil(L);
		lua_pushfstring(L, "cannot register the hook (error %d)", err);
		return 2;
	}
	h->registered = true;
	return 1;
}

struct nfconstant {
	const char *name;
	int value;
};

static void setconstants(lua_State *L, const char *name,
			 const struct nfconstant *c)
{
	lua_newtable(L);
	for (; c->name; c++) {
		lua_pushinteger(L, c->value);
		lua_setfield(L, -2, c->name);
	}
	lua_setfield(L, -2, name);
}

static const struct nfconstant families[] = {
	{ "IPV4", NFPROTO_IPV4 }, { "IPV6", NFPROTO_IPV6 },
	{ "INET", NFPROTO_INET }, { NULL, 0 }
};

static const struct nfconstant hooks[] = {
	{ "PRE_ROUTING", NF_INET_PRE_ROUTING }, { "LOCAL_IN", NF_INET_LOCAL_IN },
	{ "FORWARD", NF_INET_FORWARD }, { "LOCAL_OUT", NF_INET_LOCAL_OUT },
	{ "POST_ROUTING", NF_INET_POST_ROUTING }, { NULL, 0 }
};

static const struct nfconstant priorities[] = {
	{ "FIRST", NF_IP_PRI_FIRST }, { "RAW", NF_IP_PRI_RAW },
	{ "MANGLE", NF_IP_PRI_MANGLE }, { "NAT_DST", NF_IP_PRI_NAT_DST },
	{ "FILTER", NF_IP_PRI_FILTER }, { "SECURITY", NF_IP_PRI_SECURITY },
	{ "NAT_SRC", NF_IP_PRI_NAT_SRC }, { "LAST", NF_IP_PRI_LAST },
	{ NULL, 0 }
};

static const struct nfconstant actions[] = {
	{ "DROP", NF_DROP }, { "ACCEPT", NF_ACCEPT }, { NULL, 0 }
};

int luaopen_netfilter(lua_State *L)
{
	static const luaL_Reg hook_methods[] = {
		{ "unregister", hook_unregister }, { "stats", hook_stats },
		{ NULL, NULL }
	};
	static const luaL_Reg skb_methods[] = {
		{ "len", skb_len }, { "data", skb_data },
		{ "ifindex", skb_ifindex }, { "mark", skb_mark },
		{ "setmark", skb_setmark }, { NULL, NULL }
	};
	static const luaL_Reg functions[] = {
		{ "register", nf_register }, { NULL, NULL }
	};

	lunatik_lib_newclass(L, NETFILTER_HOOK, hook_methods, hook_gc, hook_tostring);
	lunatik_lib_newclass(L, NETFILTER_SKB, skb_methods, NULL, skb_tostring);
	luaL_newlib(L, functions);
	setconstants(L, "family", families);
	setconstants(L, "inet", hooks);
	setconstants(L, "priority", priorities);
	setconstants(L, "action", actions);
	return 1;
}
