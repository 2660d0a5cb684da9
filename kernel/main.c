// SPDX-License-Identifier: GPL-2.0
/*
 * Lunatik: named Lua states inside the kernel, driven over generic netlink.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <net/genetlink.h>
#include <uapi/linux/lunatik.h>
#include <lunatik/version.h>

#include "executor.h"
#include "netlink.h"
#include "registry.h"
#include "state.h"
#include "lib/init.h"

unsigned int lunatik_maxstates = LUNATIK_DEFAULT_MAXSTATES;
module_param_named(maxstates, lunatik_maxstates, uint, 0644);
MODULE_PARM_DESC(maxstates, "most states per network namespace");

unsigned int lunatik_timeout_ms = 5000;
module_param_named(timeout_ms, lunatik_timeout_ms, uint, 0644);
MODULE_PARM_DESC(timeout_ms,
		 "time budget of one chunk or process-context callback, in ms");

unsigned int lunatik_callback_us = 1000;
module_param_named(callback_us, lunatik_callback_us, uint, 0644);
MODULE_PARM_DESC(callback_us,
		 "time budget of one callback in atomic context, in us");

static int __init lunatik_init(void)
{
	int err;

	err = lunatik_executor_module_init();
	if (err)
		goto err_executor;
	err = lunatik_libs_init();
	if (err)
		goto err_libs;
	err = lunatik_registry_init();
	if (err)
		goto err_registry;
	err = lunatik_netlink_init();
	if (err)
		goto err_netlink;
	pr_info("loaded: genl family " LUNATIK_GENL_NAME "\n");
	return 0;

err_netlink:
	lunatik_registry_exit();
err_registry:
	lunatik_libs_exit();
err_libs:
	lunatik_executor_module_exit();
err_executor:
	return err;
}

static void __exit lunatik_exit(void)
{
	lunatik_netlink_exit();
	lunatik_registry_exit();
	lunatik_libs_exit();
	lunatik_executor_module_exit();
}

module_init(lunatik_init);
module_exit(lunatik_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Lua states in the kernel, driven from user space");
MODULE_ALIAS_GENL_FAMILY(LUNATIK_GENL_NAME);
MODULE_VERSION(LUNATIK_VERSION);
