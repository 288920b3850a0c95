// SPDX-License-Identifier: MIT
/*
 * The ONNX compiler end to end: the digits demo model against PyTorch,
 * the fixtures in tests/compiler/fixtures (made by make_fixtures.py), the
 * .gcm format, clear errors, and corrupt inputs that must never crash.
 * Run from the repository root.
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gconv/model.h>
#include <gconv/tensor_io.h>

#include "../harness.h"

#define DIGITS "tools/models/digits/"
#define FIX    "tests/compiler/fixtures/"

static struct gconv_model *compile_ok(const char *path, uint32_t flags)
{
	struct gconv_compile_opts o = { .flags = flags };
	struct gconv_model *m = NULL;
	char err[512] = "";

	if (gconv_model_open(path, &o, &m, err, sizeof(err)))
		FAILF("%s: %s", path, err);
	return m;
}

static void *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	void *buf;
	long n;

	if (!f)
		FAILF("cannot open %s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n)
		FAILF("cannot read %s", path);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static void load_npy(const char *path, struct gconv_tensor *t)
{
	char err[256];

	if (gconv_npy_read(path, t, err, sizeof(err)))
		FAILF("%s", err);
}

/* run a single-input single-output model on a fixture pair */
static void check_fixture(const char *name, uint32_t flags, uint32_t want_count)
{
	char path[256], err[256];
	struct gconv_tensor x, y;
	struct gconv_session *s;
	struct gconv_model *m;

	snprintf(path, sizeof(path), FIX "%s.onnx", name);
	m = compile_ok(path, flags);
	if (want_count)
		CHECK_EQ_INT(gconv_model_gconv_count(m), want_count);
	snprintf(path, sizeof(path), FIX "%s.input.npy", name);
	load_npy(path, &x);
	snprintf(path, sizeof(path), FIX "%s.output.npy", name);
	load_npy(path, &y);
	CHECK_EQ_INT(gconv_model_input(m, 0)->elems, x.elems);
	CHECK_EQ_INT(gconv_model_output(m, 0)->elems, y.elems);
	CHECK_EQ_INT(gconv_session_create(m, &s), 0);
	memcpy(gconv_session_input(s, 0), x.data, x.elems * sizeof(float));
	if (gconv_session_run(s, err, sizeof(err)))
		FAILF("run: %s", err);
	CHECK_ARRAY_NEAR(gconv_session_output(s, 0), y.data, y.elems, 1e-5,
			 1e-5);
	gconv_session_free(s);
	gconv_model_free(m);
	gconv_tensor_free(&x);
	gconv_tensor_free(&y);
}

/* argmax predictions and probabilities of the digits model */
static void run_digits(struct gconv_model *m, const struct gconv_tensor *x,
		       float *probs, int *pred)
{
	struct gconv_session *s;
	char err[256];
	int64_t i;
	int j;

	CHECK_EQ_INT(gconv_session_create(m, &s), 0);
	for (i = 0; i < x->dims[0]; i++) {
		const float *o;

		memcpy(gconv_session_input(s, 0), x->data + i * 64,
		       64 * sizeof(float));
		if (gconv_session_run(s, err, sizeof(err)))
			FAILF("sample %lld: %s", (long long)i, err);
		o = gconv_session_output(s, 0);
		pred[i] = 0;
		for (j = 0; j < 10; j++) {
			probs[i * 10 + j] = o[j];
			if (o[j] > o[pred[i]])
				pred[i] = j;
		}
	}
	gconv_session_free(s);
}

TEST(digits_predictions_match_pytorch)
{
	struct gconv_tensor x, tp, tpred, labels;
	struct gconv_model *m = compile_ok(DIGITS "digits.onnx", 0);
	float probs[100 * 10];
	int pred[100], i, correct = 0;

	load_npy(DIGITS "samples.npy", &x);
	load_npy(DIGITS "torch_probs.npy", &tp);
	load_npy(DIGITS "torch_pred.npy", &tpred);
	load_npy(DIGITS "labels.npy", &labels);
	CHECK_EQ_INT(x.dims[0], 100);
	run_digits(m, &x, probs, pred);
	for (i = 0; i < 100; i++) {
		if (pred[i] != tpred.idata[i])
			FAILF("sample %d: predicted %d, PyTorch %lld", i,
			      pred[i], (long long)tpred.idata[i]);
		correct += pred[i] == labels.idata[i];
	}
	CHECK_ARRAY_NEAR(probs, tp.data, 1000, 1e-4, 1e-5);
	CHECK(correct >= 95);
	gconv_model_free(m);
	gconv_tensor_free(&x);
	gconv_tensor_free(&tp);
	gconv_tensor_free(&tpred);
	gconv_tensor_free(&labels);
}

TEST(digits_batchnorm_folded_and_relus_fused)
{
	struct gconv_model *m = compile_ok(DIGITS "digits.onnx", 0);
	struct gconv_model *plain =
		compile_ok(DIGITS "digits.onnx",
			   GCONV_COMPILE_NO_FUSE | GCONV_COMPILE_NO_FOLD_BN);
	struct gconv_model_layout l;

	/* conv, pool, conv, pool, gemm, gemm, 4 for softmax */
	CHECK_EQ_INT(gconv_model_gconv_count(m), 10);
	/* + batchnorm + three relus */
	CHECK_EQ_INT(gconv_model_gconv_count(plain), 14);
	gconv_model_layout(m, &l);
	CHECK(l.arena_size < l.naive_bytes);
	gconv_model_free(m);
	gconv_model_free(plain);
}

TEST(naive_memory_flag_uses_the_naive_arena)
{
	struct gconv_model *m =
		compile_ok(DIGITS "digits.onnx", GCONV_COMPILE_NAIVE_MEMORY);
	struct gconv_model_layout l;

	gconv_model_layout(m, &l);
	CHECK_EQ_INT(l.arena_size, l.naive_bytes);
	gconv_model_free(m);
}

TEST(shape_arithmetic_folds_to_one_gemm)
{
	check_fixture("shape_arith", 0, 1);
}

TEST(external_tensor_data_is_read)
{
	check_fixture("external", 0, 1);
}

TEST(concat_inputs_are_written_in_place)
{
	/* conv(+relu fused) and conv write their slices; then the pool */
	check_fixture("concat", 0, 3);
	check_fixture("concat", GCONV_COMPILE_NO_INPLACE, 0);
}

TEST(unsupported_operator_is_an_error_naming_node_and_op)
{
	struct gconv_model *m;
	char err[512] = "";

	CHECK_EQ_INT(gconv_compile_onnx_file(FIX "unsupported_op.onnx", NULL,
					     &m, err, sizeof(err)),
		     -EINVAL);
	CHECK(m == NULL);
	if (!strstr(err, "the_erf_node") || !strstr(err, "Erf"))
		FAILF("message does not name the node and op: %s", err);
}

TEST(symbolic_dimension_is_an_error)
{
	struct gconv_model *m;
	char err[512] = "";

	CHECK_EQ_INT(gconv_compile_onnx_file(FIX "symbolic_dim.onnx", NULL, &m,
					     err, sizeof(err)),
		     -EINVAL);
	if (!strstr(err, "symbolic") || !strstr(err, "'N'"))
		FAILF("unexpected message: %s", err);
}

TEST(missing_file_is_an_error)
{
	struct gconv_model *m;
	char err[512] = "";

	CHECK(gconv_model_open(FIX "no-such-model.onnx", NULL, &m, err,
			       sizeof(err)) == -ENOENT);
	CHECK(strstr(err, "No such file") != NULL);
}

static char *tmp_path(char *buf, size_t len)
{
	int fd;

	snprintf(buf, len, "/tmp/gconv-test-XXXXXX");
	fd = mkstemp(buf);
	if (fd < 0)
		FAILF("mkstemp failed");
	close(fd);
	return buf;
}

TEST(gcm_round_trip_gives_identical_results)
{
	struct gconv_model *m = compile_ok(DIGITS "digits.onnx", 0), *l;
	struct gconv_tensor x;
	float p1[1000], p2[1000];
	int pr1[100], pr2[100];
	char path[64], err[256];

	load_npy(DIGITS "samples.npy", &x);
	tmp_path(path, sizeof(path));
	if (gconv_model_save(m, path, err, sizeof(err)))
		FAILF("save: %s", err);
	if (gconv_model_load_file(path, &l, err, sizeof(err)))
		FAILF("load: %s", err);
	CHECK_EQ_INT(gconv_model_gconv_count(l), gconv_model_gconv_count(m));
	CHECK_STR(gconv_model_input(l, 0)->name, "input");
	CHECK_STR(gconv_model_output(l, 0)->name, "probs");
	run_digits(m, &x, p1, pr1);
	run_digits(l, &x, p2, pr2);
	CHECK(memcmp(p1, p2, sizeof(p1)) == 0);
	unlink(path);
	gconv_model_free(m);
	gconv_model_free(l);
	gconv_tensor_free(&x);
}

static void *saved_gcm(size_t *len)
{
	struct gconv_model *m = compile_ok(DIGITS "digits.onnx", 0);
	char path[64], err[256];
	void *buf;

	tmp_path(path, sizeof(path));
	if (gconv_model_save(m, path, err, sizeof(err)))
		FAILF("save: %s", err);
	buf = slurp(path, len);
	unlink(path);
	gconv_model_free(m);
	return buf;
}

TEST(gcm_truncated_is_rejected)
{
	size_t len, cut;
	uint8_t *buf = saved_gcm(&len);

	for (cut = 0; cut < len; cut += 1 + cut / 8) {
		struct gconv_model *m = NULL;
		uint8_t *copy = malloc(cut + 1);
		char err[256] = "";

		memcpy(copy, buf, cut);
		if (gconv_model_load(copy, cut, &m, err, sizeof(err)) !=
		    -EINVAL)
			FAILF("truncated at %zu of %zu: accepted", cut, len);
		if (!strstr(err, "truncated"))
			FAILF("truncated at %zu: message '%s'", cut, err);
		free(copy);
	}
	free(buf);
}

TEST(gcm_bit_flips_are_rejected)
{
	unsigned long long rs = 42;
	size_t len;
	uint8_t *buf = saved_gcm(&len);
	int i;

	for (i = 0; i < 2000; i++) {
		size_t at = harness_rand(&rs) % len;
		uint8_t bit = (uint8_t)(1u << (harness_rand(&rs) % 8));
		struct gconv_model *m = NULL;
		char err[256] = "";

		buf[at] ^= bit;
		if (gconv_model_load(buf, len, &m, err, sizeof(err)) != -EINVAL)
			FAILF("bit flip at byte %zu accepted", at);
		CHECK(err[0] != 0);
		buf[at] ^= bit;
	}
	free(buf);
}

/* a damaged ONNX file compiles or is refused, and never crashes */
static void damage_onnx(const char *path, int flips)
{
	unsigned long long rs = 1234;
	size_t len, cut;
	uint8_t *buf = slurp(path, &len);
	int i;

	for (cut = 0; cut < len; cut += 1 + cut / 16) {
		struct gconv_model *m = NULL;
		char err[512] = "";
		int r = gconv_compile_onnx(buf, cut, NULL, &m, err,
					   sizeof(err));

		if (r && !err[0])
			FAILF("truncated at %zu: error %d without a message",
			      cut, r);
		gconv_model_free(m);
	}
	for (i = 0; i < flips; i++) {
		size_t at = harness_rand(&rs) % len;
		uint8_t bit = (uint8_t)(1u << (harness_rand(&rs) % 8));
		struct gconv_model *m = NULL;
		char err[512] = "";
		int r;

		buf[at] ^= bit;
		r = gconv_compile_onnx(buf, len, NULL, &m, err, sizeof(err));
		if (r && !err[0])
			FAILF("bit flip at %zu: error %d without a message", at,
			      r);
		if (!r) {
			struct gconv_model_layout l;
			struct gconv_session *s;

			gconv_model_layout(m, &l);
			/* run what still compiles, if it stayed small */
			if (l.arena_size < (1u << 24) &&
			    !gconv_session_create(m, &s)) {
				gconv_session_run(s, err, sizeof(err));
				gconv_session_free(s);
			}
		}
		gconv_model_free(m);
		buf[at] ^= bit;
	}
	free(buf);
}

TEST(truncated_and_bit_flipped_onnx_never_crash)
{
	damage_onnx(DIGITS "digits.onnx", 300);
	damage_onnx(FIX "concat.onnx", 300);
	damage_onnx(FIX "shape_arith.onnx", 300);
}

/* a shape-deciding graph input must be specialised through opts.consts */
TEST(shape_input_is_specialised_with_consts)
{
	static const int64_t shape[2] = { 6, 4 }, dims[1] = { 2 };
	const struct gconv_const_input c = {
		.name = "shape",
		.ndim = 1,
		.dims = dims,
		.idata = shape,
	};
	struct gconv_compile_opts o = { .consts = &c, .nconsts = 1 };
	const struct gconv_tensor_info *out;
	struct gconv_session *s;
	struct gconv_model *m;
	char err[512] = "";
	float *x;
	int i;

	CHECK_EQ_INT(gconv_compile_onnx_file(FIX "shape_input.onnx", NULL, &m,
					     err, sizeof(err)),
		     -EINVAL);
	if (!strstr(err, "'shape'") || !strstr(err, "compile time"))
		FAILF("unexpected message: %s", err);
	if (gconv_compile_onnx_file(FIX "shape_input.onnx", &o, &m, err,
				    sizeof(err)))
		FAILF("with consts: %s", err);
	CHECK_EQ_INT(gconv_model_num_inputs(m), 1);
	out = gconv_model_output(m, 0);
	CHECK_EQ_INT(out->ndim, 2);
	CHECK_EQ_INT(out->dims[0], 6);
	CHECK_EQ_INT(out->dims[1], 4);
	CHECK_EQ_INT(gconv_session_create(m, &s), 0);
	x = gconv_session_input(s, 0);
	for (i = 0; i < 24; i++)
		x[i] = (float)(i - 12);
	if (gconv_session_run(s, err, sizeof(err)))
		FAILF("%s", err);
	for (i = 0; i < 24; i++)
		CHECK_NEAR(gconv_session_output(s, 0)[i], i < 12 ? 0 : i - 12,
			   0, 0);
	gconv_session_free(s);
	gconv_model_free(m);
}

/* gconv_compile_opts.batch */
static struct gconv_model *compile_batch(const char *path, uint32_t batch)
{
	struct gconv_compile_opts o = { .batch = batch };
	struct gconv_model *m = NULL;
	char err[512] = "";

	if (gconv_compile_onnx_file(path, &o, &m, err, sizeof(err)))
		FAILF("%s at batch %u: %s", path, batch, err);
	return m;
}

/* compiling @path at @batch fails with a message that starts with @want */
static void check_batch_error(const char *path, uint32_t batch,
			      const char *want)
{
	struct gconv_compile_opts o = { .batch = batch };
	struct gconv_model *m = NULL;
	char err[512] = "";

	CHECK_EQ_INT(gconv_compile_onnx_file(path, &o, &m, err, sizeof(err)),
		     -EINVAL);
	CHECK(m == NULL);
	if (strncmp(err, want, strlen(want)))
		FAILF("%s at batch %u: expected \"%s...\", got \"%s\"", path,
		      batch, want, err);
}

TEST(session_runs_on_either_engine)
{
	struct gconv_model *m = compile_batch(DIGITS "digits.onnx", 0);
	struct gconv_session *g, *f;
	struct gconv_tensor x, pred;
	char err[256];
	int64_t i;
	int j, agree = 0;
	double worst = 0;

	load_npy(DIGITS "samples.npy", &x);
	load_npy(DIGITS "torch_pred.npy", &pred);
	CHECK_EQ_INT(gconv_session_create(m, &g), 0);
	CHECK_EQ_INT(gconv_session_create(m, &f), 0);
	CHECK_EQ_INT(gconv_session_set_engine(g, GCONV_ENGINE_GOLDEN), 0);
	CHECK_EQ_INT(gconv_session_set_engine(f, GCONV_ENGINE_FAST), 0);
	CHECK_EQ_INT(gconv_session_set_engine(f, (enum gconv_engine_kind)7),
		     -EINVAL);
	for (i = 0; i < x.dims[0]; i++) {
		const float *a, *b;
		int best = 0;

		memcpy(gconv_session_input(g, 0), x.data + i * 64,
		       64 * sizeof(float));
		memcpy(gconv_session_input(f, 0), x.data + i * 64,
		       64 * sizeof(float));
		if (gconv_session_run(g, err, sizeof(err)) ||
		    gconv_session_run(f, err, sizeof(err)))
			FAILF("sample %lld: %s", (long long)i, err);
		a = gconv_session_output(g, 0);
		b = gconv_session_output(f, 0);
		for (j = 0; j < 10; j++) {
			double d = a[j] > b[j] ? a[j] - b[j] : b[j] - a[j];

			if (d > worst)
				worst = d;
			if (b[j] > b[best])
				best = j;
		}
		agree += best == pred.idata[i];
	}
	/* probabilities in [0, 1]: fp32 against double, ten GCONVs deep */
	CHECK(worst < 1e-5);
	CHECK_EQ_INT(agree, (int)x.dims[0]);
	gconv_session_free(g);
	gconv_session_free(f);
	gconv_model_free(m);
	gconv_tensor_free(&x);
	gconv_tensor_free(&pred);
}

/*
 * Each row of a batch-3 run against the batch-1 run of its sample: equal
 * bit for bit on the golden engine, which computes every element the same
 * way whatever the batch; within fp32 rounding on the fast one, whose
 * SGEMM sums in an order that depends on the matrix's width.
 */
static void batch_rows(enum gconv_engine_kind kind)
{
	struct gconv_model *m1 = compile_batch(DIGITS "digits.onnx", 1);
	struct gconv_model *m3 = compile_batch(DIGITS "digits.onnx", 3);
	const struct gconv_tensor_info *in, *out;
	struct gconv_session *s1, *s3;
	struct gconv_tensor x;
	char err[256];
	int i, j;

	load_npy(DIGITS "samples.npy", &x);
	in = gconv_model_input(m3, 0);
	out = gconv_model_output(m3, 0);
	CHECK_EQ_INT(in->ndim, 4);
	CHECK_EQ_INT(in->dims[0], 3);
	CHECK_EQ_INT(in->elems, 3 * 64);
	CHECK_EQ_INT(out->ndim, 2);
	CHECK_EQ_INT(out->dims[0], 3);
	CHECK_EQ_INT(out->elems, 3 * 10);
	CHECK_EQ_INT(gconv_model_input(m1, 0)->dims[0], 1);
	CHECK_EQ_INT(gconv_model_output(m1, 0)->elems, 10);
	CHECK_EQ_INT(gconv_session_create(m1, &s1), 0);
	CHECK_EQ_INT(gconv_session_create(m3, &s3), 0);
	CHECK_EQ_INT(gconv_session_set_engine(s1, kind), 0);
	CHECK_EQ_INT(gconv_session_set_engine(s3, kind), 0);
	/* three different samples, one per row */
	memcpy(gconv_session_input(s3, 0), x.data + 5 * 64,
	       3 * 64 * sizeof(float));
	if (gconv_session_run(s3, err, sizeof(err)))
		FAILF("batch 3: %s", err);
	CHECK(memcmp(gconv_session_output(s3, 0),
		     gconv_session_output(s3, 0) + 10,
		     10 * sizeof(float)) != 0);
	for (i = 0; i < 3; i++) {
		memcpy(gconv_session_input(s1, 0), x.data + (5 + i) * 64,
		       64 * sizeof(float));
		if (gconv_session_run(s1, err, sizeof(err)))
			FAILF("batch 1: %s", err);
		if (kind == GCONV_ENGINE_GOLDEN &&
		    memcmp(gconv_session_output(s3, 0) + i * 10,
			   gconv_session_output(s1, 0), 10 * sizeof(float)))
			FAILF("row %d differs from the batch-1 run", i);
		for (j = 0; j < 10; j++) {
			/* probabilities in [0, 1] */
			float a = gconv_session_output(s3, 0)[i * 10 + j];
			float b = gconv_session_output(s1, 0)[j];

			if (fabsf(a - b) > 1e-6f)
				FAILF("row %d, class %d: %.9g in the batch, "
				      "%.9g alone",
				      i, j, a, b);
		}
	}
	gconv_session_free(s1);
	gconv_session_free(s3);
	gconv_model_free(m1);
	gconv_model_free(m3);
	gconv_tensor_free(&x);
}

TEST(batch_rows_match_batch_1_runs)
{
	batch_rows(GCONV_ENGINE_GOLDEN);
	batch_rows(GCONV_ENGINE_FAST);
}

TEST(batch_makes_a_symbolic_first_dimension_concrete)
{
	const struct gconv_tensor_info *out;
	struct gconv_session *s;
	struct gconv_model *m;
	char err[512] = "";
	float *x;
	int i;

	/* without a batch, the existing error */
	CHECK_EQ_INT(gconv_compile_onnx_file(FIX "symbolic_dim.onnx", NULL, &m,
					     err, sizeof(err)),
		     -EINVAL);
	CHECK(strstr(err, "symbolic") != NULL);
	m = compile_batch(FIX "symbolic_dim.onnx", 5);
	CHECK_EQ_INT(gconv_model_input(m, 0)->dims[0], 5);
	CHECK_EQ_INT(gconv_model_input(m, 0)->dims[1], 4);
	out = gconv_model_output(m, 0);
	CHECK_EQ_INT(out->ndim, 2);
	CHECK_EQ_INT(out->dims[0], 5);
	CHECK_EQ_INT(out->elems, 20);
	CHECK_EQ_INT(gconv_session_create(m, &s), 0);
	x = gconv_session_input(s, 0);
	for (i = 0; i < 20; i++)
		x[i] = (float)(i - 10);
	if (gconv_session_run(s, err, sizeof(err)))
		FAILF("%s", err);
	for (i = 0; i < 20; i++)
		CHECK_NEAR(gconv_session_output(s, 0)[i], i < 10 ? 0 : i - 10,
			   0, 0);
	gconv_session_free(s);
	gconv_model_free(m);
	/* the largest batch allowed */
	m = compile_batch(FIX "symbolic_dim.onnx", GCONV_COMPILE_MAX_BATCH);
	CHECK_EQ_INT(gconv_model_input(m, 0)->dims[0], GCONV_COMPILE_MAX_BATCH);
	gconv_model_free(m);
}

TEST(batch_refuses_models_it_cannot_batch)
{
	struct gconv_model *m;

	/* each compiles as declared */
	m = compile_batch(FIX "batch_first_dim_3.onnx", 0);
	gconv_model_free(m);
	m = compile_batch(FIX "batch_reshape_1.onnx", 0);
	gconv_model_free(m);
	m = compile_batch(FIX "batch_transposed.onnx", 0);
	gconv_model_free(m);

	check_batch_error(FIX "batch_first_dim_3.onnx", 2,
			  "batch 2: graph input 'x' has first dimension 3 "
			  "(must be 1 or symbolic to batch)");
	check_batch_error(FIX "batch_scalar.onnx", 4,
			  "batch 4: graph input 'x' is a scalar");
	check_batch_error(FIX "batch_transposed.onnx", 3,
			  "batch 3: output 'y' has first dimension 4; the "
			  "model does not batch along its first axis");
	/* shape inference's own error, marked as compiled batched */
	check_batch_error(FIX "batch_reshape_1.onnx", 3,
			  "batch 3: node 'to_1x2x2' (Reshape): ");
	check_batch_error(DIGITS "digits.onnx", GCONV_COMPILE_MAX_BATCH + 1,
			  "batch 4097: too large (at most 4096)");
	check_batch_error(DIGITS "digits.onnx", UINT32_MAX,
			  "batch 4294967295: too large");
}

/* inputs stay intact: running twice without rewriting them is the same */
/* gconvd compiles in several worker threads: compiles must not share state */
struct compile_thread {
	void *buf;
	size_t len;
	struct gconv_model_layout want;
	int bad;
};

static void *compile_many(void *arg)
{
	struct compile_thread *t = arg;
	struct gconv_model_layout l;
	struct gconv_model *m;
	char err[256];
	int i;

	for (i = 0; i < 300; i++) {
		if (gconv_compile_onnx(t->buf, t->len, NULL, &m, err,
				       sizeof(err))) {
			t->bad++;
			continue;
		}
		gconv_model_layout(m, &l);
		if (memcmp(&l, &t->want, sizeof(l)))
			t->bad++;
		gconv_model_free(m);
	}
	return NULL;
}

TEST(compiles_in_parallel_threads_agree)
{
	/* two different models at once: a shared sort key once mixed them */
	static const char *const paths[2] = {
		DIGITS "digits.onnx", "tests/compiler/fixtures/concat.onnx"
	};
	struct compile_thread t[4];
	struct gconv_model *m;
	pthread_t tid[4];
	void *buf[2];
	size_t len[2];
	int i;

	for (i = 0; i < 2; i++)
		buf[i] = slurp(paths[i], &len[i]);
	for (i = 0; i < 4; i++) {
		t[i] = (struct compile_thread){ .buf = buf[i % 2],
						.len = len[i % 2] };
		m = compile_ok(paths[i % 2], 0);
		gconv_model_layout(m, &t[i].want);
		gconv_model_free(m);
	}
	for (i = 0; i < 4; i++)
		CHECK_EQ_INT(pthread_create(&tid[i], NULL, compile_many, &t[i]),
			     0);
	for (i = 0; i < 4; i++) {
		pthread_join(tid[i], NULL);
		CHECK_EQ_INT(t[i].bad, 0);
	}
	for (i = 0; i < 2; i++)
		free(buf[i]);
}

TEST(session_run_keeps_inputs_intact)
{
	struct gconv_model *m = compile_ok(DIGITS "digits.onnx", 0);
	struct gconv_session *s;
	struct gconv_tensor x;
	float first[10], in[64];
	char err[256];

	load_npy(DIGITS "samples.npy", &x);
	CHECK_EQ_INT(gconv_session_create(m, &s), 0);
	memcpy(gconv_session_input(s, 0), x.data + 3 * 64, sizeof(in));
	if (gconv_session_run(s, err, sizeof(err)))
		FAILF("%s", err);
	memcpy(first, gconv_session_output(s, 0), sizeof(first));
	CHECK(memcmp(gconv_session_input(s, 0), x.data + 3 * 64, sizeof(in)) ==
	      0);
	if (gconv_session_run(s, err, sizeof(err)))
		FAILF("%s", err);
	CHECK(memcmp(first, gconv_session_output(s, 0), sizeof(first)) == 0);
	gconv_session_free(s);
	gconv_model_free(m);
	gconv_tensor_free(&x);
}

static const struct test tests[] = {
	T(session_runs_on_either_engine),
	T(shape_input_is_specialised_with_consts),
	T(session_run_keeps_inputs_intact),
	T(digits_predictions_match_pytorch),
	T(compiles_in_parallel_threads_agree),
	T(digits_batchnorm_folded_and_relus_fused),
	T(naive_memory_flag_uses_the_naive_arena),
	T(shape_arithmetic_folds_to_one_gemm),
	T(external_tensor_data_is_read),
	T(concat_inputs_are_written_in_place),
	T(unsupported_operator_is_an_error_naming_node_and_op),
	T(symbolic_dimension_is_an_error),
	T(missing_file_is_an_error),
	T(batch_rows_match_batch_1_runs),
	T(batch_makes_a_symbolic_first_dimension_concrete),
	T(batch_refuses_models_it_cannot_batch),
	T(gcm_round_trip_gives_identical_results),
	T(gcm_truncated_is_rejected),
	T(gcm_bit_flips_are_rejected),
	T(truncated_and_bit_flipped_onnx_never_crash),
};

int main(int argc, char **argv)
{
	return HARNESS_MAIN(tests);
}
