// SPDX-License-Identifier: MIT
/*
 * The fast engine's thread pool.
 *
 * Threads: one per online CPU but the caller's (GCONV_THREADS=N asks for N
 * in all; 1 turns the pool off), made on the first loop that asks for
 * them, with every signal blocked, so that a daemon's signals always reach
 * the thread it chose.  They sleep on a condition variable between loops.
 *
 * A loop is a job on the caller's stack: its parts are taken with an
 * atomic counter by the caller and by every pool thread that joins, and
 * the caller returns only once every part has finished and no thread
 * still holds the job.  One loop at a time uses the pool: a second caller
 * finds it busy and runs its parts alone.  After fork() the child has no
 * pool threads; its callers then run every part themselves (the pool
 * thinks the threads are merely slow to join).
 *
 * Locking: pool.m guards pool.job, pool.gen and each job's users; a job's
 * next and done are atomics; pool.busy is taken with a compare-exchange.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include "pool.h"

#define MAX_THREADS 64

struct job {
	gconv_pool_fn fn;
	void *arg;
	uint64_t nparts;
	uint64_t next;	    /* atomic: the next part to take */
	uint64_t done;	    /* atomic: parts finished */
	unsigned int users; /* pool threads holding the job (under m) */
};

static struct {
	pthread_mutex_t m;
	pthread_cond_t wake; /* a new job (gen changed) */
	pthread_cond_t idle; /* a job's last part or last user finished */
	struct job *job;
	uint64_t gen;
	int busy; /* atomic: a loop owns the pool */
} pool = {
	.m = PTHREAD_MUTEX_INITIALIZER,
	.wake = PTHREAD_COND_INITIALIZER,
	.idle = PTHREAD_COND_INITIALIZER,
};

static pthread_once_t once = PTHREAD_ONCE_INIT;
static unsigned int wanted = 1;

/* Take and run parts of @j until none is left. */
static void work(struct job *j)
{
	for (;;) {
		uint64_t part =
			__atomic_fetch_add(&j->next, 1, __ATOMIC_RELAXED);

		if (part >= j->nparts)
			return;
		j->fn(j->arg, part);
		if (__atomic_add_fetch(&j->done, 1, __ATOMIC_ACQ_REL) ==
		    j->nparts) {
			pthread_mutex_lock(&pool.m);
			pthread_cond_broadcast(&pool.idle);
			pthread_mutex_unlock(&pool.m);
		}
	}
}

static void *thread_main(void *unused)
{
	uint64_t seen = 0;

	(void)unused;
	pthread_mutex_lock(&pool.m);
	for (;;) {
		struct job *j;

		while (pool.gen == seen || !pool.job)
			pthread_cond_wait(&pool.wake, &pool.m);
		seen = pool.gen;
		j = pool.job;
		j->users++;
		pthread_mutex_unlock(&pool.m);
		work(j);
		pthread_mutex_lock(&pool.m);
		if (!--j->users)
			pthread_cond_broadcast(&pool.idle);
	}
	return NULL;
}

static void start(void)
{
	const char *v = getenv("GCONV_THREADS");
	long n = v && *v ? strtol(v, NULL, 10) : sysconf(_SC_NPROCESSORS_ONLN);
	sigset_t all, old;
	unsigned int i;

	if (n < 1)
		n = 1;
	if (n > MAX_THREADS)
		n = MAX_THREADS;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (i = 0; i + 1 < (unsigned int)n; i++) {
		pthread_attr_t a;
		pthread_t t;
		int r;

		pthread_attr_init(&a);
		pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
		r = pthread_create(&t, &a, thread_main, NULL);
		pthread_attr_destroy(&a);
		if (r)
			break; /* fewer threads; the loops still finish */
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	wanted = i + 1; /* the threads started, and the caller */
}

unsigned int gconv_pool_threads(void)
{
	pthread_once(&once, start);
	return wanted;
}

void gconv_pool_run(gconv_pool_fn fn, void *arg, uint64_t nparts)
{
	struct job j = { fn, arg, nparts, 0, 0, 0 };
	int free_ = 0;
	uint64_t i;

	if (nparts > 1 && gconv_pool_threads() > 1 &&
	    __atomic_compare_exchange_n(&pool.busy, &free_, 1, 0,
					__ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) {
		pthread_mutex_lock(&pool.m);
		pool.job = &j;
		pool.gen++;
		pthread_cond_broadcast(&pool.wake);
		pthread_mutex_unlock(&pool.m);
		work(&j);
		pthread_mutex_lock(&pool.m);
		while (__atomic_load_n(&j.done, __ATOMIC_ACQUIRE) < nparts ||
		       j.users)
			pthread_cond_wait(&pool.idle, &pool.m);
		pool.job = NULL;
		pthread_mutex_unlock(&pool.m);
		__atomic_store_n(&pool.busy, 0, __ATOMIC_RELEASE);
		return;
	}
	for (i = 0; i < nparts; i++)
		fn(arg, i);
}
