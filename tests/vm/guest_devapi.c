// SPDX-License-Identifier: MIT
/*
 * guest-devapi: the device API (gconv/device.h) on its drm backend, run as
 * root in the test VM with gconv.ko loaded (tests/vm/check-devapi).
 *
 * Everything goes through libgconvdev: devices found through sysfs,
 * contexts (one open file each), GEM buffers shared between contexts as
 * dma-bufs, the digits CNN (compiled here from ONNX) placed on two
 * contexts that share one read-only weights buffer, faults that stay in
 * their context, and bans.  Results are compared bit for bit with the
 * cpu backend run here on the same inputs (the device model runs the same
 * golden engine), and the predictions with PyTorch's.
 *
 *	guest-devapi [--devices N] [--data DIR] [NAME]
 *
 * DIR holds digits.onnx, samples.npy, torch_pred.npy and torch_probs.npy
 * (tools/models/digits/).  One line per subtest, then "N passed, N failed".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gconv/device.h>
#include <gconv/model.h>
#include <gconv/tensor_io.h>

#include "../harness.h"

#define PAGE	 4096ull
#define NSEC	 1000000000ll
#define WAIT_NS	 (60 * NSEC)  /* per job: TCG is slow, hangs are not */
#define UNMAPPED (1ull << 46) /* inside the VA range, never used */

static char err[512];
static unsigned int g_devices = 1;
static const char *g_data = "/data";

#define CHECK_OK(expr)                                                      \
	do {                                                                \
		int r_ = (expr);                                            \
		if (r_)                                                     \
			FAILF("%s: expected 0, got %d (%s): %s", #expr, r_, \
			      strerror(-r_), err);                          \
	} while (0)

#define CHECK_CONTAINS(s, sub)                                          \
	do {                                                            \
		if (!strstr((s), (sub)))                                \
			FAILF("expected \"%s\" in \"%s\"", (sub), (s)); \
	} while (0)

static struct gconv_dev *open_dev(const char *spec)
{
	struct gconv_dev *dev;

	CHECK_OK(gconv_dev_open(spec, &dev, err, sizeof(err)));
	return dev;
}

static struct gconv_ctx *new_ctx(struct gconv_dev *dev)
{
	struct gconv_ctx *ctx;

	CHECK_OK(gconv_ctx_create(dev, &ctx, err, sizeof(err)));
	return ctx;
}

static struct gconv_buf *new_buf(struct gconv_ctx *ctx, size_t size,
				 uint32_t flags)
{
	struct gconv_buf *buf;

	CHECK_OK(gconv_buf_alloc(ctx, size, flags, &buf, err, sizeof(err)));
	return buf;
}

/* o[i] = x[i] * y[0] for i < n, in a new buffer of @ctx */
static struct gconv_buf *scale_chain(struct gconv_ctx *ctx, uint64_t x,
				     uint64_t y, uint64_t o, uint32_t n,
				     size_t *len)
{
	struct gconv_chain_builder b = { 0 };
	struct gconv_buf *buf;
	struct gconv_desc d;
	void *chain;

	gconv_desc_init(&d);
	d.k = n;
	gconv_operand_f32(&d.x, x, n, 0, 0, 1, 0, 0, 0);
	gconv_operand_f32(&d.y, y, 1, 0, 0, 0, 0, 0, 0);
	gconv_operand_f32(&d.o, o, n, 0, 0, 1, 0, 0, 0);
	CHECK_OK(gconv_chain_append(&b, &d));
	CHECK_OK(gconv_chain_encode(&b, &chain, len));
	gconv_chain_builder_free(&b);
	buf = new_buf(ctx, *len, 0);
	memcpy(gconv_buf_map(buf), chain, *len);
	free(chain);
	return buf;
}

static uint64_t submit(struct gconv_ctx *ctx, struct gconv_buf *cbuf,
		       size_t len, struct gconv_buf *const *bufs,
		       unsigned int nbufs)
{
	uint64_t job;

	CHECK_OK(gconv_ctx_submit(ctx, cbuf, 0, len, bufs, nbufs,
				  GCONV_PRIORITY_NORMAL, &job, err,
				  sizeof(err)));
	return job;
}

static struct gconv_job_result wait_job(struct gconv_ctx *ctx, uint64_t job)
{
	struct gconv_job_result res;

	CHECK_OK(gconv_ctx_wait(ctx, job, WAIT_NS, &res));
	return res;
}

/* data[n..2n) = data[0..n) * 3, over a buffer of @ctx */
static struct gconv_job_result run_scale(struct gconv_ctx *ctx,
					 struct gconv_buf *data, uint32_t n)
{
	uint64_t a = gconv_buf_addr(data);
	struct gconv_job_result res;
	struct gconv_buf *cbuf, *bufs[2];
	size_t len;

	((float *)gconv_buf_map(data))[2 * n] = 3.0f;
	cbuf = scale_chain(ctx, a, a + 2 * n * 4, a + n * 4, n, &len);
	bufs[0] = cbuf;
	bufs[1] = data;
	res = wait_job(ctx, submit(ctx, cbuf, len, bufs, 2));
	gconv_buf_free(cbuf);
	return res;
}

/* ---- devices ------------------------------------------------------------ */

TEST(lists_devices)
{
	struct gconv_dev_desc d[8];
	int n, i;

	n = gconv_dev_list(d, 8, err, sizeof(err));
	CHECK_EQ_INT(n, g_devices);
	for (i = 0; i < n; i++) {
		printf("  %s  %s  index %u\n", d[i].node, d[i].pci_slot,
		       d[i].index);
		CHECK(!access(d[i].node, R_OK | W_OK));
		CHECK_EQ_INT(strlen(d[i].pci_slot), strlen("0000:00:00.0"));
		CHECK(!i || d[i].index > d[i - 1].index);
	}
	CHECK_EQ_INT(gconv_dev_list(NULL, 0, err, sizeof(err)), n);
}

TEST(opens_by_default_number_and_path)
{
	struct gconv_dev_desc d[8];
	struct gconv_dev *dev;
	char spec[80];
	int n = gconv_dev_list(d, 8, err, sizeof(err));

	CHECK(n >= 1);
	dev = open_dev("drm");
	CHECK_EQ_INT(gconv_dev_backend(dev), GCONV_BACKEND_DRM);
	CHECK_STR(gconv_dev_name(dev), d[0].node);
	gconv_dev_close(dev);
	snprintf(spec, sizeof(spec), "drm:%u", d[n - 1].index);
	dev = open_dev(spec);
	CHECK_STR(gconv_dev_name(dev), d[n - 1].node);
	gconv_dev_close(dev);
	snprintf(spec, sizeof(spec), "drm:%s", d[0].node);
	dev = open_dev(spec);
	CHECK_STR(gconv_dev_name(dev), d[0].node);
	gconv_dev_close(dev);

	CHECK_EQ_INT(gconv_dev_open("drm:99", &dev, err, sizeof(err)), -ENOENT);
	CHECK_CONTAINS(err, "/dev/accel/accel99");
	CHECK_CONTAINS(err, d[0].node); /* names the devices there are */
	CHECK_EQ_INT(gconv_dev_open("drm:/dev/null", &dev, err, sizeof(err)),
		     -ENODEV);
	CHECK_CONTAINS(err, "not a DRM device");
}

/* ---- buffers ------------------------------------------------------------ */

TEST(buffers_are_zeroed_distinct_and_aligned)
{
	struct gconv_dev *dev = open_dev("drm");
	struct gconv_ctx *ctx = new_ctx(dev);
	struct gconv_buf *b[3];
	int i, j;
	size_t k;

	for (i = 0; i < 3; i++) {
		unsigned char *p;

		b[i] = new_buf(ctx, (size_t)(i + 1) * 5000,
			       i == 2 ? GCONV_BUF_READ_ONLY : 0);
		p = gconv_buf_map(b[i]);
		CHECK_EQ_INT(gconv_buf_size(b[i]) % PAGE, 0);
		CHECK(gconv_buf_size(b[i]) >= (size_t)(i + 1) * 5000);
		CHECK_EQ_INT(gconv_buf_addr(b[i]) % PAGE, 0);
		CHECK(gconv_buf_addr(b[i]) >= (1ull << 32));
		for (k = 0; k < gconv_buf_size(b[i]); k++)
			if (p[k])
				FAILF("byte %zu of a new buffer is %u", k,
				      p[k]);
		memset(p, 0x5a, gconv_buf_size(b[i]));
	}
	for (i = 0; i < 3; i++)
		for (j = 0; j < 3; j++)
			if (i != j &&
			    gconv_buf_addr(b[i]) < gconv_buf_addr(b[j]))
				CHECK(gconv_buf_addr(b[i]) +
					      gconv_buf_size(b[i]) <=
				      gconv_buf_addr(b[j]));
	gconv_dev_close(dev);
}

TEST(export_import_across_contexts)
{
	struct gconv_dev *dev = open_dev("drm");
	struct gconv_ctx *a = new_ctx(dev), *b = new_ctx(dev);
	struct gconv_buf *ba, *bb, *again, *bad;
	struct gconv_job_result res;
	float *fa;
	int fd, i;

	new_buf(b, 16 * PAGE, 0); /* so that the addresses differ */
	ba = new_buf(a, 2 * PAGE, 0);
	fa = gconv_buf_map(ba);
	for (i = 0; i < 32; i++)
		fa[i] = (float)i;
	CHECK_OK(gconv_buf_export(ba, &fd));
	CHECK_OK(gconv_buf_import(b, fd, 0, &bb, err, sizeof(err)));
	CHECK_EQ_INT(gconv_buf_size(bb), gconv_buf_size(ba));
	CHECK(!memcmp(gconv_buf_map(bb), fa, 32 * sizeof(float)));
	CHECK(gconv_buf_addr(bb) != gconv_buf_addr(ba));
	/* b's job on the shared buffer, at b's address for it */
	res = run_scale(b, bb, 32);
	CHECK_EQ_INT(res.status, GCONV_JOB_OK);
	for (i = 0; i < 32; i++)
		CHECK(fa[32 + i] == 3.0f * (float)i);

	/* a writable buffer is not imported read-only */
	CHECK_EQ_INT(gconv_buf_import(b, fd, GCONV_BUF_READ_ONLY, &bad, err,
				      sizeof(err)),
		     -EINVAL);
	CHECK_CONTAINS(err, "writable");
	/* back into its own context: the same GEM object, the same address;
	 * freeing that one must not close the handle the original uses */
	CHECK_OK(gconv_buf_import(a, fd, 0, &again, err, sizeof(err)));
	CHECK_EQ_INT(gconv_buf_addr(again), gconv_buf_addr(ba));
	gconv_buf_free(again);
	close(fd);
	res = run_scale(a, ba, 8);
	CHECK_EQ_INT(res.status, GCONV_JOB_OK);
	CHECK(fa[8 + 7] == 21.0f);
	/* the exporter may go first */
	gconv_ctx_free(a);
	res = run_scale(b, bb, 4);
	CHECK_EQ_INT(res.status, GCONV_JOB_OK);
	gconv_dev_close(dev);
}

TEST(import_rejects_what_is_not_a_dma_buf)
{
	struct gconv_dev *dev = open_dev("drm");
	struct gconv_ctx *ctx = new_ctx(dev);
	struct gconv_buf *b;
	int p[2];

	CHECK_OK(pipe(p));
	CHECK(gconv_buf_import(ctx, p[0], 0, &b, err, sizeof(err)) < 0);
	CHECK(b == NULL);
	CHECK_CONTAINS(err, "not a dma-buf");
	close(p[0]);
	close(p[1]);
	gconv_dev_close(dev);
}

/* ---- jobs --------------------------------------------------------------- */

TEST(invalid_chain_is_rejected_with_a_reason)
{
	struct gconv_dev *dev = open_dev("drm");
	struct gconv_ctx *ctx = new_ctx(dev);
	struct gconv_buf *data = new_buf(ctx, PAGE, 0), *cbuf;
	uint64_t a = gconv_buf_addr(data), job = 5;
	struct gconv_desc *d;
	size_t len;

	cbuf = scale_chain(ctx, a, a + 64, a + 128, 4, &len);
	d = (struct gconv_desc *)gconv_chain_desc(gconv_buf_map(cbuf), 0);
	d->x.stride[GCONV_SLOT_K] = 2;
	CHECK_EQ_INT(gconv_ctx_submit(ctx, cbuf, 0, len, NULL, 0,
				      GCONV_PRIORITY_NORMAL, &job, err,
				      sizeof(err)),
		     -EINVAL);
	CHECK_EQ_INT(job, 0);
	CHECK_CONTAINS(err, "chain rejected: descriptor 0, operand X");
	gconv_dev_close(dev);
}

TEST(waiting_for_an_unknown_job)
{
	struct gconv_dev *dev = open_dev("drm");
	struct gconv_ctx *ctx = new_ctx(dev);
	struct gconv_buf *data = new_buf(ctx, PAGE, 0);
	struct gconv_job_result res;

	CHECK_EQ_INT(gconv_ctx_wait(ctx, 1, 0, &res), -ENOENT);
	CHECK_EQ_INT(run_scale(ctx, data, 4).status, GCONV_JOB_OK);
	CHECK_OK(gconv_ctx_wait(ctx, 1, 0, &res)); /* ended: no wait */
	CHECK_EQ_INT(res.status, GCONV_JOB_OK);
	CHECK_EQ_INT(gconv_ctx_wait(ctx, 12345, NSEC, &res), -ENOENT);
	gconv_dev_close(dev);
}

TEST(writing_a_read_only_buffer_faults)
{
	struct gconv_dev *dev = open_dev("drm");
	struct gconv_ctx *ctx = new_ctx(dev);
	struct gconv_buf *in = new_buf(ctx, PAGE, 0);
	struct gconv_buf *ro = new_buf(ctx, PAGE, GCONV_BUF_READ_ONLY);
	struct gconv_buf *cbuf, *bufs[3];
	struct gconv_job_result res;
	uint64_t o = gconv_buf_addr(ro) + 64;
	float *r = gconv_buf_map(ro);
	size_t len;

	r[0] = 2.0f;
	((float *)gconv_buf_map(in))[0] = 1.0f;
	cbuf = scale_chain(ctx, gconv_buf_addr(in), gconv_buf_addr(ro), o, 4,
			   &len);
	bufs[0] = cbuf;
	bufs[1] = in;
	bufs[2] = ro;
	res = wait_job(ctx, submit(ctx, cbuf, len, bufs, 3));
	CHECK_EQ_INT(res.status, GCONV_JOB_MMU_FAULT);
	CHECK(res.fault_addr >= (o & ~(PAGE - 1)) && res.fault_addr < o + 16);
	CHECK(r[16] == 0.0f);
	gconv_dev_close(dev);
}

TEST(banned_after_three_faults)
{
	struct gconv_dev *dev = open_dev("drm");
	struct gconv_ctx *ctx = new_ctx(dev), *fresh;
	struct gconv_buf *data = new_buf(ctx, PAGE, 0), *cbuf;
	uint64_t a = gconv_buf_addr(data), job;
	struct gconv_job_result res;
	size_t len;
	int i;

	/* ban_after's default: the third faulting job bans the context */
	cbuf = scale_chain(ctx, UNMAPPED, a, a + 64, 4, &len);
	for (i = 0; i < 3; i++) {
		res = wait_job(ctx, submit(ctx, cbuf, len, &cbuf, 1));
		CHECK_EQ_INT(res.status, GCONV_JOB_MMU_FAULT);
	}
	CHECK_EQ_INT(gconv_ctx_submit(ctx, cbuf, 0, len, &cbuf, 1,
				      GCONV_PRIORITY_NORMAL, &job, err,
				      sizeof(err)),
		     -ECANCELED);
	CHECK_CONTAINS(err, "banned");
	/* a new context starts clean */
	fresh = new_ctx(dev);
	CHECK_EQ_INT(run_scale(fresh, new_buf(fresh, PAGE, 0), 4).status,
		     GCONV_JOB_OK);
	gconv_dev_close(dev);
}

/* ---- the digits model on two contexts ----------------------------------- */

struct digits {
	struct gconv_model *m;
	struct gconv_tensor x, pred, probs;
	float *want; /* the cpu backend's outputs [100][10] */
	uint64_t nout;
};

static struct digits g_digits;

static void load_npy(const char *name, struct gconv_tensor *t)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", g_data, name);
	if (gconv_npy_read(path, t, err, sizeof(err)))
		FAILF("%s", err);
}

/* The model, the samples, PyTorch's answers and the cpu backend's. */
static struct digits *digits(void)
{
	struct digits *dg = &g_digits;
	struct gconv_dev *cpu;
	struct gconv_ctx *ctx;
	struct gconv_dev_model *dm;
	char path[256];
	int64_t i;

	if (dg->m)
		return dg;
	snprintf(path, sizeof(path), "%s/digits.onnx", g_data);
	if (gconv_model_open(path, NULL, &dg->m, err, sizeof(err)))
		FAILF("%s: %s", path, err);
	load_npy("samples.npy", &dg->x);
	load_npy("torch_pred.npy", &dg->pred);
	load_npy("torch_probs.npy", &dg->probs);
	dg->nout = gconv_model_output(dg->m, 0)->elems;
	CHECK_EQ_INT(dg->nout, 10);
	dg->want = calloc((size_t)dg->x.dims[0], 10 * sizeof(float));
	cpu = open_dev("cpu");
	ctx = new_ctx(cpu);
	CHECK_OK(gconv_dev_model_load(ctx, dg->m, NULL, &dm, err, sizeof(err)));
	for (i = 0; i < dg->x.dims[0]; i++) {
		memcpy(gconv_dev_model_input(dm, 0), dg->x.data + i * 64,
		       64 * sizeof(float));
		CHECK_OK(gconv_dev_model_run(dm, GCONV_PRIORITY_NORMAL, -1,
					     NULL, err, sizeof(err)));
		memcpy(dg->want + i * 10, gconv_dev_model_output(dm, 0),
		       10 * sizeof(float));
	}
	gconv_dev_close(cpu);
	return dg;
}

static int argmax(const float *v)
{
	int j, best = 0;

	for (j = 1; j < 10; j++)
		if (v[j] > v[best])
			best = j;
	return best;
}

/* sample @i's output of @dm must be the cpu backend's, bit for bit */
static void check_sample(struct digits *dg, struct gconv_dev_model *dm,
			 int64_t i, const char *who)
{
	const float *o = gconv_dev_model_output(dm, 0);

	if (memcmp(o, dg->want + i * 10, 10 * sizeof(float)))
		FAILF("%s, sample %lld: the device's output differs from the "
		      "cpu backend's (first %.9g vs %.9g)",
		      who, (long long)i, (double)o[0],
		      (double)dg->want[i * 10]);
	if (argmax(o) != dg->pred.idata[i])
		FAILF("%s, sample %lld: predicted %d, PyTorch %lld", who,
		      (long long)i, argmax(o), (long long)dg->pred.idata[i]);
	CHECK_ARRAY_NEAR(o, dg->probs.data + i * 10, 10, 1e-4, 1e-5);
}

/* ctx b gets a's weights through a dma-buf: one copy for both */
static void load_shared(struct digits *dg, struct gconv_ctx *a,
			struct gconv_ctx *b, struct gconv_dev_model **da,
			struct gconv_dev_model **db)
{
	struct gconv_buf *w;
	int fd;

	CHECK_OK(gconv_dev_model_load(a, dg->m, NULL, da, err, sizeof(err)));
	CHECK_OK(gconv_buf_export(gconv_dev_model_weights(*da), &fd));
	CHECK_OK(gconv_buf_import(b, fd, GCONV_BUF_READ_ONLY, &w, err,
				  sizeof(err)));
	close(fd);
	CHECK_OK(gconv_dev_model_load(b, dg->m, w, db, err, sizeof(err)));
	CHECK(gconv_dev_model_weights(*db) == w);
}

TEST(digits_on_two_contexts_sharing_weights)
{
	struct digits *dg = digits();
	struct gconv_dev *dev = open_dev("drm");
	struct gconv_ctx *a = new_ctx(dev), *b = new_ctx(dev);
	struct gconv_dev_model *da, *db;
	struct gconv_job_result res;
	int64_t i;

	load_shared(dg, a, b, &da, &db);
	for (i = 0; i < dg->x.dims[0]; i++) {
		struct gconv_dev_model *dm = i % 2 ? db : da;

		memcpy(gconv_dev_model_input(dm, 0), dg->x.data + i * 64,
		       64 * sizeof(float));
		CHECK_OK(gconv_dev_model_run(dm, i % 3, WAIT_NS, &res, err,
					     sizeof(err)));
		CHECK_EQ_INT(res.status, GCONV_JOB_OK);
		check_sample(dg, dm, i, i % 2 ? "context b" : "context a");
	}
	printf("  %lld samples, every output equal to the cpu backend's and "
	       "every prediction to PyTorch's\n",
	       (long long)dg->x.dims[0]);
	/* a goes; b's model keeps running on the shared weights */
	gconv_ctx_free(a);
	memcpy(gconv_dev_model_input(db, 0), dg->x.data, 64 * sizeof(float));
	CHECK_OK(gconv_dev_model_run(db, GCONV_PRIORITY_NORMAL, WAIT_NS, NULL,
				     err, sizeof(err)));
	check_sample(dg, db, 0, "context b after a");
	gconv_dev_close(dev);
}

TEST(fault_stays_in_its_context)
{
	struct digits *dg = digits();
	struct gconv_dev *dev = open_dev("drm");
	struct gconv_ctx *a = new_ctx(dev), *b = new_ctx(dev);
	struct gconv_dev_model *da, *db;
	struct gconv_buf *data = new_buf(a, PAGE, 0), *cbuf, *wa, *bufs[3];
	struct gconv_job_result res;
	uint64_t fjob, wjob, x = UNMAPPED, d = gconv_buf_addr(data);
	size_t len, wlen;
	int i;

	load_shared(dg, a, b, &da, &db);
	/* a: a chain reading an address a never mapped, and one writing its
	 * read-only weights; b runs the model meanwhile */
	cbuf = scale_chain(a, x, d, d + 64, 16, &len);
	wa = scale_chain(a, d, d, gconv_buf_addr(gconv_dev_model_weights(da)),
			 16, &wlen);
	bufs[0] = wa;
	bufs[1] = data;
	bufs[2] = gconv_dev_model_weights(da);
	fjob = submit(a, cbuf, len, &cbuf, 1);
	wjob = submit(a, wa, wlen, bufs, 3);
	memcpy(gconv_dev_model_input(db, 0), dg->x.data + 7 * 64,
	       64 * sizeof(float));
	CHECK_OK(gconv_dev_model_run(db, GCONV_PRIORITY_NORMAL, WAIT_NS, &res,
				     err, sizeof(err)));
	check_sample(dg, db, 7, "context b");

	res = wait_job(a, fjob);
	CHECK_EQ_INT(res.status, GCONV_JOB_MMU_FAULT);
	printf("  job %llu: %s at 0x%llx (descriptor %u)\n",
	       (unsigned long long)fjob, gconv_job_status_str(res.status),
	       (unsigned long long)res.fault_addr, res.info);
	CHECK(res.fault_addr >= x && res.fault_addr < x + 16 * 4);
	res = wait_job(a, wjob);
	CHECK_EQ_INT(res.status, GCONV_JOB_MMU_FAULT);
	/* the weights both contexts read are intact */
	CHECK(!memcmp(gconv_buf_map(gconv_dev_model_weights(db)),
		      gconv_model_weights(dg->m), 64));

	/* two faults do not ban: a still runs */
	for (i = 0; i < 2; i++) {
		memcpy(gconv_dev_model_input(da, 0), dg->x.data + i * 64,
		       64 * sizeof(float));
		CHECK_OK(gconv_dev_model_run(da, GCONV_PRIORITY_HIGH, WAIT_NS,
					     &res, err, sizeof(err)));
		check_sample(dg, da, i, "context a after its faults");
	}
	gconv_dev_close(dev);
}

TEST(freeing_a_context_with_jobs_in_flight)
{
	struct digits *dg = digits();
	struct gconv_dev *dev = open_dev("drm");
	struct gconv_ctx *a = new_ctx(dev), *b = new_ctx(dev);
	struct gconv_dev_model *da, *db;
	struct gconv_buf *data, *cbuf, *bufs[2];
	uint32_t n = 16384;
	uint64_t d;
	size_t len;
	int i;

	load_shared(dg, a, b, &da, &db);
	/* queue a few jobs in a and drop the context without waiting: the
	 * driver finishes them with their buffers alive, then lets go */
	data = new_buf(a, 3 * n * sizeof(float), 0);
	d = gconv_buf_addr(data);
	cbuf = scale_chain(a, d, d + 2 * n * 4, d + n * 4, n, &len);
	bufs[0] = cbuf;
	bufs[1] = data;
	for (i = 0; i < 4; i++)
		submit(a, cbuf, len, bufs, 2);
	gconv_ctx_free(a);
	memcpy(gconv_dev_model_input(db, 0), dg->x.data + 3 * 64,
	       64 * sizeof(float));
	/* no time limit: the wait ioctl gets the largest deadline */
	CHECK_OK(gconv_dev_model_run(db, GCONV_PRIORITY_NORMAL, -1, NULL, err,
				     sizeof(err)));
	check_sample(dg, db, 3, "context b");
	gconv_dev_close(dev);
}

TEST(digits_in_one_gconv_segments)
{
	struct digits *dg = digits();
	struct gconv_dev *dev = open_dev("drm");
	struct gconv_ctx *ctx = new_ctx(dev);
	struct gconv_dev_model *dm;
	struct gconv_job_result res;
	uint32_t n, s;
	int64_t i;

	CHECK_OK(gconv_dev_model_load(ctx, dg->m, NULL, &dm, err, sizeof(err)));
	CHECK_OK(gconv_dev_model_segment(dm, 1, err, sizeof(err)));
	n = gconv_dev_model_num_segments(dm);
	CHECK(n == gconv_model_gconv_count(dg->m));
	for (i = 0; i < 10; i++) {
		memcpy(gconv_dev_model_input(dm, 0), dg->x.data + i * 64,
		       64 * sizeof(float));
		for (s = 0; s < n; s++) {
			CHECK_OK(gconv_dev_model_run_segment(
				dm, s, GCONV_PRIORITY_NORMAL, WAIT_NS, &res, err,
				sizeof(err)));
			CHECK_EQ_INT(res.status, GCONV_JOB_OK);
		}
		check_sample(dg, dm, i, "segments");
	}
	printf("  10 samples as %u one-GCONV jobs each, outputs equal to the "
	       "cpu backend's\n",
	       n);
	gconv_dev_close(dev);
}

TEST(digits_moves_to_the_other_device_with_its_arena)
{
	struct digits *dg = digits();
	struct gconv_dev *d0, *d1;
	struct gconv_ctx *c0, *c1;
	struct gconv_dev_model *a, *b;
	struct gconv_buf *arena;
	int fd;

	if (g_devices < 2) {
		printf("  one device: nothing to move to\n");
		return;
	}
	d0 = open_dev("drm:0");
	d1 = open_dev("drm:1");
	c0 = new_ctx(d0);
	c1 = new_ctx(d1);
	CHECK_OK(gconv_dev_model_load(c0, dg->m, NULL, &a, err, sizeof(err)));
	memcpy(gconv_dev_model_input(a, 0), dg->x.data + 3 * 64,
	       64 * sizeof(float));
	/* the arena (inputs written on device 0's mapping) goes to device 1
	 * as a dma-buf; the model is placed there on it */
	CHECK_OK(gconv_buf_export(gconv_dev_model_arena(a), &fd));
	CHECK_OK(gconv_buf_import(c1, fd, 0, &arena, err, sizeof(err)));
	close(fd);
	CHECK_OK(gconv_dev_model_place(c1, dg->m, NULL, arena, &b, err,
				       sizeof(err)));
	CHECK_OK(gconv_dev_model_run(b, GCONV_PRIORITY_NORMAL, WAIT_NS, NULL,
				     err, sizeof(err)));
	check_sample(dg, b, 3, "device 1 on device 0's arena");
	/* device 0's mapping sees what device 1 wrote */
	check_sample(dg, a, 3, "device 0's view of it");
	gconv_dev_close(d0);
	CHECK_OK(gconv_dev_model_run(b, GCONV_PRIORITY_NORMAL, WAIT_NS, NULL,
				     err, sizeof(err)));
	check_sample(dg, b, 3, "device 1 after device 0 closed");
	gconv_dev_close(d1);
}

static const struct test tests[] = {
	T(lists_devices),
	T(opens_by_default_number_and_path),
	T(buffers_are_zeroed_distinct_and_aligned),
	T(export_import_across_contexts),
	T(import_rejects_what_is_not_a_dma_buf),
	T(invalid_chain_is_rejected_with_a_reason),
	T(waiting_for_an_unknown_job),
	T(writing_a_read_only_buffer_faults),
	T(banned_after_three_faults),
	T(digits_on_two_contexts_sharing_weights),
	T(digits_in_one_gconv_segments),
	T(digits_moves_to_the_other_device_with_its_arena),
	T(fault_stays_in_its_context),
	T(freeing_a_context_with_jobs_in_flight),
};

int main(int argc, char **argv)
{
	char *args[2] = { argv[0], NULL };
	int i, n = 1, ret;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--devices") && i + 1 < argc) {
			g_devices = (unsigned int)atoi(argv[++i]);
		} else if (!strcmp(argv[i], "--data") && i + 1 < argc) {
			g_data = argv[++i];
		} else if (argv[i][0] != '-' && n == 1) {
			args[n++] = argv[i];
		} else {
			fprintf(stderr, "usage: guest-devapi [--devices N] "
					"[--data DIR] [NAME]\n");
			return 2;
		}
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	ret = harness_main(tests, sizeof(tests) / sizeof(tests[0]), n, args);
	gconv_model_free(g_digits.m);
	gconv_tensor_free(&g_digits.x);
	gconv_tensor_free(&g_digits.pred);
	gconv_tensor_free(&g_digits.probs);
	free(g_digits.want);
	return ret;
}
