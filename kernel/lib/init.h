/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What kernel/lib/'s bindings need of the module (a workqueue, say), apart
 * from libs.h so that the module's init needs no Lua header.
 */
#ifndef _LUNATIK_LIB_INIT_H
#define _LUNATIK_LIB_INIT_H

/* Before any state exists. */
int lunatik_libs_init(void);
/* After every state closed. */
void lunatik_libs_exit(void);

#endif /* _LUNATIK_LIB_INIT_H */
