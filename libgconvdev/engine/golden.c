// SPDX-License-Identifier: MIT
/*
 * The golden GCONV engine: the loop nest of docs/gconv-isa.md written out
 * literally, one output element at a time, in double precision.  It is
 * the oracle every other executor (fast engine, device model) is tested
 * against, so it is written to be read, not to be fast.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include <gconv/engine.h>

#include "engine_impl.h"

static double param(uint32_t bits)
{
	return gconv_bits_f32(bits);
}

/* max/min that propagate NaN, as the ISA specifies. */
static double max_nan(double a, double b)
{
	if (isnan(a) || isnan(b))
		return NAN;
	return a > b ? a : b;
}

static double min_nan(double a, double b)
{
	if (isnan(a) || isnan(b))
		return NAN;
	return a < b ? a : b;
}

static double apply_pre(const struct gconv_desc *d, double x)
{
	switch (d->pre) {
	case GCONV_PRE_IDENTITY:
		return x;
	case GCONV_PRE_NEG:
		return -x;
	case GCONV_PRE_ABS:
		return fabs(x);
	case GCONV_PRE_SQUARE:
		return x * x;
	case GCONV_PRE_EXP:
		return exp(x);
	case GCONV_PRE_LOG:
		return log(x);
	case GCONV_PRE_SQRT:
		return sqrt(x);
	case GCONV_PRE_RECIP:
		return 1.0 / x;
	case GCONV_PRE_AFFINE:
		return param(d->pre_param[0]) * x + param(d->pre_param[1]);
	}
	return NAN; /* unreachable for validated descriptors */
}

static double apply_main(const struct gconv_desc *d, double x, double y)
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
		return max_nan(x, y);
	case GCONV_MAIN_MIN:
		return min_nan(x, y);
	case GCONV_MAIN_TAKE_X:
		return x;
	case GCONV_MAIN_TAKE_Y:
		return y;
	case GCONV_MAIN_SQDIFF:
		return (x - y) * (x - y);
	case GCONV_MAIN_PRELU:
		return x >= 0 ? x : x * y;
	case GCONV_MAIN_POW:
		return pow(x, y);
	}
	return NAN;
}

static double reduce_identity(const struct gconv_desc *d)
{
	switch (d->reduce) {
	case GCONV_REDUCE_MAX:
		return -INFINITY;
	case GCONV_REDUCE_MIN:
		return INFINITY;
	default:
		return 0.0;
	}
}

static double reduce_step(const struct gconv_desc *d, double acc, double v)
{
	switch (d->reduce) {
	case GCONV_REDUCE_MAX:
		return max_nan(acc, v);
	case GCONV_REDUCE_MIN:
		return min_nan(acc, v);
	default:
		return acc + v;
	}
}

static double apply_combine(const struct gconv_desc *d, double acc, double b)
{
	switch (d->combine) {
	case GCONV_COMBINE_NONE:
		return acc;
	case GCONV_COMBINE_ADD:
		return acc + b;
	case GCONV_COMBINE_SUB:
		return acc - b;
	case GCONV_COMBINE_MUL:
		return acc * b;
	case GCONV_COMBINE_DIV:
		return acc / b;
	case GCONV_COMBINE_MAX:
		return max_nan(acc, b);
	case GCONV_COMBINE_MIN:
		return min_nan(acc, b);
	}
	return NAN;
}

static double apply_post(const struct gconv_desc *d, double v)
{
	double a = param(d->post_param[0]);
	double b = param(d->post_param[1]);
	double c = param(d->post_param[2]);

	switch (d->post) {
	case GCONV_POST_IDENTITY:
		return v;
	case GCONV_POST_RELU:
		return max_nan(v, 0.0);
	case GCONV_POST_CLIP:
		return min_nan(max_nan(v, a), b);
	case GCONV_POST_LEAKY:
		return v >= 0 ? v : a * v;
	case GCONV_POST_SIGMOID:
		return 1.0 / (1.0 + exp(-v));
	case GCONV_POST_TANH:
		return tanh(v);
	case GCONV_POST_EXP:
		return exp(v);
	case GCONV_POST_LOG:
		return log(v);
	case GCONV_POST_SQRT:
		return sqrt(v);
	case GCONV_POST_RSQRT:
		return 1.0 / sqrt(v);
	case GCONV_POST_RECIP:
		return 1.0 / v;
	case GCONV_POST_POW:
		return pow(v, a);
	case GCONV_POST_HARD_SIGMOID:
		return max_nan(0.0, min_nan(1.0, a * v + b));
	case GCONV_POST_HARD_SWISH:
		return v * max_nan(0.0, min_nan(1.0, v / 6.0 + 0.5));
	case GCONV_POST_ELU:
		return v >= 0 ? v : a * (exp(v) - 1.0);
	case GCONV_POST_SELU:
		return b * (v >= 0 ? v : a * (exp(v) - 1.0));
	case GCONV_POST_SOFTPLUS:
		/* log1p(e^v) without overflow for large v */
		return v > 0 ? v + log1p(exp(-v)) : log1p(exp(v));
	case GCONV_POST_AFFINE:
		return a * v + b;
	case GCONV_POST_AFFINE_POW:
		return pow(a * v + b, c);
	case GCONV_POST_ABS:
		return fabs(v);
	case GCONV_POST_NEG:
		return -v;
	}
	return NAN;
}

/* Element offset of index (i0..i5) in an operand. */
static uint64_t offset(const struct gconv_operand *op, uint64_t n, uint64_t g,
		       uint64_t k, uint64_t c, uint64_t row, uint64_t col)
{
	return n * op->stride[GCONV_SLOT_N] + g * op->stride[GCONV_SLOT_G] +
	       k * op->stride[GCONV_SLOT_K] + c * op->stride[GCONV_SLOT_C] +
	       row * op->stride[GCONV_SLOT_ROW] +
	       col * op->stride[GCONV_SLOT_COL];
}

/* Coordinates of one tap in the (input-dilated) input plane. */
struct tap {
	int inside;	/* reads X */
	int padded;	/* inside the padded input (counts for MEAN_PADDED) */
	uint64_t h, w;	/* X row/col when inside */
};

static struct tap locate(const struct gconv_desc *d, uint64_t p, uint64_t q,
			 uint64_t r, uint64_t s)
{
	/* Dilated extents; no overflow: every factor is below 2^24. */
	int64_t hv_size = (int64_t)(d->in_h - 1) * d->in_dilation_h + 1;
	int64_t wv_size = (int64_t)(d->in_w - 1) * d->in_dilation_w + 1;
	int64_t hv = (int64_t)(p * d->stride_h + r * d->dilation_h) -
		     (int64_t)d->pad_top;
	int64_t wv = (int64_t)(q * d->stride_w + s * d->dilation_w) -
		     (int64_t)d->pad_left;
	struct tap t = { 0 };

	t.padded = hv >= -(int64_t)d->pad_top &&
		   hv < hv_size + (int64_t)d->pad_bottom &&
		   wv >= -(int64_t)d->pad_left &&
		   wv < wv_size + (int64_t)d->pad_right;
	t.inside = hv >= 0 && hv < hv_size && hv % d->in_dilation_h == 0 &&
		   wv >= 0 && wv < wv_size && wv % d->in_dilation_w == 0;
	if (t.inside) {
		t.h = (uint64_t)hv / d->in_dilation_h;
		t.w = (uint64_t)wv / d->in_dilation_w;
	}
	return t;
}

static double compute_one(const struct gconv_desc *d, const float *x,
			  const float *y, const float *b, const float *o,
			  uint64_t n, uint64_t g, uint64_t k, uint64_t p,
			  uint64_t q)
{
	double pad = param(d->pad_value);
	double acc = reduce_identity(d);
	uint64_t valid = 0, padded = 0, c, r, s;

	if (d->flags & GCONV_DESC_F_ACCUMULATE)
		acc = o[offset(&d->o, n, g, k, 0, p, q)];

	for (c = 0; c < d->c; c++) {
		for (r = 0; r < d->r; r++) {
			for (s = 0; s < d->s; s++) {
				struct tap t = locate(d, p, q, r, s);
				double xv = 0.0, yv = 0.0;

				if (gconv_desc_reads_x(d))
					xv = t.inside ?
						x[offset(&d->x, n, g, k, c,
							 t.h, t.w)] : pad;
				if (gconv_desc_reads_y(d))
					yv = y[offset(&d->y, n, g, k, c, r, s)];
				acc = reduce_step(d, acc,
						  apply_main(d, apply_pre(d, xv),
							     yv));
				valid += t.inside;
				padded += t.padded;
			}
		}
	}

	switch (d->reduce) {
	case GCONV_REDUCE_MEAN_ALL:
		acc /= (double)d->c * d->r * d->s;
		break;
	case GCONV_REDUCE_MEAN_VALID:
		acc = valid ? acc / (double)valid : 0.0;
		break;
	case GCONV_REDUCE_MEAN_PADDED:
		acc = padded ? acc / (double)padded : 0.0;
		break;
	}

	if (gconv_desc_reads_b(d))
		acc = apply_combine(d, acc, b[offset(&d->b, n, g, k, 0, p, q)]);
	return apply_post(d, acc);
}

int gconv_golden_run_desc(const struct gconv_desc *d, const void *x,
			  const void *y, const void *b, void *o)
{
	return gconv_golden_run_desc_cancel(d, x, y, b, o, NULL);
}

static int cancelled(const int *cancel)
{
	return cancel && __atomic_load_n(cancel, __ATOMIC_RELAXED);
}

int gconv_golden_run_desc_cancel(const struct gconv_desc *d, const void *x,
				 const void *y, const void *b, void *o,
				 const int *cancel)
{
	uint64_t outputs = (uint64_t)d->n * d->g * d->k * d->p * d->q;
	uint64_t n, g, k, p, q, i;
	float *result;

	if (outputs > SIZE_MAX / sizeof(float))
		return -ENOMEM;
	result = malloc(outputs * sizeof(float));
	if (!result)
		return -ENOMEM;

	/* Phase 1: read everything, so O may alias the inputs. */
	i = 0;
	for (n = 0; n < d->n; n++)
		for (g = 0; g < d->g; g++)
			for (k = 0; k < d->k; k++)
				for (p = 0; p < d->p; p++)
					for (q = 0; q < d->q; q++) {
						if (cancelled(cancel)) {
							free(result);
							return -ECANCELED;
						}
						result[i++] = (float)compute_one(
							d, x, y, b, o, n, g, k,
							p, q);
					}

	/* Phase 2: write. */
	i = 0;
	for (n = 0; n < d->n; n++)
		for (g = 0; g < d->g; g++)
			for (k = 0; k < d->k; k++)
				for (p = 0; p < d->p; p++)
					for (q = 0; q < d->q; q++)
						((float *)o)[offset(&d->o, n, g,
								    k, 0, p,
								    q)] =
							result[i++];
	free(result);
	return 0;
}

/*
 * Host address of an operand, or NULL if it is not inside one region (or,
 * for an output, not inside a writable one).
 */
static void *resolve(const struct gconv_region *regions, unsigned int nregions,
		     const struct gconv_operand *op, int write, uint32_t *why)
{
	uint64_t bytes = gconv_operand_bytes(op);
	unsigned int i;

	*why = GCONV_VERR_OUT_OF_RANGE;
	for (i = 0; i < nregions; i++) {
		const struct gconv_region *r = &regions[i];

		if (op->addr < r->addr || op->addr - r->addr > r->size ||
		    bytes > r->size - (op->addr - r->addr))
			continue;
		if (write && !r->writable) {
			*why = GCONV_VERR_READ_ONLY;
			continue;
		}
		return (uint8_t *)r->host + (op->addr - r->addr);
	}
	return NULL;
}

struct operands {
	const void *x, *y, *b;
	void *o;
};

static int place(const struct gconv_desc *d, uint32_t idx,
		 const struct gconv_region *regions, unsigned int nregions,
		 struct operands *p, struct gconv_verror *err)
{
	uint32_t why;

	*p = (struct operands){ 0 };
	if (gconv_desc_reads_x(d) &&
	    !(p->x = resolve(regions, nregions, &d->x, 0, &why)))
		return gconv_verr_set(err, why, idx, 'X', "addr");
	if (gconv_desc_reads_y(d) &&
	    !(p->y = resolve(regions, nregions, &d->y, 0, &why)))
		return gconv_verr_set(err, why, idx, 'Y', "addr");
	if (gconv_desc_reads_b(d) &&
	    !(p->b = resolve(regions, nregions, &d->b, 0, &why)))
		return gconv_verr_set(err, why, idx, 'B', "addr");
	if (!(p->o = resolve(regions, nregions, &d->o, 1, &why)))
		return gconv_verr_set(err, why, idx, 'O', "addr");
	return 0;
}

int gconv_engine_run_chain_mapped(const void *chain, size_t chain_len,
				  const struct gconv_region *regions,
				  unsigned int nregions,
				  struct gconv_verror *err,
				  gconv_desc_runner run)
{
	const struct gconv_limits lim = GCONV_LIMITS_DEFAULT;
	const struct gconv_chain_header *h = chain;
	struct operands p;
	uint32_t i;
	int ret;

	if (gconv_validate_chain(chain, chain_len, &lim, err))
		return -EINVAL;
	for (i = 0; i < h->count; i++)
		if (place(gconv_chain_desc(h, i), i, regions, nregions, &p,
			  err))
			return -EINVAL;

	for (i = 0; i < h->count; i++) {
		const struct gconv_desc *d = gconv_chain_desc(h, i);

		place(d, i, regions, nregions, &p, NULL);
		ret = run(d, p.x, p.y, p.b, p.o);
		if (ret)
			return ret;
	}
	return 0;
}

int gconv_golden_run_chain_mapped(const void *chain, size_t chain_len,
				  const struct gconv_region *regions,
				  unsigned int nregions,
				  struct gconv_verror *err)
{
	return gconv_engine_run_chain_mapped(chain, chain_len, regions,
					     nregions, err,
					     gconv_golden_run_desc);
}

int gconv_golden_run_chain(const void *chain, size_t chain_len, void *mem,
			   uint64_t mem_size, struct gconv_verror *err)
{
	const struct gconv_region flat = {
		.addr = 0, .size = mem_size, .host = mem, .writable = 1,
	};

	return gconv_golden_run_chain_mapped(chain, chain_len, &flat, 1, err);
}
