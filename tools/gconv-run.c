// SPDX-License-Identifier: MIT
/*
 * gconv-run: run a model (ONNX, compiled on the fly, or .gcm) on the CPU
 * engine, or through gconvd (--daemon SOCKET) with the client library.
 *
 * One run over given inputs:
 *
 *	gconv-run model.onnx --input x.npy --output y.npy [--print]
 *	gconv-run model.gcm --input a=a.npy --input b=b.bin \
 *		--output out=out.npy --repeat 100
 *
 * A classifier over a batch of samples, one at a time:
 *
 *	gconv-run model.onnx --samples samples.npy --labels labels.npy \
 *		--pred-out pred.npy --probs-out probs.npy
 *
 * Either through gconvd, which loads the model for the policy's tenant of
 * the caller and runs it on its device:
 *
 *	gconv-run --daemon /run/gconv/gconvd.sock model.gcm --input x.npy
 *
 * A summary line (model, GCONV count, tensors, run time) always goes to
 * stderr.  Exit status: 0 success, 1 error, 2 usage error.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <gconv/client.h>
#include <gconv/model.h>
#include <gconv/tensor_io.h>

#include "tool_msg.h"

#define PROG "gconv-run"

#define usage_error(...) tool_usage_error(PROG, __VA_ARGS__)
#define fail(...) tool_fail(PROG, __VA_ARGS__)
#define MAX_IO 64
#define PRINT_MAX 20

static void usage(FILE *f)
{
	fprintf(f,
		"usage: " PROG " MODEL.onnx|MODEL.gcm "
		"--input FILE|NAME=FILE... [options]\n"
		"       " PROG " MODEL.onnx|MODEL.gcm --samples FILE "
		"[--labels FILE]\n"
		"                 [--pred-out FILE] [--probs-out FILE]\n"
		"\n"
		"Run a model on the CPU GCONV engine, or through gconvd "
		"(--daemon).  ONNX\n"
		"models are compiled first.\n"
		"\n"
		"One run:\n"
		"  --input FILE       the input of a single-input model\n"
		"  --input NAME=FILE  the input called NAME (repeat for each "
		"input)\n"
		"                     FILE is .npy (float32, float64 or "
		"integers), or raw\n"
		"                     little-endian float32 when it ends in "
		".bin, taken to\n"
		"                     have the input's declared shape.  A .npy "
		"must match the\n"
		"                     declared shape exactly.\n"
		"  --output FILE      write the output of a single-output "
		"model\n"
		"  --output NAME=FILE write the output called NAME (.npy, or "
		"raw float32 for .bin)\n"
		"  --repeat N         after one warm-up run, run N times and "
		"print the min and\n"
		"                     median latency of the engine run alone, "
		"in ms\n"
		"  --print            print each output (at most %d values) "
		"and, for shape\n"
		"                     [1,C] or [C], its argmax\n"
		"\n"
		"Classifying samples (single-input model whose input shape is "
		"[1,...]):\n"
		"  --samples FILE     .npy of shape [S,...]: run each of the S "
		"samples alone\n"
		"  --labels FILE      .npy of S integer labels: print the "
		"accuracy\n"
		"  --pred-out FILE    write the S argmax predictions (int64 "
		".npy)\n"
		"  --probs-out FILE   write the output values, float32 "
		".npy [S,C]\n"
		"                     (probabilities if the model ends in "
		"Softmax)\n"
		"  --print            print each sample's prediction\n"
		"\n"
		"Common:\n"
		"  --daemon SOCKET    run the model through gconvd listening "
		"at SOCKET (e.g.\n"
		"                     /run/gconv/gconvd.sock) instead of in "
		"this process: gconvd\n"
		"                     loads it for the tenant its policy gives "
		"the caller and runs\n"
		"                     it on its device.  Run times are then "
		"round trips to gconvd,\n"
		"                     its queueing included.\n"
		"  --model-name NAME  with --daemon: the model's name for "
		"gconvd's policy\n"
		"                     (default: the file's base name without "
		".onnx or .gcm)\n"
		"  --engine E         fast (the default: fp32 with OpenBLAS) "
		"or golden (the\n"
		"                     oracle: double precision, hundreds of "
		"times slower;\n"
		"                     docs/engines.md)\n"
		"  --threads T        threads of the fast engine's matrix "
		"products (OpenBLAS;\n"
		"                     default: one per CPU); the golden engine "
		"runs on one\n"
		"  --no-fuse, --no-fold-bn, --no-inplace, --naive-memory\n"
		"                     compile options, as in gconv-compile "
		"(ONNX input only;\n"
		"                     not with --daemon: gconvd compiles with "
		"the defaults, so\n"
		"                     compile with gconv-compile and run the "
		".gcm)\n"
		"  -h, --help         show this help\n"
		"\n"
		"Exit status: 0 success, 1 error, 2 usage error.\n",
		PRINT_MAX);
}

static int ends_with(const char *s, const char *suffix)
{
	size_t ls = strlen(s), lx = strlen(suffix);

	return ls >= lx && !strcmp(s + ls - lx, suffix);
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static const char *shape_str(const int64_t *dims, uint32_t ndim, char *buf,
			     size_t len)
{
	gconv_shape_format(dims, ndim, buf, len);
	return buf;
}

/* First index of the largest value (NaNs never win). */
static uint32_t argmax(const float *v, uint64_t n)
{
	uint64_t i, best = 0;

	for (i = 1; i < n; i++)
		if (v[i] > v[best] || (isnan(v[best]) && !isnan(v[i])))
			best = i;
	return (uint32_t)best;
}

/* ---- where the model runs ---------------------------------------------- */

/*
 * The model and what runs it: the CPU engine in this process (m, s), or
 * gconvd (c, cm: --daemon), whose tensor tables are copied into @in and
 * @out so that the rest of the program sees one kind of tensor.
 */
struct runner {
	struct gconv_model *m;
	struct gconv_session *s;
	struct gconv_client *c;
	struct gconv_client_model *cm;
	struct gconv_tensor_info *in, *out;
	uint32_t nin, nout;
};

static uint32_t runner_num_inputs(const struct runner *r)
{
	return r->cm ? r->nin : gconv_model_num_inputs(r->m);
}

static uint32_t runner_num_outputs(const struct runner *r)
{
	return r->cm ? r->nout : gconv_model_num_outputs(r->m);
}

static const struct gconv_tensor_info *runner_input(const struct runner *r,
						    uint32_t i)
{
	if (r->cm)
		return i < r->nin ? &r->in[i] : NULL;
	return gconv_model_input(r->m, i);
}

static const struct gconv_tensor_info *runner_output(const struct runner *r,
						     uint32_t i)
{
	if (r->cm)
		return i < r->nout ? &r->out[i] : NULL;
	return gconv_model_output(r->m, i);
}

static int runner_find_input(const struct runner *r, const char *name)
{
	return r->cm ? gconv_client_find_input(r->cm, name)
		     : gconv_model_find_input(r->m, name);
}

static int runner_find_output(const struct runner *r, const char *name)
{
	return r->cm ? gconv_client_find_output(r->cm, name)
		     : gconv_model_find_output(r->m, name);
}

static uint32_t runner_gconvs(const struct runner *r)
{
	return r->cm ? gconv_client_model_gconvs(r->cm)
		     : gconv_model_gconv_count(r->m);
}

/* Get these again before each use: gconvd's buffer may move (client.h). */
static float *runner_input_data(struct runner *r, uint32_t i)
{
	return r->cm ? gconv_client_input_data(r->cm, i)
		     : gconv_session_input(r->s, i);
}

static const float *runner_output_data(struct runner *r, uint32_t i)
{
	return r->cm ? gconv_client_output_data(r->cm, i)
		     : gconv_session_output(r->s, i);
}

static int runner_run(struct runner *r, char *err, size_t errlen)
{
	return r->cm ? gconv_client_infer(r->cm, NULL, err, errlen)
		     : gconv_session_run(r->s, err, errlen);
}

/* ---- options ---------------------------------------------------------- */

/* One --input/--output argument, resolved against the model later. */
struct io_arg {
	const char *arg;
	const char *file;
	int index;
};

struct opts {
	const char *model;
	struct io_arg in[MAX_IO], out[MAX_IO];
	unsigned int nin, nout;
	struct gconv_tensor tin[MAX_IO];	/* loaded inputs */
	long repeat;		/* 0: a single run */
	long threads;
	int print;
	const char *engine; /* --engine; NULL: GCONV_ENGINE or fast */
	const char *samples, *labels, *pred_out, *probs_out;
	struct gconv_compile_opts copts;
	const char *compile_opt; /* the first compile option given */
	const char *daemon;	 /* --daemon SOCKET */
	const char *model_name;	 /* --model-name NAME */
};

/* "--name VALUE" or "--name=VALUE": 1 and *val set, 0 no match, -1 no
 * value. */
static int opt_value(int argc, char **argv, int *i, const char *name,
		     const char **val)
{
	const char *a = argv[*i];
	size_t l = strlen(name);

	if (strncmp(a, name, l))
		return 0;
	if (a[l] == '=') {
		*val = a + l + 1;
		return 1;
	}
	if (a[l])
		return 0;
	if (*i + 1 >= argc)
		return -1;
	*val = argv[++*i];
	return 1;
}

static int parse_count(const char *opt, const char *s, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 1 || v > 100000000)
		return usage_error("%s needs a positive integer, not '%s'",
				   opt, s);
	*out = v;
	return 0;
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	static const char *const single[] = { "--samples",  "--labels",
					      "--pred-out", "--probs-out",
					      "--daemon",   "--model-name" };
	const char **single_dst[6];
	int i, r;
	unsigned int j;

	memset(o, 0, sizeof(*o));
	o->threads = 0; /* OpenBLAS's default */
	single_dst[0] = &o->samples;
	single_dst[1] = &o->labels;
	single_dst[2] = &o->pred_out;
	single_dst[3] = &o->probs_out;
	single_dst[4] = &o->daemon;
	single_dst[5] = &o->model_name;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v = NULL;
		int matched = 0;

		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			return -1;
		}
		if ((r = opt_value(argc, argv, &i, "--input", &v))) {
			if (r < 0)
				return usage_error("--input needs FILE or "
						   "NAME=FILE");
			if (o->nin == MAX_IO)
				return usage_error("more than %d --input "
						   "options",
						   MAX_IO);
			o->in[o->nin++].arg = v;
			continue;
		}
		if ((r = opt_value(argc, argv, &i, "--output", &v))) {
			if (r < 0)
				return usage_error("--output needs FILE or "
						   "NAME=FILE");
			if (o->nout == MAX_IO)
				return usage_error("more than %d --output "
						   "options",
						   MAX_IO);
			o->out[o->nout++].arg = v;
			continue;
		}
		if ((r = opt_value(argc, argv, &i, "--repeat", &v))) {
			if (r < 0)
				return usage_error("--repeat needs a count");
			if (parse_count("--repeat", v, &o->repeat))
				return 2;
			continue;
		}
		if ((r = opt_value(argc, argv, &i, "--engine", &v))) {
			if (r < 0 || (strcmp(v, "golden") && strcmp(v, "fast")))
				return usage_error("--engine needs golden or "
						   "fast");
			o->engine = v;
			continue;
		}
		if ((r = opt_value(argc, argv, &i, "--threads", &v))) {
			if (r < 0)
				return usage_error("--threads needs a count");
			if (parse_count("--threads", v, &o->threads))
				return 2;
			continue;
		}
		for (j = 0; j < 6 && !matched; j++) {
			r = opt_value(argc, argv, &i, single[j], &v);
			if (r < 0)
				return usage_error("%s needs %s", single[j],
						   j == 4   ? "a SOCKET"
						   : j == 5 ? "a NAME"
							    : "a FILE");
			if (r > 0) {
				if (*single_dst[j])
					return usage_error("%s given twice",
							   single[j]);
				if (!*v)
					return usage_error(
						"%s: empty %s", single[j],
						j == 4	 ? "socket path"
						: j == 5 ? "name"
							 : "file name");
				*single_dst[j] = v;
				matched = 1;
			}
		}
		if (matched)
			continue;
		if (!strcmp(a, "--print")) {
			o->print = 1;
			continue;
		}
		if (!o->compile_opt && !strncmp(a, "--no", 4))
			o->compile_opt = a;
		if (!strcmp(a, "--no-fuse"))
			o->copts.flags |= GCONV_COMPILE_NO_FUSE;
		else if (!strcmp(a, "--no-fold-bn"))
			o->copts.flags |= GCONV_COMPILE_NO_FOLD_BN;
		else if (!strcmp(a, "--no-inplace"))
			o->copts.flags |= GCONV_COMPILE_NO_INPLACE;
		else if (!strcmp(a, "--naive-memory"))
			o->copts.flags |= GCONV_COMPILE_NAIVE_MEMORY;
		else if (a[0] == '-' && a[1])
			return usage_error("unknown option '%s'", a);
		else if (o->model)
			return usage_error("more than one model given ('%s')",
					   a);
		else
			o->model = a;
	}

	if (!o->model || !*o->model)
		return usage_error("no model given");
	if (o->daemon && o->compile_opt && o->copts.flags)
		return usage_error("%s: compile options do not apply with "
				   "--daemon (gconvd compiles with the "
				   "defaults): compile with gconv-compile %s "
				   "and run the .gcm",
				   o->compile_opt, o->compile_opt);
	if (o->model_name && !o->daemon)
		return usage_error("--model-name names the model for gconvd: "
				   "it needs --daemon");
	if (o->engine && o->daemon)
		return usage_error("--engine chooses the engine of this "
				   "process: gconvd runs its own");
	if (o->samples) {
		if (o->nin || o->nout || o->repeat)
			return usage_error("--samples runs every sample; it "
					   "cannot be combined with --input, "
					   "--output or --repeat");
	} else {
		if (o->labels || o->pred_out || o->probs_out)
			return usage_error("--labels, --pred-out and "
					   "--probs-out need --samples");
		if (!o->nin)
			return usage_error("no input given (--input FILE, "
					   "--input NAME=FILE or --samples "
					   "FILE)");
	}
	return 0;
}

/* ---- binding --input/--output to the model's tensors -------------------- */

static void list_names(const struct runner *m, int outputs, char *buf,
		       size_t len)
{
	uint32_t i, n;
	size_t off = 0;

	n = outputs ? runner_num_outputs(m) : runner_num_inputs(m);
	buf[0] = '\0';
	for (i = 0; i < n && off < len; i++) {
		const struct gconv_tensor_info *ti =
			outputs ? runner_output(m, i) : runner_input(m, i);
		int w = snprintf(buf + off, len - off, "%s'%s'", i ? ", " : "",
				 ti->name);

		if (w < 0)
			break;
		off += (size_t)w;
	}
}

/*
 * Resolve each FILE or NAME=FILE in @args to a model input/output index.
 * NAME=FILE wins when NAME is a tensor's name; otherwise a single-tensor
 * model takes the whole argument as the file name.
 */
static int bind_args(const struct runner *m, int outputs, struct io_arg *args,
		     unsigned int nargs)
{
	const char *what = outputs ? "output" : "input";
	uint32_t n = outputs ? runner_num_outputs(m) : runner_num_inputs(m);
	char names[512];
	unsigned int i, j;

	list_names(m, outputs, names, sizeof(names));
	for (i = 0; i < nargs; i++) {
		struct io_arg *a = &args[i];
		const char *eq = strchr(a->arg, '=');
		int idx = -1;

		if (eq) {
			char name[256];
			size_t l = (size_t)(eq - a->arg);

			if (l < sizeof(name)) {
				memcpy(name, a->arg, l);
				name[l] = '\0';
				idx = outputs ? runner_find_output(m, name)
					      : runner_find_input(m, name);
			}
			if (idx >= 0) {
				a->file = eq + 1;
			} else if (n == 1 && !access(a->arg, F_OK)) {
				/* "a=b.npy" is a file name */
				a->file = a->arg;
				idx = 0;
			} else {
				return usage_error(
					"--%s %s: the model has no %s called "
					"'%.*s' (its %ss: %s)",
					what, a->arg, what, (int)l, a->arg,
					what, names);
			}
		} else if (n == 1) {
			a->file = a->arg;
			idx = 0;
		} else {
			return usage_error("--%s %s: the model has %u %ss; "
					   "use --%s NAME=FILE (%ss: %s)",
					   what, a->arg, n, what, what, what,
					   names);
		}
		if (!*a->file)
			return usage_error("--%s %s: empty file name", what,
					   a->arg);
		/* an output may go to several files, an input comes once */
		for (j = 0; j < i && !outputs; j++) {
			const struct gconv_tensor_info *ti;

			if (args[j].index != idx)
				continue;
			ti = outputs ? runner_output(m, (uint32_t)idx)
				     : runner_input(m, (uint32_t)idx);
			return usage_error("--%s: %s '%s' given twice", what,
					   what, ti->name);
		}
		a->index = idx;
	}
	return 0;
}

/* ---- loading inputs ------------------------------------------------------ */

/*
 * A tensor file's shape against an input's declared shape: exact match
 * required, with a specific message for the usual near misses.
 */
static int check_shape(const struct gconv_tensor_info *ti,
		       const struct gconv_tensor *t, const char *file)
{
	char have[160], want[160];
	uint32_t i;
	int rest_equal = t->ndim == ti->ndim && t->ndim > 0;

	shape_str(t->dims, t->ndim, have, sizeof(have));
	shape_str(ti->dims, ti->ndim, want, sizeof(want));
	for (i = 1; rest_equal && i < t->ndim; i++)
		rest_equal = t->dims[i] == ti->dims[i];
	if (rest_equal && t->dims[0] == ti->dims[0])
		return 0;
	if (rest_equal)
		return fail("%s: shape %s is a batch of %lld but input '%s' "
			    "takes %s, batch %lld%s",
			    file, have, (long long)t->dims[0], ti->name, want,
			    (long long)ti->dims[0],
			    ti->dims[0] == 1 && ti->ndim > 0 ?
				    "; --samples runs a batch one sample at "
				    "a time" :
				    "");
	if (t->ndim + 1 == ti->ndim && ti->dims[0] == 1) {
		int same = 1;

		for (i = 0; i < t->ndim; i++)
			same &= t->dims[i] == ti->dims[i + 1];
		if (same)
			return fail("%s: shape %s lacks the leading batch "
				    "dimension: input '%s' takes %s",
				    file, have, ti->name, want);
	}
	if (t->elems == ti->elems)
		return fail("%s: shape %s but input '%s' takes %s (the same "
			    "%llu elements, another shape: reshape the array)",
			    file, have, ti->name, want,
			    (unsigned long long)ti->elems);
	return fail("%s: shape %s (%llu elements) but input '%s' takes %s "
		    "(%llu elements)",
		    file, have, (unsigned long long)t->elems, ti->name, want,
		    (unsigned long long)ti->elems);
}

static int load_input(const struct gconv_tensor_info *ti, const char *file,
		      struct gconv_tensor *t)
{
	char err[512];
	int ret;

	if (ends_with(file, ".bin"))
		ret = gconv_bin_read(file, ti->dims, ti->ndim, t, err,
				     sizeof(err));
	else
		ret = gconv_npy_read(file, t, err, sizeof(err));
	if (ret)
		return fail("input '%s': %s", ti->name, err);
	if (check_shape(ti, t, file)) {
		gconv_tensor_free(t);
		return 1;
	}
	return 0;
}

static int check_float_io(const struct runner *m)
{
	uint32_t i;

	for (i = 0; i < runner_num_inputs(m); i++)
		if (runner_input(m, i)->dtype != GCONV_DTYPE_F32)
			return fail(
				"input '%s' is %s; only float32 inputs "
				"are supported",
				runner_input(m, i)->name,
				gconv_dtype_name(runner_input(m, i)->dtype));
	for (i = 0; i < runner_num_outputs(m); i++)
		if (runner_output(m, i)->dtype != GCONV_DTYPE_F32)
			return fail(
				"output '%s' is %s; only float32 outputs "
				"are supported",
				runner_output(m, i)->name,
				gconv_dtype_name(runner_output(m, i)->dtype));
	return 0;
}

/* ---- output ------------------------------------------------------------- */

static int write_output(const struct gconv_tensor_info *ti, const float *v,
			const char *file)
{
	struct gconv_tensor t;
	char err[512];
	int ret;

	ret = gconv_tensor_alloc(&t, ti->dims, ti->ndim, 0);
	if (ret)
		return fail("output '%s': %s", ti->name, strerror(-ret));
	memcpy(t.data, v, ti->elems * sizeof(float));
	if (ends_with(file, ".bin"))
		ret = gconv_bin_write(file, &t, err, sizeof(err));
	else
		ret = gconv_npy_write(file, &t, err, sizeof(err));
	gconv_tensor_free(&t);
	if (ret)
		return fail("output '%s': %s", ti->name, err);
	return 0;
}

/* [C] or [1,C] (or [1,1,C]...): a vector of class scores. */
static int is_class_vector(const struct gconv_tensor_info *ti)
{
	uint32_t i;

	if (ti->ndim == 0 || ti->elems == 0)
		return 0;
	for (i = 0; i + 1 < ti->ndim; i++)
		if (ti->dims[i] != 1)
			return 0;
	return 1;
}

static void print_output(const struct gconv_tensor_info *ti, const float *v)
{
	char shape[160];
	uint64_t i, n = ti->elems < PRINT_MAX ? ti->elems : PRINT_MAX;

	printf("output '%s' %s:", ti->name,
	       shape_str(ti->dims, ti->ndim, shape, sizeof(shape)));
	for (i = 0; i < n; i++)
		printf("%s%.6g", i % 10 ? " " : "\n  ", (double)v[i]);
	if (ti->elems > n)
		printf("\n  ... (%llu more)",
		       (unsigned long long)(ti->elems - n));
	printf("\n");
	if (is_class_vector(ti) && ti->ndim <= 2) {
		uint32_t c = argmax(v, ti->elems);

		printf("  argmax: %u (%.6g)\n", c, (double)v[c]);
	}
}

static void describe_model(FILE *f, const char *path, const struct runner *m)
{
	char shape[160];
	uint32_t i;

	fprintf(f, PROG ": %s: %u GCONVs; input%s", path, runner_gconvs(m),
		runner_num_inputs(m) == 1 ? "" : "s");
	for (i = 0; i < runner_num_inputs(m); i++) {
		const struct gconv_tensor_info *ti = runner_input(m, i);

		fprintf(f, "%s %s%s", i ? "," : "", ti->name,
			shape_str(ti->dims, ti->ndim, shape, sizeof(shape)));
	}
	fprintf(f, "; output%s", runner_num_outputs(m) == 1 ? "" : "s");
	for (i = 0; i < runner_num_outputs(m); i++) {
		const struct gconv_tensor_info *ti = runner_output(m, i);

		fprintf(f, "%s %s%s", i ? "," : "", ti->name,
			shape_str(ti->dims, ti->ndim, shape, sizeof(shape)));
	}
}

/* Run once, adding the engine time to *ms. */
static int run_once(struct runner *m, double *ms)
{
	char err[512] = "";
	double t0;
	int ret;

	t0 = now_ms();
	ret = runner_run(m, err, sizeof(err));
	*ms = now_ms() - t0;
	if (ret)
		return fail("run failed: %s", err[0] ? err : strerror(-ret));
	return 0;
}

/* ---- mode 1: one run over given inputs ----------------------------------- */

static void stage_inputs(struct opts *o, struct runner *m)
{
	unsigned int i;

	for (i = 0; i < o->nin; i++) {
		uint32_t k = (uint32_t)o->in[i].index;

		memcpy(runner_input_data(m, k), o->tin[i].data,
		       runner_input(m, k)->elems * sizeof(float));
	}
}

static int run_inputs(struct opts *o, struct runner *m)
{
	uint32_t nin = runner_num_inputs(m);
	uint32_t nout = runner_num_outputs(m);
	double *times = NULL, first_ms = 0, median = 0;
	unsigned int i;
	long r;
	int ret;

	ret = bind_args(m, 0, o->in, o->nin);
	if (!ret)
		ret = bind_args(m, 1, o->out, o->nout);
	if (ret)
		return ret;
	ret = 1;
	for (i = 0; i < nin; i++) {
		unsigned int j;
		int given = 0;

		for (j = 0; j < o->nin; j++)
			given |= o->in[j].index == (int)i;
		if (!given) {
			char shape[160];
			const struct gconv_tensor_info *ti = runner_input(m, i);

			return usage_error("input '%s' %s not given (--input "
					   "%s=FILE)",
					   ti->name,
					   shape_str(ti->dims, ti->ndim, shape,
						     sizeof(shape)),
					   ti->name);
		}
	}
	for (i = 0; i < o->nin; i++) {
		const struct gconv_tensor_info *ti =
			runner_input(m, (uint32_t)o->in[i].index);

		if (load_input(ti, o->in[i].file, &o->tin[i]))
			goto out;
		if (!runner_input_data(m, (uint32_t)o->in[i].index)) {
			fail("no buffer for input '%s'", ti->name);
			goto out;
		}
	}

	/*
	 * A run may reuse the input's arena space for intermediates, so the
	 * inputs are staged again before every run, outside the timing.
	 */
	stage_inputs(o, m);
	if (run_once(m, &first_ms))
		goto out;
	if (o->repeat) {
		times = calloc((size_t)o->repeat, sizeof(*times));
		if (!times) {
			fail("out of memory");
			goto out;
		}
		for (r = 0; r < o->repeat; r++) {
			stage_inputs(o, m);
			if (run_once(m, &times[r]))
				goto out;
		}
		qsort(times, (size_t)o->repeat, sizeof(*times), cmp_double);
		median = o->repeat % 2 ? times[o->repeat / 2] :
					 (times[o->repeat / 2 - 1] +
					  times[o->repeat / 2]) / 2;
		printf("latency over %ld runs after 1 warm-up: min %.3f ms, "
		       "median %.3f ms\n",
		       o->repeat, times[0], median);
	}

	for (i = 0; i < nout && o->print; i++)
		print_output(runner_output(m, i), runner_output_data(m, i));
	for (i = 0; i < o->nout; i++) {
		uint32_t k = (uint32_t)o->out[i].index;

		if (write_output(runner_output(m, k), runner_output_data(m, k),
				 o->out[i].file))
			goto out;
	}

	describe_model(stderr, o->model, m);
	if (o->repeat)
		fprintf(stderr, "; run min %.3f ms, median %.3f ms over %ld\n",
			times[0], median, o->repeat);
	else
		fprintf(stderr, "; run %.3f ms\n", first_ms);
	ret = 0;
out:
	for (i = 0; i < o->nin; i++)
		gconv_tensor_free(&o->tin[i]);
	free(times);
	return ret;
}

/* ---- mode 2: classify samples -------------------------------------------- */

static int load_labels(const char *file, uint64_t count,
		       struct gconv_tensor *t)
{
	char err[512], shape[160];
	uint64_t i;

	if (gconv_npy_read(file, t, err, sizeof(err)))
		return fail("labels: %s", err);
	shape_str(t->dims, t->ndim, shape, sizeof(shape));
	if (t->elems != count ||
	    !(t->ndim == 1 || (t->ndim == 2 && t->dims[1] == 1))) {
		gconv_tensor_free(t);
		return fail("%s: labels of shape %s, but there are %llu "
			    "samples: need shape [%llu]",
			    file, shape, (unsigned long long)count,
			    (unsigned long long)count);
	}
	if (!t->idata) {
		/* float labels: accept whole numbers only */
		t->idata = calloc(count ? count : 1, sizeof(int64_t));
		if (!t->idata) {
			gconv_tensor_free(t);
			return fail("out of memory");
		}
		for (i = 0; i < count; i++) {
			float v = t->data[i];

			if (!(v == floorf(v)) || fabsf(v) > 1e9f) {
				gconv_tensor_free(t);
				return fail("%s: label %llu is %g, not an "
					    "integer",
					    file, (unsigned long long)i,
					    (double)v);
			}
			t->idata[i] = (int64_t)v;
		}
	}
	return 0;
}

static int run_samples(struct opts *o, struct runner *m)
{
	const struct gconv_tensor_info *in, *out;
	struct gconv_tensor smp, labels, pred, probs;
	char err[512], have[160], want[160];
	uint64_t S, C, k, correct = 0, mismatches = 0;
	double total = 0, best = INFINITY, ms;
	int64_t pdims[2];
	float *dst;
	uint32_t i;
	int ret = 1, same = 1;

	memset(&labels, 0, sizeof(labels));
	memset(&pred, 0, sizeof(pred));
	memset(&probs, 0, sizeof(probs));
	if (runner_num_inputs(m) != 1)
		return usage_error("--samples needs a single-input model; "
				   "this one has %u inputs",
				   runner_num_inputs(m));
	in = runner_input(m, 0);
	out = runner_output(m, 0);
	shape_str(in->dims, in->ndim, want, sizeof(want));
	if (in->ndim == 0 || in->dims[0] != 1)
		return fail("--samples needs an input of shape [1,...]; input "
			    "'%s' is %s",
			    in->name, want);
	if (!is_class_vector(out) || out->ndim > 2)
		return fail("--samples needs a classifier output of shape "
			    "[1,C] or [C]; output '%s' is %s",
			    out->name,
			    shape_str(out->dims, out->ndim, have,
				      sizeof(have)));
	if (runner_num_outputs(m) > 1)
		fprintf(stderr,
			PROG ": note: the model has %u outputs; classifying "
			     "with the first, '%s'\n",
			runner_num_outputs(m), out->name);

	if (gconv_npy_read(o->samples, &smp, err, sizeof(err)))
		return fail("samples: %s", err);
	shape_str(smp.dims, smp.ndim, have, sizeof(have));
	if (smp.ndim != in->ndim)
		same = 0;
	for (i = 1; same && i < in->ndim; i++)
		same = smp.dims[i] == in->dims[i];
	if (!same) {
		fail("%s: samples of shape %s do not fit input '%s' %s: need "
		     "[S%s",
		     o->samples, have, in->name, want, strchr(want, ',') ?
		     strchr(want, ',') : "]");
		goto out;
	}
	S = (uint64_t)smp.dims[0];
	C = out->elems;
	if (S == 0) {
		fail("%s: holds no samples (shape %s)", o->samples, have);
		goto out;
	}
	if (o->labels && load_labels(o->labels, S, &labels))
		goto out;

	pdims[0] = (int64_t)S;
	pdims[1] = (int64_t)C;
	if (gconv_tensor_alloc(&pred, pdims, 1, 1) ||
	    gconv_tensor_alloc(&probs, pdims, 2, 0)) {
		fail("out of memory for %llu samples",
		     (unsigned long long)S);
		goto out;
	}
	dst = runner_input_data(m, 0);
	if (!dst) {
		fail("no buffer for input '%s'", in->name);
		goto out;
	}
	for (k = 0; k < S; k++) {
		const float *v;

		memcpy(dst, smp.data + k * in->elems,
		       in->elems * sizeof(float));
		if (run_once(m, &ms))
			goto out;
		total += ms;
		if (ms < best)
			best = ms;
		v = runner_output_data(m, 0);
		memcpy(probs.data + k * C, v, C * sizeof(float));
		pred.idata[k] = argmax(v, C);
		pred.data[k] = (float)pred.idata[k];
		if (labels.idata)
			correct += pred.idata[k] == labels.idata[k];
		if (o->print) {
			printf("sample %llu: predicted %lld (%.6g)",
			       (unsigned long long)k,
			       (long long)pred.idata[k],
			       (double)v[pred.idata[k]]);
			if (labels.idata)
				printf(", label %lld%s",
				       (long long)labels.idata[k],
				       pred.idata[k] == labels.idata[k] ?
					       "" :
					       "  <-- wrong");
			printf("\n");
		}
	}

	if (labels.idata) {
		printf("accuracy: %llu/%llu = %.2f%%\n",
		       (unsigned long long)correct, (unsigned long long)S,
		       100.0 * (double)correct / (double)S);
		for (k = 0; k < S; k++) {
			if (pred.idata[k] == labels.idata[k])
				continue;
			if (mismatches++ == 0)
				printf("mismatches (sample: predicted/label):");
			if (mismatches <= 20)
				printf(" %llu:%lld/%lld",
				       (unsigned long long)k,
				       (long long)pred.idata[k],
				       (long long)labels.idata[k]);
		}
		if (mismatches > 20)
			printf(" ... (%llu in all)",
			       (unsigned long long)mismatches);
		if (mismatches)
			printf("\n");
	}
	if (o->pred_out &&
	    gconv_npy_write_i64(o->pred_out, &pred, err, sizeof(err))) {
		fail("%s", err);
		goto out;
	}
	if (o->probs_out &&
	    gconv_npy_write(o->probs_out, &probs, err, sizeof(err))) {
		fail("%s", err);
		goto out;
	}

	describe_model(stderr, o->model, m);
	fprintf(stderr,
		"; %llu samples from %s: run mean %.3f ms, min %.3f ms, "
		"total %.1f ms\n",
		(unsigned long long)S, o->samples, total / (double)S, best,
		total);
	ret = 0;
out:
	gconv_tensor_free(&smp);
	gconv_tensor_free(&labels);
	gconv_tensor_free(&pred);
	gconv_tensor_free(&probs);
	return ret;
}

/* ---- opening the model --------------------------------------------------- */

static int open_engine(struct opts *o, struct runner *r)
{
	enum gconv_engine_kind kind;
	char err[512] = "";
	int ret;

	/* read by OpenBLAS when the fast engine loads it, on its first
	 * product (libgconvdev/engine/blas.c) */
	if (o->threads > 0) {
		char v[24];

		snprintf(v, sizeof(v), "%ld", o->threads);
		setenv("OPENBLAS_NUM_THREADS", v, 1);
	}
	if (!o->engine && gconv_engine_default(&kind))
		return fail("GCONV_ENGINE='%s': expected golden or fast",
			    getenv("GCONV_ENGINE"));
	ret = gconv_model_open(o->model, &o->copts, &r->m, err, sizeof(err));
	if (ret)
		return fail("%s: %s", o->model, err[0] ? err : strerror(-ret));
	if (check_float_io(r))
		return 1;
	ret = gconv_session_create(r->m, &r->s);
	if (ret)
		return fail("%s: cannot create a session: %s", o->model,
			    strerror(-ret));
	if (o->engine)
		gconv_session_set_engine(r->s, strcmp(o->engine, "golden")
						       ? GCONV_ENGINE_FAST
						       : GCONV_ENGINE_GOLDEN);
	return 0;
}

static void copy_tensor(const struct gconv_client_tensor *t,
			struct gconv_tensor_info *ti)
{
	memset(ti, 0, sizeof(*ti));
	ti->name = t->name;
	ti->dtype = t->dtype;
	ti->ndim = t->ndim;
	memcpy(ti->dims, t->dims, sizeof(ti->dims));
	ti->elems = t->elems;
}

_Static_assert(GCONVD_MAX_DIMS == GCONV_MAX_DIMS, "tensor ranks differ");

/* "WHERE: ERR", or ERR alone when it says WHERE already. */
static int fail_at(const char *where, const char *err)
{
	if (strstr(err, where))
		return fail("%s", err);
	return fail("%s: %s", where, err);
}

static int open_daemon(struct opts *o, struct runner *r)
{
	char err[512] = "", where[512];
	uint32_t i;
	int ret;

	if (o->threads > 1)
		fprintf(stderr,
			PROG ": note: --threads %ld has no effect with "
			     "--daemon: gconvd runs the model\n",
			o->threads);
	snprintf(where, sizeof(where), "gconvd at %s", o->daemon);
	ret = gconv_client_connect(o->daemon, PROG, &r->c, err, sizeof(err));
	if (ret)
		return fail_at(where, err[0] ? err : strerror(-ret));
	/* no --model-name: the library names "dir/digits.onnx" "digits" */
	ret = gconv_client_load_file(r->c, o->model, o->model_name, &r->cm,
				     err, sizeof(err));
	if (ret) {
		r->cm = NULL;
		if (!strncmp(err, o->model, strlen(o->model)))
			return fail("%s", err); /* the file itself */
		snprintf(where, sizeof(where), "%s (gconvd at %s)", o->model,
			 o->daemon);
		return fail_at(where, err[0] ? err : strerror(-ret));
	}
	r->nin = gconv_client_num_inputs(r->cm);
	r->nout = gconv_client_num_outputs(r->cm);
	r->in = calloc(r->nin ? r->nin : 1, sizeof(*r->in));
	r->out = calloc(r->nout ? r->nout : 1, sizeof(*r->out));
	if (!r->in || !r->out)
		return fail("out of memory");
	for (i = 0; i < r->nin; i++)
		copy_tensor(gconv_client_input(r->cm, i), &r->in[i]);
	for (i = 0; i < r->nout; i++)
		copy_tensor(gconv_client_output(r->cm, i), &r->out[i]);
	return check_float_io(r);
}

static void runner_close(struct runner *r)
{
	gconv_session_free(r->s);
	gconv_model_free(r->m);
	gconv_client_close(r->c); /* frees r->cm */
	free(r->in);
	free(r->out);
}

int main(int argc, char **argv)
{
	struct runner r = { 0 };
	static struct opts o;
	int ret;

	ret = parse_args(argc, argv, &o);
	if (ret)
		return ret < 0 ? 0 : ret;
	ret = o.daemon ? open_daemon(&o, &r) : open_engine(&o, &r);
	if (!ret)
		ret = o.samples ? run_samples(&o, &r) : run_inputs(&o, &r);
	if (!ret && fflush(stdout))
		ret = fail("write error on standard output");
	runner_close(&r);
	return ret;
}
