// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * memory: writable byte arrays for Lua, implementing the interface described
 * by lua-memory's manual (luainkernel/lua-memory, doc/manual.md).
 *
 * The same file is compiled into memory.so, the user-space lunatik module
 * and lunatik.ko. Only the Lua C API and a few <string.h> functions are used
 * so the kernel's libc shims suffice. The kernel has no floating point: the
 * float formats of pack and unpack are compiled only outside it.
 */
#include "lua.h"
#include "lauxlib.h"

#include <limits.h>
#include <stddef.h>
#include <string.h>

#include "memory.h"

#ifndef __KERNEL__
#define LMEMORY_HAS_FLOAT 1
#endif

/*
 * Loops whose work grows with their input count it: in the kernel, where
 * C loops never meet the instruction-count hook, every few thousand steps
 * or 64 KiB reach the time budget's checkpoint (luaconf-kernel.h), which
 * may raise. Called only where an error leaves every object consistent.
 */
#ifdef __KERNEL__
#define WORKSTEP LUNATIK_STEP
#define checkwork(L, units) lunatik_work(L, units)
#else
#define WORKSTEP 0
#define checkwork(L, units) ((void)(L), (void)(units))
#endif

enum memory_kind { MEMORY_FIXED, MEMORY_RESIZABLE };

/*
 * A fixed memory keeps its bytes inline, right after this header. A
 * resizable one keeps them in a block from the state's allocator (so a
 * kernel state's memory limit counts them) and points at its empty inline
 * area while it has no bytes, so that bytes is never NULL.
 */
struct memory {
	char *bytes;
	size_t len;
	int kind;
};

/* Keeps every length and index representable as a positive lua_Integer. */
#define MEMORY_MAXLEN ((~(size_t)0 >> 2) - sizeof(struct memory))

static char *inlinebytes(struct memory *m)
{
	return (char *)(m + 1);
}

/* An external memory (lmemory_newexternal) that its owner took back has
 * no bytes: using it raises. */
static struct memory *tomemory(lua_State *L, int idx)
{
	struct memory *m =
		(struct memory *)luaL_testudata(L, idx, LMEMORY_METATABLE);
	if (m != NULL && m->bytes == NULL)
		luaL_error(L, "memory is no longer valid (its owner took it back)");
	return m;
}

static struct memory *checkmemory(lua_State *L, int arg)
{
	struct memory *m = tomemory(L, arg);
	if (m == NULL)
		luaL_typeerror(L, arg, "memory");
	return m;
}

/* The bytes of a string or memory argument. Numbers are refused: a memory
 * function given a number almost always has its arguments swapped. */
static const char *checkbytes(lua_State *L, int arg, size_t *len)
{
	struct memory *m = tomemory(L, arg);
	if (m != NULL) {
		*len = m->len;
		return m->bytes;
	}
	if (lua_type(L, arg) != LUA_TSTRING)
		luaL_typeerror(L, arg, "string or memory");
	return lua_tolstring(L, arg, len);
}

static size_t checklength(lua_State *L, int arg)
{
	lua_Integer n = luaL_checkinteger(L, arg);
	luaL_argcheck(L, n >= 0, arg, "size must not be negative");
	luaL_argcheck(L, (lua_Unsigned)n <= MEMORY_MAXLEN, arg, "size too large");
	return (size_t)n;
}

static unsigned char checkbyte(lua_State *L, int arg)
{
	lua_Integer v = luaL_checkinteger(L, arg);
	luaL_argcheck(L, 0 <= v && v <= UCHAR_MAX, arg, "value out of range");
	return (unsigned char)v;
}

/*
 * Index correction as in string.sub: negative indices count from the end, a
 * start before the first byte becomes 1 and an end past the last byte
 * becomes the length.
 */
static size_t startindex(lua_Integer i, size_t len)
{
	if (i > 0)
		return (size_t)i;
	if (i == 0 || i < -(lua_Integer)len)
		return 1;
	return len - (size_t)-i + 1;
}

static size_t endindex(lua_Integer j, size_t len)
{
	if (j > (lua_Integer)len)
		return len;
	if (j >= 0)
		return (size_t)j;
	if (j < -(lua_Integer)len)
		return 0;
	return len - (size_t)-j + 1;
}

/*
 * Reads the optional range i, j at arguments arg and arg + 1 (i defaults to
 * 1; j to -1, or to i when j_is_i) and returns how many bytes it holds,
 * storing the 0-based offset of its first byte in *offset.
 */
static size_t checkrange(lua_State *L, int arg, size_t len, int j_is_i,
			 size_t *offset)
{
	lua_Integer i = luaL_optinteger(L, arg, 1);
	size_t first = startindex(i, len);
	size_t last = endindex(luaL_optinteger(L, arg + 1, j_is_i ? i : -1),
			       len);
	if (first > last) {
		*offset = 0;
		return 0;
	}
	*offset = first - 1;
	return last - first + 1;
}

/* The 0-based offset given by the optional start o of a pattern s (negative
 * counts from the end, anything before the first byte becomes 1); it is at
 * or past slen when o leaves nothing of s. */
static size_t patternoffset(lua_State *L, int arg, size_t slen)
{
	lua_Integer o = luaL_optinteger(L, arg, 1);
	return startindex(o, slen) - 1;
}

/* A position for pack and unpack: 1 to len + 1, negative from the end;
 * returns it 0-based. */
static size_t checkposition(lua_State *L, int arg, lua_Integer i, size_t len,
			    const char *msg)
{
	if (i < 0)
		i = i < -(lua_Integer)len ? 0 : (lua_Integer)(len - (size_t)-i + 1);
	luaL_argcheck(L, i >= 1 && (lua_Unsigned)i <= (lua_Unsigned)len + 1,
		      arg, msg);
	return (size_t)i - 1;
}

/* Fills n bytes at dest with copies of the plen bytes at pattern, which may
 * overlap dest: the pattern is copied once, then what is already written is
 * doubled, so a 64 KiB fill takes a handful of memcpy calls. */
static void repeatcopy(char *dest, size_t n, const char *pattern, size_t plen)
{
	size_t done = plen < n ? plen : n;
	memmove(dest, pattern, done);
	while (done < n) {
		size_t chunk = n - done < done ? n - done : done;
		memcpy(dest + done, dest, chunk);
		done += chunk;
	}
}

static void pushmetatable(lua_State *L);

static struct memory *newmemory(lua_State *L, size_t len, int kind)
{
	struct memory *m;
	if (len > MEMORY_MAXLEN)
		luaL_error(L, "memory size too large");
	m = (struct memory *)lua_newuserdatauv(L, sizeof(*m) + len, 0);
	m->bytes = inlinebytes(m);
	m->len = len;
	m->kind = kind;
	pushmetatable(L);
	lua_setmetatable(L, -2);
	return m;
}

/* Releases the bytes of a resizable memory, leaving it empty. */
static void release(lua_State *L, struct memory *m)
{
	void *ud;
	lua_Alloc alloc = lua_getallocf(L, &ud);
	if (m->kind == MEMORY_RESIZABLE && m->len > 0)
		alloc(ud, m->bytes, m->len, 0);
	if (m->kind == MEMORY_RESIZABLE) {
		m->bytes = inlinebytes(m);
		m->len = 0;
	}
}

/* memory.create([m [, i [, j]]]) */
static int memory_create(lua_State *L)
{
	size_t len, offset, n;
	const char *src;
	struct memory *m;
	if (lua_isnoneornil(L, 1)) {
		newmemory(L, 0, MEMORY_RESIZABLE);
		return 1;
	}
	if (lua_type(L, 1) == LUA_TNUMBER) {
		m = newmemory(L, checklength(L, 1), MEMORY_FIXED);
		memset(m->bytes, 0, m->len);
		return 1;
	}
	if (lua_type(L, 1) != LUA_TSTRING && tomemory(L, 1) == NULL)
		return luaL_typeerror(L, 1, "number, string or memory");
	checkbytes(L, 1, &len);
	n = checkrange(L, 2, len, 0, &offset);
	m = newmemory(L, n, MEMORY_FIXED);
	/* Creating m may have run a finalizer that resized the source. */
	src = checkbytes(L, 1, &len);
	if (offset > len)
		offset = len;
	len = len - offset < n ? len - offset : n;
	memcpy(m->bytes, src + offset, len);
	memset(m->bytes + len, 0, n - len);
	return 1;
}

/* memory.type(m) */
static int memory_type(lua_State *L)
{
	struct memory *m;
	luaL_checkany(L, 1);
	m = tomemory(L, 1);
	if (m == NULL)
		lua_pushnil(L);
	else if (m->kind == MEMORY_FIXED)
		lua_pushliteral(L, "fixed");
	else
		lua_pushliteral(L, "resizable");
	return 1;
}

/* memory.len(m), #m */
static int memory_len(lua_State *L)
{
	lua_pushinteger(L, (lua_Integer)checkmemory(L, 1)->len);
	return 1;
}

/* Tells the collector about bytes it did not allocate itself, so that it
 * keeps pace with programs that grow resizable memories. */
static void gcdebt(lua_State *L, size_t added)
{
	size_t kib = added / 1024;
	if (kib > 0)
		lua_gc(L, LUA_GCSTEP, kib > INT_MAX ? INT_MAX : (int)kib);
}

/*
 * memory.resize(m, l [, s]): keeps the bytes that fit and sets new ones to
 * copies of s, or to zero. Allocation failure leaves m as it was; one full
 * collection is tried first, as Lua does for its own objects.
 */
static int memory_resize(lua_State *L)
{
	struct memory *m = checkmemory(L, 1);
	size_t newlen = checklength(L, 2);
	size_t unused;
	int collected = 0;
	void *ud;
	lua_Alloc alloc = lua_getallocf(L, &ud);
	if (!lua_isnoneornil(L, 3)) /* check s before anything changes */
		checkbytes(L, 3, &unused);
	for (;;) {
		size_t oldlen, plen = 0;
		const char *pattern = NULL;
		char *block;
		/* Re-read after a collection: finalizers may have changed m. */
		luaL_argcheck(L, m->kind == MEMORY_RESIZABLE, 1,
			      "resizable memory expected");
		oldlen = m->len;
		if (newlen == oldlen)
			return 0;
		if (newlen == 0) {
			release(L, m);
			return 0;
		}
		block = (char *)alloc(ud, oldlen > 0 ? m->bytes : NULL, oldlen,
				      newlen);
		if (block == NULL) {
			if (collected)
				return luaL_error(L, "not enough memory to resize to %I bytes",
						  (LUAI_UACINT)newlen);
			lua_gc(L, LUA_GCCOLLECT, 0);
			collected = 1;
			continue;
		}
		m->bytes = block;
		m->len = newlen;
		if (newlen < oldlen)
			return 0;
		if (lua_rawequal(L, 1, 3)) {
			pattern = block; /* m's own old bytes */
			plen = oldlen;
		} else if (!lua_isnoneornil(L, 3)) {
			pattern = checkbytes(L, 3, &plen);
		}
		if (plen > 0)
			repeatcopy(block + oldlen, newlen - oldlen, pattern, plen);
		else
			memset(block + oldlen, 0, newlen - oldlen);
		gcdebt(L, newlen - oldlen);
		return 0;
	}
}

/* memory.diff(m1, m2): first differing index (or nil) and m1 < m2. */
static int memory_diff(lua_State *L)
{
	size_t l1, l2, n, k = 0;
	const unsigned char *s1 = (const unsigned char *)checkbytes(L, 1, &l1);
	const unsigned char *s2 = (const unsigned char *)checkbytes(L, 2, &l2);
	n = l1 < l2 ? l1 : l2;
	while (k < n && s1[k] == s2[k]) {
		checkwork(L, 1);
		k++;
	}
	if (k < n) {
		lua_pushinteger(L, (lua_Integer)k + 1);
		lua_pushboolean(L, s1[k] < s2[k]);
	} else if (l1 == l2) {
		lua_pushnil(L);
		lua_pushboolean(L, 0);
	} else {
		lua_pushinteger(L, (lua_Integer)n + 1);
		lua_pushboolean(L, l1 < l2);
	}
	return 2;
}

/* memory.tostring(m [, i [, j]]), tostring(m) */
static int memory_tostring(lua_State *L)
{
	size_t len, offset, n;
	const char *s = checkbytes(L, 1, &len);
	n = checkrange(L, 2, len, 0, &offset);
	lua_pushlstring(L, s + offset, n);
	return 1;
}

/* memory.get(m [, i [, j]]): the byte values from i to j (j defaults to i). */
static int memory_get(lua_State *L)
{
	struct memory *m = checkmemory(L, 1);
	size_t offset, k, n = checkrange(L, 2, m->len, 1, &offset);
	const unsigned char *p = (const unsigned char *)m->bytes + offset;
	if (n >= INT_MAX || !lua_checkstack(L, (int)n))
		return luaL_error(L, "too many bytes to get (%I)", (LUAI_UACINT)n);
	for (k = 0; k < n; k++)
		lua_pushinteger(L, p[k]);
	return (int)n;
}

/* memory.set(m, i, ...): values past the end of m are ignored. Every value
 * is checked before any byte changes. */
static int memory_set(lua_State *L)
{
	struct memory *m = checkmemory(L, 1);
	lua_Integer i = luaL_checkinteger(L, 2);
	size_t nvalues = (size_t)(lua_gettop(L) - 2), k, pos;
	if (i < 0 && i >= -(lua_Integer)m->len)
		i += (lua_Integer)m->len + 1;
	luaL_argcheck(L, i >= 1 && (lua_Unsigned)i <= m->len, 2,
		      "index out of bounds");
	pos = (size_t)i - 1;
	if (nvalues > m->len - pos)
		nvalues = m->len - pos;
	for (k = 0; k < nvalues; k++)
		checkbyte(L, 3 + (int)k);
	for (k = 0; k < nvalues; k++)
		m->bytes[pos + k] = (char)lua_tointeger(L, 3 + (int)k);
	return 0;
}

/* O(slen * plen) at worst: counts the bytes it compares. */
static const char *search(lua_State *L, const char *s, size_t slen,
			  const char *p, size_t plen)
{
	const char *end = s + slen;
	while (plen <= (size_t)(end - s)) {
		size_t starts = (size_t)(end - s) - plen + 1;
		const char *hit = (const char *)memchr(s, p[0], starts);
		if (hit == NULL)
			return NULL;
		checkwork(L, WORKSTEP + (size_t)(hit - s) + plen);
		if (memcmp(hit + 1, p + 1, plen - 1) == 0)
			return hit;
		s = hit + 1;
	}
	return NULL;
}

/* memory.find(m, s [, i [, j [, o]]]): where the bytes of s from o occur
 * within i..j of m, as first and last index; nil if they do not. */
static int memory_find(lua_State *L)
{
	size_t len, slen, offset, n, soffset;
	const char *hay = checkbytes(L, 1, &len);
	const char *needle = checkbytes(L, 2, &slen);
	const char *hit;
	n = checkrange(L, 3, len, 0, &offset);
	soffset = patternoffset(L, 5, slen);
	if (n == 0 || soffset >= slen) {
		lua_pushnil(L);
		return 1;
	}
	hit = search(L, hay + offset, n, needle + soffset, slen - soffset);
	if (hit == NULL) {
		lua_pushnil(L);
		return 1;
	}
	lua_pushinteger(L, (lua_Integer)(hit - hay) + 1);
	lua_pushinteger(L, (lua_Integer)(hit - hay) + (lua_Integer)(slen - soffset));
	return 2;
}

/* memory.fill(m, s [, i [, j [, o]]]): s is a byte value or the string or
 * memory whose bytes from o are copied repeatedly over i..j. */
static int memory_fill(lua_State *L)
{
	struct memory *m = checkmemory(L, 1);
	size_t offset, n = checkrange(L, 3, m->len, 0, &offset);
	size_t plen, poffset;
	const char *pattern;
	if (lua_type(L, 2) == LUA_TNUMBER) {
		unsigned char byte = checkbyte(L, 2);
		memset(m->bytes + offset, byte, n);
		return 0;
	}
	pattern = checkbytes(L, 2, &plen);
	poffset = patternoffset(L, 5, plen);
	if (n > 0 && poffset < plen)
		repeatcopy(m->bytes + offset, n, pattern + poffset, plen - poffset);
	return 0;
}

/*
 * pack and unpack: the formats of string.pack (Lua manual 6.4.2), read and
 * written in place. Positions are absolute in m, so alignment is relative to
 * the start of the memory.
 */

#define MAXINTSIZE 16
#define SZINT ((size_t)sizeof(lua_Integer))
#define MAXFORMATSIZE ((size_t)INT_MAX)

struct alignprobe {
	char c;
	union {
		lua_Integer i;
		lua_Number n;
		void *p;
	} u;
};
#define NATIVEALIGN (offsetof(struct alignprobe, u))

/* The kinds up to OPT_ZSTRING take a value; pack relies on that order. */
enum option_kind {
	OPT_INT,
	OPT_UINT,
#ifdef LMEMORY_HAS_FLOAT
	OPT_FLOAT,
#endif
	OPT_CHARS,   /* cN: exactly N bytes */
	OPT_STRING,  /* sN: length prefix then bytes */
	OPT_ZSTRING, /* z: bytes then a zero */
	OPT_PADDING, /* x: one zero byte */
	OPT_ALIGN,   /* Xop: align like op */
	OPT_NONE     /* settings and spaces */
};

struct format {
	lua_State *L;
	const char *next;
	int arg; /* where the format was passed, for errors */
	int little;
	size_t maxalign;
};

struct option {
	enum option_kind kind;
	size_t size;    /* of the value; of the length prefix for OPT_STRING */
	size_t padding; /* alignment bytes before the value */
	char letter;
};

static int nativelittle(void)
{
	const union {
		int i;
		char c;
	} probe = {1};
	return probe.c;
}

static int isdigitchar(char c)
{
	return c >= '0' && c <= '9';
}

static size_t readsize(struct format *f, size_t dflt)
{
	size_t n = 0;
	if (!isdigitchar(*f->next))
		return dflt;
	while (isdigitchar(*f->next)) {
		if (n > (MAXFORMATSIZE - 9) / 10)
			luaL_error(f->L, "size in format is too large");
		n = n * 10 + (size_t)(*f->next++ - '0');
	}
	return n;
}

static size_t readintsize(struct format *f, size_t dflt)
{
	size_t n = readsize(f, dflt);
	if (n < 1 || n > MAXINTSIZE)
		luaL_error(f->L, "integral size (%d) out of limits [1,%d]", (int)n,
			   MAXINTSIZE);
	return n;
}

static enum option_kind readoption(struct format *f, size_t *size,
				   char *letter)
{
	char c = *f->next++;
	*size = 0;
	*letter = c;
	switch (c) {
	case 'b': *size = 1; return OPT_INT;
	case 'B': *size = 1; return OPT_UINT;
	case 'h': *size = sizeof(short); return OPT_INT;
	case 'H': *size = sizeof(short); return OPT_UINT;
	case 'i': *size = readintsize(f, sizeof(int)); return OPT_INT;
	case 'I': *size = readintsize(f, sizeof(int)); return OPT_UINT;
	case 'l': *size = sizeof(long); return OPT_INT;
	case 'L': *size = sizeof(long); return OPT_UINT;
	case 'j': *size = sizeof(lua_Integer); return OPT_INT;
	case 'J': *size = sizeof(lua_Integer); return OPT_UINT;
	case 'T': *size = sizeof(size_t); return OPT_UINT;
#ifdef LMEMORY_HAS_FLOAT
	case 'f': *size = sizeof(float); return OPT_FLOAT;
	case 'd': *size = sizeof(double); return OPT_FLOAT;
	case 'n': *size = sizeof(lua_Number); return OPT_FLOAT;
#else
	case 'f': case 'd': case 'n':
		luaL_error(f->L, "format option '%c' needs floating point, which the kernel lacks", c);
		break;
#endif
	case 's': *size = readintsize(f, sizeof(size_t)); return OPT_STRING;
	case 'c':
		if (!isdigitchar(*f->next))
			luaL_error(f->L, "missing size for format option 'c'");
		*size = readsize(f, 0);
		return OPT_CHARS;
	case 'z': return OPT_ZSTRING;
	case 'x': *size = 1; return OPT_PADDING;
	case 'X': return OPT_ALIGN;
	case ' ': break;
	case '<': f->little = 1; break;
	case '>': f->little = 0; break;
	case '=': f->little = nativelittle(); break;
	case '!': f->maxalign = readintsize(f, NATIVEALIGN); break;
	default: luaL_error(f->L, "invalid format option '%c'", c);
	}
	return OPT_NONE;
}

/* Reads the next item of the format, to be placed at 0-based position pos. */
static void readitem(struct format *f, size_t pos, struct option *o)
{
	size_t align;
	checkwork(f->L, WORKSTEP);
	o->kind = readoption(f, &o->size, &o->letter);
	align = o->size;
	if (o->kind == OPT_ALIGN) {
		char ignored;
		if (*f->next == '\0' ||
		    readoption(f, &align, &ignored) == OPT_CHARS || align == 0)
			luaL_argerror(f->L, f->arg, "invalid next option for option 'X'");
	}
	o->padding = 0;
	if (align > 1 && o->kind != OPT_CHARS) {
		if (align > f->maxalign)
			align = f->maxalign;
		if ((align & (align - 1)) != 0)
			luaL_argerror(f->L, f->arg,
				      "format asks for alignment not power of 2");
		o->padding = (align - (pos & (align - 1))) & (align - 1);
	}
}

static void initformat(struct format *f, lua_State *L, int arg)
{
	f->L = L;
	f->next = luaL_checkstring(L, arg);
	f->arg = arg;
	f->little = nativelittle();
	f->maxalign = 1;
}

static void writeint(char *dest, lua_Unsigned v, size_t size, int little,
		     int negative)
{
	size_t k;
	for (k = 0; k < size; k++) {
		unsigned char byte;
		if (k < SZINT)
			byte = (unsigned char)(v >> (k * CHAR_BIT));
		else /* sign extension past a lua_Integer */
			byte = negative ? UCHAR_MAX : 0;
		dest[little ? k : size - 1 - k] = (char)byte;
	}
}

static lua_Integer readint(lua_State *L, const char *src, size_t size,
			   int little, int issigned)
{
	lua_Unsigned v = 0;
	size_t k = size < SZINT ? size : SZINT;
	while (k-- > 0)
		v = (v << CHAR_BIT) |
		    (unsigned char)src[little ? k : size - 1 - k];
	if (size < SZINT && issigned) {
		lua_Unsigned sign = (lua_Unsigned)1 << (size * CHAR_BIT - 1);
		v = (v ^ sign) - sign;
	} else if (size > SZINT) {
		unsigned char ext = issigned && (lua_Integer)v < 0 ? UCHAR_MAX : 0;
		for (k = SZINT; k < size; k++)
			if ((unsigned char)src[little ? k : size - 1 - k] != ext)
				luaL_error(L, "%d-byte integer does not fit into Lua Integer",
					   (int)size);
	}
	return (lua_Integer)v;
}

#ifdef LMEMORY_HAS_FLOAT
union floatbytes {
	float f;
	double d;
	lua_Number n;
	char bytes[sizeof(lua_Number) > sizeof(double) ? sizeof(lua_Number)
						       : sizeof(double)];
};

/* Copies size bytes, reversing them when the wanted order is not native. */
static void copyordered(char *dest, const char *src, size_t size, int little)
{
	size_t k;
	if (little == nativelittle()) {
		memcpy(dest, src, size);
		return;
	}
	for (k = 0; k < size; k++)
		dest[k] = src[size - 1 - k];
}

static void writefloat(char *dest, lua_Number n, const struct option *o,
		       int little)
{
	union floatbytes u;
	if (o->letter == 'f')
		u.f = (float)n;
	else if (o->letter == 'd')
		u.d = (double)n;
	else
		u.n = n;
	copyordered(dest, u.bytes, o->size, little);
}

static lua_Number readfloat(const char *src, const struct option *o,
			    int little)
{
	union floatbytes u;
	/* Each copy is o->size bytes, as readoption() sets it, spelt as the
	 * member's size so the analyzer sees the member read is written. */
	if (o->letter == 'f') {
		copyordered(u.bytes, src, sizeof(u.f), little);
		return (lua_Number)u.f;
	}
	if (o->letter == 'd') {
		copyordered(u.bytes, src, sizeof(u.d), little);
		return (lua_Number)u.d;
	}
	copyordered(u.bytes, src, sizeof(u.n), little);
	return u.n;
}
#endif

/* Whether a + b bytes fit in room, without overflow. */
static int fits(size_t room, size_t a, size_t b)
{
	return a <= room && b <= room - a;
}

/*
 * One pass of pack over the format. With dest NULL it checks every argument
 * and finds the first item that does not fit (returning its index, its
 * position and its argument, or -1 when all fit) without writing; with dest
 * set it writes the first nitems items, all known to be valid and to fit.
 */
struct packstop {
	size_t pos;
	int arg;
};

static int packpass(lua_State *L, char *dest, size_t len, size_t pos,
		    int nitems, struct packstop *stop)
{
	struct format f;
	int arg = 3, item;
	initformat(&f, L, 2);
	for (item = 0; *f.next != '\0' && (dest == NULL || item < nitems); item++) {
		struct option o;
		size_t need = 0, slen = 0;
		const char *s = NULL;
		lua_Integer n = 0;
		readitem(&f, pos, &o);
		switch (o.kind) {
		case OPT_INT:
			n = luaL_checkinteger(L, ++arg);
			if (o.size < SZINT) {
				lua_Integer lim = (lua_Integer)1 << (o.size * CHAR_BIT - 1);
				luaL_argcheck(L, -lim <= n && n < lim, arg, "integer overflow");
			}
			need = o.size;
			break;
		case OPT_UINT:
			n = luaL_checkinteger(L, ++arg);
			if (o.size < SZINT)
				luaL_argcheck(L, (lua_Unsigned)n <
					      (lua_Unsigned)1 << (o.size * CHAR_BIT),
					      arg, "unsigned overflow");
			need = o.size;
			break;
#ifdef LMEMORY_HAS_FLOAT
		case OPT_FLOAT:
			luaL_checknumber(L, ++arg);
			need = o.size;
			break;
#endif
		case OPT_CHARS:
			s = checkbytes(L, ++arg, &slen);
			luaL_argcheck(L, slen <= o.size, arg, "string longer than given size");
			need = o.size;
			break;
		case OPT_STRING:
			s = checkbytes(L, ++arg, &slen);
			luaL_argcheck(L, o.size >= sizeof(size_t) ||
				      slen < (size_t)1 << (o.size * CHAR_BIT),
				      arg, "string length does not fit in given size");
			need = o.size + slen;
			break;
		case OPT_ZSTRING:
			s = checkbytes(L, ++arg, &slen);
			luaL_argcheck(L, memchr(s, '\0', slen) == NULL, arg,
				      "string contains zeros");
			need = slen + 1;
			break;
		case OPT_PADDING:
			need = 1;
			break;
		case OPT_ALIGN:
		case OPT_NONE:
			break;
		}
		if (dest == NULL) {
			if (stop->arg == 0 && !fits(len - pos, o.padding, need)) {
				stop->pos = pos;
				/* the values from this item's on are not packed */
				stop->arg = o.kind <= OPT_ZSTRING ? arg : arg + 1;
				nitems = item;
			}
			if (stop->arg == 0)
				pos += o.padding + need;
			continue;
		}
		memset(dest + pos, 0, o.padding);
		pos += o.padding;
		switch (o.kind) {
		case OPT_INT:
		case OPT_UINT:
			writeint(dest + pos, (lua_Unsigned)n, o.size, f.little,
				 o.kind == OPT_INT && n < 0);
			break;
#ifdef LMEMORY_HAS_FLOAT
		case OPT_FLOAT:
			writefloat(dest + pos, lua_tonumber(L, arg), &o, f.little);
			break;
#endif
		case OPT_CHARS:
			memmove(dest + pos, s, slen);
			memset(dest + pos + slen, 0, o.size - slen);
			break;
		case OPT_STRING:
			writeint(dest + pos, (lua_Unsigned)slen, o.size, f.little, 0);
			memmove(dest + pos + o.size, s, slen);
			break;
		case OPT_ZSTRING:
			memmove(dest + pos, s, slen);
			dest[pos + slen] = '\0';
			break;
		case OPT_PADDING:
			dest[pos] = '\0';
			break;
		case OPT_ALIGN:
		case OPT_NONE:
			break;
		}
		pos += need;
	}
	if (dest != NULL || stop->arg == 0)
		stop->pos = pos;
	return stop->arg == 0 ? -1 : nitems;
}

/*
 * memory.pack(m, fmt, i, v...): returns true and the index after the
 * packed bytes, or, when the values do not all fit, false, the index where
 * the first one that does not fit would go, and the values not packed.
 * Nothing is written when an argument is invalid.
 */
static int memory_pack(lua_State *L)
{
	struct memory *m = checkmemory(L, 1);
	size_t pos;
	struct packstop stop = {0, 0};
	int nitems, top;
	luaL_checkstring(L, 2);
	pos = checkposition(L, 3, luaL_checkinteger(L, 3), m->len,
			    "index out of bounds");
	nitems = packpass(L, NULL, m->len, pos, 0, &stop);
	if (nitems == -1) {
		struct packstop end = {0, 0};
		packpass(L, m->bytes, m->len, pos, INT_MAX, &end);
		lua_pushboolean(L, 1);
		lua_pushinteger(L, (lua_Integer)end.pos + 1);
		return 2;
	}
	packpass(L, m->bytes, m->len, pos, nitems, &(struct packstop){0, 0});
	top = lua_gettop(L);
	lua_pushboolean(L, 0);
	lua_pushinteger(L, (lua_Integer)stop.pos + 1);
	lua_rotate(L, stop.arg, 2);
	return top - stop.arg + 3;
}

/* memory.unpack(m, fmt [, i]): the values, then the index after them. */
static int memory_unpack(lua_State *L)
{
	struct memory *m = tomemory(L, 1);
	size_t len, pos;
	const char *data = checkbytes(L, 1, &len);
	struct format f;
	int n = 0;
	initformat(&f, L, 2);
	pos = checkposition(L, 3, luaL_optinteger(L, 3, 1), len,
			    "initial position out of bounds");
	while (*f.next != '\0') {
		struct option o;
		if (m != NULL) { /* pushing may run a finalizer that resizes m */
			data = m->bytes;
			len = m->len;
		}
		readitem(&f, pos, &o);
		if (pos > len || !fits(len - pos, o.padding, o.size))
			luaL_argerror(L, 1, "data too short");
		pos += o.padding;
		luaL_checkstack(L, 2, "too many results");
		n++;
		switch (o.kind) {
		case OPT_INT:
		case OPT_UINT:
			lua_pushinteger(L, readint(L, data + pos, o.size, f.little,
						   o.kind == OPT_INT));
			break;
#ifdef LMEMORY_HAS_FLOAT
		case OPT_FLOAT:
			lua_pushnumber(L, readfloat(data + pos, &o, f.little));
			break;
#endif
		case OPT_CHARS:
			lua_pushlstring(L, data + pos, o.size);
			break;
		case OPT_STRING: {
			size_t slen = (size_t)readint(L, data + pos, o.size, f.little, 0);
			luaL_argcheck(L, slen <= len - pos - o.size, 1, "data too short");
			lua_pushlstring(L, data + pos + o.size, slen);
			pos += slen;
			break;
		}
		case OPT_ZSTRING: {
			const char *zero = (const char *)memchr(data + pos, '\0', len - pos);
			size_t slen;
			luaL_argcheck(L, zero != NULL, 1, "unfinished string for format 'z'");
			slen = (size_t)(zero - (data + pos));
			lua_pushlstring(L, data + pos, slen);
			pos += slen + 1;
			break;
		}
		case OPT_PADDING:
		case OPT_ALIGN:
		case OPT_NONE:
			n--;
			break;
		}
		pos += o.size;
	}
	lua_pushinteger(L, (lua_Integer)pos + 1);
	return n + 1;
}

/* __gc: frees a resizable memory's block. */
static int memory_gc(lua_State *L)
{
	release(L, (struct memory *)luaL_checkudata(L, 1, LMEMORY_METATABLE));
	return 0;
}

/* __close: a resizable memory releases its bytes and becomes an empty fixed
 * memory, which nothing can change again; a fixed memory is left alone. */
static int memory_close(lua_State *L)
{
	struct memory *m =
		(struct memory *)luaL_checkudata(L, 1, LMEMORY_METATABLE);
	if (m->kind == MEMORY_RESIZABLE) {
		release(L, m);
		m->kind = MEMORY_FIXED;
	}
	return 0;
}

static int isoperand(lua_State *L, int idx)
{
	int type = lua_type(L, idx);
	return type == LUA_TSTRING || type == LUA_TNUMBER || tomemory(L, idx);
}

/* Pushes an operand of .. as a string or number; reads a memory's bytes
 * only now, since pushing the other operand may have run a finalizer. */
static void pushoperand(lua_State *L, int idx)
{
	struct memory *m = tomemory(L, idx);
	if (m != NULL)
		lua_pushlstring(L, m->bytes, m->len);
	else
		lua_pushvalue(L, idx);
}

/* __concat: a string with both operands' contents; an operand that is not
 * a string, number or memory gets its own __concat, if it has one. */
static int memory_concat(lua_State *L)
{
	int other = isoperand(L, 1) ? 2 : 1;
	if (!isoperand(L, other)) {
		if (luaL_getmetafield(L, other, "__concat") != LUA_TNIL &&
		    lua_tocfunction(L, -1) != memory_concat) {
			lua_insert(L, 1);
			lua_settop(L, 3);
			lua_call(L, 2, 1);
			return 1;
		}
		return luaL_error(L, "attempt to concatenate a %s value",
				  luaL_typename(L, other));
	}
	pushoperand(L, 1);
	pushoperand(L, 2);
	lua_concat(L, 2);
	return 1;
}

static const luaL_Reg memory_metamethods[] = {
	{"__gc", memory_gc},
	{"__close", memory_close},
	{"__len", memory_len},
	{"__tostring", memory_tostring},
	{"__concat", memory_concat},
	{NULL, NULL}
};

static const luaL_Reg memory_functions[] = {
	{"create", memory_create},
	{"type", memory_type},
	{"resize", memory_resize},
	{"len", memory_len},
	{"diff", memory_diff},
	{"find", memory_find},
	{"fill", memory_fill},
	{"get", memory_get},
	{"set", memory_set},
	{"tostring", memory_tostring},
	{"pack", memory_pack},
	{"unpack", memory_unpack},
	{NULL, NULL}
};

/* Pushes the shared metatable, creating it if no copy of this code has. */
static void pushmetatable(lua_State *L)
{
	if (luaL_newmetatable(L, LMEMORY_METATABLE)) {
		luaL_setfuncs(L, memory_metamethods, 0);
		luaL_newlib(L, memory_functions);
		lua_setfield(L, -2, "__index");
	}
}

int luaopen_memory(lua_State *L)
{
	pushmetatable(L);
	lua_getfield(L, -1, "__index");
	return 1;
}

char *lmemory_newfixed(lua_State *L, size_t len)
{
	struct memory *m = newmemory(L, len, MEMORY_FIXED);
	memset(m->bytes, 0, len);
	return m->bytes;
}

void lmemory_setexternal(void *memory, char *bytes, size_t len)
{
	struct memory *m = (struct memory *)memory;
	m->bytes = bytes;
	m->len = len;
}

void *lmemory_newexternal(lua_State *L, char *bytes, size_t len)
{
	struct memory *m = newmemory(L, 0, MEMORY_FIXED);
	lmemory_setexternal(m, bytes, len);
	return m;
}

void lmemory_invalidate(void *memory)
{
	lmemory_setexternal(memory, NULL, 0);
}

const char *lmemory_tobuffer(lua_State *L, int idx, size_t *len)
{
	struct memory *m = tomemory(L, idx);
	if (m == NULL)
		return NULL;
	*len = m->len;
	return m->bytes;
}
