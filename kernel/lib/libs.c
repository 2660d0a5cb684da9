// SPDX-License-Identifier: GPL-2.0
/* The table of kernel/lib/'s bindings (libs.h). */
#include "libs.h"

const luaL_Reg lunatik_libs[] = {
	{ "netfilter", luaopen_netfilter },
	{ NULL, NULL }
};
