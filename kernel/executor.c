// SPDX-License-Identifier: GPL-2.0
/*
 * The executor of a state: runs its jobs one at a time, in order, on the
 * module's workqueue, under the memory cgroup of the state's creator.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/memcontrol.h>
#include <linux/sched/mm.h>

#include "executor.h"

static struct workqueue_struct *lunatik_wq;

/* Aborts and frees every job of @jobs (taken off their executor). */
static void abort_jobs(struct list_head *jobs, int err, const char *msg)
{
	struct lunatik_job *job, *next;

	list_for_each_entry_safe(job, next, jobs, node) {
		list_del(&job->node);
		job->abort(job, err, msg);
		job->free(job);
	}
}

static void executor_work(struct work_struct *work)
{
	struct lunatik_executor *ex = container_of(work,
						   struct lunatik_executor,
						   work);
	struct mem_cgroup *old;
	struct lunatik_job *job;

	for (;;) {
		spin_lock(&ex->lock);
		job = list_first_entry_or_null(&ex->jobs, struct lunatik_job,
					       node);
		if (!job) {
			spin_unlock(&ex->lock);
			return;
		}
		list_del(&job->node);
		ex->njobs--;
		ex->running = job;
		/* A cancel aimed at the job before this one is over. */
		WRITE_ONCE(*ex->interrupt, false);
		spin_unlock(&ex->lock);

		old = set_active_memcg(ex->memcg);
		job->run(job);
		set_active_memcg(old);

		spin_lock(&ex->lock);
		ex->running = NULL;
		spin_unlock(&ex->lock);
		job->free(job);
	}
}

static void executor_close(struct work_struct *work)
{
	struct lunatik_executor *ex = container_of(work,
						   struct lunatik_executor,
						   close_work);
	struct mem_cgroup *memcg = ex->memcg, *old;

	/* closing refuses new jobs: once this returns, none runs again. */
	flush_work(&ex->work);
	old = set_active_memcg(memcg);
	ex->release(ex);
	set_active_memcg(old);
	mem_cgroup_put(memcg);
}

void lunatik_executor_init(struct lunatik_executor *ex, bool *interrupt)
{
	spin_lock_init(&ex->lock);
	INIT_LIST_HEAD(&ex->jobs);
	ex->njobs = 0;
	ex->running = NULL;
	ex->closing = false;
	INIT_WORK(&ex->work, executor_work);
	INIT_WORK(&ex->close_work, executor_close);
	ex->interrupt = interrupt;
	ex->memcg = current->mm ? get_mem_cgroup_from_mm(current->mm) : NULL;
	ex->release = NULL;
}

int lunatik_executor_queue(struct lunatik_executor *ex,
			   struct lunatik_job *job)
{
	int err = 0;

	spin_lock(&ex->lock);
	if (ex->closing) {
		err = -ENOENT;
	} else if (ex->njobs >= LUNATIK_MAX_JOBS) {
		err = -EBUSY;
	} else {
		job->orphan = false;
		list_add_tail(&job->node, &ex->jobs);
		ex->njobs++;
		queue_work(lunatik_wq, &ex->work);
	}
	spin_unlock(&ex->lock);
	return err;
}

/* Stops the running job if @portid (0: any) asked for it. */
static void interrupt_running(struct lunatik_executor *ex, u32 portid)
{
	lockdep_assert_held(&ex->lock);
	if (ex->running && (!portid || ex->running->portid == portid))
		WRITE_ONCE(*ex->interrupt, true);
}

void lunatik_executor_cancel(struct lunatik_executor *ex)
{
	LIST_HEAD(cancelled);

	spin_lock(&ex->lock);
	list_splice_init(&ex->jobs, &cancelled);
	ex->njobs = 0;
	interrupt_running(ex, 0);
	spin_unlock(&ex->lock);
	abort_jobs(&cancelled, -ECANCELED, "cancelled before it ran");
}

void lunatik_executor_forget(struct lunatik_executor *ex, u32 portid)
{
	struct lunatik_job *job, *next;
	LIST_HEAD(orphans);

	spin_lock(&ex->lock);
	list_for_each_entry_safe(job, next, &ex->jobs, node) {
		if (job->portid == portid) {
			job->orphan = true;
			list_move_tail(&job->node, &orphans);
			ex->njobs--;
		}
	}
	if (ex->running && ex->running->portid == portid)
		WRITE_ONCE(ex->running->orphan, true);
	interrupt_running(ex, portid);
	spin_unlock(&ex->lock);
	abort_jobs(&orphans, -ECONNRESET, NULL);
}

void lunatik_executor_shutdown(struct lunatik_executor *ex,
			       void (*release)(struct lunatik_executor *ex))
{
	LIST_HEAD(doomed);

	spin_lock(&ex->lock);
	ex->closing = true;
	ex->release = release;
	list_splice_init(&ex->jobs, &doomed);
	ex->njobs = 0;
	interrupt_running(ex, 0);
	spin_unlock(&ex->lock);
	abort_jobs(&doomed, -ENOENT, "state closed before the request ran");
	queue_work(lunatik_wq, &ex->close_work);
}

void lunatik_executor_flush(struct lunatik_executor *ex)
{
	flush_work(&ex->close_work);
}

int __init lunatik_executor_module_init(void)
{
	/*
	 * Per-CPU: the job runs on the requester's CPU, which is cheaper to
	 * wake than an unbound worker (about 10x on the round trip under
	 * TCG). CPU_INTENSIVE: a long chunk does not hold back the other
	 * states' jobs queued on that CPU. Not HIGHPRI: a chunk must not run
	 * above the processes it shares the CPU with.
	 */
	lunatik_wq = alloc_workqueue("lunatik", WQ_CPU_INTENSIVE, 0);
	return lunatik_wq ? 0 : -ENOMEM;
}

void lunatik_executor_module_exit(void)
{
	destroy_workqueue(lunatik_wq);
}
