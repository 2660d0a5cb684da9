/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Uploads: a chunk larger than one message, reassembled from its fragments
 * (LUNATIK_ATTR_CODE_TOTAL and LUNATIK_ATTR_CODE_OFFSET), one per state.
 */
#ifndef _LUNATIK_UPLOAD_H
#define _LUNATIK_UPLOAD_H

#include <linux/mutex.h>
#include <linux/types.h>
#include <uapi/linux/lunatik.h>

struct genl_info;

/* A reassembly buffer for a chunk sent in fragments. */
struct lunatik_upload {
	struct mutex lock;
	bool dead;		/* retired: takes no new upload */
	u32 portid;		/* socket sending it; 0 when none */
	u32 total;
	u32 received;
	char *code;		/* kvmalloc'd, @total bytes */
	char codename[LUNATIK_SCRIPTNAME_MAXSIZE + 1];
};

void lunatik_upload_init(struct lunatik_upload *up);

/*
 * Takes one fragment of a chunk. Returns 1 with the whole chunk in @code
 * and @codelen (the caller frees it) once the last fragment arrived, 0
 * when more are expected, or -errno.
 */
int lunatik_upload_take(struct lunatik_upload *up, struct genl_info *info,
		       char **code, size_t *codelen, char *codename);

/*
 * Frees the upload when @portid (0: any socket) is sending it; @retire:
 * for good, so that none starts again.
 */
void lunatik_upload_drop(struct lunatik_upload *up, u32 portid, bool retire);

#endif /* _LUNATIK_UPLOAD_H */
