// SPDX-License-Identifier: MIT
/*
 * The fast engine against the golden one (make bench; docs/engines.md).
 *
 *	bench-engine [--model FILE.onnx] [--runs N] [--layers] [--shapes]
 *		     [--pack FLOATS] [--min-k K]
 *
 * Compiles the model (default: ResNet-18 as tests/models/check-cnns
 * caches it, exported first if it is missing), runs its chain once on the
 * golden engine and --runs times (default 10, after one warm-up run) on
 * the fast engine through the chain API, and prints the end-to-end
 * latencies, the speedup and the largest difference between the two
 * outputs relative to the largest output.  --layers adds a table of every
 * GCONV: the path the fast engine takes, golden and fast time, speedup
 * (one more golden pass).  --shapes times convolution shapes on the gemm
 * path (OpenBLAS) against the row path (hand-written loops), which is how
 * the fast engine's choice between them was made.  --pack and --min-k
 * override the fast engine's tuning (struct gconv_fast_tuning: the im2col
 * block in floats, the fewest channels per group that take the gemm path).
 *
 * Prints "BENCH name value unit baseline target ok" lines for tools/bench:
 * the golden latency (informational: target 0, always ok), the fast
 * latency (ok: at most the target) and the speedup (ok: at least the
 * target, and the outputs agree within 1e-4 of the largest).  Run from the
 * repository root.
 */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <gconv/engine.h>
#include <gconv/model.h>
#include <gconv/tensor_io.h>
#include <gconv/validate.h>

#include "../../libgconvdev/engine/engine_impl.h"

/* what make bench expects of ResNet-18 end to end (measured: about 350x
 * and 50 ms on 2 shared cores; the targets leave room for noise) */
#define SPEEDUP_TARGET 100.0
#define FAST_MS_TARGET 100.0

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void die(const char *fmt, const char *arg)
{
	fprintf(stderr, "bench-engine: ");
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	exit(1);
}

/*
 * The model's arithmetic in GFLOP: two per multiply-accumulate of every
 * GCONV whose main operator multiplies and reduce sums (convolutions,
 * fully connected), one per tap of every other.
 */
static double model_gflop(const struct gconv_model *m)
{
	const struct gconv_chain_header *h;
	double flop = 0;
	size_t len;
	uint32_t i;

	h = gconv_model_chain(m, &len);
	for (i = 0; i < h->count; i++) {
		const struct gconv_desc *d = gconv_chain_desc(h, i);
		double taps = (double)d->n * d->g * d->k * d->p * d->q * d->c *
			      d->r * d->s;

		flop += d->main == GCONV_MAIN_MUL &&
					d->reduce == GCONV_REDUCE_SUM
				? 2 * taps
				: taps;
	}
	return flop * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* ResNet-18 where tests/models/check-cnns caches it; exported if absent. */
static void default_model(char *path, size_t len)
{
	const char *base = getenv("GCONV_CACHE"),
		   *xdg = getenv("XDG_CACHE_HOME");
	char dir[3072], key[17] = "", cmd[4096];
	struct stat sb;
	FILE *f;

	f = popen("sha256sum tools/models/make_cnns.py", "r");
	if (!f || !fgets(key, sizeof(key), f) || strlen(key) != 16)
		die("%s", "cannot hash tools/models/make_cnns.py (run from "
			  "the repository root)");
	pclose(f);
	if (base)
		snprintf(dir, sizeof(dir), "%s/models-%s", base, key);
	else if (xdg)
		snprintf(dir, sizeof(dir), "%s/gconv/models-%s", xdg, key);
	else
		snprintf(dir, sizeof(dir), "%s/.cache/gconv/models-%s",
			 getenv("HOME") ? getenv("HOME") : ".", key);
	snprintf(path, len, "%s/resnet18.onnx", dir);
	if (stat(path, &sb) == 0)
		return;
	fprintf(stderr, "bench-engine: exporting ResNet-18 into %s\n", dir);
	snprintf(cmd, sizeof(cmd),
		 "/usr/bin/python3 tools/models/make_cnns.py --out '%s' "
		 "resnet18 >&2",
		 dir);
	if (system(cmd) != 0 || stat(path, &sb) != 0)
		die("%s", "tools/models/make_cnns.py failed");
}

struct model_run {
	struct gconv_model *m;
	const void *chain;
	size_t chain_len;
	struct gconv_model_layout l;
	struct gconv_region regions[2];
	uint8_t *arena, *arena0;
};

static void model_open(struct model_run *mr, const char *path)
{
	char err[512], npy[4096];
	const struct gconv_tensor_info *in;
	struct gconv_tensor x = { 0 };
	size_t n;
	uint64_t i;

	if (gconv_compile_onnx_file(path, NULL, &mr->m, err, sizeof(err)))
		die("%s", err);
	mr->chain = gconv_model_chain(mr->m, &mr->chain_len);
	gconv_model_layout(mr->m, &mr->l);
	mr->arena = calloc(1, mr->l.arena_size);
	mr->arena0 = calloc(1, mr->l.arena_size);
	if (!mr->arena || !mr->arena0)
		die("%s", "out of memory");
	in = gconv_model_input(mr->m, 0);
	/* NAME.input.npy next to NAME.onnx if there is one, else random */
	n = strlen(path);
	snprintf(npy, sizeof(npy), "%.*s.input.npy", (int)(n > 5 ? n - 5 : n),
		 path);
	if (gconv_npy_read(npy, &x, err, sizeof(err)) == 0 &&
	    x.elems == in->elems) {
		memcpy(mr->arena0 + (in->addr - mr->l.arena_addr), x.data,
		       x.elems * sizeof(float));
	} else {
		float *f =
			(float *)(mr->arena0 + (in->addr - mr->l.arena_addr));
		unsigned long long s = 1;

		for (i = 0; i < in->elems; i++) {
			s = s * 6364136223846793005ULL + 1442695040888963407ULL;
			f[i] = (float)((s >> 40) / (double)(1 << 24) * 2 - 1);
		}
	}
	gconv_tensor_free(&x);
	mr->regions[0] =
		(struct gconv_region){ mr->l.weights_addr, mr->l.weights_size,
				       (void *)gconv_model_weights(mr->m), 0 };
	mr->regions[1] =
		(struct gconv_region){ mr->l.arena_addr, mr->l.arena_size,
				       mr->arena, 1 };
}

static void model_reset(struct model_run *mr)
{
	memcpy(mr->arena, mr->arena0, mr->l.arena_size);
}

/*
 * The fast engine's output against PyTorch's (NAME.output.npy next to
 * NAME.onnx, made from NAME.input.npy by tools/models/make_cnns.py), when
 * there is one: max |fast - PyTorch| / max |PyTorch|, target 1e-4.
 */
static void torch_error(const char *path, const char *name, const float *o,
			uint64_t elems)
{
	struct gconv_tensor y = { 0 };
	double maxdiff = 0, maxabs = 0, rel;
	char npy[4096], err[256];
	size_t n = strlen(path);
	uint64_t j;

	snprintf(npy, sizeof(npy), "%.*s.output.npy", (int)(n > 5 ? n - 5 : n),
		 path);
	if (access(npy, R_OK))
		return;
	if (gconv_npy_read(npy, &y, err, sizeof(err)) || y.elems != elems) {
		printf("%s: %s: %s\n", name, npy,
		       y.elems != elems ? "size differs" : err);
		gconv_tensor_free(&y);
		return;
	}
	for (j = 0; j < elems; j++) {
		double e = fabs((double)o[j] - y.data[j]);

		if (!(e <= maxdiff))
			maxdiff = e;
		if (fabs(y.data[j]) > maxabs)
			maxabs = fabs(y.data[j]);
	}
	rel = maxdiff / (maxabs > 0 ? maxabs : 1);
	printf("BENCH engine_%s_error_vs_pytorch %.2e max_rel pytorch 1e-4 %s\n",
	       name, rel, rel <= 1e-4 ? "true" : "false");
	gconv_tensor_free(&y);
}

static const float *model_output(const struct model_run *mr)
{
	const struct gconv_tensor_info *o = gconv_model_output(mr->m, 0);

	return (const float *)(mr->arena + (o->addr - mr->l.arena_addr));
}

static double run_chain(struct model_run *mr, int fast)
{
	struct gconv_verror verr;
	double t0;
	int r;

	model_reset(mr);
	t0 = now();
	r = fast ? gconv_fast_run_chain_mapped(mr->chain, mr->chain_len,
					       mr->regions, 2, &verr)
		 : gconv_golden_run_chain_mapped(mr->chain, mr->chain_len,
						 mr->regions, 2, &verr);
	if (r)
		die("%s", "the chain failed to run");
	return now() - t0;
}

/* Host pointer of an operand (validated chain: it is in a region). */
static void *host(const struct model_run *mr, const struct gconv_operand *op)
{
	int i;

	if (!op->dtype)
		return NULL;
	for (i = 0; i < 2; i++) {
		const struct gconv_region *r = &mr->regions[i];

		if (op->addr >= r->addr && op->addr - r->addr < r->size)
			return (uint8_t *)r->host + (op->addr - r->addr);
	}
	return NULL;
}

static int run_layer(const struct model_run *mr, const struct gconv_desc *d,
		     int path)
{
	void *x = host(mr, &d->x), *y = host(mr, &d->y), *b = host(mr, &d->b);
	void *o = host(mr, &d->o);

	if (path < 0)
		return gconv_golden_run_desc(d, x, y, b, o);
	return gconv_fast_run_desc_path(d, x, y, b, o,
					(enum gconv_fast_path)path);
}

/* Every layer: golden once, fast @runs times (median), on the chain's
 * own intermediate values. */
static void layers(struct model_run *mr, int runs)
{
	const struct gconv_chain_header *h = mr->chain;
	double tg = 0, tf = 0, *t = malloc((size_t)runs * sizeof(double));
	uint32_t i;
	int j;

	if (!t)
		die("%s", "out of memory");
	printf("\n%4s %-8s %-70s %10s %10s %8s\n", "#", "path", "gconv",
	       "golden ms", "fast ms", "speedup");
	model_reset(mr);
	for (i = 0; i < h->count; i++) {
		const struct gconv_desc *d = gconv_chain_desc(h, i);
		uint8_t *save = malloc(mr->l.arena_size);
		char desc[300];
		double g, f, t0;

		if (!save)
			die("%s", "out of memory");
		memcpy(save, mr->arena, mr->l.arena_size);
		t0 = now();
		run_layer(mr, d, -1);
		g = now() - t0;
		for (j = 0; j < runs; j++) {
			memcpy(mr->arena, save, mr->l.arena_size);
			t0 = now();
			run_layer(mr, d, GCONV_FAST_AUTO);
			t[j] = now() - t0;
		}
		f = median(t, runs);
		free(save);
		gconv_desc_format(d, desc, sizeof(desc));
		printf("%4u %-8s %-70.70s %10.2f %10.3f %8.1f\n", i,
		       gconv_fast_path_name(gconv_fast_choose(d)), desc,
		       g * 1e3, f * 1e3, g / f);
		tg += g;
		tf += f;
	}
	printf("%4s %-8s %-70s %10.1f %10.2f %8.1f\n", "", "", "sum of layers",
	       tg * 1e3, tf * 1e3, tg / tf);
	free(t);
}

/* ---- shapes: OpenBLAS (gemm path) against hand loops (row path) -------- */

struct shape {
	const char *name;
	uint32_t g, k, c, hw, r, stride;
};

static const struct shape shapes[] = {
	{ "resnet conv1 7x7/2", 1, 64, 3, 224, 7, 2 },
	{ "resnet 3x3 64", 1, 64, 64, 56, 3, 1 },
	{ "resnet 3x3 128", 1, 128, 128, 28, 3, 1 },
	{ "resnet 3x3 256", 1, 256, 256, 14, 3, 1 },
	{ "resnet 3x3 512", 1, 512, 512, 7, 3, 1 },
	{ "resnet 1x1/2 128", 1, 128, 64, 56, 1, 2 },
	{ "1x1 256->64", 1, 64, 256, 56, 1, 1 },
	{ "depthwise 3x3 32@112", 32, 1, 1, 112, 3, 1 },
	{ "depthwise 3x3 144@56", 144, 1, 1, 56, 3, 1 },
	{ "depthwise 3x3 576@14", 576, 1, 1, 14, 3, 1 },
	{ "depthwise 3x3/2 96@112", 96, 1, 1, 112, 3, 2 },
	{ "grouped 3x3 k2 c2 64g@56", 64, 2, 2, 56, 3, 1 },
	{ "grouped 3x3 k4 c4 32g@56", 32, 4, 4, 56, 3, 1 },
	{ "grouped 3x3 k8 c8 16g@56", 16, 8, 8, 56, 3, 1 },
	{ "grouped 3x3 k16 c16 8g@56", 8, 16, 16, 56, 3, 1 },
	{ "grouped 3x3 k32 c32 4g@28", 4, 32, 32, 28, 3, 1 },
	{ "conv 3x3 k4 c64@56", 1, 4, 64, 56, 3, 1 },
	{ "conv 3x3 k8 c64@56", 1, 8, 64, 56, 3, 1 },
	{ "conv 3x3 k16 c16@56", 1, 16, 16, 56, 3, 1 },
	{ "fc 512->1000", 1, 1000, 512, 1, 1, 1 },
};

static double time_desc(const struct gconv_desc *d, const float *x,
			const float *y, const float *b, float *o, int path)
{
	double t[7], t0;
	int i;

	gconv_fast_run_desc_path(d, x, y, b, o, (enum gconv_fast_path)path);
	for (i = 0; i < 7; i++) {
		t0 = now();
		gconv_fast_run_desc_path(d, x, y, b, o,
					 (enum gconv_fast_path)path);
		t[i] = now() - t0;
	}
	return median(t, 7);
}

static void shape_table(void)
{
	size_t i;

	printf("\n%-28s %10s %10s %10s %8s %s\n", "shape (NCHW, pad r/2)",
	       "GFLOP", "gemm ms", "row ms", "row/gemm", "auto");
	for (i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
		const struct shape *s = &shapes[i];
		uint32_t pad = s->r / 2,
			 out = (s->hw + 2 * pad - s->r) / s->stride + 1;
		uint64_t ci = (uint64_t)s->g * s->c, co = (uint64_t)s->g * s->k;
		uint64_t xn = ci * s->hw * s->hw, yn = co * s->c * s->r * s->r;
		uint64_t on = co * out * out, j;
		float *x = malloc(xn * 4), *y = malloc(yn * 4);
		float *b = malloc(co * 4), *o = malloc(on * 4);
		struct gconv_desc d;
		double tg, tr, flop;

		if (!x || !y || !b || !o)
			die("%s", "out of memory");
		for (j = 0; j < xn; j++)
			x[j] = (float)((j * 7919 % 2001) / 1000.0 - 1.0);
		for (j = 0; j < yn; j++)
			y[j] = (float)((j * 104729 % 2001) / 1000.0 - 1.0);
		for (j = 0; j < co; j++)
			b[j] = 0.1f;
		gconv_desc_init(&d);
		d.g = s->g;
		d.k = s->k;
		d.c = s->c;
		d.p = d.q = out;
		d.r = d.s = s->r;
		d.in_h = d.in_w = s->hw;
		d.stride_h = d.stride_w = s->stride;
		d.pad_top = d.pad_bottom = d.pad_left = d.pad_right = pad;
		d.combine = GCONV_COMBINE_ADD;
		d.post = GCONV_POST_RELU;
		gconv_operand_f32(&d.x, 0, xn, 0,
				  (uint64_t)s->c * s->hw * s->hw, 0,
				  (uint64_t)s->hw * s->hw, s->hw, 1);
		gconv_operand_f32(&d.y, 0, yn, 0,
				  (uint64_t)s->k * s->c * s->r * s->r,
				  (uint64_t)s->c * s->r * s->r,
				  (uint64_t)s->r * s->r, s->r, 1);
		gconv_operand_f32(&d.b, 0, co, 0, s->k, 1, 0, 0, 0);
		gconv_operand_f32(&d.o, 0, on, 0, (uint64_t)s->k * out * out,
				  (uint64_t)out * out, 0, out, 1);
		flop = 2.0 * on * s->c * s->r * s->r;
		tg = time_desc(&d, x, y, b, o, GCONV_FAST_GEMM);
		tr = time_desc(&d, x, y, b, o, GCONV_FAST_ROW);
		printf("%-28s %10.4f %10.3f %10.3f %8.2f %s\n", s->name,
		       flop * 1e-9, tg * 1e3, tr * 1e3, tr / tg,
		       gconv_fast_path_name(gconv_fast_choose(&d)));
		free(x);
		free(y);
		free(b);
		free(o);
	}
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "model", required_argument, NULL, 'm' },
		{ "runs", required_argument, NULL, 'n' },
		{ "layers", no_argument, NULL, 'l' },
		{ "shapes", no_argument, NULL, 's' },
		{ "pack", required_argument, NULL, 'p' },
		{ "min-k", required_argument, NULL, 'k' },
		{ "no-golden", no_argument, NULL, 'G' },
		{ "no-avx2", no_argument, NULL, 'A' },
		{ "torch-ms", required_argument, NULL, 'T' },
		{ "peak", required_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	char path[4096] = "", name[256];
	int runs = 10, do_layers = 0, do_shapes = 0, no_golden = 0, c, i;
	double torch_ms = 0, peak = 0, gflop;
	struct model_run mr;
	const float *o;
	float *gold;
	double tgold, tfast, *t, maxdiff = 0, maxabs = 0, speedup;
	const char *slash;
	uint64_t elems, j;

	while ((c = getopt_long(argc, argv, "m:n:lsp:k:GAT:P:h", opts,
				NULL)) != -1) {
		switch (c) {
		case 'm':
			snprintf(path, sizeof(path), "%s", optarg);
			break;
		case 'n':
			runs = atoi(optarg);
			break;
		case 'l':
			do_layers = 1;
			break;
		case 's':
			do_shapes = 1;
			break;
		case 'p':
			gconv_fast_tune.pack_floats = strtoull(optarg, NULL, 0);
			break;
		case 'k':
			gconv_fast_tune.gemm_min_k = (uint32_t)atoi(optarg);
			break;
		case 'G':
			no_golden = 1;
			break;
		case 'A':
			gconv_fast_tune.isa = GCONV_FAST_ISA_BASE;
			break;
		case 'T':
			torch_ms = strtod(optarg, NULL);
			break;
		case 'P':
			peak = strtod(optarg, NULL);
			break;
		default:
			fprintf(stderr,
				"usage: bench-engine [--model FILE.onnx] "
				"[--runs N] [--layers] [--shapes] "
				"[--pack FLOATS] [--min-k K]\n");
			return c == 'h' ? 0 : 2;
		}
	}
	if (runs < 1)
		runs = 1;
	if (!path[0])
		default_model(path, sizeof(path));
	slash = strrchr(path, '/');
	snprintf(name, sizeof(name), "%s", slash ? slash + 1 : path);
	if (strlen(name) > 5 && !strcmp(name + strlen(name) - 5, ".onnx"))
		name[strlen(name) - 5] = '\0';

	model_open(&mr, path);
	printf("%s: %u GCONVs\n", name, gconv_model_gconv_count(mr.m));
	tgold = no_golden ? NAN : run_chain(&mr, 0);
	elems = gconv_model_output(mr.m, 0)->elems;
	gold = malloc(elems * sizeof(float));
	t = malloc((size_t)runs * sizeof(double));
	if (!gold || !t)
		die("%s", "out of memory");
	memcpy(gold, model_output(&mr), elems * sizeof(float));

	run_chain(&mr, 1); /* warm-up: OpenBLAS threads, page faults */
	for (i = 0; i < runs; i++)
		t[i] = run_chain(&mr, 1);
	tfast = median(t, runs);
	o = model_output(&mr);
	for (j = 0; j < elems; j++) {
		double e = fabs((double)o[j] - gold[j]);

		if (!(e <= maxdiff))
			maxdiff = e;
		if (fabs(gold[j]) > maxabs)
			maxabs = fabs(gold[j]);
	}
	speedup = tgold / tfast;
	printf("golden engine %.1f ms, fast engine %.2f ms (median of %d, "
	       "min %.2f), speedup %.1f, max |fast - golden| / max |golden| "
	       "%.2e\n",
	       tgold * 1e3, tfast * 1e3, runs, t[0] * 1e3, speedup,
	       no_golden ? NAN : maxdiff / (maxabs > 0 ? maxabs : 1));
	if (do_layers)
		layers(&mr, runs);
	if (do_shapes)
		shape_table();

	if (!no_golden)
		printf("BENCH engine_%s_golden_ms %.1f ms none 0 true\n", name,
		       tgold * 1e3);
	printf("BENCH engine_%s_fast_ms %.2f ms golden_engine %.0f %s\n", name,
	       tfast * 1e3, FAST_MS_TARGET,
	       tfast * 1e3 <= FAST_MS_TARGET ? "true" : "false");
	/* against PyTorch (tools/bench measures it in the same run) */
	gflop = model_gflop(mr.m);
	if (torch_ms > 0) {
		printf("%s: %.2f GFLOP, fast engine %.2f ms (%.1f GFLOP/s), "
		       "PyTorch %.2f ms (%.1f GFLOP/s): ratio %.2f\n",
		       name, gflop, tfast * 1e3, gflop / tfast, torch_ms,
		       gflop / (torch_ms * 1e-3), tfast * 1e3 / torch_ms);
		printf("BENCH engine_%s_vs_pytorch %.2f x pytorch 1.0 %s\n",
		       name, tfast * 1e3 / torch_ms,
		       tfast * 1e3 <= torch_ms ? "true" : "false");
	}
	if (peak > 0)
		printf("BENCH engine_%s_gflops %.1f GFLOP/s measured_peak_%.0f "
		       "%.1f %s\n",
		       name, gflop / tfast, peak, 0.85 * peak,
		       gflop / tfast >= 0.85 * peak ? "true" : "false");
	if (torch_ms > 0)
		torch_error(path, name, o, elems);
	if (!no_golden)
		printf("BENCH engine_%s_speedup %.1f x golden_engine %.0f %s\n",
		       name, speedup, SPEEDUP_TARGET,
		       speedup >= SPEEDUP_TARGET && maxdiff <= 1e-4 * maxabs
			       ? "true"
			       : "false");
	free(gold);
	free(t);
	free(mr.arena);
	free(mr.arena0);
	gconv_model_free(mr.m);
	return 0;
}
