// SPDX-License-Identifier: MIT
/*
 * The drm backend: gconv.ko's accel nodes through libdrm.
 *
 * libdrm 2.4.114 enumerates /dev/dri only, so devices are found through
 * sysfs (/sys/class/accel/accelN whose device's driver is gconv); from
 * there on it is libdrm: drmIoctl() (which restarts on EINTR) for the
 * driver's ioctls, drmGetVersion() to check the node, drmPrime*() for
 * dma-buf export and import.  docs/uapi.md describes every ioctl.
 *
 * A context is its own open() of the node: the driver gives every open
 * file its own device address space, job table and ban state.  GEM
 * handles are not reference counted (a buffer imported twice into one
 * file gets the same handle), so a handle is closed only with the last
 * buffer of its context that uses it.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <xf86drm.h>

#include <gconv_accel.h>

#include "device_impl.h"

#define fail gconv_fail

#define SYS_ACCEL   "/sys/class/accel"
#define DRIVER_NAME "gconv"

/* ---- discovery (sysfs) -------------------------------------------------- */

/* The last component of the symlink at @path. */
static int link_base(const char *path, char *out, size_t outlen)
{
	char buf[PATH_MAX];
	const char *base;
	ssize_t n;

	n = readlink(path, buf, sizeof(buf) - 1);
	if (n < 0)
		return -errno;
	buf[n] = 0;
	base = strrchr(buf, '/');
	base = base ? base + 1 : buf;
	if (strlen(base) >= outlen)
		return -ENAMETOOLONG;
	memcpy(out, base, strlen(base) + 1);
	return 0;
}

static int cmp_desc(const void *a, const void *b)
{
	const struct gconv_dev_desc *x = a, *y = b;

	return x->index < y->index ? -1 : x->index > y->index;
}

int gconv_dev_list(struct gconv_dev_desc *descs, unsigned int max, char *err,
		   size_t errlen)
{
	struct gconv_dev_desc *all = NULL, *tmp;
	unsigned int n = 0, cap = 0;
	struct dirent *e;
	DIR *d;

	if (max && !descs)
		return fail(err, errlen, -EINVAL, "no place for the devices");
	d = opendir(SYS_ACCEL);
	if (!d) {
		if (errno == ENOENT) /* no accel device at all */
			return 0;
		return fail(err, errlen, -errno, "%s: %s", SYS_ACCEL,
			    strerror(errno));
	}
	while ((e = readdir(d))) {
		char path[PATH_MAX], drv[64], tail;
		struct gconv_dev_desc desc = { 0 };

		if (sscanf(e->d_name, "accel%u%c", &desc.index, &tail) != 1)
			continue;
		snprintf(path, sizeof(path), SYS_ACCEL "/%s/device/driver",
			 e->d_name);
		if (link_base(path, drv, sizeof(drv)) ||
		    strcmp(drv, DRIVER_NAME))
			continue;
		snprintf(path, sizeof(path), SYS_ACCEL "/%s/device", e->d_name);
		if (link_base(path, desc.pci_slot, sizeof(desc.pci_slot)))
			desc.pci_slot[0] = 0;
		snprintf(desc.node, sizeof(desc.node), "/dev/accel/accel%u",
			 desc.index);
		if (n == cap) {
			cap = cap ? 2 * cap : 8;
			tmp = realloc(all, cap * sizeof(*all));
			if (!tmp) {
				free(all);
				closedir(d);
				return fail(err, errlen, -ENOMEM,
					    "out of memory");
			}
			all = tmp;
		}
		all[n++] = desc;
	}
	closedir(d);
	if (n)
		qsort(all, n, sizeof(*all), cmp_desc);
	if (n)
		memcpy(descs, all, (n < max ? n : max) * sizeof(*all));
	free(all);
	return (int)n;
}

/* "/dev/accel/accel0, /dev/accel/accel1" or "none" */
static void list_nodes(char *buf, size_t len)
{
	struct gconv_dev_desc descs[8];
	int n, i;
	size_t off = 0;

	n = gconv_dev_list(descs, 8, NULL, 0);
	if (n <= 0) {
		snprintf(buf, len, "none; is gconv.ko loaded?");
		return;
	}
	buf[0] = 0;
	for (i = 0; i < n && i < 8 && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s",
					i ? ", " : "", descs[i].node);
}

/* ---- devices ------------------------------------------------------------ */

static int get_param(int fd, uint32_t param, uint64_t *value)
{
	struct drm_gconv_get_param gp = { .param = param };

	if (drmIoctl(fd, DRM_IOCTL_GCONV_GET_PARAM, &gp))
		return -errno;
	*value = gp.value;
	return 0;
}

/* The device's limits, for explaining rejected chains. */
static int read_limits(struct gconv_dev *dev, char *err, size_t errlen)
{
	static const uint32_t params[] = {
		DRM_GCONV_PARAM_MAX_CHAIN_LEN,
		DRM_GCONV_PARAM_MAX_DIM,
		DRM_GCONV_PARAM_DTYPES,
		DRM_GCONV_PARAM_MAX_CHAIN_BYTES,
	};
	uint64_t v[4];
	unsigned int i;
	int ret;

	for (i = 0; i < 4; i++) {
		ret = get_param(dev->fd, params[i], &v[i]);
		if (ret)
			return fail(err, errlen, ret, "%s: GET_PARAM %u: %s",
				    dev->name, params[i], strerror(-ret));
	}
	dev->lim.max_count = (uint32_t)v[0];
	dev->lim.max_dim = (uint32_t)v[1];
	dev->lim.max_step = (uint32_t)v[1];
	dev->lim.dtypes = (uint32_t)v[2];
	dev->lim.max_work = 1ull << 44;
	dev->max_chain_bytes = v[3];
	return 0;
}

static int drm_open(struct gconv_dev *dev, const char *arg, char *err,
		    size_t errlen)
{
	char node[sizeof(dev->name)], others[256];
	drmVersionPtr ver;
	int fd, ret;

	if (!arg) {
		struct gconv_dev_desc desc;
		int n = gconv_dev_list(&desc, 1, err, errlen);

		if (n < 0)
			return n;
		if (!n)
			return fail(
				err, errlen, -ENODEV,
				"drm: no gconv device (no node in " SYS_ACCEL
				" is driven by gconv; is gconv.ko loaded?)");
		snprintf(node, sizeof(node), "%s", desc.node);
	} else if (arg[0] == '/') {
		if (strlen(arg) >= sizeof(node))
			return fail(err, errlen, -ENAMETOOLONG,
				    "drm: node path too long");
		snprintf(node, sizeof(node), "%s", arg);
	} else {
		char *end;
		unsigned long idx;

		errno = 0;
		idx = strtoul(arg, &end, 10);
		if (!*arg || *end || errno || arg[0] < '0' || arg[0] > '9' ||
		    idx > 1000000)
			return fail(err, errlen, -EINVAL,
				    "device 'drm:%s': expected drm:N "
				    "(/dev/accel/accelN) or drm:/path/to/node",
				    arg);
		snprintf(node, sizeof(node), "/dev/accel/accel%lu", idx);
	}

	fd = open(node, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		list_nodes(others, sizeof(others));
		return fail(err, errlen, ret,
			    "drm: cannot open %s: %s (gconv devices here: %s)",
			    node, strerror(-ret), others);
	}
	ver = drmGetVersion(fd);
	if (!ver) {
		close(fd);
		return fail(err, errlen, -ENODEV, "drm: %s is not a DRM device",
			    node);
	}
	if (!ver->name || strcmp(ver->name, DRIVER_NAME)) {
		fail(err, errlen, -ENODEV,
		     "drm: %s is driven by %s, not " DRIVER_NAME, node,
		     ver->name ? ver->name : "an unnamed driver");
		drmFreeVersion(ver);
		close(fd);
		return -ENODEV;
	}
	drmFreeVersion(ver);
	dev->fd = fd;
	snprintf(dev->name, sizeof(dev->name), "%s", node);
	ret = read_limits(dev, err, errlen);
	if (ret) {
		close(fd);
		dev->fd = -1;
	}
	return ret;
}

static void drm_close(struct gconv_dev *dev)
{
	close(dev->fd);
}

static int drm_ctx_create(struct gconv_ctx *ctx, char *err, size_t errlen)
{
	ctx->fd = open(ctx->dev->name, O_RDWR | O_CLOEXEC);
	if (ctx->fd < 0)
		return fail(err, errlen, -errno, "%s: %s", ctx->dev->name,
			    strerror(errno));
	return 0;
}

/* The driver lets the file's queued jobs end before it goes (postclose). */
static void drm_ctx_free(struct gconv_ctx *ctx)
{
	close(ctx->fd);
}

/* ---- buffers ------------------------------------------------------------ */

/* Close @handle unless another buffer of the context still uses it. */
static void put_handle(struct gconv_ctx *ctx, const struct gconv_buf *buf,
		       uint32_t handle)
{
	const struct gconv_buf *b;

	for (b = ctx->bufs; b; b = b->next)
		if (b != buf && b->handle == handle)
			return;
	drmCloseBufferHandle(ctx->fd, handle);
}

/* Address, size and mapping of the BO @handle; closes it on failure. */
static int map_bo(struct gconv_buf *buf, uint32_t handle, const char *what,
		  char *err, size_t errlen)
{
	struct drm_gconv_bo_info info = { .handle = handle };
	void *map;
	int ret;

	if (drmIoctl(buf->ctx->fd, DRM_IOCTL_GCONV_BO_INFO, &info)) {
		ret = -errno;
		fail(err, errlen, ret, "%s: BO_INFO: %s", what, strerror(-ret));
		goto err_put;
	}
	map = mmap(NULL, (size_t)info.size, PROT_READ | PROT_WRITE, MAP_SHARED,
		   buf->ctx->fd, (off_t)info.mmap_offset);
	if (map == MAP_FAILED) {
		ret = -errno;
		fail(err, errlen, ret, "%s: mmap of %llu bytes: %s", what,
		     (unsigned long long)info.size, strerror(-ret));
		goto err_put;
	}
	buf->handle = handle;
	buf->map = map;
	buf->size = (size_t)info.size;
	buf->addr = info.device_addr;
	buf->flags = info.flags & DRM_GCONV_BO_DEVICE_READ_ONLY
			     ? GCONV_BUF_READ_ONLY
			     : 0;
	return 0;

err_put:
	put_handle(buf->ctx, buf, handle);
	return ret;
}

static int drm_buf_alloc(struct gconv_buf *buf, size_t size, char *err,
			 size_t errlen)
{
	struct drm_gconv_bo_create c = {
		.size = size,
		.flags = buf->flags & GCONV_BUF_READ_ONLY
				 ? DRM_GCONV_BO_DEVICE_READ_ONLY
				 : 0,
	};

	if (drmIoctl(buf->ctx->fd, DRM_IOCTL_GCONV_BO_CREATE, &c))
		return fail(err, errlen, -errno, "BO_CREATE of %zu bytes: %s",
			    size, strerror(errno));
	return map_bo(buf, c.handle, "new buffer", err, errlen);
}

static int drm_buf_import(struct gconv_buf *buf, int fd, char *err,
			  size_t errlen)
{
	uint32_t handle;

	if (drmPrimeFDToHandle(buf->ctx->fd, fd, &handle))
		return fail(err, errlen, -errno,
			    "import: fd %d is not a dma-buf %s can take: %s",
			    fd, buf->ctx->dev->name, strerror(errno));
	return map_bo(buf, handle, "import", err, errlen);
}

static int drm_buf_export(struct gconv_buf *buf, int *fd)
{
	if (drmPrimeHandleToFD(buf->ctx->fd, buf->handle,
			       DRM_CLOEXEC | DRM_RDWR, fd))
		return -errno;
	return 0;
}

static void drm_buf_free(struct gconv_buf *buf)
{
	munmap(buf->map, buf->size);
	put_handle(buf->ctx, buf, buf->handle);
}

/* ---- jobs --------------------------------------------------------------- */

/* Why the driver said -EINVAL: its validator, run here on a copy. */
static int explain_einval(struct gconv_ctx *ctx, struct gconv_buf *chain,
			  size_t offset, size_t len, char *err, size_t errlen)
{
	struct gconv_verror verr;
	void *copy = malloc(len);
	int bad;

	if (!copy)
		return fail(err, errlen, -EINVAL,
			    "the driver rejected the job");
	memcpy(copy, (uint8_t *)chain->map + offset, len);
	bad = gconv_validate_chain(copy, len, &ctx->dev->lim, &verr);
	free(copy);
	if (bad)
		return gconv_dev_chain_rejected(&verr, err, errlen);
	return fail(err, errlen, -EINVAL,
		    "the driver rejected the job (its drm debug log says why: "
		    "echo 0x2 > /sys/module/drm/parameters/debug)");
}

static int drm_submit(struct gconv_ctx *ctx, struct gconv_buf *chain,
		      size_t offset, size_t len, struct gconv_buf *const *bufs,
		      unsigned int nbufs, enum gconv_priority prio,
		      uint64_t *job, char *err, size_t errlen)
{
	struct drm_gconv_submit s = {
		.chain_handle = chain->handle,
		.chain_offset = offset,
		.chain_size = len,
		.bo_count = nbufs,
		.priority = (uint32_t)prio,
	};
	uint32_t *handles = NULL;
	unsigned int i;
	int ret = 0;

	if (nbufs) {
		handles = malloc(nbufs * sizeof(*handles));
		if (!handles)
			return fail(err, errlen, -ENOMEM, "out of memory");
		for (i = 0; i < nbufs; i++)
			handles[i] = bufs[i]->handle;
		s.bo_handles = (uintptr_t)handles;
	}
	if (drmIoctl(ctx->fd, DRM_IOCTL_GCONV_SUBMIT, &s)) {
		ret = -errno;
		if (ret == -EINVAL)
			explain_einval(ctx, chain, offset, len, err, errlen);
		else if (ret == -ECANCELED)
			fail(err, errlen, ret,
			     "this context is banned (too many of its jobs "
			     "hung or faulted); create a new one");
		else
			fail(err, errlen, ret, "SUBMIT: %s", strerror(-ret));
	} else {
		*job = s.job_id;
	}
	free(handles);
	return ret;
}

static int drm_wait(struct gconv_ctx *ctx, uint64_t job, int64_t timeout_ns,
		    struct gconv_job_result *res)
{
	struct drm_gconv_wait w = { .job_id = job, .timeout_ns = INT64_MAX };
	struct timespec now;

	if (timeout_ns >= 0) {
		int64_t t;

		clock_gettime(CLOCK_MONOTONIC, &now);
		t = (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
		if (!__builtin_add_overflow(t, timeout_ns, &t))
			w.timeout_ns = t;
	}
	/* drmIoctl restarts on EINTR: the deadline is absolute */
	if (drmIoctl(ctx->fd, DRM_IOCTL_GCONV_WAIT, &w))
		return -errno;
	res->status = w.status;
	res->info = w.info;
	res->fault_addr = w.fault_addr;
	return 0;
}

const struct gconv_backend_ops gconv_drm_ops = {
	.backend = GCONV_BACKEND_DRM,
	.open = drm_open,
	.close = drm_close,
	.ctx_create = drm_ctx_create,
	.ctx_free = drm_ctx_free,
	.buf_alloc = drm_buf_alloc,
	.buf_import = drm_buf_import,
	.buf_export = drm_buf_export,
	.buf_free = drm_buf_free,
	.submit = drm_submit,
	.wait = drm_wait,
};
