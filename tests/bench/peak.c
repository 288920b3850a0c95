// SPDX-License-Identifier: MIT
/*
 * bench-peak: this machine's measured fp32 peak, the yardstick of the
 * fast engine's GFLOP/s in make bench.  Every online CPU runs a loop of
 * independent fused multiply-adds on vector registers (AVX-512 if the CPU
 * has it, else AVX2+FMA, else scalar) for about half a second; the best
 * of three rounds is the peak.
 *
 *	bench-peak        prints "peak GFLOPS THREADS ISA"
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <immintrin.h>

#define ITERS 100000000ull

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* 12 independent accumulators hide the FMA latency (4 cycles, 2 ports) */
#define FMA_LOOP(type, set1, fma, add, lanes, out)                          \
	do {                                                                \
		/* distinct starts: equal ones would be merged into one */ \
		type a0 = set1(1.00f), a1 = set1(1.01f), a2 = set1(1.02f),  \
		     a3 = set1(1.03f), a4 = set1(1.04f), a5 = set1(1.05f),  \
		     a6 = set1(1.06f), a7 = set1(1.07f), a8 = set1(1.08f),  \
		     a9 = set1(1.09f), a10 = set1(1.10f),                   \
		     a11 = set1(1.11f);                                     \
		const type m = set1(0.999999f), c = set1(1e-7f);            \
		for (uint64_t i = 0; i < n; i++) {                          \
			a0 = fma(a0, m, c);                                 \
			a1 = fma(a1, m, c);                                 \
			a2 = fma(a2, m, c);                                 \
			a3 = fma(a3, m, c);                                 \
			a4 = fma(a4, m, c);                                 \
			a5 = fma(a5, m, c);                                 \
			a6 = fma(a6, m, c);                                 \
			a7 = fma(a7, m, c);                                 \
			a8 = fma(a8, m, c);                                 \
			a9 = fma(a9, m, c);                                 \
			a10 = fma(a10, m, c);                               \
			a11 = fma(a11, m, c);                               \
		}                                                           \
		a0 = add(add(add(a0, a1), add(a2, a3)),                     \
			 add(add(a4, a5), add(a6, a7)));                    \
		a0 = add(a0, add(add(a8, a9), add(a10, a11)));              \
		float v[lanes];                                             \
		memcpy_lanes(v, &a0, sizeof(v));                            \
		out = v[0];                                                 \
		flops = 2.0 * 12 * (lanes) * (double)n;                     \
	} while (0)

static void memcpy_lanes(float *dst, const void *src, size_t len)
{
	const unsigned char *s = src;
	unsigned char *d = (unsigned char *)dst;

	while (len--)
		*d++ = *s++;
}

__attribute__((target("avx512f"))) static double run_avx512(uint64_t n,
							    float *out)
{
	double flops;

	FMA_LOOP(__m512, _mm512_set1_ps, _mm512_fmadd_ps, _mm512_add_ps, 16,
		 *out);
	return flops;
}

__attribute__((target("avx2,fma"))) static double run_avx2(uint64_t n,
							   float *out)
{
	double flops;

	FMA_LOOP(__m256, _mm256_set1_ps, _mm256_fmadd_ps, _mm256_add_ps, 8,
		 *out);
	return flops;
}

static double run_scalar(uint64_t n, float *out)
{
	float a = 1.0f;
	uint64_t i;

	for (i = 0; i < n; i++)
		a = a * 0.999999f + 1e-7f;
	*out = a;
	return 2.0 * (double)n;
}

struct job {
	pthread_t t;
	double flops, secs;
	float sink;
	const char *isa;
};

static void *worker(void *arg)
{
	struct job *j = arg;
	double t0 = now();

	if (__builtin_cpu_supports("avx512f")) {
		j->isa = "avx512";
		j->flops = run_avx512(ITERS, &j->sink);
	} else if (__builtin_cpu_supports("avx2") &&
		   __builtin_cpu_supports("fma")) {
		j->isa = "avx2";
		j->flops = run_avx2(ITERS, &j->sink);
	} else {
		j->isa = "scalar";
		j->flops = run_scalar(ITERS * 8, &j->sink);
	}
	j->secs = now() - t0;
	return NULL;
}

int main(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	struct job *jobs;
	double best = 0;
	int round;
	long i;

	if (n < 1)
		n = 1;
	jobs = calloc((size_t)n, sizeof(*jobs));
	if (!jobs)
		return 1;
	__builtin_cpu_init();
	for (round = 0; round < 3; round++) {
		double t0 = now(), flops = 0, secs;

		for (i = 0; i < n; i++)
			pthread_create(&jobs[i].t, NULL, worker, &jobs[i]);
		for (i = 0; i < n; i++) {
			pthread_join(jobs[i].t, NULL);
			flops += jobs[i].flops;
		}
		secs = now() - t0;
		if (flops / secs > best)
			best = flops / secs;
	}
	printf("peak %.1f %ld %s\n", best / 1e9, n, jobs[0].isa);
	free(jobs);
	return 0;
}
