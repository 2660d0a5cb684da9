/* SPDX-License-Identifier: GPL-2.0 */
/*
 * <stdio.h> for Lua in the kernel: snprintf from the kernel, and a FILE
 * that cannot be opened. lauxlib's luaL_loadfilex is the only user of
 * files; kernel states do not expose it (no dofile, no loadfile), and if
 * it were called it would fail like a missing file.
 */
#ifndef _LUNATIK_STDIO_H
#define _LUNATIK_STDIO_H

#include <linux/kernel.h>
#include <linux/printk.h>

typedef struct lunatik_file FILE;

#define EOF	(-1)
/* luaL_loadfilex keeps a BUFSIZ buffer on the (small) kernel stack. */
#define BUFSIZ	64
#define stdin	((FILE *)NULL)

static inline FILE *fopen(const char *path, const char *mode)
{
	return NULL;
}

static inline FILE *freopen(const char *path, const char *mode, FILE *f)
{
	return NULL;
}

static inline int fclose(FILE *f)
{
	return EOF;
}

static inline int getc(FILE *f)
{
	return EOF;
}

static inline int feof(FILE *f)
{
	return 1;
}

static inline int ferror(FILE *f)
{
	return 1;
}

static inline size_t fread(void *p, size_t size, size_t n, FILE *f)
{
	return 0;
}

#endif /* _LUNATIK_STDIO_H */
