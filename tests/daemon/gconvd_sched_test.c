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

static void start_daemon(const char *name, const char *policy)
{
	char sock[100], pol[128], logp[128];
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
		execl(g_gconvd, g_gconvd, "--foreground", "--backend", "cpu",
		      "--workers", "1", "--socket", sock, "--policy", pol,
		      (char *)NULL);
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
