// SPDX-License-Identifier: GPL-2.0
/*
 * Uploads: reassembling a chunk sent in fragments (upload.h).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/mm.h>
#include <linux/string.h>
#include <net/genetlink.h>

#include "upload.h"

void lunatik_upload_init(struct lunatik_upload *up)
{
	mutex_init(&up->lock);
}

int lunatik_upload_take(struct lunatik_upload *up, struct genl_info *info,
		       char **code, size_t *codelen, char *codename)
{
	struct nlattr *codeattr = info->attrs[LUNATIK_ATTR_CODE];
	struct nlattr *totalattr = info->attrs[LUNATIK_ATTR_CODE_TOTAL];
	struct nlattr *offattr = info->attrs[LUNATIK_ATTR_CODE_OFFSET];
	u32 portid = info->snd_portid;
	u32 total, offset, len;
	char *stale = NULL;
	int ret = 0;

	if (!totalattr || !offattr) {
		GENL_SET_ERR_MSG(info, "fragment needs both total and offset");
		return -EINVAL;
	}
	total = nla_get_u32(totalattr);
	offset = nla_get_u32(offattr);
	len = nla_len(codeattr);

	mutex_lock(&up->lock);
	if (up->dead) {
		GENL_SET_ERR_MSG(info, "state not found");
		ret = -ENOENT;
		goto out;
	}
	if (offset == 0) {
		if (up->portid && up->portid != portid) {
			GENL_SET_ERR_MSG(info, "another socket is uploading a chunk to this state");
			ret = -EBUSY;
			goto out;
		}
		stale = up->code;
		up->code = kvmalloc(total, GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
		if (!up->code) {
			up->portid = 0;
			GENL_SET_ERR_MSG(info, "not enough memory for the chunk");
			ret = -ENOMEM;
			goto out;
		}
		up->portid = portid;
		up->total = total;
		up->received = 0;
		strscpy(up->codename, codename, sizeof(up->codename));
	} else if (up->portid != portid || up->total != total ||
		   up->received != offset) {
		if (up->portid == portid) {
			stale = up->code;
			up->code = NULL;
			up->portid = 0;
		}
		NL_SET_ERR_MSG_ATTR(info->extack, offattr,
				    "chunk fragment out of order");
		ret = -EINVAL;
		goto out;
	}
	if (len > total - offset) {
		/* A new first fragment replaced an upload: drop both. */
		kvfree(stale);
		stale = up->code;
		up->code = NULL;
		up->portid = 0;
		NL_SET_ERR_MSG_ATTR(info->extack, codeattr,
				    "fragment runs past the chunk's total length");
		ret = -EINVAL;
		goto out;
	}
	memcpy(up->code + offset, nla_data(codeattr), len);
	up->received += len;
	if (up->received == total) {
		*code = up->code;
		*codelen = total;
		strscpy(codename, up->codename, LUNATIK_SCRIPTNAME_MAXSIZE + 1);
		up->code = NULL;
		up->portid = 0;
		ret = 1;
	}
out:
	mutex_unlock(&up->lock);
	kvfree(stale);
	return ret;
}

void lunatik_upload_drop(struct lunatik_upload *up, u32 portid, bool retire)
{
	char *code = NULL;

	mutex_lock(&up->lock);
	if (retire)
		up->dead = true;
	if (up->portid && (!portid || up->portid == portid)) {
		code = up->code;
		up->code = NULL;
		up->portid = 0;
	}
	mutex_unlock(&up->lock);
	kvfree(code);
}
