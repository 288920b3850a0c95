// SPDX-License-Identifier: MIT
/*
 * Whole chains on the golden engine: the hand-built
 * conv -> relu -> maxpool -> fc -> softmax network against plain loops,
 * and the "nothing runs unless everything validates" rule.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <gconv/engine.h>

#include "../common/sample_chain.h"
#include "../harness.h"

TEST(sample_network_matches_direct_computation)
{
	int seed;

	for (seed = 1; seed <= 20; seed++) {
		struct sample_params prm;
		float in[SAMPLE_IN], want[SAMPLE_CLASSES], *mem;
		unsigned long long rs = (unsigned long long)seed * 77 + 5;
		size_t len, mem_size, in_off, out_off;
		struct gconv_verror err;
		void *chain;
		int i;

		sample_params_random(&prm, seed);
		for (i = 0; i < SAMPLE_IN; i++)
			in[i] = harness_randf(&rs);
		CHECK_EQ_INT(sample_chain_build(&prm, &chain, &len, &mem,
						&mem_size, &in_off, &out_off),
			     0);
		memcpy((char *)mem + in_off, in, sizeof(in));
		CHECK_EQ_INT(gconv_golden_run_chain(chain, len, mem, mem_size,
						    &err),
			     0);
		sample_reference(&prm, in, want);
		CHECK_ARRAY_NEAR((float *)((char *)mem + out_off), want,
				 SAMPLE_CLASSES, 1e-5, 1e-6);
		free(chain);
		free(mem);
	}
}

TEST(softmax_output_sums_to_one)
{
	struct sample_params prm;
	size_t len, mem_size, in_off, out_off;
	float *mem, *p;
	double sum = 0;
	void *chain;
	int i;

	sample_params_random(&prm, 99);
	CHECK_EQ_INT(sample_chain_build(&prm, &chain, &len, &mem, &mem_size,
					&in_off, &out_off),
		     0);
	for (i = 0; i < SAMPLE_IN; i++)
		mem[in_off / 4 + i] = (float)i / 10.0f;
	CHECK_EQ_INT(gconv_golden_run_chain(chain, len, mem, mem_size, NULL),
		     0);
	p = mem + out_off / 4;
	for (i = 0; i < SAMPLE_CLASSES; i++) {
		CHECK(p[i] > 0 && p[i] < 1);
		sum += p[i];
	}
	CHECK_NEAR(sum, 1.0, 1e-6, 1e-6);
	free(chain);
	free(mem);
}

/* A chain whose last descriptor is bad must not run its first ones. */
TEST(invalid_chain_changes_nothing)
{
	struct sample_params prm;
	size_t len, mem_size, in_off, out_off;
	struct gconv_verror err;
	struct gconv_chain_header *h;
	struct gconv_desc *last;
	float *mem, *copy;
	void *chain;

	sample_params_random(&prm, 3);
	CHECK_EQ_INT(sample_chain_build(&prm, &chain, &len, &mem, &mem_size,
					&in_off, &out_off),
		     0);
	h = chain;
	last = (struct gconv_desc *)((char *)chain + h->header_size +
				     (h->count - 1) * h->desc_size);
	last->post = GCONV_POST_COUNT;
	copy = malloc(mem_size);
	memcpy(copy, mem, mem_size);
	CHECK_EQ_INT(gconv_golden_run_chain(chain, len, mem, mem_size, &err),
		     -EINVAL);
	CHECK_EQ_INT(err.code, GCONV_VERR_OPCODE);
	CHECK_EQ_INT(err.desc, h->count - 1);
	CHECK_STR(err.field, "post");
	CHECK(memcmp(copy, mem, mem_size) == 0);
	free(copy);
	free(chain);
	free(mem);
}

TEST(operand_outside_memory_is_rejected_before_running)
{
	struct sample_params prm;
	size_t len, mem_size, in_off, out_off;
	struct gconv_verror err;
	float *mem, *copy;
	void *chain;

	sample_params_random(&prm, 4);
	CHECK_EQ_INT(sample_chain_build(&prm, &chain, &len, &mem, &mem_size,
					&in_off, &out_off),
		     0);
	copy = malloc(mem_size);
	memcpy(copy, mem, mem_size);
	/* the output probabilities end exactly at mem_size: one float less */
	CHECK_EQ_INT(gconv_golden_run_chain(chain, len, mem, mem_size - 4,
					    &err),
		     -EINVAL);
	CHECK_EQ_INT(err.code, GCONV_VERR_OUT_OF_RANGE);
	CHECK_EQ_INT(err.operand, 'O');
	CHECK(memcmp(copy, mem, mem_size) == 0);
	free(copy);
	free(chain);
	free(mem);
}

TEST(error_message_names_descriptor_operand_and_field)
{
	struct gconv_verror err = { GCONV_VERR_OUT_OF_EXTENT, 3, 'Y',
				    "extent" };
	char buf[160];

	gconv_verror_format(&err, buf, sizeof(buf));
	CHECK_STR(buf, "descriptor 3, operand Y, extent: access outside the "
		       "operand's extent");
	err = (struct gconv_verror){ GCONV_VERR_BAD_MAGIC, GCONV_VERR_NO_DESC,
				     0, "magic" };
	gconv_verror_format(&err, buf, sizeof(buf));
	CHECK_STR(buf, "chain header, magic: bad chain magic");
}

/* Weights in a read-only region far from a writable activation region. */
static int scale_chain(uint64_t w_addr, uint64_t x_addr, uint64_t o_addr,
		       void **chain, size_t *len)
{
	struct gconv_chain_builder cb = { 0 };
	struct gconv_desc d;
	int ret;

	gconv_desc_init(&d);
	d.k = 4;
	gconv_operand_f32(&d.x, x_addr, 4, 0, 0, 1, 0, 0, 0);
	gconv_operand_f32(&d.y, w_addr, 4, 0, 0, 1, 0, 0, 0);
	gconv_operand_f32(&d.o, o_addr, 4, 0, 0, 1, 0, 0, 0);
	ret = gconv_chain_append(&cb, &d);
	if (!ret)
		ret = gconv_chain_encode(&cb, chain, len);
	gconv_chain_builder_free(&cb);
	return ret;
}

TEST(mapped_regions_resolve_each_operand)
{
	float w[4] = { 1, 2, 3, 4 }, act[8] = { 1, 1, 1, 1, 0, 0, 0, 0 };
	const float want[4] = { 1, 2, 3, 4 };
	struct gconv_region r[2] = {
		{ 1ull << 40, sizeof(w), w, 0 },
		{ 1ull << 32, sizeof(act), act, 1 },
	};
	size_t len;
	void *chain;

	CHECK_EQ_INT(scale_chain(1ull << 40, 1ull << 32, (1ull << 32) + 16,
				 &chain, &len), 0);
	CHECK_EQ_INT(gconv_golden_run_chain_mapped(chain, len, r, 2, NULL), 0);
	CHECK_ARRAY_NEAR(act + 4, want, 4, 0, 0);
	free(chain);
}

TEST(mapped_output_in_read_only_region_is_rejected)
{
	float w[4] = { 1, 2, 3, 4 }, act[4] = { 1, 1, 1, 1 };
	const float w_copy[4] = { 1, 2, 3, 4 };
	struct gconv_region r[2] = {
		{ 1ull << 40, sizeof(w), w, 0 },
		{ 1ull << 32, sizeof(act), act, 1 },
	};
	struct gconv_verror err;
	size_t len;
	void *chain;

	CHECK_EQ_INT(scale_chain(1ull << 40, 1ull << 32, 1ull << 40, &chain,
				 &len), 0);
	CHECK_EQ_INT(gconv_golden_run_chain_mapped(chain, len, r, 2, &err),
		     -EINVAL);
	CHECK_EQ_INT(err.code, GCONV_VERR_READ_ONLY);
	CHECK_EQ_INT(err.operand, 'O');
	CHECK_ARRAY_NEAR(w, w_copy, 4, 0, 0);
	free(chain);
}

TEST(mapped_operand_straddling_two_regions_is_rejected)
{
	float a[4] = { 0 }, b[4] = { 0 };
	/* two regions adjacent in the address space but not in the host */
	struct gconv_region r[2] = {
		{ 4096, sizeof(a), a, 1 },
		{ 4096 + sizeof(a), sizeof(b), b, 1 },
	};
	struct gconv_verror err;
	size_t len;
	void *chain;

	CHECK_EQ_INT(scale_chain(4096, 4096, 4096 + 8, &chain, &len), 0);
	CHECK_EQ_INT(gconv_golden_run_chain_mapped(chain, len, r, 2, &err),
		     -EINVAL);
	CHECK_EQ_INT(err.code, GCONV_VERR_OUT_OF_RANGE);
	CHECK_EQ_INT(err.operand, 'O');
	free(chain);
}

static const struct test tests[] = {
	T(mapped_regions_resolve_each_operand),
	T(mapped_output_in_read_only_region_is_rejected),
	T(mapped_operand_straddling_two_regions_is_rejected),
	T(sample_network_matches_direct_computation),
	T(softmax_output_sums_to_one),
	T(invalid_chain_changes_nothing),
	T(operand_outside_memory_is_rejected_before_running),
	T(error_message_names_descriptor_operand_and_field),
};

int main(int argc, char **argv)
{
	return HARNESS_MAIN(tests);
}
