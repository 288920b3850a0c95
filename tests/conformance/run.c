// SPDX-License-Identifier: MIT
/*
 * conformance-run: ONNX's own backend node tests through the gconv compiler.
 *
 *	conformance-run [--data DIR] [--expect FILE] [--write-expect FILE]
 *			[--no-fold-params] [--timeout SEC] [--no-fork]
 *			[--verbose] [TEST...]
 *
 * Every directory DIR/<test> (default DIR: Debian libonnx-testdata's
 * /usr/include/onnx/backend/test/data/node) holds model.onnx and
 * test_data_set_0/{input,output}_K.pb, serialized onnx TensorProtos.  A
 * test is SKIPped, with its reason, when one of its nodes is an operator
 * outside the supported set below, when a graph input or output is not a
 * float32 tensor, or when it asks for training-mode outputs.  Otherwise
 * the model is compiled with gconv_compile_onnx_file(), the inputs are
 * copied in (input_K.pb goes to the model input of the TensorProto's name,
 * or, unnamed, to the K-th graph input that is not an initializer), the
 * chain is run on the CPU and every output_K.pb is compared with the K-th
 * graph output: |got - want| <= atol + rtol * |want| with rtol 1e-4 and
 * atol 1e-5, NaN equal to NaN and inf to an inf of the same sign.  A
 * compile error, run error, element count mismatch or value mismatch is a
 * FAIL with a one-line reason.  Each test runs in a child process (unless
 * --no-fork), so a crash or a hang is that test's FAIL, never the
 * runner's end.
 *
 * Output: one line per test ("PASS name", "FAIL name: reason", "SKIP
 * name: reason"), a per-operator table (for every supported operator: the
 * selected, i.e. not skipped, tests that use it, how many pass and fail),
 * the skip reasons with counts, and the last line "N passed, N failed, N
 * skipped".
 *
 * Expectations (--expect FILE: one test name per line, '#' starts a
 * comment): a listed test that does not PASS is printed as "REGRESSION
 * name" and makes the exit status 1; a passing test that is not listed is
 * printed as "NEW-PASS name" and is not a failure.  In expect mode the
 * last line counts passed = tests that pass, failed = regressions, skipped
 * = all the rest (skipped tests and failing tests that are not listed).
 * Without --expect the exit status is 1 iff any test FAILs.
 * --write-expect FILE writes the sorted names of the passing tests.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gconv/model.h>

#include "onnx.pb-c.h"

#define DEFAULT_DATA	"/usr/include/onnx/backend/test/data/node"
#define RTOL		1e-4
#define ATOL		1e-5
#define DEFAULT_TIMEOUT 300
#define MAX_ELEMS	((uint64_t)1 << 32)

/* The operators the compiler lowers, then the ones it folds away, then
 * the extra ones it also supports. */
static const char *const supported_ops[] = {
	/* the lowered set */
	"Conv",
	"ConvTranspose",
	"MaxPool",
	"AveragePool",
	"GlobalAveragePool",
	"GlobalMaxPool",
	"Relu",
	"LeakyRelu",
	"PRelu",
	"Sigmoid",
	"Tanh",
	"Clip",
	"HardSigmoid",
	"HardSwish",
	"Elu",
	"Selu",
	"Softplus",
	"Softmax",
	"LogSoftmax",
	"BatchNormalization",
	"InstanceNormalization",
	"LRN",
	"Gemm",
	"MatMul",
	"Add",
	"Sub",
	"Mul",
	"Div",
	"Max",
	"Min",
	"Sum",
	"Concat",
	"Flatten",
	"Reshape",
	"Transpose",
	"Squeeze",
	"Unsqueeze",
	"Pad",
	"Identity",
	"Dropout",
	"Upsample",
	"Resize",
	"ReduceMean",
	"ReduceMax",
	"ReduceSum",
	/* helpers the compiler folds */
	"Constant",
	"Shape",
	"Gather",
	"Cast",
	"Slice",
	"ConstantOfShape",
	"Range",
	"Expand",
	/* extras */
	"Abs",
	"Neg",
	"Exp",
	"Log",
	"Sqrt",
	"Reciprocal",
	"Pow",
	"Mean",
	"ReduceMin",
	"ReduceSumSquare",
	"ReduceL1",
	"ReduceL2",
	"ReduceLogSum",
	"ReduceLogSumExp",
};

#define NOPS (sizeof(supported_ops) / sizeof(supported_ops[0]))

enum status { ST_PASS, ST_FAIL, ST_SKIP };

static const char *const status_name[] = { "PASS", "FAIL", "SKIP" };

struct result {
	char *name;
	enum status st;
	char *reason;
	unsigned char uses[NOPS]; /* 1 if the test has that operator */
};

struct options {
	const char *data;
	const char *expect;
	const char *write_expect;
	unsigned int timeout;
	int verbose;
	int fork;
	int fold_int;
};

/* What running one test found: a status, a one-line reason and, for
 * --verbose, the compiler's error in full. */
struct outcome {
	enum status st;
	char reason[512];
	char detail[8192];
};

/* clang-format off */
static void usage(FILE *f)
{
	fprintf(f,
		"usage: conformance-run [--data DIR] [--expect FILE] [--write-expect FILE]\n"
		"                       [--no-fold-params] [--timeout SEC] [--no-fork]\n"
		"                       [--verbose] [TEST...]\n"
		"\n"
		"Runs ONNX backend node tests (DIR/<test>/model.onnx and\n"
		"test_data_set_0/*.pb; DIR defaults to " DEFAULT_DATA ")\n"
		"through the gconv compiler and the CPU engine, comparing every\n"
		"output with |got-want| <= 1e-5 + 1e-4*|want|.  Prints one line per\n"
		"test (PASS/FAIL/SKIP), a per-operator table, the skip reasons and\n"
		"finally \"N passed, N failed, N skipped\".\n"
		"\n"
		"  --data DIR          directory of test directories\n"
		"  --expect FILE       tests expected to pass, one per line ('#'\n"
		"                      comments); a listed test that does not pass is a\n"
		"                      REGRESSION (exit status 1), an unlisted passing\n"
		"                      test is a NEW-PASS.  The last line then counts\n"
		"                      passed = passing tests, failed = regressions,\n"
		"                      skipped = the rest (skipped, and failing tests\n"
		"                      that are not listed).\n"
		"  --write-expect FILE write the sorted names of the passing tests\n"
		"  --no-fold-params    skip tests with int32/int64 graph inputs (shapes,\n"
		"                      axes, pads, indices) or float inputs that decide\n"
		"                      shapes (Resize scales, Range bounds), instead of\n"
		"                      compiling them in as constants holding the test's\n"
		"                      data (the default: gconv compiles static shapes)\n"
		"  --timeout SEC       per-test time limit (default %d)\n"
		"  --no-fork           run tests in this process (for debuggers)\n"
		"  --verbose           also print compiler errors in full\n"
		"\n"
		"Exit status: with --expect, 1 iff there is a regression; without,\n"
		"1 iff any test fails; 2 for a usage or I/O error.\n",
		DEFAULT_TIMEOUT);
}
/* clang-format on */

/* ---- small helpers ------------------------------------------------------ */

static void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p) {
		fprintf(stderr, "conformance-run: out of memory\n");
		exit(2);
	}
	return p;
}

static char *xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = xmalloc(n);

	memcpy(p, s, n);
	return p;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Read a whole file.  0 or a negative errno. */
static int read_all(const char *path, uint8_t **buf, size_t *len)
{
	FILE *f = fopen(path, "rb");
	size_t cap = 1 << 16, n = 0, got;
	uint8_t *b, *nb;

	*buf = NULL;
	*len = 0;
	if (!f)
		return -errno;
	b = xmalloc(cap);
	for (;;) {
		got = fread(b + n, 1, cap - n, f);
		n += got;
		if (n < cap) {
			if (ferror(f)) {
				free(b);
				fclose(f);
				return -EIO;
			}
			break;
		}
		cap *= 2;
		nb = realloc(b, cap);
		if (!nb) {
			free(b);
			fclose(f);
			return -ENOMEM;
		}
		b = nb;
	}
	fclose(f);
	*buf = b;
	*len = n;
	return 0;
}

static int is_dir(const char *path)
{
	struct stat st;

	return !stat(path, &st) && S_ISDIR(st.st_mode);
}

static int file_exists(const char *path)
{
	struct stat st;

	return !stat(path, &st) && S_ISREG(st.st_mode);
}

/* Copy @src into @dst, truncated to fit. */
static void copy_str(char *dst, size_t len, const char *src)
{
	size_t n = strlen(src);

	if (!len)
		return;
	if (n >= len)
		n = len - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* Copy @src into @dst as one line: newlines and tabs become spaces. */
static void one_line(char *dst, size_t len, const char *src)
{
	size_t i;

	copy_str(dst, len, src);
	for (i = 0; dst[i]; i++)
		if (dst[i] == '\n' || dst[i] == '\r' || dst[i] == '\t')
			dst[i] = ' ';
	while (i > 0 && dst[i - 1] == ' ')
		dst[--i] = '\0';
}

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static void
set_outcome(struct outcome *o, enum status st, const char *fmt, ...);

static void set_outcome(struct outcome *o, enum status st, const char *fmt, ...)
{
	char tmp[sizeof(o->reason)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	o->st = st;
	one_line(o->reason, sizeof(o->reason), tmp);
}

static int supported_index(const char *op)
{
	size_t i;

	for (i = 0; i < NOPS; i++)
		if (!strcmp(supported_ops[i], op))
			return (int)i;
	return -1;
}

static int is_initializer(const Onnx__GraphProto *g, const char *name)
{
	size_t i;

	for (i = 0; i < g->n_initializer; i++)
		if (g->initializer[i]->name &&
		    !strcmp(g->initializer[i]->name, name))
			return 1;
	return 0;
}

static int is_f32_tensor(const Onnx__ValueInfoProto *v)
{
	const Onnx__TypeProto *t = v->type;

	return t && t->value_case == ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE &&
	       t->tensor_type && t->tensor_type->has_elem_type &&
	       t->tensor_type->elem_type ==
		       ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT;
}

static int is_int_tensor(const Onnx__ValueInfoProto *v)
{
	const Onnx__TypeProto *t = v->type;

	return t && t->value_case == ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE &&
	       t->tensor_type && t->tensor_type->has_elem_type &&
	       (t->tensor_type->elem_type ==
			ONNX__TENSOR_PROTO__DATA_TYPE__INT64 ||
		t->tensor_type->elem_type ==
			ONNX__TENSOR_PROTO__DATA_TYPE__INT32);
}

/*
 * A float graph input that only ever feeds parameter positions whose
 * values decide output shapes (Resize/Upsample scales and roi, Range's
 * bounds): gconv compiles static shapes, so such inputs are specialised.
 */
static int is_param_input(const Onnx__GraphProto *g, const char *name)
{
	static const struct {
		const char *op;
		size_t min_index;
	} params[] = {
		{ "Resize", 1 }, { "Upsample", 1 }, { "Range", 0 },
	};
	size_t i, j, k;
	int used = 0;

	for (i = 0; i < g->n_node; i++) {
		const Onnx__NodeProto *n = g->node[i];

		for (j = 0; j < n->n_input; j++) {
			int ok = 0;

			if (!n->input[j] || strcmp(n->input[j], name))
				continue;
			for (k = 0; k < sizeof(params) / sizeof(params[0]); k++)
				if (!strcmp(n->op_type, params[k].op) &&
				    j >= params[k].min_index)
					ok = 1;
			if (!ok)
				return 0;
			used = 1;
		}
	}
	return used;
}

/* With parameter folding: is graph input @name one that becomes an
 * initializer? */
static int folded_input(const Onnx__GraphProto *g, const char *name)
{
	size_t i;

	for (i = 0; i < g->n_input; i++)
		if (!strcmp(g->input[i]->name, name))
			return (is_int_tensor(g->input[i]) ||
				is_param_input(g, name)) &&
			       !is_initializer(g, name);
	return 0;
}

static const Onnx__AttributeProto *find_attr(const Onnx__NodeProto *n,
					     const char *name)
{
	size_t i;

	for (i = 0; i < n->n_attribute; i++)
		if (n->attribute[i]->name &&
		    !strcmp(n->attribute[i]->name, name))
			return n->attribute[i];
	return NULL;
}

static int nonempty(char **names, size_t n, size_t i)
{
	return i < n && names[i] && names[i][0];
}

/* Does the node compute training-mode results (BatchNormalization's
 * running statistics, Dropout's training switch or mask)? */
static int training_mode(const Onnx__NodeProto *n)
{
	const Onnx__AttributeProto *a;
	size_t i;

	if (!strcmp(n->op_type, "BatchNormalization")) {
		a = find_attr(n, "training_mode");
		if (a && a->has_i && a->i)
			return 1;
		for (i = 1; i < n->n_output; i++)
			if (nonempty(n->output, n->n_output, i))
				return 1;
	} else if (!strcmp(n->op_type, "Dropout")) {
		if (nonempty(n->input, n->n_input, 2) ||
		    nonempty(n->output, n->n_output, 1))
			return 1;
	}
	return 0;
}

/* ---- TensorProto -------------------------------------------------------- */

/* Decode a float32 TensorProto into a new array.  0, or -1 with @why. */
static int tensor_f32(const Onnx__TensorProto *t, float **data, uint64_t *elems,
		      char *why, size_t whylen)
{
	uint64_t n = 1, i;
	size_t k;
	float *d;

	*data = NULL;
	*elems = 0;
	if (!t->has_data_type ||
	    t->data_type != ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT) {
		snprintf(why, whylen, "data type %d, not float32",
			 t->has_data_type ? (int)t->data_type : 0);
		return -1;
	}
	if (t->has_data_location &&
	    t->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL) {
		snprintf(why, whylen, "external data is not supported");
		return -1;
	}
	for (k = 0; k < t->n_dims; k++) {
		if (t->dims[k] < 0 ||
		    (t->dims[k] && n > MAX_ELEMS / (uint64_t)t->dims[k])) {
			snprintf(why, whylen, "bad or huge dimension %lld",
				 (long long)t->dims[k]);
			return -1;
		}
		n *= (uint64_t)t->dims[k];
	}
	d = xmalloc((size_t)n * sizeof(float));
	if (t->has_raw_data && t->raw_data.len) {
		const uint8_t *p = t->raw_data.data;

		if (t->raw_data.len != n * 4) {
			snprintf(why, whylen,
				 "raw_data holds %zu bytes, shape needs %llu",
				 t->raw_data.len, (unsigned long long)(n * 4));
			free(d);
			return -1;
		}
		for (i = 0; i < n; i++, p += 4) {
			uint32_t u = (uint32_t)p[0] | (uint32_t)p[1] << 8 |
				     (uint32_t)p[2] << 16 |
				     (uint32_t)p[3] << 24;

			memcpy(&d[i], &u, sizeof(u));
		}
	} else {
		if (t->n_float_data != n) {
			snprintf(
				why, whylen,
				"float_data holds %zu values, shape needs %llu",
				t->n_float_data, (unsigned long long)n);
			free(d);
			return -1;
		}
		if (n)
			memcpy(d, t->float_data, (size_t)n * sizeof(float));
	}
	*data = d;
	*elems = n;
	return 0;
}

/* Unpack DIR/test_data_set_0/<kind>_<k>.pb; NULL if there is no such
 * file, *bad set if it is unreadable. */
static Onnx__TensorProto *load_pb(const char *dir, const char *kind,
				  unsigned int k, int *bad)
{
	char path[4096];
	Onnx__TensorProto *t;
	uint8_t *buf;
	size_t len;

	*bad = 0;
	snprintf(path, sizeof(path), "%s/test_data_set_0/%s_%u.pb", dir, kind,
		 k);
	if (!file_exists(path))
		return NULL;
	if (read_all(path, &buf, &len)) {
		*bad = 1;
		return NULL;
	}
	t = onnx__tensor_proto__unpack(NULL, len, buf);
	free(buf);
	if (!t)
		*bad = 1;
	return t;
}

static int close_enough(double got, double want)
{
	if (isnan(want))
		return isnan(got);
	if (isinf(want))
		return got == want;
	return fabs(got - want) <= ATOL + RTOL * fabs(want);
}

/* ---- one test: compile, feed, run, compare ------------------------------ */

/* The graph inputs that are not initializers, in graph order: where an
 * unnamed input_K.pb goes.  Returns how many; free *out. */
static size_t runtime_inputs(const Onnx__GraphProto *g, const char ***out)
{
	const char **v = xmalloc((g->n_input + 1) * sizeof(*v));
	size_t n = 0, j;

	for (j = 0; j < g->n_input; j++)
		if (!is_initializer(g, g->input[j]->name))
			v[n++] = g->input[j]->name;
	*out = v;
	return n;
}

static void feed_inputs(const char *dir, const Onnx__GraphProto *g,
			const struct gconv_model *m, struct gconv_session *s,
			int fold, struct outcome *o)
{
	uint32_t nin = gconv_model_num_inputs(m), i;
	unsigned char *fed = calloc(nin ? nin : 1, 1);
	const char **free_inputs;
	size_t nfree = runtime_inputs(g, &free_inputs);
	unsigned int k;

	if (!fed) {
		set_outcome(o, ST_FAIL, "out of memory");
		goto out;
	}

	for (k = 0;; k++) {
		const struct gconv_tensor_info *info;
		Onnx__TensorProto *t;
		const char *name;
		char why[256];
		uint64_t n;
		float *d;
		int bad, idx;

		t = load_pb(dir, "input", k, &bad);
		if (!t) {
			if (bad)
				set_outcome(o, ST_FAIL,
					    "input_%u.pb: cannot parse", k);
			break;
		}
		if (t->name && t->name[0])
			name = t->name;
		else if (k < nfree)
			name = free_inputs[k];
		else
			name = NULL;
		if (!name) {
			set_outcome(o, ST_FAIL,
				    "input_%u.pb: unnamed and the graph has "
				    "only %zu inputs",
				    k, nfree);
			onnx__tensor_proto__free_unpacked(t, NULL);
			break;
		}
		if (is_initializer(g, name) ||
		    (fold && folded_input(g, name))) {
			/* an initializer, or compiled in as a constant */
			onnx__tensor_proto__free_unpacked(t, NULL);
			continue;
		}
		idx = gconv_model_find_input(m, name);
		if (idx < 0) {
			set_outcome(
				o, ST_FAIL,
				"input %s: not an input of the compiled model",
				name);
			onnx__tensor_proto__free_unpacked(t, NULL);
			break;
		}
		info = gconv_model_input(m, (uint32_t)idx);
		if (tensor_f32(t, &d, &n, why, sizeof(why))) {
			set_outcome(o, ST_FAIL, "input %s: %s", name, why);
			onnx__tensor_proto__free_unpacked(t, NULL);
			break;
		}
		onnx__tensor_proto__free_unpacked(t, NULL);
		if (n != info->elems) {
			set_outcome(o, ST_FAIL,
				    "input %s: test data has %llu elements, "
				    "model expects %llu",
				    name, (unsigned long long)n,
				    (unsigned long long)info->elems);
			free(d);
			break;
		}
		if (n)
			memcpy(gconv_session_input(s, (uint32_t)idx), d,
			       (size_t)n * sizeof(float));
		free(d);
		fed[idx] = 1;
	}
	if (o->st == ST_PASS)
		for (i = 0; i < nin; i++)
			if (!fed[i]) {
				set_outcome(o, ST_FAIL,
					    "model input %s: no test data",
					    gconv_model_input(m, i)->name);
				break;
			}
out:
	free(fed);
	free(free_inputs);
}

static void check_outputs(const char *dir, const Onnx__GraphProto *g,
			  const struct gconv_model *m, struct gconv_session *s,
			  struct outcome *o)
{
	unsigned int k;

	for (k = 0;; k++) {
		const struct gconv_tensor_info *info;
		uint64_t n, i, first = 0, ndiff = 0;
		Onnx__TensorProto *t;
		const float *got;
		const char *name;
		char why[256];
		float *want;
		int bad, idx;

		t = load_pb(dir, "output", k, &bad);
		if (!t) {
			if (bad)
				set_outcome(o, ST_FAIL,
					    "output_%u.pb: cannot parse", k);
			else if (!k)
				set_outcome(o, ST_FAIL, "no output_0.pb");
			return;
		}
		if (k >= g->n_output) {
			set_outcome(
				o, ST_FAIL,
				"output_%u.pb: the graph has only %zu outputs",
				k, g->n_output);
			onnx__tensor_proto__free_unpacked(t, NULL);
			return;
		}
		name = g->output[k]->name;
		idx = gconv_model_find_output(m, name);
		if (idx < 0) {
			set_outcome(o, ST_FAIL,
				    "output %s: not an output of the compiled "
				    "model",
				    name);
			onnx__tensor_proto__free_unpacked(t, NULL);
			return;
		}
		info = gconv_model_output(m, (uint32_t)idx);
		if (tensor_f32(t, &want, &n, why, sizeof(why))) {
			set_outcome(o, ST_FAIL, "output %s: %s", name, why);
			onnx__tensor_proto__free_unpacked(t, NULL);
			return;
		}
		onnx__tensor_proto__free_unpacked(t, NULL);
		if (n != info->elems) {
			set_outcome(o, ST_FAIL,
				    "output %s: model gives %llu elements, "
				    "expected %llu",
				    name, (unsigned long long)info->elems,
				    (unsigned long long)n);
			free(want);
			return;
		}
		got = gconv_session_output(s, (uint32_t)idx);
		for (i = 0; i < n; i++)
			if (!close_enough(got[i], want[i]))
				if (!ndiff++)
					first = i;
		if (ndiff) {
			set_outcome(o, ST_FAIL,
				    "output %s: index %llu: got %.9g, want "
				    "%.9g (%llu of %llu differ)",
				    name, (unsigned long long)first,
				    (double)got[first], (double)want[first],
				    (unsigned long long)ndiff,
				    (unsigned long long)n);
			free(want);
			return;
		}
		free(want);
	}
}

/*
 * Parameter folding: compile the model with every int32/int64 graph input
 * (shapes, axes, pads, indices, sizes) turned into an initializer holding
 * its test data, as such tensors are in real models.
 */
static int compile_folded(const char *dir, Onnx__ModelProto *mp,
			  struct gconv_model **m, char *err, size_t errlen)
{
	Onnx__GraphProto *g = mp->graph;
	Onnx__TensorProto **inits, **saved;
	const char **free_inputs;
	size_t nfree = runtime_inputs(g, &free_inputs);
	size_t nf = 0, saved_n, len, j;
	struct folded {
		Onnx__TensorProto *t;
		char *name;
	} *f = xmalloc((nfree + 1) * sizeof(*f));
	unsigned int k;
	uint8_t *buf;
	int r = 0;

	for (k = 0;; k++) {
		Onnx__TensorProto *t;
		const char *name;
		int bad;

		t = load_pb(dir, "input", k, &bad);
		if (!t) {
			if (bad) {
				snprintf(err, errlen,
					 "input_%u.pb: cannot parse", k);
				r = -EINVAL;
			}
			break;
		}
		if (t->name && t->name[0])
			name = t->name;
		else if (k < nfree)
			name = free_inputs[k];
		else
			name = NULL;
		for (j = 0; name && j < nf; j++)
			if (!strcmp(f[j].t->name, name))
				name = NULL; /* given twice */
		if (!name || !folded_input(g, name)) {
			onnx__tensor_proto__free_unpacked(t, NULL);
			continue;
		}
		f[nf].t = t;
		f[nf].name = t->name;
		t->name = (char *)name;
		nf++;
	}

	if (!r) {
		inits = xmalloc((g->n_initializer + nf) * sizeof(*inits));
		for (j = 0; j < g->n_initializer; j++)
			inits[j] = g->initializer[j];
		for (j = 0; j < nf; j++)
			inits[g->n_initializer + j] = f[j].t;
		saved = g->initializer;
		saved_n = g->n_initializer;
		g->initializer = inits;
		g->n_initializer += nf;
		len = onnx__model_proto__get_packed_size(mp);
		buf = xmalloc(len);
		onnx__model_proto__pack(mp, buf);
		g->initializer = saved;
		g->n_initializer = saved_n;
		free(inits);
		r = gconv_compile_onnx(buf, len, NULL, m, err, errlen);
		free(buf);
	}
	for (j = 0; j < nf; j++) {
		f[j].t->name = f[j].name;
		onnx__tensor_proto__free_unpacked(f[j].t, NULL);
	}
	free(f);
	free(free_inputs);
	return r;
}

static void run_test(const char *dir, Onnx__ModelProto *mp, int fold,
		     struct outcome *o)
{
	const Onnx__GraphProto *g = mp->graph;
	char path[4096], err[8192];
	struct gconv_session *s = NULL;
	struct gconv_model *m = NULL;
	int r;

	o->st = ST_PASS;
	o->reason[0] = '\0';
	o->detail[0] = '\0';
	snprintf(path, sizeof(path), "%s/model.onnx", dir);
	err[0] = '\0';
	if (fold)
		r = compile_folded(dir, mp, &m, err, sizeof(err));
	else
		r = gconv_compile_onnx_file(path, NULL, &m, err, sizeof(err));
	if (r) {
		set_outcome(o, ST_FAIL, "compile: %s",
			    err[0] ? err : strerror(-r));
		copy_str(o->detail, sizeof(o->detail), err);
		return;
	}
	r = gconv_session_create(m, &s);
	if (r) {
		set_outcome(o, ST_FAIL, "session: %s", strerror(-r));
		goto out;
	}
	feed_inputs(dir, g, m, s, fold, o);
	if (o->st != ST_PASS)
		goto out;
	err[0] = '\0';
	r = gconv_session_run(s, err, sizeof(err));
	if (r) {
		set_outcome(o, ST_FAIL, "run: %s", err[0] ? err : strerror(-r));
		copy_str(o->detail, sizeof(o->detail), err);
		goto out;
	}
	check_outputs(dir, g, m, s, o);
out:
	gconv_session_free(s);
	gconv_model_free(m);
}

/* ---- running a test in a child process ---------------------------------- */

static int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len) {
		n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Copy the child's captured stderr to ours; keep in @first the first
 * sanitizer line ("...runtime error: ...", "ERROR: AddressSanitizer: ..."). */
static void pass_stderr(FILE *f, char *first, size_t len)
{
	char line[1024];
	const char *p;

	first[0] = '\0';
	rewind(f);
	while (fgets(line, sizeof(line), f)) {
		fputs(line, stderr);
		if (first[0])
			continue;
		if (strstr(line, "runtime error:"))
			p = line; /* "file:line:col: runtime error: ..." */
		else
			p = strstr(line, "ERROR: ");
		if (p)
			one_line(first, len, p);
	}
	fflush(stderr);
}

/* Run the test in a child with a time limit: a crash, a sanitizer report
 * or a hang is the test's failure. */
static void run_forked(const char *dir, Onnx__ModelProto *mp, int fold,
		       unsigned int timeout, struct outcome *o)
{
	size_t cap = 1 + sizeof(o->reason) + sizeof(o->detail), len = 0;
	char *buf = xmalloc(cap), san[400] = "";
	FILE *errf = tmpfile(); /* the child's stderr, NULL: not captured */
	int fds[2], status;
	ssize_t n;
	pid_t pid;

	o->st = ST_FAIL;
	o->reason[0] = '\0';
	o->detail[0] = '\0';
	fflush(NULL);
	if (pipe(fds)) {
		set_outcome(o, ST_FAIL, "pipe: %s", strerror(errno));
		goto out;
	}
	pid = fork();
	if (pid < 0) {
		set_outcome(o, ST_FAIL, "fork: %s", strerror(errno));
		close(fds[0]);
		close(fds[1]);
		goto out;
	}
	if (!pid) {
		struct outcome *c = xmalloc(sizeof(*c));
		unsigned char st;
		int rc;

		close(fds[0]);
		if (errf)
			dup2(fileno(errf), 2);
		alarm(timeout);
		run_test(dir, mp, fold, c);
		st = (unsigned char)c->st;
		rc = write_all(fds[1], &st, 1) ||
		     write_all(fds[1], c->reason, strlen(c->reason) + 1) ||
		     write_all(fds[1], c->detail, strlen(c->detail) + 1);
		close(fds[1]);
		free(c);
		free(buf);
		if (errf)
			fclose(errf);
		/* exit(), not _exit(): LeakSanitizer checks the child */
		exit(rc ? 3 : 0);
	}
	close(fds[1]);
	for (;;) {
		if (len == cap)
			break;
		n = read(fds[0], buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			status = -1;
			break;
		}
	if (errf)
		pass_stderr(errf, san, sizeof(san));

	if (len >= 3 && buf[0] <= ST_SKIP && memchr(buf + 1, 0, len - 1)) {
		const char *reason = buf + 1;
		const char *detail = reason + strlen(reason) + 1;

		o->st = (enum status)buf[0];
		copy_str(o->reason, sizeof(o->reason), reason);
		if (detail < buf + len && memchr(detail, 0, buf + len - detail))
			copy_str(o->detail, sizeof(o->detail), detail);
	} else {
		len = 0;
	}

	if (status == -1) {
		set_outcome(o, ST_FAIL, "waitpid: %s", strerror(errno));
	} else if (WIFSIGNALED(status)) {
		if (WTERMSIG(status) == SIGALRM)
			set_outcome(o, ST_FAIL, "timed out after %u s",
				    timeout);
		else
			set_outcome(o, ST_FAIL, "crashed: signal %d (%s)%s%s",
				    WTERMSIG(status),
				    strsignal(WTERMSIG(status)),
				    san[0] ? ": " : "", san);
	} else if (WIFEXITED(status) && WEXITSTATUS(status)) {
		/* a sanitizer report, possibly after the result */
		if (san[0])
			set_outcome(o, ST_FAIL, "sanitizer: %s", san);
		else if (len)
			set_outcome(o, ST_FAIL, "exit status %d after %s%s%s",
				    WEXITSTATUS(status), status_name[o->st],
				    o->reason[0] ? ": " : "", o->reason);
		else
			set_outcome(o, ST_FAIL,
				    "exit status %d without a result",
				    WEXITSTATUS(status));
	} else if (!len) {
		set_outcome(o, ST_FAIL, "no result from the test process");
	}
out:
	if (errf)
		fclose(errf);
	free(buf);
}

/* ---- per test: decide, run ---------------------------------------------- */

static void do_test(const struct options *opt, const char *name,
		    struct result *res, struct outcome *o)
{
	char dir[4096], path[4096 + 32];
	Onnx__ModelProto *mp = NULL;
	const Onnx__GraphProto *g;
	const char *unsupported = NULL;
	char opname[256];
	uint8_t *buf;
	size_t len, i;
	int training = 0, fold = 0;

	o->st = ST_PASS;
	o->reason[0] = '\0';
	o->detail[0] = '\0';
	snprintf(dir, sizeof(dir), "%s/%s", opt->data, name);
	snprintf(path, sizeof(path), "%s/model.onnx", dir);
	if (!is_dir(dir)) {
		set_outcome(o, ST_FAIL, "no test directory %s", dir);
		return;
	}
	if (read_all(path, &buf, &len)) {
		set_outcome(o, ST_SKIP, "no model.onnx");
		return;
	}
	mp = onnx__model_proto__unpack(NULL, len, buf);
	free(buf);
	if (!mp || !mp->graph) {
		set_outcome(o, ST_FAIL, "model.onnx: cannot parse");
		goto out;
	}
	g = mp->graph;

	for (i = 0; i < g->n_node; i++) {
		const Onnx__NodeProto *n = g->node[i];
		const char *dom = n->domain ? n->domain : "";
		const char *op = n->op_type ? n->op_type : "";
		int idx = -1;

		if (!dom[0] || !strcmp(dom, "ai.onnx"))
			idx = supported_index(op);
		if (idx >= 0) {
			res->uses[idx] = 1;
		} else if (!unsupported) {
			if (dom[0] && strcmp(dom, "ai.onnx"))
				snprintf(opname, sizeof(opname), "%s:%s", dom,
					 op);
			else
				snprintf(opname, sizeof(opname), "%s", op);
			unsupported = opname;
		}
		if (idx >= 0 && training_mode(n))
			training = 1;
	}
	if (unsupported) {
		set_outcome(o, ST_SKIP, "op %s not supported", unsupported);
		goto out;
	}
	for (i = 0; i < g->n_input; i++) {
		if (is_initializer(g, g->input[i]->name))
			continue;
		if (is_f32_tensor(g->input[i])) {
			if (opt->fold_int && is_param_input(g,
							    g->input[i]->name))
				fold = 1;
			continue;
		}
		if (!opt->fold_int || !is_int_tensor(g->input[i]))
			goto non_f32;
		fold = 1;
	}
	for (i = 0; i < g->n_output; i++)
		if (!is_f32_tensor(g->output[i]))
			goto non_f32;
	if (training) {
		set_outcome(o, ST_SKIP, "training-mode outputs");
		goto out;
	}
	snprintf(path, sizeof(path), "%s/test_data_set_0", dir);
	if (!is_dir(path)) {
		set_outcome(o, ST_SKIP, "no test_data_set_0");
		goto out;
	}

	if (opt->fork)
		run_forked(dir, mp, fold, opt->timeout, o);
	else
		run_test(dir, mp, fold, o);
	goto out;

non_f32:
	set_outcome(o, ST_SKIP, "non-float32 input/output");
out:
	if (mp)
		onnx__model_proto__free_unpacked(mp, NULL);
}

/* ---- expectations ------------------------------------------------------- */

struct names {
	char **v;
	size_t n, cap;
};

static void names_add(struct names *l, const char *s)
{
	if (l->n == l->cap) {
		char **nv;

		l->cap = l->cap ? l->cap * 2 : 64;
		nv = realloc(l->v, l->cap * sizeof(*nv));
		if (!nv) {
			fprintf(stderr, "conformance-run: out of memory\n");
			exit(2);
		}
		l->v = nv;
	}
	l->v[l->n++] = xstrdup(s);
}

static void names_free(struct names *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = l->cap = 0;
}

static int names_has(const struct names *l, const char *s)
{
	return l->n && bsearch(&s, l->v, l->n, sizeof(*l->v), cmp_str);
}

static int load_expect(const char *path, struct names *l)
{
	char line[1024];
	FILE *f = fopen(path, "r");

	if (!f) {
		fprintf(stderr, "conformance-run: %s: %s\n", path,
			strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		char *p = strchr(line, '#'), *e;

		if (p)
			*p = '\0';
		p = line;
		while (isspace((unsigned char)*p))
			p++;
		e = p + strlen(p);
		while (e > p && isspace((unsigned char)e[-1]))
			*--e = '\0';
		if (*p)
			names_add(l, p);
	}
	fclose(f);
	qsort(l->v, l->n, sizeof(*l->v), cmp_str);
	return 0;
}

static int write_expect(const char *path, struct result *res, size_t n)
{
	FILE *f = fopen(path, "w");
	size_t i;

	if (!f) {
		fprintf(stderr, "conformance-run: %s: %s\n", path,
			strerror(errno));
		return -1;
	}
	fprintf(f, "# ONNX backend node tests that pass: written by\n"
		   "# conformance-run --write-expect, read by --expect.\n");
	for (i = 0; i < n; i++)
		if (res[i].st == ST_PASS)
			fprintf(f, "%s\n", res[i].name);
	if (fclose(f)) {
		fprintf(stderr, "conformance-run: %s: %s\n", path,
			strerror(errno));
		return -1;
	}
	return 0;
}

/* ---- reports ------------------------------------------------------------ */

struct reason_count {
	const char *reason;
	size_t count;
};

static int cmp_reason(const void *a, const void *b)
{
	const struct reason_count *x = a, *y = b;

	if (x->count != y->count)
		return x->count < y->count ? 1 : -1;
	return strcmp(x->reason, y->reason);
}

static void print_op_table(const struct result *res, size_t n)
{
	size_t i, k;

	printf("\n%-24s %6s %6s %6s\n", "operator", "tests", "pass", "fail");
	for (k = 0; k < NOPS; k++) {
		size_t used = 0, pass = 0, fail = 0;

		for (i = 0; i < n; i++) {
			if (res[i].st == ST_SKIP || !res[i].uses[k])
				continue;
			used++;
			if (res[i].st == ST_PASS)
				pass++;
			else
				fail++;
		}
		printf("%-24s %6zu %6zu %6zu\n", supported_ops[k], used, pass,
		       fail);
	}
}

static void print_skip_reasons(const struct result *res, size_t n)
{
	struct reason_count *rc = xmalloc(n * sizeof(*rc));
	size_t i, j, nr = 0;

	for (i = 0; i < n; i++) {
		if (res[i].st != ST_SKIP)
			continue;
		for (j = 0; j < nr; j++)
			if (!strcmp(rc[j].reason, res[i].reason))
				break;
		if (j == nr) {
			rc[nr].reason = res[i].reason;
			rc[nr++].count = 0;
		}
		rc[j].count++;
	}
	qsort(rc, nr, sizeof(*rc), cmp_reason);
	printf("\nskip reasons:\n");
	for (j = 0; j < nr; j++)
		printf("%6zu  %s\n", rc[j].count, rc[j].reason);
	free(rc);
}

/* ---- main --------------------------------------------------------------- */

static void list_tests(const char *data, struct names *l)
{
	struct dirent *de;
	DIR *d = opendir(data);
	char path[4096];

	if (!d) {
		fprintf(stderr, "conformance-run: %s: %s\n", data,
			strerror(errno));
		exit(2);
	}
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", data, de->d_name);
		if (is_dir(path))
			names_add(l, de->d_name);
	}
	closedir(d);
	qsort(l->v, l->n, sizeof(*l->v), cmp_str);
}

int main(int argc, char **argv)
{
	struct options opt = {
		.data = DEFAULT_DATA,
		.timeout = DEFAULT_TIMEOUT,
		.fork = 1,
		.fold_int = 1,
	};
	struct names tests = { 0 }, expect = { 0 };
	size_t i, npass = 0, nfail = 0, nskip = 0, nreg = 0;
	struct outcome *o;
	struct result *res;
	int explicit_tests = 0, ret = 0;

	for (i = 1; i < (size_t)argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(a, "--verbose") || !strcmp(a, "-v")) {
			opt.verbose = 1;
		} else if (!strcmp(a, "--no-fold-params")) {
			opt.fold_int = 0;
		} else if (!strcmp(a, "--no-fork")) {
			opt.fork = 0;
		} else if (i + 1 < (size_t)argc && !strcmp(a, "--data")) {
			opt.data = argv[++i];
		} else if (i + 1 < (size_t)argc && !strcmp(a, "--expect")) {
			opt.expect = argv[++i];
		} else if (i + 1 < (size_t)argc &&
			   !strcmp(a, "--write-expect")) {
			opt.write_expect = argv[++i];
		} else if (i + 1 < (size_t)argc && !strcmp(a, "--timeout")) {
			char *end;
			unsigned long t = strtoul(argv[++i], &end, 10);

			if (*end || !t || t > 86400) {
				fprintf(stderr,
					"conformance-run: bad --timeout %s\n",
					argv[i]);
				return 2;
			}
			opt.timeout = (unsigned int)t;
		} else if (a[0] == '-') {
			usage(stderr);
			return 2;
		} else {
			char *t = xstrdup(a);
			size_t l = strlen(t);

			while (l > 1 && t[l - 1] == '/')
				t[--l] = '\0';
			names_add(&tests, t);
			free(t);
			explicit_tests = 1;
		}
	}
	if (!explicit_tests)
		list_tests(opt.data, &tests);
	else
		qsort(tests.v, tests.n, sizeof(*tests.v), cmp_str);
	if (opt.expect && load_expect(opt.expect, &expect))
		return 2;

	res = calloc(tests.n ? tests.n : 1, sizeof(*res));
	o = xmalloc(sizeof(*o));
	if (!res) {
		fprintf(stderr, "conformance-run: out of memory\n");
		return 2;
	}
	for (i = 0; i < tests.n; i++) {
		res[i].name = tests.v[i];
		do_test(&opt, tests.v[i], &res[i], o);
		res[i].st = o->st;
		res[i].reason = xstrdup(o->reason);
		if (o->st == ST_PASS)
			printf("PASS %s\n", res[i].name);
		else
			printf("%s %s: %s\n", status_name[o->st], res[i].name,
			       o->reason);
		if (opt.verbose && o->st == ST_FAIL && o->detail[0]) {
			const char *p = o->detail, *e;

			while (*p) {
				e = strchr(p, '\n');
				if (!e)
					e = p + strlen(p);
				printf("    %.*s\n", (int)(e - p), p);
				p = *e ? e + 1 : e;
			}
		}
		fflush(stdout);
		if (o->st == ST_PASS)
			npass++;
		else if (o->st == ST_FAIL)
			nfail++;
		else
			nskip++;
	}
	free(o);

	print_op_table(res, tests.n);
	print_skip_reasons(res, tests.n);

	if (opt.expect) {
		size_t reg_in_run = 0;

		printf("\n");
		for (i = 0; i < tests.n; i++) {
			int listed = names_has(&expect, res[i].name);

			if (listed && res[i].st != ST_PASS) {
				printf("REGRESSION %s\n", res[i].name);
				reg_in_run++;
			} else if (!listed && res[i].st == ST_PASS) {
				printf("NEW-PASS %s\n", res[i].name);
			}
		}
		nreg = reg_in_run;
		/* a listed test missing from the data is a regression too */
		if (!explicit_tests)
			for (i = 0; i < expect.n; i++)
				if (!names_has(&tests, expect.v[i])) {
					printf("REGRESSION %s\n", expect.v[i]);
					nreg++;
				}
		printf("%zu passed, %zu failed, %zu skipped\n", npass, nreg,
		       tests.n - npass - reg_in_run);
		ret = nreg ? 1 : 0;
	} else {
		printf("\n%zu passed, %zu failed, %zu skipped\n", npass, nfail,
		       nskip);
		ret = nfail ? 1 : 0;
	}

	if (opt.write_expect && write_expect(opt.write_expect, res, tests.n))
		ret = 2;

	for (i = 0; i < tests.n; i++)
		free(res[i].reason);
	free(res);
	names_free(&tests);
	names_free(&expect);
	return ret;
}
