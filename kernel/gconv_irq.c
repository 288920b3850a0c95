// SPDX-License-Identifier: GPL-2.0-only
/*
 * gconv: interrupts.  One MSI-X vector per queue and one for errors.  The
 * hard handler acknowledges IRQ_STATUS; the threaded handler reads each
 * queue's completion record and ends the queue's job on the hardware.
 */
#include <drm/drm_print.h>
#include <linux/interrupt.h>

#include "gconv_drv.h"
#include "gconv_accel.h"

irqreturn_t gconv_irq(int irq, void *arg)
{
	struct gconv_device *gdev = arg;
	u32 status = gconv_read(gdev, GCONV_REG_IRQ_STATUS);

	if (!status)
		return IRQ_NONE;
	gconv_write(gdev, GCONV_REG_IRQ_STATUS, status);
	return IRQ_WAKE_THREAD;
}

static u32 status_from_hw(u32 hw)
{
	switch (hw) {
	case GCONV_HW_OK:
		return DRM_GCONV_JOB_OK;
	case GCONV_HW_INVALID_JOB:
	case GCONV_HW_INVALID_CHAIN:
		return DRM_GCONV_JOB_INVALID;
	case GCONV_HW_MMU_FAULT:
		return DRM_GCONV_JOB_MMU_FAULT;
	case GCONV_HW_DMA_ERROR:
		return DRM_GCONV_JOB_DMA_ERROR;
	default:
		return DRM_GCONV_JOB_ERROR;
	}
}

/*
 * The device says it completed @job (COMPLETED_SEQNO), yet the completion
 * record names another job: the record is corrupt.  q->lock held.
 */
static bool completion_corrupt(struct gconv_queue *q, struct gconv_job *job)
{
	struct gconv_device *gdev = q->gdev;

	if (gconv_read(gdev, GCONV_REG_QUEUE(q->idx) +
			     GCONV_Q_COMPLETED_SEQNO_LO) !=
	    lower_32_bits(job->seqno))
		return false;
	/* the device writes the record before the register: look again */
	rmb();
	return READ_ONCE(q->cpl->seqno) != job->seqno;
}

/* Consume @q's completion record if it belongs to its active job. */
void gconv_queue_complete(struct gconv_queue *q)
{
	struct gconv_device *gdev = q->gdev;
	struct gconv_job *job;
	u64 fault_addr = 0;
	bool write = false;
	u32 hw, info;

	spin_lock(&q->lock);
	job = q->active;
	if (!job) {
		spin_unlock(&q->lock);
		return;
	}
	if (READ_ONCE(q->cpl->seqno) != job->seqno) {
		if (completion_corrupt(q, job)) {
			dev_warn_ratelimited(gdev->drm.dev,
					     "queue %u: job %llu has a corrupt completion record (seqno 0x%llx)\n",
					     q->idx, job->seqno,
					     READ_ONCE(q->cpl->seqno));
			gconv_job_end_locked(q, job,
					     DRM_GCONV_JOB_BAD_COMPLETION, 0, 0,
					     false);
		}
		spin_unlock(&q->lock);
		return;
	}
	/* the record's status was written with its seqno */
	dma_rmb();
	hw = READ_ONCE(q->cpl->status);
	info = READ_ONCE(q->cpl->info);
	if (hw != GCONV_HW_OK &&
	    gconv_read(gdev, GCONV_REG_FAULT_QUEUE) == q->idx &&
	    gconv_read(gdev, GCONV_REG_FAULT_SEQNO_LO) ==
		    lower_32_bits(job->seqno)) {
		fault_addr = gconv_read(gdev, GCONV_REG_FAULT_ADDR_LO);
		fault_addr |= (u64)gconv_read(gdev, GCONV_REG_FAULT_ADDR_HI)
			      << 32;
		write = gconv_read(gdev, GCONV_REG_FAULT_FLAGS) &
			GCONV_FAULT_FLAG_WRITE;
		gconv_write(gdev, GCONV_REG_FAULT_ACK, 1);
	}
	gconv_job_end_locked(q, job, status_from_hw(hw), info, fault_addr,
			     write);
	spin_unlock(&q->lock);
}

irqreturn_t gconv_irq_thread(int irq, void *arg)
{
	struct gconv_device *gdev = arg;
	unsigned int i;

	for (i = 0; i < gdev->num_queues; i++)
		gconv_queue_complete(&gdev->queue[i]);
	return IRQ_HANDLED;
}

