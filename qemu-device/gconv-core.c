// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * gconv accelerator: the device, independent of QEMU (see gconv-core.h and
 * docs/hw-spec.md).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gconv-core.h"
#include "gconv/cost.h"
#include "gconv/engine.h"
#include "gconv/validate.h"

/* counters[] index of a counter register */
#define CTR(reg) (((reg) - GCONV_REG_JOBS_COMPLETED) / 8)

static const struct gconv_limits device_limits = {
	.max_count = GCONV_HW_MAX_CHAIN_LEN,
	.max_dim = GCONV_HW_MAX_DIM,
	.max_step = GCONV_HW_MAX_DIM,
	.dtypes = 1u << GCONV_DTYPE_F32,
	.max_work = 1ull << 44,
};

static void guest_error(struct gconv_core *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void guest_error(struct gconv_core *c, const char *fmt, ...)
{
	char msg[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	c->ops->guest_error(c->opaque, msg);
}

/* ---- interrupts and faults ------------------------------------------------ */

static void raise_irq(struct gconv_core *c, uint32_t bits)
{
	uint32_t fresh = bits & ~c->irq_status;
	unsigned int i;

	c->irq_status |= bits;
	fresh &= c->irq_mask;
	for (i = 0; i < GCONV_HW_NUM_QUEUES; i++)
		if (fresh & GCONV_IRQ_QUEUE(i))
			c->ops->notify(c->opaque, i);
	if (fresh & GCONV_IRQ_ERROR)
		c->ops->notify(c->opaque, GCONV_HW_ERROR_VECTOR);
}

static void latch_fault(struct gconv_core *c, uint32_t status, uint32_t queue,
			uint32_t context, uint64_t addr, uint64_t seqno,
			uint32_t info, int write)
{
	c->counters[CTR(GCONV_REG_FAULTS)]++;
	if (c->fault_status) {
		c->fault_flags |= GCONV_FAULT_FLAG_OVERFLOW;
	} else {
		c->fault_status = status;
		c->fault_queue = queue;
		c->fault_context = context;
		c->fault_addr = addr;
		c->fault_seqno = seqno;
		c->fault_info = info;
		c->fault_flags = write ? GCONV_FAULT_FLAG_WRITE : 0;
	}
	raise_irq(c, GCONV_IRQ_ERROR);
}

/* ---- reset ----------------------------------------------------------------- */

static void do_reset(struct gconv_core *c)
{
	uint64_t resets = c->counters[CTR(GCONV_REG_RESETS)];
	const struct gconv_core_ops *ops = c->ops;
	void *opaque = c->opaque;
	uint32_t props[7] = { c->inject_hang, c->inject_mmu_fault,
			      c->inject_dma_error, c->inject_bad_completion,
			      c->clock_khz, c->inject_context,
			      c->golden_engine };

	memset(c, 0, sizeof(*c));
	c->ops = ops;
	c->opaque = opaque;
	c->inject_hang = props[0];
	c->inject_mmu_fault = props[1];
	c->inject_dma_error = props[2];
	c->inject_bad_completion = props[3];
	c->clock_khz = props[4];
	c->inject_context = props[5];
	c->golden_engine = props[6];
	c->counters[CTR(GCONV_REG_RESETS)] = resets + 1;
}

void gconv_core_init(struct gconv_core *c, const struct gconv_core_ops *ops,
		     void *opaque)
{
	memset(c, 0, sizeof(*c));
	c->ops = ops;
	c->opaque = opaque;
	c->inject_context = GCONV_CORE_ANY_CONTEXT;
}

int gconv_core_reset(struct gconv_core *c)
{
	if (c->running) {
		/* the running job notices at its next boundary; the reset
		 * completes in gconv_core_finish_job() */
		__atomic_store_n(&c->abort, 1, __ATOMIC_RELAXED);
		c->reset_pending = 1;
		return GCONV_CORE_RESET_WAIT;
	}
	do_reset(c);
	return GCONV_CORE_RESET_DONE;
}

/* ---- registers ------------------------------------------------------------- */

static uint32_t lo_latch(struct gconv_core *c, uint64_t v)
{
	c->latched_hi = (uint32_t)(v >> 32);
	return (uint32_t)v;
}

static uint32_t read_queue(struct gconv_core *c, unsigned int n, uint32_t r)
{
	struct gconv_core_queue *q = &c->q[n];

	switch (r) {
	case GCONV_Q_RING_BASE_LO:
		return (uint32_t)q->ring_base;
	case GCONV_Q_RING_BASE_HI:
		return (uint32_t)(q->ring_base >> 32);
	case GCONV_Q_RING_SIZE:
		return q->size;
	case GCONV_Q_HEAD:
		return q->head;
	case GCONV_Q_TAIL:
		return q->tail;
	case GCONV_Q_CPL_ADDR_LO:
		return (uint32_t)q->cpl_addr;
	case GCONV_Q_CPL_ADDR_HI:
		return (uint32_t)(q->cpl_addr >> 32);
	case GCONV_Q_CONTROL:
		return q->control;
	case GCONV_Q_STATUS:
		return q->status |
		       ((q->busy || q->head != q->tail) &&
				(q->control & GCONV_Q_ENABLE) ?
			GCONV_Q_ACTIVE : 0);
	case GCONV_Q_COMPLETED_SEQNO_LO:
		return lo_latch(c, q->completed_seqno);
	case GCONV_Q_COMPLETED_SEQNO_HI:
		return c->latched_hi;
	case GCONV_Q_JOBS:
		return q->jobs;
	case GCONV_Q_PROGRESS:
		return __atomic_load_n(&q->progress, __ATOMIC_RELAXED);
	case GCONV_Q_DOORBELL:
		return 0;
	}
	guest_error(c, "read of unknown queue %u register 0x%x", n, r);
	return 0;
}

uint32_t gconv_core_read(struct gconv_core *c, uint32_t off)
{
	if (off >= GCONV_REG_QUEUE_BASE &&
	    off < GCONV_REG_QUEUE(GCONV_HW_NUM_QUEUES))
		return read_queue(c, (off - GCONV_REG_QUEUE_BASE) /
					     GCONV_REG_QUEUE_STRIDE,
				  (off - GCONV_REG_QUEUE_BASE) %
					  GCONV_REG_QUEUE_STRIDE);
	if (off >= GCONV_REG_CTX_BASE &&
	    off < GCONV_REG_CTX(GCONV_HW_NUM_CONTEXTS)) {
		unsigned int n = (off - GCONV_REG_CTX_BASE) /
				 GCONV_REG_CTX_STRIDE;

		switch ((off - GCONV_REG_CTX_BASE) % GCONV_REG_CTX_STRIDE) {
		case GCONV_CTX_PT_ROOT_LO:
			return (uint32_t)c->ctx[n].root;
		case GCONV_CTX_PT_ROOT_HI:
			return (uint32_t)(c->ctx[n].root >> 32);
		case GCONV_CTX_CONTROL:
			return c->ctx[n].control;
		default:
			return 0;
		}
	}
	if (off >= GCONV_REG_JOBS_COMPLETED &&
	    off < GCONV_REG_JOBS_COMPLETED + 8 * GCONV_NUM_COUNTERS)
		return off % 8 ? c->latched_hi :
				 lo_latch(c, c->counters[CTR(off)]);

	switch (off) {
	case GCONV_REG_ID:
		return GCONV_HW_ID_VALUE;
	case GCONV_REG_HW_VERSION:
		return GCONV_HW_VERSION_VALUE;
	case GCONV_REG_ISA_VERSION:
		return GCONV_ISA_VERSION_MAJOR << 16 | GCONV_ISA_VERSION_MINOR;
	case GCONV_REG_CAPS:
		return GCONV_CAPS_FP32 | GCONV_CAPS_FAULT_INJECTION |
		       (c->clock_khz ? GCONV_CAPS_TIMING : 0);
	case GCONV_REG_NUM_QUEUES:
		return GCONV_HW_NUM_QUEUES;
	case GCONV_REG_NUM_CONTEXTS:
		return GCONV_HW_NUM_CONTEXTS;
	case GCONV_REG_MAX_CHAIN_LEN:
		return GCONV_HW_MAX_CHAIN_LEN;
	case GCONV_REG_DTYPES:
		return 1u << GCONV_DTYPE_F32;
	case GCONV_REG_MAX_DIM:
		return GCONV_HW_MAX_DIM;
	case GCONV_REG_VA_BITS:
		return GCONV_HW_VA_BITS;
	case GCONV_REG_PAGE_SHIFT:
		return GCONV_HW_PAGE_SHIFT;
	case GCONV_REG_MAX_RING_ENTRIES:
		return GCONV_HW_MAX_RING_ENTRIES;
	case GCONV_REG_CLOCK_KHZ:
		return c->clock_khz;
	case GCONV_REG_NUM_VECTORS:
		return GCONV_HW_NUM_VECTORS;
	case GCONV_REG_MAX_CHAIN_BYTES:
		return GCONV_HW_MAX_CHAIN_BYTES;
	case GCONV_REG_MAX_OPERAND_BYTES:
		return GCONV_HW_MAX_OPERAND_BYTES;
	case GCONV_REG_CONTROL:
		return c->control;
	case GCONV_REG_STATUS:
		return ((c->control & GCONV_CONTROL_ENABLE) ?
				GCONV_STATUS_ENABLED : 0) |
		       (c->running ? GCONV_STATUS_BUSY : 0) |
		       (c->fault_status ? GCONV_STATUS_FAULTED : 0);
	case GCONV_REG_SCRATCH:
		return c->scratch;
	case GCONV_REG_IRQ_STATUS:
		return c->irq_status;
	case GCONV_REG_IRQ_MASK:
		return c->irq_mask;
	case GCONV_REG_FAULT_STATUS:
		return c->fault_status;
	case GCONV_REG_FAULT_QUEUE:
		return c->fault_queue;
	case GCONV_REG_FAULT_CONTEXT:
		return c->fault_context;
	case GCONV_REG_FAULT_FLAGS:
		return c->fault_flags;
	case GCONV_REG_FAULT_ADDR_LO:
		return lo_latch(c, c->fault_addr);
	case GCONV_REG_FAULT_SEQNO_LO:
		return lo_latch(c, c->fault_seqno);
	case GCONV_REG_FAULT_ADDR_HI:
	case GCONV_REG_FAULT_SEQNO_HI:
		return c->latched_hi;
	case GCONV_REG_FAULT_INFO:
		return c->fault_info;
	case GCONV_REG_FAULT_ACK:
		return 0;
	}
	guest_error(c, "read of unknown register 0x%x", off);
	return 0;
}

static int ring_config_ok(const struct gconv_core_queue *q)
{
	return q->size >= 2 && q->size <= GCONV_HW_MAX_RING_ENTRIES &&
	       !(q->size & (q->size - 1)) &&
	       !(q->ring_base % GCONV_RING_ALIGN) &&
	       !(q->cpl_addr % GCONV_CPL_ALIGN);
}

static void write_queue(struct gconv_core *c, unsigned int n, uint32_t r,
			uint32_t v)
{
	struct gconv_core_queue *q = &c->q[n];
	int enabled = q->control & GCONV_Q_ENABLE;

	switch (r) {
	case GCONV_Q_RING_BASE_LO:
	case GCONV_Q_RING_BASE_HI:
	case GCONV_Q_RING_SIZE:
	case GCONV_Q_CPL_ADDR_LO:
	case GCONV_Q_CPL_ADDR_HI:
		if (enabled) {
			guest_error(c, "queue %u: ring configuration written "
				    "while enabled (ignored)", n);
			return;
		}
		if (r == GCONV_Q_RING_BASE_LO)
			q->ring_base = (q->ring_base & ~0xffffffffull) | v;
		else if (r == GCONV_Q_RING_BASE_HI)
			q->ring_base = (q->ring_base & 0xffffffffull) |
				       (uint64_t)v << 32;
		else if (r == GCONV_Q_RING_SIZE)
			q->size = v;
		else if (r == GCONV_Q_CPL_ADDR_LO)
			q->cpl_addr = (q->cpl_addr & ~0xffffffffull) | v;
		else
			q->cpl_addr = (q->cpl_addr & 0xffffffffull) |
				      (uint64_t)v << 32;
		return;
	case GCONV_Q_TAIL:
		if (!enabled || v >= q->size) {
			guest_error(c, "queue %u: TAIL %u out of range or queue "
				    "disabled (ignored)", n, v);
			return;
		}
		q->tail = v;
		return;
	case GCONV_Q_DOORBELL:
		if (enabled)
			c->ops->kick(c->opaque);
		return;
	case GCONV_Q_CONTROL:
		if (v & ~GCONV_Q_ENABLE)
			guest_error(c, "queue %u: reserved Q_CONTROL bits 0x%x",
				    n, v & ~GCONV_Q_ENABLE);
		if ((v & GCONV_Q_ENABLE) && !enabled) {
			if (!ring_config_ok(q)) {
				q->status |= GCONV_Q_STOPPED;
				guest_error(c, "queue %u: bad ring configuration "
					    "(base 0x%llx size %u completion "
					    "0x%llx)", n,
					    (unsigned long long)q->ring_base,
					    q->size,
					    (unsigned long long)q->cpl_addr);
				latch_fault(c, GCONV_HW_RING_CONFIG, n, 0,
					    q->ring_base, 0, q->size, 0);
				return;
			}
			q->head = q->tail = 0;
			q->status = 0;
			q->control = GCONV_Q_ENABLE;
		} else if (!(v & GCONV_Q_ENABLE)) {
			/* a job already taken still completes */
			q->control = 0;
			q->status &= ~GCONV_Q_STOPPED;
		}
		return;
	}
	guest_error(c, "write 0x%x to read-only or unknown queue %u register "
		    "0x%x", v, n, r);
}

int gconv_core_write(struct gconv_core *c, uint32_t off, uint32_t v)
{
	if (off >= GCONV_REG_QUEUE_BASE &&
	    off < GCONV_REG_QUEUE(GCONV_HW_NUM_QUEUES)) {
		write_queue(c, (off - GCONV_REG_QUEUE_BASE) /
				       GCONV_REG_QUEUE_STRIDE,
			    (off - GCONV_REG_QUEUE_BASE) %
				    GCONV_REG_QUEUE_STRIDE, v);
		return GCONV_CORE_RESET_DONE;
	}
	if (off >= GCONV_REG_CTX_BASE &&
	    off < GCONV_REG_CTX(GCONV_HW_NUM_CONTEXTS)) {
		unsigned int n = (off - GCONV_REG_CTX_BASE) /
				 GCONV_REG_CTX_STRIDE;

		switch ((off - GCONV_REG_CTX_BASE) % GCONV_REG_CTX_STRIDE) {
		case GCONV_CTX_PT_ROOT_LO:
			if (v & 0xfff)
				guest_error(c, "context %u: PT_ROOT low bits "
					    "0x%x ignored", n, v & 0xfff);
			c->ctx[n].root = (c->ctx[n].root & ~0xffffffffull) |
					 (v & ~0xfffu);
			break;
		case GCONV_CTX_PT_ROOT_HI:
			c->ctx[n].root = (c->ctx[n].root & 0xffffffffull) |
					 (uint64_t)v << 32;
			break;
		case GCONV_CTX_CONTROL:
			if (v & ~GCONV_CTX_VALID)
				guest_error(c, "context %u: reserved bits 0x%x",
					    n, v & ~GCONV_CTX_VALID);
			c->ctx[n].control = v & GCONV_CTX_VALID;
			break;
		default:
			guest_error(c, "write to reserved context register");
		}
		return GCONV_CORE_RESET_DONE;
	}

	switch (off) {
	case GCONV_REG_CONTROL:
		if (v & ~(GCONV_CONTROL_ENABLE | GCONV_CONTROL_RESET))
			guest_error(c, "reserved CONTROL bits 0x%x", v);
		if (v & GCONV_CONTROL_RESET)
			return gconv_core_reset(c);
		c->control = v & GCONV_CONTROL_ENABLE;
		if (c->control)
			c->ops->kick(c->opaque);
		return GCONV_CORE_RESET_DONE;
	case GCONV_REG_SCRATCH:
		c->scratch = v;
		return GCONV_CORE_RESET_DONE;
	case GCONV_REG_IRQ_STATUS:
		if (v & ~GCONV_IRQ_ALL)
			guest_error(c, "reserved IRQ_STATUS bits 0x%x",
				    v & ~GCONV_IRQ_ALL);
		c->irq_status &= ~v;
		return GCONV_CORE_RESET_DONE;
	case GCONV_REG_IRQ_MASK: {
		uint32_t pending = c->irq_status & v & ~c->irq_mask;

		if (v & ~GCONV_IRQ_ALL)
			guest_error(c, "reserved IRQ_MASK bits 0x%x",
				    v & ~GCONV_IRQ_ALL);
		c->irq_mask = v & GCONV_IRQ_ALL;
		/* unmasking a pending cause sends its vector */
		if (pending) {
			c->irq_status &= ~pending;
			raise_irq(c, pending);
		}
		return GCONV_CORE_RESET_DONE;
	}
	case GCONV_REG_FAULT_ACK:
		if (v & ~1u)
			guest_error(c, "reserved FAULT_ACK bits 0x%x", v & ~1u);
		if (v & 1) {
			c->fault_status = 0;
			c->fault_queue = c->fault_context = 0;
			c->fault_flags = c->fault_info = 0;
			c->fault_addr = c->fault_seqno = 0;
		}
		return GCONV_CORE_RESET_DONE;
	}
	guest_error(c, "write 0x%x to read-only or unknown register 0x%x", v,
		    off);
	return GCONV_CORE_RESET_DONE;
}

/* ---- taking jobs ----------------------------------------------------------- */

int gconv_core_take_job(struct gconv_core *c, struct gconv_core_job *job)
{
	unsigned int i;

	if (!(c->control & GCONV_CONTROL_ENABLE) || c->reset_pending ||
	    c->running)
		return 0;
	for (i = 0; i < GCONV_HW_NUM_QUEUES; i++) {
		unsigned int n = (c->rr + i) % GCONV_HW_NUM_QUEUES;
		struct gconv_core_queue *q = &c->q[n];
		uint64_t pa;

		if (!(q->control & GCONV_Q_ENABLE) ||
		    (q->status & GCONV_Q_STOPPED) || q->busy ||
		    q->head == q->tail)
			continue;
		memset(job, 0, sizeof(*job));
		job->queue = n;
		pa = q->ring_base + (uint64_t)q->head * sizeof(job->entry);
		if (c->ops->dma_read(c->opaque, pa, &job->entry,
				     sizeof(job->entry))) {
			q->status |= GCONV_Q_STOPPED;
			guest_error(c, "queue %u: cannot read ring entry at "
				    "0x%llx", n, (unsigned long long)pa);
			latch_fault(c, GCONV_HW_RING_DMA, n, 0, pa, 0, q->head,
				    0);
			continue;
		}
		q->head = (q->head + 1) % q->size;
		q->busy = 1;
		c->rr = (n + 1) % GCONV_HW_NUM_QUEUES;
		c->running = 1;

		if (job->entry.opcode == GCONV_OP_RUN_CHAIN) {
			uint32_t ctx = job->entry.context;

			job->golden = c->golden_engine != 0;
			if (ctx >= GCONV_HW_NUM_CONTEXTS ||
			    !(c->ctx[ctx].control & GCONV_CTX_VALID))
				job->status = GCONV_HW_BAD_CONTEXT;
			else
				job->root = c->ctx[ctx].root;
			if (c->inject_context != GCONV_CORE_ANY_CONTEXT &&
			    c->inject_context != ctx)
				; /* injections wait for their context */
			else if (c->inject_hang) {
				c->inject_hang--;
				job->hang = 1;
			} else if (c->inject_mmu_fault) {
				c->inject_mmu_fault--;
				job->inject_mmu_fault = 1;
			} else if (c->inject_dma_error) {
				c->inject_dma_error--;
				job->inject_dma_error = 1;
			} else if (c->inject_bad_completion) {
				c->inject_bad_completion--;
				job->bad_completion = 1;
			}
		}
		c->ops->job_event(c->opaque, n, job->entry.seqno, 0, 0);
		return 1;
	}
	return 0;
}

/* ---- the MMU ------------------------------------------------------------------- */

struct walker {
	struct gconv_core *c;
	struct gconv_core_job *job;
	uint64_t leaf_va;	/* VA >> 21 of the cached leaf table */
	uint64_t leaf_pa;	/* its physical address, 0: none */
};

/* One unit of work done: a page moved or a descriptor finished. */
static void progress(struct walker *w)
{
	__atomic_add_fetch(&w->c->q[w->job->queue].progress, 1,
			   __ATOMIC_RELAXED);
}

static int aborted(struct gconv_core *c)
{
	return __atomic_load_n(&c->abort, __ATOMIC_RELAXED);
}

static int fail(struct gconv_core_job *job, uint32_t status, uint64_t addr,
		int write)
{
	if (!job->status) {
		job->status = status;
		job->fault_addr = addr;
		job->fault_write = write;
	}
	return -1;
}

/* Physical address of @va, checking @write or read permission. */
static int translate(struct walker *w, uint64_t va, int write, uint64_t *pa)
{
	uint64_t table = w->job->root, pte = 0;
	int level;

	if (va >> GCONV_HW_VA_BITS)
		return fail(w->job, GCONV_HW_MMU_FAULT, va, write);
	level = GCONV_PT_LEVELS - 1;
	if (w->leaf_pa && w->leaf_va == va >> 21) {
		table = w->leaf_pa;
		level = 0;
	}
	for (; level >= 0; level--) {
		uint64_t epa = table + 8 * GCONV_PT_INDEX(va, level);

		/* table reads are not operand traffic: not counted */
		if (w->c->ops->dma_read(w->c->opaque, epa, &pte, 8))
			return fail(w->job, GCONV_HW_DMA_ERROR, epa, 0);
		if (!(pte & GCONV_PTE_VALID) || (pte & GCONV_PTE_RESERVED_MASK))
			return fail(w->job, GCONV_HW_MMU_FAULT, va, write);
		if (level == 1) {
			w->leaf_va = va >> 21;
			w->leaf_pa = pte & GCONV_PTE_ADDR_MASK;
		}
		table = pte & GCONV_PTE_ADDR_MASK;
	}
	if (!(pte & GCONV_PTE_READ) || (write && !(pte & GCONV_PTE_WRITE)))
		return fail(w->job, GCONV_HW_MMU_FAULT, va, write);
	*pa = (pte & GCONV_PTE_ADDR_MASK) | (va & (GCONV_HW_PAGE_SIZE - 1));
	return 0;
}

/* Read @len bytes at device VA @va page by page. */
static int mmu_read(struct walker *w, uint64_t va, void *buf, uint64_t len)
{
	uint8_t *p = buf;

	while (len) {
		uint64_t in_page = GCONV_HW_PAGE_SIZE -
				   (va & (GCONV_HW_PAGE_SIZE - 1));
		uint64_t n = len < in_page ? len : in_page, pa;

		if (aborted(w->c))
			return -1;
		if (translate(w, va, 0, &pa))
			return -1;
		if (w->c->ops->dma_read(w->c->opaque, pa, p, n))
			return fail(w->job, GCONV_HW_DMA_ERROR, pa, 0);
		w->job->bytes_read += n;
		progress(w);
		va += n;
		p += n;
		len -= n;
	}
	return 0;
}

/* Write @len bytes at @va: every page is translated before any write. */
static int mmu_write(struct walker *w, uint64_t va, const void *buf,
		     uint64_t len)
{
	uint64_t pages = (((va & (GCONV_HW_PAGE_SIZE - 1)) + len +
			   GCONV_HW_PAGE_SIZE - 1) >> GCONV_HW_PAGE_SHIFT);
	uint64_t *pa = malloc((pages ? pages : 1) * sizeof(*pa)), v, i;
	const uint8_t *p = buf;
	uint64_t rem = len;

	if (!pa)
		return fail(w->job, GCONV_HW_ENGINE_ERROR, va, 1);
	for (i = 0, v = va; i < pages; i++) {
		if (aborted(w->c) || translate(w, v, 1, &pa[i])) {
			free(pa);
			return -1;
		}
		v = (v & ~(uint64_t)(GCONV_HW_PAGE_SIZE - 1)) +
		    GCONV_HW_PAGE_SIZE;
	}
	for (i = 0, v = va; i < pages && rem; i++) {
		uint64_t in_page = GCONV_HW_PAGE_SIZE -
				   (v & (GCONV_HW_PAGE_SIZE - 1));
		uint64_t n = rem < in_page ? rem : in_page;

		if (aborted(w->c)) {
			free(pa);
			return -1;
		}
		if (w->c->ops->dma_write(w->c->opaque, pa[i], p, n)) {
			fail(w->job, GCONV_HW_DMA_ERROR, pa[i], 1);
			free(pa);
			return -1;
		}
		w->job->bytes_written += n;
		progress(w);
		v += n;
		p += n;
		rem -= n;
	}
	free(pa);
	return 0;
}

/* ---- running jobs ---------------------------------------------------------------- */

static uint64_t desc_macs(const struct gconv_desc *d)
{
	return (uint64_t)d->n * d->g * d->k * d->p * d->q * d->c * d->r *
	       d->s;
}

void gconv_core_cost_params(struct gconv_cost_params *p)
{
	gconv_cost_params_default(p);
	p->word_bytes = 0; /* the operands' own type: fp32 */
}

/*
 * One GCONV: gather its operands, compute, write O back.  @cost is the
 * cost model's figure for it within its chain, or NULL when the model
 * could not cost the chain: then the roofline max(MACs / PEs, bytes /
 * bandwidth) of the GCONV's operand bytes stands in.
 */
static int run_desc(struct walker *w, const struct gconv_desc *d, uint32_t idx,
		    const struct gconv_cost *cost)
{
	const struct gconv_operand *ops[4] = { &d->x, &d->y, &d->b, &d->o };
	int used[4] = { gconv_desc_reads_x(d), gconv_desc_reads_y(d),
			gconv_desc_reads_b(d), 1 };
	uint64_t before = w->job->bytes_read + w->job->bytes_written;
	uint64_t macs = desc_macs(d), bytes, cycles;
	void *buf[4] = { NULL, NULL, NULL, NULL };
	int i, r = -1;

	for (i = 0; i < 4; i++) {
		uint64_t len = gconv_operand_bytes(ops[i]);

		if (!used[i])
			continue;
		if (len > GCONV_HW_MAX_OPERAND_BYTES) {
			fail(w->job, GCONV_HW_ENGINE_ERROR, ops[i]->addr, 0);
			w->job->info = idx;
			goto out;
		}
		buf[i] = malloc(len ? len : 1);
		if (!buf[i]) {
			fail(w->job, GCONV_HW_ENGINE_ERROR, ops[i]->addr, 0);
			w->job->info = idx;
			goto out;
		}
		if (mmu_read(w, ops[i]->addr, buf[i], len)) {
			w->job->info = idx;
			goto out;
		}
	}
	switch ((w->job->golden ? gconv_golden_run_desc_cancel
				: gconv_fast_run_desc_cancel)(
		d, buf[0], buf[1], buf[2], buf[3], &w->c->abort)) {
	case 0:
		break;
	case -ECANCELED:
		goto out;
	default:
		fail(w->job, GCONV_HW_ENGINE_ERROR, d->o.addr, 0);
		w->job->info = idx;
		goto out;
	}
	if (mmu_write(w, d->o.addr, buf[3], gconv_operand_bytes(&d->o))) {
		w->job->info = idx;
		goto out;
	}
	if (cost) {
		cycles = cost->cycles;
		macs = cost->macs;
	} else {
		bytes = w->job->bytes_read + w->job->bytes_written - before;
		cycles = (macs + GCONV_TIMING_PES - 1) / GCONV_TIMING_PES;
		if ((bytes + GCONV_TIMING_BYTES_PER_CYCLE - 1) /
			    GCONV_TIMING_BYTES_PER_CYCLE > cycles)
			cycles = (bytes + GCONV_TIMING_BYTES_PER_CYCLE - 1) /
				 GCONV_TIMING_BYTES_PER_CYCLE;
	}
	w->job->gconvs++;
	progress(w);
	w->job->macs += macs;
	w->job->modeled_cycles += cycles;
	r = 0;
out:
	for (i = 0; i < 4; i++)
		free(buf[i]);
	return r;
}

static int job_entry_ok(const struct gconv_hw_job *e)
{
	if (e->reserved0 || e->reserved[0] || e->reserved[1] ||
	    e->reserved[2] || (e->flags & ~GCONV_JOB_F_ALL))
		return 0;
	if (e->opcode == GCONV_OP_NOP)
		return 1; /* context and chain fields are ignored */
	if (e->opcode != GCONV_OP_RUN_CHAIN)
		return 0;
	return !(e->chain_addr % 8) &&
	       e->chain_size >= sizeof(struct gconv_chain_header) &&
	       e->chain_size <= GCONV_HW_MAX_CHAIN_BYTES;
}

void gconv_core_run_job(struct gconv_core *c, struct gconv_core_job *job)
{
	struct walker w = { .c = c, .job = job };
	const struct gconv_chain_header *h;
	struct gconv_cost_params params;
	struct gconv_cost *costs = NULL, total;
	struct gconv_verror verr;
	uint64_t t0 = c->ops->now_ns(c->opaque);
	void *chain = NULL;
	uint32_t i;

	if (job->hang)
		return;
	if (!job_entry_ok(&job->entry)) {
		job->status = GCONV_HW_INVALID_JOB;
		return;
	}
	if (job->status || job->entry.opcode == GCONV_OP_NOP)
		return;
	if (job->inject_mmu_fault) {
		fail(job, GCONV_HW_MMU_FAULT, job->entry.chain_addr, 0);
		return;
	}
	if (job->inject_dma_error) {
		fail(job, GCONV_HW_DMA_ERROR, job->root, 0);
		return;
	}
	chain = aligned_alloc(8, (job->entry.chain_size + 7) / 8 * 8);
	if (!chain) {
		fail(job, GCONV_HW_ENGINE_ERROR, job->entry.chain_addr, 0);
		return;
	}
	if (mmu_read(&w, job->entry.chain_addr, chain, job->entry.chain_size))
		goto out;
	if (gconv_validate_chain(chain, job->entry.chain_size, &device_limits,
				 &verr)) {
		job->status = GCONV_HW_INVALID_CHAIN;
		job->info = ((verr.desc & 0xffffffu) << 8) | (verr.code & 0xff);
		goto out;
	}
	h = chain;
	/* the timing model: the cost model over the whole chain, so that
	 * intermediates it keeps on chip cost no DRAM traffic */
	gconv_core_cost_params(&params);
	costs = malloc(h->count * sizeof(*costs));
	if (costs && gconv_cost_chain(&params, chain, job->entry.chain_size,
				      NULL, 0, costs, h->count, &total)) {
		free(costs);
		costs = NULL;
	}
	for (i = 0; i < h->count; i++) {
		if (aborted(c) || run_desc(&w, gconv_chain_desc(h, i), i,
					   costs ? &costs[i] : NULL))
			break;
	}
out:
	free(costs);
	free(chain);
	job->busy_ns = c->ops->now_ns(c->opaque) - t0;
}

uint64_t gconv_core_modeled_ns(const struct gconv_core *c,
			       const struct gconv_core_job *job)
{
	if (!c->clock_khz)
		return 0;
	/* cycles / (kHz * 1e3) seconds = cycles * 1e6 / kHz ns */
	return job->modeled_cycles * 1000000ull / c->clock_khz;
}

void gconv_core_finish_job(struct gconv_core *c, struct gconv_core_job *job)
{
	struct gconv_core_queue *q = &c->q[job->queue];
	struct gconv_hw_completion cpl;

	c->running = 0;
	if (c->reset_pending) {
		do_reset(c);
		return;
	}
	if (job->hang)
		return; /* the queue stays busy until a reset */

	cpl.seqno = job->bad_completion ? ~job->entry.seqno : job->entry.seqno;
	cpl.status = job->status;
	cpl.info = job->info;
	q->busy = 0;
	if (c->ops->dma_write(c->opaque, q->cpl_addr, &cpl, sizeof(cpl))) {
		q->status |= GCONV_Q_STOPPED;
		guest_error(c, "queue %u: cannot write the completion record at "
			    "0x%llx", job->queue,
			    (unsigned long long)q->cpl_addr);
		latch_fault(c, GCONV_HW_RING_DMA, job->queue,
			    job->entry.context, q->cpl_addr, job->entry.seqno,
			    0, 1);
	}
	q->completed_seqno = job->entry.seqno;
	q->jobs++;
	c->counters[CTR(job->status ? GCONV_REG_JOBS_FAILED :
				      GCONV_REG_JOBS_COMPLETED)]++;
	c->counters[CTR(GCONV_REG_GCONVS)] += job->gconvs;
	c->counters[CTR(GCONV_REG_MACS)] += job->macs;
	c->counters[CTR(GCONV_REG_BYTES_READ)] += job->bytes_read;
	c->counters[CTR(GCONV_REG_BYTES_WRITTEN)] += job->bytes_written;
	c->counters[CTR(GCONV_REG_MODELED_CYCLES)] += job->modeled_cycles;
	c->counters[CTR(GCONV_REG_BUSY_NS)] += job->busy_ns;
	c->ops->job_event(c->opaque, job->queue, job->entry.seqno, 1,
			  job->status);
	if (job->status)
		latch_fault(c, job->status, job->queue, job->entry.context,
			    job->fault_addr, job->entry.seqno, job->info,
			    job->fault_write);
	if (job->entry.flags & GCONV_JOB_F_IRQ)
		raise_irq(c, GCONV_IRQ_QUEUE(job->queue));
}
