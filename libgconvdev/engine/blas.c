// SPDX-License-Identifier: MIT
/*
 * OpenBLAS, loaded with dlopen() the first time the fast engine multiplies
 * matrices.
 *
 * Linking OpenBLAS would start its thread pool in a library constructor,
 * before main() runs: a daemon that blocks SIGTERM for its signalfd (gconvd,
 * sd-event) would then have the signal delivered to an OpenBLAS thread and
 * die.  Loaded here instead, the pool starts on the first gemm, in the
 * thread that runs it and with that thread's signal mask.
 *
 * GCONV_BLAS (read with secure_getenv) names another library with the
 * CBLAS interface, or "none" to run without one.  A static program never
 * loads one: dlopen() there brings in a second C library, which crashes.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* secure_getenv; QEMU's build defines it already */
#endif
#include <dlfcn.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>

#include "blas.h"

#define GCONV_BLAS_DEFAULT "libopenblas.so.0"

static struct gconv_blas blas;
static const struct gconv_blas *loaded;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void load(void)
{
	const char *name = secure_getenv("GCONV_BLAS");
	void *h;

	if (!name || !*name)
		name = GCONV_BLAS_DEFAULT;
	/* no program interpreter (ld.so): a static executable */
	if (!strcmp(name, "none") || !getauxval(AT_BASE))
		return;
	h = dlopen(name, RTLD_NOW | RTLD_LOCAL);
	if (!h)
		return;
	/* POSIX: a function pointer round-trips through dlsym's void * */
	*(void **)&blas.sgemm = dlsym(h, "cblas_sgemm");
	*(void **)&blas.sgemv = dlsym(h, "cblas_sgemv");
	if (!blas.sgemm || !blas.sgemv) {
		dlclose(h);
		return;
	}
	loaded = &blas; /* the handle stays open for the process's life */
}

const struct gconv_blas *gconv_blas_get(void)
{
	pthread_once(&once, load);
	return loaded;
}
