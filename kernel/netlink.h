/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _LUNATIK_NETLINK_H
#define _LUNATIK_NETLINK_H

int lunatik_netlink_init(void);
void lunatik_netlink_exit(void);

#endif /* _LUNATIK_NETLINK_H */
