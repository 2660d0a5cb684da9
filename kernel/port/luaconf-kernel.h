/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Adapts Lua's luaconf.h to the kernel. Kbuild forces this header (-include)
 * into every file that includes lua.h, before anything else; it includes
 * luaconf.h itself and then overrides what the kernel cannot provide.
 *
 *  - Numbers are 64-bit integers: lua_Number is long long, like
 *    lua_Integer. Lua still tags the results of '/' and '^' as floats, but
 *    their values are integers (see docs/kernel-lua.md for every rule).
 *  - The C stack is the task's 16 KiB: the C-call limit follows the stack
 *    actually left (see lunatik_maxccalls()).
 *  - C loops that can run long count their work and reach
 *    lunatik_checkpoint(), the time budget's check (lunatik_work()).
 *  - setjmp/longjmp come from setjmp.S.
 */
#ifndef _LUNATIK_LUACONF_KERNEL_H
#define _LUNATIK_LUACONF_KERNEL_H

#include <linux/kernel.h>
#include <linux/percpu.h>
#include <linux/random.h>
#include <linux/sched.h>
#include <linux/sched/task_stack.h>
#include <asm/asm.h>

#ifdef LUNATIK_LUA_CORE
/*
 * Lua's own sources get every libc shim (so every kernel header) first,
 * so that the renames below never reach a kernel declaration; errno.h
 * last, as kernel headers name parameters errno.
 */
#include <assert.h>
#include <ctype.h>
#include <float.h>
#include <limits.h>
#include <locale.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <errno.h>

/* Lua's lexer has a field 'current'; lauxlib and global_State a 'panic'. */
#undef current
#define panic	lua_panic
#endif

#include "luaconf.h"

struct lua_State;

/* luaconf.h defines these only for LUA_CORE, which is not yet defined. */
#define l_likely(x)		luai_likely(x)
#define l_unlikely(x)		luai_unlikely(x)

/* Numbers: integers only. */
#undef LUA_NUMBER
#define LUA_NUMBER		long long
#undef LUAI_UACNUMBER
#define LUAI_UACNUMBER		long long
#undef LUA_NUMBER_FRMLEN
#define LUA_NUMBER_FRMLEN	"ll"
#undef LUA_NUMBER_FMT
#define LUA_NUMBER_FMT		"%lld"
#undef LUAI_MAXALIGN
#define LUAI_MAXALIGN		long long n; void *s; long l
#undef lua_getlocaledecpoint
#define lua_getlocaledecpoint()	'.'
#undef lua_numbertointeger
#define lua_numbertointeger(n, p)	((*(p) = (n)), 1)

/*
 * lobject.c appends ".0" to a float's text when it "looks like an int";
 * it tests for that by scanning the text up to its NUL. Here every float
 * is an integer and prints as one: the text ends in a non-digit byte
 * instead of a NUL (Lua uses only the returned length), so the test fails.
 */
static inline int lunatik_number2str(char *s, size_t size, long long n)
{
	int len = snprintf(s, size, "%lld", n);

	s[len] = ' ';
	return len;
}

#undef lua_number2str
#define lua_number2str(s, sz, n)	lunatik_number2str(s, sz, n)
#undef lua_number2strx
/* Only %q reaches this (string.format refuses %a): print the integer. */
#define lua_number2strx(L, b, sz, f, n)	lunatik_number2str(b, sz, n)

/*
 * Lua tries lua_str2number only on numerals that are not integers
 * (fractions, exponents, decimals out of range), which have no value here.
 */
#undef lua_str2number
#define lua_str2number(s, p)	(*(p) = (char *)(s), 0LL)
#undef lua_strx2number
#define lua_strx2number(s, p)	lua_str2number(s, p)

long long lunatik_numdiv(struct lua_State *L, long long a, long long b);
long long lunatik_nummod(struct lua_State *L, long long a, long long b);
long long lunatik_numpow(struct lua_State *L, long long a, long long b);

/* '/' floors like '//'; both raise an error when dividing by zero. */
#define luai_numdiv(L, a, b)	lunatik_numdiv(L, a, b)
#define luai_numidiv(L, a, b)	lunatik_numdiv(L, a, b)
#define luai_nummod(L, a, b, m)	((m) = lunatik_nummod(L, a, b))
#define luai_numpow(L, a, b)	lunatik_numpow(L, a, b)
/* Overflow wraps around, as for Lua's integers. */
#define lunatik_wrapop(a, op, b)	\
	((long long)((unsigned long long)(a) op (unsigned long long)(b)))
#define luai_numadd(L, a, b)	lunatik_wrapop(a, +, b)
#define luai_numsub(L, a, b)	lunatik_wrapop(a, -, b)
#define luai_nummul(L, a, b)	lunatik_wrapop(a, *, b)
#define luai_numunm(L, a)	lunatik_wrapop(0, -, a)
/* llimits.h defines these with numadd; as there, but for integers. */
#define luai_numeq(a, b)	((a) == (b))
#define luai_numlt(a, b)	((a) < (b))
#define luai_numle(a, b)	((a) <= (b))
#define luai_numgt(a, b)	((a) > (b))
#define luai_numge(a, b)	((a) >= (b))
#define luai_numisnan(a)	0

/* lua_sethook's flags need no atomicity against signals: no signals here. */
#define l_signalT		int

/* Hash seeds and table.sort's pivots come from the kernel's randomness. */
#define luai_makeseed(L)	get_random_u32()
#define l_randomizePivot()	get_random_u32()

/*
 * Lua's functions that raise errors are not declared noreturn, as Lua
 * allows for compilers without the attribute: objtool cannot know that
 * property of functions in other object files (see setjmp.h).
 */
#define l_noret			void

/*
 * The VM dispatches with a switch: computed gotos are indirect jumps,
 * which objtool rejects and retpolines make slow.
 */
#define LUA_USE_JUMPTABLE	0

/* Protected calls: setjmp.S. */
#define LUAI_THROW(L, c)	lunatik_longjmp((c)->b, 1)
#define LUAI_TRY(L, c, a)	if (lunatik_setjmp((c)->b) == 0) { a }
#define luai_jmpbuf		jmp_buf

/* The kernel log stands for stdout and stderr. */
#define lua_writestring(s, l)	pr_info("%.*s", (int)(l), (s))
#define lua_writeline()		pr_cont("\n")
#define lua_writestringerror(s, p)	pr_err(s, p)

/* luaL_Buffer keeps this many bytes inside its (kernel-stack) frame. */
#undef LUAL_BUFFERSIZE
#define LUAL_BUFFERSIZE		256

/*
 * The C stack. Below LUNATIK_CSTACK_SOFT bytes of stack left a Lua call
 * from C fails with "C stack overflow"; the error's message handler then
 * still runs. Below LUNATIK_CSTACK_HARD, any such call fails with
 * LUA_ERRERR without running anything. Numbers in docs/kernel-lua.md.
 */
#ifdef CONFIG_KASAN
/*
 * KASAN doubles the task's stack and grows every frame by its redzones
 * (a gsub callback's chain needs about 2 KiB there instead of 1.4 KiB):
 * the reserves grow with the stack.
 */
#define LUNATIK_CSTACK_SCALE	2
#else
#define LUNATIK_CSTACK_SCALE	1
#endif
#define LUNATIK_CSTACK_SOFT	(6 * 1024 * LUNATIK_CSTACK_SCALE)
#define LUNATIK_CSTACK_HARD	(3 * 1024 * LUNATIK_CSTACK_SCALE)
/*
 * Stack a callback off the task's stack may use: x86-64's IRQ stack is
 * 16 KiB (32 with KASAN), and softirq reaches a netfilter hook within a
 * few KiB of its top.
 */
#define LUNATIK_CALLBACK_STACK	(10 * 1024 * LUNATIK_CSTACK_SCALE)
/* Lua's own limit of nested C calls and syntax levels. */
#define LUNATIK_MAXCCALLS	200

/*
 * Where the stack ends for Lua: the task's own stack, or off it (a
 * callback in softirq on the IRQ stack, whose bounds no module can read)
 * LUNATIK_CALLBACK_STACK below where the callback began, which state.c
 * keeps in lunatik_stack_floor.
 */
DECLARE_PER_CPU(unsigned long, lunatik_stack_floor);
static inline unsigned long lunatik_stackleft(void)
{
	unsigned long sp = current_stack_pointer;
	unsigned long floor = (unsigned long)task_stack_page(get_current());

	if (unlikely(sp - floor >= THREAD_SIZE))
		floor = this_cpu_read(lunatik_stack_floor);
	return sp > floor ? sp - floor : 0;
}

/* Per-thread bookkeeping, in each lua_State's extra space. */
struct lunatik_thread {
	/* C calls this thread had when it last overflowed; 0: none. */
	unsigned int overflow;
	/* Work done in C loops since the last checkpoint (lunatik_work()). */
	unsigned int work;
};

#undef LUA_EXTRASPACE
#define LUA_EXTRASPACE		sizeof(struct lunatik_thread)
/* lua_getextraspace(L), which lua.h defines only after this file. */
#define lunatik_thread(L) \
	((struct lunatik_thread *)((char *)(L) - LUA_EXTRASPACE))
#define luai_userstateopen(L)	memset(lua_getextraspace(L), 0, LUA_EXTRASPACE)
#define luai_userstatethread(L, L1) \
	memset(lua_getextraspace(L1), 0, LUA_EXTRASPACE)

int lunatik_maxccalls(struct lua_State *L);
#define LUAI_MAXCCALLS		lunatik_maxccalls(L)

/*
 * While 'on', the collector runs no finalizer (lgc.patch): for Lua in
 * atomic context, where a finalizer could sleep.
 */
void lunatik_gcatomic(struct lua_State *L, int on);

/*
 * Pattern matching recursion (lstrlib's MAXCCALLS): as deep as the stack
 * left above the soft reserve allows, at most Lua's 200.
 */
#define LUNATIK_MATCH_FRAME	160
static inline int lunatik_matchdepth(void)
{
	long room = (long)lunatik_stackleft() - LUNATIK_CSTACK_SOFT;

	return room > 0 ? min_t(long, room / LUNATIK_MATCH_FRAME, 200) : 0;
}
#define MAXCCALLS		lunatik_matchdepth()

/*
 * The time budget (state.c): yields the CPU, and raises an error once the
 * running chunk is over its time or its caller got a fatal signal. Only
 * the running thread can take that error, so only two kinds of places
 * call it: the instruction-count hook, and C functions of the libraries,
 * on the L they were given, from loops whose work grows with their input
 * (the *.patch files of Lua's libraries, memory.c, state.c). Never the Lua
 * API itself: lua_lock does nothing, and API calls that Lua documents as
 * not raising never do.
 */
void lunatik_checkpoint(struct lua_State *L);

/*
 * A C loop counts its work: LUNATIK_STEP per iteration (about a Lua API
 * call) plus the bytes it reads or writes one by one. Every LUNATIK_WORK
 * units, a counter and a compare per iteration, it reaches the checkpoint:
 * about every 4096 iterations or 64 KiB.
 */
#define LUNATIK_WORK		(64 * 1024)
#define LUNATIK_STEP		16
static inline void lunatik_work(struct lua_State *L, size_t units)
{
	struct lunatik_thread *thread = lunatik_thread(L);

	if (unlikely(units >= LUNATIK_WORK - thread->work)) {
		thread->work = 0;
		lunatik_checkpoint(L);
	} else {
		thread->work += units;
	}
}

#define lua_lock(L)		((void)0)
#define lua_unlock(L)		((void)0)

#ifdef LUNATIK_LSTRLIB
/*
 * string.pack/unpack's 'f' and 'd' formats pack integers of the sizes of
 * float and double: the kernel has no floating point.
 */
#define float	int
#define double	long long
#endif

#endif /* _LUNATIK_LUACONF_KERNEL_H */
