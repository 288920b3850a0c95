/* SPDX-License-Identifier: MIT */
/*
 * libgconvdev: devices.  One interface, two backends:
 *
 *   drm  gconv.ko through libdrm: /dev/accel/accelN (found through sysfs,
 *        /sys/class/accel, since libdrm 2.4.114 only enumerates /dev/dri),
 *        GEM buffers, DRM_IOCTL_GCONV_SUBMIT / WAIT, PRIME (dma-buf) fds;
 *   cpu  the golden engine in this process, with the same semantics: every
 *        context is its own address space of buffers (memfd-backed, so
 *        they can be passed to another process like dma-bufs), jobs are
 *        validated, confined to the context's buffers, and end with the
 *        same statuses.  Everything runs without the device.
 *
 * Objects:
 *   gconv_dev     an opened device (a backend instance);
 *   gconv_ctx     an address space on it (drm: one open file of the
 *                 device; faults, hangs and bans stay within it);
 *   gconv_buf     a buffer in a context: a host mapping, a device address
 *                 in that context, and a file descriptor to share it;
 *   gconv_dev_model  a compiled model (model.h) placed in a context: its
 *                 chain relocated to the context's buffers, its weights
 *                 (shareable between contexts) and its activation arena.
 *
 * Errors: functions return 0 or a negative errno and, where they take
 * one, write a human-readable reason into @err (may be NULL).
 *
 * Thread safety: a context and the objects in it are used by one thread
 * at a time; different contexts may be used from different threads.
 */
#ifndef GCONV_DEVICE_H
#define GCONV_DEVICE_H

#include <stddef.h>
#include <stdint.h>

#include <gconv/engine.h>
#include <gconv/model.h>

#ifdef __cplusplus
extern "C" {
#endif

struct gconv_dev;
struct gconv_ctx;
struct gconv_buf;
struct gconv_dev_model;

enum gconv_backend {
	GCONV_BACKEND_CPU = 0,
	GCONV_BACKEND_DRM = 1,
};

/* ---- devices ------------------------------------------------------------ */

/* What gconv_dev_list() reports for each gconv device of the drm backend. */
struct gconv_dev_desc {
	char node[64];		/* "/dev/accel/accel0" */
	char pci_slot[32];	/* "0000:00:03.0" */
	uint32_t index;		/* N of accelN */
};

/*
 * The gconv devices of this machine (accel nodes whose driver is gconv),
 * in index order.  Fills at most @max entries and returns how many there
 * are (which may be more than @max), or a negative errno.
 */
GCONV_EXPORT int gconv_dev_list(struct gconv_dev_desc *descs, unsigned int max,
				char *err, size_t errlen);

/*
 * Open a device.  @spec selects the backend (the one option):
 *   "cpu"                 the CPU backend;
 *   "cpu:FAULTS"          the CPU backend failing on purpose, for tests of
 *                         what runs above a device: FAULTS is a comma list
 *                         of "fail-after=N" (from job N + 1 on every job
 *                         ends GCONV_JOB_ERROR, as on a dead device) and
 *                         "hang-every=N" (every Nth job ends
 *                         GCONV_JOB_TIMEOUT, as one a hang's reset ended);
 *                         failed jobs do not run;
 *   "drm"                 the first gconv accel device;
 *   "drm:N"               /dev/accel/accelN;
 *   "drm:/path/to/node"   that node.
 */
GCONV_EXPORT int gconv_dev_open(const char *spec, struct gconv_dev **out,
				char *err, size_t errlen);
/* Also frees every context still open on @dev. */
GCONV_EXPORT void gconv_dev_close(struct gconv_dev *dev);
GCONV_EXPORT enum gconv_backend gconv_dev_backend(const struct gconv_dev *dev);
/* "cpu" or the node path. */
GCONV_EXPORT const char *gconv_dev_name(const struct gconv_dev *dev);

/* ---- contexts ----------------------------------------------------------- */

GCONV_EXPORT int gconv_ctx_create(struct gconv_dev *dev,
				  struct gconv_ctx **out, char *err,
				  size_t errlen);
/* Frees every buffer and model still in the context; waits for its jobs. */
GCONV_EXPORT void gconv_ctx_free(struct gconv_ctx *ctx);

/* ---- buffers ------------------------------------------------------------ */

#define GCONV_BUF_READ_ONLY	(1u << 0)	/* the device may not write it */

/* A zero-filled buffer of @size bytes (rounded up to pages). */
GCONV_EXPORT int gconv_buf_alloc(struct gconv_ctx *ctx, size_t size,
				 uint32_t flags, struct gconv_buf **out,
				 char *err, size_t errlen);
/*
 * A buffer shared by another context or process: @fd is what
 * gconv_buf_export() gave (a dma-buf for drm, a memfd for cpu; the fd is
 * not consumed).  A buffer stays what gconv_buf_alloc() made it in every
 * context: GCONV_BUF_READ_ONLY in @flags only asks that it be read-only
 * (-EINVAL if it was made device-writable).  Importing a buffer the
 * context already has gives it the same device address.
 */
GCONV_EXPORT int gconv_buf_import(struct gconv_ctx *ctx, int fd,
				  uint32_t flags, struct gconv_buf **out,
				  char *err, size_t errlen);
/* A new file descriptor for the buffer (the caller closes it). */
GCONV_EXPORT int gconv_buf_export(struct gconv_buf *buf, int *fd);
GCONV_EXPORT void *gconv_buf_map(struct gconv_buf *buf);
GCONV_EXPORT uint64_t gconv_buf_addr(const struct gconv_buf *buf);
GCONV_EXPORT size_t gconv_buf_size(const struct gconv_buf *buf);
GCONV_EXPORT void gconv_buf_free(struct gconv_buf *buf);

/* ---- jobs --------------------------------------------------------------- */

/* How a job ended: the values of enum drm_gconv_job_status. */
enum gconv_job_status {
	GCONV_JOB_OK = 0,
	GCONV_JOB_INVALID = 1,
	GCONV_JOB_MMU_FAULT = 2,
	GCONV_JOB_DMA_ERROR = 3,
	GCONV_JOB_TIMEOUT = 4,
	GCONV_JOB_ABORTED = 5,
	GCONV_JOB_ERROR = 6,
	GCONV_JOB_BAD_COMPLETION = 7,
	GCONV_JOB_BANNED = 8,
};
GCONV_EXPORT const char *gconv_job_status_str(uint32_t status);

struct gconv_job_result {
	uint32_t status;	/* enum gconv_job_status */
	uint32_t info;		/* device detail, e.g. the failing descriptor */
	uint64_t fault_addr;	/* for MMU faults */
};

enum gconv_priority {
	GCONV_PRIORITY_LOW = 0,
	GCONV_PRIORITY_NORMAL = 1,
	GCONV_PRIORITY_HIGH = 2,
};

/*
 * Queue the chain at @offset in @chain (@len bytes) to run in @ctx; every
 * buffer it reads or writes is in @bufs (for the drm backend's implicit
 * synchronisation; the cpu backend ignores the list).  Returns 0 with
 * *@job set, or a negative errno (-EINVAL: the chain does not validate,
 * with the reason in @err; -ECANCELED: the context is banned).
 * The cpu backend runs the job before returning (submit is synchronous);
 * the drm backend queues it.
 */
GCONV_EXPORT int gconv_ctx_submit(struct gconv_ctx *ctx,
				  struct gconv_buf *chain, size_t offset,
				  size_t len, struct gconv_buf *const *bufs,
				  unsigned int nbufs, enum gconv_priority prio,
				  uint64_t *job, char *err, size_t errlen);
/*
 * Wait until @job ends or @timeout_ns (relative; < 0: no limit) passes.
 * Returns 0 with @res (may be NULL) filled in, -ETIME, -ENOENT for a job
 * that is not one of the context's last 4096, or another negative errno.
 */
GCONV_EXPORT int gconv_ctx_wait(struct gconv_ctx *ctx, uint64_t job,
				int64_t timeout_ns,
				struct gconv_job_result *res);

/* ---- models on a device --------------------------------------------------- */

/*
 * Place @m in @ctx: a read-only weights buffer (a new one, or @weights if
 * not NULL: another context's weights of the same model, imported with
 * gconv_buf_import(), so that contexts share one copy), an arena buffer,
 * and a chain buffer with every operand address relocated from the
 * model's layout (gconv_model_layout()) to the buffers' device addresses.
 * @m, and a shared @weights, must outlive the placed model; @weights must
 * be in @ctx and hold the model's weights (-EINVAL otherwise).  A model
 * whose layout has no weights gets no weights buffer.
 */
GCONV_EXPORT int gconv_dev_model_load(struct gconv_ctx *ctx,
				      const struct gconv_model *m,
				      struct gconv_buf *weights,
				      struct gconv_dev_model **out,
				      char *err, size_t errlen);
/*
 * The same with the caller's @arena (NULL: a new one): a writable buffer
 * in @ctx of at least the layout's arena_size bytes, e.g. another
 * context's arena imported with gconv_buf_import(), so that a model can
 * move to another device and keep the I/O buffer its users map.  The
 * arena stays the caller's: gconv_dev_model_free() leaves it.
 */
GCONV_EXPORT int gconv_dev_model_place(struct gconv_ctx *ctx,
				       const struct gconv_model *m,
				       struct gconv_buf *weights,
				       struct gconv_buf *arena,
				       struct gconv_dev_model **out,
				       char *err, size_t errlen);
GCONV_EXPORT void gconv_dev_model_free(struct gconv_dev_model *dm);
GCONV_EXPORT struct gconv_buf *
gconv_dev_model_weights(struct gconv_dev_model *dm);
/*
 * The arena buffer: every input, output and intermediate of the model.
 * Input/output @i is at gconv_model_input(m, i)->addr minus the layout's
 * arena_addr (gconv_model_layout()); gconvd shares it with its client as
 * the instance's I/O buffer.
 */
GCONV_EXPORT struct gconv_buf *
gconv_dev_model_arena(struct gconv_dev_model *dm);
/* The buffer holding the relocated chain. */
GCONV_EXPORT struct gconv_buf *
gconv_dev_model_chain(struct gconv_dev_model *dm);
/* Host pointers to input/output @i inside the arena buffer. */
GCONV_EXPORT float *gconv_dev_model_input(struct gconv_dev_model *dm,
					  uint32_t i);
GCONV_EXPORT const float *gconv_dev_model_output(struct gconv_dev_model *dm,
						 uint32_t i);
/*
 * Run the model once (submit and wait up to @timeout_ns; < 0: no limit).
 * Returns 0 if the job ended OK; -EIO with @res (may be NULL) and @err
 * saying how it ended otherwise; or another negative errno.
 */
GCONV_EXPORT int gconv_dev_model_run(struct gconv_dev_model *dm,
				     enum gconv_priority prio,
				     int64_t timeout_ns,
				     struct gconv_job_result *res, char *err,
				     size_t errlen);

/*
 * Segments: the model's chain cut into jobs of at most @gconvs descriptors
 * each (0, or at least the chain's length: one segment, the chain
 * itself), run in order with gconv_dev_model_run_segment() so that a
 * caller can stop, or run something else, between two of them (gconvd's
 * cancel and preemption).  A chain's GCONVs communicate only through
 * memory, so running its segments in order computes what the chain does.
 * Makes a buffer in the model's context of a header per segment plus the
 * descriptors; calling it again replaces the segments.
 */
GCONV_EXPORT int gconv_dev_model_segment(struct gconv_dev_model *dm,
					 uint32_t gconvs, char *err,
					 size_t errlen);
GCONV_EXPORT uint32_t
gconv_dev_model_num_segments(const struct gconv_dev_model *dm);
/*
 * Run segment @seg as one job, like gconv_dev_model_run(); a fault's
 * descriptor (res->info for MMU_FAULT and DMA_ERROR) is counted in the
 * whole chain.
 */
GCONV_EXPORT int gconv_dev_model_run_segment(struct gconv_dev_model *dm,
					     uint32_t seg,
					     enum gconv_priority prio,
					     int64_t timeout_ns,
					     struct gconv_job_result *res,
					     char *err, size_t errlen);

/*
 * Relocate a chain in place: every operand the descriptors use that lies
 * wholly inside one of the @n ranges [from[i], from[i] + size[i]) (the
 * first that holds it) moves to to[i] + (addr - from[i]).  Returns 0, or
 * -EINVAL (with @err, the chain unchanged) if the chain does not validate
 * or an operand lies outside every range.
 */
GCONV_EXPORT int gconv_chain_relocate(void *chain, size_t len,
				      const uint64_t *from,
				      const uint64_t *size, const uint64_t *to,
				      unsigned int n, char *err,
				      size_t errlen);

#ifdef __cplusplus
}
#endif

#endif /* GCONV_DEVICE_H */
