// SPDX-License-Identifier: MIT
/*
 * gconv-test: IGT-style tests of gconv.ko through its UAPI only
 * (include/uapi/drm/gconv_accel.h), run as root in the test VM where the
 * driver is loaded and one or two gconv devices exist.
 *
 * Devices are found through /sys/class/accel (libdrm 2.4.114 does not know
 * /dev/accel); our ioctls go through drmIoctl(), syncobjs and PRIME through
 * libdrm.  Chains are built with libgconvdev and their results checked
 * against the golden engine (and direct loops) run here on the CPU.
 *
 * One subtest per behaviour.  Each runs in its own child process (a crash
 * or hang in one does not take the others down; closing the files on exit
 * is part of what is tested) and prints "ok   NAME" or
 * "FAIL NAME: expected X, got Y"; the last line is "N passed, N failed".
 *
 *	gconv-test [--list] [NAME...]
 *
 * Exit status: 0 when every subtest passed, 1 otherwise, 2 usage error.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <xf86drm.h>

#include <gconv_accel.h>
#include <gconv/engine.h>
#include <gconv/hw.h>

#include "../common/sample_chain.h"

#define PAGE		4096ull
#define NSEC		1000000000ll
#define MSEC		1000000ll
#define SENTINEL	(-999.0f)	/* outputs before a job: relu never makes it */
#define ROUND_UP(x, a)	(((x) + (a) - 1) / (a) * (a))
#define ULL(x)		((unsigned long long)(x))
#define MAX_NODES	8
#define SUBTEST_TIMEOUT_S 120
/* the long job (timeouts, signals, close in flight) aims at this length */
#define LONG_TARGET_MS	2000.0

/* ------------------------------------------------------------------------
 * Reporting
 */

struct shared {
	uint32_t long_ndesc;	/* descriptors of the long job; 0: not measured */
	double long_one_ms;	/* one descriptor of it took this long */
	char report[4][512];	/* failure messages of a subtest's helpers */
	uint64_t addr[4];	/* helpers' first BO device address */
	/* a subtest that counts its own checks (fault_matrix): main adds
	 * these instead of one pass or failure */
	int own_count, own_passed, own_failed;
	int stop;		/* helpers that loop stop when set */
	uint64_t jobs[4];	/* jobs a looping helper verified so far */
};

static char g_nodes[MAX_NODES][64];
static int g_nnodes;
static struct shared *g_shared;	/* MAP_SHARED: survives fork */
static const char *t_name = "setup";
static int t_helper = -1;	/* >= 0 in a helper process of a subtest */
static char t_note[256];

static void __attribute__((noreturn, format(printf, 1, 2)))
t_fail(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (t_helper >= 0) {
		size_t n = strlen(msg);

		if (n >= sizeof(g_shared->report[0]))
			n = sizeof(g_shared->report[0]) - 1;
		memcpy(g_shared->report[t_helper], msg, n);
		g_shared->report[t_helper][n] = 0;
		_exit(1);
	}
	printf("FAIL %s: %s\n", t_name, msg);
	fflush(stdout);
	_exit(1);
}

#define FAIL(...) t_fail(__VA_ARGS__)

static void __attribute__((format(printf, 1, 2))) note(const char *fmt, ...)
{
	size_t len = strlen(t_note);
	va_list ap;

	if (len && len < sizeof(t_note) - 2) {
		t_note[len++] = ';';
		t_note[len++] = ' ';
		t_note[len] = 0;
	}
	va_start(ap, fmt);
	vsnprintf(t_note + len, sizeof(t_note) - len, fmt, ap);
	va_end(ap);
}

/* "EINVAL" for -EINVAL, "success" for 0 */
static const char *errstr(int r)
{
	static char buf[8][32];
	static unsigned int next;
	char *b = buf[next++ % 8];
	const char *n;

	if (r == 0)
		return "success";
	if (r > 0) {
		snprintf(b, sizeof(buf[0]), "return value %d", r);
		return b;
	}
	n = strerrorname_np(-r);
	if (n)
		return n;
	snprintf(b, sizeof(buf[0]), "errno %d", -r);
	return b;
}

/* @want: positive errnos, 0-terminated; @got: 0 or -errno */
static void expect_err_list(const char *what, int got, const int *want)
{
	char exp[160];
	size_t len = 0;
	int i;

	for (i = 0; want[i]; i++)
		if (got == -want[i])
			return;
	exp[0] = 0;
	for (i = 0; want[i] && len < sizeof(exp); i++)
		len += (size_t)snprintf(exp + len, sizeof(exp) - len, "%s%s",
					i ? " or " : "", errstr(-want[i]));
	FAIL("%s: expected %s, got %s", what, exp, errstr(got));
}

#define EXPECT_ERR(what, got, ...) \
	expect_err_list(what, got, (const int[]){ __VA_ARGS__, 0 })
#define EXPECT_OK(what, got)                                             \
	do {                                                             \
		int r_ = (got);                                          \
		if (r_)                                                  \
			FAIL("%s: expected success, got %s", what,       \
			     errstr(r_));                                \
	} while (0)

static const char *status_name(uint32_t s)
{
	static const char *const names[] = {
		"OK", "INVALID", "MMU_FAULT", "DMA_ERROR", "TIMEOUT",
		"ABORTED", "ERROR", "BAD_COMPLETION", "BANNED",
	};
	static char b[4][32];
	static unsigned int next;
	char *p;

	if (s < sizeof(names) / sizeof(names[0]))
		return names[s];
	p = b[next++ % 4];
	snprintf(p, sizeof(b[0]), "unknown status %u", s);
	return p;
}

/* ------------------------------------------------------------------------
 * Time
 */

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * NSEC + ts.tv_nsec;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* ------------------------------------------------------------------------
 * Devices
 */

static int read_hex(const char *path, unsigned int *v)
{
	char buf[32];
	FILE *f = fopen(path, "r");
	int ok;

	if (!f)
		return -1;
	ok = fgets(buf, sizeof(buf), f) != NULL;
	fclose(f);
	if (!ok)
		return -1;
	*v = (unsigned int)strtoul(buf, NULL, 16);
	return 0;
}

/* /dev/accel/accelN from sysfs's major:minor, if devtmpfs lacks it */
static void make_node(unsigned int n, const char *path)
{
	char sys[128], buf[32];
	unsigned int maj, min;
	FILE *f;

	snprintf(sys, sizeof(sys), "/sys/class/accel/accel%u/dev", n);
	f = fopen(sys, "r");
	if (!f)
		return;
	if (fgets(buf, sizeof(buf), f) &&
	    sscanf(buf, "%u:%u", &maj, &min) == 2) {
		mkdir("/dev/accel", 0755);
		mknod(path, S_IFCHR | 0600, makedev(maj, min));
	}
	fclose(f);
}

static int cmp_uint(const void *a, const void *b)
{
	unsigned int x = *(const unsigned int *)a, y = *(const unsigned int *)b;

	return x < y ? -1 : x > y;
}

/* The gconv accel nodes, lowest minor first. */
static int find_nodes(void)
{
	unsigned int idx[MAX_NODES];
	DIR *d = opendir("/sys/class/accel");
	struct dirent *e;
	int i, n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d)) && n < MAX_NODES) {
		char path[300];
		unsigned int a, ven, dev;

		if (sscanf(e->d_name, "accel%u", &a) != 1)
			continue;
		snprintf(path, sizeof(path),
			 "/sys/class/accel/%s/device/vendor", e->d_name);
		if (read_hex(path, &ven))
			continue;
		snprintf(path, sizeof(path),
			 "/sys/class/accel/%s/device/device", e->d_name);
		if (read_hex(path, &dev))
			continue;
		if (ven == GCONV_PCI_VENDOR_ID && dev == GCONV_PCI_DEVICE_ID)
			idx[n++] = a;
	}
	closedir(d);
	qsort(idx, (size_t)n, sizeof(idx[0]), cmp_uint);
	for (i = 0; i < n; i++) {
		snprintf(g_nodes[i], sizeof(g_nodes[i]), "/dev/accel/accel%u",
			 idx[i]);
		if (access(g_nodes[i], F_OK))
			make_node(idx[i], g_nodes[i]);
	}
	return n;
}

static int open_node(int i)
{
	int fd = open(g_nodes[i], O_RDWR | O_CLOEXEC);

	if (fd < 0)
		FAIL("open %s: expected a file descriptor, got %s",
		     g_nodes[i], errstr(-errno));
	return fd;
}

/* ------------------------------------------------------------------------
 * Ioctls (0 or -errno)
 */

static int xioctl(int fd, unsigned long req, void *arg)
{
	return drmIoctl(fd, req, arg) ? -errno : 0;
}

static int get_param(int fd, uint32_t p, uint64_t *v)
{
	struct drm_gconv_get_param gp = { .param = p };
	int r = xioctl(fd, DRM_IOCTL_GCONV_GET_PARAM, &gp);

	*v = gp.value;
	return r;
}

static uint64_t param(int fd, uint32_t p)
{
	uint64_t v;
	int r = get_param(fd, p, &v);

	if (r)
		FAIL("GET_PARAM %u: expected success, got %s", p, errstr(r));
	return v;
}

static int bo_create(int fd, uint64_t size, uint32_t flags,
		     struct drm_gconv_bo_create *c)
{
	memset(c, 0, sizeof(*c));
	c->size = size;
	c->flags = flags;
	return xioctl(fd, DRM_IOCTL_GCONV_BO_CREATE, c);
}

static int bo_info(int fd, uint32_t handle, struct drm_gconv_bo_info *i)
{
	memset(i, 0, sizeof(*i));
	i->handle = handle;
	return xioctl(fd, DRM_IOCTL_GCONV_BO_INFO, i);
}

static int gem_close(int fd, uint32_t handle)
{
	struct drm_gem_close c = { .handle = handle };

	return xioctl(fd, DRM_IOCTL_GEM_CLOSE, &c);
}

static void get_stats(int fd, struct drm_gconv_stats *s)
{
	int r;

	memset(s, 0, sizeof(*s));
	r = xioctl(fd, DRM_IOCTL_GCONV_GET_STATS, s);
	if (r)
		FAIL("GET_STATS: expected success, got %s", errstr(r));
}

static void submit_init(struct drm_gconv_submit *s, uint32_t chain,
			uint64_t off, uint64_t size, const uint32_t *bos,
			uint32_t nbos)
{
	memset(s, 0, sizeof(*s));
	s->chain_handle = chain;
	s->chain_offset = off;
	s->chain_size = size;
	s->bo_handles = (uintptr_t)bos;
	s->bo_count = nbos;
	s->priority = DRM_GCONV_PRIORITY_NORMAL;
}

static int submit(int fd, struct drm_gconv_submit *s)
{
	return xioctl(fd, DRM_IOCTL_GCONV_SUBMIT, s);
}

static uint64_t submit_ok(int fd, struct drm_gconv_submit *s,
			  const char *what)
{
	int r = submit(fd, s);

	if (r)
		FAIL("%s: SUBMIT: expected success, got %s", what, errstr(r));
	return s->job_id;
}

static int wait_job(int fd, uint64_t id, int64_t deadline,
		    struct drm_gconv_wait *w)
{
	memset(w, 0, sizeof(*w));
	w->job_id = id;
	w->timeout_ns = deadline;
	return xioctl(fd, DRM_IOCTL_GCONV_WAIT, w);
}

/* WAIT up to @secs for status @want */
static void wait_status(int fd, uint64_t id, int secs, uint32_t want,
			struct drm_gconv_wait *w, const char *what)
{
	struct drm_gconv_wait tmp;
	int r;

	if (!w)
		w = &tmp;
	r = wait_job(fd, id, now_ns() + secs * NSEC, w);
	if (r)
		FAIL("%s: WAIT: expected the job to end within %d s, got %s",
		     what, secs, errstr(r));
	if (w->status != want)
		FAIL("%s: expected status %s, got %s (info %#x, fault_addr %#llx)",
		     what, status_name(want), status_name(w->status), w->info,
		     ULL(w->fault_addr));
}

static uint32_t sync_create(int fd, uint32_t flags)
{
	uint32_t h = 0;

	if (drmSyncobjCreate(fd, flags, &h))
		FAIL("drmSyncobjCreate: expected success, got %s",
		     errstr(-errno));
	return h;
}

/* drmSyncobjWait, as 0 or -errno whatever libdrm's convention */
static int sync_wait(int fd, uint32_t h, int64_t deadline, uint32_t flags)
{
	int r = drmSyncobjWait(fd, &h, 1, deadline, flags, NULL);

	if (r > 0)
		return -r;
	if (r == -1 && errno != EPERM)
		return -errno;
	return r;
}

/* ------------------------------------------------------------------------
 * Buffer objects and chains
 */

struct bo {
	uint32_t handle;
	uint64_t addr;	/* device VA */
	uint64_t size;	/* rounded to pages */
	void *map;
};

static void *bo_mmap(int fd, uint32_t handle, uint64_t size)
{
	struct drm_gconv_bo_info i;
	void *p;
	int r = bo_info(fd, handle, &i);

	if (r)
		FAIL("BO_INFO of BO %u: expected success, got %s", handle,
		     errstr(r));
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		 (off_t)i.mmap_offset);
	if (p == MAP_FAILED)
		FAIL("mmap of BO %u (offset %#llx): expected a mapping, got %s",
		     handle, ULL(i.mmap_offset), errstr(-errno));
	return p;
}

static void bo_new(int fd, uint64_t size, uint32_t flags, struct bo *bo)
{
	struct drm_gconv_bo_create c;
	int r = bo_create(fd, size, flags, &c);

	if (r)
		FAIL("BO_CREATE of %llu bytes, flags %#x: expected success, got %s",
		     ULL(size), flags, errstr(r));
	bo->handle = c.handle;
	bo->addr = c.device_addr;
	bo->size = ROUND_UP(size, PAGE);
	bo->map = bo_mmap(fd, c.handle, bo->size);
}

static void fill_floats(void *p, size_t n, float v)
{
	float *f = p;
	size_t i;

	for (i = 0; i < n; i++)
		f[i] = v;
}

static void *encode(const struct gconv_desc *d, unsigned int n, size_t *len)
{
	struct gconv_chain_builder cb = { 0 };
	void *buf;
	unsigned int i;

	for (i = 0; i < n; i++)
		if (gconv_chain_append(&cb, &d[i]))
			FAIL("setup: gconv_chain_append: expected success, got an error");
	if (gconv_chain_encode(&cb, &buf, len))
		FAIL("setup: gconv_chain_encode: expected success, got an error");
	gconv_chain_builder_free(&cb);
	return buf;
}

/* A BO holding the chain of @n descriptors at offset 0. */
static size_t chain_bo(int fd, const struct gconv_desc *d, unsigned int n,
		       uint32_t flags, struct bo *bo)
{
	size_t len;
	void *chain = encode(d, n, &len);

	bo_new(fd, len, flags, bo);
	memcpy(bo->map, chain, len);
	free(chain);
	return len;
}

/* o[i] = a * x[i], i < n */
static void scale_desc(struct gconv_desc *d, uint64_t x, uint64_t o,
		       uint32_t n, float a)
{
	gconv_desc_init(d);
	d->k = n;
	d->main = GCONV_MAIN_TAKE_X;
	d->post = GCONV_POST_AFFINE;
	d->post_param[0] = gconv_f32_bits(a);
	d->post_param[1] = gconv_f32_bits(0.0f);
	gconv_operand_f32(&d->x, x, n, 0, 0, 1, 0, 0, 0);
	gconv_operand_f32(&d->o, o, n, 0, 0, 1, 0, 0, 0);
}

static struct gconv_desc *chain_desc(void *chain, uint32_t i)
{
	struct gconv_chain_header *h = chain;

	return (struct gconv_desc *)((uint8_t *)chain + h->header_size +
				     (size_t)i * h->desc_size);
}

/* Add @base to every used operand address. */
static void chain_relocate(void *chain, uint64_t base)
{
	struct gconv_chain_header *h = chain;
	uint32_t i;
	int j;

	for (i = 0; i < h->count; i++) {
		struct gconv_desc *d = chain_desc(chain, i);
		struct gconv_operand *ops[4] = { &d->x, &d->y, &d->b, &d->o };

		for (j = 0; j < 4; j++)
			if (ops[j]->dtype)
				ops[j]->addr += base;
	}
}

static void expect_floats(const char *what, const float *got,
			  const float *want, size_t n, double tol)
{
	size_t i;

	for (i = 0; i < n; i++) {
		double d = fabs((double)got[i] - (double)want[i]);

		if (!(d <= tol * fmax(1.0, fabs((double)want[i]))))
			FAIL("%s[%zu]: expected %.9g, got %.9g", what, i,
			     (double)want[i], (double)got[i]);
	}
}

static unsigned long long rng_next(unsigned long long *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545F4914F6CDD1DULL;
}

/* uniform in [-1, 1) */
static float rng_float(unsigned long long *s)
{
	return (float)((double)(rng_next(s) >> 40) / (double)(1ull << 23) - 1.0);
}

/*
 * A convolution job: y = relu(conv3x3(x, pad 1) + b) over C channels of
 * HW x HW to K channels, repeated @ndesc times in the chain (each repeat
 * recomputes the same output: a knob for the job's length).  The data BO
 * holds x [C][H][W], w [K][C][3][3], b [K] and o [K][H][W] (o filled with
 * SENTINEL); the chain BO holds the chain at offset 0.
 */
struct cjob {
	int fd;
	struct bo data, chain;
	size_t chain_len;
	uint32_t c, k, hw, ndesc;
	size_t x_off, y_off, b_off, o_off, total;	/* in floats */
	struct gconv_desc desc;
	float *expect;	/* the data image after the golden engine, or NULL */
	uint32_t bos[1];
};

static void cjob_desc(struct cjob *j, struct gconv_desc *d, uint64_t base)
{
	uint32_t c = j->c, k = j->k, hw = j->hw;

	gconv_desc_init(d);
	d->k = k, d->c = c, d->p = hw, d->q = hw, d->r = 3, d->s = 3;
	d->in_h = hw, d->in_w = hw;
	d->pad_top = d->pad_bottom = d->pad_left = d->pad_right = 1;
	d->combine = GCONV_COMBINE_ADD;
	d->post = GCONV_POST_RELU;
	gconv_operand_f32(&d->x, base + 4 * j->x_off, (uint64_t)c * hw * hw, 0,
			  0, 0, (uint64_t)hw * hw, hw, 1);
	gconv_operand_f32(&d->y, base + 4 * j->y_off, (uint64_t)k * c * 9, 0, 0,
			  (uint64_t)c * 9, 9, 3, 1);
	gconv_operand_f32(&d->b, base + 4 * j->b_off, k, 0, 0, 1, 0, 0, 0);
	gconv_operand_f32(&d->o, base + 4 * j->o_off, (uint64_t)k * hw * hw, 0,
			  0, (uint64_t)hw * hw, 0, hw, 1);
}

static void cjob_build(int fd, struct cjob *j, uint32_t c, uint32_t k,
		       uint32_t hw, uint32_t ndesc, unsigned long long seed,
		       int golden)
{
	unsigned long long s = seed * 2654435761ull + 12345;
	struct gconv_desc *descs;
	float *m;
	size_t i;

	memset(j, 0, sizeof(*j));
	j->fd = fd;
	j->c = c, j->k = k, j->hw = hw, j->ndesc = ndesc;
	j->x_off = 0;
	j->y_off = j->x_off + (size_t)c * hw * hw;
	j->b_off = j->y_off + (size_t)k * c * 9;
	j->o_off = j->b_off + k;
	j->total = j->o_off + (size_t)k * hw * hw;
	bo_new(fd, 4 * j->total, 0, &j->data);
	m = j->data.map;
	for (i = 0; i < j->o_off; i++)
		m[i] = rng_float(&s);
	fill_floats(m + j->o_off, j->total - j->o_off, SENTINEL);
	cjob_desc(j, &j->desc, j->data.addr);
	descs = calloc(ndesc, sizeof(*descs));
	if (!descs)
		FAIL("setup: out of memory");
	for (i = 0; i < ndesc; i++)
		descs[i] = j->desc;
	j->chain_len = chain_bo(fd, descs, ndesc, 0, &j->chain);
	free(descs);
	j->bos[0] = j->data.handle;
	if (golden) {
		j->expect = malloc(4 * j->total);
		if (!j->expect)
			FAIL("setup: out of memory");
		memcpy(j->expect, m, 4 * j->total);
		if (gconv_golden_run_desc(&j->desc, j->expect + j->x_off,
					  j->expect + j->y_off,
					  j->expect + j->b_off,
					  j->expect + j->o_off))
			FAIL("setup: the golden engine failed on the CPU");
	}
}

static uint64_t cjob_submit(struct cjob *j, uint32_t in_sync,
			    uint32_t out_sync, uint32_t prio)
{
	struct drm_gconv_submit s;

	submit_init(&s, j->chain.handle, 0, j->chain_len, j->bos, 1);
	s.in_syncobj = in_sync;
	s.out_syncobj = out_sync;
	s.priority = prio;
	return submit_ok(j->fd, &s, "conv job");
}

static double conv_ref(const struct cjob *j, const float *m, uint32_t k,
		       uint32_t p, uint32_t q, double *abs_sum)
{
	double acc = m[j->b_off + k];
	uint32_t c, r, s, hw = j->hw;

	*abs_sum = fabs(acc);
	for (c = 0; c < j->c; c++)
		for (r = 0; r < 3; r++)
			for (s = 0; s < 3; s++) {
				int ih = (int)p + (int)r - 1, iw = (int)q + (int)s - 1;
				double t;

				if (ih < 0 || iw < 0 || ih >= (int)hw ||
				    iw >= (int)hw)
					continue;
				t = (double)m[j->x_off + ((size_t)c * hw + (size_t)ih) * hw + (size_t)iw] *
				    m[j->y_off + (((size_t)k * j->c + c) * 3 + r) * 3 + s];
				acc += t;
				*abs_sum += fabs(t);
			}
	return acc > 0 ? acc : 0;
}

/* The data BO against the golden image, or spot checks by direct loops. */
static void cjob_check(const struct cjob *j, const char *what)
{
	const float *m = j->data.map;
	unsigned long long s = 99;
	char name[160];
	int i;

	if (j->expect) {
		snprintf(name, sizeof(name), "%s: input", what);
		expect_floats(name, m, j->expect, j->o_off, 0);
		snprintf(name, sizeof(name), "%s: output", what);
		expect_floats(name, m + j->o_off, j->expect + j->o_off,
			      j->total - j->o_off, 1e-6);
		return;
	}
	for (i = 0; i < 24; i++) {
		uint32_t k, p, q;
		double abs_sum, want, got;

		if (i < 4) { /* corners of the first and last channel */
			k = i & 1 ? j->k - 1 : 0;
			p = q = i & 2 ? j->hw - 1 : 0;
		} else {
			k = (uint32_t)(rng_next(&s) % j->k);
			p = (uint32_t)(rng_next(&s) % j->hw);
			q = (uint32_t)(rng_next(&s) % j->hw);
		}
		want = conv_ref(j, m, k, p, q, &abs_sum);
		got = m[j->o_off + ((size_t)k * j->hw + p) * j->hw + q];
		if (!(fabs(got - want) <= 4e-5 * abs_sum + 1e-6))
			FAIL("%s: output[k=%u,p=%u,q=%u]: expected %.7g, got %.7g",
			     what, k, p, q, want, got);
	}
}

/*
 * The long job: a 64-channel 64x64 conv repeated so that the job takes
 * about LONG_TARGET_MS.  One descriptor is timed once (in its own file)
 * and the count is kept for every later subtest.
 */
#define LONG_C	64
#define LONG_K	64
#define LONG_HW	64

static uint32_t long_ndesc(void)
{
	struct drm_gconv_wait w;
	struct cjob j;
	int64_t t0;
	double ms, n;
	uint64_t id;
	int fd;

	if (g_shared->long_ndesc)
		return g_shared->long_ndesc;
	fd = open_node(0);
	cjob_build(fd, &j, LONG_C, LONG_K, LONG_HW, 1, 77, 0);
	t0 = now_ns();
	id = cjob_submit(&j, 0, 0, DRM_GCONV_PRIORITY_NORMAL);
	wait_status(fd, id, 60, DRM_GCONV_JOB_OK, &w,
		    "calibration of the long job");
	ms = (double)(now_ns() - t0) / 1e6;
	cjob_check(&j, "calibration of the long job");
	n = ceil(LONG_TARGET_MS / (ms > 0.1 ? ms : 0.1));
	if (n < 1)
		n = 1;
	if (n > 1024)
		n = 1024;
	close(fd);
	g_shared->long_one_ms = ms;
	g_shared->long_ndesc = (uint32_t)n;
	printf("# long job: one %ux%ux%ux%u conv took %.0f ms; using %u of them\n",
	       LONG_C, LONG_K, LONG_HW, LONG_HW, ms, g_shared->long_ndesc);
	return g_shared->long_ndesc;
}

static double long_ms(void)
{
	return g_shared->long_one_ms * long_ndesc();
}

static void long_job(int fd, struct cjob *j, unsigned long long seed)
{
	cjob_build(fd, j, LONG_C, LONG_K, LONG_HW, long_ndesc(), seed, 0);
}

struct range {
	uint64_t addr, size;
};

static int overlaps(uint64_t a, uint64_t as, uint64_t b, uint64_t bs)
{
	return a < b + bs && b < a + as;
}

/* A device VA range of @span bytes that none of @r touches. */
static uint64_t unused_va(int fd, const struct range *r, int n, uint64_t span)
{
	uint64_t start = param(fd, DRM_GCONV_PARAM_VA_START);
	uint64_t end = param(fd, DRM_GCONV_PARAM_VA_END);
	uint64_t cand[4];
	int i, k;

	cand[0] = end - 16 * PAGE;
	cand[1] = start + ((end - start) / 2 & ~(PAGE - 1));
	cand[2] = end - 1024 * PAGE;
	cand[3] = start + 4096 * PAGE;
	for (i = 0; i < 4; i++) {
		if (cand[i] < start || cand[i] + span > end)
			continue;
		for (k = 0; k < n; k++)
			if (overlaps(cand[i], span, r[k].addr, r[k].size))
				break;
		if (k == n)
			return cand[i];
	}
	FAIL("setup: expected an unused device VA in [%#llx, %#llx), got none",
	     ULL(start), ULL(end));
}

/* ------------------------------------------------------------------------
 * GET_PARAM
 */

static void t_get_param(void)
{
	static const struct {
		uint32_t p;
		const char *name;
		uint64_t want;
		int exact;
	} tab[] = {
		{ DRM_GCONV_PARAM_DEVICE_ID, "DEVICE_ID", GCONV_PCI_DEVICE_ID, 1 },
		{ DRM_GCONV_PARAM_HW_VERSION, "HW_VERSION",
		  GCONV_HW_VERSION_VALUE, 1 },
		{ DRM_GCONV_PARAM_ISA_VERSION, "ISA_VERSION",
		  GCONV_ISA_VERSION_MAJOR << 16 | GCONV_ISA_VERSION_MINOR, 1 },
		{ DRM_GCONV_PARAM_NUM_QUEUES, "NUM_QUEUES", GCONV_HW_NUM_QUEUES, 1 },
		{ DRM_GCONV_PARAM_NUM_CONTEXTS, "NUM_CONTEXTS",
		  GCONV_HW_NUM_CONTEXTS, 1 },
		{ DRM_GCONV_PARAM_MAX_CHAIN_LEN, "MAX_CHAIN_LEN",
		  GCONV_HW_MAX_CHAIN_LEN, 1 },
		{ DRM_GCONV_PARAM_DTYPES, "DTYPES", 1u << GCONV_DTYPE_F32, 1 },
		{ DRM_GCONV_PARAM_MAX_DIM, "MAX_DIM", GCONV_HW_MAX_DIM, 1 },
		{ DRM_GCONV_PARAM_PAGE_SIZE, "PAGE_SIZE", GCONV_HW_PAGE_SIZE, 1 },
		{ DRM_GCONV_PARAM_VA_START, "VA_START", 0, 0 },
		{ DRM_GCONV_PARAM_VA_END, "VA_END", 0, 0 },
		{ DRM_GCONV_PARAM_MAX_CHAIN_BYTES, "MAX_CHAIN_BYTES",
		  GCONV_HW_MAX_CHAIN_BYTES, 1 },
		{ DRM_GCONV_PARAM_MAX_OPERAND_BYTES, "MAX_OPERAND_BYTES",
		  GCONV_HW_MAX_OPERAND_BYTES, 1 },
		{ DRM_GCONV_PARAM_CLOCK_KHZ, "CLOCK_KHZ", 0, 0 },
	};
	uint64_t v[sizeof(tab) / sizeof(tab[0])], start = 0, end = 0;
	size_t i;
	int fd = open_node(0), dev;

	for (dev = 0; dev < g_nnodes; dev++) {
		if (dev)
			fd = open_node(dev);
		for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
			char what[128];
			int r = get_param(fd, tab[i].p, &v[i]);

			snprintf(what, sizeof(what), "%.63s: GET_PARAM %.20s",
				 g_nodes[dev], tab[i].name);
			EXPECT_OK(what, r);
			if (tab[i].exact && v[i] != tab[i].want)
				FAIL("%s: expected %#llx, got %#llx", what,
				     ULL(tab[i].want), ULL(v[i]));
		}
		start = v[9];
		end = v[10];
		if (!(start < end))
			FAIL("%s: expected VA_START < VA_END, got VA_START %#llx, VA_END %#llx",
			     g_nodes[dev], ULL(start), ULL(end));
		if (start % PAGE || end % PAGE)
			FAIL("%s: expected page-aligned VA_START and VA_END, got %#llx and %#llx",
			     g_nodes[dev], ULL(start), ULL(end));
		if (end > 1ull << GCONV_HW_VA_BITS)
			FAIL("%s: expected VA_END <= 2^%d, got %#llx",
			     g_nodes[dev], GCONV_HW_VA_BITS, ULL(end));
		if (end - start < 64ull << 20)
			FAIL("%s: expected a VA range of at least 64 MiB, got %llu bytes",
			     g_nodes[dev], ULL(end - start));
		close(fd);
	}
	note("VA [%#llx, %#llx), CLOCK_KHZ %llu", ULL(start), ULL(end),
	     ULL(v[13]));
}

static void t_get_param_unknown(void)
{
	static const uint32_t bad[] = { DRM_GCONV_PARAM_CLOCK_KHZ + 1, 0x100,
					0x7fffffff, 0xffffffff };
	int fd = open_node(0);
	uint64_t v;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char what[64];

		snprintf(what, sizeof(what), "GET_PARAM param %#x", bad[i]);
		EXPECT_ERR(what, get_param(fd, bad[i], &v), EINVAL);
	}
}

static void t_get_param_reserved(void)
{
	static const uint32_t res[] = { 1, 0x80000000u };
	int fd = open_node(0);
	size_t i;

	for (i = 0; i < sizeof(res) / sizeof(res[0]); i++) {
		struct drm_gconv_get_param gp = {
			.param = DRM_GCONV_PARAM_NUM_QUEUES,
			.reserved = res[i],
		};
		char what[64];

		snprintf(what, sizeof(what), "GET_PARAM with reserved %#x",
			 res[i]);
		EXPECT_ERR(what, xioctl(fd, DRM_IOCTL_GCONV_GET_PARAM, &gp),
			   EINVAL);
	}
}

/* ------------------------------------------------------------------------
 * BO_CREATE, BO_INFO, mmap
 */

static void t_bo_create(void)
{
	static const uint64_t sizes[] = { 1, 4096, 1 << 20, 4097, 3 };
	struct range got[5];
	int fd = open_node(0);
	uint64_t start = param(fd, DRM_GCONV_PARAM_VA_START);
	uint64_t end = param(fd, DRM_GCONV_PARAM_VA_END);
	uint32_t handles[5];
	size_t i, k;

	for (i = 0; i < 5; i++) {
		struct drm_gconv_bo_create c;
		char what[64];
		uint64_t sz = ROUND_UP(sizes[i], PAGE);

		snprintf(what, sizeof(what), "BO_CREATE of %llu bytes",
			 ULL(sizes[i]));
		EXPECT_OK(what, bo_create(fd, sizes[i], 0, &c));
		if (!c.handle)
			FAIL("%s: expected a non-zero handle, got 0", what);
		if (c.device_addr % PAGE)
			FAIL("%s: expected a page-aligned device_addr, got %#llx",
			     what, ULL(c.device_addr));
		if (c.device_addr < start || c.device_addr + sz > end ||
		    c.device_addr + sz < c.device_addr)
			FAIL("%s: expected device_addr within [%#llx, %#llx), got [%#llx, %#llx)",
			     what, ULL(start), ULL(end), ULL(c.device_addr),
			     ULL(c.device_addr + sz));
		for (k = 0; k < i; k++) {
			if (handles[k] == c.handle)
				FAIL("%s: expected a new handle, got %u again",
				     what, c.handle);
			if (overlaps(c.device_addr, sz, got[k].addr,
				     got[k].size))
				FAIL("%s: expected no overlap with [%#llx, %#llx), got [%#llx, %#llx)",
				     what, ULL(got[k].addr),
				     ULL(got[k].addr + got[k].size),
				     ULL(c.device_addr),
				     ULL(c.device_addr + sz));
		}
		handles[i] = c.handle;
		got[i].addr = c.device_addr;
		got[i].size = sz;
	}
}

static void t_bo_create_read_only(void)
{
	struct drm_gconv_bo_create c;
	struct drm_gconv_bo_info i;
	int fd = open_node(0);

	EXPECT_OK("BO_CREATE with DEVICE_READ_ONLY",
		  bo_create(fd, 8192, DRM_GCONV_BO_DEVICE_READ_ONLY, &c));
	EXPECT_OK("BO_INFO of it", bo_info(fd, c.handle, &i));
	if (i.flags != DRM_GCONV_BO_DEVICE_READ_ONLY)
		FAIL("BO_INFO flags: expected %#x, got %#x",
		     DRM_GCONV_BO_DEVICE_READ_ONLY, i.flags);
	EXPECT_OK("BO_CREATE without flags", bo_create(fd, 8192, 0, &c));
	EXPECT_OK("BO_INFO of it", bo_info(fd, c.handle, &i));
	if (i.flags != 0)
		FAIL("BO_INFO flags: expected 0, got %#x", i.flags);
}

static void t_bo_create_size_zero(void)
{
	struct drm_gconv_bo_create c;
	struct drm_gconv_stats st;
	int fd = open_node(0);

	EXPECT_ERR("BO_CREATE of 0 bytes", bo_create(fd, 0, 0, &c), EINVAL);
	get_stats(fd, &st);
	if (st.bo_count)
		FAIL("bo_count after the failed create: expected 0, got %llu",
		     ULL(st.bo_count));
}

static void t_bo_create_unknown_flags(void)
{
	static const uint32_t bad[] = { 1u << 1, 1u << 31,
					~DRM_GCONV_BO_FLAGS };
	struct drm_gconv_bo_create c;
	int fd = open_node(0);
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char what[64];

		snprintf(what, sizeof(what), "BO_CREATE with flags %#x",
			 bad[i]);
		EXPECT_ERR(what, bo_create(fd, 4096, bad[i], &c), EINVAL);
	}
}

static void t_bo_create_reserved(void)
{
	static const uint64_t res[] = { 1, 1ull << 63 };
	int fd = open_node(0);
	size_t i;

	for (i = 0; i < sizeof(res) / sizeof(res[0]); i++) {
		struct drm_gconv_bo_create c = { .size = 4096,
						 .reserved = res[i] };
		char what[64];

		snprintf(what, sizeof(what), "BO_CREATE with reserved %#llx",
			 ULL(res[i]));
		EXPECT_ERR(what, xioctl(fd, DRM_IOCTL_GCONV_BO_CREATE, &c),
			   EINVAL);
	}
}

static void t_bo_create_huge(void)
{
	int fd = open_node(0);
	uint64_t start = param(fd, DRM_GCONV_PARAM_VA_START);
	uint64_t end = param(fd, DRM_GCONV_PARAM_VA_END);
	const uint64_t sizes[] = {
		1ull << 50, UINT64_MAX, UINT64_MAX - PAGE + 2,
		end - start + PAGE, 1ull << 48,
	};
	struct drm_gconv_bo_create c;
	struct drm_gconv_stats st;
	struct bo ok;
	size_t i;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		char what[64];

		snprintf(what, sizeof(what), "BO_CREATE of %#llx bytes",
			 ULL(sizes[i]));
		EXPECT_ERR(what, bo_create(fd, sizes[i], 0, &c), ENOMEM, EINVAL,
			   E2BIG, ENOSPC);
	}
	get_stats(fd, &st);
	if (st.bo_count || st.bo_bytes)
		FAIL("stats after the failed creates: expected 0 BOs of 0 bytes, got %llu of %llu",
		     ULL(st.bo_count), ULL(st.bo_bytes));
	bo_new(fd, 4096, 0, &ok); /* and the file still works */
}

static void t_bo_info_mmap(void)
{
	int fd = open_node(0);
	struct drm_gconv_bo_create c;
	struct drm_gconv_bo_info i, i2;
	uint32_t *p;
	size_t k, n = 3 * PAGE / 4;

	EXPECT_OK("BO_CREATE of 3 pages - 100 bytes",
		  bo_create(fd, 3 * PAGE - 100, 0, &c));
	EXPECT_OK("BO_INFO", bo_info(fd, c.handle, &i));
	if (i.device_addr != c.device_addr)
		FAIL("BO_INFO device_addr: expected %#llx (from BO_CREATE), got %#llx",
		     ULL(c.device_addr), ULL(i.device_addr));
	if (i.size != 3 * PAGE)
		FAIL("BO_INFO size: expected %llu (rounded up to pages), got %llu",
		     ULL(3 * PAGE), ULL(i.size));
	if (i.flags)
		FAIL("BO_INFO flags: expected 0, got %#x", i.flags);
	if (!i.mmap_offset || i.mmap_offset % PAGE)
		FAIL("BO_INFO mmap_offset: expected a non-zero page multiple, got %#llx",
		     ULL(i.mmap_offset));
	EXPECT_OK("second BO_INFO", bo_info(fd, c.handle, &i2));
	if (i2.mmap_offset != i.mmap_offset)
		FAIL("second BO_INFO mmap_offset: expected %#llx again, got %#llx",
		     ULL(i.mmap_offset), ULL(i2.mmap_offset));
	p = mmap(NULL, 3 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		 (off_t)i.mmap_offset);
	if (p == MAP_FAILED)
		FAIL("mmap on the accel fd at mmap_offset: expected a mapping, got %s",
		     errstr(-errno));
	for (k = 0; k < n; k++)
		p[k] = (uint32_t)(k * 2654435761u);
	munmap(p, 3 * PAGE);
	p = mmap(NULL, 3 * PAGE, PROT_READ, MAP_SHARED, fd,
		 (off_t)i.mmap_offset);
	if (p == MAP_FAILED)
		FAIL("second mmap: expected a mapping, got %s", errstr(-errno));
	for (k = 0; k < n; k++)
		if (p[k] != (uint32_t)(k * 2654435761u))
			FAIL("word %zu read back through a new mapping: expected %#x, got %#x",
			     k, (uint32_t)(k * 2654435761u), p[k]);
	munmap(p, 3 * PAGE);
}

static void t_bo_zero_filled(void)
{
	int fd = open_node(0);
	struct bo a, b;
	size_t k;

	bo_new(fd, 1 << 20, 0, &a);
	for (k = 0; k < (1 << 20) / 8; k++)
		if (((uint64_t *)a.map)[k])
			FAIL("a new 1 MiB BO at byte %zu: expected 0, got %#llx",
			     k * 8, ULL(((uint64_t *)a.map)[k]));
	memset(a.map, 0xa5, 1 << 20);
	munmap(a.map, 1 << 20);
	EXPECT_OK("GEM_CLOSE", gem_close(fd, a.handle));
	bo_new(fd, 1 << 20, 0, &b);
	for (k = 0; k < (1 << 20) / 8; k++)
		if (((uint64_t *)b.map)[k])
			FAIL("a BO created after freeing a dirty one, at byte %zu: expected 0, got %#llx",
			     k * 8, ULL(((uint64_t *)b.map)[k]));
}

static void t_bo_info_bad_handle(void)
{
	static const uint32_t bad[] = { 0, 0x7fffffff, 0xffffffff };
	struct drm_gconv_bo_info i;
	int fd = open_node(0);
	struct bo b;
	size_t k;

	for (k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		char what[64];

		snprintf(what, sizeof(what), "BO_INFO of handle %#x", bad[k]);
		EXPECT_ERR(what, bo_info(fd, bad[k], &i), ENOENT);
	}
	bo_new(fd, 4096, 0, &b);
	munmap(b.map, 4096);
	EXPECT_OK("GEM_CLOSE", gem_close(fd, b.handle));
	EXPECT_ERR("BO_INFO of a closed handle", bo_info(fd, b.handle, &i),
		   ENOENT);
}

static void t_bo_info_reserved(void)
{
	int fd = open_node(0);
	struct drm_gconv_bo_info i;
	struct bo b;

	bo_new(fd, 4096, 0, &b);
	memset(&i, 0, sizeof(i));
	i.handle = b.handle;
	i.reserved = 1;
	EXPECT_ERR("BO_INFO with reserved 1",
		   xioctl(fd, DRM_IOCTL_GCONV_BO_INFO, &i), EINVAL);
}

static void t_bo_mmap_beyond_size(void)
{
	int fd = open_node(0);
	struct drm_gconv_bo_info i;
	struct bo b;
	void *p;

	bo_new(fd, 4096, 0, &b);
	EXPECT_OK("BO_INFO", bo_info(fd, b.handle, &i));
	p = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		 (off_t)i.mmap_offset);
	if (p != MAP_FAILED)
		FAIL("mmap of 2 pages of a 1-page BO: expected an error, got a mapping");
	p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		 (off_t)(i.mmap_offset + PAGE));
	if (p != MAP_FAILED)
		FAIL("mmap one page past a 1-page BO: expected an error, got a mapping");
}

/* ------------------------------------------------------------------------
 * SUBMIT and WAIT: jobs that work
 */

static void t_submit_one_gconv(void)
{
	struct drm_gconv_wait w;
	struct cjob j;
	uint64_t id;
	int fd = open_node(0);

	cjob_build(fd, &j, 2, 4, 8, 1, 1, 1);
	id = cjob_submit(&j, 0, 0, DRM_GCONV_PRIORITY_NORMAL);
	wait_status(fd, id, 10, DRM_GCONV_JOB_OK, &w, "relu(conv3x3(x) + b)");
	cjob_check(&j, "relu(conv3x3(x) + b)");
}

static void t_submit_sample_network(void)
{
	struct sample_params prm;
	size_t len, mem_size, in_off, out_off, k;
	float *mem, in[SAMPLE_IN], want[SAMPLE_CLASSES];
	struct gconv_verror err;
	struct drm_gconv_submit s;
	struct bo data, cbo;
	void *chain;
	uint64_t id;
	int fd = open_node(0);

	sample_params_random(&prm, 7);
	if (sample_chain_build(&prm, &chain, &len, &mem, &mem_size, &in_off,
			       &out_off))
		FAIL("setup: sample_chain_build: expected success, got an error");
	for (k = 0; k < SAMPLE_IN; k++)
		in[k] = mem[in_off / 4 + k] = (float)sin(0.37 * (double)k);
	bo_new(fd, mem_size, 0, &data);
	memcpy(data.map, mem, mem_size);
	bo_new(fd, len, 0, &cbo);
	memcpy(cbo.map, chain, len);
	chain_relocate(cbo.map, data.addr);
	if (gconv_golden_run_chain(chain, len, mem, mem_size, &err))
		FAIL("setup: golden engine: expected success, got %s",
		     gconv_verr_str(err.code));
	sample_reference(&prm, in, want);
	submit_init(&s, cbo.handle, 0, len, &data.handle, 1);
	id = submit_ok(fd, &s, "sample network");
	wait_status(fd, id, 10, DRM_GCONV_JOB_OK, NULL, "sample network");
	expect_floats("memory image against the golden engine", data.map, mem,
		      mem_size / 4, 1e-6);
	expect_floats("probabilities against direct loops",
		      (float *)data.map + out_off / 4, want, SAMPLE_CLASSES,
		      1e-5);
	free(chain);
	free(mem);
}

static void t_chain_at_offset(void)
{
	struct drm_gconv_submit s;
	struct bo cbo;
	struct cjob j;
	uint64_t id;
	int fd = open_node(0);

	cjob_build(fd, &j, 1, 3, 6, 1, 21, 1);
	bo_new(fd, 2 * PAGE + j.chain_len, 0, &cbo);
	memcpy((uint8_t *)cbo.map + PAGE + 8, j.chain.map, j.chain_len);
	submit_init(&s, cbo.handle, PAGE + 8, j.chain_len, j.bos, 1);
	id = submit_ok(fd, &s, "chain at offset 4104");
	wait_status(fd, id, 10, DRM_GCONV_JOB_OK, NULL, "chain at offset 4104");
	cjob_check(&j, "chain at offset 4104");
}

static void t_chain_in_read_only_bo(void)
{
	struct drm_gconv_submit s;
	struct bo cbo;
	struct cjob j;
	uint64_t id;
	int fd = open_node(0);

	cjob_build(fd, &j, 1, 3, 6, 1, 22, 1);
	bo_new(fd, j.chain_len, DRM_GCONV_BO_DEVICE_READ_ONLY, &cbo);
	memcpy(cbo.map, j.chain.map, j.chain_len);
	submit_init(&s, cbo.handle, 0, j.chain_len, j.bos, 1);
	id = submit_ok(fd, &s, "chain in a DEVICE_READ_ONLY BO");
	wait_status(fd, id, 10, DRM_GCONV_JOB_OK, NULL,
		    "chain in a DEVICE_READ_ONLY BO");
	cjob_check(&j, "chain in a DEVICE_READ_ONLY BO");
}

static void t_submit_without_bo_list(void)
{
	struct drm_gconv_submit s;
	struct cjob j;
	uint64_t id;
	int fd = open_node(0);

	cjob_build(fd, &j, 2, 2, 5, 1, 23, 1);
	submit_init(&s, j.chain.handle, 0, j.chain_len, NULL, 0);
	id = submit_ok(fd, &s, "bo_count 0");
	wait_status(fd, id, 10, DRM_GCONV_JOB_OK, NULL, "bo_count 0");
	cjob_check(&j, "bo_count 0");
}

static void t_submit_all_priorities(void)
{
	static const uint32_t prio[] = { DRM_GCONV_PRIORITY_LOW,
					 DRM_GCONV_PRIORITY_NORMAL,
					 DRM_GCONV_PRIORITY_HIGH };
	struct cjob j[3];
	uint64_t id[3];
	int fd = open_node(0), i;

	for (i = 0; i < 3; i++) {
		cjob_build(fd, &j[i], 2, 3, 6, 1, 30 + (unsigned int)i, 1);
		id[i] = cjob_submit(&j[i], 0, 0, prio[i]);
	}
	for (i = 0; i < 3; i++) {
		char what[32];

		snprintf(what, sizeof(what), "priority %u", prio[i]);
		wait_status(fd, id[i], 10, DRM_GCONV_JOB_OK, NULL, what);
		cjob_check(&j[i], what);
	}
}

static void t_many_jobs_in_flight(void)
{
	enum { N = 200 };
	struct drm_gconv_submit s;
	static uint64_t id[N];
	struct cjob j;
	int fd = open_node(0), i;

	cjob_build(fd, &j, 2, 4, 8, 1, 40, 1);
	for (i = 0; i < N; i++) {
		char what[32];

		snprintf(what, sizeof(what), "job %d of %d", i, N);
		submit_init(&s, j.chain.handle, 0, j.chain_len, j.bos, 1);
		id[i] = submit_ok(fd, &s, what);
	}
	for (i = 0; i < N; i++) {
		char what[32];

		snprintf(what, sizeof(what), "job %d of %d", i, N);
		wait_status(fd, id[i], 60, DRM_GCONV_JOB_OK, NULL, what);
	}
	for (i = 1; i < N; i++)
		if (id[i] == id[i - 1])
			FAIL("job ids: expected distinct ids, got %llu twice",
			     ULL(id[i]));
	cjob_check(&j, "after 200 jobs");
}

/* ------------------------------------------------------------------------
 * SUBMIT: every rejected submission, -errno and no job created
 */

struct neg {
	int fd;
	struct cjob j;
	uint32_t sync;
	struct drm_gconv_submit s;	/* a valid submission */
	struct drm_gconv_stats before;
};

static void neg_setup(struct neg *n)
{
	n->fd = open_node(0);
	cjob_build(n->fd, &n->j, 1, 2, 4, 1, 5, 1);
	n->sync = sync_create(n->fd, 0);
	submit_init(&n->s, n->j.chain.handle, 0, n->j.chain_len, n->j.bos, 1);
	n->s.out_syncobj = n->sync;
	get_stats(n->fd, &n->before);
}

static void neg_try(struct neg *n, struct drm_gconv_submit *s,
		    const char *what, const int *want)
{
	struct drm_gconv_stats after;
	int r = submit(n->fd, s);

	expect_err_list(what, r, want);
	get_stats(n->fd, &after);
	if (after.jobs_submitted != n->before.jobs_submitted)
		FAIL("%s: expected no job created (jobs_submitted %llu), got jobs_submitted %llu",
		     what, ULL(n->before.jobs_submitted),
		     ULL(after.jobs_submitted));
	r = sync_wait(n->fd, n->sync, 0, DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT);
	if (r != -ETIME)
		FAIL("%s: expected the out_syncobj left without a fence (wait: ETIME), got %s",
		     what, errstr(r));
}

#define NEG_TRY(n, s, what, ...) \
	neg_try(n, s, what, (const int[]){ __VA_ARGS__, 0 })

/* The valid submission still works afterwards. */
static void neg_done(struct neg *n)
{
	uint64_t id = submit_ok(n->fd, &n->s, "the valid submission after the rejected ones");

	wait_status(n->fd, id, 10, DRM_GCONV_JOB_OK, NULL,
		    "the valid submission after the rejected ones");
	cjob_check(&n->j, "the valid submission after the rejected ones");
	if (sync_wait(n->fd, n->sync, now_ns() + 10 * NSEC, 0))
		FAIL("its out_syncobj: expected signalled, got not signalled");
}

static void t_submit_bad_chain_handle(void)
{
	struct drm_gconv_submit s;
	struct neg n;
	struct bo b;

	neg_setup(&n);
	s = n.s;
	s.chain_handle = 0;
	NEG_TRY(&n, &s, "chain_handle 0", ENOENT);
	s.chain_handle = 0x7fffffff;
	NEG_TRY(&n, &s, "chain_handle 0x7fffffff", ENOENT);
	bo_new(n.fd, n.j.chain_len, 0, &b);
	memcpy(b.map, n.j.chain.map, n.j.chain_len);
	EXPECT_OK("GEM_CLOSE", gem_close(n.fd, b.handle));
	s.chain_handle = b.handle;
	NEG_TRY(&n, &s, "chain_handle of a closed BO (still mmapped)", ENOENT);
	neg_done(&n);
}

static void t_submit_chain_offset_unaligned(void)
{
	static const uint64_t off[] = { 1, 4, 7, 12 };
	struct drm_gconv_submit s;
	struct neg n;
	size_t i;

	neg_setup(&n);
	for (i = 0; i < sizeof(off) / sizeof(off[0]); i++) {
		char what[64];

		s = n.s;
		s.chain_offset = off[i];
		snprintf(what, sizeof(what), "chain_offset %llu", ULL(off[i]));
		NEG_TRY(&n, &s, what, EINVAL);
	}
	neg_done(&n);
}

static void t_submit_chain_beyond_bo(void)
{
	struct drm_gconv_submit s;
	uint64_t bo_size;
	struct neg n;

	neg_setup(&n);
	bo_size = n.j.chain.size;
	s = n.s;
	s.chain_offset = bo_size - 64;
	NEG_TRY(&n, &s, "chain_offset = BO size - 64 with the whole chain", EINVAL);
	s = n.s;
	s.chain_size = bo_size + 8;
	NEG_TRY(&n, &s, "chain_size = BO size + 8", EINVAL);
	s = n.s;
	s.chain_offset = bo_size;
	s.chain_size = 64;
	NEG_TRY(&n, &s, "chain_offset = BO size", EINVAL);
	s = n.s;
	s.chain_offset = 1ull << 40;
	NEG_TRY(&n, &s, "chain_offset 2^40", EINVAL);
	neg_done(&n);
}

static void t_submit_chain_range_overflow(void)
{
	struct drm_gconv_submit s;
	struct neg n;

	neg_setup(&n);
	s = n.s;
	s.chain_offset = 0xfffffffffffff000ull;
	s.chain_size = 0x2000;
	NEG_TRY(&n, &s, "chain_offset + chain_size wrapping 2^64", EINVAL);
	s = n.s;
	s.chain_offset = 8;
	s.chain_size = UINT64_MAX - 7;
	NEG_TRY(&n, &s, "chain_size 2^64 - 8 at offset 8", EINVAL);
	s = n.s;
	s.chain_offset = UINT64_MAX & ~7ull;
	NEG_TRY(&n, &s, "chain_offset 2^64 - 8", EINVAL);
	neg_done(&n);
}

static void t_submit_chain_size_zero(void)
{
	struct drm_gconv_submit s;
	struct neg n;

	neg_setup(&n);
	s = n.s;
	s.chain_size = 0;
	NEG_TRY(&n, &s, "chain_size 0", EINVAL);
	neg_done(&n);
}

static void t_submit_chain_size_below_header(void)
{
	struct drm_gconv_submit s;
	struct neg n;

	neg_setup(&n);
	s = n.s;
	s.chain_size = 8;
	NEG_TRY(&n, &s, "chain_size 8", EINVAL);
	s.chain_size = sizeof(struct gconv_chain_header) - 8;
	NEG_TRY(&n, &s, "chain_size 56", EINVAL);
	neg_done(&n);
}

static void t_submit_chain_size_above_max(void)
{
	struct drm_gconv_submit s;
	struct neg n;
	uint64_t max;
	struct bo big;

	neg_setup(&n);
	max = param(n.fd, DRM_GCONV_PARAM_MAX_CHAIN_BYTES);
	bo_new(n.fd, max + PAGE, 0, &big);
	memcpy(big.map, n.j.chain.map, n.j.chain_len);
	s = n.s;
	s.chain_handle = big.handle;
	s.chain_size = max + 8;
	NEG_TRY(&n, &s, "chain_size MAX_CHAIN_BYTES + 8 (inside the BO)", EINVAL);
	/* the same BO and chain at a legal size work */
	s.chain_size = n.j.chain_len;
	s.out_syncobj = 0;
	submit_ok(n.fd, &s, "the chain at its own size in the big BO");
	get_stats(n.fd, &n.before);
	neg_done(&n);
}

static void t_submit_chain_truncated(void)
{
	struct drm_gconv_submit s;
	struct neg n;

	neg_setup(&n);
	s = n.s;
	s.chain_size = n.j.chain_len - 8;
	NEG_TRY(&n, &s, "chain_size 8 bytes below the header's total_size", EINVAL);
	s.chain_size = n.j.chain_len - sizeof(struct gconv_desc);
	NEG_TRY(&n, &s, "chain_size without its last descriptor", EINVAL);
	neg_done(&n);
}

/* The job's chain, altered by @edit, in a new BO; submitted: EINVAL. */
static void neg_chain_edit(struct neg *n, const char *what,
			   void (*edit)(void *chain))
{
	struct drm_gconv_submit s;
	struct bo b;

	bo_new(n->fd, n->j.chain_len, 0, &b);
	memcpy(b.map, n->j.chain.map, n->j.chain_len);
	edit(b.map);
	s = n->s;
	s.chain_handle = b.handle;
	NEG_TRY(n, &s, what, EINVAL);
}

static void edit_magic(void *chain)
{
	((struct gconv_chain_header *)chain)->magic ^= 0x01000000u;
}

static void edit_version(void *chain)
{
	((struct gconv_chain_header *)chain)->version_major = 2;
}

static void edit_post_op(void *chain)
{
	chain_desc(chain, 0)->post = GCONV_POST_COUNT;
}

static void edit_desc_reserved(void *chain)
{
	chain_desc(chain, 0)->reserved2[0] = 1;
}

static void edit_extent(void *chain)
{
	chain_desc(chain, 0)->x.extent -= 1;
}

static void t_submit_chain_bad_magic(void)
{
	struct neg n;

	neg_setup(&n);
	neg_chain_edit(&n, "chain with a bad magic", edit_magic);
	neg_chain_edit(&n, "chain with version_major 2", edit_version);
	neg_done(&n);
}

static void t_submit_chain_bad_descriptor(void)
{
	struct neg n;

	neg_setup(&n);
	neg_chain_edit(&n, "descriptor with an unknown post op", edit_post_op);
	neg_chain_edit(&n, "descriptor with reserved2[0] = 1",
		       edit_desc_reserved);
	neg_chain_edit(&n, "descriptor whose X extent is one element short",
		       edit_extent);
	neg_done(&n);
}

static void t_submit_unknown_flags(void)
{
	struct drm_gconv_submit s;
	struct neg n;

	neg_setup(&n);
	s = n.s;
	s.flags = 1;
	NEG_TRY(&n, &s, "SUBMIT flags 1", EINVAL);
	s.flags = 0x80000000u;
	NEG_TRY(&n, &s, "SUBMIT flags 0x80000000", EINVAL);
	neg_done(&n);
}

static void t_submit_reserved(void)
{
	struct drm_gconv_submit s;
	struct neg n;

	neg_setup(&n);
	s = n.s;
	s.reserved[0] = 1;
	NEG_TRY(&n, &s, "SUBMIT reserved[0] 1", EINVAL);
	s = n.s;
	s.reserved[1] = 1ull << 63;
	NEG_TRY(&n, &s, "SUBMIT reserved[1] 2^63", EINVAL);
	neg_done(&n);
}

static void t_submit_bad_priority(void)
{
	struct drm_gconv_submit s;
	struct neg n;

	neg_setup(&n);
	s = n.s;
	s.priority = DRM_GCONV_PRIORITY_HIGH + 1;
	NEG_TRY(&n, &s, "priority HIGH + 1", EINVAL);
	s.priority = 0xffffffffu;
	NEG_TRY(&n, &s, "priority 0xffffffff", EINVAL);
	neg_done(&n);
}

static void t_submit_bo_count_huge(void)
{
	struct drm_gconv_submit s;
	struct neg n;

	neg_setup(&n);
	s = n.s;
	s.bo_count = 1u << 20;
	NEG_TRY(&n, &s, "bo_count 2^20", EINVAL, E2BIG);
	s.bo_count = 0xffffffffu;
	NEG_TRY(&n, &s, "bo_count 0xffffffff", EINVAL, E2BIG);
	neg_done(&n);
}

static void t_submit_bo_handles_efault(void)
{
	struct drm_gconv_submit s;
	struct neg n;
	void *gone;

	neg_setup(&n);
	gone = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (gone == MAP_FAILED)
		FAIL("setup: mmap: expected a mapping, got %s", errstr(-errno));
	munmap(gone, PAGE);
	s = n.s;
	s.bo_handles = 0;
	NEG_TRY(&n, &s, "bo_handles NULL with bo_count 1", EFAULT);
	s.bo_handles = 16;
	NEG_TRY(&n, &s, "bo_handles 0x10", EFAULT);
	s.bo_handles = (uintptr_t)gone;
	NEG_TRY(&n, &s, "bo_handles in an unmapped page", EFAULT);
	s.bo_handles = 0xffff800000000000ull;
	NEG_TRY(&n, &s, "bo_handles a kernel address", EFAULT);
	neg_done(&n);
}

static void t_submit_bad_bo_handle(void)
{
	struct drm_gconv_submit s;
	uint32_t bos[3];
	struct neg n;

	neg_setup(&n);
	bos[0] = n.j.data.handle;
	bos[1] = 0x7fffffff;
	bos[2] = n.j.chain.handle;
	s = n.s;
	s.bo_handles = (uintptr_t)bos;
	s.bo_count = 3;
	NEG_TRY(&n, &s, "bo_handles holding 0x7fffffff", ENOENT);
	bos[1] = 0;
	NEG_TRY(&n, &s, "bo_handles holding 0", ENOENT);
	neg_done(&n);
}

static void t_submit_duplicate_bo_handle(void)
{
	struct drm_gconv_submit s;
	uint32_t bos[3];
	struct neg n;

	neg_setup(&n);
	bos[0] = n.j.data.handle;
	bos[1] = n.j.chain.handle;
	bos[2] = n.j.data.handle;
	s = n.s;
	s.bo_handles = (uintptr_t)bos;
	s.bo_count = 3;
	NEG_TRY(&n, &s, "bo_handles listing a BO twice", EINVAL);
	neg_done(&n);
}

static void t_submit_bad_in_syncobj(void)
{
	struct drm_gconv_submit s;
	struct neg n;

	neg_setup(&n);
	s = n.s;
	s.in_syncobj = 0x7fffffff;
	NEG_TRY(&n, &s, "in_syncobj 0x7fffffff", ENOENT);
	s.in_syncobj = n.j.data.handle == n.sync ? 0x7ffffffe : n.j.data.handle;
	/* a GEM handle is no syncobj handle (unless the numbers coincide) */
	if (s.in_syncobj != n.sync)
		NEG_TRY(&n, &s, "in_syncobj = a BO handle", ENOENT);
	neg_done(&n);
}

static void t_submit_bad_out_syncobj(void)
{
	struct drm_gconv_submit s;
	struct neg n;

	neg_setup(&n);
	s = n.s;
	s.out_syncobj = 0x7fffffff;
	NEG_TRY(&n, &s, "out_syncobj 0x7fffffff", ENOENT);
	neg_done(&n);
}

/* ------------------------------------------------------------------------
 * WAIT
 */

static void t_wait_unknown_job(void)
{
	static const uint64_t ids[] = { 0, 1ull << 40, UINT64_MAX };
	struct drm_gconv_wait w;
	int fd = open_node(0);
	size_t i;

	for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		char what[64];
		int64_t t0 = now_ns();

		snprintf(what, sizeof(what), "WAIT on job %#llx of a fresh file",
			 ULL(ids[i]));
		EXPECT_ERR(what, wait_job(fd, ids[i], now_ns() + 2 * NSEC, &w),
			   EINVAL, ENOENT);
		if (now_ns() - t0 > NSEC)
			FAIL("%s: expected an immediate error, got one after %lld ms",
			     what, (long long)((now_ns() - t0) / MSEC));
	}
}

static void t_wait_other_files_job(void)
{
	int fda = open_node(0), fdb = open_node(0);
	struct drm_gconv_wait w;
	struct cjob j;
	uint64_t id;

	cjob_build(fda, &j, 1, 2, 4, 1, 50, 1);
	id = cjob_submit(&j, 0, 0, DRM_GCONV_PRIORITY_NORMAL);
	EXPECT_ERR("WAIT in file B on a job of file A",
		   wait_job(fdb, id, now_ns() + 2 * NSEC, &w), EINVAL, ENOENT);
	wait_status(fda, id, 10, DRM_GCONV_JOB_OK, NULL, "the job in file A");
}

static void t_wait_reserved(void)
{
	struct drm_gconv_wait w;
	struct cjob j;
	uint64_t id;
	int fd = open_node(0);

	cjob_build(fd, &j, 1, 2, 4, 1, 51, 1);
	id = cjob_submit(&j, 0, 0, DRM_GCONV_PRIORITY_NORMAL);
	memset(&w, 0, sizeof(w));
	w.job_id = id;
	w.timeout_ns = now_ns() + 10 * NSEC;
	w.reserved = 1;
	EXPECT_ERR("WAIT with reserved 1",
		   xioctl(fd, DRM_IOCTL_GCONV_WAIT, &w), EINVAL);
	wait_status(fd, id, 10, DRM_GCONV_JOB_OK, NULL,
		    "WAIT without reserved afterwards");
}

/* A one-descriptor chain reading 64 floats at @x_va into @out. */
static uint64_t fault_job(int fd, uint64_t x_va, struct bo *out,
			  uint32_t out_sync)
{
	struct drm_gconv_submit s;
	struct gconv_desc d;
	struct bo cbo;
	size_t len;

	scale_desc(&d, x_va, out->addr, 64, 2.0f);
	len = chain_bo(fd, &d, 1, 0, &cbo);
	submit_init(&s, cbo.handle, 0, len, &out->handle, 1);
	s.out_syncobj = out_sync;
	return submit_ok(fd, &s, "job reading an unmapped VA");
}

static void t_wait_past_deadline_finished(void)
{
	struct drm_gconv_wait w;
	struct range used[2];
	struct cjob j;
	struct bo out;
	uint64_t id, bad;
	uint32_t sync;
	int fd = open_node(0), r;

	cjob_build(fd, &j, 1, 2, 4, 1, 52, 1);
	sync = sync_create(fd, 0);
	id = cjob_submit(&j, 0, sync, DRM_GCONV_PRIORITY_NORMAL);
	if (sync_wait(fd, sync, now_ns() + 10 * NSEC, 0))
		FAIL("out_syncobj: expected signalled within 10 s, got not signalled");
	r = wait_job(fd, id, 0, &w);
	if (r)
		FAIL("WAIT with deadline 0 on a finished job: expected its status, got %s",
		     errstr(r));
	if (w.status != DRM_GCONV_JOB_OK)
		FAIL("WAIT with deadline 0 on a finished job: expected status OK, got %s",
		     status_name(w.status));
	cjob_check(&j, "the finished job");

	/* the same for a failed job: its status, not ETIME */
	bo_new(fd, PAGE, 0, &out);
	used[0] = (struct range){ j.data.addr, j.data.size };
	used[1] = (struct range){ out.addr, out.size };
	bad = unused_va(fd, used, 2, 64 * PAGE);
	sync = sync_create(fd, 0);
	id = fault_job(fd, bad, &out, sync);
	if (sync_wait(fd, sync, now_ns() + 10 * NSEC, 0))
		FAIL("out_syncobj of a faulting job: expected signalled within 10 s, got not signalled");
	r = wait_job(fd, id, -1, &w);
	if (r)
		FAIL("WAIT with deadline -1 on a failed job: expected its status, got %s",
		     errstr(r));
	if (w.status != DRM_GCONV_JOB_MMU_FAULT)
		FAIL("WAIT with deadline -1 on a failed job: expected status MMU_FAULT, got %s",
		     status_name(w.status));
}

static void t_wait_past_deadline_running(void)
{
	struct drm_gconv_wait w;
	struct cjob j;
	uint64_t id;
	int64_t t0, dt;
	int fd = open_node(0), r;

	long_job(fd, &j, 53);
	id = cjob_submit(&j, 0, 0, DRM_GCONV_PRIORITY_NORMAL);
	t0 = now_ns();
	r = wait_job(fd, id, 0, &w);
	dt = now_ns() - t0;
	if (r != -ETIME)
		FAIL("WAIT with deadline 0 on a running job (~%.0f ms long): expected ETIME, got %s (status %s) after %lld ms",
		     long_ms(), errstr(r), status_name(w.status),
		     (long long)(dt / MSEC));
	if (dt > 500 * MSEC)
		FAIL("WAIT with deadline 0: expected to return at once, got %lld ms",
		     (long long)(dt / MSEC));
	wait_status(fd, id, 60, DRM_GCONV_JOB_OK, NULL, "the long job");
	cjob_check(&j, "the long job");
}

static void t_wait_times_out(void)
{
	struct drm_gconv_wait w;
	struct cjob j;
	uint64_t id;
	int64_t t0, t1, deadline;
	int fd = open_node(0), r;

	long_job(fd, &j, 54);
	id = cjob_submit(&j, 0, 0, DRM_GCONV_PRIORITY_NORMAL);
	t0 = now_ns();
	deadline = t0 + 50 * MSEC;
	r = wait_job(fd, id, deadline, &w);
	t1 = now_ns();
	if (r != -ETIME)
		FAIL("WAIT with a 50 ms deadline on a job of ~%.0f ms: expected ETIME, got %s (status %s) after %lld ms",
		     long_ms(), errstr(r), status_name(w.status),
		     (long long)((t1 - t0) / MSEC));
	if (t1 < deadline)
		FAIL("WAIT with a 50 ms deadline: expected to return at the deadline or later, got %lld us early",
		     (long long)((deadline - t1) / 1000));
	if (t1 - t0 < (int64_t)(long_ms() / 2) * MSEC) {
		r = wait_job(fd, id, 0, &w);
		if (r != -ETIME)
			FAIL("the job after the timed-out WAIT: expected still running (ETIME), got %s (status %s)",
			     errstr(r), status_name(w.status));
	}
	note("ETIME after %lld ms", (long long)((t1 - t0) / MSEC));
	wait_status(fd, id, 60, DRM_GCONV_JOB_OK, NULL,
		    "the job after the timed-out WAIT");
	cjob_check(&j, "the job after the timed-out WAIT");
}

static void on_alarm(int sig)
{
	(void)sig;
}

static void t_wait_interrupted_by_signal(void)
{
	struct itimerval it = { { 0, 0 }, { 0, 200000 } }, off = { { 0, 0 }, { 0, 0 } };
	struct sigaction sa;
	struct drm_gconv_wait w;
	struct cjob j;
	uint64_t id;
	int64_t t0, dt;
	int fd = open_node(0), r, e;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0; /* no SA_RESTART */
	sigaction(SIGALRM, &sa, NULL);
	long_job(fd, &j, 55);
	id = cjob_submit(&j, 0, 0, DRM_GCONV_PRIORITY_NORMAL);
	memset(&w, 0, sizeof(w));
	w.job_id = id;
	w.timeout_ns = now_ns() + 30 * NSEC;
	setitimer(ITIMER_REAL, &it, NULL);
	t0 = now_ns();
	/* ioctl(), not drmIoctl(): drmIoctl restarts on EINTR */
	r = ioctl(fd, DRM_IOCTL_GCONV_WAIT, &w);
	e = errno;
	dt = now_ns() - t0;
	setitimer(ITIMER_REAL, &off, NULL);
	if (r != -1 || e != EINTR)
		FAIL("WAIT interrupted by SIGALRM after 200 ms (job ~%.0f ms): expected EINTR, got %s after %lld ms (status %s)",
		     long_ms(), r ? errstr(-e) : "success",
		     (long long)(dt / MSEC), status_name(w.status));
	note("EINTR after %lld ms", (long long)(dt / MSEC));
	wait_status(fd, id, 60, DRM_GCONV_JOB_OK, NULL,
		    "the job after the interrupted WAIT");
	cjob_check(&j, "the job after the interrupted WAIT");
}

/* ------------------------------------------------------------------------
 * Faults
 */

static void t_mmu_fault_status(void)
{
	struct drm_gconv_wait w;
	struct range used[1];
	struct bo out;
	struct cjob j;
	uint64_t id, bad;
	int fd = open_node(0);
	uint64_t end = param(fd, DRM_GCONV_PARAM_VA_END);

	bo_new(fd, PAGE, 0, &out);
	fill_floats(out.map, 1024, SENTINEL);
	used[0] = (struct range){ out.addr, out.size };
	bad = end - 16 * PAGE;
	if (overlaps(bad, PAGE, out.addr, out.size))
		bad = unused_va(fd, used, 1, PAGE);
	id = fault_job(fd, bad, &out, 0);
	wait_status(fd, id, 10, DRM_GCONV_JOB_MMU_FAULT, &w,
		    "a chain reading an unmapped device VA");
	if (w.fault_addr < (bad & ~(PAGE - 1)) || w.fault_addr >= bad + 256)
		FAIL("fault_addr: expected in [%#llx, %#llx), got %#llx",
		     ULL(bad), ULL(bad + 256), ULL(w.fault_addr));
	expect_floats("output of the faulting job (untouched)", out.map,
		      (const float[]){ SENTINEL }, 1, 0);
	/* the device keeps working */
	cjob_build(fd, &j, 2, 3, 7, 1, 60, 1);
	id = cjob_submit(&j, 0, 0, DRM_GCONV_PRIORITY_NORMAL);
	wait_status(fd, id, 10, DRM_GCONV_JOB_OK, NULL,
		    "the next job after the fault");
	cjob_check(&j, "the next job after the fault");
}

static void t_fault_reports_descriptor_index(void)
{
	struct drm_gconv_submit s;
	struct drm_gconv_wait w;
	struct gconv_desc d[2];
	struct range used[2];
	struct bo data, cbo;
	float *m, want[64];
	uint64_t id, bad;
	size_t len;
	int fd = open_node(0), i;

	bo_new(fd, 3 * 256, 0, &data);
	m = data.map;
	for (i = 0; i < 64; i++) {
		m[i] = (float)i - 20.0f;
		want[i] = 3.0f * m[i];
	}
	fill_floats(m + 64, 128, SENTINEL);
	used[0] = (struct range){ data.addr, data.size };
	bo_new(fd, PAGE, 0, &cbo);
	used[1] = (struct range){ cbo.addr, cbo.size };
	bad = unused_va(fd, used, 2, PAGE);
	scale_desc(&d[0], data.addr, data.addr + 256, 64, 3.0f);
	scale_desc(&d[1], bad, data.addr + 512, 64, 3.0f);
	{
		void *chain = encode(d, 2, &len);

		memcpy(cbo.map, chain, len);
		free(chain);
	}
	submit_init(&s, cbo.handle, 0, len, &data.handle, 1);
	id = submit_ok(fd, &s, "two descriptors, the second faulting");
	wait_status(fd, id, 10, DRM_GCONV_JOB_MMU_FAULT, &w,
		    "two descriptors, the second faulting");
	if (w.info != 1)
		FAIL("info: expected 1 (the faulting descriptor), got %#x",
		     w.info);
	expect_floats("output of descriptor 0 (ran)", m + 64, want, 64, 0);
	for (i = 0; i < 64; i++)
		if (m[128 + i] != SENTINEL)
			FAIL("output of descriptor 1 (faulted)[%d]: expected %g (untouched), got %g",
			     i, (double)SENTINEL, (double)m[128 + i]);
}

static void t_bo_read_only_input_ok(void)
{
	struct drm_gconv_submit s;
	struct gconv_desc d;
	struct bo ro, out, cbo;
	uint32_t bos[2];
	float want[64];
	size_t len;
	uint64_t id;
	int fd = open_node(0), i;

	bo_new(fd, 256, DRM_GCONV_BO_DEVICE_READ_ONLY, &ro);
	bo_new(fd, 256, 0, &out);
	for (i = 0; i < 64; i++) {
		((float *)ro.map)[i] = (float)i * 0.25f;
		want[i] = (float)i * 0.5f;
	}
	fill_floats(out.map, 64, SENTINEL);
	scale_desc(&d, ro.addr, out.addr, 64, 2.0f);
	len = chain_bo(fd, &d, 1, 0, &cbo);
	bos[0] = ro.handle;
	bos[1] = out.handle;
	submit_init(&s, cbo.handle, 0, len, bos, 2);
	id = submit_ok(fd, &s, "reading a DEVICE_READ_ONLY BO");
	wait_status(fd, id, 10, DRM_GCONV_JOB_OK, NULL,
		    "reading a DEVICE_READ_ONLY BO");
	expect_floats("output", out.map, want, 64, 0);
}

static void t_bo_read_only_output_faults(void)
{
	struct drm_gconv_submit s;
	struct drm_gconv_wait w;
	struct gconv_desc d;
	struct bo ro, in, cbo;
	uint32_t bos[2];
	size_t len;
	uint64_t id;
	int fd = open_node(0), i;

	bo_new(fd, 256, DRM_GCONV_BO_DEVICE_READ_ONLY, &ro);
	bo_new(fd, 256, 0, &in);
	fill_floats(ro.map, 64, 7.0f);
	for (i = 0; i < 64; i++)
		((float *)in.map)[i] = (float)i;
	scale_desc(&d, in.addr, ro.addr, 64, 2.0f);
	len = chain_bo(fd, &d, 1, 0, &cbo);
	bos[0] = in.handle;
	bos[1] = ro.handle;
	submit_init(&s, cbo.handle, 0, len, bos, 2);
	id = submit_ok(fd, &s, "writing a DEVICE_READ_ONLY BO");
	wait_status(fd, id, 10, DRM_GCONV_JOB_MMU_FAULT, &w,
		    "writing a DEVICE_READ_ONLY BO");
	if (w.fault_addr < ro.addr || w.fault_addr >= ro.addr + ro.size)
		FAIL("fault_addr: expected in the read-only BO [%#llx, %#llx), got %#llx",
		     ULL(ro.addr), ULL(ro.addr + ro.size), ULL(w.fault_addr));
	for (i = 0; i < 64; i++)
		if (((float *)ro.map)[i] != 7.0f)
			FAIL("read-only BO[%d] after the job: expected 7 (untouched), got %g",
			     i, (double)((float *)ro.map)[i]);
}

/* ------------------------------------------------------------------------
 * Files are isolated from each other
 */

static void t_wrong_file_handles(void)
{
	int fda = open_node(0), fdb = open_node(0);
	struct drm_gconv_bo_info info;
	struct drm_gconv_submit s;
	struct bo a[8];
	struct cjob jb;
	uint32_t ha = 0, bos[2];
	uint64_t id;
	int i, pfd;

	for (i = 0; i < 8; i++) {
		bo_new(fda, PAGE, 0, &a[i]);
		if (a[i].handle > ha)
			ha = a[i].handle;
	}
	EXPECT_ERR("BO_INFO in file B of file A's handle",
		   bo_info(fdb, ha, &info), ENOENT);
	cjob_build(fdb, &jb, 1, 2, 4, 1, 70, 1);
	if (ha == jb.data.handle || ha == jb.chain.handle)
		FAIL("setup: expected file A's handle %u unused in file B, got it used",
		     ha);
	submit_init(&s, ha, 0, jb.chain_len, jb.bos, 1);
	EXPECT_ERR("SUBMIT in file B with file A's handle as chain_handle",
		   submit(fdb, &s), ENOENT);
	bos[0] = jb.data.handle;
	bos[1] = ha;
	submit_init(&s, jb.chain.handle, 0, jb.chain_len, bos, 2);
	EXPECT_ERR("SUBMIT in file B with file A's handle in bo_handles",
		   submit(fdb, &s), ENOENT);
	pfd = -1;
	EXPECT_ERR("PRIME export in file B of file A's handle",
		   drmPrimeHandleToFD(fdb, ha, DRM_CLOEXEC, &pfd) ? -errno : 0,
		   ENOENT);
	id = cjob_submit(&jb, 0, 0, DRM_GCONV_PRIORITY_NORMAL);
	wait_status(fdb, id, 10, DRM_GCONV_JOB_OK, NULL,
		    "file B's own job afterwards");
	cjob_check(&jb, "file B's own job afterwards");
}

/*
 * File A's BOs (filled with a secret) and, in file B, a chain BO and a
 * data BO; *@victim is one of A's BOs whose VA range B has not mapped.
 */
static void cross_file_setup(int fda, int fdb, struct bo a[8], struct bo *cb,
			     struct bo *bb, struct bo **victim)
{
	int i;

	bo_new(fdb, PAGE, 0, cb);
	bo_new(fdb, PAGE, 0, bb);
	*victim = NULL;
	for (i = 0; i < 8; i++) {
		bo_new(fda, 4 * PAGE, 0, &a[i]);
		fill_floats(a[i].map, 4 * PAGE / 4, 1234.5f + (float)i);
		if (!*victim && !overlaps(a[i].addr, a[i].size, cb->addr, cb->size) &&
		    !overlaps(a[i].addr, a[i].size, bb->addr, bb->size))
			*victim = &a[i];
	}
	if (!*victim)
		FAIL("setup: expected one of file A's 8 BOs outside file B's two, got none");
}

static void t_wrong_file_va_read_faults(void)
{
	int fda = open_node(0), fdb = open_node(0);
	struct drm_gconv_submit s;
	struct drm_gconv_wait w;
	struct gconv_desc d;
	struct bo a[8], cb, out, *v;
	void *chain;
	size_t len;
	uint64_t id;
	int i;

	cross_file_setup(fda, fdb, a, &cb, &out, &v);
	fill_floats(out.map, 64, SENTINEL);
	scale_desc(&d, v->addr, out.addr, 64, 1.0f);
	chain = encode(&d, 1, &len);
	memcpy(cb.map, chain, len);
	free(chain);
	submit_init(&s, cb.handle, 0, len, &out.handle, 1);
	id = submit_ok(fdb, &s, "file B reading file A's device address");
	wait_job(fdb, id, now_ns() + 10 * NSEC, &w);
	for (i = 0; i < 64; i++)
		if (((float *)out.map)[i] == ((float *)v->map)[0])
			FAIL("file B reading file A's device address %#llx: expected MMU_FAULT, got status %s and file A's data in B's output",
			     ULL(v->addr), status_name(w.status));
	if (w.status != DRM_GCONV_JOB_MMU_FAULT)
		FAIL("file B reading file A's device address %#llx: expected MMU_FAULT, got %s",
		     ULL(v->addr), status_name(w.status));
	for (i = 0; i < 64; i++)
		if (((float *)out.map)[i] != SENTINEL)
			FAIL("file B's output[%d]: expected %g (untouched), got %g",
			     i, (double)SENTINEL, (double)((float *)out.map)[i]);
}

static void t_wrong_file_va_write_faults(void)
{
	int fda = open_node(0), fdb = open_node(0);
	struct drm_gconv_submit s;
	struct drm_gconv_wait w;
	struct gconv_desc d;
	struct bo a[8], cb, in, *v;
	void *chain;
	size_t len;
	uint64_t id;
	int i, k;

	cross_file_setup(fda, fdb, a, &cb, &in, &v);
	fill_floats(in.map, 64, -5.0f);
	scale_desc(&d, in.addr, v->addr, 64, 1.0f);
	chain = encode(&d, 1, &len);
	memcpy(cb.map, chain, len);
	free(chain);
	submit_init(&s, cb.handle, 0, len, &in.handle, 1);
	id = submit_ok(fdb, &s, "file B writing file A's device address");
	wait_status(fdb, id, 10, DRM_GCONV_JOB_MMU_FAULT, &w,
		    "file B writing file A's device address");
	for (k = 0; k < 8; k++)
		for (i = 0; i < (int)(4 * PAGE / 4); i++)
			if (((float *)a[k].map)[i] != 1234.5f + (float)k)
				FAIL("file A's BO %d float %d after file B's job: expected %g, got %g",
				     k, i, 1234.5 + k,
				     (double)((float *)a[k].map)[i]);
}

/* ------------------------------------------------------------------------
 * Syncobjs
 */

static void t_syncobj_out_signalled(void)
{
	int fd = open_node(0), fd2 = open_node(0), sfd = -1, r;
	struct drm_gconv_wait w;
	uint32_t sync, sync2;
	struct cjob j;
	uint64_t id;

	sync = sync_create(fd, 0);
	r = sync_wait(fd, sync, 0, DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT);
	if (r != -ETIME)
		FAIL("a new syncobj before submit: expected unsignalled (ETIME), got %s",
		     errstr(r));
	long_job(fd, &j, 80);
	id = cjob_submit(&j, 0, sync, DRM_GCONV_PRIORITY_NORMAL);
	r = sync_wait(fd, sync, 0, 0);
	if (r != -ETIME)
		FAIL("out_syncobj right after submitting a ~%.0f ms job: expected unsignalled (ETIME), got %s",
		     long_ms(), errstr(r));
	r = wait_job(fd, id, 0, &w);
	if (r != -ETIME)
		FAIL("the job right after submit: expected running (ETIME), got %s",
		     errstr(r));
	r = sync_wait(fd, sync, now_ns() + 60 * NSEC, 0);
	if (r)
		FAIL("out_syncobj: expected signalled within 60 s, got %s",
		     errstr(r));
	/* signalled means complete: the job's status and output are there */
	r = wait_job(fd, id, 0, &w);
	if (r || w.status != DRM_GCONV_JOB_OK)
		FAIL("WAIT with deadline 0 once out_syncobj signalled: expected status OK, got %s (status %s)",
		     errstr(r), status_name(w.status));
	cjob_check(&j, "output once out_syncobj signalled");
	/* the syncobj exported to another file is signalled there too */
	if (drmSyncobjHandleToFD(fd, sync, &sfd))
		FAIL("drmSyncobjHandleToFD: expected success, got %s",
		     errstr(-errno));
	if (drmSyncobjFDToHandle(fd2, sfd, &sync2))
		FAIL("drmSyncobjFDToHandle in another file: expected success, got %s",
		     errstr(-errno));
	close(sfd);
	r = sync_wait(fd2, sync2, 0, 0);
	if (r)
		FAIL("the syncobj imported into another file: expected signalled, got %s",
		     errstr(r));
}

static void t_syncobj_out_signalled_on_fault(void)
{
	struct range used[1];
	struct bo out;
	uint32_t sync;
	uint64_t bad;
	int fd = open_node(0), r;

	bo_new(fd, PAGE, 0, &out);
	used[0] = (struct range){ out.addr, out.size };
	bad = unused_va(fd, used, 1, PAGE);
	sync = sync_create(fd, 0);
	fault_job(fd, bad, &out, sync);
	r = sync_wait(fd, sync, now_ns() + 10 * NSEC, 0);
	if (r)
		FAIL("out_syncobj of a job ending in MMU_FAULT: expected signalled within 10 s, got %s",
		     errstr(r));
}

static void t_syncobj_in_order(void)
{
	int fda = open_node(0), fdb = open_node(g_nnodes > 1 ? 1 : 0);
	struct drm_gconv_wait w;
	struct cjob big, small;
	uint32_t sa, sb;
	uint64_t ida, idb;
	int sfd = -1, r;

	sa = sync_create(fda, 0);
	long_job(fda, &big, 81);
	cjob_build(fdb, &small, 1, 2, 4, 1, 82, 1);
	ida = cjob_submit(&big, 0, sa, DRM_GCONV_PRIORITY_NORMAL);
	if (drmSyncobjHandleToFD(fda, sa, &sfd))
		FAIL("drmSyncobjHandleToFD: expected success, got %s",
		     errstr(-errno));
	if (drmSyncobjFDToHandle(fdb, sfd, &sb))
		FAIL("drmSyncobjFDToHandle: expected success, got %s",
		     errstr(-errno));
	close(sfd);
	idb = cjob_submit(&small, sb, 0, DRM_GCONV_PRIORITY_NORMAL);
	sleep_ms(200);
	r = wait_job(fda, ida, 0, &w);
	if (r != -ETIME)
		FAIL("setup: expected job 1 (~%.0f ms) still running after 200 ms (ETIME), got %s (status %s)",
		     long_ms(), errstr(r), status_name(w.status));
	r = wait_job(fdb, idb, 0, &w);
	if (r != -ETIME)
		FAIL("job 2 (in_syncobj = job 1's out_syncobj) after 200 ms: expected not complete (ETIME), got %s (status %s)",
		     errstr(r), status_name(w.status));
	wait_status(fda, ida, 60, DRM_GCONV_JOB_OK, NULL, "job 1");
	wait_status(fdb, idb, 10, DRM_GCONV_JOB_OK, NULL, "job 2");
	cjob_check(&small, "job 2");
	note(g_nnodes > 1 ? "job 2 on the second device"
			  : "one device: job 2 in a second file");
}

static void t_syncobj_in_signalled(void)
{
	struct cjob j1, j2;
	uint32_t s1, s2;
	uint64_t id1, id2;
	int fd = open_node(0);

	s1 = sync_create(fd, 0);
	if (drmSyncobjSignal(fd, &s1, 1))
		FAIL("drmSyncobjSignal: expected success, got %s",
		     errstr(-errno));
	s2 = sync_create(fd, DRM_SYNCOBJ_CREATE_SIGNALED);
	cjob_build(fd, &j1, 1, 2, 5, 1, 83, 1);
	cjob_build(fd, &j2, 2, 2, 5, 1, 84, 1);
	id1 = cjob_submit(&j1, s1, 0, DRM_GCONV_PRIORITY_NORMAL);
	id2 = cjob_submit(&j2, s2, 0, DRM_GCONV_PRIORITY_NORMAL);
	wait_status(fd, id1, 10, DRM_GCONV_JOB_OK, NULL,
		    "in_syncobj signalled by drmSyncobjSignal");
	wait_status(fd, id2, 10, DRM_GCONV_JOB_OK, NULL,
		    "in_syncobj created signalled");
	cjob_check(&j1, "in_syncobj signalled by drmSyncobjSignal");
	cjob_check(&j2, "in_syncobj created signalled");
}

/* ------------------------------------------------------------------------
 * Processes and file lifetime
 */

static void run_twenty(int which)
{
	enum { N = 20 };
	struct cjob *j = calloc(N, sizeof(*j));
	uint64_t id[N];
	int fd = open_node(0), i;

	if (!j)
		FAIL("out of memory");
	for (i = 0; i < N; i++) {
		cjob_build(fd, &j[i], 1 + (uint32_t)i % 3, 2 + (uint32_t)i % 5,
			   8, 1, 1000ull * (unsigned int)(which + 1) + (unsigned int)i, 1);
		id[i] = cjob_submit(&j[i], 0, 0, DRM_GCONV_PRIORITY_NORMAL);
	}
	g_shared->addr[which] = j[0].data.addr;
	for (i = 0; i < N; i++) {
		char what[48];

		snprintf(what, sizeof(what), "chain %d", i);
		wait_status(fd, id[i], 60, DRM_GCONV_JOB_OK, NULL, what);
		cjob_check(&j[i], what);
	}
}

/* Wait for helper @i and fail with what it reported. */
static void reap_helper(pid_t pid, int i, const char *who)
{
	int st;

	if (waitpid(pid, &st, 0) != pid)
		FAIL("%s %d: expected to reap it, got %s", who, i,
		     errstr(-errno));
	if (WIFSIGNALED(st))
		FAIL("%s %d: expected exit 0, got signal %d (%s)", who, i,
		     WTERMSIG(st), strsignal(WTERMSIG(st)));
	if (WEXITSTATUS(st))
		FAIL("%s %d: %s", who, i,
		     g_shared->report[i][0] ? g_shared->report[i]
					    : "expected exit 0, got an error exit");
}

static void t_two_processes_concurrently(void)
{
	pid_t pid[2];
	int i;

	memset(g_shared->report, 0, sizeof(g_shared->report));
	fflush(stdout);
	for (i = 0; i < 2; i++) {
		pid[i] = fork();
		if (pid[i] < 0)
			FAIL("fork: expected success, got %s", errstr(-errno));
		if (!pid[i]) {
			t_helper = i;
			run_twenty(i);
			_exit(0);
		}
	}
	for (i = 0; i < 2; i++)
		reap_helper(pid[i], i, "process");
	note("first BO at %#llx and %#llx%s", ULL(g_shared->addr[0]),
	     ULL(g_shared->addr[1]),
	     g_shared->addr[0] == g_shared->addr[1] ? ": same address, separate spaces" : "");
}

static void check_fresh_file_works(const char *what)
{
	struct cjob j;
	uint64_t id;
	int fd = open_node(0);

	cjob_build(fd, &j, 2, 3, 6, 1, 90, 1);
	id = cjob_submit(&j, 0, 0, DRM_GCONV_PRIORITY_NORMAL);
	wait_status(fd, id, 60, DRM_GCONV_JOB_OK, NULL, what);
	cjob_check(&j, what);
	close(fd);
}

static void t_close_with_jobs_in_flight(void)
{
	struct cjob big, small[3];
	int64_t t0;
	int fd = open_node(0), i;

	long_job(fd, &big, 91);
	for (i = 0; i < 3; i++)
		cjob_build(fd, &small[i], 1, 2, 4, 1, 92 + (unsigned int)i, 0);
	cjob_submit(&big, 0, 0, DRM_GCONV_PRIORITY_NORMAL);
	for (i = 0; i < 3; i++)
		cjob_submit(&small[i], 0, 0, DRM_GCONV_PRIORITY_NORMAL);
	munmap(big.data.map, big.data.size);
	munmap(big.chain.map, big.chain.size);
	for (i = 0; i < 3; i++) {
		munmap(small[i].data.map, small[i].data.size);
		munmap(small[i].chain.map, small[i].chain.size);
	}
	t0 = now_ns();
	if (close(fd))
		FAIL("close with jobs in flight: expected success, got %s",
		     errstr(-errno));
	note("close took %lld ms", (long long)((now_ns() - t0) / MSEC));
	check_fresh_file_works("a job in a new file after the close");
}

static void t_exit_with_jobs_in_flight(void)
{
	pid_t pid;

	memset(g_shared->report, 0, sizeof(g_shared->report));
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		FAIL("fork: expected success, got %s", errstr(-errno));
	if (!pid) {
		struct cjob big, small;
		int fd;

		t_helper = 0;
		fd = open_node(0);
		long_job(fd, &big, 93);
		cjob_build(fd, &small, 1, 2, 4, 1, 94, 0);
		cjob_submit(&big, 0, 0, DRM_GCONV_PRIORITY_NORMAL);
		cjob_submit(&small, 0, 0, DRM_GCONV_PRIORITY_NORMAL);
		_exit(0); /* mappings and the file die with the process */
	}
	reap_helper(pid, 0, "process");
	check_fresh_file_works("a job in a new file after the exit");
}

static void t_bo_close_during_job(void)
{
	struct cjob big;
	uint64_t id;
	int fd = open_node(0);

	long_job(fd, &big, 95);
	id = cjob_submit(&big, 0, 0, DRM_GCONV_PRIORITY_NORMAL);
	munmap(big.chain.map, big.chain.size);
	EXPECT_OK("GEM_CLOSE of the running job's chain BO",
		  gem_close(fd, big.chain.handle));
	EXPECT_OK("GEM_CLOSE of the running job's data BO (still mmapped)",
		  gem_close(fd, big.data.handle));
	wait_status(fd, id, 60, DRM_GCONV_JOB_OK, NULL,
		    "the job whose BO handles were closed while it ran");
	cjob_check(&big, "the job whose BO handles were closed while it ran");
}

static void t_many_files_each_run_a_job(void)
{
	enum { N = 20 };
	struct cjob *j = calloc(N, sizeof(*j));
	uint64_t id[N];
	int fd[N], i;

	if (!j)
		FAIL("setup: out of memory");
	for (i = 0; i < N; i++) {
		fd[i] = open(g_nodes[0], O_RDWR | O_CLOEXEC);
		if (fd[i] < 0)
			FAIL("open #%d of %s (more files than the %d hardware contexts): expected success, got %s",
			     i + 1, g_nodes[0], GCONV_HW_NUM_CONTEXTS,
			     errstr(-errno));
	}
	for (i = 0; i < N; i++) {
		cjob_build(fd[i], &j[i], 1, 2, 4, 1, 200 + (unsigned int)i, 1);
		id[i] = cjob_submit(&j[i], 0, 0, DRM_GCONV_PRIORITY_NORMAL);
	}
	for (i = 0; i < N; i++) {
		char what[48];

		snprintf(what, sizeof(what), "job of file %d of %d", i + 1, N);
		wait_status(fd[i], id[i], 60, DRM_GCONV_JOB_OK, NULL, what);
		cjob_check(&j[i], what);
	}
}

static void t_chain_modified_after_submit(void)
{
	struct drm_gconv_wait w;
	struct cjob big, small;
	uint64_t idb, ids;
	int fd = open_node(0), i;

	long_job(fd, &big, 96);
	cjob_build(fd, &small, 1, 2, 4, 1, 97, 1);
	idb = cjob_submit(&big, 0, 0, DRM_GCONV_PRIORITY_NORMAL);
	ids = cjob_submit(&small, 0, 0, DRM_GCONV_PRIORITY_NORMAL);
	edit_magic(small.chain.map); /* valid at submit, broken now */
	wait_job(fd, ids, now_ns() + 60 * NSEC, &w);
	if (w.status == DRM_GCONV_JOB_OK) {
		cjob_check(&small, "the job whose chain changed after submit");
		note("status OK: the driver kept the chain it validated");
	} else if (w.status == DRM_GCONV_JOB_INVALID) {
		for (i = 0; i < (int)(small.total - small.o_off); i++)
			if (((float *)small.data.map)[small.o_off + (size_t)i] != SENTINEL)
				FAIL("output of the rejected chain[%d]: expected untouched, got %g",
				     i, (double)((float *)small.data.map)[small.o_off + (size_t)i]);
		note("status INVALID: the device re-validated the chain");
	} else {
		FAIL("the job whose chain magic changed after submit: expected status OK or INVALID, got %s (info %#x)",
		     status_name(w.status), w.info);
	}
	wait_status(fd, idb, 60, DRM_GCONV_JOB_OK, NULL, "the long job before it");
	check_fresh_file_works("a job after the modified chain");
}

/* ------------------------------------------------------------------------
 * PRIME
 */

static int prime_export(int fd, uint32_t handle)
{
	int pfd = -1;

	if (drmPrimeHandleToFD(fd, handle, DRM_CLOEXEC | DRM_RDWR, &pfd))
		FAIL("drmPrimeHandleToFD: expected a dma-buf fd, got %s",
		     errstr(-errno));
	return pfd;
}

static uint32_t prime_import(int fd, int pfd, uint64_t size, uint64_t *addr,
			     const char *what)
{
	struct drm_gconv_bo_info i;
	uint32_t h = 0;
	uint64_t start = param(fd, DRM_GCONV_PARAM_VA_START);
	uint64_t end = param(fd, DRM_GCONV_PARAM_VA_END);

	if (drmPrimeFDToHandle(fd, pfd, &h))
		FAIL("%s: drmPrimeFDToHandle: expected a handle, got %s", what,
		     errstr(-errno));
	EXPECT_OK("BO_INFO of the imported BO", bo_info(fd, h, &i));
	if (i.size != size)
		FAIL("%s: BO_INFO size: expected %llu, got %llu", what,
		     ULL(size), ULL(i.size));
	if (i.device_addr % PAGE || i.device_addr < start ||
	    i.device_addr + size > end)
		FAIL("%s: BO_INFO device_addr: expected page-aligned in [%#llx, %#llx), got %#llx",
		     what, ULL(start), ULL(end), ULL(i.device_addr));
	*addr = i.device_addr;
	return h;
}

/* In file @fd: out = 2 * (64 floats at @x_va), with @in_handle listed. */
static void run_scale(int fd, uint64_t x_va, uint32_t in_handle,
		      const float *x, const char *what)
{
	struct drm_gconv_submit s;
	struct gconv_desc d;
	struct bo out, cbo;
	uint32_t bos[2];
	float want[64];
	size_t len;
	uint64_t id;
	int i;

	bo_new(fd, 256, 0, &out);
	fill_floats(out.map, 64, SENTINEL);
	scale_desc(&d, x_va, out.addr, 64, 2.0f);
	len = chain_bo(fd, &d, 1, 0, &cbo);
	bos[0] = in_handle;
	bos[1] = out.handle;
	submit_init(&s, cbo.handle, 0, len, bos, 2);
	id = submit_ok(fd, &s, what);
	wait_status(fd, id, 10, DRM_GCONV_JOB_OK, NULL, what);
	for (i = 0; i < 64; i++)
		want[i] = 2.0f * x[i];
	expect_floats(what, out.map, want, 64, 0);
}

static void pattern(float *p, int n, float base)
{
	int i;

	for (i = 0; i < n; i++)
		p[i] = base + (float)i * 0.5f;
}

static void t_prime_export_import(void)
{
	int fd1 = open_node(0), fd2 = open_node(0), pfd;
	struct drm_gconv_bo_info i;
	float x[64];
	struct bo b;
	uint64_t addr2;
	uint32_t h2;
	float *m2;

	bo_new(fd1, PAGE, 0, &b);
	pattern(x, 64, 3.0f);
	memcpy(b.map, x, sizeof(x));
	pfd = prime_export(fd1, b.handle);
	h2 = prime_import(fd2, pfd, PAGE, &addr2, "import in a second file");
	close(pfd);
	EXPECT_OK("BO_INFO of the imported BO", bo_info(fd2, h2, &i));
	m2 = mmap(NULL, PAGE, PROT_READ, MAP_SHARED, fd2, (off_t)i.mmap_offset);
	if (m2 == MAP_FAILED)
		FAIL("mmap of the imported BO in the second file: expected a mapping, got %s",
		     errstr(-errno));
	expect_floats("the imported BO read through its mmap", m2, x, 64, 0);
	run_scale(fd2, addr2, h2, x,
		  "a job in the second file reading the imported BO");
}

static void t_prime_device_write_visible(void)
{
	int fd1 = open_node(0), fd2 = open_node(0), pfd;
	struct drm_gconv_submit s;
	struct gconv_desc d;
	struct bo b, in, cbo;
	uint32_t h2, bos[2];
	float x[64], want[64];
	uint64_t addr2, id;
	size_t len;
	int k;

	bo_new(fd1, PAGE, 0, &b);
	fill_floats(b.map, 64, SENTINEL);
	pfd = prime_export(fd1, b.handle);
	h2 = prime_import(fd2, pfd, PAGE, &addr2, "import in a second file");
	close(pfd);
	bo_new(fd2, 256, 0, &in);
	pattern(x, 64, -7.0f);
	memcpy(in.map, x, sizeof(x));
	for (k = 0; k < 64; k++)
		want[k] = 4.0f * x[k];
	scale_desc(&d, in.addr, addr2, 64, 4.0f);
	len = chain_bo(fd2, &d, 1, 0, &cbo);
	bos[0] = in.handle;
	bos[1] = h2;
	submit_init(&s, cbo.handle, 0, len, bos, 2);
	id = submit_ok(fd2, &s, "a job in file 2 writing the imported BO");
	wait_status(fd2, id, 10, DRM_GCONV_JOB_OK, NULL,
		    "a job in file 2 writing the imported BO");
	expect_floats("the exporter's mmap after file 2's job wrote the BO",
		      b.map, want, 64, 0);
}

static void t_prime_self_import(void)
{
	int fd = open_node(0), pfd;
	uint32_t h = 0;
	struct bo b;

	bo_new(fd, PAGE, 0, &b);
	pfd = prime_export(fd, b.handle);
	if (drmPrimeFDToHandle(fd, pfd, &h))
		FAIL("drmPrimeFDToHandle in the exporting file: expected a handle, got %s",
		     errstr(-errno));
	if (h != b.handle)
		FAIL("import in the exporting file: expected the same handle %u, got %u",
		     b.handle, h);
}

static void t_prime_import_after_exporter_closed(void)
{
	int fd1 = open_node(0), fd2, pfd;
	float x[64];
	struct bo b;
	uint64_t addr2;
	uint32_t h2;

	bo_new(fd1, PAGE, 0, &b);
	pattern(x, 64, 11.0f);
	memcpy(b.map, x, sizeof(x));
	pfd = prime_export(fd1, b.handle);
	munmap(b.map, PAGE);
	close(fd1); /* the dma-buf alone keeps the BO alive */
	fd2 = open_node(0);
	h2 = prime_import(fd2, pfd, PAGE, &addr2,
			  "import after the exporting file closed");
	close(pfd);
	run_scale(fd2, addr2, h2, x,
		  "a job reading a BO whose exporting file is closed");
}

static void t_prime_import_other_device(void)
{
	int fd0, fd1, pfd;
	float x[64];
	struct bo b;
	uint64_t addr1;
	uint32_t h1;

	if (g_nnodes < 2) {
		note("one device: nothing to test");
		return;
	}
	fd0 = open_node(0);
	fd1 = open_node(1);
	bo_new(fd0, PAGE, 0, &b);
	pattern(x, 64, -2.0f);
	memcpy(b.map, x, sizeof(x));
	pfd = prime_export(fd0, b.handle);
	h1 = prime_import(fd1, pfd, PAGE, &addr1,
			  "import of device 0's BO on device 1");
	close(pfd);
	run_scale(fd1, addr1, h1, x,
		  "a job on device 1 reading device 0's BO");
}

/* ------------------------------------------------------------------------
 * GET_STATS
 */

/* Stats equal @want, allowing up to 1 s for completion counters. */
static void expect_stats(int fd, const struct drm_gconv_stats *want,
			 const char *when)
{
	struct drm_gconv_stats st;
	int64_t t0 = now_ns();

	for (;;) {
		get_stats(fd, &st);
		if (!memcmp(&st, want, sizeof(st)))
			break;
		if (now_ns() - t0 > NSEC)
			FAIL("stats %s: expected submitted %llu completed %llu failed %llu bo_count %llu bo_bytes %llu faults %llu flags %u, got %llu %llu %llu %llu %llu %llu %u",
			     when, ULL(want->jobs_submitted),
			     ULL(want->jobs_completed), ULL(want->jobs_failed),
			     ULL(want->bo_count), ULL(want->bo_bytes),
			     ULL(want->faults), want->flags,
			     ULL(st.jobs_submitted), ULL(st.jobs_completed),
			     ULL(st.jobs_failed), ULL(st.bo_count),
			     ULL(st.bo_bytes), ULL(st.faults), st.flags);
		sleep_ms(10);
	}
	if (now_ns() - t0 > 5 * MSEC)
		note("counters %s lagged by %lld ms", when,
		     (long long)((now_ns() - t0) / MSEC));
}

static void t_get_stats(void)
{
	int fd = open_node(0), fd2;
	struct drm_gconv_stats want, other;
	struct drm_gconv_submit s;
	struct range used[5];
	struct bo a, b, out;
	struct cjob j;
	uint64_t id, bad;

	memset(&want, 0, sizeof(want));
	expect_stats(fd, &want, "of a new file");
	bo_new(fd, PAGE, 0, &a);
	bo_new(fd, 3 * PAGE - 1, 0, &b);
	want.bo_count = 2;
	want.bo_bytes = 4 * PAGE;
	expect_stats(fd, &want, "after creating BOs of 1 and 3 pages");
	cjob_build(fd, &j, 2, 3, 6, 1, 100, 1);
	want.bo_count += 2;
	want.bo_bytes += j.data.size + j.chain.size;
	expect_stats(fd, &want, "after creating a job's two BOs");
	id = cjob_submit(&j, 0, 0, DRM_GCONV_PRIORITY_NORMAL);
	wait_status(fd, id, 10, DRM_GCONV_JOB_OK, NULL, "a good job");
	want.jobs_submitted = 1;
	want.jobs_completed = 1;
	expect_stats(fd, &want, "after a good job");
	bo_new(fd, PAGE, 0, &out);
	used[0] = (struct range){ a.addr, a.size };
	used[1] = (struct range){ b.addr, b.size };
	used[2] = (struct range){ j.data.addr, j.data.size };
	used[3] = (struct range){ j.chain.addr, j.chain.size };
	used[4] = (struct range){ out.addr, out.size };
	bad = unused_va(fd, used, 5, PAGE);
	id = fault_job(fd, bad, &out, 0); /* + its chain BO */
	wait_status(fd, id, 10, DRM_GCONV_JOB_MMU_FAULT, NULL, "a faulting job");
	want.bo_count += 2;
	want.bo_bytes += 2 * PAGE;
	want.jobs_submitted = 2;
	want.jobs_failed = 1;
	want.faults = 1; /* counts towards a ban */
	expect_stats(fd, &want, "after a faulting job");
	submit_init(&s, j.chain.handle, 0, j.chain_len, j.bos, 1);
	s.flags = 1;
	EXPECT_ERR("SUBMIT with flags 1", submit(fd, &s), EINVAL);
	expect_stats(fd, &want, "after a rejected SUBMIT");
	munmap(a.map, a.size);
	EXPECT_OK("GEM_CLOSE", gem_close(fd, a.handle));
	want.bo_count -= 1;
	want.bo_bytes -= PAGE;
	expect_stats(fd, &want, "after closing (and unmapping) a 1-page BO");
	/* another file counts only its own */
	fd2 = open_node(0);
	memset(&other, 0, sizeof(other));
	expect_stats(fd2, &other, "of a second file");
	bo_new(fd2, PAGE, 0, &out);
	expect_stats(fd, &want, "of the first file after the second made a BO");
}

static void t_get_stats_reserved(void)
{
	int fd = open_node(0), i;

	for (i = 0; i < 2; i++) {
		struct drm_gconv_stats st;
		char what[48];

		memset(&st, 0, sizeof(st));
		if (i)
			st.reserved = 1;
		else
			st.reserved0 = 1;
		snprintf(what, sizeof(what), "GET_STATS with reserved%s 1",
			 i ? "" : "0");
		EXPECT_ERR(what, xioctl(fd, DRM_IOCTL_GCONV_GET_STATS, &st),
			   EINVAL);
	}
}

/* ------------------------------------------------------------------------
 * Several devices
 */

static void t_second_device_runs_jobs(void)
{
	struct drm_gconv_wait w;
	struct cjob big, small;
	uint64_t idb, ids;
	int fd0, fd1, r;

	if (g_nnodes < 2) {
		note("one device: nothing to test");
		return;
	}
	fd0 = open_node(0);
	fd1 = open_node(1);
	long_job(fd0, &big, 110);
	cjob_build(fd1, &small, 2, 4, 8, 1, 111, 1);
	idb = cjob_submit(&big, 0, 0, DRM_GCONV_PRIORITY_NORMAL);
	ids = cjob_submit(&small, 0, 0, DRM_GCONV_PRIORITY_NORMAL);
	wait_status(fd1, ids, 10, DRM_GCONV_JOB_OK, NULL,
		    "a job on device 1 while device 0 is busy");
	cjob_check(&small, "a job on device 1 while device 0 is busy");
	r = wait_job(fd0, idb, 0, &w);
	if (r != -ETIME)
		note("device 0's long job had already ended (%s)", errstr(r));
	wait_status(fd0, idb, 60, DRM_GCONV_JOB_OK, NULL,
		    "the long job on device 0");
}

/*
 * Run by name only (tests/vm/check-driver does): the host sets the
 * device's inject-hang knob over QMP while this waits, so the next job
 * hangs.  The driver's hang check (timeout_ms) must reset the device, end the job
 * with TIMEOUT, and the next job must run normally.
 */
static void t_hang_times_out_and_recovers(void)
{
	struct drm_gconv_wait w;
	struct cjob j, k, m;
	uint64_t id, idm;
	int fd = open_node(0), fd2 = open_node(0);

	cjob_build(fd, &j, 2, 4, 8, 1, 1, 1);
	cjob_build(fd2, &m, 2, 4, 8, 1, 3, 1);
	printf("gconv-test: ready for hang\n");
	fflush(stdout);
	sleep_ms(3000);
	id = cjob_submit(&j, 0, 0, DRM_GCONV_PRIORITY_NORMAL);
	/*
	 * Another file's job, on another queue, while the hung one holds
	 * its queue: it must end OK whether it ran before the reset or was
	 * put back on the hardware by it.
	 */
	sleep_ms(500);
	idm = cjob_submit(&m, 0, 0, DRM_GCONV_PRIORITY_NORMAL);
	wait_status(fd, id, 30, DRM_GCONV_JOB_TIMEOUT, &w, "hung job");
	wait_status(fd2, idm, 30, DRM_GCONV_JOB_OK, &w,
		    "a job waiting on another queue during the reset");
	cjob_check(&m, "a job waiting on another queue during the reset");
	cjob_build(fd, &k, 2, 4, 8, 1, 1, 2);
	id = cjob_submit(&k, 0, 0, DRM_GCONV_PRIORITY_NORMAL);
	wait_status(fd, id, 10, DRM_GCONV_JOB_OK, &w, "job after the reset");
	cjob_check(&k, "job after the reset");
}

/* ------------------------------------------------------------------------
 * Helpers of helper processes, module parameters, debugfs
 */

/* A helper's message for its parent, without failing. */
static void __attribute__((format(printf, 1, 2))) helper_note(const char *fmt, ...)
{
	va_list ap;

	if (t_helper < 0)
		return;
	va_start(ap, fmt);
	vsnprintf(g_shared->report[t_helper], sizeof(g_shared->report[0]),
		  fmt, ap);
	va_end(ap);
}

/* Reap helper @i: 1 if it exited 0; @msg says what it reported. */
static int helper_status(pid_t pid, int i, char *msg, size_t n)
{
	int st;

	if (waitpid(pid, &st, 0) != pid) {
		snprintf(msg, n, "waitpid: expected the helper, got %s",
			 errstr(-errno));
		return 0;
	}
	if (WIFSIGNALED(st)) {
		snprintf(msg, n, "expected exit 0, got signal %d (%s)",
			 WTERMSIG(st), strsignal(WTERMSIG(st)));
		return 0;
	}
	snprintf(msg, n, "%s",
		 g_shared->report[i][0] ? g_shared->report[i] :
		 WEXITSTATUS(st) ? "expected exit 0, got an error exit" : "done");
	return WEXITSTATUS(st) == 0;
}

static unsigned int module_param_uint(const char *name, unsigned int dflt)
{
	char path[128];
	unsigned int v = dflt;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/module/gconv/parameters/%s", name);
	f = fopen(path, "r");
	if (!f)
		return dflt;
	if (fscanf(f, "%u", &v) != 1)
		v = dflt;
	fclose(f);
	return v;
}

/* /sys/kernel/debug/accel/<pci-bdf>/@name of node @node */
static void debugfs_path(int node, const char *name, char *buf, size_t n)
{
	char sys[128], *real, *base;
	unsigned int a = 0;

	sscanf(g_nodes[node], "/dev/accel/accel%u", &a);
	snprintf(sys, sizeof(sys), "/sys/class/accel/accel%u/device", a);
	real = realpath(sys, NULL);
	if (!real)
		FAIL("realpath %s: expected the PCI device, got %s", sys,
		     errstr(-errno));
	base = strrchr(real, '/');
	snprintf(buf, n, "/sys/kernel/debug/accel/%s/%s",
		 base ? base + 1 : real, name);
	free(real);
}

/* The hardware context slot debugfs `contexts` shows for this process
 * on node @node, or -1. */
static int my_context(int node)
{
	char path[300], line[256];
	int found = -1;
	FILE *f;

	debugfs_path(node, "contexts", path, sizeof(path));
	f = fopen(path, "r");
	if (!f)
		FAIL("open %s: expected the debugfs contexts file, got %s",
		     path, errstr(-errno));
	while (fgets(line, sizeof(line), f)) {
		unsigned int c;
		int pid;

		if (sscanf(line, "context %u: pid %d", &c, &pid) == 2 &&
		    pid == (int)getpid())
			found = (int)c;
	}
	fclose(f);
	return found;
}

/* The data BO against the golden image, without failing: 1 and @msg if
 * something differs. */
static int cjob_differs(const struct cjob *j, char *msg, size_t n)
{
	const float *m = j->data.map;
	size_t i;

	for (i = 0; i < j->total; i++) {
		double want = j->expect[i], got = m[i];
		double tol = i < j->o_off ? 0 : 1e-6;

		if (!(fabs(got - want) <= tol * fmax(1.0, fabs(want)))) {
			snprintf(msg, n, "%s[%zu]: expected %.9g, got %.9g",
				 i < j->o_off ? "input" : "output",
				 i < j->o_off ? i : i - j->o_off, want, got);
			return 1;
		}
	}
	return 0;
}

static void cjob_clear_output(struct cjob *j)
{
	fill_floats((float *)j->data.map + j->o_off, j->total - j->o_off,
		    SENTINEL);
}

/* ------------------------------------------------------------------------
 * Isolation: hostile chains from another file never reach file A
 *
 * File A (the victim) fills an input, an output and a DEVICE_READ_ONLY BO
 * with values no other file holds and runs a job of its own, so its
 * address space is live on the device.  Hostile files B, each fresh (so
 * that no B is banned midway) and either in the same process or in a
 * forked one, submit chains aimed at A's addresses, at unmapped and
 * read-only addresses and with absurd strides and sizes.  The same
 * numeric VA in B's space maps B's own BOs or nothing: a job reading or
 * writing an address B maps must see B's memory, any other must end
 * MMU_FAULT at that address.  Afterwards every byte of A's BOs equals its
 * pattern, B's BOs hold nothing of A's, and A's own job still runs.
 */

/* A's pattern floats lie in [A_MARK, 2 A_MARK) (integers, exact) */
#define A_MARK		131072.0f

struct victim {
	int fd;
	struct bo bo[3];	/* input, output, read-only */
	uint8_t *save[3];
	struct cjob j;		/* A's own job */
	uint64_t va_start, va_end;
};

static const char *const victim_bo_name[3] = { "input", "output",
					       "read-only" };

static void victim_run_job(struct victim *v, const char *what)
{
	uint64_t id;

	cjob_clear_output(&v->j);
	id = cjob_submit(&v->j, 0, 0, DRM_GCONV_PRIORITY_NORMAL);
	wait_status(v->fd, id, 30, DRM_GCONV_JOB_OK, NULL, what);
	cjob_check(&v->j, what);
}

static void victim_setup(struct victim *v)
{
	static const uint64_t size[3] = { 4 * PAGE, 4 * PAGE, 2 * PAGE };
	size_t k;
	int i;

	v->fd = open_node(0);
	v->va_start = param(v->fd, DRM_GCONV_PARAM_VA_START);
	v->va_end = param(v->fd, DRM_GCONV_PARAM_VA_END);
	for (i = 0; i < 3; i++) {
		float *f;

		bo_new(v->fd, size[i],
		       i == 2 ? DRM_GCONV_BO_DEVICE_READ_ONLY : 0, &v->bo[i]);
		f = v->bo[i].map;
		for (k = 0; k < size[i] / 4; k++)
			f[k] = A_MARK + (float)((size_t)i * 32768 + k);
		v->save[i] = malloc(size[i]);
		if (!v->save[i])
			FAIL("setup: out of memory");
		memcpy(v->save[i], f, size[i]);
	}
	cjob_build(v->fd, &v->j, 2, 4, 8, 1, 4242, 1);
	victim_run_job(v, "file A's own job before the hostile ones");
}

/* Every byte of A's BOs is its pattern, and A's job still runs. */
static void victim_check(struct victim *v)
{
	size_t k;
	int i;

	for (i = 0; i < 3; i++) {
		const uint8_t *p = v->bo[i].map;

		for (k = 0; k < v->bo[i].size; k++)
			if (p[k] != v->save[i][k])
				FAIL("file A's %s BO, byte %zu (VA %#llx) after the hostile jobs: expected %#04x (untouched), got %#04x",
				     victim_bo_name[i], k,
				     ULL(v->bo[i].addr + k), v->save[i][k],
				     p[k]);
	}
	victim_run_job(v, "file A's own job after the hostile ones");
}

enum { HB_DECOY, HB_IN, HB_OUT, HB_RO, HB_CHAIN, HB_N };

static const char *const hb_name[HB_N] = { "decoy", "input", "output",
					   "read-only", "chain" };

struct hostile {
	int fd;
	struct bo b[HB_N];	/* b[HB_DECOY].size 0: none */
	uint8_t *save[HB_N];	/* what each BO must hold (not the chain) */
};

#define H_RO_VALUE	7.0f

/*
 * A fresh file B: a decoy of @decoy_pages pages first (0: none; it puts
 * B's BOs where A's are in A's space), then input, output, read-only and
 * chain BOs of a page each.  Values are small: never A's.
 */
static void hostile_open(struct hostile *h, unsigned int decoy_pages)
{
	size_t k;
	int i;

	memset(h, 0, sizeof(*h));
	h->fd = open_node(0);
	if (decoy_pages) {
		bo_new(h->fd, decoy_pages * PAGE, 0, &h->b[HB_DECOY]);
		for (k = 0; k < decoy_pages * PAGE / 4; k++)
			((float *)h->b[HB_DECOY].map)[k] =
				-1.0f - (float)(k % 1000) / 8.0f;
	}
	bo_new(h->fd, PAGE, 0, &h->b[HB_IN]);
	for (k = 0; k < PAGE / 4; k++)
		((float *)h->b[HB_IN].map)[k] = (float)(k % 512) / 16.0f - 16.0f;
	bo_new(h->fd, PAGE, 0, &h->b[HB_OUT]);
	fill_floats(h->b[HB_OUT].map, PAGE / 4, SENTINEL);
	bo_new(h->fd, PAGE, DRM_GCONV_BO_DEVICE_READ_ONLY, &h->b[HB_RO]);
	fill_floats(h->b[HB_RO].map, PAGE / 4, H_RO_VALUE);
	bo_new(h->fd, PAGE, 0, &h->b[HB_CHAIN]);
	for (i = 0; i < HB_CHAIN; i++) {
		if (!h->b[i].size)
			continue;
		h->save[i] = malloc(h->b[i].size);
		if (!h->save[i])
			FAIL("setup: out of memory");
		memcpy(h->save[i], h->b[i].map, h->b[i].size);
	}
}

static void hostile_close(struct hostile *h)
{
	int i;

	for (i = 0; i < HB_N; i++) {
		if (!h->b[i].size)
			continue;
		munmap(h->b[i].map, h->b[i].size);
		free(h->save[i]);
	}
	close(h->fd);
}

/* The B BO that holds all of [va, va + len), or -1. */
static int hostile_bo_at(const struct hostile *h, uint64_t va, uint64_t len)
{
	int i;

	for (i = 0; i < HB_N; i++)
		if (h->b[i].size && va >= h->b[i].addr &&
		    va + len <= h->b[i].addr + h->b[i].size && va + len > va)
			return i;
	return -1;
}

/* Whether @va is in one of B's BOs. */
static int hostile_maps(const struct hostile *h, uint64_t va)
{
	return hostile_bo_at(h, va, 1) >= 0;
}

/*
 * B's BOs hold what they must (@out_free: the output may hold anything
 * but A's values), and none holds any of A's values.
 */
static void hostile_intact(const struct hostile *h, int out_free,
			   const char *what)
{
	size_t k;
	int i;

	for (i = 0; i < HB_CHAIN; i++) {
		const uint8_t *p = h->b[i].map;
		const float *f = h->b[i].map;

		if (!h->b[i].size)
			continue;
		for (k = 0; k < h->b[i].size / 4; k++)
			if (f[k] >= A_MARK && f[k] < 2 * A_MARK)
				FAIL("%s: file B's %s BO, float %zu: expected none of file A's values, got %.1f (file A's data reached file B)",
				     what, hb_name[i], k, (double)f[k]);
		if (i == HB_OUT && out_free)
			continue;
		for (k = 0; k < h->b[i].size; k++)
			if (p[k] != h->save[i][k])
				FAIL("%s: file B's %s BO, byte %zu (VA %#llx): expected %#04x, got %#04x",
				     what, hb_name[i], k,
				     ULL(h->b[i].addr + k), h->save[i][k],
				     p[k]);
	}
}

/*
 * Put @n descriptors in B's chain BO and run them: 0 with *w, or the
 * -errno of SUBMIT.  The descriptors go in verbatim (the chain is encoded
 * from a valid one, then overwritten), absurd or not.
 */
static int hostile_run(struct hostile *h, const struct gconv_desc *d,
		       unsigned int n, struct drm_gconv_wait *w,
		       const char *what)
{
	struct drm_gconv_submit s;
	struct gconv_desc ok[4];
	uint32_t bos[2];
	unsigned int i;
	size_t len;
	void *chain;
	int r;

	for (i = 0; i < n && i < 4; i++)
		scale_desc(&ok[i], h->b[HB_IN].addr, h->b[HB_OUT].addr, 64,
			   1.0f);
	chain = encode(ok, n, &len);
	if (len > PAGE)
		FAIL("setup: a %zu-byte chain does not fit file B's chain BO",
		     len);
	for (i = 0; i < n; i++)
		*chain_desc(chain, i) = d[i];
	memcpy(h->b[HB_CHAIN].map, chain, len);
	free(chain);
	bos[0] = h->b[HB_IN].handle;
	bos[1] = h->b[HB_OUT].handle;
	submit_init(&s, h->b[HB_CHAIN].handle, 0, len, bos, 2);
	r = submit(h->fd, &s);
	if (r)
		return r;
	r = wait_job(h->fd, s.job_id, now_ns() + 30 * NSEC, w);
	if (r)
		FAIL("%s: WAIT: expected the job to end within 30 s, got %s",
		     what, errstr(r));
	return 0;
}

static int same_float(float got, float want)
{
	return got == want || (isnan(got) && isnan(want));
}

/* Flags of hostile_access() */
#define H_WRITE		1	/* write 64 floats at the target, not read */
#define H_EINVAL_OK	2	/* SUBMIT may reject it (non-canonical VA) */
#define H_UNMAPPED	4	/* the target must be unmapped in B */

/* A target: absolute (own < 0) or @off bytes into B's BO @own. */
struct htarget {
	int own;
	uint64_t va;
};

/*
 * In a fresh file B: one job reading (or writing, H_WRITE) 64 floats at
 * @t.  If B maps the whole range with the access allowed, the job must
 * end OK having read (written) B's own memory there; otherwise it must
 * end MMU_FAULT with fault_addr in the range, having written nothing.
 * Returns the status (or -1: SUBMIT rejected it).
 */
static int hostile_access(struct htarget t, unsigned int decoy_pages,
			  int flags, const char *what)
{
	struct drm_gconv_wait w;
	struct hostile h;
	struct gconv_desc d;
	uint64_t va;
	int k, r, i, allowed;

	hostile_open(&h, decoy_pages);
	va = t.own >= 0 ? h.b[t.own].addr + t.va : t.va;
	k = hostile_bo_at(&h, va, 256);
	if ((flags & H_UNMAPPED) && (hostile_maps(&h, va) ||
				     hostile_maps(&h, va + 255)))
		FAIL("setup: %s: expected VA %#llx unmapped in file B, got it in B's BOs",
		     what, ULL(va));
	if (flags & H_WRITE)
		scale_desc(&d, h.b[HB_IN].addr, va, 64, 1.0f);
	else
		scale_desc(&d, va, h.b[HB_OUT].addr, 64, 1.0f);
	r = hostile_run(&h, &d, 1, &w, what);
	if (r == -EINVAL && (flags & H_EINVAL_OK)) {
		hostile_intact(&h, 0, what);
		hostile_close(&h);
		return -1;
	}
	if (r)
		FAIL("%s (VA %#llx): SUBMIT: expected success (the chain is valid), got %s",
		     what, ULL(va), errstr(r));
	allowed = k >= 0 && !((flags & H_WRITE) && k == HB_RO);
	if (allowed) {
		const float *src = (const float *)((uint8_t *)h.b[k].map +
						   (va - h.b[k].addr));

		if (w.status != DRM_GCONV_JOB_OK)
			FAIL("%s: VA %#llx is in file B's own %s BO: expected status OK, got %s (fault_addr %#llx)",
			     what, ULL(va), hb_name[k], status_name(w.status),
			     ULL(w.fault_addr));
		if (flags & H_WRITE) {
			const float *in = h.b[HB_IN].map;

			for (i = 0; i < 64; i++)
				if (!same_float(src[i], in[i]))
					FAIL("%s: file B's %s BO at VA %#llx, float %d after B wrote it: expected %g, got %g",
					     what, hb_name[k], ULL(va), i,
					     (double)in[i], (double)src[i]);
			if (k != HB_CHAIN)
				memcpy(h.save[k] + (va - h.b[k].addr), src,
				       256);
		} else {
			const float *out = h.b[HB_OUT].map;

			for (i = 0; i < 64; i++)
				if (!same_float(out[i], src[i]) &&
				    !(out[i] == 0 && src[i] == 0))
					FAIL("%s: file B read VA %#llx (its own %s BO), float %d: expected B's %g, got %g",
					     what, ULL(va), hb_name[k], i,
					     (double)src[i], (double)out[i]);
			memcpy(h.save[HB_OUT], out, 256);
		}
	} else {
		if (w.status != DRM_GCONV_JOB_MMU_FAULT)
			FAIL("%s: VA %#llx is %s in file B: expected MMU_FAULT, got %s (info %#x, fault_addr %#llx)",
			     what, ULL(va), k == HB_RO ? "read-only" : "not mapped",
			     status_name(w.status), w.info, ULL(w.fault_addr));
		if (w.fault_addr < (va & ~(PAGE - 1)) ||
		    w.fault_addr >= va + 256)
			FAIL("%s: fault_addr: expected in [%#llx, %#llx), got %#llx",
			     what, ULL(va), ULL(va + 256), ULL(w.fault_addr));
	}
	hostile_intact(&h, 0, what);
	hostile_close(&h);
	return (int)w.status;
}

/* (a) A's device addresses, read and written from B's space */
static void hostile_other_files_addresses(const struct victim *v)
{
	const struct {
		uint64_t va;
		const char *name;
	} t[] = {
		{ v->bo[0].addr, "file A's input BO" },
		{ v->bo[1].addr, "file A's output BO" },
		{ v->bo[1].addr + 2 * PAGE + 64, "the middle of file A's output BO" },
		{ v->bo[2].addr, "file A's read-only BO" },
		{ v->j.data.addr, "file A's job data BO" },
		{ v->j.chain.addr, "file A's chain BO" },
	};
	static const unsigned int decoy[2] = { 0, 32 };
	int dir, own = 0, faulted = 0;
	size_t i, k;

	for (k = 0; k < 2; k++)
		for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
			for (dir = 0; dir < 2; dir++) {
				char what[160];

				snprintf(what, sizeof(what),
					 "file B (%u decoy pages) %s the VA of %s",
					 decoy[k], dir ? "writing" : "reading",
					 t[i].name);
				if (hostile_access((struct htarget){ -1, t[i].va },
						   decoy[k], dir ? H_WRITE : 0,
						   what) == DRM_GCONV_JOB_OK)
					own++;
				else
					faulted++;
			}
	if (t_helper < 0)
		note("%d accesses reached file B's own BOs, %d MMU_FAULT",
		     own, faulted);
}

/* (b) addresses nothing maps */
static void hostile_unmapped_addresses(const struct victim *v)
{
	const struct {
		uint64_t va;
		int flags;
		const char *name;
	} t[] = {
		{ v->va_end - 16 * PAGE, H_UNMAPPED, "16 pages below VA_END" },
		{ v->va_end - 32 * PAGE, H_UNMAPPED | H_WRITE,
		  "32 pages below VA_END" },
		{ v->va_start + ((v->va_end - v->va_start) / 2 & ~(PAGE - 1)),
		  H_UNMAPPED, "the middle of the VA range" },
		{ v->va_start + ((v->va_end - v->va_start) / 2 & ~(PAGE - 1)) +
		  PAGE + 512, H_UNMAPPED | H_WRITE,
		  "the middle of the VA range" },
		{ v->va_start + 4096 * PAGE + 8, H_UNMAPPED,
		  "16 MiB above VA_START" },
		{ 0, H_UNMAPPED | H_EINVAL_OK, "address 0" },
		{ PAGE, H_UNMAPPED | H_WRITE | H_EINVAL_OK, "address 4096" },
		{ v->va_start - 128, H_EINVAL_OK,
		  "128 bytes below VA_START (into it)" },
		{ v->va_end - 128, H_UNMAPPED | H_EINVAL_OK,
		  "128 bytes below VA_END (across it)" },
		{ v->va_end, H_UNMAPPED | H_WRITE | H_EINVAL_OK, "VA_END" },
		{ 1ull << 48, H_UNMAPPED | H_EINVAL_OK, "2^48" },
		{ 0xfffffffffffff000ull, H_UNMAPPED | H_WRITE | H_EINVAL_OK,
		  "2^64 - 4096" },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char what[160];

		snprintf(what, sizeof(what), "file B %s %s",
			 t[i].flags & H_WRITE ? "writing" : "reading",
			 t[i].name);
		hostile_access((struct htarget){ -1, t[i].va }, 0, t[i].flags,
			       what);
	}
}

/* (c) read-only targets: B's own, and A's read-only BO's address */
static void hostile_read_only_targets(const struct victim *v)
{
	struct drm_gconv_wait w;
	struct gconv_desc d[2];
	struct hostile h;
	const float *o;
	int i, r;

	hostile_access((struct htarget){ HB_RO, 0 }, 0, H_WRITE,
		       "file B writing its own read-only BO");
	hostile_access((struct htarget){ HB_RO, PAGE - 128 }, 0, H_WRITE,
		       "file B writing the last 128 bytes of its read-only BO and beyond");
	hostile_access((struct htarget){ -1, v->bo[2].addr }, 0, H_WRITE,
		       "file B writing the VA of file A's read-only BO");
	hostile_access((struct htarget){ -1, v->bo[2].addr + PAGE }, 32,
		       H_WRITE,
		       "file B (32 decoy pages) writing the VA of file A's read-only BO");
	/* descriptor 0 writes B's output, descriptor 1 its read-only BO */
	hostile_open(&h, 0);
	scale_desc(&d[0], h.b[HB_IN].addr, h.b[HB_OUT].addr, 64, 1.0f);
	scale_desc(&d[1], h.b[HB_IN].addr, h.b[HB_RO].addr + 256, 64, 2.0f);
	r = hostile_run(&h, d, 2, &w, "descriptor 1 writing B's read-only BO");
	if (r)
		FAIL("a chain whose descriptor 1 writes a read-only BO: SUBMIT: expected success, got %s",
		     errstr(r));
	if (w.status != DRM_GCONV_JOB_MMU_FAULT || w.info != 1)
		FAIL("a chain whose descriptor 1 writes a read-only BO: expected MMU_FAULT in descriptor 1, got %s, info %#x",
		     status_name(w.status), w.info);
	if (w.fault_addr < h.b[HB_RO].addr ||
	    w.fault_addr >= h.b[HB_RO].addr + PAGE)
		FAIL("a chain whose descriptor 1 writes a read-only BO: fault_addr: expected in [%#llx, %#llx), got %#llx",
		     ULL(h.b[HB_RO].addr), ULL(h.b[HB_RO].addr + PAGE),
		     ULL(w.fault_addr));
	o = h.b[HB_OUT].map;
	for (i = 0; i < 64; i++)
		if (o[i] != ((const float *)h.b[HB_IN].map)[i])
			FAIL("output of descriptor 0 (before the fault)[%d]: expected %g, got %g",
			     i, (double)((const float *)h.b[HB_IN].map)[i],
			     (double)o[i]);
	memcpy(h.save[HB_OUT], o, 256);
	hostile_intact(&h, 0, "a chain whose descriptor 1 writes a read-only BO");
	hostile_close(&h);
}

/* (d) absurd strides and sizes: rejected at SUBMIT or MMU_FAULT */
static void ab_x_stride_4mib(struct gconv_desc *d)
{
	d->x.stride[GCONV_SLOT_K] = 1u << 20;
	d->x.extent = 63ull * (1u << 20) + 1;
}

static void ab_x_stride_minus_1(struct gconv_desc *d)
{
	d->x.stride[GCONV_SLOT_K] = UINT64_MAX;
}

static void ab_x_stride_minus_4(struct gconv_desc *d)
{
	d->x.stride[GCONV_SLOT_K] = (uint64_t)-4;
	d->x.extent = UINT64_MAX / 8;
}

static void ab_x_stride_2_63(struct gconv_desc *d)
{
	d->x.stride[GCONV_SLOT_K] = 1ull << 63;
	d->x.extent = UINT64_MAX;
}

static void ab_o_stride_minus_1(struct gconv_desc *d)
{
	d->o.stride[GCONV_SLOT_K] = UINT64_MAX;
}

static void ab_o_stride_1mib(struct gconv_desc *d)
{
	d->o.stride[GCONV_SLOT_K] = 1u << 18;
	d->o.extent = 63ull * (1u << 18) + 1;
}

static void ab_x_addr_top(struct gconv_desc *d)
{
	d->x.addr = 0xfffffffffffff000ull;
}

static void ab_o_addr_wraps(struct gconv_desc *d)
{
	d->o.addr = 0xffffffffffffff00ull;
}

static void ab_x_extent_wraps(struct gconv_desc *d)
{
	d->x.extent = 1ull << 62;
}

static void ab_o_extent_huge(struct gconv_desc *d)
{
	d->o.extent = UINT64_MAX / 4;
}

static void ab_k_max(struct gconv_desc *d)
{
	d->k = UINT32_MAX;
	d->x.extent = d->o.extent = UINT32_MAX;
}

static void ab_k_16m(struct gconv_desc *d)
{
	d->k = 1u << 24;
	d->x.extent = d->o.extent = 1u << 24;
}

static void ab_work_overflow(struct gconv_desc *d)
{
	d->n = d->g = d->k = 1u << 24;
	d->x.extent = d->o.extent = 1u << 24;
	d->x.stride[GCONV_SLOT_N] = d->x.stride[GCONV_SLOT_G] = 0;
	d->o.stride[GCONV_SLOT_N] = d->o.stride[GCONV_SLOT_G] = 0;
}

static void ab_pad_huge(struct gconv_desc *d)
{
	d->p = d->q = 8;
	d->k = 1;
	d->in_h = d->in_w = 8;
	d->pad_top = d->pad_left = 0xffffffffu;
	d->x.extent = 64;
	d->x.stride[GCONV_SLOT_K] = 0;
	d->x.stride[GCONV_SLOT_ROW] = 8;
	d->x.stride[GCONV_SLOT_COL] = 1;
	d->o.extent = 64;
	d->o.stride[GCONV_SLOT_K] = 0;
	d->o.stride[GCONV_SLOT_ROW] = 8;
	d->o.stride[GCONV_SLOT_COL] = 1;
}

static void hostile_absurd_strides(const struct victim *v)
{
	static const struct {
		const char *name;
		void (*edit)(struct gconv_desc *d);
		int out_free;	/* the output may be partly written */
	} c[] = {
		{ "X stride[k] 2^20 elements (4 MiB steps, extent to match)",
		  ab_x_stride_4mib, 0 },
		{ "X stride[k] 2^64 - 1 (-1)", ab_x_stride_minus_1, 0 },
		{ "X stride[k] -4 with a huge extent", ab_x_stride_minus_4, 0 },
		{ "X stride[k] 2^63, extent 2^64 - 1", ab_x_stride_2_63, 0 },
		{ "O stride[k] 2^64 - 1 (-1)", ab_o_stride_minus_1, 0 },
		{ "O stride[k] 2^18 elements (1 MiB steps, extent to match)",
		  ab_o_stride_1mib, 1 },
		{ "X at 2^64 - 4096", ab_x_addr_top, 0 },
		{ "O at 2^64 - 256 (addr + size wraps to 0)", ab_o_addr_wraps, 0 },
		{ "X extent 2^62 (bytes wrap 2^64)", ab_x_extent_wraps, 0 },
		{ "O extent 2^62 - 1", ab_o_extent_huge, 0 },
		{ "K 2^32 - 1", ab_k_max, 0 },
		{ "K 2^24 over X and O of 2^24 elements (64 MiB)", ab_k_16m, 1 },
		{ "N, G, K 2^24 each (work overflows)", ab_work_overflow, 0 },
		{ "pad_top and pad_left 2^32 - 1", ab_pad_huge, 0 },
	};
	int rejected = 0, faulted = 0;
	size_t i;

	(void)v;
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct drm_gconv_wait w;
		struct gconv_desc d;
		struct hostile h;
		char what[160];
		int r, k;

		snprintf(what, sizeof(what), "file B's descriptor with %s",
			 c[i].name);
		hostile_open(&h, 0);
		scale_desc(&d, h.b[HB_IN].addr, h.b[HB_OUT].addr, 64, 1.0f);
		c[i].edit(&d);
		r = hostile_run(&h, &d, 1, &w, what);
		if (r == -EINVAL) {
			rejected++;
		} else if (r) {
			FAIL("%s: SUBMIT: expected EINVAL or a job ending MMU_FAULT, got %s",
			     what, errstr(r));
		} else if (w.status != DRM_GCONV_JOB_MMU_FAULT) {
			FAIL("%s: expected EINVAL at SUBMIT or status MMU_FAULT, got status %s (info %#x, fault_addr %#llx)",
			     what, status_name(w.status), w.info,
			     ULL(w.fault_addr));
		} else {
			/* the fault is outside what B may access */
			k = hostile_bo_at(&h, w.fault_addr, 1);
			if (k >= 0 && k != HB_RO)
				FAIL("%s: fault_addr: expected outside file B's BOs (or in its read-only one), got %#llx in its %s BO",
				     what, ULL(w.fault_addr), hb_name[k]);
			faulted++;
		}
		hostile_intact(&h, c[i].out_free, what);
		hostile_close(&h);
	}
	if (t_helper < 0)
		note("%d rejected at SUBMIT, %d MMU_FAULT", rejected, faulted);
}

/* Run @fn against @v in this process, then in a forked one. */
static void hostile_both_ways(struct victim *v,
			      void (*fn)(const struct victim *v))
{
	pid_t pid;

	fn(v);
	memset(g_shared->report, 0, sizeof(g_shared->report));
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		FAIL("fork: expected success, got %s", errstr(-errno));
	if (!pid) {
		t_helper = 0;
		close(v->fd);	/* the hostile process holds no file of A's */
		fn(v);
		_exit(0);
	}
	reap_helper(pid, 0, "file B's process");
}

static void t_isolation_other_files_addresses(void)
{
	struct victim v;

	victim_setup(&v);
	hostile_both_ways(&v, hostile_other_files_addresses);
	victim_check(&v);
}

static void t_isolation_unmapped_addresses(void)
{
	struct victim v;

	victim_setup(&v);
	hostile_both_ways(&v, hostile_unmapped_addresses);
	victim_check(&v);
}

static void t_isolation_read_only_targets(void)
{
	struct victim v;

	victim_setup(&v);
	hostile_both_ways(&v, hostile_read_only_targets);
	victim_check(&v);
}

static void t_isolation_absurd_strides(void)
{
	struct victim v;

	victim_setup(&v);
	hostile_both_ways(&v, hostile_absurd_strides);
	victim_check(&v);
}

/* All of the above from a hostile process while file A runs its job in a
 * loop in another process. */
static void t_isolation_concurrent_processes(void)
{
	struct victim v;
	pid_t pa, pb;
	uint64_t n = 0;

	victim_setup(&v);
	memset(g_shared->report, 0, sizeof(g_shared->report));
	__atomic_store_n(&g_shared->stop, 0, __ATOMIC_RELEASE);
	fflush(stdout);
	pa = fork();
	if (pa < 0)
		FAIL("fork: expected success, got %s", errstr(-errno));
	if (!pa) {
		t_helper = 0;
		while (!__atomic_load_n(&g_shared->stop, __ATOMIC_ACQUIRE)) {
			victim_run_job(&v, "file A's job while file B attacks");
			__atomic_store_n(&g_shared->jobs[0], ++n,
					 __ATOMIC_RELEASE);
		}
		_exit(0);
	}
	pb = fork();
	if (pb < 0)
		FAIL("fork: expected success, got %s", errstr(-errno));
	if (!pb) {
		t_helper = 1;
		close(v.fd);
		hostile_other_files_addresses(&v);
		hostile_unmapped_addresses(&v);
		hostile_read_only_targets(&v);
		hostile_absurd_strides(&v);
		_exit(0);
	}
	reap_helper(pb, 1, "file B's process");
	__atomic_store_n(&g_shared->stop, 1, __ATOMIC_RELEASE);
	reap_helper(pa, 0, "file A's process");
	victim_check(&v);
	note("file A ran %llu jobs meanwhile",
	     ULL(__atomic_load_n(&g_shared->jobs[0], __ATOMIC_ACQUIRE)));
}

/* ------------------------------------------------------------------------
 * Bans
 */

/* GET_STATS of @fd until DRM_GCONV_STATS_BANNED shows, for up to 1 s. */
static void stats_banned(int fd, struct drm_gconv_stats *st)
{
	int64_t t0 = now_ns();

	do {
		get_stats(fd, st);
		if (st->flags & DRM_GCONV_STATS_BANNED)
			return;
		sleep_ms(10);
	} while (now_ns() - t0 < NSEC);
}

static void run_good(struct cjob *j, const char *what)
{
	uint64_t id;

	cjob_clear_output(j);
	id = cjob_submit(j, 0, 0, DRM_GCONV_PRIORITY_NORMAL);
	wait_status(j->fd, id, 30, DRM_GCONV_JOB_OK, NULL, what);
	cjob_check(j, what);
}

static void expect_unbanned(int fd, const char *who)
{
	struct drm_gconv_stats st;

	get_stats(fd, &st);
	if (st.faults || st.flags)
		FAIL("GET_STATS of %s: expected faults 0 and flags 0, got faults %llu flags %#x",
		     who, ULL(st.faults), st.flags);
}

static void t_ban_after_repeated_faults(void)
{
	unsigned int ban = module_param_uint("ban_after", 3), i;
	int fd = open_node(0), other = open_node(0), fresh;
	struct drm_gconv_stats st;
	struct drm_gconv_submit s;
	struct drm_gconv_wait w;
	struct cjob good, og, fg;
	struct range used[3];
	struct bo out, cbo;
	struct gconv_desc d;
	uint64_t id, id2 = 0, bad;
	size_t len;

	if (!ban) {
		note("ban_after is 0: bans are off, nothing to test");
		return;
	}
	cjob_build(fd, &good, 2, 3, 6, 1, 300, 1);
	cjob_build(other, &og, 2, 3, 6, 1, 301, 1);
	run_good(&og, "the other file's first job");
	bo_new(fd, PAGE, 0, &out);
	used[0] = (struct range){ good.data.addr, good.data.size };
	used[1] = (struct range){ good.chain.addr, good.chain.size };
	used[2] = (struct range){ out.addr, out.size };
	bad = unused_va(fd, used, 3, PAGE);
	for (i = 0; i < ban; i++) {
		char what[128];

		get_stats(fd, &st);
		if (st.flags & DRM_GCONV_STATS_BANNED)
			FAIL("after %u of ban_after %u faulting jobs: expected not banned yet, got DRM_GCONV_STATS_BANNED",
			     i, ban);
		if (st.faults != i)
			FAIL("GET_STATS faults after %u faulting jobs: expected %u, got %llu",
			     i, i, ULL(st.faults));
		/* good jobs between the faults run and do not count */
		snprintf(what, sizeof(what), "a good job after %u faulting jobs",
			 i);
		run_good(&good, what);
		snprintf(what, sizeof(what), "faulting job %u of %u", i + 1, ban);
		id = fault_job(fd, bad, &out, 0);
		if (i == ban - 1) {
			/*
			 * A job queued behind the banning fault ends BANNED;
			 * if the fault has already banned the file, the
			 * SUBMIT itself fails with ECANCELED.
			 */
			int r;

			submit_init(&s, good.chain.handle, 0, good.chain_len,
				    good.bos, 1);
			r = submit(fd, &s);
			if (r && r != -ECANCELED)
				FAIL("a job submitted behind the banning fault: expected success or ECANCELED, got %s",
				     errstr(r));
			id2 = r ? 0 : s.job_id;
		}
		wait_status(fd, id, 30, DRM_GCONV_JOB_MMU_FAULT, &w, what);
		if (w.fault_addr < bad || w.fault_addr >= bad + 256)
			FAIL("%s: fault_addr: expected in [%#llx, %#llx), got %#llx",
			     what, ULL(bad), ULL(bad + 256), ULL(w.fault_addr));
		if (i == ban - 1 && id2)
			wait_status(fd, id2, 30, DRM_GCONV_JOB_BANNED, NULL,
				    "a job queued behind the fault that banned its file");
		/* the process's other file is not touched */
		snprintf(what, sizeof(what),
			 "the other file's job after %u faults in the first", i + 1);
		run_good(&og, what);
	}
	stats_banned(fd, &st);
	if (!(st.flags & DRM_GCONV_STATS_BANNED))
		FAIL("GET_STATS after %u faulting jobs (ban_after %u): expected DRM_GCONV_STATS_BANNED, got flags %#x, faults %llu",
		     ban, ban, st.flags, ULL(st.faults));
	if (st.faults < ban)
		FAIL("GET_STATS faults of the banned file: expected at least %u, got %llu",
		     ban, ULL(st.faults));
	/* every later SUBMIT fails, good chain or bad */
	cjob_clear_output(&good);
	submit_init(&s, good.chain.handle, 0, good.chain_len, good.bos, 1);
	EXPECT_ERR("SUBMIT of a good job in the banned file", submit(fd, &s),
		   ECANCELED);
	scale_desc(&d, bad, out.addr, 64, 2.0f);
	len = chain_bo(fd, &d, 1, 0, &cbo);
	submit_init(&s, cbo.handle, 0, len, &out.handle, 1);
	EXPECT_ERR("SUBMIT of a faulting job in the banned file",
		   submit(fd, &s), ECANCELED);
	EXPECT_ERR("SUBMIT of a good job in the banned file, again",
		   submit(fd, &s), ECANCELED);
	/* the same process's other file and a new one are not banned */
	expect_unbanned(other, "the process's other file");
	run_good(&og, "the other file's job once the first is banned");
	fresh = open_node(0);
	expect_unbanned(fresh, "a new file of the same process");
	cjob_build(fresh, &fg, 2, 3, 6, 1, 302, 1);
	run_good(&fg, "a job in a new file of the banned file's process");
	expect_unbanned(other, "the process's other file at the end");
	note("banned after %u faults; SUBMIT then ECANCELED", ban);
}

/* ------------------------------------------------------------------------
 * The fault matrix (run by name only, by tests/vm/check-faults)
 *
 * Two innocent processes run verified chains on their own files for the
 * whole run.  For each fault kind, three times, a guilty process opens a
 * fresh file (never banned), runs one good job so its address space holds
 * a context slot, finds the slot in debugfs `contexts` and prints
 *
 *	gconv-faults: inject KIND context N round R
 *
 * The host (check-faults) then sets the device's inject-context to N and
 * inject-KIND to 1 over QMP.  The guilty process submits a job every
 * 200 ms: they end OK until the injection is armed; the first one ending
 * with the kind's status completes the round.  Every innocent job must end
 * OK and equal the golden engine's result.
 */
#define FAULT_MATRIX_TIMEOUT_S	900
#define FM_REPEATS		3
#define FM_ROUND_S		60

struct fm_kind {
	const char *name;	/* the QMP property is inject-NAME */
	uint32_t status;
	int charged;		/* counts towards a ban */
};

static const struct fm_kind fm_kinds[] = {
	{ "hang", DRM_GCONV_JOB_TIMEOUT, 1 },
	{ "mmu-fault", DRM_GCONV_JOB_MMU_FAULT, 1 },
	{ "dma-error", DRM_GCONV_JOB_DMA_ERROR, 0 },
	{ "bad-completion", DRM_GCONV_JOB_BAD_COMPLETION, 0 },
};

#define FM_NKINDS	(int)(sizeof(fm_kinds) / sizeof(fm_kinds[0]))

static void __attribute__((format(printf, 2, 3)))
fm_check(int ok, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	printf("%s fault_matrix: %s\n", ok ? "ok  " : "FAIL", msg);
	fflush(stdout);
	if (ok)
		g_shared->own_passed++;
	else
		g_shared->own_failed++;
}

/* Innocent @which: loops until stop, then reports. */
static void __attribute__((noreturn)) fm_innocent(int which)
{
	enum { NJ = 3 };
	static const uint32_t prio[2] = { DRM_GCONV_PRIORITY_NORMAL,
					  DRM_GCONV_PRIORITY_HIGH };
	unsigned int bad[DRM_GCONV_JOB_BANNED + 2] = { 0 };
	unsigned int nsubmit = 0, nwrong = 0, nlost = 0;
	uint64_t ok = 0, total = 0, id[NJ];
	char first[256] = "", msg[200];
	struct drm_gconv_stats st;
	struct cjob j[NJ];
	int fd = open_node(0), i, r;

	for (i = 0; i < NJ; i++)
		cjob_build(fd, &j[i], 2 + (uint32_t)i, 4, which ? 16 : 8,
			   which ? 4 : 1, 7000 + 10 * (unsigned int)which + (unsigned int)i, 1);
	while (!__atomic_load_n(&g_shared->stop, __ATOMIC_ACQUIRE)) {
		for (i = 0; i < NJ; i++) {
			struct drm_gconv_submit s;

			cjob_clear_output(&j[i]);
			submit_init(&s, j[i].chain.handle, 0, j[i].chain_len,
				    j[i].bos, 1);
			s.priority = prio[which];
			r = submit(fd, &s);
			id[i] = r ? 0 : s.job_id;
			if (r && !nsubmit++ && !first[0])
				snprintf(first, sizeof(first),
					 "SUBMIT: expected success, got %s",
					 errstr(r));
		}
		for (i = 0; i < NJ; i++) {
			struct drm_gconv_wait w;

			if (!id[i])
				continue;
			total++;
			r = wait_job(fd, id[i], now_ns() + 60 * NSEC, &w);
			if (r) {
				if (!nlost++ && !first[0])
					snprintf(first, sizeof(first),
						 "job %llu: WAIT: expected the job to end within 60 s, got %s",
						 ULL(id[i]), errstr(r));
				continue;
			}
			if (w.status != DRM_GCONV_JOB_OK) {
				bad[w.status <= DRM_GCONV_JOB_BANNED ?
				    w.status : DRM_GCONV_JOB_BANNED + 1]++;
				if (!first[0])
					snprintf(first, sizeof(first),
						 "job %llu: expected status OK, got %s (info %#x, fault_addr %#llx)",
						 ULL(id[i]),
						 status_name(w.status), w.info,
						 ULL(w.fault_addr));
				continue;
			}
			if (cjob_differs(&j[i], msg, sizeof(msg))) {
				if (!nwrong++ && !first[0])
					snprintf(first, sizeof(first),
						 "job %llu ended OK but %s",
						 ULL(id[i]), msg);
				continue;
			}
			ok++;
		}
		__atomic_store_n(&g_shared->jobs[which], ok, __ATOMIC_RELEASE);
		if (nsubmit)
			sleep_ms(100);
	}
	get_stats(fd, &st);
	if (ok == total && !nsubmit && !st.faults && !st.flags) {
		helper_note("%llu jobs, every one OK and equal to the golden engine; never charged a fault",
			    ULL(ok));
		_exit(0);
	}
	{
		char counts[200] = "";
		size_t len = 0;
		unsigned int s;

		for (s = 1; s < sizeof(bad) / sizeof(bad[0]); s++)
			if (bad[s])
				len += (size_t)snprintf(counts + len,
							sizeof(counts) - len,
							" %s %u", status_name(s), bad[s]);
		helper_note("expected every job OK and right and no fault charged, got %llu of %llu OK; ended not OK:%s; %u wrong outputs, %u never ended, %u SUBMIT errors; GET_STATS faults %llu flags %#x; first: %s",
			    ULL(ok), ULL(total), counts[0] ? counts : " none",
			    nwrong, nlost, nsubmit, ULL(st.faults), st.flags,
			    first[0] ? first : "-");
	}
	_exit(1);
}

static void fm_announce(const struct fm_kind *k, int ctx, int round)
{
	printf("gconv-faults: inject %s context %d round %d\n", k->name, ctx,
	       round);
	fflush(stdout);
}

/* One round of the guilty process (a helper). */
static void fm_guilty(const struct fm_kind *k, int round)
{
	struct drm_gconv_stats st;
	struct drm_gconv_wait w;
	int fd = open_node(0), ctx, nok = 0, r;
	int64_t t0, last;
	struct cjob j;
	uint64_t id;
	double secs;

	cjob_build(fd, &j, 2, 3, 6, 1, 9000 + (unsigned int)round, 1);
	run_good(&j, "the guilty file's first job");
	ctx = my_context(0);
	if (ctx < 0)
		FAIL("debugfs contexts: expected a slot owned by pid %d after its job ran, got none",
		     (int)getpid());
	t0 = last = now_ns();
	fm_announce(k, ctx, round);
	for (;;) {
		if (now_ns() - t0 > FM_ROUND_S * NSEC)
			FAIL("expected a job ending %s within %d s of asking for inject-%s on context %d, got %d jobs that all ended OK",
			     status_name(k->status), FM_ROUND_S, k->name, ctx,
			     nok);
		if (now_ns() - last > 5 * NSEC) {
			/* in case a kernel message garbled the line */
			fm_announce(k, ctx, round);
			last = now_ns();
		}
		cjob_clear_output(&j);
		id = cjob_submit(&j, 0, 0, DRM_GCONV_PRIORITY_NORMAL);
		r = wait_job(fd, id, now_ns() + 30 * NSEC, &w);
		if (r)
			FAIL("guilty job %d: WAIT: expected the job to end within 30 s, got %s",
			     nok + 1, errstr(r));
		if (w.status == k->status)
			break;
		if (w.status != DRM_GCONV_JOB_OK)
			FAIL("guilty job %d after asking for inject-%s: expected OK (not armed yet) or %s, got %s (info %#x, fault_addr %#llx)",
			     nok + 1, k->name, status_name(k->status),
			     status_name(w.status), w.info, ULL(w.fault_addr));
		cjob_check(&j, "a guilty-file job ending OK before the injection");
		nok++;
		sleep_ms(200);
	}
	secs = (double)(now_ns() - t0) / 1e9;
	if (k->status == DRM_GCONV_JOB_MMU_FAULT &&
	    (w.fault_addr < j.chain.addr ||
	     w.fault_addr >= j.chain.addr + j.chain.size))
		FAIL("the injected MMU fault: expected fault_addr in the chain BO [%#llx, %#llx) (the device faults the chain address), got %#llx",
		     ULL(j.chain.addr), ULL(j.chain.addr + j.chain.size),
		     ULL(w.fault_addr));
	get_stats(fd, &st);
	if (st.faults != (uint64_t)k->charged || st.flags)
		FAIL("GET_STATS after the %s job: expected faults %d and not banned, got faults %llu flags %#x",
		     status_name(k->status), k->charged, ULL(st.faults),
		     st.flags);
	run_good(&j, "the guilty file's next job after its failure");
	helper_note("%s after %.1f s (%d OK jobs before it), context %d",
		    status_name(k->status), secs, nok, ctx);
	close(fd);
}

static void t_fault_matrix(void)
{
	pid_t inn[2], g;
	char msg[600];
	int rep, k, i, round = 0;

	memset(g_shared->report, 0, sizeof(g_shared->report));
	memset(g_shared->jobs, 0, sizeof(g_shared->jobs));
	g_shared->own_passed = g_shared->own_failed = 0;
	g_shared->own_count = 1;
	__atomic_store_n(&g_shared->stop, 0, __ATOMIC_RELEASE);
	printf("# fault_matrix: timeout_ms %u, ban_after %u\n",
	       module_param_uint("timeout_ms", 0),
	       module_param_uint("ban_after", 0));
	fflush(stdout);
	for (i = 0; i < 2; i++) {
		inn[i] = fork();
		if (inn[i] < 0)
			FAIL("fork: expected success, got %s", errstr(-errno));
		if (!inn[i]) {
			t_helper = i;
			fm_innocent(i);
		}
	}
	/* both innocents run before the first injection */
	for (i = 0; i < 600; i++) {
		if (__atomic_load_n(&g_shared->jobs[0], __ATOMIC_ACQUIRE) &&
		    __atomic_load_n(&g_shared->jobs[1], __ATOMIC_ACQUIRE))
			break;
		sleep_ms(100);
	}
	for (rep = 1; rep <= FM_REPEATS; rep++)
		for (k = 0; k < FM_NKINDS; k++) {
			uint64_t before = g_shared->jobs[0] + g_shared->jobs[1];
			int ok;

			round++;
			memset(g_shared->report[2], 0, sizeof(g_shared->report[2]));
			fflush(stdout);
			g = fork();
			if (g < 0)
				FAIL("fork: expected success, got %s",
				     errstr(-errno));
			if (!g) {
				t_helper = 2;
				fm_guilty(&fm_kinds[k], round);
				_exit(0);
			}
			ok = helper_status(g, 2, msg, sizeof(msg));
			fm_check(ok, "round %d, %s #%d: %s; innocents verified %llu jobs meanwhile",
				 round, fm_kinds[k].name, rep, msg,
				 ULL(g_shared->jobs[0] + g_shared->jobs[1] - before));
		}
	__atomic_store_n(&g_shared->stop, 1, __ATOMIC_RELEASE);
	for (i = 0; i < 2; i++) {
		int ok = helper_status(inn[i], i, msg, sizeof(msg));

		fm_check(ok, "innocent process %d: %s", i, msg);
	}
	if (g_shared->own_failed)
		FAIL("%d of %d checks failed (above)", g_shared->own_failed,
		     g_shared->own_passed + g_shared->own_failed);
	note("%d rounds, %d innocents", round, 2);
}

/* ------------------------------------------------------------------------
 * The runner
 */

struct subtest {
	const char *name;
	void (*fn)(void);
	int timeout_s;		/* 0: SUBTEST_TIMEOUT_S */
};

#define T(x) { #x, t_##x, 0 }
static const struct subtest subtests[] = {
	T(get_param),
	T(get_param_unknown),
	T(get_param_reserved),
	T(bo_create),
	T(bo_create_read_only),
	T(bo_create_size_zero),
	T(bo_create_unknown_flags),
	T(bo_create_reserved),
	T(bo_create_huge),
	T(bo_info_mmap),
	T(bo_zero_filled),
	T(bo_info_bad_handle),
	T(bo_info_reserved),
	T(bo_mmap_beyond_size),
	T(submit_one_gconv),
	T(submit_sample_network),
	T(chain_at_offset),
	T(chain_in_read_only_bo),
	T(submit_without_bo_list),
	T(submit_all_priorities),
	T(many_jobs_in_flight),
	T(submit_bad_chain_handle),
	T(submit_chain_offset_unaligned),
	T(submit_chain_beyond_bo),
	T(submit_chain_range_overflow),
	T(submit_chain_size_zero),
	T(submit_chain_size_below_header),
	T(submit_chain_size_above_max),
	T(submit_chain_truncated),
	T(submit_chain_bad_magic),
	T(submit_chain_bad_descriptor),
	T(submit_unknown_flags),
	T(submit_reserved),
	T(submit_bad_priority),
	T(submit_bo_count_huge),
	T(submit_bo_handles_efault),
	T(submit_bad_bo_handle),
	T(submit_duplicate_bo_handle),
	T(submit_bad_in_syncobj),
	T(submit_bad_out_syncobj),
	T(wait_unknown_job),
	T(wait_other_files_job),
	T(wait_reserved),
	T(wait_past_deadline_finished),
	T(wait_past_deadline_running),
	T(wait_times_out),
	T(wait_interrupted_by_signal),
	T(mmu_fault_status),
	T(fault_reports_descriptor_index),
	T(bo_read_only_input_ok),
	T(bo_read_only_output_faults),
	T(wrong_file_handles),
	T(wrong_file_va_read_faults),
	T(wrong_file_va_write_faults),
	T(syncobj_out_signalled),
	T(syncobj_out_signalled_on_fault),
	T(syncobj_in_order),
	T(syncobj_in_signalled),
	T(two_processes_concurrently),
	T(close_with_jobs_in_flight),
	T(exit_with_jobs_in_flight),
	T(bo_close_during_job),
	T(many_files_each_run_a_job),
	T(chain_modified_after_submit),
	T(prime_export_import),
	T(prime_device_write_visible),
	T(prime_self_import),
	T(prime_import_after_exporter_closed),
	T(prime_import_other_device),
	T(get_stats),
	T(get_stats_reserved),
	T(second_device_runs_jobs),
	T(isolation_other_files_addresses),
	T(isolation_unmapped_addresses),
	T(isolation_read_only_targets),
	T(isolation_absurd_strides),
	T(isolation_concurrent_processes),
	T(ban_after_repeated_faults),
};
#undef T
#define NSUBTESTS (sizeof(subtests) / sizeof(subtests[0]))

/* subtests that need the host's help: only run when named */
static const struct subtest extra_subtests[] = {
	{ "hang_times_out_and_recovers", t_hang_times_out_and_recovers, 0 },
	{ "fault_matrix", t_fault_matrix, FAULT_MATRIX_TIMEOUT_S },
};
#define NEXTRA (sizeof(extra_subtests) / sizeof(extra_subtests[0]))

/* Run one subtest in a child; 1 if it passed. */
static int run_subtest(const struct subtest *t)
{
	int64_t t0 = now_ns();
	int limit = t->timeout_s ? t->timeout_s : SUBTEST_TIMEOUT_S;
	int st;
	pid_t pid, r;

	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		printf("FAIL %s: fork: expected success, got %s\n", t->name,
		       errstr(-errno));
		return 0;
	}
	if (!pid) {
		t_name = t->name;
		t_note[0] = 0;
		t->fn();
		printf("ok   %s%s%s%s\n", t->name, t_note[0] ? " (" : "",
		       t_note, t_note[0] ? ")" : "");
		fflush(stdout);
		_exit(0);
	}
	for (;;) {
		r = waitpid(pid, &st, WNOHANG);
		if (r == pid)
			break;
		if (r < 0 && errno != EINTR) {
			printf("FAIL %s: waitpid: expected the child, got %s\n",
			       t->name, errstr(-errno));
			return 0;
		}
		if (now_ns() - t0 > limit * NSEC) {
			kill(pid, SIGKILL);
			printf("FAIL %s: expected to finish within %d s, got still running (killed)\n",
			       t->name, limit);
			fflush(stdout);
			for (t0 = now_ns(); now_ns() - t0 < 10 * NSEC;) {
				if (waitpid(pid, &st, WNOHANG) == pid)
					break;
				sleep_ms(20);
			}
			return 0;
		}
		sleep_ms(5);
	}
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 1;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 1)
		return 0; /* it printed its FAIL line */
	if (WIFSIGNALED(st))
		printf("FAIL %s: expected the subtest to end normally, got signal %d (%s)\n",
		       t->name, WTERMSIG(st), strsignal(WTERMSIG(st)));
	else
		printf("FAIL %s: expected exit 0, got exit %d\n", t->name,
		       WEXITSTATUS(st));
	return 0;
}

int main(int argc, char **argv)
{
	int passed = 0, failed = 0, i;
	size_t k;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc > 1 && (!strcmp(argv[1], "--list") || !strcmp(argv[1], "-l"))) {
		for (k = 0; k < NSUBTESTS; k++)
			printf("%s\n", subtests[k].name);
		return 0;
	}
	if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		printf("usage: %s [--list] [SUBTEST...]\n", argv[0]);
		return 0;
	}
	for (i = 1; i < argc; i++) {
		int known = 0;

		for (k = 0; k < NSUBTESTS; k++)
			known |= !strcmp(argv[i], subtests[k].name);
		for (k = 0; k < NEXTRA; k++)
			known |= !strcmp(argv[i], extra_subtests[k].name);
		if (!known) {
			fprintf(stderr, "gconv-test: no subtest '%s' (try --list)\n",
				argv[i]);
			return 2;
		}
	}
	g_shared = mmap(NULL, sizeof(*g_shared), PROT_READ | PROT_WRITE,
			MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (g_shared == MAP_FAILED) {
		printf("FAIL setup: mmap: expected shared memory, got %s\n0 passed, 1 failed\n",
		       errstr(-errno));
		return 1;
	}
	memset(g_shared, 0, sizeof(*g_shared));
	g_nnodes = find_nodes();
	if (!g_nnodes) {
		printf("FAIL setup: expected a gconv accel node in /sys/class/accel, got none\n"
		       "0 passed, 1 failed\n");
		return 1;
	}
	printf("# gconv-test: %d device(s):", g_nnodes);
	for (i = 0; i < g_nnodes; i++)
		printf(" %s", g_nodes[i]);
	printf("\n");
	for (k = 0; k < NSUBTESTS; k++) {
		int want = argc == 1;

		for (i = 1; i < argc && !want; i++)
			want = !strcmp(argv[i], subtests[k].name);
		if (!want)
			continue;
		if (run_subtest(&subtests[k]))
			passed++;
		else
			failed++;
	}
	for (k = 0; k < NEXTRA; k++) {
		for (i = 1; i < argc; i++) {
			int ok;

			if (strcmp(argv[i], extra_subtests[k].name))
				continue;
			g_shared->own_count = 0;
			ok = run_subtest(&extra_subtests[k]);
			if (g_shared->own_count) {
				/* its own checks, plus one if it died early */
				passed += g_shared->own_passed;
				failed += g_shared->own_failed +
					  (!ok && !g_shared->own_failed);
			} else if (ok) {
				passed++;
			} else {
				failed++;
			}
		}
	}
	printf("%d passed, %d failed\n", passed, failed);
	/* several runs in one VM: tests/vm/check-driver adds them up */
	if (getenv("GCONV_TEST_TALLY")) {
		FILE *f = fopen(getenv("GCONV_TEST_TALLY"), "a");

		if (f) {
			fprintf(f, "%d %d\n", passed, failed);
			fclose(f);
		}
	}
	return failed ? 1 : 0;
}
