// SPDX-License-Identifier: MIT
/*
 * The cpu backend: a GCONV engine in this process (the fast one, or the
 * golden one with "cpu:engine=golden"), behaving like the device behind
 * gconv.ko.
 *
 *  - Every context is its own device address space.  Buffers get page-
 *    aligned addresses from [4 GiB, 128 TiB) (the driver's VA range), the
 *    lowest gap that fits, with an unmapped guard page after each buffer.
 *  - A buffer is a sealed memfd (it can neither shrink nor grow, so
 *    whoever maps it can never take a SIGBUS) mapped shared: exporting
 *    gives a dup of it, which another context or process imports like a
 *    dma-buf.  A READ_ONLY buffer's memfd is named "gconv-ro", so the
 *    read-only property travels with it as it does with a GEM object.
 *    Importing a buffer this context already has gives it the same
 *    address (the driver maps a GEM object once per file).
 *  - Submit copies the chain out of its buffer, validates the copy under
 *    the device's limits (-EINVAL with the reason, nothing queued), then
 *    runs it at once with gconv_fast_run_chain_mapped() over the
 *    context's buffers: submit is synchronous, and the job has ended when
 *    it returns.  An operand outside the context's buffers, or an output
 *    in a READ_ONLY one, ends the job MMU_FAULT with the operand's first
 *    unmapped (or read-only) address in fault_addr and the descriptor in
 *    info; unlike the device, nothing of such a chain runs (the engine
 *    checks every operand before it starts).
 *  - The last GCONV_JOB_HISTORY results can be waited for, like the
 *    driver's.  There are no bans, hangs or resets: a chain cannot hang
 *    an engine, and a fault harms no one else.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memfd_create, F_ADD_SEALS */
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gconv/hw.h>

#include "device_impl.h"

#define fail gconv_fail

#ifndef MFD_NOEXEC_SEAL
#define MFD_NOEXEC_SEAL 0x0008u /* Linux 6.3 */
#endif

#define CPU_VA_START  (1ull << 32)
#define CPU_VA_END    (1ull << 47)
#define MEMFD_NAME    "gconv"
#define MEMFD_NAME_RO "gconv-ro"
#define BUF_SEALS     (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL)

/*
 * "cpu:engine=golden": the golden engine (the oracle, double precision,
 * slow) rather than the fast one.
 *
 * "cpu:fail-after=N,hang-every=M": faults for testing what runs above a
 * device (gconvd's failover and retry).  From job N + 1 on, every job ends
 * GCONV_JOB_ERROR without running, as on a device that died; every Mth
 * job ends GCONV_JOB_TIMEOUT without running, as one a hang and reset
 * ended.  Jobs are counted over the whole device.
 */
#define CPU_OPTIONS "engine=golden|fast, fail-after=N or hang-every=N"

static int parse_options(struct gconv_dev *dev, const char *arg, char *err,
			 size_t errlen)
{
	const char *p = arg;

	if (arg && (!*arg || arg[strlen(arg) - 1] == ','))
		return fail(err, errlen, -EINVAL,
			    "device 'cpu:%s': an empty option "
			    "(expected " CPU_OPTIONS ")",
			    arg);
	while (p && *p) {
		unsigned long long v;
		uint64_t *field;
		size_t klen;
		char *end;

		if (!strncmp(p, "engine=", 7)) {
			size_t vlen = strcspn(p + 7, ",");

			if (vlen == 6 && !strncmp(p + 7, "golden", 6))
				dev->cpu_golden = 1;
			else if (vlen == 4 && !strncmp(p + 7, "fast", 4))
				dev->cpu_golden = 0;
			else
				return fail(err, errlen, -EINVAL,
					    "device 'cpu:%s': unknown engine "
					    "'%.*s' (expected golden or fast)",
					    arg, (int)vlen, p + 7);
			p += 7 + vlen;
			p += *p == ',';
			continue;
		}
		if (!strncmp(p, "fail-after=", klen = 11))
			field = &dev->cpu_fail_after;
		else if (!strncmp(p, "hang-every=", klen = 11))
			field = &dev->cpu_hang_every;
		else
			return fail(err, errlen, -EINVAL,
				    "device 'cpu:%s': unknown option '%.*s' "
				    "(expected " CPU_OPTIONS ")",
				    arg, (int)strcspn(p, ","), p);
		errno = 0;
		v = strtoull(p + klen, &end, 10);
		if (errno || end == p + klen || !v || (*end && *end != ',') ||
		    p[klen] == '-')
			return fail(err, errlen, -EINVAL,
				    "device 'cpu:%s': '%.*s' needs a count "
				    ">= 1",
				    arg, (int)strcspn(p, ","), p);
		*field = v;
		p = *end ? end + 1 : end;
	}
	return 0;
}

static int cpu_open(struct gconv_dev *dev, const char *arg, char *err,
		    size_t errlen)
{
	const struct gconv_limits lim = {
		/* what the device advertises (hw.h), so that a chain the cpu
		 * backend takes is one the driver takes too */
		.max_count = GCONV_HW_MAX_CHAIN_LEN,
		.max_dim = GCONV_HW_MAX_DIM,
		.max_step = GCONV_HW_MAX_DIM,
		.dtypes = 1u << GCONV_DTYPE_F32,
		.max_work = 1ull << 44,
	};

	enum gconv_engine_kind kind;
	int ret;

	if (gconv_engine_default(&kind))
		return fail(err, errlen, -EINVAL,
			    "GCONV_ENGINE='%s': expected golden or fast",
			    getenv("GCONV_ENGINE"));
	dev->cpu_golden = kind == GCONV_ENGINE_GOLDEN;
	ret = parse_options(dev, arg, err, errlen);
	if (ret)
		return ret;
	snprintf(dev->name, sizeof(dev->name), "cpu");
	dev->lim = lim;
	dev->max_chain_bytes = GCONV_HW_MAX_CHAIN_BYTES;
	return 0;
}

static void cpu_close(struct gconv_dev *dev)
{
	(void)dev;
}

static int cpu_ctx_create(struct gconv_ctx *ctx, char *err, size_t errlen)
{
	ctx->jobs = calloc(GCONV_JOB_HISTORY, sizeof(*ctx->jobs));
	if (!ctx->jobs)
		return fail(err, errlen, -ENOMEM, "out of memory");
	return 0;
}

static void cpu_ctx_free(struct gconv_ctx *ctx)
{
	free(ctx->jobs);
}

/* ---- the address space -------------------------------------------------- */

static int cmp_buf_addr(const void *a, const void *b)
{
	const struct gconv_buf *x = *(const struct gconv_buf *const *)a;
	const struct gconv_buf *y = *(const struct gconv_buf *const *)b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/*
 * The context's buffers sorted by address, one per address (an imported
 * buffer may share its address with another of the same memfd).  Returns
 * how many, or -ENOMEM; free(*out).
 */
static int sorted_bufs(struct gconv_ctx *ctx, struct gconv_buf ***out)
{
	struct gconv_buf **v, *b;
	size_t n = 0, i, j;

	*out = NULL;
	for (b = ctx->bufs; b; b = b->next)
		n++;
	v = malloc((n ? n : 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (i = 0, b = ctx->bufs; b; b = b->next)
		v[i++] = b;
	qsort(v, n, sizeof(*v), cmp_buf_addr);
	for (i = j = 0; i < n; i++)
		if (!j || v[i]->addr != v[j - 1]->addr)
			v[j++] = v[i];
	*out = v;
	return (int)j;
}

/* The lowest address with @size bytes and a guard page free after it. */
static int alloc_addr(struct gconv_ctx *ctx, size_t size, uint64_t *addr)
{
	uint64_t at = CPU_VA_START;
	struct gconv_buf **v;
	int n, i;

	if (size > CPU_VA_END - CPU_VA_START - GCONV_PAGE_SIZE)
		return -ENOSPC;
	n = sorted_bufs(ctx, &v);
	if (n < 0)
		return n;
	for (i = 0; i < n; i++) {
		if (v[i]->addr >= at &&
		    v[i]->addr - at >= size + GCONV_PAGE_SIZE)
			break;
		if (v[i]->addr + v[i]->size + GCONV_PAGE_SIZE > at)
			at = v[i]->addr + v[i]->size + GCONV_PAGE_SIZE;
	}
	free(v);
	if (at > CPU_VA_END - size - GCONV_PAGE_SIZE)
		return -ENOSPC;
	*addr = at;
	return 0;
}

/* ---- buffers ------------------------------------------------------------ */

static int map_memfd(struct gconv_buf *buf, int fd, size_t size, char *err,
		     size_t errlen)
{
	struct stat st;
	int ret;

	if (fstat(fd, &st))
		return fail(err, errlen, -errno, "fstat: %s", strerror(errno));
	buf->map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (buf->map == MAP_FAILED) {
		ret = -errno;
		buf->map = NULL;
		return fail(err, errlen, ret, "mmap of %zu bytes: %s", size,
			    strerror(-ret));
	}
	buf->fd = fd;
	buf->size = size;
	buf->ino = st.st_ino;
	return 0;
}

static int cpu_buf_alloc(struct gconv_buf *buf, size_t size, char *err,
			 size_t errlen)
{
	const char *name =
		buf->flags & GCONV_BUF_READ_ONLY ? MEMFD_NAME_RO : MEMFD_NAME;
	uint64_t addr;
	int fd, ret;

	ret = alloc_addr(buf->ctx, size, &addr);
	if (ret == -ENOMEM)
		return fail(err, errlen, ret, "out of memory");
	if (ret)
		return fail(
			err, errlen, -EINVAL,
			"no room for %zu bytes in the context's address space",
			size);
	fd = memfd_create(name,
			  MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_NOEXEC_SEAL);
	if (fd < 0 && errno == EINVAL) /* before Linux 6.3 */
		fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return fail(err, errlen, -errno, "memfd_create: %s",
			    strerror(errno));
	if (ftruncate(fd, (off_t)size) || fcntl(fd, F_ADD_SEALS, BUF_SEALS)) {
		ret = -errno;
		fail(err, errlen, ret, "memfd of %zu bytes: %s", size,
		     strerror(-ret));
		goto err_close;
	}
	ret = map_memfd(buf, fd, size, err, errlen);
	if (ret)
		goto err_close;
	buf->addr = addr;
	return 0;

err_close:
	close(fd);
	return ret;
}

/* Was the memfd made for a READ_ONLY buffer?  Its name says. */
static int memfd_read_only(int fd)
{
	char path[64], target[128];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return 0;
	target[n] = 0;
	return !strncmp(target, "/memfd:" MEMFD_NAME_RO " ",
			strlen("/memfd:" MEMFD_NAME_RO " "));
}

static int cpu_buf_import(struct gconv_buf *buf, int fd, char *err,
			  size_t errlen)
{
	struct gconv_buf *b;
	struct stat st;
	int seals, dfd, ret;

	seals = fcntl(fd, F_GET_SEALS);
	if (seals < 0 || (seals & BUF_SEALS) != BUF_SEALS)
		return fail(err, errlen, -EINVAL,
			    "import: fd %d is not a cpu-backend buffer (a "
			    "sealed memfd from gconv_buf_export)",
			    fd);
	if (fstat(fd, &st))
		return fail(err, errlen, -errno, "import: fstat: %s",
			    strerror(errno));
	if (st.st_size <= 0 || (uint64_t)st.st_size % GCONV_PAGE_SIZE)
		return fail(err, errlen, -EINVAL,
			    "import: fd %d holds %lld bytes, not whole pages",
			    fd, (long long)st.st_size);
	dfd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (dfd < 0)
		return fail(err, errlen, -errno, "import: dup: %s",
			    strerror(errno));
	ret = map_memfd(buf, dfd, (size_t)st.st_size, err, errlen);
	if (ret) {
		close(dfd);
		return ret;
	}
	buf->flags = memfd_read_only(dfd) ? GCONV_BUF_READ_ONLY : 0;

	/* the same memory already in this context keeps its address */
	for (b = buf->ctx->bufs; b; b = b->next)
		if (b->ino == buf->ino) {
			buf->addr = b->addr;
			return 0;
		}
	ret = alloc_addr(buf->ctx, buf->size, &buf->addr);
	if (ret) {
		munmap(buf->map, buf->size);
		close(dfd);
		if (ret == -ENOMEM)
			return fail(err, errlen, ret, "out of memory");
		return fail(err, errlen, -EINVAL,
			    "import: no room for %zu bytes in the context's "
			    "address space",
			    buf->size);
	}
	return 0;
}

static int cpu_buf_export(struct gconv_buf *buf, int *fd)
{
	*fd = fcntl(buf->fd, F_DUPFD_CLOEXEC, 0);
	return *fd < 0 ? -errno : 0;
}

static void cpu_buf_free(struct gconv_buf *buf)
{
	munmap(buf->map, buf->size);
	close(buf->fd);
}

/* ---- jobs --------------------------------------------------------------- */

/* The first address of @op's bytes that no region of @v maps. */
static uint64_t first_unmapped(const struct gconv_operand *op,
			       struct gconv_buf *const *v, int n)
{
	uint64_t addr = op->addr, end = op->addr + gconv_operand_bytes(op);
	int i;

	for (i = 0; i < n && addr < end; i++)
		if (addr >= v[i]->addr && addr - v[i]->addr < v[i]->size)
			addr = v[i]->addr + v[i]->size;
	return addr;
}

static const struct gconv_operand *verr_operand(const void *chain,
						const struct gconv_verror *e)
{
	const struct gconv_desc *d = gconv_chain_desc(chain, e->desc);

	switch (e->operand) {
	case 'X':
		return &d->x;
	case 'Y':
		return &d->y;
	case 'B':
		return &d->b;
	default:
		return &d->o;
	}
}

static int cpu_submit(struct gconv_ctx *ctx, struct gconv_buf *chain,
		      size_t offset, size_t len, struct gconv_buf *const *bufs,
		      unsigned int nbufs, enum gconv_priority prio,
		      uint64_t *job, char *err, size_t errlen)
{
	struct gconv_job_result res = { .status = GCONV_JOB_OK };
	struct gconv_region *regions = NULL;
	struct gconv_verror verr;
	struct gconv_buf **v = NULL;
	struct gconv_cpu_job *slot;
	uint64_t nth;
	void *copy;
	int n, i, ret;

	(void)bufs;
	(void)nbufs;
	(void)prio;
	/* a copy: the chain may be changed, even by itself, while it runs */
	copy = malloc(len);
	if (!copy)
		return fail(err, errlen, -ENOMEM, "out of memory");
	memcpy(copy, (uint8_t *)chain->map + offset, len);
	if (gconv_validate_chain(copy, len, &ctx->dev->lim, &verr)) {
		ret = gconv_dev_chain_rejected(&verr, err, errlen);
		goto out;
	}

	nth = __atomic_add_fetch(&ctx->dev->cpu_jobs, 1, __ATOMIC_RELAXED);
	if (ctx->dev->cpu_fail_after && nth > ctx->dev->cpu_fail_after) {
		res.status = GCONV_JOB_ERROR;
		goto done;
	}
	if (ctx->dev->cpu_hang_every && nth % ctx->dev->cpu_hang_every == 0) {
		res.status = GCONV_JOB_TIMEOUT;
		goto done;
	}

	n = sorted_bufs(ctx, &v);
	regions = malloc((size_t)(n > 0 ? n : 1) * sizeof(*regions));
	if (n < 0 || !regions) {
		ret = fail(err, errlen, -ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++)
		regions[i] = (struct gconv_region){
			.addr = v[i]->addr,
			.size = v[i]->size,
			.host = v[i]->map,
			.writable = !(v[i]->flags & GCONV_BUF_READ_ONLY),
		};
	ret = (ctx->dev->cpu_golden ? gconv_golden_run_chain_mapped
				    : gconv_fast_run_chain_mapped)(
		copy, len, regions, (unsigned int)n, &verr);
	if (ret == -EINVAL && (verr.code == GCONV_VERR_OUT_OF_RANGE ||
			       verr.code == GCONV_VERR_READ_ONLY)) {
		const struct gconv_operand *op = verr_operand(copy, &verr);

		res.status = GCONV_JOB_MMU_FAULT;
		res.info = verr.desc;
		res.fault_addr = verr.code == GCONV_VERR_READ_ONLY
					 ? op->addr
					 : first_unmapped(op, v, n);
	} else if (ret == -EINVAL) {
		/* validated above under narrower limits: cannot happen */
		res.status = GCONV_JOB_INVALID;
		res.info = verr.desc;
	} else if (ret) {
		res.status = GCONV_JOB_ERROR; /* -ENOMEM part-way */
	}

done:
	*job = ++ctx->last_job;
	slot = &ctx->jobs[*job % GCONV_JOB_HISTORY];
	slot->id = *job;
	slot->res = res;
	ret = 0;
out:
	free(regions);
	free(v);
	free(copy);
	return ret;
}

static int cpu_wait(struct gconv_ctx *ctx, uint64_t job, int64_t timeout_ns,
		    struct gconv_job_result *res)
{
	const struct gconv_cpu_job *slot = &ctx->jobs[job % GCONV_JOB_HISTORY];

	(void)timeout_ns; /* every job has ended when submit returns */
	if (!job || slot->id != job)
		return -ENOENT;
	*res = slot->res;
	return 0;
}

const struct gconv_backend_ops gconv_cpu_ops = {
	.backend = GCONV_BACKEND_CPU,
	.open = cpu_open,
	.close = cpu_close,
	.ctx_create = cpu_ctx_create,
	.ctx_free = cpu_ctx_free,
	.buf_alloc = cpu_buf_alloc,
	.buf_import = cpu_buf_import,
	.buf_export = cpu_buf_export,
	.buf_free = cpu_buf_free,
	.submit = cpu_submit,
	.wait = cpu_wait,
};
