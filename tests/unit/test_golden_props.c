// SPDX-License-Identifier: MIT
/*
 * The golden engine against independent direct formulas.
 *
 * Each subtest draws many random shapes from a fixed seed, lowers the
 * layer to one GCONV the way a compiler would (strides, pads, operators),
 * validates the descriptor against GCONV_LIMITS_DEFAULT, runs it on the
 * golden engine and compares every output with a plain nested-loop
 * reference over NCHW arrays that never looks at the descriptor.  The
 * references accumulate in double, as the engine does.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <gconv/engine.h>

#include "../harness.h"

#define RTOL 1e-5
#define ATOL 1e-6

static const struct gconv_limits default_limits = GCONV_LIMITS_DEFAULT;

/* ---- helpers --------------------------------------------------------- */

static void run(const struct gconv_desc *d, const float *x, const float *y,
		const float *b, float *o)
{
	struct gconv_verror err;
	char msg[200], desc[300];

	if (gconv_validate_desc(d, 0, &default_limits, &err)) {
		gconv_verror_format(&err, msg, sizeof(msg));
		gconv_desc_format(d, desc, sizeof(desc));
		FAILF("descriptor does not validate: %s (%s)", msg, desc);
	}
	CHECK_EQ_INT(gconv_golden_run_desc(d, gconv_desc_reads_x(d) ? x : NULL,
					   gconv_desc_reads_y(d) ? y : NULL,
					   gconv_desc_reads_b(d) ? b : NULL, o),
		     0);
}

static float *falloc(size_t count)
{
	float *p = malloc(count * sizeof(float));

	if (!p)
		FAILF("out of memory");
	return p;
}

static double *dalloc(size_t count)
{
	double *p = malloc(count * sizeof(double));

	if (!p)
		FAILF("out of memory");
	return p;
}

/* Uniform in [lo, hi). */
static void fill(float *a, size_t count, unsigned long long *rs, float lo,
		 float hi)
{
	size_t i;

	for (i = 0; i < count; i++)
		a[i] = lo + (hi - lo) * (harness_randf(rs) + 1.0f) * 0.5f;
}

static void poison(float *o, size_t count)
{
	size_t i;

	for (i = 0; i < count; i++)
		o[i] = NAN;
}

/* Round a double reference to fp32 for CHECK_ARRAY_NEAR. */
static void to_float(float *dst, const double *src, size_t count)
{
	size_t i;

	for (i = 0; i < count; i++)
		dst[i] = (float)src[i];
}

/* Compare @count outputs; @what and @cs name the failing case. */
static void compare(const char *what, int cs, const float *got,
		    const float *want, size_t count)
{
	size_t i;

	for (i = 0; i < count; i++)
		if (!harness_close(got[i], want[i], RTOL, ATOL))
			FAILF("%s, case %d: out[%zu] = %.9g, expected %.9g",
			      what, cs, i, (double)got[i], (double)want[i]);
}

/* ---- convolution ----------------------------------------------------- */

/*
 * A 2-D convolution layer: N x (G*C) x H x W input, (G*K) x C x KH x KW
 * weights, N x (G*K) x P x Q output.
 */
struct conv {
	int n, g;		/* batch, groups */
	int c, k;		/* input and output channels per group */
	int h, w;		/* input size */
	int kh, kw;		/* kernel size */
	int sh, sw;		/* stride */
	int dh, dw;		/* kernel dilation */
	int pt, pb, pl, pr;	/* padding: top, bottom, left, right */
	int p, q;		/* output size */
};

static int conv_out(int in, int pad0, int pad1, int k, int dil, int stride)
{
	int span = in + pad0 + pad1 - dil * (k - 1) - 1;

	return span < 0 ? 0 : span / stride + 1;
}

/* Random layer with groups in [1, gmax]; pads independent per side. */
static void rand_conv(unsigned long long *rs, struct conv *cv, int gmax,
		      int cmax, int kmax)
{
	do {
		cv->n = harness_randint(rs, 1, 3);
		cv->g = harness_randint(rs, 1, gmax);
		cv->c = harness_randint(rs, 1, cmax);
		cv->k = harness_randint(rs, 1, kmax);
		cv->h = harness_randint(rs, 1, 12);
		cv->w = harness_randint(rs, 1, 12);
		cv->kh = harness_randint(rs, 1, 5);
		cv->kw = harness_randint(rs, 1, 5);
		cv->sh = harness_randint(rs, 1, 3);
		cv->sw = harness_randint(rs, 1, 3);
		cv->dh = harness_randint(rs, 1, 3);
		cv->dw = harness_randint(rs, 1, 3);
		cv->pt = harness_randint(rs, 0, 4);
		cv->pb = harness_randint(rs, 0, 4);
		cv->pl = harness_randint(rs, 0, 4);
		cv->pr = harness_randint(rs, 0, 4);
		cv->p = conv_out(cv->h, cv->pt, cv->pb, cv->kh, cv->dh, cv->sh);
		cv->q = conv_out(cv->w, cv->pl, cv->pr, cv->kw, cv->dw, cv->sw);
	} while (cv->p < 1 || cv->q < 1);
}

static size_t conv_in_count(const struct conv *cv)
{
	return (size_t)cv->n * cv->g * cv->c * cv->h * cv->w;
}

static size_t conv_w_count(const struct conv *cv)
{
	return (size_t)cv->g * cv->k * cv->c * cv->kh * cv->kw;
}

static size_t conv_out_count(const struct conv *cv)
{
	return (size_t)cv->n * cv->g * cv->k * cv->p * cv->q;
}

/*
 * Direct convolution over NCHW: in [n][g*c][h][w], wt [g*k][c][kh][kw],
 * bias [g*k] or NULL, out [n][g*k][p][q].  Padding contributes nothing.
 */
static void ref_conv(const struct conv *cv, const float *in, const float *wt,
		     const float *bias, double *out)
{
	int cin = cv->g * cv->c, cout = cv->g * cv->k;
	int n, co, oh, ow, ci, r, s;

	for (n = 0; n < cv->n; n++)
	for (co = 0; co < cout; co++)
	for (oh = 0; oh < cv->p; oh++)
	for (ow = 0; ow < cv->q; ow++) {
		int grp = co / cv->k;
		double acc = 0;

		for (ci = 0; ci < cv->c; ci++)
		for (r = 0; r < cv->kh; r++)
		for (s = 0; s < cv->kw; s++) {
			int ih = oh * cv->sh + r * cv->dh - cv->pt;
			int iw = ow * cv->sw + s * cv->dw - cv->pl;
			int ic = grp * cv->c + ci;

			if (ih < 0 || ih >= cv->h || iw < 0 || iw >= cv->w)
				continue;
			acc += (double)in[(((size_t)n * cin + ic) * cv->h +
					   ih) * cv->w + iw] *
			       wt[(((size_t)co * cv->c + ci) * cv->kh + r) *
				  cv->kw + s];
		}
		if (bias)
			acc += bias[co];
		out[(((size_t)n * cout + co) * cv->p + oh) * cv->q + ow] = acc;
	}
}

/*
 * Lower a convolution to one GCONV: main mul, reduce sum, bias through
 * combine add.  NCHW (weights KCRS) or NHWC (weights KRSC) by strides.
 */
static void conv_desc(struct gconv_desc *d, const struct conv *cv,
		      int has_bias, int nhwc)
{
	uint64_t c = cv->c, k = cv->k, h = cv->h, w = cv->w;
	uint64_t kh = cv->kh, kw = cv->kw, p = cv->p, q = cv->q;
	uint64_t cin = cv->g * c, cout = cv->g * k;

	gconv_desc_init(d);
	d->n = cv->n, d->g = cv->g, d->k = cv->k, d->p = cv->p, d->q = cv->q;
	d->c = cv->c, d->r = cv->kh, d->s = cv->kw;
	d->in_h = cv->h, d->in_w = cv->w;
	d->stride_h = cv->sh, d->stride_w = cv->sw;
	d->dilation_h = cv->dh, d->dilation_w = cv->dw;
	d->pad_top = cv->pt, d->pad_bottom = cv->pb;
	d->pad_left = cv->pl, d->pad_right = cv->pr;
	if (!nhwc) {
		gconv_operand_f32(&d->x, 0, conv_in_count(cv), cin * h * w,
				  c * h * w, 0, h * w, w, 1);
		gconv_operand_f32(&d->y, 0, conv_w_count(cv), 0,
				  k * c * kh * kw, c * kh * kw, kh * kw, kw, 1);
		gconv_operand_f32(&d->o, 0, conv_out_count(cv), cout * p * q,
				  k * p * q, p * q, 0, q, 1);
	} else {
		gconv_operand_f32(&d->x, 0, conv_in_count(cv), h * w * cin, c,
				  0, 1, w * cin, cin);
		gconv_operand_f32(&d->y, 0, conv_w_count(cv), 0,
				  k * kh * kw * c, kh * kw * c, 1, kw * c, c);
		gconv_operand_f32(&d->o, 0, conv_out_count(cv), p * q * cout,
				  k, 1, 0, q * cout, cout);
	}
	if (has_bias) {
		d->combine = GCONV_COMBINE_ADD;
		gconv_operand_f32(&d->b, 0, cout, 0, k, 1, 0, 0, 0);
	}
}

/*
 * Run @cases random convolutions (groups up to @gmax, C and K per group up
 * to @cmax and @kmax; @depthwise forces G = channels, C = K = 1) against
 * ref_conv.  Returns how many had asymmetric padding in both directions.
 */
static int conv_cases(unsigned long long seed, int cases, int gmax, int cmax,
		      int kmax, int depthwise, const char *what)
{
	unsigned long long rs = seed;
	int cs, asym = 0;

	for (cs = 0; cs < cases; cs++) {
		struct conv cv;
		struct gconv_desc d;
		float *in, *wt, *bias, *out, *want;
		double *ref;
		size_t nout;

		rand_conv(&rs, &cv, gmax, cmax, kmax);
		if (depthwise) {
			cv.g = harness_randint(&rs, 1, 6);
			cv.c = cv.k = 1;
		}
		asym += cv.pt != cv.pb && cv.pl != cv.pr;
		nout = conv_out_count(&cv);
		in = falloc(conv_in_count(&cv));
		wt = falloc(conv_w_count(&cv));
		bias = falloc((size_t)cv.g * cv.k);
		out = falloc(nout);
		want = falloc(nout);
		ref = dalloc(nout);
		fill(in, conv_in_count(&cv), &rs, -1, 1);
		fill(wt, conv_w_count(&cv), &rs, -1, 1);
		fill(bias, (size_t)cv.g * cv.k, &rs, -1, 1);

		conv_desc(&d, &cv, 1, 0);
		poison(out, nout);
		run(&d, in, wt, bias, out);
		ref_conv(&cv, in, wt, bias, ref);
		to_float(want, ref, nout);
		compare(what, cs, out, want, nout);

		free(in);
		free(wt);
		free(bias);
		free(out);
		free(want);
		free(ref);
	}
	return asym;
}

TEST(conv_stride_dilation_asymmetric_pad_batch_bias)
{
	int asym = conv_cases(0x5eed0001ULL, 500, 1, 4, 4, 0, "conv");

	/*
	 * The random shapes did exercise pad_top != pad_bottom together
	 * with pad_left != pad_right.
	 */
	CHECK(asym >= 50);
}

TEST(grouped_conv)
{
	conv_cases(0x5eed0002ULL, 300, 4, 3, 3, 0, "grouped conv");
}

TEST(depthwise_conv)
{
	conv_cases(0x5eed0003ULL, 300, 1, 1, 1, 1, "depthwise conv");
}

/* ---- NHWC ------------------------------------------------------------ */

/* dst[b][j][i] = src[b][i][j] for b < batch, i < rows, j < cols. */
static void transpose(float *dst, const float *src, size_t batch,
		      size_t rows, size_t cols)
{
	size_t b, i, j;

	for (b = 0; b < batch; b++)
		for (i = 0; i < rows; i++)
			for (j = 0; j < cols; j++)
				dst[(b * cols + j) * rows + i] =
					src[(b * rows + i) * cols + j];
}

/*
 * The same layer with X and O in NHWC and weights in KRSC (OHWI), by
 * strides only, gives bit-identical results to NCHW.
 */
TEST(nhwc_layout_matches_nchw)
{
	unsigned long long rs = 0x5eed0004ULL;
	int cs;

	for (cs = 0; cs < 200; cs++) {
		struct conv cv;
		struct gconv_desc d;
		float *in, *wt, *bias, *out, *in_t, *wt_t, *out_t, *back, *want;
		double *ref;
		size_t nout;
		int cin, cout;

		rand_conv(&rs, &cv, 3, 3, 3);
		cin = cv.g * cv.c;
		cout = cv.g * cv.k;
		nout = conv_out_count(&cv);
		in = falloc(conv_in_count(&cv));
		in_t = falloc(conv_in_count(&cv));
		wt = falloc(conv_w_count(&cv));
		wt_t = falloc(conv_w_count(&cv));
		bias = falloc(cout);
		out = falloc(nout);
		out_t = falloc(nout);
		back = falloc(nout);
		want = falloc(nout);
		ref = dalloc(nout);
		fill(in, conv_in_count(&cv), &rs, -1, 1);
		fill(wt, conv_w_count(&cv), &rs, -1, 1);
		fill(bias, cout, &rs, -1, 1);

		/* NCHW -> NHWC, KCRS -> KRSC */
		transpose(in_t, in, cv.n, cin, (size_t)cv.h * cv.w);
		transpose(wt_t, wt, cout, cv.c, (size_t)cv.kh * cv.kw);

		conv_desc(&d, &cv, 1, 0);
		poison(out, nout);
		run(&d, in, wt, bias, out);
		conv_desc(&d, &cv, 1, 1);
		poison(out_t, nout);
		run(&d, in_t, wt_t, bias, out_t);

		/* NHWC output back to NCHW */
		transpose(back, out_t, cv.n, (size_t)cv.p * cv.q, cout);
		if (memcmp(back, out, nout * sizeof(float)))
			FAILF("case %d: NHWC result differs from NCHW", cs);

		ref_conv(&cv, in, wt, bias, ref);
		to_float(want, ref, nout);
		compare("nhwc", cs, back, want, nout);

		free(in);
		free(in_t);
		free(wt);
		free(wt_t);
		free(bias);
		free(out);
		free(out_t);
		free(back);
		free(want);
		free(ref);
	}
}

/* ---- pooling --------------------------------------------------------- */

/*
 * Pooling output size, floor or ceil mode; in ceil mode the last window
 * must start inside the input or the leading padding (PyTorch's rule).
 */
static int pool_out(int in, int pad0, int pad1, int k, int stride, int ceil)
{
	int span = in + pad0 + pad1 - k;
	int out;

	if (span < 0)
		return 0;
	out = (ceil ? (span + stride - 1) / stride : span / stride) + 1;
	if (ceil && (out - 1) * stride >= in + pad0)
		out--;
	return out;
}

/*
 * Random pooling: struct conv with G = 1, C = 1 and K = channels; pads at
 * most half the window (so every window sees the input), dilation 1.
 */
static void rand_pool(unsigned long long *rs, struct conv *cv, int ceil)
{
	do {
		cv->n = harness_randint(rs, 1, 3);
		cv->g = 1;
		cv->c = 1;
		cv->k = harness_randint(rs, 1, 4);
		cv->h = harness_randint(rs, 1, 12);
		cv->w = harness_randint(rs, 1, 12);
		cv->kh = harness_randint(rs, 1, 5);
		cv->kw = harness_randint(rs, 1, 5);
		cv->sh = harness_randint(rs, 1, 3);
		cv->sw = harness_randint(rs, 1, 3);
		cv->dh = cv->dw = 1;
		cv->pt = harness_randint(rs, 0, cv->kh / 2);
		cv->pb = harness_randint(rs, 0, cv->kh / 2);
		cv->pl = harness_randint(rs, 0, cv->kw / 2);
		cv->pr = harness_randint(rs, 0, cv->kw / 2);
		cv->p = pool_out(cv->h, cv->pt, cv->pb, cv->kh, cv->sh, ceil);
		cv->q = pool_out(cv->w, cv->pl, cv->pr, cv->kw, cv->sw, ceil);
	} while (cv->p < 1 || cv->q < 1);
}

/*
 * Pooling as one GCONV: channels walk k (X's k-stride is the channel
 * stride), main take-x, Y unused.
 */
static void pool_desc(struct gconv_desc *d, const struct conv *cv,
		      uint8_t reduce, float pad)
{
	uint64_t ch = cv->k, h = cv->h, w = cv->w, p = cv->p, q = cv->q;

	gconv_desc_init(d);
	d->n = cv->n, d->k = cv->k, d->p = cv->p, d->q = cv->q;
	d->r = cv->kh, d->s = cv->kw;
	d->in_h = cv->h, d->in_w = cv->w;
	d->stride_h = cv->sh, d->stride_w = cv->sw;
	d->pad_top = cv->pt, d->pad_bottom = cv->pb;
	d->pad_left = cv->pl, d->pad_right = cv->pr;
	d->pad_value = gconv_f32_bits(pad);
	d->main = GCONV_MAIN_TAKE_X;
	d->reduce = reduce;
	gconv_operand_f32(&d->x, 0, (uint64_t)cv->n * ch * h * w, ch * h * w,
			  0, h * w, 0, w, 1);
	gconv_operand_f32(&d->o, 0, (uint64_t)cv->n * ch * p * q, ch * p * q,
			  0, p * q, 0, q, 1);
}

enum pool_kind { POOL_MAX, POOL_AVG_EXCLUDE_PAD, POOL_AVG_INCLUDE_PAD };

static int imin(int a, int b)
{
	return a < b ? a : b;
}

static int imax(int a, int b)
{
	return a > b ? a : b;
}

/*
 * Direct pooling over NCHW.  Average pooling follows PyTorch's avg_pool2d
 * (with its symmetric pads generalised to four sides): the window is
 * clipped to the padded input for count_include_pad = 1 and to the input
 * itself for count_include_pad = 0.  Max pooling ignores padding.
 */
static void ref_pool(const struct conv *cv, enum pool_kind kind,
		     const float *in, double *out)
{
	int n, ch, oh, ow, i, j;

	for (n = 0; n < cv->n; n++)
	for (ch = 0; ch < cv->k; ch++)
	for (oh = 0; oh < cv->p; oh++)
	for (ow = 0; ow < cv->q; ow++) {
		const float *plane = in + ((size_t)n * cv->k + ch) * cv->h *
					  cv->w;
		int hs = oh * cv->sh - cv->pt, ws = ow * cv->sw - cv->pl;
		int he = imin(hs + cv->kh, cv->h + cv->pb);
		int we = imin(ws + cv->kw, cv->w + cv->pr);
		int pool_size = (he - hs) * (we - ws);
		double acc = kind == POOL_MAX ? -INFINITY : 0.0;

		hs = imax(hs, 0);
		ws = imax(ws, 0);
		he = imin(he, cv->h);
		we = imin(we, cv->w);
		for (i = hs; i < he; i++)
			for (j = ws; j < we; j++) {
				double v = plane[i * cv->w + j];

				if (kind == POOL_MAX)
					acc = v > acc ? v : acc;
				else
					acc += v;
			}
		if (kind == POOL_AVG_EXCLUDE_PAD)
			acc /= (he - hs) * (we - ws);
		else if (kind == POOL_AVG_INCLUDE_PAD)
			acc /= pool_size;
		out[(((size_t)n * cv->k + ch) * cv->p + oh) * cv->q + ow] =
			acc;
	}
}

/*
 * Returns how many outputs had a window clipped by the end of the padded
 * input (ceil mode), where MEAN_PADDED differs from MEAN_ALL.
 */
static int pool_cases(unsigned long long seed, int cases, enum pool_kind kind,
		      const char *what)
{
	static const uint8_t reduce[] = {
		[POOL_MAX] = GCONV_REDUCE_MAX,
		[POOL_AVG_EXCLUDE_PAD] = GCONV_REDUCE_MEAN_VALID,
		[POOL_AVG_INCLUDE_PAD] = GCONV_REDUCE_MEAN_PADDED,
	};
	unsigned long long rs = seed;
	int cs, clipped = 0;

	for (cs = 0; cs < cases; cs++) {
		struct conv cv;
		struct gconv_desc d;
		float *in, *out, *want;
		double *ref;
		size_t nin, nout;

		rand_pool(&rs, &cv, cs & 1);
		if ((cv.p - 1) * cv.sh + cv.kh > cv.h + cv.pt + cv.pb ||
		    (cv.q - 1) * cv.sw + cv.kw > cv.w + cv.pl + cv.pr)
			clipped++;
		nin = (size_t)cv.n * cv.k * cv.h * cv.w;
		nout = (size_t)cv.n * cv.k * cv.p * cv.q;
		in = falloc(nin);
		out = falloc(nout);
		want = falloc(nout);
		ref = dalloc(nout);
		fill(in, nin, &rs, -1, 1);

		pool_desc(&d, &cv, reduce[kind],
			  kind == POOL_MAX ? -INFINITY : 0.0f);
		poison(out, nout);
		run(&d, in, NULL, NULL, out);
		ref_pool(&cv, kind, in, ref);
		to_float(want, ref, nout);
		compare(what, cs, out, want, nout);

		free(in);
		free(out);
		free(want);
		free(ref);
	}
	return clipped;
}

TEST(max_pool_pad_neg_inf)
{
	pool_cases(0x5eed0005ULL, 400, POOL_MAX, "max pool");
}

TEST(avg_pool_exclude_pad_is_mean_valid)
{
	pool_cases(0x5eed0006ULL, 400, POOL_AVG_EXCLUDE_PAD,
		   "avg pool, count_include_pad=0");
}

TEST(avg_pool_include_pad_is_mean_padded)
{
	int clipped = pool_cases(0x5eed0007ULL, 400, POOL_AVG_INCLUDE_PAD,
				 "avg pool, count_include_pad=1");

	/*
	 * Some windows ran past the padded input (ceil mode), where the
	 * divisor is smaller than the window.
	 */
	CHECK(clipped >= 20);
}

/*
 * Global pooling: the window is the whole input (R = H, S = W), P = Q = 1.
 */
static void global_pool_cases(unsigned long long seed, uint8_t reduce,
			      const char *what)
{
	unsigned long long rs = seed;
	int cs;

	for (cs = 0; cs < 100; cs++) {
		int n = harness_randint(&rs, 1, 3);
		int ch = harness_randint(&rs, 1, 5);
		int h = harness_randint(&rs, 1, 12);
		int w = harness_randint(&rs, 1, 12);
		size_t nin = (size_t)n * ch * h * w, nout = (size_t)n * ch;
		struct gconv_desc d;
		float *in = falloc(nin), *out = falloc(nout);
		float *want = falloc(nout);
		size_t i, j;

		fill(in, nin, &rs, -1, 1);
		gconv_desc_init(&d);
		d.n = n, d.k = ch, d.r = h, d.s = w, d.in_h = h, d.in_w = w;
		d.main = GCONV_MAIN_TAKE_X;
		d.reduce = reduce;
		gconv_operand_f32(&d.x, 0, nin, (uint64_t)ch * h * w, 0,
				  (uint64_t)h * w, 0, w, 1);
		gconv_operand_f32(&d.o, 0, nout, ch, 0, 1, 0, 0, 0);
		poison(out, nout);
		run(&d, in, NULL, NULL, out);

		for (i = 0; i < nout; i++) {
			const float *plane = in + i * h * w;
			double acc = reduce == GCONV_REDUCE_MAX ? plane[0] : 0;

			for (j = 0; j < (size_t)h * w; j++) {
				if (reduce == GCONV_REDUCE_MAX)
					acc = plane[j] > acc ? plane[j] : acc;
				else
					acc += plane[j];
			}
			if (reduce != GCONV_REDUCE_MAX)
				acc /= h * w;
			want[i] = (float)acc;
		}
		compare(what, cs, out, want, nout);
		free(in);
		free(out);
		free(want);
	}
}

TEST(global_avg_pool)
{
	global_pool_cases(0x5eed0008ULL, GCONV_REDUCE_MEAN_ALL,
			  "global avg pool");
}

TEST(global_max_pool)
{
	global_pool_cases(0x5eed0009ULL, GCONV_REDUCE_MAX, "global max pool");
}

/* ---- fully connected ------------------------------------------------- */

/*
 * out[n][j] = b[j] + sum_i x[n][i] * w[j][i] over a flattened C x H x W
 * input: either features on c (P = Q = R = S = 1, H = W = 1) or a window
 * covering the whole input (R = H, S = W).
 */
static void fc_cases(unsigned long long seed, int window)
{
	unsigned long long rs = seed;
	int cs;

	for (cs = 0; cs < 100; cs++) {
		int n = harness_randint(&rs, 1, 4);
		int k = harness_randint(&rs, 1, 8);
		int c = harness_randint(&rs, 1, window ? 4 : 40);
		int h = window ? harness_randint(&rs, 1, 5) : 1;
		int w = window ? harness_randint(&rs, 1, 5) : 1;
		size_t feat = (size_t)c * h * w, i;
		size_t nin = n * feat, nw = k * feat, nout = (size_t)n * k;
		float *in = falloc(nin), *wt = falloc(nw), *bias = falloc(k);
		float *out = falloc(nout), *want = falloc(nout);
		struct gconv_desc d;
		int a, j;

		fill(in, nin, &rs, -1, 1);
		fill(wt, nw, &rs, -1, 1);
		fill(bias, k, &rs, -1, 1);

		gconv_desc_init(&d);
		d.n = n, d.k = k, d.c = c;
		d.combine = GCONV_COMBINE_ADD;
		if (window) {
			d.r = h, d.s = w, d.in_h = h, d.in_w = w;
			gconv_operand_f32(&d.x, 0, nin, feat, 0, 0,
					  (uint64_t)h * w, w, 1);
			gconv_operand_f32(&d.y, 0, nw, 0, 0, feat,
					  (uint64_t)h * w, w, 1);
		} else {
			gconv_operand_f32(&d.x, 0, nin, feat, 0, 0, 1, 0, 0);
			gconv_operand_f32(&d.y, 0, nw, 0, 0, feat, 1, 0, 0);
		}
		gconv_operand_f32(&d.b, 0, k, 0, 0, 1, 0, 0, 0);
		gconv_operand_f32(&d.o, 0, nout, k, 0, 1, 0, 0, 0);
		poison(out, nout);
		run(&d, in, wt, bias, out);

		for (a = 0; a < n; a++)
			for (j = 0; j < k; j++) {
				double acc = 0;

				for (i = 0; i < feat; i++)
					acc += (double)in[a * feat + i] *
					       wt[j * feat + i];
				want[a * k + j] = (float)(acc + bias[j]);
			}
		compare(window ? "fc window" : "fc features", cs, out, want,
			nout);
		free(in);
		free(wt);
		free(bias);
		free(out);
		free(want);
	}
}

TEST(fully_connected_features_on_c)
{
	fc_cases(0x5eed000aULL, 0);
}

TEST(fully_connected_window_covers_input)
{
	fc_cases(0x5eed000bULL, 1);
}

/* ---- broadcasting ---------------------------------------------------- */

/*
 * Element-wise over an N x C x H x W tensor: k walks channels, p and q the
 * plane, with a 1x1 window (R = S = 1).
 */
static void elementwise_desc(struct gconv_desc *d, int n, int ch, int h,
			     int w)
{
	uint64_t count = (uint64_t)n * ch * h * w;

	gconv_desc_init(d);
	d->n = n, d->k = ch, d->p = h, d->q = w, d->in_h = h, d->in_w = w;
	gconv_operand_f32(&d->x, 0, count, (uint64_t)ch * h * w, 0,
			  (uint64_t)h * w, 0, w, 1);
	gconv_operand_f32(&d->o, 0, count, (uint64_t)ch * h * w, 0,
			  (uint64_t)h * w, 0, w, 1);
}

enum bcast {
	BCAST_CHANNEL_Y,	/* x + y[c]: main add, Y k-stride 1 */
	BCAST_SCALAR_Y,		/* x + y[0]: main add, Y strides all 0 */
	BCAST_CHANNEL_B,	/* x + b[c]: combine add */
	BCAST_BATCH_B,		/* x * b[c][h][w]: combine mul, no n */
	BCAST_ROW_B,		/* x - b[w]: combine sub */
};

static void bcast_cases(unsigned long long seed, enum bcast kind,
			const char *what)
{
	unsigned long long rs = seed;
	int cs;

	for (cs = 0; cs < 100; cs++) {
		int n = harness_randint(&rs, 1, 3);
		int ch = harness_randint(&rs, 1, 5);
		int h = harness_randint(&rs, 1, 7);
		int w = harness_randint(&rs, 1, 7);
		size_t count = (size_t)n * ch * h * w;
		size_t nb = (size_t)ch * h * w;	/* enough for any kind */
		float *x = falloc(count), *v = falloc(nb);
		float *out = falloc(count), *want = falloc(count);
		struct gconv_desc d;
		int a, c, i, j;

		fill(x, count, &rs, -1, 1);
		fill(v, nb, &rs, -1, 1);
		elementwise_desc(&d, n, ch, h, w);
		switch (kind) {
		case BCAST_CHANNEL_Y:
			d.main = GCONV_MAIN_ADD;
			gconv_operand_f32(&d.y, 0, ch, 0, 0, 1, 0, 0, 0);
			break;
		case BCAST_SCALAR_Y:
			d.main = GCONV_MAIN_ADD;
			gconv_operand_f32(&d.y, 0, 1, 0, 0, 0, 0, 0, 0);
			break;
		case BCAST_CHANNEL_B:
			d.main = GCONV_MAIN_TAKE_X;
			d.combine = GCONV_COMBINE_ADD;
			gconv_operand_f32(&d.b, 0, ch, 0, 0, 1, 0, 0, 0);
			break;
		case BCAST_BATCH_B:
			d.main = GCONV_MAIN_TAKE_X;
			d.combine = GCONV_COMBINE_MUL;
			gconv_operand_f32(&d.b, 0, nb, 0, 0, (uint64_t)h * w,
					  0, w, 1);
			break;
		case BCAST_ROW_B:
			d.main = GCONV_MAIN_TAKE_X;
			d.combine = GCONV_COMBINE_SUB;
			gconv_operand_f32(&d.b, 0, w, 0, 0, 0, 0, 0, 1);
			break;
		}
		poison(out, count);
		run(&d, x, v, v, out);

		for (a = 0; a < n; a++)
		for (c = 0; c < ch; c++)
		for (i = 0; i < h; i++)
		for (j = 0; j < w; j++) {
			size_t at = (((size_t)a * ch + c) * h + i) * w + j;
			double xv = x[at], r = 0;

			switch (kind) {
			case BCAST_CHANNEL_Y:
			case BCAST_CHANNEL_B:
				r = xv + v[c];
				break;
			case BCAST_SCALAR_Y:
				r = xv + v[0];
				break;
			case BCAST_BATCH_B:
				r = xv * v[((size_t)c * h + i) * w + j];
				break;
			case BCAST_ROW_B:
				r = xv - v[j];
				break;
			}
			want[at] = (float)r;
		}
		compare(what, cs, out, want, count);
		free(x);
		free(v);
		free(out);
		free(want);
	}
}

TEST(broadcast_per_channel_add_through_y)
{
	bcast_cases(0x5eed000cULL, BCAST_CHANNEL_Y, "x + y[c]");
}

TEST(broadcast_scalar_add_through_y)
{
	bcast_cases(0x5eed000dULL, BCAST_SCALAR_Y, "x + scalar");
}

TEST(broadcast_per_channel_add_through_b)
{
	bcast_cases(0x5eed000eULL, BCAST_CHANNEL_B, "x + b[c]");
}

TEST(broadcast_over_batch_mul_through_b)
{
	bcast_cases(0x5eed000fULL, BCAST_BATCH_B, "x * b[c][h][w]");
}

TEST(broadcast_row_sub_through_b)
{
	bcast_cases(0x5eed0010ULL, BCAST_ROW_B, "x - b[w]");
}

/* ---- transposed convolution ------------------------------------------ */

/*
 * ConvTranspose2d (PyTorch conventions): in [n][ci][h][w], weights
 * [ci][co][kh][kw], stride s, padding p, output_padding op, dilation d;
 * out size (h-1)*s - 2p + d*(kh-1) + op + 1.  The reference scatters each
 * input element into the output.
 *
 * As one GCONV: input dilation s (holes of pad value 0), stride 1, kernel
 * dilation d, pad d*(k-1) - p before and d*(k-1) - p + op after, weights
 * flipped in both spatial directions with ci and co swapped by strides.
 */
struct tconv {
	int n, ci, co, h, w, kh, kw, sh, sw, dh, dw, ph, pw, oph, opw;
	int oh, ow;
};

static void rand_tconv(unsigned long long *rs, struct tconv *t)
{
	do {
		t->n = harness_randint(rs, 1, 2);
		t->ci = harness_randint(rs, 1, 3);
		t->co = harness_randint(rs, 1, 3);
		t->h = harness_randint(rs, 1, 7);
		t->w = harness_randint(rs, 1, 7);
		t->kh = harness_randint(rs, 1, 5);
		t->kw = harness_randint(rs, 1, 5);
		t->sh = harness_randint(rs, 1, 3);
		t->sw = harness_randint(rs, 1, 3);
		t->dh = harness_randint(rs, 1, 2);
		t->dw = harness_randint(rs, 1, 2);
		t->ph = harness_randint(rs, 0, t->dh * (t->kh - 1));
		t->pw = harness_randint(rs, 0, t->dw * (t->kw - 1));
		t->oph = harness_randint(rs, 0, t->sh - 1);
		t->opw = harness_randint(rs, 0, t->sw - 1);
		t->oh = (t->h - 1) * t->sh - 2 * t->ph + t->dh * (t->kh - 1) +
			t->oph + 1;
		t->ow = (t->w - 1) * t->sw - 2 * t->pw + t->dw * (t->kw - 1) +
			t->opw + 1;
	} while (t->oh < 1 || t->ow < 1);
}

static void ref_tconv(const struct tconv *t, const float *in, const float *wt,
		      const float *bias, double *out)
{
	size_t nout = (size_t)t->n * t->co * t->oh * t->ow, i;
	int n, ci, ih, iw, co, r, s;

	for (i = 0; i < nout; i++)
		out[i] = bias[(i / ((size_t)t->oh * t->ow)) % t->co];
	for (n = 0; n < t->n; n++)
	for (ci = 0; ci < t->ci; ci++)
	for (ih = 0; ih < t->h; ih++)
	for (iw = 0; iw < t->w; iw++) {
		double v = in[(((size_t)n * t->ci + ci) * t->h + ih) * t->w +
			      iw];

		for (co = 0; co < t->co; co++)
		for (r = 0; r < t->kh; r++)
		for (s = 0; s < t->kw; s++) {
			int oh = ih * t->sh - t->ph + r * t->dh;
			int ow = iw * t->sw - t->pw + s * t->dw;

			if (oh < 0 || oh >= t->oh || ow < 0 || ow >= t->ow)
				continue;
			out[(((size_t)n * t->co + co) * t->oh + oh) * t->ow +
			    ow] += v * wt[(((size_t)ci * t->co + co) * t->kh +
					   r) * t->kw + s];
		}
	}
}

TEST(conv_transpose_via_input_dilation)
{
	unsigned long long rs = 0x5eed0011ULL;
	int cs, stride2 = 0;

	for (cs = 0; cs < 400; cs++) {
		struct tconv t;
		struct gconv_desc d;
		size_t nin, nw, nout;
		float *in, *wt, *flip, *bias, *out, *want;
		double *ref;
		uint64_t khw;
		int ci, co, r, s;

		rand_tconv(&rs, &t);
		stride2 += t.sh == 2 && t.sw == 2;
		nin = (size_t)t.n * t.ci * t.h * t.w;
		nw = (size_t)t.ci * t.co * t.kh * t.kw;
		nout = (size_t)t.n * t.co * t.oh * t.ow;
		in = falloc(nin);
		wt = falloc(nw);
		flip = falloc(nw);
		bias = falloc(t.co);
		out = falloc(nout);
		want = falloc(nout);
		ref = dalloc(nout);
		fill(in, nin, &rs, -1, 1);
		fill(wt, nw, &rs, -1, 1);
		fill(bias, t.co, &rs, -1, 1);
		for (ci = 0; ci < t.ci; ci++)
			for (co = 0; co < t.co; co++)
				for (r = 0; r < t.kh; r++)
					for (s = 0; s < t.kw; s++)
						flip[((ci * t.co + co) * t.kh +
						      r) * t.kw + s] =
							wt[((ci * t.co + co) *
							    t.kh + t.kh - 1 -
							    r) * t.kw +
							   t.kw - 1 - s];

		khw = (uint64_t)t.kh * t.kw;
		gconv_desc_init(&d);
		d.n = t.n, d.k = t.co, d.p = t.oh, d.q = t.ow;
		d.c = t.ci, d.r = t.kh, d.s = t.kw;
		d.in_h = t.h, d.in_w = t.w;
		d.in_dilation_h = t.sh, d.in_dilation_w = t.sw;
		d.dilation_h = t.dh, d.dilation_w = t.dw;
		d.pad_top = t.dh * (t.kh - 1) - t.ph;
		d.pad_bottom = t.dh * (t.kh - 1) - t.ph + t.oph;
		d.pad_left = t.dw * (t.kw - 1) - t.pw;
		d.pad_right = t.dw * (t.kw - 1) - t.pw + t.opw;
		d.combine = GCONV_COMBINE_ADD;
		gconv_operand_f32(&d.x, 0, nin, (uint64_t)t.ci * t.h * t.w, 0,
				  0, (uint64_t)t.h * t.w, t.w, 1);
		/* flip is [ci][co][kh][kw]: k (= co) and c (= ci) swapped */
		gconv_operand_f32(&d.y, 0, nw, 0, 0, khw, t.co * khw, t.kw, 1);
		gconv_operand_f32(&d.b, 0, t.co, 0, 0, 1, 0, 0, 0);
		gconv_operand_f32(&d.o, 0, nout,
				  (uint64_t)t.co * t.oh * t.ow, 0,
				  (uint64_t)t.oh * t.ow, 0, t.ow, 1);
		poison(out, nout);
		run(&d, in, flip, bias, out);

		ref_tconv(&t, in, wt, bias, ref);
		to_float(want, ref, nout);
		compare("conv transpose", cs, out, want, nout);

		free(in);
		free(wt);
		free(flip);
		free(bias);
		free(out);
		free(want);
		free(ref);
	}
	CHECK(stride2 >= 20);
}

/* ---- post operators on a convolution ---------------------------------- */

struct post_case {
	uint8_t op;
	float a, b, c;
	int positive;	/* needs v > 0: positive data and bias */
};

static const struct post_case post_cases[] = {
	{ GCONV_POST_IDENTITY, 0, 0, 0, 0 },
	{ GCONV_POST_RELU, 0, 0, 0, 0 },
	{ GCONV_POST_CLIP, -0.5f, 0.75f, 0, 0 },
	{ GCONV_POST_LEAKY, 0.1f, 0, 0, 0 },
	{ GCONV_POST_SIGMOID, 0, 0, 0, 0 },
	{ GCONV_POST_TANH, 0, 0, 0, 0 },
	{ GCONV_POST_EXP, 0, 0, 0, 0 },
	{ GCONV_POST_LOG, 0, 0, 0, 1 },
	{ GCONV_POST_SQRT, 0, 0, 0, 1 },
	{ GCONV_POST_RSQRT, 0, 0, 0, 1 },
	{ GCONV_POST_RECIP, 0, 0, 0, 1 },
	{ GCONV_POST_POW, 1.5f, 0, 0, 1 },
	{ GCONV_POST_HARD_SIGMOID, 0.2f, 0.5f, 0, 0 },
	{ GCONV_POST_HARD_SWISH, 0, 0, 0, 0 },
	{ GCONV_POST_ELU, 1.0f, 0, 0, 0 },
	{ GCONV_POST_SELU, 1.6732632f, 1.0507010f, 0, 0 },
	{ GCONV_POST_SOFTPLUS, 0, 0, 0, 0 },
	{ GCONV_POST_AFFINE, 0.5f, -0.25f, 0, 0 },
	{ GCONV_POST_AFFINE_POW, 0.5f, 0.25f, 0.75f, 1 },
	{ GCONV_POST_ABS, 0, 0, 0, 0 },
	{ GCONV_POST_NEG, 0, 0, 0, 0 },
};

/* The usual definitions (ONNX operator semantics where they exist). */
static double ref_post(const struct post_case *pc, double v)
{
	double a = pc->a, b = pc->b, c = pc->c;

	switch (pc->op) {
	case GCONV_POST_IDENTITY:
		return v;
	case GCONV_POST_RELU:
		return v > 0 ? v : 0;
	case GCONV_POST_CLIP:
		return v < a ? a : v > b ? b : v;
	case GCONV_POST_LEAKY:
		return v < 0 ? a * v : v;
	case GCONV_POST_SIGMOID:
		return exp(v) / (exp(v) + 1);
	case GCONV_POST_TANH:
		return (exp(2 * v) - 1) / (exp(2 * v) + 1);
	case GCONV_POST_EXP:
		return exp(v);
	case GCONV_POST_LOG:
		return log(v);
	case GCONV_POST_SQRT:
		return sqrt(v);
	case GCONV_POST_RSQRT:
		return pow(v, -0.5);
	case GCONV_POST_RECIP:
		return 1 / v;
	case GCONV_POST_POW:
		return pow(v, a);
	case GCONV_POST_HARD_SIGMOID:
		return fmax(0, fmin(1, a * v + b));
	case GCONV_POST_HARD_SWISH:
		/* x * relu6(x + 3) / 6 */
		return v * fmin(fmax(v + 3, 0), 6) / 6;
	case GCONV_POST_ELU:
		return v < 0 ? a * (exp(v) - 1) : v;
	case GCONV_POST_SELU:
		return v <= 0 ? b * (a * exp(v) - a) : b * v;
	case GCONV_POST_SOFTPLUS:
		return log(exp(v) + 1);
	case GCONV_POST_AFFINE:
		return a * v + b;
	case GCONV_POST_AFFINE_POW:
		return pow(a * v + b, c);
	case GCONV_POST_ABS:
		return v < 0 ? -v : v;
	case GCONV_POST_NEG:
		return -v;
	}
	return NAN;
}

TEST(post_ops_on_conv)
{
	unsigned long long rs = 0x5eed0012ULL;
	size_t i;
	int cs;

	CHECK_EQ_INT(sizeof(post_cases) / sizeof(post_cases[0]),
		     GCONV_POST_COUNT);
	for (i = 0; i < sizeof(post_cases) / sizeof(post_cases[0]); i++) {
		const struct post_case *pc = &post_cases[i];

		CHECK_EQ_INT(pc->op, i);
		for (cs = 0; cs < 20; cs++) {
			struct conv cv;
			struct gconv_desc d;
			float *in, *wt, *bias, *out, *want;
			float lo = pc->positive ? 0.05f : -1.0f;
			double *ref;
			size_t nout, j;

			rand_conv(&rs, &cv, 2, 3, 3);
			nout = conv_out_count(&cv);
			in = falloc(conv_in_count(&cv));
			wt = falloc(conv_w_count(&cv));
			bias = falloc((size_t)cv.g * cv.k);
			out = falloc(nout);
			want = falloc(nout);
			ref = dalloc(nout);
			fill(in, conv_in_count(&cv), &rs, lo, 1);
			fill(wt, conv_w_count(&cv), &rs, lo, 1);
			fill(bias, (size_t)cv.g * cv.k, &rs,
			     pc->positive ? 0.1f : -1.0f, 1);

			conv_desc(&d, &cv, 1, 0);
			d.post = pc->op;
			d.post_param[0] = gconv_f32_bits(pc->a);
			d.post_param[1] = gconv_f32_bits(pc->b);
			d.post_param[2] = gconv_f32_bits(pc->c);
			poison(out, nout);
			run(&d, in, wt, bias, out);

			ref_conv(&cv, in, wt, bias, ref);
			for (j = 0; j < nout; j++)
				want[j] = (float)ref_post(pc, ref[j]);
			compare(gconv_post_name(pc->op), cs, out, want, nout);

			free(in);
			free(wt);
			free(bias);
			free(out);
			free(want);
			free(ref);
		}
	}
}

static const struct test tests[] = {
	T(conv_stride_dilation_asymmetric_pad_batch_bias),
	T(grouped_conv),
	T(depthwise_conv),
	T(nhwc_layout_matches_nchw),
	T(max_pool_pad_neg_inf),
	T(avg_pool_exclude_pad_is_mean_valid),
	T(avg_pool_include_pad_is_mean_padded),
	T(global_avg_pool),
	T(global_max_pool),
	T(fully_connected_features_on_c),
	T(fully_connected_window_covers_input),
	T(broadcast_per_channel_add_through_y),
	T(broadcast_scalar_add_through_y),
	T(broadcast_per_channel_add_through_b),
	T(broadcast_over_batch_mul_through_b),
	T(broadcast_row_sub_through_b),
	T(conv_transpose_via_input_dilation),
	T(post_ops_on_conv),
};

int main(int argc, char **argv)
{
	return HARNESS_MAIN(tests);
}
