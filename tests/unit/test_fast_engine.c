// SPDX-License-Identifier: MIT
/*
 * The fast engine (libgconvdev/engine/fast.c) against the golden one.
 *
 * random_descriptors draws thousands of valid descriptors from a fixed
 * seed (every operator, strides, dilations, input dilation, padding and
 * pad values, groups, broadcasting zero strides, odd sizes, ACCUMULATE,
 * non-injective outputs, O overlapping X, Y or B) and runs each on the
 * golden engine and on every path of the fast engine that can take it.
 * Every operand lives in its own allocation of exactly its extent: under
 * ASan a plain malloc (its redzones catch any stray access of
 * instrumented code); otherwise an mmap with PROT_NONE guard pages, the
 * operand alternately flush against the page before and the page after
 * it (which catches OpenBLAS too), the slack filled with a canary that is
 * checked after the run.  Every element of every buffer is compared: the
 * outputs within the tolerance below, everything else bit for bit.
 *
 * The tolerance.  The golden engine computes in double and rounds once;
 * the fast engine computes in fp32 in another order.  Per output the test
 * recomputes, in double, the reduction and the magnitude S of its terms
 * (sum of |main(pre(x), y)|, each with the magnitudes of the parts a
 * rounding error scales with: |a x| + |b| for an affine pre, |x| + |y| for
 * add, ...; the ACCUMULATE start value is a term too), divided like the
 * value by the mean reductions.  The reduced value may then be off by
 *
 *	dacc = max(1e-4, 2 n u) * S	(n terms, u = 2^-24)
 *
 * which bounds fp32 summation in any order (|error| <= (n-1) u S, Higham
 * 2002, 4.2) with room for the few-ulp errors of fp32 expf, powf...  A
 * max or min is one of its terms: its interval is the max (min) of every
 * term plus or minus that term's own error, zero for exact terms.  It
 * is then carried through combine (times |b| for mul, divided by |b| for
 * div, plus 4u of the operands for the rounding of the operation) and
 * through post by evaluating post at both ends of the interval, plus 8u
 * of post's own magnitude (the fp32 function's error) and FLT_MIN (below
 * it fp32 has no relative precision).  NaN must come out where golden
 * gives NaN, infinities must match, except where the interval reaches
 * across a pole or the edge of post's domain (log, sqrt, 1/v near 0):
 * there fp32 may legitimately land on either side, so any value passes;
 * such outputs are counted and must stay rare.  (One more latitude: a
 * zero sum is +0 on the gemm path where golden, starting from an
 * ACCUMULATE value of -0, keeps -0.)
 *
 * Also: the chain entry point rejects exactly what the golden one rejects
 * with exactly the same error and touches nothing then; several threads
 * running the engine at once (OpenBLAS included) get what one gets; the digits
 * model (and ResNet-18, when tests/models/check-cnns has cached its
 * export) layer by layer against golden on identical inputs, then end to
 * end.  Run from the repository root.
 */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <float.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <gconv/engine.h>
#include <gconv/model.h>
#include <gconv/tensor_io.h>

#include "../../libgconvdev/engine/blas.h"
#include "../../libgconvdev/engine/engine_impl.h"
#include "../harness.h"

#define CASES	 3000
#define SEED	 0x6a09e667f3bcc908ULL
#define U	 0x1p-24
#define DIGITS	 "tools/models/digits/"
#define MAXBUF	 4
#define FREE_PCT 1.0 /* ill-conditioned outputs allowed, % of all */

#if defined(__SANITIZE_ADDRESS__)
#define GUARD_PAGES 0
#else
#define GUARD_PAGES 1
#endif

static const struct gconv_limits lim = GCONV_LIMITS_DEFAULT;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* ---- random numbers ----------------------------------------------------- */

static uint64_t rnd(unsigned long long *rs, uint64_t lo, uint64_t hi)
{
	return lo + harness_rand(rs) % (hi - lo + 1);
}

static int chance(unsigned long long *rs, int pct)
{
	return (int)rnd(rs, 0, 99) < pct;
}

/* uniform in [lo, hi) */
static float uni(unsigned long long *rs, float lo, float hi)
{
	return lo + (hi - lo) * (harness_randf(rs) + 1.0f) * 0.5f;
}

/* ---- guarded buffers --------------------------------------------------- */

#define CANARY 0xa5

struct gbuf {
	uint8_t *map; /* the mapping (guard pages), or NULL (malloc) */
	size_t maplen;
	float *p;
	size_t bytes;
};

static void gbuf_alloc(struct gbuf *g, size_t bytes, int at_end)
{
	g->bytes = bytes;
	g->map = NULL;
#if GUARD_PAGES
	{
		size_t page = (size_t)sysconf(_SC_PAGESIZE);
		size_t data = (bytes + page - 1) / page * page;

		g->maplen = data + 2 * page;
		g->map = mmap(NULL, g->maplen, PROT_NONE,
			      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (g->map == MAP_FAILED)
			FAILF("mmap: %s", strerror(errno));
		if (mprotect(g->map + page, data, PROT_READ | PROT_WRITE))
			FAILF("mprotect: %s", strerror(errno));
		memset(g->map + page, CANARY, data);
		g->p = (float *)(g->map + page + (at_end ? data - bytes : 0));
	}
#else
	(void)at_end;
	g->p = malloc(bytes);
	if (!g->p)
		FAILF("out of memory");
#endif
}

/* The slack around the data of a guarded buffer is untouched. */
static int gbuf_canary_ok(const struct gbuf *g)
{
#if GUARD_PAGES
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	const uint8_t *lo = g->map + page, *hi = g->map + g->maplen - page;
	const uint8_t *p;

	for (p = lo; p < (const uint8_t *)g->p; p++)
		if (*p != CANARY)
			return 0;
	for (p = (const uint8_t *)g->p + g->bytes; p < hi; p++)
		if (*p != CANARY)
			return 0;
#else
	(void)g;
#endif
	return 1;
}

static void gbuf_free(struct gbuf *g)
{
	if (g->map)
		munmap(g->map, g->maplen);
	else
		free(g->p);
	g->p = NULL;
}

/* ---- test cases ---------------------------------------------------------- */

enum { OX, OY, OB, OO }; /* operand indices */

struct tcase {
	struct gconv_desc d;
	int nbuf;
	uint64_t buf_elems[MAXBUF];
	float *init[MAXBUF];
	int op_buf[4];	    /* buffer of each operand, -1: unused */
	uint64_t op_off[4]; /* element offset of its element (0,...,0) */
	int kind;
};

static struct gconv_operand *operand(struct gconv_desc *d, int i)
{
	struct gconv_operand *ops[4] = { &d->x, &d->y, &d->b, &d->o };

	return ops[i];
}

static int used(const struct gconv_desc *d, int i)
{
	switch (i) {
	case OX:
		return gconv_desc_reads_x(d);
	case OY:
		return gconv_desc_reads_y(d);
	case OB:
		return gconv_desc_reads_b(d);
	default:
		return 1;
	}
}

static void tcase_free(struct tcase *t)
{
	int i;

	for (i = 0; i < t->nbuf; i++)
		free(t->init[i]);
	t->nbuf = 0;
}

/*
 * Strides for an operand over @dims: a random order of the slots (or the
 * canonical one, column innermost), dense with occasional gaps, extent-1
 * slots with arbitrary strides, zero strides (broadcast) with probability
 * @zero_pct, slots in @zero_mask always zero.  Returns the extent.
 */
static uint64_t layout(unsigned long long *rs, const uint64_t dims[6],
		       uint64_t st[6], int zero_pct, unsigned int zero_mask)
{
	int order[6] = { 5, 4, 3, 2, 1, 0 }, i;
	uint64_t cur = 1, max = 0;

	if (chance(rs, 50))
		for (i = 5; i > 0; i--) {
			int j = (int)rnd(rs, 0, (uint64_t)i), t = order[i];

			order[i] = order[j];
			order[j] = t;
		}
	for (i = 0; i < 6; i++) {
		int sl = order[i];

		if (zero_mask & (1u << sl)) {
			st[sl] = 0;
		} else if (dims[sl] == 1) {
			st[sl] = chance(rs, 70) ? cur : rnd(rs, 0, 9);
		} else if (chance(rs, zero_pct)) {
			st[sl] = 0;
		} else {
			st[sl] = cur;
			cur *= dims[sl];
			if (chance(rs, 10))
				cur += rnd(rs, 1, 3);
		}
	}
	for (i = 0; i < 6; i++)
		max += (dims[i] - 1) * st[i];
	return max + 1 + (chance(rs, 25) ? rnd(rs, 1, 5) : 0);
}

static void operand_dims(const struct gconv_desc *d, int op, uint64_t dims[6])
{
	static const char names[4] = { 'X', 'Y', 'B', 'O' };

	gconv_operand_dims(d, names[op], dims);
}

static void set_operand(struct gconv_desc *d, int op, uint64_t extent,
			const uint64_t st[6])
{
	struct gconv_operand *o = operand(d, op);

	gconv_operand_f32(o, 0, extent, st[0], st[1], st[2], st[3], st[4],
			  st[5]);
}

/* Value ranges that keep fp32 away from overflow, with the sign and
 * distance from zero that the operators need to stay meaningful. */
static void fill(unsigned long long *rs, const struct tcase *t, int buf)
{
	const struct gconv_desc *d = &t->d;
	float lo = -1.0f, hi = 1.0f, *p = t->init[buf];
	int away = 0, op = -1, i;
	uint64_t e;

	for (i = 3; i >= 0; i--)
		if (t->op_buf[i] == buf)
			op = i;
	if (op == OX &&
	    (d->pre == GCONV_PRE_LOG || d->pre == GCONV_PRE_SQRT ||
	     d->pre == GCONV_PRE_RECIP || d->main == GCONV_MAIN_POW) &&
	    chance(rs, 80)) {
		lo = 0.25f;
		hi = 2.0f;
	} else if (op == OY &&
		   (d->main == GCONV_MAIN_DIV || d->main == GCONV_MAIN_POW)) {
		away = 1;
		hi = 2.0f;
	} else if (op == OB && d->combine == GCONV_COMBINE_DIV) {
		away = 1;
		hi = 2.0f;
	} else if (chance(rs, 20)) {
		lo = -4.0f;
		hi = 4.0f;
	}
	for (e = 0; e < t->buf_elems[buf]; e++) {
		float v = uni(rs, lo, hi);

		if (away)
			v = (chance(rs, 50) ? -1.0f : 1.0f) *
			    uni(rs, 0.25f, hi);
		p[e] = v;
	}
}

enum kind { K_CONV, K_POOL, K_ELTWISE, K_FC, K_RANDOM, K_INPLACE, K_NKIND };
static const char *const kind_name[K_NKIND] = {
	"conv", "pool", "eltwise", "fc", "random", "in-place",
};

static void random_params(unsigned long long *rs, struct gconv_desc *d)
{
	static const float pows[] = { 2.0f, 0.5f, 3.0f, -1.0f, 1.5f, -0.5f };
	float a = uni(rs, -2.0f, 2.0f), b = uni(rs, -2.0f, 2.0f), c = 1.0f;

	d->pre_param[0] = gconv_f32_bits(uni(rs, -2.0f, 2.0f));
	d->pre_param[1] = gconv_f32_bits(uni(rs, -1.0f, 1.0f));
	switch (d->post) {
	case GCONV_POST_CLIP:
		a = uni(rs, -1.0f, 0.0f);
		b = uni(rs, 0.0f, 1.0f);
		break;
	case GCONV_POST_POW:
		a = pows[rnd(rs, 0, 5)];
		break;
	case GCONV_POST_AFFINE_POW:
		c = pows[rnd(rs, 0, 5)];
		break;
	case GCONV_POST_LEAKY:
	case GCONV_POST_ELU:
	case GCONV_POST_SELU:
	case GCONV_POST_HARD_SIGMOID:
		a = uni(rs, 0.0f, 2.0f);
		b = uni(rs, 0.0f, 2.0f);
		break;
	}
	d->post_param[0] = gconv_f32_bits(a);
	d->post_param[1] = gconv_f32_bits(b);
	d->post_param[2] = gconv_f32_bits(c);
}

static uint64_t work(const struct gconv_desc *d)
{
	return (uint64_t)d->n * d->g * d->k * d->p * d->q * d->c * d->r * d->s;
}

/* One random valid descriptor and its buffers. */
static void gen_case(unsigned long long *rs, struct tcase *t)
{
	struct gconv_desc *d = &t->d;
	uint64_t dims[6], st[6], ext[4];
	int kind, i, alias = -1, alias_same = 0;
	struct gconv_verror err;
	uint64_t r100 = rnd(rs, 0, 99);

	memset(t, 0, sizeof(*t));
again:
	gconv_desc_init(d);
	kind = r100 < 25   ? K_CONV
	       : r100 < 40 ? K_POOL
	       : r100 < 58 ? K_ELTWISE
	       : r100 < 64 ? K_FC
	       : r100 < 92 ? K_RANDOM
			   : K_INPLACE;
	t->kind = kind;
	d->n = (uint32_t)(chance(rs, 70) ? 1 : rnd(rs, 2, 3));
	d->g = (uint32_t)(chance(rs, 60) ? 1 : rnd(rs, 2, 4));
	d->k = (uint32_t)(chance(rs, 25) ? rnd(rs, 8, 20) : rnd(rs, 1, 6));
	d->c = (uint32_t)rnd(rs, 1, 5);
	d->r = (uint32_t)rnd(rs, 1, 4);
	d->s = (uint32_t)rnd(rs, 1, 4);
	d->stride_h = (uint32_t)(chance(rs, 60) ? 1 : rnd(rs, 2, 3));
	d->stride_w = (uint32_t)(chance(rs, 60) ? 1 : rnd(rs, 2, 3));
	d->dilation_h = (uint32_t)(chance(rs, 75) ? 1 : rnd(rs, 2, 3));
	d->dilation_w = (uint32_t)(chance(rs, 75) ? 1 : rnd(rs, 2, 3));
	d->in_dilation_h = (uint32_t)(chance(rs, 85) ? 1 : rnd(rs, 2, 3));
	d->in_dilation_w = (uint32_t)(chance(rs, 85) ? 1 : rnd(rs, 2, 3));
	if (chance(rs, 60)) {
		d->pad_top = (uint32_t)rnd(rs, 0, 3);
		d->pad_bottom = (uint32_t)rnd(rs, 0, 3);
		d->pad_left = (uint32_t)rnd(rs, 0, 3);
		d->pad_right = (uint32_t)rnd(rs, 0, 3);
	}
	d->in_h = (uint32_t)rnd(rs, 1, 10);
	d->in_w = (uint32_t)rnd(rs, 1, 10);
	d->p = (uint32_t)rnd(rs, 1, 8);
	d->q = (uint32_t)rnd(rs, 1, 9);
	d->pre = (uint8_t)rnd(rs, 0, GCONV_PRE_COUNT - 1);
	d->main = (uint8_t)rnd(rs, 0, GCONV_MAIN_COUNT - 1);
	d->reduce = (uint8_t)rnd(rs, 0, GCONV_REDUCE_COUNT - 1);
	d->combine = (uint8_t)rnd(rs, 0, GCONV_COMBINE_COUNT - 1);
	d->post = (uint8_t)rnd(rs, 0, GCONV_POST_COUNT - 1);
	if (chance(rs, 15))
		d->pad_value = gconv_f32_bits(uni(rs, -2.0f, 2.0f));

	switch (kind) {
	case K_CONV:
		d->pre = chance(rs, 75) ? GCONV_PRE_IDENTITY : GCONV_PRE_AFFINE;
		d->main = GCONV_MAIN_MUL;
		d->reduce = chance(rs, 90) ? GCONV_REDUCE_SUM
					   : GCONV_REDUCE_MEAN_ALL;
		d->combine =
			chance(rs, 70) ? GCONV_COMBINE_ADD : GCONV_COMBINE_NONE;
		if (chance(rs, 50))
			d->post = chance(rs, 70) ? GCONV_POST_RELU
						 : GCONV_POST_IDENTITY;
		if (chance(rs, 20)) { /* depthwise */
			d->g = (uint32_t)rnd(rs, 2, 8);
			d->k = d->c = 1;
		}
		break;
	case K_POOL:
		d->pre = chance(rs, 80) ? GCONV_PRE_IDENTITY : d->pre;
		d->main = GCONV_MAIN_TAKE_X;
		d->c = chance(rs, 80) ? 1 : d->c;
		d->combine = chance(rs, 70) ? GCONV_COMBINE_NONE : d->combine;
		d->post = chance(rs, 60) ? GCONV_POST_IDENTITY : d->post;
		if (d->reduce == GCONV_REDUCE_MAX && chance(rs, 70))
			d->pad_value = gconv_f32_bits(-INFINITY);
		else if (d->reduce == GCONV_REDUCE_MIN && chance(rs, 70))
			d->pad_value = gconv_f32_bits(INFINITY);
		else if (chance(rs, 70))
			d->pad_value = 0;
		if (chance(rs, 10)) { /* global pooling */
			d->r = d->in_h;
			d->s = d->in_w;
			d->p = d->q = 1;
			d->pad_top = d->pad_bottom = d->pad_left =
				d->pad_right = 0;
			d->stride_h = d->stride_w = 1;
			d->dilation_h = d->dilation_w = 1;
			d->in_dilation_h = d->in_dilation_w = 1;
		}
		break;
	case K_ELTWISE:
	case K_INPLACE:
		d->c = d->r = d->s = 1;
		if (chance(rs, 60)) {
			d->pad_top = d->pad_bottom = d->pad_left =
				d->pad_right = 0;
			d->in_dilation_h = d->in_dilation_w = 1;
			d->stride_h = d->stride_w = 1;
			d->in_h = d->p + (uint32_t)rnd(rs, 0, 2);
			d->in_w = d->q + (uint32_t)rnd(rs, 0, 2);
		}
		if (chance(rs, 8)) { /* long rows: more than one chunk */
			d->n = d->g = d->k = d->p = 1;
			d->q = (uint32_t)rnd(rs, 1000, 2200);
			d->in_w = d->q;
		}
		if (d->main == GCONV_MAIN_TAKE_Y && chance(rs, 50))
			d->main = GCONV_MAIN_TAKE_X;
		break;
	case K_FC:
		d->main = GCONV_MAIN_MUL;
		d->reduce = GCONV_REDUCE_SUM;
		d->pre = chance(rs, 80) ? GCONV_PRE_IDENTITY : d->pre;
		d->combine = chance(rs, 60) ? GCONV_COMBINE_ADD : d->combine;
		d->n = (uint32_t)rnd(rs, 1, 4);
		d->k = (uint32_t)rnd(rs, 1, 24);
		d->c = (uint32_t)rnd(rs, 1, 48);
		d->p = d->q = 1;
		d->stride_h = d->stride_w = 1;
		d->dilation_h = d->dilation_w = 1;
		d->in_dilation_h = d->in_dilation_w = 1;
		d->pad_top = d->pad_bottom = d->pad_left = d->pad_right = 0;
		if (chance(rs, 50)) {
			d->r = d->s = 1;
		} else {
			d->r = d->in_h = (uint32_t)rnd(rs, 1, 4);
			d->s = d->in_w = (uint32_t)rnd(rs, 1, 4);
		}
		break;
	}
	if (chance(rs, 15) && d->reduce != GCONV_REDUCE_MEAN_ALL &&
	    d->reduce != GCONV_REDUCE_MEAN_VALID &&
	    d->reduce != GCONV_REDUCE_MEAN_PADDED)
		d->flags |= GCONV_DESC_F_ACCUMULATE;
	if (chance(rs, 3))
		d->pad_value = gconv_f32_bits(NAN);
	random_params(rs, d);
	if (work(d) > 40000 && !(kind == K_ELTWISE && work(d) < 3000))
		goto again;

	/* layouts */
	for (i = 0; i < 4; i++) {
		unsigned int zmask = 0;
		int zpct = 15;

		if (!used(d, i))
			continue;
		operand_dims(d, i, dims);
		if (i == OB || i == OO)
			zmask |= 1u << GCONV_SLOT_C;
		if (i == OX && (kind == K_CONV || kind == K_FC) &&
		    chance(rs, 85))
			zmask |= 1u << GCONV_SLOT_K;
		if (i == OY && chance(rs, 60))
			zmask |= 1u << GCONV_SLOT_N;
		if (i == OB && kind == K_CONV && chance(rs, 70))
			zmask |= (1u << GCONV_SLOT_N) | (1u << GCONV_SLOT_ROW) |
				 (1u << GCONV_SLOT_COL);
		if (i == OO)
			zpct = chance(rs, 5) ? 40 : 0; /* non-injective O */
		ext[i] = layout(rs, dims, st, zpct, zmask);
		set_operand(d, i, ext[i], st);
	}

	/* buffers: one per operand, or O shared with an input */
	if (kind == K_INPLACE) {
		int which = (int)rnd(rs, 0, 3);

		alias = which == 0   ? OX
			: which == 1 ? OB
			: which == 2 ? OX
				     : OY;
		if (!used(d, alias))
			alias = used(d, OX) ? OX : -1;
		alias_same = which < 2 && alias >= 0 && chance(rs, 80);
		if (alias_same && alias == OX) {
			/* X read exactly where O is written */
			d->stride_h = d->stride_w = 1;
			d->pad_top = d->pad_left = 0;
			d->in_dilation_h = d->in_dilation_w = 1;
			d->in_h = d->p;
			d->in_w = d->q;
			operand_dims(d, OO, dims);
			ext[OO] = layout(rs, dims, st, 0, 1u << GCONV_SLOT_C);
			set_operand(d, OO, ext[OO], st);
			st[GCONV_SLOT_C] = rnd(rs, 0, 3);
			set_operand(d, OX, ext[OO], st);
			ext[OX] = ext[OO];
		} else if (alias_same && alias == OB) {
			operand_dims(d, OO, dims);
			ext[OO] = layout(rs, dims, st, 0, 1u << GCONV_SLOT_C);
			set_operand(d, OO, ext[OO], st);
			set_operand(d, OB, ext[OO], st);
			ext[OB] = ext[OO];
		}
	}
	for (i = 0; i < 4; i++) {
		t->op_buf[i] = -1;
		if (!used(d, i))
			continue;
		if (i == OO && alias >= 0) {
			uint64_t e =
				ext[OO] > ext[alias] ? ext[OO] : ext[alias];

			t->op_buf[OO] = t->op_buf[alias];
			if (t->buf_elems[t->op_buf[OO]] < e)
				t->buf_elems[t->op_buf[OO]] = e;
			continue;
		}
		t->op_buf[i] = t->nbuf;
		t->buf_elems[t->nbuf++] = ext[i];
	}
	if (gconv_validate_desc(d, 0, &lim, &err)) {
		char msg[200], desc[300];

		gconv_verror_format(&err, msg, sizeof(msg));
		gconv_desc_format(d, desc, sizeof(desc));
		FAILF("generated an invalid descriptor: %s (%s)", msg, desc);
	}
	for (i = 0; i < t->nbuf; i++) {
		t->init[i] = malloc(t->buf_elems[i] * sizeof(float));
		if (!t->init[i])
			FAILF("out of memory");
		fill(rs, t, i);
	}
	if (chance(rs, 6) || chance(rs, 4)) { /* a NaN or an infinity */
		int bi = (int)rnd(rs, 0, (uint64_t)t->nbuf - 1);
		static const float special[3] = { NAN, INFINITY, -INFINITY };

		t->init[bi][rnd(rs, 0, t->buf_elems[bi] - 1)] =
			special[rnd(rs, 0, 2)];
	}
}

/* ---- the tolerance model ------------------------------------------------ */

static double f32(uint32_t bits)
{
	return gconv_bits_f32(bits);
}

static double maxn(double a, double b)
{
	if (isnan(a) || isnan(b))
		return NAN;
	return a > b ? a : b;
}

static double minn(double a, double b)
{
	if (isnan(a) || isnan(b))
		return NAN;
	return a < b ? a : b;
}

static double pre_d(const struct gconv_desc *d, double x, double *mag)
{
	double a = f32(d->pre_param[0]), b = f32(d->pre_param[1]), v;

	switch (d->pre) {
	case GCONV_PRE_NEG:
		v = -x;
		break;
	case GCONV_PRE_ABS:
		v = fabs(x);
		break;
	case GCONV_PRE_SQUARE:
		v = x * x;
		break;
	case GCONV_PRE_EXP:
		v = exp(x);
		break;
	case GCONV_PRE_LOG:
		v = log(x);
		break;
	case GCONV_PRE_SQRT:
		v = sqrt(x);
		break;
	case GCONV_PRE_RECIP:
		v = 1.0 / x;
		break;
	case GCONV_PRE_AFFINE:
		*mag = fabs(a * x) + fabs(b);
		return a * x + b;
	default:
		v = x;
		break;
	}
	*mag = fabs(v);
	return v;
}

static double main_d(const struct gconv_desc *d, double x, double xm, double y,
		     double *mag)
{
	double v, ay = fabs(y);

	switch (d->main) {
	case GCONV_MAIN_MUL:
		*mag = xm * ay;
		return x * y;
	case GCONV_MAIN_ADD:
		*mag = xm + ay;
		return x + y;
	case GCONV_MAIN_SUB:
		*mag = xm + ay;
		return x - y;
	case GCONV_MAIN_DIV:
		*mag = xm / ay;
		return x / y;
	case GCONV_MAIN_MAX:
		/* one of them: an infinite one is exact, or selected */
		*mag = fmax(isfinite(xm) ? xm : 0, isfinite(ay) ? ay : 0);
		return maxn(x, y);
	case GCONV_MAIN_MIN:
		*mag = fmax(isfinite(xm) ? xm : 0, isfinite(ay) ? ay : 0);
		return minn(x, y);
	case GCONV_MAIN_TAKE_X:
		*mag = xm;
		return x;
	case GCONV_MAIN_TAKE_Y:
		*mag = ay;
		return y;
	case GCONV_MAIN_SQDIFF:
		*mag = (xm + ay) * (xm + ay);
		return (x - y) * (x - y);
	case GCONV_MAIN_PRELU:
		*mag = x >= 0 ? xm : xm * ay;
		return x >= 0 ? x : x * y;
	default: /* pow: relative input error e becomes |y| e */
		v = pow(x, y);
		*mag = fabs(v) * (1.0 + ay * (x != 0 ? xm / fabs(x) : 1.0));
		return v;
	}
}

static double post_d(const struct gconv_desc *d, double v, double *mag)
{
	double a = f32(d->post_param[0]), b = f32(d->post_param[1]);
	double c = f32(d->post_param[2]), r, m = -1.0, base;

	switch (d->post) {
	case GCONV_POST_RELU:
		r = maxn(v, 0.0);
		break;
	case GCONV_POST_CLIP:
		r = minn(maxn(v, a), b);
		break;
	case GCONV_POST_LEAKY:
		r = v >= 0 ? v : a * v;
		break;
	case GCONV_POST_SIGMOID:
		r = 1.0 / (1.0 + exp(-v));
		break;
	case GCONV_POST_TANH:
		r = tanh(v);
		break;
	case GCONV_POST_EXP:
		r = exp(v);
		break;
	case GCONV_POST_LOG:
		r = log(v);
		break;
	case GCONV_POST_SQRT:
		r = sqrt(v);
		break;
	case GCONV_POST_RSQRT:
		r = 1.0 / sqrt(v);
		break;
	case GCONV_POST_RECIP:
		r = 1.0 / v;
		break;
	case GCONV_POST_POW:
		r = pow(v, a);
		m = fabs(r) * (1.0 + fabs(a));
		break;
	case GCONV_POST_HARD_SIGMOID:
		r = maxn(0.0, minn(1.0, a * v + b));
		m = fabs(a * v) + fabs(b);
		break;
	case GCONV_POST_HARD_SWISH:
		r = v * maxn(0.0, minn(1.0, v / 6.0 + 0.5));
		m = fabs(v) * (fabs(v) / 6.0 + 1.5);
		break;
	case GCONV_POST_ELU:
		r = v >= 0 ? v : a * (exp(v) - 1.0);
		m = fabs(v) + fabs(a) * (exp(v) + 1.0);
		break;
	case GCONV_POST_SELU:
		r = b * (v >= 0 ? v : a * (exp(v) - 1.0));
		m = fabs(b) * (fabs(v) + fabs(a) * (exp(v) + 1.0));
		break;
	case GCONV_POST_SOFTPLUS:
		r = v > 0 ? v + log1p(exp(-v)) : log1p(exp(v));
		break;
	case GCONV_POST_AFFINE:
		r = a * v + b;
		m = fabs(a * v) + fabs(b);
		break;
	case GCONV_POST_AFFINE_POW:
		base = a * v + b;
		r = pow(base, c);
		m = fabs(r) *
		    (1.0 +
		     fabs(c) * (base != 0 ? (fabs(a * v) + fabs(b)) / fabs(base)
					  : 1.0));
		break;
	case GCONV_POST_ABS:
		r = fabs(v);
		break;
	case GCONV_POST_NEG:
		r = -v;
		break;
	default:
		r = v;
		break;
	}
	*mag = m > fabs(r) ? m : fabs(r);
	return r;
}

static int reduce_sum(const struct gconv_desc *d)
{
	return d->reduce != GCONV_REDUCE_MAX && d->reduce != GCONV_REDUCE_MIN;
}

/* What one output may be: the model's value and allowed deviation. */
struct tol {
	double r;     /* post(...) in double: what golden rounds */
	double bound; /* allowed |fast - golden| */
	int free;     /* ill-conditioned: any value passes */
};

static uint64_t off6(const struct gconv_operand *op, uint64_t n, uint64_t g,
		     uint64_t k, uint64_t c, uint64_t row, uint64_t col)
{
	const uint64_t *s = op->stride;

	return n * s[0] + g * s[1] + k * s[2] + c * s[3] + row * s[4] +
	       col * s[5];
}

/* Input pointers of @d (original contents); NULL for unused operands. */
struct iptrs {
	const float *x, *y, *b, *o;
};

static struct tol model(const struct gconv_desc *d, const struct iptrs *in,
			uint64_t n, uint64_t g, uint64_t k, uint64_t p,
			uint64_t q)
{
	int64_t hv_size = (int64_t)(d->in_h - 1) * d->in_dilation_h + 1;
	int64_t wv_size = (int64_t)(d->in_w - 1) * d->in_dilation_w + 1;
	double pad = f32(d->pad_value), acc, sm = 0, div = 1, dacc, v, dv;
	double bv = 0, rtol, lo, hi, m, dummy, acc_lo, acc_hi;
	/* terms computed without rounding: max/min select one of them */
	int exact =
		(d->pre == GCONV_PRE_IDENTITY || d->pre == GCONV_PRE_NEG ||
		 d->pre == GCONV_PRE_ABS) &&
		(d->main == GCONV_MAIN_MAX || d->main == GCONV_MAIN_MIN ||
		 d->main == GCONV_MAIN_TAKE_X || d->main == GCONV_MAIN_TAKE_Y);
	uint64_t valid = 0, padded = 0, c, r, s;
	struct tol t = { 0 };

	switch (d->reduce) {
	case GCONV_REDUCE_MAX:
		acc = -INFINITY;
		break;
	case GCONV_REDUCE_MIN:
		acc = INFINITY;
		break;
	default:
		acc = 0.0;
		break;
	}
	if (d->flags & GCONV_DESC_F_ACCUMULATE) {
		acc = in->o[off6(&d->o, n, g, k, 0, p, q)];
		if (isfinite(acc))
			sm += fabs(acc);
	}
	acc_lo = acc_hi = acc;
	rtol = 2.0 * (double)(d->c * d->r * d->s + 1) * U;
	if (rtol < 1e-4)
		rtol = 1e-4;
	for (c = 0; c < d->c; c++)
		for (r = 0; r < d->r; r++)
			for (s = 0; s < d->s; s++) {
				int64_t hv = (int64_t)(p * d->stride_h +
						       r * d->dilation_h) -
					     (int64_t)d->pad_top;
				int64_t wv = (int64_t)(q * d->stride_w +
						       s * d->dilation_w) -
					     (int64_t)d->pad_left;
				int inside = hv >= 0 && hv < hv_size &&
					     hv % d->in_dilation_h == 0 &&
					     wv >= 0 && wv < wv_size &&
					     wv % d->in_dilation_w == 0;
				double xv = 0, yv = 0, px, pm, tv, e;

				if (in->x)
					xv = inside ? in->x[off6(
							      &d->x, n, g, k, c,
							      (uint64_t)hv /
								      d->in_dilation_h,
							      (uint64_t)wv /
								      d->in_dilation_w)]
						    : pad;
				if (in->y)
					yv = in->y[off6(&d->y, n, g, k, c, r,
							s)];
				px = pre_d(d, xv, &pm);
				tv = main_d(d, px, pm, yv, &m);
				e = exact || !isfinite(m) ? 0 : rtol * m;
				switch (d->reduce) {
				case GCONV_REDUCE_MAX:
					acc = maxn(acc, tv);
					acc_lo = maxn(acc_lo, tv - e);
					acc_hi = maxn(acc_hi, tv + e);
					break;
				case GCONV_REDUCE_MIN:
					acc = minn(acc, tv);
					acc_lo = minn(acc_lo, tv - e);
					acc_hi = minn(acc_hi, tv + e);
					break;
				default:
					acc += tv;
					break;
				}
				if (isfinite(m))
					sm += m;
				valid += inside;
				padded +=
					hv >= -(int64_t)d->pad_top &&
					hv < hv_size + (int64_t)d->pad_bottom &&
					wv >= -(int64_t)d->pad_left &&
					wv < wv_size + (int64_t)d->pad_right;
			}
	switch (d->reduce) {
	case GCONV_REDUCE_MEAN_ALL:
		div = (double)d->c * d->r * d->s;
		break;
	case GCONV_REDUCE_MEAN_VALID:
		div = (double)valid;
		break;
	case GCONV_REDUCE_MEAN_PADDED:
		div = (double)padded;
		break;
	}
	if (div == 0) {
		acc = sm = 0;
	} else {
		acc /= div;
		sm /= div;
	}
	/*
	 * a sum may be off by rtol of its terms' magnitudes; a max or min is
	 * one of its terms, off by at most what that term may be off by
	 */
	if (d->reduce == GCONV_REDUCE_MAX || d->reduce == GCONV_REDUCE_MIN)
		dacc = isnan(acc) ? 0 : fmax(acc - acc_lo, acc_hi - acc);
	else
		dacc = rtol * sm;
	if (isnan(dacc)) /* inf - inf: an infinite max is exact */
		dacc = 0;

	if (in->b)
		bv = in->b[off6(&d->b, n, g, k, 0, p, q)];
	switch (d->combine) {
	case GCONV_COMBINE_ADD:
		v = acc + bv;
		dv = dacc + 4 * U * (fabs(acc) + fabs(bv));
		break;
	case GCONV_COMBINE_SUB:
		v = acc - bv;
		dv = dacc + 4 * U * (fabs(acc) + fabs(bv));
		break;
	case GCONV_COMBINE_MUL:
		v = acc * bv;
		dv = dacc * fabs(bv) + 4 * U * fabs(v);
		break;
	case GCONV_COMBINE_DIV:
		v = acc / bv;
		dv = dacc / fabs(bv) + 4 * U * fabs(v);
		break;
	case GCONV_COMBINE_MAX:
		v = maxn(acc, bv);
		dv = dacc;
		break;
	case GCONV_COMBINE_MIN:
		v = minn(acc, bv);
		dv = dacc;
		break;
	default:
		v = acc;
		dv = dacc;
		break;
	}
	t.r = post_d(d, v, &m);
	if (isinf(v)) { /* exact, and so is post of it */
		dv = 0;
		m = fabs(t.r);
	}
	/* (v - 0 would turn -0 into +0) */
	lo = dv > 0 ? post_d(d, v - dv, &dummy) : t.r;
	hi = dv > 0 ? post_d(d, v + dv, &dummy) : t.r;
	/*
	 * A sum that is exactly zero is -0 only when it starts from an
	 * ACCUMULATE value of -0 and every term is -0; SGEMM's accumulators
	 * start from +0, so the gemm path may give +0 there (docs/engines.md)
	 */
	if ((d->flags & GCONV_DESC_F_ACCUMULATE) && reduce_sum(d) && v == 0 &&
	    signbit(v)) {
		double alt = post_d(d, 0.0, &dummy);

		if (alt != t.r && !(isnan(alt) && isnan(t.r)))
			t.free = 1;
	}
	if (t.free) {
	} else if (isnan(t.r)) {
		t.free = !isnan(lo) || !isnan(hi);
	} else if (isinf(t.r)) {
		t.free = lo != t.r || hi != t.r;
	} else {
		t.bound = fmax(fabs(lo - t.r), fabs(hi - t.r)) + 8 * U * m +
			  FLT_MIN;
		t.free = !isfinite(t.bound);
	}
	return t;
}

/* ---- running and comparing ---------------------------------------------- */

struct stats {
	uint64_t outputs, free, cases, runs[GCONV_FAST_PATH_COUNT];
	uint64_t auto_gemm, kinds[K_NKIND];
	uint64_t pre[GCONV_PRE_COUNT], main_[GCONV_MAIN_COUNT];
	uint64_t reduce[GCONV_REDUCE_COUNT], combine[GCONV_COMBINE_COUNT];
	uint64_t post[GCONV_POST_COUNT];
	uint64_t accumulate, in_dil, nan_pad, noninjective, blocked;
	double worst; /* largest |fast - golden| / bound */
};

static struct stats st;

static const char *const engine_name[] = { "golden", "fast auto", "fast gemm",
					   "fast row", "fast generic" };

/*
 * Run @t on an engine (-1 golden, else a fast path) over fresh guarded
 * copies of its buffers; @out[i] receives a malloc'ed copy of buffer i.
 */
static void run_case(const struct tcase *t, int path, int at_end,
		     float *out[MAXBUF])
{
	struct gbuf g[MAXBUF];
	const void *p[4] = { 0 };
	int i, ret;

	for (i = 0; i < t->nbuf; i++) {
		gbuf_alloc(&g[i], t->buf_elems[i] * sizeof(float), at_end);
		memcpy(g[i].p, t->init[i], g[i].bytes);
	}
	for (i = 0; i < 4; i++)
		if (t->op_buf[i] >= 0)
			p[i] = g[t->op_buf[i]].p + t->op_off[i];
	if (path < 0)
		ret = gconv_golden_run_desc(&t->d, p[0], p[1], p[2],
					    (void *)p[3]);
	else
		ret = gconv_fast_run_desc_path(&t->d, p[0], p[1], p[2],
					       (void *)p[3],
					       (enum gconv_fast_path)path);
	for (i = 0; i < t->nbuf; i++) {
		if (!gbuf_canary_ok(&g[i]))
			FAILF("%s wrote outside buffer %d",
			      engine_name[path + 1], i);
		out[i] = malloc(g[i].bytes);
		if (!out[i])
			FAILF("out of memory");
		memcpy(out[i], g[i].p, g[i].bytes);
		gbuf_free(&g[i]);
	}
	if (ret)
		FAILF("%s returned %d", engine_name[path + 1], ret);
}

static void describe(const struct tcase *t, uint64_t idx)
{
	char desc[400];
	const struct gconv_desc *d = &t->d;
	int i;

	gconv_desc_format(d, desc, sizeof(desc));
	fprintf(stderr, "  case %llu (%s): %s flags %u pad_value %g\n",
		(unsigned long long)idx, kind_name[t->kind], desc, d->flags,
		f32(d->pad_value));
	for (i = 0; i < 4; i++) {
		const struct gconv_operand *o =
			operand((struct gconv_desc *)d, i);

		if (t->op_buf[i] < 0)
			continue;
		fprintf(stderr,
			"    %c: buffer %d extent %llu strides %llu %llu %llu "
			"%llu %llu %llu\n",
			"XYBO"[i], t -> op_buf[i],
			(unsigned long long)o -> extent,
			(unsigned long long)o -> stride[0],
			(unsigned long long)o -> stride[1],
			(unsigned long long)o -> stride[2],
			(unsigned long long)o -> stride[3],
			(unsigned long long)o -> stride[4],
			(unsigned long long)o -> stride[5]);
	}
}

/* What a case's outputs may be: per element of O's buffer, the output
 * that writes it last (as in golden) and that output's tolerance. */
struct expect {
	uint64_t *writer; /* UINT64_MAX: not an output */
	struct tol *tol;  /* per output, in (n, g, k, p, q) order */
};

static void expect_init(const struct tcase *t, struct expect *x)
{
	const struct gconv_desc *d = &t->d;
	uint64_t outputs = (uint64_t)d->n * d->g * d->k * d->p * d->q;
	uint64_t e, n, g, k, p, q;
	struct iptrs in = { 0 };
	const float *ip[4] = { 0 };
	int i, ob = t->op_buf[OO];

	for (i = 0; i < 4; i++)
		if (t->op_buf[i] >= 0)
			ip[i] = t->init[t->op_buf[i]] + t->op_off[i];
	in.x = ip[OX];
	in.y = ip[OY];
	in.b = ip[OB];
	in.o = ip[OO];
	x->writer = malloc(t->buf_elems[ob] * sizeof(*x->writer));
	x->tol = malloc(outputs * sizeof(*x->tol));
	if (!x->writer || !x->tol)
		FAILF("out of memory");
	for (e = 0; e < t->buf_elems[ob]; e++)
		x->writer[e] = UINT64_MAX;
	e = 0;
	for (n = 0; n < d->n; n++)
		for (g = 0; g < d->g; g++)
			for (k = 0; k < d->k; k++)
				for (p = 0; p < d->p; p++)
					for (q = 0; q < d->q; q++, e++) {
						x->writer[t->op_off[OO] +
							  off6(&d->o, n, g, k,
							       0, p, q)] = e;
						x->tol[e] = model(d, &in, n, g,
								  k, p, q);
					}
}

static void expect_free(struct expect *x)
{
	free(x->writer);
	free(x->tol);
}

static void output_index(const struct gconv_desc *d, uint64_t w, uint64_t *n,
			 uint64_t *g, uint64_t *k, uint64_t *p, uint64_t *q)
{
	uint64_t pq = (uint64_t)d->p * d->q, kpq = d->k * pq;
	uint64_t gkpq = d->g * kpq;

	*n = w / gkpq;
	*g = w % gkpq / kpq;
	*k = w % kpq / pq;
	*p = w % pq / d->q;
	*q = w % d->q;
}

/* Golden's value of an output against the model (the test's sanity). */
static void check_model(const struct tcase *t, uint64_t idx,
			const struct tol *tl, float gv, uint64_t w)
{
	uint64_t n, g, k, p, q;
	int bad;

	if (tl->free)
		return;
	if (isnan(tl->r))
		bad = !isnan(gv);
	else if (isinf((float)tl->r))
		bad = gv != (float)tl->r;
	else
		bad = fabs(gv - tl->r) > 1e-6 * fabs(tl->r) + FLT_MIN;
	if (!bad)
		return;
	output_index(&t->d, w, &n, &g, &k, &p, &q);
	describe(t, idx);
	FAILF("the test's model disagrees with golden at output "
	      "(%llu,%llu,%llu,%llu,%llu): %.9g vs %.9g",
	      (unsigned long long)n, (unsigned long long)g,
	      (unsigned long long)k, (unsigned long long)p,
	      (unsigned long long)q, tl->r, (double)gv);
}

/*
 * Compare @fast with @gold over every element of every buffer: outputs
 * within the model's tolerance, everything else bit for bit against the
 * initial contents.
 */
static void compare(const struct tcase *t, uint64_t idx, int path,
		    const struct expect *x, float *const gold[MAXBUF],
		    float *const fast[MAXBUF])
{
	int ob = t->op_buf[OO], i;
	uint64_t e, n, g, k, p, q;

	for (i = 0; i < t->nbuf; i++) {
		for (e = 0; e < t->buf_elems[i]; e++) {
			float gv = gold[i][e], fv = fast[i][e];
			uint64_t w = i == ob ? x->writer[e] : UINT64_MAX;
			const struct tol *tl;
			int ok;

			if (w == UINT64_MAX) {
				if (memcmp(&fv, &t->init[i][e], 4) ||
				    memcmp(&gv, &t->init[i][e], 4)) {
					describe(t, idx);
					FAILF("%s: buffer %d element %llu is "
					      "not "
					      "an output but changed: %.9g -> "
					      "golden %.9g fast %.9g",
					      engine_name[path + 1], i,
					      (unsigned long long)e,
					      (double)t->init[i][e], (double)gv,
					      (double)fv);
				}
				continue;
			}
			tl = &x->tol[w];
			if (path == GCONV_FAST_AUTO)
				check_model(t, idx, tl, gv, w);
			st.outputs++;
			if (tl->free) {
				st.free++;
				continue;
			}
			if (isnan(gv))
				ok = isnan(fv);
			else if (isinf(gv) || isinf(fv))
				ok = fv == gv ||
				     (!isnan(fv) && !isinf(tl->r) &&
				      fabs(fv - tl->r) <= tl->bound);
			else
				ok = fabs((double)fv - gv) <= tl->bound;
			if (ok && isfinite(gv) && isfinite(fv) &&
			    fabs((double)fv - gv) / tl->bound > st.worst)
				st.worst = fabs((double)fv - gv) / tl->bound;
			if (!ok) {
				output_index(&t->d, w, &n, &g, &k, &p, &q);
				describe(t, idx);
				FAILF("%s: output (%llu,%llu,%llu,%llu,%llu): "
				      "golden %.9g fast %.9g, allowed +-%.3g",
				      engine_name[path + 1],
				      (unsigned long long)n,
				      (unsigned long long)g,
				      (unsigned long long)k,
				      (unsigned long long)p,
				      (unsigned long long)q, (double)gv,
				      (double)fv, tl->bound);
			}
		}
	}
}

static void free_bufs(float *b[MAXBUF], int n)
{
	int i;

	for (i = 0; i < n; i++)
		free(b[i]);
}

/* Golden, then every fast path that can take the case, compared. */
static void check_case(const struct tcase *t, uint64_t idx)
{
	float *gold[MAXBUF], *fast[MAXBUF];
	struct expect x;
	int path;

	expect_init(t, &x);
	run_case(t, -1, (int)(idx & 1), gold);
	/* the engine's copies in turn: baseline, and AVX2 if the CPU has it */
	gconv_fast_tune.isa = GCONV_FAST_ISA_BASE + (int)(idx % 2);
	for (path = GCONV_FAST_AUTO; path < GCONV_FAST_PATH_COUNT; path++) {
		if (!gconv_fast_path_ok(&t->d, (enum gconv_fast_path)path))
			continue;
		run_case(t, path, (int)((idx + (unsigned)path) & 1), fast);
		compare(t, idx, path, &x, gold, fast);
		free_bufs(fast, t->nbuf);
		st.runs[path]++;
	}
	gconv_fast_tune.isa = GCONV_FAST_ISA_BEST;
	free_bufs(gold, t->nbuf);
	expect_free(&x);
}

static void tally(const struct tcase *t)
{
	const struct gconv_desc *d = &t->d;

	st.cases++;
	st.kinds[t->kind]++;
	st.pre[d->pre]++;
	st.main_[d->main]++;
	st.reduce[d->reduce]++;
	st.combine[d->combine]++;
	st.post[d->post]++;
	st.accumulate += !!(d->flags & GCONV_DESC_F_ACCUMULATE);
	st.in_dil += d->in_dilation_h > 1 || d->in_dilation_w > 1;
	st.nan_pad += isnan(f32(d->pad_value));
	st.auto_gemm += gconv_fast_choose(d) == GCONV_FAST_GEMM;
}

static void check_coverage(const uint64_t *counts, int n, const char *what,
			   const char *(*name)(uint32_t))
{
	int i;

	for (i = 0; i < n; i++)
		if (counts[i] < 5)
			FAILF("%s %s drawn only %llu times", what,
			      name((uint32_t)i), (unsigned long long)counts[i]);
}

TEST(random_descriptors)
{
	const struct gconv_fast_tuning saved = gconv_fast_tune;
	unsigned long long rs = SEED;
	const char *env = getenv("GCONV_FAST_TEST_SEED");
	double t0 = now();
	struct tcase t;
	uint64_t i;

	if (env)
		rs = strtoull(env, NULL, 0);
	memset(&st, 0, sizeof(st));
	for (i = 0; i < CASES; i++) {
		gen_case(&rs, &t);
		tally(&t);
		/* small im2col blocks: the gemm path's blocking on small shapes
		 */
		gconv_fast_tune.pack_floats =
			chance(&rs, 50) ? (uint64_t)t.d.c * t.d.r * t.d.s *
						  rnd(&rs, 1, 40)
					: saved.pack_floats;
		st.blocked += gconv_fast_tune.pack_floats != saved.pack_floats;
		check_case(&t, i);
		gconv_fast_tune = saved;
		tcase_free(&t);
	}
	printf("  %llu cases (conv %llu, pool %llu, eltwise %llu, fc %llu, "
	       "random %llu, in-place %llu) in %.1f s%s\n",
	       (unsigned long long)st.cases,
	       (unsigned long long)st.kinds[K_CONV],
	       (unsigned long long)st.kinds[K_POOL],
	       (unsigned long long)st.kinds[K_ELTWISE],
	       (unsigned long long)st.kinds[K_FC],
	       (unsigned long long)st.kinds[K_RANDOM],
	       (unsigned long long)st.kinds[K_INPLACE], now() - t0,
	       GUARD_PAGES ? ", guard pages" : ", ASan redzones");
	printf("  runs: auto %llu (gemm chosen %llu), gemm %llu, row %llu, "
	       "generic %llu; accumulate %llu, input dilation %llu, NaN pad "
	       "%llu, small im2col blocks %llu\n",
	       (unsigned long long)st.runs[GCONV_FAST_AUTO],
	       (unsigned long long)st.auto_gemm,
	       (unsigned long long)st.runs[GCONV_FAST_GEMM],
	       (unsigned long long)st.runs[GCONV_FAST_ROW],
	       (unsigned long long)st.runs[GCONV_FAST_GENERIC],
	       (unsigned long long)st.accumulate, (unsigned long long)st.in_dil,
	       (unsigned long long)st.nan_pad, (unsigned long long)st.blocked);
	printf("  %llu outputs compared, %llu ill-conditioned (%.3f%%), worst "
	       "error %.3g of the bound\n",
	       (unsigned long long)st.outputs, (unsigned long long)st.free,
	       100.0 * st.free / (st.outputs ? st.outputs : 1), st.worst);
	check_coverage(st.pre, GCONV_PRE_COUNT, "pre", gconv_pre_name);
	check_coverage(st.main_, GCONV_MAIN_COUNT, "main", gconv_main_name);
	check_coverage(st.reduce, GCONV_REDUCE_COUNT, "reduce",
		       gconv_reduce_name);
	check_coverage(st.combine, GCONV_COMBINE_COUNT, "combine",
		       gconv_combine_name);
	check_coverage(st.post, GCONV_POST_COUNT, "post", gconv_post_name);
	CHECK(100.0 * st.free <= FREE_PCT * st.outputs);
	if (gconv_blas_get()) {
		CHECK(st.runs[GCONV_FAST_GEMM] > CASES / 5);
		CHECK(st.auto_gemm > CASES / 20);
	} else { /* GCONV_BLAS=none: every descriptor takes the row path */
		CHECK(st.runs[GCONV_FAST_GEMM] == 0 && st.auto_gemm == 0);
	}
}

/* ---- real layer shapes -------------------------------------------------- */

/* A case of one descriptor, each used operand in its own buffer except
 * O, which shares @alias's buffer (and base) when @alias >= 0. */
static void build_case(unsigned long long *rs, struct tcase *t,
		       const struct gconv_desc *d, int alias)
{
	struct gconv_verror err;
	int i;

	memset(t, 0, sizeof(*t));
	t->d = *d;
	t->kind = K_CONV;
	for (i = 0; i < 4; i++) {
		const struct gconv_operand *o = operand(&t->d, i);

		t->op_buf[i] = -1;
		if (!used(d, i))
			continue;
		if (i == OO && alias >= 0) {
			t->op_buf[OO] = t->op_buf[alias];
			if (t->buf_elems[t->op_buf[OO]] < o->extent)
				t->buf_elems[t->op_buf[OO]] = o->extent;
			continue;
		}
		t->op_buf[i] = t->nbuf;
		t->buf_elems[t->nbuf++] = o->extent;
	}
	if (gconv_validate_desc(d, 0, &lim, &err)) {
		char msg[200];

		gconv_verror_format(&err, msg, sizeof(msg));
		FAILF("invalid test descriptor: %s", msg);
	}
	for (i = 0; i < t->nbuf; i++) {
		t->init[i] = malloc(t->buf_elems[i] * sizeof(float));
		if (!t->init[i])
			FAILF("out of memory");
		fill(rs, t, i);
	}
}

/* NCHW (or NHWC) convolution as the compiler lowers it. */
static void conv(struct gconv_desc *d, uint32_t n, uint32_t g, uint32_t k,
		 uint32_t c, uint32_t h, uint32_t w, uint32_t r, uint32_t s,
		 uint32_t stride, uint32_t pad, uint32_t dil, int nhwc)
{
	uint64_t ci = (uint64_t)g * c, co = (uint64_t)g * k;
	uint32_t p = (h + 2 * pad - dil * (r - 1) - 1) / stride + 1;
	uint32_t q = (w + 2 * pad - dil * (s - 1) - 1) / stride + 1;

	gconv_desc_init(d);
	d->n = n;
	d->g = g;
	d->k = k;
	d->c = c;
	d->r = r;
	d->s = s;
	d->p = p;
	d->q = q;
	d->in_h = h;
	d->in_w = w;
	d->stride_h = d->stride_w = stride;
	d->dilation_h = d->dilation_w = dil;
	d->pad_top = d->pad_bottom = d->pad_left = d->pad_right = pad;
	d->combine = GCONV_COMBINE_ADD;
	d->post = GCONV_POST_RELU;
	if (nhwc) {
		gconv_operand_f32(&d->x, 0, n * ci * h * w, ci * h * w, c, 0, 1,
				  w * ci, ci);
		gconv_operand_f32(&d->o, 0, n * co * p * q, co * p * q, k, 1, 0,
				  q * co, co);
	} else {
		gconv_operand_f32(&d->x, 0, n * ci * h * w, ci * h * w,
				  (uint64_t)c * h * w, 0, (uint64_t)h * w, w,
				  1);
		gconv_operand_f32(&d->o, 0, n * co * p * q, co * p * q,
				  (uint64_t)k * p * q, (uint64_t)p * q, 0, q,
				  1);
	}
	gconv_operand_f32(&d->y, 0, co * c * r * s, 0, (uint64_t)k * c * r * s,
			  (uint64_t)c * r * s, (uint64_t)r * s, s, 1);
	gconv_operand_f32(&d->b, 0, co, 0, k, 1, 0, 0, 0);
}

/* Pooling over NCHW: channels on k. */
static void pool(struct gconv_desc *d, uint32_t n, uint32_t ch, uint32_t h,
		 uint32_t w, uint32_t r, uint32_t stride, uint32_t pad_lo,
		 uint32_t pad_hi, uint8_t reduce, float pad_value)
{
	gconv_desc_init(d);
	d->n = n;
	d->k = ch;
	d->r = d->s = r;
	d->in_h = h;
	d->in_w = w;
	d->stride_h = d->stride_w = stride;
	d->pad_top = d->pad_left = pad_lo;
	d->pad_bottom = d->pad_right = pad_hi;
	d->p = (h + pad_lo + pad_hi - r) / stride + 1;
	d->q = (w + pad_lo + pad_hi - r) / stride + 1;
	d->main = GCONV_MAIN_TAKE_X;
	d->reduce = reduce;
	d->pad_value = gconv_f32_bits(pad_value);
	gconv_operand_f32(&d->x, 0, (uint64_t)n * ch * h * w,
			  (uint64_t)ch * h * w, 0, (uint64_t)h * w, 0, w, 1);
	gconv_operand_f32(&d->o, 0, (uint64_t)n * ch * d->p * d->q,
			  (uint64_t)ch * d->p * d->q, 0, (uint64_t)d->p * d->q,
			  0, d->q, 1);
}

/* Element-wise over an NCHW tensor (channels on k), B another tensor. */
static void eltwise(struct gconv_desc *d, uint32_t n, uint32_t ch, uint32_t h,
		    uint32_t w, uint8_t combine, uint8_t post)
{
	uint64_t hw = (uint64_t)h * w, all = n * ch * hw;

	gconv_desc_init(d);
	d->n = n;
	d->k = ch;
	d->p = d->in_h = h;
	d->q = d->in_w = w;
	d->main = GCONV_MAIN_TAKE_X;
	d->combine = combine;
	d->post = post;
	gconv_operand_f32(&d->x, 0, all, ch * hw, 0, hw, 0, w, 1);
	gconv_operand_f32(&d->o, 0, all, ch * hw, 0, hw, 0, w, 1);
	if (combine)
		gconv_operand_f32(&d->b, 0, all, ch * hw, 0, hw, 0, w, 1);
}

TEST(cnn_layers)
{
	unsigned long long rs = SEED ^ 0x5bd1e995;
	struct gconv_desc d;
	struct tcase t;
	uint64_t idx = 100000;

#define CASE(alias)                               \
	do {                                      \
		build_case(&rs, &t, &d, (alias)); \
		check_case(&t, idx++);            \
		tcase_free(&t);                   \
	} while (0)

	/* convolutions: 3x3 with bias and relu, strided, 1x1, 7x7/2,
	 * dilated, NHWC, grouped, depthwise, with a batch */
	conv(&d, 1, 1, 24, 16, 20, 20, 3, 3, 1, 1, 1, 0);
	CASE(-1);
	conv(&d, 2, 1, 32, 8, 17, 17, 3, 3, 2, 1, 1, 0);
	CASE(-1);
	conv(&d, 1, 1, 40, 24, 14, 14, 1, 1, 1, 0, 1, 0);
	CASE(-1);
	conv(&d, 1, 1, 16, 32, 15, 15, 1, 1, 2, 0, 1, 0);
	CASE(-1);
	conv(&d, 1, 1, 16, 3, 40, 40, 7, 7, 2, 3, 1, 0);
	CASE(-1);
	conv(&d, 1, 1, 12, 8, 19, 19, 3, 3, 1, 2, 2, 0);
	CASE(-1);
	conv(&d, 2, 1, 12, 10, 11, 13, 3, 3, 1, 1, 1, 1);
	CASE(-1);
	conv(&d, 1, 4, 8, 6, 16, 16, 3, 3, 1, 1, 1, 0);
	CASE(-1);
	conv(&d, 1, 32, 1, 1, 28, 28, 3, 3, 1, 1, 1, 0);
	CASE(-1);
	conv(&d, 2, 24, 1, 1, 29, 29, 3, 3, 2, 1, 1, 0);
	CASE(-1);
	conv(&d, 1, 16, 1, 1, 20, 20, 5, 5, 1, 2, 1, 0);
	CASE(-1);
	/* fully connected, batch 3, weights [K][C] and [C][K] (transB) */
	gconv_desc_init(&d);
	d.n = 3;
	d.k = 50;
	d.c = 70;
	d.combine = GCONV_COMBINE_ADD;
	gconv_operand_f32(&d.x, 0, 3 * 70, 70, 0, 0, 1, 0, 0);
	gconv_operand_f32(&d.y, 0, 50 * 70, 0, 0, 70, 1, 0, 0);
	gconv_operand_f32(&d.b, 0, 50, 0, 0, 1, 0, 0, 0);
	gconv_operand_f32(&d.o, 0, 3 * 50, 50, 0, 1, 0, 0, 0);
	CASE(-1);
	gconv_operand_f32(&d.y, 0, 50 * 70, 0, 0, 1, 50, 0, 0);
	CASE(-1);
	/* fully connected over a whole feature map (R, S cover it) */
	gconv_desc_init(&d);
	d.k = 20;
	d.c = 8;
	d.r = d.in_h = 5;
	d.s = d.in_w = 5;
	gconv_operand_f32(&d.x, 0, 200, 0, 0, 0, 25, 5, 1);
	gconv_operand_f32(&d.y, 0, 20 * 200, 0, 0, 200, 25, 5, 1);
	gconv_operand_f32(&d.o, 0, 20, 0, 0, 1, 0, 0, 0);
	CASE(-1);
	/* pooling: max 3x3/2 with -inf padding, 2x2/2, average with and
	 * without the padding counted (ceil mode: a window past the pad),
	 * global average and max */
	pool(&d, 1, 16, 23, 23, 3, 2, 1, 1, GCONV_REDUCE_MAX, -INFINITY);
	CASE(-1);
	pool(&d, 2, 8, 16, 16, 2, 2, 0, 0, GCONV_REDUCE_MAX, -INFINITY);
	CASE(-1);
	pool(&d, 1, 8, 13, 13, 3, 2, 1, 2, GCONV_REDUCE_MEAN_VALID, 0.0f);
	CASE(-1);
	d.pad_bottom = d.pad_right = 1; /* the last window passes the pad */
	d.reduce = GCONV_REDUCE_MEAN_PADDED;
	CASE(-1);
	pool(&d, 2, 32, 7, 7, 7, 1, 0, 0, GCONV_REDUCE_MEAN_ALL, 0.0f);
	CASE(-1);
	pool(&d, 1, 8, 30, 30, 30, 1, 0, 0, GCONV_REDUCE_MAX, 0.0f);
	CASE(-1);
	/* element-wise: residual add + relu out of place and in place over
	 * X and over B, batch-norm as mul and add per channel, accumulate */
	eltwise(&d, 2, 8, 12, 12, GCONV_COMBINE_ADD, GCONV_POST_RELU);
	CASE(-1);
	CASE(OX);
	CASE(OB);
	eltwise(&d, 1, 8, 12, 12, GCONV_COMBINE_ADD, GCONV_POST_IDENTITY);
	d.main = GCONV_MAIN_MUL;
	gconv_operand_f32(&d.y, 0, 8, 0, 0, 1, 0, 0, 0);
	gconv_operand_f32(&d.b, 0, 8, 0, 0, 1, 0, 0, 0);
	CASE(-1);
	CASE(OX);
	eltwise(&d, 1, 4, 9, 9, GCONV_COMBINE_NONE, GCONV_POST_IDENTITY);
	d.flags = GCONV_DESC_F_ACCUMULATE;
	CASE(-1);
	/* a flattened element-wise add longer than one chunk, in place */
	eltwise(&d, 1, 1, 1, 5000, GCONV_COMBINE_ADD, GCONV_POST_RELU);
	CASE(OX);
	/* softmax's pieces over 10 classes: max, exp(x - max), sum, div */
	gconv_desc_init(&d);
	d.c = 10;
	d.main = GCONV_MAIN_TAKE_X;
	d.reduce = GCONV_REDUCE_MAX;
	gconv_operand_f32(&d.x, 0, 10, 0, 0, 0, 1, 0, 0);
	gconv_operand_f32(&d.o, 0, 1, 0, 0, 0, 0, 0, 0);
	CASE(-1);
	gconv_desc_init(&d);
	d.q = d.in_w = 10;
	d.main = GCONV_MAIN_TAKE_X;
	d.combine = GCONV_COMBINE_SUB;
	d.post = GCONV_POST_EXP;
	gconv_operand_f32(&d.x, 0, 10, 0, 0, 0, 0, 0, 1);
	gconv_operand_f32(&d.b, 0, 1, 0, 0, 0, 0, 0, 0);
	gconv_operand_f32(&d.o, 0, 10, 0, 0, 0, 0, 0, 1);
	CASE(-1);
	/* transposed convolution 3x3 stride 2: input dilation, flipped
	 * weights are just weights here */
	conv(&d, 1, 1, 8, 6, 9, 9, 3, 3, 1, 0, 1, 0);
	d.in_dilation_h = d.in_dilation_w = 2;
	d.pad_top = d.pad_bottom = d.pad_left = d.pad_right = 2;
	d.p = d.q = 19;
	gconv_operand_f32(&d.o, 0, 8 * 19 * 19, 0, 0, 19 * 19, 0, 19, 1);
	CASE(-1);
	/* nearest upsampling x2: holes read 0, one tap per output is real */
	gconv_desc_init(&d);
	d.k = 4;
	d.in_h = d.in_w = 6;
	d.p = d.q = 12;
	d.r = d.s = 2;
	d.in_dilation_h = d.in_dilation_w = 2;
	d.pad_top = d.pad_left = 1;
	d.pad_bottom = d.pad_right = 1;
	d.main = GCONV_MAIN_TAKE_X;
	gconv_operand_f32(&d.x, 0, 4 * 36, 0, 0, 36, 0, 6, 1);
	gconv_operand_f32(&d.o, 0, 4 * 144, 0, 0, 144, 0, 12, 1);
	CASE(-1);
#undef CASE
}

/* ---- several threads at once -------------------------------------------- */

#define THREADS 4

struct thread_job {
	const struct gconv_desc *d;
	const float *x, *y, *b, *want;
	uint64_t outputs;
	int bad;
};

/*
 * gconv_fast_run_desc_cancel(): a flag already set abandons a convolution
 * (gemm path) and a pooling (row path) with -ECANCELED; a clear one (and
 * none) computes exactly what gconv_fast_run_desc() computes.
 */
static void cancel_case(const struct gconv_desc *d)
{
	unsigned long long rs = SEED ^ 0x9e3779b9;
	uint64_t nx = d->x.extent, ny = d->y.extent, nb = d->b.extent;
	uint64_t no = d->o.extent, i;
	float *x = calloc(nx ? nx : 1, sizeof(float));
	float *y = calloc(ny ? ny : 1, sizeof(float));
	float *b = calloc(nb ? nb : 1, sizeof(float));
	float *o1 = calloc(no, sizeof(float)), *o2 = calloc(no, sizeof(float));
	int set = 1, clear = 0;

	if (!x || !y || !b || !o1 || !o2)
		FAILF("out of memory");
	for (i = 0; i < nx; i++)
		x[i] = uni(&rs, -1, 1);
	for (i = 0; i < ny; i++)
		y[i] = uni(&rs, -1, 1);
	for (i = 0; i < nb; i++)
		b[i] = uni(&rs, -1, 1);
	CHECK_EQ_INT(gconv_fast_run_desc_cancel(d, x, y, b, o1, &set),
		     -ECANCELED);
	CHECK_EQ_INT(gconv_fast_run_desc(d, x, y, b, o1), 0);
	CHECK_EQ_INT(gconv_fast_run_desc_cancel(d, x, y, b, o2, &clear), 0);
	CHECK(!memcmp(o1, o2, no * sizeof(float)));
	CHECK_EQ_INT(gconv_fast_run_desc_cancel(d, x, y, b, o2, NULL), 0);
	CHECK(!memcmp(o1, o2, no * sizeof(float)));
	free(x);
	free(y);
	free(b);
	free(o1);
	free(o2);
}

TEST(cancel)
{
	struct gconv_desc d;

	conv(&d, 1, 1, 32, 16, 14, 14, 3, 3, 1, 1, 1, 0);
	CHECK_EQ_INT(gconv_fast_choose(&d),
		     gconv_blas_get() ? GCONV_FAST_GEMM : GCONV_FAST_ROW);
	cancel_case(&d);
	pool(&d, 1, 16, 14, 14, 3, 2, 1, 1, GCONV_REDUCE_MAX, -INFINITY);
	CHECK_EQ_INT(gconv_fast_choose(&d), GCONV_FAST_ROW);
	cancel_case(&d);
}

static void *thread_run(void *arg)
{
	struct thread_job *j = arg;
	float *o = malloc(j->outputs * sizeof(float));
	uint64_t i;
	int rep;

	if (!o) {
		j->bad = 1;
		return NULL;
	}
	for (rep = 0; rep < 20 && !j->bad; rep++) {
		if (gconv_fast_run_desc(j->d, j->x, j->y, j->b, o)) {
			j->bad = 1;
			break;
		}
		/* OpenBLAS may split the work differently when busy */
		for (i = 0; i < j->outputs; i++)
			if (!harness_close(o[i], j->want[i], 1e-5, 1e-5))
				j->bad = 1;
	}
	free(o);
	return NULL;
}

TEST(threads)
{
	unsigned long long rs = SEED ^ 0x27d4eb2f;
	struct thread_job jobs[THREADS];
	pthread_t th[THREADS];
	struct gconv_desc d[2];
	float *in[2][3], *want[2];
	int i, j;

	/* a convolution (gemm path) and a depthwise one (row path) */
	conv(&d[0], 1, 1, 32, 16, 24, 24, 3, 3, 1, 1, 1, 0);
	conv(&d[1], 1, 16, 1, 1, 24, 24, 3, 3, 1, 1, 1, 0);
	for (i = 0; i < 2; i++) {
		const struct gconv_operand *ops[3] = { &d[i].x, &d[i].y,
						       &d[i].b };

		for (j = 0; j < 3; j++) {
			uint64_t e;

			in[i][j] = malloc(ops[j]->extent * sizeof(float));
			if (!in[i][j])
				FAILF("out of memory");
			for (e = 0; e < ops[j]->extent; e++)
				in[i][j][e] = uni(&rs, -1.0f, 1.0f);
		}
		want[i] = malloc(d[i].o.extent * sizeof(float));
		if (!want[i])
			FAILF("out of memory");
		CHECK_EQ_INT(gconv_fast_run_desc(&d[i], in[i][0], in[i][1],
						 in[i][2], want[i]),
			     0);
	}
	for (i = 0; i < THREADS; i++) {
		jobs[i] = (struct thread_job){ &d[i % 2],
					       in[i % 2][0],
					       in[i % 2][1],
					       in[i % 2][2],
					       want[i % 2],
					       d[i % 2].o.extent,
					       0 };
		CHECK_EQ_INT(pthread_create(&th[i], NULL, thread_run, &jobs[i]),
			     0);
	}
	for (i = 0; i < THREADS; i++)
		pthread_join(th[i], NULL);
	for (i = 0; i < THREADS; i++)
		CHECK(!jobs[i].bad);
	for (i = 0; i < 2; i++) {
		for (j = 0; j < 3; j++)
			free(in[i][j]);
		free(want[i]);
	}
}

/* ---- chains: the same validation as golden ------------------------------ */

#define WBASE 0x10000ull
#define ABASE 0x400000ull

struct chain_mem {
	uint64_t wsize, asize;
	float *w, *a; /* initial contents */
};

/*
 * A chain of 1..3 descriptors over a read-only weights region and a
 * writable arena, every operand placed inside one (outputs in the arena).
 */
static void *random_chain(unsigned long long *rs, struct chain_mem *m,
			  size_t *len)
{
	struct gconv_chain_builder b = { 0 };
	uint64_t wpos = 0, apos = 0, e;
	int ndesc = (int)rnd(rs, 1, 3), i, j;
	void *chain;

	for (i = 0; i < ndesc; i++) {
		struct tcase t;

		do {
			gen_case(rs, &t);
			/* chained values stay moderate: no exploding ops */
			if (t.kind == K_RANDOM || t.kind == K_INPLACE ||
			    t.d.post > GCONV_POST_LEAKY ||
			    t.d.pre != GCONV_PRE_IDENTITY) {
				tcase_free(&t);
				continue;
			}
			break;
		} while (1);
		for (j = 0; j < 4; j++) {
			struct gconv_operand *o = operand(&t.d, j);

			if (!used(&t.d, j))
				continue;
			if (j != OO && chance(rs, 40)) {
				o->addr = WBASE + wpos * 4;
				wpos += o->extent + rnd(rs, 0, 8);
			} else {
				o->addr = ABASE + apos * 4;
				apos += o->extent + rnd(rs, 0, 8);
			}
		}
		if (gconv_chain_append(&b, &t.d))
			FAILF("out of memory");
		tcase_free(&t);
	}
	if (gconv_chain_encode(&b, &chain, len))
		FAILF("out of memory");
	gconv_chain_builder_free(&b);
	m->wsize = (wpos + 16) * 4;
	m->asize = (apos + 16) * 4;
	m->w = malloc(m->wsize);
	m->a = malloc(m->asize);
	if (!m->w || !m->a)
		FAILF("out of memory");
	for (e = 0; e < m->wsize / 4; e++)
		m->w[e] = uni(rs, -1.0f, 1.0f);
	for (e = 0; e < m->asize / 4; e++)
		m->a[e] = uni(rs, -1.0f, 1.0f);
	return chain;
}

/* Work of a chain that validates; 0 when it does not. */
static uint64_t chain_work(const void *chain, size_t len)
{
	const struct gconv_chain_header *h = chain;
	uint64_t w = 0;
	uint32_t i;

	if (gconv_validate_chain(chain, len, &lim, NULL))
		return 0;
	for (i = 0; i < h->count; i++)
		w += work(gconv_chain_desc(h, i)) +
		     (uint64_t)gconv_chain_desc(h, i)->n *
			     gconv_chain_desc(h, i)->g *
			     gconv_chain_desc(h, i)->k *
			     gconv_chain_desc(h, i)->p *
			     gconv_chain_desc(h, i)->q;
	return w;
}

static int run_chain_on(int fast, const void *chain, size_t len,
			const struct chain_mem *m, float *w, float *a,
			struct gconv_verror *err)
{
	struct gconv_region r[2] = {
		{ WBASE, m->wsize, w, 0 },
		{ ABASE, m->asize, a, 1 },
	};

	memcpy(w, m->w, m->wsize);
	memcpy(a, m->a, m->asize);
	memset(err, 0, sizeof(*err));
	return fast ? gconv_fast_run_chain_mapped(chain, len, r, 2, err)
		    : gconv_golden_run_chain_mapped(chain, len, r, 2, err);
}

TEST(chain_validation_matches_golden)
{
	unsigned long long rs = SEED ^ 0xc2b2ae35;
	uint64_t i, e, rejected = 0, ran = 0, skipped = 0;

	for (i = 0; i < 400; i++) {
		struct chain_mem m;
		struct gconv_verror eg, ef;
		size_t len, run_len;
		uint8_t *chain = random_chain(&rs, &m, &len), *buf;
		const struct gconv_chain_header *h = (const void *)chain;
		struct gconv_desc *d;
		float *wg, *ag, *wf, *af;
		int rg, rf, mut = (int)rnd(&rs, 0, 6), off = 0;

		d = (struct gconv_desc *)(chain + h->header_size +
					  rnd(&rs, 0, h->count - 1) *
						  h->desc_size);
		run_len = len;
		switch (mut) {
		case 1: /* a random byte */
			chain[rnd(&rs, 0, len - 1)] ^=
				(uint8_t)rnd(&rs, 1, 255);
			break;
		case 2: /* an operand outside every region */
			d->x.addr =
				chance(&rs, 50) ? 0x100 : ABASE + m.asize - 4;
			break;
		case 3: /* the output in read-only memory */
			d->o.addr = WBASE;
			break;
		case 4: /* truncated */
			run_len = len - rnd(&rs, 1, len - 1);
			break;
		case 5: /* misaligned */
			off = 4;
			break;
		}
		if (chain_work(chain, run_len) > 3000000) {
			skipped++;
			free(chain);
			free(m.w);
			free(m.a);
			continue;
		}
		buf = malloc(len + 8);
		wg = malloc(m.wsize);
		ag = malloc(m.asize);
		wf = malloc(m.wsize);
		af = malloc(m.asize);
		if (!buf || !wg || !ag || !wf || !af)
			FAILF("out of memory");
		memcpy(buf + off, chain, len);
		rg = run_chain_on(0, buf + off, run_len, &m, wg, ag, &eg);
		rf = run_chain_on(1, buf + off, run_len, &m, wf, af, &ef);
		if (rg != rf || eg.code != ef.code || eg.desc != ef.desc ||
		    eg.operand != ef.operand ||
		    ((eg.field || ef.field) &&
		     (!eg.field || !ef.field || strcmp(eg.field, ef.field))))
			FAILF("chain %llu (mutation %d): golden %d (%u, desc "
			      "%u, %c, %s), fast %d (%u, desc %u, %c, %s)",
			      (unsigned long long)i, mut, rg, eg.code, eg.desc,
			      eg.operand ? eg.operand : '-',
			      eg.field ? eg.field : "-", rf, ef.code, ef.desc,
			      ef.operand ? ef.operand : '-',
			      ef.field ? ef.field : "-");
		if (memcmp(wf, m.w, m.wsize))
			FAILF("chain %llu: the fast engine wrote read-only "
			      "memory",
			      (unsigned long long)i);
		if (rf) {
			rejected++;
			if (memcmp(af, m.a, m.asize))
				FAILF("chain %llu: rejected (%d) but memory "
				      "changed",
				      (unsigned long long)i, rf);
		} else {
			ran++;
			for (e = 0; e < m.asize / 4; e++)
				if (!harness_close(af[e], ag[e], 1e-3, 1e-3))
					FAILF("chain %llu: arena[%llu] golden "
					      "%.9g fast %.9g",
					      (unsigned long long)i,
					      (unsigned long long)e,
					      (double)ag[e], (double)af[e]);
		}
		free(buf);
		free(wg);
		free(ag);
		free(wf);
		free(af);
		free(chain);
		free(m.w);
		free(m.a);
	}
	printf("  %llu chains ran, %llu rejected alike, %llu too large "
	       "(skipped)\n",
	       (unsigned long long)ran, (unsigned long long)rejected,
	       (unsigned long long)skipped);
	CHECK(ran > 50 && rejected > 50);
}

/* ---- models, layer by layer and end to end ------------------------------ */

struct mstate {
	struct gconv_model *m;
	const void *chain;
	size_t chain_len;
	struct gconv_model_layout l;
	const float *weights;
	uint8_t *arena;
};

static void mstate_open(struct mstate *ms, const char *path)
{
	char err[512];

	if (gconv_compile_onnx_file(path, NULL, &ms->m, err, sizeof(err)))
		FAILF("%s: %s", path, err);
	ms->chain = gconv_model_chain(ms->m, &ms->chain_len);
	gconv_model_layout(ms->m, &ms->l);
	ms->weights = gconv_model_weights(ms->m);
	ms->arena = calloc(1, ms->l.arena_size);
	if (!ms->arena)
		FAILF("out of memory");
}

static void mstate_close(struct mstate *ms)
{
	free(ms->arena);
	gconv_model_free(ms->m);
}

static float *arena_tensor(const struct mstate *ms, uint8_t *arena,
			   const struct gconv_tensor_info *ti)
{
	return (float *)(arena + (ti->addr - ms->l.arena_addr));
}

/* Host address of @addr in the weights or in @arena. */
static const void *host_at(const struct mstate *ms, const uint8_t *arena,
			   uint64_t addr)
{
	if (addr >= ms->l.weights_addr &&
	    addr - ms->l.weights_addr < ms->l.weights_size)
		return (const uint8_t *)ms->weights +
		       (addr - ms->l.weights_addr);
	return arena + (addr - ms->l.arena_addr);
}

/*
 * Layer @d of a model on the arena state @arena: the fast engine on the
 * whole layer (in a copy of the arena, as the chain would run it), the
 * golden engine and the tolerance model on output channels [k0, k0+ks)
 * (each operand copied into its own buffer), compared.  Returns the copy
 * the fast engine wrote (the next layer's state).
 */
static uint8_t *check_layer(const struct mstate *ms, const uint8_t *arena,
			    const struct gconv_desc *d, uint32_t layer,
			    const uint32_t *k0s, int nk, uint32_t ks)
{
	uint8_t *fa = malloc(ms->l.arena_size);
	const void *p[4];
	float *gold[MAXBUF];
	int i, j, sl;

	if (!fa)
		FAILF("out of memory");
	memcpy(fa, arena, ms->l.arena_size);
	for (i = 0; i < 4; i++) {
		const struct gconv_operand *o =
			operand((struct gconv_desc *)d, i);

		p[i] = used(d, i) ? host_at(ms, i == OO ? fa : arena, o->addr)
				  : NULL;
	}
	if (gconv_fast_run_desc(d, p[OX], p[OY], p[OB], (void *)p[OO]))
		FAILF("layer %u: the fast engine failed", layer);

	for (sl = 0; sl < nk; sl++) {
		struct tcase t;
		struct expect x;
		uint64_t e, ob;

		memset(&t, 0, sizeof(t));
		t.d = *d;
		t.d.k = ks;
		t.kind = K_CONV;
		for (i = 0; i < 4; i++) {
			struct gconv_operand *o = operand(&t.d, i);
			uint64_t shift = k0s[sl] * o->stride[GCONV_SLOT_K];

			t.op_buf[i] = -1;
			if (!used(&t.d, i))
				continue;
			o->addr += shift * 4;
			o->extent -= shift;
			t.op_buf[i] = t.nbuf;
			t.buf_elems[t.nbuf] = o->extent;
			t.init[t.nbuf] = malloc(o->extent * 4);
			if (!t.init[t.nbuf])
				FAILF("out of memory");
			memcpy(t.init[t.nbuf], host_at(ms, arena, o->addr),
			       o->extent * 4);
			t.nbuf++;
		}
		expect_init(&t, &x);
		run_case(&t, -1, 0, gold);
		ob = t.op_buf[OO];
		for (e = 0; e < t.buf_elems[ob]; e++) {
			const float *fv = (const float *)host_at(
				ms, fa, t.d.o.addr + e * 4);
			uint64_t w = x.writer[e];
			const struct tol *tl;
			float g = gold[ob][e], f = *fv;

			if (w == UINT64_MAX)
				continue;
			tl = &x.tol[w];
			if (tl->free)
				continue;
			check_model(&t, layer, tl, g, w);
			if (isnan(g) ? !isnan(f)
				     : !(fabs((double)f - g) <= tl->bound))
				FAILF("layer %u, channel %llu, element %llu: "
				      "golden %.9g fast %.9g, allowed +-%.3g",
				      layer,
				      (unsigned long long)(k0s[sl] +
							   w /
								   ((uint64_t)t
									    .d
									    .p *
								    t.d.q) %
								   ks),
				      (unsigned long long)e, (double)g,
				      (double)f, tl->bound);
			st.outputs++;
		}
		for (j = 0; j < t.nbuf; j++)
			free(gold[j]);
		expect_free(&x);
		tcase_free(&t);
	}
	return fa;
}

/*
 * Every layer of a model (input @in) against golden on identical inputs:
 * whole layers when they are cheap, else three slices of @ks output
 * channels (first, middle, last).  Returns the final arena (free() it).
 */
static uint8_t *check_model_layers(const struct mstate *ms, const float *in,
				   uint32_t ks)
{
	const struct gconv_chain_header *h = ms->chain;
	uint8_t *arena = calloc(1, ms->l.arena_size), *next;
	uint32_t i;

	if (!arena)
		FAILF("out of memory");
	memcpy(arena_tensor(ms, arena, gconv_model_input(ms->m, 0)), in,
	       gconv_model_input(ms->m, 0)->elems * 4);
	for (i = 0; i < h->count; i++) {
		const struct gconv_desc *d = gconv_chain_desc(h, i);
		uint32_t k0s[3] = { 0, d->k / 2 - ks / 2, d->k - ks };

		if (work(d) <= 4000000 || d->k <= ks) {
			k0s[0] = 0;
			next = check_layer(ms, arena, d, i, k0s, 1, d->k);
		} else {
			next = check_layer(ms, arena, d, i, k0s, 3, ks);
		}
		free(arena);
		arena = next;
	}
	return arena;
}

/* The fast chain end to end on @in; the output in a new array. */
static float *fast_chain(const struct mstate *ms, const float *in,
			 double *seconds)
{
	const struct gconv_tensor_info *ti = gconv_model_output(ms->m, 0);
	struct gconv_region r[2] = {
		{ ms->l.weights_addr, ms->l.weights_size, (void *)ms->weights,
		  0 },
		{ ms->l.arena_addr, ms->l.arena_size, ms->arena, 1 },
	};
	struct gconv_verror err;
	float *out = malloc(ti->elems * 4);
	double t0 = now();

	if (!out)
		FAILF("out of memory");
	memset(ms->arena, 0, ms->l.arena_size);
	memcpy(arena_tensor(ms, ms->arena, gconv_model_input(ms->m, 0)), in,
	       gconv_model_input(ms->m, 0)->elems * 4);
	if (gconv_fast_run_chain_mapped(ms->chain, ms->chain_len, r, 2, &err))
		FAILF("the fast chain failed (error %u)", err.code);
	*seconds = now() - t0;
	memcpy(out, arena_tensor(ms, ms->arena, ti), ti->elems * 4);
	return out;
}

/* max |got - want| / max |want| (NaN if any is NaN) */
static double rel_error(const float *got, const float *want, uint64_t n)
{
	double maxe = 0, maxw = 0;
	uint64_t i;

	for (i = 0; i < n; i++) {
		double e = fabs((double)got[i] - want[i]);

		if (!(e <= maxe))
			maxe = e;
		if (fabs(want[i]) > maxw)
			maxw = fabs(want[i]);
	}
	return maxe / (maxw > 0 ? maxw : 1);
}

TEST(digits_model)
{
	struct mstate ms;
	struct gconv_tensor x;
	struct gconv_session *s;
	char err[256];
	double t, tf = 0, tg = 0, t0;
	uint8_t *last;
	int i;

	mstate_open(&ms, DIGITS "digits.onnx");
	if (gconv_npy_read(DIGITS "samples.npy", &x, err, sizeof(err)))
		FAILF("%s", err);
	st.outputs = 0;
	last = check_model_layers(&ms, x.data, 4);
	free(last);
	CHECK_EQ_INT(gconv_session_create(ms.m, &s), 0);
	for (i = 0; i < 20; i++) {
		float *f = fast_chain(&ms, x.data + i * 64, &t);

		tf += t;
		memcpy(gconv_session_input(s, 0), x.data + i * 64, 64 * 4);
		t0 = now();
		if (gconv_session_run(s, err, sizeof(err)))
			FAILF("golden: %s", err);
		tg += now() - t0;
		if (rel_error(f, gconv_session_output(s, 0), 10) > 1e-5)
			FAILF("sample %d: fast and golden probabilities differ "
			      "by %.3g",
			      i, rel_error(f, gconv_session_output(s, 0), 10));
		free(f);
	}
	printf("  %llu outputs of 10 layers checked; 20 samples end to end: "
	       "fast %.3f ms, golden %.3f ms per sample\n",
	       (unsigned long long)st.outputs, tf / 20 * 1e3, tg / 20 * 1e3);
	gconv_session_free(s);
	gconv_tensor_free(&x);
	mstate_close(&ms);
}

/* tests/models/check-cnns' cache directory of the torchvision exports. */
static int cnn_cache(char *dir, size_t len)
{
	const char *base = getenv("GCONV_CACHE"),
		   *xdg = getenv("XDG_CACHE_HOME");
	char key[17] = "";
	FILE *f = popen("sha256sum tools/models/make_cnns.py", "r");

	if (!f)
		return -1;
	if (!fgets(key, sizeof(key), f) || strlen(key) != 16) {
		pclose(f);
		return -1;
	}
	pclose(f);
	if (base)
		snprintf(dir, len, "%s/models-%s", base, key);
	else if (xdg)
		snprintf(dir, len, "%s/gconv/models-%s", xdg, key);
	else
		snprintf(dir, len, "%s/.cache/gconv/models-%s",
			 getenv("HOME") ? getenv("HOME") : ".", key);
	return 0;
}

TEST(resnet18_model)
{
	char dir[2048], path[4096], err[256];
	struct gconv_tensor x = { 0 }, y = { 0 };
	struct stat sb;
	struct mstate ms;
	double t, rel;
	uint8_t *last;
	float *f;

	if (cnn_cache(dir, sizeof(dir)))
		FAILF("cannot hash tools/models/make_cnns.py (run from the "
		      "repository root)");
	snprintf(path, sizeof(path), "%s/resnet18.onnx", dir);
	if (stat(path, &sb)) {
		printf("  skipped: no ResNet-18 export cached in %s "
		       "(tests/models/check-cnns makes it)\n",
		       dir);
		return;
	}
	mstate_open(&ms, path);
	snprintf(path, sizeof(path), "%s/resnet18.input.npy", dir);
	if (gconv_npy_read(path, &x, err, sizeof(err)))
		FAILF("%s", err);
	snprintf(path, sizeof(path), "%s/resnet18.output.npy", dir);
	if (gconv_npy_read(path, &y, err, sizeof(err)))
		FAILF("%s", err);
	st.outputs = 0;
	last = check_model_layers(&ms, x.data, 8);
	free(last);
	f = fast_chain(&ms, x.data, &t);
	rel = rel_error(f, y.data, y.elems);
	printf("  %llu outputs of 31 layers checked against golden; end to "
	       "end %.1f ms, max |fast - PyTorch| / max |PyTorch| %.2e\n",
	       (unsigned long long)st.outputs, t * 1e3, rel);
	CHECK(rel <= 1e-4);
	free(f);
	gconv_tensor_free(&x);
	gconv_tensor_free(&y);
	mstate_close(&ms);
}

static const struct test tests[] = {
	T(random_descriptors),
	T(cnn_layers),
	T(threads),
	T(cancel),
	T(chain_validation_matches_golden),
	T(digits_model),
	T(resnet18_model),
};

int main(int argc, char **argv)
{
	return HARNESS_MAIN(tests);
}
