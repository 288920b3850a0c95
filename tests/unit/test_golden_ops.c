// SPDX-License-Identifier: MIT
/*
 * The golden engine, one operator or rule at a time, against values worked
 * out by hand.  Each subtest builds the smallest descriptor that exercises
 * one behaviour of the loop nest in include/gconv/isa.h; the expected
 * values are written out literally, with the arithmetic in a comment when
 * it is not obvious.
 *
 * Most subtests are element-wise over the k axis (every operand walks k
 * with stride 1), so that X, Y, B and O are plain short arrays:
 *
 *	O[k] = post(combine(reduce(main(pre(X[k]), Y[k])), B[k]))
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <gconv/engine.h>

#include "../harness.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* Hand-computed values carry ~10 significant digits; the result is fp32. */
#define RTOL 1e-6
#define ATOL 1e-7

static const struct gconv_limits default_limits = GCONV_LIMITS_DEFAULT;

/* Validate @d against the default limits, then run it on the golden engine. */
static void run(const struct gconv_desc *d, const float *x, const float *y,
		const float *b, float *o)
{
	struct gconv_verror err;
	char msg[200];

	if (gconv_validate_desc(d, 0, &default_limits, &err)) {
		gconv_verror_format(&err, msg, sizeof(msg));
		FAILF("descriptor does not validate: %s", msg);
	}
	/* Operands the descriptor does not use are passed as NULL. */
	CHECK_EQ_INT(gconv_golden_run_desc(d, gconv_desc_reads_x(d) ? x : NULL,
					   gconv_desc_reads_y(d) ? y : NULL,
					   gconv_desc_reads_b(d) ? b : NULL, o),
		     0);
}

/* Fill every element with NaN, so that an unwritten output shows. */
static void poison(float *o, size_t count)
{
	size_t i;

	for (i = 0; i < count; i++)
		o[i] = NAN;
}

/* The same, but 0 where NaN is the expected value. */
static void poison_against(float *o, const float *want, size_t count)
{
	size_t i;

	for (i = 0; i < count; i++)
		o[i] = isnan(want[i]) ? 0.0f : NAN;
}

/*
 * Element-wise over k: every operand the descriptor uses walks k with
 * stride 1 over @count elements.  Unused operands stay all zero.  The
 * caller pre-fills @o.
 */
static void run_elementwise(struct gconv_desc *d, uint32_t count,
			    const float *x, const float *y, const float *b,
			    float *o)
{
	d->k = count;
	if (gconv_desc_reads_x(d))
		gconv_operand_f32(&d->x, 0, count, 0, 0, 1, 0, 0, 0);
	if (gconv_desc_reads_y(d))
		gconv_operand_f32(&d->y, 0, count, 0, 0, 1, 0, 0, 0);
	if (gconv_desc_reads_b(d))
		gconv_operand_f32(&d->b, 0, count, 0, 0, 1, 0, 0, 0);
	gconv_operand_f32(&d->o, 0, count, 0, 0, 1, 0, 0, 0);
	run(d, x, y, b, o);
}

/* ---- pre ------------------------------------------------------------- */

/* O[k] = pre(X[k]) through main take-x. */
static void check_pre(uint8_t pre, float a, float b, const float *x,
		      const float *want, uint32_t count)
{
	struct gconv_desc d;
	float o[8];

	gconv_desc_init(&d);
	d.pre = pre;
	d.pre_param[0] = gconv_f32_bits(a);
	d.pre_param[1] = gconv_f32_bits(b);
	d.main = GCONV_MAIN_TAKE_X;
	poison_against(o, want, count);
	run_elementwise(&d, count, x, NULL, NULL, o);
	CHECK_ARRAY_NEAR(o, want, count, RTOL, ATOL);
}

TEST(pre_identity)
{
	static const float x[] = { 1.5f, -2.0f, 0.0f, 3.25f };
	static const float want[] = { 1.5f, -2.0f, 0.0f, 3.25f };

	check_pre(GCONV_PRE_IDENTITY, 0, 0, x, want, NELEM(x));
}

TEST(pre_neg)
{
	static const float x[] = { 1.5f, -2.0f, 0.0f, 3.25f };
	static const float want[] = { -1.5f, 2.0f, 0.0f, -3.25f };

	check_pre(GCONV_PRE_NEG, 0, 0, x, want, NELEM(x));
}

TEST(pre_abs)
{
	static const float x[] = { -1.5f, 2.0f, 0.0f, -3.25f };
	static const float want[] = { 1.5f, 2.0f, 0.0f, 3.25f };

	check_pre(GCONV_PRE_ABS, 0, 0, x, want, NELEM(x));
}

TEST(pre_square)
{
	static const float x[] = { -3.0f, 0.5f, 0.0f, 1.5f };
	static const float want[] = { 9.0f, 0.25f, 0.0f, 2.25f };

	check_pre(GCONV_PRE_SQUARE, 0, 0, x, want, NELEM(x));
}

TEST(pre_exp)
{
	static const float x[] = { 0.0f, 1.0f, -1.0f, 2.0f };
	/* e^0, e, 1/e, e^2 */
	static const float want[] = { 1.0f, 2.718281828f, 0.3678794412f,
				      7.389056099f };

	check_pre(GCONV_PRE_EXP, 0, 0, x, want, NELEM(x));
}

TEST(pre_log)
{
	static const float x[] = { 1.0f, 2.0f, 0.5f, 10.0f, 0.0f };
	/* ln 1, ln 2, -ln 2, ln 10, ln 0 = -inf */
	static const float want[] = { 0.0f, 0.6931471806f, -0.6931471806f,
				      2.302585093f, -INFINITY };

	check_pre(GCONV_PRE_LOG, 0, 0, x, want, NELEM(x));
}

TEST(pre_sqrt)
{
	static const float x[] = { 4.0f, 2.0f, 0.25f, 0.0f };
	static const float want[] = { 2.0f, 1.414213562f, 0.5f, 0.0f };

	check_pre(GCONV_PRE_SQRT, 0, 0, x, want, NELEM(x));
}

TEST(pre_recip)
{
	static const float x[] = { 4.0f, -0.5f, 3.0f, 1.0f };
	static const float want[] = { 0.25f, -2.0f, 0.3333333333f, 1.0f };

	check_pre(GCONV_PRE_RECIP, 0, 0, x, want, NELEM(x));
}

TEST(pre_affine_uses_a_times_x_plus_b)
{
	static const float x[] = { 0.0f, 1.0f, -1.5f, 0.25f };
	/* 2x - 1 */
	static const float want[] = { -1.0f, 1.0f, -4.0f, -0.5f };

	check_pre(GCONV_PRE_AFFINE, 2.0f, -1.0f, x, want, NELEM(x));
}

/* pre transforms x only: y reaches main untouched. */
TEST(pre_applies_to_x_not_y)
{
	static const float x[] = { 1.0f, 2.0f };
	static const float y[] = { 3.0f, -1.0f };
	/* (-1) - 3, (-2) - (-1) */
	static const float want[] = { -4.0f, -1.0f };
	struct gconv_desc d;
	float o[2];

	gconv_desc_init(&d);
	d.pre = GCONV_PRE_NEG;
	d.main = GCONV_MAIN_SUB;
	poison(o, 2);
	run_elementwise(&d, 2, x, y, NULL, o);
	CHECK_ARRAY_NEAR(o, want, 2, RTOL, ATOL);
}

/* ---- main ------------------------------------------------------------ */

/* O[k] = main(X[k], Y[k]). */
static void check_main(uint8_t main_op, const float *x, const float *y,
		       const float *want, uint32_t count)
{
	struct gconv_desc d;
	float o[8];

	gconv_desc_init(&d);
	d.main = main_op;
	poison_against(o, want, count);
	run_elementwise(&d, count, x, y, NULL, o);
	CHECK_ARRAY_NEAR(o, want, count, RTOL, ATOL);
}

static const float mx[] = { 2.0f, -3.0f, 0.5f, 4.0f };
static const float my[] = { 3.0f, 2.0f, -4.0f, 0.25f };

TEST(main_mul)
{
	static const float want[] = { 6.0f, -6.0f, -2.0f, 1.0f };

	check_main(GCONV_MAIN_MUL, mx, my, want, NELEM(want));
}

TEST(main_add)
{
	static const float want[] = { 5.0f, -1.0f, -3.5f, 4.25f };

	check_main(GCONV_MAIN_ADD, mx, my, want, NELEM(want));
}

TEST(main_sub_is_x_minus_y)
{
	static const float want[] = { -1.0f, -5.0f, 4.5f, 3.75f };

	check_main(GCONV_MAIN_SUB, mx, my, want, NELEM(want));
}

TEST(main_div_is_x_over_y)
{
	static const float x[] = { 1.0f, -3.0f, 7.0f, 0.0f };
	static const float y[] = { 4.0f, 2.0f, -0.5f, 5.0f };
	static const float want[] = { 0.25f, -1.5f, -14.0f, 0.0f };

	check_main(GCONV_MAIN_DIV, x, y, want, NELEM(want));
}

TEST(main_max)
{
	static const float want[] = { 3.0f, 2.0f, 0.5f, 4.0f };

	check_main(GCONV_MAIN_MAX, mx, my, want, NELEM(want));
}

TEST(main_min)
{
	static const float want[] = { 2.0f, -3.0f, -4.0f, 0.25f };

	check_main(GCONV_MAIN_MIN, mx, my, want, NELEM(want));
}

/* take-x does not read Y: Y stays all zero and is passed as NULL. */
TEST(main_take_x_ignores_y)
{
	check_main(GCONV_MAIN_TAKE_X, mx, NULL, mx, NELEM(mx));
}

/* take-y does not read X: X stays all zero and is passed as NULL. */
TEST(main_take_y_ignores_x)
{
	check_main(GCONV_MAIN_TAKE_Y, NULL, my, my, NELEM(my));
}

TEST(main_sqdiff)
{
	static const float x[] = { 3.0f, -1.0f, 0.5f, 2.0f };
	static const float y[] = { 1.0f, 2.0f, 0.5f, -2.0f };
	/* 2^2, (-3)^2, 0, 4^2 */
	static const float want[] = { 4.0f, 9.0f, 0.0f, 16.0f };

	check_main(GCONV_MAIN_SQDIFF, x, y, want, NELEM(want));
}

TEST(main_prelu_scales_negative_x_by_y)
{
	static const float x[] = { 2.0f, -2.0f, 0.0f, -3.0f };
	static const float y[] = { 0.1f, 0.1f, 5.0f, -1.0f };
	/* 2, -2 * 0.1, 0 (x >= 0 keeps x), -3 * -1 */
	static const float want[] = { 2.0f, -0.2f, 0.0f, 3.0f };

	check_main(GCONV_MAIN_PRELU, x, y, want, NELEM(want));
}

TEST(main_pow_is_x_to_the_y)
{
	static const float x[] = { 2.0f, 4.0f, 2.0f, -2.0f, 9.0f };
	static const float y[] = { 3.0f, 0.5f, -1.0f, 2.0f, 0.0f };
	static const float want[] = { 8.0f, 2.0f, 0.5f, 4.0f, 1.0f };

	check_main(GCONV_MAIN_POW, x, y, want, NELEM(want));
}

/* ---- reduce ---------------------------------------------------------- */

/* O = reduce over c of X[c] (main take-x). */
static float reduce_over_c(uint8_t reduce, const float *x, uint32_t count)
{
	struct gconv_desc d;
	float o = NAN;

	gconv_desc_init(&d);
	d.c = count;
	d.main = GCONV_MAIN_TAKE_X;
	d.reduce = reduce;
	gconv_operand_f32(&d.x, 0, count, 0, 0, 0, 1, 0, 0);
	gconv_operand_f32(&d.o, 0, 1, 0, 0, 0, 0, 0, 0);
	run(&d, x, NULL, NULL, &o);
	return o;
}

static const float rx[] = { 3.0f, -1.0f, 7.0f, 2.0f, -5.0f };

TEST(reduce_sum)
{
	CHECK_NEAR(reduce_over_c(GCONV_REDUCE_SUM, rx, 5), 6.0, RTOL, ATOL);
}

TEST(reduce_max)
{
	CHECK_NEAR(reduce_over_c(GCONV_REDUCE_MAX, rx, 5), 7.0, RTOL, ATOL);
}

TEST(reduce_min)
{
	CHECK_NEAR(reduce_over_c(GCONV_REDUCE_MIN, rx, 5), -5.0, RTOL, ATOL);
}

TEST(reduce_mean_all)
{
	/* 6 / 5 */
	CHECK_NEAR(reduce_over_c(GCONV_REDUCE_MEAN_ALL, rx, 5), 1.2, RTOL,
		   ATOL);
}

/* The reduction walks c, r and s: sum of X * Y over a 2x2x2 window. */
TEST(reduce_sum_walks_c_r_s)
{
	static const float x[] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	static const float y[] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	struct gconv_desc d;
	float o = NAN;

	gconv_desc_init(&d);
	d.c = 2, d.r = 2, d.s = 2, d.in_h = 2, d.in_w = 2;
	gconv_operand_f32(&d.x, 0, 8, 0, 0, 0, 4, 2, 1);
	gconv_operand_f32(&d.y, 0, 8, 0, 0, 0, 4, 2, 1);
	gconv_operand_f32(&d.o, 0, 1, 0, 0, 0, 0, 0, 0);
	run(&d, x, y, NULL, &o);
	/* 1 + 4 + 9 + ... + 64 = 204 */
	CHECK_NEAR(o, 204.0, RTOL, ATOL);
}

/*
 * A 1-D window where the three mean reductions differ: in_w 4, window 3,
 * stride 2, one column of padding each side, pad value 0, Q 3.
 *
 *	q=0: wv -1,0,1  sum 0+1+2 = 3  valid 2  padded 3  all 3
 *	q=1: wv  1,2,3  sum 2+3+4 = 9  valid 3  padded 3  all 3
 *	q=2: wv  3,4,5  sum 4+0+0 = 4  valid 1  padded 2  all 3
 *
 * (wv 5 lies beyond pad_right: it reads the pad value but is not a tap of
 * the padded input.)
 */
static void mean_window(uint8_t reduce, float o[3])
{
	static const float x[] = { 1.0f, 2.0f, 3.0f, 4.0f };
	struct gconv_desc d;

	gconv_desc_init(&d);
	d.q = 3, d.s = 3, d.in_w = 4, d.stride_w = 2;
	d.pad_left = 1, d.pad_right = 1;
	d.main = GCONV_MAIN_TAKE_X;
	d.reduce = reduce;
	gconv_operand_f32(&d.x, 0, 4, 0, 0, 0, 0, 0, 1);
	gconv_operand_f32(&d.o, 0, 3, 0, 0, 0, 0, 0, 1);
	poison(o, 3);
	run(&d, x, NULL, NULL, o);
}

TEST(reduce_mean_valid_divides_by_taps_reading_x)
{
	static const float want[] = { 1.5f, 3.0f, 4.0f };
	float o[3];

	mean_window(GCONV_REDUCE_MEAN_VALID, o);
	CHECK_ARRAY_NEAR(o, want, 3, RTOL, ATOL);
}

TEST(reduce_mean_padded_divides_by_taps_in_padded_input)
{
	static const float want[] = { 1.0f, 3.0f, 2.0f };
	float o[3];

	mean_window(GCONV_REDUCE_MEAN_PADDED, o);
	CHECK_ARRAY_NEAR(o, want, 3, RTOL, ATOL);
}

TEST(reduce_mean_all_divides_by_window_size_with_padding)
{
	static const float want[] = { 1.0f, 3.0f, 1.333333333f };
	float o[3];

	mean_window(GCONV_REDUCE_MEAN_ALL, o);
	CHECK_ARRAY_NEAR(o, want, 3, RTOL, ATOL);
}

/*
 * MEAN_PADDED counts each side's own padding.  A window of 3, stride 2 over
 * in 4 with 2 of leading padding and none trailing, pad value 0, along
 * columns or rows:
 *
 *	o0: -2,-1,0  sum 1      padded 3  -> 1/3
 *	o1:  0,1,2   sum 1+2+3  padded 3  -> 2
 *	o2:  2,3,4   sum 3+4    padded 2  -> 3.5  (4 is past the input)
 */
static void mean_padded_one_side(int rows, float o[3])
{
	static const float x[] = { 1.0f, 2.0f, 3.0f, 4.0f };
	struct gconv_desc d;

	gconv_desc_init(&d);
	d.main = GCONV_MAIN_TAKE_X;
	d.reduce = GCONV_REDUCE_MEAN_PADDED;
	if (rows) {
		d.p = 3, d.r = 3, d.in_h = 4, d.stride_h = 2, d.pad_top = 2;
		gconv_operand_f32(&d.x, 0, 4, 0, 0, 0, 0, 1, 0);
		gconv_operand_f32(&d.o, 0, 3, 0, 0, 0, 0, 1, 0);
	} else {
		d.q = 3, d.s = 3, d.in_w = 4, d.stride_w = 2, d.pad_left = 2;
		gconv_operand_f32(&d.x, 0, 4, 0, 0, 0, 0, 0, 1);
		gconv_operand_f32(&d.o, 0, 3, 0, 0, 0, 0, 0, 1);
	}
	poison(o, 3);
	run(&d, x, NULL, NULL, o);
}

TEST(reduce_mean_padded_counts_leading_padding_only_along_w)
{
	static const float want[] = { 0.3333333333f, 2.0f, 3.5f };
	float o[3];

	mean_padded_one_side(0, o);
	CHECK_ARRAY_NEAR(o, want, 3, RTOL, ATOL);
}

TEST(reduce_mean_padded_counts_leading_padding_only_along_h)
{
	static const float want[] = { 0.3333333333f, 2.0f, 3.5f };
	float o[3];

	mean_padded_one_side(1, o);
	CHECK_ARRAY_NEAR(o, want, 3, RTOL, ATOL);
}

/* ---- combine --------------------------------------------------------- */

/* O[k] = combine(X[k], B[k]) (main take-x, reduction of one tap). */
static void check_combine(uint8_t combine, const float *want)
{
	static const float x[] = { 6.0f, -2.0f, 3.0f, 0.5f };
	static const float b[] = { 2.0f, 4.0f, -3.0f, 0.5f };
	struct gconv_desc d;
	float o[4];

	gconv_desc_init(&d);
	d.main = GCONV_MAIN_TAKE_X;
	d.combine = combine;
	poison_against(o, want, 4);
	run_elementwise(&d, 4, x, NULL, b, o);
	CHECK_ARRAY_NEAR(o, want, 4, RTOL, ATOL);
}

/* combine none does not read B: B stays all zero and is passed as NULL. */
TEST(combine_none_ignores_b)
{
	static const float want[] = { 6.0f, -2.0f, 3.0f, 0.5f };

	check_combine(GCONV_COMBINE_NONE, want);
}

TEST(combine_add)
{
	static const float want[] = { 8.0f, 2.0f, 0.0f, 1.0f };

	check_combine(GCONV_COMBINE_ADD, want);
}

TEST(combine_sub_is_acc_minus_b)
{
	static const float want[] = { 4.0f, -6.0f, 6.0f, 0.0f };

	check_combine(GCONV_COMBINE_SUB, want);
}

TEST(combine_mul)
{
	static const float want[] = { 12.0f, -8.0f, -9.0f, 0.25f };

	check_combine(GCONV_COMBINE_MUL, want);
}

TEST(combine_div_is_acc_over_b)
{
	static const float want[] = { 3.0f, -0.5f, -1.0f, 1.0f };

	check_combine(GCONV_COMBINE_DIV, want);
}

TEST(combine_max)
{
	static const float want[] = { 6.0f, 4.0f, 3.0f, 0.5f };

	check_combine(GCONV_COMBINE_MAX, want);
}

TEST(combine_min)
{
	static const float want[] = { 2.0f, -2.0f, -3.0f, 0.5f };

	check_combine(GCONV_COMBINE_MIN, want);
}

/*
 * The stages run in the order pre, main, reduce (with the mean's division),
 * combine, post.  X = {1, 3}, Y = {0, 1} over c:
 *	pre square -> {1, 9}; main sub -> {1, 8}; mean-all -> 4.5;
 *	combine add 0.5 -> 5; post pow 2 -> 25.
 * Any other order gives something else (combine before the mean: 4.75^2;
 * post before combine: 20.75).
 */
TEST(stages_run_pre_main_reduce_combine_post)
{
	static const float x[] = { 1.0f, 3.0f };
	static const float y[] = { 0.0f, 1.0f };
	static const float b[] = { 0.5f };
	struct gconv_desc d;
	float o = NAN;

	gconv_desc_init(&d);
	d.c = 2;
	d.pre = GCONV_PRE_SQUARE;
	d.main = GCONV_MAIN_SUB;
	d.reduce = GCONV_REDUCE_MEAN_ALL;
	d.combine = GCONV_COMBINE_ADD;
	d.post = GCONV_POST_POW;
	d.post_param[0] = gconv_f32_bits(2.0f);
	gconv_operand_f32(&d.x, 0, 2, 0, 0, 0, 1, 0, 0);
	gconv_operand_f32(&d.y, 0, 2, 0, 0, 0, 1, 0, 0);
	gconv_operand_f32(&d.b, 0, 1, 0, 0, 0, 0, 0, 0);
	gconv_operand_f32(&d.o, 0, 1, 0, 0, 0, 0, 0, 0);
	run(&d, x, y, b, &o);
	CHECK_NEAR(o, 25.0, RTOL, ATOL);
}

/* ---- post ------------------------------------------------------------ */

/* O[k] = post(X[k]) with parameters a, b, c. */
static void check_post(uint8_t post, float a, float b, float c,
		       const float *x, const float *want, uint32_t count)
{
	struct gconv_desc d;
	float o[8];

	gconv_desc_init(&d);
	d.main = GCONV_MAIN_TAKE_X;
	d.post = post;
	d.post_param[0] = gconv_f32_bits(a);
	d.post_param[1] = gconv_f32_bits(b);
	d.post_param[2] = gconv_f32_bits(c);
	poison_against(o, want, count);
	run_elementwise(&d, count, x, NULL, NULL, o);
	CHECK_ARRAY_NEAR(o, want, count, RTOL, ATOL);
}

TEST(post_identity)
{
	static const float x[] = { -1.5f, 0.0f, 2.5f };

	check_post(GCONV_POST_IDENTITY, 0, 0, 0, x, x, NELEM(x));
}

TEST(post_relu)
{
	static const float x[] = { -1.0f, 0.0f, 2.5f, -0.001f };
	static const float want[] = { 0.0f, 0.0f, 2.5f, 0.0f };

	check_post(GCONV_POST_RELU, 0, 0, 0, x, want, NELEM(x));
}

TEST(post_clip_between_a_and_b)
{
	static const float x[] = { -3.0f, 0.5f, 5.0f, 2.0f, -1.0f };
	/* clip to [-1, 2] */
	static const float want[] = { -1.0f, 0.5f, 2.0f, 2.0f, -1.0f };

	check_post(GCONV_POST_CLIP, -1.0f, 2.0f, 0, x, want, NELEM(x));
}

TEST(post_leaky_scales_negative_by_a)
{
	static const float x[] = { -2.0f, 3.0f, 0.0f, -0.5f };
	/* a = 0.1 */
	static const float want[] = { -0.2f, 3.0f, 0.0f, -0.05f };

	check_post(GCONV_POST_LEAKY, 0.1f, 0, 0, x, want, NELEM(x));
}

TEST(post_sigmoid)
{
	static const float x[] = { 0.0f, 2.0f, -2.0f, 1.0f };
	/* 1 / (1 + e^-v) */
	static const float want[] = { 0.5f, 0.8807970780f, 0.1192029220f,
				      0.7310585786f };

	check_post(GCONV_POST_SIGMOID, 0, 0, 0, x, want, NELEM(x));
}

TEST(post_tanh)
{
	static const float x[] = { 0.0f, 0.5f, -1.0f, 2.0f };
	static const float want[] = { 0.0f, 0.4621171573f, -0.7615941560f,
				      0.9640275801f };

	check_post(GCONV_POST_TANH, 0, 0, 0, x, want, NELEM(x));
}

TEST(post_exp)
{
	static const float x[] = { 0.0f, 1.0f, -2.0f, 0.5f };
	static const float want[] = { 1.0f, 2.718281828f, 0.1353352832f,
				      1.648721271f };

	check_post(GCONV_POST_EXP, 0, 0, 0, x, want, NELEM(x));
}

TEST(post_log)
{
	static const float x[] = { 1.0f, 2.0f, 0.5f, 10.0f };
	static const float want[] = { 0.0f, 0.6931471806f, -0.6931471806f,
				      2.302585093f };

	check_post(GCONV_POST_LOG, 0, 0, 0, x, want, NELEM(x));
}

TEST(post_sqrt)
{
	static const float x[] = { 9.0f, 2.0f, 0.0f, 0.25f };
	static const float want[] = { 3.0f, 1.414213562f, 0.0f, 0.5f };

	check_post(GCONV_POST_SQRT, 0, 0, 0, x, want, NELEM(x));
}

TEST(post_rsqrt)
{
	static const float x[] = { 4.0f, 0.25f, 2.0f, 1.0f };
	static const float want[] = { 0.5f, 2.0f, 0.7071067812f, 1.0f };

	check_post(GCONV_POST_RSQRT, 0, 0, 0, x, want, NELEM(x));
}

TEST(post_recip)
{
	static const float x[] = { 4.0f, -0.5f, 3.0f, 1.0f };
	static const float want[] = { 0.25f, -2.0f, 0.3333333333f, 1.0f };

	check_post(GCONV_POST_RECIP, 0, 0, 0, x, want, NELEM(x));
}

TEST(post_pow_raises_to_a)
{
	static const float x[] = { 2.0f, -2.0f, 0.5f, 3.0f };
	/* a = 3 */
	static const float want[] = { 8.0f, -8.0f, 0.125f, 27.0f };

	check_post(GCONV_POST_POW, 3.0f, 0, 0, x, want, NELEM(x));
}

TEST(post_hard_sigmoid_clamps_a_v_plus_b)
{
	static const float x[] = { -3.0f, 0.0f, 1.0f, 3.0f, -2.0f };
	/* a = 0.2, b = 0.5: -0.1 -> 0, 0.5, 0.7, 1.1 -> 1, 0.1 */
	static const float want[] = { 0.0f, 0.5f, 0.7f, 1.0f, 0.1f };

	check_post(GCONV_POST_HARD_SIGMOID, 0.2f, 0.5f, 0, x, want, NELEM(x));
}

TEST(post_hard_swish)
{
	static const float x[] = { -4.0f, -1.0f, 0.0f, 1.0f, 4.0f };
	/*
	 * v * clamp(v / 6 + 1/2, 0, 1):
	 *	-4 * 0, -1 * 1/3, 0, 1 * 2/3, 4 * 1
	 */
	static const float want[] = { 0.0f, -0.3333333333f, 0.0f,
				      0.6666666667f, 4.0f };

	check_post(GCONV_POST_HARD_SWISH, 0, 0, 0, x, want, NELEM(x));
}

TEST(post_elu)
{
	static const float x[] = { 2.0f, -1.0f, 0.0f, -2.0f };
	/* a = 1.5: 1.5 * (e^-1 - 1), 1.5 * (e^-2 - 1) */
	static const float want[] = { 2.0f, -0.9481808382f, 0.0f,
				      -1.296997075f };

	check_post(GCONV_POST_ELU, 1.5f, 0, 0, x, want, NELEM(x));
}

TEST(post_selu_scales_by_b)
{
	static const float x[] = { 1.0f, -1.0f, 2.0f, -2.0f, 0.0f };
	/*
	 * a = 1.6732632 (alpha), b = 1.0507010 (scale):
	 *	b * 1, b * a * (e^-1 - 1), b * 2, b * a * (e^-2 - 1), 0
	 */
	static const float want[] = { 1.0507010f, -1.111330723f, 2.101402f,
				      -1.520166448f, 0.0f };

	check_post(GCONV_POST_SELU, 1.6732632f, 1.0507010f, 0, x, want,
		   NELEM(x));
}

TEST(post_softplus)
{
	static const float x[] = { 0.0f, 1.0f, -1.0f, 30.0f, -0.5f, 0.5f };
	/* ln(1 + e^v): ln 2, ..., 30 + ln(1 + e^-30) ~ 30 */
	static const float want[] = { 0.6931471806f, 1.313261688f,
				      0.3132616875f, 30.0f, 0.4740769842f,
				      0.9740769842f };

	check_post(GCONV_POST_SOFTPLUS, 0, 0, 0, x, want, NELEM(x));
}

TEST(post_affine_is_a_v_plus_b)
{
	static const float x[] = { 0.0f, 1.0f, -1.5f, 4.0f };
	/* 2v - 1 */
	static const float want[] = { -1.0f, 1.0f, -4.0f, 7.0f };

	check_post(GCONV_POST_AFFINE, 2.0f, -1.0f, 0, x, want, NELEM(x));
}

TEST(post_affine_pow_is_a_v_plus_b_to_the_c)
{
	static const float x[] = { 1.0f, 0.0f, -1.0f, 0.5f, 4.0f };
	/* (2v + 1)^0.5: sqrt 3, 1, sqrt(-1) = NaN, sqrt 2, 3 */
	static const float want[] = { 1.732050808f, 1.0f, NAN, 1.414213562f,
				      3.0f };

	check_post(GCONV_POST_AFFINE_POW, 2.0f, 1.0f, 0.5f, x, want,
		   NELEM(x));
}

TEST(post_abs)
{
	static const float x[] = { -2.5f, 0.0f, 3.0f };
	static const float want[] = { 2.5f, 0.0f, 3.0f };

	check_post(GCONV_POST_ABS, 0, 0, 0, x, want, NELEM(x));
}

TEST(post_neg)
{
	static const float x[] = { -2.5f, 0.0f, 3.0f };
	static const float want[] = { 2.5f, 0.0f, -3.0f };

	check_post(GCONV_POST_NEG, 0, 0, 0, x, want, NELEM(x));
}

/* ---- ACCUMULATE ------------------------------------------------------ */

/*
 * K = 2 outputs, each a reduction over c < 3 of X[c] * Y[k][c]:
 *	X = {1, 2, 3}, Y[0] = {1, 1, 1}, Y[1] = {2, 0, -1}
 *	sums: 6 and -1; products k=0: {1, 2, 3}, k=1: {2, 0, -3}
 */
static void accumulate_desc(struct gconv_desc *d, uint8_t reduce, int acc)
{
	gconv_desc_init(d);
	d->k = 2, d->c = 3;
	d->reduce = reduce;
	d->flags = acc ? GCONV_DESC_F_ACCUMULATE : 0;
	gconv_operand_f32(&d->x, 0, 3, 0, 0, 0, 1, 0, 0);
	gconv_operand_f32(&d->y, 0, 6, 0, 0, 3, 1, 0, 0);
	gconv_operand_f32(&d->o, 0, 2, 0, 0, 1, 0, 0, 0);
}

static const float acc_x[] = { 1.0f, 2.0f, 3.0f };
static const float acc_y[] = { 1.0f, 1.0f, 1.0f, 2.0f, 0.0f, -1.0f };

TEST(accumulate_sum_starts_from_o)
{
	/* 10 + 6, -1 - 1 */
	static const float want[] = { 16.0f, -2.0f };
	struct gconv_desc d;
	float o[2] = { 10.0f, -1.0f };

	accumulate_desc(&d, GCONV_REDUCE_SUM, 1);
	run(&d, acc_x, acc_y, NULL, o);
	CHECK_ARRAY_NEAR(o, want, 2, RTOL, ATOL);
}

TEST(accumulate_off_overwrites_o)
{
	static const float want[] = { 6.0f, -1.0f };
	struct gconv_desc d;
	float o[2] = { 10.0f, -1.0f };

	accumulate_desc(&d, GCONV_REDUCE_SUM, 0);
	run(&d, acc_x, acc_y, NULL, o);
	CHECK_ARRAY_NEAR(o, want, 2, RTOL, ATOL);
}

TEST(accumulate_max_starts_from_o)
{
	/* max(5, 1, 2, 3) = 5; max(-7, 2, 0, -3) = 2 */
	static const float want[] = { 5.0f, 2.0f };
	struct gconv_desc d;
	float o[2] = { 5.0f, -7.0f };

	accumulate_desc(&d, GCONV_REDUCE_MAX, 1);
	run(&d, acc_x, acc_y, NULL, o);
	CHECK_ARRAY_NEAR(o, want, 2, RTOL, ATOL);
}

TEST(accumulate_min_starts_from_o)
{
	/* min(0, 1, 2, 3) = 0; min(-7, 2, 0, -3) = -7 */
	static const float want[] = { 0.0f, -7.0f };
	struct gconv_desc d;
	float o[2] = { 0.0f, -7.0f };

	accumulate_desc(&d, GCONV_REDUCE_MIN, 1);
	run(&d, acc_x, acc_y, NULL, o);
	CHECK_ARRAY_NEAR(o, want, 2, RTOL, ATOL);
}

/* Combine and post apply after accumulation: -((O + sum) + b). */
TEST(accumulate_is_followed_by_combine_and_post)
{
	static const float b[] = { 1.0f, 0.5f };
	/* -((10 + 6) + 1), -((-1 - 1) + 0.5) */
	static const float want[] = { -17.0f, 1.5f };
	struct gconv_desc d;
	float o[2] = { 10.0f, -1.0f };

	accumulate_desc(&d, GCONV_REDUCE_SUM, 1);
	d.combine = GCONV_COMBINE_ADD;
	d.post = GCONV_POST_NEG;
	gconv_operand_f32(&d.b, 0, 2, 0, 0, 1, 0, 0, 0);
	run(&d, acc_x, acc_y, b, o);
	CHECK_ARRAY_NEAR(o, want, 2, RTOL, ATOL);
}

TEST(accumulate_with_mean_is_rejected)
{
	static const uint8_t means[] = { GCONV_REDUCE_MEAN_ALL,
					 GCONV_REDUCE_MEAN_VALID,
					 GCONV_REDUCE_MEAN_PADDED };
	struct gconv_verror err;
	struct gconv_desc d;
	size_t i;

	for (i = 0; i < NELEM(means); i++) {
		accumulate_desc(&d, means[i], 1);
		CHECK_EQ_INT(gconv_validate_desc(&d, 0, &default_limits, &err),
			     -GCONV_VERR_ACCUMULATE_MEAN);
	}
}

/* ---- NaN ------------------------------------------------------------- */

/* NaN first, in the middle and last: a naive "a > b ? a : b" drops some. */
static void nan_reduce(uint8_t reduce)
{
	static const float x[] = {
		NAN, 1.0f, 2.0f,
		1.0f, NAN, 2.0f,
		1.0f, 2.0f, NAN,
		-INFINITY, NAN, INFINITY,
	};
	struct gconv_desc d;
	float o[4];
	int i;

	gconv_desc_init(&d);
	d.k = 4, d.c = 3;
	d.main = GCONV_MAIN_TAKE_X;
	d.reduce = reduce;
	gconv_operand_f32(&d.x, 0, 12, 0, 0, 3, 1, 0, 0);
	gconv_operand_f32(&d.o, 0, 4, 0, 0, 1, 0, 0, 0);
	memset(o, 0, sizeof(o));	/* a missing write is not NaN */
	run(&d, x, NULL, NULL, o);
	for (i = 0; i < 4; i++)
		if (!isnan(o[i]))
			FAILF("o[%d] = %g, expected NaN", i, (double)o[i]);
}

TEST(nan_propagates_through_reduce_max)
{
	nan_reduce(GCONV_REDUCE_MAX);
}

TEST(nan_propagates_through_reduce_min)
{
	nan_reduce(GCONV_REDUCE_MIN);
}

TEST(nan_propagates_through_main_max_min)
{
	static const float x[] = { NAN, 1.0f, NAN };
	static const float y[] = { 1.0f, NAN, NAN };
	static const float want[] = { NAN, NAN, NAN };

	check_main(GCONV_MAIN_MAX, x, y, want, 3);
	check_main(GCONV_MAIN_MIN, x, y, want, 3);
}

TEST(nan_propagates_through_combine_max_min)
{
	static const float x[] = { NAN, 1.0f, -INFINITY };
	static const float b[] = { 1.0f, NAN, NAN };
	static const uint8_t ops[] = { GCONV_COMBINE_MAX, GCONV_COMBINE_MIN };
	struct gconv_desc d;
	float o[3];
	size_t i;
	int j;

	for (i = 0; i < NELEM(ops); i++) {
		gconv_desc_init(&d);
		d.main = GCONV_MAIN_TAKE_X;
		d.combine = ops[i];
		memset(o, 0, sizeof(o));
		run_elementwise(&d, 3, x, NULL, b, o);
		for (j = 0; j < 3; j++)
			if (!isnan(o[j]))
				FAILF("%s: o[%d] = %g, expected NaN",
				      gconv_combine_name(ops[i]), j,
				      (double)o[j]);
	}
}

/* relu is max(v, 0) and clip is min(max(v, a), b): NaN stays NaN. */
TEST(nan_propagates_through_post_relu_and_clip)
{
	static const float x[] = { NAN, 1.0f };
	static const float want[] = { NAN, 1.0f };

	check_post(GCONV_POST_RELU, 0, 0, 0, x, want, 2);
	check_post(GCONV_POST_CLIP, -1.0f, 2.0f, 0, x, want, 2);
}

/* Max over nothing but -inf padding is -inf, not NaN. */
TEST(max_over_only_neg_inf_padding_is_neg_inf)
{
	static const float x[] = { 1.0f };
	static const float want[] = { -INFINITY, 1.0f };
	struct gconv_desc d;
	float o[2];

	/* in_w 1, window 1, pad_left 1: q=0 reads only padding */
	gconv_desc_init(&d);
	d.q = 2, d.in_w = 1, d.pad_left = 1;
	d.main = GCONV_MAIN_TAKE_X;
	d.reduce = GCONV_REDUCE_MAX;
	d.pad_value = gconv_f32_bits(-INFINITY);
	gconv_operand_f32(&d.x, 0, 1, 0, 0, 0, 0, 0, 1);
	gconv_operand_f32(&d.o, 0, 2, 0, 0, 0, 0, 0, 1);
	poison(o, 2);
	run(&d, x, NULL, NULL, o);
	CHECK_ARRAY_NEAR(o, want, 2, RTOL, ATOL);
}

/* ---- padding --------------------------------------------------------- */

/*
 * 1-D correlation of X = {1, 2} with Y = {1, 10, 100}, one column of
 * padding each side, Q = 2:
 *	q=0: pad*1 + x0*10 + x1*100	q=1: x0*1 + x1*10 + pad*100
 */
static void pad_window(uint8_t pre, float a, float b, float pad, float o[2])
{
	static const float x[] = { 1.0f, 2.0f };
	static const float y[] = { 1.0f, 10.0f, 100.0f };
	struct gconv_desc d;

	gconv_desc_init(&d);
	d.q = 2, d.s = 3, d.in_w = 2;
	d.pad_left = 1, d.pad_right = 1;
	d.pad_value = gconv_f32_bits(pad);
	d.pre = pre;
	d.pre_param[0] = gconv_f32_bits(a);
	d.pre_param[1] = gconv_f32_bits(b);
	gconv_operand_f32(&d.x, 0, 2, 0, 0, 0, 0, 0, 1);
	gconv_operand_f32(&d.y, 0, 3, 0, 0, 0, 0, 0, 1);
	gconv_operand_f32(&d.o, 0, 2, 0, 0, 0, 0, 0, 1);
	poison(o, 2);
	run(&d, x, y, NULL, o);
}

TEST(pad_value_is_read_for_padded_taps)
{
	/* pad 5: 5 + 10 + 200, 1 + 20 + 500 */
	static const float want[] = { 215.0f, 521.0f };
	float o[2];

	pad_window(GCONV_PRE_IDENTITY, 0, 0, 5.0f, o);
	CHECK_ARRAY_NEAR(o, want, 2, RTOL, ATOL);
}

TEST(pad_value_passes_through_pre_square)
{
	/* pad 5 -> 25, x -> {1, 4}: 25 + 10 + 400, 1 + 40 + 2500 */
	static const float want[] = { 435.0f, 2541.0f };
	float o[2];

	pad_window(GCONV_PRE_SQUARE, 0, 0, 5.0f, o);
	CHECK_ARRAY_NEAR(o, want, 2, RTOL, ATOL);
}

TEST(pad_value_passes_through_pre_affine)
{
	/* 2v + 1: pad 5 -> 11, x -> {3, 5}: 11 + 30 + 500, 3 + 50 + 1100 */
	static const float want[] = { 541.0f, 1153.0f };
	float o[2];

	pad_window(GCONV_PRE_AFFINE, 2.0f, 1.0f, 5.0f, o);
	CHECK_ARRAY_NEAR(o, want, 2, RTOL, ATOL);
}

/* Softmax-style: pre exp of a -inf pad value contributes e^-inf = 0. */
TEST(pad_value_neg_inf_through_pre_exp_adds_zero)
{
	static const float x[] = { 0.0f, 0.6931471806f };	/* e^x: 1, 2 */
	/* window 3, pad 1 each side, sum: 0 + 1 + 2, 1 + 2 + 0 */
	static const float want[] = { 3.0f, 3.0f };
	struct gconv_desc d;
	float o[2];

	gconv_desc_init(&d);
	d.q = 2, d.s = 3, d.in_w = 2;
	d.pad_left = 1, d.pad_right = 1;
	d.pad_value = gconv_f32_bits(-INFINITY);
	d.pre = GCONV_PRE_EXP;
	d.main = GCONV_MAIN_TAKE_X;
	gconv_operand_f32(&d.x, 0, 2, 0, 0, 0, 0, 0, 1);
	gconv_operand_f32(&d.o, 0, 2, 0, 0, 0, 0, 0, 1);
	poison(o, 2);
	run(&d, x, NULL, NULL, o);
	CHECK_ARRAY_NEAR(o, want, 2, RTOL, ATOL);
}

/*
 * Asymmetric 2-D padding: X = [[1, 2], [3, 4]], 2x2 window summing X,
 * pad_top 1, pad_right 1 (none bottom or left), pad value 100:
 *
 *	     c-0  c0  c1  c2
 *	r-1  --  100 100 100
 *	r0   --   1   2  100
 *	r1   --   3   4  100
 *
 *	p0q0: 100+100+1+2 = 203	p0q1: 100+100+2+100 = 302
 *	p1q0: 1+2+3+4 = 10		p1q1: 2+100+4+100 = 206
 */
TEST(asymmetric_padding_reads_pad_value_on_padded_sides_only)
{
	static const float x[] = { 1.0f, 2.0f, 3.0f, 4.0f };
	static const float want[] = { 203.0f, 302.0f, 10.0f, 206.0f };
	struct gconv_desc d;
	float o[4];

	gconv_desc_init(&d);
	d.p = 2, d.q = 2, d.r = 2, d.s = 2, d.in_h = 2, d.in_w = 2;
	d.pad_top = 1, d.pad_right = 1;
	d.pad_value = gconv_f32_bits(100.0f);
	d.main = GCONV_MAIN_TAKE_X;
	gconv_operand_f32(&d.x, 0, 4, 0, 0, 0, 0, 2, 1);
	gconv_operand_f32(&d.o, 0, 4, 0, 0, 0, 0, 2, 1);
	poison(o, 4);
	run(&d, x, NULL, NULL, o);
	CHECK_ARRAY_NEAR(o, want, 4, RTOL, ATOL);
}

/* ---- input dilation -------------------------------------------------- */

/*
 * in_w 3 dilated by 2 is x0 . x1 . x2 (holes "."); with one column of
 * padding each side and a 1-wide window, O is the dilated, padded row.
 */
static void dilated_row(uint8_t pre, float pad, float o[7])
{
	static const float x[] = { 1.0f, 2.0f, 3.0f };
	struct gconv_desc d;

	gconv_desc_init(&d);
	d.q = 7, d.in_w = 3, d.in_dilation_w = 2;
	d.pad_left = 1, d.pad_right = 1;
	d.pad_value = gconv_f32_bits(pad);
	d.pre = pre;
	d.main = GCONV_MAIN_TAKE_X;
	gconv_operand_f32(&d.x, 0, 3, 0, 0, 0, 0, 0, 1);
	gconv_operand_f32(&d.o, 0, 7, 0, 0, 0, 0, 0, 1);
	poison(o, 7);
	run(&d, x, NULL, NULL, o);
}

TEST(input_dilation_holes_read_pad_value)
{
	static const float want[] = { -7, 1, -7, 2, -7, 3, -7 };
	float o[7];

	dilated_row(GCONV_PRE_IDENTITY, -7.0f, o);
	CHECK_ARRAY_NEAR(o, want, 7, RTOL, ATOL);
}

TEST(input_dilation_holes_pass_through_pre)
{
	/* square: holes and padding -3 -> 9 */
	static const float want[] = { 9, 1, 9, 4, 9, 9, 9 };
	float o[7];

	dilated_row(GCONV_PRE_SQUARE, -3.0f, o);
	CHECK_ARRAY_NEAR(o, want, 7, RTOL, ATOL);
}

/*
 * 2x2 input dilated by 2 in both directions is 3x3:
 *	1 . 2
 *	. . .
 *	3 . 4
 */
TEST(input_dilation_2d_places_x_on_a_grid)
{
	static const float x[] = { 1.0f, 2.0f, 3.0f, 4.0f };
	static const float want[] = { 1.0f, 0.5f, 2.0f,
				      0.5f, 0.5f, 0.5f,
				      3.0f, 0.5f, 4.0f };
	struct gconv_desc d;
	float o[9];

	gconv_desc_init(&d);
	d.p = 3, d.q = 3, d.in_h = 2, d.in_w = 2;
	d.in_dilation_h = 2, d.in_dilation_w = 2;
	d.pad_value = gconv_f32_bits(0.5f);
	d.main = GCONV_MAIN_TAKE_X;
	gconv_operand_f32(&d.x, 0, 4, 0, 0, 0, 0, 2, 1);
	gconv_operand_f32(&d.o, 0, 9, 0, 0, 0, 0, 3, 1);
	poison(o, 9);
	run(&d, x, NULL, NULL, o);
	CHECK_ARRAY_NEAR(o, want, 9, RTOL, ATOL);
}

/*
 * X = {2, 4, 6} dilated by 2 is 2 . 4 . 6; a 3-wide window, no padding,
 * pad value 0:
 *	q=0: 2+.+4 = 6   reads X twice
 *	q=1: .+4+. = 4   reads X once
 *	q=2: 4+.+6 = 10  reads X twice
 * and every tap, holes included, is inside the padded input.
 */
static void dilated_mean(uint8_t reduce, float o[3])
{
	static const float x[] = { 2.0f, 4.0f, 6.0f };
	struct gconv_desc d;

	gconv_desc_init(&d);
	d.q = 3, d.s = 3, d.in_w = 3, d.in_dilation_w = 2;
	d.main = GCONV_MAIN_TAKE_X;
	d.reduce = reduce;
	gconv_operand_f32(&d.x, 0, 3, 0, 0, 0, 0, 0, 1);
	gconv_operand_f32(&d.o, 0, 3, 0, 0, 0, 0, 0, 1);
	poison(o, 3);
	run(&d, x, NULL, NULL, o);
}

TEST(input_dilation_holes_do_not_count_for_mean_valid)
{
	static const float want[] = { 3.0f, 4.0f, 5.0f };
	float o[3];

	dilated_mean(GCONV_REDUCE_MEAN_VALID, o);
	CHECK_ARRAY_NEAR(o, want, 3, RTOL, ATOL);
}

TEST(input_dilation_holes_count_for_mean_padded)
{
	static const float want[] = { 2.0f, 1.333333333f, 3.333333333f };
	float o[3];

	dilated_mean(GCONV_REDUCE_MEAN_PADDED, o);
	CHECK_ARRAY_NEAR(o, want, 3, RTOL, ATOL);
}

/* ---- aliasing -------------------------------------------------------- */

/*
 * O[q] = X[q-1] + X[q] over one buffer (pad_left 1, pad value 0).  As if
 * every read came first: {1, 1+2, 2+3, 3+4}.  Writing while reading would
 * give the running sums {1, 3, 6, 10}.
 */
TEST(in_place_output_aliases_input)
{
	static const float y[] = { 1.0f, 1.0f };
	static const float want[] = { 1.0f, 3.0f, 5.0f, 7.0f };
	float buf[4] = { 1.0f, 2.0f, 3.0f, 4.0f };
	struct gconv_desc d;

	gconv_desc_init(&d);
	d.q = 4, d.s = 2, d.in_w = 4, d.pad_left = 1;
	gconv_operand_f32(&d.x, 0, 4, 0, 0, 0, 0, 0, 1);
	gconv_operand_f32(&d.y, 0, 2, 0, 0, 0, 0, 0, 1);
	gconv_operand_f32(&d.o, 0, 4, 0, 0, 0, 0, 0, 1);
	run(&d, buf, y, NULL, buf);
	CHECK_ARRAY_NEAR(buf, want, 4, RTOL, ATOL);
}

/* A 3x3 transpose in place: X read by rows, O written by columns. */
TEST(in_place_transpose_through_strides)
{
	static const float want[] = { 1, 4, 7, 2, 5, 8, 3, 6, 9 };
	float buf[9] = { 1, 2, 3, 4, 5, 6, 7, 8, 9 };
	struct gconv_desc d;

	gconv_desc_init(&d);
	d.p = 3, d.q = 3, d.in_h = 3, d.in_w = 3;
	d.main = GCONV_MAIN_TAKE_X;
	gconv_operand_f32(&d.x, 0, 9, 0, 0, 0, 0, 3, 1);
	gconv_operand_f32(&d.o, 0, 9, 0, 0, 0, 0, 1, 3);
	run(&d, buf, NULL, NULL, buf);
	CHECK_ARRAY_NEAR(buf, want, 9, RTOL, ATOL);
}

/*
 * O aliasing the weights: Y[k][c] = buf[k + 2c] = {{1, 3}, {2, 4}},
 * X = {1, 1}, O[k] = buf[1 + k].  O[0] = 1 + 3 = 4 overwrites Y[1][0]
 * before O[1] = 2 + 4 = 6 would read it (8 if it did).
 */
TEST(in_place_output_aliases_weights)
{
	static const float x[] = { 1.0f, 1.0f };
	static const float want[] = { 1.0f, 4.0f, 6.0f, 4.0f };
	float buf[4] = { 1.0f, 2.0f, 3.0f, 4.0f };
	struct gconv_desc d;

	gconv_desc_init(&d);
	d.k = 2, d.c = 2;
	gconv_operand_f32(&d.x, 0, 2, 0, 0, 0, 1, 0, 0);
	gconv_operand_f32(&d.y, 0, 4, 0, 0, 1, 2, 0, 0);
	gconv_operand_f32(&d.o, 4, 2, 0, 0, 1, 0, 0, 0);
	run(&d, x, buf, NULL, buf + 1);
	CHECK_ARRAY_NEAR(buf, want, 4, RTOL, ATOL);
}

static const struct test tests[] = {
	T(pre_identity),
	T(pre_neg),
	T(pre_abs),
	T(pre_square),
	T(pre_exp),
	T(pre_log),
	T(pre_sqrt),
	T(pre_recip),
	T(pre_affine_uses_a_times_x_plus_b),
	T(pre_applies_to_x_not_y),
	T(main_mul),
	T(main_add),
	T(main_sub_is_x_minus_y),
	T(main_div_is_x_over_y),
	T(main_max),
	T(main_min),
	T(main_take_x_ignores_y),
	T(main_take_y_ignores_x),
	T(main_sqdiff),
	T(main_prelu_scales_negative_x_by_y),
	T(main_pow_is_x_to_the_y),
	T(reduce_sum),
	T(reduce_max),
	T(reduce_min),
	T(reduce_mean_all),
	T(reduce_sum_walks_c_r_s),
	T(reduce_mean_valid_divides_by_taps_reading_x),
	T(reduce_mean_padded_divides_by_taps_in_padded_input),
	T(reduce_mean_all_divides_by_window_size_with_padding),
	T(reduce_mean_padded_counts_leading_padding_only_along_w),
	T(reduce_mean_padded_counts_leading_padding_only_along_h),
	T(combine_none_ignores_b),
	T(combine_add),
	T(combine_sub_is_acc_minus_b),
	T(combine_mul),
	T(combine_div_is_acc_over_b),
	T(combine_max),
	T(combine_min),
	T(stages_run_pre_main_reduce_combine_post),
	T(post_identity),
	T(post_relu),
	T(post_clip_between_a_and_b),
	T(post_leaky_scales_negative_by_a),
	T(post_sigmoid),
	T(post_tanh),
	T(post_exp),
	T(post_log),
	T(post_sqrt),
	T(post_rsqrt),
	T(post_recip),
	T(post_pow_raises_to_a),
	T(post_hard_sigmoid_clamps_a_v_plus_b),
	T(post_hard_swish),
	T(post_elu),
	T(post_selu_scales_by_b),
	T(post_softplus),
	T(post_affine_is_a_v_plus_b),
	T(post_affine_pow_is_a_v_plus_b_to_the_c),
	T(post_abs),
	T(post_neg),
	T(accumulate_sum_starts_from_o),
	T(accumulate_off_overwrites_o),
	T(accumulate_max_starts_from_o),
	T(accumulate_min_starts_from_o),
	T(accumulate_is_followed_by_combine_and_post),
	T(accumulate_with_mean_is_rejected),
	T(nan_propagates_through_reduce_max),
	T(nan_propagates_through_reduce_min),
	T(nan_propagates_through_main_max_min),
	T(nan_propagates_through_combine_max_min),
	T(nan_propagates_through_post_relu_and_clip),
	T(max_over_only_neg_inf_padding_is_neg_inf),
	T(pad_value_is_read_for_padded_taps),
	T(pad_value_passes_through_pre_square),
	T(pad_value_passes_through_pre_affine),
	T(pad_value_neg_inf_through_pre_exp_adds_zero),
	T(asymmetric_padding_reads_pad_value_on_padded_sides_only),
	T(input_dilation_holes_read_pad_value),
	T(input_dilation_holes_pass_through_pre),
	T(input_dilation_2d_places_x_on_a_grid),
	T(input_dilation_holes_do_not_count_for_mean_valid),
	T(input_dilation_holes_count_for_mean_padded),
	T(in_place_output_aliases_input),
	T(in_place_transpose_through_strides),
	T(in_place_output_aliases_weights),
};

int main(int argc, char **argv)
{
	return HARNESS_MAIN(tests);
}
