// SPDX-License-Identifier: GPL-2.0
/*
 * The generic netlink family "lunatik": the wire side of every command.
 * include/uapi/linux/lunatik.h documents the protocol.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/mm.h>
#include <linux/netlink.h>
#include <linux/string.h>
#include <linux/version.h>
#include <net/genetlink.h>
#include <net/netlink.h>
#include <net/sock.h>

#include "executor.h"
#include "netlink.h"
#include "registry.h"
#include "state.h"
#include "upload.h"

/*
 * Receive-buffer room kept free on a receiver's socket so that a message
 * of the reply to its own next request gets in without waiting: netlink
 * queues a message while the buffer holds at most sk_rcvbuf bytes, so the
 * room needed is the truesize of the largest reply message (about 66 KiB),
 * a kmalloc'd power of two.
 */
#define LUNATIK_REPLY_HEADROOM						\
	SKB_TRUESIZE(roundup_pow_of_two(				\
		nlmsg_total_size(GENL_HDRLEN +				\
				 LUNATIK_REPLY_PART_MAXSIZE) +		\
		SKB_DATA_ALIGN(sizeof(struct skb_shared_info))))

/*
 * What a request handler returns once the request is queued for the
 * state's worker, which answers it: netlink_rcv_skb() sends no ack for
 * -EINTR (netlink_dump_start() relies on the same).
 */
#define LUNATIK_QUEUED	(-EINTR)

static const struct nla_policy name_policy[LUNATIK_ATTR_MAX + 1] = {
	[LUNATIK_ATTR_STATENAME] = { .type = NLA_NUL_STRING,
				     .len = LUNATIK_STATENAME_MAXSIZE },
};

static const struct nla_policy getstate_policy[LUNATIK_ATTR_MAX + 1] = {
	[LUNATIK_ATTR_STATENAME] = { .type = NLA_NUL_STRING,
				     .len = LUNATIK_STATENAME_MAXSIZE },
	[LUNATIK_ATTR_PEEK] = { .type = NLA_FLAG },
};

static const struct nla_policy newstate_policy[LUNATIK_ATTR_MAX + 1] = {
	[LUNATIK_ATTR_STATENAME] = { .type = NLA_NUL_STRING,
				     .len = LUNATIK_STATENAME_MAXSIZE },
	[LUNATIK_ATTR_MAXALLOC] = { .type = NLA_U64 },
};

/* Not const: NLA_POLICY_FULL_RANGE takes a plain pointer in this kernel. */
static struct netlink_range_validation code_total_range __ro_after_init = {
	.min = 1,
	.max = LUNATIK_CODE_MAXSIZE,
};

static struct netlink_range_validation code_offset_range __ro_after_init = {
	.max = LUNATIK_CODE_MAXSIZE - 1,
};

static const struct nla_policy dostring_policy[LUNATIK_ATTR_MAX + 1] = {
	[LUNATIK_ATTR_STATENAME] = { .type = NLA_NUL_STRING,
				     .len = LUNATIK_STATENAME_MAXSIZE },
	[LUNATIK_ATTR_CODE] = { .type = NLA_BINARY,
				.len = LUNATIK_FRAGMENT_MAXSIZE },
	[LUNATIK_ATTR_CODENAME] = { .type = NLA_NUL_STRING,
				    .len = LUNATIK_SCRIPTNAME_MAXSIZE },
	[LUNATIK_ATTR_CODE_TOTAL] = NLA_POLICY_FULL_RANGE(NLA_U32,
							  &code_total_range),
	[LUNATIK_ATTR_CODE_OFFSET] = NLA_POLICY_FULL_RANGE(NLA_U32,
							   &code_offset_range),
};

static const struct nla_policy send_policy[LUNATIK_ATTR_MAX + 1] = {
	[LUNATIK_ATTR_STATENAME] = { .type = NLA_NUL_STRING,
				     .len = LUNATIK_STATENAME_MAXSIZE },
	[LUNATIK_ATTR_DATA] = { .type = NLA_BINARY,
				.len = LUNATIK_DATA_CHUNK_MAXSIZE },
};

/* LUNATIK_CMD_LIMITS takes no attribute: every one is refused. */
static const struct nla_policy limits_policy[LUNATIK_ATTR_MAX + 1] = {};

static struct genl_family lunatik_family;
static const struct lunatik_state_ops lunatik_state_ops;

/*
 * Running code in the kernel is for root only, whatever the namespace:
 * CAP_SYS_ADMIN in the initial user namespace (netlink_capable), on top of
 * the CAP_NET_ADMIN there that GENL_ADMIN_PERM asks for.
 */
static bool lunatik_capable(const struct sk_buff *skb,
			    struct netlink_ext_ack *extack)
{
	if (netlink_capable(skb, CAP_SYS_ADMIN))
		return true;
	NL_SET_ERR_MSG(extack, "permission denied: needs CAP_SYS_ADMIN");
	return false;
}

/*
 * Checks the caller and keeps its socket, which becomes a state's receiver
 * on NEWSTATE and GETSTATE.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 2, 0)
static int lunatik_pre_doit(const struct genl_split_ops *ops,
			    struct sk_buff *skb, struct genl_info *info)
#else
static int lunatik_pre_doit(const struct genl_ops *ops, struct sk_buff *skb,
			    struct genl_info *info)
#endif
{
	if (!lunatik_capable(skb, info->extack))
		return -EPERM;
	info->user_ptr[0] = NETLINK_CB(skb).sk;
	return 0;
}

static struct lunatik_registry *info_registry(struct genl_info *info)
{
	return lunatik_registry_of(genl_info_net(info));
}

/* Checks that the request names a state; sets the error when not. */
static bool has_name(struct genl_info *info)
{
	if (!GENL_REQ_ATTR_CHECK(info, LUNATIK_ATTR_STATENAME))
		return true;
	GENL_SET_ERR_MSG(info, "state name missing");
	return false;
}

/*
 * Returns the state named by the request, or an ERR_PTR with the error
 * set: -EINVAL without a name, -ENOENT when there is no such state.
 */
static struct lunatik_state *find_state(struct genl_info *info)
{
	struct nlattr *attr = info->attrs[LUNATIK_ATTR_STATENAME];
	struct lunatik_state *s;

	if (!has_name(info))
		return ERR_PTR(-EINVAL);
	s = lunatik_registry_find(info_registry(info), nla_data(attr));
	if (!s) {
		NL_SET_ERR_MSG_ATTR(info->extack, attr, "state not found");
		return ERR_PTR(-ENOENT);
	}
	return s;
}

/* Returns -ENOENT when @s is being destroyed and takes no receiver. */
static int set_receiver(struct lunatik_state *s, struct genl_info *info)
{
	int err = lunatik_registry_set_receiver(s, info->user_ptr[0],
						info->snd_portid);

	if (err)
		GENL_SET_ERR_MSG(info, "state not found");
	return err;
}

static int put_state_info(struct sk_buff *skb, struct lunatik_state *s)
{
	if (nla_put_string(skb, LUNATIK_ATTR_STATENAME, s->name) ||
	    nla_put_u64_64bit(skb, LUNATIK_ATTR_MAXALLOC, s->maxalloc,
			      LUNATIK_ATTR_PAD) ||
	    nla_put_u64_64bit(skb, LUNATIK_ATTR_CURRALLOC,
			      READ_ONCE(s->curralloc), LUNATIK_ATTR_PAD))
		return -EMSGSIZE;
	return 0;
}

static size_t state_info_size(void)
{
	return nla_total_size(LUNATIK_STATENAME_MAXSIZE + 1) +
	       2 * nla_total_size_64bit(sizeof(u64));
}

static struct sk_buff *new_reply(struct genl_info *info, size_t payload,
				 void **hdr)
{
	struct sk_buff *skb = genlmsg_new(payload, GFP_KERNEL);

	if (!skb)
		return NULL;
	*hdr = genlmsg_put_reply(skb, info, &lunatik_family, 0,
				 info->genlhdr->cmd);
	if (!*hdr) {
		nlmsg_free(skb);
		return NULL;
	}
	return skb;
}

static int reply_state_info(struct lunatik_state *s, struct genl_info *info)
{
	struct sk_buff *skb;
	void *hdr;

	skb = new_reply(info, state_info_size(), &hdr);
	if (!skb)
		return -ENOMEM;
	if (put_state_info(skb, s)) {
		nlmsg_free(skb);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return genlmsg_reply(skb, info);
}

static int lunatik_limits(struct sk_buff *unused, struct genl_info *info)
{
	struct lunatik_registry *r = info_registry(info);
	struct sk_buff *skb;
	void *hdr;

	skb = new_reply(info, 2 * nla_total_size(sizeof(u32)) +
			      nla_total_size_64bit(sizeof(u64)), &hdr);
	if (!skb)
		return -ENOMEM;
	if (nla_put_u32(skb, LUNATIK_ATTR_MAXSTATES,
			READ_ONCE(lunatik_maxstates)) ||
	    nla_put_u32(skb, LUNATIK_ATTR_NSTATES, READ_ONCE(r->count)) ||
	    nla_put_u64_64bit(skb, LUNATIK_ATTR_DEFAULT_MAXALLOC,
			      LUNATIK_DEFAULT_MAXALLOC, LUNATIK_ATTR_PAD)) {
		nlmsg_free(skb);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return genlmsg_reply(skb, info);
}

static int lunatik_newstate(struct sk_buff *unused, struct genl_info *info)
{
	struct nlattr *name = info->attrs[LUNATIK_ATTR_STATENAME];
	struct nlattr *maxattr = info->attrs[LUNATIK_ATTR_MAXALLOC];
	struct lunatik_registry *r = info_registry(info);
	u64 maxalloc = LUNATIK_DEFAULT_MAXALLOC;
	struct lunatik_state *s;
	int err;

	if (!has_name(info))
		return -EINVAL;
	if (!*(char *)nla_data(name)) {
		NL_SET_ERR_MSG_ATTR(info->extack, name, "state name is empty");
		return -EINVAL;
	}
	if (maxattr) {
		maxalloc = nla_get_u64(maxattr);
		if (maxalloc < LUNATIK_MIN_MAXALLOC ||
		    maxalloc > LUNATIK_MAX_MAXALLOC) {
			NL_SET_ERR_MSG_ATTR(info->extack, maxattr,
					    "maxalloc out of range");
			return -ERANGE;
		}
	}

	s = lunatik_state_new(nla_data(name), maxalloc, genl_info_net(info),
			      &lunatik_state_ops);
	if (IS_ERR(s)) {
		GENL_SET_ERR_MSG(info, "not enough memory for a new state");
		return PTR_ERR(s);
	}
	lunatik_registry_prepare(s);
	set_receiver(s, info);	/* not published yet: cannot fail */

	/* Keep a reference for the reply: once inserted, s may be removed. */
	lunatik_state_get(s);
	err = lunatik_registry_insert(r, s);
	if (err) {
		if (err == -EEXIST)
			GENL_SET_ERR_MSG(info, "state already exists");
		else
			GENL_SET_ERR_MSG(info, "too many states");
		lunatik_state_put(s);
		lunatik_registry_retire(s);
		return err;
	}
	err = reply_state_info(s, info);
	lunatik_state_put(s);
	return err;
}

static int lunatik_delstate(struct sk_buff *unused, struct genl_info *info)
{
	struct nlattr *name = info->attrs[LUNATIK_ATTR_STATENAME];
	int err;

	if (!has_name(info))
		return -EINVAL;
	err = lunatik_registry_remove(info_registry(info), nla_data(name));
	if (err)
		NL_SET_ERR_MSG_ATTR(info->extack, name, "state not found");
	return err;
}

static int lunatik_getstate(struct sk_buff *unused, struct genl_info *info)
{
	struct lunatik_state *s = find_state(info);
	int err;

	if (IS_ERR(s))
		return PTR_ERR(s);
	err = nla_get_flag(info->attrs[LUNATIK_ATTR_PEEK]) ? 0 :
	      set_receiver(s, info);
	if (!err)
		err = reply_state_info(s, info);
	lunatik_state_put(s);
	return err;
}

static int lunatik_cancel(struct sk_buff *unused, struct genl_info *info)
{
	struct lunatik_state *s = find_state(info);

	if (IS_ERR(s))
		return PTR_ERR(s);
	lunatik_executor_cancel(&s->exec);
	lunatik_state_put(s);
	return 0;
}

/* A dump's position between its parts: see struct lunatik_cursor. */
static struct lunatik_cursor *dump_cursor(struct netlink_callback *cb)
{
	BUILD_BUG_ON(sizeof(struct lunatik_cursor) > sizeof(cb->ctx));
	return (struct lunatik_cursor *)cb->ctx;
}

static int lunatik_dump_start(struct netlink_callback *cb)
{
	if (!lunatik_capable(cb->skb, cb->extack))
		return -EPERM;
	*dump_cursor(cb) = (struct lunatik_cursor){};
	return 0;
}

struct dump_part {
	struct sk_buff *skb;
	struct netlink_callback *cb;
};

static int dump_one(struct lunatik_state *s, unsigned int generation,
		    void *arg)
{
	struct dump_part *part = arg;
	struct netlink_callback *cb = part->cb;
	void *hdr;

	cb->seq = generation;
	hdr = genlmsg_put(part->skb, NETLINK_CB(cb->skb).portid,
			  cb->nlh->nlmsg_seq, &lunatik_family, NLM_F_MULTI,
			  LUNATIK_CMD_GETSTATE);
	if (!hdr)
		return -EMSGSIZE;
	genl_dump_check_consistent(cb, hdr);
	if (put_state_info(part->skb, s)) {
		genlmsg_cancel(part->skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(part->skb, hdr);
	return 0;
}

static int lunatik_dump_states(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct dump_part part = { .skb = skb, .cb = cb };

	/* NLMSG_DONE is checked against it too, whether or not any state was. */
	cb->seq = lunatik_registry_walk(lunatik_registry_of(sock_net(skb->sk)),
					dump_cursor(cb), dump_one, &part);
	return skb->len;
}

static int lunatik_dump_done(struct netlink_callback *cb)
{
	lunatik_cursor_release(dump_cursor(cb));
	return 0;
}

/*
 * A DOSTRING or SEND request on its way through the state's executor. It
 * holds the request's skb, so that its header and attributes stay valid,
 * and the sender's socket, which netlink_ack() reads.
 */
struct lunatik_request {
	struct lunatik_job job;
	struct lunatik_state *s;	/* counted reference */
	struct sk_buff *skb;
	const struct nlmsghdr *nlh;
	struct net *net;		/* pinned by the sender's socket */
	u8 cmd;
	const char *code;		/* DOSTRING: in @skb or @upload */
	size_t len;			/* bytes of code, or of data */
	char *upload;			/* a reassembled chunk, kvmalloc'd */
	char codename[LUNATIK_SCRIPTNAME_MAXSIZE + 1];
};

static struct lunatik_request *to_request(struct lunatik_job *job)
{
	return container_of(job, struct lunatik_request, job);
}

/*
 * Waits until the requester's receive buffer takes a message of @truesize
 * bytes: netlink drops what comes while the queue holds more than
 * sk_rcvbuf, so a message is sent once it fits or the queue is empty
 * (then the ack after it fits once the requester read it). Returns
 * -ECONNRESET when the requester is gone, -ECANCELED when the state is
 * interrupted (cancel, delete), -ENOBUFS after LUNATIK_REPLY_TIMEOUT_MS
 * without the requester reading anything.
 */
static int wait_for_room(struct lunatik_request *req, unsigned int truesize)
{
	struct sock *sk = NETLINK_CB(req->skb).sk;
	unsigned long deadline = 0;
	int queued, last = INT_MAX;

	for (;;) {
		if (READ_ONCE(req->job.orphan))
			return -ECONNRESET;
		queued = atomic_read(&sk->sk_rmem_alloc);
		if (!queued || queued + truesize <= READ_ONCE(sk->sk_rcvbuf))
			return 0;
		if (READ_ONCE(req->s->interrupt))
			return -ECANCELED;
		if (queued < last)	/* the requester read: start over */
			deadline = jiffies +
				   msecs_to_jiffies(LUNATIK_REPLY_TIMEOUT_MS);
		else if (time_after(jiffies, deadline))
			return -ENOBUFS;
		last = queued;
		schedule_timeout_idle(1);
	}
}

/*
 * Ends the answer: an ack or error, with or without NLM_F_ACK, since the
 * answer may come after those of later requests and the client needs to
 * know when this one is over.
 */
static void request_ack(struct lunatik_request *req, int err,
			const struct netlink_ext_ack *extack)
{
	if (READ_ONCE(req->job.orphan))
		return;
	/* Takes a plain pointer, but only reads the header. */
	netlink_ack(req->skb, (struct nlmsghdr *)req->nlh, err, extack);
}

/*
 * The worker's end of a request it ran: the ack waits for room as the
 * reply's messages do (a reply that gave up waiting tries it once).
 */
static void request_end(struct lunatik_request *req, int err,
			const struct netlink_ext_ack *extack)
{
	if (err != -ENOBUFS)
		wait_for_room(req, 0);
	request_ack(req, err, extack);
}

static void request_abort(struct lunatik_job *job, int err, const char *msg)
{
	struct netlink_ext_ack extack = {};

	if (!msg)
		return;
	extack._msg = msg;	/* a literal, as NL_SET_ERR_MSG would keep */
	request_ack(to_request(job), err, &extack);
}

static void request_free(struct lunatik_job *job)
{
	struct lunatik_request *req = to_request(job);

	kvfree(req->upload);
	sock_put(NETLINK_CB(req->skb).sk);
	consume_skb(req->skb);
	lunatik_state_put(req->s);
	kfree(req);
}

static struct lunatik_request *new_request(struct sk_buff *skb,
					   struct genl_info *info,
					   struct lunatik_state *s,
					   void (*run)(struct lunatik_job *))
{
	struct lunatik_request *req = kzalloc(sizeof(*req), GFP_KERNEL);

	if (!req) {
		GENL_SET_ERR_MSG(info, "not enough memory");
		return NULL;
	}
	req->job.portid = info->snd_portid;
	req->job.run = run;
	req->job.abort = request_abort;
	req->job.free = request_free;
	lunatik_state_get(s);
	req->s = s;
	req->skb = skb_get(skb);
	sock_hold(NETLINK_CB(skb).sk);
	req->nlh = info->nlhdr;
	req->net = genl_info_net(info);
	req->cmd = info->genlhdr->cmd;
	return req;
}

/* Hands @req to its state's worker; frees it when that fails. */
static int queue_request(struct lunatik_request *req, struct genl_info *info)
{
	int err = lunatik_executor_queue(&req->s->exec, &req->job);

	if (!err)
		return LUNATIK_QUEUED;
	if (err == -EBUSY)
		GENL_SET_ERR_MSG(info, "too many requests wait for this state");
	else
		GENL_SET_ERR_MSG(info, "state not found");
	request_free(&req->job);
	return err;
}

/*
 * A reply on its way to the requester (the stream include/uapi/linux/
 * lunatik.h describes under "Replies"), cut into messages of at most
 * LUNATIK_REPLY_PART_MAXSIZE bytes of attributes.
 */
struct reply_writer {
	struct lunatik_request *req;
	struct sk_buff *skb;	/* the message being filled; NULL: none */
	void *hdr;
	struct nlattr *nest;	/* its LUNATIK_ATTR_RESULTS, once opened */
	size_t used;		/* bytes of attributes in @skb */
	/* Bytes of attributes still to put, were they all in one message. */
	size_t left;
	unsigned int sent;	/* messages queued */
};

/* Queues the message being filled; @more: another one follows. */
static int writer_flush(struct reply_writer *w, bool more)
{
	struct sk_buff *skb = w->skb;
	int err;

	if (w->nest)
		nla_nest_end(skb, w->nest);
	genlmsg_end(skb, w->hdr);
	if (more || w->sent)
		nlmsg_hdr(skb)->nlmsg_flags |= NLM_F_MULTI;
	w->skb = NULL;
	w->nest = NULL;
	w->sent++;
	err = wait_for_room(w->req, skb->truesize);
	if (err) {
		nlmsg_free(skb);
		return err;
	}
	/* Frees @skb whatever happens. */
	err = genlmsg_unicast(w->req->net, skb, w->req->job.portid);
	if (err == -ECONNREFUSED)
		return -ECONNRESET;
	return err == -EAGAIN ? -ENOBUFS : err;
}

/*
 * Makes room for an attribute of at least @need bytes (nla_total_size;
 * @nested: inside LUNATIK_ATTR_RESULTS, which it opens), queueing the full
 * message and starting another as needed. Returns the most payload bytes
 * the attribute may hold, or -errno.
 */
static long writer_room(struct reply_writer *w, size_t need, bool nested)
{
	const struct lunatik_request *req = w->req;
	long avail;
	int err;

	for (;;) {
		if (!w->skb) {
			/* The last message is only as large as what is left. */
			w->skb = genlmsg_new(min_t(size_t, w->left,
						   LUNATIK_REPLY_PART_MAXSIZE),
					     GFP_KERNEL);
			if (!w->skb)
				return -ENOMEM;
			w->hdr = genlmsg_put(w->skb, req->job.portid,
					     req->nlh->nlmsg_seq,
					     &lunatik_family,
					     w->sent ? NLM_F_MULTI : 0,
					     req->cmd);
			w->used = 0;
			if (!w->hdr)
				return -EMSGSIZE;
		}
		avail = LUNATIK_REPLY_PART_MAXSIZE - w->used;
		if (nested && !w->nest)
			avail -= NLA_HDRLEN;
		if (avail >= (long)need)
			break;
		if (!w->used)	/* even an empty message is too small */
			return -EMSGSIZE;
		err = writer_flush(w, true);
		if (err)
			return err;
	}
	if (nested && !w->nest) {
		w->nest = nla_nest_start(w->skb, LUNATIK_ATTR_RESULTS);
		if (!w->nest)
			return -EMSGSIZE;
		w->used += NLA_HDRLEN;
	}
	return avail - NLA_HDRLEN;
}

/*
 * Puts one attribute of @type holding @len bytes, split over as many as
 * the messages need when @type is @split_type (later pieces get
 * @cont_type); @nul ends each piece with a NUL.
 */
static int writer_put(struct reply_writer *w, int type, int cont_type,
		      const char *data, size_t len, bool split, bool nul,
		      bool nested)
{
	struct nlattr *attr;
	size_t piece;
	long room;

	do {
		room = writer_room(w, nla_total_size(nul + (split ? !!len :
								len)),
				   nested);
		if (room < 0)
			return room;
		piece = split ? min_t(size_t, len, room - nul) : len;
		attr = nla_reserve(w->skb, type, piece + nul);
		if (!attr)
			return -EMSGSIZE;
		memcpy(nla_data(attr), data, piece);
		if (nul)
			((char *)nla_data(attr))[piece] = '\0';
		w->used += nla_total_size(piece + nul);
		w->left -= nla_total_size(len + nul);
		if (piece < len)
			w->left += nla_total_size(len - piece + nul);
		data += piece;
		len -= piece;
		type = cont_type;
	} while (len);
	return 0;
}

/*
 * Sends what a chunk or callback printed and, with @outcome, its results
 * or error. Sends nothing when that is nothing. Returns 0 or -errno.
 */
static int reply_lua(struct lunatik_request *req,
		     const struct lunatik_reply *reply, bool outcome)
{
	struct reply_writer w = { .req = req };
	const char *data = reply->buf;
	unsigned int i;
	int err = 0;

	if (reply->outlen)
		w.left += nla_total_size(reply->outlen);
	if (reply->output_cut)
		w.left += nla_total_size(0);
	if (outcome && reply->lua_error) {
		w.left += nla_total_size(reply->len + 1);
	} else if (outcome) {
		w.left += NLA_HDRLEN;
		for (i = 0; i < reply->nvalues; i++)
			w.left += nla_total_size(reply->values[i].len);
	}
	if (!w.left || READ_ONCE(req->job.orphan))
		return 0;

	if (reply->outlen)
		err = writer_put(&w, LUNATIK_ATTR_OUTPUT, LUNATIK_ATTR_OUTPUT,
				 reply->output, reply->outlen, true, false,
				 false);
	if (!err && reply->output_cut)
		err = writer_put(&w, LUNATIK_ATTR_OUTPUT_TRUNCATED, 0, NULL, 0,
				 false, false, false);
	if (!err && outcome && reply->lua_error) {
		err = writer_put(&w, LUNATIK_ATTR_ERROR, LUNATIK_ATTR_ERROR,
				 data, reply->len, true, true, false);
	} else if (!err && outcome) {
		for (i = 0; !err && i < reply->nvalues; i++) {
			const struct lunatik_result *v = &reply->values[i];

			err = writer_put(&w, v->type, LUNATIK_VALUE_STRING_CONT,
					 data, v->len,
					 v->type == LUNATIK_VALUE_STRING,
					 false, true);
			data += v->len;
		}
		/* The nest, even empty: a chunk that returned nothing. */
		if (!err && !w.nest) {
			long room = writer_room(&w, 0, true);

			err = room < 0 ? room : 0;
		}
	}
	if (!err)
		return writer_flush(&w, false);
	if (w.skb)
		nlmsg_free(w.skb);
	return err;
}

/* Explains a failure of lunatik_state_dostring() or _send(). */
static void set_run_error(int err, struct netlink_ext_ack *extack)
{
	switch (err) {
	case -ENOENT:
		NL_SET_ERR_MSG(extack, "state not found");
		break;
	case -EINVAL:
		NL_SET_ERR_MSG(extack, "binary chunks are not accepted");
		break;
	case -E2BIG:
		NL_SET_ERR_MSG(extack, "results larger than LUNATIK_RESULTS_MAXSIZE");
		break;
	case -ENOMEM:
		NL_SET_ERR_MSG(extack, "not enough memory");
		break;
	case -ECANCELED:
		NL_SET_ERR_MSG(extack, "interrupted while the reply waited for room in the receive buffer");
		break;
	case -ENOBUFS:
		NL_SET_ERR_MSG(extack, "the reply did not fit in the receive buffer: the requester read nothing of it for LUNATIK_REPLY_TIMEOUT_MS");
		break;
	}
}

static void dostring_run(struct lunatik_job *job)
{
	struct lunatik_request *req = to_request(job);
	struct netlink_ext_ack extack = {};
	struct lunatik_reply reply;
	int err, ret;

	err = lunatik_state_dostring(req->s, req->code, req->len,
				     req->codename, &reply);
	/* The output goes back even when the results could not. */
	ret = reply_lua(req, &reply, !err);
	lunatik_reply_free(&reply);
	if (!err)
		err = ret;
	set_run_error(err, &extack);
	request_end(req, err, &extack);
}

static int lunatik_dostring(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *codeattr = info->attrs[LUNATIK_ATTR_CODE];
	struct nlattr *nameattr = info->attrs[LUNATIK_ATTR_CODENAME];
	char codename[LUNATIK_SCRIPTNAME_MAXSIZE + 1];
	struct lunatik_request *req;
	struct lunatik_state *s;
	char *code = NULL;
	size_t len;
	int err;

	if (!codeattr) {
		GENL_SET_ERR_MSG(info, "code missing");
		return -EINVAL;
	}
	if (nameattr && !*(char *)nla_data(nameattr)) {
		NL_SET_ERR_MSG_ATTR(info->extack, nameattr, "codename is empty");
		return -EINVAL;
	}
	strscpy(codename, nameattr ? (char *)nla_data(nameattr) :
		LUNATIK_DEFAULT_CODENAME, sizeof(codename));

	s = find_state(info);
	if (IS_ERR(s))
		return PTR_ERR(s);

	if (info->attrs[LUNATIK_ATTR_CODE_TOTAL] ||
	    info->attrs[LUNATIK_ATTR_CODE_OFFSET]) {
		err = lunatik_upload_take(&s->upload, info, &code, &len,
					 codename);
		if (err < 0)
			goto out;
		if (err == 0) {
			/* Acked with or without NLM_F_ACK, as the last is. */
			netlink_ack(skb, (struct nlmsghdr *)info->nlhdr, 0,
				    info->extack);
			err = LUNATIK_QUEUED;
			goto out;
		}
	} else {
		len = nla_len(codeattr);
	}
	err = -ENOMEM;
	req = new_request(skb, info, s, dostring_run);
	if (!req) {
		kvfree(code);
		goto out;
	}
	req->upload = code;
	req->code = code ? code : nla_data(codeattr);
	req->len = len;
	strscpy(req->codename, codename, sizeof(req->codename));
	err = queue_request(req, info);
out:
	lunatik_state_put(s);
	return err;
}

#define for_each_data_attr(attr, genlhdr, rem)				\
	nla_for_each_attr(attr, genlmsg_data(genlhdr),			\
			  genlmsg_len(genlhdr), rem)			\
		if (nla_type(attr) == LUNATIK_ATTR_DATA)

/* Copies the request's LUNATIK_ATTR_DATA pieces, in order, to @dst. */
static void copy_data_attrs(void *dst, const struct lunatik_data *data)
{
	const struct lunatik_request *req = data->source;
	const struct nlattr *attr;
	int rem;

	for_each_data_attr(attr, nlmsg_data(req->nlh), rem) {
		memcpy(dst, nla_data(attr), nla_len(attr));
		dst += nla_len(attr);
	}
}

/* Sizes up the request's data, which may come in several attributes. */
static int find_data(struct genl_info *info, size_t *len)
{
	const struct nlattr *attr;
	bool found = false;
	int rem;

	*len = 0;
	for_each_data_attr(attr, info->genlhdr, rem) {
		*len += nla_len(attr);
		found = true;
	}
	if (!found) {
		GENL_SET_ERR_MSG(info, "data missing");
		return -EINVAL;
	}
	if (*len > LUNATIK_DATA_MAXSIZE) {
		GENL_SET_ERR_MSG(info, "data larger than LUNATIK_DATA_MAXSIZE");
		return -E2BIG;
	}
	return 0;
}

static void send_run(struct lunatik_job *job)
{
	struct lunatik_request *req = to_request(job);
	struct lunatik_data data = {
		.len = req->len,
		.copy = copy_data_attrs,
		.source = req,
	};
	struct netlink_ext_ack extack = {};
	struct lunatik_reply reply;
	int err, ret;

	err = lunatik_state_send(req->s, &data, &reply);
	ret = reply_lua(req, &reply, !err && reply.lua_error);
	lunatik_reply_free(&reply);
	if (!err)
		err = ret;
	set_run_error(err, &extack);
	request_end(req, err, &extack);
}

static int lunatik_send(struct sk_buff *skb, struct genl_info *info)
{
	struct lunatik_request *req;
	struct lunatik_state *s;
	size_t len;
	int err;

	err = find_data(info, &len);
	if (err)
		return err;
	s = find_state(info);
	if (IS_ERR(s))
		return PTR_ERR(s);
	err = -ENOMEM;
	req = new_request(skb, info, s, send_run);
	if (req) {
		req->len = len;
		err = queue_request(req, info);
	}
	lunatik_state_put(s);
	return err;
}

static size_t data_chunks_size(size_t len)
{
	size_t full = len / LUNATIK_DATA_CHUNK_MAXSIZE;
	size_t rest = len % LUNATIK_DATA_CHUNK_MAXSIZE;

	return full * nla_total_size(LUNATIK_DATA_CHUNK_MAXSIZE) +
	       (rest || !len ? nla_total_size(rest) : 0);
}

static int put_data_chunks(struct sk_buff *skb, const char *data, size_t len)
{
	size_t chunk;

	do {
		chunk = min_t(size_t, len, LUNATIK_DATA_CHUNK_MAXSIZE);
		if (nla_put(skb, LUNATIK_ATTR_DATA, chunk, data))
			return -EMSGSIZE;
		data += chunk;
		len -= chunk;
	} while (len);
	return 0;
}

/*
 * Whether @skb may join @sk's receive queue and still leave room for the
 * reply to its own next request.
 */
static bool receiver_has_room(const struct sock *sk, const struct sk_buff *skb)
{
	return atomic_read(&sk->sk_rmem_alloc) + skb->truesize +
	       LUNATIK_REPLY_HEADROOM <= READ_ONCE(sk->sk_rcvbuf);
}

/* netlink.send(): see struct lunatik_state_ops. */
static int lunatik_netlink_send(struct lunatik_state *s, const void *data,
				size_t len, gfp_t gfp)
{
	size_t namelen = strlen(s->name) + 1;
	struct sk_buff *skb;
	struct sock *sk;
	u32 portid;
	void *hdr;
	int err;

	if (len > LUNATIK_DATA_MAXSIZE)
		return -E2BIG;

	sk = lunatik_registry_receiver(s, &portid);
	if (!sk)
		return -ENOTCONN;

	err = -ENOMEM;
	skb = genlmsg_new(nla_total_size(namelen) + data_chunks_size(len), gfp);
	if (!skb)
		goto out;
	hdr = genlmsg_put(skb, 0, 0, &lunatik_family, 0, LUNATIK_CMD_DATA);
	if (!hdr || nla_put(skb, LUNATIK_ATTR_STATENAME, namelen, s->name) ||
	    put_data_chunks(skb, data, len)) {
		nlmsg_free(skb);
		goto out;
	}
	genlmsg_end(skb, hdr);

	if (!receiver_has_room(sk, skb)) {
		nlmsg_free(skb);
		err = -ENOBUFS;
		goto out;
	}
	err = genlmsg_unicast(s->net, skb, portid);
	if (err == -EAGAIN)
		err = -ENOBUFS;
	else if (err == -ECONNREFUSED)
		err = -ENOTCONN;
out:
	sock_put(sk);
	return err ? err : len;
}

/* The notice that @s is gone: see struct lunatik_state_ops. */
static void lunatik_netlink_gone(struct lunatik_state *s, struct sock *sk,
				 u32 portid)
{
	size_t namelen = strlen(s->name) + 1;
	struct sk_buff *skb;
	void *hdr;

	skb = genlmsg_new(nla_total_size(namelen), GFP_KERNEL);
	if (!skb)
		return;
	hdr = genlmsg_put(skb, 0, 0, &lunatik_family, 0, LUNATIK_CMD_DELSTATE);
	if (!hdr || nla_put(skb, LUNATIK_ATTR_STATENAME, namelen, s->name))
		goto drop;
	genlmsg_end(skb, hdr);
	if (!receiver_has_room(sk, skb))
		goto drop;
	genlmsg_unicast(s->net, skb, portid);	/* never waits */
	return;
drop:
	nlmsg_free(skb);
}

static const struct lunatik_state_ops lunatik_state_ops = {
	.send = lunatik_netlink_send,
	.gone = lunatik_netlink_gone,
};

static const struct genl_ops lunatik_ops[] = {
	{
		.cmd = LUNATIK_CMD_LIMITS,
		.doit = lunatik_limits,
		.policy = limits_policy,
		.maxattr = LUNATIK_ATTR_MAX,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = LUNATIK_CMD_NEWSTATE,
		.doit = lunatik_newstate,
		.policy = newstate_policy,
		.maxattr = LUNATIK_ATTR_MAX,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = LUNATIK_CMD_DELSTATE,
		.doit = lunatik_delstate,
		.policy = name_policy,
		.maxattr = LUNATIK_ATTR_MAX,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = LUNATIK_CMD_GETSTATE,
		.doit = lunatik_getstate,
		.start = lunatik_dump_start,
		.dumpit = lunatik_dump_states,
		.done = lunatik_dump_done,
		.policy = getstate_policy,
		.maxattr = LUNATIK_ATTR_MAX,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = LUNATIK_CMD_DOSTRING,
		.doit = lunatik_dostring,
		.policy = dostring_policy,
		.maxattr = LUNATIK_ATTR_MAX,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = LUNATIK_CMD_SEND,
		.doit = lunatik_send,
		.policy = send_policy,
		.maxattr = LUNATIK_ATTR_MAX,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = LUNATIK_CMD_CANCEL,
		.doit = lunatik_cancel,
		.policy = name_policy,
		.maxattr = LUNATIK_ATTR_MAX,
		.flags = GENL_ADMIN_PERM,
	},
};

static struct genl_family lunatik_family __ro_after_init = {
	.name = LUNATIK_GENL_NAME,
	.version = LUNATIK_GENL_VERSION,
	.maxattr = LUNATIK_ATTR_MAX,
	.netnsok = true,
	.parallel_ops = true,
	.pre_doit = lunatik_pre_doit,
	.ops = lunatik_ops,
	.n_ops = ARRAY_SIZE(lunatik_ops),
	.resv_start_op = LUNATIK_CMD_LIMITS,
	.module = THIS_MODULE,
};

static int lunatik_netlink_notify(struct notifier_block *nb,
				  unsigned long event, void *ptr)
{
	struct netlink_notify *n = ptr;

	if (event == NETLINK_URELEASE && n->protocol == NETLINK_GENERIC)
		lunatik_registry_forget_socket(n->net, n->portid);
	return NOTIFY_DONE;
}

static struct notifier_block lunatik_netlink_notifier = {
	.notifier_call = lunatik_netlink_notify,
};

int __init lunatik_netlink_init(void)
{
	int err;

	err = netlink_register_notifier(&lunatik_netlink_notifier);
	if (err)
		return err;
	err = genl_register_family(&lunatik_family);
	if (err)
		goto err_family;
	return 0;

err_family:
	netlink_unregister_notifier(&lunatik_netlink_notifier);
	return err;
}

void lunatik_netlink_exit(void)
{
	genl_unregister_family(&lunatik_family);
	netlink_unregister_notifier(&lunatik_netlink_notifier);
}
