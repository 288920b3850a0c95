// SPDX-License-Identifier: MIT
/*
 * Chains on the GCONV Chain accelerator: walk the header and descriptors
 * (without libgconvdev's chain.c, so that this file can be copied into the
 * QEMU tree) and keep intermediates on chip.
 *
 * The reuse rule (docs/cost-model.md, "chains"): the output of descriptor
 * i stays in the GLB when
 *   1. descriptor i + 1 reads it: one of its X, Y, B operands (or O, when
 *      it accumulates) lies wholly inside i's output range, and
 *   2. it fits: the inputs already resident plus this output take at most
 *      half the GLB, so the other half is left for i's and i + 1's tiles.
 * Then i + 1 reads that operand from the GLB, not DRAM.  Descriptor i still
 * writes its output to DRAM ("written through") unless it is dead after
 * i + 1: no later descriptor reads it before one overwrites all of it, it
 * is not one of the chain's outputs, and that is known within
 * GCOST_LIVE_WINDOW descriptors.  One output is resident at a time.
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "cost_impl.h"

int gcost_chain_open(const void *chain, size_t len, struct cost_chain_view *v)
{
	struct gconv_chain_header h;

	memset(v, 0, sizeof(*v));
	if (!chain || len < sizeof(h))
		return GCONV_COST_ECHAIN;
	memcpy(&h, chain, sizeof(h));
	if (h.magic != GCONV_CHAIN_MAGIC ||
	    h.version_major != GCONV_ISA_VERSION_MAJOR ||
	    h.header_size < sizeof(h) || h.header_size > 4096 ||
	    h.desc_size < sizeof(struct gconv_desc) || h.desc_size > 4096 ||
	    h.count < 1)
		return GCONV_COST_ECHAIN;
	/* count <= 2^32 and sizes <= 4096: no overflow in 64 bits */
	if ((uint64_t)h.header_size + (uint64_t)h.count * h.desc_size > len)
		return GCONV_COST_ECHAIN;
	v->base = chain;
	v->header_size = h.header_size;
	v->desc_size = h.desc_size;
	v->count = h.count;
	return 0;
}

void gcost_chain_get(const struct cost_chain_view *v, uint32_t i,
		     struct gconv_desc *d)
{
	memcpy(d, v->base + v->header_size + (size_t)i * v->desc_size,
	       sizeof(*d));
}

void gcost_operand_range(const struct gconv_operand *op,
			 struct gconv_cost_range *r)
{
	uint64_t es = gconv_dtype_size(op->dtype);

	r->addr = op->addr;
	/* saturate instead of wrapping for descriptors nobody validated */
	if (es && op->extent > (UINT64_MAX - op->addr) / es)
		r->size = UINT64_MAX - op->addr;
	else
		r->size = op->extent * es;
}

static int inside(const struct gconv_cost_range *in,
		  const struct gconv_cost_range *out)
{
	return in->size && in->addr >= out->addr &&
	       in->addr - out->addr <= out->size &&
	       in->size <= out->size - (in->addr - out->addr);
}

static uint64_t range_end(const struct gconv_cost_range *r)
{
	return r->addr > UINT64_MAX - r->size ? UINT64_MAX : r->addr + r->size;
}

static int overlaps(const struct gconv_cost_range *a,
		    const struct gconv_cost_range *b)
{
	return a->size && b->size && a->addr < range_end(b) &&
	       b->addr < range_end(a);
}

int gcost_reads(const struct gconv_desc *d, const struct gconv_cost_range *r,
		uint32_t *inside_mask)
{
	const struct gconv_operand *ops[4] = { &d->x, &d->y, &d->b, &d->o };
	const uint32_t bit[4] = { GCONV_COST_CTX_X_RESIDENT,
				  GCONV_COST_CTX_Y_RESIDENT,
				  GCONV_COST_CTX_B_RESIDENT,
				  GCONV_COST_CTX_O_RESIDENT };
	int used[4] = { d->main != GCONV_MAIN_TAKE_Y,
			d->main != GCONV_MAIN_TAKE_X,
			d->combine != GCONV_COMBINE_NONE,
			!!(d->flags & GCONV_DESC_F_ACCUMULATE) };
	int i, any = 0;

	if (inside_mask)
		*inside_mask = 0;
	for (i = 0; i < 4; i++) {
		struct gconv_cost_range or ;

		if (!used[i])
			continue;
		gcost_operand_range(ops[i], & or);
		if (!overlaps(& or, r))
			continue;
		any = 1;
		if (inside_mask && inside(& or, r))
			*inside_mask |= bit[i];
	}
	return any;
}

/*
 * The parts of a range still holding the value of interest: later writes
 * cut pieces out of it (the compiler's arena reuses memory piecewise).
 */
#define LIVE_PIECES 8

struct pieces {
	struct gconv_cost_range r[LIVE_PIECES];
	int n;
};

static int pieces_overlap(const struct pieces *p,
			  const struct gconv_cost_range *r)
{
	int k;

	for (k = 0; k < p->n; k++)
		if (overlaps(&p->r[k], r))
			return 1;
	return 0;
}

/* Remove @w from every piece; when that would need more pieces than
 * there is room for, keep the piece whole (it stays live: conservative). */
static void pieces_cut(struct pieces *p, const struct gconv_cost_range *w)
{
	struct pieces out;
	uint64_t we = range_end(w);
	int k;

	out.n = 0;
	for (k = 0; k < p->n; k++) {
		const struct gconv_cost_range *r = &p->r[k];
		uint64_t re = range_end(r);
		int need = (r->addr < w->addr) + (we < re);

		if (!overlaps(r, w)) {
			if (out.n == LIVE_PIECES)
				return;
			out.r[out.n++] = *r;
			continue;
		}
		if (out.n + need > LIVE_PIECES)
			return;
		if (r->addr < w->addr)
			out.r[out.n++] =
				(struct gconv_cost_range){ r->addr,
							   w->addr - r->addr };
		if (we < re)
			out.r[out.n++] =
				(struct gconv_cost_range){ we, re - we };
	}
	*p = out;
}

static int desc_reads_pieces(const struct gconv_desc *d, const struct pieces *p)
{
	int k;

	for (k = 0; k < p->n; k++)
		if (gcost_reads(d, &p->r[k], NULL))
			return 1;
	return 0;
}

int gcost_live_after(const struct cost_chain_view *v, uint32_t i,
		     const struct gconv_cost_range *r,
		     const struct gconv_cost_range *outputs, uint32_t noutputs)
{
	struct pieces live;
	uint32_t j, k, end;

	/* descriptor i + 1 reads it (it may overwrite it in place, too);
	 * any later reader of a part not overwritten since keeps it alive */
	live.n = 1;
	live.r[0] = *r;
	end = v->count - i > GCOST_LIVE_WINDOW + 2 ? i + 2 + GCOST_LIVE_WINDOW
						   : v->count;
	for (j = i + 1; j < end && live.n; j++) {
		struct gconv_desc d;
		struct gconv_cost_range o;

		gcost_chain_get(v, j, &d);
		if (j > i + 1 && desc_reads_pieces(&d, &live))
			return 1;
		gcost_operand_range(&d.o, &o);
		pieces_cut(&live, &o);
	}
	if (!live.n)
		return 0; /* overwritten whole: dead */
	if (end < v->count)
		return 1; /* beyond the window: assume needed */
	/* the chain ends: needed if part of an output, or if the caller did
	 * not say what the outputs are */
	for (k = 0; outputs && k < noutputs; k++)
		if (pieces_overlap(&live, &outputs[k]))
			return 1;
	return outputs == NULL;
}

/* The bytes an output takes in the model (model word size). */
static double out_model_bytes(const struct gconv_cost_params *p,
			      const struct gconv_desc *d)
{
	struct cprob pb;

	if (gcost_prob_init(p, d, &pb))
		return INFINITY;
	return pb.total[OO] * pb.esize[OO];
}

int gcost_chain_step(const struct gconv_cost_params *p,
		     const struct cost_chain_view *v, uint32_t i,
		     const struct gconv_cost_range *outputs, uint32_t noutputs,
		     struct cost_chain_state *st, struct gconv_cost *out)
{
	struct gconv_desc d, next;
	struct gconv_cost_ctx ctx = { 0, 0, 0 };
	struct gconv_cost_range o;
	double obytes, half = (double)p->glb_bytes / 2;
	int r;

	gcost_chain_get(v, i, &d);
	if (st->have) {
		uint32_t mask;

		gcost_reads(&d, &st->res, &mask);
		if (mask) {
			ctx.flags |= mask;
			ctx.resident_bytes = gcost_sat(st->res_bytes);
		}
	}
	gcost_operand_range(&d.o, &o);
	obytes = out_model_bytes(p, &d);
	st->have = 0;
	if (i + 1 < v->count && (double)ctx.resident_bytes + obytes <= half) {
		uint32_t mask;

		gcost_chain_get(v, i + 1, &next);
		gcost_reads(&next, &o, &mask);
		if (mask) {
			ctx.flags |= GCONV_COST_CTX_OUT_KEEP;
			if (!gcost_live_after(v, i, &o, outputs, noutputs))
				ctx.flags |= GCONV_COST_CTX_OUT_NOWRITE;
			st->have = 1;
			st->res = o;
			st->res_bytes = obytes;
		}
	}
	r = gconv_cost_desc_ctx(p, &d, &ctx, out);
	if (r == GCONV_COST_ENOSPACE && ctx.flags) {
		/* cannot happen with half the GLB free, but never give up a
		 * cost for a reuse decision: fall back to DRAM both ways */
		st->have = 0;
		r = gconv_cost_desc_ctx(p, &d, NULL, out);
	}
	if (r)
		st->have = 0;
	return r;
}

int gconv_cost_chain(const struct gconv_cost_params *p, const void *chain,
		     size_t len, const struct gconv_cost_range *outputs,
		     uint32_t noutputs, struct gconv_cost *per_desc,
		     uint32_t per_desc_len, struct gconv_cost *total)
{
	struct cost_chain_view v;
	struct cost_chain_state st = { 0, { 0, 0 }, 0 };
	uint32_t i;
	int r;

	if (total)
		memset(total, 0, sizeof(*total));
	if (!p || (!outputs && noutputs))
		return GCONV_COST_EARG;
	r = gconv_cost_params_check(p);
	if (r)
		return r;
	r = gcost_chain_open(chain, len, &v);
	if (r)
		return r;
	if (per_desc && per_desc_len < v.count)
		return GCONV_COST_ERANGE;
	for (i = 0; i < v.count; i++) {
		struct gconv_cost c;

		r = gcost_chain_step(p, &v, i, outputs, noutputs, &st, &c);
		if (r)
			return r;
		if (per_desc)
			per_desc[i] = c;
		if (total)
			gconv_cost_add(total, &c);
	}
	return 0;
}
