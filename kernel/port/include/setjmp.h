/* SPDX-License-Identifier: GPL-2.0 */
/* <setjmp.h> for Lua in the kernel: see ../setjmp.S. */
#ifndef _LUNATIK_SETJMP_H
#define _LUNATIK_SETJMP_H

/* rbx, rbp, r12-r15, the caller's rsp and the return address. */
typedef unsigned long jmp_buf[8];

int lunatik_setjmp(jmp_buf env) __attribute__((returns_twice));
/*
 * Never returns, but is not declared noreturn: objtool, which checks every
 * function's control flow, cannot know that about a function in another
 * object file and would report the caller falling through.
 */
void lunatik_longjmp(jmp_buf env, int val);

#define setjmp(env)		lunatik_setjmp(env)
#define longjmp(env, val)	lunatik_longjmp(env, val)

#endif /* _LUNATIK_SETJMP_H */
