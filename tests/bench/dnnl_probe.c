// SPDX-License-Identifier: MIT
/*
 * bench-dnnl: oneDNN (Debian libdnnl-dev) against the fast engine on
 * ResNet-18's convolutions, to decide which should run them
 * (docs/engines.md, "oneDNN").  For each distinct convolution of
 * ResNet-18 (batch 1, NCHW, bias, ReLU where the network has one) it
 * times, as the median of N runs after a warm-up:
 *
 *   fast      gconv_fast_run_desc() on the GCONV the compiler emits;
 *   dnnl      oneDNN's convolution on plain NCHW tensors (what a GCONV's
 *             operands are), weights reordered once to its layout, outside
 *             the timing (as a load-time repack would);
 *   dnnl-blk  the same on oneDNN's own blocked activations, reorders
 *             excluded: the best case, a network kept in its layout.
 *
 * and prints a table and the sums weighted by how often ResNet-18 has each
 * shape.  Not part of make check; tools/bench runs it.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <oneapi/dnnl/dnnl.h>

#include <gconv/engine.h>
#include <gconv/validate.h>

#define CHECK_DNNL(call)                                                      \
	do {                                                                  \
		dnnl_status_t s_ = (call);                                    \
		if (s_ != dnnl_success) {                                     \
			fprintf(stderr, "bench-dnnl: %s: status %d\n", #call, \
				(int)s_);                                     \
			exit(1);                                              \
		}                                                             \
	} while (0)

struct shape {
	int count; /* how many ResNet-18 has */
	int c, k, h, r, stride, pad, relu;
};

/* ResNet-18 at 224x224: every convolution, by shape */
static const struct shape shapes[] = {
	{ 1, 3, 64, 224, 7, 2, 3, 1 },	 { 4, 64, 64, 56, 3, 1, 1, 1 },
	{ 1, 64, 128, 56, 3, 2, 1, 1 },	 { 3, 128, 128, 28, 3, 1, 1, 1 },
	{ 1, 64, 128, 56, 1, 2, 0, 0 },	 { 1, 128, 256, 28, 3, 2, 1, 1 },
	{ 3, 256, 256, 14, 3, 1, 1, 1 }, { 1, 128, 256, 28, 1, 2, 0, 0 },
	{ 1, 256, 512, 14, 3, 2, 1, 1 }, { 3, 512, 512, 7, 3, 1, 1, 1 },
	{ 1, 256, 512, 14, 1, 2, 0, 0 },
};

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec * 1e-9;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *t, int n)
{
	qsort(t, (size_t)n, sizeof(*t), cmp);
	return t[n / 2];
}

static float *randbuf(size_t n, unsigned *seed)
{
	float *b = malloc(n * sizeof(float));
	size_t i;

	if (!b) {
		fprintf(stderr, "bench-dnnl: out of memory\n");
		exit(1);
	}
	for (i = 0; i < n; i++)
		b[i] = (float)rand_r(seed) / RAND_MAX - 0.5f;
	return b;
}

/* The GCONV of a convolution over NCHW, as the compiler lowers it. */
static void conv_desc(struct gconv_desc *d, const struct shape *s, int p)
{
	uint64_t hw = (uint64_t)s->h * s->h, pq = (uint64_t)p * p;
	uint64_t crs = (uint64_t)s->c * s->r * s->r;

	gconv_desc_init(d);
	d->n = d->g = 1;
	d->k = s->k;
	d->c = s->c;
	d->r = d->s = s->r;
	d->p = d->q = p;
	d->in_h = d->in_w = s->h;
	d->stride_h = d->stride_w = s->stride;
	d->pad_top = d->pad_bottom = d->pad_left = d->pad_right = s->pad;
	d->combine = GCONV_COMBINE_ADD;
	d->post = s->relu ? GCONV_POST_RELU : GCONV_POST_IDENTITY;
	gconv_operand_f32(&d->x, 0, s->c * hw, 0, 0, 0, hw, s->h, 1);
	gconv_operand_f32(&d->y, 0, s->k * crs, 0, 0, crs,
			  (uint64_t)s->r * s->r, s->r, 1);
	gconv_operand_f32(&d->b, 0, s->k, 0, 0, 1, 0, 0, 0);
	gconv_operand_f32(&d->o, 0, s->k * pq, 0, 0, pq, 0, p, 1);
}

static dnnl_memory_t mem(dnnl_engine_t eng, const dnnl_memory_desc_t *md,
			 void *data)
{
	dnnl_memory_t m;

	CHECK_DNNL(dnnl_memory_create(&m, md, eng,
				      data ? data : DNNL_MEMORY_ALLOCATE));
	return m;
}

static void reorder(dnnl_engine_t eng, dnnl_stream_t st, dnnl_memory_t from,
		    dnnl_memory_t to)
{
	const dnnl_memory_desc_t *a, *b;
	dnnl_primitive_desc_t pd;
	dnnl_primitive_t pr;
	dnnl_exec_arg_t args[2];

	CHECK_DNNL(dnnl_memory_get_memory_desc(from, &a));
	CHECK_DNNL(dnnl_memory_get_memory_desc(to, &b));
	CHECK_DNNL(
		dnnl_reorder_primitive_desc_create(&pd, a, eng, b, eng, NULL));
	CHECK_DNNL(dnnl_primitive_create(&pr, pd));
	args[0] = (dnnl_exec_arg_t){ DNNL_ARG_FROM, from };
	args[1] = (dnnl_exec_arg_t){ DNNL_ARG_TO, to };
	CHECK_DNNL(dnnl_primitive_execute(pr, st, 2, args));
	CHECK_DNNL(dnnl_stream_wait(st));
	dnnl_primitive_destroy(pr);
	dnnl_primitive_desc_destroy(pd);
}

/* Median ms of oneDNN's convolution; @plain: NCHW activations. */
static double dnnl_conv(dnnl_engine_t eng, dnnl_stream_t st,
			const struct shape *s, int p, const float *x,
			const float *w, const float *b, float *o, int runs,
			int plain)
{
	dnnl_dims_t xd = { 1, s->c, s->h, s->h },
		    wd = { s->k, s->c, s->r, s->r };
	dnnl_dims_t bd = { s->k }, od = { 1, s->k, p, p };
	dnnl_dims_t strides = { s->stride, s->stride },
		    pad = { s->pad, s->pad };
	dnnl_memory_desc_t xmd, wmd, bmd, omd, xu, wu, ou;
	dnnl_convolution_desc_t cd;
	dnnl_primitive_attr_t attr;
	dnnl_post_ops_t ops;
	dnnl_primitive_desc_t pd;
	dnnl_primitive_t pr;
	dnnl_memory_t mx, mw, mb, mo, ux, uw;
	dnnl_exec_arg_t args[4];
	double *t = malloc((size_t)runs * sizeof(double)), r0;
	int i;

	CHECK_DNNL(
		dnnl_memory_desc_init_by_tag(&xu, 4, xd, dnnl_f32, dnnl_nchw));
	CHECK_DNNL(
		dnnl_memory_desc_init_by_tag(&wu, 4, wd, dnnl_f32, dnnl_oihw));
	CHECK_DNNL(
		dnnl_memory_desc_init_by_tag(&ou, 4, od, dnnl_f32, dnnl_nchw));
	CHECK_DNNL(dnnl_memory_desc_init_by_tag(&bmd, 1, bd, dnnl_f32, dnnl_x));
	CHECK_DNNL(dnnl_memory_desc_init_by_tag(&xmd, 4, xd, dnnl_f32,
						plain ? dnnl_nchw
						      : dnnl_format_tag_any));
	CHECK_DNNL(dnnl_memory_desc_init_by_tag(&wmd, 4, wd, dnnl_f32,
						dnnl_format_tag_any));
	CHECK_DNNL(dnnl_memory_desc_init_by_tag(&omd, 4, od, dnnl_f32,
						plain ? dnnl_nchw
						      : dnnl_format_tag_any));
	CHECK_DNNL(dnnl_convolution_forward_desc_init(
		&cd, dnnl_forward_inference, dnnl_convolution_direct, &xmd,
		&wmd, &bmd, &omd, strides, pad, pad));
	CHECK_DNNL(dnnl_primitive_attr_create(&attr));
	CHECK_DNNL(dnnl_post_ops_create(&ops));
	if (s->relu)
		CHECK_DNNL(dnnl_post_ops_append_eltwise(
			ops, 1.0f, dnnl_eltwise_relu, 0.0f, 0.0f));
	CHECK_DNNL(dnnl_primitive_attr_set_post_ops(attr, ops));
	CHECK_DNNL(dnnl_primitive_desc_create(&pd, &cd, attr, eng, NULL));
	CHECK_DNNL(dnnl_primitive_create(&pr, pd));

	/* operands in the primitive's layouts, converted once */
	ux = mem(eng, &xu, (void *)x);
	uw = mem(eng, &wu, (void *)w);
	mx = mem(eng, dnnl_primitive_desc_query_md(pd, dnnl_query_src_md, 0),
		 NULL);
	mw = mem(eng,
		 dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0),
		 NULL);
	mo = mem(eng, dnnl_primitive_desc_query_md(pd, dnnl_query_dst_md, 0),
		 plain ? o : NULL);
	mb = mem(eng, &bmd, (void *)b);
	reorder(eng, st, ux, mx);
	reorder(eng, st, uw, mw);
	args[0] = (dnnl_exec_arg_t){ DNNL_ARG_SRC, mx };
	args[1] = (dnnl_exec_arg_t){ DNNL_ARG_WEIGHTS, mw };
	args[2] = (dnnl_exec_arg_t){ DNNL_ARG_BIAS, mb };
	args[3] = (dnnl_exec_arg_t){ DNNL_ARG_DST, mo };
	CHECK_DNNL(dnnl_primitive_execute(pr, st, 4, args)); /* warm-up */
	CHECK_DNNL(dnnl_stream_wait(st));
	for (i = 0; i < runs; i++) {
		r0 = now();
		CHECK_DNNL(dnnl_primitive_execute(pr, st, 4, args));
		CHECK_DNNL(dnnl_stream_wait(st));
		t[i] = now() - r0;
	}
	r0 = median(t, runs) * 1e3;
	free(t);
	dnnl_memory_destroy(ux);
	dnnl_memory_destroy(uw);
	dnnl_memory_destroy(mx);
	dnnl_memory_destroy(mw);
	dnnl_memory_destroy(mb);
	dnnl_memory_destroy(mo);
	dnnl_primitive_destroy(pr);
	dnnl_primitive_desc_destroy(pd);
	dnnl_post_ops_destroy(ops);
	dnnl_primitive_attr_destroy(attr);
	return r0;
}

static double fast_conv(const struct gconv_desc *d, const float *x,
			const float *w, const float *b, float *o, int runs)
{
	double *t = malloc((size_t)runs * sizeof(double)), r0;
	int i;

	if (gconv_fast_run_desc(d, x, w, b, o)) /* warm-up */
		exit(1);
	for (i = 0; i < runs; i++) {
		r0 = now();
		if (gconv_fast_run_desc(d, x, w, b, o))
			exit(1);
		t[i] = now() - r0;
	}
	r0 = median(t, runs) * 1e3;
	free(t);
	return r0;
}

int main(int argc, char **argv)
{
	int runs = argc > 1 ? atoi(argv[1]) : 9;
	double tot[3] = { 0, 0, 0 }, gflop = 0, maxerr = 0;
	dnnl_engine_t eng;
	dnnl_stream_t st;
	size_t i, j;

	if (runs < 1)
		runs = 1;
	CHECK_DNNL(dnnl_engine_create(&eng, dnnl_cpu, 0));
	CHECK_DNNL(dnnl_stream_create(&st, eng, dnnl_stream_default_flags));
	printf("%-28s %5s %9s %9s %9s %9s\n", "convolution (count)", "GFLOP",
	       "fast ms", "dnnl ms", "dnnl-blk", "fast/dnnl");
	for (i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
		const struct shape *s = &shapes[i];
		int p = (s->h + 2 * s->pad - s->r) / s->stride + 1;
		size_t nx = (size_t)s->c * s->h * s->h;
		size_t nw = (size_t)s->k * s->c * s->r * s->r;
		size_t no = (size_t)s->k * p * p;
		unsigned seed = 1234u + (unsigned)i;
		float *x = randbuf(nx, &seed), *w = randbuf(nw, &seed);
		float *b = randbuf((size_t)s->k, &seed);
		float *o1 = randbuf(no, &seed), *o2 = randbuf(no, &seed);
		double g = 2.0 * no * s->c * s->r * s->r * 1e-9, t[3], big = 0;
		struct gconv_desc d;
		char label[64];

		conv_desc(&d, s, p);
		t[0] = fast_conv(&d, x, w, b, o1, runs);
		t[1] = dnnl_conv(eng, st, s, p, x, w, b, o2, runs, 1);
		t[2] = dnnl_conv(eng, st, s, p, x, w, b, NULL, runs, 0);
		for (j = 0; j < no; j++)
			if (fabsf(o2[j]) > big)
				big = fabsf(o2[j]);
		for (j = 0; j < no; j++)
			if (fabsf(o1[j] - o2[j]) / (big > 0 ? big : 1) > maxerr)
				maxerr = fabsf(o1[j] - o2[j]) /
					 (big > 0 ? big : 1);
		snprintf(label, sizeof(label), "%dx%d/%d %d->%d @%d (x%d)",
			 s->r, s->r, s->stride, s->c, s->k, s->h, s->count);
		printf("%-28s %5.2f %9.3f %9.3f %9.3f %9.2f\n", label, g, t[0],
		       t[1], t[2], t[0] / t[1]);
		for (j = 0; j < 3; j++)
			tot[j] += s->count * t[j];
		gflop += s->count * g;
		free(x);
		free(w);
		free(b);
		free(o1);
		free(o2);
	}
	printf("%-28s %5.2f %9.2f %9.2f %9.2f %9.2f\n",
	       "ResNet-18 convolutions", gflop, tot[0], tot[1], tot[2],
	       tot[0] / tot[1]);
	printf("GFLOP/s: fast %.1f, dnnl %.1f, dnnl-blk %.1f; largest "
	       "|fast - dnnl| %.1e of the largest output\n",
	       gflop / tot[0] * 1e3, gflop / tot[1] * 1e3, gflop / tot[2] * 1e3,
	       maxerr);
	printf("BENCH resnet18_convs_fast_vs_dnnl %.2f x onednn_plain 1.0 %s\n",
	       tot[0] / tot[1], tot[0] <= tot[1] ? "true" : "false");
	dnnl_stream_destroy(st);
	dnnl_engine_destroy(eng);
	return 0;
}
