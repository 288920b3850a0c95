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
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gconv/client.h>

#include "gconvd_common.h"

#define UID_BASE    61000
#define MAX_TENANTS 256

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
		bench_die("%s: %s", path, strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		unsigned long long kb;

		if (sscanf(line, "Anonymous: %llu kB", &kb) == 1)
			anon = kb * 1024;
	}
	fclose(f);
	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	d = opendir(path);
	if (!d)
		bench_die("%s: %s", path, strerror(errno));
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

/* A client under its own uid: load, say so, hold until told to go. */
static pid_t client(unsigned int i, const char *sock, const void *model,
		    size_t len, int ready_fd, int hold_fd, int hold_wfd)
{
	struct gconv_client_model *m;
	struct gconv_client *c;
	char err[512], b;
	pid_t pid = fork();

	if (pid < 0)
		bench_die("fork: %s", strerror(errno));
	if (pid > 0)
		return pid;
	close(hold_wfd); /* else no client ever sees the end of @hold_fd */
	bench_become(UID_BASE + i);
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
	pid_t kids[MAX_TENANTS], daemon;
	int ready[2], hold[2], opt;
	uint64_t m0, m1 = 0, mn;
	const char *sock;
	size_t len, plen;
	void *model;
	double ratio, growth;
	char b, *policy;
	FILE *f;

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
	bench_init("bench-gconvd-memory");
	if (geteuid())
		bench_die("needs root: the clients run under uids %u to %u",
			  UID_BASE, UID_BASE + n - 1);
	model = bench_read_file(model_path, &len);
	f = open_memstream(&policy, &plen);
	if (!f)
		bench_die("open_memstream: %s", strerror(errno));
	fprintf(f, "[gconvd]\nunknown-users = refuse\n");
	for (i = 0; i < n; i++)
		fprintf(f, "\n[tenant t%u]\nusers = %u\n", i, UID_BASE + i);
	fclose(f);

	daemon = bench_gconvd_start(gconvd, "gconvd", policy, 0);
	sock = bench_gconvd_socket();
	if (pipe(ready) || pipe(hold))
		bench_die("pipe: %s", strerror(errno));
	m0 = daemon_memory(daemon);
	for (i = 0; i < n; i++) {
		kids[i] =
			client(i, sock, model, len, ready[1], hold[0], hold[1]);
		if (read(ready[0], &b, 1) != 1)
			bench_die("client %u did not load the model", i);
		loaded++;
		if (i == 0)
			m1 = daemon_memory(daemon);
	}
	mn = daemon_memory(daemon);
	close(hold[1]);
	for (i = 0; i < loaded; i++)
		waitpid(kids[i], NULL, 0);
	bench_gconvd_stop();

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
	bench_finish();
	free(policy);
	free(model);
	return 0;
}
