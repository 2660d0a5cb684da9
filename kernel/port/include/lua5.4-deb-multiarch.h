/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Debian's luaconf.h includes this generated header for its module paths.
 * Kernel states load no modules from files; the value is never used.
 */
#ifndef _LUNATIK_DEB_MULTIARCH_H
#define _LUNATIK_DEB_MULTIARCH_H

#define DEB_HOST_MULTIARCH	"kernel"

#endif /* _LUNATIK_DEB_MULTIARCH_H */
