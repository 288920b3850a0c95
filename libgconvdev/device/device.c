// SPDX-License-Identifier: MIT
/*
 * libgconvdev devices: what both backends share.  Opening a device from
 * its spec, the lifetimes of contexts, buffers and placed models, the
 * argument checks of every call, models on a device (gconv_dev_model_*)
 * and chain relocation.  The backends are cpu.c and drm.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "device_impl.h"

#define fail gconv_fail

int gconv_dev_chain_rejected(const struct gconv_verror *verr, char *err,
			     size_t errlen)
{
	char msg[200];

	gconv_verror_format(verr, msg, sizeof(msg));
	return fail(err, errlen, -EINVAL, "chain rejected: %s", msg);
}

/* ---- lists -------------------------------------------------------------- */

#define LIST_ADD(head, obj)                   \
	do {                                  \
		(obj)->prev = NULL;           \
		(obj)->next = (head);         \
		if (head)                     \
			(head)->prev = (obj); \
		(head) = (obj);               \
	} while (0)

#define LIST_DEL(head, obj)                              \
	do {                                             \
		if ((obj)->prev)                         \
			(obj)->prev->next = (obj)->next; \
		else                                     \
			(head) = (obj)->next;            \
		if ((obj)->next)                         \
			(obj)->next->prev = (obj)->prev; \
		(obj)->prev = (obj)->next = NULL;        \
	} while (0)

/* ---- devices ------------------------------------------------------------ */

int gconv_dev_open(const char *spec, struct gconv_dev **out, char *err,
		   size_t errlen)
{
	const struct gconv_backend_ops *ops;
	const char *arg = NULL;
	struct gconv_dev *dev;
	int ret;

	if (!out)
		return fail(err, errlen, -EINVAL, "no place for the device");
	*out = NULL;
	if (!spec)
		return fail(err, errlen, -EINVAL,
			    "no device given (cpu, cpu:FAULTS, drm, drm:N "
			    "or drm:/path)");
	if (!strcmp(spec, "cpu")) {
		ops = &gconv_cpu_ops;
	} else if (!strncmp(spec, "cpu:", 4)) {
		ops = &gconv_cpu_ops;
		arg = spec + 4;
	} else if (!strcmp(spec, "drm")) {
		ops = &gconv_drm_ops;
	} else if (!strncmp(spec, "drm:", 4)) {
		ops = &gconv_drm_ops;
		arg = spec + 4;
	} else {
		return fail(err, errlen, -EINVAL,
			    "unknown device '%s' (expected cpu, drm, drm:N or "
			    "drm:/path/to/node)",
			    spec);
	}

	dev = calloc(1, sizeof(*dev));
	if (!dev)
		return fail(err, errlen, -ENOMEM, "out of memory");
	dev->ops = ops;
	dev->fd = -1;
	ret = pthread_mutex_init(&dev->lock, NULL);
	if (ret) {
		free(dev);
		return fail(err, errlen, -ret, "pthread_mutex_init: %s",
			    strerror(ret));
	}
	ret = ops->open(dev, arg, err, errlen);
	if (ret) {
		pthread_mutex_destroy(&dev->lock);
		free(dev);
		return ret;
	}
	*out = dev;
	return 0;
}

void gconv_dev_close(struct gconv_dev *dev)
{
	if (!dev)
		return;
	while (dev->ctxs)
		gconv_ctx_free(dev->ctxs);
	dev->ops->close(dev);
	pthread_mutex_destroy(&dev->lock);
	free(dev);
}

enum gconv_backend gconv_dev_backend(const struct gconv_dev *dev)
{
	return dev->ops->backend;
}

const char *gconv_dev_name(const struct gconv_dev *dev)
{
	return dev->name;
}

/* ---- contexts ----------------------------------------------------------- */

int gconv_ctx_create(struct gconv_dev *dev, struct gconv_ctx **out, char *err,
		     size_t errlen)
{
	struct gconv_ctx *ctx;
	int ret;

	if (!dev || !out)
		return fail(err, errlen, -EINVAL,
			    "no device or no place for the context");
	*out = NULL;
	ctx = calloc(1, sizeof(*ctx));
	if (!ctx)
		return fail(err, errlen, -ENOMEM, "out of memory");
	ctx->dev = dev;
	ctx->fd = -1;
	ret = dev->ops->ctx_create(ctx, err, errlen);
	if (ret) {
		free(ctx);
		return ret;
	}
	pthread_mutex_lock(&dev->lock);
	LIST_ADD(dev->ctxs, ctx);
	pthread_mutex_unlock(&dev->lock);
	*out = ctx;
	return 0;
}

void gconv_ctx_free(struct gconv_ctx *ctx)
{
	struct gconv_dev *dev;

	if (!ctx)
		return;
	dev = ctx->dev;
	while (ctx->models)
		gconv_dev_model_free(ctx->models);
	while (ctx->bufs)
		gconv_buf_free(ctx->bufs);
	dev->ops->ctx_free(ctx);
	pthread_mutex_lock(&dev->lock);
	LIST_DEL(dev->ctxs, ctx);
	pthread_mutex_unlock(&dev->lock);
	free(ctx);
}

/* ---- buffers ------------------------------------------------------------ */

int gconv_buf_alloc(struct gconv_ctx *ctx, size_t size, uint32_t flags,
		    struct gconv_buf **out, char *err, size_t errlen)
{
	struct gconv_buf *buf;
	int ret;

	if (!ctx || !out)
		return fail(err, errlen, -EINVAL,
			    "no context or no place for the buffer");
	*out = NULL;
	if (flags & ~GCONV_BUF_READ_ONLY)
		return fail(err, errlen, -EINVAL, "unknown buffer flags 0x%x",
			    flags & ~GCONV_BUF_READ_ONLY);
	if (!size)
		return fail(err, errlen, -EINVAL, "a buffer cannot be empty");
	if (size > SIZE_MAX - GCONV_PAGE_SIZE)
		return fail(err, errlen, -EINVAL,
			    "buffer of %zu bytes is too large", size);
	buf = calloc(1, sizeof(*buf));
	if (!buf)
		return fail(err, errlen, -ENOMEM, "out of memory");
	buf->ctx = ctx;
	buf->flags = flags;
	buf->fd = -1;
	size = (size + GCONV_PAGE_SIZE - 1) & ~(size_t)(GCONV_PAGE_SIZE - 1);
	ret = ctx->dev->ops->buf_alloc(buf, size, err, errlen);
	if (ret) {
		free(buf);
		return ret;
	}
	LIST_ADD(ctx->bufs, buf);
	*out = buf;
	return 0;
}

int gconv_buf_import(struct gconv_ctx *ctx, int fd, uint32_t flags,
		     struct gconv_buf **out, char *err, size_t errlen)
{
	struct gconv_buf *buf;
	int ret;

	if (!ctx || !out)
		return fail(err, errlen, -EINVAL,
			    "no context or no place for the buffer");
	*out = NULL;
	if (flags & ~GCONV_BUF_READ_ONLY)
		return fail(err, errlen, -EINVAL, "unknown buffer flags 0x%x",
			    flags & ~GCONV_BUF_READ_ONLY);
	if (fd < 0)
		return fail(err, errlen, -EBADF,
			    "import: bad file descriptor %d", fd);
	buf = calloc(1, sizeof(*buf));
	if (!buf)
		return fail(err, errlen, -ENOMEM, "out of memory");
	buf->ctx = ctx;
	buf->fd = -1;
	ret = ctx->dev->ops->buf_import(buf, fd, err, errlen);
	if (ret) {
		free(buf);
		return ret;
	}
	if ((flags & GCONV_BUF_READ_ONLY) &&
	    !(buf->flags & GCONV_BUF_READ_ONLY)) {
		ctx->dev->ops->buf_free(buf);
		free(buf);
		return fail(err, errlen, -EINVAL,
			    "import: the buffer was made device-writable, not "
			    "read-only");
	}
	LIST_ADD(ctx->bufs, buf);
	*out = buf;
	return 0;
}

int gconv_buf_export(struct gconv_buf *buf, int *fd)
{
	if (!buf || !fd)
		return -EINVAL;
	*fd = -1;
	return buf->ctx->dev->ops->buf_export(buf, fd);
}

void *gconv_buf_map(struct gconv_buf *buf)
{
	return buf->map;
}

uint64_t gconv_buf_addr(const struct gconv_buf *buf)
{
	return buf->addr;
}

size_t gconv_buf_size(const struct gconv_buf *buf)
{
	return buf->size;
}

void gconv_buf_free(struct gconv_buf *buf)
{
	if (!buf)
		return;
	LIST_DEL(buf->ctx->bufs, buf);
	buf->ctx->dev->ops->buf_free(buf);
	free(buf);
}

/* ---- jobs --------------------------------------------------------------- */

const char *gconv_job_status_str(uint32_t status)
{
	static const char *const str[] = {
		[GCONV_JOB_OK] = "ok",
		[GCONV_JOB_INVALID] = "invalid (the device rejected the job)",
		[GCONV_JOB_MMU_FAULT] = "MMU fault",
		[GCONV_JOB_DMA_ERROR] = "DMA error",
		[GCONV_JOB_TIMEOUT] = "timeout (hung; the device was reset)",
		[GCONV_JOB_ABORTED] = "aborted (lost to another job's reset)",
		[GCONV_JOB_ERROR] = "device error",
		[GCONV_JOB_BAD_COMPLETION] = "bad completion (outcome unknown)",
		[GCONV_JOB_BANNED] = "banned (not run: the context is banned)",
	};

	if (status >= sizeof(str) / sizeof(str[0]))
		return "unknown status";
	return str[status];
}

int gconv_ctx_submit(struct gconv_ctx *ctx, struct gconv_buf *chain,
		     size_t offset, size_t len, struct gconv_buf *const *bufs,
		     unsigned int nbufs, enum gconv_priority prio,
		     uint64_t *job, char *err, size_t errlen)
{
	unsigned int i;

	if (!ctx || !job)
		return fail(err, errlen, -EINVAL,
			    "no context or no place for the job id");
	*job = 0;
	if (!chain || chain->ctx != ctx)
		return fail(err, errlen, -EINVAL,
			    "the chain buffer is not in this context");
	if (offset % 8)
		return fail(err, errlen, -EINVAL,
			    "chain offset %zu is not 8-byte aligned", offset);
	if (len < sizeof(struct gconv_chain_header) ||
	    len > ctx->dev->max_chain_bytes)
		return fail(err, errlen, -EINVAL,
			    "chain of %zu bytes: must be %zu to %llu bytes",
			    len, sizeof(struct gconv_chain_header),
			    (unsigned long long)ctx->dev->max_chain_bytes);
	if (offset > chain->size || len > chain->size - offset)
		return fail(err, errlen, -EINVAL,
			    "chain [%zu, +%zu) lies beyond its %zu-byte buffer",
			    offset, len, chain->size);
	if ((unsigned int)prio > GCONV_PRIORITY_HIGH)
		return fail(err, errlen, -EINVAL, "unknown priority %u",
			    (unsigned int)prio);
	if (nbufs > GCONV_MAX_SUBMIT_BUFS)
		return fail(err, errlen, -EINVAL, "%u buffers, at most %u",
			    nbufs, GCONV_MAX_SUBMIT_BUFS);
	if (nbufs && !bufs)
		return fail(err, errlen, -EINVAL, "no buffer list");
	for (i = 0; i < nbufs; i++)
		if (!bufs[i] || bufs[i]->ctx != ctx)
			return fail(
				err, errlen, -EINVAL,
				"buffer %u of the list is not in this context",
				i);
	return ctx->dev->ops->submit(ctx, chain, offset, len, bufs, nbufs, prio,
				     job, err, errlen);
}

int gconv_ctx_wait(struct gconv_ctx *ctx, uint64_t job, int64_t timeout_ns,
		   struct gconv_job_result *res)
{
	struct gconv_job_result tmp;

	if (!ctx)
		return -EINVAL;
	return ctx->dev->ops->wait(ctx, job, timeout_ns, res ? res : &tmp);
}

/* ---- chain relocation --------------------------------------------------- */

/* A chain's ranges: operands in [from[i], +size[i]) move to to[i]. */
struct reloc {
	const uint64_t *from, *size, *to;
	unsigned int n;
};

/*
 * Where operand @name of descriptor @d moves to (*@naddr), or -EINVAL if
 * it lies wholly in no range or would land misaligned.
 */
static int reloc_operand(const struct reloc *rl, const struct gconv_operand *op,
			 uint32_t d, char name, uint64_t *naddr, char *err,
			 size_t errlen)
{
	uint64_t bytes = gconv_operand_bytes(op);
	unsigned int i;

	for (i = 0; i < rl->n; i++) {
		uint64_t off = op->addr - rl->from[i];

		if (op->addr >= rl->from[i] && off <= rl->size[i] &&
		    bytes <= rl->size[i] - off)
			break;
	}
	if (i == rl->n)
		return fail(err, errlen, -EINVAL,
			    "relocate: descriptor %u, operand %c: [0x%llx, "
			    "+0x%llx) lies in none of the %u ranges",
			    d, name, (unsigned long long)op->addr,
			    (unsigned long long)bytes, rl->n);
	*naddr = rl->to[i] + (op->addr - rl->from[i]);
	if (*naddr % gconv_dtype_size(op->dtype))
		return fail(err, errlen, -EINVAL,
			    "relocate: descriptor %u, operand %c: 0x%llx would "
			    "not be element aligned",
			    d, name, (unsigned long long)*naddr);
	return 0;
}

/* Check (@apply 0) or move (@apply 1) every operand descriptor @d uses. */
static int reloc_desc(const struct reloc *rl, struct gconv_desc *desc,
		      uint32_t d, int apply, char *err, size_t errlen)
{
	struct {
		struct gconv_operand *op;
		char name;
		int used;
	} ops[] = {
		{ &desc->x, 'X', gconv_desc_reads_x(desc) },
		{ &desc->y, 'Y', gconv_desc_reads_y(desc) },
		{ &desc->b, 'B', gconv_desc_reads_b(desc) },
		{ &desc->o, 'O', 1 },
	};
	unsigned int i;
	uint64_t naddr = 0;
	int ret;

	for (i = 0; i < 4; i++) {
		if (!ops[i].used)
			continue;
		ret = reloc_operand(rl, ops[i].op, d, ops[i].name, &naddr, err,
				    errlen);
		if (ret)
			return ret;
		if (apply)
			ops[i].op->addr = naddr;
	}
	return 0;
}

int gconv_chain_relocate(void *chain, size_t len, const uint64_t *from,
			 const uint64_t *size, const uint64_t *to,
			 unsigned int n, char *err, size_t errlen)
{
	const struct gconv_limits lim = GCONV_LIMITS_DEFAULT;
	const struct reloc rl = { from, size, to, n };
	struct gconv_chain_header *h = chain;
	struct gconv_verror verr;
	unsigned int i;
	uint32_t d;
	int apply, ret;

	if (!chain || (n && (!from || !size || !to)))
		return fail(err, errlen, -EINVAL, "relocate: missing argument");
	if (gconv_validate_chain(chain, len, &lim, &verr)) {
		char msg[200];

		gconv_verror_format(&verr, msg, sizeof(msg));
		return fail(err, errlen, -EINVAL,
			    "relocate: the chain does not validate: %s", msg);
	}
	for (i = 0; i < n; i++) {
		uint64_t end;

		if (__builtin_add_overflow(from[i], size[i], &end) ||
		    __builtin_add_overflow(to[i], size[i], &end))
			return fail(err, errlen, -EINVAL,
				    "relocate: range %u [0x%llx, +0x%llx) -> "
				    "0x%llx wraps",
				    i, (unsigned long long)from[i],
				    (unsigned long long)size[i],
				    (unsigned long long)to[i]);
	}
	/* check every operand first, then move them: all or nothing */
	for (apply = 0; apply < 2; apply++)
		for (d = 0; d < h->count; d++) {
			ret = reloc_desc(
				&rl,
				(struct gconv_desc *)gconv_chain_desc(h, d), d,
				apply, err, errlen);
			if (ret)
				return ret;
		}
	return 0;
}

/* ---- models on a device ------------------------------------------------- */

int gconv_dev_model_load(struct gconv_ctx *ctx, const struct gconv_model *m,
			 struct gconv_buf *weights,
			 struct gconv_dev_model **out, char *err, size_t errlen)
{
	return gconv_dev_model_place(ctx, m, weights, NULL, out, err, errlen);
}

int gconv_dev_model_place(struct gconv_ctx *ctx, const struct gconv_model *m,
			  struct gconv_buf *weights, struct gconv_buf *arena,
			  struct gconv_dev_model **out, char *err,
			  size_t errlen)
{
	uint64_t from[2], size[2], to[2];
	struct gconv_dev_model *dm;
	const void *chain;
	unsigned int n = 0;
	char msg[256];
	int ret;

	if (!ctx || !m || !out)
		return fail(err, errlen, -EINVAL,
			    "no context, model or place for the result");
	*out = NULL;
	if (weights && weights->ctx != ctx)
		return fail(err, errlen, -EINVAL,
			    "the weights buffer is not in this context (import "
			    "it first)");
	if (arena && arena->ctx != ctx)
		return fail(err, errlen, -EINVAL,
			    "the arena buffer is not in this context (import "
			    "it first)");
	if (arena && (arena->flags & GCONV_BUF_READ_ONLY))
		return fail(err, errlen, -EINVAL,
			    "the arena buffer is read-only");
	dm = calloc(1, sizeof(*dm));
	if (!dm)
		return fail(err, errlen, -ENOMEM, "out of memory");
	dm->ctx = ctx;
	dm->m = m;
	gconv_model_layout(m, &dm->layout);
	chain = gconv_model_chain(m, &dm->chain_len);

	if (dm->layout.weights_size) {
		if (weights) {
			if (weights->size < dm->layout.weights_size ||
			    memcmp(weights->map, gconv_model_weights(m),
				   dm->layout.weights_size)) {
				ret = fail(err, errlen, -EINVAL,
					   "the shared weights buffer does not "
					   "hold this model's %llu bytes of "
					   "weights",
					   (unsigned long long)
						   dm->layout.weights_size);
				goto err_free;
			}
			dm->weights = weights;
		} else {
			ret = gconv_buf_alloc(ctx, dm->layout.weights_size,
					      GCONV_BUF_READ_ONLY, &dm->weights,
					      msg, sizeof(msg));
			if (ret) {
				fail(err, errlen, ret, "weights: %s", msg);
				goto err_free;
			}
			dm->own_weights = 1;
			memcpy(dm->weights->map, gconv_model_weights(m),
			       dm->layout.weights_size);
		}
		from[n] = dm->layout.weights_addr;
		size[n] = dm->layout.weights_size;
		to[n++] = dm->weights->addr;
	}
	if (arena) {
		if (arena->size < dm->layout.arena_size) {
			ret = fail(err, errlen, -EINVAL,
				   "the arena buffer has %zu bytes; the model "
				   "needs %llu",
				   arena->size,
				   (unsigned long long)dm->layout.arena_size);
			goto err_weights;
		}
		dm->arena = arena;
	} else {
		ret = gconv_buf_alloc(ctx,
				      dm->layout.arena_size
					      ? dm->layout.arena_size
					      : 1,
				      0, &dm->arena, msg, sizeof(msg));
		if (ret) {
			fail(err, errlen, ret, "arena: %s", msg);
			goto err_weights;
		}
		dm->own_arena = 1;
	}
	from[n] = dm->layout.arena_addr;
	size[n] = dm->layout.arena_size;
	to[n++] = dm->arena->addr;

	ret = gconv_buf_alloc(ctx, dm->chain_len, 0, &dm->chain, msg,
			      sizeof(msg));
	if (ret) {
		fail(err, errlen, ret, "chain: %s", msg);
		goto err_arena;
	}
	memcpy(dm->chain->map, chain, dm->chain_len);
	ret = gconv_chain_relocate(dm->chain->map, dm->chain_len, from, size,
				   to, n, err, errlen);
	if (ret)
		goto err_chain;

	LIST_ADD(ctx->models, dm);
	*out = dm;
	return 0;

err_chain:
	gconv_buf_free(dm->chain);
err_arena:
	if (dm->own_arena)
		gconv_buf_free(dm->arena);
err_weights:
	if (dm->own_weights)
		gconv_buf_free(dm->weights);
err_free:
	free(dm);
	return ret;
}

static void drop_segments(struct gconv_dev_model *dm)
{
	gconv_buf_free(dm->segs);
	free(dm->seg_first);
	free(dm->seg_off);
	dm->segs = NULL;
	dm->seg_first = NULL;
	dm->seg_off = NULL;
	dm->nsegs = 0;
}

void gconv_dev_model_free(struct gconv_dev_model *dm)
{
	if (!dm)
		return;
	LIST_DEL(dm->ctx->models, dm);
	drop_segments(dm);
	gconv_buf_free(dm->chain);
	if (dm->own_arena)
		gconv_buf_free(dm->arena);
	if (dm->own_weights)
		gconv_buf_free(dm->weights);
	free(dm);
}

struct gconv_buf *gconv_dev_model_weights(struct gconv_dev_model *dm)
{
	return dm->weights;
}

struct gconv_buf *gconv_dev_model_arena(struct gconv_dev_model *dm)
{
	return dm->arena;
}

struct gconv_buf *gconv_dev_model_chain(struct gconv_dev_model *dm)
{
	return dm->chain;
}

float *gconv_dev_model_input(struct gconv_dev_model *dm, uint32_t i)
{
	const struct gconv_tensor_info *t = gconv_model_input(dm->m, i);

	if (!t)
		return NULL;
	return (float *)((uint8_t *)dm->arena->map +
			 (t->addr - dm->layout.arena_addr));
}

const float *gconv_dev_model_output(struct gconv_dev_model *dm, uint32_t i)
{
	const struct gconv_tensor_info *t = gconv_model_output(dm->m, i);

	if (!t)
		return NULL;
	return (const float *)((const uint8_t *)dm->arena->map +
			       (t->addr - dm->layout.arena_addr));
}

int gconv_dev_model_segment(struct gconv_dev_model *dm, uint32_t gconvs,
			    char *err, size_t errlen)
{
	const struct gconv_chain_header *h;
	struct gconv_chain_header *sh;
	uint32_t count, nsegs, i;
	size_t total, off;
	char msg[256];
	int ret;

	if (!dm)
		return fail(err, errlen, -EINVAL, "no model");
	drop_segments(dm);
	h = dm->chain->map;
	count = h->count;
	if (!gconvs || gconvs > count)
		gconvs = count;
	nsegs = (count + gconvs - 1) / gconvs;
	if (nsegs == 1)
		return 0; /* the chain itself is the one segment */
	total = (size_t)nsegs * h->header_size + (size_t)count * h->desc_size;
	dm->seg_first = calloc(nsegs + 1, sizeof(*dm->seg_first));
	dm->seg_off = calloc(nsegs, sizeof(*dm->seg_off));
	if (!dm->seg_first || !dm->seg_off) {
		ret = fail(err, errlen, -ENOMEM, "out of memory");
		goto err;
	}
	ret = gconv_buf_alloc(dm->ctx, total, 0, &dm->segs, msg, sizeof(msg));
	if (ret) {
		fail(err, errlen, ret, "segments: %s", msg);
		goto err;
	}
	for (i = 0, off = 0; i < nsegs; i++) {
		uint32_t first = i * gconvs;
		uint32_t n = count - first < gconvs ? count - first : gconvs;

		dm->seg_first[i] = first;
		dm->seg_off[i] = off;
		sh = (struct gconv_chain_header *)((uint8_t *)dm->segs->map +
						   off);
		memcpy(sh, h, h->header_size);
		sh->count = n;
		sh->total_size = h->header_size + (uint64_t)n * h->desc_size;
		memcpy((uint8_t *)sh + h->header_size,
		       gconv_chain_desc(h, first), (size_t)n * h->desc_size);
		off += sh->total_size;
	}
	dm->seg_first[nsegs] = count;
	dm->nsegs = nsegs;
	return 0;
err:
	drop_segments(dm);
	return ret;
}

uint32_t gconv_dev_model_num_segments(const struct gconv_dev_model *dm)
{
	return dm->nsegs ? dm->nsegs : 1;
}

/* Submit [off, off + len) of @chain (the model's chain or segments). */
static int model_job(struct gconv_dev_model *dm, struct gconv_buf *chain,
		     size_t off, size_t len, uint32_t first,
		     enum gconv_priority prio, int64_t timeout_ns,
		     struct gconv_job_result *res, char *err, size_t errlen)
{
	struct gconv_buf *bufs[3];
	struct gconv_job_result r;
	unsigned int n = 0;
	uint64_t job;
	int ret;

	bufs[n++] = chain;
	bufs[n++] = dm->arena;
	if (dm->weights)
		bufs[n++] = dm->weights;
	ret = gconv_ctx_submit(dm->ctx, chain, off, len, bufs, n, prio, &job,
			       err, errlen);
	if (ret)
		return ret;
	ret = gconv_ctx_wait(dm->ctx, job, timeout_ns, &r);
	if (ret)
		return fail(err, errlen, ret, "waiting for job %llu: %s",
			    (unsigned long long)job, strerror(-ret));
	if (r.status == GCONV_JOB_MMU_FAULT || r.status == GCONV_JOB_DMA_ERROR)
		r.info += first; /* the descriptor, counted in the whole chain */
	if (res)
		*res = r;
	if (r.status != GCONV_JOB_OK) {
		if (r.status == GCONV_JOB_MMU_FAULT ||
		    r.status == GCONV_JOB_DMA_ERROR)
			return fail(
				err, errlen, -EIO,
				"job %llu ended: %s at 0x%llx (descriptor %u)",
				(unsigned long long)job,
				gconv_job_status_str(r.status),
				(unsigned long long)r.fault_addr, r.info);
		return fail(err, errlen, -EIO, "job %llu ended: %s (info %u)",
			    (unsigned long long)job,
			    gconv_job_status_str(r.status), r.info);
	}
	return 0;
}

int gconv_dev_model_run(struct gconv_dev_model *dm, enum gconv_priority prio,
			int64_t timeout_ns, struct gconv_job_result *res,
			char *err, size_t errlen)
{
	if (!dm)
		return fail(err, errlen, -EINVAL, "no model");
	return model_job(dm, dm->chain, 0, dm->chain_len, 0, prio, timeout_ns,
			 res, err, errlen);
}

int gconv_dev_model_run_segment(struct gconv_dev_model *dm, uint32_t seg,
				enum gconv_priority prio, int64_t timeout_ns,
				struct gconv_job_result *res, char *err,
				size_t errlen)
{
	const struct gconv_chain_header *sh;

	if (!dm)
		return fail(err, errlen, -EINVAL, "no model");
	if (seg >= gconv_dev_model_num_segments(dm))
		return fail(err, errlen, -EINVAL,
			    "segment %u of a model with %u", seg,
			    gconv_dev_model_num_segments(dm));
	if (!dm->nsegs)
		return gconv_dev_model_run(dm, prio, timeout_ns, res, err,
					   errlen);
	sh = (const struct gconv_chain_header *)((const uint8_t *)
							 dm->segs->map +
						 dm->seg_off[seg]);
	return model_job(dm, dm->segs, dm->seg_off[seg],
			 (size_t)sh->total_size, dm->seg_first[seg], prio,
			 timeout_ns, res, err, errlen);
}
