// SPDX-License-Identifier: MIT
/*
 * gconv-fuzz: random and structure-aware ioctl sequences against gconv.ko,
 * run as root in the test VM (tests/vm/check-fuzz) while the host toggles
 * the device's fault injection through QMP.
 *
 * K file descriptors on the gconv accel nodes are opened, used and closed
 * over time.  Each step picks one weighted operation: GET_PARAM, BO_CREATE,
 * BO_INFO, mmap/munmap and reads/writes of mapped BOs, GEM_CLOSE, SUBMIT of
 * a chain that starts valid (an element-wise op, a convolution repeated,
 * the sample network, a long convolution) and is then mutated (header
 * fields, dimensions, operators, operand addresses in this file's BOs,
 * other files' BOs, read-only BOs, unmapped space, raw bytes), with random
 * BO lists, offsets, sizes, priorities, flags and syncobjs; WAIT with
 * bounded deadlines, GET_STATS, syncobjs, PRIME export and import between
 * files and devices, close() of a file with jobs in flight, fork() of a
 * child that submits and _exit()s mid-flight, and raw ioctls with random
 * payloads.
 *
 * Errors are expected: every result is accepted as long as the kernel
 * survives, except for a few UAPI rules checked on the way (an ioctl the
 * UAPI says must fail succeeded, an mmap larger than its BO succeeded, a
 * job status outside the UAPI's enum).  The kernel's own trouble (oops,
 * WARN, hung task) and leaked BOs are what tests/vm/check-fuzz looks at.
 *
 *	gconv-fuzz [--seconds N] [--ops N] [--seed S] [--fds K]
 *		   [--device PATH]... [--verbose]
 *
 * The seed is always printed.  "--seed S" with the same other options
 * makes the same decisions for as long as the kernel gives the same
 * answers; job timing and the faults the host injects differ from run to
 * run, so a replay retraces the path up to the first different answer.
 * --verbose prints every operation; a broken rule or a crash of the fuzzer
 * prints the last 24 anyway.
 * The last line is "N passed, N failed" (1 passed when the run reached its
 * end without breaking a rule).  Exit status 0 on pass, 1 on fail, 2 usage.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stddef.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <gconv_accel.h>
#include <gconv/engine.h>
#include <gconv/validate.h>

#include "../common/sample_chain.h"

#define PAGE		4096ull
#define NSEC		1000000000ll
#define MSEC		1000000ll
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define ULL(x)		((unsigned long long)(x))
#define ROUND_UP(x, a)	(((x) + (a) - 1) / (a) * (a))

#define MAX_DEVS	4
#define MAX_SLOTS	16
#define SLOT_BOS	24
#define SLOT_SYNCS	8
#define SLOT_JOBS	32
#define SLOT_STALE	8
#define MAX_MAPS	96
#define MAX_DMABUFS	8
#define MAX_CHILDREN	4
#define ERRNO_MAX	160
#define STATUS_MAX	16
/* live BOs this process created and still holds handles to */
#define BO_BUDGET	(64ull << 20)
/* an operation still in the kernel after this long is interrupted */
#define WATCHDOG_S	8
/* the longest WAIT or syncobj wait deadline */
#define MAX_WAIT_MS	2000

/* ------------------------------------------------------------------------
 * Random numbers (splitmix64: the whole run follows from the seed)
 */

static uint64_t g_rs;

static uint64_t rnd(void)
{
	uint64_t z = (g_rs += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint32_t below(uint32_t n)
{
	return n ? (uint32_t)(rnd() % n) : 0;
}

static int chance(unsigned int pct)
{
	return below(100) < pct;
}

static uint32_t interesting32(void)
{
	static const uint32_t v[] = {
		0, 1, 2, 3, 4, 7, 8, 15, 16, 63, 64, 255, 256, 511, 512,
		4095, 4096, 4097, 0x7fff, 0x8000, 0xffff, 0x10000,
		1u << 24, (1u << 24) + 1, 0x7fffffff, 0x80000000u,
		0xfffffffeu, 0xffffffffu,
	};

	if (chance(20))
		return (uint32_t)rnd();
	return v[below(ARRAY_SIZE(v))];
}

static uint64_t interesting64(void)
{
	static const uint64_t v[] = {
		0, 1, 4, 8, 64, 4096, 1ull << 31, 1ull << 32, (1ull << 32) - 4,
		1ull << 40, 1ull << 44, 1ull << 47, 1ull << 48, 1ull << 63,
		UINT64_MAX, UINT64_MAX - 3, UINT64_MAX - 4095,
	};

	if (chance(30))
		return interesting32();
	if (chance(15))
		return rnd();
	return v[below(ARRAY_SIZE(v))];
}

/* ------------------------------------------------------------------------
 * Operations and what they returned
 */

enum op {
	OP_OPEN, OP_CLOSE, OP_GET_PARAM, OP_BO_CREATE, OP_BO_INFO, OP_MMAP,
	OP_MUNMAP, OP_MEM, OP_GEM_CLOSE, OP_SUBMIT, OP_WAIT, OP_STATS,
	OP_SYNCOBJ, OP_PRIME, OP_FORK, OP_RAW, OP_COUNT
};

static const struct {
	const char *name;
	unsigned int weight;
} g_ops[OP_COUNT] = {
	[OP_OPEN] = { "open", 3 },
	[OP_CLOSE] = { "close", 2 },
	[OP_GET_PARAM] = { "get_param", 3 },
	[OP_BO_CREATE] = { "bo_create", 9 },
	[OP_BO_INFO] = { "bo_info", 5 },
	[OP_MMAP] = { "mmap", 6 },
	[OP_MUNMAP] = { "munmap", 4 },
	[OP_MEM] = { "mem_rw", 5 },
	[OP_GEM_CLOSE] = { "gem_close", 6 },
	[OP_SUBMIT] = { "submit", 26 },
	[OP_WAIT] = { "wait", 10 },
	[OP_STATS] = { "get_stats", 3 },
	[OP_SYNCOBJ] = { "syncobj", 5 },
	[OP_PRIME] = { "prime", 4 },
	[OP_FORK] = { "fork", 1 },
	[OP_RAW] = { "raw_ioctl", 3 },
};

static const char *const g_status_names[] = {
	"OK", "INVALID", "MMU_FAULT", "DMA_ERROR", "TIMEOUT", "ABORTED",
	"ERROR", "BAD_COMPLETION", "BANNED",
};
#define STATUS_KNOWN	ARRAY_SIZE(g_status_names)

static unsigned long g_count[OP_COUNT];
static unsigned long g_err[OP_COUNT][ERRNO_MAX + 1];	/* [0]: success */
static double g_slowest[OP_COUNT];			/* seconds */
static unsigned long g_status[STATUS_MAX];
static unsigned long g_waits_timed_out;
static unsigned long g_jobs;
static unsigned long g_chains_valid, g_chains_invalid;
static unsigned long g_violations;
static unsigned long g_children_started, g_children_bad;
static int g_child;		/* in a fork()ed child */
static int g_verbose;
static unsigned long g_opno;

/* the operation being done, and the last few done, for failure reports */
#define RING	24
static char g_cur[1024];
static char g_ring[RING][1024];
static unsigned int g_ringpos;

static void __attribute__((format(printf, 1, 2))) say(const char *fmt, ...)
{
	size_t len = strlen(g_cur);
	va_list ap;

	if (len >= sizeof(g_cur) - 1)
		return;
	va_start(ap, fmt);
	vsnprintf(g_cur + len, sizeof(g_cur) - len, fmt, ap);
	va_end(ap);
}

static const char *errname(int r)
{
	static char b[4][24];
	static unsigned int next;
	const char *n;
	char *p;

	if (r == 0)
		return "ok";
	n = strerrorname_np(-r);
	if (n)
		return n;
	p = b[next++ % 4];
	snprintf(p, sizeof(b[0]), "errno%d", -r);
	return p;
}

/* Count @r (0 or -errno) for @k and note it in the description. */
static int account(enum op k, int r)
{
	int e = -r;

	if (e < 0 || e > ERRNO_MAX)
		e = ERRNO_MAX;
	g_err[k][e]++;
	say(" -> %s;", errname(r));
	return r;
}

static void ring_dump(FILE *f)
{
	unsigned int i;

	fprintf(f, "gconv-fuzz: the last operations, oldest first:\n");
	for (i = 0; i < RING; i++) {
		const char *l = g_ring[(g_ringpos + i) % RING];

		if (*l)
			fprintf(f, "gconv-fuzz:   %s\n", l);
	}
	fprintf(f, "gconv-fuzz:   (now) %s\n", g_cur);
	fflush(f);
}

/* A rule the UAPI states was broken: report it, keep going, fail at the end. */
static void __attribute__((format(printf, 1, 2))) violation(const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	g_violations++;
	printf("gconv-fuzz: VIOLATION (op #%lu): %s\n", g_opno, msg);
	if (g_violations <= 5)
		ring_dump(stdout);
	fflush(stdout);
	if (g_child)
		_exit(3);
}

/* ------------------------------------------------------------------------
 * Time and the watchdog
 */

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * NSEC + ts.tv_nsec;
}

static void on_alarm(int sig)
{
	(void)sig;	/* only there to interrupt a blocked syscall (EINTR) */
}

static void watchdog(int secs)
{
	struct itimerval it = { { 0, 0 }, { secs, 0 } };

	setitimer(ITIMER_REAL, &it, NULL);
}

static void on_fatal(int sig)
{
	char buf[160];
	int n;

	/* not async-signal-safe, but the process is going down anyway */
	n = snprintf(buf, sizeof(buf),
		     "gconv-fuzz: %s: killed by signal %d during op #%lu\n",
		     g_child ? "child" : "fuzzer", sig, g_opno);
	if (n > 0 && write(1, buf, (size_t)n) < 0)
		_exit(4);
	ring_dump(stdout);
	_exit(4);
}

/* ------------------------------------------------------------------------
 * Devices, files, BOs, mappings
 */

struct dev {
	char path[128];
	uint64_t va_start, va_end;
};

struct fbo {
	uint32_t handle;
	uint32_t flags;
	uint64_t size;		/* bytes, page-rounded; 0: not known */
	uint64_t addr;		/* device VA in this file's space */
	uint64_t mmap_off;	/* 0: not asked yet */
	int imported;
};

struct slot {
	int fd;			/* -1: closed */
	int dev;
	unsigned int gen;	/* bumped on every close */
	int banned;		/* SUBMIT said ECANCELED */
	struct fbo bo[SLOT_BOS];
	int nbo;
	uint32_t sync[SLOT_SYNCS];
	uint8_t fenced[SLOT_SYNCS];	/* has (had) a fence: SUBMIT can wait */
	int nsync;
	uint64_t job[SLOT_JOBS];	/* recent job ids, a ring */
	unsigned int njob;
	uint32_t stale[SLOT_STALE];	/* closed BO and syncobj handles */
	unsigned int nstale;
};

struct fmap {
	uint8_t *p;
	size_t len;		/* mapped */
	size_t safe;		/* may be touched: min(len, BO size) or 0 */
	int prot;
	int slot;		/* owner, -1 for a dma-buf mapping */
	unsigned int gen;
	uint32_t handle;	/* 0 once the handle is gone */
	int used;
};

static struct dev g_dev[MAX_DEVS];
static int g_ndev;
static struct slot g_slot[MAX_SLOTS];
static int g_nslots;
static struct fmap g_map[MAX_MAPS];
static int g_dmabuf[MAX_DMABUFS];
static int g_ndmabuf;
static pid_t g_kids[MAX_CHILDREN];
static uint64_t g_live_bytes;

static int xioctl(int fd, unsigned long req, void *arg)
{
	/* not drmIoctl(): it retries EINTR, which the watchdog relies on */
	return ioctl(fd, req, arg) ? -errno : 0;
}

static int open_slot(int s, int dev)
{
	int flags = O_RDWR | O_CLOEXEC;
	int fd;

	if (chance(3))
		flags = O_RDONLY | O_CLOEXEC;
	fd = open(g_dev[dev].path, flags);
	say(" open slot %d %s flags %#x", s, g_dev[dev].path, flags);
	account(OP_OPEN, fd < 0 ? -errno : 0);
	if (fd < 0)
		return -1;
	memset(&g_slot[s].bo, 0, sizeof(g_slot[s].bo));
	g_slot[s].fd = fd;
	g_slot[s].dev = dev;
	g_slot[s].banned = 0;
	g_slot[s].nbo = 0;
	g_slot[s].nsync = 0;
	g_slot[s].njob = 0;
	g_slot[s].nstale = 0;
	return 0;
}

static int open_slots(int *out)
{
	int i, n = 0;

	for (i = 0; i < g_nslots; i++)
		if (g_slot[i].fd >= 0)
			out[n++] = i;
	return n;
}

/* A random open slot, or -1. */
static int pick_slot(void)
{
	int open[MAX_SLOTS];
	int n = open_slots(open);

	return n ? open[below((uint32_t)n)] : -1;
}

static int pick_other_slot(int s)
{
	int open[MAX_SLOTS], i, n = 0;

	for (i = 0; i < g_nslots; i++)
		if (g_slot[i].fd >= 0 && i != s)
			open[n++] = i;
	return n ? open[below((uint32_t)n)] : -1;
}

static struct fbo *pick_bo(int s)
{
	struct slot *sl = &g_slot[s];

	return sl->nbo ? &sl->bo[below((uint32_t)sl->nbo)] : NULL;
}

static void remember_stale(struct slot *sl, uint32_t h)
{
	sl->stale[sl->nstale++ % SLOT_STALE] = h;
}

static uint32_t stale_handle(struct slot *sl)
{
	if (!sl->nstale)
		return 1 + below(64);
	return sl->stale[below(sl->nstale < SLOT_STALE ? sl->nstale : SLOT_STALE)];
}

/* A handle for an ioctl: mostly a live BO's, else stale, foreign or random. */
static uint32_t any_handle(int s)
{
	struct slot *sl = &g_slot[s];
	unsigned int c = below(100);
	int o;

	if (c < 70 && sl->nbo)
		return pick_bo(s)->handle;
	if (c < 82)
		return stale_handle(sl);
	if (c < 90 && (o = pick_other_slot(s)) >= 0 && g_slot[o].nbo)
		return pick_bo(o)->handle;
	if (c < 95)
		return 0;
	return chance(50) ? 1 + below(256) : (uint32_t)rnd();
}

/* Mappings of a handle lose it (they keep the BO alive on their own). */
static void orphan_maps(int s, uint32_t handle)
{
	int i;

	for (i = 0; i < MAX_MAPS; i++)
		if (g_map[i].used && g_map[i].slot == s &&
		    g_map[i].gen == g_slot[s].gen && g_map[i].handle == handle)
			g_map[i].handle = 0;
}

static void forget_bo(int s, uint32_t handle)
{
	struct slot *sl = &g_slot[s];
	int i;

	for (i = 0; i < sl->nbo; i++) {
		if (sl->bo[i].handle != handle)
			continue;
		if (!sl->bo[i].imported && g_live_bytes >= sl->bo[i].size)
			g_live_bytes -= sl->bo[i].size;
		orphan_maps(s, handle);
		remember_stale(sl, handle);
		sl->bo[i] = sl->bo[--sl->nbo];
		return;
	}
}

static struct fbo *find_bo(int s, uint32_t handle)
{
	struct slot *sl = &g_slot[s];
	int i;

	for (i = 0; i < sl->nbo; i++)
		if (sl->bo[i].handle == handle)
			return &sl->bo[i];
	return NULL;
}

static int gem_close(int s, uint32_t handle)
{
	struct drm_gem_close c = { .handle = handle };
	int r;

	if (chance(2))
		c.pad = (uint32_t)rnd();
	say(" gem_close slot %d handle %u pad %u", s, handle, c.pad);
	r = account(OP_GEM_CLOSE, xioctl(g_slot[s].fd, DRM_IOCTL_GEM_CLOSE, &c));
	if (!r)
		forget_bo(s, handle);
	return r;
}

static int bo_info(int s, struct fbo *bo)
{
	struct drm_gconv_bo_info i = { .handle = bo->handle };
	int r;

	say(" bo_info slot %d handle %u", s, bo->handle);
	r = account(OP_BO_INFO, xioctl(g_slot[s].fd, DRM_IOCTL_GCONV_BO_INFO, &i));
	if (!r) {
		bo->flags = i.flags;
		bo->size = i.size;
		bo->addr = i.device_addr;
		bo->mmap_off = i.mmap_offset;
	}
	return r;
}

static int add_map(uint8_t *p, size_t len, size_t safe, int prot, int s,
		   uint32_t handle)
{
	int i;

	for (i = 0; i < MAX_MAPS; i++) {
		if (g_map[i].used)
			continue;
		g_map[i].p = p;
		g_map[i].len = len;
		g_map[i].safe = safe;
		g_map[i].prot = prot;
		g_map[i].slot = s;
		g_map[i].gen = s >= 0 ? g_slot[s].gen : 0;
		g_map[i].handle = handle;
		g_map[i].used = 1;
		return i;
	}
	munmap(p, len);
	return -1;
}

static void drop_map(int i)
{
	say(" munmap %p+%#zx", (void *)g_map[i].p, g_map[i].len);
	account(OP_MUNMAP, munmap(g_map[i].p, g_map[i].len) ? -errno : 0);
	g_map[i].used = 0;
}

/* A writable mapping of @bo covering @need bytes, mapping it if needed. */
static struct fmap *bo_map(int s, struct fbo *bo, size_t need)
{
	void *p;
	int i;

	for (i = 0; i < MAX_MAPS; i++) {
		struct fmap *m = &g_map[i];

		if (m->used && m->slot == s && m->gen == g_slot[s].gen &&
		    m->handle == bo->handle && (m->prot & PROT_WRITE) &&
		    m->safe >= need)
			return m;
	}
	if (!bo->mmap_off && bo_info(s, bo))
		return NULL;
	if (bo->size < need)
		return NULL;
	p = mmap(NULL, bo->size, PROT_READ | PROT_WRITE, MAP_SHARED,
		 g_slot[s].fd, (off_t)bo->mmap_off);
	say(" mmap handle %u", bo->handle);
	account(OP_MMAP, p == MAP_FAILED ? -errno : 0);
	if (p == MAP_FAILED)
		return NULL;
	i = add_map(p, bo->size, bo->size, PROT_READ | PROT_WRITE, s,
		    bo->handle);
	return i < 0 ? NULL : &g_map[i];
}

/* ------------------------------------------------------------------------
 * GET_PARAM, BO_CREATE, BO_INFO, GET_STATS
 */

static void op_get_param(int s)
{
	struct drm_gconv_get_param gp = { 0 };
	int must_fail = 0;

	gp.param = chance(80) ? below(DRM_GCONV_PARAM_CLOCK_KHZ + 1)
			      : interesting32();
	if (chance(5)) {
		gp.reserved = interesting32();
		must_fail = gp.reserved != 0;
	}
	if (chance(20))
		gp.value = rnd();
	say("get_param slot %d param %u reserved %u", s, gp.param, gp.reserved);
	if (!account(OP_GET_PARAM, xioctl(g_slot[s].fd,
					  DRM_IOCTL_GCONV_GET_PARAM, &gp)) &&
	    must_fail)
		violation("GET_PARAM with reserved %u succeeded", gp.reserved);
}

static uint64_t pick_bo_size(const struct dev *d)
{
	uint64_t range = d->va_end - d->va_start;
	unsigned int c = below(100);

	if (c < 45)
		return 1 + below(16384);
	if (c < 70)
		return PAGE * (1 + below(16));
	if (c < 82)
		return 1 + below(256 << 10);
	if (c < 86)
		return (uint64_t)(1 + below(8)) << 20;
	if (c < 90)
		return 0;
	if (c < 97) {
		/* beyond the device's VA range: the kernel must refuse */
		const uint64_t big[] = {
			range + PAGE, range + 1, 1ull << 48, 1ull << 50,
			UINT64_MAX, UINT64_MAX - PAGE + 2, 1ull << 63,
		};

		return big[below(ARRAY_SIZE(big))];
	}
	if (c < 99) {
		/* inside the VA range but beyond the guest's memory: -ENOMEM */
		const uint64_t huge[] = {
			1ull << 30, 1ull << 34, 1ull << 39, 1ull << 40, range,
		};

		return huge[below(ARRAY_SIZE(huge))];
	}
	return 1 + below(4096);
}

/* BO_CREATE on slot @s; its index in the slot, or -1. */
static int bo_create(int s, uint64_t size, uint32_t flags, int fuzz)
{
	struct slot *sl = &g_slot[s];
	struct dev *d = &g_dev[sl->dev];
	struct drm_gconv_bo_create c = { .size = size, .flags = flags };
	struct fbo *bo;
	int must_fail = 0, r;

	if (fuzz && chance(3))
		c.reserved = interesting64();
	if (fuzz && chance(5))
		c.handle = (uint32_t)rnd();
	if (fuzz && chance(5))
		c.device_addr = rnd();
	/* keep the guest's memory for the kernel: the budget is ours */
	if (c.size && c.size <= d->va_end - d->va_start && c.size < (1ull << 30) &&
	    g_live_bytes + c.size > BO_BUDGET)
		c.size = 1 + below(PAGE);
	if (sl->nbo == SLOT_BOS)
		gem_close(s, sl->bo[below(SLOT_BOS)].handle);
	if (!c.size || c.size > (1ull << 48) || c.reserved ||
	    (c.flags & ~DRM_GCONV_BO_FLAGS))
		must_fail = 1;
	say(" bo_create slot %d size %#llx flags %#x reserved %#llx", s,
	    ULL(c.size), c.flags, ULL(c.reserved));
	r = account(OP_BO_CREATE, xioctl(sl->fd, DRM_IOCTL_GCONV_BO_CREATE, &c));
	if (r)
		return -1;
	if (must_fail)
		violation("BO_CREATE of %#llx bytes, flags %#x, reserved %#llx succeeded",
			  ULL(c.size), c.flags, ULL(c.reserved));
	if (c.device_addr < d->va_start || c.device_addr >= d->va_end ||
	    c.device_addr % PAGE)
		violation("BO_CREATE returned device address %#llx outside [%#llx, %#llx) or unaligned",
			  ULL(c.device_addr), ULL(d->va_start), ULL(d->va_end));
	if (sl->nbo == SLOT_BOS) {
		/* the close above failed: let the handle go untracked */
		return -1;
	}
	bo = &sl->bo[sl->nbo];
	memset(bo, 0, sizeof(*bo));
	bo->handle = c.handle;
	bo->flags = c.flags;
	bo->size = ROUND_UP(c.size, PAGE);
	bo->addr = c.device_addr;
	g_live_bytes += bo->size;
	return sl->nbo++;
}

static void op_bo_create(int s)
{
	uint32_t flags = 0;
	unsigned int c = below(100);

	if (c < 25)
		flags = DRM_GCONV_BO_DEVICE_READ_ONLY;
	else if (c < 30)
		flags = 1u << below(32);
	else if (c < 33)
		flags = (uint32_t)rnd();
	say("bo_create:");
	bo_create(s, pick_bo_size(&g_dev[g_slot[s].dev]), flags, 1);
}

static void op_bo_info(int s)
{
	struct slot *sl = &g_slot[s];
	struct drm_gconv_bo_info i = { 0 };
	int r;

	i.handle = any_handle(s);
	if (chance(4))
		i.reserved = interesting64();
	if (chance(10))
		memset(&i.flags, 0xa5, sizeof(i) - sizeof(i.handle) - sizeof(i.reserved));
	say("bo_info slot %d handle %u reserved %#llx", s, i.handle,
	    ULL(i.reserved));
	r = account(OP_BO_INFO, xioctl(sl->fd, DRM_IOCTL_GCONV_BO_INFO, &i));
	if (!r && i.reserved)
		violation("BO_INFO with reserved %#llx succeeded", ULL(i.reserved));
	if (!r) {
		struct fbo *bo = find_bo(s, i.handle);

		if (bo) {
			bo->flags = i.flags;
			bo->size = i.size;
			bo->addr = i.device_addr;
			bo->mmap_off = i.mmap_offset;
		}
	}
}

static void op_stats(int s)
{
	struct drm_gconv_stats st;
	unsigned int i;

	memset(&st, 0, sizeof(st));
	if (chance(10))
		for (i = 0; i < sizeof(st); i++)
			((uint8_t *)&st)[i] = (uint8_t)rnd();
	say("get_stats slot %d", s);
	account(OP_STATS, xioctl(g_slot[s].fd, DRM_IOCTL_GCONV_GET_STATS, &st));
}

/* ------------------------------------------------------------------------
 * mmap, munmap, reads and writes
 */

static void op_mmap(int s)
{
	struct slot *sl = &g_slot[s];
	struct fbo *bo = pick_bo(s), *ob;
	uint64_t off, len;
	int prot = PROT_READ | PROT_WRITE, flags = MAP_SHARED, exact = 1;
	unsigned int c = below(100);
	void *p;
	int o;

	say("mmap:");
	if (!bo || (!bo->mmap_off && bo_info(s, bo)))
		return;
	off = bo->mmap_off;
	len = bo->size;
	if (c < 6) {
		len = bo->size + PAGE;
	} else if (c < 12) {
		len = PAGE;
	} else if (c < 18) {
		prot = PROT_READ;
	} else if (c < 21) {
		prot = chance(50) ? PROT_WRITE : PROT_NONE;
	} else if (c < 25) {
		flags = MAP_PRIVATE;
	} else if (c < 30 && (o = pick_other_slot(s)) >= 0 && (ob = pick_bo(o)) &&
		   ob->mmap_off) {
		/* another file's BO: this file may not map it */
		off = ob->mmap_off;
		exact = 0;
	} else if (c < 34) {
		off += PAGE * (1 + below(4));
		exact = 0;
	} else if (c < 37) {
		off = (rnd() & ~(PAGE - 1)) & 0xffffffffffull;
		exact = 0;
	}
	if (!len)
		len = PAGE;
	p = mmap(NULL, len, prot, flags, sl->fd, (off_t)off);
	say(" mmap slot %d handle %u off %#llx len %#llx prot %d flags %#x", s,
	    bo->handle, ULL(off), ULL(len), prot, flags);
	account(OP_MMAP, p == MAP_FAILED ? -errno : 0);
	if (p == MAP_FAILED)
		return;
	if (exact && len > bo->size)
		violation("mmap of %#llx bytes of a BO of %#llx bytes succeeded",
			  ULL(len), ULL(bo->size));
	if (flags != MAP_SHARED)
		prot &= ~PROT_WRITE;	/* private: do not bother writing */
	add_map(p, len, exact ? (len < bo->size ? len : bo->size) : 0, prot,
		s, exact ? bo->handle : 0);
}

static int pick_map(int need_safe)
{
	int idx[MAX_MAPS], i, n = 0;

	for (i = 0; i < MAX_MAPS; i++)
		if (g_map[i].used && (!need_safe || g_map[i].safe))
			idx[n++] = i;
	return n ? idx[below((uint32_t)n)] : -1;
}

static void op_munmap(void)
{
	int i = pick_map(0);
	struct fmap *m;
	size_t cut;
	int r;

	say("munmap:");
	if (i < 0)
		return;
	m = &g_map[i];
	if (m->len <= PAGE || chance(70)) {
		drop_map(i);
		return;
	}
	/* part of it: the head or the tail */
	cut = PAGE * (1 + below((uint32_t)(m->len / PAGE - 1)));
	if (chance(50)) {
		say(" munmap head %p+%#zx", (void *)m->p, cut);
		r = account(OP_MUNMAP, munmap(m->p, cut) ? -errno : 0);
		if (!r) {
			m->p += cut;
			m->len -= cut;
			m->safe = m->safe > cut ? m->safe - cut : 0;
		}
	} else {
		say(" munmap tail %p+%#zx", (void *)(m->p + m->len - cut), cut);
		r = account(OP_MUNMAP, munmap(m->p + m->len - cut, cut) ? -errno : 0);
		if (!r) {
			m->len -= cut;
			if (m->safe > m->len)
				m->safe = m->len;
		}
	}
}

static void op_mem(void)
{
	int i = pick_map(1);
	struct fmap *m;
	size_t off, n, k;

	say("mem_rw:");
	if (i < 0)
		return;
	m = &g_map[i];
	off = below((uint32_t)m->safe);
	n = 1 + below((uint32_t)(m->safe - off < 65536 ? m->safe - off : 65536));
	if ((m->prot & PROT_WRITE) && chance(75)) {
		unsigned int c = below(4);

		say(" write %p+%#zx len %#zx kind %u", (void *)m->p, off, n, c);
		for (k = 0; k < n; k++) {
			switch (c) {
			case 0: m->p[off + k] = (uint8_t)rnd(); break;
			case 1: m->p[off + k] = 0; break;
			case 2: m->p[off + k] = 0xff; break;
			default: m->p[off + k] = (uint8_t)(k * 37); break;
			}
		}
	} else if (m->prot & PROT_READ) {
		volatile uint8_t sum = 0;

		say(" read %p+%#zx len %#zx", (void *)m->p, off, n);
		for (k = 0; k < n; k++)
			sum += m->p[off + k];
		(void)sum;
	}
	g_err[OP_MEM][0]++;
}

/* ------------------------------------------------------------------------
 * Chains: a valid one to start from, then mutations
 */

enum base { BASE_SCALE, BASE_CONV, BASE_SAMPLE, BASE_LONG, BASE_COUNT };

struct built {
	void *chain;
	size_t len;
	float *img;		/* data to write at the data BO's start, or NULL */
	size_t img_bytes;
	size_t need;		/* data bytes the chain addresses */
};

static int encode(struct gconv_chain_builder *cb, struct built *b)
{
	int r = gconv_chain_encode(cb, &b->chain, &b->len);

	gconv_chain_builder_free(cb);
	return r;
}

static void random_floats(float *f, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		f[i] = (float)((double)(rnd() >> 40) / (double)(1ull << 23) - 1.0);
}

/* o[i] = post(pre(x[i])), repeated; x at @base, o after it */
static int build_scale(uint64_t base, struct built *b)
{
	struct gconv_chain_builder cb = { 0 };
	uint32_t n = 16 + below(1024), reps = 1 + below(4), i;
	struct gconv_desc d;

	gconv_desc_init(&d);
	d.k = n;
	d.main = GCONV_MAIN_TAKE_X;
	d.pre = (uint8_t)(chance(50) ? below(GCONV_PRE_COUNT) : GCONV_PRE_IDENTITY);
	d.post = (uint8_t)(chance(50) ? below(GCONV_POST_COUNT) : GCONV_POST_AFFINE);
	d.pre_param[0] = gconv_f32_bits(1.5f);
	d.post_param[0] = gconv_f32_bits(2.0f);
	d.post_param[1] = gconv_f32_bits(0.5f);
	gconv_operand_f32(&d.x, base, n, 0, 0, 1, 0, 0, 0);
	gconv_operand_f32(&d.o, base + 4ull * n, n, 0, 0, 1, 0, 0, 0);
	for (i = 0; i < reps; i++)
		if (gconv_chain_append(&cb, &d))
			break;
	b->need = 8ull * n;
	b->img_bytes = 4ull * n;
	b->img = malloc(b->img_bytes);
	if (b->img)
		random_floats(b->img, n);
	return encode(&cb, b);
}

/* relu(conv3x3(x, pad 1) + bias), C -> K channels on HW x HW, repeated */
static int build_conv(uint64_t base, uint32_t c, uint32_t k, uint32_t hw,
		      uint32_t reps, struct built *b)
{
	struct gconv_chain_builder cb = { 0 };
	uint64_t x = 0, y = x + (uint64_t)c * hw * hw, bb = y + (uint64_t)k * c * 9,
		 o = bb + k, total = o + (uint64_t)k * hw * hw;
	struct gconv_desc d;
	uint32_t i;

	gconv_desc_init(&d);
	d.k = k, d.c = c, d.p = hw, d.q = hw, d.r = 3, d.s = 3;
	d.in_h = hw, d.in_w = hw;
	d.pad_top = d.pad_bottom = d.pad_left = d.pad_right = 1;
	d.combine = GCONV_COMBINE_ADD;
	d.post = GCONV_POST_RELU;
	gconv_operand_f32(&d.x, base + 4 * x, (uint64_t)c * hw * hw, 0, 0, 0,
			  (uint64_t)hw * hw, hw, 1);
	gconv_operand_f32(&d.y, base + 4 * y, (uint64_t)k * c * 9, 0, 0,
			  (uint64_t)c * 9, 9, 3, 1);
	gconv_operand_f32(&d.b, base + 4 * bb, k, 0, 0, 1, 0, 0, 0);
	gconv_operand_f32(&d.o, base + 4 * o, (uint64_t)k * hw * hw, 0, 0,
			  (uint64_t)hw * hw, 0, hw, 1);
	for (i = 0; i < reps; i++)
		if (gconv_chain_append(&cb, &d))
			break;
	b->need = 4 * total;
	b->img_bytes = 4 * o;
	b->img = malloc(b->img_bytes);
	if (b->img)
		random_floats(b->img, o);
	return encode(&cb, b);
}

static int build_sample(uint64_t base, struct built *b)
{
	struct sample_params prm;
	struct gconv_chain_header *h;
	size_t in_off, out_off, mem_size;
	float *mem;
	uint32_t i;
	int j;

	sample_params_random(&prm, rnd());
	if (sample_chain_build(&prm, &b->chain, &b->len, &mem, &mem_size,
			       &in_off, &out_off))
		return -1;
	random_floats((float *)((uint8_t *)mem + in_off), SAMPLE_IN);
	h = b->chain;
	for (i = 0; i < h->count; i++) {
		struct gconv_desc *d = (struct gconv_desc *)
			((uint8_t *)b->chain + h->header_size +
			 (size_t)i * h->desc_size);
		struct gconv_operand *ops[4] = { &d->x, &d->y, &d->b, &d->o };

		for (j = 0; j < 4; j++)
			if (ops[j]->dtype)
				ops[j]->addr += base;
	}
	b->img = mem;
	b->img_bytes = mem_size;
	b->need = mem_size;
	return 0;
}

static int build_base(enum base kind, uint64_t base, struct built *b)
{
	memset(b, 0, sizeof(*b));
	switch (kind) {
	case BASE_SCALE:
		return build_scale(base, b);
	case BASE_CONV:
		return build_conv(base, 1 + below(4), 1 + below(8),
				  2 + below(15), 1 + below(32), b);
	case BASE_SAMPLE:
		return build_sample(base, b);
	default:
		/* tens to hundreds of milliseconds on the device */
		return build_conv(base, 8 + below(9), 16, 32 + below(33),
				  2 + below(15), b);
	}
}

/* The data size a base chain needs, before building it (to pick a BO). */
static size_t base_need(enum base kind)
{
	switch (kind) {
	case BASE_SCALE: return 8 * 1040;
	case BASE_CONV: return 4 * (4 * 16 * 16 + 8 * 4 * 9 + 8 + 8 * 16 * 16);
	case BASE_SAMPLE: return 8 << 10;
	default: return 4 * (16 * 64 * 64 + 16 * 16 * 9 + 16 + 16 * 64 * 64);
	}
}

/* Addresses a mutated operand may point at. */
static uint64_t pick_addr(int s, uint64_t cur, uint64_t chain_addr)
{
	struct slot *sl = &g_slot[s];
	struct dev *d = &g_dev[sl->dev];
	struct fbo *bo;
	unsigned int c = below(100);
	int o;

	if (c < 25 && (bo = pick_bo(s)) && bo->size) {
		/* another BO of this file: inside it, at its end, past it */
		switch (below(4)) {
		case 0: return bo->addr;
		case 1: return bo->addr + (bo->size - 4) / 4 * 4;
		case 2: return bo->addr + bo->size;
		default: return bo->addr + below((uint32_t)(bo->size / 4)) * 4ull;
		}
	}
	if (c < 35 && (o = pick_other_slot(s)) >= 0 && (bo = pick_bo(o)))
		return bo->addr;	/* another file's: not mapped here */
	if (c < 45) {
		int i;

		for (i = 0; i < sl->nbo; i++)
			if (sl->bo[i].flags & DRM_GCONV_BO_DEVICE_READ_ONLY)
				return sl->bo[i].addr;
	}
	if (c < 50)
		return chain_addr;
	if (c < 60)
		return cur + 4ull * (1 + below(4096));
	if (c < 65)
		return cur - 4ull * (1 + below(4096));
	switch (below(10)) {
	case 0: return 0;
	case 1: return 4;
	case 2: return d->va_start - PAGE;
	case 3: return d->va_start;
	case 4: return d->va_end - 4;
	case 5: return d->va_end;
	case 6: return 1ull << 47;
	case 7: return UINT64_MAX - 3;
	case 8: return (d->va_start + (rnd() % (d->va_end - d->va_start))) & ~3ull;
	default: return rnd();
	}
}

static void mutate_operand(int s, struct gconv_operand *op,
			   uint64_t chain_addr)
{
	unsigned int c = below(100);

	if (c < 50) {
		op->addr = pick_addr(s, op->addr, chain_addr);
	} else if (c < 62) {
		op->extent = chance(50) ? op->extent * (2 + below(8)) : interesting64();
	} else if (c < 80) {
		unsigned int j = below(GCONV_SLOTS);

		op->stride[j] = chance(50) ? op->stride[j] + below(8)
					   : interesting64();
	} else if (c < 88) {
		op->dtype = (uint8_t)(chance(70) ? below(GCONV_DTYPE_COUNT + 1)
						 : rnd());
	} else if (c < 94) {
		op->scale = interesting32();
		op->zero_point = (int32_t)interesting32();
	} else {
		if (chance(50))
			op->reserved0[below(3)] = (uint8_t)rnd();
		else
			op->reserved1 = interesting32();
	}
}

static void mutate_desc(int s, struct gconv_desc *d, uint64_t chain_addr)
{
	unsigned int c = below(100);

	if (c < 45) {
		struct gconv_operand *ops[4] = { &d->x, &d->y, &d->b, &d->o };

		mutate_operand(s, ops[below(4)], chain_addr);
	} else if (c < 70) {
		/* one of the 20 loop bounds, steps and pads, n to pad_right */
		size_t at = offsetof(struct gconv_desc, n) + 4 * below(20);
		uint32_t f;

		memcpy(&f, (uint8_t *)d + at, 4);
		if (chance(60))
			f = chance(50) ? f * (1 + below(4)) : below(4);
		else
			f = interesting32();
		memcpy((uint8_t *)d + at, &f, 4);
	} else if (c < 85) {
		/* one of pre, main, reduce, combine, post */
		((uint8_t *)d)[offsetof(struct gconv_desc, pre) + below(5)] =
			(uint8_t)(chance(70) ? below(24) : rnd());
		if (chance(30))
			d->flags = chance(50) ? GCONV_DESC_F_ACCUMULATE
					      : interesting32();
	} else if (c < 93) {
		uint32_t bits[] = { 0x7fc00000u, 0x7f800000u, 0xff800000u,
				    0x80000000u, 0x00000001u, (uint32_t)rnd() };
		uint32_t v = bits[below(ARRAY_SIZE(bits))];

		if (chance(50))
			d->post_param[below(4)] = v;
		else if (chance(50))
			d->pre_param[below(2)] = v;
		else
			d->pad_value = v;
	} else {
		switch (below(3)) {
		case 0: d->reserved0[below(3)] = (uint8_t)rnd(); break;
		case 1: d->reserved1 = interesting32(); break;
		default: d->reserved2[below(8)] = interesting64(); break;
		}
	}
}

/* Mutate the chain in @b in place (it may shrink, never grow). */
static void mutate_chain(int s, struct built *b, uint64_t chain_addr,
			 unsigned int n)
{
	struct gconv_chain_header *h = b->chain;
	uint32_t count = h->count;
	unsigned int i;

	say(" mutations %u:", n);
	for (i = 0; i < n; i++) {
		unsigned int c = below(100);
		uint32_t di = below(count);
		struct gconv_desc *d = (struct gconv_desc *)
			((uint8_t *)b->chain + sizeof(*h) + (size_t)di * sizeof(*d));

		if (c < 65) {
			say(" desc%u", di);
			mutate_desc(s, d, chain_addr);
		} else if (c < 75) {
			say(" header");
			switch (below(9)) {
			case 0: h->magic = chance(50) ? h->magic ^ (1u << below(32)) : interesting32(); break;
			case 1: h->version_major = (uint16_t)interesting32(); break;
			case 2: h->version_minor = (uint16_t)interesting32(); break;
			case 3: h->header_size = chance(50) ? h->header_size + 8 * below(4) : interesting32(); break;
			case 4: h->desc_size = chance(50) ? h->desc_size + 8 * below(4) : interesting32(); break;
			case 5: h->count = chance(50) ? h->count + below(3) - 1 : interesting32(); break;
			case 6: h->flags = interesting32(); break;
			case 7: h->total_size = chance(50) ? h->total_size + 8 * below(3) - 8 : interesting64(); break;
			default: h->reserved[below(8)] = interesting32(); break;
			}
		} else if (c < 85) {
			/* fewer descriptors, still a consistent header */
			if (count > 1) {
				count = 1 + below(count - 1);
				h->count = count;
				h->total_size = sizeof(*h) + (uint64_t)count * sizeof(*d);
				b->len = h->total_size;
				say(" truncate to %u", count);
			}
		} else if (c < 92) {
			/* one descriptor's bytes over another's */
			uint32_t dj = below(count);

			memmove(d, (uint8_t *)b->chain + sizeof(*h) +
				  (size_t)dj * sizeof(*d), sizeof(*d));
			say(" copy desc%u over desc%u", dj, di);
		} else {
			unsigned int k, flips = 1 + below(8);

			say(" %u random bytes", flips);
			for (k = 0; k < flips; k++)
				((uint8_t *)b->chain)[below((uint32_t)b->len)] =
					(uint8_t)rnd();
		}
	}
}

/* N*G*K*P*Q*C*R*S, saturating at 2^63 */
static uint64_t desc_work(const struct gconv_desc *d)
{
	const uint32_t dims[8] = { d->n, d->g, d->k, d->p, d->q, d->c, d->r, d->s };
	uint64_t w = 1;
	int i;

	for (i = 0; i < 8; i++) {
		if (dims[i] && w > (1ull << 63) / dims[i])
			return 1ull << 63;
		w *= dims[i];
	}
	return w;
}

/*
 * A valid chain may ask for up to 2^44 multiply-adds per descriptor: hours
 * on the device, ended only by the driver's job time cap (its timeout_ms
 * times a number of periods), during which the file cannot close.  Keep
 * one such chain in twenty; shrink the others' loop bounds (which keeps
 * them valid: every access stays inside what was checked).
 */
static void limit_work(struct built *b)
{
	struct gconv_chain_header *h = b->chain;
	uint32_t i;

	if (chance(5))
		return;
	for (i = 0; i < h->count; i++) {
		struct gconv_desc *d = (struct gconv_desc *)
			((uint8_t *)b->chain + sizeof(*h) + (size_t)i * sizeof(*d));
		uint32_t *dims[6] = { &d->k, &d->p, &d->q, &d->c, &d->r, &d->s };
		int j, big;

		if (desc_work(d) <= (1ull << 26))
			continue;
		d->n = d->g = 1;
		while (desc_work(d) > (1ull << 26)) {
			for (big = 0, j = 1; j < 6; j++)
				if (*dims[j] > *dims[big])
					big = j;
			*dims[big] /= 2;
		}
		say(" (work limited)");
	}
}

/* ------------------------------------------------------------------------
 * SUBMIT and WAIT
 */

static void close_slot(int s);

static int sync_index(struct slot *sl, uint32_t h)
{
	int i;

	for (i = 0; i < sl->nsync; i++)
		if (sl->sync[i] == h)
			return i;
	return -1;
}

static void mark_fenced(struct slot *sl, uint32_t h, int fenced)
{
	int i = sync_index(sl, h);

	if (i >= 0)
		sl->fenced[i] = (uint8_t)fenced;
}

/* A syncobj for SUBMIT; @fuzz: also unfenced, stale and random ones. */
static uint32_t pick_sync(int s, int in, int fuzz)
{
	struct slot *sl = &g_slot[s];
	int idx[SLOT_SYNCS], i, n = 0;
	unsigned int c = below(100);

	if (c < 80 || !sl->nsync)
		return 0;
	for (i = 0; i < sl->nsync; i++)
		if (!in || fuzz || sl->fenced[i])
			idx[n++] = i;
	if (fuzz && c >= 95)
		return chance(50) ? stale_handle(sl) : interesting32();
	return n ? sl->sync[idx[below((uint32_t)n)]] : 0;
}

static void remember_job(int s, uint64_t id)
{
	struct slot *sl = &g_slot[s];

	sl->job[sl->njob++ % SLOT_JOBS] = id;
}

static uint64_t pick_job(int s)
{
	struct slot *sl = &g_slot[s];
	unsigned int c = below(100);

	if (c < 75 && sl->njob)
		return sl->job[(sl->njob - 1 - below(sl->njob < 4 ? sl->njob : 4)) %
			       SLOT_JOBS];
	if (c < 85 && sl->njob)
		return sl->job[below(sl->njob < SLOT_JOBS ? sl->njob : SLOT_JOBS)];
	if (c < 90)
		return 0;
	if (c < 95)
		return (sl->njob ? sl->job[(sl->njob - 1) % SLOT_JOBS] : 0) + 1 + below(1000);
	return interesting64();
}

static int wait_job(int s, uint64_t id, int64_t deadline, int fuzz)
{
	struct drm_gconv_wait w = { .job_id = id, .timeout_ns = deadline };
	int r;

	if (fuzz && chance(3))
		w.reserved = interesting64();
	if (fuzz && chance(5))
		w.status = (uint32_t)rnd();
	say(" wait slot %d job %llu deadline %+lldms reserved %#llx", s, ULL(id),
	    (long long)((deadline - now_ns()) / MSEC), ULL(w.reserved));
	r = account(OP_WAIT, xioctl(g_slot[s].fd, DRM_IOCTL_GCONV_WAIT, &w));
	if (r == -ETIME)
		g_waits_timed_out++;
	if (r)
		return r;
	if (w.reserved)
		violation("WAIT with reserved %#llx succeeded", ULL(w.reserved));
	say(" status %u info %#x addr %#llx", w.status, w.info,
	    ULL(w.fault_addr));
	g_status[w.status < STATUS_MAX ? w.status : STATUS_MAX - 1]++;
	if (w.status >= STATUS_KNOWN)
		violation("WAIT of job %llu returned status %u, not in the UAPI's enum",
			  ULL(id), w.status);
	return 0;
}

static void op_wait(int s)
{
	int64_t now = now_ns(), deadline;
	unsigned int c = below(100);
	uint64_t id;
	int o;

	if (c < 65)
		deadline = now + (int64_t)below(MAX_WAIT_MS + 1) * MSEC;
	else if (c < 80)
		deadline = now;
	else if (c < 88)
		deadline = 0;
	else if (c < 93)
		deadline = -(int64_t)(rnd() >> 2);
	else
		deadline = now - (int64_t)below(10000) * MSEC;
	say("wait:");
	id = pick_job(s);
	if (chance(5) && (o = pick_other_slot(s)) >= 0)
		s = o;	/* job ids are per file: someone else's number */
	wait_job(s, id, deadline, 1);
}

/* A BO of slot @s with at least @need bytes (maybe read-only), or a new one. */
static struct fbo *bo_for(int s, size_t need, int allow_ro)
{
	struct slot *sl = &g_slot[s];
	int idx[SLOT_BOS], i, n = 0;

	for (i = 0; i < sl->nbo; i++)
		if (sl->bo[i].size >= need &&
		    (allow_ro || !(sl->bo[i].flags & DRM_GCONV_BO_DEVICE_READ_ONLY)))
			idx[n++] = i;
	if (n && chance(85))
		return &sl->bo[idx[below((uint32_t)n)]];
	i = bo_create(s, need + (chance(50) ? below(3) * PAGE : 0), 0, 0);
	return i < 0 ? NULL : &sl->bo[i];
}

/* Replace the submit's handle list: live, stale, foreign, duplicates. */
static uint32_t fuzz_bo_list(int s, uint32_t *list, uint32_t max,
			     uint32_t data)
{
	uint32_t n = chance(50) ? 1 + below(4) : below(max + 1), i;

	for (i = 0; i < n; i++)
		list[i] = chance(30) ? data : any_handle(s);
	return n;
}

static void op_submit(int s)
{
	static uint32_t list[4100];
	struct slot *sl = &g_slot[s];
	enum base kind;
	struct drm_gconv_submit sub;
	struct gconv_verror verr;
	const struct gconv_limits lim = GCONV_LIMITS_DEFAULT;
	struct fbo *data, *chain;
	struct fmap *dm, *cm = NULL;
	struct built b;
	uint64_t off = 0;
	uint32_t data_handle, chain_handle;
	int r, valid, closed = 0;
	unsigned int c, mode;

	c = below(100);
	kind = c < 35 ? BASE_SCALE : c < 75 ? BASE_CONV : c < 93 ? BASE_SAMPLE
							   : BASE_LONG;
	say("submit slot %d base %d:", s, kind);
	data = bo_for(s, base_need(kind), chance(8));
	if (!data)
		return;
	data_handle = data->handle;
	if (!data->size && bo_info(s, data))
		return;
	if (build_base(kind, data->addr, &b)) {
		free(b.img);
		return;
	}
	/* the chain BO: often its own, sometimes the data BO itself */
	if (chance(10) && data->size >= b.need + b.len + 8)
		chain = data;
	else
		chain = bo_for(s, b.len + (chance(20) ? below(4) * 64 : 0), 1);
	data = find_bo(s, data_handle);	/* bo_for may have moved it */
	if (!chain || !data)
		goto out;
	chain_handle = chain->handle;
	if (!chain->size)
		bo_info(s, chain);
	if (chain == data)
		off = chain->size >= ROUND_UP(b.need, 8) + b.len ? ROUND_UP(b.need, 8) : 0;
	else if (chain->size > b.len && chance(20))
		off = below((uint32_t)((chain->size - b.len) / 8 + 1)) * 8ull;
	say(" data %u chain %u at %#llx;", data_handle, chain_handle, ULL(off));
	/* a clean job, a mutated chain, or fuzzed SUBMIT arguments */
	mode = below(100);
	mutate_chain(s, &b, chain->addr + off,
		     mode < 40 ? 0 : mode < 75 ? 1 + below(4) : below(2));
	valid = !gconv_validate_chain(b.chain, b.len, &lim, &verr);
	if (valid) {
		limit_work(&b);
		valid = !gconv_validate_chain(b.chain, b.len, &lim, &verr);
	}
	if (valid)
		g_chains_valid++;
	else
		g_chains_invalid++;
	say(" %s;", valid ? "valid" : gconv_verr_str(verr.code));

	/* data first, then the chain over it if they share the BO */
	if (b.img && chance(70) && (dm = bo_map(s, data, b.img_bytes)))
		memcpy(dm->p, b.img, b.img_bytes);
	chain = find_bo(s, chain_handle);
	if (chain && (cm = bo_map(s, chain, off + b.len)))
		memcpy(cm->p + off, b.chain, b.len);

	memset(&sub, 0, sizeof(sub));
	sub.chain_handle = chain_handle;
	sub.chain_offset = off;
	sub.chain_size = b.len;
	list[0] = data_handle;
	sub.bo_handles = (uintptr_t)list;
	sub.bo_count = 1;
	sub.priority = below(DRM_GCONV_PRIORITY_HIGH + 1);
	sub.in_syncobj = pick_sync(s, 1, mode >= 75);
	sub.out_syncobj = pick_sync(s, 0, mode >= 75);
	c = mode >= 75 ? below(44) : 100;
	if (c < 5)
		sub.chain_handle = any_handle(s);
	else if (c < 10)
		sub.chain_offset = chance(50) ? off + 4 : interesting64();
	else if (c < 17)
		sub.chain_size = chance(50) ? b.len + 8 * below(3) - 8 : interesting64();
	else if (c < 30)
		sub.bo_count = fuzz_bo_list(s, list, chance(95) ? 16 : 4097,
					    data_handle);
	else if (c < 33)
		sub.bo_handles = chance(50) ? 0 : chance(50) ? 8 : rnd();
	else if (c < 37)
		sub.bo_count = chance(50) ? 0 : interesting32();
	else if (c < 40)
		sub.priority = interesting32();
	else if (c < 42)
		sub.flags = interesting32();
	else if (c < 44)
		sub.reserved[below(2)] = interesting64();
	if (chance(10))
		sub.job_id = rnd();	/* an out field: must be ignored */
	if (sub.bo_count > ARRAY_SIZE(list) &&
	    sub.bo_handles == (uintptr_t)list)
		sub.bo_handles = 0;	/* never let the kernel read past it */

	say(" submit chain %u off %#llx size %#llx bos %u@%#llx prio %u sync %u/%u flags %#x reserved %#llx %#llx",
	    sub.chain_handle, ULL(sub.chain_offset), ULL(sub.chain_size),
	    sub.bo_count, ULL(sub.bo_handles), sub.priority, sub.in_syncobj,
	    sub.out_syncobj, sub.flags, ULL(sub.reserved[0]),
	    ULL(sub.reserved[1]));
	r = account(OP_SUBMIT, xioctl(sl->fd, DRM_IOCTL_GCONV_SUBMIT, &sub));
	if (g_verbose && r == -EINVAL && valid && cm) {
		struct drm_gconv_bo_info bi = { .handle = chain_handle };
		int ri = xioctl(sl->fd, DRM_IOCTL_GCONV_BO_INFO, &bi);

		say(" (the chain in its BO: %s, map %p len %#zx safe %#zx, info %d size %#llx off %#llx vs tracked %#llx)",
		    memcmp(cm->p + off, b.chain, b.len) ? "differs" : "same",
		    (void *)cm->p, cm->len, cm->safe, ri, ULL(bi.size), ULL(bi.mmap_offset),
		    ULL(chain ? chain->mmap_off : 0));
	}
	if (r == -ECANCELED)
		sl->banned = 1;
	if (r)
		goto out;
	g_jobs++;
	if (sub.flags || sub.reserved[0] || sub.reserved[1])
		violation("SUBMIT with flags %#x, reserved %#llx %#llx succeeded",
			  sub.flags, ULL(sub.reserved[0]), ULL(sub.reserved[1]));
	if (sub.priority > DRM_GCONV_PRIORITY_HIGH)
		violation("SUBMIT with priority %u succeeded", sub.priority);
	if (!sub.job_id)
		violation("SUBMIT succeeded with job id 0");
	say(" job %llu", ULL(sub.job_id));
	remember_job(s, sub.job_id);
	if (sub.out_syncobj)
		mark_fenced(sl, sub.out_syncobj, 1);

	/* while it runs (or waits): pull things from under it */
	c = below(100);
	if (c < 10) {
		/* the chain changes after SUBMIT: the device sees other bytes */
		chain = find_bo(s, chain_handle);
		if (chain && (cm = bo_map(s, chain, off + b.len))) {
			unsigned int k, flips = 1 + below(16);

			say(" scribble chain");
			for (k = 0; k < flips; k++)
				cm->p[off + below((uint32_t)b.len)] = (uint8_t)rnd();
		}
	} else if (c < 16) {
		int i;

		say(" munmap data in flight");
		for (i = 0; i < MAX_MAPS; i++)
			if (g_map[i].used && g_map[i].slot == s &&
			    g_map[i].gen == sl->gen && g_map[i].handle == data_handle)
				drop_map(i);
	} else if (c < 22 && !g_child) {
		say(" close BOs in flight");
		gem_close(s, data_handle);
		if (chance(50) && chain_handle != data_handle)
			gem_close(s, chain_handle);
	} else if (c < 24) {
		say(" close the file in flight");
		closed = 1;
	} else if (c < 44) {
		wait_job(s, sub.job_id, now_ns() + (int64_t)below(MAX_WAIT_MS) * MSEC, 0);
	}
	if (closed)
		close_slot(s);
out:
	free(b.chain);
	free(b.img);
}

/* ------------------------------------------------------------------------
 * Syncobjs, PRIME, raw ioctls
 */

static void forget_sync(struct slot *sl, uint32_t h)
{
	int i = sync_index(sl, h);

	if (i < 0)
		return;
	sl->nsync--;
	sl->sync[i] = sl->sync[sl->nsync];
	sl->fenced[i] = sl->fenced[sl->nsync];
	remember_stale(sl, h);
}

static void add_sync(struct slot *sl, uint32_t h, int fenced)
{
	if (sync_index(sl, h) >= 0 || sl->nsync == SLOT_SYNCS)
		return;
	sl->sync[sl->nsync] = h;
	sl->fenced[sl->nsync++] = (uint8_t)fenced;
}

static uint32_t sync_handle(int s)
{
	struct slot *sl = &g_slot[s];

	if (sl->nsync && chance(80))
		return sl->sync[below((uint32_t)sl->nsync)];
	return chance(50) ? stale_handle(sl) : interesting32();
}

static void op_syncobj(int s)
{
	struct slot *sl = &g_slot[s];
	uint32_t handles[4];
	unsigned int c = below(100), i, n;
	int r;

	say("syncobj:");
	if (c < 30 || !sl->nsync) {
		struct drm_syncobj_create cr = { 0 };

		if (sl->nsync == SLOT_SYNCS) {
			struct drm_syncobj_destroy d = { .handle = sl->sync[0] };

			say(" destroy %u", d.handle);
			if (!account(OP_SYNCOBJ, xioctl(sl->fd, DRM_IOCTL_SYNCOBJ_DESTROY, &d)))
				forget_sync(sl, d.handle);
		}
		cr.flags = chance(70) ? 0 : chance(70) ? DRM_SYNCOBJ_CREATE_SIGNALED
						   : interesting32();
		say(" create flags %#x", cr.flags);
		if (!account(OP_SYNCOBJ, xioctl(sl->fd, DRM_IOCTL_SYNCOBJ_CREATE, &cr)))
			add_sync(sl, cr.handle,
				 !!(cr.flags & DRM_SYNCOBJ_CREATE_SIGNALED));
	} else if (c < 45) {
		struct drm_syncobj_destroy d = { .handle = sync_handle(s) };

		if (chance(3))
			d.pad = (uint32_t)rnd();
		say(" destroy %u pad %u", d.handle, d.pad);
		if (!account(OP_SYNCOBJ, xioctl(sl->fd, DRM_IOCTL_SYNCOBJ_DESTROY, &d)))
			forget_sync(sl, d.handle);
	} else if (c < 75) {
		struct drm_syncobj_array a = { 0 };
		struct drm_syncobj_wait w = { 0 };

		n = 1 + below(4);
		for (i = 0; i < n; i++)
			handles[i] = sync_handle(s);
		a.handles = (uintptr_t)handles;
		a.count_handles = chance(95) ? n : interesting32() % 5;
		w.handles = a.handles;
		w.count_handles = a.count_handles;
		switch (below(3)) {
		case 0:
			say(" signal %u", a.count_handles);
			if (!account(OP_SYNCOBJ, xioctl(sl->fd, DRM_IOCTL_SYNCOBJ_SIGNAL, &a)))
				for (i = 0; i < a.count_handles && i < n; i++)
					mark_fenced(sl, handles[i], 1);
			break;
		case 1:
			say(" reset %u", a.count_handles);
			if (!account(OP_SYNCOBJ, xioctl(sl->fd, DRM_IOCTL_SYNCOBJ_RESET, &a)))
				for (i = 0; i < a.count_handles && i < n; i++)
					mark_fenced(sl, handles[i], 0);
			break;
		default:
			w.flags = below(8);
			w.timeout_nsec = now_ns() + (int64_t)below(MAX_WAIT_MS / 2) * MSEC;
			say(" wait %u flags %#x", w.count_handles, w.flags);
			account(OP_SYNCOBJ, xioctl(sl->fd, DRM_IOCTL_SYNCOBJ_WAIT, &w));
			break;
		}
	} else {
		/* to an fd and into another file (maybe on the other device) */
		struct drm_syncobj_handle e = { 0 }, im = { 0 };
		int o = pick_other_slot(s);

		e.handle = sync_handle(s);
		if (chance(20))
			e.flags = chance(50) ? DRM_SYNCOBJ_HANDLE_TO_FD_FLAGS_EXPORT_SYNC_FILE
					     : interesting32();
		say(" export %u flags %#x", e.handle, e.flags);
		r = account(OP_SYNCOBJ, xioctl(sl->fd, DRM_IOCTL_SYNCOBJ_HANDLE_TO_FD, &e));
		if (r)
			return;
		if (o < 0)
			o = s;
		im.fd = e.fd;
		if (e.flags) {
			im.flags = DRM_SYNCOBJ_FD_TO_HANDLE_FLAGS_IMPORT_SYNC_FILE;
			im.handle = sync_handle(o);
		}
		say(" import into slot %d", o);
		if (!account(OP_SYNCOBJ, xioctl(g_slot[o].fd,
						DRM_IOCTL_SYNCOBJ_FD_TO_HANDLE, &im)) &&
		    !im.flags)
			add_sync(&g_slot[o], im.handle, 0);
		close(e.fd);
	}
}

static void op_prime(int s)
{
	struct slot *sl = &g_slot[s];
	struct drm_prime_handle ex = { 0 }, im = { 0 };
	unsigned int c = below(100);
	struct fbo *bo = NULL;
	int o, r, pfd = -1, p[2];

	say("prime:");
	if (c < 12) {
		/* import something that is not a dma-buf */
		switch (below(5)) {
		case 0: im.fd = sl->fd; break;
		case 1: im.fd = -1; break;
		case 2: im.fd = 1000; break;
		case 3: im.fd = open("/dev/null", O_RDONLY | O_CLOEXEC); pfd = im.fd; break;
		default:
			if (pipe2(p, O_CLOEXEC) == 0) {
				im.fd = p[0];
				close(p[1]);
				pfd = p[0];
			}
			break;
		}
		say(" import bogus fd %d", im.fd);
		account(OP_PRIME, xioctl(sl->fd, DRM_IOCTL_PRIME_FD_TO_HANDLE, &im));
		if (pfd >= 0)
			close(pfd);
		return;
	}
	ex.handle = any_handle(s);
	c = below(100);
	ex.flags = c < 70 ? DRM_CLOEXEC | DRM_RDWR : c < 90 ? DRM_CLOEXEC
							    : interesting32();
	say(" export slot %d handle %u flags %#x", s, ex.handle, ex.flags);
	r = account(OP_PRIME, xioctl(sl->fd, DRM_IOCTL_PRIME_HANDLE_TO_FD, &ex));
	if (r)
		return;
	pfd = ex.fd;
	bo = find_bo(s, ex.handle);
	if (chance(15) && bo && bo->size) {
		void *m = mmap(NULL, bo->size, PROT_READ | PROT_WRITE,
			       MAP_SHARED, pfd, 0);

		say(" mmap dma-buf %#llx", ULL(bo->size));
		account(OP_MMAP, m == MAP_FAILED ? -errno : 0);
		if (m != MAP_FAILED)
			add_map(m, bo->size,
				(ex.flags & DRM_RDWR) ? bo->size : 0,
				(ex.flags & DRM_RDWR) ? PROT_READ | PROT_WRITE
						       : PROT_READ, -1, 0);
	}
	o = chance(80) ? pick_other_slot(s) : s;
	if (o < 0)
		o = s;
	im.fd = pfd;
	if (chance(5))
		im.flags = interesting32();
	say(" import into slot %d", o);
	r = account(OP_PRIME, xioctl(g_slot[o].fd, DRM_IOCTL_PRIME_FD_TO_HANDLE, &im));
	if (!r && !find_bo(o, im.handle) && g_slot[o].nbo < SLOT_BOS) {
		struct fbo *nb = &g_slot[o].bo[g_slot[o].nbo];

		memset(nb, 0, sizeof(*nb));
		nb->handle = im.handle;
		nb->imported = 1;
		g_slot[o].nbo++;
		if (chance(70))
			bo_info(o, nb);
	}
	if (g_ndmabuf < MAX_DMABUFS && chance(10))
		g_dmabuf[g_ndmabuf++] = pfd;	/* keeps the BO alive for a while */
	else
		close(pfd);
}

/*
 * Close every descriptor this process does not know about: a raw ioctl
 * may have made a dma-buf or syncobj fd whose number it did not return
 * (a short payload), and such an fd would keep its BO alive.
 */
static void close_unknown_fds(void)
{
	int fd, i, known;

	for (fd = 3; fd < 1024; fd++) {
		if (fcntl(fd, F_GETFD) < 0)
			continue;
		known = 0;
		for (i = 0; i < g_nslots && !known; i++)
			known = g_slot[i].fd == fd;
		for (i = 0; i < g_ndmabuf && !known; i++)
			known = g_dmabuf[i] == fd;
		if (!known)
			close(fd);
	}
}

/*
 * Driver and DRM core ioctl numbers with random payloads.  The DRM core's
 * own troubles are not gconv's to fix, so these are left out: GET_UNIQUE,
 * GET_MAGIC and AUTH_MAGIC (Linux 6.12 lets an accel file call them and
 * then dereferences the file's master, NULL on accel nodes: an oops in
 * drm_getunique()), and the syncobj ioctls that take a handle array
 * (SIGNAL, RESET, QUERY, TIMELINE_SIGNAL, WAIT: drm_syncobj_array_find()
 * kmallocs count_handles * 4 bytes without __GFP_NOWARN, a WARN for a
 * count above a million).  op_syncobj() calls those with sane counts.
 */
static void op_raw(int s)
{
	static const unsigned long core[] = {
		DRM_IOCTL_VERSION, DRM_IOCTL_GET_CAP,
		DRM_IOCTL_SET_CLIENT_CAP, DRM_IOCTL_GEM_CLOSE,
		DRM_IOCTL_GEM_FLINK, DRM_IOCTL_GEM_OPEN,
		DRM_IOCTL_PRIME_HANDLE_TO_FD, DRM_IOCTL_PRIME_FD_TO_HANDLE,
		DRM_IOCTL_SYNCOBJ_CREATE, DRM_IOCTL_SYNCOBJ_DESTROY,
		DRM_IOCTL_SYNCOBJ_HANDLE_TO_FD, DRM_IOCTL_SYNCOBJ_FD_TO_HANDLE,
		DRM_IOCTL_SYNCOBJ_TRANSFER,
	};
	static uint64_t buf[64];
	static uint8_t *scratch;	/* what pointers in the payload point at */
	unsigned long req;
	unsigned int i, dir, size, nr;
	void *arg = buf;
	int r;

	if (!scratch) {
		/* 64 KiB, then a page the kernel cannot write past into */
		scratch = mmap(NULL, (64 << 10) + PAGE, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (scratch == MAP_FAILED) {
			scratch = NULL;
			return;
		}
		mprotect(scratch + (64 << 10), PAGE, PROT_NONE);
	}
	memset(scratch, 0, 64 << 10);
	for (i = 0; i < ARRAY_SIZE(buf); i++) {
		unsigned int c = below(100);

		buf[i] = c < 40 ? 0 : c < 60 ? below(16)
			: c < 70 ? (uintptr_t)(scratch + 8 * below(8192))
			: interesting64();
	}
	if (chance(60)) {
		nr = DRM_COMMAND_BASE + (chance(85) ? below(8) : below(0x60));
		dir = below(4);
		size = chance(60) ? 8 * (1 + below(12)) : below(512);
		req = _IOC(dir, DRM_IOCTL_BASE, nr, size);
	} else {
		req = core[below(ARRAY_SIZE(core))];
		if (chance(15))
			req = (req & ~((unsigned long)_IOC_SIZEMASK << _IOC_SIZESHIFT)) |
			      ((unsigned long)below(512) << _IOC_SIZESHIFT);
	}
	/* never let the kernel copy beyond buf */
	if (_IOC_SIZE(req) > sizeof(buf))
		arg = NULL;
	else if (chance(5))
		arg = chance(50) ? NULL : (void *)(uintptr_t)8;
	say("raw_ioctl slot %d req %#lx arg %p", s, req, arg);
	r = account(OP_RAW, xioctl(g_slot[s].fd, req, arg));
	/* handles it made stay in the file until the file is closed; fds not */
	if (!r)
		close_unknown_fds();
}

/* ------------------------------------------------------------------------
 * Files: open, close, fork
 */

static void close_slot(int s)
{
	struct slot *sl = &g_slot[s];
	int i, unmap = chance(50);

	for (i = 0; i < MAX_MAPS; i++)
		if (unmap && g_map[i].used && g_map[i].slot == s &&
		    g_map[i].gen == sl->gen)
			drop_map(i);
	for (i = 0; i < sl->nbo; i++)
		if (!sl->bo[i].imported && g_live_bytes >= sl->bo[i].size)
			g_live_bytes -= sl->bo[i].size;
	say(" close slot %d fd %d (%d BOs, %u jobs, unmap %d)", s, sl->fd,
	    sl->nbo, sl->njob, unmap);
	account(OP_CLOSE, close(sl->fd) ? -errno : 0);
	sl->fd = -1;
	sl->gen++;
	sl->nbo = 0;
}

static void op_open(void)
{
	int i;

	say("open:");
	for (i = 0; i < g_nslots; i++)
		if (g_slot[i].fd < 0) {
			open_slot(i, (int)below((uint32_t)g_ndev));
			return;
		}
}

static void reap(int block)
{
	int i, st;

	for (i = 0; i < MAX_CHILDREN; i++) {
		pid_t p;

		if (!g_kids[i])
			continue;
		p = waitpid(g_kids[i], &st, block ? 0 : WNOHANG);
		if (p == 0)
			continue;
		if (p < 0 && errno == EINTR)
			continue;
		if (p > 0 && !(WIFEXITED(st) && WEXITSTATUS(st) == 0)) {
			g_children_bad++;
			printf("gconv-fuzz: child %d ended with %s %d\n", (int)p,
			       WIFEXITED(st) ? "status" : "signal",
			       WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
			fflush(stdout);
		}
		g_kids[i] = 0;
	}
}

static void run_ops(unsigned long n, int64_t end);

static void op_fork(void)
{
	uint64_t seed = rnd();
	int i, s;
	pid_t p;

	say("fork:");
	for (i = 0; i < MAX_CHILDREN && g_kids[i]; i++)
		;
	if (i == MAX_CHILDREN)
		return;
	fflush(stdout);
	p = fork();
	if (p < 0) {
		account(OP_FORK, -errno);
		return;
	}
	if (p > 0) {
		g_kids[i] = p;
		g_children_started++;
		account(OP_FORK, 0);
		return;
	}
	/* the child: a few operations, often on a file of its own, then gone */
	g_child = 1;
	g_rs = seed;
	memset(g_kids, 0, sizeof(g_kids));
	if (chance(60)) {
		s = (int)below((uint32_t)g_nslots);
		if (g_slot[s].fd >= 0)
			close(g_slot[s].fd);	/* the parent's stays open */
		g_slot[s].fd = -1;
		g_slot[s].gen++;
		g_slot[s].nbo = 0;
		g_cur[0] = 0;
		open_slot(s, (int)below((uint32_t)g_ndev));
		if (g_slot[s].fd >= 0) {
			g_cur[0] = 0;
			op_submit(s);
		}
	}
	run_ops(2 + below(10), now_ns() + 5 * NSEC);
	_exit(0);	/* with whatever is in flight */
}

/* ------------------------------------------------------------------------
 * The loop
 */

/*
 * A child shares the parent's files: it leaves alone what the parent keeps
 * track of there (handles, syncobjs) and forks no children of its own.
 */
static int op_allowed(unsigned int k)
{
	return !g_child || (k != OP_FORK && k != OP_GEM_CLOSE &&
			    k != OP_SYNCOBJ && k != OP_RAW);
}

static enum op pick_op(void)
{
	unsigned int total = 0, i, x;

	for (i = 0; i < OP_COUNT; i++)
		if (op_allowed(i))
			total += g_ops[i].weight;
	x = below(total);
	for (i = 0; i < OP_COUNT; i++) {
		if (!op_allowed(i))
			continue;
		if (x < g_ops[i].weight)
			return (enum op)i;
		x -= g_ops[i].weight;
	}
	return OP_GET_PARAM;
}

static void do_op(enum op k)
{
	int s = pick_slot();

	if (s < 0 && k != OP_FORK && k != OP_MUNMAP && k != OP_MEM)
		k = OP_OPEN;
	/* a banned file is mostly closed and reopened */
	if (s >= 0 && g_slot[s].banned && chance(40))
		k = OP_CLOSE;
	g_count[k]++;
	switch (k) {
	case OP_OPEN: op_open(); break;
	case OP_CLOSE:
		say("close:");
		close_slot(s);
		break;
	case OP_GET_PARAM: op_get_param(s); break;
	case OP_BO_CREATE: op_bo_create(s); break;
	case OP_BO_INFO: op_bo_info(s); break;
	case OP_MMAP: op_mmap(s); break;
	case OP_MUNMAP: op_munmap(); break;
	case OP_MEM: op_mem(); break;
	case OP_GEM_CLOSE:
		say("gem_close:");
		gem_close(s, any_handle(s));
		break;
	case OP_SUBMIT: op_submit(s); break;
	case OP_WAIT: op_wait(s); break;
	case OP_STATS: op_stats(s); break;
	case OP_SYNCOBJ: op_syncobj(s); break;
	case OP_PRIME: op_prime(s); break;
	case OP_FORK: op_fork(); break;
	case OP_RAW: op_raw(s); break;
	default: break;
	}
}

static void run_ops(unsigned long n, int64_t end)
{
	int64_t start = now_ns(), next_note = start + 10 * NSEC;
	unsigned long i;

	for (i = 0; (!n || i < n) && now_ns() < end; i++) {
		int open[MAX_SLOTS];
		enum op k;
		int64_t t0;
		double dt;

		if (!g_child)
			reap(0);
		/* keep most slots open */
		if (open_slots(open) < (g_nslots + 1) / 2)
			k = OP_OPEN;
		else
			k = pick_op();
		g_opno++;
		snprintf(g_cur, sizeof(g_cur), "#%lu%s ", g_opno,
			 g_child ? " (child)" : "");
		t0 = now_ns();
		watchdog(WATCHDOG_S);
		do_op(k);
		watchdog(0);
		dt = (double)(now_ns() - t0) / NSEC;
		if (dt > g_slowest[k])
			g_slowest[k] = dt;
		if (g_verbose)
			printf("gconv-fuzz: %s\n", g_cur);
		memcpy(g_ring[g_ringpos++ % RING], g_cur, sizeof(g_cur));
		if (!g_child && now_ns() >= next_note) {
			printf("gconv-fuzz: %llds: %lu ops, %lu jobs submitted\n",
			       (long long)((now_ns() - start) / NSEC), g_opno,
			       g_jobs);
			fflush(stdout);
			next_note = now_ns() + 10 * NSEC;
		}
	}
}

static void finish(void)
{
	int i, tries;

	g_cur[0] = 0;
	say("final cleanup:");
	/* the children first: they may hold files with jobs in flight */
	for (tries = 0; tries < 12; tries++) {
		int left = 0;

		watchdog(5);
		reap(1);
		watchdog(0);
		for (i = 0; i < MAX_CHILDREN; i++)
			if (g_kids[i])
				left++;
		if (!left)
			break;
	}
	for (i = 0; i < MAX_CHILDREN; i++)
		if (g_kids[i]) {
			printf("gconv-fuzz: child %d did not exit within 60 s\n",
			       (int)g_kids[i]);
			g_children_bad++;
		}
	for (i = 0; i < g_ndmabuf; i++)
		close(g_dmabuf[i]);
	g_ndmabuf = 0;
	for (i = 0; i < MAX_MAPS; i++)
		if (g_map[i].used)
			drop_map(i);
	for (i = 0; i < g_nslots; i++)
		if (g_slot[i].fd >= 0) {
			int64_t t0 = now_ns();
			double dt;

			close_slot(i);
			dt = (double)(now_ns() - t0) / NSEC;
			if (dt > g_slowest[OP_CLOSE])
				g_slowest[OP_CLOSE] = dt;
		}
}

static void summary(double secs)
{
	unsigned long total = 0;
	unsigned int k, e;

	for (k = 0; k < OP_COUNT; k++)
		total += g_count[k];
	printf("gconv-fuzz: summary: %lu operations in %.1f s, %lu jobs submitted\n",
	       total, secs, g_jobs);
	printf("gconv-fuzz: operations (count, slowest, then results; one op may make several calls):\n");
	for (k = 0; k < OP_COUNT; k++) {
		char line[1024];
		size_t len;

		len = (size_t)snprintf(line, sizeof(line), "  %-10s %7lu  %6.2fs ",
				       g_ops[k].name, g_count[k], g_slowest[k]);
		for (e = 0; e <= ERRNO_MAX && len < sizeof(line); e++)
			if (g_err[k][e])
				len += (size_t)snprintf(line + len, sizeof(line) - len,
							" %s %lu",
							e == ERRNO_MAX ? "other"
								       : errname(-(int)e),
							g_err[k][e]);
		printf("%s\n", line);
	}
	printf("gconv-fuzz: errors by errno, all calls:");
	for (e = 1; e <= ERRNO_MAX; e++) {
		unsigned long n = 0;

		for (k = 0; k < OP_COUNT; k++)
			n += g_err[k][e];
		if (n)
			printf(" %s %lu", e == ERRNO_MAX ? "other" : errname(-(int)e), n);
	}
	printf("\n");
	printf("gconv-fuzz: chains before SUBMIT: %lu valid, %lu invalid (by the validator)\n",
	       g_chains_valid, g_chains_invalid);
	printf("gconv-fuzz: jobs by status (WAITs that returned one):");
	for (k = 0; k < STATUS_MAX; k++)
		if (g_status[k])
			printf(" %s %lu", k < STATUS_KNOWN ? g_status_names[k] : "unknown",
			       g_status[k]);
	printf("; %lu WAITs timed out\n", g_waits_timed_out);
	printf("gconv-fuzz: children: %lu forked, %lu ended badly\n",
	       g_children_started, g_children_bad);
	printf("gconv-fuzz: rule violations: %lu\n", g_violations);
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: gconv-fuzz [--seconds N] [--ops N] [--seed S] [--fds K]\n"
		"                  [--device PATH]... [--verbose]\n"
		"  --seconds N   run this long (default 30)\n"
		"  --ops N       stop after N operations (default: no limit)\n"
		"  --seed S      random seed (default: from the clock; always printed)\n"
		"  --fds K       files kept on the devices (default 4, at most %d)\n"
		"  --device PATH a gconv accel node (repeatable; default\n"
		"                /dev/accel/accel0 and accel1 if it exists)\n"
		"  --verbose     print every operation\n", MAX_SLOTS);
}

static void device_limits(struct dev *d)
{
	struct drm_gconv_get_param gp = { .param = DRM_GCONV_PARAM_VA_START };
	int fd = open(d->path, O_RDWR | O_CLOEXEC);

	d->va_start = 1ull << 32;
	d->va_end = 1ull << 47;
	if (fd < 0)
		return;
	if (!xioctl(fd, DRM_IOCTL_GCONV_GET_PARAM, &gp))
		d->va_start = gp.value;
	gp.param = DRM_GCONV_PARAM_VA_END;
	gp.value = 0;
	if (!xioctl(fd, DRM_IOCTL_GCONV_GET_PARAM, &gp))
		d->va_end = gp.value;
	close(fd);
	if (d->va_end <= d->va_start) {
		d->va_start = 1ull << 32;
		d->va_end = 1ull << 47;
	}
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "seconds", required_argument, NULL, 't' },
		{ "ops", required_argument, NULL, 'n' },
		{ "seed", required_argument, NULL, 's' },
		{ "fds", required_argument, NULL, 'k' },
		{ "device", required_argument, NULL, 'd' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	unsigned long seconds = 30, nops = 0;
	unsigned long long seed = 0;
	int have_seed = 0, fds = 4, opt, i, ok;
	struct sigaction sa;
	int64_t start;
	char *end;

	while ((opt = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (opt) {
		case 't':
			seconds = strtoul(optarg, &end, 0);
			if (*end || !*optarg)
				goto bad;
			break;
		case 'n':
			nops = strtoul(optarg, &end, 0);
			if (*end || !*optarg)
				goto bad;
			break;
		case 's':
			seed = strtoull(optarg, &end, 0);
			if (*end || !*optarg)
				goto bad;
			have_seed = 1;
			break;
		case 'k':
			fds = (int)strtol(optarg, &end, 0);
			if (*end || fds < 1 || fds > MAX_SLOTS)
				goto bad;
			break;
		case 'd':
			if (g_ndev == MAX_DEVS)
				goto bad;
			snprintf(g_dev[g_ndev++].path, sizeof(g_dev[0].path),
				 "%s", optarg);
			break;
		case 'v':
			g_verbose = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			goto bad;
		}
	}
	if (optind != argc)
		goto bad;
	if (!g_ndev) {
		snprintf(g_dev[g_ndev++].path, sizeof(g_dev[0].path),
			 "/dev/accel/accel0");
		if (access("/dev/accel/accel1", F_OK) == 0)
			snprintf(g_dev[g_ndev++].path, sizeof(g_dev[0].path),
				 "/dev/accel/accel1");
	}
	for (i = 0; i < g_ndev; i++) {
		if (access(g_dev[i].path, R_OK | W_OK)) {
			printf("gconv-fuzz: cannot use %s: %s\n", g_dev[i].path,
			       strerror(errno));
			printf("0 passed, 1 failed\n");
			return 1;
		}
		device_limits(&g_dev[i]);
	}
	if (!have_seed && getrandom(&seed, sizeof(seed), 0) != sizeof(seed)) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		seed = (unsigned long long)ts.tv_sec * NSEC + (unsigned long long)ts.tv_nsec;
	}
	seed &= (1ull << 53) - 1;	/* short enough to type */
	g_rs = seed;
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("gconv-fuzz: seed %llu (replay: gconv-fuzz --seed %llu --seconds %lu --fds %d",
	       seed, seed, seconds, fds);
	for (i = 0; i < g_ndev; i++)
		printf(" --device %s", g_dev[i].path);
	printf(")\n");

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;	/* no SA_RESTART: blocked calls get EINTR */
	sigaction(SIGALRM, &sa, NULL);
	sa.sa_handler = on_fatal;
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	g_nslots = fds;
	for (i = 0; i < g_nslots; i++) {
		g_slot[i].fd = -1;
		g_cur[0] = 0;
		open_slot(i, i % g_ndev);
	}
	start = now_ns();
	run_ops(nops, start + (int64_t)seconds * NSEC);
	finish();
	summary((double)(now_ns() - start) / NSEC);
	ok = !g_violations && !g_children_bad;
	printf("%d passed, %d failed\n", ok, !ok);
	return ok ? 0 : 1;
bad:
	usage(stderr);
	return 2;
}
