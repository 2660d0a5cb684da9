/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Where a state's Lua code runs: a work item of its own on the module's
 * per-CPU, CPU-intensive workqueue, fed by a FIFO of jobs. One job runs at a time per
 * state; different states run in parallel. The generic netlink handlers
 * only queue jobs, so no Lua runs under genetlink's locks.
 */
#ifndef _LUNATIK_EXECUTOR_H
#define _LUNATIK_EXECUTOR_H

#include <linux/list.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/workqueue.h>

struct mem_cgroup;

/* Most jobs waiting for one state; more are refused with -EBUSY. */
#define LUNATIK_MAX_JOBS	256

struct lunatik_job {
	struct list_head node;
	u32 portid;		/* socket that asked for it */
	/* The socket closed: run() and abort() must not answer it. */
	bool orphan;
	/* Runs the job and answers its socket unless orphaned. */
	void (*run)(struct lunatik_job *job);
	/* Answers @err (unless orphaned) for a job that will never run. */
	void (*abort)(struct lunatik_job *job, int err, const char *msg);
	void (*free)(struct lunatik_job *job);
};

struct lunatik_executor {
	spinlock_t lock;	/* guards every field below */
	struct list_head jobs;
	unsigned int njobs;
	struct lunatik_job *running;
	bool closing;
	struct work_struct work;	/* runs the jobs */
	struct work_struct close_work;	/* calls @release */
	bool *interrupt;	/* the state's flag that stops running code */
	struct mem_cgroup *memcg; /* charged for the code's allocations */
	/* Called once closing and idle, by a worker; may free @ex. */
	void (*release)(struct lunatik_executor *ex);
};

/* Charges the current task's memory cgroup for the state's code. */
void lunatik_executor_init(struct lunatik_executor *ex, bool *interrupt);

/*
 * Queues @job. Returns -EBUSY when LUNATIK_MAX_JOBS wait, -ENOENT when the
 * executor is closing; then @job is the caller's again.
 */
int lunatik_executor_queue(struct lunatik_executor *ex,
			   struct lunatik_job *job);

/*
 * Stops the running job at its next checkpoint and aborts the queued ones
 * with -ECANCELED.
 */
void lunatik_executor_cancel(struct lunatik_executor *ex);

/* Drops the jobs of a closed socket and stops its running one. */
void lunatik_executor_forget(struct lunatik_executor *ex, u32 portid);

/*
 * Refuses new jobs, aborts the queued ones with -ENOENT, stops the running
 * one, then has the worker call @release. Nothing of @ex may be touched by
 * the caller afterwards unless it holds its own reference to the owner.
 */
void lunatik_executor_shutdown(struct lunatik_executor *ex,
			       void (*release)(struct lunatik_executor *ex));

/* Waits for @release after shutdown; the caller holds the owner. */
void lunatik_executor_flush(struct lunatik_executor *ex);

int lunatik_executor_module_init(void);
void lunatik_executor_module_exit(void);

#endif /* _LUNATIK_EXECUTOR_H */
