// SPDX-License-Identifier: MIT
/*
 * guest-gconvd-client: one tenant's client of gconvd, run in the test VM
 * by tests/vm/check-gconvd (started as root, it becomes --uid first).
 *
 *	guest-gconvd-client [--uid U] [--tenant T] [--socket PATH]
 *			    [--data DIR] [--forbidden NAME] [--backend cpu|drm]
 *			    MODE
 *
 * MODE:
 *   run     the workload, through the client library (gconv/client.h):
 *           connect and check the tenant gconvd gives us; load the digits
 *           CNN twice and run the 100 samples two at a time (outputs equal
 *           to the cpu backend's, run here, bit for bit; predictions equal
 *           to PyTorch's); load small_resnet (tests/vm/make_small_resnet.py)
 *           and run PyTorch's input (max |got - want| / max |want| <= 1e-4,
 *           as tests/models/cnn_check.c) and a variant of it (equal to the
 *           cpu backend's bit for bit); with --forbidden NAME, loading a
 *           model under that name must be refused; the tenant's counters
 *           must count exactly this work; unloading must free its memory.
 *   idle    the tenant has nothing left: no models, memory, queued or
 *           running requests, no client but us.
 *   denied  the user is in no tenant: connecting is refused (-EACCES).
 *   hold    load small_resnet four times and digits once, start an
 *           inference on each, wait until one runs, print "holding: ..."
 *           and sleep until killed (the test kills it with SIGKILL while
 *           one runs and the others wait: with one request in flight,
 *           they take seconds).
 *
 * DIR (default /data) holds digits.onnx, samples.npy, torch_pred.npy,
 * torch_probs.npy, small_resnet.onnx, small_resnet.input.npy and
 * small_resnet.output.npy.  --backend names the backend gconvd must
 * report (default drm; cpu for a dry run on the host).  run, idle and
 * denied end with "N passed, N failed".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <gconv/client.h>
#include <gconv/device.h>
#include <gconv/model.h>
#include <gconv/tensor_io.h>

#include "../harness.h"

static char err[512];
static const char *g_socket = "/run/gconv/gconvd.sock";
static const char *g_data = "/data";
static const char *g_tenant;
static const char *g_forbidden;
static long g_uid = -1;
static uint32_t g_backend = GCONVD_BACKEND_DRM;

static struct gconv_client *g_c;
static struct gconv_client_stats g_before; /* the tenant's, at connection */

#define CHECK_OK(expr)                                                      \
	do {                                                                \
		int r_ = (expr);                                            \
		if (r_)                                                     \
			FAILF("%s: expected 0, got %d (%s): %s", #expr, r_, \
			      strerror(-r_), err);                          \
	} while (0)

static void path_of(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", g_data, name);
}

static void load_npy(const char *name, struct gconv_tensor *t)
{
	char path[256];

	path_of(path, sizeof(path), name);
	if (gconv_npy_read(path, t, err, sizeof(err)))
		FAILF("%s", err);
}

static double secs(uint64_t ns)
{
	return (double)ns * 1e-9;
}

static void get_stats(struct gconv_client_stats *st)
{
	CHECK_OK(gconv_client_stats(g_c, st, err, sizeof(err)));
}

static void print_stats(const char *when, const struct gconv_client_stats *s)
{
	printf("  %s: tenant %s: clients %u, models %u, memory %llu, queued "
	       "%u, in flight %u; requests %llu, completed %llu, failed "
	       "%llu, rejected %llu\n",
	       when, s->tenant, s->clients, s->models,
	       (unsigned long long)s->memory, s->queued, s->in_flight,
	       (unsigned long long)s->requests,
	       (unsigned long long)s->completed,
	       (unsigned long long)s->failed,
	       (unsigned long long)s->rejected);
}

/* ---- the cpu backend, in this process ------------------------------------- */

/*
 * Run @m on the cpu backend once per input (@n inputs of @in_elems floats
 * at @in) and return the outputs (@n times output 0's elements).
 */
static float *cpu_outputs(const struct gconv_model *m, const float *in,
			  uint64_t in_elems, int64_t n)
{
	uint64_t out_elems = gconv_model_output(m, 0)->elems;
	struct gconv_dev_model *dm;
	struct gconv_dev *cpu;
	struct gconv_ctx *ctx;
	float *out;
	int64_t i;

	out = calloc((size_t)(n * out_elems), sizeof(float));
	CHECK(out);
	CHECK_OK(gconv_dev_open("cpu", &cpu, err, sizeof(err)));
	CHECK_OK(gconv_ctx_create(cpu, &ctx, err, sizeof(err)));
	CHECK_OK(gconv_dev_model_load(ctx, m, NULL, &dm, err, sizeof(err)));
	for (i = 0; i < n; i++) {
		memcpy(gconv_dev_model_input(dm, 0), in + i * in_elems,
		       in_elems * sizeof(float));
		CHECK_OK(gconv_dev_model_run(dm, GCONV_PRIORITY_NORMAL, -1,
					     NULL, err, sizeof(err)));
		memcpy(out + i * out_elems, gconv_dev_model_output(dm, 0),
		       out_elems * sizeof(float));
	}
	gconv_dev_close(cpu);
	return out;
}

static struct gconv_model *compile(const char *name)
{
	struct gconv_model *m;
	char path[256];

	path_of(path, sizeof(path), name);
	if (gconv_model_open(path, NULL, &m, err, sizeof(err)))
		FAILF("%s: %s", path, err);
	return m;
}

static struct gconv_client_model *load(const char *file, const char *name)
{
	struct gconv_client_model *cm;
	char path[256];

	path_of(path, sizeof(path), file);
	CHECK_OK(gconv_client_load_file(g_c, path, name, &cm, err,
					sizeof(err)));
	return cm;
}

/* ---- run ---------------------------------------------------------------- */

static uint64_t g_infers;     /* inferences this client made */
static uint64_t g_rejected;   /* requests gconvd should have refused */
static struct gconv_client_model *g_models[3];
static unsigned int g_nmodels;

TEST(connects_as_its_tenant)
{
	struct gconv_client_info info;
	char name[GCONVD_NAME_LEN];

	snprintf(name, sizeof(name), "check-gconvd-uid%ld", g_uid);
	CHECK_OK(gconv_client_connect(g_socket, name, &g_c, err,
				      sizeof(err)));
	gconv_client_get_info(g_c, &info);
	printf("  uid %ld: tenant %s, backend %u, max queued %u, max in "
	       "flight %u, quota %llu\n",
	       (long)getuid(), info.tenant, info.backend, info.max_queued,
	       info.max_in_flight, (unsigned long long)info.memory_quota);
	CHECK_EQ_INT(info.version, GCONVD_VERSION);
	CHECK_EQ_INT(info.backend, g_backend);
	if (g_tenant)
		CHECK_STR(info.tenant, g_tenant);
	get_stats(&g_before);
	print_stats("at start", &g_before);
	CHECK_STR(g_before.tenant, info.tenant);
	CHECK_EQ_INT(g_before.clients, 1);
	CHECK_EQ_INT(g_before.models, 0);
	CHECK_EQ_INT(g_before.memory, 0);
}

TEST(digits_match_the_cpu_backend_and_pytorch)
{
	struct gconv_tensor x = { 0 }, pred = { 0 }, probs = { 0 };
	struct gconv_client_model *d[2];
	struct gconv_client_timing t;
	uint64_t queue_ns = 0, exec_ns = 0;
	struct gconv_model *m;
	float *want;
	int64_t i, n;
	int k, j, best;

	CHECK(g_c);
	m = compile("digits.onnx");
	load_npy("samples.npy", &x);
	load_npy("torch_pred.npy", &pred);
	load_npy("torch_probs.npy", &probs);
	n = x.dims[0];
	CHECK_EQ_INT(n, 100);
	want = cpu_outputs(m, x.data, 64, n);

	for (k = 0; k < 2; k++) {
		d[k] = load("digits.onnx", "digits");
		g_models[g_nmodels++] = d[k];
		CHECK_EQ_INT(gconv_client_num_inputs(d[k]), 1);
		CHECK_EQ_INT(gconv_client_num_outputs(d[k]), 1);
		CHECK_EQ_INT(gconv_client_input(d[k], 0)->elems, 64);
		CHECK_EQ_INT(gconv_client_output(d[k], 0)->elems, 10);
	}
	CHECK(gconv_client_model_hash(d[0]) == gconv_client_model_hash(d[1]));
	/* two requests in flight at a time, one per instance */
	for (i = 0; i < n; i += 2) {
		for (k = 0; k < 2 && i + k < n; k++) {
			memcpy(gconv_client_input_data(d[k], 0),
			       x.data + (i + k) * 64, 64 * sizeof(float));
			CHECK_OK(gconv_client_infer_start(d[k], err,
							  sizeof(err)));
			g_infers++;
		}
		for (k = 0; k < 2 && i + k < n; k++) {
			const float *o;

			CHECK_OK(gconv_client_infer_wait(d[k], -1, &t, err,
							 sizeof(err)));
			queue_ns += t.queue_ns;
			exec_ns += t.exec_ns;
			o = gconv_client_output_data(d[k], 0);
			if (memcmp(o, want + (i + k) * 10, 10 * sizeof(float)))
				FAILF("sample %lld: gconvd's output differs "
				      "from the cpu backend's (first %.9g vs "
				      "%.9g)",
				      (long long)(i + k), (double)o[0],
				      (double)want[(i + k) * 10]);
			for (best = 0, j = 1; j < 10; j++)
				if (o[j] > o[best])
					best = j;
			if (best != pred.idata[i + k])
				FAILF("sample %lld: predicted %d, PyTorch %lld",
				      (long long)(i + k), best,
				      (long long)pred.idata[i + k]);
			CHECK_ARRAY_NEAR(o, probs.data + (i + k) * 10, 10,
					 1e-4, 1e-5);
		}
	}
	printf("  %lld samples on 2 instances: outputs equal to the cpu "
	       "backend's, predictions to PyTorch's; queued %.2f s, on the "
	       "device %.2f s in all\n",
	       (long long)n, secs(queue_ns), secs(exec_ns));
	free(want);
	gconv_model_free(m);
	gconv_tensor_free(&x);
	gconv_tensor_free(&pred);
	gconv_tensor_free(&probs);
}

TEST(small_resnet_matches_pytorch_and_the_cpu_backend)
{
	struct gconv_tensor x = { 0 }, y = { 0 };
	struct gconv_client_model *cm;
	struct gconv_client_timing t;
	struct gconv_model *m;
	double maxabs = 0, ymax = 0;
	float *in, *want;
	const float *o;
	uint64_t ne, no, i;
	int r;

	CHECK(g_c);
	m = compile("small_resnet.onnx");
	load_npy("small_resnet.input.npy", &x);
	load_npy("small_resnet.output.npy", &y);
	ne = gconv_model_input(m, 0)->elems;
	no = gconv_model_output(m, 0)->elems;
	CHECK_EQ_INT(x.elems, ne);
	CHECK_EQ_INT(y.elems, no);
	/* PyTorch's input, and a variant of it for this uid */
	in = malloc(2 * ne * sizeof(float));
	CHECK(in);
	memcpy(in, x.data, ne * sizeof(float));
	for (i = 0; i < ne; i++)
		in[ne + i] = x.data[ne - 1 - i] * (0.5f + 0.25f * (float)(g_uid % 4));
	want = cpu_outputs(m, in, ne, 2);

	cm = load("small_resnet.onnx", "small_resnet");
	g_models[g_nmodels++] = cm;
	CHECK_EQ_INT(gconv_client_input(cm, 0)->elems, ne);
	CHECK_EQ_INT(gconv_client_output(cm, 0)->elems, no);
	for (r = 0; r < 2; r++) {
		memcpy(gconv_client_input_data(cm, 0), in + r * ne,
		       ne * sizeof(float));
		g_infers++;
		CHECK_OK(gconv_client_infer(cm, &t, err, sizeof(err)));
		o = gconv_client_output_data(cm, 0);
		printf("  run %d: queued %.2f s, on the device %.2f s\n", r,
		       secs(t.queue_ns), secs(t.exec_ns));
		for (i = 0; i < no; i++)
			if (memcmp(&o[i], &want[r * no + i], sizeof(float)))
				FAILF("run %d, output %llu: gconvd %.9g, cpu "
				      "backend %.9g",
				      r, (unsigned long long)i, (double)o[i],
				      (double)want[r * no + i]);
		if (r)
			continue;
		for (i = 0; i < no; i++) {
			double e = fabs((double)o[i] - y.data[i]);

			if (!(e <= maxabs))
				maxabs = e;
			if (fabs(y.data[i]) > ymax)
				ymax = fabs(y.data[i]);
		}
		printf("  PyTorch's input: max relative error %.2e\n",
		       maxabs / (ymax > 0 ? ymax : 1));
		CHECK(maxabs / (ymax > 0 ? ymax : 1) <= 1e-4);
	}
	free(in);
	free(want);
	gconv_model_free(m);
	gconv_tensor_free(&x);
	gconv_tensor_free(&y);
}

TEST(a_model_the_policy_forbids_is_refused)
{
	struct gconv_client_model *cm = NULL;
	char path[256];

	CHECK(g_c);
	path_of(path, sizeof(path), "digits.onnx");
	g_rejected++;
	CHECK_EQ_INT(gconv_client_load_file(g_c, path, g_forbidden, &cm, err,
					    sizeof(err)),
		     -EACCES);
	printf("  %s\n", err);
	CHECK(cm == NULL);
	CHECK(strstr(err, g_forbidden));
}

TEST(the_tenants_counters_count_this_work)
{
	struct gconv_client_stats s;

	CHECK(g_c);
	get_stats(&s);
	print_stats("after the work", &s);
	CHECK_EQ_INT(s.clients, 1);
	CHECK_EQ_INT(s.models, g_nmodels);
	CHECK(s.memory > 0);
	CHECK_EQ_INT(s.queued, 0);
	CHECK_EQ_INT(s.in_flight, 0);
	CHECK_EQ_INT(s.requests - g_before.requests, g_infers);
	CHECK_EQ_INT(s.completed - g_before.completed, g_infers);
	CHECK_EQ_INT(s.failed - g_before.failed, 0);
	CHECK_EQ_INT(s.rejected - g_before.rejected, g_rejected);
}

TEST(unloading_frees_the_tenants_memory)
{
	struct gconv_client_stats s;
	unsigned int i;

	CHECK(g_c);
	for (i = 0; i < g_nmodels; i++)
		CHECK_OK(gconv_client_unload(g_models[i], err, sizeof(err)));
	g_nmodels = 0;
	get_stats(&s);
	print_stats("after unloading", &s);
	CHECK_EQ_INT(s.models, 0);
	CHECK_EQ_INT(s.memory, 0);
	CHECK_EQ_INT(s.queued, 0);
	CHECK_EQ_INT(s.in_flight, 0);
}

/* ---- idle, denied --------------------------------------------------------- */

TEST(the_tenant_is_idle)
{
	struct gconv_client_stats s;

	CHECK_OK(gconv_client_connect(g_socket, "check-gconvd-idle", &g_c,
				      err, sizeof(err)));
	get_stats(&s);
	print_stats("idle", &s);
	if (g_tenant)
		CHECK_STR(s.tenant, g_tenant);
	CHECK_EQ_INT(s.clients, 1); /* us */
	CHECK_EQ_INT(s.models, 0);
	CHECK_EQ_INT(s.memory, 0);
	CHECK_EQ_INT(s.queued, 0);
	CHECK_EQ_INT(s.in_flight, 0);
	CHECK_EQ_INT(s.requests, s.completed + s.failed);
}

TEST(a_user_in_no_tenant_is_refused)
{
	CHECK_EQ_INT(gconv_client_connect(g_socket, "check-gconvd-denied",
					  &g_c, err, sizeof(err)),
		     -EACCES);
	printf("  %s\n", err);
	CHECK(g_c == NULL);
}

/* ---- hold ----------------------------------------------------------------- */

static int hold(void)
{
	struct gconv_client_model *m[5];
	struct gconv_client_stats s;
	struct timespec ts = { 0, 200 * 1000 * 1000 };
	int i, tries;

	if (gconv_client_connect(g_socket, "check-gconvd-hold", &g_c, err,
				 sizeof(err)))
		goto fail;
	for (i = 0; i < 5; i++) {
		char path[256];

		path_of(path, sizeof(path),
			i < 4 ? "small_resnet.onnx" : "digits.onnx");
		if (gconv_client_load_file(g_c, path, NULL, &m[i], err,
					   sizeof(err)))
			goto fail;
	}
	for (i = 0; i < 5; i++)
		if (gconv_client_infer_start(m[i], err, sizeof(err)))
			goto fail;
	/* until gconvd runs one of them */
	for (tries = 0; tries < 600; tries++) {
		if (gconv_client_stats(g_c, &s, err, sizeof(err)))
			goto fail;
		if (s.in_flight)
			break;
		nanosleep(&ts, NULL);
	}
	print_stats("holding", &s);
	if (!s.in_flight) {
		fprintf(stderr, "guest-gconvd-client: no request of ours "
				"ran within 120 s\n");
		return 1;
	}
	fflush(stdout);
	for (;;)
		pause();
fail:
	fprintf(stderr, "guest-gconvd-client: hold: %s\n", err);
	return 1;
}

/* ---- main ----------------------------------------------------------------- */

static const struct test run_tests[] = {
	T(connects_as_its_tenant),
	T(digits_match_the_cpu_backend_and_pytorch),
	T(small_resnet_matches_pytorch_and_the_cpu_backend),
	T(a_model_the_policy_forbids_is_refused),
	T(the_tenants_counters_count_this_work),
	T(unloading_frees_the_tenants_memory),
};
static const struct test idle_tests[] = { T(the_tenant_is_idle) };
static const struct test denied_tests[] = { T(a_user_in_no_tenant_is_refused) };

static int usage(void)
{
	fprintf(stderr, "usage: guest-gconvd-client [--uid U] [--tenant T] "
			"[--socket PATH] [--data DIR] [--forbidden NAME] "
			"[--backend cpu|drm] run|idle|denied|hold\n");
	return 2;
}

int main(int argc, char **argv)
{
	char *args[1] = { argv[0] };
	const char *mode = NULL;
	int i, ret;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--uid") && i + 1 < argc)
			g_uid = atol(argv[++i]);
		else if (!strcmp(argv[i], "--tenant") && i + 1 < argc)
			g_tenant = argv[++i];
		else if (!strcmp(argv[i], "--socket") && i + 1 < argc)
			g_socket = argv[++i];
		else if (!strcmp(argv[i], "--data") && i + 1 < argc)
			g_data = argv[++i];
		else if (!strcmp(argv[i], "--forbidden") && i + 1 < argc)
			g_forbidden = argv[++i];
		else if (!strcmp(argv[i], "--backend") && i + 1 < argc)
			g_backend = strcmp(argv[++i], "cpu") ?
					    GCONVD_BACKEND_DRM :
					    GCONVD_BACKEND_CPU;
		else if (argv[i][0] != '-' && !mode)
			mode = argv[i];
		else
			return usage();
	}
	if (!mode)
		return usage();
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (g_uid >= 0) {
		/* the group first: after setuid() we may no longer change it */
		if (setgroups(0, NULL) || setgid((gid_t)g_uid) ||
		    setuid((uid_t)g_uid)) {
			perror("guest-gconvd-client: setuid");
			return 1;
		}
	}
	g_uid = (long)getuid();

	if (!strcmp(mode, "hold"))
		return hold();
	if (!strcmp(mode, "run")) {
		size_t n = sizeof(run_tests) / sizeof(run_tests[0]);
		struct test t[sizeof(run_tests) / sizeof(run_tests[0])];
		size_t j, k = 0;

		for (j = 0; j < n; j++)
			if (g_forbidden ||
			    run_tests[j].fn != a_model_the_policy_forbids_is_refused)
				t[k++] = run_tests[j];
		ret = harness_main(t, k, 1, args);
	} else if (!strcmp(mode, "idle")) {
		ret = harness_main(idle_tests, 1, 1, args);
	} else if (!strcmp(mode, "denied")) {
		ret = harness_main(denied_tests, 1, 1, args);
	} else {
		return usage();
	}
	gconv_client_close(g_c);
	return ret;
}
