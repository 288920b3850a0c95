// SPDX-License-Identifier: MIT
/*
 * gconv-compile: compile an ONNX model into a GCONV chain and save it as a
 * .gcm file, or inspect a model (ONNX or .gcm): one line per GCONV with a
 * memory summary, or a Graphviz graph.
 *
 *	gconv-compile model.onnx -o model.gcm
 *	gconv-compile --dump model.onnx
 *	gconv-compile --dot model.gcm -o model.dot
 *
 * Exit status: 0 success, 1 the model could not be compiled, loaded or
 * saved, 2 usage error.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gconv/model.h>
#include <gconv/tensor_io.h>

#include "tool_msg.h"

#define PROG "gconv-compile"

#define usage_error(...) tool_usage_error(PROG, __VA_ARGS__)

static void usage(FILE *f)
{
	fprintf(f,
		"usage: " PROG " [options] MODEL.onnx|MODEL.gcm\n"
		"\n"
		"Compile an ONNX model into one GCONV chain and save it as a "
		".gcm file,\n"
		"or inspect a model: ONNX input is compiled first, a .gcm is "
		"loaded.\n"
		"\n"
		"  -o, --output FILE  save the compiled model to FILE (.gcm); "
		"with --dot,\n"
		"                     write the Graphviz graph to FILE "
		"instead\n"
		"  --dump             print one line per GCONV (index, source "
		"node and op,\n"
		"                     shape, operators), then a summary: "
		"GCONV count,\n"
		"                     arena peak vs naive bytes, weight "
		"bytes\n"
		"  --dot              print the chain as a Graphviz graph "
		"(stdout, or -o FILE)\n"
		"  --no-fuse          keep activations as separate GCONVs\n"
		"  --no-fold-bn       run BatchNormalization as its own "
		"GCONV\n"
		"  --no-inplace       make concat and reshape always copy\n"
		"  --naive-memory     give every intermediate its own buffer "
		"(no arena reuse)\n"
		"  -h, --help         show this help\n"
		"\n"
		"The --no-* and --naive-memory options shape compilation; "
		"they have no\n"
		"effect on a .gcm, which is already compiled.  With none of "
		"-o, --dump and\n"
		"--dot the model is compiled and only the summary printed.\n"
		"\n"
		"Exit status: 0 success, 1 the model could not be compiled, "
		"loaded or\n"
		"saved, 2 usage error.\n");
}

static int ends_with(const char *s, const char *suffix)
{
	size_t ls = strlen(s), lx = strlen(suffix);

	return ls >= lx && !strcmp(s + ls - lx, suffix);
}

static void print_bytes(FILE *f, uint64_t b)
{
	if (b >= 10 * 1024 * 1024)
		fprintf(f, "%llu bytes (%.1f MiB)", (unsigned long long)b,
			b / (1024.0 * 1024.0));
	else if (b >= 10 * 1024)
		fprintf(f, "%llu bytes (%.1f KiB)", (unsigned long long)b,
			b / 1024.0);
	else
		fprintf(f, "%llu bytes", (unsigned long long)b);
}

static void print_tensors(FILE *f, const struct gconv_model *m, int outputs)
{
	uint32_t i, n;

	n = outputs ? gconv_model_num_outputs(m) : gconv_model_num_inputs(m);
	fprintf(f, "  %s:", outputs ? "outputs" : "inputs ");
	for (i = 0; i < n; i++) {
		const struct gconv_tensor_info *ti =
			outputs ? gconv_model_output(m, i) :
				  gconv_model_input(m, i);
		char shape[160];

		gconv_shape_format(ti->dims, ti->ndim, shape, sizeof(shape));
		fprintf(f, "%s %s %s", i ? "," : "", ti->name, shape);
	}
	fprintf(f, "\n");
}

static void summary(FILE *f, const char *path, const struct gconv_model *m)
{
	struct gconv_model_layout l;

	memset(&l, 0, sizeof(l));
	gconv_model_layout(m, &l);
	fprintf(f, "%s: %u GCONVs\n", path, gconv_model_gconv_count(m));
	print_tensors(f, m, 0);
	print_tensors(f, m, 1);
	fprintf(f, "  arena:   ");
	print_bytes(f, l.arena_size);
	fprintf(f, " peak vs ");
	print_bytes(f, l.naive_bytes);
	fprintf(f, " naive");
	if (l.naive_bytes)
		fprintf(f, " (%.1f%% of naive)",
			100.0 * (double)l.arena_size / (double)l.naive_bytes);
	fprintf(f, "\n  weights: ");
	print_bytes(f, l.weights_size);
	fprintf(f, "\n");
}

int main(int argc, char **argv)
{
	struct gconv_compile_opts opts = { 0 };
	const char *input = NULL, *output = NULL;
	struct gconv_model *m = NULL;
	int dump = 0, dot = 0, only_opts = 1, ret, i;
	char err[512] = "";

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(a, "-o") || !strcmp(a, "--output")) {
			if (i + 1 >= argc)
				return usage_error("%s needs a FILE", a);
			if (output)
				return usage_error("%s given twice", a);
			output = argv[++i];
		} else if (!strncmp(a, "--output=", 9)) {
			if (output)
				return usage_error("%s given twice",
						   "--output");
			output = a + 9;
		} else if (!strcmp(a, "--dump")) {
			dump = 1;
		} else if (!strcmp(a, "--dot")) {
			dot = 1;
		} else if (!strcmp(a, "--no-fuse")) {
			opts.flags |= GCONV_COMPILE_NO_FUSE;
		} else if (!strcmp(a, "--no-fold-bn")) {
			opts.flags |= GCONV_COMPILE_NO_FOLD_BN;
		} else if (!strcmp(a, "--no-inplace")) {
			opts.flags |= GCONV_COMPILE_NO_INPLACE;
		} else if (!strcmp(a, "--naive-memory")) {
			opts.flags |= GCONV_COMPILE_NAIVE_MEMORY;
		} else if (!strcmp(a, "--")) {
			if (i + 1 < argc && !input)
				input = argv[++i];
			if (i + 1 < argc)
				return usage_error("unexpected argument '%s'",
						   argv[i + 1]);
			break;
		} else if (a[0] == '-' && a[1]) {
			return usage_error("unknown option '%s'", a);
		} else if (input) {
			return usage_error("more than one model given ('%s')",
					   a);
		} else {
			input = a;
		}
	}
	if (!input)
		return usage_error("%s", "no model given");
	if (!*input)
		return usage_error("%s", "empty model path");
	if (output && !*output)
		return usage_error("%s", "empty output path");
	only_opts = !output && !dump && !dot;

	if (opts.flags && ends_with(input, ".gcm"))
		fprintf(stderr,
			PROG ": note: %s is already compiled; the compile "
			     "options have no effect\n",
			input);

	ret = gconv_model_open(input, &opts, &m, err, sizeof(err));
	if (ret) {
		fprintf(stderr, PROG ": %s: %s\n", input,
			err[0] ? err : strerror(-ret));
		return 1;
	}

	if (dump) {
		gconv_model_dump(m, stdout);
		printf("\n");
	}
	if (dot) {
		FILE *f = stdout;

		if (output) {
			f = fopen(output, "w");
			if (!f) {
				fprintf(stderr,
					PROG ": %s: cannot create: %s\n",
					output, strerror(errno));
				gconv_model_free(m);
				return 1;
			}
		}
		gconv_model_dot(m, f);
		if (output && (ferror(f) | fclose(f))) {
			fprintf(stderr, PROG ": %s: write error\n", output);
			remove(output);
			gconv_model_free(m);
			return 1;
		}
	} else if (output) {
		ret = gconv_model_save(m, output, err, sizeof(err));
		if (ret) {
			if (err[0] && strstr(err, output))
				fprintf(stderr, PROG ": %s\n", err);
			else
				fprintf(stderr, PROG ": %s: %s\n", output,
					err[0] ? err : strerror(-ret));
			gconv_model_free(m);
			return 1;
		}
	}

	/* the summary goes where it does not mix with a graph on stdout */
	summary(dump || only_opts ? stdout : stderr, input, m);
	if (output)
		fprintf(dump || only_opts ? stdout : stderr, "  wrote %s%s\n",
			output, dot ? " (Graphviz)" : "");
	if (fflush(stdout)) {
		fprintf(stderr, PROG ": write error on standard output\n");
		gconv_model_free(m);
		return 1;
	}
	gconv_model_free(m);
	return 0;
}
