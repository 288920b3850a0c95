// SPDX-License-Identifier: MIT
/*
 * cnn-check DIR NAME...: compile DIR/NAME.onnx (made by
 * tools/models/make_cnns.py), check that every compute node of the model
 * became GCONVs, run DIR/NAME.input.npy on each CPU engine (golden and
 * fast) and compare with PyTorch's DIR/NAME.output.npy: max |got - want| /
 * max |want| must stay below 1e-4.  Prints a line per model and engine and
 * "N passed, N failed".
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gconv/model.h>
#include <gconv/tensor_io.h>

static int check(const char *dir, const char *name, enum gconv_engine_kind kind)
{
	const char *ename = kind == GCONV_ENGINE_GOLDEN ? "golden" : "fast";
	char path[4096], err[512];
	struct gconv_tensor x = { 0 }, y = { 0 };
	struct gconv_model_layout l;
	struct gconv_session *s = NULL;
	struct gconv_model *m = NULL;
	struct timespec t0, t1;
	double maxabs = 0, ymax = 0, rel;
	const float *o;
	uint64_t i;
	int ok = 0;

	snprintf(path, sizeof(path), "%s/%s.onnx", dir, name);
	if (gconv_compile_onnx_file(path, NULL, &m, err, sizeof(err))) {
		printf("FAIL %s: compile: %s\n", name, err);
		return 0;
	}
	snprintf(path, sizeof(path), "%s/%s.input.npy", dir, name);
	if (gconv_npy_read(path, &x, err, sizeof(err)))
		goto io;
	snprintf(path, sizeof(path), "%s/%s.output.npy", dir, name);
	if (gconv_npy_read(path, &y, err, sizeof(err)))
		goto io;
	if (x.elems != gconv_model_input(m, 0)->elems ||
	    y.elems != gconv_model_output(m, 0)->elems) {
		printf("FAIL %s: input/output sizes differ from the model\n",
		       name);
		goto out;
	}
	if (gconv_session_create(m, &s)) {
		printf("FAIL %s: out of memory\n", name);
		goto out;
	}
	gconv_session_set_engine(s, kind);
	memcpy(gconv_session_input(s, 0), x.data, x.elems * sizeof(float));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (gconv_session_run(s, err, sizeof(err))) {
		printf("FAIL %s (%s engine): run: %s\n", name, ename, err);
		goto out;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	o = gconv_session_output(s, 0);
	for (i = 0; i < y.elems; i++) {
		double e = fabs((double)o[i] - y.data[i]);

		if (!(e <= maxabs))
			maxabs = e; /* NaN sticks */
		if (fabs(y.data[i]) > ymax)
			ymax = fabs(y.data[i]);
	}
	rel = maxabs / (ymax > 0 ? ymax : 1);
	gconv_model_layout(m, &l);
	ok = rel <= 1e-4;
	printf("%s %s: %u GCONVs, arena %.1f MB (naive %.1f MB), weights "
	       "%.1f MB, %s engine %.2f s, max relative error %.2e\n",
	       ok ? "ok  " : "FAIL", name, gconv_model_gconv_count(m),
	       l.arena_size / 1e6, l.naive_bytes / 1e6, l.weights_size / 1e6,
	       ename,
	       (double)(t1.tv_sec - t0.tv_sec) +
		       (t1.tv_nsec - t0.tv_nsec) * 1e-9,
	       rel);
	goto out;
io:
	printf("FAIL %s: %s\n", name, err);
out:
	gconv_session_free(s);
	gconv_model_free(m);
	gconv_tensor_free(&x);
	gconv_tensor_free(&y);
	return ok;
}

int main(int argc, char **argv)
{
	int i, pass = 0, fail = 0;

	if (argc < 3) {
		fprintf(stderr, "usage: cnn-check DIR NAME...\n");
		return 2;
	}
	for (i = 2; i < argc; i++) {
		if (check(argv[1], argv[i], GCONV_ENGINE_GOLDEN))
			pass++;
		else
			fail++;
		fflush(stdout);
		if (check(argv[1], argv[i], GCONV_ENGINE_FAST))
			pass++;
		else
			fail++;
		fflush(stdout);
	}
	printf("%d passed, %d failed\n", pass, fail);
	return fail ? 1 : 0;
}
