/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * gconv accelerator: the device, independent of QEMU.
 *
 * The register file, the queues, the MMU walk, faults, reset, fault
 * injection and the execution of chains on the golden engine live here, in
 * plain C, so that host unit tests can drive the device with a fake guest
 * memory (tests/unit/test_device.c) and the QEMU file (gconv-pci.c) stays
 * glue.  docs/hw-spec.md is the behaviour this implements.
 *
 * Threading: the core takes no locks.  Its owner serialises every call
 * with one lock, except gconv_core_run_job(), which is called WITHOUT the
 * lock (it executes a chain, which can take long) and touches only the job
 * it is given, the ops callbacks and the atomically read abort flag.  The
 * executor loop is:
 *
 *	lock; while (gconv_core_take_job(c, &job)) {
 *		unlock; gconv_core_run_job(c, &job); [wait modeled time];
 *		lock; gconv_core_finish_job(c, &job);
 *	} unlock;
 *
 * A reset (register write or gconv_core_reset()) that finds a job running
 * sets the abort flag and returns GCONV_CORE_RESET_WAIT: the owner then
 * waits, still holding off the guest, until gconv_core_finish_job() of that
 * job has been called, and the reset completes there.
 */
#ifndef GCONV_CORE_H
#define GCONV_CORE_H

#include <stdint.h>

#include "gconv/hw.h"
#include "gconv/isa.h"

struct gconv_core_ops {
	/* guest physical memory; 0 on success, -1 on any failure */
	int (*dma_read)(void *opaque, uint64_t pa, void *buf, uint64_t len);
	int (*dma_write)(void *opaque, uint64_t pa, const void *buf,
			 uint64_t len);
	/* raise an MSI-X vector */
	void (*notify)(void *opaque, unsigned int vector);
	/* there may be work for the executor */
	void (*kick)(void *opaque);
	/* a guest programming error (QEMU: LOG_GUEST_ERROR) */
	void (*guest_error)(void *opaque, const char *msg);
	/* job events for tracing: phase 0 start, 1 done */
	void (*job_event)(void *opaque, unsigned int queue, uint64_t seqno,
			  unsigned int phase, unsigned int status);
	/* monotonic nanoseconds */
	uint64_t (*now_ns)(void *opaque);
};

struct gconv_core_queue {
	uint64_t ring_base;
	uint64_t cpl_addr;
	uint64_t completed_seqno;
	uint32_t size;
	uint32_t head;
	uint32_t tail;
	uint32_t control;
	uint32_t status;
	uint32_t jobs;
	uint32_t progress;	/* updated atomically by run_job */
	int busy;		/* a job of this queue is taken or hung */
};

struct gconv_core {
	const struct gconv_core_ops *ops;
	void *opaque;

	uint32_t control;
	uint32_t scratch;
	uint32_t irq_status;
	uint32_t irq_mask;
	uint32_t fault_status;
	uint32_t fault_queue;
	uint32_t fault_context;
	uint32_t fault_flags;
	uint32_t fault_info;
	uint64_t fault_addr;
	uint64_t fault_seqno;
	uint32_t latched_hi;		/* _HI half of the last _LO read */
	uint64_t counters[GCONV_NUM_COUNTERS];

	struct {
		uint64_t root;
		uint32_t control;
	} ctx[GCONV_HW_NUM_CONTEXTS];
	struct gconv_core_queue q[GCONV_HW_NUM_QUEUES];
	unsigned int rr;		/* next queue to serve */

	int running;			/* a job is inside run_job */
	int abort;			/* read atomically by run_job */
	int reset_pending;		/* reset waits for the running job */

	/* properties: fault injection and timing (docs/hw-spec.md) */
	uint32_t inject_hang;
	uint32_t inject_mmu_fault;
	uint32_t inject_dma_error;
	uint32_t inject_bad_completion;
	uint32_t inject_context;	/* only jobs of this context; ~0: any */
	uint32_t clock_khz;
	uint32_t golden_engine;		/* 1: the golden engine, not the fast */
};

/* What one job did; filled by take/run, consumed by finish. */
struct gconv_core_job {
	unsigned int queue;
	struct gconv_hw_job entry;
	uint64_t root;			/* context's page table at take time */
	int hang;
	int bad_completion;
	int inject_mmu_fault;
	int inject_dma_error;
	int golden;			/* golden_engine when taken */
	uint32_t status;		/* enum gconv_hw_status */
	uint32_t info;
	int fault_write;
	uint64_t fault_addr;
	uint64_t gconvs, macs, bytes_read, bytes_written, modeled_cycles;
	uint64_t busy_ns;
};

#define GCONV_CORE_ANY_CONTEXT	0xffffffffu	/* inject_context: any */
#define GCONV_CORE_RESET_DONE	0
#define GCONV_CORE_RESET_WAIT	1

void gconv_core_init(struct gconv_core *c, const struct gconv_core_ops *ops,
		     void *opaque);

/* 32-bit register access at BAR0 offset @off (aligned 32-bit only; the
 * caller rejects other sizes).  A write may start a reset: the return
 * value is then GCONV_CORE_RESET_WAIT if a job is running. */
uint32_t gconv_core_read(struct gconv_core *c, uint32_t off);
int gconv_core_write(struct gconv_core *c, uint32_t off, uint32_t val);

/* Power-on reset (PCI reset); same return values as a RESET write. */
int gconv_core_reset(struct gconv_core *c);

/* Executor side, see the comment at the top. */
int gconv_core_take_job(struct gconv_core *c, struct gconv_core_job *job);
void gconv_core_run_job(struct gconv_core *c, struct gconv_core_job *job);
void gconv_core_finish_job(struct gconv_core *c, struct gconv_core_job *job);

/* The cost model's parameters the timing model uses (docs/cost-model.md):
 * its defaults, with fp32 words. */
struct gconv_cost_params;
void gconv_core_cost_params(struct gconv_cost_params *p);

/* Modeled nanoseconds a finished run_job's cycles take at clock_khz. */
uint64_t gconv_core_modeled_ns(const struct gconv_core *c,
			       const struct gconv_core_job *job);

#endif /* GCONV_CORE_H */
