// SPDX-License-Identifier: MIT
/*
 * gconv-demo: the foundation's end-to-end demonstration.
 *
 * Builds a small network (conv -> relu -> maxpool -> fc -> softmax) by
 * hand as one GCONV chain, prints the chain one GCONV per line, runs it on
 * the golden engine for a few random inputs and checks every output
 * against the same network computed with plain loops.  Exits 0 only if
 * every output matches.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gconv/engine.h>

#include "../tests/common/sample_chain.h"

static const char *const layer_name[] = {
	"conv 3x3 + bias", "relu (in place)", "maxpool 2x2/2",
	"fc 64->10 + bias", "softmax: max",   "softmax: exp(x-max)",
	"softmax: sum",    "softmax: divide",
};

int main(void)
{
	struct sample_params prm;
	size_t len, mem_size, in_off, out_off;
	const struct gconv_chain_header *h;
	struct gconv_verror err;
	double worst = 0;
	int failures = 0;
	float *mem;
	void *chain;
	uint32_t i;
	int run;

	printf("gconv foundation demo: a hand-written GCONV chain on the "
	       "golden engine.\n"
	       "(The full stack - compiler, device, driver, daemon - is not "
	       "built yet;\n this is the best end-to-end path the project "
	       "has today.)\n\n");

	sample_params_random(&prm, 2026);
	if (sample_chain_build(&prm, &chain, &len, &mem, &mem_size, &in_off,
			       &out_off)) {
		fprintf(stderr, "gconv-demo: cannot build the chain\n");
		return 1;
	}
	h = chain;
	printf("chain: ISA %u.%u, %u GCONVs, %zu bytes\n", h->version_major,
	       h->version_minor, h->count, len);
	for (i = 0; i < h->count; i++) {
		char line[256];

		gconv_desc_format(gconv_chain_desc(h, i), line, sizeof(line));
		printf("  %u %-20s %s\n", i, layer_name[i], line);
	}
	printf("\n");

	for (run = 0; run < 5; run++) {
		float in[SAMPLE_IN], want[SAMPLE_CLASSES], *got;
		int j, best = 0;
		double err_max = 0;

		for (j = 0; j < SAMPLE_IN; j++)
			in[j] = (float)sin(0.37 * j * (run + 1)) *
				(float)(run + 1) / 3.0f;
		memcpy((char *)mem + in_off, in, sizeof(in));
		if (gconv_golden_run_chain(chain, len, mem, mem_size, &err)) {
			char msg[160];

			gconv_verror_format(&err, msg, sizeof(msg));
			fprintf(stderr, "gconv-demo: %s\n", msg);
			return 1;
		}
		got = (float *)((char *)mem + out_off);
		sample_reference(&prm, in, want);
		for (j = 0; j < SAMPLE_CLASSES; j++) {
			double e = fabs(got[j] - want[j]);

			if (e > err_max)
				err_max = e;
			if (got[j] > got[best])
				best = j;
		}
		if (err_max > 1e-6)
			failures++;
		if (err_max > worst)
			worst = err_max;
		printf("input %d: class %d (p=%.4f)  max |engine - direct| = "
		       "%.2e  %s\n",
		       run, best, got[best], err_max,
		       err_max > 1e-6 ? "MISMATCH" : "ok");
	}
	printf("\n%s: 5 inputs, worst error %.2e\n",
	       failures ? "FAILED" : "all outputs match the direct computation",
	       worst);
	free(chain);
	free(mem);
	return failures ? 1 : 0;
}
