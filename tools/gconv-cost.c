// SPDX-License-Identifier: MIT
/*
 * gconv-cost: what a model costs on a convolution accelerator running GCONV
 * chains, against the two end-to-end designs the GCONV Chain paper argues
 * against (matrix/vector and dedicated units), with the analytical model of
 * libgconvdev/include/gconv/cost.h (docs/cost-model.md).
 *
 *	gconv-cost model.onnx
 *	gconv-cost --json --glb 216 --pe 16x16 model.gcm
 *	gconv-cost --eyeriss-alexnet	# the validation against Eyeriss
 *
 * Exit status: 0 success, 1 the model could not be compiled, loaded or
 * costed, 2 usage error.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include <gconv/cost.h>
#include <gconv/engine.h>
#include <gconv/model.h>

#include "tool_msg.h"

#define PROG  "gconv-cost"

#define usage_error(...) tool_usage_error(PROG, __VA_ARGS__)
#define fail(...) tool_fail(PROG, __VA_ARGS__)
#define NARCH GCONV_COST_ARCH_COUNT

static void usage(FILE *f)
{
	fprintf(f,
		"usage: " PROG " [options] MODEL.onnx|MODEL.gcm\n"
		"       " PROG " [options] --eyeriss-alexnet\n"
		"\n"
		"Estimate cycles, DRAM traffic and energy of a model on a "
		"convolution\n"
		"accelerator running GCONV chains (GCONV Chain), and on the "
		"two baselines\n"
		"the GCONV Chain paper compares with: matrix/vector (im2col "
		"GEMM on a\n"
		"systolic array + vector unit) and dedicated units (the "
		"array + one NVDLA-\n"
		"sized unit per layer kind).  docs/cost-model.md describes "
		"the model.\n"
		"\n"
		"  --json              print JSON instead of tables\n"
		"  --per-layer         one row per ONNX layer, then the "
		"total (default)\n"
		"  --total             only the total\n"
		"  --pe RxC            PE array rows x columns (default "
		"12x14)\n"
		"  --glb KB            global buffer in KiB (default 108)\n"
		"  --rf BYTES          register file per PE (default 520)\n"
		"  --dram B            DRAM bytes per cycle (default 2.4)\n"
		"  --word BYTES        bytes per element (default 2; 0: the "
		"model's types)\n"
		"  --im2col-onchip     matrix/vector: expand im2col on chip, "
		"not in DRAM\n"
		"  --units-standalone  dedicated units: one layer at a time "
		"from DRAM, no\n"
		"                      fused (on-the-fly) mode\n"
		"  --mapping           show each GCONV's chosen mapping (with "
		"--per-layer)\n"
		"  --timing            measure the mapping search per "
		"GCONV\n"
		"  --eyeriss-alexnet   cost the original AlexNet CONV1-5 "
		"(batch 4) and\n"
		"                      compare with Eyeriss's published "
		"figures\n"
		"  -h, --help          show this help\n"
		"\n"
		"An ONNX model is compiled twice: as usual for GCONV Chain, "
		"and without\n"
		"fusion or BatchNorm folding for the baselines, which charge "
		"every ONNX\n"
		"layer.  A .gcm is already fused: the baselines then split "
		"fused\n"
		"activations back out, but cannot see folded BatchNorms.\n"
		"\n"
		"Exit status: 0 success, 1 the model could not be compiled, "
		"loaded or\n"
		"costed, 2 usage error.\n");
}

struct opts {
	struct gconv_cost_params p;
	int json, total_only, mapping, timing, eyeriss;
	const char *model;
};

/* ---- options ------------------------------------------------------------ */

static int parse_u32(const char *s, uint32_t lo, uint32_t hi, uint32_t *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-' || v < lo || v > hi)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

static int parse_double(const char *s, double lo, double hi, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(v) || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

static int parse_pe(const char *s, struct gconv_cost_params *p)
{
	char buf[64], *x;

	if (strlen(s) >= sizeof(buf))
		return -1;
	strcpy(buf, s);
	x = strchr(buf, 'x');
	if (!x)
		return -1;
	*x = 0;
	if (parse_u32(buf, 1, 4096, &p->pe_rows) ||
	    parse_u32(x + 1, 1, 4096, &p->pe_cols))
		return -1;
	return 0;
}

/* Option @a's value: "--opt VALUE" or "--opt=VALUE". */
static const char *opt_value(int argc, char **argv, int *i, const char *name)
{
	size_t n = strlen(name);
	const char *a = argv[*i];

	if (!strcmp(a, name))
		return *i + 1 < argc ? argv[++*i] : NULL;
	if (!strncmp(a, name, n) && a[n] == '=')
		return a + n + 1;
	return NULL;
}

static int is_opt(const char *a, const char *name)
{
	size_t n = strlen(name);

	return !strncmp(a, name, n) && (a[n] == 0 || a[n] == '=');
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	int i;

	memset(o, 0, sizeof(*o));
	gconv_cost_params_default(&o->p);
	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v;
		uint32_t u;

		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			return 1;
		} else if (!strcmp(a, "--json")) {
			o->json = 1;
		} else if (!strcmp(a, "--total")) {
			o->total_only = 1;
		} else if (!strcmp(a, "--per-layer")) {
			o->total_only = 0;
		} else if (!strcmp(a, "--mapping")) {
			o->mapping = 1;
		} else if (!strcmp(a, "--timing")) {
			o->timing = 1;
		} else if (!strcmp(a, "--eyeriss-alexnet")) {
			o->eyeriss = 1;
		} else if (!strcmp(a, "--im2col-onchip")) {
			o->p.flags |= GCONV_COST_P_IM2COL_ONCHIP;
		} else if (!strcmp(a, "--units-standalone")) {
			o->p.flags |= GCONV_COST_P_UNITS_STANDALONE;
		} else if (is_opt(a, "--pe")) {
			v = opt_value(argc, argv, &i, "--pe");
			if (!v || parse_pe(v, &o->p))
				return usage_error("--pe needs ROWSxCOLS, "
						   "each 1..4096");
		} else if (is_opt(a, "--glb")) {
			double kb;

			v = opt_value(argc, argv, &i, "--glb");
			if (!v || parse_double(v, 0.0625, 1073741824.0, &kb))
				return usage_error("--glb needs KiB, 0.0625.."
						   "2^30");
			o->p.glb_bytes = (uint64_t)(kb * 1024);
		} else if (is_opt(a, "--rf")) {
			v = opt_value(argc, argv, &i, "--rf");
			if (!v || parse_u32(v, 16, 1u << 24, &u))
				return usage_error("--rf needs BYTES, 16.."
						   "16777216");
			o->p.rf_bytes = u;
		} else if (is_opt(a, "--dram")) {
			v = opt_value(argc, argv, &i, "--dram");
			if (!v || parse_double(v, 1e-6, 1e12,
					       &o->p.dram_bytes_per_cycle))
				return usage_error("--dram needs bytes per "
						   "cycle, > 0");
		} else if (is_opt(a, "--word")) {
			v = opt_value(argc, argv, &i, "--word");
			if (!v || parse_u32(v, 0, 16, &u))
				return usage_error("--word needs BYTES, 0..16");
			o->p.word_bytes = u;
		} else if (!strcmp(a, "--")) {
			if (i + 1 < argc && !o->model)
				o->model = argv[++i];
			if (i + 1 < argc)
				return usage_error("unexpected argument '%s'",
						   argv[i + 1]);
			break;
		} else if (a[0] == '-' && a[1]) {
			return usage_error("unknown option '%s'", a);
		} else if (o->model) {
			return usage_error("more than one model given ('%s')",
					   a);
		} else {
			o->model = a;
		}
	}
	if (o->eyeriss && o->model)
		return usage_error("--eyeriss-alexnet takes no model ('%s')",
				   o->model);
	if (!o->eyeriss && !o->model)
		return usage_error("%s", "no model given");
	if (o->model && !*o->model)
		return usage_error("%s", "empty model path");
	/* NVDLA's units keep their ratio to the MAC array: 1 element per
	 * cycle for 168 MACs */
	for (i = 0; i < GCONV_COST_KIND_COUNT; i++)
		if (i != GCONV_COST_KIND_CONV)
			o->p.unit_rate[i] = o->p.pe_rows * o->p.pe_cols / 168.0;
	if (gconv_cost_params_check(&o->p))
		return usage_error("%s",
				   "parameters out of range (the "
				   "register file must hold a few words)");
	return 0;
}

/* ---- per-layer results ------------------------------------------------- */

/* The mapping search's time per GCONV (--timing). */
struct timing {
	double mean_us, worst_us;
	uint32_t worst, worst_tag, count;
};

/* What the three architectures cost for one ONNX node. */
struct row {
	int any[NARCH];
	uint32_t kind;
	int fused; /* no GCONV of its own in the GCONV chain */
	struct gconv_cost c[NARCH];
	struct gconv_cost_mapping map; /* GCONV Chain, single GCONV */
	int mapped;
};

/* Variants of the baselines, totals only (docs/cost-model.md). */
enum { V_IM2COL_ONCHIP, V_UNITS_STANDALONE, NVAR };

static const char *const variant_key[NVAR] = { "matvec_im2col_onchip",
					       "dedicated_standalone" };

struct result {
	uint32_t nnodes;
	struct row *rows; /* nnodes + 1: the last is output copies */
	struct gconv_cost total[NARCH];
	struct gconv_cost variant[NVAR];
	uint32_t gconvs, layers;
	const char *baseline_from;
};

static const char *node_op(const struct gconv_model *m, uint32_t tag)
{
	const char *op = gconv_model_node_op(m, tag);

	return op ? op : "-";
}

static const char *node_name(const struct gconv_model *m, uint32_t tag)
{
	const char *n = gconv_model_node_name(m, tag);

	return n ? n : "(output copy)";
}

/* The byte ranges of the model's outputs (live at the chain's end). */
static struct gconv_cost_range *output_ranges(const struct gconv_model *m,
					      uint32_t *n)
{
	struct gconv_cost_range *r;
	uint32_t i;

	*n = gconv_model_num_outputs(m);
	r = calloc(*n ? *n : 1, sizeof(*r));
	if (!r)
		return NULL;
	for (i = 0; i < *n; i++) {
		const struct gconv_tensor_info *t = gconv_model_output(m, i);

		r[i].addr = t->addr;
		r[i].size = t->elems * gconv_dtype_size(t->dtype);
	}
	return r;
}

/* Cost @m's chain on @arch and add each layer into the rows; or, for a
 * @variant >= 0 of the baselines, only its total. */
static int cost_model(const struct opts *o, const struct gconv_model *m,
		      uint32_t arch, uint32_t flags, int variant,
		      struct result *res)
{
	struct gconv_cost_params p = o->p;
	const struct gconv_chain_header *h;
	struct gconv_cost_range *outs;
	struct gconv_cost_layer *layers;
	uint8_t *kinds;
	uint32_t nouts, nl = 0, i, count;
	size_t len;
	int r;

	h = gconv_model_chain(m, &len);
	count = h->count;
	outs = output_ranges(m, &nouts);
	kinds = calloc(count, 1);
	layers = calloc(2 * (size_t)count, sizeof(*layers));
	if (!outs || !kinds || !layers) {
		free(outs);
		free(kinds);
		free(layers);
		return fail("out of memory");
	}
	for (i = 0; i < count; i++) {
		const struct gconv_desc *d = gconv_chain_desc(h, i);

		kinds[i] = (uint8_t)gconv_cost_kind_of_op(
			gconv_model_node_op(m, d->tag));
	}
	if (variant == V_IM2COL_ONCHIP)
		p.flags |= GCONV_COST_P_IM2COL_ONCHIP;
	if (variant == V_UNITS_STANDALONE)
		p.flags |= GCONV_COST_P_UNITS_STANDALONE;
	r = gconv_cost_layers(
		&p, arch, h, len, kinds, flags, outs, nouts, layers, 2 * count,
		&nl, variant >= 0 ? &res->variant[variant] : &res->total[arch]);
	if (r) {
		free(outs);
		free(kinds);
		free(layers);
		return fail("%s: %s model: %s", o->model,
			    gconv_cost_arch_name(arch), gconv_cost_strerror(r));
	}
	for (i = 0; i < nl && variant < 0; i++) {
		uint32_t t = layers[i].tag < res->nnodes ? layers[i].tag
							 : res->nnodes;
		struct row *rw = &res->rows[t];

		rw->any[arch] = 1;
		rw->kind = layers[i].kind;
		gconv_cost_add(&rw->c[arch], &layers[i].cost);
		if (arch == GCONV_COST_ARCH_CHAIN) {
			rw->map = layers[i].cost.map;
			rw->mapped =
				layers[i].count == 1 &&
				(layers[i].cost.flags & GCONV_COST_R_MAPPED);
		}
	}
	if (arch != GCONV_COST_ARCH_CHAIN && variant < 0)
		res->layers = nl;
	free(outs);
	free(kinds);
	free(layers);
	return 0;
}

static int is_gcm(const char *path)
{
	char magic[8] = { 0 };
	FILE *f = fopen(path, "rb");
	size_t n;

	if (!f)
		return 0;
	n = fread(magic, 1, sizeof(magic), f);
	fclose(f);
	return n == sizeof(magic) && !memcmp(magic, "GCONVGCM", 8);
}

static int open_model(const char *path, uint32_t flags, struct gconv_model **m)
{
	struct gconv_compile_opts co = { 0 };
	char err[512] = "";
	int r;

	co.flags = flags;
	r = gconv_model_open(path, &co, m, err, sizeof(err));
	if (r)
		return fail("%s: %s", path, err[0] ? err : strerror(-r));
	return 0;
}

static int measure(const struct opts *o, const struct gconv_model *m,
		   struct timing *t);

/*
 * GCONV Chain on the model as compiled; the baselines on an unfused
 * compile of an ONNX model (every ONNX layer its own GCONVs), or on the
 * .gcm's chain with fused activations split out.  *@m is left holding a
 * model with the node names for printing.
 */
static int run_model(const struct opts *o, struct gconv_model **m,
		     struct result *res, struct timing *tm)
{
	struct gconv_model *fused = NULL, *base = NULL;
	uint32_t a, flags;
	int gcm = is_gcm(o->model), r;

	if (open_model(o->model, 0, &fused))
		return 1;
	*m = fused;
	res->nnodes = gconv_model_node_count(fused);
	res->rows = calloc((size_t)res->nnodes + 1, sizeof(*res->rows));
	if (!res->rows)
		return fail("out of memory");
	res->gconvs = gconv_model_gconv_count(fused);
	r = cost_model(o, fused, GCONV_COST_ARCH_CHAIN, 0, -1, res);
	if (!r && o->timing)
		r = measure(o, fused, tm);
	if (r)
		return r;
	if (!gcm) {
		/* one compiled model at a time: VGG's weights are large */
		gconv_model_free(fused);
		*m = NULL;
		if (open_model(o->model,
			       GCONV_COMPILE_NO_FUSE | GCONV_COMPILE_NO_FOLD_BN,
			       &base))
			return 1;
		*m = base;
		if (gconv_model_node_count(base) != res->nnodes)
			return fail("%s: the two compilations disagree on the "
				    "node count",
				    o->model);
	}
	res->baseline_from = base ? "unfused compile"
				  : "this chain, fused activations split";
	flags = base ? 0 : GCONV_COST_F_SPLIT_POST;
	for (a = GCONV_COST_ARCH_MATVEC; !r && a < NARCH; a++)
		r = cost_model(o, *m, a, flags, -1, res);
	if (!r)
		r = cost_model(o, *m, GCONV_COST_ARCH_MATVEC, flags,
			       V_IM2COL_ONCHIP, res);
	if (!r)
		r = cost_model(o, *m, GCONV_COST_ARCH_DEDICATED, flags,
			       V_UNITS_STANDALONE, res);
	return r;
}

/* ---- printing ------------------------------------------------------------ */

static double ratio(const struct gconv_cost *base, const struct gconv_cost *c,
		    int energy)
{
	double b = energy ? base->energy : (double)base->cycles;
	double v = energy ? c->energy : (double)c->cycles;

	return v > 0 ? b / v : 0;
}

static void print_triple(const struct gconv_cost *c, int any)
{
	if (!any) {
		printf(" %10s %9s %10s", "-", "-", "-");
		return;
	}
	printf(" %10.1f %9.3f %10.2f", (double)c->cycles / 1e3,
	       (double)c->dram_bytes / 1e6, c->energy / 1e6);
}

static void print_params(const struct gconv_cost_params *p)
{
	printf("accelerator: %ux%u PEs, RF %u B/PE, GLB %.1f KiB, DRAM %.3g "
	       "B/cycle, ",
	       p->pe_rows, p->pe_cols, p->rf_bytes, (double)p->glb_bytes / 1024,
	       p->dram_bytes_per_cycle);
	if (p->word_bytes)
		printf("%u-bit words", 8 * p->word_bytes);
	else
		printf("the model's element types");
	printf(", %.0f MHz\nenergy per access (MAC = 1): RF %g, NoC %g, GLB "
	       "%g, DRAM %g\n",
	       p->clock_hz / 1e6, p->e_rf, p->e_noc, p->e_glb, p->e_dram);
}

static void print_table(const struct opts *o, const struct gconv_model *m,
			const struct result *res)
{
	const struct gconv_cost *t = res->total;
	uint32_t i, a;

	printf("%s: %u GCONVs; baselines: %u layers (%s)\n", o->model,
	       res->gconvs, res->layers, res->baseline_from);
	print_params(&o->p);
	printf("kcycles, DRAM MB (10^6 bytes) and energy in millions of MAC "
	       "energies\n\n");
	printf("%-4s %-28s %-18s|%-31s|%-31s|%-31s\n", "", "", "",
	       " GCONV Chain", " matrix/vector", " dedicated units");
	printf("%-4s %-28s %-18s|", "#", "layer", "op");
	for (a = 0; a < NARCH; a++)
		printf(" %10s %9s %10s%s", "kcycles", "DRAM MB", "energy",
		       a + 1 < NARCH ? "|" : "\n");
	if (!o->total_only) {
		for (i = 0; i <= res->nnodes; i++) {
			const struct row *rw = &res->rows[i];

			if (!rw->any[0] && !rw->any[1] && !rw->any[2])
				continue;
			if (i < res->nnodes)
				printf("%-4u ", i);
			else
				printf("%-4s ", "-");
			printf("%-28.28s %-18.18s|", node_name(m, i),
			       node_op(m, i));
			for (a = 0; a < NARCH; a++) {
				print_triple(&rw->c[a], rw->any[a]);
				printf("%s", a + 1 < NARCH ? "|" : "\n");
			}
			if (o->mapping && rw->mapped) {
				char buf[256];

				gconv_cost_mapping_format(&rw->map, buf,
							  sizeof(buf));
				printf("     %s\n", buf);
			}
		}
	}
	printf("%-4s %-28s %-18s|", "", "total", "");
	for (a = 0; a < NARCH; a++) {
		print_triple(&t[a], 1);
		printf("%s", a + 1 < NARCH ? "|" : "\n");
	}
	printf("\nGCONV Chain: %.3f ms at %.0f MHz, %.1f%% PE utilisation, "
	       "%.2f MB DRAM\n",
	       (double)t[0].cycles / o->p.clock_hz * 1e3, o->p.clock_hz / 1e6,
	       100 * t[0].utilization, (double)t[0].dram_bytes / 1e6);
	printf("speedup of GCONV Chain:      %.2fx over matrix/vector, %.2fx "
	       "over dedicated units\n",
	       ratio(&t[1], &t[0], 0), ratio(&t[2], &t[0], 0));
	printf("energy efficiency gain:      %.2fx over matrix/vector, %.2fx "
	       "over dedicated units\n",
	       ratio(&t[1], &t[0], 1), ratio(&t[2], &t[0], 1));
	printf("variants: matrix/vector with im2col on chip %.2fx / %.2fx, "
	       "dedicated units\n          one layer at a time %.2fx / %.2fx "
	       "(speedup / energy gain)\n",
	       ratio(&res->variant[V_IM2COL_ONCHIP], &t[0], 0),
	       ratio(&res->variant[V_IM2COL_ONCHIP], &t[0], 1),
	       ratio(&res->variant[V_UNITS_STANDALONE], &t[0], 0),
	       ratio(&res->variant[V_UNITS_STANDALONE], &t[0], 1));
	printf("(the paper reports 3.4x performance and 3.2x energy "
	       "efficiency on average over seven CNNs)\n");
}

static void jadd_u64(json_object *j, const char *k, uint64_t v)
{
	/* json-c's int64 holds every count below 2^63; saturate above */
	json_object_object_add(
		j, k,
		json_object_new_int64(v > INT64_MAX ? INT64_MAX : (int64_t)v));
}

static json_object *jcost_full(const struct gconv_cost *c)
{
	json_object *j = json_object_new_object();

	jadd_u64(j, "cycles", c->cycles);
	jadd_u64(j, "compute_cycles", c->compute_cycles);
	jadd_u64(j, "dram_cycles", c->dram_cycles);
	jadd_u64(j, "macs", c->macs);
	jadd_u64(j, "dram_bytes", c->dram_bytes);
	jadd_u64(j, "rf_accesses", c->rf);
	jadd_u64(j, "noc_accesses", c->noc);
	jadd_u64(j, "glb_accesses", c->glb);
	jadd_u64(j, "dram_accesses", c->dram);
	json_object_object_add(j, "energy", json_object_new_double(c->energy));
	json_object_object_add(j, "utilization",
			       json_object_new_double(c->utilization));
	return j;
}

static json_object *jparams(const struct gconv_cost_params *p)
{
	json_object *j = json_object_new_object();

	json_object_object_add(j, "pe_rows",
			       json_object_new_int((int32_t)p->pe_rows));
	json_object_object_add(j, "pe_cols",
			       json_object_new_int((int32_t)p->pe_cols));
	json_object_object_add(j, "rf_bytes",
			       json_object_new_int64(p->rf_bytes));
	jadd_u64(j, "glb_bytes", p->glb_bytes);
	json_object_object_add(j, "dram_bytes_per_cycle",
			       json_object_new_double(p->dram_bytes_per_cycle));
	json_object_object_add(j, "word_bytes",
			       json_object_new_int((int32_t)p->word_bytes));
	json_object_object_add(j, "clock_hz",
			       json_object_new_double(p->clock_hz));
	json_object_object_add(j, "e_mac", json_object_new_double(p->e_mac));
	json_object_object_add(j, "e_rf", json_object_new_double(p->e_rf));
	json_object_object_add(j, "e_noc", json_object_new_double(p->e_noc));
	json_object_object_add(j, "e_glb", json_object_new_double(p->e_glb));
	json_object_object_add(j, "e_dram", json_object_new_double(p->e_dram));
	json_object_object_add(j, "im2col_onchip",
			       json_object_new_boolean(!!(
				       p->flags & GCONV_COST_P_IM2COL_ONCHIP)));
	json_object_object_add(
		j, "units_standalone",
		json_object_new_boolean(
			!!(p->flags & GCONV_COST_P_UNITS_STANDALONE)));
	return j;
}

static const char *const arch_key[NARCH] = { "gconv_chain", "matvec",
					     "dedicated" };

static int print_json(const struct opts *o, const struct gconv_model *m,
		      const struct result *res, const struct timing *tm)
{
	json_object *doc = json_object_new_object(), *layers, *tot;
	const struct gconv_cost *t = res->total;
	uint32_t i, a;

	json_object_object_add(doc, "model", json_object_new_string(o->model));
	json_object_object_add(doc, "gconvs",
			       json_object_new_int64(res->gconvs));
	json_object_object_add(doc, "baseline_layers",
			       json_object_new_int64(res->layers));
	json_object_object_add(doc, "params", jparams(&o->p));
	if (!o->total_only) {
		layers = json_object_new_array();
		for (i = 0; i <= res->nnodes; i++) {
			const struct row *rw = &res->rows[i];
			json_object *l;

			if (!rw->any[0] && !rw->any[1] && !rw->any[2])
				continue;
			l = json_object_new_object();
			if (i < res->nnodes)
				json_object_object_add(
					l, "node", json_object_new_int64(i));
			json_object_object_add(
				l, "name",
				json_object_new_string(node_name(m, i)));
			json_object_object_add(
				l, "op", json_object_new_string(node_op(m, i)));
			json_object_object_add(
				l, "kind",
				json_object_new_string(
					gconv_cost_kind_name(rw->kind)));
			for (a = 0; a < NARCH; a++)
				json_object_object_add(
					l, arch_key[a],
					rw->any[a] ? jcost_full(&rw->c[a])
						   : NULL);
			if (rw->mapped) {
				char buf[256];

				gconv_cost_mapping_format(&rw->map, buf,
							  sizeof(buf));
				json_object_object_add(
					l, "mapping",
					json_object_new_string(buf));
			}
			json_object_array_add(layers, l);
		}
		json_object_object_add(doc, "layers", layers);
	}
	tot = json_object_new_object();
	for (a = 0; a < NARCH; a++)
		json_object_object_add(tot, arch_key[a], jcost_full(&t[a]));
	json_object_object_add(tot, "speedup_vs_matvec",
			       json_object_new_double(ratio(&t[1], &t[0], 0)));
	json_object_object_add(tot, "speedup_vs_dedicated",
			       json_object_new_double(ratio(&t[2], &t[0], 0)));
	json_object_object_add(tot, "energy_ratio_vs_matvec",
			       json_object_new_double(ratio(&t[1], &t[0], 1)));
	json_object_object_add(tot, "energy_ratio_vs_dedicated",
			       json_object_new_double(ratio(&t[2], &t[0], 1)));
	for (a = 0; a < NVAR; a++) {
		json_object *v = json_object_new_object();
		const struct gconv_cost *vc = &res->variant[a];

		json_object_object_add(v, "total", jcost_full(vc));
		json_object_object_add(
			v, "speedup",
			json_object_new_double(ratio(vc, &t[0], 0)));
		json_object_object_add(
			v, "energy_ratio",
			json_object_new_double(ratio(vc, &t[0], 1)));
		json_object_object_add(tot, variant_key[a], v);
	}
	json_object_object_add(doc, "total", tot);
	if (tm) {
		json_object_object_add(doc, "search_us_mean",
				       json_object_new_double(tm->mean_us));
		json_object_object_add(doc, "search_us_worst",
				       json_object_new_double(tm->worst_us));
	}
	puts(json_object_to_json_string_ext(
		doc, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED));
	json_object_put(doc);
	return 0;
}

/* ---- timing -----------------------------------------------------------------
 */

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

/* The mapping search per GCONV: the best of 5 runs each, then the
 * largest and the mean over the chain. */
static int measure(const struct opts *o, const struct gconv_model *m,
		   struct timing *t)
{
	const struct gconv_chain_header *h = gconv_model_chain(m, NULL);
	double sum = 0;
	uint32_t i;

	memset(t, 0, sizeof(*t));
	for (i = 0; i < h->count; i++) {
		const struct gconv_desc *d = gconv_chain_desc(h, i);
		double best = INFINITY;
		int k;

		for (k = 0; k < 5; k++) {
			struct gconv_cost c;
			double t0 = now_us();

			if (gconv_cost_desc(&o->p, d, &c))
				return fail("GCONV %u: cannot be costed", i);
			t0 = now_us() - t0;
			if (t0 < best)
				best = t0;
		}
		sum += best;
		if (best > t->worst_us) {
			t->worst_us = best;
			t->worst = i;
			t->worst_tag = d->tag;
		}
	}
	t->mean_us = sum / h->count;
	t->count = h->count;
	return 0;
}

static void print_timing(const struct gconv_model *m, const struct timing *t)
{
	printf("mapping search: %.0f us mean, %.0f us worst (GCONV %u: %s "
	       "%s) over %u GCONVs\n",
	       t->mean_us, t->worst_us, t->worst, node_op(m, t->worst_tag),
	       node_name(m, t->worst_tag), t->count);
}

/* ---- the validation against Eyeriss -----------------------------------------
 */

/*
 * The original AlexNet's five convolutions as Eyeriss ran them (JSSC 2017,
 * Table V): batch 4, 16-bit, 227x227 input; CONV2, CONV4 and CONV5 in two
 * groups.  Eyeriss's published figures, as recalled: latency, MACs,
 * global buffer and DRAM accesses per layer (MB = 10^6 bytes).
 */
struct eyeriss_layer {
	const char *name;
	uint32_t g, k, c, h, r, stride, pad;
	double ms, gmacs, glb_mb, dram_mb;
};

static const struct eyeriss_layer eyeriss[] = {
	{ "CONV1", 1, 96, 3, 227, 11, 4, 0, 20.9, 0.42, 18.5, 5.0 },
	{ "CONV2", 2, 128, 48, 27, 5, 1, 2, 41.9, 0.90, 77.6, 4.0 },
	{ "CONV3", 1, 384, 256, 13, 3, 1, 1, 23.6, 0.60, 50.2, 3.0 },
	{ "CONV4", 2, 192, 192, 13, 3, 1, 1, 18.4, 0.45, 37.4, 2.1 },
	{ "CONV5", 2, 128, 192, 13, 3, 1, 1, 10.5, 0.30, 24.9, 1.3 },
};

#define EYERISS_BATCH 4u

static void set_strides(struct gconv_operand *op, uint64_t n, uint64_t g,
			uint64_t k, uint64_t c, uint64_t row, uint64_t col)
{
	const uint64_t s[GCONV_SLOTS] = { n, g, k, c, row, col };

	memcpy(op->stride, s, sizeof(s));
	op->dtype = GCONV_DTYPE_F32;
}

/* A grouped convolution with bias as the compiler lowers Conv. */
static void eyeriss_desc(const struct eyeriss_layer *l, struct gconv_desc *d)
{
	uint32_t h = l->h, p = (h + 2 * l->pad - l->r) / l->stride + 1;
	uint64_t chw = (uint64_t)l->c * h * h,
		 crs = (uint64_t)l->c * l->r * l->r;

	gconv_desc_init(d);
	d->n = EYERISS_BATCH;
	d->g = l->g;
	d->k = l->k;
	d->c = l->c;
	d->p = d->q = p;
	d->r = d->s = l->r;
	d->in_h = d->in_w = h;
	d->stride_h = d->stride_w = l->stride;
	d->pad_top = d->pad_bottom = d->pad_left = d->pad_right = l->pad;
	d->main = GCONV_MAIN_MUL;
	d->reduce = GCONV_REDUCE_SUM;
	d->combine = GCONV_COMBINE_ADD;
	d->post = GCONV_POST_RELU;
	set_strides(&d->x, l->g * chw, chw, 0, (uint64_t)h * h, h, 1);
	set_strides(&d->y, 0, (uint64_t)l->k * crs, crs, (uint64_t)l->r * l->r,
		    l->r, 1);
	set_strides(&d->b, 0, l->k, 1, 0, 0, 0);
	set_strides(&d->o, (uint64_t)l->g * l->k * p * p,
		    (uint64_t)l->k * p * p, (uint64_t)p * p, 0, p, 1);
}

static double err_pct(double model, double paper)
{
	return 100 * (model - paper) / paper;
}

static int run_eyeriss(const struct opts *o)
{
	const size_t n = sizeof(eyeriss) / sizeof(eyeriss[0]);
	double tm = 0, tp = 0, dm = 0, dp = 0, gm = 0, gp = 0;
	json_object *doc = NULL, *arr = NULL;
	size_t i;
	double wb = o->p.word_bytes ? o->p.word_bytes : 4;

	if (o->json) {
		doc = json_object_new_object();
		arr = json_object_new_array();
		json_object_object_add(doc, "params", jparams(&o->p));
	} else {
		printf("Eyeriss (Chen et al., JSSC 2017, Table V as recalled): "
		       "the original AlexNet's\nCONV1-5, batch %u; model "
		       "with the parameters below, no per-layer tuning\n",
		       EYERISS_BATCH);
		print_params(&o->p);
		printf("\n%-6s %6s | %8s %8s %7s | %8s %8s %7s | %8s %8s %7s | "
		       "%s\n",
		       "layer", "GMACs", "ms", "paper", "error", "DRAM MB",
		       "paper", "error", "GLB MB", "paper", "error", "mapping");
	}
	for (i = 0; i < n; i++) {
		const struct eyeriss_layer *l = &eyeriss[i];
		struct gconv_desc d;
		struct gconv_cost c;
		double ms, dram, glb;
		char map[256];
		int r;

		eyeriss_desc(l, &d);
		r = gconv_cost_desc(&o->p, &d, &c);
		if (r) {
			json_object_put(doc);
			return fail("%s: %s", l->name, gconv_cost_strerror(r));
		}
		ms = (double)c.cycles / o->p.clock_hz * 1e3;
		dram = (double)c.dram_bytes / 1e6;
		glb = (double)c.glb * wb / 1e6;
		tm += ms;
		tp += l->ms;
		dm += dram;
		dp += l->dram_mb;
		gm += glb;
		gp += l->glb_mb;
		gconv_cost_mapping_format(&c.map, map, sizeof(map));
		if (o->json) {
			json_object *e = json_object_new_object();

			json_object_object_add(e, "layer",
					       json_object_new_string(l->name));
			json_object_object_add(e, "model", jcost_full(&c));
			json_object_object_add(e, "ms",
					       json_object_new_double(ms));
			json_object_object_add(e, "paper_ms",
					       json_object_new_double(l->ms));
			json_object_object_add(e, "dram_mb",
					       json_object_new_double(dram));
			json_object_object_add(
				e, "paper_dram_mb",
				json_object_new_double(l->dram_mb));
			json_object_object_add(e, "glb_mb",
					       json_object_new_double(glb));
			json_object_object_add(
				e, "paper_glb_mb",
				json_object_new_double(l->glb_mb));
			json_object_object_add(e, "mapping",
					       json_object_new_string(map));
			json_object_array_add(arr, e);
			continue;
		}
		printf("%-6s %6.2f | %8.1f %8.1f %+6.0f%% | %8.2f %8.1f "
		       "%+6.0f%% | %8.1f %8.1f %+6.0f%% | %s\n",
		       l->name, (double)c.macs / 1e9, ms, l->ms,
		       err_pct(ms, l->ms), dram, l->dram_mb,
		       err_pct(dram, l->dram_mb), glb, l->glb_mb,
		       err_pct(glb, l->glb_mb), map);
	}
	if (o->json) {
		json_object_object_add(doc, "layers", arr);
		json_object_object_add(doc, "total_ms",
				       json_object_new_double(tm));
		json_object_object_add(doc, "paper_total_ms",
				       json_object_new_double(tp));
		json_object_object_add(doc, "total_dram_mb",
				       json_object_new_double(dm));
		json_object_object_add(doc, "paper_total_dram_mb",
				       json_object_new_double(dp));
		json_object_object_add(doc, "total_glb_mb",
				       json_object_new_double(gm));
		json_object_object_add(doc, "paper_total_glb_mb",
				       json_object_new_double(gp));
		puts(json_object_to_json_string_ext(
			doc,
			JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED));
		json_object_put(doc);
		return 0;
	}
	printf("%-6s %6s | %8.1f %8.1f %+6.0f%% | %8.2f %8.1f %+6.0f%% | "
	       "%8.1f %8.1f %+6.0f%% |\n",
	       "total", "", tm, tp, err_pct(tm, tp), dm, dp, err_pct(dm, dp),
	       gm, gp, err_pct(gm, gp));
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o;
	struct result res;
	struct timing tm;
	struct gconv_model *m = NULL;
	int r;

	r = parse_args(argc, argv, &o);
	if (r)
		return r == 1 ? 0 : r;
	if (o.eyeriss)
		return run_eyeriss(&o);
	memset(&res, 0, sizeof(res));
	r = run_model(&o, &m, &res, &tm);
	if (!r) {
		if (o.json) {
			r = print_json(&o, m, &res, o.timing ? &tm : NULL);
		} else {
			print_table(&o, m, &res);
			if (o.timing)
				print_timing(m, &tm);
		}
	}
	free(res.rows);
	gconv_model_free(m);
	return r;
}
