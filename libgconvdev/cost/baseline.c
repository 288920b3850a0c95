// SPDX-License-Identifier: MIT
/*
 * The two kinds of end-to-end accelerator the GCONV Chain paper argues
 * against, with the same parameters as the GCONV Chain model
 * (docs/cost-model.md, "baselines"), and the per-layer driver of all three.
 *
 * Matrix/vector: convolutions and fully connected layers are lowered to a
 * GEMM by im2col (the expanded input matrix is written to DRAM and read by
 * the GEMM) and run on a weight-stationary systolic array with as many PEs
 * as the GCONV array; every other layer runs on a vector unit as wide as
 * one array row.  Each GCONV of each layer reads its inputs from DRAM and
 * writes its output back (a round trip).
 *
 * Dedicated units: convolutions run on the GCONV array with the same
 * mapping search; every other layer kind has its own fixed unit (NVDLA's
 * SDP for activations, batch normalisation and element-wise layers, PDP
 * for pooling, CDP for LRN), with NVDLA's throughput.  As in NVDLA's fused
 * mode, an activation, normalisation, element-wise or pooling layer that
 * reads what the layer before it wrote is fed on the fly (no DRAM round
 * trip between them) and overlaps with its producer.
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "cost_impl.h"

/* ---- names -------------------------------------------------------------- */

static const char *const conv_ops[] = { "Conv",	       "ConvTranspose",
					"Gemm",	       "MatMul",
					"ConvInteger", "MatMulInteger",
					"QLinearConv", "QLinearMatMul",
					NULL };
static const char *const pool_ops[] = { "MaxPool",
					"AveragePool",
					"GlobalAveragePool",
					"GlobalMaxPool",
					"LpPool",
					"GlobalLpPool",
					NULL };
static const char *const act_ops[] = { "Relu",	      "LeakyRelu",
				       "PRelu",	      "Clip",
				       "Sigmoid",     "Tanh",
				       "HardSigmoid", "HardSwish",
				       "Elu",	      "Selu",
				       "Celu",	      "Softplus",
				       "Softsign",    "ThresholdedRelu",
				       "Gelu",	      "Mish",
				       "Exp",	      "Log",
				       "Sqrt",	      "Reciprocal",
				       "Abs",	      "Neg",
				       "Erf",	      NULL };
static const char *const norm_ops[] = {
	"BatchNormalization", "InstanceNormalization",	   "LayerNormalization",
	"GroupNormalization", "MeanVarianceNormalization", NULL
};
static const char *const lrn_ops[] = { "LRN", NULL };
static const char *const elt_ops[] = { "Add", "Sub", "Mul",  "Div", "Sum",
				       "Max", "Min", "Mean", "Pow", NULL };

static int in_list(const char *const *list, const char *op)
{
	for (; *list; list++)
		if (!strcmp(*list, op))
			return 1;
	return 0;
}

uint32_t gconv_cost_kind_of_op(const char *op)
{
	if (!op)
		return GCONV_COST_KIND_OTHER;
	if (in_list(conv_ops, op))
		return GCONV_COST_KIND_CONV;
	if (in_list(pool_ops, op))
		return GCONV_COST_KIND_POOL;
	if (in_list(act_ops, op))
		return GCONV_COST_KIND_ACT;
	if (in_list(norm_ops, op))
		return GCONV_COST_KIND_NORM;
	if (in_list(lrn_ops, op))
		return GCONV_COST_KIND_LRN;
	if (in_list(elt_ops, op))
		return GCONV_COST_KIND_ELTWISE;
	return GCONV_COST_KIND_OTHER;
}

const char *gconv_cost_kind_name(uint32_t kind)
{
	static const char *const names[GCONV_COST_KIND_COUNT] = {
		"other", "conv", "pool", "act", "norm", "lrn", "eltwise"
	};

	return kind < GCONV_COST_KIND_COUNT ? names[kind] : "?";
}

const char *gconv_cost_arch_name(uint32_t arch)
{
	static const char *const names[GCONV_COST_ARCH_COUNT] = {
		"gconv-chain", "matrix-vector", "dedicated"
	};

	return arch < GCONV_COST_ARCH_COUNT ? names[arch] : "?";
}

/* ---- shared -------------------------------------------------------------- */

/* Accesses of a baseline step, before they become a struct gconv_cost. */
struct acc {
	double macs;	     /* taps */
	double compute;	     /* cycles of the engine that computes */
	double lanes;	     /* its MACs (or elements) per cycle */
	double rf, noc, glb; /* on-chip accesses */
	double dram, dram_bytes;
};

static void acc_finish(const struct gconv_cost_params *p, const struct acc *a,
		       struct gconv_cost *c)
{
	memset(c, 0, sizeof(*c));
	c->macs = gcost_sat(a->macs);
	c->compute_cycles = gcost_sat(ceil(a->compute));
	c->dram_bytes = gcost_sat(a->dram_bytes);
	c->dram_cycles =
		gcost_sat(ceil(a->dram_bytes / p->dram_bytes_per_cycle));
	c->cycles = c->compute_cycles > c->dram_cycles ? c->compute_cycles
						       : c->dram_cycles;
	c->rf = gcost_sat(a->rf);
	c->noc = gcost_sat(a->noc);
	c->glb = gcost_sat(a->glb);
	c->dram = gcost_sat(a->dram);
	c->energy = p->e_mac * a->macs + p->e_rf * a->rf + p->e_noc * a->noc +
		    p->e_glb * a->glb + p->e_dram * a->dram;
	c->utilization = a->compute > 0 && a->lanes > 0
				 ? a->macs / (ceil(a->compute) * a->lanes)
				 : 0;
}

/* DRAM words and bytes of operand @op read (or written) once. */
static void once(const struct cprob *pb, int op, struct acc *a)
{
	a->dram += pb->total[op];
	a->dram_bytes += pb->total[op] * pb->esize[op];
}

static double dmax(double a, double b)
{
	return a > b ? a : b;
}

static double vector_lanes(const struct gconv_cost_params *p)
{
	return p->vector_lanes ? p->vector_lanes : p->pe_cols;
}

/* ---- matrix/vector ------------------------------------------------------ */

/* A GCONV the GEMM engine takes: multiply-accumulate with weights that do
 * not depend on the output channel's input (X shared by every k). */
static int gemmable(const struct gconv_desc *d, const struct cprob *pb)
{
	return d->main == GCONV_MAIN_MUL && d->reduce == GCONV_REDUCE_SUM &&
	       pb->used[OX] && pb->used[OY] && !pb->dep[OX][DK];
}

/* The input already is the GEMM's matrix: a 1x1 window, unit strides and
 * no padding, holes or cropping. */
static int needs_im2col(const struct gconv_desc *d)
{
	return !(d->r == 1 && d->s == 1 && d->stride_h == 1 &&
		 d->stride_w == 1 && d->in_dilation_h == 1 &&
		 d->in_dilation_w == 1 && !d->pad_top && !d->pad_left &&
		 d->in_h == d->p && d->in_w == d->q);
}

/*
 * The GEMM as a GCONV of its own for the DRAM-level tiling search: M =
 * n*p*q rows (on P), the C*R*S reduction (on C), the K columns, per group;
 * no window, so no halo: im2col gave up convolution's input reuse.
 */
static void gemm_prob(const struct cprob *pb, struct cprob *g)
{
	int d;

	memset(g, 0, sizeof(*g));
	for (d = 0; d < ND; d++)
		g->D[d] = 1;
	g->D[DG] = pb->D[DG];
	g->D[DK] = pb->D[DK];
	g->D[DC] = pb->D[DC] * pb->D[DR] * pb->D[DS];
	g->D[DP] = pb->D[DN] * pb->D[DP] * pb->D[DQ];
	memcpy(g->used, pb->used, sizeof(g->used));
	memcpy(g->esize, pb->esize, sizeof(g->esize));
	memcpy(g->mem_esize, pb->mem_esize, sizeof(g->mem_esize));
	g->dep[OX][DG] = pb->dep[OX][DG];
	g->dep[OX][DC] = 1;
	g->dep[OX][DP] = 1;
	g->xrow = 1;
	g->dep[OY][DG] = pb->dep[OY][DG];
	g->dep[OY][DK] = pb->dep[OY][DK];
	g->dep[OY][DC] = 1;
	if (pb->used[OB]) {
		g->dep[OB][DG] = pb->dep[OB][DG];
		g->dep[OB][DK] = pb->dep[OB][DK];
		g->dep[OB][DP] =
			pb->dep[OB][DN] || pb->dep[OB][DP] || pb->dep[OB][DQ];
	}
	g->dep[OO][DG] = pb->dep[OO][DG];
	g->dep[OO][DK] = pb->dep[OO][DK];
	g->dep[OO][DP] = 1;
	g->sh = g->sw = g->dh = g->dw = g->ih = g->iw = 1;
	g->in_h = g->D[DP];
	g->in_w = 1;
	g->accumulate = pb->accumulate;
	g->macs = pb->macs;
	g->outputs = pb->outputs;
	for (d = 0; d < NOPS; d++)
		if (g->used[d])
			g->total[d] = gcost_footprint(g, d, g->D);
}

/*
 * im2col + weight-stationary systolic GEMM (docs/cost-model.md):
 *   im2col:  read X once, write the M x CRS matrix A (vector unit, DMA)
 *   GEMM:    per group, ceil(CRS/rows) x ceil(K/cols) weight tiles, each
 *            streaming M rows through the array: M + rows + cols cycles;
 *            per MAC one weight-register read and two PE-to-PE hops (the
 *            input moving right, the partial sum moving down); from the
 *            GLB, A once per column tile, the weights once, each output's
 *            partial sum written per row tile and read back per extra one
 *   DRAM:    the GEMM's own GLB tiling (the same search as GCONV Chain's)
 */
static int gemm_cost(const struct gconv_cost_params *p,
		     const struct gconv_desc *d, const struct cprob *pb,
		     struct gconv_cost *c)
{
	struct cprob g;
	struct acc a;
	double rows = p->pe_rows, cols = p->pe_cols;
	double kd, m, tr, tc, words, bytes;
	int r;

	memset(&a, 0, sizeof(a));
	gemm_prob(pb, &g);
	kd = g.D[DC];
	m = g.D[DP];
	if (needs_im2col(d) && (p->flags & GCONV_COST_P_IM2COL_ONCHIP)) {
		/* expanded from GLB tiles of X: DRAM sees the convolution's
		 * own tiling, the GLB the expanded matrix */
		r = gcost_dram_search(pb, (double)p->glb_bytes, 0, &words,
				      &bytes);
		a.glb += g.total[OX];
	} else {
		if (needs_im2col(d)) {
			double aw = g.D[DG] * m * kd;

			once(pb, OX, &a);
			a.dram += aw;
			a.dram_bytes += aw * pb->esize[OX];
			a.glb += pb->total[OX] + 2 * aw;
			a.compute += (pb->total[OX] + aw) / vector_lanes(p);
		}
		r = gcost_dram_search(&g, (double)p->glb_bytes, 0, &words,
				      &bytes);
	}
	if (r)
		return r;
	tr = ceil(kd / rows);
	tc = ceil(g.D[DK] / cols);
	a.macs = pb->macs;
	a.compute += g.D[DG] * tr * tc * (m + rows + cols);
	a.lanes = rows * cols;
	a.rf += pb->macs;
	a.noc += 2 * pb->macs;
	a.glb += g.D[DG] * m * kd * tc + g.total[OY] +
		 pb->outputs * (2 * tr - 1) + (pb->used[OB] ? pb->outputs : 0) +
		 words;
	a.dram += words;
	a.dram_bytes += bytes;
	acc_finish(p, &a, c);
	return 0;
}

/*
 * The vector unit: one operation per tap, vector-width lanes; every
 * operand element read from the GLB per tap (a vector unit has no
 * convolution window reuse), the output written once; the layer's inputs
 * from DRAM and its output back.
 */
static void vector_cost(const struct gconv_cost_params *p,
			const struct cprob *pb, struct gconv_cost *c)
{
	struct acc a;
	int op;

	memset(&a, 0, sizeof(a));
	a.macs = pb->macs;
	a.lanes = vector_lanes(p);
	a.compute = pb->macs / a.lanes;
	for (op = 0; op < NOPS; op++)
		if (pb->used[op])
			once(pb, op, &a);
	if (pb->accumulate)
		once(pb, OO, &a);
	a.rf = 3 * pb->macs;
	a.glb = a.dram + pb->macs * (pb->used[OX] + pb->used[OY]) +
		pb->outputs + (pb->used[OB] ? pb->outputs : 0);
	acc_finish(p, &a, c);
}

/* ---- dedicated units ------------------------------------------------------
 */

/*
 * A fixed unit of @rate elements per cycle (NVDLA: SDP elements, PDP input
 * elements): one operation per tap, two register accesses per operation
 * (operand, accumulator); inputs not fed on the fly come from DRAM through
 * the unit's buffer, the output goes back unless consumed on the fly and
 * dead.
 */
static void unit_cost(const struct gconv_cost_params *p, const struct cprob *pb,
		      uint32_t kind, uint32_t streamed, int nowrite,
		      struct gconv_cost *c)
{
	static const uint32_t bit[3] = { GCONV_COST_CTX_X_RESIDENT,
					 GCONV_COST_CTX_Y_RESIDENT,
					 GCONV_COST_CTX_B_RESIDENT };
	struct acc a;
	double work = pb->outputs, fed = 0;
	int op;

	memset(&a, 0, sizeof(a));
	if (kind == GCONV_COST_KIND_POOL && pb->used[OX])
		work = pb->total[OX] > work ? pb->total[OX] : work;
	a.macs = pb->macs;
	a.lanes = p->unit_rate[kind];
	a.compute = work / a.lanes;
	for (op = OX; op <= OB; op++) {
		if (!pb->used[op])
			continue;
		if (streamed & bit[op])
			fed += pb->total[op];
		else
			once(pb, op, &a);
	}
	if (!nowrite)
		once(pb, OO, &a);
	if (pb->accumulate)
		once(pb, OO, &a);
	a.rf = 2 * pb->macs;
	a.noc = fed;
	a.glb = a.dram;
	acc_finish(p, &a, c);
	if (streamed)
		c->flags |= GCONV_COST_R_STREAMED;
}

/* ---- the per-layer driver -------------------------------------------------
 */

struct ldrv {
	const struct gconv_cost_params *p;
	uint32_t arch;
	struct cost_chain_view v;
	const uint8_t *kinds;
	const struct gconv_cost_range *outputs;
	uint32_t noutputs;
	struct gconv_cost_layer *layers;
	uint32_t n;
	struct cost_chain_state st; /* GCONV Chain */
	double pipe_compute;	    /* dedicated: the pipeline's slowest */
	double pipe_dram;	    /* and its DRAM cycles together */
};

static uint32_t kind_at(const struct ldrv *dr, uint32_t i)
{
	return dr->kinds[i] < GCONV_COST_KIND_COUNT ? dr->kinds[i]
						    : GCONV_COST_KIND_OTHER;
}

static int group(struct ldrv *dr, uint32_t flags, uint32_t max)
{
	uint32_t i;
	int split = (flags & GCONV_COST_F_SPLIT_POST) &&
		    dr->arch != GCONV_COST_ARCH_CHAIN;

	dr->n = 0;
	for (i = 0; i < dr->v.count; i++) {
		struct gconv_desc d;
		struct gconv_cost_layer *l;

		gcost_chain_get(&dr->v, i, &d);
		l = dr->n ? &dr->layers[dr->n - 1] : NULL;
		if (l && !l->synthetic && l->tag == d.tag &&
		    l->first + l->count == i) {
			l->count++;
		} else {
			if (dr->n == max)
				return GCONV_COST_ERANGE;
			l = &dr->layers[dr->n++];
			memset(l, 0, sizeof(*l));
			l->tag = d.tag;
			l->kind = kind_at(dr, i);
			l->first = i;
			l->count = 1;
		}
		/* a fused activation of a convolution: a layer of its own */
		if (split && l->kind == GCONV_COST_KIND_CONV &&
		    d.post != GCONV_POST_IDENTITY) {
			struct gconv_desc nx;

			if (i + 1 < dr->v.count) {
				gcost_chain_get(&dr->v, i + 1, &nx);
				if (nx.tag == d.tag)
					continue; /* not the layer's last */
			}
			if (dr->n == max)
				return GCONV_COST_ERANGE;
			l = &dr->layers[dr->n++];
			memset(l, 0, sizeof(*l));
			l->tag = d.tag;
			l->kind = GCONV_COST_KIND_ACT;
			l->first = i + 1;
			l->synthetic = 1;
		}
	}
	return 0;
}

static int streams_into(uint32_t kind)
{
	return kind == GCONV_COST_KIND_ACT || kind == GCONV_COST_KIND_NORM ||
	       kind == GCONV_COST_KIND_ELTWISE || kind == GCONV_COST_KIND_POOL;
}

static int feeds(uint32_t kind)
{
	return kind == GCONV_COST_KIND_CONV || kind == GCONV_COST_KIND_ACT ||
	       kind == GCONV_COST_KIND_NORM || kind == GCONV_COST_KIND_ELTWISE;
}

/* Dedicated units: does layer @j take its input on the fly from layer
 * j - 1?  Which operands of its first descriptor (a residency mask). */
static uint32_t fed_mask(const struct ldrv *dr, uint32_t j)
{
	const struct gconv_cost_layer *l = &dr->layers[j], *pl;
	struct gconv_desc d, pd;
	struct gconv_cost_range o;
	uint32_t mask;

	if (!j || !streams_into(l->kind) ||
	    (dr->p->flags & GCONV_COST_P_UNITS_STANDALONE))
		return 0;
	pl = &dr->layers[j - 1];
	if (!feeds(pl->kind) || (!pl->count && !pl->synthetic))
		return 0;
	if (l->synthetic)
		return GCONV_COST_CTX_X_RESIDENT;
	if (pl->synthetic)
		pl = &dr->layers[j - 2]; /* the convolution before it */
	gcost_chain_get(&dr->v, pl->first + pl->count - 1, &pd);
	gcost_chain_get(&dr->v, l->first, &d);
	gcost_operand_range(&pd.o, &o);
	gcost_reads(&d, &o, &mask);
	return mask & (GCONV_COST_CTX_X_RESIDENT | GCONV_COST_CTX_B_RESIDENT);
}

/* Layer @j's last output is streamed to the next layer (past a split-off
 * activation, which passes it through) and dead after it. */
static int out_nowrite(const struct ldrv *dr, uint32_t j)
{
	const struct gconv_cost_layer *l = &dr->layers[j];
	struct gconv_desc d;
	struct gconv_cost_range o;
	uint32_t last, nx = j + 1;

	if (nx < dr->n && dr->layers[nx].synthetic)
		nx++;
	if (nx >= dr->n || !l->count || dr->layers[nx].synthetic ||
	    !fed_mask(dr, nx))
		return 0;
	last = l->first + l->count - 1;
	gcost_chain_get(&dr->v, last, &d);
	gcost_operand_range(&d.o, &o);
	return !gcost_live_after(&dr->v, last, &o, dr->outputs, dr->noutputs);
}

static int desc_cost(struct ldrv *dr, uint32_t j, uint32_t i,
		     struct gconv_cost *c)
{
	const struct gconv_cost_layer *l = &dr->layers[j];
	struct gconv_desc d;
	struct cprob pb;
	int r, last = i + 1 == l->first + l->count;
	uint32_t fed = 0, nowrite = 0;

	if (dr->arch == GCONV_COST_ARCH_CHAIN)
		return gcost_chain_step(dr->p, &dr->v, i, dr->outputs,
					dr->noutputs, &dr->st, c);
	gcost_chain_get(&dr->v, i, &d);
	r = gcost_prob_init(dr->p, &d, &pb);
	if (r)
		return r;
	if (dr->arch == GCONV_COST_ARCH_MATVEC) {
		if (l->kind == GCONV_COST_KIND_CONV && gemmable(&d, &pb))
			return gemm_cost(dr->p, &d, &pb, c);
		vector_cost(dr->p, &pb, c);
		return 0;
	}
	if (i == l->first)
		fed = fed_mask(dr, j);
	if (last)
		nowrite = (uint32_t)out_nowrite(dr, j);
	if (l->kind == GCONV_COST_KIND_CONV) {
		struct gconv_cost_ctx ctx = { 0, 0, 0 };

		if (nowrite)
			ctx.flags = GCONV_COST_CTX_OUT_NOWRITE;
		return gconv_cost_desc_ctx(dr->p, &d, &ctx, c);
	}
	unit_cost(dr->p, &pb, l->kind, fed, (int)nowrite, c);
	return 0;
}

/* A split-off activation: the convolution's output once more. */
static int synthetic_cost(struct ldrv *dr, uint32_t j, struct gconv_cost *c)
{
	const struct gconv_cost_layer *pl = &dr->layers[j - 1];
	struct gconv_desc d;
	struct cprob pb;
	int r;

	gcost_chain_get(&dr->v, pl->first + pl->count - 1, &d);
	d.main = GCONV_MAIN_TAKE_X; /* an element-wise pass over O */
	d.combine = GCONV_COMBINE_NONE;
	d.flags = 0;
	d.x = d.o;
	d.c = d.r = d.s = 1;
	d.in_h = d.p;
	d.in_w = d.q;
	d.stride_h = d.stride_w = d.dilation_h = d.dilation_w = 1;
	d.in_dilation_h = d.in_dilation_w = 1;
	d.x.stride[GCONV_SLOT_C] = 0;
	r = gcost_prob_init(dr->p, &d, &pb);
	if (r)
		return r;
	if (dr->arch == GCONV_COST_ARCH_MATVEC) {
		vector_cost(dr->p, &pb, c);
		return 0;
	}
	/* dedicated: fed by the convolution, written in its place; or, one
	 * layer at a time, read back and written again */
	if (dr->p->flags & GCONV_COST_P_UNITS_STANDALONE)
		unit_cost(dr->p, &pb, GCONV_COST_KIND_ACT, 0, 0, c);
	else
		unit_cost(dr->p, &pb, GCONV_COST_KIND_ACT,
			  GCONV_COST_CTX_X_RESIDENT, 1, c);
	return 0;
}

/*
 * Dedicated units: a layer fed on the fly runs concurrently with its
 * producers.  The pipeline takes as long as its slowest unit or as its
 * members' DRAM traffic together, whichever is longer; a member counts the
 * cycles it adds to the pipeline.
 */
static void overlap(struct ldrv *dr, uint32_t j, struct gconv_cost *lc)
{
	const struct gconv_cost_layer *l = &dr->layers[j];
	double before, after;
	int fed = !(dr->p->flags & GCONV_COST_P_UNITS_STANDALONE) &&
		  (l->synthetic || (l->count && fed_mask(dr, j)));

	if (dr->arch != GCONV_COST_ARCH_DEDICATED)
		return;
	if (!fed) {
		dr->pipe_compute = (double)lc->compute_cycles;
		dr->pipe_dram = (double)lc->dram_cycles;
		return;
	}
	before = dmax(dr->pipe_compute, dr->pipe_dram);
	dr->pipe_compute = dmax(dr->pipe_compute, (double)lc->compute_cycles);
	dr->pipe_dram += (double)lc->dram_cycles;
	after = dmax(dr->pipe_compute, dr->pipe_dram);
	lc->cycles = gcost_sat(after - before);
	lc->flags |= GCONV_COST_R_STREAMED;
}

int gconv_cost_layers(const struct gconv_cost_params *p, uint32_t arch,
		      const void *chain, size_t len, const uint8_t *kinds,
		      uint32_t flags, const struct gconv_cost_range *outputs,
		      uint32_t noutputs, struct gconv_cost_layer *layers,
		      uint32_t max_layers, uint32_t *nlayers,
		      struct gconv_cost *total)
{
	struct ldrv dr;
	uint32_t j, i;
	int r;

	if (total)
		memset(total, 0, sizeof(*total));
	if (nlayers)
		*nlayers = 0;
	if (!p || !kinds || !layers || !nlayers ||
	    arch >= GCONV_COST_ARCH_COUNT || (flags & ~GCONV_COST_F_ALL) ||
	    (!outputs && noutputs))
		return GCONV_COST_EARG;
	r = gconv_cost_params_check(p);
	if (r)
		return r;
	memset(&dr, 0, sizeof(dr));
	r = gcost_chain_open(chain, len, &dr.v);
	if (r)
		return r;
	dr.p = p;
	dr.arch = arch;
	dr.kinds = kinds;
	dr.outputs = outputs;
	dr.noutputs = noutputs;
	dr.layers = layers;
	r = group(&dr, flags, max_layers);
	if (r)
		return r;
	for (j = 0; j < dr.n; j++) {
		struct gconv_cost_layer *l = &layers[j];
		struct gconv_cost c;

		memset(&l->cost, 0, sizeof(l->cost));
		if (l->synthetic) {
			r = synthetic_cost(&dr, j, &c);
			if (r)
				return r;
			gconv_cost_add(&l->cost, &c);
		}
		for (i = l->first; i < l->first + l->count; i++) {
			r = desc_cost(&dr, j, i, &c);
			if (r)
				return r;
			gconv_cost_add(&l->cost, &c);
			if (l->count == 1) { /* keep its mapping */
				l->cost.map = c.map;
				l->cost.flags |= c.flags & GCONV_COST_R_MAPPED;
			}
		}
		overlap(&dr, j, &l->cost);
		if (total)
			gconv_cost_add(total, &l->cost);
	}
	*nlayers = dr.n;
	return 0;
}
