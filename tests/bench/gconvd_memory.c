// SPDX-License-Identifier: MIT
/*
 * What N tenants loading the same model cost gconvd, against what one
 * costs (make bench).  gconvd runs on the cpu backend with a policy of N
 * tenants, one per uid; N client processes, each under its own uid, load
 * the same model and keep it loaded.  gconvd's memory is its anonymous
 * memory (/proc/PID/smaps_rollup) plus every memfd it holds, each counted
 * once (a shared buffer is mapped by many contexts; RSS would count it
 * once per mapping).  Measured idle, with one tenant, and with N.
 *
 *	bench-gconvd-memory --gconvd PATH --model FILE [--tenants N]
 *
 * Needs root (the clients take uids 61000 and up).  Prints a table and
 * one line per figure for tools/bench: "BENCH name value unit baseline
 * target ok" (ok: the value is at most the target).
 */
#define _GNU_SOURCE
#include <dirent.h>
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
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <gconv/client.h>

#define UID_BASE    61000
#define MAX_TENANTS 256

static char g_dir[] = "/tmp/gconvd-bench-XXXXXX";
static pid_t g_daemon = -1;

static void die(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));

static void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "bench-gconvd-memory: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (g_daemon > 0)
		kill(g_daemon, SIGKILL);
	exit(1);
}

static void *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	void *buf;
	long n;

	if (!f || fseek(f, 0, SEEK_END) || (n = ftell(f)) <= 0 ||
	    fseek(f, 0, SEEK_SET))
		die("%s: %s", path, strerror(errno));
	buf = malloc((size_t)n);
	if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n)
		die("%s: short read", path);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

/* gconvd's memory in bytes: anonymous + each memfd once. */
static uint64_t daemon_memory(pid_t pid)
{
	char path[256], line[256], link[256];
	ino_t seen[4096];
	unsigned int nseen = 0, i;
	uint64_t anon = 0, shm = 0;
	struct dirent *de;
	struct stat st;
	FILE *f;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/smaps_rollup", (int)pid);
	f = fopen(path, "r");
	if (!f)
		die("%s: %s", path, strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		unsigned long long kb;

		if (sscanf(line, "Anonymous: %llu kB", &kb) == 1)
			anon = kb * 1024;
	}
	fclose(f);
	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	d = opendir(path);
	if (!d)
		die("%s: %s", path, strerror(errno));
	while ((de = readdir(d))) {
		char fdp[600];
		ssize_t n;

		snprintf(fdp, sizeof(fdp), "%s/%s", path, de->d_name);
		n = readlink(fdp, link, sizeof(link) - 1);
		if (n <= 0)
			continue;
		link[n] = '\0';
		if (strncmp(link, "/memfd:", 7) || stat(fdp, &st))
			continue;
		for (i = 0; i < nseen; i++)
			if (seen[i] == st.st_ino)
				break;
		if (i < nseen)
			continue;
		if (nseen < 4096)
			seen[nseen++] = st.st_ino;
		shm += (uint64_t)st.st_blocks * 512;
	}
	closedir(d);
	return anon + shm;
}

static void wait_socket(const char *sock)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int i, fd;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
	for (i = 0; i < 300; i++) {
		fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
		if (fd >= 0 &&
		    !connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
			close(fd);
			return;
		}
		if (fd >= 0)
			close(fd);
		if (waitpid(g_daemon, NULL, WNOHANG) == g_daemon)
			die("gconvd exited at startup (log in %s/gconvd.log)",
			    g_dir);
		usleep(100000);
	}
	die("gconvd does not listen at %s", sock);
}

/* A client under its own uid: load, say so, hold until told to go. */
static pid_t client(unsigned int i, const char *sock, const void *model,
		    size_t len, int ready_fd, int hold_fd, int hold_wfd)
{
	struct gconv_client_model *m;
	struct gconv_client *c;
	char err[512], b;
	pid_t pid = fork();

	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid > 0)
		return pid;
	close(hold_wfd); /* else no client ever sees the end of @hold_fd */
	if (setgroups(0, NULL) || setgid(UID_BASE + i) || setuid(UID_BASE + i))
		die("client %u: dropping to uid %u: %s", i, UID_BASE + i,
		    strerror(errno));
	if (gconv_client_connect(sock, "bench", &c, err, sizeof(err)) ||
	    gconv_client_load_buffer(c, model, len, "model", &m, err,
				     sizeof(err))) {
		fprintf(stderr, "client %u: %s\n", i, err);
		_exit(1);
	}
	b = 1;
	if (write(ready_fd, &b, 1) != 1)
		_exit(1);
	while (read(hold_fd, &b, 1) < 0 && errno == EINTR)
		;
	gconv_client_close(c);
	_exit(0);
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "gconvd", required_argument, NULL, 'g' },
		{ "model", required_argument, NULL, 'm' },
		{ "tenants", required_argument, NULL, 'n' },
		{ 0 },
	};
	const char *gconvd = NULL, *model_path = NULL;
	unsigned int n = 32, i, loaded = 0;
	char sock[100], pol[100], logp[100];
	pid_t kids[MAX_TENANTS];
	int ready[2], hold[2], opt, st;
	uint64_t m0, m1 = 0, mn;
	size_t len;
	void *model;
	double ratio, growth;
	FILE *f;
	char b;

	while ((opt = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (opt == 'g')
			gconvd = optarg;
		else if (opt == 'm')
			model_path = optarg;
		else if (opt == 'n')
			n = (unsigned int)atoi(optarg);
		else
			return 2;
	}
	if (!gconvd || !model_path || n < 2 || n > MAX_TENANTS) {
		fprintf(stderr,
			"usage: bench-gconvd-memory --gconvd PATH --model FILE "
			"[--tenants 2..%d]\n",
			MAX_TENANTS);
		return 2;
	}
	if (geteuid())
		die("needs root: the clients run under uids %u to %u", UID_BASE,
		    UID_BASE + n - 1);
	model = read_file(model_path, &len);
	if (!mkdtemp(g_dir) || chmod(g_dir, 0755))
		die("mkdtemp: %s", strerror(errno));
	snprintf(sock, sizeof(sock), "%s/gconvd.sock", g_dir);
	snprintf(pol, sizeof(pol), "%s/gconvd.conf", g_dir);
	snprintf(logp, sizeof(logp), "%s/gconvd.log", g_dir);
	f = fopen(pol, "w");
	if (!f)
		die("%s: %s", pol, strerror(errno));
	fprintf(f, "[gconvd]\nunknown-users = refuse\n");
	for (i = 0; i < n; i++)
		fprintf(f, "\n[tenant t%u]\nusers = %u\n", i, UID_BASE + i);
	fclose(f);

	g_daemon = fork();
	if (g_daemon < 0)
		die("fork: %s", strerror(errno));
	if (!g_daemon) {
		int fd = open(logp, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		if (fd >= 0)
			dup2(fd, STDERR_FILENO);
		execl(gconvd, gconvd, "--foreground", "--backend", "cpu",
		      "--socket", sock, "--policy", pol, (char *)NULL);
		_exit(127);
	}
	wait_socket(sock);
	if (pipe(ready) || pipe(hold))
		die("pipe: %s", strerror(errno));
	m0 = daemon_memory(g_daemon);
	for (i = 0; i < n; i++) {
		kids[i] =
			client(i, sock, model, len, ready[1], hold[0], hold[1]);
		if (read(ready[0], &b, 1) != 1)
			die("client %u did not load the model (gconvd log: %s)",
			    i, logp);
		loaded++;
		if (i == 0)
			m1 = daemon_memory(g_daemon);
	}
	mn = daemon_memory(g_daemon);
	close(hold[1]);
	for (i = 0; i < loaded; i++)
		waitpid(kids[i], NULL, 0);
	kill(g_daemon, SIGTERM);
	waitpid(g_daemon, &st, 0);
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		die("gconvd did not exit cleanly after SIGTERM (log: %s)",
		    logp);

	ratio = (double)mn / (double)m1;
	growth = (double)(mn - m0) / (double)(m1 - m0);
	printf("gconvd memory, cpu backend, %s (%zu bytes):\n", model_path,
	       len);
	printf("  %-28s %10.1f MiB\n", "idle", m0 / 1048576.0);
	printf("  %-28s %10.1f MiB\n", "1 tenant, model loaded",
	       m1 / 1048576.0);
	printf("  %u %-25s %10.1f MiB\n", n, "tenants, same model",
	       mn / 1048576.0);
	printf("  ratio %u tenants / 1 tenant: %.3fx (above idle: %.3fx)\n", n,
	       ratio, growth);
	printf("BENCH gconvd_memory_%u_tenants %.3f x 1_tenant 1.2 %s\n", n,
	       ratio, ratio <= 1.2 ? "true" : "false");
	unlink(sock);
	unlink(pol);
	unlink(logp);
	rmdir(g_dir);
	free(model);
	return 0;
}
