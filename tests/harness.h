/* SPDX-License-Identifier: MIT */
/*
 * A minimal test harness for gconv's host tests.
 *
 * Each test binary defines subtests with TEST(name) { ... }, lists them in
 * a TESTS table and calls harness_main().  A subtest fails on its first
 * failed CHECK*(), which prints what was expected and what happened.  The
 * binary ends with the line "N passed, N failed" that tests/run-tests sums.
 *
 *	TEST(adds) { CHECK_EQ_INT(1 + 1, 2); }
 *	static const struct test tests[] = { T(adds) };
 *	int main(int argc, char **argv) { return HARNESS_MAIN(tests); }
 *
 * A subtest name given on the command line runs only that subtest.
 */
#ifndef GCONV_TEST_HARNESS_H
#define GCONV_TEST_HARNESS_H

#include <math.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct test {
	const char *name;
	void (*fn)(void);
};

#define TEST(name) static void name(void)
#define T(name) { #name, name }

static jmp_buf harness_jmp;
static const char *harness_current;

static inline void harness_fail_at(const char *file, int line)
{
	fprintf(stderr, "  at %s:%d\n", file, line);
	longjmp(harness_jmp, 1);
}

#define FAILF(...)                                                        \
	do {                                                              \
		fprintf(stderr, "FAIL %s: ", harness_current);            \
		fprintf(stderr, __VA_ARGS__);                             \
		fputc('\n', stderr);                                      \
		harness_fail_at(__FILE__, __LINE__);                      \
	} while (0)

#define CHECK(cond)                                                       \
	do {                                                              \
		if (!(cond))                                              \
			FAILF("expected %s", #cond);                      \
	} while (0)

#define CHECK_EQ_INT(got, want)                                           \
	do {                                                              \
		long long g_ = (long long)(got), w_ = (long long)(want);  \
		if (g_ != w_)                                             \
			FAILF("%s: expected %lld, got %lld", #got, w_, g_); \
	} while (0)

#define CHECK_STR(got, want)                                              \
	do {                                                              \
		const char *g_ = (got), *w_ = (want);                     \
		if (strcmp(g_, w_))                                       \
			FAILF("%s: expected \"%s\", got \"%s\"", #got, w_,  \
			      g_);                                        \
	} while (0)

/* |got - want| <= atol + rtol * |want|; NaN equals NaN, inf equals inf */
static inline int harness_close(double got, double want, double rtol,
				double atol)
{
	if (isnan(want))
		return isnan(got);
	if (isinf(want))
		return got == want;
	return fabs(got - want) <= atol + rtol * fabs(want);
}

#define CHECK_NEAR(got, want, rtol, atol)                                 \
	do {                                                              \
		double g_ = (got), w_ = (want);                           \
		if (!harness_close(g_, w_, (rtol), (atol)))               \
			FAILF("%s: expected %.9g, got %.9g", #got, w_, g_); \
	} while (0)

/* Element-wise comparison of two float arrays; names the first mismatch. */
#define CHECK_ARRAY_NEAR(got, want, count, rtol, atol)                    \
	do {                                                              \
		const float *g_ = (got), *w_ = (want);                    \
		size_t n_ = (count), i_;                                  \
		for (i_ = 0; i_ < n_; i_++)                               \
			if (!harness_close(g_[i_], w_[i_], (rtol), (atol))) \
				FAILF("%s[%zu]: expected %.9g, got %.9g", \
				      #got, i_, (double)w_[i_],           \
				      (double)g_[i_]);                    \
	} while (0)

static inline int harness_main(const struct test *tests, size_t count,
			       int argc, char **argv)
{
	volatile int passed = 0, failed = 0;
	volatile size_t i;

	for (i = 0; i < count; i++) {
		if (argc > 1 && strcmp(argv[1], tests[i].name))
			continue;
		harness_current = tests[i].name;
		if (setjmp(harness_jmp) == 0) {
			tests[i].fn();
			printf("ok   %s\n", tests[i].name);
			passed++;
		} else {
			printf("FAIL %s\n", tests[i].name);
			failed++;
		}
		fflush(stdout);
	}
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}

#define HARNESS_MAIN(tests)                                               \
	harness_main(tests, sizeof(tests) / sizeof(tests[0]), argc, argv)

/* Deterministic pseudo-random numbers (xorshift64*), seeded per test. */
static inline unsigned long long harness_rand(unsigned long long *state)
{
	unsigned long long x = *state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * 0x2545F4914F6CDD1DULL;
}

/* Uniform integer in [lo, hi]. */
static inline int harness_randint(unsigned long long *state, int lo, int hi)
{
	return lo + (int)(harness_rand(state) % (unsigned long long)(hi - lo + 1));
}

/* Uniform float in [-1, 1). */
static inline float harness_randf(unsigned long long *state)
{
	return (float)((harness_rand(state) >> 40) / (double)(1ULL << 24) * 2.0 -
		       1.0);
}

#endif /* GCONV_TEST_HARNESS_H */
