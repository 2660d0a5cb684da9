/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * Lunatik: Lua states inside the Linux kernel, driven from user space.
 *
 * This header is the protocol between lunatik.ko and user space. It is
 * included by both sides and is the protocol's documentation.
 *
 * Transport: one generic netlink family, LUNATIK_GENL_NAME, version
 * LUNATIK_GENL_VERSION. Every command requires both CAP_NET_ADMIN
 * (GENL_ADMIN_PERM) and CAP_SYS_ADMIN in the initial user namespace, held
 * by the process that opened the socket and by the one sending (the
 * kernel's netlink_capable()); root of a user namespace is not enough.
 * States live per network namespace: a state created in one namespace is
 * invisible from every other one.
 *
 * Execution: Lua code never runs in the request handler. Each state has
 * a worker of its own that runs its requests (LUNATIK_CMD_DOSTRING and
 * LUNATIK_CMD_SEND) one at a time, in the order they arrived; different
 * states run in parallel. Those two commands are answered by the worker
 * once the code ended, with the request's sequence number: the reply (if
 * any), then always an NLMSG_ERROR, 0 on success, whether NLM_F_ACK was
 * set or not (each fragment of a chunk is acked the same way). Answers to
 * requests sent without waiting may come back in another order than the
 * requests: match them by sequence number; that NLMSG_ERROR says the
 * request is over. At most 256 requests wait for one state; more get
 * -EBUSY. When the requesting socket closes, its waiting requests are
 * dropped and its running chunk is interrupted.
 *
 * Errors: a request the kernel refuses is answered by an NLMSG_ERROR with a
 * negative errno and, whenever the caller caused it, an extended ack
 * message (NLMSGERR_ATTR_MSG; ask for it with the socket option
 * NETLINK_EXT_ACK) and, for a bad attribute, NLMSGERR_ATTR_OFFS. Errors the
 * Lua code raises are not protocol errors: they come back in a normal
 * reply as LUNATIK_ATTR_ERROR.
 *
 * Errno values common to all commands:
 *   -EPERM   caller lacks CAP_NET_ADMIN or CAP_SYS_ADMIN
 *   -EINVAL  malformed request: missing, empty or oversized attribute (a
 *            missing one is also named by NLMSGERR_ATTR_MISS_TYPE)
 *   -ERANGE  an integer attribute outside its documented range
 *   -ENOENT  no state of that name in the caller's network namespace
 */
#ifndef _UAPI_LINUX_LUNATIK_H
#define _UAPI_LINUX_LUNATIK_H

#define LUNATIK_GENL_NAME	"lunatik"
#define LUNATIK_GENL_VERSION	1

/*
 * Limits. Sizes are in bytes.
 *
 * LUNATIK_STATENAME_MAXSIZE: longest state name, not counting the NUL
 *	that terminates it on the wire. Names are 1 to this many bytes.
 * LUNATIK_SCRIPTNAME_MAXSIZE: longest chunk name (codename), not counting
 *	the NUL.
 * LUNATIK_DATA_MAXSIZE: most bytes one LUNATIK_CMD_SEND or one kernel
 *	netlink.send() carries.
 * LUNATIK_DATA_CHUNK_MAXSIZE: most bytes in one LUNATIK_ATTR_DATA. A
 *	netlink attribute's length is 16 bits, so data is carried as
 *	several LUNATIK_ATTR_DATA in one message, concatenated in order.
 * LUNATIK_CODE_MAXSIZE: longest chunk LUNATIK_CMD_DOSTRING accepts once
 *	reassembled from its fragments.
 * LUNATIK_FRAGMENT_MAXSIZE: most bytes of code in one message.
 * LUNATIK_DEFAULT_MAXALLOC: memory limit of a state created without
 *	LUNATIK_ATTR_MAXALLOC.
 * LUNATIK_MIN_MAXALLOC, LUNATIK_MAX_MAXALLOC: accepted range of
 *	LUNATIK_ATTR_MAXALLOC. The minimum holds an empty state with its
 *	libraries and a little room to run code.
 * LUNATIK_DEFAULT_MAXSTATES: states per network namespace unless the
 *	module parameter "maxstates" says otherwise; LUNATIK_CMD_LIMITS
 *	reports the value in force.
 * LUNATIK_RESULTS_MAXSIZE: most bytes of results one chunk may return,
 *	each value counted as one attribute would take it whole (a string of
 *	n bytes: NLA_ALIGN(4 + n), an integer 12, a boolean 8, nil 4); more
 *	is refused with -E2BIG. A Lua error message longer than this is cut
 *	to this many bytes.
 * LUNATIK_REPLY_PART_MAXSIZE: most bytes of attributes (after the genl
 *	header) in one message of a DOSTRING or SEND reply; a longer reply
 *	is split over several messages (see "Replies" below).
 * LUNATIK_OUTPUT_MAXSIZE: most bytes of print() output one chunk or
 *	callback returns to its caller (see LUNATIK_ATTR_OUTPUT).
 * LUNATIK_REPLY_TIMEOUT_MS: how long the worker waits for room in the
 *	requester's receive buffer, while the requester reads nothing of
 *	it, before it gives the reply up (see "Replies" below).
 */
#define LUNATIK_STATENAME_MAXSIZE	64
#define LUNATIK_SCRIPTNAME_MAXSIZE	255
#define LUNATIK_DATA_MAXSIZE		(64 * 1024)
#define LUNATIK_DATA_CHUNK_MAXSIZE	(32 * 1024)
#define LUNATIK_CODE_MAXSIZE		(1024 * 1024)
#define LUNATIK_FRAGMENT_MAXSIZE	(32 * 1024)
#define LUNATIK_DEFAULT_MAXALLOC	(1024 * 1024)
#define LUNATIK_MIN_MAXALLOC		(64 * 1024)
#define LUNATIK_MAX_MAXALLOC		(1024 * 1024 * 1024)
#define LUNATIK_DEFAULT_MAXSTATES	1024
#define LUNATIK_RESULTS_MAXSIZE		(1024 * 1024)
#define LUNATIK_REPLY_PART_MAXSIZE	(60 * 1024)
#define LUNATIK_OUTPUT_MAXSIZE		(64 * 1024)
#define LUNATIK_REPLY_TIMEOUT_MS	5000

/* Chunk name used when LUNATIK_ATTR_CODENAME is absent. */
#define LUNATIK_DEFAULT_CODENAME	"lua in kernel"

/*
 * Replies to LUNATIK_CMD_DOSTRING and LUNATIK_CMD_SEND.
 *
 * The worker sends the reply as a stream of attributes, in this order:
 *   1. LUNATIK_ATTR_OUTPUT, zero or more: what the code printed, in
 *	pieces to concatenate in order;
 *   2. LUNATIK_ATTR_OUTPUT_TRUNCATED, when the output was cut;
 *   3. the outcome: either one or more LUNATIK_ATTR_RESULTS nests, whose
 *	values (enum lunatik_value) follow each other in order across the
 *	nests, or one or more LUNATIK_ATTR_ERROR, pieces of the Lua error
 *	message to concatenate in order (each NUL-terminated; the NULs are
 *	not part of the message).
 * A string value longer than the room left in a message is split: its
 * first piece is a LUNATIK_VALUE_STRING, the rest follow, in this or the
 * next nests, as LUNATIK_VALUE_STRING_CONT, each to be appended to the
 * value before it. A chunk that returns nothing still sends one (empty)
 * LUNATIK_ATTR_RESULTS.
 * The stream is cut into messages of the request's command and sequence
 * number, each holding at most LUNATIK_REPLY_PART_MAXSIZE bytes of
 * attributes. A reply that fits in one message is that message without
 * flags; a longer one is several messages, each flagged NLM_F_MULTI. In
 * both cases the NLMSG_ERROR that always follows (see Execution) ends the
 * reply: a client gathers every message of that sequence number until
 * it. That NLMSG_ERROR may carry an error after messages were sent: the
 * reply is then incomplete and must be dropped.
 * Flow control: netlink drops a message for a socket whose receive queue
 * holds more than its buffer (SO_RCVBUF), so the worker sends each message
 * only once it fits in the requester's free buffer, or the queue is
 * empty, and waits (polling) otherwise; the NLMSG_ERROR waits the same
 * way. Any buffer therefore gets a whole reply of LUNATIK_RESULTS_MAXSIZE
 * while its owner keeps reading. The wait ends, and the reply with it,
 * when the requesting socket closes (nothing more is sent), when the
 * state is cancelled or deleted (-ECANCELED), or after
 * LUNATIK_REPLY_TIMEOUT_MS during which the requester read nothing
 * (-ENOBUFS). One message of a full reply costs about 66 KiB of buffer.
 */

/*
 * Commands.
 *
 * Each request's "Accepts:" line names every attribute its policy takes
 * (the types are in "Attributes" below); any other attribute is refused
 * with -EINVAL. tests/vm/api_schema_test.lua holds the kernel's policies
 * and the client's reply parser to these lines and that table.
 *
 * LUNATIK_CMD_LIMITS
 *	Accepts: nothing.
 *	Request: nothing. Reply: LUNATIK_ATTR_MAXSTATES (the running module's
 *	per-namespace limit), LUNATIK_ATTR_NSTATES (states now in the
 *	caller's namespace), LUNATIK_ATTR_DEFAULT_MAXALLOC. Does no other
 *	work, so its round trip is the family's floor.
 *
 * LUNATIK_CMD_NEWSTATE
 *	Accepts: LUNATIK_ATTR_STATENAME, LUNATIK_ATTR_MAXALLOC.
 *	Request: LUNATIK_ATTR_STATENAME, optional LUNATIK_ATTR_MAXALLOC.
 *	Reply: LUNATIK_ATTR_STATENAME, LUNATIK_ATTR_MAXALLOC,
 *	LUNATIK_ATTR_CURRALLOC of the new state. The caller's socket becomes
 *	the state's receiver (see LUNATIK_CMD_DATA).
 *	Errors: -EEXIST a state of that name exists; -ERANGE maxalloc out of
 *	[LUNATIK_MIN_MAXALLOC, LUNATIK_MAX_MAXALLOC]; -ENOSPC the namespace
 *	holds maxstates states; -ENOMEM.
 *
 * LUNATIK_CMD_DELSTATE
 *	Accepts: LUNATIK_ATTR_STATENAME.
 *	Request: LUNATIK_ATTR_STATENAME. Reply: ack, at once. The name is
 *	free again immediately. A chunk running in the state ends with the
 *	Lua error "interrupted" at its next checkpoint; requests waiting for
 *	it get -ENOENT; then its worker closes it, and its finalizers (__gc)
 *	get timeout_ms. When the namespace goes away or the module unloads,
 *	its states close in parallel, each with 100 ms for its finalizers.
 *	However a state is destroyed (this request from any socket, its
 *	namespace going away, the module unloading), its receiver (see
 *	LUNATIK_CMD_DATA) is told at once by an unsolicited
 *	LUNATIK_CMD_DELSTATE carrying LUNATIK_ATTR_STATENAME alone, with
 *	sequence number 0; after an unload, its type is the family id the
 *	module had. The notice obeys the same receive-buffer rule as
 *	LUNATIK_CMD_DATA: when the buffer lacks room, it is dropped and the
 *	destroy goes on, so a receiver that may let its buffer fill up (or
 *	whose state another socket may take over) should also look the
 *	state up now and then (LUNATIK_ATTR_PEEK). Data that a chunk sends
 *	while its state is being destroyed may arrive after the notice.
 *
 * LUNATIK_CMD_GETSTATE
 *	Accepts: LUNATIK_ATTR_STATENAME, LUNATIK_ATTR_PEEK.
 *	Request: LUNATIK_ATTR_STATENAME. Reply: LUNATIK_ATTR_STATENAME,
 *	LUNATIK_ATTR_MAXALLOC, LUNATIK_ATTR_CURRALLOC. The caller's socket
 *	becomes the state's receiver, unless the request carries
 *	LUNATIK_ATTR_PEEK: then the receiver stays as it was, and the
 *	request only describes the state (one lookup, whatever the number
 *	of states).
 *	With NLM_F_DUMP and no attribute: one message per state of the
 *	namespace, each with the three attributes above. A dump that raced
 *	with a change to the set of states is flagged NLM_F_DUMP_INTR on its
 *	messages; the client should list again.
 *
 * LUNATIK_CMD_DOSTRING
 *	Accepts: LUNATIK_ATTR_STATENAME, LUNATIK_ATTR_CODE,
 *	LUNATIK_ATTR_CODENAME, LUNATIK_ATTR_CODE_TOTAL,
 *	LUNATIK_ATTR_CODE_OFFSET.
 *	Request: LUNATIK_ATTR_STATENAME, LUNATIK_ATTR_CODE (text; a chunk
 *	whose first byte is ESC, 0x1b, is binary to Lua's loader and is
 *	refused with -EINVAL), optional LUNATIK_ATTR_CODENAME.
 *	A chunk larger than LUNATIK_FRAGMENT_MAXSIZE is sent as fragments:
 *	every fragment carries LUNATIK_ATTR_CODE_TOTAL (the whole length)
 *	and LUNATIK_ATTR_CODE_OFFSET (where this fragment starts), in order
 *	from offset 0, all from the same socket. Each fragment but the last
 *	is answered by the ack alone; the last runs the chunk. The kernel
 *	keeps one upload per state; an upload is dropped when its socket
 *	closes or when one of its fragments is out of order (-EINVAL). While
 *	it lasts, another socket's upload to the same state gets -EBUSY.
 *	Reply (see "Replies"): the output of print(), then on success
 *	LUNATIK_ATTR_RESULTS, the values the chunk returned, in order; on a
 *	Lua error (syntax or runtime, including the time budget and the
 *	memory limit) LUNATIK_ATTR_ERROR, the message with a traceback that
 *	names the codename.
 *	Errors: -E2BIG code or results over their limits (the output, if
 *	any, is still sent before the error); -EBUSY see above or too many
 *	requests wait (see Execution); -ECANCELED cancelled before it ran
 *	(LUNATIK_CMD_CANCEL) or while its reply waited for room; -ENOENT
 *	the state was deleted before it ran; -ENOBUFS the requester read
 *	nothing of its reply for LUNATIK_REPLY_TIMEOUT_MS.
 *
 * LUNATIK_CMD_SEND
 *	Accepts: LUNATIK_ATTR_STATENAME, LUNATIK_ATTR_DATA.
 *	Request: LUNATIK_ATTR_STATENAME, one or more LUNATIK_ATTR_DATA
 *	(0 to LUNATIK_DATA_MAXSIZE bytes in all). Calls the state's global
 *	receive_callback(mem) with the data as a memory object.
 *	Reply (see "Replies"): the output of print() if the callback
 *	printed, and LUNATIK_ATTR_ERROR if it is not a function or raised;
 *	no message at all (only the ack) when it printed nothing and
 *	returned. Errors: as LUNATIK_CMD_DOSTRING.
 *
 * LUNATIK_CMD_DATA
 *	Kernel to user only, never a request. A Lua state's netlink.send(d)
 *	unicasts LUNATIK_ATTR_STATENAME and one or more LUNATIK_ATTR_DATA
 *	to the state's
 *	receiver: the socket that last created it or looked it up with
 *	LUNATIK_CMD_GETSTATE (not a dump). The socket's receive buffer is the
 *	queue: when it is full, or no receiver socket is open, netlink.send
 *	returns nil and a message and nothing is sent. The kernel keeps
 *	room in that buffer for the reply to the receiver's own next request
 *	(the truesize of the largest reply message, about 66 KiB): a message is
 *	queued only while the data already queued, the message and that room
 *	fit in the buffer. A message of n bytes costs about the next power of
 *	two above n plus 1 KiB, so the default buffer (212992 bytes) holds
 *	messages of up to a few KiB; a receiver that wants messages near
 *	LUNATIK_DATA_MAXSIZE, or more of them queued, raises SO_RCVBUF (on
 *	Debian's 6.1 kernel a 64 KiB message to a default buffer is
 *	refused as "receiver queue full"; liblunatik asks for 4 MiB).
 *	Sequence number 0. See LUNATIK_CMD_DELSTATE for the notice that the
 *	state is gone.
 *
 * LUNATIK_CMD_CANCEL
 *	Accepts: LUNATIK_ATTR_STATENAME.
 *	Request: LUNATIK_ATTR_STATENAME. Reply: ack, at once. The chunk or
 *	callback running in the state ends with the Lua error "interrupted"
 *	at its next checkpoint (a pcall inside it cannot hold it back); the
 *	state keeps its globals and stays usable. Requests waiting for the
 *	state get -ECANCELED and do not run. Nothing running is no error.
 */
enum lunatik_cmd {
	LUNATIK_CMD_UNSPEC,
	LUNATIK_CMD_LIMITS,
	LUNATIK_CMD_NEWSTATE,
	LUNATIK_CMD_DELSTATE,
	LUNATIK_CMD_GETSTATE,
	LUNATIK_CMD_DOSTRING,
	LUNATIK_CMD_SEND,
	LUNATIK_CMD_DATA,
	LUNATIK_CMD_CANCEL,
	__LUNATIK_CMD_MAX,
};
#define LUNATIK_CMD_MAX (__LUNATIK_CMD_MAX - 1)

/*
 * Attributes.
 *
 * LUNATIK_ATTR_STATENAME	NUL-terminated string, 1 to
 *				LUNATIK_STATENAME_MAXSIZE bytes before the NUL
 * LUNATIK_ATTR_MAXALLOC	u64, bytes
 * LUNATIK_ATTR_CURRALLOC	u64, bytes the state uses now
 * LUNATIK_ATTR_CODE		binary, 0 to LUNATIK_FRAGMENT_MAXSIZE bytes (an
 *				empty chunk is valid Lua and returns nothing)
 * LUNATIK_ATTR_CODENAME	NUL-terminated string, 1 to
 *				LUNATIK_SCRIPTNAME_MAXSIZE bytes
 * LUNATIK_ATTR_CODE_TOTAL	u32, 1 to LUNATIK_CODE_MAXSIZE: length of the
 *				whole fragmented chunk
 * LUNATIK_ATTR_CODE_OFFSET	u32, 0 to LUNATIK_CODE_MAXSIZE - 1: offset of
 *				this fragment in the chunk
 * LUNATIK_ATTR_RESULTS		nest of enum lunatik_value attributes
 * LUNATIK_ATTR_ERROR		NUL-terminated string: a Lua error message
 *				or a piece of one (cut at its first NUL)
 * LUNATIK_ATTR_DATA		binary, 0 to LUNATIK_DATA_CHUNK_MAXSIZE bytes;
 *				repeated, see LUNATIK_DATA_CHUNK_MAXSIZE
 * LUNATIK_ATTR_MAXSTATES	u32
 * LUNATIK_ATTR_NSTATES		u32
 * LUNATIK_ATTR_DEFAULT_MAXALLOC u64
 * LUNATIK_ATTR_PAD		padding for 64-bit attributes
 * LUNATIK_ATTR_PEEK		flag (no payload), LUNATIK_CMD_GETSTATE only
 * LUNATIK_ATTR_OUTPUT		binary, may hold NUL bytes: a piece of what
 *				print() wrote while the request's code ran,
 *				each call's arguments joined by tabs and
 *				followed by a newline, as lua5.4's print
 *				writes them; at most LUNATIK_OUTPUT_MAXSIZE
 *				bytes in all. The kernel log still gets
 *				every print as before (with its own caps and
 *				rate limit); this copy is not rate limited.
 * LUNATIK_ATTR_OUTPUT_TRUNCATED flag: the code printed more than
 *				LUNATIK_OUTPUT_MAXSIZE bytes (or memory for
 *				the copy ran out); the output holds the first
 *				bytes
 */
enum lunatik_attr {
	LUNATIK_ATTR_UNSPEC,
	LUNATIK_ATTR_STATENAME,
	LUNATIK_ATTR_MAXALLOC,
	LUNATIK_ATTR_CURRALLOC,
	LUNATIK_ATTR_CODE,
	LUNATIK_ATTR_CODENAME,
	LUNATIK_ATTR_CODE_TOTAL,
	LUNATIK_ATTR_CODE_OFFSET,
	LUNATIK_ATTR_RESULTS,
	LUNATIK_ATTR_ERROR,
	LUNATIK_ATTR_DATA,
	LUNATIK_ATTR_MAXSTATES,
	LUNATIK_ATTR_NSTATES,
	LUNATIK_ATTR_DEFAULT_MAXALLOC,
	LUNATIK_ATTR_PAD,
	LUNATIK_ATTR_PEEK,
	LUNATIK_ATTR_OUTPUT,
	LUNATIK_ATTR_OUTPUT_TRUNCATED,
	__LUNATIK_ATTR_MAX,
};
#define LUNATIK_ATTR_MAX (__LUNATIK_ATTR_MAX - 1)

/*
 * Values a chunk returns, nested in LUNATIK_ATTR_RESULTS in the order the
 * chunk returned them. Tables, functions, userdata and threads are sent as
 * LUNATIK_VALUE_STRING holding their tostring().
 *
 * LUNATIK_VALUE_NIL		flag (no payload)
 * LUNATIK_VALUE_BOOLEAN	u8, 0 or 1
 * LUNATIK_VALUE_INTEGER	s64
 * LUNATIK_VALUE_STRING		binary, may hold NUL bytes
 * LUNATIK_VALUE_STRING_CONT	binary: more bytes of the string value
 *				before it (see "Replies")
 */
enum lunatik_value {
	LUNATIK_VALUE_UNSPEC,
	LUNATIK_VALUE_NIL,
	LUNATIK_VALUE_BOOLEAN,
	LUNATIK_VALUE_INTEGER,
	LUNATIK_VALUE_STRING,
	LUNATIK_VALUE_STRING_CONT,
	__LUNATIK_VALUE_MAX,
};
#define LUNATIK_VALUE_MAX (__LUNATIK_VALUE_MAX - 1)

#endif /* _UAPI_LINUX_LUNATIK_H */
