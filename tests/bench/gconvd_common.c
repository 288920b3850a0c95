// SPDX-License-Identifier: MIT
/* What the gconvd benchmarks share (gconvd_common.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "gconvd_common.h"

static const char *g_prog = "bench";
static char g_dir[] = "/tmp/gconvd-bench-XXXXXX";
static pid_t g_main = -1, g_daemon = -1;
static char g_sock[100], g_pol[128], g_log[128];

void bench_die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", g_prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (getpid() != g_main)
		_exit(1); /* a client: the benchmark sees it go */
	if (g_daemon > 0) {
		kill(g_daemon, SIGKILL);
		fprintf(stderr, "%s: gconvd's log kept in %s\n", g_prog, g_log);
	}
	exit(1);
}

void bench_init(const char *prog)
{
	g_prog = prog;
	g_main = getpid();
	if (!mkdtemp(g_dir) || chmod(g_dir, 0755))
		bench_die("mkdtemp: %s", strerror(errno));
}

void bench_finish(void)
{
	if (rmdir(g_dir))
		fprintf(stderr, "%s: could not remove %s: %s\n", g_prog, g_dir,
			strerror(errno));
}

void *bench_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	void *buf;
	long n;

	if (!f || fseek(f, 0, SEEK_END) || (n = ftell(f)) <= 0 ||
	    fseek(f, 0, SEEK_SET))
		bench_die("%s: %s", path, strerror(errno));
	buf = malloc((size_t)n);
	if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n)
		bench_die("%s: short read", path);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

uint64_t bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void bench_become(unsigned int uid)
{
	if (setgroups(0, NULL) || setgid(uid) || setuid(uid))
		bench_die("dropping to uid %u: %s", uid, strerror(errno));
}

static void wait_socket(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int i, fd;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", g_sock);
	for (i = 0; i < 300; i++) {
		fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
		if (fd >= 0 &&
		    !connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
			close(fd);
			return;
		}
		if (fd >= 0)
			close(fd);
		if (waitpid(g_daemon, NULL, WNOHANG) == g_daemon) {
			g_daemon = -1;
			bench_die("gconvd exited at startup (log: %s)", g_log);
		}
		usleep(20000);
	}
	bench_die("gconvd does not listen at %s", g_sock);
}

pid_t bench_gconvd_start(const char *gconvd, const char *name,
			 const char *policy, unsigned int workers)
{
	char nw[16];
	FILE *f;

	if (g_daemon > 0)
		bench_die("bench_gconvd_start: gconvd is already running");
	snprintf(g_sock, sizeof(g_sock), "%s/%s.sock", g_dir, name);
	snprintf(g_pol, sizeof(g_pol), "%s/%s.conf", g_dir, name);
	snprintf(g_log, sizeof(g_log), "%s/%s.log", g_dir, name);
	snprintf(nw, sizeof(nw), "%u", workers);
	f = fopen(g_pol, "w");
	if (!f || fputs(policy, f) < 0 || fclose(f))
		bench_die("%s: %s", g_pol, strerror(errno));
	fflush(NULL); /* nothing buffered twice */
	g_daemon = fork();
	if (g_daemon < 0)
		bench_die("fork: %s", strerror(errno));
	if (!g_daemon) {
		int fd = open(g_log, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		if (fd >= 0)
			dup2(fd, STDERR_FILENO);
		if (workers)
			execl(gconvd, gconvd, "--foreground", "--backend",
			      "cpu", "--workers", nw, "--socket", g_sock,
			      "--policy", g_pol, (char *)NULL);
		else
			execl(gconvd, gconvd, "--foreground", "--backend",
			      "cpu", "--socket", g_sock, "--policy", g_pol,
			      (char *)NULL);
		_exit(127);
	}
	wait_socket();
	return g_daemon;
}

const char *bench_gconvd_socket(void)
{
	return g_sock;
}

void bench_gconvd_stop(void)
{
	int st;

	if (g_daemon <= 0)
		return;
	kill(g_daemon, SIGTERM);
	waitpid(g_daemon, &st, 0);
	g_daemon = -1;
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		bench_die("gconvd did not exit cleanly after SIGTERM (log: %s)",
			  g_log);
	unlink(g_sock);
	unlink(g_pol);
	unlink(g_log);
}
