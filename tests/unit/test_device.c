// SPDX-License-Identifier: MIT
/*
 * The device model's QEMU-independent core (qemu-device/gconv-core.c) on
 * the host, checked against docs/hw-spec.md.
 *
 * The fixture is a fake guest: 16 MiB of "physical memory" at 0x100000
 * (a DMA outside it fails, as does any DMA while bus mastering is off or
 * one touching a range the test marks as failing), ops callbacks that
 * record MSI-X vectors, guest errors and job events, and a clock that
 * advances a fixed step per call.  Builders make device page tables
 * (4 levels, 4 KiB tables allocated in the fake memory), rings and ring
 * entries; pump() runs the executor loop of gconv-core.h synchronously.
 * Registers are only read and written through gconv_core_read/write, as
 * the QEMU glue does; completion records are read from the fake memory.
 *
 * Expected values come from the spec, not from the core: where the two
 * disagree the subtest fails and says so.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gconv/cost.h>
#include <gconv/engine.h>

#include "gconv-core.h"

#include "../common/sample_chain.h"
#include "../harness.h"

/* ---- the fake guest ------------------------------------------------------ */

#define MEM_BASE	0x100000ull
#define MEM_SIZE	(16ull << 20)
#define PAGE		4096ull
#define NQ		GCONV_HW_NUM_QUEUES
#define ERRV		GCONV_HW_ERROR_VECTOR

#define MAX_EVENTS	8192
#define MAX_VECTORS	8192
#define MAX_BLOCKS	64

#define FAIL_READ	1u
#define FAIL_WRITE	2u

#define PTE_RO		GCONV_PTE_READ
#define PTE_RW		(GCONV_PTE_READ | GCONV_PTE_WRITE)

/* device virtual addresses the subtests use (distinct 2 MiB regions and
 * distinct root-table slots, so every walk is a real one) */
#define VA_CHAIN	0x00000a1234500000ull
#define VA_CHAIN2	0x00000a1234800000ull
#define VA_X		0x00001b0000600000ull
#define VA_O		0x00001b0000a00000ull
#define VA_DATA		0x00002c0000000000ull
#define VA_DATA2	0x00002c0000400000ull
#define VA_BIG		0x0000400000000000ull

/* the context and queue most subtests use */
#define S_CTX		3
#define S_Q		2

#define ANY		(~0ull)		/* "do not check this address" */

struct event {
	unsigned int queue, phase, status;
	uint64_t seqno;
};

struct shadow_queue {
	uint64_t ring, cpl;
	uint32_t size, tail;
};

struct fixture {
	struct gconv_core c;
	uint8_t *mem;
	uint64_t brk;			/* next free physical page */

	int bus_master;
	uint64_t fail_pa, fail_len;	/* DMA overlapping this fails... */
	unsigned int fail_rw;		/* ...for FAIL_READ and/or FAIL_WRITE */
	uint64_t wp_pa, wp_len;		/* DMA writes here fail (fuzzing) */
	uint64_t reads, writes, failures;
	uint64_t watch_pa, watch_len, watch_reads;

	/* a register write made from inside the DMA read of hook_pa while
	 * run_job runs: a vCPU racing with the executor */
	int in_run, hook_armed, hook_fired, hook_ret;
	uint64_t hook_pa, hook_reads;
	uint32_t hook_off, hook_val;
	/* Q_PROGRESS of queue prog_q, read from inside the DMA read of
	 * prog_pa while run_job runs (the driver's hang check mid-job) */
	int prog_armed;
	unsigned int prog_q;
	uint64_t prog_pa;
	uint32_t prog_at;

	unsigned int vec[MAX_VECTORS], nvec, bad_vectors;
	/* per queue vector: the seqno in the completion record when it was
	 * sent; completion-record writes that were not one 16-byte write */
	uint64_t cpl_at_vec[NQ];
	unsigned int bad_cpl_writes;
	unsigned int nerr;
	char last_err[256];
	struct event ev[MAX_EVENTS];
	unsigned int nev, bad_events;
	unsigned int kicks;
	uint64_t clock, clock_step;

	struct shadow_queue q[NQ];
	void *blocks[MAX_BLOCKS];
	unsigned int nblocks;
};

static struct fixture *F;
static int call_line;		/* subtest line a helper is checking for */

#define CHECK_EQ_U64(got, want)                                           \
	do {                                                              \
		unsigned long long g_ = (got), w_ = (want);               \
		if (g_ != w_)                                             \
			FAILF("%s: expected 0x%llx, got 0x%llx%s%.0d", #got, \
			      w_, g_, call_line ? " at subtest line " : "", \
			      call_line);                                 \
	} while (0)

static uint8_t *host_of(uint64_t pa, uint64_t len)
{
	uint64_t off = pa - MEM_BASE;

	if (pa < MEM_BASE || off > MEM_SIZE || len > MEM_SIZE - off)
		return NULL;
	return F->mem + off;
}

static uint64_t pa_of(const void *p)
{
	return MEM_BASE + (uint64_t)((const uint8_t *)p - F->mem);
}

static int overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return alen && blen && a < b + blen && b < a + alen;
}

/* @pa, @len are inside the memory when this is called */
static int dma_blocked(struct fixture *f, uint64_t pa, uint64_t len,
		       unsigned int rw)
{
	if ((f->fail_rw & rw) && overlaps(pa, len, f->fail_pa, f->fail_len))
		return 1;
	return rw == FAIL_WRITE && overlaps(pa, len, f->wp_pa, f->wp_len);
}

static int op_dma_read(void *opaque, uint64_t pa, void *buf, uint64_t len)
{
	struct fixture *f = opaque;
	uint8_t *h = f->bus_master ? host_of(pa, len) : NULL;

	if (!h || dma_blocked(f, pa, len, FAIL_READ)) {
		f->failures++;
		return -1;
	}
	if (f->in_run && f->hook_armed && overlaps(pa, len, f->hook_pa, 1)) {
		f->hook_armed = 0;
		f->hook_fired = 1;
		f->hook_reads = f->reads;
		f->hook_ret = gconv_core_write(&f->c, f->hook_off,
					       f->hook_val);
	}
	if (f->in_run && f->prog_armed && overlaps(pa, len, f->prog_pa, 1)) {
		f->prog_armed = 0;
		f->prog_at = gconv_core_read(&f->c, GCONV_REG_QUEUE(f->prog_q) +
						    GCONV_Q_PROGRESS);
	}
	if (overlaps(pa, len, f->watch_pa, f->watch_len))
		f->watch_reads++;
	memcpy(buf, h, len);
	f->reads++;
	return 0;
}

static int op_dma_write(void *opaque, uint64_t pa, const void *buf,
			uint64_t len)
{
	struct fixture *f = opaque;
	uint8_t *h = f->bus_master ? host_of(pa, len) : NULL;
	unsigned int q;

	for (q = 0; q < NQ; q++)
		if (f->q[q].cpl && overlaps(pa, len, f->q[q].cpl, 16) &&
		    (pa != f->q[q].cpl || len != 16))
			f->bad_cpl_writes++;
	if (!h || dma_blocked(f, pa, len, FAIL_WRITE)) {
		f->failures++;
		return -1;
	}
	memcpy(h, buf, len);
	f->writes++;
	return 0;
}

static void op_notify(void *opaque, unsigned int vector)
{
	struct fixture *f = opaque;

	if (vector >= GCONV_HW_NUM_VECTORS)
		f->bad_vectors++;
	if (vector < NQ && f->q[vector].cpl)
		memcpy(&f->cpl_at_vec[vector], host_of(f->q[vector].cpl, 8), 8);
	if (f->nvec < MAX_VECTORS)
		f->vec[f->nvec] = vector;
	f->nvec++;
}

static void op_kick(void *opaque)
{
	((struct fixture *)opaque)->kicks++;
}

static void op_guest_error(void *opaque, const char *msg)
{
	struct fixture *f = opaque;

	f->nerr++;
	snprintf(f->last_err, sizeof(f->last_err), "%s", msg);
}

static void op_job_event(void *opaque, unsigned int queue, uint64_t seqno,
			 unsigned int phase, unsigned int status)
{
	struct fixture *f = opaque;

	if (queue >= NQ || phase > 1 || status > GCONV_HW_RING_DMA ||
	    status == 7)
		f->bad_events++;
	if (f->nev < MAX_EVENTS) {
		f->ev[f->nev].queue = queue;
		f->ev[f->nev].seqno = seqno;
		f->ev[f->nev].phase = phase;
		f->ev[f->nev].status = status;
	}
	f->nev++;
}

static uint64_t op_now_ns(void *opaque)
{
	struct fixture *f = opaque;

	f->clock += f->clock_step;
	return f->clock;
}

static const struct gconv_core_ops fake_ops = {
	.dma_read = op_dma_read,
	.dma_write = op_dma_write,
	.notify = op_notify,
	.kick = op_kick,
	.guest_error = op_guest_error,
	.job_event = op_job_event,
	.now_ns = op_now_ns,
};

static void fx_free(void)
{
	unsigned int i;

	if (!F)
		return;
	for (i = 0; i < F->nblocks; i++)
		free(F->blocks[i]);
	free(F->mem);
	free(F);
	F = NULL;
}

/* A fresh device and memory for a subtest (the previous one is freed). */
static void fx_new(void)
{
	fx_free();
	call_line = 0;
	F = calloc(1, sizeof(*F));
	if (!F)
		FAILF("out of memory");
	F->mem = calloc(1, MEM_SIZE);
	if (!F->mem)
		FAILF("out of memory");
	F->brk = MEM_BASE;
	F->bus_master = 1;
	F->clock = 1000000;
	F->clock_step = 1000;
	gconv_core_init(&F->c, &fake_ops, F);
}

/* Free @p with the fixture (so a failing subtest leaks nothing). */
static void *keep(void *p)
{
	if (!p)
		FAILF("out of memory");
	if (F->nblocks == MAX_BLOCKS) {
		free(p);
		FAILF("too many blocks");
	}
	F->blocks[F->nblocks++] = p;
	return p;
}

/* Zeroed, page-aligned physical memory. */
static uint64_t pa_alloc(uint64_t len)
{
	uint64_t pa = F->brk;

	len = (len + PAGE - 1) & ~(PAGE - 1);
	if (!len || len > MEM_BASE + MEM_SIZE - pa)
		FAILF("fake memory exhausted");
	F->brk += len;
	memset(host_of(pa, len), 0, len);
	return pa;
}

/* ---- registers ----------------------------------------------------------- */

#define QREG(q, r)	(GCONV_REG_QUEUE(q) + (r))
#define CREG(c, r)	(GCONV_REG_CTX(c) + (r))

static uint32_t rd(uint32_t off)
{
	return gconv_core_read(&F->c, off);
}

static int wr(uint32_t off, uint32_t v)
{
	return gconv_core_write(&F->c, off, v);
}

/* a 64-bit register: _LO, then _HI */
static uint64_t rd64(uint32_t off)
{
	uint64_t lo = rd(off);

	return lo | (uint64_t)rd(off + 4) << 32;
}

/* Clear the latched fault, every IRQ_STATUS bit and what was recorded. */
static void ack_all(void)
{
	wr(GCONV_REG_FAULT_ACK, 1);
	wr(GCONV_REG_IRQ_STATUS, rd(GCONV_REG_IRQ_STATUS));
	F->nvec = 0;
	F->nerr = 0;
	F->nev = 0;
}

/* ---- page tables --------------------------------------------------------- */

static uint64_t *pte_at(uint64_t table, unsigned int idx)
{
	return (uint64_t *)host_of(table + 8ull * idx, 8);
}

/* The entry for @va at @level, creating the tables above it. */
static uint64_t *pt_slot(uint64_t root, uint64_t va, int level)
{
	uint64_t table = root;
	int l;

	for (l = GCONV_PT_LEVELS - 1; l > level; l--) {
		uint64_t *e = pte_at(table, GCONV_PT_INDEX(va, l));

		if (!(*e & GCONV_PTE_VALID))
			*e = pa_alloc(PAGE) | GCONV_PTE_VALID;
		table = *e & GCONV_PTE_ADDR_MASK;
	}
	return pte_at(table, GCONV_PT_INDEX(va, level));
}

static void map_page(uint64_t root, uint64_t va, uint64_t pa, uint64_t perm)
{
	*pt_slot(root, va, 0) = pa | GCONV_PTE_VALID | perm;
}

static void map_pa(uint64_t root, uint64_t va, uint64_t pa, uint64_t len,
		   uint64_t perm)
{
	uint64_t i;

	for (i = 0; i < len; i += PAGE)
		map_page(root, va + i, pa + i, perm);
}

/* Back [va, va + len) (va page aligned) with fresh contiguous pages. */
static void *map_new(uint64_t root, uint64_t va, uint64_t len, uint64_t perm)
{
	uint64_t pa = pa_alloc(len);

	map_pa(root, va, pa, len, perm);
	return host_of(pa, len);
}

static void ctx_point(unsigned int ctx, uint64_t root)
{
	wr(CREG(ctx, GCONV_CTX_PT_ROOT_LO), (uint32_t)root);
	wr(CREG(ctx, GCONV_CTX_PT_ROOT_HI), (uint32_t)(root >> 32));
	wr(CREG(ctx, GCONV_CTX_CONTROL), GCONV_CTX_VALID);
}

/* A valid context with an empty root table; returns the root. */
static uint64_t ctx_new(unsigned int ctx)
{
	uint64_t root = pa_alloc(PAGE);

	ctx_point(ctx, root);
	return root;
}

/* ---- rings and jobs ------------------------------------------------------ */

static void queue_config(unsigned int q, uint64_t ring, uint32_t size,
			 uint64_t cpl)
{
	wr(QREG(q, GCONV_Q_RING_BASE_LO), (uint32_t)ring);
	wr(QREG(q, GCONV_Q_RING_BASE_HI), (uint32_t)(ring >> 32));
	wr(QREG(q, GCONV_Q_RING_SIZE), size);
	wr(QREG(q, GCONV_Q_CPL_ADDR_LO), (uint32_t)cpl);
	wr(QREG(q, GCONV_Q_CPL_ADDR_HI), (uint32_t)(cpl >> 32));
}

/* Disable and enable queue @q: HEAD = TAIL = 0. */
static void queue_restart(unsigned int q)
{
	wr(QREG(q, GCONV_Q_CONTROL), 0);
	wr(QREG(q, GCONV_Q_CONTROL), GCONV_Q_ENABLE);
	CHECK_EQ_U64(rd(QREG(q, GCONV_Q_CONTROL)), GCONV_Q_ENABLE);
	F->q[q].tail = 0;
}

/* A fresh ring of @size entries and completion record for queue @q,
 * enabled.  The record is filled with 0xa5 (no completion yet). */
static void ring_new(unsigned int q, uint32_t size)
{
	struct shadow_queue *s = &F->q[q];

	s->ring = pa_alloc(64ull * size);
	s->cpl = pa_alloc(sizeof(struct gconv_hw_completion));
	s->size = size;
	memset(host_of(s->cpl, 16), 0xa5, 16);
	wr(QREG(q, GCONV_Q_CONTROL), 0);
	queue_config(q, s->ring, size, s->cpl);
	queue_restart(q);
}

static void write_entry(unsigned int q, uint32_t idx,
			const struct gconv_hw_job *e)
{
	memcpy(host_of(F->q[q].ring + 64ull * idx, 64), e, 64);
}

/* Write @e at the driver's tail, bump TAIL, ring the doorbell. */
static void submit(unsigned int q, const struct gconv_hw_job *e)
{
	struct shadow_queue *s = &F->q[q];
	uint32_t next = (s->tail + 1) % s->size;

	if (next == rd(QREG(q, GCONV_Q_HEAD)))
		FAILF("queue %u: the test overfilled its ring", q);
	write_entry(q, s->tail, e);
	s->tail = next;
	wr(QREG(q, GCONV_Q_TAIL), next);
	wr(QREG(q, GCONV_Q_DOORBELL), 1);
}

/* The executor loop, synchronously.  Returns the number of jobs taken;
 * *last (may be NULL) is the last job. */
static unsigned int pump(struct gconv_core_job *last)
{
	struct gconv_core_job job;
	unsigned int n = 0;

	while (gconv_core_take_job(&F->c, &job)) {
		F->in_run = 1;
		gconv_core_run_job(&F->c, &job);
		F->in_run = 0;
		gconv_core_finish_job(&F->c, &job);
		if (last)
			*last = job;
		if (++n > 100000)
			FAILF("the executor does not stop taking jobs");
	}
	return n;
}

static struct gconv_hw_completion cpl(unsigned int q)
{
	struct gconv_hw_completion r;

	memcpy(&r, host_of(F->q[q].cpl, sizeof(r)), sizeof(r));
	return r;
}

static int cpl_untouched(unsigned int q)
{
	const uint8_t *p = host_of(F->q[q].cpl, 16);
	int i;

	for (i = 0; i < 16; i++)
		if (p[i] != 0xa5)
			return 0;
	return 1;
}

static struct gconv_hw_job job_nop(uint64_t seqno, uint32_t flags)
{
	struct gconv_hw_job j;

	memset(&j, 0, sizeof(j));
	j.opcode = GCONV_OP_NOP;
	j.flags = flags;
	j.seqno = seqno;
	return j;
}

static struct gconv_hw_job job_run(uint32_t ctx, uint64_t va, uint64_t size,
				   uint64_t seqno, uint32_t flags)
{
	struct gconv_hw_job j;

	memset(&j, 0, sizeof(j));
	j.opcode = GCONV_OP_RUN_CHAIN;
	j.flags = flags;
	j.context = ctx;
	j.chain_addr = va;
	j.chain_size = size;
	j.seqno = seqno;
	return j;
}

/* Submit @j on @q, run it, return its completion record. */
static struct gconv_hw_completion run_on(unsigned int q,
					 const struct gconv_hw_job *j)
{
	submit(q, j);
	CHECK_EQ_U64(pump(NULL), 1);
	return cpl(q);
}

/* RUN_CHAIN of the chain at VA_CHAIN on S_Q in S_CTX. */
static struct gconv_hw_completion go(uint64_t len, uint64_t seqno)
{
	struct gconv_hw_job j = job_run(S_CTX, VA_CHAIN, len, seqno, 0);

	return run_on(S_Q, &j);
}

/* The standard setup: device enabled, every cause unmasked, an 8-entry
 * ring on every queue, context S_CTX with an empty root.  Returns it. */
static uint64_t world(void)
{
	uint64_t root;
	unsigned int q;

	fx_new();
	wr(GCONV_REG_CONTROL, GCONV_CONTROL_ENABLE);
	wr(GCONV_REG_IRQ_MASK, GCONV_IRQ_ALL);
	for (q = 0; q < NQ; q++)
		ring_new(q, 8);
	root = ctx_new(S_CTX);
	F->nerr = 0;
	F->nvec = 0;
	return root;
}

/* ---- chains -------------------------------------------------------------- */

static void *encode(const struct gconv_desc *d, unsigned int n, size_t *len)
{
	struct gconv_chain_builder b = { 0 };
	void *buf = NULL;
	unsigned int i;
	int r = 0;

	for (i = 0; i < n; i++)
		r |= gconv_chain_append(&b, &d[i]);
	if (!r)
		r = gconv_chain_encode(&b, &buf, len);
	gconv_chain_builder_free(&b);
	CHECK_EQ_INT(r, 0);
	return keep(buf);
}

static struct gconv_desc *chain_desc(void *chain, uint32_t i)
{
	return (struct gconv_desc *)gconv_chain_desc(chain, i);
}

/* Add @base to the address of every operand a descriptor uses. */
static void relocate(void *chain, uint64_t base)
{
	const struct gconv_chain_header *h = chain;
	uint32_t i;

	for (i = 0; i < h->count; i++) {
		struct gconv_desc *d = chain_desc(chain, i);
		struct gconv_operand *ops[4] = { &d->x, &d->y, &d->b, &d->o };
		int k;

		for (k = 0; k < 4; k++)
			if (ops[k]->dtype != GCONV_DTYPE_NONE)
				ops[k]->addr += base;
	}
}

static uint64_t chain_macs(const void *chain)
{
	const struct gconv_chain_header *h = chain;
	uint64_t sum = 0;
	uint32_t i;

	for (i = 0; i < h->count; i++) {
		const struct gconv_desc *d = gconv_chain_desc(h, i);

		sum += (uint64_t)d->n * d->g * d->k * d->p * d->q * d->c *
		       d->r * d->s;
	}
	return sum;
}

/* Map a copy of @chain read-only at @va. */
static void put_chain(uint64_t root, uint64_t va, const void *chain,
		      size_t len)
{
	memcpy(map_new(root, va, len, PTE_RO), chain, len);
}

/* O[i] = 2 X[i] + 1, i < n */
static void desc_affine(struct gconv_desc *d, uint64_t x, uint64_t o,
			uint32_t n)
{
	gconv_desc_init(d);
	d->k = n;
	d->main = GCONV_MAIN_TAKE_X;
	d->post = GCONV_POST_AFFINE;
	d->post_param[0] = gconv_f32_bits(2.0f);
	d->post_param[1] = gconv_f32_bits(1.0f);
	gconv_operand_f32(&d->x, x, n, 0, 0, 1, 0, 0, 0);
	gconv_operand_f32(&d->o, o, n, 0, 0, 1, 0, 0, 0);
}

/* 3x3 convolution, pad 1, C=3 -> K=4 over 8x8, bias added by combine:
 * X [c][h][w], Y [k][c][r][s], B [k], O [k][p][q]; 6912 MACs. */
static void desc_conv3x3(struct gconv_desc *d, uint64_t x, uint64_t y,
			 uint64_t b, uint64_t o)
{
	gconv_desc_init(d);
	d->k = 4, d->c = 3, d->p = 8, d->q = 8, d->r = 3, d->s = 3;
	d->in_h = 8, d->in_w = 8;
	d->pad_top = d->pad_bottom = d->pad_left = d->pad_right = 1;
	d->combine = GCONV_COMBINE_ADD;
	gconv_operand_f32(&d->x, x, 192, 192, 0, 0, 64, 8, 1);
	gconv_operand_f32(&d->y, y, 108, 0, 0, 27, 9, 3, 1);
	gconv_operand_f32(&d->b, b, 4, 0, 0, 1, 0, 0, 0);
	gconv_operand_f32(&d->o, o, 256, 256, 0, 64, 0, 8, 1);
}

#define CONV_MACS	6912ull
/* chain + X + Y + B + O read, O written */
#define CONV_CHAIN	(64 + 512)
#define CONV_READ	(CONV_CHAIN + 768 + 432 + 16 + 1024)
#define CONV_WRITTEN	1024

/* Compute-bound: O[k] = sum over c, r, s of X * Y with X and Y one
 * broadcast element each; K=16, C=64, R=S=8: 65536 MACs, 136 operand
 * bytes. */
static void desc_compute(struct gconv_desc *d, uint64_t x, uint64_t y,
			 uint64_t o)
{
	gconv_desc_init(d);
	d->k = 16, d->c = 64, d->r = 8, d->s = 8;
	d->in_h = 8, d->in_w = 8;
	gconv_operand_f32(&d->x, x, 1, 0, 0, 0, 0, 0, 0);
	gconv_operand_f32(&d->y, y, 1, 0, 0, 0, 0, 0, 0);
	gconv_operand_f32(&d->o, o, 16, 0, 0, 1, 0, 0, 0);
}

#define COMPUTE_MACS	65536ull
/* no mapping beats a full 12x14 array: ceil(65536 / 168) */
#define COMPUTE_MIN_CYCLES 391ull

/* A chain over a flat memory whose addresses are byte offsets. */
struct image {
	uint8_t *mem;
	size_t size;
	void *chain;
	size_t len;
};

/*
 * The timing model's cycles for @im's chain: the cost model
 * (gconv/cost.h) with the device's parameters, the one implementation the
 * device itself uses.
 */
static uint64_t model_cycles(const struct image *im)
{
	struct gconv_cost_params p;
	struct gconv_cost t;

	gconv_core_cost_params(&p);
	CHECK_EQ_INT(gconv_cost_chain(&p, im->chain, im->len, NULL, 0, NULL, 0,
				      &t),
		     0);
	return t.cycles;
}

static void image_conv3x3(struct image *im, unsigned long long seed)
{
	struct gconv_desc d;
	size_t i;

	im->size = 2240;
	im->mem = keep(calloc(1, im->size));
	for (i = 0; i < im->size / 4; i++)
		((float *)im->mem)[i] = harness_randf(&seed);
	desc_conv3x3(&d, 0, 768, 1200, 1216);
	im->chain = encode(&d, 1, &im->len);
}

static void image_compute(struct image *im)
{
	struct gconv_desc d;
	float *m;
	int i;

	im->size = 72;
	im->mem = keep(calloc(1, im->size));
	m = (float *)im->mem;
	m[0] = 0.5f;
	m[1] = 0.25f;
	for (i = 0; i < 16; i++)
		m[2 + i] = -1.0f;
	desc_compute(&d, 0, 4, 8);
	im->chain = encode(&d, 1, &im->len);
}

/*
 * Run @im on the device: its memory mapped read-write at @data_va, the
 * chain (relocated by @data_va) read-only at @chain_va, in context @ctx
 * on queue @q.  The job must complete OK, and every byte of the data must
 * equal what the engine the device computes on (the fast one, or the golden
 * one with golden_engine set) makes of a copy of the flat memory.
 * Returns the device's view of the data; *job (may be NULL) is the job.
 */
static uint8_t *run_image(uint64_t root, unsigned int ctx, unsigned int q,
			  const struct image *im, uint64_t data_va,
			  uint64_t chain_va, uint64_t seqno,
			  struct gconv_core_job *job)
{
	uint8_t *dev = map_new(root, data_va, im->size, PTE_RW);
	uint8_t *want = keep(malloc(im->size));
	void *chain = keep(aligned_alloc(8, (im->len + 7) / 8 * 8));
	struct gconv_verror err;
	struct gconv_hw_completion r;
	struct gconv_hw_job j;
	size_t i;

	memcpy(dev, im->mem, im->size);
	memcpy(want, im->mem, im->size);
	memcpy(chain, im->chain, im->len);
	relocate(chain, data_va);
	put_chain(root, chain_va, chain, im->len);
	if (F->c.golden_engine) {
		CHECK_EQ_INT(gconv_golden_run_chain(im->chain, im->len, want,
						    im->size, &err),
			     0);
	} else {
		const struct gconv_region flat = { 0, im->size, want, 1 };

		CHECK_EQ_INT(gconv_fast_run_chain_mapped(im->chain, im->len,
							 &flat, 1, &err),
			     0);
	}
	j = job_run(ctx, chain_va, im->len, seqno, 0);
	submit(q, &j);
	CHECK_EQ_U64(pump(job), 1);
	r = cpl(q);
	CHECK_EQ_U64(r.seqno, seqno);
	CHECK_EQ_U64(r.status, GCONV_HW_OK);
	CHECK_EQ_U64(r.info, 0);
	for (i = 0; i < im->size; i++)
		if (dev[i] != want[i])
			FAILF("data byte %zu: device 0x%02x, %s engine "
			      "0x%02x",
			      i, dev[i], F->c.golden_engine ? "golden" : "fast",
			      want[i]);
	return dev;
}

/* ---- data helpers -------------------------------------------------------- */

/* A page at @va, mapped @perm, holding the floats 1, 2, 3, ... */
static float *xbuf(uint64_t root, uint64_t va, uint64_t perm)
{
	float *x = map_new(root, va, PAGE, perm);
	size_t i;

	for (i = 0; i < PAGE / 4; i++)
		x[i] = (float)(i + 1);
	return x;
}

/* @pages pages at @va, mapped read-write, filled with 0x5a bytes. */
static float *obuf(uint64_t root, uint64_t va, uint64_t pages)
{
	float *o = map_new(root, va, pages * PAGE, PTE_RW);

	memset(o, 0x5a, pages * PAGE);
	return o;
}

static int untouched(const void *p, size_t len)
{
	const uint8_t *b = p;
	size_t i;

	for (i = 0; i < len; i++)
		if (b[i] != 0x5a)
			return 0;
	return 1;
}

static void check_affine_at(const float *o, const float *x, uint32_t n)
{
	uint32_t i;

	for (i = 0; i < n; i++)
		if (o[i] != 2 * x[i] + 1)
			FAILF("output %u is %g, want %g at subtest line %d", i,
			      (double)o[i], (double)(2 * x[i] + 1), call_line);
}

#define CHECK_AFFINE(o, x, n)                                             \
	do {                                                              \
		call_line = __LINE__;                                     \
		check_affine_at(o, x, n);                                 \
		call_line = 0;                                            \
	} while (0)

/* A one-descriptor chain O = 2 X + 1 over @n floats at VA_CHAIN. */
static size_t put_affine(uint64_t root, uint64_t x_va, uint64_t o_va,
			 uint32_t n)
{
	struct gconv_desc d;
	size_t len;
	void *chain;

	desc_affine(&d, x_va, o_va, n);
	chain = encode(&d, 1, &len);
	put_chain(root, VA_CHAIN, chain, len);
	return len;
}

/*
 * What a failed job must show (with every cause unmasked and ack_all()
 * done before it): the completion record, the latched FAULT_* registers,
 * STATUS.FAULTED, IRQ_STATUS.ERROR and exactly one vector, ERROR's.
 * @addr ANY skips FAULT_ADDR.
 */
static void expect_fault_at(unsigned int q, uint32_t ctx, uint64_t seqno,
			    uint32_t status, uint64_t addr, int write,
			    uint32_t info)
{
	struct gconv_hw_completion r = cpl(q);

	CHECK_EQ_U64(r.seqno, seqno);
	CHECK_EQ_U64(r.status, status);
	CHECK_EQ_U64(r.info, info);
	CHECK_EQ_U64(rd(GCONV_REG_FAULT_STATUS), status);
	CHECK_EQ_U64(rd(GCONV_REG_FAULT_QUEUE), q);
	CHECK_EQ_U64(rd(GCONV_REG_FAULT_CONTEXT), ctx);
	CHECK_EQ_U64(rd(GCONV_REG_FAULT_FLAGS),
		     write ? GCONV_FAULT_FLAG_WRITE : 0);
	if (addr != ANY)
		CHECK_EQ_U64(rd64(GCONV_REG_FAULT_ADDR_LO), addr);
	CHECK_EQ_U64(rd64(GCONV_REG_FAULT_SEQNO_LO), seqno);
	CHECK_EQ_U64(rd(GCONV_REG_FAULT_INFO), info);
	CHECK_EQ_U64(rd(GCONV_REG_STATUS) & GCONV_STATUS_FAULTED,
		     GCONV_STATUS_FAULTED);
	CHECK_EQ_U64(rd(GCONV_REG_IRQ_STATUS) & GCONV_IRQ_ERROR,
		     GCONV_IRQ_ERROR);
	CHECK_EQ_U64(F->nvec, 1);
	CHECK_EQ_U64(F->vec[0], ERRV);
}

#define EXPECT_FAULT(...)                                                 \
	do {                                                              \
		call_line = __LINE__;                                     \
		expect_fault_at(__VA_ARGS__);                             \
		call_line = 0;                                            \
	} while (0)

/* ==== identity and registers ============================================== */

TEST(identity_registers_have_spec_values)
{
	fx_new();
	CHECK_EQ_U64(GCONV_PCI_VENDOR_ID, 0x1234);
	CHECK_EQ_U64(GCONV_PCI_DEVICE_ID, 0x6763);
	CHECK_EQ_U64(GCONV_PCI_REVISION, 0x01);
	CHECK_EQ_U64(GCONV_BAR0_SIZE, 64 * 1024);

	CHECK_EQ_U64(rd(0x000), 0x56434347);
	CHECK_EQ_U64(rd(0x004), 0x00010000);
	CHECK_EQ_U64(rd(0x008), GCONV_ISA_VERSION_MAJOR << 16 |
				GCONV_ISA_VERSION_MINOR);
	/* FP32 and FAULT_INJECTION; TIMING only with a clock */
	CHECK_EQ_U64(rd(0x00C), 0x5);
	CHECK_EQ_U64(rd(0x010), 4);
	CHECK_EQ_U64(rd(0x014), 16);
	CHECK_EQ_U64(rd(0x018), 4096);
	CHECK_EQ_U64(rd(0x01C), 0x2);
	CHECK_EQ_U64(rd(0x020), 1u << 24);
	CHECK_EQ_U64(rd(0x024), 48);
	CHECK_EQ_U64(rd(0x028), 12);
	CHECK_EQ_U64(rd(0x02C), 4096);
	CHECK_EQ_U64(rd(0x030), 0);
	CHECK_EQ_U64(rd(0x034), 5);
	CHECK_EQ_U64(rd(0x038), 4u << 20);
	CHECK_EQ_U64(rd(0x03C), 256u << 20);
	/* power-on state */
	CHECK_EQ_U64(rd(GCONV_REG_CONTROL), 0);
	CHECK_EQ_U64(rd(GCONV_REG_STATUS), 0);
	CHECK_EQ_U64(rd(GCONV_REG_SCRATCH), 0);
	CHECK_EQ_U64(rd(GCONV_REG_IRQ_MASK), 0);
	CHECK_EQ_U64(F->nerr, 0);
}

TEST(lo_read_latches_hi)
{
	struct image im;
	struct gconv_hw_job j;
	uint64_t root = world(), v1, v2;

	/* COMPLETED_SEQNO: _HI after _LO is the value _LO latched */
	j = job_nop(0xaaaabbbb00000001ull, 0);
	run_on(0, &j);
	CHECK_EQ_U64(rd(QREG(0, GCONV_Q_COMPLETED_SEQNO_LO)), 1);
	j = job_nop(0x1111222200000002ull, 0);
	run_on(0, &j);
	CHECK_EQ_U64(rd(QREG(0, GCONV_Q_COMPLETED_SEQNO_HI)), 0xaaaabbbb);
	CHECK_EQ_U64(rd64(QREG(0, GCONV_Q_COMPLETED_SEQNO_LO)),
		     0x1111222200000002ull);

	/* a counter: BUSY_NS grows by more than 2^32 per RUN_CHAIN job */
	F->clock_step = 0x100000005ull;
	image_compute(&im);
	run_image(root, S_CTX, 1, &im, VA_DATA, VA_CHAIN, 1, NULL);
	v1 = rd64(GCONV_REG_BUSY_NS);
	CHECK(v1 >> 32);
	CHECK_EQ_U64(rd(GCONV_REG_BUSY_NS), (uint32_t)v1);
	j = job_run(S_CTX, VA_CHAIN, im.len, 2, 0);
	run_on(1, &j);
	CHECK_EQ_U64(rd(GCONV_REG_BUSY_NS + 4), v1 >> 32);
	v2 = rd64(GCONV_REG_BUSY_NS);
	CHECK((v2 >> 32) > (v1 >> 32));
	CHECK_EQ_U64(F->nerr, 0);
}

TEST(scratch_is_read_write)
{
	fx_new();
	CHECK_EQ_U64(rd(GCONV_REG_SCRATCH), 0);
	wr(GCONV_REG_SCRATCH, 0xdeadbeef);
	CHECK_EQ_U64(rd(GCONV_REG_SCRATCH), 0xdeadbeef);
	wr(GCONV_REG_SCRATCH, 0x12345678);
	CHECK_EQ_U64(rd(GCONV_REG_SCRATCH), 0x12345678);
	wr(GCONV_REG_SCRATCH, 0);
	CHECK_EQ_U64(rd(GCONV_REG_SCRATCH), 0);
	CHECK_EQ_U64(F->nerr, 0);
}

/* Every register the spec lists that can be read without side effects
 * other than the _LO latch (in _LO, _HI order). */
static unsigned int known_regs(uint32_t *regs)
{
	static const uint32_t ctl[] = {
		GCONV_REG_CONTROL, GCONV_REG_STATUS, GCONV_REG_SCRATCH,
		GCONV_REG_IRQ_STATUS, GCONV_REG_IRQ_MASK,
		GCONV_REG_FAULT_STATUS, GCONV_REG_FAULT_QUEUE,
		GCONV_REG_FAULT_CONTEXT, GCONV_REG_FAULT_FLAGS,
		GCONV_REG_FAULT_ADDR_LO, GCONV_REG_FAULT_ADDR_HI,
		GCONV_REG_FAULT_SEQNO_LO, GCONV_REG_FAULT_SEQNO_HI,
		GCONV_REG_FAULT_INFO,
	};
	static const uint32_t qr[] = {
		GCONV_Q_RING_BASE_LO, GCONV_Q_RING_BASE_HI, GCONV_Q_RING_SIZE,
		GCONV_Q_HEAD, GCONV_Q_TAIL, GCONV_Q_CPL_ADDR_LO,
		GCONV_Q_CPL_ADDR_HI, GCONV_Q_CONTROL, GCONV_Q_STATUS,
		GCONV_Q_COMPLETED_SEQNO_LO, GCONV_Q_COMPLETED_SEQNO_HI,
		GCONV_Q_JOBS,
	};
	unsigned int n = 0, i, k;
	uint32_t r;

	for (r = 0; r <= GCONV_REG_MAX_OPERAND_BYTES; r += 4)
		regs[n++] = r;
	for (i = 0; i < sizeof(ctl) / sizeof(ctl[0]); i++)
		regs[n++] = ctl[i];
	for (r = GCONV_REG_JOBS_COMPLETED; r < GCONV_REG_RESETS + 8; r += 4)
		regs[n++] = r;
	for (i = 0; i < GCONV_HW_NUM_CONTEXTS; i++)
		for (r = 0; r <= GCONV_CTX_CONTROL; r += 4)
			regs[n++] = CREG(i, r);
	for (i = 0; i < NQ; i++)
		for (k = 0; k < sizeof(qr) / sizeof(qr[0]); k++)
			regs[n++] = QREG(i, qr[k]);
	return n;
}

static void snapshot(uint32_t *vals)
{
	uint32_t regs[256];
	unsigned int n = known_regs(regs), i;

	for (i = 0; i < n; i++)
		vals[i] = rd(regs[i]);
}

TEST(readonly_and_unknown_writes_are_logged_and_ignored)
{
	static const uint32_t unknown[] = {
		0x04C, 0x058, 0x05C, 0x088, 0x0FC, 0x100, 0x1FC, 0x250, 0x3FC,
		0x40C, 0x4FC, 0x500, 0xFFC, 0x1034, 0x10FC, 0x13FC, 0x1400,
		0x2000, 0x8000, 0xFFFC,
	};
	static const uint32_t vals[] = { 0xffffffff, 0, 0x12345678 };
	uint32_t regs[256], before[256], after[256], ro[256];
	unsigned int nregs, nro = 0, i, k, v, e;
	struct gconv_hw_job j;

	world();
	/* some non-zero state: a completed job, a latched fault, scratch */
	j = job_nop(0x55, GCONV_JOB_F_IRQ);
	run_on(1, &j);
	j = job_run(S_CTX, VA_CHAIN, 576, 0x66, 0);
	run_on(1, &j);
	wr(GCONV_REG_SCRATCH, 0x5a5a);
	F->nerr = 0;

	nregs = known_regs(regs);
	for (i = 0; i < nregs; i++) {
		uint32_t r = regs[i];

		if (r < GCONV_REG_CONTROL || r == GCONV_REG_STATUS ||
		    (r >= GCONV_REG_FAULT_STATUS &&
		     r <= GCONV_REG_FAULT_SEQNO_HI) ||
		    r == GCONV_REG_FAULT_INFO ||
		    (r >= GCONV_REG_JOBS_COMPLETED && r < GCONV_REG_CTX_BASE))
			ro[nro++] = r;
		if (r >= GCONV_REG_QUEUE_BASE) {
			uint32_t qo = (r - GCONV_REG_QUEUE_BASE) %
				      GCONV_REG_QUEUE_STRIDE;

			if (qo == GCONV_Q_HEAD || qo == GCONV_Q_STATUS ||
			    qo == GCONV_Q_COMPLETED_SEQNO_LO ||
			    qo == GCONV_Q_COMPLETED_SEQNO_HI ||
			    qo == GCONV_Q_JOBS)
				ro[nro++] = r;
		}
	}
	CHECK(nro > 40);
	snapshot(before);
	CHECK_EQ_U64(F->nerr, 0);
	for (k = 0; k < nro + sizeof(unknown) / sizeof(unknown[0]); k++) {
		uint32_t off = k < nro ? ro[k] : unknown[k - nro];

		for (v = 0; v < sizeof(vals) / sizeof(vals[0]); v++) {
			e = F->nerr;
			CHECK_EQ_U64(wr(off, vals[v]), GCONV_CORE_RESET_DONE);
			if (F->nerr != e + 1)
				FAILF("write 0x%x to 0x%x: %u guest errors, "
				      "want 1", vals[v], off, F->nerr - e);
			snapshot(after);
			for (i = 0; i < nregs; i++)
				if (after[i] != before[i])
					FAILF("write 0x%x to 0x%x changed "
					      "register 0x%x: 0x%x -> 0x%x",
					      vals[v], off, regs[i], before[i],
					      after[i]);
		}
	}
	/* unknown offsets read 0 */
	for (k = 0; k < sizeof(unknown) / sizeof(unknown[0]); k++)
		CHECK_EQ_U64(rd(unknown[k]), 0);
	/* the device still works */
	j = job_nop(0x77, 0);
	CHECK_EQ_U64(run_on(1, &j).seqno, 0x77);
}

static void reserved_case(char *bad, size_t size, const char *name,
			  uint32_t off, uint32_t val, uint32_t readoff,
			  uint32_t want)
{
	unsigned int e = F->nerr;
	size_t used = strlen(bad);
	uint32_t got;

	wr(off, val);
	got = rd(readoff);
	if (F->nerr == e)
		snprintf(bad + used, size - used,
			 "%s: reserved bits 0x%x not logged; ", name, val);
	used = strlen(bad);
	if (got != want)
		snprintf(bad + used, size - used,
			 "%s: reads 0x%x after writing 0x%x, want 0x%x; ",
			 name, got, val, want);
}

TEST(reserved_bits_are_ignored_and_logged)
{
	char bad[2048] = "";
	uint32_t irq;

	world();
	/* latch a fault (unmapped chain) so ERROR and FAULT_* are set */
	go(576, 9);
	CHECK_EQ_U64(rd(GCONV_REG_FAULT_STATUS), GCONV_HW_MMU_FAULT);
	irq = rd(GCONV_REG_IRQ_STATUS);
	CHECK(irq & GCONV_IRQ_ERROR);
	wr(QREG(0, GCONV_Q_CONTROL), 0);
	F->nerr = 0;

	reserved_case(bad, sizeof(bad), "CONTROL", GCONV_REG_CONTROL,
		      0xfffffffd, GCONV_REG_CONTROL, GCONV_CONTROL_ENABLE);
	reserved_case(bad, sizeof(bad), "IRQ_MASK", GCONV_REG_IRQ_MASK,
		      0xffffffff, GCONV_REG_IRQ_MASK, GCONV_IRQ_ALL);
	reserved_case(bad, sizeof(bad), "CTX_CONTROL",
		      CREG(0, GCONV_CTX_CONTROL), 0xffffffff,
		      CREG(0, GCONV_CTX_CONTROL), GCONV_CTX_VALID);
	reserved_case(bad, sizeof(bad), "PT_ROOT_LO",
		      CREG(0, GCONV_CTX_PT_ROOT_LO), 0x00345fff,
		      CREG(0, GCONV_CTX_PT_ROOT_LO), 0x00345000);
	reserved_case(bad, sizeof(bad), "Q_CONTROL", QREG(0, GCONV_Q_CONTROL),
		      0xfffffffe, QREG(0, GCONV_Q_CONTROL), 0);
	/* W1C and WO registers: writing only reserved bits changes nothing */
	reserved_case(bad, sizeof(bad), "IRQ_STATUS", GCONV_REG_IRQ_STATUS,
		      0x7ffffff0, GCONV_REG_IRQ_STATUS, irq);
	reserved_case(bad, sizeof(bad), "FAULT_ACK", GCONV_REG_FAULT_ACK,
		      0xfffffffe, GCONV_REG_FAULT_STATUS, GCONV_HW_MMU_FAULT);
	if (*bad)
		FAILF("%s", bad);
}

TEST(tail_at_or_beyond_ring_size_is_ignored)
{
	unsigned int e;

	world();
	e = F->nerr;
	wr(QREG(0, GCONV_Q_TAIL), 8);
	CHECK_EQ_U64(F->nerr, e + 1);
	wr(QREG(0, GCONV_Q_TAIL), 0xffffffff);
	CHECK_EQ_U64(F->nerr, e + 2);
	CHECK_EQ_U64(rd(QREG(0, GCONV_Q_TAIL)), 0);
	CHECK_EQ_U64(pump(NULL), 0);
	/* in range: accepted; all-zero entries are NOPs with seqno 0 */
	wr(QREG(0, GCONV_Q_TAIL), 7);
	CHECK_EQ_U64(F->nerr, e + 2);
	CHECK_EQ_U64(rd(QREG(0, GCONV_Q_TAIL)), 7);
	CHECK_EQ_U64(pump(NULL), 7);
	CHECK_EQ_U64(rd(QREG(0, GCONV_Q_HEAD)), 7);
	CHECK_EQ_U64(rd(QREG(0, GCONV_Q_JOBS)), 7);
	CHECK_EQ_U64(cpl(0).status, GCONV_HW_OK);
}

TEST(ring_config_writes_while_enabled_are_ignored)
{
	static const uint32_t regs[] = {
		GCONV_Q_RING_BASE_LO, GCONV_Q_RING_BASE_HI, GCONV_Q_RING_SIZE,
		GCONV_Q_CPL_ADDR_LO, GCONV_Q_CPL_ADDR_HI,
	};
	struct gconv_hw_job j;
	unsigned int i, e;

	world();
	for (i = 0; i < sizeof(regs) / sizeof(regs[0]); i++) {
		uint32_t before = rd(QREG(0, regs[i]));

		e = F->nerr;
		wr(QREG(0, regs[i]), before ^ 0x00c0ffc0);
		CHECK_EQ_U64(F->nerr, e + 1);
		CHECK_EQ_U64(rd(QREG(0, regs[i])), before);
	}
	j = job_nop(0xabc, 0);
	CHECK_EQ_U64(run_on(0, &j).seqno, 0xabc);
}

TEST(enabling_a_queue_resets_head_and_tail)
{
	struct gconv_hw_job j = job_nop(1, 0);

	world();
	submit(0, &j);
	submit(0, &j);
	submit(0, &j);
	CHECK_EQ_U64(pump(NULL), 3);
	CHECK_EQ_U64(rd(QREG(0, GCONV_Q_HEAD)), 3);
	CHECK_EQ_U64(rd(QREG(0, GCONV_Q_TAIL)), 3);
	queue_restart(0);
	CHECK_EQ_U64(rd(QREG(0, GCONV_Q_HEAD)), 0);
	CHECK_EQ_U64(rd(QREG(0, GCONV_Q_TAIL)), 0);
	j = job_nop(2, 0);
	CHECK_EQ_U64(run_on(0, &j).seqno, 2);
	CHECK_EQ_U64(rd(QREG(0, GCONV_Q_HEAD)), 1);
}

TEST(bad_ring_config_stops_queue)
{
	struct {
		const char *what;
		uint64_t base_off;
		uint32_t size;
		uint64_t cpl_off;
	} bad[] = {
		{ "unaligned ring base", 32, 8, 0 },
		{ "ring base off by 8", 8, 8, 0 },
		{ "size not a power of two", 0, 6, 0 },
		{ "size 1", 0, 1, 0 },
		{ "size 0", 0, 0, 0 },
		{ "size above MAX_RING_ENTRIES", 0, 8192, 0 },
		{ "unaligned completion address", 0, 8, 8 },
	};
	uint64_t ring, cplpa;
	unsigned int i, q = 1;
	struct gconv_hw_job j;

	world();
	ring = pa_alloc(64ull * 4096);
	cplpa = pa_alloc(PAGE);
	wr(QREG(q, GCONV_Q_CONTROL), 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ack_all();
		queue_config(q, ring + bad[i].base_off, bad[i].size,
			     cplpa + bad[i].cpl_off);
		wr(QREG(q, GCONV_Q_CONTROL), GCONV_Q_ENABLE);
		if (rd(QREG(q, GCONV_Q_CONTROL)) & GCONV_Q_ENABLE)
			FAILF("%s: the queue was enabled", bad[i].what);
		if (!(rd(QREG(q, GCONV_Q_STATUS)) & GCONV_Q_STOPPED))
			FAILF("%s: Q_STATUS.STOPPED not set", bad[i].what);
		if (rd(GCONV_REG_FAULT_STATUS) != GCONV_HW_RING_CONFIG)
			FAILF("%s: FAULT_STATUS %u", bad[i].what,
			      rd(GCONV_REG_FAULT_STATUS));
		CHECK_EQ_U64(rd(GCONV_REG_FAULT_QUEUE), q);
		CHECK(rd(GCONV_REG_IRQ_STATUS) & GCONV_IRQ_ERROR);
		if (F->nvec != 1 || F->vec[0] != ERRV)
			FAILF("%s: %u vectors, want the ERROR vector",
			      bad[i].what, F->nvec);
		wr(QREG(q, GCONV_Q_CONTROL), 0);
	}
	/* masked: ERROR is set but no vector; unmasking sends it */
	ack_all();
	wr(GCONV_REG_IRQ_MASK, 0);
	queue_config(q, ring, 3, cplpa);
	wr(QREG(q, GCONV_Q_CONTROL), GCONV_Q_ENABLE);
	CHECK(rd(GCONV_REG_IRQ_STATUS) & GCONV_IRQ_ERROR);
	CHECK_EQ_U64(F->nvec, 0);
	wr(GCONV_REG_IRQ_MASK, GCONV_IRQ_ALL);
	CHECK_EQ_U64(F->nvec, 1);
	CHECK_EQ_U64(F->vec[0], ERRV);

	/* the limits are inclusive: 2 and 4096 entries enable */
	wr(QREG(q, GCONV_Q_CONTROL), 0);
	queue_config(q, ring, 2, cplpa);
	wr(QREG(q, GCONV_Q_CONTROL), GCONV_Q_ENABLE);
	CHECK_EQ_U64(rd(QREG(q, GCONV_Q_CONTROL)), GCONV_Q_ENABLE);
	CHECK_EQ_U64(rd(QREG(q, GCONV_Q_STATUS)) & GCONV_Q_STOPPED, 0);
	wr(QREG(q, GCONV_Q_CONTROL), 0);
	queue_config(q, ring, 4096, cplpa + 16);
	wr(QREG(q, GCONV_Q_CONTROL), GCONV_Q_ENABLE);
	CHECK_EQ_U64(rd(QREG(q, GCONV_Q_CONTROL)), GCONV_Q_ENABLE);
	CHECK_EQ_U64(rd(QREG(q, GCONV_Q_STATUS)) & GCONV_Q_STOPPED, 0);
	F->q[q].ring = ring;
	F->q[q].size = 4096;
	F->q[q].cpl = cplpa + 16;
	F->q[q].tail = 0;
	j = job_nop(0x4096, 0);
	CHECK_EQ_U64(run_on(q, &j).seqno, 0x4096);
}

/* ==== NOP jobs and interrupts ============================================= */

TEST(nop_completes_with_seqno)
{
	struct gconv_hw_completion r;
	struct gconv_hw_job j;

	world();
	j = job_nop(0x0123456789abcdefull, 0);
	submit(0, &j);
	CHECK_EQ_U64(rd(QREG(0, GCONV_Q_STATUS)), GCONV_Q_ACTIVE);
	CHECK_EQ_U64(pump(NULL), 1);
	r = cpl(0);
	CHECK_EQ_U64(r.seqno, 0x0123456789abcdefull);
	CHECK_EQ_U64(r.status, GCONV_HW_OK);
	CHECK_EQ_U64(r.info, 0);
	CHECK_EQ_U64(rd64(QREG(0, GCONV_Q_COMPLETED_SEQNO_LO)),
		     0x0123456789abcdefull);
	CHECK_EQ_U64(rd(QREG(0, GCONV_Q_JOBS)), 1);
	CHECK_EQ_U64(rd(QREG(0, GCONV_Q_STATUS)), 0);
	CHECK_EQ_U64(rd(GCONV_REG_IRQ_STATUS), 0);
	CHECK_EQ_U64(rd(GCONV_REG_STATUS), GCONV_STATUS_ENABLED);
	CHECK_EQ_U64(F->nvec, 0);
	CHECK_EQ_U64(F->nev, 2);
	CHECK_EQ_U64(F->ev[0].phase, 0);
	CHECK_EQ_U64(F->ev[1].phase, 1);
	CHECK_EQ_U64(F->ev[1].seqno, 0x0123456789abcdefull);
	CHECK_EQ_U64(rd64(GCONV_REG_JOBS_COMPLETED), 1);
	/* the record: one 16-byte DMA write, and nothing else written */
	CHECK_EQ_U64(F->writes, 1);
	CHECK_EQ_U64(F->bad_cpl_writes, 0);
	CHECK_EQ_U64(F->nerr, 0);
}

/* docs/hw-spec.md: context is "context whose address space the chain uses
 * (RUN_CHAIN)", and INVALID_JOB is "unknown opcode, unknown flags, non-zero
 * reserved fields, misaligned or oversized chain": a NOP does not use
 * context, chain_addr or chain_size, so values there do not make it
 * invalid. */
TEST(nop_ignores_run_chain_fields)
{
	struct gconv_hw_completion r;
	struct gconv_hw_job j;

	world();
	j = job_nop(7, 0);
	j.context = 3;
	j.chain_addr = 0x1000;
	j.chain_size = 64;
	r = run_on(0, &j);
	CHECK_EQ_U64(r.seqno, 7);
	CHECK_EQ_U64(r.status, GCONV_HW_OK);
}

TEST(irq_needs_job_flag_and_mask)
{
	struct gconv_hw_job j;

	world();
	/* no IRQ flag: no status bit, no vector */
	j = job_nop(1, 0);
	run_on(1, &j);
	CHECK_EQ_U64(rd(GCONV_REG_IRQ_STATUS), 0);
	CHECK_EQ_U64(F->nvec, 0);
	/* flag and mask: bit and vector q, sent after the record is written */
	j = job_nop(2, GCONV_JOB_F_IRQ);
	run_on(1, &j);
	CHECK_EQ_U64(rd(GCONV_REG_IRQ_STATUS), GCONV_IRQ_QUEUE(1));
	CHECK_EQ_U64(F->nvec, 1);
	CHECK_EQ_U64(F->vec[0], 1);
	CHECK_EQ_U64(F->cpl_at_vec[1], 2);
	/* the bit is still set: nothing more is sent */
	j = job_nop(3, GCONV_JOB_F_IRQ);
	run_on(1, &j);
	CHECK_EQ_U64(F->nvec, 1);
	/* another queue's bit is separate */
	j = job_nop(4, GCONV_JOB_F_IRQ);
	run_on(3, &j);
	CHECK_EQ_U64(rd(GCONV_REG_IRQ_STATUS),
		     GCONV_IRQ_QUEUE(1) | GCONV_IRQ_QUEUE(3));
	CHECK_EQ_U64(F->nvec, 2);
	CHECK_EQ_U64(F->vec[1], 3);
	CHECK_EQ_U64(F->cpl_at_vec[3], 4);
	CHECK_EQ_U64(F->bad_cpl_writes, 0);
	/* the flag with the bit masked: status bit only */
	wr(GCONV_REG_IRQ_STATUS, GCONV_IRQ_ALL);
	wr(GCONV_REG_IRQ_MASK, GCONV_IRQ_ALL & ~GCONV_IRQ_QUEUE(0));
	F->nvec = 0;
	j = job_nop(5, GCONV_JOB_F_IRQ);
	run_on(0, &j);
	CHECK_EQ_U64(rd(GCONV_REG_IRQ_STATUS), GCONV_IRQ_QUEUE(0));
	CHECK_EQ_U64(F->nvec, 0);
	CHECK_EQ_U64(F->nerr, 0);
}

TEST(masked_cause_sent_when_unmasked)
{
	struct gconv_hw_job j;

	world();
	wr(GCONV_REG_IRQ_MASK, 0);
	j = job_nop(1, GCONV_JOB_F_IRQ);
	run_on(2, &j);
	go(576, 2);		/* unmapped chain: ERROR */
	CHECK_EQ_U64(rd(GCONV_REG_IRQ_STATUS),
		     GCONV_IRQ_QUEUE(2) | GCONV_IRQ_ERROR);
	CHECK_EQ_U64(F->nvec, 0);
	wr(GCONV_REG_IRQ_MASK, GCONV_IRQ_QUEUE(2));
	CHECK_EQ_U64(F->nvec, 1);
	CHECK_EQ_U64(F->vec[0], 2);
	/* re-writing the same mask sends nothing */
	wr(GCONV_REG_IRQ_MASK, GCONV_IRQ_QUEUE(2));
	CHECK_EQ_U64(F->nvec, 1);
	wr(GCONV_REG_IRQ_MASK, GCONV_IRQ_QUEUE(2) | GCONV_IRQ_ERROR);
	CHECK_EQ_U64(F->nvec, 2);
	CHECK_EQ_U64(F->vec[1], ERRV);
	/* unmasking keeps the status bits */
	CHECK_EQ_U64(rd(GCONV_REG_IRQ_STATUS),
		     GCONV_IRQ_QUEUE(2) | GCONV_IRQ_ERROR);
	/* a bit unmasked while clear sends nothing */
	wr(GCONV_REG_IRQ_MASK, GCONV_IRQ_ALL);
	CHECK_EQ_U64(F->nvec, 2);
}

TEST(irq_status_is_write_1_to_clear)
{
	struct gconv_hw_job j;
	unsigned int q;

	world();
	for (q = 0; q < NQ; q++) {
		j = job_nop(q, GCONV_JOB_F_IRQ);
		run_on(q, &j);
	}
	CHECK_EQ_U64(rd(GCONV_REG_IRQ_STATUS), 0xf);
	wr(GCONV_REG_IRQ_STATUS, 0);
	CHECK_EQ_U64(rd(GCONV_REG_IRQ_STATUS), 0xf);
	wr(GCONV_REG_IRQ_STATUS, GCONV_IRQ_QUEUE(1) | GCONV_IRQ_ERROR);
	CHECK_EQ_U64(rd(GCONV_REG_IRQ_STATUS), 0xd);
	wr(GCONV_REG_IRQ_STATUS, 0xd);
	CHECK_EQ_U64(rd(GCONV_REG_IRQ_STATUS), 0);
	/* cleared, a completion sends the vector again */
	F->nvec = 0;
	j = job_nop(9, GCONV_JOB_F_IRQ);
	run_on(1, &j);
	CHECK_EQ_U64(F->nvec, 1);
	CHECK_EQ_U64(F->vec[0], 1);
}

TEST(disabled_device_or_queue_runs_nothing)
{
	struct gconv_hw_job j = job_nop(1, 0);
	unsigned int kicks;

	world();
	wr(GCONV_REG_CONTROL, 0);
	submit(0, &j);
	CHECK_EQ_U64(pump(NULL), 0);
	CHECK_EQ_U64(rd(GCONV_REG_STATUS) & GCONV_STATUS_ENABLED, 0);
	CHECK_EQ_U64(rd(QREG(0, GCONV_Q_STATUS)), GCONV_Q_ACTIVE);
	kicks = F->kicks;
	wr(GCONV_REG_CONTROL, GCONV_CONTROL_ENABLE);
	CHECK(F->kicks > kicks);
	CHECK_EQ_U64(pump(NULL), 1);
	/* a queue disabled with an entry pending runs nothing; enabling
	 * it again forgets the entry (HEAD = TAIL = 0) */
	submit(1, &j);
	wr(QREG(1, GCONV_Q_CONTROL), 0);
	CHECK_EQ_U64(pump(NULL), 0);
	queue_restart(1);
	CHECK_EQ_U64(pump(NULL), 0);
	/* the doorbell kicks the executor */
	kicks = F->kicks;
	submit(1, &j);
	CHECK(F->kicks > kicks);
	CHECK_EQ_U64(pump(NULL), 1);
}

/* ==== RUN_CHAIN against the engines ======================================= */

TEST(run_chain_conv3x3_matches_the_engines)
{
	struct image im;
	uint64_t root = world();

	image_conv3x3(&im, 123);
	run_image(root, S_CTX, S_Q, &im, VA_DATA, VA_CHAIN, 0x99, NULL);
	CHECK_EQ_U64(rd64(GCONV_REG_GCONVS), 1);
	CHECK_EQ_U64(rd64(GCONV_REG_MACS), CONV_MACS);
	CHECK_EQ_U64(F->nerr, 0);

	/* the same in another context, with a different queue */
	image_conv3x3(&im, 456);
	root = ctx_new(11);
	run_image(root, 11, 0, &im, VA_DATA2, VA_CHAIN2, 0x9a, NULL);

	/* golden-engine=1: the golden engine's bytes; kept over a reset */
	F->c.golden_engine = 1;
	image_conv3x3(&im, 789);
	run_image(root, 11, 0, &im, VA_DATA2, VA_CHAIN2, 0x9b, NULL);
	CHECK_EQ_U64(wr(GCONV_REG_CONTROL, GCONV_CONTROL_RESET),
		     GCONV_CORE_RESET_DONE);
	CHECK_EQ_U64(F->c.golden_engine, 1);
	F->c.golden_engine = 0;
}

TEST(run_chain_sample_network_matches_the_engine)
{
	struct sample_params prm;
	float in[SAMPLE_IN], ref[SAMPLE_CLASSES];
	unsigned long long s = 4242;
	size_t in_off, out_off, i;
	struct image im;
	uint64_t root = world();
	uint8_t *dev;
	float *mem;
	void *chain;

	sample_params_random(&prm, 11);
	CHECK_EQ_INT(sample_chain_build(&prm, &chain, &im.len, &mem, &im.size,
					&in_off, &out_off), 0);
	im.chain = keep(chain);
	im.mem = keep(mem);
	for (i = 0; i < SAMPLE_IN; i++)
		in[i] = harness_randf(&s);
	memcpy(im.mem + in_off, in, sizeof(in));
	/* 4.3 KiB of data: it spans two pages */
	dev = run_image(root, S_CTX, S_Q, &im, VA_DATA, VA_CHAIN, 8, NULL);
	sample_reference(&prm, in, ref);
	CHECK_ARRAY_NEAR((const float *)(dev + out_off), ref, SAMPLE_CLASSES,
			 1e-5, 1e-6);
	CHECK_EQ_U64(rd64(GCONV_REG_GCONVS), 8);
	CHECK_EQ_U64(rd64(GCONV_REG_MACS), chain_macs(im.chain));
	CHECK_EQ_U64(F->nerr, 0);
}

/* ==== counters ============================================================ */

TEST(counters_after_jobs)
{
	struct image conv, comp;
	struct gconv_hw_job j;
	uint64_t root = world(), cycles, t0;

	t0 = F->clock;
	image_conv3x3(&conv, 1);
	run_image(root, S_CTX, S_Q, &conv, VA_DATA, VA_CHAIN, 1, NULL);
	CHECK_EQ_U64(rd64(GCONV_REG_JOBS_COMPLETED), 1);
	CHECK_EQ_U64(rd64(GCONV_REG_GCONVS), 1);
	CHECK_EQ_U64(rd64(GCONV_REG_MACS), CONV_MACS);
	CHECK(rd64(GCONV_REG_BYTES_READ) >= CONV_READ);
	CHECK(rd64(GCONV_REG_BYTES_WRITTEN) >= CONV_WRITTEN);
	/* the cost model's cycles for the chain */
	cycles = rd64(GCONV_REG_MODELED_CYCLES);
	CHECK_EQ_U64(cycles, model_cycles(&conv));

	image_compute(&comp);
	run_image(root, S_CTX, S_Q, &comp, VA_DATA2, VA_CHAIN2, 2, NULL);
	CHECK_EQ_U64(rd64(GCONV_REG_MODELED_CYCLES) - cycles,
		     model_cycles(&comp));
	CHECK(model_cycles(&comp) >= COMPUTE_MIN_CYCLES);
	CHECK_EQ_U64(rd64(GCONV_REG_GCONVS), 2);
	CHECK_EQ_U64(rd64(GCONV_REG_MACS), CONV_MACS + COMPUTE_MACS);

	j = job_nop(3, 0);
	run_on(S_Q, &j);
	/* a context that is not valid */
	j = job_run(S_CTX + 1, VA_CHAIN, conv.len, 4, 0);
	CHECK_EQ_U64(run_on(S_Q, &j).status, GCONV_HW_BAD_CONTEXT);

	CHECK_EQ_U64(rd64(GCONV_REG_JOBS_COMPLETED), 3);
	CHECK_EQ_U64(rd64(GCONV_REG_JOBS_FAILED), 1);
	CHECK_EQ_U64(rd64(GCONV_REG_GCONVS), 2);
	CHECK_EQ_U64(rd64(GCONV_REG_FAULTS), 1);
	CHECK_EQ_U64(rd64(GCONV_REG_RESETS), 0);
	CHECK_EQ_U64(rd(QREG(S_Q, GCONV_Q_JOBS)), 4);
	CHECK(rd64(GCONV_REG_BUSY_NS) > 0);
	CHECK(rd64(GCONV_REG_BUSY_NS) <= F->clock - t0);
}

/* BYTES_READ counts "operand and chain bytes read by DMA", BYTES_WRITTEN
 * "operand bytes written": X, Y, B and O read over their spans (step 2 of
 * "Execution of RUN_CHAIN"), O written.  MODELED_CYCLES is the cost
 * model's, whatever the emulator moved. */
TEST(bytes_counters_count_chain_and_operand_bytes)
{
	struct image conv;
	uint64_t root = world();

	image_conv3x3(&conv, 2);
	run_image(root, S_CTX, S_Q, &conv, VA_DATA, VA_CHAIN, 1, NULL);
	CHECK_EQ_U64(rd64(GCONV_REG_BYTES_WRITTEN), CONV_WRITTEN);
	CHECK_EQ_U64(rd64(GCONV_REG_BYTES_READ), CONV_READ);
	CHECK_EQ_U64(rd64(GCONV_REG_MODELED_CYCLES), model_cycles(&conv));
}

/* ==== queues ============================================================== */

static void check_starts(const unsigned int *want, unsigned int n)
{
	unsigned int i, k = 0;

	for (i = 0; i < F->nev && i < MAX_EVENTS; i++) {
		if (F->ev[i].phase)
			continue;
		if (k >= n)
			FAILF("more job starts than the %u expected", n);
		if (F->ev[i].queue != want[k])
			FAILF("start %u was on queue %u, want queue %u at "
			      "subtest line %d", k, F->ev[i].queue, want[k],
			      call_line);
		k++;
	}
	if (k != n)
		FAILF("%u job starts, want %u", k, n);
}

#define CHECK_STARTS(...)                                                 \
	do {                                                              \
		static const unsigned int w_[] = { __VA_ARGS__ };         \
		call_line = __LINE__;                                     \
		check_starts(w_, sizeof(w_) / sizeof(w_[0]));             \
		call_line = 0;                                            \
	} while (0)

TEST(queues_served_round_robin)
{
	struct gconv_hw_job j;
	unsigned int q, i;

	world();
	for (q = 0; q < NQ; q++)
		for (i = 0; i < 3; i++) {
			j = job_nop(q * 100 + i, 0);
			submit(q, &j);
		}
	F->nev = 0;
	CHECK_EQ_U64(pump(NULL), 12);
	CHECK_STARTS(0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3);

	/* serving continues after the last queue served */
	j = job_nop(1, 0);
	submit(2, &j);
	CHECK_EQ_U64(pump(NULL), 1);
	submit(0, &j);
	submit(1, &j);
	submit(3, &j);
	F->nev = 0;
	CHECK_EQ_U64(pump(NULL), 3);
	CHECK_STARTS(3, 0, 1);

	/* empty queues are skipped, one job per queue per turn */
	submit(0, &j);
	submit(0, &j);
	submit(2, &j);
	submit(2, &j);
	F->nev = 0;
	CHECK_EQ_U64(pump(NULL), 4);
	CHECK_STARTS(2, 0, 2, 0);
}

TEST(completions_in_order_on_one_queue)
{
	static const uint32_t want_status[] = {
		GCONV_HW_OK, GCONV_HW_OK, GCONV_HW_BAD_CONTEXT, GCONV_HW_OK,
		GCONV_HW_MMU_FAULT, GCONV_HW_OK,
	};
	struct image im;
	struct gconv_hw_job j;
	uint64_t root = world();
	unsigned int i, k = 0;

	image_conv3x3(&im, 3);
	run_image(root, S_CTX, 1, &im, VA_DATA, VA_CHAIN, 0, NULL);
	F->nev = 0;
	j = job_run(S_CTX, VA_CHAIN, im.len, 1, 0);
	submit(1, &j);
	j = job_nop(2, 0);
	submit(1, &j);
	j = job_run(9, VA_CHAIN, im.len, 3, 0);
	submit(1, &j);
	j = job_nop(4, 0);
	submit(1, &j);
	j = job_run(S_CTX, VA_CHAIN2, im.len, 5, 0);
	submit(1, &j);
	j = job_run(S_CTX, VA_CHAIN, im.len, 6, 0);
	submit(1, &j);
	CHECK_EQ_U64(pump(NULL), 6);
	for (i = 0; i < F->nev; i++) {
		if (F->ev[i].phase != 1)
			continue;
		CHECK_EQ_U64(F->ev[i].queue, 1);
		CHECK_EQ_U64(F->ev[i].seqno, k + 1);
		CHECK_EQ_U64(F->ev[i].status, want_status[k]);
		k++;
	}
	CHECK_EQ_U64(k, 6);
	CHECK_EQ_U64(rd64(QREG(1, GCONV_Q_COMPLETED_SEQNO_LO)), 6);
	CHECK_EQ_U64(rd(QREG(1, GCONV_Q_JOBS)), 7);
	CHECK_EQ_U64(cpl(1).seqno, 6);
}

TEST(ring_wraps_around)
{
	uint64_t root = world();
	struct gconv_hw_job j;
	unsigned int i, k = 0, seq = 0;
	float *x, *o;
	size_t len;

	ring_new(0, 4);
	x = xbuf(root, VA_X, PTE_RO);
	o = obuf(root, VA_O, 1);
	len = put_affine(root, VA_X, VA_O, 16);
	F->nev = 0;
	while (seq < 20) {
		unsigned int batch = 1 + seq % 3;

		for (i = 0; i < batch && seq < 20; i++) {
			seq++;
			j = seq % 2 ? job_nop(seq, 0) :
				      job_run(S_CTX, VA_CHAIN, len, seq, 0);
			submit(0, &j);
		}
		pump(NULL);
		CHECK_EQ_U64(cpl(0).seqno, seq);
		CHECK_EQ_U64(cpl(0).status, GCONV_HW_OK);
	}
	for (i = 0; i < F->nev; i++) {
		if (F->ev[i].phase != 1)
			continue;
		CHECK_EQ_U64(F->ev[i].seqno, k + 1);
		CHECK_EQ_U64(F->ev[i].status, GCONV_HW_OK);
		k++;
	}
	CHECK_EQ_U64(k, 20);
	CHECK_EQ_U64(rd(QREG(0, GCONV_Q_JOBS)), 20);
	CHECK_EQ_U64(rd(QREG(0, GCONV_Q_HEAD)), 20 % 4);
	CHECK_EQ_U64(rd64(QREG(0, GCONV_Q_COMPLETED_SEQNO_LO)), 20);
	CHECK_AFFINE(o, x, 16);
}

TEST(device_never_reads_past_tail)
{
	struct gconv_hw_job j;
	unsigned int i;

	world();
	ring_new(0, 4);
	for (i = 0; i < 4; i++) {
		j = job_nop(i + 1, 0);
		write_entry(0, i, &j);
	}
	/* nothing submitted: nothing read */
	F->watch_pa = F->q[0].ring;
	F->watch_len = 4 * 64;
	CHECK_EQ_U64(pump(NULL), 0);
	CHECK_EQ_U64(F->watch_reads, 0);
	/* full ring: (TAIL + 1) % SIZE == HEAD: three entries, and the
	 * fourth is never read */
	wr(QREG(0, GCONV_Q_TAIL), 3);
	F->watch_pa = F->q[0].ring + 3 * 64;
	F->watch_len = 64;
	CHECK_EQ_U64(pump(NULL), 3);
	CHECK_EQ_U64(F->watch_reads, 0);
	CHECK_EQ_U64(cpl(0).seqno, 3);
	CHECK_EQ_U64(rd(QREG(0, GCONV_Q_HEAD)), 3);
	CHECK_EQ_U64(rd(QREG(0, GCONV_Q_STATUS)), 0);
	/* TAIL wraps to 0: the fourth entry runs */
	wr(QREG(0, GCONV_Q_TAIL), 0);
	CHECK_EQ_U64(pump(NULL), 1);
	CHECK_EQ_U64(F->watch_reads, 1);
	CHECK_EQ_U64(cpl(0).seqno, 4);
	CHECK_EQ_U64(rd(QREG(0, GCONV_Q_HEAD)), 0);
}

/* ==== MMU faults ========================================================== */

TEST(mmu_fault_unmapped_chain)
{
	uint64_t root = world();
	float *o = obuf(root, VA_O, 1);

	xbuf(root, VA_X, PTE_RO);
	ack_all();
	go(576, 0x1234);	/* nothing at VA_CHAIN */
	EXPECT_FAULT(S_Q, S_CTX, 0x1234, GCONV_HW_MMU_FAULT, VA_CHAIN, 0, 0);
	CHECK(untouched(o, PAGE));
	CHECK_EQ_U64(rd64(GCONV_REG_JOBS_FAILED), 1);
	CHECK_EQ_U64(rd64(GCONV_REG_FAULTS), 1);
}

TEST(mmu_fault_unmapped_operand)
{
	uint64_t root = world();
	float *o = obuf(root, VA_O, 1);
	size_t len = put_affine(root, VA_X + 0x40, VA_O, 8);

	ack_all();
	go(len, 5);
	EXPECT_FAULT(S_Q, S_CTX, 5, GCONV_HW_MMU_FAULT, VA_X + 0x40, 0, 0);
	CHECK(untouched(o, PAGE));
}

TEST(mmu_fault_read_only_output_writes_nothing)
{
	uint64_t root = world();
	float *x = xbuf(root, VA_X, PTE_RO);
	float *o = obuf(root, VA_O, 2);
	size_t len;

	/* O: 4 floats at the end of a writable page, 4 in a read-only one */
	map_page(root, VA_O + PAGE, pa_of(o) + PAGE, PTE_RO);
	len = put_affine(root, VA_X, VA_O + PAGE - 16, 8);
	ack_all();
	go(len, 6);
	EXPECT_FAULT(S_Q, S_CTX, 6, GCONV_HW_MMU_FAULT, VA_O + PAGE, 1, 0);
	CHECK(untouched(o, 2 * PAGE));
	CHECK_EQ_U64(rd64(GCONV_REG_BYTES_WRITTEN), 0);
	CHECK_EQ_U64(rd64(GCONV_REG_GCONVS), 0);
	/* made writable, the same job completes */
	map_page(root, VA_O + PAGE, pa_of(o) + PAGE, PTE_RW);
	ack_all();
	CHECK_EQ_U64(go(len, 7).status, GCONV_HW_OK);
	CHECK_AFFINE(o + PAGE / 4 - 4, x, 8);
}

TEST(mmu_fault_va_beyond_48_bits)
{
	uint64_t root = world();
	float *o = obuf(root, VA_O, 1);
	struct gconv_hw_job j;
	size_t len;

	len = put_affine(root, 0xffff800000001000ull, VA_O, 8);
	ack_all();
	go(len, 8);
	EXPECT_FAULT(S_Q, S_CTX, 8, GCONV_HW_MMU_FAULT, 0xffff800000001000ull,
		     0, 0);
	CHECK_EQ_U64(rd(GCONV_REG_FAULT_ADDR_LO), 0x1000);
	CHECK_EQ_U64(rd(GCONV_REG_FAULT_ADDR_HI), 0xffff8000);
	CHECK(untouched(o, PAGE));
	/* the chain itself at 2^48 */
	ack_all();
	j = job_run(S_CTX, 1ull << 48, len, 9, 0);
	run_on(S_Q, &j);
	EXPECT_FAULT(S_Q, S_CTX, 9, GCONV_HW_MMU_FAULT, 1ull << 48, 0, 0);
}

TEST(mmu_fault_pte_reserved_bits)
{
	static const struct {
		int level;
		uint64_t bits;
	} bad[] = {
		{ 0, 1ull << 3 }, { 0, 1ull << 11 }, { 0, 1ull << 52 },
		{ 0, 1ull << 63 }, { 1, 1ull << 5 }, { 2, 1ull << 60 },
		{ 3, 1ull << 8 },
	};
	uint64_t root = world();
	float *x = xbuf(root, VA_X, PTE_RO);
	float *o = obuf(root, VA_O, 1);
	size_t len = put_affine(root, VA_X, VA_O, 8);
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint64_t *e = pt_slot(root, VA_X, bad[i].level), saved = *e;

		*e |= bad[i].bits;
		ack_all();
		go(len, 10 + i);
		EXPECT_FAULT(S_Q, S_CTX, 10 + i, GCONV_HW_MMU_FAULT, VA_X, 0,
			     0);
		CHECK(untouched(o, PAGE));
		*e = saved;
	}
	/* permission bits in non-leaf entries are ignored */
	*pt_slot(root, VA_X, 2) &= ~(GCONV_PTE_READ | GCONV_PTE_WRITE);
	*pt_slot(root, VA_X, 1) |= GCONV_PTE_READ | GCONV_PTE_WRITE;
	ack_all();
	CHECK_EQ_U64(go(len, 99).status, GCONV_HW_OK);
	CHECK_AFFINE(o, x, 8);
}

TEST(mmu_fault_input_without_read)
{
	uint64_t root = world();
	float *x = xbuf(root, VA_X, PTE_RO);
	float *o = obuf(root, VA_O, 1);
	size_t len = put_affine(root, VA_X, VA_O, 8);

	map_page(root, VA_X, pa_of(x), GCONV_PTE_WRITE);
	ack_all();
	go(len, 1);
	EXPECT_FAULT(S_Q, S_CTX, 1, GCONV_HW_MMU_FAULT, VA_X, 0, 0);
	CHECK(untouched(o, PAGE));
	/* an invalid leaf */
	map_page(root, VA_X, pa_of(x), PTE_RO);
	*pt_slot(root, VA_X, 0) &= ~GCONV_PTE_VALID;
	ack_all();
	go(len, 2);
	EXPECT_FAULT(S_Q, S_CTX, 2, GCONV_HW_MMU_FAULT, VA_X, 0, 0);
	/* the output needs READ as well as WRITE: it is read first */
	map_page(root, VA_X, pa_of(x), PTE_RO);
	map_page(root, VA_O, pa_of(o), GCONV_PTE_WRITE);
	ack_all();
	go(len, 3);
	EXPECT_FAULT(S_Q, S_CTX, 3, GCONV_HW_MMU_FAULT, VA_O, 0, 0);
	CHECK(untouched(o, PAGE));
	/* the chain needs READ */
	map_page(root, VA_O, pa_of(o), PTE_RW);
	*pt_slot(root, VA_CHAIN, 0) &= ~GCONV_PTE_READ;
	ack_all();
	go(len, 4);
	EXPECT_FAULT(S_Q, S_CTX, 4, GCONV_HW_MMU_FAULT, VA_CHAIN, 0, 0);
}

TEST(second_fault_sets_overflow_and_ack_clears)
{
	struct gconv_hw_job j;

	world();
	ack_all();
	go(576, 1);		/* MMU fault */
	EXPECT_FAULT(S_Q, S_CTX, 1, GCONV_HW_MMU_FAULT, VA_CHAIN, 0, 0);
	j = job_run(7, VA_CHAIN, 576, 2, 0);	/* BAD_CONTEXT, queue 0 */
	run_on(0, &j);
	CHECK_EQ_U64(cpl(0).status, GCONV_HW_BAD_CONTEXT);
	CHECK_EQ_U64(cpl(0).seqno, 2);
	/* the first fault stays latched, OVERFLOW says there was more */
	CHECK_EQ_U64(rd(GCONV_REG_FAULT_STATUS), GCONV_HW_MMU_FAULT);
	CHECK_EQ_U64(rd(GCONV_REG_FAULT_QUEUE), S_Q);
	CHECK_EQ_U64(rd(GCONV_REG_FAULT_CONTEXT), S_CTX);
	CHECK_EQ_U64(rd64(GCONV_REG_FAULT_SEQNO_LO), 1);
	CHECK_EQ_U64(rd64(GCONV_REG_FAULT_ADDR_LO), VA_CHAIN);
	CHECK_EQ_U64(rd(GCONV_REG_FAULT_FLAGS), GCONV_FAULT_FLAG_OVERFLOW);
	CHECK_EQ_U64(rd64(GCONV_REG_FAULTS), 2);
	CHECK_EQ_U64(F->nvec, 1);	/* ERROR was still set */
	/* writing 0 acknowledges nothing */
	wr(GCONV_REG_FAULT_ACK, 0);
	CHECK_EQ_U64(rd(GCONV_REG_FAULT_STATUS), GCONV_HW_MMU_FAULT);
	wr(GCONV_REG_FAULT_ACK, 1);
	CHECK_EQ_U64(rd(GCONV_REG_FAULT_STATUS), 0);
	CHECK_EQ_U64(rd(GCONV_REG_FAULT_QUEUE), 0);
	CHECK_EQ_U64(rd(GCONV_REG_FAULT_CONTEXT), 0);
	CHECK_EQ_U64(rd(GCONV_REG_FAULT_FLAGS), 0);
	CHECK_EQ_U64(rd64(GCONV_REG_FAULT_ADDR_LO), 0);
	CHECK_EQ_U64(rd64(GCONV_REG_FAULT_SEQNO_LO), 0);
	CHECK_EQ_U64(rd(GCONV_REG_FAULT_INFO), 0);
	CHECK_EQ_U64(rd(GCONV_REG_STATUS) & GCONV_STATUS_FAULTED, 0);
	/* the next fault latches afresh, without OVERFLOW */
	ack_all();
	j = job_run(7, VA_CHAIN, 576, 3, 0);
	run_on(0, &j);
	EXPECT_FAULT(0, 7, 3, GCONV_HW_BAD_CONTEXT, ANY, 0, 0);
}

/* ==== DMA errors and ring errors ========================================== */

TEST(dma_error_page_table_outside_memory)
{
	uint64_t root = world(), outside = 0x40000000ull;
	float *o = obuf(root, VA_O, 1);
	size_t len;

	xbuf(root, VA_X, PTE_RO);
	len = put_affine(root, VA_X, VA_O, 8);
	/* the root itself outside memory */
	ctx_point(S_CTX, outside);
	ack_all();
	go(len, 1);
	EXPECT_FAULT(S_Q, S_CTX, 1, GCONV_HW_DMA_ERROR,
		     outside + 8 * GCONV_PT_INDEX(VA_CHAIN, 3), 0, 0);
	/* a level-2 table outside memory, met on X's walk */
	ctx_point(S_CTX, root);
	*pte_at(root, GCONV_PT_INDEX(VA_X, 3)) = outside | GCONV_PTE_VALID;
	ack_all();
	go(len, 2);
	EXPECT_FAULT(S_Q, S_CTX, 2, GCONV_HW_DMA_ERROR,
		     outside + 8 * GCONV_PT_INDEX(VA_X, 2), 0, 0);
	CHECK(untouched(o, PAGE));
}

TEST(dma_error_operand_read_and_write)
{
	uint64_t root = world();
	float *x = xbuf(root, VA_X, PTE_RO);
	float *o = obuf(root, VA_O, 1);
	size_t len = put_affine(root, VA_X, VA_O, 8);

	F->fail_pa = pa_of(x);
	F->fail_len = 4;
	F->fail_rw = FAIL_READ;
	ack_all();
	go(len, 1);
	EXPECT_FAULT(S_Q, S_CTX, 1, GCONV_HW_DMA_ERROR, pa_of(x), 0, 0);
	CHECK(untouched(o, PAGE));
	F->fail_pa = pa_of(o);
	F->fail_rw = FAIL_WRITE;
	ack_all();
	go(len, 2);
	EXPECT_FAULT(S_Q, S_CTX, 2, GCONV_HW_DMA_ERROR, pa_of(o), 1, 0);
	CHECK(untouched(o, PAGE));
	F->fail_len = 0;
	ack_all();
	CHECK_EQ_U64(go(len, 3).status, GCONV_HW_OK);
	CHECK_AFFINE(o, x, 8);
}

TEST(ring_entry_unreadable_stops_queue)
{
	struct gconv_hw_job j = job_nop(1, 0);

	world();
	F->fail_pa = F->q[S_Q].ring;
	F->fail_len = 64;
	F->fail_rw = FAIL_READ;
	submit(S_Q, &j);
	j.seqno = 2;
	submit(0, &j);
	CHECK_EQ_U64(pump(NULL), 1);	/* queue 0 still works */
	CHECK_EQ_U64(cpl(0).seqno, 2);
	CHECK(cpl_untouched(S_Q));
	CHECK_EQ_U64(rd(QREG(S_Q, GCONV_Q_STATUS)) & GCONV_Q_STOPPED,
		     GCONV_Q_STOPPED);
	CHECK_EQ_U64(rd(GCONV_REG_FAULT_STATUS), GCONV_HW_RING_DMA);
	CHECK_EQ_U64(rd(GCONV_REG_FAULT_QUEUE), S_Q);
	CHECK_EQ_U64(rd64(GCONV_REG_FAULT_ADDR_LO), F->q[S_Q].ring);
	CHECK(rd(GCONV_REG_IRQ_STATUS) & GCONV_IRQ_ERROR);
	CHECK_EQ_U64(F->nvec, 1);
	CHECK_EQ_U64(F->vec[0], ERRV);
	/* readable again, the queue stays stopped... */
	F->fail_len = 0;
	wr(QREG(S_Q, GCONV_Q_DOORBELL), 1);
	CHECK_EQ_U64(pump(NULL), 0);
	CHECK(rd(QREG(S_Q, GCONV_Q_STATUS)) & GCONV_Q_STOPPED);
	/* ...until disabled and enabled again */
	ack_all();
	queue_restart(S_Q);
	CHECK_EQ_U64(rd(QREG(S_Q, GCONV_Q_STATUS)), 0);
	j.seqno = 3;
	CHECK_EQ_U64(run_on(S_Q, &j).seqno, 3);
	CHECK_EQ_U64(cpl(S_Q).status, GCONV_HW_OK);
}

TEST(completion_unwritable_stops_queue)
{
	struct gconv_hw_job j = job_nop(1, 0);

	world();
	F->fail_pa = F->q[S_Q].cpl;
	F->fail_len = 16;
	F->fail_rw = FAIL_WRITE;
	submit(S_Q, &j);
	j.seqno = 2;
	submit(S_Q, &j);
	CHECK_EQ_U64(pump(NULL), 1);	/* the second is not taken */
	CHECK(cpl_untouched(S_Q));
	CHECK(rd(QREG(S_Q, GCONV_Q_STATUS)) & GCONV_Q_STOPPED);
	CHECK_EQ_U64(rd(GCONV_REG_FAULT_STATUS), GCONV_HW_RING_DMA);
	CHECK_EQ_U64(rd(GCONV_REG_FAULT_QUEUE), S_Q);
	CHECK_EQ_U64(rd(GCONV_REG_FAULT_FLAGS), GCONV_FAULT_FLAG_WRITE);
	CHECK_EQ_U64(rd64(GCONV_REG_FAULT_ADDR_LO), F->q[S_Q].cpl);
	CHECK(rd(GCONV_REG_IRQ_STATUS) & GCONV_IRQ_ERROR);
	CHECK_EQ_U64(F->nvec, 1);
	CHECK_EQ_U64(F->vec[0], ERRV);
	F->fail_len = 0;
	ack_all();
	queue_restart(S_Q);
	j.seqno = 3;
	CHECK_EQ_U64(run_on(S_Q, &j).seqno, 3);
}

TEST(bus_master_off_fails_dma)
{
	uint64_t root = world();
	float *x = xbuf(root, VA_X, PTE_RO);
	float *o = obuf(root, VA_O, 1);
	size_t len = put_affine(root, VA_X, VA_O, 8);
	struct gconv_hw_job j = job_run(S_CTX, VA_CHAIN, len, 1, 0);

	F->bus_master = 0;
	submit(S_Q, &j);
	CHECK_EQ_U64(pump(NULL), 0);
	CHECK(rd(QREG(S_Q, GCONV_Q_STATUS)) & GCONV_Q_STOPPED);
	CHECK_EQ_U64(rd(GCONV_REG_FAULT_STATUS), GCONV_HW_RING_DMA);
	CHECK(F->writes == 0);
	CHECK(untouched(o, PAGE));
	F->bus_master = 1;
	ack_all();
	queue_restart(S_Q);
	CHECK_EQ_U64(go(len, 2).status, GCONV_HW_OK);
	CHECK_AFFINE(o, x, 8);
}

/* ==== malformed jobs and chains =========================================== */

TEST(malformed_jobs_are_invalid_job)
{
	uint64_t root = world();
	float *o = obuf(root, VA_O, 1);
	size_t len;
	struct gconv_hw_job good, j[16];
	unsigned int i, n = 0;

	xbuf(root, VA_X, PTE_RO);
	len = put_affine(root, VA_X, VA_O, 8);
	good = job_run(S_CTX, VA_CHAIN, len, 0, 0);
#define BAD(field, v)                                                     \
	do {                                                              \
		j[n] = good;                                              \
		j[n++].field = (v);                                       \
	} while (0)
	BAD(opcode, 2);
	BAD(opcode, 0xffffffff);
	BAD(flags, 2);
	BAD(flags, 0x80000000);
	BAD(reserved0, 1);
	BAD(reserved[0], 1);
	BAD(reserved[1], 1ull << 63);
	BAD(reserved[2], 0x100);
	BAD(chain_addr, VA_CHAIN + 4);
	BAD(chain_addr, VA_CHAIN + 1);
	BAD(chain_size, 0);
	BAD(chain_size, GCONV_HW_MAX_CHAIN_BYTES + 1);
	BAD(chain_size, 1ull << 63);
#undef BAD
	good = job_nop(0, 0);
	j[n] = good;
	j[n++].flags = 4;
	j[n] = good;
	j[n++].reserved[2] = 1;
	for (i = 0; i < n; i++) {
		ack_all();
		j[i].seqno = 100 + i;
		run_on(S_Q, &j[i]);
		if (cpl(S_Q).status != GCONV_HW_INVALID_JOB)
			FAILF("malformed entry %u: status %u, want "
			      "INVALID_JOB", i, cpl(S_Q).status);
		EXPECT_FAULT(S_Q, j[i].context, 100 + i, GCONV_HW_INVALID_JOB,
			     ANY, 0, 0);
		CHECK(untouched(o, PAGE));
	}
	ack_all();
	CHECK_EQ_U64(go(len, 200).status, GCONV_HW_OK);
}

TEST(chain_size_limit_is_inclusive)
{
	uint64_t root = world();
	float *x = xbuf(root, VA_X, PTE_RO);
	float *o = obuf(root, VA_O, 1);
	size_t len = put_affine(root, VA_X, VA_O, 8);

	/* MAX_CHAIN_BYTES is allowed: the device reads the whole chain,
	 * and the second page is not mapped */
	ack_all();
	go(GCONV_HW_MAX_CHAIN_BYTES, 1);
	EXPECT_FAULT(S_Q, S_CTX, 1, GCONV_HW_MMU_FAULT, VA_CHAIN + PAGE, 0, 0);
	CHECK(untouched(o, PAGE));
	/* a chain_size past the chain's total_size is fine */
	ack_all();
	CHECK_EQ_U64(go(len + 64, 2).status, GCONV_HW_OK);
	CHECK_AFFINE(o, x, 8);
}

TEST(bad_context)
{
	uint64_t root = world();
	float *o = obuf(root, VA_O, 1);
	size_t len;
	struct gconv_hw_job j;
	static const uint32_t ctxs[] = { 16, 17, 0xffffffff, 5, S_CTX };
	unsigned int i;

	xbuf(root, VA_X, PTE_RO);
	len = put_affine(root, VA_X, VA_O, 8);
	/* context 5 never valid; S_CTX made invalid with its tables intact */
	wr(CREG(S_CTX, GCONV_CTX_CONTROL), 0);
	for (i = 0; i < sizeof(ctxs) / sizeof(ctxs[0]); i++) {
		ack_all();
		j = job_run(ctxs[i], VA_CHAIN, len, 50 + i, 0);
		run_on(S_Q, &j);
		EXPECT_FAULT(S_Q, ctxs[i], 50 + i, GCONV_HW_BAD_CONTEXT, ANY,
			     0, 0);
		CHECK(untouched(o, PAGE));
	}
	wr(CREG(S_CTX, GCONV_CTX_CONTROL), GCONV_CTX_VALID);
	ack_all();
	CHECK_EQ_U64(go(len, 60).status, GCONV_HW_OK);
}

/* @n (<= 4) descriptors O_i = 2 X_i + 1 over 8 floats, X_i in the page at
 * VA_X + i pages, O_i in the page at VA_O + i pages. */
static void *chain_n(size_t *len, unsigned int n)
{
	struct gconv_desc d[4];
	unsigned int i;

	for (i = 0; i < n && i < 4; i++)
		desc_affine(&d[i], VA_X + i * PAGE, VA_O + i * PAGE, 8);
	return encode(d, n, len);
}

TEST(invalid_chain_bad_magic_writes_nothing)
{
	uint64_t root = world();
	float *o = obuf(root, VA_O, 3);
	struct gconv_chain_header *h;
	size_t len;
	void *chain;

	map_new(root, VA_X, 3 * PAGE, PTE_RO);
	chain = chain_n(&len, 3);
	h = chain;
	h->magic ^= 1;
	put_chain(root, VA_CHAIN, chain, len);
	ack_all();
	go(len, 1);
	/* a chain-level error names no descriptor: desc is
	 * GCONV_VERR_NO_DESC, so info is (0xffffffff << 8) | code */
	EXPECT_FAULT(S_Q, S_CTX, 1, GCONV_HW_INVALID_CHAIN, ANY, 0,
		     (uint32_t)(GCONV_VERR_NO_DESC << 8) |
			     GCONV_VERR_BAD_MAGIC);
	CHECK(untouched(o, 3 * PAGE));
	CHECK_EQ_U64(rd64(GCONV_REG_GCONVS), 0);
	CHECK_EQ_U64(rd64(GCONV_REG_BYTES_WRITTEN), 0);

	/* more descriptors than MAX_CHAIN_LEN (the device's own limit; the
	 * software engine's is larger) */
	h->magic ^= 1;
	h->count = GCONV_HW_MAX_CHAIN_LEN + 1;
	put_chain(root, VA_CHAIN2, chain, len);
	ack_all();
	{
		struct gconv_hw_job j = job_run(S_CTX, VA_CHAIN2, len, 2, 0);

		run_on(S_Q, &j);
	}
	EXPECT_FAULT(S_Q, S_CTX, 2, GCONV_HW_INVALID_CHAIN, ANY, 0,
		     (uint32_t)(GCONV_VERR_NO_DESC << 8) | GCONV_VERR_COUNT);
	CHECK(untouched(o, 3 * PAGE));
}

TEST(invalid_chain_reports_descriptor_and_code)
{
	uint64_t root = world();
	float *o = obuf(root, VA_O, 3);
	size_t len;
	void *chain;

	map_new(root, VA_X, 3 * PAGE, PTE_RO);
	/* descriptor 2 reads one element past X's extent */
	chain = chain_n(&len, 3);
	chain_desc(chain, 2)->x.extent = 7;
	put_chain(root, VA_CHAIN, chain, len);
	ack_all();
	go(len, 1);
	EXPECT_FAULT(S_Q, S_CTX, 1, GCONV_HW_INVALID_CHAIN, ANY, 0,
		     2u << 8 | GCONV_VERR_OUT_OF_EXTENT);
	CHECK(untouched(o, 3 * PAGE));

	/* descriptor 1 uses a type the device lacks (DTYPES = f32) */
	chain = chain_n(&len, 3);
	chain_desc(chain, 1)->x.dtype = GCONV_DTYPE_F16;
	put_chain(root, VA_CHAIN2, chain, len);
	ack_all();
	{
		struct gconv_hw_job j = job_run(S_CTX, VA_CHAIN2, len, 2, 0);

		run_on(S_Q, &j);
	}
	EXPECT_FAULT(S_Q, S_CTX, 2, GCONV_HW_INVALID_CHAIN, ANY, 0,
		     1u << 8 | GCONV_VERR_DTYPE_UNSUPPORTED);
	CHECK(untouched(o, 3 * PAGE));
	CHECK_EQ_U64(rd64(GCONV_REG_GCONVS), 0);
}

TEST(fault_in_descriptor_2_keeps_earlier_outputs)
{
	uint64_t root = world();
	float *x = map_new(root, VA_X, 4 * PAGE, PTE_RO);
	float *o = obuf(root, VA_O, 4);
	size_t len, i;
	void *chain;

	for (i = 0; i < 4 * PAGE / 4; i++)
		x[i] = (float)i;
	map_page(root, VA_O + 2 * PAGE, pa_of(o) + 2 * PAGE, PTE_RO);
	chain = chain_n(&len, 4);
	put_chain(root, VA_CHAIN, chain, len);
	ack_all();
	go(len, 1);
	EXPECT_FAULT(S_Q, S_CTX, 1, GCONV_HW_MMU_FAULT, VA_O + 2 * PAGE, 1, 2);
	CHECK_AFFINE(o, x, 8);
	CHECK_AFFINE(o + PAGE / 4, x + PAGE / 4, 8);
	CHECK(untouched(o + 2 * PAGE / 4, 2 * PAGE));
	CHECK_EQ_U64(rd64(GCONV_REG_GCONVS), 2);
}

/* Map @npages virtual pages from @va all onto the one physical page @pa. */
static void map_alias(uint64_t root, uint64_t va, uint64_t npages, uint64_t pa)
{
	uint64_t i;

	for (i = 0; i < npages; i++)
		map_page(root, va + i * PAGE, pa, PTE_RO);
}

TEST(operand_span_above_max_is_engine_error)
{
	uint64_t root = world(), max_el = GCONV_HW_MAX_OPERAND_BYTES / 4;
	float *x = xbuf(root, VA_X, PTE_RO);
	float *o = obuf(root, VA_O, 2);
	struct gconv_desc d[2];
	float *big = map_new(root, VA_DATA, PAGE, PTE_RO);
	size_t len;
	void *chain;

	big[0] = 3;
	/* the whole span is mapped, cheaply: one physical page */
	map_alias(root, VA_BIG, max_el / 1024 + 1, pa_of(big));
	desc_affine(&d[0], VA_X, VA_O, 8);
	desc_affine(&d[1], VA_BIG, VA_O + PAGE, 8);
	d[1].x.extent = max_el + 1024;		/* MAX + 4 KiB */
	chain = encode(d, 2, &len);
	put_chain(root, VA_CHAIN, chain, len);
	ack_all();
	go(len, 1);
	EXPECT_FAULT(S_Q, S_CTX, 1, GCONV_HW_ENGINE_ERROR, ANY, 0, 1);
	CHECK_AFFINE(o, x, 8);
	CHECK(untouched(o + PAGE / 4, PAGE));
	/* just above the limit */
	chain_desc(chain, 1)->x.extent = max_el + 1;
	put_chain(root, VA_CHAIN2, chain, len);
	ack_all();
	{
		struct gconv_hw_job j = job_run(S_CTX, VA_CHAIN2, len, 2, 0);

		run_on(S_Q, &j);
	}
	EXPECT_FAULT(S_Q, S_CTX, 2, GCONV_HW_ENGINE_ERROR, ANY, 0, 1);
	CHECK(untouched(o + PAGE / 4, PAGE));
}

TEST(operand_span_at_max_is_accepted)
{
	uint64_t root = world(), max_el = GCONV_HW_MAX_OPERAND_BYTES / 4;
	float *o = obuf(root, VA_O, 1);
	float *big = map_new(root, VA_DATA, PAGE, PTE_RO);
	struct gconv_desc d;
	size_t len, i;
	void *chain;

	for (i = 0; i < PAGE / 4; i++)
		big[i] = 3;
	map_alias(root, VA_BIG, max_el / 1024, pa_of(big));
	desc_affine(&d, VA_BIG, VA_O, 8);
	d.x.extent = max_el;			/* exactly 256 MiB */
	chain = encode(&d, 1, &len);
	put_chain(root, VA_CHAIN, chain, len);
	ack_all();
	CHECK_EQ_U64(go(len, 1).status, GCONV_HW_OK);
	for (i = 0; i < 8; i++)
		CHECK_EQ_INT(o[i], 7);
}

TEST(in_place_operands_read_before_write)
{
	struct gconv_desc d[2];
	struct image im;
	uint64_t root = world();
	float *dev, *m;
	int i;

	/* 0: O[q] = X[q] + X[q + 1] with O one element past X, over the
	 *    same memory; 1: element-wise 2x + 1 exactly in place */
	gconv_desc_init(&d[0]);
	d[0].q = 8, d[0].s = 2, d[0].in_w = 9;
	d[0].main = GCONV_MAIN_TAKE_X;
	gconv_operand_f32(&d[0].x, 0, 9, 0, 0, 0, 0, 0, 1);
	gconv_operand_f32(&d[0].o, 4, 8, 0, 0, 0, 0, 0, 1);
	desc_affine(&d[1], 64, 64, 8);
	im.size = 128;
	im.mem = keep(calloc(1, im.size));
	m = (float *)im.mem;
	for (i = 0; i < 32; i++)
		m[i] = (float)(1 << (i % 9));
	im.chain = encode(d, 2, &im.len);
	dev = (float *)run_image(root, S_CTX, S_Q, &im, VA_DATA, VA_CHAIN, 1,
				 NULL);
	/* reads before writes: a shift-and-add of the old values */
	CHECK_EQ_INT(dev[0], 1);
	for (i = 0; i < 8; i++)
		CHECK_EQ_INT(dev[i + 1], (1 << i) + (1 << (i + 1)));
	for (i = 0; i < 8; i++)
		CHECK_EQ_INT(dev[16 + i], 2 * (1 << ((16 + i) % 9)) + 1);
}

TEST(output_bytes_between_strided_elements_are_preserved)
{
	struct gconv_desc d;
	struct image im;
	uint64_t root = world();
	float *dev;
	int i;

	/* O written at every other element of its span: the device reads
	 * the whole span and writes it back, the odd elements unchanged */
	desc_affine(&d, 0, 32, 8);
	d.o.extent = 15;
	d.o.stride[GCONV_SLOT_K] = 2;
	im.size = 32 + 60;
	im.mem = keep(calloc(1, im.size));
	for (i = 0; i < 23; i++)
		((float *)im.mem)[i] = (float)(100 + i);
	im.chain = encode(&d, 1, &im.len);
	dev = (float *)run_image(root, S_CTX, S_Q, &im, VA_DATA, VA_CHAIN, 1,
				 NULL);
	for (i = 0; i < 15; i++)
		CHECK_EQ_INT(dev[8 + i],
			     i % 2 ? 108 + i : 2 * (100 + i / 2) + 1);
}

/* ==== fault injection ===================================================== */

TEST(inject_hang)
{
	uint64_t root = world();
	float *x = xbuf(root, VA_X, PTE_RO);
	float *o = obuf(root, VA_O, 1);
	size_t len = put_affine(root, VA_X, VA_O, 8);
	struct gconv_hw_job j;

	F->c.inject_hang = 2;
	j = job_run(S_CTX, VA_CHAIN, len, 1, GCONV_JOB_F_IRQ);
	submit(0, &j);
	j = job_nop(2, 0);
	submit(0, &j);
	j = job_run(S_CTX, VA_CHAIN, len, 11, 0);
	submit(1, &j);
	j = job_run(S_CTX, VA_CHAIN, len, 31, 0);
	submit(3, &j);
	F->nev = 0;
	/* q0's and q1's jobs hang (the count runs out), q3's completes;
	 * q0's NOP waits behind its hung job */
	CHECK_EQ_U64(pump(NULL), 3);
	CHECK_EQ_U64(F->c.inject_hang, 0);
	CHECK(cpl_untouched(0));
	CHECK(cpl_untouched(1));
	CHECK_EQ_U64(cpl(3).seqno, 31);
	CHECK_EQ_U64(cpl(3).status, GCONV_HW_OK);
	CHECK_EQ_U64(rd(QREG(0, GCONV_Q_STATUS)), GCONV_Q_ACTIVE);
	CHECK_EQ_U64(rd(QREG(1, GCONV_Q_STATUS)), GCONV_Q_ACTIVE);
	CHECK_EQ_U64(rd64(QREG(0, GCONV_Q_COMPLETED_SEQNO_LO)), 0);
	CHECK_EQ_U64(rd(GCONV_REG_IRQ_STATUS) & GCONV_IRQ_QUEUE(0), 0);
	CHECK_EQ_U64(pump(NULL), 0);
	/* other queues keep working, the hung ones stay hung */
	j = job_nop(21, 0);
	CHECK_EQ_U64(run_on(2, &j).seqno, 21);
	CHECK_EQ_U64(pump(NULL), 0);
	CHECK(cpl_untouched(0));
	/* reset ends the hang */
	CHECK_EQ_U64(wr(GCONV_REG_CONTROL, GCONV_CONTROL_RESET),
		     GCONV_CORE_RESET_DONE);
	CHECK_EQ_U64(rd(QREG(0, GCONV_Q_STATUS)), 0);
	CHECK_EQ_U64(rd(GCONV_REG_STATUS), 0);
	wr(GCONV_REG_CONTROL, GCONV_CONTROL_ENABLE);
	ctx_point(S_CTX, root);
	ring_new(0, 8);
	memset(o, 0x5a, PAGE);
	j = job_run(S_CTX, VA_CHAIN, len, 41, 0);
	CHECK_EQ_U64(run_on(0, &j).status, GCONV_HW_OK);
	CHECK_EQ_U64(cpl(0).seqno, 41);
	CHECK_AFFINE(o, x, 8);
}

/* inject-mmu-fault / inject-dma-error: the next N RUN_CHAIN jobs fail
 * (NOPs do not count), then jobs run again. */
static void check_inject_fail(size_t knob_off, uint32_t status)
{
	uint64_t root = world();
	float *x = xbuf(root, VA_X, PTE_RO);
	float *o = obuf(root, VA_O, 1);
	size_t len = put_affine(root, VA_X, VA_O, 8);
	uint32_t *knob = (uint32_t *)((uint8_t *)&F->c + knob_off);
	struct gconv_hw_job j;

	*knob = 2;
	ack_all();
	go(len, 1);
	EXPECT_FAULT(S_Q, S_CTX, 1, status,
		     status == GCONV_HW_MMU_FAULT ? VA_CHAIN : ANY, 0, 0);
	CHECK_EQ_U64(*knob, 1);
	CHECK(untouched(o, PAGE));
	ack_all();
	j = job_nop(2, 0);
	CHECK_EQ_U64(run_on(S_Q, &j).status, GCONV_HW_OK);
	CHECK_EQ_U64(*knob, 1);
	go(len, 3);
	EXPECT_FAULT(S_Q, S_CTX, 3, status,
		     status == GCONV_HW_MMU_FAULT ? VA_CHAIN : ANY, 0, 0);
	CHECK_EQ_U64(*knob, 0);
	CHECK(untouched(o, PAGE));
	ack_all();
	CHECK_EQ_U64(go(len, 4).status, GCONV_HW_OK);
	CHECK_AFFINE(o, x, 8);
}

TEST(inject_mmu_fault)
{
	check_inject_fail(offsetof(struct gconv_core, inject_mmu_fault),
			  GCONV_HW_MMU_FAULT);
}

TEST(inject_dma_error)
{
	check_inject_fail(offsetof(struct gconv_core, inject_dma_error),
			  GCONV_HW_DMA_ERROR);
}

TEST(inject_bad_completion)
{
	uint64_t root = world();
	float *x = xbuf(root, VA_X, PTE_RO);
	float *o = obuf(root, VA_O, 1);
	size_t len = put_affine(root, VA_X, VA_O, 8);
	struct gconv_hw_job j;

	F->c.inject_bad_completion = 1;
	j = job_nop(1, 0);
	CHECK_EQ_U64(run_on(S_Q, &j).seqno, 1);
	CHECK_EQ_U64(F->c.inject_bad_completion, 1);
	CHECK_EQ_U64(go(len, 0x1234).seqno, ~0x1234ull);
	CHECK_EQ_U64(cpl(S_Q).status, GCONV_HW_OK);
	CHECK_AFFINE(o, x, 8);			/* the job did run */
	CHECK_EQ_U64(F->c.inject_bad_completion, 0);
	CHECK_EQ_U64(go(len, 0x1235).seqno, 0x1235);
	CHECK_EQ_U64(cpl(S_Q).status, GCONV_HW_OK);
}

/*
 * inject-context: with it set to a context slot, every injection waits
 * for a RUN_CHAIN job of that context.  Jobs of other contexts (on the
 * same and other queues, before and after) run normally and leave the
 * count alone; the first job of the chosen context takes it.  Contexts A
 * and B map the same VAs to their own pages.
 */
#define CTX_A		S_CTX
#define CTX_B		9

enum inject_kind { INJ_HANG, INJ_MMU, INJ_DMA, INJ_BADCPL };

static uint32_t *inject_knob(enum inject_kind k)
{
	switch (k) {
	case INJ_HANG:
		return &F->c.inject_hang;
	case INJ_MMU:
		return &F->c.inject_mmu_fault;
	case INJ_DMA:
		return &F->c.inject_dma_error;
	case INJ_BADCPL:
		break;
	}
	return &F->c.inject_bad_completion;
}

static void check_inject_context(enum inject_kind kind)
{
	uint64_t ra = world(), rb = ctx_new(CTX_B);
	float *xa = xbuf(ra, VA_X, PTE_RO), *oa = obuf(ra, VA_O, 1);
	float *xb = xbuf(rb, VA_X, PTE_RO), *ob = obuf(rb, VA_O, 1);
	size_t len = put_affine(ra, VA_X, VA_O, 8);
	uint32_t *knob = inject_knob(kind);
	struct gconv_hw_completion r;
	struct gconv_hw_job j;
	unsigned int q;

	put_affine(rb, VA_X, VA_O, 8);
	for (q = 0; q < PAGE / 4; q++)
		xb[q] = -(float)q;		/* B's data differs from A's */
	CHECK_EQ_U64(F->c.inject_context, GCONV_CORE_ANY_CONTEXT);
	F->c.inject_context = CTX_B;
	*knob = 1;
	/* A's jobs on every queue: all OK, the count untouched */
	for (q = 0; q < NQ; q++) {
		memset(oa, 0x5a, PAGE);
		j = job_run(CTX_A, VA_CHAIN, len, 100 + q, 0);
		r = run_on(q, &j);
		CHECK_EQ_U64(r.seqno, 100 + q);
		CHECK_EQ_U64(r.status, GCONV_HW_OK);
		CHECK_AFFINE(oa, xa, 8);
		CHECK_EQ_U64(*knob, 1);
	}
	CHECK(untouched(ob, PAGE));
	/* a NOP does not take it either */
	j = job_nop(200, 0);
	CHECK_EQ_U64(run_on(1, &j).status, GCONV_HW_OK);
	CHECK_EQ_U64(*knob, 1);
	/* A on queue 0, B on S_Q, A on queue 3, one pump: only B's job is hit */
	memset(oa, 0x5a, PAGE);
	ack_all();
	j = job_run(CTX_A, VA_CHAIN, len, 1, 0);
	submit(0, &j);
	j = job_run(CTX_B, VA_CHAIN, len, 2, 0);
	submit(S_Q, &j);
	j = job_run(CTX_A, VA_CHAIN, len, 3, 0);
	submit(3, &j);
	CHECK_EQ_U64(pump(NULL), 3);
	CHECK_EQ_U64(*knob, 0);
	CHECK_EQ_U64(cpl(0).seqno, 1);
	CHECK_EQ_U64(cpl(0).status, GCONV_HW_OK);
	CHECK_EQ_U64(cpl(3).seqno, 3);
	CHECK_EQ_U64(cpl(3).status, GCONV_HW_OK);
	CHECK_AFFINE(oa, xa, 8);
	switch (kind) {
	case INJ_HANG:
		/* no new completion on S_Q: still A's from the loop above */
		CHECK_EQ_U64(cpl(S_Q).seqno, 100 + S_Q);
		CHECK_EQ_U64(rd(QREG(S_Q, GCONV_Q_STATUS)), GCONV_Q_ACTIVE);
		CHECK(untouched(ob, PAGE));
		/* the other queues go on serving A */
		memset(oa, 0x5a, PAGE);
		j = job_run(CTX_A, VA_CHAIN, len, 4, 0);
		CHECK_EQ_U64(run_on(1, &j).status, GCONV_HW_OK);
		CHECK_AFFINE(oa, xa, 8);
		CHECK_EQ_U64(pump(NULL), 0);
		CHECK_EQ_U64(cpl(S_Q).seqno, 100 + S_Q);
		CHECK(untouched(ob, PAGE));
		return;
	case INJ_MMU:
		EXPECT_FAULT(S_Q, CTX_B, 2, GCONV_HW_MMU_FAULT, VA_CHAIN, 0, 0);
		CHECK(untouched(ob, PAGE));
		break;
	case INJ_DMA:
		EXPECT_FAULT(S_Q, CTX_B, 2, GCONV_HW_DMA_ERROR, ANY, 0, 0);
		CHECK(untouched(ob, PAGE));
		break;
	case INJ_BADCPL:
		CHECK_EQ_U64(cpl(S_Q).seqno, ~2ull);
		CHECK_EQ_U64(cpl(S_Q).status, GCONV_HW_OK);
		CHECK_AFFINE(ob, xb, 8);	/* it did run */
		break;
	}
	/* the count is spent: B's next job runs normally */
	ack_all();
	memset(ob, 0x5a, PAGE);
	j = job_run(CTX_B, VA_CHAIN, len, 5, 0);
	r = run_on(S_Q, &j);
	CHECK_EQ_U64(r.seqno, 5);
	CHECK_EQ_U64(r.status, GCONV_HW_OK);
	CHECK_AFFINE(ob, xb, 8);
}

TEST(inject_context_hang_hits_only_its_context)
{
	check_inject_context(INJ_HANG);
}

TEST(inject_context_mmu_fault_hits_only_its_context)
{
	check_inject_context(INJ_MMU);
}

TEST(inject_context_dma_error_hits_only_its_context)
{
	check_inject_context(INJ_DMA);
}

TEST(inject_context_bad_completion_hits_only_its_context)
{
	check_inject_context(INJ_BADCPL);
}

/* Back to any context: the next job of any context takes the count; and
 * a reset keeps the knob (it is a property, like the counts). */
TEST(inject_context_any_and_reset)
{
	uint64_t root = world();
	size_t len;
	struct gconv_hw_job j;

	xbuf(root, VA_X, PTE_RO);
	obuf(root, VA_O, 1);
	len = put_affine(root, VA_X, VA_O, 8);
	F->c.inject_context = CTX_B;
	CHECK_EQ_U64(wr(GCONV_REG_CONTROL, GCONV_CONTROL_RESET),
		     GCONV_CORE_RESET_DONE);
	CHECK_EQ_U64(F->c.inject_context, CTX_B);
	wr(GCONV_REG_CONTROL, GCONV_CONTROL_ENABLE);
	wr(GCONV_REG_IRQ_MASK, GCONV_IRQ_ALL);
	ctx_point(S_CTX, root);
	ring_new(S_Q, 8);
	F->c.inject_mmu_fault = 1;
	CHECK_EQ_U64(go(len, 1).status, GCONV_HW_OK);
	CHECK_EQ_U64(F->c.inject_mmu_fault, 1);
	F->c.inject_context = GCONV_CORE_ANY_CONTEXT;
	ack_all();
	j = job_run(S_CTX, VA_CHAIN, len, 2, 0);
	CHECK_EQ_U64(run_on(S_Q, &j).status, GCONV_HW_MMU_FAULT);
	CHECK_EQ_U64(F->c.inject_mmu_fault, 0);
}

/*
 * Q_PROGRESS: one unit per page the engine reads or writes and one per
 * GCONV finished, per queue.  A job moves only its own queue's counter,
 * by at least chain page + X pages + O pages + descriptors; the counter
 * moves while the job runs (read from inside its DMA); a NOP and a hung
 * job do not move it.
 */
TEST(q_progress_counts_work_while_a_job_runs)
{
	uint64_t root = world();
	float *x = map_new(root, VA_X, 4 * PAGE, PTE_RO);
	float *o = obuf(root, VA_O, 4);
	uint32_t before[NQ], p0, p1, d1, d4;
	struct gconv_core_job job;
	struct gconv_hw_job j;
	struct gconv_desc d;
	size_t len, len1, i;
	unsigned int q;
	void *chain;

	for (i = 0; i < 4 * PAGE / 4; i++)
		x[i] = (float)i;
	for (q = 0; q < NQ; q++)
		before[q] = rd(QREG(q, GCONV_Q_PROGRESS));
	/* one descriptor over one page of X and O */
	len1 = put_affine(root, VA_X, VA_O, 8);
	CHECK_EQ_U64(go(len1, 1).status, GCONV_HW_OK);
	CHECK_AFFINE(o, x, 8);
	d1 = rd(QREG(S_Q, GCONV_Q_PROGRESS)) - before[S_Q];
	if (d1 < 4)
		FAILF("Q_PROGRESS after a 1-page job grew by %u, want >= 4 "
		      "(chain, X and O pages, one GCONV)", d1);
	for (q = 0; q < NQ; q++)
		if (q != S_Q)
			CHECK_EQ_U64(rd(QREG(q, GCONV_Q_PROGRESS)), before[q]);
	/* four pages of X and O */
	p0 = rd(QREG(S_Q, GCONV_Q_PROGRESS));
	desc_affine(&d, VA_X, VA_O, 4 * PAGE / 4);
	chain = encode(&d, 1, &len);
	put_chain(root, VA_CHAIN2, chain, len);
	j = job_run(S_CTX, VA_CHAIN2, len, 2, 0);
	CHECK_EQ_U64(run_on(S_Q, &j).status, GCONV_HW_OK);
	CHECK_AFFINE(o, x, 4 * PAGE / 4);
	d4 = rd(QREG(S_Q, GCONV_Q_PROGRESS)) - p0;
	if (d4 < 10 || d4 <= d1)
		FAILF("Q_PROGRESS after a 4-page job grew by %u (1-page job: "
		      "%u), want >= 10 and more than the small job", d4, d1);
	/* a NOP is no work */
	p0 = rd(QREG(S_Q, GCONV_Q_PROGRESS));
	j = job_nop(3, 0);
	CHECK_EQ_U64(run_on(S_Q, &j).status, GCONV_HW_OK);
	CHECK_EQ_U64(rd(QREG(S_Q, GCONV_Q_PROGRESS)), p0);
	/* mid-job: three descriptors, the counter read while descriptor 1
	 * reads its X page is above the start and below the end */
	chain = chain_n(&len, 3);
	memset(o, 0x5a, 4 * PAGE);
	put_chain(root, VA_CHAIN + 16 * PAGE, chain, len);
	p0 = rd(QREG(S_Q, GCONV_Q_PROGRESS));
	F->prog_q = S_Q;
	F->prog_pa = pa_of(x) + PAGE;
	F->prog_armed = 1;
	j = job_run(S_CTX, VA_CHAIN + 16 * PAGE, len, 4, 0);
	submit(S_Q, &j);
	CHECK(gconv_core_take_job(&F->c, &job));
	F->in_run = 1;
	gconv_core_run_job(&F->c, &job);
	F->in_run = 0;
	gconv_core_finish_job(&F->c, &job);
	CHECK_EQ_U64(F->prog_armed, 0);
	CHECK_EQ_U64(cpl(S_Q).status, GCONV_HW_OK);
	p1 = rd(QREG(S_Q, GCONV_Q_PROGRESS));
	if (!(F->prog_at - p0 >= 3 && p1 - F->prog_at >= 2))
		FAILF("Q_PROGRESS during descriptor 1: start %u, mid-job %u, "
		      "end %u; want it moved by >= 3 (chain, X_0, O_0, one "
		      "GCONV) before and by >= 2 after", p0, F->prog_at, p1);
	/* a hung job makes no progress however long it hangs, and the
	 * other queues' counters go on */
	F->c.inject_hang = 1;
	j = job_run(S_CTX, VA_CHAIN, len1, 5, 0);
	submit(S_Q, &j);
	CHECK_EQ_U64(pump(NULL), 1);
	CHECK(cpl(S_Q).seqno == 4);
	p0 = rd(QREG(S_Q, GCONV_Q_PROGRESS));
	p1 = rd(QREG(0, GCONV_Q_PROGRESS));
	j = job_run(S_CTX, VA_CHAIN, len1, 6, 0);
	CHECK_EQ_U64(run_on(0, &j).status, GCONV_HW_OK);
	CHECK_EQ_U64(pump(NULL), 0);
	CHECK_EQ_U64(rd(QREG(S_Q, GCONV_Q_PROGRESS)), p0);
	CHECK(rd(QREG(0, GCONV_Q_PROGRESS)) - p1 >= 4);
}

/* ==== reset =============================================================== */

static void check_reset_state(uint64_t resets)
{
	unsigned int i;

	CHECK_EQ_U64(rd(GCONV_REG_CONTROL), 0);
	CHECK_EQ_U64(rd(GCONV_REG_STATUS), 0);
	CHECK_EQ_U64(rd(GCONV_REG_SCRATCH), 0);
	CHECK_EQ_U64(rd(GCONV_REG_IRQ_STATUS), 0);
	CHECK_EQ_U64(rd(GCONV_REG_IRQ_MASK), 0);
	CHECK_EQ_U64(rd(GCONV_REG_FAULT_STATUS), 0);
	CHECK_EQ_U64(rd(GCONV_REG_FAULT_QUEUE), 0);
	CHECK_EQ_U64(rd(GCONV_REG_FAULT_CONTEXT), 0);
	CHECK_EQ_U64(rd(GCONV_REG_FAULT_FLAGS), 0);
	CHECK_EQ_U64(rd64(GCONV_REG_FAULT_ADDR_LO), 0);
	CHECK_EQ_U64(rd64(GCONV_REG_FAULT_SEQNO_LO), 0);
	CHECK_EQ_U64(rd(GCONV_REG_FAULT_INFO), 0);
	for (i = 0; i < GCONV_NUM_COUNTERS - 1; i++)
		CHECK_EQ_U64(rd64(GCONV_REG_JOBS_COMPLETED + 8 * i), 0);
	CHECK_EQ_U64(rd64(GCONV_REG_RESETS), resets);
	for (i = 0; i < GCONV_HW_NUM_CONTEXTS; i++)
		CHECK_EQ_U64(rd(CREG(i, GCONV_CTX_CONTROL)), 0);
	for (i = 0; i < NQ; i++) {
		CHECK_EQ_U64(rd(QREG(i, GCONV_Q_CONTROL)), 0);
		CHECK_EQ_U64(rd(QREG(i, GCONV_Q_STATUS)), 0);
		CHECK_EQ_U64(rd(QREG(i, GCONV_Q_HEAD)), 0);
		CHECK_EQ_U64(rd(QREG(i, GCONV_Q_TAIL)), 0);
	}
}

TEST(reset_clears_state)
{
	uint64_t root = world();
	struct gconv_hw_job j;
	struct image im;
	unsigned int q;

	/* state everywhere: jobs, counters, a fault, IRQ bits, scratch, a
	 * stopped queue and entries pending with the device disabled */
	image_conv3x3(&im, 5);
	run_image(root, S_CTX, S_Q, &im, VA_DATA, VA_CHAIN, 1, NULL);
	j = job_nop(2, GCONV_JOB_F_IRQ);
	run_on(1, &j);
	j = job_run(S_CTX, VA_CHAIN2, 64, 4, 0);
	run_on(S_Q, &j);	/* MMU fault */
	wr(GCONV_REG_SCRATCH, 0x1234);
	wr(QREG(3, GCONV_Q_CONTROL), 0);
	queue_config(3, 0x20, 8, 0);
	/* RING_CONFIG: a second fault, OVERFLOW */
	wr(QREG(3, GCONV_Q_CONTROL), GCONV_Q_ENABLE);
	wr(GCONV_REG_CONTROL, 0);
	for (q = 0; q < 3; q++) {
		j = job_nop(10 + q, GCONV_JOB_F_IRQ);
		submit(q, &j);
	}
	CHECK(rd(GCONV_REG_FAULT_STATUS));
	CHECK(rd(GCONV_REG_IRQ_STATUS));

	CHECK_EQ_U64(wr(GCONV_REG_CONTROL, GCONV_CONTROL_RESET),
		     GCONV_CORE_RESET_DONE);
	check_reset_state(1);
	/* a PCI reset is the same, and counts too */
	CHECK_EQ_U64(gconv_core_reset(&F->c), GCONV_CORE_RESET_DONE);
	check_reset_state(2);
	/* the pending entries are forgotten */
	wr(GCONV_REG_CONTROL, GCONV_CONTROL_ENABLE);
	CHECK_EQ_U64(pump(NULL), 0);
	/* and the device works after a new setup */
	wr(GCONV_REG_IRQ_MASK, GCONV_IRQ_ALL);
	ctx_point(S_CTX, root);
	ring_new(S_Q, 8);
	j = job_run(S_CTX, VA_CHAIN, im.len, 5, GCONV_JOB_F_IRQ);
	CHECK_EQ_U64(run_on(S_Q, &j).status, GCONV_HW_OK);
	CHECK_EQ_U64(rd64(GCONV_REG_JOBS_COMPLETED), 1);
	CHECK_EQ_U64(rd(GCONV_REG_IRQ_STATUS), GCONV_IRQ_QUEUE(S_Q));
}

TEST(reset_while_job_taken_abandons_it)
{
	uint64_t root = world(), writes;
	float *o = obuf(root, VA_O, 1);
	struct gconv_core_job job;
	struct gconv_hw_job j;
	unsigned int round;
	float *x;
	size_t len;

	x = xbuf(root, VA_X, PTE_RO);
	len = put_affine(root, VA_X, VA_O, 8);
	for (round = 0; round < 2; round++) {
		j = job_run(S_CTX, VA_CHAIN, len, 5, GCONV_JOB_F_IRQ);
		submit(S_Q, &j);
		F->nev = 0;
		CHECK(gconv_core_take_job(&F->c, &job));
		CHECK(rd(GCONV_REG_STATUS) & GCONV_STATUS_BUSY);
		writes = F->writes;
		if (round == 0)
			CHECK_EQ_U64(wr(GCONV_REG_CONTROL, GCONV_CONTROL_RESET),
				     GCONV_CORE_RESET_WAIT);
		else
			CHECK_EQ_U64(gconv_core_reset(&F->c),
				     GCONV_CORE_RESET_WAIT);
		gconv_core_run_job(&F->c, &job);
		CHECK_EQ_U64(job.gconvs, 0);
		CHECK_EQ_U64(F->writes, writes);
		gconv_core_finish_job(&F->c, &job);
		/* no completion record, no DMA at all after the reset */
		CHECK_EQ_U64(F->writes, writes);
		CHECK(cpl_untouched(S_Q));
		CHECK(untouched(o, PAGE));
		CHECK_EQ_U64(F->nvec, 0);
		CHECK_EQ_U64(F->nev, 1);	/* the start only */
		check_reset_state(round + 1);
		CHECK(!gconv_core_take_job(&F->c, &job));
		/* set up again */
		wr(GCONV_REG_CONTROL, GCONV_CONTROL_ENABLE);
		wr(GCONV_REG_IRQ_MASK, GCONV_IRQ_ALL);
		ctx_point(S_CTX, root);
		ring_new(S_Q, 8);
	}
	CHECK_EQ_U64(go(len, 6).status, GCONV_HW_OK);
	CHECK_AFFINE(o, x, 8);
}

TEST(reset_during_gconv_stops_at_boundary)
{
	uint64_t root = world(), writes;
	float *x = map_new(root, VA_X, 3 * PAGE, PTE_RO);
	float *o = obuf(root, VA_O, 3);
	struct gconv_core_job job;
	struct gconv_hw_job j;
	size_t len, i;
	void *chain;

	for (i = 0; i < 3 * PAGE / 4; i++)
		x[i] = (float)i;
	chain = chain_n(&len, 3);
	put_chain(root, VA_CHAIN, chain, len);
	/* the reset arrives while descriptor 1 reads X_1 */
	F->hook_pa = pa_of(x) + PAGE;
	F->hook_off = GCONV_REG_CONTROL;
	F->hook_val = GCONV_CONTROL_RESET;
	F->hook_armed = 1;
	j = job_run(S_CTX, VA_CHAIN, len, 1, GCONV_JOB_F_IRQ);
	submit(S_Q, &j);
	CHECK(gconv_core_take_job(&F->c, &job));
	F->in_run = 1;
	gconv_core_run_job(&F->c, &job);
	F->in_run = 0;
	CHECK(F->hook_fired);
	CHECK_EQ_U64(F->hook_ret, GCONV_CORE_RESET_WAIT);
	writes = F->writes;
	gconv_core_finish_job(&F->c, &job);
	CHECK_EQ_U64(F->writes, writes);
	CHECK(cpl_untouched(S_Q));
	/* descriptor 0 ran before the reset; descriptor 2 never did (1 may
	 * have, it was running when the reset came) */
	CHECK_AFFINE(o, x, 8);
	CHECK(untouched(o + 2 * PAGE / 4, PAGE));
	CHECK(job.gconvs <= 2);
	check_reset_state(1);
}

/* "The engine checks for the reset between output elements and between
 * page transfers": a reset during the first page of a 16-page operand
 * read stops the read there. */
TEST(reset_during_operand_read_stops_promptly)
{
	uint64_t root = world();
	float *x = map_new(root, VA_X, 16 * PAGE, PTE_RO);
	float *o = obuf(root, VA_O, 16);
	struct gconv_core_job job;
	struct gconv_hw_job j;
	struct gconv_desc d;
	size_t len;
	void *chain;

	desc_affine(&d, VA_X, VA_O, 16 * PAGE / 4);
	chain = encode(&d, 1, &len);
	put_chain(root, VA_CHAIN, chain, len);
	F->hook_pa = pa_of(x);
	F->hook_off = GCONV_REG_CONTROL;
	F->hook_val = GCONV_CONTROL_RESET;
	F->hook_armed = 1;
	j = job_run(S_CTX, VA_CHAIN, len, 1, 0);
	submit(S_Q, &j);
	CHECK(gconv_core_take_job(&F->c, &job));
	F->in_run = 1;
	gconv_core_run_job(&F->c, &job);
	F->in_run = 0;
	CHECK(F->hook_fired);
	CHECK_EQ_U64(F->hook_ret, GCONV_CORE_RESET_WAIT);
	/* the read in flight, at most one page-table read more */
	if (F->reads - F->hook_reads > 2)
		FAILF("%llu DMA reads after the reset, want at most 2",
		      (unsigned long long)(F->reads - F->hook_reads));
	gconv_core_finish_job(&F->c, &job);
	CHECK(cpl_untouched(S_Q));
	CHECK(untouched(o, 16 * PAGE));
	check_reset_state(1);
}

/* ==== timing ============================================================== */

TEST(timing_model)
{
	struct gconv_core_job job;
	struct gconv_hw_job j;
	struct image im;
	uint64_t root = world(), cyc;

	F->c.clock_khz = 1000;
	CHECK_EQ_U64(rd(GCONV_REG_CAPS) & GCONV_CAPS_TIMING, GCONV_CAPS_TIMING);
	CHECK_EQ_U64(rd(GCONV_REG_CLOCK_KHZ), 1000);
	image_compute(&im);
	cyc = model_cycles(&im);
	run_image(root, S_CTX, S_Q, &im, VA_DATA, VA_CHAIN, 1, &job);
	CHECK_EQ_U64(job.modeled_cycles, cyc);
	CHECK_EQ_U64(gconv_core_modeled_ns(&F->c, &job),
		     cyc * 1000000 / 1000);
	F->c.clock_khz = 333;
	CHECK_EQ_U64(gconv_core_modeled_ns(&F->c, &job),
		     cyc * 1000000 / 333);
	F->c.clock_khz = 2500000;	/* 2.5 GHz */
	CHECK_EQ_U64(gconv_core_modeled_ns(&F->c, &job),
		     cyc * 1000000 / 2500000);
	CHECK_EQ_U64(rd(GCONV_REG_CLOCK_KHZ), 2500000);

	/* timing off: no delay, no TIMING capability, cycles still count */
	F->c.clock_khz = 0;
	CHECK_EQ_U64(rd(GCONV_REG_CAPS) & GCONV_CAPS_TIMING, 0);
	CHECK_EQ_U64(rd(GCONV_REG_CLOCK_KHZ), 0);
	CHECK_EQ_U64(gconv_core_modeled_ns(&F->c, &job), 0);
	j = job_run(S_CTX, VA_CHAIN, im.len, 2, 0);
	submit(S_Q, &j);
	CHECK_EQ_U64(pump(&job), 1);
	CHECK_EQ_U64(gconv_core_modeled_ns(&F->c, &job), 0);
	CHECK_EQ_U64(rd64(GCONV_REG_MODELED_CYCLES), 2 * cyc);
	/* the clock survives a reset, like any property */
	F->c.clock_khz = 1000;
	wr(GCONV_REG_CONTROL, GCONV_CONTROL_RESET);
	CHECK_EQ_U64(rd(GCONV_REG_CLOCK_KHZ), 1000);
}

/* ==== robustness ========================================================== */

struct fuzz {
	unsigned long long s;
	uint64_t root, zone, zone_len, data_pa;
	uint8_t *chain_host;
	void *chain;
	size_t len;
	uint64_t leaf[3];	/* pristine leaf PTEs of X, O, the chain */
	uint64_t *leafp[3];
	unsigned int writes, resets_seen;
};

static uint64_t fz(struct fuzz *z)
{
	return harness_rand(&z->s);
}

static uint32_t fuzz_value(struct fuzz *z)
{
	switch (fz(z) % 10) {
	case 0:
		return 0;
	case 1:
		return 1;
	case 2:
		return 1u << (fz(z) % 32);
	case 3: /* somewhere in the scratch zone, any alignment */
		return (uint32_t)(z->zone + fz(z) % z->zone_len);
	case 4: /* 64-byte aligned in the zone */
		return (uint32_t)(z->zone + fz(z) % (z->zone_len / 64) * 64);
	case 5:
		return (uint32_t)(fz(z) % 8193);
	case 6:
		return 0xffffffff;
	default:
		return (uint32_t)fz(z);
	}
}

/* One random register write; returns gconv_core_write's value. */
static int fuzz_write(struct fuzz *z)
{
	static const uint32_t ctl[] = {
		GCONV_REG_CONTROL, GCONV_REG_IRQ_STATUS, GCONV_REG_IRQ_MASK,
		GCONV_REG_FAULT_ACK, GCONV_REG_SCRATCH,
	};
	uint32_t off, v = fuzz_value(z);

	switch (fz(z) % 12) {
	case 0:
	case 1:
	case 2:
		off = QREG(fz(z) % NQ, (fz(z) % 14) * 4);
		break;
	case 3:
		off = CREG(fz(z) % GCONV_HW_NUM_CONTEXTS, (fz(z) % 4) * 4);
		break;
	case 4:
		off = ctl[fz(z) % 5];
		if (off == GCONV_REG_CONTROL)
			v = fz(z) % 32 ? GCONV_CONTROL_ENABLE :
					 GCONV_CONTROL_RESET;
		break;
	case 11:
		/* not 32-bit aligned: outside the core's contract (its
		 * caller rejects these), but still must not crash */
		off = (uint32_t)(fz(z) % GCONV_BAR0_SIZE);
		break;
	default:
		off = (uint32_t)(fz(z) % (GCONV_BAR0_SIZE / 4)) * 4;
		break;
	}
	z->writes++;
	if (fz(z) % 4 == 0)
		rd((uint32_t)(fz(z) % (GCONV_BAR0_SIZE / 4)) * 4);
	return wr(off, v);
}

static void fuzz_entry(struct fuzz *z, struct gconv_hw_job *e)
{
	uint64_t r = fz(z);

	memset(e, 0, sizeof(*e));
	e->opcode = r % 8 < 3 ? GCONV_OP_NOP :
		    r % 8 < 7 ? GCONV_OP_RUN_CHAIN : (uint32_t)fz(z);
	e->flags = fz(z) % 4 ? (uint32_t)(fz(z) & 1) : (uint32_t)fz(z);
	e->context = fz(z) % 8 ? (uint32_t)(fz(z) % 5) : (uint32_t)fz(z);
	switch (fz(z) % 7) {
	case 0:
	case 1:
	case 2:
		e->chain_addr = VA_CHAIN;
		break;
	case 3:
		e->chain_addr = VA_CHAIN + fz(z) % 8192;
		break;
	case 4:
		e->chain_addr = fz(z);
		break;
	case 5:
		e->chain_addr = VA_X + (fz(z) % 512) * 8;
		break;
	default:
		e->chain_addr = 0;
	}
	switch (fz(z) % 6) {
	case 0:
	case 1:
	case 2:
		e->chain_size = z->len;
		break;
	case 3:
		e->chain_size = fz(z) % 8192;
		break;
	case 4:
		e->chain_size = fz(z) % (GCONV_HW_MAX_CHAIN_BYTES + 2);
		break;
	default:
		e->chain_size = fz(z);
	}
	e->seqno = fz(z);
	if (fz(z) % 16 == 0)
		e->reserved0 = (uint32_t)fz(z);
	if (fz(z) % 16 == 0)
		e->reserved[fz(z) % 3] = fz(z);
	if (e->opcode == GCONV_OP_NOP && fz(z) % 2) {
		e->context = 0;
		e->chain_addr = 0;
		e->chain_size = 0;
	}
}

/* Memory the device reads: rings, the chain, page tables. */
static void fuzz_memory(struct fuzz *z)
{
	struct gconv_hw_job e;
	unsigned int q, i;

	for (q = 0; q < NQ; q++)
		for (i = 0; i < F->q[q].size; i++) {
			fuzz_entry(z, &e);
			write_entry(q, i, &e);
		}
	/* the chain: pristine, or with a header byte or an operand
	 * address byte changed (never the loop extents: a valid chain
	 * with huge loops would just take long) */
	memcpy(z->chain_host, z->chain, z->len);
	switch (fz(z) % 6) {
	case 0:
		z->chain_host[fz(z) % 64] = (uint8_t)fz(z);
		break;
	case 1:
		z->chain_host[64 + offsetof(struct gconv_desc, x) +
			      fz(z) % 6] = (uint8_t)fz(z);
		break;
	case 2:
		z->chain_host[64 + offsetof(struct gconv_desc, o) +
			      fz(z) % 6] = (uint8_t)fz(z);
		break;
	}
	/* leaf PTEs: pristine, a flipped bit, or a page in the zone */
	for (i = 0; i < 3; i++) {
		*z->leafp[i] = z->leaf[i];
		switch (fz(z) % 8) {
		case 0:
			*z->leafp[i] ^= 1ull << (fz(z) % 64);
			break;
		case 1:
			*z->leafp[i] = (z->zone + fz(z) % (z->zone_len /
							   PAGE) * PAGE) |
				       GCONV_PTE_VALID | PTE_RW;
			break;
		}
	}
	if (fz(z) % 8 == 0)
		for (i = 0; i < 64; i++)
			host_of(z->zone, z->zone_len)[fz(z) % z->zone_len] =
				(uint8_t)fz(z);
}

static void fuzz_knobs(struct fuzz *z)
{
	F->bus_master = fz(z) % 16 != 0;
	F->fail_len = 0;
	if (fz(z) % 8 == 0) {
		F->fail_pa = MEM_BASE + fz(z) % MEM_SIZE;
		F->fail_len = 1 + fz(z) % (2 * PAGE);
		F->fail_rw = 1 + (unsigned int)(fz(z) % 3);
	}
	if (fz(z) % 16 == 0)
		F->c.inject_hang = (uint32_t)(fz(z) % 2);
	if (fz(z) % 16 == 0)
		F->c.inject_mmu_fault = (uint32_t)(fz(z) % 3);
	if (fz(z) % 16 == 0)
		F->c.inject_dma_error = (uint32_t)(fz(z) % 3);
	if (fz(z) % 16 == 0)
		F->c.inject_bad_completion = (uint32_t)(fz(z) % 3);
	F->c.clock_khz = fz(z) % 4 ? 0 : (uint32_t)fz(z);
	F->hook_armed = 0;
	if (fz(z) % 8 == 0) {
		/* a register write racing with the executor */
		F->hook_armed = 1;
		F->hook_pa = z->data_pa + fz(z) % (2 * PAGE);
		F->hook_off = (uint32_t)(fz(z) % (GCONV_BAR0_SIZE / 4)) * 4;
		if (fz(z) % 2)
			F->hook_off = GCONV_REG_CONTROL;
		F->hook_val = fuzz_value(z);
	}
}

/* Put some order back so that jobs keep flowing. */
static void fuzz_rearm(struct fuzz *z)
{
	unsigned int q = (unsigned int)(fz(z) % NQ);

	wr(QREG(q, GCONV_Q_CONTROL), 0);
	queue_config(q, F->q[q].ring, F->q[q].size, F->q[q].cpl);
	wr(QREG(q, GCONV_Q_CONTROL), GCONV_Q_ENABLE);
	ctx_point((unsigned int)(fz(z) % 2), z->root);
	wr(GCONV_REG_CONTROL, GCONV_CONTROL_ENABLE);
	wr(GCONV_REG_IRQ_MASK, (uint32_t)fz(z));
}

/* The executor loop with guest writes racing it: between take and run,
 * and (the hook) from inside run's DMA.  After a reset write returns
 * WAIT the guest is held off until finish, as the core asks. */
static void fuzz_pump(struct fuzz *z)
{
	struct gconv_core_job job;
	unsigned int n = 0;

	while (gconv_core_take_job(&F->c, &job)) {
		int waiting = 0, k = (int)(fz(z) % 4);

		while (k-- > 0 && !waiting)
			waiting = fuzz_write(z) == GCONV_CORE_RESET_WAIT;
		if (waiting)
			F->hook_armed = 0;
		F->in_run = 1;
		gconv_core_run_job(&F->c, &job);
		F->in_run = 0;
		gconv_core_finish_job(&F->c, &job);
		if (++n > 200000)
			FAILF("the executor does not stop taking jobs");
	}
}

TEST(random_registers_and_rings_never_crash)
{
	struct fuzz z;
	struct image im;
	struct gconv_desc d;
	unsigned int round, q;
	uint64_t resets;
	float *x;

	fx_new();
	memset(&z, 0, sizeof(z));
	z.s = 0x9e3779b97f4a7c15ull;
	/* data the device may write, then page tables and the chain, which
	 * it may not (a completion record pointed there by a random
	 * register could otherwise turn the chain into a long one) */
	z.data_pa = pa_alloc(2 * PAGE);
	x = (float *)host_of(z.data_pa, PAGE);
	for (q = 0; q < 16; q++)
		x[q] = (float)q;
	F->wp_pa = F->brk;
	z.root = pa_alloc(PAGE);
	map_pa(z.root, VA_X, z.data_pa, PAGE, PTE_RO);
	map_pa(z.root, VA_O, z.data_pa + PAGE, PAGE, PTE_RW);
	desc_affine(&d, VA_X, VA_O, 16);
	z.chain = encode(&d, 1, &z.len);
	z.chain_host = map_new(z.root, VA_CHAIN, z.len, PTE_RO);
	z.leafp[0] = pt_slot(z.root, VA_X, 0);
	z.leafp[1] = pt_slot(z.root, VA_O, 0);
	z.leafp[2] = pt_slot(z.root, VA_CHAIN, 0);
	F->wp_len = F->brk - F->wp_pa;
	for (q = 0; q < 3; q++)
		z.leaf[q] = *z.leafp[q];
	wr(GCONV_REG_CONTROL, GCONV_CONTROL_ENABLE);
	for (q = 0; q < NQ; q++)
		ring_new(q, 8);
	z.zone_len = 1 << 20;
	z.zone = pa_alloc(z.zone_len);
	for (q = 0; q < z.zone_len; q += 8)
		*(uint64_t *)host_of(z.zone + q, 8) = fz(&z);
	ctx_point(0, z.root);
	ctx_point(1, z.root);
	ctx_point(2, z.zone);
	ctx_point(3, 0x7ff000000000ull);

	for (round = 0; round < 500; round++) {
		unsigned int i;

		fuzz_knobs(&z);
		fuzz_memory(&z);
		if (fz(&z) % 3 == 0)
			fuzz_rearm(&z);
		for (i = 0; i < 8; i++)
			fuzz_write(&z);
		for (q = 0; q < NQ; q++) {
			wr(QREG(q, GCONV_Q_TAIL),
			   (uint32_t)(fz(&z) % F->q[q].size));
			wr(QREG(q, GCONV_Q_DOORBELL), 0);
		}
		fuzz_pump(&z);
		CHECK_EQ_U64(rd(GCONV_REG_STATUS) & GCONV_STATUS_BUSY, 0);
		CHECK_EQ_U64(F->bad_vectors, 0);
		CHECK_EQ_U64(F->bad_events, 0);
		for (q = 0; q < NQ; q++) {
			uint32_t size = rd(QREG(q, GCONV_Q_RING_SIZE));

			if (!(rd(QREG(q, GCONV_Q_CONTROL)) & GCONV_Q_ENABLE))
				continue;
			CHECK(rd(QREG(q, GCONV_Q_HEAD)) < size);
			CHECK(rd(QREG(q, GCONV_Q_TAIL)) < size);
		}
	}
	CHECK(z.writes > 5000);
	CHECK(F->nev > 2000);

	/* afterwards: a reset, then a normal job works */
	F->bus_master = 1;
	F->fail_len = 0;
	F->wp_len = 0;
	F->hook_armed = 0;
	F->c.inject_hang = F->c.inject_mmu_fault = 0;
	F->c.inject_dma_error = F->c.inject_bad_completion = 0;
	F->c.clock_khz = 0;
	resets = rd64(GCONV_REG_RESETS);
	CHECK_EQ_U64(wr(GCONV_REG_CONTROL, GCONV_CONTROL_RESET),
		     GCONV_CORE_RESET_DONE);
	check_reset_state(resets + 1);
	wr(GCONV_REG_CONTROL, GCONV_CONTROL_ENABLE);
	z.root = ctx_new(S_CTX);
	ring_new(S_Q, 8);
	image_conv3x3(&im, 77);
	run_image(z.root, S_CTX, S_Q, &im, VA_DATA, VA_CHAIN2, 1, NULL);
	CHECK_EQ_U64(rd64(GCONV_REG_JOBS_COMPLETED), 1);
}

static const struct test tests[] = {
	T(identity_registers_have_spec_values),
	T(lo_read_latches_hi),
	T(scratch_is_read_write),
	T(readonly_and_unknown_writes_are_logged_and_ignored),
	T(reserved_bits_are_ignored_and_logged),
	T(tail_at_or_beyond_ring_size_is_ignored),
	T(ring_config_writes_while_enabled_are_ignored),
	T(enabling_a_queue_resets_head_and_tail),
	T(bad_ring_config_stops_queue),
	T(nop_completes_with_seqno),
	T(nop_ignores_run_chain_fields),
	T(irq_needs_job_flag_and_mask),
	T(masked_cause_sent_when_unmasked),
	T(irq_status_is_write_1_to_clear),
	T(disabled_device_or_queue_runs_nothing),
	T(run_chain_conv3x3_matches_the_engines),
	T(run_chain_sample_network_matches_the_engine),
	T(counters_after_jobs),
	T(bytes_counters_count_chain_and_operand_bytes),
	T(queues_served_round_robin),
	T(completions_in_order_on_one_queue),
	T(ring_wraps_around),
	T(device_never_reads_past_tail),
	T(mmu_fault_unmapped_chain),
	T(mmu_fault_unmapped_operand),
	T(mmu_fault_read_only_output_writes_nothing),
	T(mmu_fault_va_beyond_48_bits),
	T(mmu_fault_pte_reserved_bits),
	T(mmu_fault_input_without_read),
	T(second_fault_sets_overflow_and_ack_clears),
	T(dma_error_page_table_outside_memory),
	T(dma_error_operand_read_and_write),
	T(ring_entry_unreadable_stops_queue),
	T(completion_unwritable_stops_queue),
	T(bus_master_off_fails_dma),
	T(malformed_jobs_are_invalid_job),
	T(chain_size_limit_is_inclusive),
	T(bad_context),
	T(invalid_chain_bad_magic_writes_nothing),
	T(invalid_chain_reports_descriptor_and_code),
	T(fault_in_descriptor_2_keeps_earlier_outputs),
	T(operand_span_above_max_is_engine_error),
	T(operand_span_at_max_is_accepted),
	T(in_place_operands_read_before_write),
	T(output_bytes_between_strided_elements_are_preserved),
	T(inject_hang),
	T(inject_mmu_fault),
	T(inject_dma_error),
	T(inject_bad_completion),
	T(inject_context_hang_hits_only_its_context),
	T(inject_context_mmu_fault_hits_only_its_context),
	T(inject_context_dma_error_hits_only_its_context),
	T(inject_context_bad_completion_hits_only_its_context),
	T(inject_context_any_and_reset),
	T(q_progress_counts_work_while_a_job_runs),
	T(reset_clears_state),
	T(reset_while_job_taken_abandons_it),
	T(reset_during_gconv_stops_at_boundary),
	T(reset_during_operand_read_stops_promptly),
	T(timing_model),
	T(random_registers_and_rings_never_crash),
};

int main(int argc, char **argv)
{
	int r = HARNESS_MAIN(tests);

	fx_free();
	return r;
}
