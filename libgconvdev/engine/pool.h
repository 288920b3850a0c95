/* SPDX-License-Identifier: MIT */
/*
 * The fast engine's thread pool (libgconvdev/engine/pool.c): threads made
 * once, on first use, that share the parts of one loop with the caller.
 * Internal, not installed.
 */
#ifndef GCONV_POOL_H
#define GCONV_POOL_H

#include <stdint.h>

typedef void (*gconv_pool_fn)(void *arg, uint64_t part);

/*
 * fn(arg, part) for every part in [0, nparts), spread over the pool's
 * threads and the caller; returns when every part has returned.  When the
 * pool is busy with another caller's loop (or has no threads), the caller
 * runs every part itself: callers never wait for each other.
 */
void gconv_pool_run(gconv_pool_fn fn, void *arg, uint64_t nparts);

/* Threads a loop can use, the caller included (>= 1). */
unsigned int gconv_pool_threads(void);

#endif /* GCONV_POOL_H */
