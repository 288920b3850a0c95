// SPDX-License-Identifier: GPL-2.0-only
/*
 * gconv: jobs.  SUBMIT checks every field, validates the chain with the
 * shared validator, and queues a drm_sched job; one scheduler per hardware
 * queue runs it (credit limit 1, so a queue's completion record always
 * belongs to its one job on the hardware); the threaded interrupt handler
 * reads completion records and signals the hardware fences.
 *
 * Recovery: a job whose queue makes no progress for gconv_timeout_ms is
 * hung.  gconv_reset_locked() then stops every scheduler, lets a job the
 * engine is running finish, resets the device, ends the hung job with
 * TIMEOUT and puts the jobs that were waiting in the other queues back on
 * the hardware.  A file whose jobs hang or fault gconv_ban_after times is
 * banned: its queued jobs end BANNED and SUBMIT fails with -ECANCELED.
 *
 * Locking: gdev->reset_lock (a mutex) serialises resets and hang checks;
 * under it, gconv_queue.lock (a spinlock) protects a queue's ring tail and
 * active job, and is also taken in run_job and in the interrupt thread.
 * gdev->ctx_lock nests inside reset_lock, never inside a queue lock.
 */
#include <drm/drm_drv.h>
#include <drm/drm_file.h>
#include <drm/drm_gem.h>
#include <drm/drm_print.h>
#include <drm/drm_syncobj.h>
#include <drm/drm_utils.h>
#include <linux/dma-resv.h>
#include <linux/iopoll.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/string.h>
#include <linux/vmalloc.h>

#include "gconv_drv.h"
#include "gconv_accel.h"
#include <gconv/validate.h>

/* a WAIT can name any of the last GCONV_JOB_RECORDS jobs of a file */
#define GCONV_JOB_RECORDS	4096
#define GCONV_MAX_SUBMIT_BOS	4096
/* a job making progress may run this many timeout periods, no longer */
#define GCONV_MAX_JOB_PERIODS	60
/* how long a reset waits for the job the engine is running to finish */
#define GCONV_QUIESCE_US	(2 * USEC_PER_SEC)

static struct gconv_job *to_gconv_job(struct drm_sched_job *job)
{
	return container_of(job, struct gconv_job, base);
}

static struct gconv_queue *to_queue(struct drm_gpu_scheduler *sched)
{
	return container_of(sched, struct gconv_queue, sched);
}

/* ---- hardware fences ------------------------------------------------------- */

static const char *gconv_fence_driver(struct dma_fence *f)
{
	return DRIVER_NAME;
}

static const char *gconv_fence_timeline(struct dma_fence *f)
{
	return "gconv-queue";
}

static const struct dma_fence_ops gconv_fence_ops = {
	.get_driver_name = gconv_fence_driver,
	.get_timeline_name = gconv_fence_timeline,
};

/* ---- records --------------------------------------------------------------------- */

static void stats_release(struct kref *ref)
{
	kfree(container_of(ref, struct gconv_stats, ref));
}

void gconv_stats_put(struct gconv_stats *stats)
{
	kref_put(&stats->ref, stats_release);
}

static void record_release(struct kref *ref)
{
	struct gconv_job_record *rec = container_of(ref, typeof(*rec), ref);

	dma_fence_put(rec->done);
	if (rec->stats)
		gconv_stats_put(rec->stats);
	kfree(rec);
}

void gconv_record_put(struct gconv_job_record *rec)
{
	kref_put(&rec->ref, record_release);
}

/* dropping a reference that cannot be the last one */
static void record_noop_release(struct kref *ref)
{
	WARN_ON(1);
}

/* Count a hang or fault against @vm's file; ban it at gconv_ban_after. */
static void charge_fault(struct gconv_device *gdev, struct gconv_vm *vm)
{
	if (atomic_inc_return(&vm->faults) != gconv_ban_after)
		return;
	WRITE_ONCE(vm->banned, true);
	atomic64_inc(&gdev->cnt[GCONV_CNT_BANS]);
	drm_info(&gdev->drm,
		 "client %llu (pid %d, %s) banned after %u hung or faulting jobs\n",
		 vm->client_id, vm->pid, vm->comm, gconv_ban_after);
	gconv_nl_ban_event(gdev, vm);
}

/* Count, report and charge a job's outcome. */
static void account_end(struct gconv_device *gdev, struct gconv_job *job,
			u32 status, u32 info, u64 fault_addr, bool write)
{
	int type = -1;
	bool charge = false;

	switch (status) {
	case DRM_GCONV_JOB_OK:
	case DRM_GCONV_JOB_ABORTED:
	case DRM_GCONV_JOB_BANNED:
		break;
	case DRM_GCONV_JOB_MMU_FAULT:
		atomic64_inc(&gdev->cnt[GCONV_CNT_MMU_FAULTS]);
		type = GCONV_EVENT_TYPE_MMU_FAULT;
		charge = true;
		break;
	case DRM_GCONV_JOB_TIMEOUT:
		atomic64_inc(&gdev->cnt[GCONV_CNT_HANGS]);
		type = GCONV_EVENT_TYPE_HANG;
		charge = true;
		break;
	case DRM_GCONV_JOB_INVALID:
		charge = true;
		fallthrough;
	default:
		atomic64_inc(&gdev->cnt[GCONV_CNT_JOB_FAULTS]);
		type = GCONV_EVENT_TYPE_JOB_FAULT;
		break;
	}
	atomic64_inc(&gdev->cnt[status == DRM_GCONV_JOB_OK ?
				GCONV_CNT_COMPLETED : GCONV_CNT_FAILED]);
	if (status == DRM_GCONV_JOB_MMU_FAULT ||
	    status == DRM_GCONV_JOB_DMA_ERROR)
		dev_info_ratelimited(gdev->drm.dev,
				     "job %llu of pid %d (%s), context %d: %s at 0x%llx (%s), descriptor %u\n",
				     job->seqno, job->pid, job->comm,
				     job->vm->ctx,
				     status == DRM_GCONV_JOB_MMU_FAULT ?
				     "MMU fault" : "DMA error", fault_addr,
				     write ? "write" : "read", info);
	if (type >= 0)
		gconv_nl_job_event(gdev, job, type, status, info, fault_addr,
				   write);
	if (charge)
		charge_fault(gdev, job->vm);
}

/* End @job's time on the hardware with @status; q->lock held. */
void gconv_job_end_locked(struct gconv_queue *q, struct gconv_job *job,
			  u32 status, u32 info, u64 fault_addr, bool write)
{
	struct gconv_device *gdev = q->gdev;
	struct gconv_recent_job *r;

	lockdep_assert_held(&q->lock);
	spin_lock(&gdev->recent_lock);
	r = &gdev->recent[gdev->recent_next++ % ARRAY_SIZE(gdev->recent)];
	r->seqno = job->seqno;
	r->fault_addr = fault_addr;
	r->queue = q->idx;
	r->context = job->vm->ctx;
	r->status = status;
	r->info = info;
	r->pid = job->pid;
	spin_unlock(&gdev->recent_lock);
	job->rec->status = status;
	job->rec->info = info;
	job->rec->fault_addr = fault_addr;
	if (status == DRM_GCONV_JOB_OK) {
		atomic64_inc(&job->rec->stats->completed);
	} else {
		atomic64_inc(&job->rec->stats->failed);
		dma_fence_set_error(job->hw_fence, -EIO);
	}
	account_end(gdev, job, status, info, fault_addr, write);
	q->active = NULL;
	atomic_dec(&job->vm->hw_jobs);
	dma_fence_signal(job->hw_fence);
}

/* @job never reaches the hardware: record why (before its fence signals). */
static struct dma_fence *job_not_run(struct gconv_job *job, u32 status,
				     int err)
{
	job->rec->status = status;
	atomic64_inc(&job->rec->stats->failed);
	atomic64_inc(&job->gdev->cnt[GCONV_CNT_FAILED]);
	return ERR_PTR(err);
}

/* Write @job's ring entry and ring the doorbell; q->lock held. */
static void ring_job(struct gconv_queue *q, struct gconv_job *job)
{
	struct gconv_device *gdev = q->gdev;
	struct gconv_hw_job *e = &q->ring[q->tail];

	lockdep_assert_held(&q->lock);
	memset(e, 0, sizeof(*e));
	e->opcode = GCONV_OP_RUN_CHAIN;
	e->flags = GCONV_JOB_F_IRQ;
	e->context = job->vm->ctx;
	e->chain_addr = job->chain_addr;
	e->chain_size = job->chain_size;
	e->seqno = job->seqno;
	q->tail = (q->tail + 1) % (PAGE_SIZE / sizeof(*e));
	job->start = jiffies;
	job->hc_time = job->start;
	job->hc_progress = gconv_read(gdev, GCONV_REG_QUEUE(q->idx) +
					    GCONV_Q_PROGRESS);
	/* the entry is in memory before the device sees the new tail */
	wmb();
	gconv_write(gdev, GCONV_REG_QUEUE(q->idx) + GCONV_Q_TAIL, q->tail);
	gconv_write(gdev, GCONV_REG_QUEUE(q->idx) + GCONV_Q_DOORBELL, 1);
}

/* ---- scheduler backend ---------------------------------------------------------- */

static struct dma_fence *gconv_run_job(struct drm_sched_job *sched_job)
{
	struct gconv_job *job = to_gconv_job(sched_job);
	struct gconv_queue *q = to_queue(sched_job->sched);
	struct gconv_device *gdev = q->gdev;
	struct dma_fence *fence;
	int ret, idx;

	/* a dependency failed, or the file was closed or banned meanwhile */
	if (unlikely(sched_job->s_fence->finished.error))
		return job_not_run(job, DRM_GCONV_JOB_ABORTED,
				   sched_job->s_fence->finished.error);
	if (READ_ONCE(job->vm->banned))
		return job_not_run(job, DRM_GCONV_JOB_BANNED, -ECANCELED);
	/* the device may be gone (hot removal): no register access then */
	if (!drm_dev_enter(&gdev->drm, &idx))
		return job_not_run(job, DRM_GCONV_JOB_ABORTED, -ENODEV);

	fence = kzalloc(sizeof(*fence), GFP_KERNEL);
	if (!fence) {
		fence = job_not_run(job, DRM_GCONV_JOB_ERROR, -ENOMEM);
		goto out;
	}
	ret = gconv_vm_bind_ctx(job->vm);	/* counts a hardware job */
	if (ret) {
		kfree(fence);
		fence = job_not_run(job, DRM_GCONV_JOB_ERROR, ret);
		goto out;
	}

	spin_lock(&q->lock);
	dma_fence_init(fence, &gconv_fence_ops, &gdev->fence_lock,
		       q->fence_context, ++q->seqno);
	job->hw_fence = dma_fence_get(fence);
	job->seqno = q->seqno;
	job->queue = q;
	q->active = job;
	ring_job(q, job);
	spin_unlock(&q->lock);
out:
	drm_dev_exit(idx);
	return fence;
}

/*
 * Reset the device and recover; gdev->reset_lock held, the device present
 * (drm_dev_enter).  @guilty, if any, is a hung job: it ends TIMEOUT.  The
 * device runs one job at a time, so before the reset every queue stops
 * fetching and a job the engine is running gets GCONV_QUIESCE_US to
 * finish.  Then a job the device had taken but not finished ends ABORTED
 * (it may have written part of its output), and a job still waiting in
 * its ring goes back on the hardware after the reset.
 */
static int gconv_reset_locked(struct gconv_device *gdev,
			      struct gconv_job *guilty, u32 reason)
{
	struct gconv_job *rerun[GCONV_HW_NUM_QUEUES] = { };
	bool taken[GCONV_HW_NUM_QUEUES];
	u32 aborted = 0, requeued = 0, st;
	unsigned int i, k;
	int ret;

	lockdep_assert_held(&gdev->reset_lock);
	for (i = 0; i < gdev->num_queues; i++) {
		struct gconv_queue *q = &gdev->queue[i];

		drm_sched_stop(&q->sched, guilty && guilty->queue == q ?
			       &guilty->base : NULL);
	}

	gconv_write(gdev, GCONV_REG_CONTROL, 0);
	if (read_poll_timeout(gconv_read, st, !(st & GCONV_STATUS_BUSY),
			      1000, GCONV_QUIESCE_US, false, gdev,
			      GCONV_REG_STATUS))
		drm_warn(&gdev->drm, "the running job did not finish in time\n");
	for (i = 0; i < gdev->num_queues; i++) {
		struct gconv_queue *q = &gdev->queue[i];

		gconv_queue_complete(q);
		spin_lock(&q->lock);
		taken[i] = gconv_read(gdev, GCONV_REG_QUEUE(i) + GCONV_Q_HEAD) ==
			   q->tail;
		spin_unlock(&q->lock);
	}
	/* the device's counters restart at zero */
	for (k = 0; k < GCONV_NUM_COUNTERS; k++)
		gdev->hw_cnt_base[k] +=
			gconv_read64(gdev, GCONV_REG_JOBS_COMPLETED + 8 * k);
	gconv_write(gdev, GCONV_REG_CONTROL, GCONV_CONTROL_RESET);

	for (i = 0; i < gdev->num_queues; i++) {
		struct gconv_queue *q = &gdev->queue[i];
		struct gconv_job *job;

		spin_lock(&q->lock);
		job = q->active;
		if (job && job == guilty) {
			gconv_job_end_locked(q, job, DRM_GCONV_JOB_TIMEOUT, 0,
					     0, false);
		} else if (job && taken[i]) {
			gconv_job_end_locked(q, job, DRM_GCONV_JOB_ABORTED, 0,
					     0, false);
			aborted++;
		} else if (job) {
			rerun[i] = job;
		}
		spin_unlock(&q->lock);
	}
	/* the reset invalidated every context slot */
	gconv_vm_unbind_all(gdev);
	ret = gconv_hw_init(gdev);
	if (ret)
		drm_err(&gdev->drm, "the device did not come back from reset\n");
	for (i = 0; i < gdev->num_queues; i++) {
		struct gconv_queue *q = &gdev->queue[i];
		struct gconv_job *job = rerun[i];
		int err = ret;

		if (!job)
			continue;
		if (!err)
			err = gconv_vm_rebind_ctx(job->vm);
		spin_lock(&q->lock);
		if (q->active == job) {
			if (err) {
				gconv_job_end_locked(q, job,
						     DRM_GCONV_JOB_ABORTED, 0, 0,
						     false);
				aborted++;
			} else {
				/*
				 * drm_sched_stop() dropped the scheduler's
				 * hold on the hardware fence; without it
				 * drm_sched_start() would end the job
				 * (-ECANCELED) and free it while the device
				 * still runs it.
				 */
				ring_job(q, job);
				job->base.s_fence->parent =
					dma_fence_get(job->hw_fence);
				requeued++;
			}
		}
		spin_unlock(&q->lock);
	}
	atomic64_inc(&gdev->cnt[GCONV_CNT_RESETS]);
	drm_info(&gdev->drm, "device reset: %u jobs aborted, %u put back\n",
		 aborted, requeued);
	gconv_nl_reset_event(gdev, reason, aborted, requeued);
	for (i = 0; i < gdev->num_queues; i++)
		drm_sched_start(&gdev->queue[i].sched);
	return ret;
}

/* A reset asked for by an administrator (netlink, debugfs). */
int gconv_reset(struct gconv_device *gdev, struct gconv_job *guilty,
		u32 reason)
{
	int ret, idx;

	if (!drm_dev_enter(&gdev->drm, &idx))
		return -ENODEV;
	ret = mutex_lock_interruptible(&gdev->reset_lock);
	if (!ret) {
		ret = gconv_reset_locked(gdev, guilty, reason);
		mutex_unlock(&gdev->reset_lock);
	}
	drm_dev_exit(idx);
	return ret;
}

/*
 * Is @job hung?  gdev->reset_lock held.  Not while it waits in its ring
 * behind other queues' jobs (the device runs one job at a time), nor while
 * its queue's progress counter moves, unless it has run for
 * GCONV_MAX_JOB_PERIODS timeout periods.
 */
static bool job_is_hung(struct gconv_queue *q, struct gconv_job *job)
{
	struct gconv_device *gdev = q->gdev;
	unsigned long period = msecs_to_jiffies(gconv_timeout_ms);
	u32 progress = gconv_read(gdev, GCONV_REG_QUEUE(q->idx) +
					GCONV_Q_PROGRESS);
	bool moved = progress != job->hc_progress, taken;

	spin_lock(&q->lock);
	taken = gconv_read(gdev, GCONV_REG_QUEUE(q->idx) + GCONV_Q_HEAD) ==
		q->tail;
	spin_unlock(&q->lock);
	/* put back on the hardware by a reset a moment ago */
	if (time_before(jiffies, job->hc_time + period / 2))
		return false;
	job->hc_time = jiffies;
	job->hc_progress = progress;
	if (time_after(jiffies, job->start + GCONV_MAX_JOB_PERIODS * period))
		return true;
	return taken && !moved;
}

static enum drm_gpu_sched_stat gconv_timedout_job(struct drm_sched_job *sj)
{
	struct gconv_job *job = to_gconv_job(sj);
	struct gconv_queue *q = to_queue(sj->sched);
	struct gconv_device *gdev = q->gdev;
	enum drm_gpu_sched_stat stat = DRM_GPU_SCHED_STAT_NOMINAL;
	int idx;

	mutex_lock(&gdev->reset_lock);
	if (!drm_dev_enter(&gdev->drm, &idx)) {
		stat = DRM_GPU_SCHED_STAT_ENODEV;
		goto keep;
	}
	if (!job->hw_fence || dma_fence_is_signaled(job->hw_fence) ||
	    !job_is_hung(q, job))
		goto keep_exit;
	drm_warn(&gdev->drm,
		 "queue %u: job %llu of pid %d (%s) made no progress in %u ms, resetting the device\n",
		 q->idx, job->seqno, job->pid, job->comm, gconv_timeout_ms);
	/* drm_sched_stop() puts the job back on the pending list */
	gconv_reset_locked(gdev, job, GCONV_RESET_REASON_HANG);
	drm_dev_exit(idx);
	mutex_unlock(&gdev->reset_lock);
	return stat;

keep_exit:
	drm_dev_exit(idx);
keep:
	/* not hung (or already done): the scheduler keeps tracking it */
	spin_lock(&sj->sched->job_list_lock);
	list_add(&sj->list, &sj->sched->pending_list);
	spin_unlock(&sj->sched->job_list_lock);
	mutex_unlock(&gdev->reset_lock);
	return stat;
}

static void gconv_free_job(struct drm_sched_job *sched_job)
{
	struct gconv_job *job = to_gconv_job(sched_job);
	u32 i;

	drm_sched_job_cleanup(sched_job);
	for (i = 0; i < job->bo_count; i++)
		drm_gem_object_put(job->bos[i]);
	kvfree(job->bos);
	drm_gem_object_put(job->chain_bo);
	dma_fence_put(job->hw_fence);
	gconv_vm_put(job->vm);
	gconv_record_put(job->rec);
	kfree(job);
}

static const struct drm_sched_backend_ops gconv_sched_ops = {
	.run_job = gconv_run_job,
	.timedout_job = gconv_timedout_job,
	.free_job = gconv_free_job,
};

int gconv_sched_init(struct gconv_device *gdev)
{
	unsigned int i;
	int ret;

	for (i = 0; i < gdev->num_queues; i++) {
		struct gconv_queue *q = &gdev->queue[i];
		const struct drm_sched_init_args args = {
			.ops = &gconv_sched_ops,
			.num_rqs = DRM_SCHED_PRIORITY_COUNT,
			.credit_limit = 1,
			.timeout = msecs_to_jiffies(gconv_timeout_ms),
			.name = q->name,
			.dev = gdev->drm.dev,
		};

		snprintf(q->name, sizeof(q->name), "gconv-q%u", i);
		q->fence_context = dma_fence_context_alloc(1);
		gdev->scheds[i] = &q->sched;
		ret = drm_sched_init(&q->sched, &args);
		if (ret) {
			while (i--)
				drm_sched_fini(&gdev->queue[i].sched);
			return ret;
		}
	}
	return 0;
}

void gconv_sched_fini(struct gconv_device *gdev)
{
	unsigned int i;

	for (i = 0; i < gdev->num_queues; i++)
		drm_sched_fini(&gdev->queue[i].sched);
}

static const enum drm_sched_priority prio_map[] = {
	[DRM_GCONV_PRIORITY_LOW] = DRM_SCHED_PRIORITY_LOW,
	[DRM_GCONV_PRIORITY_NORMAL] = DRM_SCHED_PRIORITY_NORMAL,
	[DRM_GCONV_PRIORITY_HIGH] = DRM_SCHED_PRIORITY_HIGH,
};

int gconv_file_sched_init(struct gconv_device *gdev, struct gconv_file *gf)
{
	unsigned int i;
	int ret;

	for (i = 0; i < ARRAY_SIZE(gf->entity); i++) {
		ret = drm_sched_entity_init(&gf->entity[i], prio_map[i],
					    gdev->scheds, gdev->num_queues,
					    NULL);
		if (ret) {
			while (i--)
				drm_sched_entity_destroy(&gf->entity[i]);
			return ret;
		}
	}
	return 0;
}

void gconv_file_sched_fini(struct gconv_file *gf)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(gf->entity); i++)
		drm_sched_entity_destroy(&gf->entity[i]);
}

/* ---- SUBMIT -------------------------------------------------------------------- */

/*
 * Copy the chain out of its BO and validate the copy (the BO may change
 * under us; the device validates again what it reads).
 */
static int cmp_obj(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t)*(struct drm_gem_object * const *)a;
	uintptr_t y = (uintptr_t)*(struct drm_gem_object * const *)b;

	return x < y ? -1 : x > y;
}

/*
 * Is a BO listed twice (drm_gem_lock_reservations() would fail with
 * -EALREADY)?  0, -EINVAL or -ENOMEM.
 */
static int check_unique(struct drm_device *drm, struct drm_gem_object **bos,
			u32 count)
{
	struct drm_gem_object **s;
	int ret = 0;
	u32 i;

	s = kvmemdup(bos, array_size(count, sizeof(*bos)), GFP_KERNEL);
	if (!s)
		return -ENOMEM;
	sort(s, count, sizeof(*s), cmp_obj, NULL);
	for (i = 1; i < count; i++) {
		if (s[i] == s[i - 1]) {
			drm_dbg(drm, "submit: a BO is listed twice in bo_handles\n");
			ret = -EINVAL;
			break;
		}
	}
	kvfree(s);
	return ret;
}

static int check_chain(struct gconv_device *gdev, struct drm_gem_object *obj,
		       u64 offset, u64 size)
{
	const struct gconv_limits lim = {
		.max_count = gdev->max_chain_len,
		.max_dim = gdev->max_dim,
		.max_step = gdev->max_dim,
		.dtypes = gdev->dtypes,
		.max_work = 1ull << 44,
	};
	struct gconv_verror verr;
	struct iosys_map map;
	void *copy;
	int ret;

	copy = kvmalloc(size, GFP_KERNEL);
	if (!copy)
		return -ENOMEM;
	/*
	 * With the reservation lock: drm_gem_shmem_vmap() needs it, and
	 * without it a second SUBMIT of the same chain BO could see the
	 * mapping counted but not yet made (a NULL address).
	 */
	ret = drm_gem_vmap_unlocked(obj, &map);
	if (ret)
		goto out;
	memcpy(copy, (u8 *)map.vaddr + offset, size);
	drm_gem_vunmap_unlocked(obj, &map);
	if (gconv_validate_chain(copy, size, &lim, &verr)) {
		drm_dbg(&gdev->drm,
			"submit: chain rejected: descriptor %d, operand %c, field %s: %s\n",
			verr.desc == GCONV_VERR_NO_DESC ? -1 : (int)verr.desc,
			verr.operand ? verr.operand : '-', verr.field,
			gconv_verr_str(verr.code));
		ret = -EINVAL;
	}
out:
	kvfree(copy);
	return ret;
}

int gconv_ioctl_submit(struct drm_device *drm, void *data,
		       struct drm_file *file)
{
	struct gconv_device *gdev = to_gconv_dev(drm);
	struct gconv_file *gf = file->driver_priv;
	struct drm_gconv_submit *args = data;
	struct drm_syncobj *out_sync = NULL;
	struct drm_gem_object **bos = NULL;
	struct drm_gem_object *chain_obj;
	struct gconv_job_record *rec;
	struct ww_acquire_ctx ctx;
	struct gconv_job *job;
	u64 chain_va, id;
	u32 i;
	int ret;

	/* ---- check every field before allocating anything ---- */
	if (args->flags) {
		drm_dbg(drm, "submit: unknown flags 0x%x\n", args->flags);
		return -EINVAL;
	}
	if (args->reserved[0] || args->reserved[1]) {
		drm_dbg(drm, "submit: reserved fields are not zero\n");
		return -EINVAL;
	}
	if (args->priority > DRM_GCONV_PRIORITY_HIGH) {
		drm_dbg(drm, "submit: bad priority %u\n", args->priority);
		return -EINVAL;
	}
	if (args->chain_offset % 8) {
		drm_dbg(drm, "submit: chain_offset not 8-byte aligned\n");
		return -EINVAL;
	}
	if (args->chain_size < sizeof(struct gconv_chain_header) ||
	    args->chain_size > gdev->max_chain_bytes) {
		drm_dbg(drm, "submit: chain_size %llu out of range\n",
			args->chain_size);
		return -EINVAL;
	}
	if (args->bo_count > GCONV_MAX_SUBMIT_BOS) {
		drm_dbg(drm, "submit: %u BOs, at most %u\n", args->bo_count,
			GCONV_MAX_SUBMIT_BOS);
		return -EINVAL;
	}
	if (READ_ONCE(gf->vm->banned)) {
		drm_dbg(drm, "submit: this file is banned (%d hung or faulting jobs)\n",
			atomic_read(&gf->vm->faults));
		return -ECANCELED;
	}
	if (args->in_syncobj) {
		struct drm_syncobj *s = drm_syncobj_find(file, args->in_syncobj);

		if (!s) {
			drm_dbg(drm, "submit: no in_syncobj %u\n",
				args->in_syncobj);
			return -ENOENT;
		}
		drm_syncobj_put(s);
	}
	if (args->out_syncobj) {
		out_sync = drm_syncobj_find(file, args->out_syncobj);
		if (!out_sync) {
			drm_dbg(drm, "submit: no out_syncobj %u\n",
				args->out_syncobj);
			return -ENOENT;
		}
	}
	chain_obj = drm_gem_object_lookup(file, args->chain_handle);
	if (!chain_obj) {
		drm_dbg(drm, "submit: no chain BO %u\n", args->chain_handle);
		ret = -ENOENT;
		goto err_sync;
	}
	if (args->chain_offset > chain_obj->size ||
	    args->chain_size > chain_obj->size - args->chain_offset) {
		drm_dbg(drm, "submit: chain beyond its BO\n");
		ret = -EINVAL;
		goto err_chain;
	}
	if (args->bo_count) {
		/* on failure @bos still holds what was found: err_bos puts it */
		ret = drm_gem_objects_lookup(file, u64_to_user_ptr(args->bo_handles),
					     args->bo_count, &bos);
		if (ret) {
			drm_dbg(drm, "submit: bad bo_handles (%d)\n", ret);
			goto err_bos;
		}
		ret = check_unique(drm, bos, args->bo_count);
		if (ret)
			goto err_bos;
	}
	ret = check_chain(gdev, chain_obj, args->chain_offset,
			  args->chain_size);
	if (ret)
		goto err_bos;

	/* ---- allocate and act ---- */
	ret = gconv_bo_map(to_gconv_bo(chain_obj), gf->vm, &chain_va);
	for (i = 0; !ret && i < args->bo_count; i++) {
		u64 unused;

		ret = gconv_bo_map(to_gconv_bo(bos[i]), gf->vm, &unused);
	}
	if (ret)
		goto err_bos;

	rec = kzalloc(sizeof(*rec), GFP_KERNEL);
	job = kzalloc(sizeof(*job), GFP_KERNEL);
	if (!rec || !job) {
		ret = -ENOMEM;
		goto err_alloc;
	}
	kref_init(&rec->ref);
	kref_get(&gf->stats->ref);
	rec->stats = gf->stats;
	id = atomic64_inc_return(&gf->next_id);
	ret = xa_err(xa_store(&gf->jobs, id, NULL, GFP_KERNEL));
	if (ret)
		goto err_alloc;

	ret = drm_sched_job_init(&job->base, &gf->entity[args->priority], 1,
				 gf, file->client_id);
	if (ret)
		goto err_xa;
	job->gdev = gdev;
	job->pid = task_tgid_nr(current);
	get_task_comm(job->comm, current);
	job->vm = gf->vm;
	kref_get(&gf->vm->ref);
	job->rec = rec;
	kref_get(&rec->ref);
	job->chain_bo = chain_obj;
	job->chain_addr = chain_va + args->chain_offset;
	job->chain_size = args->chain_size;
	job->bos = bos;
	job->bo_count = args->bo_count;

	if (args->in_syncobj) {
		ret = drm_sched_job_add_syncobj_dependency(&job->base, file,
							   args->in_syncobj, 0);
		if (ret)
			goto err_job;
	}
	ret = drm_gem_lock_reservations(bos, args->bo_count, &ctx);
	if (ret)
		goto err_job;
	for (i = 0; i < args->bo_count; i++) {
		ret = dma_resv_reserve_fences(bos[i]->resv, 1);
		if (!ret)
			ret = drm_sched_job_add_implicit_dependencies(&job->base,
								      bos[i],
								      true);
		if (ret) {
			drm_gem_unlock_reservations(bos, args->bo_count, &ctx);
			goto err_job;
		}
	}

	drm_sched_job_arm(&job->base);
	rec->done = dma_fence_get(&job->base.s_fence->finished);
	for (i = 0; i < args->bo_count; i++)
		dma_resv_add_fence(bos[i]->resv, rec->done,
				   DMA_RESV_USAGE_WRITE);
	drm_gem_unlock_reservations(bos, args->bo_count, &ctx);
	if (out_sync) {
		drm_syncobj_replace_fence(out_sync, rec->done);
		drm_syncobj_put(out_sync);
	}
	xa_store(&gf->jobs, id, rec, GFP_KERNEL);	/* slot reserved above */
	if (id > GCONV_JOB_RECORDS) {
		struct gconv_job_record *old;

		old = xa_erase(&gf->jobs, id - GCONV_JOB_RECORDS);
		if (old)
			gconv_record_put(old);
	}
	atomic64_inc(&gf->submitted);
	atomic64_inc(&gdev->cnt[GCONV_CNT_SUBMITTED]);
	drm_sched_entity_push_job(&job->base);
	args->job_id = id;
	return 0;

err_job:
	drm_sched_job_cleanup(&job->base);
	gconv_vm_put(job->vm);
	kref_put(&rec->ref, record_noop_release);	/* the job's reference */
err_xa:
	xa_erase(&gf->jobs, id);
err_alloc:
	kfree(job);
	if (rec && rec->stats)
		gconv_stats_put(rec->stats);
	kfree(rec);
err_bos:
	for (i = 0; bos && i < args->bo_count; i++)
		drm_gem_object_put(bos[i]);
	kvfree(bos);
err_chain:
	drm_gem_object_put(chain_obj);
err_sync:
	if (out_sync)
		drm_syncobj_put(out_sync);
	return ret;
}

/* ---- WAIT ----------------------------------------------------------------------- */

int gconv_ioctl_wait(struct drm_device *drm, void *data,
		     struct drm_file *file)
{
	struct gconv_file *gf = file->driver_priv;
	struct drm_gconv_wait *args = data;
	struct gconv_job_record *rec;
	long ret;

	if (args->reserved) {
		drm_dbg(drm, "wait: reserved field is not zero\n");
		return -EINVAL;
	}
	xa_lock(&gf->jobs);
	rec = xa_load(&gf->jobs, args->job_id);
	if (rec)
		kref_get(&rec->ref);
	xa_unlock(&gf->jobs);
	if (!rec) {
		drm_dbg(drm, "wait: no job %llu\n", args->job_id);
		return -ENOENT;
	}
	/*
	 * The wait counts whole jiffies and can end up to a jiffy before the
	 * absolute deadline: wait again until the clock has passed it, so that
	 * -ETIME never comes early.  Each round is bounded by the deadline.
	 */
	for (;;) {
		ret = dma_fence_wait_timeout(rec->done, true,
					     drm_timeout_abs_to_jiffies(args->timeout_ns));
		if (ret != 0 || dma_fence_is_signaled(rec->done) ||
		    !args->timeout_ns ||
		    ktime_after(ktime_get(), ns_to_ktime(args->timeout_ns)))
			break;
	}
	if (ret > 0 || (ret == 0 && dma_fence_is_signaled(rec->done))) {
		args->status = rec->status;
		args->info = rec->info;
		args->fault_addr = rec->fault_addr;
		ret = 0;
	} else if (ret == 0) {
		ret = -ETIME;
	}
	gconv_record_put(rec);
	return ret;
}
