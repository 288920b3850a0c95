// SPDX-License-Identifier: MIT
/*
 * The device API (gconv/device.h) on the cpu backend: devices and their
 * specs, contexts, buffers (addresses, sharing across contexts and
 * processes), jobs and how they end, chain relocation, and models placed
 * on a device against gconv_session_run().  Run from the repository root.
 * tests/vm/guest_devapi.c runs the same API on the drm backend in a VM.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gconv/device.h>
#include <gconv/model.h>
#include <gconv/tensor_io.h>

#include <xxhash.h>

#include "../common/sample_chain.h"
#include "../harness.h"

#define DIGITS "tools/models/digits/"
#define PAGE   4096ull
#define GiB    (1ull << 30)

static char err[512];

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

static struct gconv_dev *open_cpu(void)
{
	struct gconv_dev *dev;

	CHECK_OK(gconv_dev_open("cpu", &dev, err, sizeof(err)));
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

/*
 * One GCONV: o[i] = x[i] * y[0] for i < n (y broadcast).  Returns the
 * encoded chain (free() it).
 */
static void *scale_chain(uint64_t x, uint64_t y, uint64_t o, uint32_t n,
			 size_t *len)
{
	struct gconv_chain_builder b = { 0 };
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
	return chain;
}

/* Put @chain into a new buffer of @ctx. */
static struct gconv_buf *chain_buf(struct gconv_ctx *ctx, const void *chain,
				   size_t len)
{
	struct gconv_buf *buf = new_buf(ctx, len, 0);

	memcpy(gconv_buf_map(buf), chain, len);
	return buf;
}

/* Submit the whole of @cbuf's chain and wait for it. */
static struct gconv_job_result run(struct gconv_ctx *ctx,
				   struct gconv_buf *cbuf, size_t len)
{
	struct gconv_job_result res;
	uint64_t job;

	CHECK_OK(gconv_ctx_submit(ctx, cbuf, 0, len, &cbuf, 1,
				  GCONV_PRIORITY_NORMAL, &job, err,
				  sizeof(err)));
	CHECK_OK(gconv_ctx_wait(ctx, job, -1, &res));
	return res;
}

/* A scale job over @data: out[i] = in[i] * 3, in and out in @data. */
static struct gconv_job_result run_scale(struct gconv_ctx *ctx,
					 struct gconv_buf *data, uint32_t n)
{
	uint64_t a = gconv_buf_addr(data);
	float *f = gconv_buf_map(data);
	struct gconv_job_result res;
	struct gconv_buf *cbuf;
	void *chain;
	size_t len;

	f[2 * n] = 3.0f;
	chain = scale_chain(a, a + 2 * n * 4, a + n * 4, n, &len);
	cbuf = chain_buf(ctx, chain, len);
	res = run(ctx, cbuf, len);
	gconv_buf_free(cbuf);
	free(chain);
	return res;
}

/* ---- devices ------------------------------------------------------------ */

TEST(cpu_opens_and_closes)
{
	struct gconv_dev *dev = open_cpu();
	struct gconv_ctx *ctx;

	CHECK_EQ_INT(gconv_dev_backend(dev), GCONV_BACKEND_CPU);
	CHECK_STR(gconv_dev_name(dev), "cpu");
	ctx = new_ctx(dev);
	gconv_ctx_free(ctx);
	/* closing a device frees what is still in it */
	ctx = new_ctx(dev);
	new_buf(ctx, 100, 0);
	new_ctx(dev);
	gconv_dev_close(dev);
	gconv_dev_close(NULL);
	gconv_ctx_free(NULL);
	gconv_buf_free(NULL);
}

TEST(unknown_backend_is_an_error)
{
	static const char *const bad[] = {
		"gpu",
		"cpu:1",
		"cpu:",
		"cpu:fail-after=0",
		"cpu:fail-after=-1",
		"cpu:hang-every=x",
		"cpu:hang-every=2,",
		"cpu:fail-after=2,,hang-every=1",
		"drm:",
		"drm:abc",
		"drm:-1",
		"drm:1x",
		"",
	};
	struct gconv_dev *dev = (struct gconv_dev *)1;
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = 0;
		CHECK_EQ_INT(gconv_dev_open(bad[i], &dev, err, sizeof(err)),
			     -EINVAL);
		CHECK(dev == NULL);
		CHECK_CONTAINS(err, bad[i]);
	}
	CHECK_EQ_INT(gconv_dev_open("gpu", &dev, err, sizeof(err)), -EINVAL);
	CHECK_CONTAINS(err, "expected cpu, drm");
	CHECK_EQ_INT(gconv_dev_open(NULL, &dev, err, sizeof(err)), -EINVAL);
	CHECK_EQ_INT(gconv_dev_open("gpu", &dev, NULL, 0), -EINVAL);
}

TEST(missing_drm_device_is_a_clear_error)
{
	struct gconv_dev *dev;
	int r;

	if (!access("/dev/accel/accel99", F_OK))
		return; /* a machine with 100 accelerators */
	r = gconv_dev_open("drm:99", &dev, err, sizeof(err));
	CHECK_EQ_INT(r, -ENOENT);
	CHECK(dev == NULL);
	CHECK_CONTAINS(err, "/dev/accel/accel99");
	CHECK_CONTAINS(err, "No such file");
	CHECK_CONTAINS(err, "gconv devices here");

	/* a node that is not a DRM device */
	CHECK_EQ_INT(gconv_dev_open("drm:/dev/null", &dev, err, sizeof(err)),
		     -ENODEV);
	CHECK_CONTAINS(err, "/dev/null is not a DRM device");
}

TEST(dev_list_counts_gconv_nodes)
{
	struct gconv_dev_desc descs[4];
	int n, i;

	n = gconv_dev_list(NULL, 0, err, sizeof(err));
	CHECK(n >= 0);
	CHECK_EQ_INT(gconv_dev_list(descs, 4, err, sizeof(err)), n);
	for (i = 0; i < n && i < 4; i++) {
		CHECK(!strncmp(descs[i].node, "/dev/accel/accel", 16));
		CHECK(!i || descs[i].index > descs[i - 1].index);
	}
	CHECK_EQ_INT(gconv_dev_list(NULL, 4, err, sizeof(err)), -EINVAL);
}

/* ---- buffers ------------------------------------------------------------ */

TEST(buffers_are_zeroed_page_sized_and_mapped)
{
	struct gconv_dev *dev = open_cpu();
	struct gconv_ctx *ctx = new_ctx(dev);
	struct gconv_buf *b = new_buf(ctx, 10000, 0);
	unsigned char *p = gconv_buf_map(b);
	size_t i;

	CHECK_EQ_INT(gconv_buf_size(b), 3 * PAGE);
	for (i = 0; i < gconv_buf_size(b); i++)
		if (p[i])
			FAILF("byte %zu of a new buffer is %u, not 0", i, p[i]);
	memset(p, 0xab, gconv_buf_size(b));
	gconv_dev_close(dev);
}

TEST(buffer_addresses_are_distinct_aligned_and_guarded)
{
	struct gconv_dev *dev = open_cpu();
	struct gconv_ctx *ctx = new_ctx(dev), *other;
	struct gconv_buf *b[4];
	int i, j;

	for (i = 0; i < 4; i++)
		b[i] = new_buf(ctx, (size_t)(i + 1) * 5000, 0);
	CHECK_EQ_INT(gconv_buf_addr(b[0]), 4 * GiB);
	for (i = 0; i < 4; i++) {
		CHECK_EQ_INT(gconv_buf_addr(b[i]) % PAGE, 0);
		CHECK(gconv_buf_addr(b[i]) >= 4 * GiB);
		for (j = 0; j < 4; j++) {
			uint64_t ai = gconv_buf_addr(b[i]);
			uint64_t aj = gconv_buf_addr(b[j]);

			/* a guard page between any two buffers */
			if (i != j && ai < aj)
				CHECK(ai + gconv_buf_size(b[i]) + PAGE <= aj);
		}
	}
	/* a freed range is reused, lowest first */
	j = (int)(gconv_buf_addr(b[1]) >> 12);
	gconv_buf_free(b[1]);
	b[1] = new_buf(ctx, 100, 0);
	CHECK_EQ_INT(gconv_buf_addr(b[1]) >> 12, j);
	/* another context is another address space */
	other = new_ctx(dev);
	CHECK_EQ_INT(gconv_buf_addr(new_buf(other, 100, 0)), 4 * GiB);
	gconv_dev_close(dev);
}

TEST(buffer_alloc_rejects_bad_arguments)
{
	struct gconv_dev *dev = open_cpu();
	struct gconv_ctx *ctx = new_ctx(dev);
	struct gconv_buf *b;

	CHECK_EQ_INT(gconv_buf_alloc(ctx, 0, 0, &b, err, sizeof(err)), -EINVAL);
	CHECK(b == NULL);
	CHECK_CONTAINS(err, "empty");
	CHECK_EQ_INT(gconv_buf_alloc(ctx, 10, 0x8, &b, err, sizeof(err)),
		     -EINVAL);
	CHECK_CONTAINS(err, "flags");
	CHECK_EQ_INT(gconv_buf_alloc(ctx, 1ull << 48, 0, &b, err, sizeof(err)),
		     -EINVAL);
	CHECK_CONTAINS(err, "no room");
	gconv_dev_close(dev);
}

TEST(export_import_shares_memory_across_contexts)
{
	struct gconv_dev *dev = open_cpu();
	struct gconv_ctx *a = new_ctx(dev), *b = new_ctx(dev);
	struct gconv_buf *ba, *bb, *bb2, *ro, *ro_b;
	int fd, fd_ro;

	new_buf(b, 3 * PAGE, 0); /* so that the addresses differ */
	ba = new_buf(a, 2 * PAGE, 0);
	strcpy(gconv_buf_map(ba), "hello from a");
	CHECK_OK(gconv_buf_export(ba, &fd));
	CHECK(fd >= 0);
	CHECK_OK(gconv_buf_import(b, fd, 0, &bb, err, sizeof(err)));
	CHECK_EQ_INT(gconv_buf_size(bb), 2 * PAGE);
	CHECK(gconv_buf_addr(bb) != gconv_buf_addr(ba));
	CHECK_STR(gconv_buf_map(bb), "hello from a");
	strcpy(gconv_buf_map(bb), "hello from b");
	CHECK_STR(gconv_buf_map(ba), "hello from b");

	/* the same memory imported twice into one context: one address */
	CHECK_OK(gconv_buf_import(b, fd, 0, &bb2, err, sizeof(err)));
	CHECK_EQ_INT(gconv_buf_addr(bb2), gconv_buf_addr(bb));
	gconv_buf_free(bb2);
	/* a writable buffer cannot be imported read-only */
	CHECK_EQ_INT(gconv_buf_import(b, fd, GCONV_BUF_READ_ONLY, &bb2, err,
				      sizeof(err)),
		     -EINVAL);
	CHECK_CONTAINS(err, "writable");
	close(fd);

	/* read-only travels with the buffer */
	ro = new_buf(a, 100, GCONV_BUF_READ_ONLY);
	CHECK_OK(gconv_buf_export(ro, &fd_ro));
	CHECK_OK(gconv_buf_import(b, fd_ro, 0, &ro_b, err, sizeof(err)));
	gconv_buf_free(ro_b);
	CHECK_OK(gconv_buf_import(b, fd_ro, GCONV_BUF_READ_ONLY, &ro_b, err,
				  sizeof(err)));
	close(fd_ro);
	/* the exporter may go first */
	gconv_ctx_free(a);
	CHECK_STR(gconv_buf_map(bb), "hello from b");
	gconv_dev_close(dev);
}

TEST(import_rejects_foreign_fds)
{
	struct gconv_dev *dev = open_cpu();
	struct gconv_ctx *ctx = new_ctx(dev);
	struct gconv_buf *b;
	int p[2];

	CHECK_OK(pipe(p));
	CHECK_EQ_INT(gconv_buf_import(ctx, p[0], 0, &b, err, sizeof(err)),
		     -EINVAL);
	CHECK(b == NULL);
	CHECK_CONTAINS(err, "not a cpu-backend buffer");
	CHECK_EQ_INT(gconv_buf_import(ctx, -1, 0, &b, err, sizeof(err)),
		     -EBADF);
	close(p[0]);
	close(p[1]);
	gconv_dev_close(dev);
}

TEST(export_import_across_fork)
{
	struct gconv_dev *dev = open_cpu();
	struct gconv_ctx *ctx = new_ctx(dev);
	struct gconv_buf *b = new_buf(ctx, PAGE, 0);
	float *f = gconv_buf_map(b);
	int fd, status, i;
	pid_t pid;

	for (i = 0; i < 16; i++)
		f[i] = (float)i;
	CHECK_OK(gconv_buf_export(b, &fd));
	fflush(NULL);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		/* another process, its own device and context */
		struct gconv_dev *cdev;
		struct gconv_ctx *cctx;
		struct gconv_buf *cb;
		struct gconv_job_result res;
		int ok;

		ok = !gconv_dev_open("cpu", &cdev, NULL, 0) &&
		     !gconv_ctx_create(cdev, &cctx, NULL, 0) &&
		     !gconv_buf_alloc(cctx, 5 * PAGE, 0, &cb, NULL, 0) &&
		     !gconv_buf_import(cctx, fd, 0, &cb, NULL, 0);
		if (ok) {
			res = run_scale(cctx, cb, 16);
			ok = res.status == GCONV_JOB_OK;
		}
		gconv_dev_close(cdev);
		_exit(ok ? 0 : 1);
	}
	close(fd);
	CHECK_EQ_INT(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status));
	CHECK_EQ_INT(WEXITSTATUS(status), 0);
	for (i = 0; i < 16; i++)
		CHECK_EQ_INT(f[16 + i], 3 * i);
	gconv_dev_close(dev);
}

/* ---- jobs --------------------------------------------------------------- */

TEST(submit_runs_a_chain)
{
	struct gconv_dev *dev = open_cpu();
	struct gconv_ctx *ctx = new_ctx(dev);
	struct sample_params prm;
	size_t chain_len, mem_size, in_off, out_off;
	float in[SAMPLE_IN], want[SAMPLE_CLASSES], *mem, *out;
	struct gconv_buf *data, *cbuf;
	struct gconv_job_result res;
	uint64_t from, size, to;
	void *chain;
	int i;

	sample_params_random(&prm, 42);
	CHECK_OK(sample_chain_build(&prm, &chain, &chain_len, &mem, &mem_size,
				    &in_off, &out_off));
	for (i = 0; i < SAMPLE_IN; i++)
		in[i] = (float)((i * 7) % 13) / 13.0f;
	memcpy((uint8_t *)mem + in_off, in, sizeof(in));
	data = new_buf(ctx, mem_size, 0);
	memcpy(gconv_buf_map(data), mem, mem_size);
	/* the chain addresses its image from 0: move it to the buffer */
	from = 0;
	size = mem_size;
	to = gconv_buf_addr(data);
	CHECK_OK(gconv_chain_relocate(chain, chain_len, &from, &size, &to, 1,
				      err, sizeof(err)));
	cbuf = chain_buf(ctx, chain, chain_len);
	res = run(ctx, cbuf, chain_len);
	CHECK_EQ_INT(res.status, GCONV_JOB_OK);
	sample_reference(&prm, in, want);
	out = (float *)((uint8_t *)gconv_buf_map(data) + out_off);
	CHECK_ARRAY_NEAR(out, want, SAMPLE_CLASSES, 1e-5, 1e-6);
	free(chain);
	free(mem);
	gconv_dev_close(dev);
}

TEST(submit_scale_is_exact)
{
	struct gconv_dev *dev = open_cpu();
	struct gconv_ctx *ctx = new_ctx(dev);
	struct gconv_buf *data = new_buf(ctx, PAGE, 0);
	float *f = gconv_buf_map(data);
	struct gconv_job_result res;
	int i;

	for (i = 0; i < 100; i++)
		f[i] = (float)i * 0.25f;
	res = run_scale(ctx, data, 100);
	CHECK_EQ_INT(res.status, GCONV_JOB_OK);
	CHECK_EQ_INT(res.info, 0);
	CHECK_EQ_INT(res.fault_addr, 0);
	for (i = 0; i < 100; i++)
		CHECK(f[100 + i] == (float)i * 0.75f);
	gconv_dev_close(dev);
}

TEST(address_outside_the_context_faults)
{
	struct gconv_dev *dev = open_cpu();
	struct gconv_ctx *a = new_ctx(dev), *b = new_ctx(dev);
	struct gconv_buf *da = new_buf(a, PAGE, 0), *db, *cbuf;
	struct gconv_job_result res;
	uint64_t x;
	void *chain;
	size_t len;
	float *f = gconv_buf_map(da);

	/* b's second buffer: an address a never mapped */
	new_buf(b, 64 * PAGE, 0);
	db = new_buf(b, PAGE, 0);
	x = gconv_buf_addr(db);
	f[0] = 1.0f;
	f[10] = 42.0f;
	chain = scale_chain(x, gconv_buf_addr(da), gconv_buf_addr(da) + 40, 4,
			    &len);
	cbuf = chain_buf(a, chain, len);
	res = run(a, cbuf, len);
	CHECK_EQ_INT(res.status, GCONV_JOB_MMU_FAULT);
	CHECK_EQ_INT(res.fault_addr, x);
	CHECK_EQ_INT(res.info, 0);
	CHECK(f[10] == 42.0f); /* nothing ran */
	gconv_buf_free(cbuf);
	free(chain);

	/* an operand that runs off the end of its buffer into the guard */
	chain = scale_chain(gconv_buf_addr(da) + PAGE - 8, gconv_buf_addr(da),
			    gconv_buf_addr(da) + 40, 4, &len);
	cbuf = chain_buf(a, chain, len);
	res = run(a, cbuf, len);
	CHECK_EQ_INT(res.status, GCONV_JOB_MMU_FAULT);
	CHECK_EQ_INT(res.fault_addr, gconv_buf_addr(da) + PAGE);
	free(chain);
	gconv_dev_close(dev);
}

TEST(writing_a_read_only_buffer_faults)
{
	struct gconv_dev *dev = open_cpu();
	struct gconv_ctx *ctx = new_ctx(dev);
	struct gconv_buf *in = new_buf(ctx, PAGE, 0);
	struct gconv_buf *ro = new_buf(ctx, PAGE, GCONV_BUF_READ_ONLY);
	struct gconv_buf *cbuf;
	struct gconv_job_result res;
	float *r = gconv_buf_map(ro);
	void *chain;
	size_t len;

	r[0] = 5.0f; /* the host may write it */
	chain = scale_chain(gconv_buf_addr(in), gconv_buf_addr(ro),
			    gconv_buf_addr(ro) + 64, 4, &len);
	cbuf = chain_buf(ctx, chain, len);
	res = run(ctx, cbuf, len);
	CHECK_EQ_INT(res.status, GCONV_JOB_MMU_FAULT);
	CHECK_EQ_INT(res.fault_addr, gconv_buf_addr(ro) + 64);
	CHECK(r[16] == 0.0f);
	free(chain);

	/* reading it is fine */
	chain = scale_chain(gconv_buf_addr(ro), gconv_buf_addr(ro),
			    gconv_buf_addr(in), 1, &len);
	memcpy(gconv_buf_map(cbuf), chain, len);
	res = run(ctx, cbuf, len);
	CHECK_EQ_INT(res.status, GCONV_JOB_OK);
	CHECK(((float *)gconv_buf_map(in))[0] == 25.0f);
	free(chain);
	gconv_dev_close(dev);
}

TEST(invalid_chain_is_rejected_with_a_reason)
{
	struct gconv_dev *dev = open_cpu();
	struct gconv_ctx *ctx = new_ctx(dev);
	struct gconv_buf *data = new_buf(ctx, PAGE, 0), *cbuf;
	uint64_t a = gconv_buf_addr(data), job = 77;
	struct gconv_chain_header *h;
	struct gconv_desc *d;
	void *chain;
	size_t len;

	chain = scale_chain(a, a + 64, a + 128, 4, &len);
	h = chain;
	d = (struct gconv_desc *)gconv_chain_desc(h, 0);
	d->x.stride[GCONV_SLOT_K] = 2; /* reads past the extent */
	cbuf = chain_buf(ctx, chain, len);
	CHECK_EQ_INT(gconv_ctx_submit(ctx, cbuf, 0, len, NULL, 0,
				      GCONV_PRIORITY_NORMAL, &job, err,
				      sizeof(err)),
		     -EINVAL);
	CHECK_EQ_INT(job, 0);
	CHECK_CONTAINS(err, "chain rejected: descriptor 0, operand X");
	CHECK_CONTAINS(err, "outside the operand's extent");
	/* no job was made */
	CHECK_EQ_INT(gconv_ctx_wait(ctx, 1, 0, NULL), -ENOENT);

	h->magic = 0;
	memcpy(gconv_buf_map(cbuf), chain, len);
	CHECK_EQ_INT(gconv_ctx_submit(ctx, cbuf, 0, len, NULL, 0,
				      GCONV_PRIORITY_NORMAL, &job, err,
				      sizeof(err)),
		     -EINVAL);
	CHECK_CONTAINS(err, "bad chain magic");
	free(chain);
	gconv_dev_close(dev);
}

TEST(submit_checks_its_arguments)
{
	struct gconv_dev *dev = open_cpu();
	struct gconv_ctx *ctx = new_ctx(dev), *other = new_ctx(dev);
	struct gconv_buf *data = new_buf(ctx, PAGE, 0), *cbuf, *foreign;
	uint64_t a = gconv_buf_addr(data), job;
	void *chain;
	size_t len;

	chain = scale_chain(a, a + 64, a + 128, 4, &len);
	cbuf = chain_buf(ctx, chain, len);
	foreign = chain_buf(other, chain, len);
	CHECK_EQ_INT(gconv_ctx_submit(ctx, foreign, 0, len, NULL, 0, 0, &job,
				      err, sizeof(err)),
		     -EINVAL);
	CHECK_CONTAINS(err, "not in this context");
	CHECK_EQ_INT(gconv_ctx_submit(ctx, cbuf, 0, len, &foreign, 1, 0, &job,
				      err, sizeof(err)),
		     -EINVAL);
	CHECK_CONTAINS(err, "buffer 0 of the list");
	CHECK_EQ_INT(gconv_ctx_submit(ctx, cbuf, 4, len, NULL, 0, 0, &job, err,
				      sizeof(err)),
		     -EINVAL);
	CHECK_CONTAINS(err, "aligned");
	CHECK_EQ_INT(gconv_ctx_submit(ctx, cbuf, PAGE, len, NULL, 0, 0, &job,
				      err, sizeof(err)),
		     -EINVAL);
	CHECK_CONTAINS(err, "beyond");
	CHECK_EQ_INT(gconv_ctx_submit(ctx, cbuf, 0, 8, NULL, 0, 0, &job, err,
				      sizeof(err)),
		     -EINVAL);
	CHECK_EQ_INT(gconv_ctx_submit(ctx, cbuf, 0, len, NULL, 0,
				      (enum gconv_priority)3, &job, err,
				      sizeof(err)),
		     -EINVAL);
	CHECK_CONTAINS(err, "priority");
	CHECK_OK(gconv_ctx_submit(ctx, cbuf, 0, len, NULL, 0,
				  GCONV_PRIORITY_HIGH, &job, err, sizeof(err)));
	CHECK_EQ_INT(job, 1);
	free(chain);
	gconv_dev_close(dev);
}

TEST(waiting_for_an_unknown_job)
{
	struct gconv_dev *dev = open_cpu();
	struct gconv_ctx *ctx = new_ctx(dev);
	struct gconv_job_result res;

	CHECK_EQ_INT(gconv_ctx_wait(ctx, 0, -1, &res), -ENOENT);
	CHECK_EQ_INT(gconv_ctx_wait(ctx, 1, -1, &res), -ENOENT);
	CHECK_EQ_INT(gconv_ctx_wait(ctx, 12345, 0, &res), -ENOENT);
	gconv_dev_close(dev);
}

TEST(job_results_are_kept_for_the_last_4096_jobs)
{
	struct gconv_dev *dev = open_cpu();
	struct gconv_ctx *ctx = new_ctx(dev), *other = new_ctx(dev);
	struct gconv_buf *data = new_buf(ctx, PAGE, 0), *cbuf;
	uint64_t a = gconv_buf_addr(data), job = 0, i;
	struct gconv_job_result res;
	void *chain;
	size_t len;

	chain = scale_chain(a, a + 64, a + 128, 4, &len);
	cbuf = chain_buf(ctx, chain, len);
	for (i = 1; i <= 4097; i++) {
		CHECK_OK(gconv_ctx_submit(ctx, cbuf, 0, len, NULL, 0,
					  GCONV_PRIORITY_LOW, &job, err,
					  sizeof(err)));
		CHECK_EQ_INT(job, i);
	}
	CHECK_EQ_INT(gconv_ctx_wait(ctx, 1, -1, &res), -ENOENT);
	CHECK_OK(gconv_ctx_wait(ctx, 2, -1, &res));
	CHECK_OK(gconv_ctx_wait(ctx, 4097, 0, &res));
	CHECK_EQ_INT(res.status, GCONV_JOB_OK);
	CHECK_EQ_INT(gconv_ctx_wait(ctx, 4098, -1, &res), -ENOENT);
	/* job ids are per context */
	CHECK_EQ_INT(gconv_ctx_wait(other, 2, -1, &res), -ENOENT);
	free(chain);
	gconv_dev_close(dev);
}

TEST(status_strings)
{
	CHECK_STR(gconv_job_status_str(GCONV_JOB_OK), "ok");
	CHECK_STR(gconv_job_status_str(GCONV_JOB_MMU_FAULT), "MMU fault");
	CHECK_CONTAINS(gconv_job_status_str(GCONV_JOB_BANNED), "banned");
	CHECK_STR(gconv_job_status_str(99), "unknown status");
}

/* ---- relocation --------------------------------------------------------- */

TEST(relocate_moves_only_used_operands)
{
	struct gconv_chain_builder b = { 0 };
	uint64_t from[2] = { 0x1000, 0x8000 }, size[2] = { 0x1000, 0x100 };
	uint64_t to[2] = { 0x100000000ull, 0x200000000ull };
	const struct gconv_desc *r;
	struct gconv_desc d;
	void *chain;
	size_t len;

	/* o = x (take-x: Y unused) with a bias B */
	gconv_desc_init(&d);
	d.k = 4;
	d.main = GCONV_MAIN_TAKE_X;
	d.combine = GCONV_COMBINE_ADD;
	gconv_operand_f32(&d.x, 0x1010, 4, 0, 0, 1, 0, 0, 0);
	gconv_operand_f32(&d.b, 0x8000, 4, 0, 0, 1, 0, 0, 0);
	gconv_operand_f32(&d.o, 0x1ff0, 4, 0, 0, 1, 0, 0, 0);
	CHECK_OK(gconv_chain_append(&b, &d));
	CHECK_OK(gconv_chain_encode(&b, &chain, &len));
	gconv_chain_builder_free(&b);

	CHECK_OK(gconv_chain_relocate(chain, len, from, size, to, 2, err,
				      sizeof(err)));
	r = gconv_chain_desc(chain, 0);
	CHECK_EQ_INT(r->x.addr, 0x100000010ull);
	CHECK_EQ_INT(r->b.addr, 0x200000000ull);
	CHECK_EQ_INT(r->o.addr, 0x100000ff0ull);
	CHECK_EQ_INT(r->y.addr, 0); /* unused: stays all zero */
	CHECK(r->y.dtype == GCONV_DTYPE_NONE);
	CHECK_EQ_INT(r->x.extent, 4);
	free(chain);
}

TEST(relocate_out_of_range_changes_nothing)
{
	uint64_t from = 0x1000, size = 0x100, to = 0x100000000ull;
	void *chain, *copy;
	size_t len;

	/* x is in the range, y and o are not */
	chain = scale_chain(0x1000, 0x1040, 0x5000, 4, &len);
	copy = malloc(len);
	memcpy(copy, chain, len);
	CHECK_EQ_INT(gconv_chain_relocate(chain, len, &from, &size, &to, 1, err,
					  sizeof(err)),
		     -EINVAL);
	CHECK_CONTAINS(err, "descriptor 0, operand O");
	CHECK_CONTAINS(err, "none of the 1 ranges");
	CHECK(!memcmp(chain, copy, len));

	/* an operand that starts inside a range but runs past its end */
	free(chain);
	chain = scale_chain(0x10f8, 0x1000, 0x1010, 4, &len);
	memcpy(copy, chain, len);
	CHECK_EQ_INT(gconv_chain_relocate(chain, len, &from, &size, &to, 1, err,
					  sizeof(err)),
		     -EINVAL);
	CHECK_CONTAINS(err, "operand X");
	CHECK(!memcmp(chain, copy, len));

	/* a destination that wraps, and one that breaks alignment */
	to = UINT64_MAX - 0x10;
	CHECK_EQ_INT(gconv_chain_relocate(chain, len, &from, &size, &to, 1, err,
					  sizeof(err)),
		     -EINVAL);
	CHECK_CONTAINS(err, "wraps");
	free(chain);
	chain = scale_chain(0x1000, 0x1040, 0x1080, 4, &len);
	memcpy(copy, chain, len);
	to = 0x100000002ull;
	CHECK_EQ_INT(gconv_chain_relocate(chain, len, &from, &size, &to, 1, err,
					  sizeof(err)),
		     -EINVAL);
	CHECK_CONTAINS(err, "aligned");
	CHECK(!memcmp(chain, copy, len));
	free(copy);
	free(chain);
}

TEST(relocate_rejects_a_broken_chain)
{
	uint64_t from = 0, size = 0x10000, to = 0x100000000ull;
	struct gconv_chain_header *h;
	void *chain;
	size_t len;

	chain = scale_chain(0x1000, 0x1040, 0x1080, 4, &len);
	h = chain;
	CHECK_EQ_INT(gconv_chain_relocate(chain, len - 8, &from, &size, &to, 1,
					  err, sizeof(err)),
		     -EINVAL);
	CHECK_CONTAINS(err, "truncated");
	h->count = 0;
	CHECK_EQ_INT(gconv_chain_relocate(chain, len, &from, &size, &to, 1, err,
					  sizeof(err)),
		     -EINVAL);
	CHECK_CONTAINS(err, "does not validate");
	free(chain);
}

/* ---- models on a device ------------------------------------------------- */

static struct gconv_model *digits(void)
{
	struct gconv_model *m;

	if (gconv_model_open(DIGITS "digits.onnx", NULL, &m, err, sizeof(err)))
		FAILF("digits.onnx: %s", err);
	return m;
}

static void load_samples(struct gconv_tensor *x)
{
	if (gconv_npy_read(DIGITS "samples.npy", x, err, sizeof(err)))
		FAILF("%s", err);
}

TEST(model_matches_session_bit_for_bit)
{
	struct gconv_model *m = digits();
	struct gconv_dev *dev = open_cpu();
	struct gconv_ctx *ctx = new_ctx(dev);
	struct gconv_dev_model *dm;
	struct gconv_session *s;
	struct gconv_job_result res;
	struct gconv_tensor x = { 0 };
	struct gconv_model_layout l;
	uint64_t n = gconv_model_output(m, 0)->elems;
	int64_t i;

	load_samples(&x);
	CHECK_OK(gconv_dev_model_load(ctx, m, NULL, &dm, err, sizeof(err)));
	gconv_model_layout(m, &l);
	CHECK(l.weights_size > 0);
	CHECK(gconv_dev_model_weights(dm) != NULL);
	CHECK(gconv_buf_size(gconv_dev_model_weights(dm)) >= l.weights_size);
	CHECK(gconv_dev_model_input(dm, 1) == NULL);
	CHECK(gconv_dev_model_output(dm, 1) == NULL);
	CHECK_OK(gconv_session_create(m, &s));
	for (i = 0; i < x.dims[0]; i++) {
		memcpy(gconv_dev_model_input(dm, 0), x.data + i * 64,
		       64 * sizeof(float));
		memcpy(gconv_session_input(s, 0), x.data + i * 64,
		       64 * sizeof(float));
		CHECK_OK(gconv_dev_model_run(dm, GCONV_PRIORITY_NORMAL, -1,
					     &res, err, sizeof(err)));
		CHECK_EQ_INT(res.status, GCONV_JOB_OK);
		CHECK_OK(gconv_session_run(s, err, sizeof(err)));
		if (memcmp(gconv_dev_model_output(dm, 0),
			   gconv_session_output(s, 0), n * sizeof(float)))
			FAILF("sample %lld: device output differs from the "
			      "session's",
			      (long long)i);
	}
	gconv_session_free(s);
	gconv_tensor_free(&x);
	gconv_dev_model_free(dm);
	gconv_dev_close(dev);
	gconv_model_free(m);
}

TEST(two_contexts_share_one_weights_buffer)
{
	struct gconv_model *m = digits();
	struct gconv_dev *dev = open_cpu();
	struct gconv_ctx *a = new_ctx(dev), *b = new_ctx(dev);
	struct gconv_dev_model *da, *db;
	struct gconv_buf *w, *wrong;
	struct gconv_tensor x = { 0 };
	uint64_t n = gconv_model_output(m, 0)->elems;
	int64_t i;
	int fd;

	load_samples(&x);
	CHECK_OK(gconv_dev_model_load(a, m, NULL, &da, err, sizeof(err)));
	CHECK_OK(gconv_buf_export(gconv_dev_model_weights(da), &fd));
	CHECK_OK(gconv_buf_import(b, fd, GCONV_BUF_READ_ONLY, &w, err,
				  sizeof(err)));
	close(fd);
	/* weights from another context, or not this model's, are refused */
	CHECK_EQ_INT(gconv_dev_model_load(b, m, gconv_dev_model_weights(da),
					  &db, err, sizeof(err)),
		     -EINVAL);
	CHECK_CONTAINS(err, "not in this context");
	wrong = new_buf(b, gconv_buf_size(w), GCONV_BUF_READ_ONLY);
	CHECK_EQ_INT(gconv_dev_model_load(b, m, wrong, &db, err, sizeof(err)),
		     -EINVAL);
	CHECK_CONTAINS(err, "does not hold this model's");

	CHECK_OK(gconv_dev_model_load(b, m, w, &db, err, sizeof(err)));
	CHECK(gconv_dev_model_weights(db) == w);
	for (i = 0; i < 10; i++) {
		memcpy(gconv_dev_model_input(da, 0), x.data + i * 64,
		       64 * sizeof(float));
		memcpy(gconv_dev_model_input(db, 0), x.data + i * 64,
		       64 * sizeof(float));
		CHECK_OK(gconv_dev_model_run(da, GCONV_PRIORITY_NORMAL, -1,
					     NULL, err, sizeof(err)));
		CHECK_OK(gconv_dev_model_run(db, GCONV_PRIORITY_HIGH, -1, NULL,
					     err, sizeof(err)));
		CHECK(!memcmp(gconv_dev_model_output(da, 0),
			      gconv_dev_model_output(db, 0),
			      n * sizeof(float)));
	}
	/* a's model and context may go first; b keeps the weights */
	gconv_ctx_free(a);
	CHECK_OK(gconv_dev_model_run(db, GCONV_PRIORITY_NORMAL, -1, NULL, err,
				     sizeof(err)));
	gconv_dev_model_free(db);
	CHECK_EQ_INT(gconv_buf_size(w) >= 1, 1); /* still ours */
	gconv_tensor_free(&x);
	gconv_dev_close(dev);
	gconv_model_free(m);
}

/* MaxPool 2x2/2 over x[1,1,4,4] (opset 13): no constants at all */
static const unsigned char pool_onnx[] = {
	0x08, 0x08, 0x12, 0x00, 0x3a, 0x7a, 0x0a, 0x38, 0x0a, 0x01, 0x78, 0x12,
	0x01, 0x79, 0x22, 0x07, 0x4d, 0x61, 0x78, 0x50, 0x6f, 0x6f, 0x6c, 0x2a,
	0x15, 0x0a, 0x0c, 0x6b, 0x65, 0x72, 0x6e, 0x65, 0x6c, 0x5f, 0x73, 0x68,
	0x61, 0x70, 0x65, 0x40, 0x02, 0x40, 0x02, 0xa0, 0x01, 0x07, 0x2a, 0x10,
	0x0a, 0x07, 0x73, 0x74, 0x72, 0x69, 0x64, 0x65, 0x73, 0x40, 0x02, 0x40,
	0x02, 0xa0, 0x01, 0x07, 0x12, 0x04, 0x70, 0x6f, 0x6f, 0x6c, 0x5a, 0x1b,
	0x0a, 0x01, 0x78, 0x12, 0x16, 0x0a, 0x14, 0x08, 0x01, 0x12, 0x10, 0x0a,
	0x02, 0x08, 0x01, 0x0a, 0x02, 0x08, 0x01, 0x0a, 0x02, 0x08, 0x04, 0x0a,
	0x02, 0x08, 0x04, 0x62, 0x1b, 0x0a, 0x01, 0x79, 0x12, 0x16, 0x0a, 0x14,
	0x08, 0x01, 0x12, 0x10, 0x0a, 0x02, 0x08, 0x01, 0x0a, 0x02, 0x08, 0x01,
	0x0a, 0x02, 0x08, 0x02, 0x0a, 0x02, 0x08, 0x02, 0x42, 0x04, 0x0a, 0x00,
	0x10, 0x0d,
};

/*
 * The compiler always gives a model some weights (at least one aligned
 * block); a .gcm may have none.  Make one: compile the pool, save it, set
 * weights_size to 0 and fix the content hash (docs/gcm-format.md).
 */
static struct gconv_model *weightless_model(void)
{
	char path[] = "/tmp/gconv-test-devapi-XXXXXX";
	struct gconv_model *m, *w;
	unsigned char *file;
	uint64_t zero = 0, hash;
	long len;
	FILE *f;
	int fd;

	CHECK_OK(gconv_compile_onnx(pool_onnx, sizeof(pool_onnx), NULL, &m, err,
				    sizeof(err)));
	fd = mkstemp(path);
	CHECK(fd >= 0);
	close(fd);
	CHECK_OK(gconv_model_save(m, path, err, sizeof(err)));
	gconv_model_free(m);
	f = fopen(path, "rb");
	CHECK(f != NULL);
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	fseek(f, 0, SEEK_SET);
	file = malloc((size_t)len);
	CHECK(fread(file, 1, (size_t)len, f) == (size_t)len);
	fclose(f);
	unlink(path);
	memcpy(file + 56, &zero, 8); /* weights_size */
	memcpy(file + 24, &zero, 8); /* hash */
	hash = XXH64(file, (size_t)len, 0);
	memcpy(file + 24, &hash, 8);
	CHECK_OK(gconv_model_load(file, (size_t)len, &w, err, sizeof(err)));
	free(file);
	return w;
}

TEST(model_without_weights_has_no_weights_buffer)
{
	struct gconv_model *m = weightless_model();
	struct gconv_dev *dev = open_cpu();
	struct gconv_ctx *ctx = new_ctx(dev);
	struct gconv_model_layout l;
	struct gconv_dev_model *dm;
	const float *y;
	float *x;
	int i;

	gconv_model_layout(m, &l);
	CHECK_EQ_INT(l.weights_size, 0);
	CHECK_OK(gconv_dev_model_load(ctx, m, NULL, &dm, err, sizeof(err)));
	CHECK(gconv_dev_model_weights(dm) == NULL);
	x = gconv_dev_model_input(dm, 0);
	for (i = 0; i < 16; i++)
		x[i] = (float)((i * 5) % 16);
	CHECK_OK(gconv_dev_model_run(dm, GCONV_PRIORITY_NORMAL, -1, NULL, err,
				     sizeof(err)));
	y = gconv_dev_model_output(dm, 0);
	/* x = [0 5 10 15; 4 9 14 3; 8 13 2 7; 12 1 6 11] */
	CHECK(y[0] == 9.0f && y[1] == 15.0f && y[2] == 13.0f && y[3] == 11.0f);
	/* freeing the context frees the placed model */
	gconv_ctx_free(ctx);
	gconv_dev_close(dev);
	gconv_model_free(m);
}

TEST(segments_compute_what_the_chain_does)
{
	struct gconv_model *m = digits();
	struct gconv_dev *dev = open_cpu();
	struct gconv_ctx *ctx = new_ctx(dev);
	struct gconv_dev_model *whole, *cut;
	struct gconv_tensor x = { 0 };
	uint64_t n = gconv_model_output(m, 0)->elems;
	uint32_t count, gconvs, seg;
	size_t len;

	load_samples(&x);
	count = ((const struct gconv_chain_header *)gconv_model_chain(m, &len))
			->count;
	CHECK(count >= 3);
	CHECK_OK(gconv_dev_model_load(ctx, m, NULL, &whole, err, sizeof(err)));
	CHECK_OK(gconv_dev_model_load(ctx, m, NULL, &cut, err, sizeof(err)));
	CHECK_EQ_INT(gconv_dev_model_num_segments(cut), 1);
	memcpy(gconv_dev_model_input(whole, 0), x.data, 64 * sizeof(float));
	CHECK_OK(gconv_dev_model_run(whole, GCONV_PRIORITY_NORMAL, -1, NULL,
				     err, sizeof(err)));
	for (gconvs = 0; gconvs <= count + 1; gconvs++) {
		uint32_t want = gconvs && gconvs < count
					? (count + gconvs - 1) / gconvs
					: 1;

		CHECK_OK(gconv_dev_model_segment(cut, gconvs, err,
						 sizeof(err)));
		CHECK_EQ_INT(gconv_dev_model_num_segments(cut), want);
		memset((void *)gconv_dev_model_output(cut, 0), 0,
		       n * sizeof(float));
		memcpy(gconv_dev_model_input(cut, 0), x.data,
		       64 * sizeof(float));
		for (seg = 0; seg < want; seg++)
			CHECK_OK(gconv_dev_model_run_segment(
				cut, seg, GCONV_PRIORITY_NORMAL, -1, NULL, err,
				sizeof(err)));
		if (memcmp(gconv_dev_model_output(whole, 0),
			   gconv_dev_model_output(cut, 0), n * sizeof(float)))
			FAILF("segments of %u GCONVs compute something else",
			      gconvs);
	}
	CHECK_EQ_INT(gconv_dev_model_run_segment(cut, gconv_dev_model_num_segments(cut),
						 GCONV_PRIORITY_NORMAL, -1,
						 NULL, err, sizeof(err)),
		     -EINVAL);
	CHECK_CONTAINS(err, "segment");
	gconv_tensor_free(&x);
	gconv_dev_close(dev);
	gconv_model_free(m);
}

TEST(a_model_can_move_to_another_device_with_its_arena)
{
	struct gconv_model *m = digits();
	struct gconv_dev *d1 = open_cpu(), *d2 = open_cpu();
	struct gconv_ctx *c1 = new_ctx(d1), *c2 = new_ctx(d2);
	struct gconv_dev_model *a, *b;
	struct gconv_buf *arena, *ro;
	struct gconv_tensor x = { 0 };
	const struct gconv_tensor_info *out = gconv_model_output(m, 0);
	struct gconv_model_layout l;
	float *before;
	int fd;

	load_samples(&x);
	gconv_model_layout(m, &l);
	CHECK_OK(gconv_dev_model_load(c1, m, NULL, &a, err, sizeof(err)));
	memcpy(gconv_dev_model_input(a, 0), x.data, 64 * sizeof(float));
	CHECK_OK(gconv_dev_model_run(a, GCONV_PRIORITY_NORMAL, -1, NULL, err,
				     sizeof(err)));
	before = malloc(out->elems * sizeof(float));
	CHECK(before != NULL);
	memcpy(before, gconv_dev_model_output(a, 0), out->elems * sizeof(float));

	CHECK_OK(gconv_buf_export(gconv_dev_model_arena(a), &fd));
	CHECK_OK(gconv_buf_import(c2, fd, 0, &arena, err, sizeof(err)));
	close(fd);
	/* an arena elsewhere, read-only, or too small is refused */
	CHECK_EQ_INT(gconv_dev_model_place(c2, m, NULL, gconv_dev_model_arena(a),
					   &b, err, sizeof(err)),
		     -EINVAL);
	CHECK_CONTAINS(err, "not in this context");
	ro = new_buf(c2, l.arena_size, GCONV_BUF_READ_ONLY);
	CHECK_EQ_INT(gconv_dev_model_place(c2, m, NULL, ro, &b, err,
					   sizeof(err)),
		     -EINVAL);
	CHECK_CONTAINS(err, "read-only");
	if (l.arena_size > PAGE) {
		struct gconv_buf *small = new_buf(c2, PAGE, 0);

		CHECK_EQ_INT(gconv_dev_model_place(c2, m, NULL, small, &b, err,
						   sizeof(err)),
			     -EINVAL);
		CHECK_CONTAINS(err, "needs");
	}

	CHECK_OK(gconv_dev_model_place(c2, m, NULL, arena, &b, err,
				       sizeof(err)));
	CHECK(gconv_dev_model_arena(b) == arena);
	/* the first device dies; the model runs on the second, on the same
	 * memory the users see */
	gconv_dev_close(d1);
	memset((void *)gconv_dev_model_output(b, 0), 0,
	       out->elems * sizeof(float));
	CHECK_OK(gconv_dev_model_run(b, GCONV_PRIORITY_NORMAL, -1, NULL, err,
				     sizeof(err)));
	CHECK(!memcmp(before, gconv_dev_model_output(b, 0),
		      out->elems * sizeof(float)));
	gconv_dev_model_free(b);
	/* the arena is still the caller's */
	CHECK(gconv_buf_size(arena) >= l.arena_size);
	gconv_buf_free(arena);
	free(before);
	gconv_tensor_free(&x);
	gconv_dev_close(d2);
	gconv_model_free(m);
}

TEST(cpu_faults_fail_jobs_as_asked)
{
	struct gconv_model *m = digits();
	struct gconv_dev *dev;
	struct gconv_ctx *ctx;
	struct gconv_dev_model *dm;
	struct gconv_job_result res;
	static const uint32_t want[] = {
		GCONV_JOB_OK,	   GCONV_JOB_TIMEOUT, GCONV_JOB_OK,
		GCONV_JOB_TIMEOUT, GCONV_JOB_OK,      GCONV_JOB_ERROR,
		GCONV_JOB_ERROR,   GCONV_JOB_ERROR,
	};
	unsigned int i;

	CHECK_OK(gconv_dev_open("cpu:hang-every=2,fail-after=5", &dev, err,
				sizeof(err)));
	CHECK(!strcmp(gconv_dev_name(dev), "cpu"));
	ctx = new_ctx(dev);
	CHECK_OK(gconv_dev_model_load(ctx, m, NULL, &dm, err, sizeof(err)));
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		int ret = gconv_dev_model_run(dm, GCONV_PRIORITY_NORMAL, -1,
					      &res, err, sizeof(err));

		CHECK_EQ_INT(res.status, want[i]);
		CHECK_EQ_INT(ret, want[i] == GCONV_JOB_OK ? 0 : -EIO);
	}
	CHECK_CONTAINS(err, "device error");
	gconv_dev_close(dev);
	gconv_model_free(m);
}

static const struct test tests[] = {
	T(cpu_opens_and_closes),
	T(unknown_backend_is_an_error),
	T(missing_drm_device_is_a_clear_error),
	T(dev_list_counts_gconv_nodes),
	T(buffers_are_zeroed_page_sized_and_mapped),
	T(buffer_addresses_are_distinct_aligned_and_guarded),
	T(buffer_alloc_rejects_bad_arguments),
	T(export_import_shares_memory_across_contexts),
	T(import_rejects_foreign_fds),
	T(export_import_across_fork),
	T(submit_runs_a_chain),
	T(submit_scale_is_exact),
	T(address_outside_the_context_faults),
	T(writing_a_read_only_buffer_faults),
	T(invalid_chain_is_rejected_with_a_reason),
	T(submit_checks_its_arguments),
	T(waiting_for_an_unknown_job),
	T(job_results_are_kept_for_the_last_4096_jobs),
	T(status_strings),
	T(relocate_moves_only_used_operands),
	T(relocate_out_of_range_changes_nothing),
	T(relocate_rejects_a_broken_chain),
	T(model_matches_session_bit_for_bit),
	T(two_contexts_share_one_weights_buffer),
	T(model_without_weights_has_no_weights_buffer),
	T(segments_compute_what_the_chain_does),
	T(a_model_can_move_to_another_device_with_its_arena),
	T(cpu_faults_fail_jobs_as_asked),
};

int main(int argc, char **argv)
{
	return HARNESS_MAIN(tests);
}
