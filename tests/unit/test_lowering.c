// SPDX-License-Identifier: MIT
/*
 * The lowering table of docs/gconv-isa.md ("Lowering CNN layers to
 * GCONVs"), row by row.  Each subtest builds the GCONV chain its row
 * describes over one flat float memory, runs it on the golden engine and
 * compares the result with a plain-loop reference of the layer
 * (accumulating in double) on small random shapes from a fixed seed.
 *
 * Where a row cannot work as written, the subtest uses a lowering that
 * does and says so in a comment starting "Table:".  The recurring reason:
 * in an element-wise GCONV (C = R = S = 1, P = H, Q = W) the Y operand is
 * indexed by (n, g, k, c, r, s) with r = s = 0, so Y can follow only the
 * n, g and k output indices, never p and q.  A second operand that varies
 * over the spatial axes must go in B (indexed by n, g, k, p, q) or the
 * contiguous axes must be flattened onto n/g/k.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gconv/engine.h>

#include "../harness.h"

#define RTOL 1e-5
#define ATOL 1e-6

#define MEM_FLOATS	(1u << 16)	/* the memory every chain runs on */
#define REF_MAX		(1u << 14)	/* doubles per reference */

static float g_mem[MEM_FLOATS];
static size_t g_used;			/* floats handed out from g_mem */
static struct gconv_chain_builder g_cb;
static unsigned long long g_rng;
static char g_ctx[192];			/* shape of the current trial */
static double g_ref[REF_MAX], g_ref2[REF_MAX], g_tmp[REF_MAX];

/* ---- memory, tensors and operands ------------------------------------ */

/* A run of floats in g_mem; operand addresses are byte offsets into it. */
struct tensor {
	size_t off;
	size_t len;
};

/* Start a new trial: empty memory, empty chain. */
static void reset(void)
{
	memset(g_mem, 0, g_used * sizeof(float));
	g_used = 0;
	gconv_chain_builder_free(&g_cb);
	g_ctx[0] = '\0';
}

/* Start a subtest: fixed seed, then a fresh trial. */
static void begin(unsigned long long seed)
{
	g_rng = seed;
	reset();
}

static void ctx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void ctx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(g_ctx, sizeof(g_ctx), fmt, ap);
	va_end(ap);
}

static int ri(int lo, int hi)
{
	return harness_randint(&g_rng, lo, hi);
}

/* Uniform in [lo, hi). */
static float rnd(float lo, float hi)
{
	return lo + (hi - lo) * (harness_randf(&g_rng) + 1.0f) * 0.5f;
}

/* Row-major offset of (i0, i1, i2, i3) in a [.][d1][d2][d3] array. */
static int ix4(int i0, int i1, int i2, int i3, int d1, int d2, int d3)
{
	return ((i0 * d1 + i1) * d2 + i2) * d3 + i3;
}

static float *tp(struct tensor t)
{
	return g_mem + t.off;
}

/* A zero-filled tensor of @len floats. */
static struct tensor t_new(size_t len)
{
	struct tensor t = { g_used, len };

	if (len > MEM_FLOATS - g_used)
		FAILF("test memory exhausted (%zu more floats)", len);
	g_used += len;
	return t;
}

static struct tensor t_rand(size_t len, float lo, float hi)
{
	struct tensor t = t_new(len);
	size_t i;

	for (i = 0; i < len; i++)
		tp(t)[i] = rnd(lo, hi);
	return t;
}

/* Values with 0.5 <= |v| < 1.5: safe divisors. */
static struct tensor t_away(size_t len)
{
	struct tensor t = t_new(len);
	size_t i;

	for (i = 0; i < len; i++)
		tp(t)[i] = (ri(0, 1) ? 1.0f : -1.0f) * rnd(0.5f, 1.5f);
	return t;
}

/* The part of @t from element @at on (a slice for concat). */
static struct tensor t_at(struct tensor t, size_t at)
{
	t.off += at;
	t.len -= at;
	return t;
}

/* An fp32 operand over @t; its extent is exactly the tensor. */
static void opnd(struct gconv_operand *op, struct tensor t, uint64_t sn,
		 uint64_t sg, uint64_t sk, uint64_t sc, uint64_t srow,
		 uint64_t scol)
{
	gconv_operand_f32(op, (uint64_t)t.off * sizeof(float), t.len, sn, sg,
			  sk, sc, srow, scol);
}

/* An element-wise operand over an NCHW tensor: (n, k, p, q) = (n, c, h, w). */
static void opnd_nchw(struct gconv_operand *op, struct tensor t, int c, int h,
		      int w)
{
	opnd(op, t, (uint64_t)c * h * w, 0, (uint64_t)h * w, 0, w, 1);
}

/* "Element-wise over T": K = channels, P = H, Q = W, C = R = S = 1. */
static void ew_dims(struct gconv_desc *d, int n, int c, int h, int w)
{
	d->n = n;
	d->k = c;
	d->p = h;
	d->q = w;
	d->in_h = h;
	d->in_w = w;
}

static void set_post(struct gconv_desc *d, uint8_t op, float a, float b,
		     float c)
{
	d->post = op;
	d->post_param[0] = gconv_f32_bits(a);
	d->post_param[1] = gconv_f32_bits(b);
	d->post_param[2] = gconv_f32_bits(c);
}

static void add(const struct gconv_desc *d)
{
	CHECK_EQ_INT(gconv_chain_append(&g_cb, d), 0);
}

/* Encode the chain built so far and run it over the used memory. */
static void run_chain(void)
{
	struct gconv_verror err = { 0 };
	char msg[192];
	size_t len;
	void *buf;
	int ret;

	ret = gconv_chain_encode(&g_cb, &buf, &len);
	gconv_chain_builder_free(&g_cb);
	CHECK_EQ_INT(ret, 0);
	ret = gconv_golden_run_chain(buf, len, g_mem, g_used * sizeof(float),
				     &err);
	free(buf);
	if (ret == -EINVAL) {
		gconv_verror_format(&err, msg, sizeof(msg));
		FAILF("chain rejected (%s): %s", g_ctx, msg);
	}
	CHECK_EQ_INT(ret, 0);
}

static void check_out(struct tensor t, const double *ref, size_t count,
		      const char *name, int line)
{
	size_t i;

	if (count > t.len)
		FAILF("%s (line %d): %zu elements compared, %zu allocated",
		      name, line, count, t.len);
	for (i = 0; i < count; i++) {
		double got = g_mem[t.off + i];

		if (!harness_close(got, ref[i], RTOL, ATOL))
			FAILF("%s[%zu] (line %d; %s): expected %.9g, got %.9g",
			      name, i, line, g_ctx, ref[i], got);
	}
}

/* Compare the first @count elements of tensor @t with doubles @ref. */
#define CHECK_OUT(t, ref, count) \
	check_out((t), (ref), (size_t)(count), #t, __LINE__)

/* ---- convolution: shapes, reference, and the table's descriptor ----- */

struct conv {
	int n, g, c, h, w;	/* c: input channels per group */
	int k, r, s;		/* k: output channels per group */
	int sh, sw, dh, dw;
	int pt, pb, pl, pr;
	int p, q;
};

/* Textbook output size: floor((in + pads - dil * (k - 1) - 1) / st) + 1. */
static int conv_out(int in, int pa, int pb, int k, int st, int dil)
{
	int span = in + pa + pb - dil * (k - 1) - 1;

	return span < 0 ? 0 : span / st + 1;
}

static void conv_random(struct conv *cv, int g, int cmax, int kmax)
{
	do {
		cv->n = ri(1, 2);
		cv->g = g;
		cv->c = ri(1, cmax);
		cv->k = ri(1, kmax);
		cv->h = ri(3, 7);
		cv->w = ri(3, 7);
		cv->r = ri(1, 3);
		cv->s = ri(1, 3);
		cv->sh = ri(1, 2);
		cv->sw = ri(1, 2);
		cv->dh = ri(1, 2);
		cv->dw = ri(1, 2);
		cv->pt = ri(0, 2);
		cv->pb = ri(0, 2);
		cv->pl = ri(0, 2);
		cv->pr = ri(0, 2);
		cv->p = conv_out(cv->h, cv->pt, cv->pb, cv->r, cv->sh, cv->dh);
		cv->q = conv_out(cv->w, cv->pl, cv->pr, cv->s, cv->sw, cv->dw);
	} while (cv->p < 1 || cv->q < 1);
	ctx("N=%d G=%d C=%d H=%d W=%d K=%d R=%d S=%d stride=%d,%d dil=%d,%d "
	    "pads=%d,%d,%d,%d P=%d Q=%d",
	    cv->n, cv->g, cv->c, cv->h, cv->w, cv->k, cv->r, cv->s, cv->sh,
	    cv->sw, cv->dh, cv->dw, cv->pt, cv->pb, cv->pl, cv->pr, cv->p,
	    cv->q);
}

static int conv_in_len(const struct conv *cv)
{
	return cv->n * cv->g * cv->c * cv->h * cv->w;
}

static int conv_w_len(const struct conv *cv)
{
	return cv->g * cv->k * cv->c * cv->r * cv->s;
}

static int conv_out_len(const struct conv *cv)
{
	return cv->n * cv->g * cv->k * cv->p * cv->q;
}

/*
 * Direct convolution: x NCHW with G*C channels, wt [G*K][C][R][S], bias
 * [G*K] or NULL; out NCHW [N][G*K][P][Q].
 */
static void ref_conv(const struct conv *cv, const float *x, const float *wt,
		     const float *bias, double *out)
{
	int cin = cv->g * cv->c, cout = cv->g * cv->k;
	int n, g, k, p, q, c, r, s;

	for (n = 0; n < cv->n; n++)
	for (g = 0; g < cv->g; g++)
	for (k = 0; k < cv->k; k++)
	for (p = 0; p < cv->p; p++)
	for (q = 0; q < cv->q; q++) {
		int oc = g * cv->k + k;
		double acc = bias ? bias[oc] : 0.0;

		for (c = 0; c < cv->c; c++)
		for (r = 0; r < cv->r; r++)
		for (s = 0; s < cv->s; s++) {
			int h = p * cv->sh + r * cv->dh - cv->pt;
			int w = q * cv->sw + s * cv->dw - cv->pl;
			int ic = g * cv->c + c;

			if (h < 0 || h >= cv->h || w < 0 || w >= cv->w)
				continue;
			acc += (double)x[ix4(n, ic, h, w, cin, cv->h, cv->w)] *
			       wt[ix4(oc, c, r, s, cv->c, cv->r, cv->s)];
		}
		out[ix4(n, oc, p, q, cout, cv->p, cv->q)] = acc;
	}
}

/*
 * The Convolution / Grouped convolution rows, NCHW:
 * X (G*C*H*W, C*H*W, 0, H*W, W, 1), Y (0, K*C*R*S, C*R*S, R*S, S, 1),
 * B (0, K, 1, 0, 0, 0), O (G*K*P*Q, K*P*Q, P*Q, 0, Q, 1).
 */
static void conv_desc(struct gconv_desc *d, const struct conv *cv,
		      struct tensor x, struct tensor wt,
		      const struct tensor *bias, struct tensor o)
{
	uint64_t hw = (uint64_t)cv->h * cv->w, pq = (uint64_t)cv->p * cv->q;
	uint64_t crs = (uint64_t)cv->c * cv->r * cv->s;

	gconv_desc_init(d);
	d->n = cv->n;
	d->g = cv->g;
	d->k = cv->k;
	d->p = cv->p;
	d->q = cv->q;
	d->c = cv->c;
	d->r = cv->r;
	d->s = cv->s;
	d->in_h = cv->h;
	d->in_w = cv->w;
	d->stride_h = cv->sh;
	d->stride_w = cv->sw;
	d->dilation_h = cv->dh;
	d->dilation_w = cv->dw;
	d->pad_top = cv->pt;
	d->pad_bottom = cv->pb;
	d->pad_left = cv->pl;
	d->pad_right = cv->pr;
	d->pad_value = gconv_f32_bits(0.0f);
	d->main = GCONV_MAIN_MUL;
	d->reduce = GCONV_REDUCE_SUM;
	opnd(&d->x, x, cv->g * cv->c * hw, cv->c * hw, 0, hw, cv->w, 1);
	opnd(&d->y, wt, 0, cv->k * crs, crs, (uint64_t)cv->r * cv->s, cv->s,
	     1);
	if (bias) {
		d->combine = GCONV_COMBINE_ADD;
		opnd(&d->b, *bias, 0, cv->k, 1, 0, 0, 0);
	}
	opnd(&d->o, o, cv->g * cv->k * pq, cv->k * pq, pq, 0, cv->q, 1);
}

/* ---- convolution rows ------------------------------------------------ */

/*
 * Convolution: the row's NCHW strides, and the same convolution in NHWC
 * (weights [K][R][S][C]) where only the strides change, with a fused ReLU.
 */
TEST(lower_conv_nhwc_layout)
{
	int trial;

	begin(0x1001);
	for (trial = 0; trial < 6; trial++) {
		struct tensor x, wt, bias, o, xh, wh, oh;
		struct gconv_desc d;
		struct conv cv;
		int N, C, H, W, K, R, S, P, Q, n, c, h, w, k, r, s, p, q;

		reset();
		conv_random(&cv, 1, 3, 4);
		N = cv.n, C = cv.c, H = cv.h, W = cv.w, K = cv.k;
		R = cv.r, S = cv.s, P = cv.p, Q = cv.q;
		x = t_rand(conv_in_len(&cv), -1, 1);
		wt = t_rand(conv_w_len(&cv), -1, 1);
		bias = t_rand(K, -1, 1);
		o = t_new(conv_out_len(&cv));
		xh = t_new(conv_in_len(&cv));
		wh = t_new(conv_w_len(&cv));
		oh = t_new(conv_out_len(&cv));
		for (n = 0; n < N; n++)
		for (c = 0; c < C; c++)
		for (h = 0; h < H; h++)
		for (w = 0; w < W; w++)
			tp(xh)[ix4(n, h, w, c, H, W, C)] =
				tp(x)[ix4(n, c, h, w, C, H, W)];
		for (k = 0; k < K; k++)
		for (c = 0; c < C; c++)
		for (r = 0; r < R; r++)
		for (s = 0; s < S; s++)
			tp(wh)[ix4(k, r, s, c, R, S, C)] =
				tp(wt)[ix4(k, c, r, s, C, R, S)];

		/* 0: the row as written (NCHW) */
		conv_desc(&d, &cv, x, wt, &bias, o);
		add(&d);
		/* 1: NHWC: X (HWC, 0, 0, 1, WC, C), Y (0, 0, RSC, 1, SC, C),
		 * O (PQK, 0, 1, 0, QK, K); fused activation in post */
		conv_desc(&d, &cv, xh, wh, &bias, oh);
		opnd(&d.x, xh, H * W * C, 0, 0, 1, W * C, C);
		opnd(&d.y, wh, 0, 0, R * S * C, 1, S * C, C);
		opnd(&d.o, oh, P * Q * K, 0, 1, 0, Q * K, K);
		d.post = GCONV_POST_RELU;
		add(&d);
		run_chain();

		ref_conv(&cv, tp(x), tp(wt), tp(bias), g_ref);
		CHECK_OUT(o, g_ref, conv_out_len(&cv));
		for (n = 0; n < N; n++)
		for (k = 0; k < K; k++)
		for (p = 0; p < P; p++)
		for (q = 0; q < Q; q++)
			g_ref2[ix4(n, p, q, k, P, Q, K)] =
				fmax(g_ref[ix4(n, k, p, q, K, P, Q)], 0.0);
		CHECK_OUT(oh, g_ref2, conv_out_len(&cv));
	}
}

TEST(lower_grouped_conv)
{
	int trial;

	begin(0x1002);
	for (trial = 0; trial < 6; trial++) {
		struct tensor x, wt, bias, o;
		struct gconv_desc d;
		struct conv cv;

		reset();
		conv_random(&cv, ri(2, 3), 3, 3);
		x = t_rand(conv_in_len(&cv), -1, 1);
		wt = t_rand(conv_w_len(&cv), -1, 1);
		bias = t_rand(cv.g * cv.k, -1, 1);
		o = t_new(conv_out_len(&cv));
		conv_desc(&d, &cv, x, wt, &bias, o);
		add(&d);
		run_chain();
		ref_conv(&cv, tp(x), tp(wt), tp(bias), g_ref);
		CHECK_OUT(o, g_ref, conv_out_len(&cv));
	}
}

TEST(lower_depthwise_conv)
{
	int trial;

	begin(0x1003);
	for (trial = 0; trial < 6; trial++) {
		struct tensor x, wt, bias, o;
		struct gconv_desc d;
		struct conv cv;

		reset();
		/* grouped with G = channels, C = K = 1 */
		conv_random(&cv, ri(2, 6), 1, 1);
		CHECK_EQ_INT(cv.c, 1);
		CHECK_EQ_INT(cv.k, 1);
		x = t_rand(conv_in_len(&cv), -1, 1);
		wt = t_rand(conv_w_len(&cv), -1, 1);
		bias = t_rand(cv.g, -1, 1);
		o = t_new(conv_out_len(&cv));
		conv_desc(&d, &cv, x, wt, &bias, o);
		if (trial & 1)
			d.post = GCONV_POST_RELU;
		add(&d);
		run_chain();
		ref_conv(&cv, tp(x), tp(wt), tp(bias), g_ref);
		if (trial & 1) {
			int i;

			for (i = 0; i < conv_out_len(&cv); i++)
				g_ref[i] = fmax(g_ref[i], 0.0);
		}
		CHECK_OUT(o, g_ref, conv_out_len(&cv));
	}
}

/* ---- fully connected, Gemm, MatMul ---------------------------------- */

/*
 * Fully connected on an NCHW input, both forms of the row: the window
 * covers the input (c = C, R = in_h, S = in_w) and P = Q = R = S = 1 with
 * the C*H*W features on c.
 */
TEST(lower_fc_as_full_window)
{
	int trial;

	begin(0x1004);
	for (trial = 0; trial < 5; trial++) {
		struct tensor x, wt, bias, o1, o2;
		struct gconv_desc d;
		int N, C, H, W, J, F, n, j, f;

		reset();
		N = ri(1, 3), C = ri(1, 4), H = ri(1, 4), W = ri(1, 4);
		J = ri(1, 6), F = C * H * W;
		ctx("N=%d C=%d H=%d W=%d J=%d", N, C, H, W, J);
		x = t_rand(N * F, -1, 1);
		wt = t_rand(J * F, -1, 1);	/* [J][C][H][W] */
		bias = t_rand(J, -1, 1);
		o1 = t_new(N * J);
		o2 = t_new(N * J);

		gconv_desc_init(&d);
		d.n = N, d.k = J, d.c = C, d.r = H, d.s = W;
		d.in_h = H, d.in_w = W;
		d.combine = GCONV_COMBINE_ADD;
		opnd(&d.x, x, F, 0, 0, H * W, W, 1);
		opnd(&d.y, wt, 0, 0, F, H * W, W, 1);
		opnd(&d.b, bias, 0, 0, 1, 0, 0, 0);
		opnd(&d.o, o1, J, 0, 1, 0, 0, 0);
		add(&d);

		gconv_desc_init(&d);
		d.n = N, d.k = J, d.c = F;
		d.combine = GCONV_COMBINE_ADD;
		opnd(&d.x, x, F, 0, 0, 1, 0, 0);
		opnd(&d.y, wt, 0, 0, F, 1, 0, 0);
		opnd(&d.b, bias, 0, 0, 1, 0, 0, 0);
		opnd(&d.o, o2, J, 0, 1, 0, 0, 0);
		add(&d);
		run_chain();

		for (n = 0; n < N; n++)
			for (j = 0; j < J; j++) {
				double acc = tp(bias)[j];

				for (f = 0; f < F; f++)
					acc += (double)tp(x)[n * F + f] *
					       tp(wt)[j * F + f];
				g_ref[n * J + j] = acc;
			}
		CHECK_OUT(o1, g_ref, N * J);
		CHECK_OUT(o2, g_ref, N * J);
	}
}

/*
 * Gemm(A [M, Kd], B [N, Kd], C, alpha, beta, transB = 1):
 *   0: C [M, N]: the row: alpha folded into Y and beta*C into B at compile
 *      time, combine = add;
 *   1: the same with C [N] broadcast over the rows (zero n-stride);
 *   2: no C: post = affine(alpha, 0);
 *   3: C a run-time tensor (cannot be pre-scaled by beta):
 *      pre = affine(alpha/beta, 0), combine = add, post = affine(beta, 0).
 */
TEST(lower_gemm_trans_b_alpha_beta)
{
	int variant, trial;

	begin(0x1005);
	for (variant = 0; variant < 4; variant++)
	for (trial = 0; trial < 3; trial++) {
		struct tensor a, bm, cm, o, ys, bs;
		int M, KD, NN, crow, m, j, i;
		struct gconv_desc d;
		float alpha, beta;

		reset();
		M = ri(1, 5), KD = ri(1, 6), NN = ri(1, 5);
		alpha = rnd(0.3f, 2.0f) * (ri(0, 1) ? 1 : -1);
		beta = rnd(0.3f, 1.7f) * (ri(0, 1) ? 1 : -1);
		crow = variant == 1 ? 0 : NN;
		ctx("variant %d M=%d K=%d N=%d alpha=%g beta=%g", variant, M,
		    KD, NN, alpha, beta);
		a = t_rand(M * KD, -1, 1);
		bm = t_rand(NN * KD, -1, 1);	/* transB: stored [N][Kd] */
		cm = t_rand(variant == 1 ? NN : M * NN, -1, 1);
		o = t_new(M * NN);

		gconv_desc_init(&d);
		d.n = M, d.k = NN, d.c = KD;
		opnd(&d.x, a, KD, 0, 0, 1, 0, 0);
		switch (variant) {
		case 0:
		case 1:
			ys = t_new(bm.len);
			for (i = 0; i < (int)bm.len; i++)
				tp(ys)[i] = alpha * tp(bm)[i];
			bs = t_new(cm.len);
			for (i = 0; i < (int)cm.len; i++)
				tp(bs)[i] = beta * tp(cm)[i];
			opnd(&d.y, ys, 0, 0, KD, 1, 0, 0);
			d.combine = GCONV_COMBINE_ADD;
			opnd(&d.b, bs, crow, 0, 1, 0, 0, 0);
			break;
		case 2:
			opnd(&d.y, bm, 0, 0, KD, 1, 0, 0);
			set_post(&d, GCONV_POST_AFFINE, alpha, 0, 0);
			break;
		default:
			opnd(&d.y, bm, 0, 0, KD, 1, 0, 0);
			d.pre = GCONV_PRE_AFFINE;
			d.pre_param[0] = gconv_f32_bits(alpha / beta);
			d.pre_param[1] = gconv_f32_bits(0.0f);
			d.combine = GCONV_COMBINE_ADD;
			opnd(&d.b, cm, NN, 0, 1, 0, 0, 0);
			set_post(&d, GCONV_POST_AFFINE, beta, 0, 0);
			break;
		}
		opnd(&d.o, o, NN, 0, 1, 0, 0, 0);
		add(&d);
		run_chain();

		for (m = 0; m < M; m++)
			for (j = 0; j < NN; j++) {
				double acc = 0;

				for (i = 0; i < KD; i++)
					acc += (double)tp(a)[m * KD + i] *
					       tp(bm)[j * KD + i];
				acc *= alpha;
				if (variant != 2)
					acc += (double)beta *
					       tp(cm)[m * crow + j];
				g_ref[m * NN + j] = acc;
			}
		CHECK_OUT(o, g_ref, M * NN);
	}
}

/*
 * MatMul(A [Bt, M, Kd], B [Bt, Kd, N] or [Kd, N]): the rows of A on the
 * p slot (X row-stride Kd, in_h = M), the batch on n, N on k, Kd on c.
 */
TEST(lower_matmul_rows_on_p)
{
	int trial;

	begin(0x1006);
	for (trial = 0; trial < 6; trial++) {
		int BT, M, KD, NN, bc, b, m, j, i;
		struct tensor a, bm, o;
		struct gconv_desc d;

		reset();
		BT = ri(1, 3), M = ri(1, 5), KD = ri(1, 5), NN = ri(1, 5);
		bc = trial & 1;		/* B broadcast over the batch */
		ctx("Bt=%d M=%d K=%d N=%d bcast=%d", BT, M, KD, NN, bc);
		a = t_rand(BT * M * KD, -1, 1);
		bm = t_rand((bc ? 1 : BT) * KD * NN, -1, 1);
		o = t_new(BT * M * NN);

		gconv_desc_init(&d);
		d.n = BT, d.k = NN, d.p = M, d.c = KD, d.in_h = M;
		opnd(&d.x, a, M * KD, 0, 0, 1, KD, 0);
		opnd(&d.y, bm, bc ? 0 : KD * NN, 0, 1, NN, 0, 0);
		opnd(&d.o, o, M * NN, 0, 1, 0, NN, 0);
		add(&d);
		run_chain();

		for (b = 0; b < BT; b++)
			for (m = 0; m < M; m++)
				for (j = 0; j < NN; j++) {
					const float *bb = tp(bm) +
						(bc ? 0 : b * KD * NN);
					double acc = 0;

					for (i = 0; i < KD; i++)
						acc += (double)
						tp(a)[(b * M + m) * KD + i] *
						bb[i * NN + j];
					g_ref[(b * M + m) * NN + j] = acc;
				}
		CHECK_OUT(o, g_ref, BT * M * NN);
	}
}

/* ---- pooling ---------------------------------------------------------- */

struct pool {
	int n, c, h, w, kh, kw, sh, sw, dh, dw, pt, pb, pl, pr, p, q;
	int p_floor, q_floor;
};

/*
 * ceil_mode output size as ONNX and PyTorch compute it: ceil instead of
 * floor, but the last window must start inside the input or the leading
 * padding.
 */
static int pool_out_ceil(int in, int pa, int pb, int k, int st, int dil)
{
	int span = in + pa + pb - dil * (k - 1) - 1;
	int out;

	if (span < 0)
		return 0;
	out = (span + st - 1) / st + 1;
	if ((out - 1) * st >= in + pa)
		out--;
	return out;
}

/* A ceil_mode pooling whose P and Q both exceed the floor formula. */
static void pool_random(struct pool *pl, int dilate)
{
	do {
		pl->n = ri(1, 2);
		pl->c = ri(1, 3);
		pl->h = ri(3, 9);
		pl->w = ri(3, 9);
		pl->kh = ri(2, 3);
		pl->kw = ri(2, 3);
		pl->sh = ri(2, 3);
		pl->sw = ri(2, 3);
		pl->dh = dilate ? ri(1, 2) : 1;
		pl->dw = dilate ? ri(1, 2) : 1;
		pl->pt = ri(0, pl->kh / 2);
		pl->pb = ri(0, pl->kh / 2);
		pl->pl = ri(0, pl->kw / 2);
		pl->pr = ri(0, pl->kw / 2);
		pl->p = pool_out_ceil(pl->h, pl->pt, pl->pb, pl->kh, pl->sh,
				      pl->dh);
		pl->q = pool_out_ceil(pl->w, pl->pl, pl->pr, pl->kw, pl->sw,
				      pl->dw);
		pl->p_floor = conv_out(pl->h, pl->pt, pl->pb, pl->kh, pl->sh,
				       pl->dh);
		pl->q_floor = conv_out(pl->w, pl->pl, pl->pr, pl->kw, pl->sw,
				       pl->dw);
	} while (pl->p <= pl->p_floor || pl->q <= pl->q_floor);
	ctx("N=%d C=%d H=%d W=%d k=%dx%d stride=%d,%d dil=%d,%d "
	    "pads=%d,%d,%d,%d P=%d Q=%d (floor %d, %d)",
	    pl->n, pl->c, pl->h, pl->w, pl->kh, pl->kw, pl->sh, pl->sw, pl->dh,
	    pl->dw, pl->pt, pl->pb, pl->pl, pl->pr, pl->p, pl->q, pl->p_floor,
	    pl->q_floor);
}

/* Pooling descriptor: take-x, channels on k, the window on r, s. */
static void pool_desc(struct gconv_desc *d, const struct pool *pl,
		      struct tensor x, struct tensor o, uint8_t reduce,
		      float pad)
{
	gconv_desc_init(d);
	d->n = pl->n;
	d->k = pl->c;
	d->p = pl->p;
	d->q = pl->q;
	d->r = pl->kh;
	d->s = pl->kw;
	d->in_h = pl->h;
	d->in_w = pl->w;
	d->stride_h = pl->sh;
	d->stride_w = pl->sw;
	d->dilation_h = pl->dh;
	d->dilation_w = pl->dw;
	d->pad_top = pl->pt;
	d->pad_bottom = pl->pb;
	d->pad_left = pl->pl;
	d->pad_right = pl->pr;
	d->pad_value = gconv_f32_bits(pad);
	d->main = GCONV_MAIN_TAKE_X;
	d->reduce = reduce;
	opnd_nchw(&d->x, x, pl->c, pl->h, pl->w);
	opnd_nchw(&d->o, o, pl->c, pl->p, pl->q);
}

/* MaxPool, ceil_mode = 1: the extra windows run past the input, where the
 * taps read -inf. */
TEST(lower_maxpool_ceil_mode)
{
	int trial;

	begin(0x1007);
	for (trial = 0; trial < 8; trial++) {
		int n, c, p, q, r, s, len;
		struct gconv_desc d;
		struct tensor x, o;
		struct pool pl;

		reset();
		pool_random(&pl, 1);
		CHECK(pl.p > pl.p_floor && pl.q > pl.q_floor);
		/* the last window reads beyond the input */
		CHECK((pl.p - 1) * pl.sh + (pl.kh - 1) * pl.dh - pl.pt >= pl.h);
		len = pl.n * pl.c * pl.p * pl.q;
		x = t_rand(pl.n * pl.c * pl.h * pl.w, -1, 1);
		o = t_new(len);
		pool_desc(&d, &pl, x, o, GCONV_REDUCE_MAX, -INFINITY);
		add(&d);
		run_chain();

		for (n = 0; n < pl.n; n++)
		for (c = 0; c < pl.c; c++)
		for (p = 0; p < pl.p; p++)
		for (q = 0; q < pl.q; q++) {
			double m = -INFINITY;

			for (r = 0; r < pl.kh; r++)
			for (s = 0; s < pl.kw; s++) {
				int h = p * pl.sh + r * pl.dh - pl.pt;
				int w = q * pl.sw + s * pl.dw - pl.pl;

				if (h >= 0 && h < pl.h && w >= 0 && w < pl.w)
					m = fmax(m, tp(x)[ix4(n, c, h, w, pl.c,
							      pl.h, pl.w)]);
			}
			g_ref[ix4(n, c, p, q, pl.c, pl.p, pl.q)] = m;
		}
		CHECK_OUT(o, g_ref, len);
	}
}

/*
 * AveragePool, ceil_mode = 1: count_include_pad = 1 is mean-padded (the
 * divisor counts the declared pads but not the positions beyond them
 * that ceil_mode adds, as ONNX and PyTorch do); count_include_pad = 0 is
 * mean-valid.
 */
TEST(lower_avgpool_count_include_pad)
{
	int trial, beyond = 0;

	begin(0x1008);
	for (trial = 0; trial < 8; trial++) {
		int n, c, p, q, r, s, len;
		struct tensor x, o1, o0;
		struct gconv_desc d;
		struct pool pl;

		reset();
		pool_random(&pl, 0);
		len = pl.n * pl.c * pl.p * pl.q;
		x = t_rand(pl.n * pl.c * pl.h * pl.w, -1, 1);
		o1 = t_new(len);
		o0 = t_new(len);
		pool_desc(&d, &pl, x, o1, GCONV_REDUCE_MEAN_PADDED, 0.0f);
		add(&d);
		pool_desc(&d, &pl, x, o0, GCONV_REDUCE_MEAN_VALID, 0.0f);
		add(&d);
		run_chain();

		for (n = 0; n < pl.n; n++)
		for (c = 0; c < pl.c; c++)
		for (p = 0; p < pl.p; p++)
		for (q = 0; q < pl.q; q++) {
			int valid = 0, padded = 0, i;
			double sum = 0;

			for (r = 0; r < pl.kh; r++)
			for (s = 0; s < pl.kw; s++) {
				int h = p * pl.sh + r - pl.pt;
				int w = q * pl.sw + s - pl.pl;

				if (h >= -pl.pt && h < pl.h + pl.pb &&
				    w >= -pl.pl && w < pl.w + pl.pr)
					padded++;
				if (h >= 0 && h < pl.h && w >= 0 && w < pl.w) {
					sum += tp(x)[ix4(n, c, h, w, pl.c,
							 pl.h, pl.w)];
					valid++;
				}
			}
			if (padded < pl.kh * pl.kw)
				beyond++;
			i = ix4(n, c, p, q, pl.c, pl.p, pl.q);
			g_ref[i] = padded ? sum / padded : 0.0;
			g_ref2[i] = valid ? sum / valid : 0.0;
		}
		CHECK_OUT(o1, g_ref, len);
		CHECK_OUT(o0, g_ref2, len);
	}
	/* some windows did reach beyond the declared padding */
	CHECK(beyond > 0);
}

TEST(lower_global_avg_and_max_pool)
{
	int trial;

	begin(0x1009);
	for (trial = 0; trial < 5; trial++) {
		struct tensor x, omax, oavg;
		int N, C, H, W, n, c, i;
		struct gconv_desc d;

		reset();
		N = ri(1, 2), C = ri(1, 4), H = ri(1, 6), W = ri(1, 6);
		ctx("N=%d C=%d H=%d W=%d", N, C, H, W);
		x = t_rand(N * C * H * W, -1, 1);
		omax = t_new(N * C);
		oavg = t_new(N * C);

		gconv_desc_init(&d);
		d.n = N, d.k = C, d.r = H, d.s = W, d.in_h = H, d.in_w = W;
		d.main = GCONV_MAIN_TAKE_X;
		d.reduce = GCONV_REDUCE_MAX;
		d.pad_value = gconv_f32_bits(-INFINITY);
		opnd_nchw(&d.x, x, C, H, W);
		opnd(&d.o, omax, C, 0, 1, 0, 0, 0);
		add(&d);
		d.reduce = GCONV_REDUCE_MEAN_ALL;
		d.pad_value = 0;
		opnd(&d.o, oavg, C, 0, 1, 0, 0, 0);
		add(&d);
		run_chain();

		for (n = 0; n < N; n++)
			for (c = 0; c < C; c++) {
				const float *xc = tp(x) + (n * C + c) * H * W;
				double m = -INFINITY, sum = 0;

				for (i = 0; i < H * W; i++) {
					m = fmax(m, xc[i]);
					sum += xc[i];
				}
				g_ref[n * C + c] = m;
				g_ref2[n * C + c] = sum / (H * W);
			}
		CHECK_OUT(omax, g_ref, N * C);
		CHECK_OUT(oavg, g_ref2, N * C);
	}
}

/* ---- activations and normalisations --------------------------------- */

/* PReLU: element-wise main = prelu, the slope [C, 1, 1] on Y's k-stride,
 * and a single shared slope with all-zero strides. */
TEST(lower_prelu_per_channel)
{
	int trial;

	begin(0x100a);
	for (trial = 0; trial < 5; trial++) {
		struct tensor x, slope, one, o1, o2;
		int N, C, H, W, n, c, i, e;
		struct gconv_desc d;

		reset();
		N = ri(1, 2), C = ri(1, 4), H = ri(1, 5), W = ri(1, 5);
		e = N * C * H * W;
		ctx("N=%d C=%d H=%d W=%d", N, C, H, W);
		x = t_rand(e, -1, 1);
		slope = t_rand(C, -1, 1);
		one = t_rand(1, -1, 1);
		o1 = t_new(e);
		o2 = t_new(e);

		gconv_desc_init(&d);
		ew_dims(&d, N, C, H, W);
		d.main = GCONV_MAIN_PRELU;
		opnd_nchw(&d.x, x, C, H, W);
		opnd(&d.y, slope, 0, 0, 1, 0, 0, 0);
		opnd_nchw(&d.o, o1, C, H, W);
		add(&d);
		opnd(&d.y, one, 0, 0, 0, 0, 0, 0);
		opnd_nchw(&d.o, o2, C, H, W);
		add(&d);
		run_chain();

		for (n = 0; n < N; n++)
			for (c = 0; c < C; c++)
				for (i = 0; i < H * W; i++) {
					int at = (n * C + c) * H * W + i;
					double v = tp(x)[at];

					g_ref[at] = v >= 0 ? v :
						    v * tp(slope)[c];
					g_ref2[at] = v >= 0 ? v :
						     v * tp(one)[0];
				}
		CHECK_OUT(o1, g_ref, e);
		CHECK_OUT(o2, g_ref2, e);
	}
}

struct bn {
	struct tensor gamma, beta, mean, var;
	float eps;
};

static void bn_random(struct bn *bn, int c)
{
	bn->gamma = t_rand(c, -1.5f, 1.5f);
	bn->beta = t_rand(c, -1, 1);
	bn->mean = t_rand(c, -1, 1);
	bn->var = t_rand(c, 0.1f, 1.5f);
	bn->eps = 1e-5f;
}

/* What the compiler computes once: the per-channel scale and shift. */
static void bn_fold(const struct bn *bn, int c, float *scale, float *shift)
{
	int i;

	for (i = 0; i < c; i++) {
		double sc = tp(bn->gamma)[i] /
			    sqrt((double)tp(bn->var)[i] + bn->eps);

		scale[i] = (float)sc;
		shift[i] = (float)(tp(bn->beta)[i] - tp(bn->mean)[i] * sc);
	}
}

/* The layer: (v - mean) / sqrt(var + eps) * gamma + beta. */
static double bn_ref(const struct bn *bn, int c, double v)
{
	return (v - tp(bn->mean)[c]) /
	       sqrt((double)tp(bn->var)[c] + bn->eps) * tp(bn->gamma)[c] +
	       tp(bn->beta)[c];
}

/* BatchNormalization: element-wise main = mul (Y = scale on k),
 * combine = add (B = shift on k). */
TEST(lower_batchnorm_elementwise)
{
	int trial;

	begin(0x100b);
	for (trial = 0; trial < 5; trial++) {
		struct tensor x, scale, shift, o;
		int N, C, H, W, n, c, i, e;
		struct gconv_desc d;
		struct bn bn;

		reset();
		N = ri(1, 2), C = ri(1, 4), H = ri(1, 5), W = ri(1, 5);
		e = N * C * H * W;
		ctx("N=%d C=%d H=%d W=%d", N, C, H, W);
		x = t_rand(e, -2, 2);
		bn_random(&bn, C);
		scale = t_new(C);
		shift = t_new(C);
		bn_fold(&bn, C, tp(scale), tp(shift));
		o = t_new(e);

		gconv_desc_init(&d);
		ew_dims(&d, N, C, H, W);
		d.main = GCONV_MAIN_MUL;
		d.combine = GCONV_COMBINE_ADD;
		opnd_nchw(&d.x, x, C, H, W);
		opnd(&d.y, scale, 0, 0, 1, 0, 0, 0);
		opnd(&d.b, shift, 0, 0, 1, 0, 0, 0);
		opnd_nchw(&d.o, o, C, H, W);
		add(&d);
		run_chain();

		for (n = 0; n < N; n++)
			for (c = 0; c < C; c++)
				for (i = 0; i < H * W; i++) {
					int at = (n * C + c) * H * W + i;

					g_ref[at] = bn_ref(&bn, c, tp(x)[at]);
				}
		CHECK_OUT(o, g_ref, e);
	}
}

/* BatchNormalization folded into the preceding convolution's weights and
 * bias, against the convolution followed by the normalisation. */
TEST(lower_batchnorm_folded_into_conv)
{
	int trial;

	begin(0x100c);
	for (trial = 0; trial < 5; trial++) {
		struct tensor x, wt, bias, wf, bf, o, scale, shift;
		int K, per_k, k, i, n, len;
		struct gconv_desc d;
		struct conv cv;
		struct bn bn;

		reset();
		conv_random(&cv, 1, 3, 4);
		K = cv.k;
		per_k = cv.c * cv.r * cv.s;
		len = conv_out_len(&cv);
		x = t_rand(conv_in_len(&cv), -1, 1);
		wt = t_rand(conv_w_len(&cv), -1, 1);
		bias = t_rand(K, -1, 1);
		bn_random(&bn, K);
		scale = t_new(K);
		shift = t_new(K);
		bn_fold(&bn, K, tp(scale), tp(shift));
		/* compile time: w' = w * scale, b' = b * scale + shift */
		wf = t_new(wt.len);
		bf = t_new(K);
		for (k = 0; k < K; k++) {
			for (i = 0; i < per_k; i++)
				tp(wf)[k * per_k + i] =
					tp(wt)[k * per_k + i] * tp(scale)[k];
			tp(bf)[k] = tp(bias)[k] * tp(scale)[k] + tp(shift)[k];
		}
		o = t_new(len);
		conv_desc(&d, &cv, x, wf, &bf, o);
		add(&d);
		run_chain();

		ref_conv(&cv, tp(x), tp(wt), tp(bias), g_ref);
		for (n = 0; n < cv.n; n++)
			for (k = 0; k < K; k++)
				for (i = 0; i < cv.p * cv.q; i++) {
					int at = (n * K + k) * cv.p * cv.q + i;

					g_ref[at] = bn_ref(&bn, k, g_ref[at]);
				}
		CHECK_OUT(o, g_ref, len);
	}
}

/*
 * InstanceNormalization, the row's chain:
 *   0: mean = mean-all of take-x over (R, S) = (H, W);
 *   1: inv = affine-pow(1, eps, -0.5) of mean-all of sqdiff(x, mean);
 *   2: t = (x - mean) * inv: element-wise main = sub, combine = mul;
 *   3: out = t * scale + bias, in place.
 */
TEST(lower_instance_norm)
{
	int trial;

	begin(0x100d);
	for (trial = 0; trial < 5; trial++) {
		struct tensor x, scale, bias, mean, inv, o;
		int N, C, H, W, n, c, i, e;
		struct gconv_desc d;
		const float eps = 1e-5f;

		reset();
		N = ri(1, 2), C = ri(1, 3), H = ri(2, 5), W = ri(2, 5);
		e = N * C * H * W;
		ctx("N=%d C=%d H=%d W=%d", N, C, H, W);
		x = t_rand(e, -2, 2);
		scale = t_rand(C, -1.5f, 1.5f);
		bias = t_rand(C, -1, 1);
		mean = t_new(N * C);
		inv = t_new(N * C);
		o = t_new(e);

		gconv_desc_init(&d);
		d.n = N, d.k = C, d.r = H, d.s = W, d.in_h = H, d.in_w = W;
		d.main = GCONV_MAIN_TAKE_X;
		d.reduce = GCONV_REDUCE_MEAN_ALL;
		opnd_nchw(&d.x, x, C, H, W);
		opnd(&d.o, mean, C, 0, 1, 0, 0, 0);
		add(&d);

		d.main = GCONV_MAIN_SQDIFF;
		/* Y = mean broadcast: zero r, s strides */
		opnd(&d.y, mean, C, 0, 1, 0, 0, 0);
		set_post(&d, GCONV_POST_AFFINE_POW, 1.0f, eps, -0.5f);
		opnd(&d.o, inv, C, 0, 1, 0, 0, 0);
		add(&d);

		gconv_desc_init(&d);
		ew_dims(&d, N, C, H, W);
		d.main = GCONV_MAIN_SUB;
		d.combine = GCONV_COMBINE_MUL;
		opnd_nchw(&d.x, x, C, H, W);
		opnd(&d.y, mean, C, 0, 1, 0, 0, 0);
		opnd(&d.b, inv, C, 0, 1, 0, 0, 0);
		opnd_nchw(&d.o, o, C, H, W);
		add(&d);

		gconv_desc_init(&d);
		ew_dims(&d, N, C, H, W);
		d.main = GCONV_MAIN_MUL;
		d.combine = GCONV_COMBINE_ADD;
		opnd_nchw(&d.x, o, C, H, W);
		opnd(&d.y, scale, 0, 0, 1, 0, 0, 0);
		opnd(&d.b, bias, 0, 0, 1, 0, 0, 0);
		opnd_nchw(&d.o, o, C, H, W);
		add(&d);
		run_chain();

		for (n = 0; n < N; n++)
			for (c = 0; c < C; c++) {
				const float *xc = tp(x) + (n * C + c) * H * W;
				double mu = 0, var = 0;

				for (i = 0; i < H * W; i++)
					mu += xc[i];
				mu /= H * W;
				for (i = 0; i < H * W; i++)
					var += (xc[i] - mu) * (xc[i] - mu);
				var /= H * W;
				for (i = 0; i < H * W; i++)
					g_ref[(n * C + c) * H * W + i] =
						(xc[i] - mu) / sqrt(var + eps) *
						tp(scale)[c] + tp(bias)[c];
			}
		CHECK_OUT(o, g_ref, e);
	}
}

/* ---- element-wise binary operators ---------------------------------- */

static const uint8_t ew_main[] = {
	GCONV_MAIN_ADD, GCONV_MAIN_SUB, GCONV_MAIN_MUL,
	GCONV_MAIN_DIV, GCONV_MAIN_MAX, GCONV_MAIN_MIN,
};

static const uint8_t ew_combine[] = {
	GCONV_COMBINE_ADD, GCONV_COMBINE_SUB, GCONV_COMBINE_MUL,
	GCONV_COMBINE_DIV, GCONV_COMBINE_MAX, GCONV_COMBINE_MIN,
};

#define EW_OPS ((int)(sizeof(ew_main) / sizeof(ew_main[0])))

static double ew_ref(int op, double a, double b)
{
	switch (op) {
	case 0:
		return a + b;
	case 1:
		return a - b;
	case 2:
		return a * b;
	case 3:
		return a / b;
	case 4:
		return fmax(a, b);
	default:
		return fmin(a, b);
	}
}

/*
 * Add (and Sub, Mul, Div, Max, Min) of x [N, C, H, W] with
 *   - a [1, C, 1, 1] tensor: Y with k-stride 1, zero elsewhere;
 *   - a scalar: Y with all-zero strides;
 *   - a full [N, C, H, W] residual and an [N, 1, H, W] tensor.
 *
 * Table: "Y strided like its own tensor" cannot express the last two: Y
 * is indexed by (n, g, k, c, r, s) and r = s = 0 in an element-wise
 * GCONV, so it never follows p, q.  They work with main = take-x and the
 * operand in B (combine = add/sub/...), which is indexed by (n, g, k, p,
 * q), or, for same-shape contiguous tensors, with every element on the
 * k slot (k = N*C*H*W, all strides 1).
 */
TEST(lower_residual_add_broadcast)
{
	int trial;

	begin(0x100e);
	for (trial = 0; trial < 4; trial++) {
		struct tensor x, full, chan, scal, nhw, lit;
		struct tensor o_chan[EW_OPS], o_scal[EW_OPS], o_full[EW_OPS];
		struct tensor o_nhw[EW_OPS], o_flat[EW_OPS];
		int N, C, H, W, e, op, n, c, i, differs = 0;
		struct gconv_desc d;

		reset();
		N = ri(1, 2), C = ri(1, 3), H = ri(2, 4), W = ri(2, 4);
		e = N * C * H * W;
		ctx("N=%d C=%d H=%d W=%d", N, C, H, W);
		x = t_rand(e, -1, 1);
		full = t_away(e);
		chan = t_away(C);
		scal = t_away(1);
		nhw = t_away(N * H * W);
		lit = t_new(e);

		for (op = 0; op < EW_OPS; op++) {
			o_chan[op] = t_new(e);
			o_scal[op] = t_new(e);
			o_full[op] = t_new(e);
			o_nhw[op] = t_new(e);
			o_flat[op] = t_new(e);

			/* [1, C, 1, 1]: Y by zero strides */
			gconv_desc_init(&d);
			ew_dims(&d, N, C, H, W);
			d.main = ew_main[op];
			opnd_nchw(&d.x, x, C, H, W);
			opnd(&d.y, chan, 0, 0, 1, 0, 0, 0);
			opnd_nchw(&d.o, o_chan[op], C, H, W);
			add(&d);

			/* scalar */
			opnd(&d.y, scal, 0, 0, 0, 0, 0, 0);
			opnd_nchw(&d.o, o_scal[op], C, H, W);
			add(&d);

			/* full residual, then [N, 1, H, W]: B */
			gconv_desc_init(&d);
			ew_dims(&d, N, C, H, W);
			d.main = GCONV_MAIN_TAKE_X;
			d.combine = ew_combine[op];
			opnd_nchw(&d.x, x, C, H, W);
			opnd_nchw(&d.b, full, C, H, W);
			opnd_nchw(&d.o, o_full[op], C, H, W);
			add(&d);
			opnd(&d.b, nhw, H * W, 0, 0, 0, W, 1);
			opnd_nchw(&d.o, o_nhw[op], C, H, W);
			add(&d);

			/* full residual, everything on k: Y works again */
			gconv_desc_init(&d);
			d.k = e;
			d.main = ew_main[op];
			opnd(&d.x, x, 0, 0, 1, 0, 0, 0);
			opnd(&d.y, full, 0, 0, 1, 0, 0, 0);
			opnd(&d.o, o_flat[op], 0, 0, 1, 0, 0, 0);
			add(&d);
		}
		/* the row taken literally: Y given the residual's NCHW strides
		 * is read at r = s = 0 only, i.e. full[n, c, 0, 0] */
		gconv_desc_init(&d);
		ew_dims(&d, N, C, H, W);
		d.main = GCONV_MAIN_ADD;
		opnd_nchw(&d.x, x, C, H, W);
		opnd_nchw(&d.y, full, C, H, W);
		opnd_nchw(&d.o, lit, C, H, W);
		add(&d);
		run_chain();

		for (op = 0; op < EW_OPS; op++) {
			for (n = 0; n < N; n++)
			for (c = 0; c < C; c++)
			for (i = 0; i < H * W; i++) {
				int at = (n * C + c) * H * W + i;
				double v = tp(x)[at];

				g_ref[at] = ew_ref(op, v, tp(chan)[c]);
				g_ref2[at] = ew_ref(op, v, tp(scal)[0]);
				g_tmp[at] = ew_ref(op, v,
						   tp(nhw)[n * H * W + i]);
			}
			CHECK_OUT(o_chan[op], g_ref, e);
			CHECK_OUT(o_scal[op], g_ref2, e);
			CHECK_OUT(o_nhw[op], g_tmp, e);
			for (i = 0; i < e; i++)
				g_ref[i] = ew_ref(op, tp(x)[i], tp(full)[i]);
			CHECK_OUT(o_full[op], g_ref, e);
			CHECK_OUT(o_flat[op], g_ref, e);
		}
		for (n = 0; n < N; n++)
		for (c = 0; c < C; c++)
		for (i = 0; i < H * W; i++) {
			int at = (n * C + c) * H * W + i;

			g_ref[at] = (double)tp(x)[at] +
				    tp(full)[(n * C + c) * H * W];
			if (tp(lit)[at] != tp(x)[at] + tp(full)[at])
				differs++;
		}
		CHECK_OUT(lit, g_ref, e);
		CHECK(differs > 0);
	}
}

/*
 * Sum of three inputs: ACCUMULATE (copy, then two accumulating take-x
 * GCONVs into the same output), and a chain of adds (x1 + x2, then in
 * place + x3; the second input in B, see the residual test).
 */
TEST(lower_sum_of_three_with_accumulate)
{
	int trial;

	begin(0x100f);
	for (trial = 0; trial < 4; trial++) {
		struct tensor x1, x2, x3, o, o2;
		struct gconv_desc d;
		int N, C, H, W, e, i;

		reset();
		N = ri(1, 2), C = ri(1, 3), H = ri(1, 4), W = ri(1, 4);
		e = N * C * H * W;
		ctx("N=%d C=%d H=%d W=%d", N, C, H, W);
		x1 = t_rand(e, -1, 1);
		x2 = t_rand(e, -1, 1);
		x3 = t_rand(e, -1, 1);
		/* garbage that the first GCONV overwrites */
		o = t_rand(e, -9, 9);
		o2 = t_new(e);

		gconv_desc_init(&d);
		ew_dims(&d, N, C, H, W);
		d.main = GCONV_MAIN_TAKE_X;
		opnd_nchw(&d.x, x1, C, H, W);
		opnd_nchw(&d.o, o, C, H, W);
		add(&d);
		d.flags = GCONV_DESC_F_ACCUMULATE;
		opnd_nchw(&d.x, x2, C, H, W);
		add(&d);
		opnd_nchw(&d.x, x3, C, H, W);
		add(&d);

		gconv_desc_init(&d);
		ew_dims(&d, N, C, H, W);
		d.main = GCONV_MAIN_TAKE_X;
		d.combine = GCONV_COMBINE_ADD;
		opnd_nchw(&d.x, x1, C, H, W);
		opnd_nchw(&d.b, x2, C, H, W);
		opnd_nchw(&d.o, o2, C, H, W);
		add(&d);
		opnd_nchw(&d.x, o2, C, H, W);
		opnd_nchw(&d.b, x3, C, H, W);
		add(&d);
		run_chain();

		for (i = 0; i < e; i++)
			g_ref[i] = (double)tp(x1)[i] + tp(x2)[i] + tp(x3)[i];
		CHECK_OUT(o, g_ref, e);
		CHECK_OUT(o2, g_ref, e);
	}
}

/* ---- softmax ------------------------------------------------------------ */

/*
 * Softmax over the channels of x [N, C, H, W].  Steps 1 and 3 reduce with
 * the axis on the c slot.  Steps 2 and 4 are element-wise, so the axis
 * must be an output index there, and m and s vary over (n, h, w).
 *
 * Table: "Y = m with zero stride on the axis" works only with the
 * non-axis dims on n, g, k (Y follows no other output index): variant A
 * puts (N, H, W) on (n, g, k) and the axis on p (X row-stride H*W,
 * in_h = C).  Variant B keeps the usual element-wise layout and
 * broadcasts m and s through B (main = take-x, combine = sub / div).
 */
TEST(lower_softmax_axis1_of_nchw)
{
	int trial;

	begin(0x1010);
	for (trial = 0; trial < 5; trial++) {
		struct tensor x, m, ea, sa, ya, eb, sb, yb;
		int N, C, H, W, HW, e, n, c, i;
		struct gconv_desc d;

		reset();
		N = ri(1, 2), C = ri(1, 5), H = ri(1, 4), W = ri(1, 4);
		HW = H * W, e = N * C * HW;
		ctx("N=%d C=%d H=%d W=%d", N, C, H, W);
		x = t_rand(e, -4, 4);
		m = t_new(N * HW);
		ea = t_new(e);
		sa = t_new(N * HW);
		ya = t_new(e);
		eb = t_new(e);
		sb = t_new(N * HW);
		yb = t_new(e);

		/* 1: m = max over c */
		gconv_desc_init(&d);
		d.n = N, d.p = H, d.q = W, d.c = C, d.in_h = H, d.in_w = W;
		d.main = GCONV_MAIN_TAKE_X;
		d.reduce = GCONV_REDUCE_MAX;
		opnd(&d.x, x, C * HW, 0, 0, HW, W, 1);
		opnd(&d.o, m, HW, 0, 0, 0, W, 1);
		add(&d);

		/* A2: e = exp(x - m), (N, H, W) on (n, g, k), C on p */
		gconv_desc_init(&d);
		d.n = N, d.g = H, d.k = W, d.p = C, d.in_h = C;
		d.main = GCONV_MAIN_SUB;
		d.post = GCONV_POST_EXP;
		opnd(&d.x, x, C * HW, W, 1, 0, HW, 0);
		opnd(&d.y, m, HW, W, 1, 0, 0, 0);
		opnd(&d.o, ea, C * HW, W, 1, 0, HW, 0);
		add(&d);
		/* A3: s = sum over c */
		gconv_desc_init(&d);
		d.n = N, d.p = H, d.q = W, d.c = C, d.in_h = H, d.in_w = W;
		d.main = GCONV_MAIN_TAKE_X;
		opnd(&d.x, ea, C * HW, 0, 0, HW, W, 1);
		opnd(&d.o, sa, HW, 0, 0, 0, W, 1);
		add(&d);
		/* A4: y = e / s */
		gconv_desc_init(&d);
		d.n = N, d.g = H, d.k = W, d.p = C, d.in_h = C;
		d.main = GCONV_MAIN_DIV;
		opnd(&d.x, ea, C * HW, W, 1, 0, HW, 0);
		opnd(&d.y, sa, HW, W, 1, 0, 0, 0);
		opnd(&d.o, ya, C * HW, W, 1, 0, HW, 0);
		add(&d);

		/* B2: e = exp(x - m) with m in B */
		gconv_desc_init(&d);
		ew_dims(&d, N, C, H, W);
		d.main = GCONV_MAIN_TAKE_X;
		d.combine = GCONV_COMBINE_SUB;
		d.post = GCONV_POST_EXP;
		opnd_nchw(&d.x, x, C, H, W);
		opnd(&d.b, m, HW, 0, 0, 0, W, 1);
		opnd_nchw(&d.o, eb, C, H, W);
		add(&d);
		/* B3 */
		gconv_desc_init(&d);
		d.n = N, d.p = H, d.q = W, d.c = C, d.in_h = H, d.in_w = W;
		d.main = GCONV_MAIN_TAKE_X;
		opnd(&d.x, eb, C * HW, 0, 0, HW, W, 1);
		opnd(&d.o, sb, HW, 0, 0, 0, W, 1);
		add(&d);
		/* B4: y = e / s with s in B */
		gconv_desc_init(&d);
		ew_dims(&d, N, C, H, W);
		d.main = GCONV_MAIN_TAKE_X;
		d.combine = GCONV_COMBINE_DIV;
		opnd_nchw(&d.x, eb, C, H, W);
		opnd(&d.b, sb, HW, 0, 0, 0, W, 1);
		opnd_nchw(&d.o, yb, C, H, W);
		add(&d);
		run_chain();

		for (n = 0; n < N; n++)
			for (i = 0; i < HW; i++) {
				const float *xv = tp(x) + n * C * HW + i;
				double mx = -INFINITY, sum = 0;

				for (c = 0; c < C; c++)
					mx = fmax(mx, xv[c * HW]);
				for (c = 0; c < C; c++) {
					/* sum what the chain sums: e in fp32 */
					float ev = (float)exp(xv[c * HW] - mx);

					g_ref2[n * C * HW + c * HW + i] = ev;
					sum += ev;
				}
				g_tmp[n * HW + i] = mx;
				g_tmp[N * HW + n * HW + i] = sum;
				for (c = 0; c < C; c++)
					g_ref[n * C * HW + c * HW + i] =
						exp(xv[c * HW] - mx) / sum;
			}
		/* the final result does not depend on m: check every step */
		CHECK_OUT(m, g_tmp, N * HW);
		CHECK_OUT(ea, g_ref2, e);
		CHECK_OUT(eb, g_ref2, e);
		CHECK_OUT(sa, g_tmp + N * HW, N * HW);
		CHECK_OUT(sb, g_tmp + N * HW, N * HW);
		CHECK_OUT(ya, g_ref, e);
		CHECK_OUT(yb, g_ref, e);
	}
}

/*
 * Softmax / LogSoftmax over the last axis of x [A, B, L]: (A, B) on
 * (n, g), the axis on c in the reductions and on k element-wise; m, s
 * and l broadcast with a zero k-stride.
 */
static void softmax_last_axis(int log_softmax)
{
	int trial;

	for (trial = 0; trial < 6; trial++) {
		int A, BB, L, e, a, b, j;
		struct tensor x, m, ex, s, o;
		struct gconv_desc d;

		reset();
		A = ri(1, 3), BB = ri(1, 3), L = ri(1, 8);
		e = A * BB * L;
		ctx("A=%d B=%d L=%d", A, BB, L);
		x = t_rand(e, -4, 4);
		m = t_new(A * BB);
		ex = t_new(e);
		s = t_new(A * BB);
		o = t_new(e);

		/* 1: m = max */
		gconv_desc_init(&d);
		d.n = A, d.g = BB, d.c = L;
		d.main = GCONV_MAIN_TAKE_X;
		d.reduce = GCONV_REDUCE_MAX;
		opnd(&d.x, x, BB * L, L, 0, 1, 0, 0);
		opnd(&d.o, m, BB, 1, 0, 0, 0, 0);
		add(&d);
		/* 2: e = exp(x - m) */
		gconv_desc_init(&d);
		d.n = A, d.g = BB, d.k = L;
		d.main = GCONV_MAIN_SUB;
		d.post = GCONV_POST_EXP;
		opnd(&d.x, x, BB * L, L, 1, 0, 0, 0);
		opnd(&d.y, m, BB, 1, 0, 0, 0, 0);
		opnd(&d.o, ex, BB * L, L, 1, 0, 0, 0);
		add(&d);
		/* 3: s = sum of e (LogSoftmax: l = log of it) */
		gconv_desc_init(&d);
		d.n = A, d.g = BB, d.c = L;
		d.main = GCONV_MAIN_TAKE_X;
		if (log_softmax)
			d.post = GCONV_POST_LOG;
		opnd(&d.x, ex, BB * L, L, 0, 1, 0, 0);
		opnd(&d.o, s, BB, 1, 0, 0, 0, 0);
		add(&d);
		/* 4: e / s (LogSoftmax: x - m - l) */
		gconv_desc_init(&d);
		d.n = A, d.g = BB, d.k = L;
		if (log_softmax) {
			d.main = GCONV_MAIN_SUB;
			d.combine = GCONV_COMBINE_SUB;
			opnd(&d.x, x, BB * L, L, 1, 0, 0, 0);
			opnd(&d.y, m, BB, 1, 0, 0, 0, 0);
			opnd(&d.b, s, BB, 1, 0, 0, 0, 0);
		} else {
			d.main = GCONV_MAIN_DIV;
			opnd(&d.x, ex, BB * L, L, 1, 0, 0, 0);
			opnd(&d.y, s, BB, 1, 0, 0, 0, 0);
		}
		opnd(&d.o, o, BB * L, L, 1, 0, 0, 0);
		add(&d);
		run_chain();

		for (a = 0; a < A; a++)
			for (b = 0; b < BB; b++) {
				const float *xv = tp(x) + (a * BB + b) * L;
				double mx = -INFINITY, sum = 0;

				for (j = 0; j < L; j++)
					mx = fmax(mx, xv[j]);
				for (j = 0; j < L; j++) {
					float ev = (float)exp(xv[j] - mx);

					g_ref2[(a * BB + b) * L + j] = ev;
					sum += ev;
				}
				g_tmp[a * BB + b] = mx;
				g_tmp[A * BB + a * BB + b] =
					log_softmax ? log(sum) : sum;
				for (j = 0; j < L; j++) {
					double v = log_softmax ?
						xv[j] - mx - log(sum) :
						exp(xv[j] - mx) / sum;

					g_ref[(a * BB + b) * L + j] = v;
				}
			}
		/* the final result does not depend on m: check every step */
		CHECK_OUT(m, g_tmp, A * BB);
		CHECK_OUT(ex, g_ref2, e);
		CHECK_OUT(s, g_tmp + A * BB, A * BB);
		CHECK_OUT(o, g_ref, e);
	}
}

TEST(lower_softmax_last_axis)
{
	begin(0x1011);
	softmax_last_axis(0);
}

TEST(lower_logsoftmax)
{
	begin(0x1012);
	softmax_last_axis(1);
}

/*
 * LRN (ONNX): y = x / (bias + alpha/size * sum x^2)^beta, the sum over
 * channels c - floor((size-1)/2) .. c + ceil((size-1)/2).
 *   1: pre = square, take-x, reduce = sum with the channels on the ROW
 *      slot (R = size, pad_top = (size-1)/2, pad_value = 0), post =
 *      affine-pow(alpha/size, bias, beta); (N, H, W) on (n, k, q);
 *   2: x / that, main = div.
 *
 * Table: step 2's divisor varies over every axis, so as an element-wise
 * GCONV over NCHW its Y cannot follow h, w; it runs here with every
 * element on the k slot (k = N*C*H*W, strides 1), and the same division
 * through B (main = take-x, combine = div) is checked too.
 */
TEST(lower_lrn)
{
	int trial;

	begin(0x1013);
	for (trial = 0; trial < 10; trial++) {
		int N, C, H, W, HW, e, size, n, c, i, j, lo, hi;
		struct tensor x, den, o, o2;
		float alpha, beta, bias;
		struct gconv_desc d;

		reset();
		size = trial % 5 + 1;
		N = ri(1, 2), C = ri(1, 7), H = ri(1, 3), W = ri(1, 3);
		HW = H * W, e = N * C * HW;
		alpha = rnd(0.1f, 2.0f);
		beta = rnd(0.5f, 1.0f);
		bias = rnd(0.5f, 2.0f);
		ctx("N=%d C=%d H=%d W=%d size=%d alpha=%g beta=%g bias=%g", N,
		    C, H, W, size, alpha, beta, bias);
		x = t_rand(e, -2, 2);
		den = t_new(e);
		o = t_new(e);
		o2 = t_new(e);

		gconv_desc_init(&d);
		d.n = N, d.k = H, d.p = C, d.q = W;
		d.r = size, d.in_h = C, d.in_w = W;
		d.pad_top = (size - 1) / 2;
		d.pad_bottom = size - 1 - (size - 1) / 2;
		d.pad_value = gconv_f32_bits(0.0f);
		d.pre = GCONV_PRE_SQUARE;
		d.main = GCONV_MAIN_TAKE_X;
		d.reduce = GCONV_REDUCE_SUM;
		set_post(&d, GCONV_POST_AFFINE_POW, alpha / size, bias, beta);
		opnd(&d.x, x, C * HW, 0, W, 0, HW, 1);
		opnd(&d.o, den, C * HW, 0, W, 0, HW, 1);
		add(&d);

		gconv_desc_init(&d);
		d.k = e;
		d.main = GCONV_MAIN_DIV;
		opnd(&d.x, x, 0, 0, 1, 0, 0, 0);
		opnd(&d.y, den, 0, 0, 1, 0, 0, 0);
		opnd(&d.o, o, 0, 0, 1, 0, 0, 0);
		add(&d);

		gconv_desc_init(&d);
		ew_dims(&d, N, C, H, W);
		d.main = GCONV_MAIN_TAKE_X;
		d.combine = GCONV_COMBINE_DIV;
		opnd_nchw(&d.x, x, C, H, W);
		opnd_nchw(&d.b, den, C, H, W);
		opnd_nchw(&d.o, o2, C, H, W);
		add(&d);
		run_chain();

		for (n = 0; n < N; n++)
			for (c = 0; c < C; c++)
				for (i = 0; i < HW; i++) {
					double sq = 0;

					lo = c - (size - 1) / 2;
					/* + ceil((size - 1) / 2) */
					hi = c + size / 2;
					for (j = lo; j <= hi; j++) {
						double v;

						if (j < 0 || j >= C)
							continue;
						v = tp(x)[(n * C + j) * HW + i];
						sq += v * v;
					}
					sq = bias + (double)alpha / size * sq;
					g_ref[(n * C + c) * HW + i] =
						tp(x)[(n * C + c) * HW + i] /
						pow(sq, beta);
				}
		CHECK_OUT(o, g_ref, e);
		CHECK_OUT(o2, g_ref, e);
	}
}

/* ---- no-compute rows: concat, flatten, transpose, pad ---------------- */

/*
 * Concat on channels of conv3x3(x1), conv1x1(x2) and maxpool3x3(x1), an
 * inception block: each producer writes its slice of the one output (O's
 * address at the slice, the whole output's strides).  No copy GCONV.
 */
TEST(lower_concat_by_output_slices)
{
	int trial;

	begin(0x1014);
	for (trial = 0; trial < 4; trial++) {
		struct tensor x1, x2, w1, w2, b1, b2, o;
		int N, C1, C2, H, W, K1, K2, KT, HW, n, k, i;
		struct conv cv1 = { 0 }, cv2;
		struct gconv_desc d;
		struct pool pl = { 0 };

		reset();
		N = ri(1, 2), C1 = ri(1, 3), C2 = ri(1, 3);
		H = ri(2, 5), W = ri(2, 5), K1 = ri(1, 3), K2 = ri(1, 3);
		HW = H * W, KT = K1 + K2 + C1;
		ctx("N=%d C1=%d C2=%d H=%d W=%d K1=%d K2=%d", N, C1, C2, H, W,
		    K1, K2);
		cv1.n = N, cv1.g = 1, cv1.c = C1, cv1.h = H, cv1.w = W;
		cv1.k = K1, cv1.r = 3, cv1.s = 3;
		cv1.sh = cv1.sw = cv1.dh = cv1.dw = 1;
		cv1.pt = cv1.pb = cv1.pl = cv1.pr = 1;
		cv1.p = H, cv1.q = W;
		cv2 = cv1;
		cv2.c = C2, cv2.k = K2, cv2.r = cv2.s = 1;
		cv2.pt = cv2.pb = cv2.pl = cv2.pr = 0;
		pl.n = N, pl.c = C1, pl.h = H, pl.w = W, pl.kh = pl.kw = 3;
		pl.sh = pl.sw = pl.dh = pl.dw = 1;
		pl.pt = pl.pb = pl.pl = pl.pr = 1;
		pl.p = H, pl.q = W;

		x1 = t_rand(N * C1 * HW, -1, 1);
		x2 = t_rand(N * C2 * HW, -1, 1);
		w1 = t_rand(conv_w_len(&cv1), -1, 1);
		w2 = t_rand(conv_w_len(&cv2), -1, 1);
		b1 = t_rand(K1, -1, 1);
		b2 = t_rand(K2, -1, 1);
		o = t_new(N * KT * HW);

		conv_desc(&d, &cv1, x1, w1, &b1, o);
		opnd(&d.o, o, KT * HW, 0, HW, 0, W, 1);
		add(&d);
		conv_desc(&d, &cv2, x2, w2, &b2, o);
		opnd(&d.o, t_at(o, K1 * HW), KT * HW, 0, HW, 0, W, 1);
		add(&d);
		pool_desc(&d, &pl, x1, o, GCONV_REDUCE_MAX, -INFINITY);
		opnd(&d.o, t_at(o, (K1 + K2) * HW), KT * HW, 0, HW, 0, W, 1);
		add(&d);
		run_chain();

		ref_conv(&cv1, tp(x1), tp(w1), tp(b1), g_tmp);
		for (n = 0; n < N; n++)
			for (k = 0; k < K1; k++)
				for (i = 0; i < HW; i++)
					g_ref[(n * KT + k) * HW + i] =
						g_tmp[(n * K1 + k) * HW + i];
		ref_conv(&cv2, tp(x2), tp(w2), tp(b2), g_tmp);
		for (n = 0; n < N; n++)
			for (k = 0; k < K2; k++)
				for (i = 0; i < HW; i++)
					g_ref[(n * KT + K1 + k) * HW + i] =
						g_tmp[(n * K2 + k) * HW + i];
		for (n = 0; n < N; n++)
		for (k = 0; k < C1; k++)
		for (i = 0; i < HW; i++) {
			const float *xc = tp(x1) + (n * C1 + k) * HW;
			int h = i / W, w = i % W, r, s;
			double m = -INFINITY;

			for (r = h - 1; r <= h + 1; r++)
				for (s = w - 1; s <= w + 1; s++)
					if (r >= 0 && r < H && s >= 0 && s < W)
						m = fmax(m, xc[r * W + s]);
			g_ref[(n * KT + K1 + K2 + k) * HW + i] = m;
		}
		CHECK_OUT(o, g_ref, N * KT * HW);
	}
}

/*
 * Flatten: a fully connected layer reads a convolution's NCHW output
 * [N, K, P, Q] as [N, K*P*Q] (features on c, stride 1), and a second one
 * reads the same memory as its 4-D shape (window over K, P, Q).
 */
TEST(lower_flatten_reshape_as_strides)
{
	int trial;

	begin(0x1015);
	for (trial = 0; trial < 4; trial++) {
		struct tensor x, wt, bias, co, fw, fb, o1, o2;
		int N, F, J, PQ, n, j, f, i;
		struct gconv_desc d;
		struct conv cv;

		reset();
		conv_random(&cv, 1, 3, 3);
		N = cv.n, PQ = cv.p * cv.q, F = cv.k * PQ, J = ri(1, 4);
		x = t_rand(conv_in_len(&cv), -1, 1);
		wt = t_rand(conv_w_len(&cv), -1, 1);
		bias = t_rand(cv.k, -1, 1);
		co = t_new(conv_out_len(&cv));
		fw = t_rand(J * F, -1, 1);
		fb = t_rand(J, -1, 1);
		o1 = t_new(N * J);
		o2 = t_new(N * J);

		conv_desc(&d, &cv, x, wt, &bias, co);
		d.post = GCONV_POST_RELU;
		add(&d);

		gconv_desc_init(&d);
		d.n = N, d.k = J, d.c = F;
		d.combine = GCONV_COMBINE_ADD;
		opnd(&d.x, co, F, 0, 0, 1, 0, 0);
		opnd(&d.y, fw, 0, 0, F, 1, 0, 0);
		opnd(&d.b, fb, 0, 0, 1, 0, 0, 0);
		opnd(&d.o, o1, J, 0, 1, 0, 0, 0);
		add(&d);

		gconv_desc_init(&d);
		d.n = N, d.k = J, d.c = cv.k, d.r = cv.p, d.s = cv.q;
		d.in_h = cv.p, d.in_w = cv.q;
		d.combine = GCONV_COMBINE_ADD;
		opnd(&d.x, co, F, 0, 0, PQ, cv.q, 1);
		opnd(&d.y, fw, 0, 0, F, PQ, cv.q, 1);
		opnd(&d.b, fb, 0, 0, 1, 0, 0, 0);
		opnd(&d.o, o2, J, 0, 1, 0, 0, 0);
		add(&d);
		run_chain();

		ref_conv(&cv, tp(x), tp(wt), tp(bias), g_tmp);
		for (i = 0; i < conv_out_len(&cv); i++)
			g_tmp[i] = (float)fmax(g_tmp[i], 0.0);
		for (n = 0; n < N; n++)
			for (j = 0; j < J; j++) {
				double acc = tp(fb)[j];

				for (f = 0; f < F; f++)
					acc += g_tmp[n * F + f] *
					       tp(fw)[j * F + f];
				g_ref[n * J + j] = acc;
			}
		CHECK_OUT(o1, g_ref, N * J);
		CHECK_OUT(o2, g_ref, N * J);
	}
}

/*
 * Transpose: a take-x copy whose X strides are the permuted input
 * strides, the output axes on (n, k, p, q) (4-D) or (n, g, k, p, q)
 * (5-D).  Every permutation of a 4-D tensor, and random 5-D ones.
 */
#define TR_MAX 256	/* elements of one transposed tensor (<= 3^4 * 2) */

static void transpose_add(struct tensor x, int rank, const int *dim,
			  const int *perm, struct tensor *out, double *ref)
{
	int xs[5], od[5] = { 1, 1, 1, 1, 1 }, a[5], e = 1, i, j, at;
	uint64_t os[5];
	struct gconv_desc d;

	for (i = rank - 1; i >= 0; i--) {
		xs[i] = e;
		e *= dim[i];
	}
	for (i = 0; i < rank; i++)
		od[i] = dim[perm[i]];
	os[4] = 1;
	for (i = 3; i >= 0; i--)
		os[i] = os[i + 1] * od[i + 1];
	*out = t_new(e);

	gconv_desc_init(&d);
	d.main = GCONV_MAIN_TAKE_X;
	if (rank == 4) {
		d.n = od[0], d.k = od[1];
		d.p = d.in_h = od[2];
		d.q = d.in_w = od[3];
		opnd(&d.x, x, xs[perm[0]], 0, xs[perm[1]], 0, xs[perm[2]],
		     xs[perm[3]]);
		opnd(&d.o, *out, os[0], 0, os[1], 0, os[2], 1);
	} else {
		d.n = od[0], d.g = od[1], d.k = od[2];
		d.p = d.in_h = od[3];
		d.q = d.in_w = od[4];
		opnd(&d.x, x, xs[perm[0]], xs[perm[1]], xs[perm[2]], 0,
		     xs[perm[3]], xs[perm[4]]);
		opnd(&d.o, *out, os[0], os[1], os[2], 0, os[3], 1);
	}
	add(&d);

	/* reference: walk the input in order, out[a[perm[0]], ...] = x[a] */
	for (i = 0; i < e; i++) {
		int rem = i;

		for (j = rank - 1; j >= 0; j--) {
			a[j] = rem % dim[j];
			rem /= dim[j];
		}
		at = 0;
		for (j = 0; j < rank; j++)
			at = at * od[j] + a[perm[j]];
		ref[at] = tp(x)[i];
	}
}

TEST(lower_transpose_copy)
{
	int trial;

	begin(0x1016);
	for (trial = 0; trial < 3; trial++) {
		int dim4[4], dim5[5], perm[5], nout = 0, i, j, code;
		struct tensor x4, x5, outs[24 + 4];

		reset();
		dim4[0] = ri(1, 2), dim4[1] = 2, dim4[2] = 3;
		dim4[3] = ri(2, 4);
		for (i = 0; i < 5; i++)
			dim5[i] = ri(1, 3);
		dim5[ri(0, 4)] = 2;
		ctx("4-D %dx%dx%dx%d, 5-D %dx%dx%dx%dx%d", dim4[0], dim4[1],
		    dim4[2], dim4[3], dim5[0], dim5[1], dim5[2], dim5[3],
		    dim5[4]);
		x4 = t_rand(dim4[0] * dim4[1] * dim4[2] * dim4[3], -1, 1);
		x5 = t_rand(dim5[0] * dim5[1] * dim5[2] * dim5[3] * dim5[4],
			    -1, 1);

		/* all 24 permutations: every 4-digit base-4 code without
		 * repeated digits */
		for (code = 0; code < 256; code++) {
			int seen = 0;

			for (i = 0; i < 4; i++) {
				perm[i] = (code >> (2 * i)) & 3;
				seen |= 1 << perm[i];
			}
			if (seen != 15)
				continue;
			transpose_add(x4, 4, dim4, perm, &outs[nout],
				      g_ref + nout * TR_MAX);
			nout++;
		}
		CHECK_EQ_INT(nout, 24);
		for (j = 0; j < 4; j++) {
			for (i = 0; i < 5; i++)
				perm[i] = i;
			for (i = 4; i > 0; i--) {
				int m = ri(0, i), t = perm[i];

				perm[i] = perm[m];
				perm[m] = t;
			}
			transpose_add(x5, 5, dim5, perm, &outs[nout],
				      g_ref + nout * TR_MAX);
			nout++;
		}
		run_chain();
		for (i = 0; i < nout; i++)
			CHECK_OUT(outs[i], g_ref + i * TR_MAX, outs[i].len);
	}
}

/*
 * Pad (constant): a take-x copy whose output is the padded shape, the
 * leading pads in pad_top / pad_left, pad_value = the constant.  Also
 * the channel axis, viewed on the ROW slot (as LRN does).
 */
TEST(lower_pad_constant)
{
	int trial;

	begin(0x1017);
	for (trial = 0; trial < 5; trial++) {
		int N, C, H, W, pt, pb, pl, pr, ct, cb, P, Q, CP, n, c, h, w;
		struct gconv_desc d;
		struct tensor x, o, oc;
		float value;

		reset();
		N = ri(1, 2), C = ri(1, 3), H = ri(1, 4), W = ri(1, 4);
		pt = ri(0, 3), pb = ri(0, 3), pl = ri(0, 3), pr = ri(0, 3);
		ct = ri(0, 2), cb = ri(0, 2);
		P = H + pt + pb, Q = W + pl + pr, CP = C + ct + cb;
		value = rnd(-2, 2);
		ctx("N=%d C=%d H=%d W=%d pads=%d,%d,%d,%d channel pads=%d,%d "
		    "value=%g", N, C, H, W, pt, pb, pl, pr, ct, cb, value);
		x = t_rand(N * C * H * W, -1, 1);
		o = t_new(N * C * P * Q);
		oc = t_new(N * CP * H * W);

		gconv_desc_init(&d);
		d.n = N, d.k = C, d.p = P, d.q = Q, d.in_h = H, d.in_w = W;
		d.pad_top = pt, d.pad_bottom = pb;
		d.pad_left = pl, d.pad_right = pr;
		d.pad_value = gconv_f32_bits(value);
		d.main = GCONV_MAIN_TAKE_X;
		opnd_nchw(&d.x, x, C, H, W);
		opnd_nchw(&d.o, o, C, P, Q);
		add(&d);

		/* channels on ROW: (n, k, p, q) = (n, h, c, w) */
		gconv_desc_init(&d);
		d.n = N, d.k = H, d.p = CP, d.q = W, d.in_h = C, d.in_w = W;
		d.pad_top = ct, d.pad_bottom = cb;
		d.pad_value = gconv_f32_bits(value);
		d.main = GCONV_MAIN_TAKE_X;
		opnd(&d.x, x, C * H * W, 0, W, 0, H * W, 1);
		opnd(&d.o, oc, CP * H * W, 0, W, 0, H * W, 1);
		add(&d);
		run_chain();

		for (n = 0; n < N; n++)
		for (c = 0; c < C; c++)
		for (h = 0; h < P; h++)
		for (w = 0; w < Q; w++) {
			int ih = h - pt, iw = w - pl;
			int in = ih >= 0 && ih < H && iw >= 0 && iw < W;

			g_ref[ix4(n, c, h, w, C, P, Q)] =
				in ? tp(x)[ix4(n, c, ih, iw, C, H, W)] : value;
		}
		CHECK_OUT(o, g_ref, N * C * P * Q);
		for (n = 0; n < N; n++)
		for (c = 0; c < CP; c++)
		for (h = 0; h < H * W; h++)
			g_ref2[(n * CP + c) * H * W + h] =
				c < ct || c >= ct + C ? value :
				tp(x)[(n * C + c - ct) * H * W + h];
		CHECK_OUT(oc, g_ref2, N * CP * H * W);
	}
}

/* ---- input dilation: transposed convolution, nearest upsampling ---- */

/*
 * ConvTranspose (weights [Ci][Co][kH][kW], group 1) with stride 2, pads,
 * dilation and output_padding: input dilation = stride, stride 1,
 * pad_top = dil*(k-1) - pad, the weights flipped in r, s once at compile
 * time and Ci / Co swapped in Y's strides (k-stride kH*kW, c-stride
 * Co*kH*kW).  output_padding needs nothing: P is free.  Compared with a
 * direct scatter of every input element.
 */
TEST(lower_transposed_conv)
{
	int trial;

	begin(0x1018);
	for (trial = 0; trial < 8; trial++) {
		int N, CI, CO, H, W, KH, KW, SH, SW, DH, DW, pt, pb, pl, pr;
		int oph, opw, HO, WO, n, ci, co, i, j, r, s, len;
		struct tensor x, wt, wf, bias, o;
		struct gconv_desc d;

		reset();
		do {
			N = ri(1, 2), CI = ri(1, 3), CO = ri(1, 3);
			/* the stride-3 trials need columns to dilate */
			SH = 2, SW = trial < 6 ? 2 : 3;
			H = ri(1, 4), W = ri(SW == 3 ? 2 : 1, 4);
			KH = ri(1, 3), KW = ri(1, 3);
			DH = ri(1, 2), DW = ri(1, 2);
			pt = ri(0, DH * (KH - 1)), pb = ri(0, DH * (KH - 1));
			pl = ri(0, DW * (KW - 1)), pr = ri(0, DW * (KW - 1));
			oph = ri(0, SH - 1), opw = ri(0, SW - 1);
			HO = (H - 1) * SH - pt - pb + DH * (KH - 1) + oph + 1;
			WO = (W - 1) * SW - pl - pr + DW * (KW - 1) + opw + 1;
		} while (HO < 1 || WO < 1);
		ctx("N=%d Ci=%d Co=%d H=%d W=%d k=%dx%d stride=%d,%d dil=%d,%d "
		    "pads=%d,%d,%d,%d out_pad=%d,%d -> %dx%d", N, CI, CO, H, W,
		    KH, KW, SH, SW, DH, DW, pt, pb, pl, pr, oph, opw, HO, WO);
		len = N * CO * HO * WO;
		x = t_rand(N * CI * H * W, -1, 1);
		wt = t_rand(CI * CO * KH * KW, -1, 1);
		bias = t_rand(CO, -1, 1);
		wf = t_new(wt.len);
		for (i = 0; i < CI * CO; i++)
			for (r = 0; r < KH; r++)
				for (s = 0; s < KW; s++)
					tp(wf)[(i * KH + r) * KW + s] = tp(wt)[
						(i * KH + KH - 1 - r) * KW +
						KW - 1 - s];
		o = t_new(len);

		gconv_desc_init(&d);
		d.n = N, d.k = CO, d.p = HO, d.q = WO;
		d.c = CI, d.r = KH, d.s = KW, d.in_h = H, d.in_w = W;
		d.in_dilation_h = SH, d.in_dilation_w = SW;
		d.dilation_h = DH, d.dilation_w = DW;
		d.pad_top = DH * (KH - 1) - pt;
		d.pad_bottom = DH * (KH - 1) - pb + oph;
		d.pad_left = DW * (KW - 1) - pl;
		d.pad_right = DW * (KW - 1) - pr + opw;
		d.combine = GCONV_COMBINE_ADD;
		opnd(&d.x, x, CI * H * W, 0, 0, H * W, W, 1);
		opnd(&d.y, wf, 0, 0, KH * KW, CO * KH * KW, KW, 1);
		opnd(&d.b, bias, 0, 0, 1, 0, 0, 0);
		opnd(&d.o, o, CO * HO * WO, 0, HO * WO, 0, WO, 1);
		add(&d);
		run_chain();

		for (n = 0; n < N; n++)
			for (co = 0; co < CO; co++)
				for (i = 0; i < HO * WO; i++)
					g_ref[(n * CO + co) * HO * WO + i] =
						tp(bias)[co];
		for (n = 0; n < N; n++)
		for (ci = 0; ci < CI; ci++)
		for (i = 0; i < H; i++)
		for (j = 0; j < W; j++)
		for (co = 0; co < CO; co++)
		for (r = 0; r < KH; r++)
		for (s = 0; s < KW; s++) {
			int oh = i * SH + r * DH - pt;
			int ow = j * SW + s * DW - pl;

			if (oh < 0 || oh >= HO || ow < 0 || ow >= WO)
				continue;
			g_ref[ix4(n, co, oh, ow, CO, HO, WO)] +=
				(double)tp(x)[ix4(n, ci, i, j, CI, H, W)] *
				tp(wt)[ix4(ci, co, r, s, CO, KH, KW)];
		}
		CHECK_OUT(o, g_ref, len);
	}
}

/* Nearest upsampling by (fh, fw): the row's single weightless GCONV. */
TEST(lower_nearest_upsample)
{
	static const int factors[][2] = { { 2, 2 }, { 3, 3 }, { 2, 3 } };
	int f, trial;

	begin(0x1019);
	for (f = 0; f < 3; f++)
	for (trial = 0; trial < 2; trial++) {
		int N, C, H, W, FH = factors[f][0], FW = factors[f][1];
		int P, Q, n, c, p, q;
		struct gconv_desc d;
		struct tensor x, o;

		reset();
		N = ri(1, 2), C = ri(1, 3), H = ri(1, 4), W = ri(1, 4);
		P = H * FH, Q = W * FW;
		ctx("N=%d C=%d H=%d W=%d factor %d,%d", N, C, H, W, FH, FW);
		x = t_rand(N * C * H * W, -1, 1);
		o = t_new(N * C * P * Q);

		gconv_desc_init(&d);
		d.n = N, d.k = C, d.p = P, d.q = Q;
		d.r = FH, d.s = FW, d.in_h = H, d.in_w = W;
		d.in_dilation_h = FH, d.in_dilation_w = FW;
		d.pad_top = FH - 1, d.pad_left = FW - 1;
		d.pad_value = gconv_f32_bits(0.0f);
		d.main = GCONV_MAIN_TAKE_X;
		d.reduce = GCONV_REDUCE_SUM;
		opnd_nchw(&d.x, x, C, H, W);
		opnd_nchw(&d.o, o, C, P, Q);
		add(&d);
		run_chain();

		for (n = 0; n < N; n++)
		for (c = 0; c < C; c++)
		for (p = 0; p < P; p++)
		for (q = 0; q < Q; q++)
			g_ref[ix4(n, c, p, q, C, P, Q)] =
				tp(x)[ix4(n, c, p / FH, q / FW, C, H, W)];
		CHECK_OUT(o, g_ref, N * C * P * Q);
	}
}

/* ---- reductions --------------------------------------------------------- */

/*
 * ReduceMean / ReduceMax / ReduceSum of x [d0, d1, d2, d3] over a set of
 * axes: the kept axes on n, g, k; the reduced axes on c, r (X row, in_h =
 * R = the axis) and s (col); take-x, reduce mean-all / max / sum.  More
 * than three reduced axes: adjacent ones are merged (contiguous) first.
 */
TEST(lower_reduce_mean_max_sum_over_axes)
{
	/* bit i set: axis i is reduced */
	static const unsigned int masks[] = {
		0xa, 0x5, 0xe, 0x4, 0x1, 0x7, 0xf,
	};
	int trial, mi;

	begin(0x101a);
	for (trial = 0; trial < 2; trial++)
	for (mi = 0; mi < (int)(sizeof(masks) / sizeof(masks[0])); mi++) {
		int dim[4], xs[4], kl[3], ks[3], rl[3], rs[3];
		int nk = 0, nr = 0, e = 1, kept = 1, i, j, op;
		unsigned int mask = masks[mi];
		struct tensor x, o[3];
		struct gconv_desc d;
		uint64_t os[3];

		reset();
		for (i = 3; i >= 0; i--) {
			dim[i] = ri(1, 4);
			xs[i] = e;
			e *= dim[i];
		}
		ctx("dims %dx%dx%dx%d reduce mask 0x%x", dim[0], dim[1],
		    dim[2], dim[3], mask);
		for (i = 0; i < 4; i++) {
			if (!(mask & (1u << i))) {
				kl[nk] = dim[i], ks[nk++] = xs[i];
				kept *= dim[i];
			} else if (mask == 0xf && i == 1) {
				/* all four: axes 0 and 1 merged on c */
				rl[0] *= dim[1];
				rs[0] = xs[1];
			} else {
				rl[nr] = dim[i], rs[nr++] = xs[i];
			}
		}
		for (i = nk; i < 3; i++)
			kl[i] = 1, ks[i] = 0;
		for (i = nr; i < 3; i++)
			rl[i] = 1, rs[i] = 0;
		os[2] = 1;
		os[1] = kl[2];
		os[0] = (uint64_t)kl[1] * kl[2];
		x = t_rand(e, -1, 1);

		for (op = 0; op < 3; op++) {
			static const uint8_t reduce[3] = {
				GCONV_REDUCE_MEAN_ALL, GCONV_REDUCE_MAX,
				GCONV_REDUCE_SUM,
			};

			o[op] = t_new(kept);
			gconv_desc_init(&d);
			d.n = kl[0], d.g = kl[1], d.k = kl[2];
			d.c = rl[0];
			d.r = d.in_h = rl[1];
			d.s = d.in_w = rl[2];
			d.main = GCONV_MAIN_TAKE_X;
			d.reduce = reduce[op];
			opnd(&d.x, x, ks[0], ks[1], ks[2], rs[0], rs[1], rs[2]);
			opnd(&d.o, o[op], os[0], os[1], os[2], 0, 0, 0);
			add(&d);
		}
		run_chain();

		for (i = 0; i < kept; i++) {
			g_ref[i] = 0;
			g_ref2[i] = -INFINITY;
		}
		for (i = 0; i < e; i++) {
			int rem = i, a[4], at = 0;

			for (j = 3; j >= 0; j--) {
				a[j] = rem % dim[j];
				rem /= dim[j];
			}
			for (j = 0; j < 4; j++)
				if (!(mask & (1u << j)))
					at = at * dim[j] + a[j];
			g_ref[at] += tp(x)[i];
			g_ref2[at] = fmax(g_ref2[at], tp(x)[i]);
		}
		CHECK_OUT(o[2], g_ref, kept);
		CHECK_OUT(o[1], g_ref2, kept);
		for (i = 0; i < kept; i++)
			g_ref[i] /= e / kept;
		CHECK_OUT(o[0], g_ref, kept);
	}
}

static const struct test tests[] = {
	T(lower_conv_nhwc_layout),
	T(lower_grouped_conv),
	T(lower_depthwise_conv),
	T(lower_fc_as_full_window),
	T(lower_gemm_trans_b_alpha_beta),
	T(lower_matmul_rows_on_p),
	T(lower_maxpool_ceil_mode),
	T(lower_avgpool_count_include_pad),
	T(lower_global_avg_and_max_pool),
	T(lower_prelu_per_channel),
	T(lower_batchnorm_elementwise),
	T(lower_batchnorm_folded_into_conv),
	T(lower_instance_norm),
	T(lower_residual_add_broadcast),
	T(lower_sum_of_three_with_accumulate),
	T(lower_softmax_axis1_of_nchw),
	T(lower_softmax_last_axis),
	T(lower_logsoftmax),
	T(lower_lrn),
	T(lower_concat_by_output_slices),
	T(lower_flatten_reshape_as_strides),
	T(lower_transpose_copy),
	T(lower_pad_constant),
	T(lower_transposed_conv),
	T(lower_nearest_upsample),
	T(lower_reduce_mean_max_sum_over_axes),
};

int main(int argc, char **argv)
{
	return HARNESS_MAIN(tests);
}
