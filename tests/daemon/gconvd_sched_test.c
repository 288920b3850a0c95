// SPDX-License-Identifier: MIT
/*
 * gconvd's scheduling, from the outside (cpu backend, one worker):
 *
 *   order   a realtime tenant's request queued after a batch tenant's
 *           runs first; within a class, requests of one tenant run in
 *           the order they came;
 *   shares  three tenants with weights 1, 2 and 4 that keep gconvd busy
 *           get device time in those proportions (within 15%);
 *   deadline  a request whose deadline passes while it waits behind
 *           another is answered "deadline exceeded" without running;
 *           one with a generous deadline runs.
 *
 * Assertions are on order and shares only, never on how long anything
 * took.  Each tenant is a child process under its own uid (the test runs
 * as root).
 *
 *	gconvd-sched-test --gconvd PATH --models DIR
 *
 * DIR holds digits.onnx and slow.onnx (tests/daemon/make_slow_model.py).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <gconv/client.h>
#include <gconv/model.h>
#include <gconv/tensor_io.h>

#define UID_BASE 62000
#define NINST	 8

static char g_dir[] = "/tmp/gconvd-sched-XXXXXX";
static const char *g_gconvd, *g_models;
static pid_t g_daemon = -1;
static int g_passed, g_failed;

struct shared {
	volatile int stop;
	uint64_t done_ns[8];   /* order: when each request's reply came */
	uint64_t device_ns[8]; /* shares: device time each tenant got */
	uint64_t completed[8];
	char err[8][512];
};
static struct shared *g_sh;

static void check(int ok, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void check(int ok, const char *fmt, ...)
{
	va_list ap;

	printf("%s ", ok ? "ok  " : "FAIL");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	if (ok)
		g_passed++;
	else
		g_failed++;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/*
 * Start gconvd with @policy; @args (NULL-terminated, may be NULL) replace
 * the default "--backend cpu --workers 1".
 */
static void start_daemon_args(const char *name, const char *policy,
			      const char *const *args)
{
	static const char *const dflt[] = { "--backend", "cpu", "--workers",
					    "1", NULL };
	char sock[100], pol[128], logp[128];
	const char *argv[32];
	int n = 0;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	FILE *f;
	int i, fd;

	snprintf(sock, sizeof(sock), "%s/%s.sock", g_dir, name);
	snprintf(pol, sizeof(pol), "%s/%s.conf", g_dir, name);
	snprintf(logp, sizeof(logp), "%s/%s.log", g_dir, name);
	f = fopen(pol, "w");
	if (!f || fputs(policy, f) < 0 || fclose(f)) {
		fprintf(stderr, "gconvd-sched-test: %s: %s\n", pol,
			strerror(errno));
		exit(1);
	}
	g_daemon = fork();
	if (!g_daemon) {
		fd = open(logp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd >= 0)
			dup2(fd, STDERR_FILENO);
		argv[n++] = g_gconvd;
		argv[n++] = "--foreground";
		for (i = 0, args = args ? args : dflt; args[i] && n < 24; i++)
			argv[n++] = args[i];
		argv[n++] = "--socket";
		argv[n++] = sock;
		argv[n++] = "--policy";
		argv[n++] = pol;
		argv[n] = NULL;
		execv(g_gconvd, (char *const *)argv);
		_exit(127);
	}
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
	for (i = 0; i < 300; i++) {
		fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
		if (!connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
			close(fd);
			return;
		}
		close(fd);
		usleep(50000);
	}
	fprintf(stderr, "gconvd-sched-test: gconvd does not listen (%s)\n",
		logp);
	exit(1);
}

static void start_daemon(const char *name, const char *policy)
{
	start_daemon_args(name, policy, NULL);
}

/* Whether gconvd's log for @name has a line with @what in it. */
static int log_has(const char *name, const char *what)
{
	char path[128], line[1024];
	int found = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s.log", g_dir, name);
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (!found && fgets(line, sizeof(line), f))
		found = strstr(line, what) != NULL;
	fclose(f);
	return found;
}

/* The number after @what in gconvd's log for @name, or -1. */
static long long log_number(const char *name, const char *what)
{
	char path[128], line[1024], *p;
	long long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s.log", g_dir, name);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if ((p = strstr(line, what)))
			v = strtoll(p + strlen(what), NULL, 10);
	fclose(f);
	return v;
}

static void stop_daemon(void)
{
	int st;

	kill(g_daemon, SIGTERM);
	waitpid(g_daemon, &st, 0);
	check(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	      "gconvd exits 0 after SIGTERM");
	g_daemon = -1;
}

static struct gconv_client *child_connect(const char *name, int idx,
					  const char *model,
					  struct gconv_client_model **m, int n)
{
	char sock[128], path[256], err[512];
	struct gconv_client *c;
	int i;

	if (setgroups(0, NULL) || setgid(UID_BASE + idx) ||
	    setuid(UID_BASE + idx)) {
		snprintf(g_sh->err[idx], sizeof(g_sh->err[0]), "setuid: %s",
			 strerror(errno));
		_exit(1);
	}
	snprintf(sock, sizeof(sock), "%s/%s.sock", g_dir, name);
	snprintf(path, sizeof(path), "%s/%s.onnx", g_models, model);
	if (gconv_client_connect(sock, name, &c, err, sizeof(err))) {
		snprintf(g_sh->err[idx], sizeof(g_sh->err[0]), "%s", err);
		_exit(1);
	}
	for (i = 0; i < n; i++) {
		if (gconv_client_load_file(c, path, NULL, &m[i], err,
					   sizeof(err))) {
			snprintf(g_sh->err[idx], sizeof(g_sh->err[0]), "%s",
				 err);
			_exit(1);
		}
		memset(gconv_client_input_data(m[i], 0), 0,
		       gconv_client_input(m[i], 0)->bytes);
	}
	return c;
}

/* ---- order ----------------------------------------------------------------
 */

/* Child @idx: wait for @go, run one request on the slow model. */
static void order_child(int idx, int go_fd, int ready_fd)
{
	struct gconv_client_model *m;
	char err[512], b = 0;

	child_connect("order", idx, "slow", &m, 1);
	if (write(ready_fd, &b, 1) != 1 || read(go_fd, &b, 1) != 1)
		_exit(1);
	if (gconv_client_infer(m, NULL, err, sizeof(err))) {
		snprintf(g_sh->err[idx], sizeof(g_sh->err[0]), "%s", err);
		_exit(1);
	}
	g_sh->done_ns[idx] = now_ns();
	_exit(0);
}

static void test_order(void)
{
	/* 0 blocks the worker; then 1 (batch) queues, then 2 (realtime) */
	static const char *const policy =
		"[gconvd]\nunknown-users = refuse\n"
		"[tenant first]\nusers = 62000\n"
		"[tenant batch]\nusers = 62001\npriority = batch\n"
		"[tenant rt]\nusers = 62002\npriority = realtime\n";
	int go[3][2], ready[2], i, st, ok = 1;
	pid_t kid[3];
	char b;

	start_daemon("order", policy);
	if (pipe(ready))
		exit(1);
	for (i = 0; i < 3; i++) {
		if (pipe(go[i]))
			exit(1);
		kid[i] = fork();
		if (!kid[i]) {
			close(ready[0]);
			order_child(i, go[i][0], ready[1]);
		}
	}
	close(ready[1]);
	for (i = 0; i < 3; i++)
		if (read(ready[0], &b, 1) != 1)
			ok = 0;
	check(ok, "order: three tenants loaded the slow model");
	/* each request is queued before the next is sent: 0 runs first */
	for (i = 0; i < 3; i++) {
		if (write(go[i][1], &b, 1) != 1)
			ok = 0;
		usleep(300000);
	}
	for (i = 0; i < 3; i++) {
		waitpid(kid[i], &st, 0);
		if (!WIFEXITED(st) || WEXITSTATUS(st)) {
			ok = 0;
			printf("# child %d: %s\n", i, g_sh->err[i]);
		}
	}
	check(ok, "order: every request ended OK");
	check(g_sh->done_ns[2] < g_sh->done_ns[1],
	      "order: the realtime request queued after the batch one ran "
	      "before it (done at +%.0f ms, batch at +%.0f ms)",
	      (g_sh->done_ns[2] - g_sh->done_ns[0]) / 1e6,
	      (g_sh->done_ns[1] - g_sh->done_ns[0]) / 1e6);
	stop_daemon();
}

/* ---- shares ----------------------------------------------------------------
 */

/* Child @idx: keep NINST requests going until told to stop. */
static void share_child(int idx, int ready_fd)
{
	struct gconv_client_model *m[NINST];
	struct gconv_client_timing t;
	char err[512], b = 0;
	int i;

	child_connect("shares", idx, "digits", m, NINST);
	if (write(ready_fd, &b, 1) != 1)
		_exit(1);
	for (i = 0; i < NINST; i++)
		if (gconv_client_infer_start(m[i], err, sizeof(err)))
			goto fail;
	for (i = 0; !g_sh->stop; i = (i + 1) % NINST) {
		if (gconv_client_infer_wait(m[i], -1, &t, err, sizeof(err)))
			goto fail;
		__atomic_add_fetch(&g_sh->device_ns[idx], t.exec_ns,
				   __ATOMIC_RELAXED);
		__atomic_add_fetch(&g_sh->completed[idx], 1, __ATOMIC_RELAXED);
		if (gconv_client_infer_start(m[i], err, sizeof(err)))
			goto fail;
	}
	_exit(0);
fail:
	snprintf(g_sh->err[idx], sizeof(g_sh->err[0]), "%s", err);
	_exit(1);
}

static void test_shares(void)
{
	static const char *const policy =
		"[gconvd]\nunknown-users = refuse\n"
		"[tenant w1]\nusers = 62000\nweight = 1\nmax-in-flight = 1\n"
		"[tenant w2]\nusers = 62001\nweight = 2\nmax-in-flight = 1\n"
		"[tenant w4]\nusers = 62002\nweight = 4\nmax-in-flight = 1\n";
	static const double want[3] = { 1 / 7.0, 2 / 7.0, 4 / 7.0 };
	uint64_t dev0[3], dev1[3], total = 0, n = 0;
	int ready[2], i, st, ok = 1;
	pid_t kid[3];
	char b;

	start_daemon("shares", policy);
	if (pipe(ready))
		exit(1);
	for (i = 0; i < 3; i++) {
		kid[i] = fork();
		if (!kid[i]) {
			close(ready[0]);
			share_child(i, ready[1]);
		}
	}
	close(ready[1]);
	for (i = 0; i < 3; i++)
		if (read(ready[0], &b, 1) != 1)
			ok = 0;
	check(ok,
	      "shares: three tenants (weights 1, 2, 4) loaded %d "
	      "instances each",
	      NINST);
	/* a settling second, then a measured window of all three busy */
	sleep(1);
	for (i = 0; i < 3; i++)
		dev0[i] =
			__atomic_load_n(&g_sh->device_ns[i], __ATOMIC_RELAXED);
	sleep(4);
	for (i = 0; i < 3; i++) {
		dev1[i] =
			__atomic_load_n(&g_sh->device_ns[i], __ATOMIC_RELAXED);
		total += dev1[i] - dev0[i];
		n += g_sh->completed[i];
	}
	g_sh->stop = 1;
	for (i = 0; i < 3; i++) {
		waitpid(kid[i], &st, 0);
		if (!WIFEXITED(st) || WEXITSTATUS(st)) {
			ok = 0;
			printf("# child %d: %s\n", i, g_sh->err[i]);
		}
	}
	check(ok, "shares: every request ended OK (%llu in all)",
	      (unsigned long long)n);
	for (i = 0; i < 3; i++) {
		double got = total ? (double)(dev1[i] - dev0[i]) / total : 0;

		check(got > want[i] * 0.85 && got < want[i] * 1.15,
		      "shares: weight %d got %.1f%% of the device time "
		      "(want %.1f%% within 15%%)",
		      1 << i, got * 100, want[i] * 100);
	}
	stop_daemon();
}

/* ---- deadlines -------------------------------------------------------------
 */

static void test_deadline(void)
{
	struct gconv_client_model *slow, *late, *fine;
	struct gconv_client_stats st0, st1;
	struct gconv_client *c;
	char sock[100], path[256], err[512];
	int ret;

	start_daemon("deadline", "[tenant default]\nmax-in-flight = 1\n");
	snprintf(sock, sizeof(sock), "%s/deadline.sock", g_dir);
	if (gconv_client_connect(sock, "deadline", &c, err, sizeof(err))) {
		check(0, "deadline: connect: %s", err);
		stop_daemon();
		return;
	}
	snprintf(path, sizeof(path), "%s/slow.onnx", g_models);
	ret = gconv_client_load_file(c, path, NULL, &slow, err, sizeof(err));
	if (!ret)
		ret = gconv_client_load_file(c, path, NULL, &late, err,
					     sizeof(err));
	if (!ret)
		ret = gconv_client_load_file(c, path, NULL, &fine, err,
					     sizeof(err));
	check(!ret, "deadline: three instances of the slow model%s%s",
	      ret ? ": " : "", ret ? err : "");
	if (ret)
		goto out;
	gconv_client_stats(c, &st0, err, sizeof(err));
	/* the slow request holds the one worker for about a second */
	ret = gconv_client_infer_start(slow, err, sizeof(err));
	check(!ret, "deadline: a slow request runs%s%s", ret ? ": " : "",
	      ret ? err : "");
	usleep(100000);
	ret = gconv_client_infer_start_deadline(late, 50000000, err,
						sizeof(err));
	check(!ret, "deadline: INFER2 with a 50 ms deadline is accepted%s%s",
	      ret ? ": " : "", ret ? err : "");
	ret = gconv_client_infer_start_deadline(fine, 60000000000ull, err,
						sizeof(err));
	check(!ret, "deadline: INFER2 with a 60 s deadline is accepted%s%s",
	      ret ? ": " : "", ret ? err : "");
	ret = gconv_client_infer_wait(late, -1, NULL, err, sizeof(err));
	check(ret == -ETIME && strstr(err, "GCONVD_E_DEADLINE"),
	      "deadline: the 50 ms one is answered -ETIME, deadline "
	      "exceeded (%d: %s)",
	      ret, err);
	ret = gconv_client_infer_wait(slow, -1, NULL, err, sizeof(err));
	check(!ret, "deadline: the slow request ends OK%s%s", ret ? ": " : "",
	      ret ? err : "");
	ret = gconv_client_infer_wait(fine, -1, NULL, err, sizeof(err));
	check(!ret, "deadline: the 60 s one runs and ends OK%s%s",
	      ret ? ": " : "", ret ? err : "");
	gconv_client_stats(c, &st1, err, sizeof(err));
	check(st1.completed - st0.completed == 2 &&
		      st1.failed - st0.failed == 1,
	      "deadline: 2 completed, 1 failed (got %llu, %llu): the late "
	      "one never ran",
	      (unsigned long long)(st1.completed - st0.completed),
	      (unsigned long long)(st1.failed - st0.failed));
out:
	gconv_client_close(c);
	stop_daemon();
}

/* ---- preemption ------------------------------------------------------------
 */

/* Fill @m's input with a pattern that is not all one value. */
static void fill_pattern(struct gconv_client_model *m, int seed)
{
	float *x = gconv_client_input_data(m, 0);
	uint64_t n = gconv_client_input(m, 0)->bytes / sizeof(float), i;

	for (i = 0; i < n; i++)
		x[i] = (float)((i * 7 + (uint64_t)seed * 13) % 17) / 17.0f;
}

/*
 * Child @idx: load the slow model; if @reference, run it once alone and
 * keep its output; then wait for @go, run, and compare.
 */
static void preempt_child(int idx, int go_fd, int ready_fd, int reference)
{
	struct gconv_client_model *m;
	const struct gconv_client_tensor *y;
	char err[512], b = 0;
	float *ref = NULL;

	child_connect("preempt", idx, "slow", &m, 1);
	fill_pattern(m, idx);
	y = gconv_client_output(m, 0);
	if (reference) {
		if (gconv_client_infer(m, NULL, err, sizeof(err)))
			goto fail;
		ref = malloc(y->bytes);
		if (!ref)
			_exit(1);
		memcpy(ref, gconv_client_output_data(m, 0), y->bytes);
		memset((void *)gconv_client_output_data(m, 0), 0, y->bytes);
	}
	if (write(ready_fd, &b, 1) != 1 || read(go_fd, &b, 1) != 1)
		_exit(1);
	if (gconv_client_infer(m, NULL, err, sizeof(err)))
		goto fail;
	g_sh->done_ns[idx] = now_ns();
	if (ref)
		g_sh->completed[idx] =
			!memcmp(ref, gconv_client_output_data(m, 0), y->bytes);
	_exit(0);
fail:
	snprintf(g_sh->err[idx], sizeof(g_sh->err[0]), "%s", err);
	_exit(1);
}

static void test_preempt(void)
{
	/* one GCONV per segment: the batch request stops at the next one */
	static const char *const policy =
		"[gconvd]\nunknown-users = refuse\nsegment = 1\n"
		"[tenant batch]\nusers = 62000\npriority = batch\n"
		"[tenant rt]\nusers = 62001\npriority = realtime\n";
	int go[2][2], ready[2], i, st, ok = 1;
	pid_t kid[2];
	char b = 0;

	start_daemon("preempt", policy);
	if (pipe(ready))
		exit(1);
	for (i = 0; i < 2; i++) {
		if (pipe(go[i]))
			exit(1);
		kid[i] = fork();
		if (!kid[i]) {
			close(ready[0]);
			preempt_child(i, go[i][0], ready[1], i == 0);
		}
	}
	close(ready[1]);
	for (i = 0; i < 2; i++)
		if (read(ready[0], &b, 1) != 1)
			ok = 0;
	check(ok, "preempt: a batch and a realtime tenant loaded the slow "
		  "model");
	/* the batch request runs alone on the one worker; then realtime */
	if (write(go[0][1], &b, 1) != 1)
		ok = 0;
	usleep(250000);
	if (write(go[1][1], &b, 1) != 1)
		ok = 0;
	for (i = 0; i < 2; i++) {
		waitpid(kid[i], &st, 0);
		if (!WIFEXITED(st) || WEXITSTATUS(st)) {
			ok = 0;
			printf("# child %d: %s\n", i, g_sh->err[i]);
		}
	}
	check(ok, "preempt: both requests ended OK");
	check(g_sh->done_ns[1] < g_sh->done_ns[0],
	      "preempt: the realtime request sent while the batch one ran "
	      "ended first (%.0f ms before it)",
	      ((double)g_sh->done_ns[0] - (double)g_sh->done_ns[1]) / 1e6);
	check(g_sh->completed[0] == 1,
	      "preempt: the batch request, stopped and resumed, computed "
	      "what it computes alone");
	stop_daemon();
	check(log_number("preempt", "device 0 (cpu): ") > 0,
	      "preempt: gconvd counted its jobs");
}

/* ---- cancel ---------------------------------------------------------------
 */

static void test_cancel_running(void)
{
	struct gconv_client_model *m;
	struct gconv_client *c;
	char sock[100], path[256], err[512];
	long long jobs;
	uint32_t n = 0;
	int ret;

	start_daemon("cancel", "[gconvd]\nsegment = 1\n");
	snprintf(sock, sizeof(sock), "%s/cancel.sock", g_dir);
	snprintf(path, sizeof(path), "%s/slow.onnx", g_models);
	ret = gconv_client_connect(sock, "cancel", &c, err, sizeof(err));
	if (!ret) {
		ret = gconv_client_load_file(c, path, NULL, &m, err,
					     sizeof(err));
		if (ret)
			gconv_client_close(c);
	}
	check(!ret, "cancel: the slow model loaded%s%s", ret ? ": " : "",
	      ret ? err : "");
	if (ret) {
		stop_daemon();
		return;
	}
	n = gconv_client_model_gconvs(m);
	ret = gconv_client_infer_start(m, err, sizeof(err));
	usleep(300000); /* it runs: one worker, nothing else */
	if (!ret)
		ret = gconv_client_cancel(m, err, sizeof(err));
	check(!ret, "cancel: a running request is cancelled%s%s",
	      ret ? ": " : "", ret ? err : "");
	ret = gconv_client_infer_wait(m, -1, NULL, err, sizeof(err));
	check(ret == -ECANCELED, "cancel: it is answered -ECANCELED (%d: %s)",
	      ret, err);
	ret = gconv_client_infer(m, NULL, err, sizeof(err));
	check(!ret, "cancel: the instance runs the next request to its end%s%s",
	      ret ? ": " : "", ret ? err : "");
	gconv_client_close(c);
	stop_daemon();
	/* the cancelled one ran some of its n GCONVs, the next all n */
	jobs = log_number("cancel", "device 0 (cpu): ");
	check(n > 1 && jobs > n && jobs < 2 * (long long)n,
	      "cancel: it stopped at a GCONV boundary: %lld one-GCONV jobs "
	      "ran for two requests of %u GCONVs",
	      jobs, n);
}

/* ---- batching -------------------------------------------------------------
 */

#define NBATCH 4

/* What digits computes for each of the first NBATCH samples, alone. */
static int digits_reference(float ref[NBATCH][10], float x[NBATCH][64])
{
	struct gconv_tensor t = { 0 };
	struct gconv_session *s = NULL;
	struct gconv_model *m = NULL;
	char path[256], err[512];
	int i, ret;

	snprintf(path, sizeof(path), "%s/digits.onnx", g_models);
	ret = gconv_model_open(path, NULL, &m, err, sizeof(err));
	if (!ret) {
		snprintf(path, sizeof(path), "%s/samples.npy", g_models);
		ret = gconv_npy_read(path, &t, err, sizeof(err));
	}
	if (!ret)
		ret = gconv_session_create(m, &s);
	for (i = 0; !ret && i < NBATCH; i++) {
		memcpy(x[i], t.data + i * 64, sizeof(x[i]));
		memcpy(gconv_session_input(s, 0), x[i], sizeof(x[i]));
		ret = gconv_session_run(s, err, sizeof(err));
		if (!ret)
			memcpy(ref[i], gconv_session_output(s, 0),
			       sizeof(ref[i]));
	}
	if (ret)
		printf("# digits reference: %s\n", err);
	gconv_session_free(s);
	gconv_tensor_free(&t);
	gconv_model_free(m);
	return ret;
}

/* Run sample i on m[i % NBATCH]... : how many outputs are the reference. */
static int run_and_compare(struct gconv_client_model **m, int n,
			   float ref[NBATCH][10], float x[NBATCH][64],
			   int rounds, char *err, size_t errlen)
{
	int r, i, good = 0, ret;

	for (r = 0; r < rounds; r++) {
		for (i = 0; i < n; i++) {
			memcpy(gconv_client_input_data(m[i], 0),
			       x[(i + r) % NBATCH], sizeof(x[0]));
			memset((void *)gconv_client_output_data(m[i], 0), 0,
			       sizeof(ref[0]));
			ret = gconv_client_infer_start(m[i], err, errlen);
			if (ret)
				return -1;
		}
		for (i = 0; i < n; i++) {
			ret = gconv_client_infer_wait(m[i], -1, NULL, err,
						      errlen);
			if (ret)
				return -1;
			good += !memcmp(gconv_client_output_data(m[i], 0),
					ref[(i + r) % NBATCH], sizeof(ref[0]));
		}
	}
	return good;
}

/* Connect to @name's gconvd and load @n instances of digits. */
static struct gconv_client *digits_client(const char *name,
					  struct gconv_client_model **m, int n,
					  char *err, size_t errlen)
{
	char sock[100], path[256];
	struct gconv_client *c;
	int i;

	snprintf(sock, sizeof(sock), "%s/%s.sock", g_dir, name);
	snprintf(path, sizeof(path), "%s/digits.onnx", g_models);
	if (gconv_client_connect(sock, name, &c, err, errlen))
		return NULL;
	for (i = 0; i < n; i++) {
		if (gconv_client_load_file(c, path, NULL, &m[i], err, errlen)) {
			gconv_client_close(c);
			return NULL;
		}
	}
	return c;
}

static void test_batching(void)
{
	float ref[NBATCH][10], x[NBATCH][64];
	struct gconv_client_model *m[NBATCH];
	struct gconv_client *c;
	char err[512];
	int good, i;

	if (digits_reference(ref, x)) {
		check(0, "batching: the reference outputs");
		return;
	}
	for (i = 1; i < NBATCH; i++)
		if (!memcmp(ref[0], ref[i], sizeof(ref[0])))
			check(0, "batching: samples 0 and %d give one output",
			      i);
	start_daemon("batching",
		     "[tenant default]\nmax-in-flight = 8\n"
		     "[model digits]\nmax-batch = 4\nbatch-delay = 2s\n");
	c = digits_client("batching", m, NBATCH, err, sizeof(err));
	check(c != NULL, "batching: %d instances of digits%s%s", NBATCH,
	      c ? "" : ": ", c ? "" : err);
	if (!c) {
		stop_daemon();
		return;
	}
	/* four requests of one model: one job of four rows */
	good = run_and_compare(m, NBATCH, ref, x, 1, err, sizeof(err));
	check(good == NBATCH,
	      "batching: each of %d requests run together got its own "
	      "sample's output (%d did)%s%s",
	      NBATCH, good, good < 0 ? ": " : "", good < 0 ? err : "");
	/* three: a batch compiled for four, one row unused */
	good = run_and_compare(m, 3, ref, x, 1, err, sizeof(err));
	check(good == 3,
	      "batching: 3 requests after the 2 s batch-delay got their own "
	      "outputs (%d did)%s%s",
	      good, good < 0 ? ": " : "", good < 0 ? err : "");
	gconv_client_close(c);
	stop_daemon();
	check(log_number("batching", "batching: ") == NBATCH + 3 &&
		      log_has("batching", "requests ran in 2 batches"),
	      "batching: gconvd ran the %d requests in 2 batches (log: %lld "
	      "requests)",
	      NBATCH + 3, log_number("batching", "batching: "));
}

/* ---- devices --------------------------------------------------------------
 */

static void test_failover(void)
{
	static const char *const args[] = {
		"--device",  "cpu", "--device", "cpu:fail-after=3",
		"--workers", "1",   NULL,
	};
	float ref[NBATCH][10], x[NBATCH][64];
	struct gconv_client_model *m[NBATCH], *late;
	struct gconv_client *c;
	char err[512], path[256];
	int good, ret;

	if (digits_reference(ref, x)) {
		check(0, "failover: the reference outputs");
		return;
	}
	start_daemon_args("failover",
			  "[gconvd]\nsegment = 0\ndevice-errors = 1\n"
			  "[tenant default]\nmax-in-flight = 4\n",
			  args);
	c = digits_client("failover", m, NBATCH, err, sizeof(err));
	check(c != NULL, "failover: %d instances over two cpu devices%s%s",
	      NBATCH, c ? "" : ": ", c ? "" : err);
	if (!c) {
		stop_daemon();
		return;
	}
	/* the second device fails its fourth job and every one after */
	good = run_and_compare(m, NBATCH, ref, x, 5, err, sizeof(err));
	check(good == 5 * NBATCH,
	      "failover: all %d requests ended OK with the right output "
	      "(%d did)%s%s",
	      5 * NBATCH, good, good < 0 ? ": " : "", good < 0 ? err : "");
	snprintf(path, sizeof(path), "%s/digits.onnx", g_models);
	ret = gconv_client_load_file(c, path, NULL, &late, err, sizeof(err));
	check(!ret,
	      "failover: a model loaded afterwards is placed on the "
	      "working device%s%s",
	      ret ? ": " : "", ret ? err : "");
	if (!ret) {
		memcpy(gconv_client_input_data(late, 0), x[1], sizeof(x[1]));
		ret = gconv_client_infer(late, NULL, err, sizeof(err));
		check(!ret && !memcmp(gconv_client_output_data(late, 0), ref[1],
				      sizeof(ref[1])),
		      "failover: and runs there%s%s", ret ? ": " : "",
		      ret ? err : "");
	}
	gconv_client_close(c);
	stop_daemon();
	check(log_has("failover", "device 1 (cpu:fail-after=3) is taken out "
				  "after 1 device errors"),
	      "failover: gconvd took the failing device out");
	check(log_has("failover", "retried, 2 models moved in"),
	      "failover: both models on it moved to the other device");
}

static void test_retry(void)
{
	static const char *const hang2[] = { "--device", "cpu:hang-every=2",
					     "--workers", "1", NULL };
	static const char *const hang1[] = { "--device", "cpu:hang-every=1",
					     "--workers", "1", NULL };
	float ref[NBATCH][10], x[NBATCH][64];
	struct gconv_client_model *m[1];
	struct gconv_client *c;
	char err[512];
	int good, ret;

	if (digits_reference(ref, x)) {
		check(0, "retry: the reference outputs");
		return;
	}
	/* every other job ends TIMEOUT: each request's retry succeeds */
	start_daemon_args(
		"retry", "[gconvd]\nsegment = 0\ndevice-errors = 100\n", hang2);
	c = digits_client("retry", m, 1, err, sizeof(err));
	good = c ? run_and_compare(m, 1, ref, x, 6, err, sizeof(err)) : -1;
	check(good == 6,
	      "retry: 6 requests on a device whose every other job hangs "
	      "all ended OK (%d did)%s%s",
	      good, good < 0 ? ": " : "", good < 0 ? err : "");
	if (c)
		gconv_client_close(c);
	stop_daemon();
	check(log_has("retry", "11 jobs, 5 device errors, 5 retried"),
	      "retry: 5 of them were retried once (11 jobs)");

	/* every job hangs: one retry, then the device's error */
	start_daemon_args("retry1",
			  "[gconvd]\nsegment = 0\ndevice-errors = 100\n",
			  hang1);
	c = digits_client("retry1", m, 1, err, sizeof(err));
	ret = c ? gconv_client_infer(m[0], NULL, err, sizeof(err)) : 0;
	check(ret == -EIO && strstr(err, "timeout"),
	      "retry: a request that hangs twice fails with the device's "
	      "error (%d: %s)",
	      ret, err);
	if (c)
		gconv_client_close(c);
	stop_daemon();
	check(log_has("retry1", "2 jobs, 2 device errors, 1 retried"),
	      "retry: it ran exactly twice");
}

static void test_no_device(void)
{
	static const char *const args[] = { "--device", "cpu:fail-after=1",
					    "--workers", "1", NULL };
	struct gconv_client_model *m[2];
	struct gconv_client *c;
	char err[512];
	int ret;

	start_daemon_args("nodev", "[gconvd]\nsegment = 0\ndevice-errors = 1\n",
			  args);
	c = digits_client("nodev", m, 1, err, sizeof(err));
	ret = c ? gconv_client_infer(m[0], NULL, err, sizeof(err)) : -1;
	check(!ret, "no device: the first request runs%s%s", ret ? ": " : "",
	      ret ? err : "");
	ret = c ? gconv_client_infer(m[0], NULL, err, sizeof(err)) : 0;
	check(ret == -EIO && strstr(err, "no working device"),
	      "no device: once the only device is out, a request fails "
	      "(%d: %s)",
	      ret, err);
	if (c) {
		char path[256];

		snprintf(path, sizeof(path), "%s/digits.onnx", g_models);
		ret = gconv_client_load_file(c, path, NULL, &m[1], err,
					     sizeof(err));
		check(ret == -EIO && strstr(err, "no working device"),
		      "no device: and so does a load (%d: %s)", ret, err);
		gconv_client_close(c);
	}
	stop_daemon();
}

/* ---- review regressions -----------------------------------------------------
 */

/* One client thread of test_batching_two_workers. */
struct b2_thread {
	pthread_t t;
	int idx, good, total, failed;
	float (*ref)[10], (*x)[64];
	char err[512];
};

static void *b2_main(void *arg)
{
	struct b2_thread *b = arg;
	struct gconv_client_model *m[1];
	struct gconv_client *c;
	int i;

	c = digits_client("batch2", m, 1, b->err, sizeof(b->err));
	if (!c) {
		b->failed = 1;
		return NULL;
	}
	for (i = 0; i < 300; i++) {
		int k = (b->idx + i) % NBATCH;

		memcpy(gconv_client_input_data(m[0], 0), b->x[k],
		       sizeof(b->x[0]));
		memset((void *)gconv_client_output_data(m[0], 0), 0,
		       sizeof(b->ref[0]));
		b->total++;
		if (gconv_client_infer(m[0], NULL, b->err, sizeof(b->err))) {
			b->failed++;
			continue;
		}
		b->good += !memcmp(gconv_client_output_data(m[0], 0), b->ref[k],
				   sizeof(b->ref[0]));
	}
	gconv_client_close(c);
	return NULL;
}

/*
 * Batches with two workers and six clients sending as they please: a
 * batch model stays one worker's until every row of its outputs is
 * copied out (another batch used to overwrite them: 5% wrong outputs).
 */
static void test_batching_two_workers(void)
{
	static const char *const args[] = { "--backend", "cpu", "--workers",
					    "2", NULL };
	float ref[NBATCH][10], x[NBATCH][64];
	struct b2_thread th[6];
	int good = 0, total = 0, failed = 0, i;

	if (digits_reference(ref, x)) {
		check(0, "batching, 2 workers: the reference outputs");
		return;
	}
	start_daemon_args("batch2",
			  "[tenant default]\nmax-in-flight = 16\n"
			  "[model digits]\nmax-batch = 2\nbatch-delay = 1ms\n",
			  args);
	memset(th, 0, sizeof(th));
	for (i = 0; i < 6; i++) {
		th[i].idx = i;
		th[i].ref = ref;
		th[i].x = x;
		pthread_create(&th[i].t, NULL, b2_main, &th[i]);
	}
	for (i = 0; i < 6; i++) {
		pthread_join(th[i].t, NULL);
		good += th[i].good;
		total += th[i].total;
		failed += th[i].failed;
		if (th[i].failed)
			printf("# client %d: %s\n", i, th[i].err);
	}
	check(!failed && good == total && total == 6 * 300,
	      "batching, 2 workers: %d of %d requests from 6 clients got "
	      "their own sample's output (%d failed)",
	      good, total, failed);
	stop_daemon();
	check(log_number("batch2", "batching: ") > 0,
	      "batching, 2 workers: some ran in batches (%lld requests)",
	      log_number("batch2", "batching: "));
}

/* A deadline is about starting: one that passes later, while it waits
 * for a batch or after it yielded, does not fail a request. */
static void test_deadlines_and_batches(void)
{
	float ref[NBATCH][10], x[NBATCH][64];
	struct gconv_client_model *m[1];
	struct gconv_client *c;
	char err[512];
	int ret;

	if (digits_reference(ref, x)) {
		check(0, "deadline and batch: the reference outputs");
		return;
	}
	start_daemon("dlbatch", "[model digits]\nmax-batch = 4\n"
				"batch-delay = 10s\n");
	c = digits_client("dlbatch", m, 1, err, sizeof(err));
	ret = c ? 0 : -1;
	if (c) {
		memcpy(gconv_client_input_data(m[0], 0), x[2], sizeof(x[2]));
		ret = gconv_client_infer_start_deadline(m[0], 200000000, err,
							sizeof(err));
		if (!ret)
			ret = gconv_client_infer_wait(m[0], -1, NULL, err,
						      sizeof(err));
	}
	check(!ret && !memcmp(gconv_client_output_data(m[0], 0), ref[2],
			      sizeof(ref[2])),
	      "deadline and batch: a request with a 200 ms deadline does not "
	      "wait out a 10 s batch-delay%s%s",
	      ret ? ": " : "", ret ? err : "");
	if (c)
		gconv_client_close(c);
	stop_daemon();
}

/* Child for test_yield_keeps_deadline: a batch request with a deadline,
 * then (@idx 1) a realtime one while it runs. */
static void yield_child(int idx, int go_fd, int ready_fd)
{
	struct gconv_client_model *m;
	char err[512], b = 0;
	int ret;

	child_connect("yield", idx, "slow", &m, 1);
	if (write(ready_fd, &b, 1) != 1 || read(go_fd, &b, 1) != 1)
		_exit(1);
	ret = idx ? gconv_client_infer(m, NULL, err, sizeof(err))
		  : gconv_client_infer_start_deadline(m, 300000000, err,
						      sizeof(err));
	if (!ret && !idx)
		ret = gconv_client_infer_wait(m, -1, NULL, err, sizeof(err));
	if (ret) {
		snprintf(g_sh->err[idx], sizeof(g_sh->err[0]), "%s", err);
		_exit(1);
	}
	_exit(0);
}

static void test_yield_keeps_deadline(void)
{
	static const char *const policy =
		"[gconvd]\nunknown-users = refuse\nsegment = 1\n"
		"[tenant batch]\nusers = 62000\npriority = batch\n"
		"[tenant rt]\nusers = 62001\npriority = realtime\n";
	int go[2][2], ready[2], i, st, ok = 1;
	pid_t kid[2];
	char b = 0;

	start_daemon("yield", policy);
	if (pipe(ready))
		exit(1);
	for (i = 0; i < 2; i++) {
		if (pipe(go[i]))
			exit(1);
		kid[i] = fork();
		if (!kid[i]) {
			close(ready[0]);
			yield_child(i, go[i][0], ready[1]);
		}
	}
	close(ready[1]);
	for (i = 0; i < 2; i++)
		if (read(ready[0], &b, 1) != 1)
			ok = 0;
	if (write(go[0][1], &b, 1) != 1)
		ok = 0;
	usleep(150000);
	if (write(go[1][1], &b, 1) != 1)
		ok = 0;
	for (i = 0; i < 2; i++) {
		waitpid(kid[i], &st, 0);
		if (!WIFEXITED(st) || WEXITSTATUS(st)) {
			ok = 0;
			printf("# child %d: %s\n", i, g_sh->err[i]);
		}
	}
	check(ok, "yield: a request with a 300 ms deadline that started, "
		  "yielded to a realtime one and resumed after its deadline "
		  "ends OK");
	stop_daemon();
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "gconvd", required_argument, NULL, 'g' },
		{ "models", required_argument, NULL, 'm' },
		{ 0 },
	};
	int opt;

	while ((opt = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (opt == 'g')
			g_gconvd = optarg;
		else if (opt == 'm')
			g_models = optarg;
		else
			return 2;
	}
	if (!g_gconvd || !g_models) {
		fprintf(stderr, "usage: gconvd-sched-test --gconvd PATH "
				"--models DIR\n");
		return 2;
	}
	if (geteuid()) {
		printf("FAIL gconvd-sched-test needs root: tenants are uids "
		       "62000-62002\n0 passed, 1 failed\n");
		return 1;
	}
	g_sh = mmap(NULL, sizeof(*g_sh), PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (g_sh == MAP_FAILED || !mkdtemp(g_dir) || chmod(g_dir, 0755))
		return 1;
	test_order();
	memset(g_sh, 0, sizeof(*g_sh));
	test_shares();
	test_deadline();
	memset(g_sh, 0, sizeof(*g_sh));
	test_preempt();
	test_cancel_running();
	test_batching();
	test_failover();
	test_retry();
	test_no_device();
	test_batching_two_workers();
	test_deadlines_and_batches();
	memset(g_sh, 0, sizeof(*g_sh));
	test_yield_keeps_deadline();
	if (!g_failed) {
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", g_dir);
		if (system(cmd))
			printf("# could not remove %s\n", g_dir);
	} else {
		printf("# gconvd logs kept in %s\n", g_dir);
	}
	printf("%d passed, %d failed\n", g_passed, g_failed);
	return g_failed ? 1 : 0;
}
