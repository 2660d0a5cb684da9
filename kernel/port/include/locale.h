/* SPDX-License-Identifier: GPL-2.0 */
/*
 * <locale.h> for Lua in the kernel: there is only the "C" locale, whose
 * decimal point luaconf-kernel.h fixes as '.'.
 */
#ifndef _LUNATIK_LOCALE_H
#define _LUNATIK_LOCALE_H
#endif /* _LUNATIK_LOCALE_H */
