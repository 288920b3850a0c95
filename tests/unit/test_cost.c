// SPDX-License-Identifier: MIT
/*
 * The analytical cost model, libgconvdev/include/gconv/cost.h.
 *
 * Over many random valid descriptors and several accelerators: the chosen
 * mapping is legal (array factors fit the array and the loops, tiles cover
 * the loops and fit the register file and the global buffer), MACs are the
 * descriptor's n*g*k*p*q*c*r*s, energy is the access counts times the
 * energy ratios, DRAM traffic never falls below the compulsory traffic,
 * and a bigger global buffer or register file never costs more cycles or
 * energy.  Chains: keeping an intermediate on chip lowers DRAM traffic.
 * Baselines: small cases checked against numbers computed by hand.
 * Garbage descriptors, chains and parameters give an error, never a crash
 * (this binary also runs under ASan and UBSan).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gconv/cost.h>
#include <gconv/engine.h>
#include <gconv/validate.h>

#include "../harness.h"

#define N_RANDOM 300

static const struct gconv_limits limits = GCONV_LIMITS_DEFAULT;

/* ---- random valid descriptors ----------------------------------------- */

static uint32_t rnd(unsigned long long *rs, uint32_t lo, uint32_t hi)
{
	return (uint32_t)harness_randint(rs, (int)lo, (int)hi);
}

static void strides(struct gconv_operand *op, uint64_t n, uint64_t g,
		    uint64_t k, uint64_t c, uint64_t row, uint64_t col)
{
	const uint64_t s[GCONV_SLOTS] = { n, g, k, c, row, col };

	memcpy(op->stride, s, sizeof(s));
	op->dtype = GCONV_DTYPE_F32;
}

/* Extents and disjoint addresses for the operands the descriptor uses. */
static void place(struct gconv_desc *d)
{
	struct gconv_operand *ops[4] = { &d->x, &d->y, &d->b, &d->o };
	const char names[4] = { 'X', 'Y', 'B', 'O' };
	int used[4] = { d->main != GCONV_MAIN_TAKE_Y,
			d->main != GCONV_MAIN_TAKE_X,
			d->combine != GCONV_COMBINE_NONE, 1 };
	uint64_t addr = 0x10000;
	int i;

	for (i = 0; i < 4; i++) {
		if (!used[i]) {
			memset(ops[i], 0, sizeof(*ops[i]));
			continue;
		}
		ops[i]->extent = gconv_operand_min_extent(d, names[i]);
		ops[i]->addr = addr;
		addr += (ops[i]->extent * 4 + 4095) / 4096 * 4096 + 4096;
	}
}

/*
 * A random GCONV: a (grouped, strided, dilated, transposed) convolution,
 * a pooling, an element-wise operation or a fully connected layer, with
 * random operators, batch and broadcasting.
 */
static void rand_desc(unsigned long long *rs, struct gconv_desc *d)
{
	uint32_t shape = rnd(rs, 0, 3), h, w;

	gconv_desc_init(d);
	d->n = rnd(rs, 1, 3);
	d->g = rnd(rs, 1, 3);
	d->k = rnd(rs, 1, 48);
	d->c = rnd(rs, 1, 48);
	d->r = rnd(rs, 1, 5);
	d->s = rnd(rs, 1, 5);
	d->stride_h = rnd(rs, 1, 3);
	d->stride_w = rnd(rs, 1, 3);
	d->dilation_h = rnd(rs, 1, 2);
	d->dilation_w = rnd(rs, 1, 2);
	if (rnd(rs, 0, 5) == 0)
		d->in_dilation_h = d->in_dilation_w = rnd(rs, 2, 3);
	d->p = rnd(rs, 1, 40);
	d->q = rnd(rs, 1, 40);
	d->pad_top = d->pad_left = rnd(rs, 0, 2);
	d->main = GCONV_MAIN_MUL;
	d->reduce = GCONV_REDUCE_SUM;
	d->combine = rnd(rs, 0, 1) ? GCONV_COMBINE_ADD : GCONV_COMBINE_NONE;
	d->post = (uint8_t)rnd(rs, 0, 2);
	if (shape == 1) { /* pooling */
		d->c = 1;
		d->main = GCONV_MAIN_TAKE_X;
		d->reduce = (uint8_t)(rnd(rs, 0, 1) ? GCONV_REDUCE_MAX
						    : GCONV_REDUCE_MEAN_VALID);
		d->combine = GCONV_COMBINE_NONE;
	} else if (shape == 2) { /* element-wise */
		d->c = d->r = d->s = 1;
		d->stride_h = d->stride_w = 1;
		d->dilation_h = d->dilation_w = 1;
		d->in_dilation_h = d->in_dilation_w = 1;
		d->pad_top = d->pad_left = 0;
		d->main = (uint8_t)(rnd(rs, 0, 1) ? GCONV_MAIN_TAKE_X
						  : GCONV_MAIN_ADD);
	} else if (shape == 3) { /* fully connected */
		d->p = d->q = 1;
		d->r = d->s = 1;
		d->c = rnd(rs, 1, 600);
		d->k = rnd(rs, 1, 300);
	}
	if (rnd(rs, 0, 9) == 0)
		d->flags = GCONV_DESC_F_ACCUMULATE;
	if (d->reduce != GCONV_REDUCE_SUM)
		d->flags = 0;
	h = (d->p - 1) * d->stride_h + (d->r - 1) * d->dilation_h + 1;
	w = (d->q - 1) * d->stride_w + (d->s - 1) * d->dilation_w + 1;
	d->in_h = (h + d->in_dilation_h - 1) / d->in_dilation_h;
	d->in_w = (w + d->in_dilation_w - 1) / d->in_dilation_w;
	if (d->in_h > 1 && rnd(rs, 0, 1))
		d->in_h -= 1; /* the padding covers the rest */
	{
		uint64_t hw = (uint64_t)d->in_h * d->in_w, c = d->c;
		uint64_t pq = (uint64_t)d->p * d->q, k = d->k;
		int elt = d->main != GCONV_MAIN_MUL || shape == 1;

		/* X: a convolution's input is shared by every k; a pooling's
		 * or element-wise operation's input has k on channels */
		strides(&d->x, d->g * (elt ? k : c) * hw, (elt ? k : c) * hw,
			elt ? hw : 0, elt ? 0 : hw, d->in_w, 1);
		if (d->main == GCONV_MAIN_ADD) /* per-channel Y */
			strides(&d->y, 0, k, 1, 0, 0, 0);
		else
			strides(&d->y, 0, k * c * d->r * d->s, c * d->r * d->s,
				d->r * d->s, d->s, 1);
		if (rnd(rs, 0, 1)) /* bias */
			strides(&d->b, 0, k, 1, 0, 0, 0);
		else /* residual */
			strides(&d->b, d->g * k * pq, k * pq, pq, 0, d->q, 1);
		strides(&d->o, d->g * k * pq, k * pq, pq, 0, d->q, 1);
		if (rnd(rs, 0, 4) == 0) /* X broadcast over the batch */
			d->x.stride[GCONV_SLOT_N] = 0;
	}
	place(d);
}

static void check_valid(const struct gconv_desc *d)
{
	struct gconv_verror e;

	if (gconv_validate_desc(d, 0, &limits, &e))
		FAILF("generator made an invalid descriptor: %s field %s",
		      gconv_verr_str(e.code), e.field);
}

/* ---- an independent footprint, as docs/cost-model.md defines it --------- */

static double span(double p, double r, double st, double dl, double idl,
		   double in)
{
	double s = ((p - 1) * st + (r - 1) * dl) / idl + 1;

	if (s > p * r)
		s = p * r;
	if (s > in)
		s = in;
	return s < 1 ? 1 : s;
}

/* Elements of operand @op ('X', 'Y', 'B', 'O') a tile @t touches. */
static double footprint(const struct gconv_desc *d, char op, const uint32_t *t)
{
	const struct gconv_operand *o = op == 'X'   ? &d->x
					: op == 'Y' ? &d->y
					: op == 'B' ? &d->b
						    : &d->o;
	double f = 1;
	int i;

	if (op == 'X') {
		for (i = 0; i < 4; i++) /* N G K C */
			if (o->stride[i])
				f *= t[i];
		if (o->stride[GCONV_SLOT_ROW])
			f *= span(t[GCONV_COST_DIM_P], t[GCONV_COST_DIM_R],
				  d->stride_h, d->dilation_h, d->in_dilation_h,
				  d->in_h);
		if (o->stride[GCONV_SLOT_COL])
			f *= span(t[GCONV_COST_DIM_Q], t[GCONV_COST_DIM_S],
				  d->stride_w, d->dilation_w, d->in_dilation_w,
				  d->in_w);
		return f;
	}
	if (op == 'Y') {
		for (i = 0; i < 4; i++)
			if (o->stride[i])
				f *= t[i];
		if (o->stride[GCONV_SLOT_ROW])
			f *= t[GCONV_COST_DIM_R];
		if (o->stride[GCONV_SLOT_COL])
			f *= t[GCONV_COST_DIM_S];
		return f;
	}
	for (i = 0; i < 3; i++)
		if (o->stride[i])
			f *= t[i];
	if (o->stride[GCONV_SLOT_ROW])
		f *= t[GCONV_COST_DIM_P];
	if (o->stride[GCONV_SLOT_COL])
		f *= t[GCONV_COST_DIM_Q];
	return f;
}

static void dims_of(const struct gconv_desc *d, uint32_t *D)
{
	D[GCONV_COST_DIM_N] = d->n;
	D[GCONV_COST_DIM_G] = d->g;
	D[GCONV_COST_DIM_K] = d->k;
	D[GCONV_COST_DIM_C] = d->c;
	D[GCONV_COST_DIM_P] = d->p;
	D[GCONV_COST_DIM_Q] = d->q;
	D[GCONV_COST_DIM_R] = d->r;
	D[GCONV_COST_DIM_S] = d->s;
}

static int uses(const struct gconv_desc *d, char op)
{
	switch (op) {
	case 'X':
		return d->main != GCONV_MAIN_TAKE_Y;
	case 'Y':
		return d->main != GCONV_MAIN_TAKE_X;
	case 'B':
		return d->combine != GCONV_COMBINE_NONE;
	default:
		return 1;
	}
}

static double tile_bytes(const struct gconv_desc *d, const uint32_t *t,
			 const char *ops, double wb)
{
	double b = 0;

	for (; *ops; ops++)
		if (uses(d, *ops))
			b += footprint(d, *ops, t) * wb;
	return b;
}

/* ---- the properties --------------------------------------------------- */

static double ceil_div(double a, double b)
{
	return ceil(a / b);
}

static void check_mapping(const struct gconv_cost_params *p,
			  const struct gconv_desc *d,
			  const struct gconv_cost *c)
{
	const struct gconv_cost_mapping *m = &c->map;
	uint32_t D[GCONV_COST_DIMS], sp[GCONV_COST_DIMS];
	double wb = p->word_bytes ? p->word_bytes : 4, c0 = 1;
	int seen[GCONV_COST_DIMS] = { 0 }, i;

	dims_of(d, D);
	CHECK(c->flags & GCONV_COST_R_MAPPED);
	for (i = 0; i < GCONV_COST_DIMS; i++)
		sp[i] = 1;
	/* the array: at most two loops on the rows, one on the columns */
	CHECK(m->row_factor[0] >= 1 && m->row_factor[1] >= 1 &&
	      m->col_factor >= 1);
	CHECK((uint64_t)m->row_factor[0] * m->row_factor[1] <= p->pe_rows);
	CHECK(m->col_factor <= p->pe_cols);
	for (i = 0; i < 2; i++) {
		if (m->row_dim[i] == GCONV_COST_NODIM) {
			CHECK(m->row_factor[i] == 1);
			continue;
		}
		CHECK(m->row_dim[i] < GCONV_COST_DIMS);
		CHECK(m->row_factor[i] <= D[m->row_dim[i]]);
		sp[m->row_dim[i]] *= m->row_factor[i];
	}
	CHECK(m->row_dim[0] != m->row_dim[1] ||
	      m->row_dim[0] == GCONV_COST_NODIM);
	if (m->col_dim != GCONV_COST_NODIM) {
		CHECK(m->col_dim < GCONV_COST_DIMS);
		CHECK(m->col_factor <= D[m->col_dim]);
		sp[m->col_dim] *= m->col_factor;
	} else {
		CHECK(m->col_factor == 1);
	}
	for (i = 0; i < GCONV_COST_DIMS; i++) {
		double share = ceil_div(D[i], sp[i]);

		CHECK_EQ_INT(m->spatial[i], sp[i]);
		/* tiles cover their loop: 1 <= tile <= what is left */
		CHECK(m->rf_tile[i] >= 1 && m->rf_tile[i] <= share);
		CHECK(m->glb_tile[i] >= 1 && m->glb_tile[i] <= D[i]);
		c0 *= share;
	}
	/* the tiles fit their buffers */
	CHECK(tile_bytes(d, m->rf_tile, "XYO", wb) <= p->rf_bytes);
	CHECK(tile_bytes(d, m->glb_tile, "XYBO", wb) <= (double)p->glb_bytes);
	/* compute cycles follow from the array mapping */
	CHECK_EQ_INT(c->compute_cycles, (uint64_t)c0);
	CHECK(c->cycles == (c->compute_cycles > c->dram_cycles
				    ? c->compute_cycles
				    : c->dram_cycles));
	CHECK(fabs((double)c->dram_cycles -
		   ceil((double)c->dram_bytes / p->dram_bytes_per_cycle)) <= 1);
	CHECK(c->utilization > 0 && c->utilization <= 1 + 1e-9);
	/* the orders list each loop of more than one iteration once */
	for (i = 0; i < GCONV_COST_DIMS; i++) {
		uint8_t g = m->glb_order[i];

		if (g == GCONV_COST_NODIM)
			break;
		CHECK(g < GCONV_COST_DIMS && !seen[g] && D[g] > 1);
		seen[g] = 1;
	}
}

static void check_energy(const struct gconv_cost_params *p,
			 const struct gconv_cost *c)
{
	double e = p->e_mac * (double)c->macs + p->e_rf * (double)c->rf +
		   p->e_noc * (double)c->noc + p->e_glb * (double)c->glb +
		   p->e_dram * (double)c->dram;
	/* the counts are rounded to integers: half an access each */
	double tol =
		0.5 * (p->e_rf + p->e_noc + p->e_glb + p->e_dram) + 1e-9 * e;

	CHECK_NEAR(c->energy, e, 0, tol);
}

static uint64_t macs_of(const struct gconv_desc *d)
{
	return (uint64_t)d->n * d->g * d->k * d->p * d->q * d->c * d->r * d->s;
}

/* Compulsory DRAM words: every input element read once, every output
 * element written once. */
static double compulsory(const struct gconv_desc *d)
{
	uint32_t D[GCONV_COST_DIMS];
	double w = 0;
	const char *op;

	dims_of(d, D);
	for (op = "XYBO"; *op; op++)
		if (uses(d, *op))
			w += footprint(d, *op, D);
	return w;
}

static void param_sets(struct gconv_cost_params *ps, int *n)
{
	int i;

	for (i = 0; i < 5; i++)
		gconv_cost_params_default(&ps[i]);
	ps[1].rf_bytes = 64; /* tiny register files */
	ps[1].glb_bytes = 4096;
	ps[2].pe_rows = 32; /* a big square array */
	ps[2].pe_cols = 32;
	ps[3].pe_rows = 1; /* a single PE */
	ps[3].pe_cols = 1;
	ps[4].word_bytes = 0; /* the descriptors' fp32 */
	ps[4].glb_bytes = 1 << 20;
	*n = 5;
}

TEST(mapping_always_legal)
{
	unsigned long long rs = 0x5eed1;
	struct gconv_cost_params ps[5];
	int np, i, k;

	param_sets(ps, &np);
	for (i = 0; i < N_RANDOM; i++) {
		struct gconv_desc d;

		rand_desc(&rs, &d);
		check_valid(&d);
		for (k = 0; k < np; k++) {
			struct gconv_cost c;
			int r = gconv_cost_desc(&ps[k], &d, &c);

			if (r)
				FAILF("descriptor %d, params %d: %s", i, k,
				      gconv_cost_strerror(r));
			check_mapping(&ps[k], &d, &c);
		}
	}
}

TEST(macs_and_energy_consistent)
{
	unsigned long long rs = 0x5eed2;
	struct gconv_cost_params ps[5];
	int np, i, k;

	param_sets(ps, &np);
	ps[2].e_rf = 0.5; /* other ratios than Eyeriss's too */
	ps[2].e_noc = 3;
	ps[2].e_glb = 10;
	ps[2].e_dram = 640;
	for (i = 0; i < N_RANDOM; i++) {
		struct gconv_desc d;

		rand_desc(&rs, &d);
		for (k = 0; k < np; k++) {
			struct gconv_cost c;

			CHECK_EQ_INT(gconv_cost_desc(&ps[k], &d, &c), 0);
			CHECK_EQ_INT(c.macs, macs_of(&d));
			check_energy(&ps[k], &c);
			/* never less than the compulsory traffic */
			CHECK((double)c.dram + 0.5 >= compulsory(&d));
			CHECK(c.dram_bytes >= c.dram);
		}
	}
}

/* Cycles, energy and DRAM bytes of @a are no more than @b's. */
static void check_no_worse(const struct gconv_cost *a,
			   const struct gconv_cost *b, int i, const char *what)
{
	if (a->cycles > b->cycles || a->energy > b->energy ||
	    a->dram_bytes > b->dram_bytes)
		FAILF("descriptor %d: bigger %s costs more: cycles %llu > %llu "
		      "or energy %.17g > %.17g or DRAM %llu > %llu",
		      i, what, (unsigned long long)a->cycles,
		      (unsigned long long)b->cycles, a->energy, b->energy,
		      (unsigned long long)a->dram_bytes,
		      (unsigned long long)b->dram_bytes);
}

TEST(bigger_buffers_never_cost_more)
{
	static const uint64_t glb[] = { 512, 4096, 16384, 110592, 1 << 20 };
	static const uint32_t rf[] = { 16, 64, 256, 520, 4096 };
	unsigned long long rs = 0x5eed3;
	int i, k;

	for (i = 0; i < N_RANDOM; i++) {
		struct gconv_cost_params p;
		struct gconv_desc d;
		struct gconv_cost prev, c;

		rand_desc(&rs, &d);
		gconv_cost_params_default(&p);
		p.rf_bytes = 64;
		for (k = 0; k < 5; k++) {
			p.glb_bytes = glb[k];
			CHECK_EQ_INT(gconv_cost_desc(&p, &d, &c), 0);
			if (k)
				check_no_worse(&c, &prev, i, "global buffer");
			prev = c;
		}
		gconv_cost_params_default(&p);
		for (k = 0; k < 5; k++) {
			int r;

			p.rf_bytes = rf[k];
			r = gconv_cost_desc(&p, &d, &c);
			if (r == GCONV_COST_ENOSPACE && k == 0)
				continue; /* 16 bytes: 3 words of 2 fit */
			CHECK_EQ_INT(r, 0);
			if (k)
				check_no_worse(&c, &prev, i, "register file");
			prev = c;
		}
	}
}

/* A 3x3 convolution that fills the array: busy PEs, compulsory traffic
 * for data that fits. */
TEST(reference_convolution)
{
	struct gconv_cost_params p;
	struct gconv_desc d;
	struct gconv_cost c;

	gconv_desc_init(&d);
	d.k = 64;
	d.c = 64;
	d.p = d.q = 56;
	d.r = d.s = 3;
	d.in_h = d.in_w = 56;
	d.pad_top = d.pad_left = d.pad_bottom = d.pad_right = 1;
	d.combine = GCONV_COMBINE_ADD;
	strides(&d.x, 0, 0, 0, 56 * 56, 56, 1);
	strides(&d.y, 0, 0, 64 * 9, 9, 3, 1);
	strides(&d.b, 0, 0, 1, 0, 0, 0);
	strides(&d.o, 0, 0, 56 * 56, 0, 56, 1);
	place(&d);
	check_valid(&d);
	gconv_cost_params_default(&p);
	CHECK_EQ_INT(gconv_cost_desc(&p, &d, &c), 0);
	CHECK(c.utilization > 0.95);
	/* 115.6 M MACs on 168 PEs */
	CHECK(c.compute_cycles >= 115605504ull / 168);
	CHECK(c.compute_cycles <= 115605504ull / 168 * 105 / 100);
	/* X, Y, B, O once each would be 200704+36864+64+200704 words; the
	 * 108 KB buffer cannot hold enough to get there, nor 3x more */
	CHECK((double)c.dram >= compulsory(&d));
	CHECK((double)c.dram <= 3 * compulsory(&d));
	/* with everything on chip, exactly the compulsory traffic */
	p.glb_bytes = 4 << 20;
	CHECK_EQ_INT(gconv_cost_desc(&p, &d, &c), 0);
	CHECK_EQ_INT(c.dram, 200704 + 36864 + 64 + 200704);
	CHECK_EQ_INT(c.dram_bytes, 2 * (200704 + 36864 + 64 + 200704));
}

/* ---- chains -------------------------------------------------------------- */

/* Element-wise over @n elements: O = relu(X) (+ B), at the given
 * addresses (bytes). */
static void eltwise(struct gconv_desc *d, uint32_t n, uint64_t x, uint64_t b,
		    uint64_t o)
{
	gconv_desc_init(d);
	d->q = d->in_w = n;
	d->main = GCONV_MAIN_TAKE_X;
	d->post = GCONV_POST_RELU;
	gconv_operand_f32(&d->x, x, n, 0, 0, 0, 0, 0, 1);
	if (b) {
		d->combine = GCONV_COMBINE_ADD;
		gconv_operand_f32(&d->b, b, n, 0, 0, 0, 0, 0, 1);
	}
	gconv_operand_f32(&d->o, o, n, 0, 0, 0, 0, 0, 1);
}

static void *encode(const struct gconv_desc *d, uint32_t n, size_t *len)
{
	struct gconv_chain_builder cb = { 0 };
	void *buf = NULL;
	uint32_t i;

	for (i = 0; i < n; i++)
		CHECK_EQ_INT(gconv_chain_append(&cb, &d[i]), 0);
	CHECK_EQ_INT(gconv_chain_encode(&cb, &buf, len), 0);
	gconv_chain_builder_free(&cb);
	return buf;
}

#define A1 0x100000u
#define A2 0x200000u
#define A3 0x300000u
#define A4 0x400000u

TEST(chain_keeps_intermediates_on_chip)
{
	struct gconv_cost_params p;
	struct gconv_desc d[3];
	struct gconv_cost per[3], total, alone;
	struct gconv_cost_range out = { A4, 4 * 1000 };
	uint64_t sum = 0;
	size_t len;
	void *chain;
	int i;

	gconv_cost_params_default(&p);
	/* 1000 elements (2000 bytes) fit easily in half the GLB */
	eltwise(&d[0], 1000, A1, 0, A2);
	eltwise(&d[1], 1000, A2, 0, A3);
	eltwise(&d[2], 1000, A3, 0, A4);
	chain = encode(d, 3, &len);
	CHECK_EQ_INT(gconv_cost_chain(&p, chain, len, &out, 1, per, 3, &total),
		     0);
	for (i = 0; i < 3; i++) {
		CHECK_EQ_INT(gconv_cost_desc(&p, &d[i], &alone), 0);
		sum += alone.dram_bytes;
	}
	/* alone: each reads 1000 and writes 1000; chained: read the first
	 * input, write the last output, nothing in between */
	CHECK_EQ_INT(sum, 3 * 4000);
	CHECK_EQ_INT(total.dram_bytes, 4000);
	CHECK(per[0].flags & GCONV_COST_R_OUT_NOWRITE);
	CHECK(per[1].flags & GCONV_COST_R_IN_ONCHIP);
	CHECK(!(per[2].flags & GCONV_COST_R_OUT_ONCHIP));
	CHECK(total.energy < 3 * alone.energy);
	/* unknown outputs: the last output is assumed needed, the rest are
	 * overwritten... never, so they are written through */
	CHECK_EQ_INT(gconv_cost_chain(&p, chain, len, NULL, 0, per, 3, &total),
		     0);
	CHECK_EQ_INT(total.dram_bytes, 2000 + 3 * 2000);
	free(chain);

	/* an intermediate read again later is written through */
	eltwise(&d[0], 1000, A1, 0, A2);
	eltwise(&d[1], 1000, A2, 0, A3);
	eltwise(&d[2], 1000, A3, A2, A4); /* residual: reads A2 */
	chain = encode(d, 3, &len);
	CHECK_EQ_INT(gconv_cost_chain(&p, chain, len, &out, 1, per, 3, &total),
		     0);
	CHECK(per[0].flags & GCONV_COST_R_OUT_ONCHIP);
	CHECK(!(per[0].flags & GCONV_COST_R_OUT_NOWRITE));
	CHECK_EQ_INT(per[0].dram_bytes, 2000 + 2000);
	CHECK_EQ_INT(per[1].dram_bytes, 0);
	/* the third reads its X from the GLB, B (A2) from DRAM */
	CHECK_EQ_INT(per[2].dram_bytes, 2000 + 2000);
	free(chain);

	/* overwritten piecewise by two later GCONVs before the chain's
	 * output lands on the same memory: dead, never written */
	{
		struct gconv_desc e[4];
		struct gconv_cost pe[4];
		struct gconv_cost_range o2 = { A2, 4000 };

		eltwise(&e[0], 1000, A1, 0, A2);
		eltwise(&e[1], 1000, A2, 0, A3);
		eltwise(&e[2], 500, A3, 0, A2);
		eltwise(&e[3], 500, A3 + 2000, 0, A2 + 2000);
		chain = encode(e, 4, &len);
		CHECK_EQ_INT(
			gconv_cost_chain(&p, chain, len, &o2, 1, pe, 4, &total),
			0);
		CHECK(pe[0].flags & GCONV_COST_R_OUT_NOWRITE);
		CHECK_EQ_INT(pe[0].dram_bytes, 2000);
		free(chain);
	}

	/* too big for half the GLB: no reuse */
	eltwise(&d[0], 40000, A1, 0, A2);
	eltwise(&d[1], 40000, A2 + 0x100000, 0, A3 + 0x200000);
	d[1].x.addr = A2;
	chain = encode(d, 2, &len);
	CHECK_EQ_INT(gconv_cost_chain(&p, chain, len, NULL, 0, per, 2, &total),
		     0);
	CHECK(!(per[0].flags & GCONV_COST_R_OUT_ONCHIP));
	CHECK_EQ_INT(total.dram_bytes, 4 * 80000);
	free(chain);
}

/* ---- baselines: small cases by hand ----------------------------------------
 */

static int layers1(const struct gconv_cost_params *p, uint32_t arch,
		   const struct gconv_desc *d, uint32_t n, const uint8_t *kinds,
		   uint32_t flags, struct gconv_cost_layer *l, uint32_t *nl,
		   struct gconv_cost *total)
{
	size_t len;
	void *chain = encode(d, n, &len);
	int r = gconv_cost_layers(p, arch, chain, len, kinds, flags, NULL, 0, l,
				  2 * n, nl, total);

	free(chain);
	return r;
}

TEST(baseline_vector_by_hand)
{
	struct gconv_cost_params p;
	struct gconv_desc d;
	struct gconv_cost_layer l[2];
	struct gconv_cost t;
	uint8_t kind = GCONV_COST_KIND_ACT;
	uint32_t nl;

	gconv_cost_params_default(&p);
	eltwise(&d, 1000, A1, 0, A2);
	/* matrix/vector: 1000 ops on 14 lanes = 72 cycles; DRAM: 1000 in,
	 * 1000 out, 4000 bytes at 2.4 per cycle = 1667 cycles */
	CHECK_EQ_INT(layers1(&p, GCONV_COST_ARCH_MATVEC, &d, 1, &kind, 0, l,
			     &nl, &t),
		     0);
	CHECK_EQ_INT(nl, 1);
	CHECK_EQ_INT(t.compute_cycles, 72);
	CHECK_EQ_INT(t.dram_cycles, 1667);
	CHECK_EQ_INT(t.cycles, 1667);
	CHECK_EQ_INT(t.dram_bytes, 4000);
	/* MAC 1000 + RF 3 per op + GLB (2000 staged, 1000 operand reads,
	 * 1000 output writes) * 6 + DRAM 2000 * 200 */
	CHECK_EQ_INT(t.rf, 3000);
	CHECK_EQ_INT(t.glb, 4000);
	CHECK_NEAR(t.energy, 1000 + 3000 + 6 * 4000 + 200 * 2000, 0, 1e-6);

	/* dedicated, one layer alone: 1000 elements at 1 per cycle; the
	 * same DRAM traffic; 2 register accesses per op, 2000 staged */
	CHECK_EQ_INT(layers1(&p, GCONV_COST_ARCH_DEDICATED, &d, 1, &kind, 0, l,
			     &nl, &t),
		     0);
	CHECK_EQ_INT(t.compute_cycles, 1000);
	CHECK_EQ_INT(t.cycles, 1667);
	CHECK_NEAR(t.energy, 1000 + 2000 + 6 * 2000 + 200 * 2000, 0, 1e-6);
}

TEST(baseline_gemm_by_hand)
{
	struct gconv_cost_params p;
	struct gconv_desc d;
	struct gconv_cost_layer l[2];
	struct gconv_cost t;
	uint8_t kind = GCONV_COST_KIND_CONV;
	uint32_t nl;

	/* a 1x1 convolution, K 14, C 12, 4x4: the input is already the
	 * GEMM's 16 x 12 matrix, one 12 x 14 weight tile */
	gconv_desc_init(&d);
	d.k = 14;
	d.c = 12;
	d.p = d.q = d.in_h = d.in_w = 4;
	d.combine = GCONV_COMBINE_ADD;
	strides(&d.x, 0, 0, 0, 16, 4, 1);
	strides(&d.y, 0, 0, 12, 1, 0, 0);
	strides(&d.b, 0, 0, 1, 0, 0, 0);
	strides(&d.o, 0, 0, 16, 0, 4, 1);
	place(&d);
	check_valid(&d);
	gconv_cost_params_default(&p);
	CHECK_EQ_INT(layers1(&p, GCONV_COST_ARCH_MATVEC, &d, 1, &kind, 0, l,
			     &nl, &t),
		     0);
	/* 16 rows + 12 + 14 fill and drain */
	CHECK_EQ_INT(t.compute_cycles, 42);
	/* everything fits: X 192 + Y 168 + B 14 + O 224 = 598 words */
	CHECK_EQ_INT(t.dram, 598);
	CHECK_EQ_INT(t.dram_bytes, 1196);
	CHECK_EQ_INT(t.cycles, 499);
	CHECK_EQ_INT(t.macs, 2688);
	CHECK_EQ_INT(t.rf, 2688);
	CHECK_EQ_INT(t.noc, 2 * 2688);
	/* A 192, W 168, partial sums 224, bias 224, staged 598 */
	CHECK_EQ_INT(t.glb, 192 + 168 + 224 + 224 + 598);
	CHECK_NEAR(t.energy, 2688 + 2688 + 2 * 5376 + 6 * 1406 + 200 * 598, 0,
		   1e-6);
}

TEST(baseline_dedicated_fuses_on_the_fly)
{
	struct gconv_cost_params p;
	struct gconv_desc d[2];
	struct gconv_cost_layer l[4];
	struct gconv_cost fused, alone;
	uint8_t kinds[2] = { GCONV_COST_KIND_CONV, GCONV_COST_KIND_ACT };
	uint32_t nl;

	/* the convolution of the previous test, then a ReLU on its output */
	gconv_desc_init(&d[0]);
	d[0].k = 14;
	d[0].c = 12;
	d[0].p = d[0].q = d[0].in_h = d[0].in_w = 4;
	strides(&d[0].x, 0, 0, 0, 16, 4, 1);
	strides(&d[0].y, 0, 0, 12, 1, 0, 0);
	strides(&d[0].o, 0, 0, 16, 0, 4, 1);
	place(&d[0]);
	eltwise(&d[1], 224, d[0].o.addr, 0, A4);
	d[1].tag = 1;
	gconv_cost_params_default(&p);
	CHECK_EQ_INT(layers1(&p, GCONV_COST_ARCH_DEDICATED, d, 2, kinds, 0, l,
			     &nl, &fused),
		     0);
	CHECK_EQ_INT(nl, 2);
	CHECK(l[1].cost.flags & GCONV_COST_R_STREAMED);
	p.flags = GCONV_COST_P_UNITS_STANDALONE;
	CHECK_EQ_INT(layers1(&p, GCONV_COST_ARCH_DEDICATED, d, 2, kinds, 0, l,
			     &nl, &alone),
		     0);
	/* the ReLU's input is not read back from DRAM (the convolution
	 * still writes it: with no outputs given, it may be needed) */
	CHECK_EQ_INT(alone.dram_bytes - fused.dram_bytes, 2 * 224);
	CHECK(fused.cycles < alone.cycles);
	CHECK(fused.energy < alone.energy);
}

TEST(split_post_makes_a_layer)
{
	struct gconv_cost_params p;
	struct gconv_desc d;
	struct gconv_cost_layer l[2];
	struct gconv_cost t, t2;
	uint8_t kind = GCONV_COST_KIND_CONV;
	uint32_t nl;

	gconv_desc_init(&d);
	d.k = 14;
	d.c = 12;
	d.p = d.q = d.in_h = d.in_w = 4;
	d.post = GCONV_POST_RELU;
	strides(&d.x, 0, 0, 0, 16, 4, 1);
	strides(&d.y, 0, 0, 12, 1, 0, 0);
	strides(&d.o, 0, 0, 16, 0, 4, 1);
	place(&d);
	gconv_cost_params_default(&p);
	CHECK_EQ_INT(layers1(&p, GCONV_COST_ARCH_MATVEC, &d, 1, &kind, 0, l,
			     &nl, &t),
		     0);
	CHECK_EQ_INT(nl, 1);
	CHECK_EQ_INT(layers1(&p, GCONV_COST_ARCH_MATVEC, &d, 1, &kind,
			     GCONV_COST_F_SPLIT_POST, l, &nl, &t2),
		     0);
	CHECK_EQ_INT(nl, 2);
	CHECK(l[1].synthetic && l[1].count == 0 &&
	      l[1].kind == GCONV_COST_KIND_ACT);
	/* the activation's round trip: 224 in, 224 out */
	CHECK_EQ_INT(t2.dram_bytes - t.dram_bytes, 2 * 2 * 224);
	/* GCONV Chain ignores the flag: the post is fused for real; a layer
	 * of one GCONV keeps its mapping */
	CHECK_EQ_INT(layers1(&p, GCONV_COST_ARCH_CHAIN, &d, 1, &kind,
			     GCONV_COST_F_SPLIT_POST, l, &nl, &t2),
		     0);
	CHECK_EQ_INT(nl, 1);
	CHECK(l[0].cost.flags & GCONV_COST_R_MAPPED);
	CHECK_EQ_INT(l[0].cost.map.col_factor * l[0].cost.map.row_factor[0] *
				     l[0].cost.map.row_factor[1] >
			     1,
		     1);
}

TEST(layers_of_chain_match_chain)
{
	unsigned long long rs = 0x5eed4;
	struct gconv_cost_params p;
	struct gconv_desc d[8];
	struct gconv_cost_layer l[16];
	struct gconv_cost a, b;
	uint8_t kinds[8];
	uint32_t nl, i;
	size_t len;
	void *chain;

	gconv_cost_params_default(&p);
	for (i = 0; i < 8; i++) {
		rand_desc(&rs, &d[i]);
		d[i].tag = i / 2; /* two GCONVs per layer */
		kinds[i] = (uint8_t)(i % GCONV_COST_KIND_COUNT);
	}
	chain = encode(d, 8, &len);
	CHECK_EQ_INT(gconv_cost_chain(&p, chain, len, NULL, 0, NULL, 0, &a), 0);
	CHECK_EQ_INT(gconv_cost_layers(&p, GCONV_COST_ARCH_CHAIN, chain, len,
				       kinds, 0, NULL, 0, l, 16, &nl, &b),
		     0);
	CHECK_EQ_INT(nl, 4);
	CHECK_EQ_INT(a.cycles, b.cycles);
	CHECK_EQ_INT(a.dram_bytes, b.dram_bytes);
	CHECK_NEAR(b.energy, a.energy, 1e-12, 0);
	for (i = 1; i < GCONV_COST_ARCH_COUNT; i++) {
		CHECK_EQ_INT(gconv_cost_layers(&p, i, chain, len, kinds,
					       GCONV_COST_F_SPLIT_POST, NULL, 0,
					       l, 16, &nl, &b),
			     0);
		CHECK(nl >= 4);
		CHECK_EQ_INT(b.macs, a.macs);
	}
	/* too small a result array */
	CHECK_EQ_INT(gconv_cost_layers(&p, GCONV_COST_ARCH_MATVEC, chain, len,
				       kinds, 0, NULL, 0, l, 3, &nl, &b),
		     GCONV_COST_ERANGE);
	free(chain);
}

/* ---- garbage in, an error out ----------------------------------------------
 */

TEST(bad_descriptors_and_params)
{
	struct gconv_cost_params p, q;
	struct gconv_desc d, e;
	struct gconv_cost c;
	struct gconv_cost_ctx ctx = { 0, 0, 0 };

	gconv_cost_params_default(&p);
	eltwise(&d, 1000, A1, 0, A2);
	CHECK_EQ_INT(gconv_cost_desc(&p, &d, &c), 0);
	e = d;
	e.k = 0;
	CHECK_EQ_INT(gconv_cost_desc(&p, &e, &c), GCONV_COST_EDESC);
	e = d;
	e.q = 1u << 25;
	CHECK_EQ_INT(gconv_cost_desc(&p, &e, &c), GCONV_COST_EDESC);
	e = d;
	e.main = GCONV_MAIN_COUNT;
	CHECK_EQ_INT(gconv_cost_desc(&p, &e, &c), GCONV_COST_EDESC);
	e = d;
	e.x.dtype = GCONV_DTYPE_NONE; /* used but without a type */
	CHECK_EQ_INT(gconv_cost_desc(&p, &e, &c), GCONV_COST_EDESC);
	e = d;
	e.n = e.g = e.k = e.p = e.c = e.r = 1u << 24; /* 2^144 taps */
	CHECK_EQ_INT(gconv_cost_desc(&p, &e, &c), GCONV_COST_EDESC);
	e = d;
	e.stride_h = 0;
	CHECK_EQ_INT(gconv_cost_desc(&p, &e, &c), GCONV_COST_EDESC);
	e = d;
	e.flags = 0x80;
	CHECK_EQ_INT(gconv_cost_desc(&p, &e, &c), GCONV_COST_EDESC);
	CHECK_EQ_INT(c.cycles, 0); /* zeroed on error */

	q = p;
	q.pe_rows = 0;
	CHECK_EQ_INT(gconv_cost_desc(&q, &d, &c), GCONV_COST_EPARAM);
	q = p;
	q.e_dram = NAN;
	CHECK_EQ_INT(gconv_cost_desc(&q, &d, &c), GCONV_COST_EPARAM);
	q = p;
	q.dram_bytes_per_cycle = 0;
	CHECK_EQ_INT(gconv_cost_desc(&q, &d, &c), GCONV_COST_EPARAM);
	q = p;
	q.flags = 0x100;
	CHECK_EQ_INT(gconv_cost_desc(&q, &d, &c), GCONV_COST_EPARAM);
	q = p;
	q.word_bytes = 16; /* X and O words of 16 bytes exceed the RF */
	q.rf_bytes = 16;
	CHECK_EQ_INT(gconv_cost_desc(&q, &d, &c), GCONV_COST_ENOSPACE);
	CHECK_EQ_INT(gconv_cost_desc(NULL, &d, &c), GCONV_COST_EARG);
	CHECK_EQ_INT(gconv_cost_desc(&p, NULL, &c), GCONV_COST_EARG);
	CHECK_EQ_INT(gconv_cost_desc(&p, &d, NULL), GCONV_COST_EARG);
	ctx.flags = 1u << 31;
	CHECK_EQ_INT(gconv_cost_desc_ctx(&p, &d, &ctx, &c), GCONV_COST_EARG);
	/* resident data leaving no room */
	ctx.flags = GCONV_COST_CTX_X_RESIDENT;
	ctx.resident_bytes = p.glb_bytes + 1;
	CHECK_EQ_INT(gconv_cost_desc_ctx(&p, &d, &ctx, &c),
		     GCONV_COST_ENOSPACE);
	/* a resident input is not read from DRAM */
	ctx.resident_bytes = 2000;
	CHECK_EQ_INT(gconv_cost_desc_ctx(&p, &d, &ctx, &c), 0);
	CHECK_EQ_INT(c.dram_bytes, 2000);
	CHECK(c.flags & GCONV_COST_R_IN_ONCHIP);
}

/* Huge but valid work with extreme parameters: saturate, never overflow. */
TEST(extremes_saturate)
{
	struct gconv_cost_params p;
	struct gconv_desc d;
	struct gconv_cost c;

	gconv_desc_init(&d);
	d.k = d.p = 1u << 14;
	d.c = 1u << 16;
	d.in_h = d.p;
	strides(&d.x, 0, 0, 0, 1u << 14, 1, 0);
	strides(&d.y, 0, 0, 1u << 16, 1, 0, 0);
	strides(&d.o, 0, 0, 1u << 14, 0, 1, 0);
	gconv_cost_params_default(&p);
	p.dram_bytes_per_cycle = 1e-6;
	p.e_dram = 1e12;
	p.glb_bytes = 64;
	p.rf_bytes = 16;
	CHECK_EQ_INT(gconv_cost_desc(&p, &d, &c), 0);
	CHECK_EQ_INT(c.macs, 1ull << 44);
	CHECK(c.cycles > (1ull << 44) / 168);
	CHECK(isfinite(c.energy));
	p.pe_rows = p.pe_cols = 4096;
	p.glb_bytes = 1ull << 40;
	p.rf_bytes = 1u << 24;
	p.dram_bytes_per_cycle = 1e12;
	CHECK_EQ_INT(gconv_cost_desc(&p, &d, &c), 0);
	CHECK(c.utilization > 0 && c.utilization <= 1);
}

TEST(random_garbage_never_crashes)
{
	unsigned long long rs = 0x5eed5;
	struct gconv_cost_params p;
	struct gconv_desc good;
	int i, errors = 0;

	gconv_cost_params_default(&p);
	rand_desc(&rs, &good);
	for (i = 0; i < 3000; i++) {
		struct gconv_desc d = good;
		struct gconv_cost c;
		unsigned char *b = (unsigned char *)&d;
		int k, n = rnd(&rs, 1, 12), r;

		if (i % 3 == 0) { /* all random */
			for (k = 0; k < (int)sizeof(d); k++)
				b[k] = (unsigned char)harness_rand(&rs);
		} else { /* a few random bytes */
			for (k = 0; k < n; k++)
				b[rnd(&rs, 0, sizeof(d) - 1)] =
					(unsigned char)harness_rand(&rs);
		}
		r = gconv_cost_desc(&p, &d, &c);
		CHECK(r == 0 || r == GCONV_COST_EDESC);
		errors += r != 0;
		if (!r) {
			CHECK_EQ_INT(c.macs, macs_of(&d));
			check_energy(&p, &c);
		}
	}
	CHECK(errors > 0);
}

TEST(bad_chains)
{
	unsigned long long rs = 0x5eed6;
	struct gconv_cost_params p;
	struct gconv_desc d[3];
	struct gconv_cost per[3], t;
	struct gconv_cost_layer l[6];
	struct gconv_chain_header h;
	uint8_t kinds[3] = { 1, 3, 6 };
	uint32_t nl;
	unsigned char *copy;
	size_t len;
	void *chain;
	int i;

	gconv_cost_params_default(&p);
	eltwise(&d[0], 100, A1, 0, A2);
	eltwise(&d[1], 100, A2, 0, A3);
	eltwise(&d[2], 100, A3, A1, A4);
	chain = encode(d, 3, &len);
	CHECK_EQ_INT(gconv_cost_chain(&p, chain, len, NULL, 0, per, 3, &t), 0);
	CHECK_EQ_INT(gconv_cost_chain(&p, chain, len - 1, NULL, 0, per, 3, &t),
		     GCONV_COST_ECHAIN);
	CHECK_EQ_INT(gconv_cost_chain(&p, chain, 10, NULL, 0, per, 3, &t),
		     GCONV_COST_ECHAIN);
	CHECK_EQ_INT(gconv_cost_chain(&p, NULL, len, NULL, 0, per, 3, &t),
		     GCONV_COST_ECHAIN);
	CHECK_EQ_INT(gconv_cost_chain(&p, chain, len, NULL, 0, per, 2, &t),
		     GCONV_COST_ERANGE);
	CHECK_EQ_INT(gconv_cost_chain(&p, chain, len, NULL, 1, per, 3, &t),
		     GCONV_COST_EARG);
	CHECK_EQ_INT(gconv_cost_layers(&p, 7, chain, len, kinds, 0, NULL, 0, l,
				       6, &nl, &t),
		     GCONV_COST_EARG);
	CHECK_EQ_INT(gconv_cost_layers(&p, 1, chain, len, NULL, 0, NULL, 0, l,
				       6, &nl, &t),
		     GCONV_COST_EARG);
	memcpy(&h, chain, sizeof(h));
	h.magic ^= 1;
	copy = malloc(len);
	memcpy(copy, chain, len);
	memcpy(copy, &h, sizeof(h));
	CHECK_EQ_INT(gconv_cost_chain(&p, copy, len, NULL, 0, per, 3, &t),
		     GCONV_COST_ECHAIN);
	/* random corruption: an error or a result, never a crash; an
	 * unaligned copy too (descriptors are copied out) */
	for (i = 0; i < 600; i++) {
		unsigned char *u = malloc(len + 1);
		int k, r, arch = i % GCONV_COST_ARCH_COUNT;

		memcpy(u + 1, chain, len);
		for (k = 0; k < 8; k++)
			u[1 + rnd(&rs, 0, (uint32_t)len - 1)] =
				(unsigned char)harness_rand(&rs);
		r = gconv_cost_layers(&p, (uint32_t)arch, u + 1, len, kinds,
				      GCONV_COST_F_SPLIT_POST, NULL, 0, l, 6,
				      &nl, &t);
		CHECK(r == 0 || r == GCONV_COST_ECHAIN ||
		      r == GCONV_COST_EDESC || r == GCONV_COST_ERANGE);
		r = gconv_cost_chain(&p, u + 1, len, NULL, 0, per, 3, &t);
		CHECK(r == 0 || r == GCONV_COST_ECHAIN ||
		      r == GCONV_COST_EDESC || r == GCONV_COST_ERANGE);
		free(u);
	}
	free(copy);
	free(chain);
}

TEST(names_and_format)
{
	struct gconv_cost_params p;
	struct gconv_desc d;
	struct gconv_cost c;
	char buf[256], tiny[6];
	size_t n;

	CHECK_EQ_INT(gconv_cost_kind_of_op("Conv"), GCONV_COST_KIND_CONV);
	CHECK_EQ_INT(gconv_cost_kind_of_op("Gemm"), GCONV_COST_KIND_CONV);
	CHECK_EQ_INT(gconv_cost_kind_of_op("MaxPool"), GCONV_COST_KIND_POOL);
	CHECK_EQ_INT(gconv_cost_kind_of_op("Clip"), GCONV_COST_KIND_ACT);
	CHECK_EQ_INT(gconv_cost_kind_of_op("BatchNormalization"),
		     GCONV_COST_KIND_NORM);
	CHECK_EQ_INT(gconv_cost_kind_of_op("LRN"), GCONV_COST_KIND_LRN);
	CHECK_EQ_INT(gconv_cost_kind_of_op("Add"), GCONV_COST_KIND_ELTWISE);
	CHECK_EQ_INT(gconv_cost_kind_of_op("Softmax"), GCONV_COST_KIND_OTHER);
	CHECK_EQ_INT(gconv_cost_kind_of_op(NULL), GCONV_COST_KIND_OTHER);
	CHECK_STR(gconv_cost_kind_name(GCONV_COST_KIND_POOL), "pool");
	CHECK_STR(gconv_cost_kind_name(99), "?");
	CHECK_STR(gconv_cost_arch_name(GCONV_COST_ARCH_DEDICATED), "dedicated");
	CHECK(strlen(gconv_cost_strerror(GCONV_COST_EDESC)) > 5);
	CHECK(strlen(gconv_cost_strerror(-99)) > 5);

	gconv_cost_params_default(&p);
	eltwise(&d, 1000, A1, 0, A2);
	CHECK_EQ_INT(gconv_cost_desc(&p, &d, &c), 0);
	n = gconv_cost_mapping_format(&c.map, buf, sizeof(buf));
	CHECK(n == strlen(buf) && !strncmp(buf, "array ", 6));
	CHECK(strstr(buf, "| rf ") && strstr(buf, "| glb "));
	CHECK_EQ_INT(gconv_cost_mapping_format(&c.map, tiny, sizeof(tiny)), n);
	CHECK_STR(tiny, "array");
	CHECK_EQ_INT(gconv_cost_mapping_format(&c.map, NULL, 0), n);
}

static const struct test tests[] = {
	T(mapping_always_legal),
	T(macs_and_energy_consistent),
	T(bigger_buffers_never_cost_more),
	T(reference_convolution),
	T(chain_keeps_intermediates_on_chip),
	T(baseline_vector_by_hand),
	T(baseline_gemm_by_hand),
	T(baseline_dedicated_fuses_on_the_fly),
	T(split_post_makes_a_layer),
	T(layers_of_chain_match_chain),
	T(bad_descriptors_and_params),
	T(extremes_saturate),
	T(random_garbage_never_crashes),
	T(bad_chains),
	T(names_and_format),
};

int main(int argc, char **argv)
{
	return HARNESS_MAIN(tests);
}
