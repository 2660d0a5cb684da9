/* SPDX-License-Identifier: GPL-2.0 */
/*
 * setjmp/longjmp for Lua's protected calls (the kernel has none).
 * jmp_buf: rbx, rbp, r12, r13, r14, r15, rsp after the return, return
 * address. Only callee-saved registers need saving: setjmp is a call.
 */
#include <linux/linkage.h>
#include <asm/unwind_hints.h>

/* int lunatik_setjmp(jmp_buf env) */
SYM_FUNC_START(lunatik_setjmp)
	movq	%rbx, 0(%rdi)
	movq	%rbp, 8(%rdi)
	movq	%r12, 16(%rdi)
	movq	%r13, 24(%rdi)
	movq	%r14, 32(%rdi)
	movq	%r15, 40(%rdi)
	leaq	8(%rsp), %rdx
	movq	%rdx, 48(%rdi)
	movq	(%rsp), %rdx
	movq	%rdx, 56(%rdi)
	xorl	%eax, %eax
	RET
SYM_FUNC_END(lunatik_setjmp)

/*
 * void lunatik_longjmp(jmp_buf env, int val): setjmp returns val again.
 * It restores setjmp's caller's stack with setjmp's return address on top,
 * as setjmp's own RET saw it, and returns from there.
 */
SYM_FUNC_START(lunatik_longjmp)
#ifdef CONFIG_KASAN_STACK
	/*
	 * The frames between here and setjmp's caller never return, so they
	 * keep the poison KASAN put around their locals, and later frames
	 * reusing that stack would be reported. Clear it, as the kernel's
	 * own unwinders do (kasan_unpoison_task_stack_below, not exported):
	 * __asan_allocas_unpoison(from, to) unpoisons [from, to). The pushes
	 * keep env and val (the third aligns the stack for the call).
	 */
	pushq	%rdi
	pushq	%rsi
	pushq	%rdi
	movq	48(%rdi), %rsi
	movq	%rsp, %rdi
	call	__asan_allocas_unpoison
	popq	%rdi
	popq	%rsi
	popq	%rdi
#endif
	movl	%esi, %eax
	movq	0(%rdi), %rbx
	movq	8(%rdi), %rbp
	movq	16(%rdi), %r12
	movq	24(%rdi), %r13
	movq	32(%rdi), %r14
	movq	40(%rdi), %r15
	movq	48(%rdi), %rsp
	pushq	56(%rdi)
	UNWIND_HINT_FUNC
	RET
SYM_FUNC_END(lunatik_longjmp)
