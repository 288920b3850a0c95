// SPDX-License-Identifier: MIT
/*
 * The fast GCONV engine: docs/gconv-isa.md's loop nest in fp32, reordered
 * for speed (docs/engines.md).  Three paths compute the reduced value of
 * every output; one epilogue finishes it (mean, combine with B, post) and
 * stores it:
 *
 *   gemm     convolution-like descriptors (main mul, reduce sum or
 *            mean-all, X independent of k): per group (and per batch
 *            element when the weights depend on it) the taps are packed
 *            into a matrix (im2col, pre applied, padding as pre(pad)) or
 *            read in place when X already is one, and OpenBLAS multiplies
 *            the weights by it (cblas_sgemm, cblas_sgemv for one column;
 *            OpenBLAS is loaded on first use, blas.c, and without it
 *            these descriptors take the row path);
 *   row      everything else, one output row (n, g, k, p) at a time in
 *            chunks of q: for each tap (c, r, s) the chunk's inputs are
 *            folded into an accumulator row, with fused loops for the
 *            steps real networks use (multiply-add, pooling, copies);
 *   generic  the row path with every operator applied step by step
 *            (gather, pre, main, reduce), for any descriptor.
 *
 * Reads happen before writes: outputs go straight to O only when O is
 * provably injective and every input that overlaps it is read at exactly
 * the position being written (in-place element-wise operations); else they
 * go to a dense temporary that is copied to O in the golden engine's order.
 * Every access is one the loop nest itself makes, so nothing outside the
 * operands' declared extents is read or written.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <gconv/engine.h>

#include "blas.h"
#include "engine_impl.h"
#include "pool.h"

/* Outputs per row chunk: accumulator and scratch rows stay in L1. */
#define CHUNK 1024

/* A loop's work below which the pool's wake-up costs more than it gives. */
#define POOL_MIN_WORK (1u << 16)

struct gconv_fast_tuning gconv_fast_tune = {
	/* the gemm path packs at most this many floats of im2col at a time */
	.pack_floats = 1u << 19,
	/* fewer output channels per group than this run on the row path */
	.gemm_min_k = 8,
};

#define NSLOT GCONV_SLOT_N
#define GSLOT GCONV_SLOT_G
#define KSLOT GCONV_SLOT_K
#define CSLOT GCONV_SLOT_C
#define RSLOT GCONV_SLOT_ROW
#define SSLOT GCONV_SLOT_COL

struct fctx {
	const struct gconv_desc *d;
	const float *x, *y, *b;
	/* where outputs (n, g, k, p, q) go: O itself or a dense temporary */
	float *o;
	uint64_t os[5];
	float pad;  /* pad_value */
	float padt; /* pre(pad_value) */
	float pre_a, pre_b;
	float post_a, post_b, post_c;
	int64_t hv_size, wv_size; /* input extents after input dilation */
	int fuse; /* FUSE_*: the row path's fused loops that apply */
	/* q_range() of every kernel column for whole rows (q0 0, len Q) */
	struct qrange *qr;
	const int *cancel; /* gconv_fast_run_desc_cancel(); may be NULL */
};

/* Whether to abandon the descriptor: checked once per output row (row
 * path) or column block (gemm path), so within microseconds. */
static int cancelled(const struct fctx *f)
{
	return f->cancel && __atomic_load_n(f->cancel, __ATOMIC_RELAXED);
}

/* The outputs of a chunk whose tap of one kernel column reads X. */
struct qrange {
	size_t lo, hi;	/* [lo, hi) relative to the chunk's first output */
	uint64_t start; /* X row offset of output lo's tap */
};

enum {
	FUSE_NONE, /* step by step: gather, pre, main, reduce */
	FUSE_MADD, /* pre identity, main mul, reduce sum: acc += w x */
	FUSE_TAKE, /* pre identity, main take-x: acc = reduce(acc, x) */
};

/* ---- scalar operators, fp32 ---------------------------------------------- */

/* max/min that propagate NaN (the ISA's rule), written so that loops over
 * them vectorise: a NaN first operand is returned by the first test, a NaN
 * second one by the failed comparison. */
static inline float fmax_nan(float a, float b)
{
	return (a > b || a != a) ? a : b;
}

static inline float fmin_nan(float a, float b)
{
	return (a < b || a != a) ? a : b;
}

static float pre_one(const struct fctx *f, float x)
{
	switch (f->d->pre) {
	case GCONV_PRE_NEG:
		return -x;
	case GCONV_PRE_ABS:
		return fabsf(x);
	case GCONV_PRE_SQUARE:
		return x * x;
	case GCONV_PRE_EXP:
		return expf(x);
	case GCONV_PRE_LOG:
		return logf(x);
	case GCONV_PRE_SQRT:
		return sqrtf(x);
	case GCONV_PRE_RECIP:
		return 1.0f / x;
	case GCONV_PRE_AFFINE:
		return f->pre_a * x + f->pre_b;
	default:
		return x;
	}
}

static float main_one(const struct gconv_desc *d, float x, float y)
{
	switch (d->main) {
	case GCONV_MAIN_MUL:
		return x * y;
	case GCONV_MAIN_ADD:
		return x + y;
	case GCONV_MAIN_SUB:
		return x - y;
	case GCONV_MAIN_DIV:
		return x / y;
	case GCONV_MAIN_MAX:
		return fmax_nan(x, y);
	case GCONV_MAIN_MIN:
		return fmin_nan(x, y);
	case GCONV_MAIN_TAKE_X:
		return x;
	case GCONV_MAIN_TAKE_Y:
		return y;
	case GCONV_MAIN_SQDIFF:
		return (x - y) * (x - y);
	case GCONV_MAIN_PRELU:
		return x >= 0 ? x : x * y;
	default: /* GCONV_MAIN_POW */
		return powf(x, y);
	}
}

static int reduce_is_sum(const struct gconv_desc *d)
{
	return d->reduce != GCONV_REDUCE_MAX && d->reduce != GCONV_REDUCE_MIN;
}

static float reduce_identity(const struct gconv_desc *d)
{
	switch (d->reduce) {
	case GCONV_REDUCE_MAX:
		return -INFINITY;
	case GCONV_REDUCE_MIN:
		return INFINITY;
	default:
		return 0.0f;
	}
}

/* ---- operators over rows ---------------------------------------------------
 */

static void pre_row(const struct fctx *f, float *restrict v, size_t len)
{
	float a = f->pre_a, b = f->pre_b;
	size_t i;

	switch (f->d->pre) {
	case GCONV_PRE_IDENTITY:
		break;
	case GCONV_PRE_NEG:
		for (i = 0; i < len; i++)
			v[i] = -v[i];
		break;
	case GCONV_PRE_ABS:
		for (i = 0; i < len; i++)
			v[i] = fabsf(v[i]);
		break;
	case GCONV_PRE_SQUARE:
		for (i = 0; i < len; i++)
			v[i] = v[i] * v[i];
		break;
	case GCONV_PRE_EXP:
		for (i = 0; i < len; i++)
			v[i] = expf(v[i]);
		break;
	case GCONV_PRE_LOG:
		for (i = 0; i < len; i++)
			v[i] = logf(v[i]);
		break;
	case GCONV_PRE_SQRT:
		for (i = 0; i < len; i++)
			v[i] = sqrtf(v[i]);
		break;
	case GCONV_PRE_RECIP:
		for (i = 0; i < len; i++)
			v[i] = 1.0f / v[i];
		break;
	case GCONV_PRE_AFFINE:
		for (i = 0; i < len; i++)
			v[i] = a * v[i] + b;
		break;
	}
}

/* v[i] = main(v[i], w) */
static void main_row(const struct gconv_desc *d, float *restrict v, size_t len,
		     float w)
{
	size_t i;

	switch (d->main) {
	case GCONV_MAIN_MUL:
		for (i = 0; i < len; i++)
			v[i] = v[i] * w;
		break;
	case GCONV_MAIN_ADD:
		for (i = 0; i < len; i++)
			v[i] = v[i] + w;
		break;
	case GCONV_MAIN_SUB:
		for (i = 0; i < len; i++)
			v[i] = v[i] - w;
		break;
	case GCONV_MAIN_DIV:
		for (i = 0; i < len; i++)
			v[i] = v[i] / w;
		break;
	case GCONV_MAIN_MAX:
		for (i = 0; i < len; i++)
			v[i] = fmax_nan(v[i], w);
		break;
	case GCONV_MAIN_MIN:
		for (i = 0; i < len; i++)
			v[i] = fmin_nan(v[i], w);
		break;
	case GCONV_MAIN_TAKE_X:
		break;
	case GCONV_MAIN_TAKE_Y:
		for (i = 0; i < len; i++)
			v[i] = w;
		break;
	case GCONV_MAIN_SQDIFF:
		for (i = 0; i < len; i++) {
			float t = v[i] - w;

			v[i] = t * t;
		}
		break;
	case GCONV_MAIN_PRELU:
		for (i = 0; i < len; i++)
			v[i] = v[i] >= 0 ? v[i] : v[i] * w;
		break;
	case GCONV_MAIN_POW:
		for (i = 0; i < len; i++)
			v[i] = powf(v[i], w);
		break;
	}
}

/* acc[i] = reduce(acc[i], v[i * step]) */
static void reduce_row(const struct gconv_desc *d, float *restrict acc,
		       const float *restrict v, size_t len, uint64_t step)
{
	size_t i;

	if (step == 1) {
		switch (d->reduce) {
		case GCONV_REDUCE_MAX:
			for (i = 0; i < len; i++)
				acc[i] = fmax_nan(acc[i], v[i]);
			break;
		case GCONV_REDUCE_MIN:
			for (i = 0; i < len; i++)
				acc[i] = fmin_nan(acc[i], v[i]);
			break;
		default:
			for (i = 0; i < len; i++)
				acc[i] += v[i];
			break;
		}
		return;
	}
	switch (d->reduce) {
	case GCONV_REDUCE_MAX:
		for (i = 0; i < len; i++)
			acc[i] = fmax_nan(acc[i], v[i * step]);
		break;
	case GCONV_REDUCE_MIN:
		for (i = 0; i < len; i++)
			acc[i] = fmin_nan(acc[i], v[i * step]);
		break;
	default:
		for (i = 0; i < len; i++)
			acc[i] += v[i * step];
		break;
	}
}

/* acc[i] = reduce(acc[i], t) */
static void reduce_const(const struct gconv_desc *d, float *restrict acc,
			 size_t len, float t)
{
	size_t i;

	switch (d->reduce) {
	case GCONV_REDUCE_MAX:
		for (i = 0; i < len; i++)
			acc[i] = fmax_nan(acc[i], t);
		break;
	case GCONV_REDUCE_MIN:
		for (i = 0; i < len; i++)
			acc[i] = fmin_nan(acc[i], t);
		break;
	default:
		/* adding an exact zero changes nothing (NaN != 0 is true) */
		if (t != 0.0f)
			for (i = 0; i < len; i++)
				acc[i] += t;
		break;
	}
}

/* acc[i] += w * v[i * step] */
static void madd_row(float *restrict acc, const float *restrict v, size_t len,
		     uint64_t step, float w)
{
	size_t i;

	if (step == 1)
		for (i = 0; i < len; i++)
			acc[i] += w * v[i];
	else
		for (i = 0; i < len; i++)
			acc[i] += w * v[i * step];
}

static void combine_row(const struct gconv_desc *d, float *restrict v,
			const float *restrict b, size_t len)
{
	size_t i;

	switch (d->combine) {
	case GCONV_COMBINE_NONE:
		break;
	case GCONV_COMBINE_ADD:
		for (i = 0; i < len; i++)
			v[i] = v[i] + b[i];
		break;
	case GCONV_COMBINE_SUB:
		for (i = 0; i < len; i++)
			v[i] = v[i] - b[i];
		break;
	case GCONV_COMBINE_MUL:
		for (i = 0; i < len; i++)
			v[i] = v[i] * b[i];
		break;
	case GCONV_COMBINE_DIV:
		for (i = 0; i < len; i++)
			v[i] = v[i] / b[i];
		break;
	case GCONV_COMBINE_MAX:
		for (i = 0; i < len; i++)
			v[i] = fmax_nan(v[i], b[i]);
		break;
	case GCONV_COMBINE_MIN:
		for (i = 0; i < len; i++)
			v[i] = fmin_nan(v[i], b[i]);
		break;
	}
}

static void combine_const(const struct gconv_desc *d, float *restrict v,
			  float b, size_t len)
{
	size_t i;

	switch (d->combine) {
	case GCONV_COMBINE_NONE:
		break;
	case GCONV_COMBINE_ADD:
		for (i = 0; i < len; i++)
			v[i] = v[i] + b;
		break;
	case GCONV_COMBINE_SUB:
		for (i = 0; i < len; i++)
			v[i] = v[i] - b;
		break;
	case GCONV_COMBINE_MUL:
		for (i = 0; i < len; i++)
			v[i] = v[i] * b;
		break;
	case GCONV_COMBINE_DIV:
		for (i = 0; i < len; i++)
			v[i] = v[i] / b;
		break;
	case GCONV_COMBINE_MAX:
		for (i = 0; i < len; i++)
			v[i] = fmax_nan(v[i], b);
		break;
	case GCONV_COMBINE_MIN:
		for (i = 0; i < len; i++)
			v[i] = fmin_nan(v[i], b);
		break;
	}
}

static float softplusf(float v)
{
	/* log1p(e^v) without overflow for large v, as the golden engine */
	return v > 0 ? v + log1pf(expf(-v)) : log1pf(expf(v));
}

static float sigmoidf(float v)
{
	/* e^-v overflows fp32 long before 1 / (1 + e^-v) underflows */
	float e = expf(-fabsf(v));

	return v >= 0 ? 1.0f / (1.0f + e) : e / (1.0f + e);
}

static void post_row(const struct fctx *f, float *restrict v, size_t len)
{
	float a = f->post_a, b = f->post_b, c = f->post_c;
	size_t i;

	switch (f->d->post) {
	case GCONV_POST_IDENTITY:
		break;
	case GCONV_POST_RELU:
		for (i = 0; i < len; i++)
			v[i] = fmax_nan(v[i], 0.0f);
		break;
	case GCONV_POST_CLIP:
		for (i = 0; i < len; i++)
			v[i] = fmin_nan(fmax_nan(v[i], a), b);
		break;
	case GCONV_POST_LEAKY:
		for (i = 0; i < len; i++)
			v[i] = v[i] >= 0 ? v[i] : a * v[i];
		break;
	case GCONV_POST_SIGMOID:
		for (i = 0; i < len; i++)
			v[i] = sigmoidf(v[i]);
		break;
	case GCONV_POST_TANH:
		for (i = 0; i < len; i++)
			v[i] = tanhf(v[i]);
		break;
	case GCONV_POST_EXP:
		for (i = 0; i < len; i++)
			v[i] = expf(v[i]);
		break;
	case GCONV_POST_LOG:
		for (i = 0; i < len; i++)
			v[i] = logf(v[i]);
		break;
	case GCONV_POST_SQRT:
		for (i = 0; i < len; i++)
			v[i] = sqrtf(v[i]);
		break;
	case GCONV_POST_RSQRT:
		for (i = 0; i < len; i++)
			v[i] = 1.0f / sqrtf(v[i]);
		break;
	case GCONV_POST_RECIP:
		for (i = 0; i < len; i++)
			v[i] = 1.0f / v[i];
		break;
	case GCONV_POST_POW:
		for (i = 0; i < len; i++)
			v[i] = powf(v[i], a);
		break;
	case GCONV_POST_HARD_SIGMOID:
		for (i = 0; i < len; i++)
			v[i] = fmax_nan(0.0f, fmin_nan(1.0f, a * v[i] + b));
		break;
	case GCONV_POST_HARD_SWISH:
		for (i = 0; i < len; i++)
			v[i] = v[i] *
			       fmax_nan(0.0f,
					fmin_nan(1.0f, v[i] / 6.0f + 0.5f));
		break;
	case GCONV_POST_ELU:
		for (i = 0; i < len; i++)
			v[i] = v[i] >= 0 ? v[i] : a * (expf(v[i]) - 1.0f);
		break;
	case GCONV_POST_SELU:
		for (i = 0; i < len; i++)
			v[i] = b * (v[i] >= 0 ? v[i] : a * (expf(v[i]) - 1.0f));
		break;
	case GCONV_POST_SOFTPLUS:
		for (i = 0; i < len; i++)
			v[i] = softplusf(v[i]);
		break;
	case GCONV_POST_AFFINE:
		for (i = 0; i < len; i++)
			v[i] = a * v[i] + b;
		break;
	case GCONV_POST_AFFINE_POW:
		for (i = 0; i < len; i++)
			v[i] = powf(a * v[i] + b, c);
		break;
	case GCONV_POST_ABS:
		for (i = 0; i < len; i++)
			v[i] = fabsf(v[i]);
		break;
	case GCONV_POST_NEG:
		for (i = 0; i < len; i++)
			v[i] = -v[i];
		break;
	}
}

/* ---- the output view ---------------------------------------------------- */

static float *out_at(const struct fctx *f, uint64_t n, uint64_t g, uint64_t k,
		     uint64_t p, uint64_t q)
{
	return f->o + n * f->os[0] + g * f->os[1] + k * f->os[2] +
	       p * f->os[3] + q * f->os[4];
}

/* The value ACCUMULATE starts from, for outputs q0.. of a row. */
static void load_init(const struct fctx *f, float *restrict acc, uint64_t n,
		      uint64_t g, uint64_t k, uint64_t p, uint64_t q0,
		      size_t len)
{
	const float *src = out_at(f, n, g, k, p, q0);
	uint64_t st = f->os[4];
	size_t i;

	if (st == 1)
		memcpy(acc, src, len * sizeof(*acc));
	else
		for (i = 0; i < len; i++)
			acc[i] = src[i * st];
}

/* ---- taps ------------------------------------------------------------------
 */

static uint64_t ceil_div(uint64_t a, uint64_t b)
{
	return a / b + (a % b != 0);
}

/* Does input-dilated row hv read X, and is it inside the padded input? */
static int h_inside(const struct fctx *f, int64_t hv)
{
	return hv >= 0 && hv < f->hv_size && hv % f->d->in_dilation_h == 0;
}

static int h_padded(const struct fctx *f, int64_t hv)
{
	return hv >= -(int64_t)f->d->pad_top &&
	       hv < f->hv_size + (int64_t)f->d->pad_bottom;
}

static int w_inside(const struct fctx *f, int64_t wv)
{
	return wv >= 0 && wv < f->wv_size && wv % f->d->in_dilation_w == 0;
}

static int w_padded(const struct fctx *f, int64_t wv)
{
	return wv >= -(int64_t)f->d->pad_left &&
	       wv < f->wv_size + (int64_t)f->d->pad_right;
}

static int64_t row_hv(const struct gconv_desc *d, uint64_t p, uint64_t r)
{
	return (int64_t)(p * d->stride_h + r * d->dilation_h) -
	       (int64_t)d->pad_top;
}

/* X's row (n, g, k, c, hv) at column 0, or NULL if that row reads no X. */
static const float *x_row(const struct fctx *f, uint64_t n, uint64_t g,
			  uint64_t k, uint64_t c, int64_t hv)
{
	const struct gconv_desc *d = f->d;
	const uint64_t *st = d->x.stride;

	if (!f->x || !h_inside(f, hv))
		return NULL;
	return f->x + n * st[NSLOT] + g * st[GSLOT] + k * st[KSLOT] +
	       c * st[CSLOT] + (uint64_t)hv / d->in_dilation_h * st[RSLOT];
}

/*
 * For kernel column s and outputs q0..q0+len (in_dilation_w 1): the
 * outputs [*lo, *hi) (relative to q0) whose tap reads X; the others read
 * padding.  Returns the element offset in the X row of output q0 + *lo.
 */
static uint64_t q_range(const struct fctx *f, uint64_t s, uint64_t q0,
			size_t len, size_t *lo, size_t *hi)
{
	const struct gconv_desc *d = f->d;
	int64_t off = (int64_t)(s * d->dilation_w) - (int64_t)d->pad_left;
	uint64_t sw = d->stride_w, a, b;

	if (f->qr && q0 == 0 && len == d->q) {
		*lo = f->qr[s].lo;
		*hi = f->qr[s].hi;
		return f->qr[s].start;
	}
	/* wv = q * sw + off; 0 <= wv < wv_size */
	a = off >= 0 ? 0 : ceil_div((uint64_t)-off, sw);
	b = f->wv_size - off <= 0 ? 0
				  : ceil_div((uint64_t)(f->wv_size - off), sw);
	a = a < q0 ? q0 : a > q0 + len ? q0 + len : a;
	b = b < a ? a : b > q0 + len ? q0 + len : b;
	*lo = a - q0;
	*hi = b - q0;
	if (a == b)
		return 0;
	return (uint64_t)((int64_t)(a * sw) + off) * d->x.stride[SSLOT];
}

/*
 * The raw values (pad_value where no X is read) that kernel column s
 * reads for outputs q0..q0+len of a row whose X row is @xrow (NULL: the
 * whole row is padding or holes).
 */
static void gather(const struct fctx *f, const float *xrow, uint64_t s,
		   uint64_t q0, size_t len, float *restrict dst)
{
	const struct gconv_desc *d = f->d;
	uint64_t xc = d->x.stride[SSLOT], step = d->stride_w * xc;
	size_t i, lo, hi;
	uint64_t start;

	if (!xrow) {
		for (i = 0; i < len; i++)
			dst[i] = f->pad;
		return;
	}
	if (d->in_dilation_w != 1) {
		int64_t off =
			(int64_t)(s * d->dilation_w) - (int64_t)d->pad_left;

		for (i = 0; i < len; i++) {
			int64_t wv = (int64_t)((q0 + i) * d->stride_w) + off;

			dst[i] = w_inside(f, wv) ? xrow[(uint64_t)wv /
							d->in_dilation_w * xc]
						 : f->pad;
		}
		return;
	}
	start = q_range(f, s, q0, len, &lo, &hi);
	for (i = 0; i < lo; i++)
		dst[i] = f->pad;
	if (hi == lo) {
		/* no tap of the chunk reads X */
	} else if (step == 1) {
		memcpy(dst + lo, xrow + start, (hi - lo) * sizeof(*dst));
	} else {
		const float *src = xrow + start;

		for (i = lo; i < hi; i++)
			dst[i] = src[(i - lo) * step];
	}
	for (i = hi; i < len; i++)
		dst[i] = f->pad;
}

/* Taps counted by MEAN_VALID / MEAN_PADDED along one kernel axis. */
static uint64_t count_h(const struct fctx *f, uint64_t p, int padded)
{
	uint64_t r, cnt = 0;

	for (r = 0; r < f->d->r; r++) {
		int64_t hv = row_hv(f->d, p, r);

		cnt += padded ? h_padded(f, hv) : h_inside(f, hv);
	}
	return cnt;
}

static uint64_t count_w(const struct fctx *f, uint64_t q, int padded)
{
	const struct gconv_desc *d = f->d;
	uint64_t s, cnt = 0;

	for (s = 0; s < d->s; s++) {
		int64_t wv = (int64_t)(q * d->stride_w + s * d->dilation_w) -
			     (int64_t)d->pad_left;

		cnt += padded ? w_padded(f, wv) : w_inside(f, wv);
	}
	return cnt;
}

/* finish(): the mean reductions divide by their tap counts. */
static void finish_row(const struct fctx *f, float *restrict acc, uint64_t p,
		       uint64_t q0, size_t len)
{
	const struct gconv_desc *d = f->d;
	uint64_t ch;
	size_t i;
	int padded;

	switch (d->reduce) {
	case GCONV_REDUCE_MEAN_ALL: {
		float div = (float)((double)d->c * d->r * d->s);

		for (i = 0; i < len; i++)
			acc[i] = acc[i] / div;
		return;
	}
	case GCONV_REDUCE_MEAN_VALID:
	case GCONV_REDUCE_MEAN_PADDED:
		padded = d->reduce == GCONV_REDUCE_MEAN_PADDED;
		ch = d->c * count_h(f, p, padded);
		for (i = 0; i < len; i++) {
			uint64_t cnt = ch * count_w(f, q0 + i, padded);

			acc[i] = cnt ? acc[i] / (float)cnt : 0.0f;
		}
		return;
	default:
		return;
	}
}

/*
 * The epilogue of outputs q0..q0+len of row (n, g, k, p), whose finished
 * reduced values are in @acc (clobbered): combine with B, post, store.
 * @scratch holds CHUNK floats.
 */
static void epilogue(const struct fctx *f, float *restrict acc,
		     float *restrict scratch, uint64_t n, uint64_t g,
		     uint64_t k, uint64_t p, uint64_t q0, size_t len)
{
	const struct gconv_desc *d = f->d;
	uint64_t st;
	float *dst;
	size_t i;

	if (f->b) {
		const uint64_t *bs = d->b.stride;
		const float *src = f->b + n * bs[NSLOT] + g * bs[GSLOT] +
				   k * bs[KSLOT] + p * bs[RSLOT] +
				   q0 * bs[SSLOT];

		st = bs[SSLOT];
		/* (merged rows have B's row stride Q times st: 0 here too) */
		if (st == 0) {
			combine_const(d, acc, *src, len);
		} else {
			if (st != 1) {
				for (i = 0; i < len; i++)
					scratch[i] = src[i * st];
				src = scratch;
			}
			combine_row(d, acc, src, len);
		}
	}
	post_row(f, acc, len);
	dst = out_at(f, n, g, k, p, q0);
	st = f->os[4];
	if (st == 1)
		memcpy(dst, acc, len * sizeof(*dst));
	else
		for (i = 0; i < len; i++)
			dst[i * st] = acc[i];
}

/* ---- the row paths ----------------------------------------------------------
 */

/*
 * All S kernel columns of one (c, r) at once, for outputs whose every tap
 * reads X: acc[i] += sum over s of w[s] * x[i * step + s * tstep] (or the
 * reduction of the x for FUSE_TAKE).  S is a constant in each inlined
 * copy, so the s loop unrolls and the i loop vectorises.
 */
static inline __attribute__((always_inline)) void
taps_fixed(const struct gconv_desc *d, int fuse, float *restrict acc,
	   const float *restrict x, size_t len, uint64_t step, uint64_t tstep,
	   const float *restrict w, const unsigned int S)
{
	size_t i;
	unsigned int s;

	if (fuse == FUSE_MADD) {
		for (i = 0; i < len; i++) {
			float t = acc[i];

#pragma GCC unroll 8
			for (s = 0; s < S; s++)
				t += w[s] * x[i * step + s * tstep];
			acc[i] = t;
		}
		return;
	}
	switch (d->reduce) {
	case GCONV_REDUCE_MAX:
		for (i = 0; i < len; i++) {
			float t = acc[i];

#pragma GCC unroll 8
			for (s = 0; s < S; s++)
				t = fmax_nan(t, x[i * step + s * tstep]);
			acc[i] = t;
		}
		break;
	case GCONV_REDUCE_MIN:
		for (i = 0; i < len; i++) {
			float t = acc[i];

#pragma GCC unroll 8
			for (s = 0; s < S; s++)
				t = fmin_nan(t, x[i * step + s * tstep]);
			acc[i] = t;
		}
		break;
	default:
		for (i = 0; i < len; i++) {
			float t = acc[i];

#pragma GCC unroll 8
			for (s = 0; s < S; s++)
				t += x[i * step + s * tstep];
			acc[i] = t;
		}
		break;
	}
}

/* taps_fixed() with S, step and tstep made constants where it pays */
#define TAPS_S(S)                                                            \
	case S:                                                              \
		if (step == 1 && tstep == 1)                                 \
			taps_fixed(d, fuse, acc, x, len, 1, 1, w, S);        \
		else if (step == 2 && tstep == 1)                            \
			taps_fixed(d, fuse, acc, x, len, 2, 1, w, S);        \
		else                                                         \
			taps_fixed(d, fuse, acc, x, len, step, tstep, w, S); \
		break

/* All S (2..7) kernel columns of one (c, r); see taps_fixed(). */
static void taps_all(const struct gconv_desc *d, int fuse, float *restrict acc,
		     const float *restrict x, size_t len, uint64_t step,
		     uint64_t tstep, const float *restrict w)
{
	switch (d->s) {
		TAPS_S(2);
		TAPS_S(3);
		TAPS_S(4);
		TAPS_S(5);
		TAPS_S(6);
		TAPS_S(7);
	}
}

/* Fold kernel column s of one (c, r) into the accumulator row. */
static void row_tap(const struct fctx *f, float *restrict acc,
		    float *restrict xs, const float *xrow, uint64_t s, float w,
		    uint64_t q0, size_t len)
{
	const struct gconv_desc *d = f->d;

	if (d->main == GCONV_MAIN_TAKE_Y) { /* X is not read: every tap is w */
		reduce_const(d, acc, len, w);
		return;
	}
	if (!xrow) { /* the whole row reads padding or holes */
		reduce_const(d, acc, len, main_one(d, f->padt, w));
		return;
	}
	if (f->fuse != FUSE_NONE) {
		uint64_t step = d->stride_w * d->x.stride[SSLOT];
		size_t lo, hi;
		uint64_t start = q_range(f, s, q0, len, &lo, &hi);
		float t = main_one(d, f->padt, w);

		reduce_const(d, acc, lo, t);
		reduce_const(d, acc + hi, len - hi, t);
		if (f->fuse == FUSE_MADD)
			madd_row(acc + lo, xrow + start, hi - lo, step, w);
		else
			reduce_row(d, acc + lo, xrow + start, hi - lo, step);
		return;
	}
	gather(f, xrow, s, q0, len, xs);
	pre_row(f, xs, len);
	main_row(d, xs, len, w);
	reduce_row(d, acc, xs, len, 1);
}

/* sum of v[i * step], i < len, in eight independent partial sums */
static float sum_seg(const float *v, size_t len, uint64_t step)
{
	float part[8] = { 0 }, sum = 0;
	size_t i, j;

	for (i = 0; i + 8 <= len; i += 8)
		for (j = 0; j < 8; j++)
			part[j] += v[(i + j) * step];
	for (; i < len; i++)
		part[0] += v[i * step];
	for (j = 0; j < 8; j++)
		sum += part[j];
	return sum;
}

/* sum of a[i * as] * b[i * bs], i < len */
static float dot_seg(const float *a, uint64_t as, const float *b, uint64_t bs,
		     size_t len)
{
	float part[8] = { 0 }, sum = 0;
	size_t i, j;

	for (i = 0; i + 8 <= len; i += 8)
		for (j = 0; j < 8; j++)
			part[j] += a[(i + j) * as] * b[(i + j) * bs];
	for (; i < len; i++)
		part[0] += a[i * as] * b[i * bs];
	for (j = 0; j < 8; j++)
		sum += part[j];
	return sum;
}

/* reduce(acc, v[i * step]) over i < len */
static float reduce_seg(const struct gconv_desc *d, float acc, const float *v,
			size_t len, uint64_t step)
{
	size_t i;

	switch (d->reduce) {
	case GCONV_REDUCE_MAX:
		for (i = 0; i < len; i++)
			acc = fmax_nan(acc, v[i * step]);
		return acc;
	case GCONV_REDUCE_MIN:
		for (i = 0; i < len; i++)
			acc = fmin_nan(acc, v[i * step]);
		return acc;
	default:
		return acc + sum_seg(v, len, step);
	}
}

static float reduce_one(const struct gconv_desc *d, float acc, float v)
{
	switch (d->reduce) {
	case GCONV_REDUCE_MAX:
		return fmax_nan(acc, v);
	case GCONV_REDUCE_MIN:
		return fmin_nan(acc, v);
	default:
		return acc + v;
	}
}

/*
 * The fused steps for rows shorter than the kernel is wide (global
 * pooling, fully connected layers on the row path): each output folds its
 * window one kernel row at a time, along s.
 */
static void window_chunk(const struct fctx *f, float *restrict acc, uint64_t n,
			 uint64_t g, uint64_t k, uint64_t p, uint64_t q0,
			 size_t len)
{
	const struct gconv_desc *d = f->d;
	const uint64_t *ys = d->y.stride;
	uint64_t xstep = d->dilation_w * d->x.stride[SSLOT], c, r, s;
	size_t i;

	for (i = 0; i < len; i++) {
		int64_t off = (int64_t)((q0 + i) * d->stride_w) -
			      (int64_t)d->pad_left;
		uint64_t dw = d->dilation_w, slo, shi;
		float a = acc[i];

		/* taps s with 0 <= off + s * dw < wv_size read X */
		slo = off >= 0 ? 0 : ceil_div((uint64_t)-off, dw);
		shi = f->wv_size - off <= 0
			      ? 0
			      : ceil_div((uint64_t)(f->wv_size - off), dw);
		shi = shi > d->s ? d->s : shi;
		slo = slo > shi ? shi : slo;
		for (c = 0; c < d->c; c++) {
			for (r = 0; r < d->r; r++) {
				const float *xrow =
					x_row(f, n, g, k, c, row_hv(d, p, r));
				const float *yrow = NULL;
				uint64_t a0 = xrow ? slo : d->s;
				uint64_t a1 = xrow ? shi : d->s;

				if (f->fuse == FUSE_MADD)
					yrow = f->y + n * ys[NSLOT] +
					       g * ys[GSLOT] + k * ys[KSLOT] +
					       c * ys[CSLOT] + r * ys[RSLOT];
				/* padding taps, then the ones that read X */
				for (s = 0; s < d->s; s++) {
					float t;

					if (s == a0 && a1 > a0)
						s = a1;
					if (s >= d->s)
						break;
					t = f->padt;
					if (yrow)
						t *= yrow[s * ys[SSLOT]];
					if (f->fuse == FUSE_TAKE || t != 0.0f)
						a = reduce_one(d, a, t);
				}
				if (a1 > a0 && yrow)
					a += dot_seg(
						xrow + (uint64_t)(off +
								  (int64_t)(a0 *
									    dw)) *
								d->x.stride
									[SSLOT],
						xstep, yrow + a0 * ys[SSLOT],
						ys[SSLOT], a1 - a0);
				else if (a1 > a0)
					a = reduce_seg(
						d, a,
						xrow + (uint64_t)(off +
								  (int64_t)(a0 *
									    dw)) *
								d->x.stride
									[SSLOT],
						a1 - a0, xstep);
			}
		}
		acc[i] = a;
	}
}

/* Kernels at most this wide take fused_taps(). */
#define MAXS 64

/*
 * Tap s (inside X for outputs [rg->lo, rg->hi) of the chunk) applied to
 * the chunk's outputs [from, to), the fused way.
 */
static void fused_tap(const struct fctx *f, float *restrict acc,
		      const float *xrow, const struct qrange *rg, float w,
		      size_t from, size_t to)
{
	const struct gconv_desc *d = f->d;
	uint64_t step = d->stride_w * d->x.stride[SSLOT];
	size_t a = rg->lo > from ? rg->lo : from, b = rg->hi < to ? rg->hi : to;
	float t = f->fuse == FUSE_MADD ? f->padt * w : f->padt;

	if (!xrow || b < a)
		a = b = to;
	reduce_const(d, acc + from, a - from, t);
	reduce_const(d, acc + b, to - b, t);
	if (b == a)
		return;
	if (f->fuse == FUSE_MADD)
		madd_row(acc + a, xrow + rg->start + (a - rg->lo) * step, b - a,
			 step, w);
	else
		reduce_row(d, acc + a, xrow + rg->start + (a - rg->lo) * step,
			   b - a, step);
}

/* Every kernel column of one (c, r) for output i of a chunk, fused. */
static inline void border_out(const struct fctx *f, float *restrict acc,
			      const float *xrow, const struct qrange *rg,
			      const float *w, size_t i)
{
	const struct gconv_desc *d = f->d;
	uint64_t step = d->stride_w * d->x.stride[SSLOT], s;
	float a = acc[i];

	for (s = 0; s < d->s; s++) {
		if (i >= rg[s].lo && i < rg[s].hi) {
			float v = xrow[rg[s].start + (i - rg[s].lo) * step];

			a = f->fuse == FUSE_MADD ? a + w[s] * v
						 : reduce_one(d, a, v);
		} else if (f->fuse == FUSE_MADD) {
			float t = f->padt * w[s];

			if (t != 0.0f)
				a += t;
		} else {
			a = reduce_one(d, a, f->padt);
		}
	}
	acc[i] = a;
}

/*
 * The fused loops of a chunk: per (c, r), the outputs whose taps all read
 * X get every kernel column in one pass (taps_all, S up to 7), the others
 * (the borders, or everything for wider kernels) one column at a time.
 */
static void fused_taps(const struct fctx *f, float *restrict acc, uint64_t n,
		       uint64_t g, uint64_t k, uint64_t p, uint64_t q0,
		       size_t len)
{
	const struct gconv_desc *d = f->d;
	const uint64_t *ys = d->y.stride;
	uint64_t step = d->stride_w * d->x.stride[SSLOT], c, r, s;
	struct qrange rg[MAXS];
	size_t ilo = 0, ihi = len;
	float w[MAXS];

	for (s = 0; s < d->s; s++) {
		rg[s].start = q_range(f, s, q0, len, &rg[s].lo, &rg[s].hi);
		ilo = rg[s].lo > ilo ? rg[s].lo : ilo;
		ihi = rg[s].hi < ihi ? rg[s].hi : ihi;
	}
	if (d->s < 2 || d->s > 7 || ihi <= ilo)
		ilo = ihi = len;
	for (c = 0; c < d->c; c++) {
		for (r = 0; r < d->r; r++) {
			const float *xrow =
				x_row(f, n, g, k, c, row_hv(d, p, r));

			for (s = 0; s < d->s; s++)
				w[s] = f->fuse == FUSE_MADD
					       ? f->y[n * ys[NSLOT] +
						      g * ys[GSLOT] +
						      k * ys[KSLOT] +
						      c * ys[CSLOT] +
						      r * ys[RSLOT] +
						      s * ys[SSLOT]]
					       : 0.0f;
			if (xrow && ihi > ilo) {
				size_t i;

				taps_all(d, f->fuse, acc + ilo,
					 xrow + rg[0].start +
						 (ilo - rg[0].lo) * step,
					 ihi - ilo, step,
					 d->dilation_w * d->x.stride[SSLOT], w);
				for (i = 0; i < ilo; i++)
					border_out(f, acc, xrow, rg, w, i);
				for (i = ihi; i < len; i++)
					border_out(f, acc, xrow, rg, w, i);
			} else {
				for (s = 0; s < d->s; s++)
					fused_tap(f, acc, xrow, &rg[s], w[s], 0,
						  len);
			}
		}
	}
}

/* Fold every tap of row (n, g, k, p) into acc, outputs q0..q0+len. */
static void row_taps(const struct fctx *f, float *restrict acc,
		     float *restrict xs, uint64_t n, uint64_t g, uint64_t k,
		     uint64_t p, uint64_t q0, size_t len)
{
	const struct gconv_desc *d = f->d;
	const uint64_t *ys = d->y.stride;
	uint64_t c, r, s;

	if (f->fuse != FUSE_NONE && len < d->s) {
		window_chunk(f, acc, n, g, k, p, q0, len);
		return;
	}
	if (f->fuse != FUSE_NONE && d->s <= MAXS) {
		fused_taps(f, acc, n, g, k, p, q0, len);
		return;
	}
	for (c = 0; c < d->c; c++) {
		for (r = 0; r < d->r; r++) {
			const float *xrow =
				x_row(f, n, g, k, c, row_hv(d, p, r));
			const float *yrow = NULL;

			if (f->y)
				yrow = f->y + n * ys[NSLOT] + g * ys[GSLOT] +
				       k * ys[KSLOT] + c * ys[CSLOT] +
				       r * ys[RSLOT];
			for (s = 0; s < d->s; s++)
				row_tap(f, acc, xs, xrow, s,
					yrow ? yrow[s * ys[SSLOT]] : 0.0f, q0,
					len);
		}
	}
}

/*
 * Outputs (p, q) and (p + 1, q) of O and B are Q elements apart, so a run
 * of whole rows is one run of outputs: short rows share one chunk.
 */
static int rows_merge(const struct fctx *f)
{
	const struct gconv_desc *d = f->d;

	return d->p > 1 && d->q <= CHUNK / 2 && f->os[3] == d->q * f->os[4] &&
	       (!f->b || d->b.stride[RSLOT] == d->q * d->b.stride[SSLOT]);
}

/*
 * Rows p..p+rows-1 (rows > 1: whole rows, q0 0) or outputs q0..q0+len of
 * row p: start values, taps, finish, epilogue.
 */
static void row_chunk(const struct fctx *f, float *restrict acc,
		      float *restrict xs, uint64_t n, uint64_t g, uint64_t k,
		      uint64_t p, uint64_t rows, uint64_t q0, size_t len)
{
	const struct gconv_desc *d = f->d;
	size_t i, all = rows * len;
	uint64_t j;

	if (d->flags & GCONV_DESC_F_ACCUMULATE) {
		load_init(f, acc, n, g, k, p, q0, all);
	} else {
		float id = reduce_identity(d);

		for (i = 0; i < all; i++)
			acc[i] = id;
	}
	for (j = 0; j < rows; j++) {
		row_taps(f, acc + j * len, xs, n, g, k, p + j, q0, len);
		finish_row(f, acc + j * len, p + j, q0, len);
	}
	epilogue(f, acc, xs, n, g, k, p, q0, all);
}

/*
 * Output planes (n, g, k) lo..hi-1, flattened n-major: every output row
 * of a plane, chunk by chunk.  Planes are independent, so the thread pool
 * runs ranges of them at once (run_rows()).
 */
static inline __attribute__((always_inline)) int
run_rows_impl(const struct fctx *f, uint64_t lo, uint64_t hi)
{
	const struct gconv_desc *d = f->d;
	float acc[CHUNK], xs[CHUNK];
	uint64_t plane, p, q0, rows = 1;

	if (rows_merge(f))
		rows = CHUNK / d->q;
	for (plane = lo; plane < hi; plane++) {
		uint64_t k = plane % d->k, g = plane / d->k % d->g;
		uint64_t n = plane / d->k / d->g;

		for (p = 0; p < d->p; p += rows) {
			if (cancelled(f))
				return -ECANCELED;
			for (q0 = 0; q0 < d->q; q0 += CHUNK) {
				size_t len =
					d->q - q0 < CHUNK ? d->q - q0 : CHUNK;

				row_chunk(f, acc, xs, n, g, k, p,
					  rows < d->p - p ? rows : d->p - p, q0,
					  len);
			}
		}
	}
	return 0;
}

/* ---- the gemm path --------------------------------------------------------
 */

/*
 * If the multi-index over ext[0..cnt) (outermost first) with element
 * strides st[] walks one arithmetic progression, its step (any value when
 * it has one element).
 */
static int flat_step(const uint64_t *ext, const uint64_t *st, int cnt,
		     uint64_t *step)
{
	uint64_t inner_ext = 1, inner_st = 1, want;
	int i, have = 0;

	for (i = cnt - 1; i >= 0; i--) {
		if (ext[i] == 1)
			continue;
		if (!have) {
			inner_st = st[i];
			inner_ext = ext[i];
			have = 1;
			continue;
		}
		if (__builtin_mul_overflow(inner_st, inner_ext, &want) ||
		    st[i] != want ||
		    __builtin_mul_overflow(inner_ext, ext[i], &inner_ext))
			return 0;
	}
	*step = inner_st;
	return 1;
}

/*
 * A rows x cols matrix whose element (i, j) is at base + i*rs + j*cs, as
 * BLAS sees it: row-major, transposed or not, with its leading dimension.
 * Returns 0 if BLAS cannot read it in place.
 */
struct mat {
	const float *base;
	enum CBLAS_TRANSPOSE trans;
	int ld;
};

static int blas_view(const float *base, uint64_t rows, uint64_t cols,
		     uint64_t rs, uint64_t cs, struct mat *m)
{
	m->base = base;
	if ((cols == 1 || cs == 1) && (rows == 1 || rs >= cols)) {
		uint64_t ld = rows == 1 ? cols : rs;

		if (ld > INT_MAX)
			return 0;
		m->trans = CblasNoTrans;
		m->ld = (int)ld;
		return 1;
	}
	if ((rows == 1 || rs == 1) && (cols == 1 || cs >= rows)) {
		uint64_t ld = cols == 1 ? rows : cs;

		if (ld > INT_MAX)
			return 0;
		m->trans = CblasTrans;
		m->ld = (int)ld;
		return 1;
	}
	return 0;
}

/* Output columns are j = (n, p, q) with n in [n0, n0 + nb). */
struct cols {
	uint64_t n0, nb;
};

/*
 * im2col: the taps of columns j0..j0+jb into @pack (C*R*S rows of jb),
 * padding as pad_value, then pre on everything.
 */
static inline __attribute__((always_inline)) void
pack_x(const struct fctx *f, const struct cols *cs, uint64_t g, uint64_t j0,
       uint64_t jb, float *restrict pack, uint64_t c_lo, uint64_t c_hi)
{
	const struct gconv_desc *d = f->d;
	uint64_t pq = (uint64_t)d->p * d->q, c, r, s;
	uint64_t rs = (uint64_t)d->r * d->s;

	for (c = c_lo; c < c_hi; c++) {
		for (r = 0; r < d->r; r++) {
			/* rows (c, r, s) of the pack, s < S */
			float *rows = pack + (c * d->r + r) * d->s * jb;
			uint64_t j = j0;

			while (j < j0 + jb) {
				uint64_t n = cs->n0 + j / pq;
				uint64_t p = j % pq / d->q;
				uint64_t q = j % d->q;
				uint64_t run = d->q - q;
				const float *xrow;

				if (run > j0 + jb - j)
					run = j0 + jb - j;
				xrow = x_row(f, n, g, 0, c, row_hv(d, p, r));
				for (s = 0; s < d->s; s++)
					gather(f, xrow, s, q, run,
					       rows + s * jb + (j - j0));
				j += run;
			}
		}
	}
	pre_row(f, pack + c_lo * rs * jb, (c_hi - c_lo) * rs * jb);
}

/*
 * The weights of group g (and batch element n) as a K x C*R*S matrix: in
 * place if BLAS can read them so, else packed into *@pack (allocated on
 * first use).  Returns 0 or -ENOMEM.
 */
static int weights(const struct fctx *f, uint64_t n, uint64_t g, float **pack,
		   struct mat *a)
{
	const struct gconv_desc *d = f->d;
	const uint64_t *ys = d->y.stride;
	const float *base = f->y + n * ys[NSLOT] + g * ys[GSLOT];
	uint64_t ext[3] = { d->c, d->r, d->s };
	uint64_t kd = (uint64_t)d->c * d->r * d->s, step, k, c, r, s;
	float *dst;

	if (flat_step(ext, ys + CSLOT, 3, &step) &&
	    blas_view(base, d->k, kd, ys[KSLOT], step, a))
		return 0;
	if (!*pack && !(*pack = malloc((uint64_t)d->k * kd * sizeof(float))))
		return -ENOMEM;
	dst = *pack;
	for (k = 0; k < d->k; k++)
		for (c = 0; c < d->c; c++)
			for (r = 0; r < d->r; r++)
				for (s = 0; s < d->s; s++)
					*dst++ = base[k * ys[KSLOT] +
						      c * ys[CSLOT] +
						      r * ys[RSLOT] +
						      s * ys[SSLOT]];
	a->base = *pack;
	a->trans = CblasNoTrans;
	a->ld = (int)kd;
	return 0;
}

/*
 * X read in place as the C*R*S x columns matrix, when every tap reads X
 * (no padding, no holes), pre is the identity and both the rows (c, r, s)
 * and the columns (n, p, q) walk single strides.
 */
static int x_in_place(const struct fctx *f, const struct cols *cs, uint64_t g,
		      struct mat *bm, uint64_t *col_step)
{
	const struct gconv_desc *d = f->d;
	const uint64_t *xs = d->x.stride;
	uint64_t rext[3] = { d->c, d->r, d->s };
	uint64_t rst[3] = { xs[CSLOT], d->dilation_h * xs[RSLOT],
			    d->dilation_w * xs[SSLOT] };
	uint64_t cext[3] = { cs->nb, d->p, d->q };
	uint64_t cst[3] = { xs[NSLOT], d->stride_h * xs[RSLOT],
			    d->stride_w * xs[SSLOT] };
	uint64_t kd = (uint64_t)d->c * d->r * d->s;
	uint64_t cols = cs->nb * d->p * d->q, rstep;

	if (d->pre != GCONV_PRE_IDENTITY || d->in_dilation_h != 1 ||
	    d->in_dilation_w != 1 || d->pad_top || d->pad_left ||
	    (uint64_t)(d->p - 1) * d->stride_h +
			    (uint64_t)(d->r - 1) * d->dilation_h >=
		    d->in_h ||
	    (uint64_t)(d->q - 1) * d->stride_w +
			    (uint64_t)(d->s - 1) * d->dilation_w >=
		    d->in_w)
		return 0;
	if (!flat_step(rext, rst, 3, &rstep) ||
	    !flat_step(cext, cst, 3, col_step))
		return 0;
	return blas_view(f->x + cs->n0 * xs[NSLOT] + g * xs[GSLOT], kd, cols,
			 rstep, *col_step, bm);
}

/* cbuf[k][j] = sum_c a[k][c] * b[c][j], one matrix-vector product per j */
static void gemv_cols(const struct gconv_blas *blas, const struct mat *a,
		      const struct mat *b, uint64_t k, uint64_t kd, uint64_t jb,
		      float *cbuf)
{
	int notrans = a->trans == CblasNoTrans;
	uint64_t j;

	for (j = 0; j < jb; j++)
		blas->sgemv(CblasRowMajor, a->trans, notrans ? (int)k : (int)kd,
			    notrans ? (int)kd : (int)k, 1.0f, a->base, a->ld,
			    b->trans == CblasNoTrans ? b->base + j
						     : b->base + j * b->ld,
			    b->trans == CblasNoTrans ? b->ld : 1, 0.0f,
			    cbuf + j, (int)jb);
}

/*
 * The gemm path's shapes.  Its buffers hold at least 8 columns of im2col
 * and of results, so C*R*S and K are bounded (by far more than any CNN
 * needs); larger reductions take the row path, which needs no memory.
 */
#define GEMM_MAX_DIM (1u << 22)

static int gemm_ok(const struct gconv_desc *d)
{
	uint64_t kd = (uint64_t)d->c * d->r * d->s;

	return gconv_blas_get() && d->main == GCONV_MAIN_MUL &&
	       (d->reduce == GCONV_REDUCE_SUM ||
		d->reduce == GCONV_REDUCE_MEAN_ALL) &&
	       (d->k == 1 || d->x.stride[KSLOT] == 0) && kd <= GEMM_MAX_DIM &&
	       d->k <= GEMM_MAX_DIM;
}

/* One block of the gemm path's columns, before or after its SGEMM. */
enum { PHASE_PACK, PHASE_EPILOGUE };

struct gemm_block {
	const struct fctx *f;
	const struct cols *cs;
	uint64_t g, j0, jb;
	float *pack; /* PHASE_PACK: im2col of the block */
	float *cbuf; /* PHASE_EPILOGUE: the product, K rows of jb */
	int merge;   /* rows_merge() */
	int phase;
	int isa; /* use_isa() */
	uint64_t parts;
};

/* The epilogue of rows k_lo..k_hi-1 of the product, one run of q at a
 * time: start value, finish, combine, post, store. */
static inline __attribute__((always_inline)) void
epilogue_rows(const struct gemm_block *b, uint64_t k_lo, uint64_t k_hi)
{
	const struct fctx *f = b->f;
	const struct gconv_desc *d = f->d;
	const struct cols *cs = b->cs;
	uint64_t pq = (uint64_t)d->p * d->q, g = b->g, j0 = b->j0, jb = b->jb;
	int merge = b->merge;
	float *cbuf = b->cbuf;
	float scratch[CHUNK];
	uint64_t k, j;

	for (k = k_lo; k < k_hi; k++) {
		float *acc = cbuf + k * jb;

		for (j = j0; j < j0 + jb;) {
			uint64_t n = cs->n0 + j / pq;
			uint64_t p = j % pq / d->q;
			uint64_t q = j % d->q;
			uint64_t run = d->q - q, i;
			float *v = acc + (j - j0);

			if (merge) /* to the plane's end
				    */
				run = pq - j % pq;
			if (run > j0 + jb - j)
				run = j0 + jb - j;
			if (run > CHUNK)
				run = CHUNK;
			if (d->flags & GCONV_DESC_F_ACCUMULATE) {
				load_init(f, scratch, n, g, k, p, q, run);
				for (i = 0; i < run; i++)
					v[i] += scratch[i];
			}
			finish_row(f, v, p, q, run);
			epilogue(f, v, scratch, n, g, k, p, q, run);
			j += run;
		}
	}
}

/* Part lo..hi of a block's phase: channels (pack) or rows of k. */
static inline __attribute__((always_inline)) void
block_range(const struct gemm_block *b, uint64_t lo, uint64_t hi)
{
	if (b->phase == PHASE_PACK)
		pack_x(b->f, b->cs, b->g, b->j0, b->jb, b->pack, lo, hi);
	else
		epilogue_rows(b, lo, hi);
}

static __attribute__((flatten)) void block_base(const struct gemm_block *b,
						uint64_t lo, uint64_t hi)
{
	block_range(b, lo, hi);
}

#if defined(__x86_64__)
#define TARGET_AVX2 __attribute__((target("avx2,fma"), flatten))

static TARGET_AVX2 void block_avx2(const struct gemm_block *b, uint64_t lo,
				   uint64_t hi)
{
	block_range(b, lo, hi);
}
#else
#define block_avx2 block_base
#endif

static uint64_t block_size(const struct gemm_block *b)
{
	return b->phase == PHASE_PACK ? b->f->d->c : b->f->d->k;
}

static void block_part(void *arg, uint64_t part)
{
	const struct gemm_block *b = arg;
	uint64_t n = block_size(b);
	uint64_t lo = n * part / b->parts, hi = n * (part + 1) / b->parts;

	if (b->isa == GCONV_FAST_ISA_AVX2)
		block_avx2(b, lo, hi);
	else
		block_base(b, lo, hi);
}

static int use_isa(void);

/* A block's phase, on the pool when it is big enough to be worth it. */
static void run_block(struct gemm_block *b)
{
	const struct gconv_desc *d = b->f->d;
	uint64_t n = block_size(b);
	uint64_t per = b->phase == PHASE_PACK ? (uint64_t)d->r * d->s : 1;

	b->isa = use_isa();
	b->parts = 1;
	if (n * per * b->jb >= POOL_MIN_WORK)
		b->parts = 4 * (uint64_t)gconv_pool_threads();
	if (b->parts > n)
		b->parts = n;
	if (b->parts <= 1)
		block_part(b, 0);
	else
		gconv_pool_run(block_part, b, b->parts);
}

static inline __attribute__((always_inline)) int
run_gemm_impl(const struct fctx *f)
{
	const struct gconv_desc *d = f->d;
	uint64_t kd = (uint64_t)d->c * d->r * d->s, pq = (uint64_t)d->p * d->q;
	/* weights that depend on n: one product per batch element */
	int per_n = d->n > 1 && d->y.stride[NSLOT] != 0;
	struct cols cs = { 0, per_n ? 1 : d->n };
	uint64_t cols = cs.nb * pq, jbmax, nsel, g, j0;
	int merge = rows_merge(f);
	float *pack = NULL, *wpack = NULL, *cbuf = NULL;
	const struct gconv_blas *blas = gconv_blas_get(); /* gemm_ok() */
	struct gemm_block blk = { .f = f };
	int ret = -ENOMEM;

	/* im2col blocks of pack_floats, results of at most 16 MiB */
	jbmax = gconv_fast_tune.pack_floats / kd;
	if (jbmax > (1u << 22) / d->k)
		jbmax = (1u << 22) / d->k;
	if (jbmax < 8)
		jbmax = 8;
	if (jbmax > cols)
		jbmax = cols;
	/*
	 * Every buffer is allocated before the first output is stored (the
	 * packs on first use, in the first block), so -ENOMEM leaves O as it
	 * was.
	 */
	cbuf = malloc((uint64_t)d->k * jbmax * sizeof(float));
	if (!cbuf)
		goto out;

	for (g = 0; g < d->g; g++) {
		for (nsel = 0; nsel < (per_n ? d->n : 1); nsel++) {
			struct mat a;

			cs.n0 = nsel;
			if (weights(f, nsel, g, &wpack, &a))
				goto out;
			for (j0 = 0; j0 < cols; j0 += jbmax) {
				uint64_t jb =
					cols - j0 < jbmax ? cols - j0 : jbmax;
				uint64_t col_step;
				struct mat bm;

				if (cancelled(f)) {
					ret = -ECANCELED;
					goto out;
				}
				/* this block's columns, for run_block() */
				blk.cs = &cs;
				blk.g = g;
				blk.j0 = j0;
				blk.jb = jb;
				if (x_in_place(f, &cs, g, &bm, &col_step)) {
					bm.base += j0 * col_step;
				} else {
					if (!pack &&
					    !(pack = malloc(kd * jbmax *
							    sizeof(float))))
						goto out;
					blk.pack = pack;
					blk.phase = PHASE_PACK;
					run_block(&blk);
					bm.base = pack;
					bm.trans = CblasNoTrans;
					bm.ld = (int)jb;
				}
				/*
				 * One column per batch element (fully
				 * connected): a product per column, so that
				 * a sample's result does not depend on the
				 * batch it is in; else one SGEMM (columns are
				 * independent in it).
				 */
				if (pq == 1)
					gemv_cols(blas, &a, &bm, d->k, kd, jb,
						  cbuf);
				else
					blas->sgemm(CblasRowMajor, a.trans,
						    bm.trans, (int)d->k,
						    (int)jb, (int)kd, 1.0f,
						    a.base, a.ld, bm.base,
						    bm.ld, 0.0f, cbuf, (int)jb);

				/* the epilogue, rows of k on the pool */
				blk.cbuf = cbuf;
				blk.merge = merge;
				blk.phase = PHASE_EPILOGUE;
				run_block(&blk);
			}
		}
	}
	ret = 0;
out:
	free(pack);
	free(wpack);
	free(cbuf);
	return ret;
}

/*
 * Every loop above compiled twice: for the x86-64 baseline (SSE2) and,
 * chosen at run time when the CPU has them, for AVX2 and FMA (twice the
 * vector width).  ISO C's -ffp-contract=off (-std=c11; QEMU's build passes
 * it) keeps a * b + c unfused, so both copies compute the same bits.
 * flatten inlines the helpers into each copy.  (A third copy for AVX-512
 * with 512-bit vectors gained nothing on the seven CNNs here: rows of 7 to
 * 56 outputs leave most of a 16-wide vector to remainder code.)
 */
static __attribute__((flatten)) int run_rows_base(const struct fctx *f,
						  uint64_t lo, uint64_t hi)
{
	return run_rows_impl(f, lo, hi);
}

static __attribute__((flatten)) int run_gemm_base(const struct fctx *f)
{
	return run_gemm_impl(f);
}

#if defined(__x86_64__)
static TARGET_AVX2 int run_rows_avx2(const struct fctx *f, uint64_t lo,
				     uint64_t hi)
{
	return run_rows_impl(f, lo, hi);
}

static TARGET_AVX2 int run_gemm_avx2(const struct fctx *f)
{
	return run_gemm_impl(f);
}

/* The copy to run: the best the CPU has, at most gconv_fast_tune.isa. */
static int use_isa(void)
{
	int cap =
		gconv_fast_tune.isa ? gconv_fast_tune.isa : GCONV_FAST_ISA_AVX2;

	if (cap >= GCONV_FAST_ISA_AVX2 && __builtin_cpu_supports("avx2") &&
	    __builtin_cpu_supports("fma"))
		return GCONV_FAST_ISA_AVX2;
	return GCONV_FAST_ISA_BASE;
}
#else
#define run_rows_avx2 run_rows_base
#define run_gemm_avx2 run_gemm_base
static int use_isa(void)
{
	return GCONV_FAST_ISA_BASE;
}
#endif

static int rows_isa(int isa, const struct fctx *f, uint64_t lo, uint64_t hi)
{
	if (isa == GCONV_FAST_ISA_AVX2)
		return run_rows_avx2(f, lo, hi);
	return run_rows_base(f, lo, hi);
}

/* Multiply-adds (or taps) a descriptor takes, saturated. */
static uint64_t desc_work(const struct gconv_desc *d)
{
	uint64_t dims[8] = { d->n, d->g, d->k, d->p, d->q, d->c, d->r, d->s };
	uint64_t w = 1;
	int i;

	for (i = 0; i < 8; i++)
		w = dims[i] && w > UINT64_MAX / dims[i] ? UINT64_MAX
							: w * dims[i];
	return w;
}

struct rows_job {
	const struct fctx *f;
	int isa;
	uint64_t planes, parts;
	int ret; /* atomic: a part's error (-ECANCELED) */
};

static void rows_part(void *arg, uint64_t part)
{
	struct rows_job *j = arg;
	uint64_t lo = j->planes * part / j->parts;
	uint64_t hi = j->planes * (part + 1) / j->parts;
	int r = rows_isa(j->isa, j->f, lo, hi);

	if (r)
		__atomic_store_n(&j->ret, r, __ATOMIC_RELAXED);
}

/*
 * The row path over every plane: ranges of planes on the thread pool
 * (four parts per thread, for balance) when the work is worth it.  Each
 * output is computed by one thread exactly as alone.
 */
static int run_rows(const struct fctx *f)
{
	const struct gconv_desc *d = f->d;
	struct rows_job j = { f, use_isa(), (uint64_t)d->n * d->g * d->k, 1,
			      0 };

	if (desc_work(d) >= POOL_MIN_WORK) {
		j.parts = 4 * (uint64_t)gconv_pool_threads();
		if (j.parts > j.planes)
			j.parts = j.planes;
	}
	if (j.parts <= 1)
		return rows_isa(j.isa, f, 0, j.planes);
	gconv_pool_run(rows_part, &j, j.parts);
	return j.ret;
}

static int run_gemm(const struct fctx *f)
{
	int isa = use_isa();

	if (isa == GCONV_FAST_ISA_AVX2)
		return run_gemm_avx2(f);
	return run_gemm_base(f);
}

/* ---- choosing a path, reads before writes -------------------------------- */

int gconv_fast_path_ok(const struct gconv_desc *d, enum gconv_fast_path path)
{
	switch (path) {
	case GCONV_FAST_AUTO:
	case GCONV_FAST_ROW:
	case GCONV_FAST_GENERIC:
		return 1;
	case GCONV_FAST_GEMM:
		return gemm_ok(d);
	default:
		return 0;
	}
}

enum gconv_fast_path gconv_fast_choose(const struct gconv_desc *d)
{
	/* element-wise operations and narrow groups (depthwise) are row
	 * loops; convolutions and fully connected layers are products */
	if (gemm_ok(d) && d->k >= gconv_fast_tune.gemm_min_k &&
	    (uint64_t)d->c * d->r * d->s > 1)
		return GCONV_FAST_GEMM;
	return GCONV_FAST_ROW;
}

const char *gconv_fast_path_name(enum gconv_fast_path path)
{
	static const char *const names[GCONV_FAST_PATH_COUNT] = {
		[GCONV_FAST_AUTO] = "auto",
		[GCONV_FAST_GEMM] = "gemm",
		[GCONV_FAST_ROW] = "row",
		[GCONV_FAST_GENERIC] = "generic",
	};

	return (unsigned int)path < GCONV_FAST_PATH_COUNT ? names[path] : "?";
}

/* Byte ranges [a, a + na) and [b, b + nb) intersect. */
static int overlaps(const void *a, uint64_t na, const void *b, uint64_t nb)
{
	uintptr_t pa = (uintptr_t)a, pb = (uintptr_t)b;

	return pa < pb + nb && pb < pa + na;
}

/*
 * No two outputs (n, g, k, p, q) share an element of O: a sufficient
 * condition is that, sorted by stride, each used dimension's stride
 * exceeds the largest offset the smaller ones reach.
 */
static int o_injective(const struct gconv_desc *d)
{
	const uint64_t *os = d->o.stride;
	uint64_t ext[5] = { d->n, d->g, d->k, d->p, d->q };
	uint64_t st[5] = { os[NSLOT], os[GSLOT], os[KSLOT], os[RSLOT],
			   os[SSLOT] };
	uint64_t reach = 0;
	int used[5] = { 0 }, i, j;

	for (i = 0; i < 5; i++) {
		int best = -1;

		for (j = 0; j < 5; j++)
			if (!used[j] && ext[j] > 1 &&
			    (best < 0 || st[j] < st[best]))
				best = j;
		if (best < 0)
			break;
		used[best] = 1;
		if (st[best] <= reach)
			return 0;
		reach += (ext[best] - 1) * st[best];
	}
	return 1;
}

/*
 * An input that overlaps O is harmless when every output reads it at
 * exactly the element it writes (and nowhere else): element-wise in place.
 * X qualifies when the reduction space is one tap that always reads X at
 * (n, g, k, p * stride_h, q * stride_w).
 */
static int same_position(const struct gconv_desc *d, const void *in,
			 const void *o, const uint64_t in_st[5])
{
	const uint64_t *os = d->o.stride;
	uint64_t ext[5] = { d->n, d->g, d->k, d->p, d->q };
	uint64_t ost[5] = { os[NSLOT], os[GSLOT], os[KSLOT], os[RSLOT],
			    os[SSLOT] };
	int i;

	if (in != o)
		return 0;
	for (i = 0; i < 5; i++)
		if (ext[i] > 1 && in_st[i] != ost[i])
			return 0;
	return 1;
}

static int x_same_position(const struct gconv_desc *d, const void *x,
			   const void *o)
{
	const uint64_t *xs = d->x.stride;
	uint64_t st[5] = { xs[NSLOT], xs[GSLOT], xs[KSLOT],
			   d->stride_h * xs[RSLOT], d->stride_w * xs[SSLOT] };

	return d->c == 1 && d->r == 1 && d->s == 1 && !d->pad_top &&
	       !d->pad_left && d->in_dilation_h == 1 && d->in_dilation_w == 1 &&
	       same_position(d, x, o, st);
}

static int b_same_position(const struct gconv_desc *d, const void *b,
			   const void *o)
{
	const uint64_t *bs = d->b.stride;
	uint64_t st[5] = { bs[NSLOT], bs[GSLOT], bs[KSLOT], bs[RSLOT],
			   bs[SSLOT] };

	return same_position(d, b, o, st);
}

/* Outputs may be written to O as they are computed. */
static int direct_ok(const struct gconv_desc *d, const void *x, const void *y,
		     const void *b, const void *o)
{
	uint64_t ob = gconv_operand_bytes(&d->o);

	if (!o_injective(d))
		return 0;
	if (x && overlaps(x, gconv_operand_bytes(&d->x), o, ob) &&
	    !x_same_position(d, x, o))
		return 0;
	if (y && overlaps(y, gconv_operand_bytes(&d->y), o, ob))
		return 0;
	if (b && overlaps(b, gconv_operand_bytes(&d->b), o, ob) &&
	    !b_same_position(d, b, o))
		return 0;
	return 1;
}

/*
 * Between O and a dense array of every output in (n, g, k, p, q) order:
 * O to @dense, or (@to_o) @dense to O, where a later output overwrites an
 * earlier one that shares its element, as in the golden engine.
 */
static void copy_o(const struct gconv_desc *d, float *dense, void *o, int to_o)
{
	const uint64_t *st = d->o.stride;
	float *of = o;
	uint64_t n, g, k, p, q;

	for (n = 0; n < d->n; n++)
		for (g = 0; g < d->g; g++)
			for (k = 0; k < d->k; k++)
				for (p = 0; p < d->p; p++) {
					float *row = of + n * st[NSLOT] +
						     g * st[GSLOT] +
						     k * st[KSLOT] +
						     p * st[RSLOT];

					for (q = 0; q < d->q; q++, dense++) {
						if (to_o)
							row[q * st[SSLOT]] =
								*dense;
						else
							*dense = row[q *
								     st[SSLOT]];
					}
				}
}

static float param(uint32_t bits)
{
	return gconv_bits_f32(bits);
}

static int fast_run(const struct gconv_desc *d, const void *x, const void *y,
		    const void *b, void *o, enum gconv_fast_path path,
		    const int *cancel)
{
	uint64_t outputs = (uint64_t)d->n * d->g * d->k * d->p * d->q;
	float *tmp = NULL;
	struct fctx f = {
		.d = d,
		.x = gconv_desc_reads_x(d) ? x : NULL,
		.y = gconv_desc_reads_y(d) ? y : NULL,
		.b = gconv_desc_reads_b(d) ? b : NULL,
		.o = o,
		.os = { d->o.stride[NSLOT], d->o.stride[GSLOT],
			d->o.stride[KSLOT], d->o.stride[RSLOT],
			d->o.stride[SSLOT] },
		.pad = param(d->pad_value),
		.pre_a = param(d->pre_param[0]),
		.pre_b = param(d->pre_param[1]),
		.post_a = param(d->post_param[0]),
		.post_b = param(d->post_param[1]),
		.post_c = param(d->post_param[2]),
		.hv_size = (int64_t)(d->in_h - 1) * d->in_dilation_h + 1,
		.wv_size = (int64_t)(d->in_w - 1) * d->in_dilation_w + 1,
		.cancel = cancel,
	};
	struct qrange qr[64];
	uint64_t s;
	int ret;

	if (path == GCONV_FAST_AUTO)
		path = gconv_fast_choose(d);
	if (!gconv_fast_path_ok(d, path))
		return -EOPNOTSUPP;
	f.padt = pre_one(&f, f.pad);
	if (path != GCONV_FAST_GENERIC && d->pre == GCONV_PRE_IDENTITY &&
	    d->in_dilation_w == 1) {
		if (d->main == GCONV_MAIN_MUL && reduce_is_sum(d))
			f.fuse = FUSE_MADD;
		else if (d->main == GCONV_MAIN_TAKE_X)
			f.fuse = FUSE_TAKE;
	}
	if (d->in_dilation_w == 1 && d->s <= sizeof(qr) / sizeof(qr[0])) {
		for (s = 0; s < d->s; s++)
			qr[s].start =
				q_range(&f, s, 0, d->q, &qr[s].lo, &qr[s].hi);
		f.qr = qr;
	}

	if (!direct_ok(d, f.x, f.y, f.b, o)) {
		/* a dense temporary, copied to O in the golden engine's order
		 */
		if (outputs > SIZE_MAX / sizeof(float))
			return -ENOMEM;
		tmp = malloc(outputs * sizeof(float));
		if (!tmp)
			return -ENOMEM;
		f.o = tmp;
		f.os[4] = 1;
		f.os[3] = d->q;
		f.os[2] = f.os[3] * d->p;
		f.os[1] = f.os[2] * d->k;
		f.os[0] = f.os[1] * d->g;
		if (d->flags & GCONV_DESC_F_ACCUMULATE)
			copy_o(d, tmp, o, 0);
	}

	ret = path == GCONV_FAST_GEMM ? run_gemm(&f) : run_rows(&f);

	if (tmp) {
		if (!ret)
			copy_o(d, tmp, o, 1);
		free(tmp);
	}
	return ret;
}

int gconv_fast_run_desc_path(const struct gconv_desc *d, const void *x,
			     const void *y, const void *b, void *o,
			     enum gconv_fast_path path)
{
	return fast_run(d, x, y, b, o, path, NULL);
}

int gconv_fast_run_desc(const struct gconv_desc *d, const void *x,
			const void *y, const void *b, void *o)
{
	return fast_run(d, x, y, b, o, GCONV_FAST_AUTO, NULL);
}

int gconv_fast_run_desc_cancel(const struct gconv_desc *d, const void *x,
			       const void *y, const void *b, void *o,
			       const int *cancel)
{
	return fast_run(d, x, y, b, o, GCONV_FAST_AUTO, cancel);
}

int gconv_fast_run_chain_mapped(const void *chain, size_t chain_len,
				const struct gconv_region *regions,
				unsigned int nregions, struct gconv_verror *err)
{
	return gconv_engine_run_chain_mapped(
		chain, chain_len, regions, nregions, err, gconv_fast_run_desc);
}
