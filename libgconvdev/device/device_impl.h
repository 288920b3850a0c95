/* SPDX-License-Identifier: MIT */
/*
 * libgconvdev devices, inside: the objects of gconv/device.h and the table
 * of operations each backend (cpu.c, drm.c) fills in.  device.c owns the
 * objects' lifetimes, their lists and every check two backends would
 * otherwise repeat (arguments, flags, which context a buffer is in); a
 * backend only talks to its device.
 */
#ifndef GCONV_DEVICE_IMPL_H
#define GCONV_DEVICE_IMPL_H

#include <pthread.h>
#include <stdarg.h>
#include <sys/types.h>

#include <gconv/device.h>

#include "../fail.h"

#define GCONV_PAGE_SIZE 4096ull
/* what the driver accepts in one SUBMIT (kernel/gconv_drv.h) */
#define GCONV_MAX_SUBMIT_BUFS 4096u
/* jobs whose results gconv_ctx_wait() can still return, like the driver */
#define GCONV_JOB_HISTORY 4096u

struct gconv_backend_ops;

struct gconv_dev {
	const struct gconv_backend_ops *ops;
	char name[256]; /* "cpu" or the node path */
	/* what chains are validated against (the device's capabilities) */
	struct gconv_limits lim;
	uint64_t max_chain_bytes;
	int fd;			/* drm: the node; cpu: -1 */
	pthread_mutex_t lock;	/* protects ctxs */
	struct gconv_ctx *ctxs; /* contexts not yet freed */
	/* cpu: jobs run so far (atomic) and the faults its spec asked for */
	uint64_t cpu_jobs;
	uint64_t cpu_fail_after; /* 0: never */
	uint64_t cpu_hang_every; /* 0: never */
	int cpu_golden; /* cpu:engine=golden */
};

/* A finished cpu-backend job, for gconv_ctx_wait(). */
struct gconv_cpu_job {
	uint64_t id; /* 0: slot never used */
	struct gconv_job_result res;
};

struct gconv_ctx {
	struct gconv_dev *dev;
	struct gconv_ctx *prev, *next;	/* in dev->ctxs */
	struct gconv_buf *bufs;		/* every buffer of the context */
	struct gconv_dev_model *models; /* every placed model */
	int fd;				/* drm: this context's open file */
	/* cpu: the last GCONV_JOB_HISTORY jobs, by id % GCONV_JOB_HISTORY */
	struct gconv_cpu_job *jobs;
	uint64_t last_job;
};

struct gconv_buf {
	struct gconv_ctx *ctx;
	struct gconv_buf *prev, *next; /* in ctx->bufs */
	void *map;		       /* host mapping of all @size bytes */
	uint64_t addr;		       /* device address in ctx */
	size_t size;		       /* bytes, a multiple of the page size */
	uint32_t flags;	 /* GCONV_BUF_* the buffer was made with */
	int fd;		 /* cpu: the memfd; drm: -1 */
	ino_t ino;	 /* cpu: the memfd's inode */
	uint32_t handle; /* drm: GEM handle in ctx->fd */
};

struct gconv_dev_model {
	struct gconv_ctx *ctx;
	struct gconv_dev_model *prev, *next; /* in ctx->models */
	const struct gconv_model *m;
	struct gconv_model_layout layout;
	struct gconv_buf *weights; /* NULL if the model has none */
	int own_weights;	   /* freed with the model */
	struct gconv_buf *arena;
	int own_arena; /* freed with the model (not the caller's) */
	struct gconv_buf *chain;
	size_t chain_len;
	/* segments (gconv_dev_model_segment()); nsegs 0: none made */
	struct gconv_buf *segs; /* each segment: a header and its descriptors */
	uint32_t nsegs;
	uint32_t *seg_first;	/* nsegs + 1 descriptor indices */
	size_t *seg_off;	/* nsegs offsets into segs */
};

/*
 * A backend.  device.c has checked every argument before calling; on
 * failure a function leaves nothing behind and writes @err.
 */
struct gconv_backend_ops {
	enum gconv_backend backend;
	/* @arg: what followed "drm:" in the spec, or NULL */
	int (*open)(struct gconv_dev *dev, const char *arg, char *err,
		    size_t errlen);
	void (*close)(struct gconv_dev *dev);
	int (*ctx_create)(struct gconv_ctx *ctx, char *err, size_t errlen);
	/* after every buffer of the context has been freed */
	void (*ctx_free)(struct gconv_ctx *ctx);
	/* fill map, addr, size (and the backend's fields); buf->ctx, buf->flags
	 * are set, buf is not yet in ctx->bufs */
	int (*buf_alloc)(struct gconv_buf *buf, size_t size, char *err,
			 size_t errlen);
	/* the same, and buf->flags from the buffer itself */
	int (*buf_import)(struct gconv_buf *buf, int fd, char *err,
			  size_t errlen);
	int (*buf_export)(struct gconv_buf *buf, int *fd);
	/* buf is no longer in ctx->bufs */
	void (*buf_free)(struct gconv_buf *buf);
	int (*submit)(struct gconv_ctx *ctx, struct gconv_buf *chain,
		      size_t offset, size_t len, struct gconv_buf *const *bufs,
		      unsigned int nbufs, enum gconv_priority prio,
		      uint64_t *job, char *err, size_t errlen);
	int (*wait)(struct gconv_ctx *ctx, uint64_t job, int64_t timeout_ns,
		    struct gconv_job_result *res);
};

extern const struct gconv_backend_ops gconv_cpu_ops;
extern const struct gconv_backend_ops gconv_drm_ops;

/* Write a message into @err (if any) and return @ret. */

/* "chain rejected: descriptor 3, operand Y, stride[k]: ..." into @err */
int gconv_dev_chain_rejected(const struct gconv_verror *verr, char *err,
			     size_t errlen);

#endif /* GCONV_DEVICE_IMPL_H */
