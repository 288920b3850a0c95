/* SPDX-License-Identifier: MIT */
/*
 * What the gconvd benchmarks (tests/bench/gconvd_*.c) share: errors, a
 * gconvd of their own on the cpu backend with a policy they write, and
 * clients under uids of their own.
 *
 *	bench_init("bench-gconvd-x");		// a temporary directory
 *	bench_gconvd_start(gconvd, "run1", policy, 1);
 *	... fork clients: bench_become(uid), then bench_gconvd_socket() ...
 *	bench_gconvd_stop();			// SIGTERM; must exit 0
 *	bench_finish();				// removes the directory
 *
 * One gconvd at a time.  bench_die() in the benchmark process kills it and
 * keeps its log; in a forked client it only ends the client (_exit(1)).
 */
#ifndef GCONV_TESTS_BENCH_GCONVD_COMMON_H
#define GCONV_TESTS_BENCH_GCONVD_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

void bench_init(const char *prog);
void bench_finish(void);

void bench_die(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));

/* The whole file, or bench_die(). */
void *bench_read_file(const char *path, size_t *len);
/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t bench_now_ns(void);
/* Drop to @uid (group @uid, no supplementary groups), or bench_die(). */
void bench_become(unsigned int uid);

/*
 * Start gconvd (--foreground --backend cpu, @workers threads; 0: its
 * default) with @policy as its policy file, in the benchmark's directory
 * under files called @name.{sock,conf,log}, and wait until it listens.
 */
pid_t bench_gconvd_start(const char *gconvd, const char *name,
			 const char *policy, unsigned int workers);
const char *bench_gconvd_socket(void);
/* SIGTERM; bench_die() unless gconvd exits 0.  Removes its files. */
void bench_gconvd_stop(void);

#endif
