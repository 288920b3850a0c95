// SPDX-License-Identifier: MIT
/*
 * The cost of one GCONV on the GCONV Chain accelerator: a PE array with a
 * register file (RF) per PE, a global buffer (GLB) and DRAM.  The model and
 * every formula are described in docs/cost-model.md; in short:
 *
 *  1. Spatial: choose the loops spread over the array (up to two on the
 *     rows, one on the columns) that need the fewest compute cycles,
 *	  compute = prod_d ceil(D_d / spatial_d).
 *     The few mappings that tie are kept for step 2.
 *  2. Array level: for each of them, choose the per-PE tile (what each PE
 *     works through from its RF) and the order in which the array visits
 *     those tiles, for the least on-chip energy (RF, NoC, GLB accesses).
 *  3. DRAM level: independently, choose the GLB tile and its order for the
 *     fewest DRAM words.
 *
 * Steps 1 and 3 do not depend on the RF size and steps 1 and 2 not on the
 * GLB size, and steps 2 and 3 take the minimum over every candidate that
 * fits, from candidate lists that do not depend on the capacities.  So a
 * bigger RF or GLB never gives more cycles or more energy: the unit tests
 * check it.
 *
 * Loop orders are searched per "class" of loops: loops whose index appears
 * in the same operands (X, Y, O) are interchangeable for reuse, so only the
 * order of the classes matters.
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "cost_impl.h"

#define MAX_DIM	 (1u << 24)	  /* as the ISA's max_dim and max_step */
#define MAX_WORK 17592186044416.0 /* 2^44, the ISA's max_work */
#define SPAT_MAX 4		  /* spatial mappings kept for step 2 */
#define CAND_MAX 40		  /* candidates per loop in a list */
#define ORD_MAX	 24		  /* loop-class orders per level */
#define NCLS	 8 /* class signatures: bit 0 X, bit 1 Y, bit 2 O */
/* Tilings a level's search visits at most: realistic layers stay far
 * below (docs/cost-model.md); absurd ones must not take seconds. */
#define SEARCH_BUDGET 50000
#define SIG_ALL	      7

/* ---- small helpers ---------------------------------------------------------
 */

const char *gconv_cost_strerror(int err)
{
	switch (err) {
	case 0:
		return "success";
	case GCONV_COST_EPARAM:
		return "cost model parameter out of range";
	case GCONV_COST_EDESC:
		return "descriptor the cost model cannot take";
	case GCONV_COST_ECHAIN:
		return "malformed chain header";
	case GCONV_COST_ENOSPACE:
		return "nothing fits the buffer space left";
	case GCONV_COST_ERANGE:
		return "result array too small";
	case GCONV_COST_EARG:
		return "missing or unknown argument";
	default:
		return "unknown cost model error";
	}
}

uint64_t gcost_sat(double x)
{
	double r;

	if (!(x > 0))
		return 0;
	r = floor(x + 0.5);
	if (r >= 0x1p64)
		return UINT64_MAX;
	return (uint64_t)r;
}

static uint64_t sat_add(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static double dmin(double a, double b)
{
	return a < b ? a : b;
}

static double dmax(double a, double b)
{
	return a > b ? a : b;
}

/* ---- parameters ------------------------------------------------------------
 */

void gconv_cost_params_default(struct gconv_cost_params *p)
{
	uint32_t k;

	if (!p)
		return;
	memset(p, 0, sizeof(*p));
	p->pe_rows = 12; /* Eyeriss: 12 x 14 PEs */
	p->pe_cols = 14;
	p->rf_bytes = 520;	       /* Eyeriss: 12 + 224 + 24 16-bit words */
	p->word_bytes = 2;	       /* Eyeriss: 16-bit fixed point */
	p->glb_bytes = 108 * 1024;     /* Eyeriss: 108 KB */
	p->dram_bytes_per_cycle = 2.4; /* 64 bits at 60 MHz, core 200 MHz */
	p->clock_hz = 200e6;
	p->e_mac = 1; /* Eyeriss's normalised energies */
	p->e_rf = 1;
	p->e_noc = 2;
	p->e_glb = 6;
	p->e_dram = 200;
	p->vector_lanes = 0; /* one array row: pe_cols */
	for (k = 0; k < GCONV_COST_KIND_COUNT; k++)
		p->unit_rate[k] = 1; /* NVDLA nv_small: 1 per cycle */
}

static int finite_in(double x, double lo, double hi)
{
	return isfinite(x) && x >= lo && x <= hi;
}

int gconv_cost_params_check(const struct gconv_cost_params *p)
{
	uint32_t k;

	if (!p)
		return GCONV_COST_EARG;
	if (p->pe_rows < 1 || p->pe_rows > 4096 || p->pe_cols < 1 ||
	    p->pe_cols > 4096 || p->word_bytes > 16 || p->rf_bytes < 16 ||
	    p->rf_bytes > (1u << 24) || p->glb_bytes < 64 ||
	    p->glb_bytes > (1ull << 40) || p->vector_lanes > (1u << 20) ||
	    (p->flags & ~GCONV_COST_P_ALL))
		return GCONV_COST_EPARAM;
	if (!finite_in(p->dram_bytes_per_cycle, 1e-6, 1e12) ||
	    !finite_in(p->clock_hz, 1, 1e15))
		return GCONV_COST_EPARAM;
	if (!finite_in(p->e_mac, 0, 1e12) || !finite_in(p->e_rf, 0, 1e12) ||
	    !finite_in(p->e_noc, 0, 1e12) || !finite_in(p->e_glb, 0, 1e12) ||
	    !finite_in(p->e_dram, 0, 1e12))
		return GCONV_COST_EPARAM;
	for (k = 0; k < GCONV_COST_KIND_COUNT; k++)
		if (k != GCONV_COST_KIND_CONV &&
		    !finite_in(p->unit_rate[k], 1e-9, 1e9))
			return GCONV_COST_EPARAM;
	return 0;
}

/* ---- the problem -----------------------------------------------------------
 */

/*
 * Real input rows touched by p output rows and r window rows: the span of
 * p*stride + r*dilation, over the input dilation (holes are not stored),
 * but never more than p*r taps nor the input itself.
 */
static double span(double p, double r, double st, double dl, double idl,
		   double in)
{
	double s;

	p = dmax(p, 1);
	r = dmax(r, 1);
	s = ((p - 1) * st + (r - 1) * dl) / idl + 1;
	s = dmin(s, p * r);
	s = dmin(s, in);
	return dmax(s, 1);
}

double gcost_footprint(const struct cprob *pb, int op, const double *t)
{
	double f = 1;
	int d;

	if (op == OX) {
		for (d = DN; d <= DC; d++)
			if (pb->dep[OX][d])
				f *= t[d];
		if (pb->xrow)
			f *= span(t[DP], t[DR], pb->sh, pb->dh, pb->ih,
				  pb->in_h);
		if (pb->xcol)
			f *= span(t[DQ], t[DS], pb->sw, pb->dw, pb->iw,
				  pb->in_w);
		return f;
	}
	for (d = 0; d < ND; d++)
		if (pb->dep[op][d])
			f *= t[d];
	return f;
}

static int dims_ok(const struct gconv_desc *d)
{
	const uint32_t v[] = { d->n,
			       d->g,
			       d->k,
			       d->p,
			       d->q,
			       d->c,
			       d->r,
			       d->s,
			       d->in_h,
			       d->in_w,
			       d->stride_h,
			       d->stride_w,
			       d->dilation_h,
			       d->dilation_w,
			       d->in_dilation_h,
			       d->in_dilation_w };
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		if (v[i] < 1 || v[i] > MAX_DIM)
			return 0;
	return 1;
}

static int ops_ok(const struct gconv_desc *d)
{
	if (d->flags & ~GCONV_DESC_F_ALL)
		return 0;
	if (d->pre >= GCONV_PRE_COUNT || d->main >= GCONV_MAIN_COUNT ||
	    d->reduce >= GCONV_REDUCE_COUNT ||
	    d->combine >= GCONV_COMBINE_COUNT || d->post >= GCONV_POST_COUNT)
		return 0;
	/* the ISA defines no ACCUMULATE for the mean reductions */
	if ((d->flags & GCONV_DESC_F_ACCUMULATE) &&
	    d->reduce >= GCONV_REDUCE_MEAN_ALL)
		return 0;
	return 1;
}

/* Which loops each operand's address depends on: a zero stride
 * broadcasts, so that loop does not grow the operand's footprint. */
static void set_deps(const struct gconv_desc *d, struct cprob *pb)
{
	const struct gconv_operand *x = &d->x, *y = &d->y;
	const struct gconv_operand *bo[2] = { &d->b, &d->o };
	int i, k;

	for (i = 0; i < 4; i++) /* N G K C slots */
		pb->dep[OX][i] = x->stride[i] != 0;
	pb->xrow = x->stride[GCONV_SLOT_ROW] != 0;
	pb->xcol = x->stride[GCONV_SLOT_COL] != 0;
	pb->dep[OX][DP] = pb->dep[OX][DR] = pb->xrow;
	pb->dep[OX][DQ] = pb->dep[OX][DS] = pb->xcol;
	for (i = 0; i < 4; i++)
		pb->dep[OY][i] = y->stride[i] != 0;
	pb->dep[OY][DR] = y->stride[GCONV_SLOT_ROW] != 0;
	pb->dep[OY][DS] = y->stride[GCONV_SLOT_COL] != 0;
	for (k = 0; k < 2; k++) {
		int op = k ? OO : OB;

		for (i = 0; i < 3; i++) /* N G K slots */
			pb->dep[op][i] = bo[k]->stride[i] != 0;
		pb->dep[op][DP] = bo[k]->stride[GCONV_SLOT_ROW] != 0;
		pb->dep[op][DQ] = bo[k]->stride[GCONV_SLOT_COL] != 0;
	}
	for (k = 0; k < NOPS; k++)
		if (!pb->used[k])
			memset(pb->dep[k], 0, sizeof(pb->dep[k]));
}

int gcost_prob_init(const struct gconv_cost_params *p,
		    const struct gconv_desc *d, struct cprob *pb)
{
	const struct gconv_operand *ops[NOPS] = { &d->x, &d->y, &d->b, &d->o };
	const uint32_t dims[ND] = { d->n, d->g, d->k, d->c,
				    d->p, d->q, d->r, d->s };
	double work = 1;
	int i;

	memset(pb, 0, sizeof(*pb));
	if (!dims_ok(d) || !ops_ok(d))
		return GCONV_COST_EDESC;
	for (i = 0; i < ND; i++) {
		pb->D[i] = dims[i];
		work *= dims[i];
	}
	if (work > MAX_WORK)
		return GCONV_COST_EDESC;
	pb->used[OX] = d->main != GCONV_MAIN_TAKE_Y;
	pb->used[OY] = d->main != GCONV_MAIN_TAKE_X;
	pb->used[OB] = d->combine != GCONV_COMBINE_NONE;
	pb->used[OO] = 1;
	for (i = 0; i < NOPS; i++) {
		uint32_t sz = gconv_dtype_size(ops[i]->dtype);

		if (!pb->used[i])
			continue;
		if (!sz)
			return GCONV_COST_EDESC;
		pb->mem_esize[i] = sz;
		pb->esize[i] = p->word_bytes ? p->word_bytes : sz;
	}
	pb->accumulate = !!(d->flags & GCONV_DESC_F_ACCUMULATE);
	pb->sh = d->stride_h;
	pb->sw = d->stride_w;
	pb->dh = d->dilation_h;
	pb->dw = d->dilation_w;
	pb->ih = d->in_dilation_h;
	pb->iw = d->in_dilation_w;
	pb->in_h = d->in_h;
	pb->in_w = d->in_w;
	set_deps(d, pb);
	pb->macs = work;
	pb->outputs = pb->D[DN] * pb->D[DG] * pb->D[DK] * pb->D[DP] * pb->D[DQ];
	for (i = 0; i < NOPS; i++)
		if (pb->used[i])
			pb->total[i] = gcost_footprint(pb, i, pb->D);
	return 0;
}

/* ---- loop classes and orders ------------------------------------------- */

/* Bit 0: X's index contains the loop, bit 1: Y's, bit 2: O's. */
static int sig_of(const struct cprob *pb, int d)
{
	return pb->dep[OX][d] | pb->dep[OY][d] << 1 | pb->dep[OO][d] << 2;
}

struct orders {
	int n;
	int len;		 /* movable classes */
	uint8_t seq[ORD_MAX][6]; /* outermost first */
	/*
	 * irr[o][a]: the classes whose iteration counts multiply operand a's
	 * traffic (a = 0 X, 1 Y, 2 O): those it does not appear in, at or
	 * outside the innermost class it does appear in.  outb[o]: the same
	 * for B, which is read once per output at the end.
	 */
	uint8_t irr[ORD_MAX][3];
	uint8_t outb[ORD_MAX];
	uint8_t brel; /* classes B's index contains */
};

static void order_masks(struct orders *o, int k)
{
	int a, i, j;

	for (a = 0; a < 3; a++) {
		uint8_t m = 0;

		for (j = -1, i = 0; i < o->len; i++)
			if (o->seq[k][i] & (1 << a))
				j = i;
		for (i = 0; i <= j; i++)
			if (!(o->seq[k][i] & (1 << a)))
				m |= (uint8_t)(1u << o->seq[k][i]);
		o->irr[k][a] = m;
	}
	{
		uint8_t m = 0;
		int jb = -1;

		for (i = 0; i < o->len; i++)
			if (o->brel & (1u << o->seq[k][i]))
				jb = i;
		if (jb >= 0 || (o->brel & (1u << SIG_ALL)))
			m |= 1u << SIG_ALL;
		for (i = 0; i < jb; i++)
			m |= (uint8_t)(1u << o->seq[k][i]);
		o->outb[k] = m;
	}
}

static void permute(struct orders *o, uint8_t *cl, int k, int n)
{
	int i;

	if (k == n) {
		if (o->n < ORD_MAX) {
			memcpy(o->seq[o->n], cl, (size_t)n);
			order_masks(o, o->n);
			o->n++;
		}
		return;
	}
	for (i = k; i < n; i++) {
		uint8_t t = cl[k];

		cl[k] = cl[i];
		cl[i] = t;
		permute(o, cl, k + 1, n);
		cl[i] = cl[k];
		cl[k] = t;
	}
}

static void orders_init(const struct cprob *pb, struct orders *o)
{
	uint8_t present[NCLS] = { 0 }, cl[6];
	int d, s, n = 0;

	memset(o, 0, sizeof(*o));
	for (d = 0; d < ND; d++) {
		if (pb->D[d] <= 1)
			continue;
		present[sig_of(pb, d)] = 1;
		if (pb->dep[OB][d])
			o->brel |= (uint8_t)(1u << sig_of(pb, d));
	}
	for (s = 1; s < SIG_ALL; s++)
		if (present[s])
			cl[n++] = (uint8_t)s;
	o->len = n;
	if (n <= 4) {
		permute(o, cl, 0, n);
		return;
	}
	/* five or six classes: for each of X, Y and O, the classes it does
	 * not appear in innermost, in both directions */
	for (s = 0; s < 3; s++) {
		int dir;

		for (dir = 0; dir < 2; dir++) {
			uint8_t seq[6];
			int i, m = 0, pass;

			for (pass = 0; pass < 2; pass++)
				for (i = 0; i < n; i++) {
					int c = cl[dir ? n - 1 - i : i];
					int rel = !!(c & (1 << s));

					if (rel == !pass)
						seq[m++] = (uint8_t)c;
				}
			memcpy(o->seq[o->n], seq, (size_t)n);
			order_masks(o, o->n);
			o->n++;
		}
	}
}

/* Per-class products of iteration counts, for an order's masks. */
struct clsn {
	double n[NCLS];	 /* all loops of the class */
	double nb[NCLS]; /* output loops B's index lacks */
};

static double mask_prod(const double *v, uint8_t m)
{
	static const uint8_t low[16] = { 0, 0, 1, 0, 2, 0, 1, 0,
					 3, 0, 1, 0, 2, 0, 1, 0 };
	double r = 1;

	while (m) {
		r *= v[(m & 15) ? low[m & 15] : 4 + low[m >> 4]];
		m &= (uint8_t)(m - 1);
	}
	return r;
}

/* The loops of a class order, outermost first, for printing: the class
 * every operand's index contains, the order's classes, then the class no
 * operand's index contains. */
static void order_dims(const struct cprob *pb, const struct orders *o, int k,
		       uint8_t *out)
{
	int d, m = 0, pos;

	memset(out, GCONV_COST_NODIM, ND);
	for (pos = -1; pos <= o->len; pos++) {
		int s = pos < 0 ? SIG_ALL : pos == o->len ? 0 : o->seq[k][pos];

		for (d = 0; d < ND; d++)
			if (pb->D[d] > 1 && sig_of(pb, d) == s)
				out[m++] = (uint8_t)d;
	}
}

/* ---- candidate tile sizes ---------------------------------------------- */

/*
 * Tile sizes to try at the DRAM level for a loop of D iterations,
 * ascending: 1, then ceil(D / 2^k) for every power of two below D, the
 * whole loop last.  Only {1, D} for the window loops R and S (@two).
 */
static int cand_list(double D, int two, double *out)
{
	double n;
	int m = 0;

	out[m++] = 1;
	if (D <= 1)
		return m;
	if (two) {
		out[m++] = D;
		return m;
	}
	for (n = 1; n * 2 < D; n *= 2)
		;
	for (; n >= 1 && m < CAND_MAX - 1; n /= 2) {
		double t = ceil(D / n);

		if (t > out[m - 1])
			out[m++] = t;
	}
	if (out[m - 1] < D)
		out[m++] = D;
	return m;
}

/* Per-PE tile sizes: powers of two below the PE's share e, then e. */
static int rf_cands(double e, double *out)
{
	double t;
	int m = 0;

	out[m++] = 1;
	for (t = 2; t < e && m < CAND_MAX - 1; t *= 2)
		out[m++] = t;
	if (e > 1)
		out[m++] = e;
	return m;
}

/*
 * The largest candidate tile of a loop that fits @cap bytes when the other
 * loops' tiles are fixed and the bytes are a + t * b (the loop is not one
 * of X's window loops, so every footprint is linear in it).  Index or -1.
 */
static int largest_fit(const double *cand, int n, double a, double b,
		       double cap)
{
	int lo = 0, hi = n - 1;

	if (a + b > cap)
		return -1;
	while (lo < hi) {
		int mid = (lo + hi + 1) / 2;

		if (a + cand[mid] * b <= cap)
			lo = mid;
		else
			hi = mid - 1;
	}
	return lo;
}

/*
 * PEs that hold the same data of operand @op in one step: those along the
 * loops X's or Y's index lacks (one GLB read is multicast to all of them),
 * and for O those along the reduction loops (their partial sums of the
 * same outputs are merged).
 */
static double copies(const struct cprob *pb, int op, const double *a)
{
	double c = 1;
	int d;

	for (d = 0; d < ND; d++)
		if (op == OO ? (d == DC || d >= DR) : !pb->dep[op][d])
			c *= a[d];
	return c;
}

/* ---- the tiling search shared by the DRAM and array levels -------------- */

struct oncost {
	double rf, noc, glb; /* accesses */
	double energy;	     /* e_rf*rf + e_noc*noc + e_glb*glb */
};

/*
 * One level's search: tiles for each loop (DRAM level: what the GLB holds;
 * array level: what each PE's RF holds) and the order of the tiles.  The
 * loops are enumerated outermost first over capacity-independent candidate
 * lists, stopping at the first size that does not fit (footprints only
 * grow with tiles); for the innermost loop, which is not one of X's window
 * loops, only its largest size that fits is evaluated: every order's cost
 * is non-increasing in that loop's tile.
 */
struct lsearch {
	const struct cprob *pb;
	const struct orders *o;
	const struct gconv_cost_params *p;
	int array;	   /* 1: array level, 0: DRAM level */
	double ext[ND];	   /* iterations of each loop to tile */
	double cap;	   /* bytes */
	int counted[NOPS]; /* operands whose tiles take the space */
	int nh[NOPS][ND];  /* footprint is proportional to the tile */
	int sig[ND];	   /* loop class */
	double cand[ND][CAND_MAX];
	int ncand[ND];
	int loops[ND], nl, all_inner;
	int bound_from;	     /* first level of the loops outside X's window */
	double t[ND], n[ND]; /* current tiles and iteration counts */
	/* DRAM level */
	uint32_t ctx;
	int res[NOPS], keep;
	/* array level */
	double a[ND];	 /* PEs along each loop */
	double cp[NOPS]; /* copies(): multicast / merge factors */
	/* best so far */
	double best; /* DRAM words, or on-chip energy */
	double best_bytes;
	struct oncost best_on;
	double bt[ND];
	int bo;
	long budget; /* tilings left to visit */
	double cut;  /* prune at this cost too: an earlier search's best */
};

static void set_tile(struct lsearch *s, int d, double t)
{
	s->t[d] = t;
	s->n[d] = ceil(s->ext[d] / t);
}

static double xspan(const struct lsearch *s)
{
	const struct cprob *pb = s->pb;
	double f = 1;

	if (pb->xrow)
		f *= span(s->t[DP], s->t[DR], pb->sh, pb->dh, pb->ih, pb->in_h);
	if (pb->xcol)
		f *= span(s->t[DQ], s->t[DS], pb->sw, pb->dw, pb->iw, pb->in_w);
	return f;
}

/* Bytes of the current tiles, given each operand's product over the loops
 * its footprint is proportional to. */
static double tile_bytes(const struct lsearch *s, const double *prod)
{
	double b = 0;
	int op;

	for (op = 0; op < NOPS; op++)
		if (s->counted[op])
			b += prod[op] * s->pb->esize[op] *
			     (op == OX ? xspan(s) : 1);
	return b;
}

static void clsn_init(const struct lsearch *s, struct clsn *c)
{
	int d, sg;

	for (sg = 0; sg < NCLS; sg++)
		c->n[sg] = c->nb[sg] = 1;
	for (d = 0; d < ND; d++) {
		sg = s->sig[d];
		c->n[sg] *= s->n[d];
		if (d <= DQ && d != DC && !s->pb->dep[OB][d])
			c->nb[sg] *= s->n[d];
	}
}

/* Words of X touched over a level whose loops run n times: the loops X's
 * index contains, with the halo between consecutive tiles. */
static double x_base(const struct cprob *pb, const double *n)
{
	double f = 1;
	int d;

	for (d = DN; d <= DC; d++)
		if (pb->dep[OX][d])
			f *= pb->D[d];
	if (pb->xrow)
		f *= n[DP] * n[DR] *
		     span(pb->D[DP] / n[DP], pb->D[DR] / n[DR], pb->sh, pb->dh,
			  pb->ih, pb->in_h);
	if (pb->xcol)
		f *= n[DQ] * n[DS] *
		     span(pb->D[DQ] / n[DQ], pb->D[DS] / n[DS], pb->sw, pb->dw,
			  pb->iw, pb->in_w);
	return f;
}

/* The same, summed over the PEs: each PE receives its own window rows and
 * columns (a[] PEs along each loop). */
static double x_pe_base(const struct cprob *pb, const double *n,
			const double *a)
{
	double f = 1;
	int d;

	for (d = DN; d <= DC; d++)
		if (pb->dep[OX][d])
			f *= pb->D[d];
	if (pb->xrow)
		f *= n[DP] * n[DR] * a[DP] * a[DR] *
		     span(pb->D[DP] / (n[DP] * a[DP]),
			  pb->D[DR] / (n[DR] * a[DR]), pb->sh, pb->dh, pb->ih,
			  pb->in_h);
	if (pb->xcol)
		f *= n[DQ] * n[DS] * a[DQ] * a[DS] *
		     span(pb->D[DQ] / (n[DQ] * a[DQ]),
			  pb->D[DS] / (n[DS] * a[DS]), pb->sw, pb->dw, pb->iw,
			  pb->in_w);
	return f;
}

/*
 * DRAM words of one order (docs/cost-model.md, "DRAM level"): each input's
 * distinct data times the iteration counts of the loops outside it that
 * its index lacks; the output once, plus twice (read back, write again)
 * per extra visit of its partial sums; B once per output visit at the end.
 */
static double dram_order(const struct lsearch *s, const struct clsn *c,
			 double xb, int k, double *bytes)
{
	const struct cprob *pb = s->pb;
	const struct orders *o = s->o;
	double w[NOPS] = { 0 }, tot = 0, by = 0;
	int op;

	if (pb->used[OX] && !s->res[OX])
		w[OX] = xb * mask_prod(c->n, o->irr[k][0]);
	if (pb->used[OY] && !s->res[OY])
		w[OY] = pb->total[OY] * mask_prod(c->n, o->irr[k][1]);
	if (pb->used[OB] && !s->res[OB])
		w[OB] = pb->total[OB] * mask_prod(c->nb, o->outb[k]);
	if (!s->keep)
		w[OO] = pb->total[OO] * (2 * mask_prod(c->n, o->irr[k][2]) - 1);
	else
		w[OO] = pb->total[OO]; /* written through once */
	if (s->ctx & GCONV_COST_CTX_OUT_NOWRITE)
		w[OO] -= pb->total[OO];
	if (pb->accumulate && !(s->ctx & GCONV_COST_CTX_O_RESIDENT))
		w[OO] += pb->total[OO];
	for (op = 0; op < NOPS; op++) {
		tot += w[op];
		by += w[op] * pb->esize[op];
	}
	*bytes = by;
	return tot;
}

/*
 * On-chip accesses of one order at the array level (docs/cost-model.md,
 * "array level"):
 *   GLB reads of X, Y: distinct words x outer iteration counts of the loops
 *                      their index lacks
 *   NoC deliveries:    the words each PE needs (multicast copies included)
 *   RF:                per MAC, the operands read and the partial sum read
 *                      and written; every delivery written; every partial
 *                      sum sent on read
 *   O:                 partial sums of PEs along reduction loops merged
 *                      over the NoC, and spilled to the GLB (written, read
 *                      back) when a reduction loop is outside the output's
 *   B:                 read from the GLB once per output visit at the end
 */
static void array_order(const struct lsearch *s, const struct clsn *c,
			double xg, double xv, int k, struct oncost *r)
{
	const struct cprob *pb = s->pb;
	const struct orders *o = s->o;
	const struct gconv_cost_params *p = s->p;
	double fills = 0, glb = 0, v1, hops, gw, gr, bg = 0;
	int nx = pb->used[OX], ny = pb->used[OY];

	if (nx) {
		double m = mask_prod(c->n, o->irr[k][0]);

		glb += xg * m;
		fills += xv * s->cp[OX] * m;
	}
	if (ny) {
		double m = mask_prod(c->n, o->irr[k][1]);

		glb += pb->total[OY] * m;
		fills += pb->total[OY] * s->cp[OY] * m;
	}
	v1 = mask_prod(c->n, o->irr[k][2]);
	hops = pb->total[OO] * (s->cp[OO] - 1) * v1;
	gw = pb->total[OO] * v1;
	gr = pb->total[OO] * (v1 - 1) + (pb->accumulate ? pb->total[OO] : 0);
	if (pb->used[OB])
		bg = pb->total[OB] * mask_prod(c->nb, o->outb[k]);
	r->rf = pb->macs * (nx + ny + 2) + fills + 2 * hops + gw + gr;
	r->noc = fills + hops + gw + gr + bg;
	r->glb = glb + gw + gr + bg;
	r->energy = p->e_rf * r->rf + p->e_noc * r->noc + p->e_glb * r->glb;
}

/*
 * The least cost over the orders with every loop from @level on at its
 * whole extent: a lower bound for any tiles of those loops, which are all
 * outside X's window (every cost is non-increasing in their tiles).
 */
static double level_bound(struct lsearch *s, int level)
{
	double save[ND], lb = INFINITY;
	struct clsn c;
	int i, k;

	for (i = level; i < s->nl; i++) {
		save[i] = s->t[s->loops[i]];
		set_tile(s, s->loops[i], s->ext[s->loops[i]]);
	}
	clsn_init(s, &c);
	if (!s->array) {
		double xb = x_base(s->pb, s->n), bytes;

		for (k = 0; k < s->o->n; k++)
			lb = dmin(lb, dram_order(s, &c, xb, k, &bytes));
	} else {
		double xg = 0, xv = 0;
		struct oncost r;

		if (s->pb->used[OX]) {
			xg = x_base(s->pb, s->n);
			xv = x_pe_base(s->pb, s->n, s->a);
		}
		for (k = 0; k < s->o->n; k++) {
			array_order(s, &c, xg, xv, k, &r);
			lb = dmin(lb, r.energy);
		}
	}
	for (i = level; i < s->nl; i++)
		set_tile(s, s->loops[i], save[i]);
	return lb;
}

static void level_eval(struct lsearch *s)
{
	struct clsn c;
	int k;

	clsn_init(s, &c);
	if (!s->array) {
		double xb = x_base(s->pb, s->n), bytes, w;

		for (k = 0; k < s->o->n; k++) {
			w = dram_order(s, &c, xb, k, &bytes);
			if (w < s->best) {
				s->best = w;
				s->best_bytes = bytes;
				s->bo = k;
				memcpy(s->bt, s->t, sizeof(s->bt));
			}
		}
		return;
	}
	{
		double xg = 0, xv = 0;
		struct oncost r;

		if (s->pb->used[OX]) {
			xg = x_base(s->pb, s->n);
			xv = x_pe_base(s->pb, s->n, s->a);
		}
		for (k = 0; k < s->o->n; k++) {
			array_order(s, &c, xg, xv, k, &r);
			if (r.energy < s->best) {
				s->best = r.energy;
				s->best_on = r;
				s->bo = k;
				memcpy(s->bt, s->t, sizeof(s->bt));
			}
		}
	}
}

static void level_rec(struct lsearch *s, int level, const double *prod)
{
	int d = s->loops[level], last = level == s->nl - 1, i, hi, op;
	double np[NOPS];

	/* branch and bound: nothing below can beat the best so far (not
	 * worth it for the innermost loop: one evaluation either way) */
	if (level >= s->bound_from && !(last && !s->all_inner) &&
	    isfinite(dmin(s->best, s->cut)) &&
	    level_bound(s, level) >= dmin(s->best, s->cut))
		return;

	if (last && !s->all_inner) {
		double a = 0, b = 0, xs = xspan(s);

		for (op = 0; op < NOPS; op++) {
			double f;

			if (!s->counted[op])
				continue;
			f = prod[op] * s->pb->esize[op] * (op == OX ? xs : 1);
			if (s->nh[op][d])
				b += f;
			else
				a += f;
		}
		i = largest_fit(s->cand[d], s->ncand[d], a, b, s->cap);
		if (i >= 0) {
			set_tile(s, d, s->cand[d][i]);
			level_eval(s);
		}
		set_tile(s, d, 1);
		return;
	}
	/* the sizes that fit (footprints only grow with the tile), then
	 * largest first: good solutions early make the bound prune more */
	for (hi = -1, i = 0; i < s->ncand[d]; i++) {
		set_tile(s, d, s->cand[d][i]);
		for (op = 0; op < NOPS; op++)
			np[op] = prod[op] * (s->nh[op][d] ? s->t[d] : 1);
		if (tile_bytes(s, np) > s->cap)
			break;
		hi = i;
	}
	for (i = hi; i >= 0 && s->budget > 0; i--) {
		double t = s->cand[d][i];

		s->budget--;
		set_tile(s, d, t);
		for (op = 0; op < NOPS; op++)
			np[op] = prod[op] * (s->nh[op][d] ? t : 1);
		if (last)
			level_eval(s); /* one of X's window loops: try all */
		else
			level_rec(s, level + 1, np);
	}
	set_tile(s, d, 1);
}

static int is_halo(const struct cprob *pb, int d)
{
	return ((d == DP || d == DR) && pb->xrow) ||
	       ((d == DQ || d == DS) && pb->xcol);
}

/*
 * The loops to tile: X's window loops first, then the others, the
 * innermost last (one outside X's window when there is one: its best tile
 * is its largest that fits).  A loop every operand's index contains keeps
 * tiles of 1 (its class is outermost: a bigger tile takes space and saves
 * nothing); a loop no operand's index contains is not tiled (its tile is
 * the whole loop).
 */
static void pick_loops(struct lsearch *s)
{
	int d, pass, inner = -1, best = 0;

	s->nl = 0;
	for (d = 0; d < ND; d++) {
		if (s->ext[d] <= 1 || s->sig[d] == SIG_ALL || s->sig[d] == 0)
			continue;
		if (!is_halo(s->pb, d) && s->ncand[d] > best) {
			best = s->ncand[d];
			inner = d;
		}
	}
	for (pass = 0; pass < 2; pass++) {
		if (pass)
			s->bound_from = s->nl;
		for (d = 0; d < ND; d++)
			if (s->ext[d] > 1 && d != inner &&
			    s->sig[d] != SIG_ALL && s->sig[d] != 0 &&
			    is_halo(s->pb, d) == !pass)
				s->loops[s->nl++] = d;
	}
	s->all_inner = inner < 0;
	if (inner >= 0)
		s->loops[s->nl++] = inner;
	else
		s->bound_from = ND; /* the innermost is a window loop */
}

/* Set up a level's search.  DRAM level (@array 0): @ext = the loop
 * bounds, @ctx the residency flags.  Array level: @ext = each PE's share,
 * @a = PEs along each loop. */
static void level_init(struct lsearch *s, const struct cprob *pb,
		       const struct orders *o,
		       const struct gconv_cost_params *p, int array,
		       const double *ext, const double *a, double cap,
		       uint32_t ctx)
{
	int d, op;

	memset(s, 0, sizeof(*s));
	s->pb = pb;
	s->o = o;
	s->p = p;
	s->array = array;
	s->cap = cap;
	s->ctx = ctx;
	s->res[OX] = !!(ctx & GCONV_COST_CTX_X_RESIDENT);
	s->res[OY] = !!(ctx & GCONV_COST_CTX_Y_RESIDENT);
	s->res[OB] = !!(ctx & GCONV_COST_CTX_B_RESIDENT);
	s->keep = !!(ctx & GCONV_COST_CTX_OUT_KEEP);
	for (op = 0; op < NOPS; op++) {
		if (array) /* B goes to the output stage, not the RF */
			s->counted[op] = pb->used[op] && op != OB;
		else
			s->counted[op] = pb->used[op] && !s->res[op] &&
					 !(op == OO && s->keep);
		for (d = 0; d < ND; d++)
			s->nh[op][d] =
				pb->dep[op][d] && !(op == OX && is_halo(pb, d));
	}
	for (d = 0; d < ND; d++) {
		s->ext[d] = ext[d];
		s->sig[d] = sig_of(pb, d);
		s->a[d] = a ? a[d] : 1;
		/* window loops: {1, all} at both levels */
		if (d == DR || d == DS)
			s->ncand[d] = cand_list(ext[d], 1, s->cand[d]);
		else if (array)
			s->ncand[d] = rf_cands(ext[d], s->cand[d]);
		else
			s->ncand[d] = cand_list(ext[d], 0, s->cand[d]);
		set_tile(s, d, s->sig[d] == 0 ? ext[d] : 1);
	}
	if (array)
		for (op = 0; op < NOPS; op++)
			s->cp[op] = copies(pb, op, s->a);
	s->best = INFINITY;
	s->budget = SEARCH_BUDGET;
	s->cut = INFINITY;
	memcpy(s->bt, s->t, sizeof(s->bt));
}

static int level_run(struct lsearch *s)
{
	double prod[NOPS];
	int op, d;

	for (op = 0; op < NOPS; op++) {
		prod[op] = 1;
		for (d = 0; d < ND; d++)
			if (s->nh[op][d])
				prod[op] *= s->t[d];
	}
	if (tile_bytes(s, prod) > s->cap)
		return GCONV_COST_ENOSPACE;
	pick_loops(s);
	if (s->nl)
		level_rec(s, 0, prod);
	else
		level_eval(s);
	return isfinite(s->best) ? 0 : GCONV_COST_ENOSPACE;
}

int gcost_dram_search(const struct cprob *pb, double cap_bytes,
		      uint32_t ctx_flags, double *words, double *bytes)
{
	struct orders o;
	struct lsearch s;
	int r;

	orders_init(pb, &o);
	level_init(&s, pb, &o, NULL, 0, pb->D, NULL, cap_bytes, ctx_flags);
	r = level_run(&s);
	*words = r ? 0 : s.best;
	*bytes = r ? 0 : s.best_bytes;
	return r;
}

/* ---- step 1: spatial mappings ----------------------------------------------
 */

struct spatial {
	uint32_t s[ND];
	uint8_t rd[2], cd;
	uint32_t rf[2], cf;
	double c0; /* compute cycles */
};

/* The largest useful unroll of a loop of D iterations over A PEs: the
 * smallest one that needs as few passes as A PEs do. */
static uint32_t balanced(double D, uint32_t A)
{
	if (A < 1 || D < 1)
		return 1;
	if (D <= A)
		return (uint32_t)D;
	return (uint32_t)ceil(D / ceil(D / A));
}

/* Every balanced unroll of D over at most A PEs (at most CAND_MAX). */
static int unrolls(double D, uint32_t A, uint32_t *out)
{
	double m = ceil(D / A);
	int n = 0;

	if (m < 1)
		m = 1;
	while (n < CAND_MAX) {
		double u = ceil(D / m);

		if (u > A)
			u = A;
		out[n++] = (uint32_t)u;
		if (u <= 1)
			break;
		m = ceil(D / (u - 1)); /* next smaller unroll */
	}
	return n;
}

static double compute_cycles(const struct cprob *pb, const uint32_t *s)
{
	double c = 1;
	int d;

	for (d = 0; d < ND; d++)
		c *= ceil(pb->D[d] / s[d]);
	return c;
}

struct sbest {
	struct spatial m[SPAT_MAX];
	int n;
	double c0;
};

static void spatial_offer(struct sbest *b, const struct spatial *m)
{
	int i;

	if (m->c0 > b->c0)
		return;
	if (m->c0 < b->c0) {
		b->c0 = m->c0;
		b->n = 0;
	}
	for (i = 0; i < b->n; i++)
		if (!memcmp(b->m[i].s, m->s, sizeof(m->s)))
			return;
	if (b->n < SPAT_MAX)
		b->m[b->n++] = *m;
}

static void spatial_cols(const struct cprob *pb,
			 const struct gconv_cost_params *p, struct spatial *m,
			 const int *live, int nl, struct sbest *b)
{
	int i;

	for (i = -1; i < nl; i++) {
		int d = i < 0 ? -1 : live[i];
		struct spatial c = *m;

		if (d >= 0) {
			double rem = ceil(pb->D[d] / c.s[d]);
			uint32_t u = balanced(rem, p->pe_cols);

			if (u < 2)
				continue;
			c.cd = (uint8_t)d;
			c.cf = u;
			c.s[d] *= u;
		}
		c.c0 = compute_cycles(pb, c.s);
		spatial_offer(b, &c);
	}
}

static void spatial_search(const struct cprob *pb,
			   const struct gconv_cost_params *p, struct sbest *b)
{
	int live[ND], nl = 0, d, i1, i2, j;
	uint32_t u[CAND_MAX];

	b->n = 0;
	b->c0 = INFINITY;
	for (d = 0; d < ND; d++)
		if (pb->D[d] > 1)
			live[nl++] = d;
	{
		struct spatial m;

		memset(&m, 0, sizeof(m));
		for (d = 0; d < ND; d++)
			m.s[d] = 1;
		m.rd[0] = m.rd[1] = m.cd = GCONV_COST_NODIM;
		m.rf[0] = m.rf[1] = m.cf = 1;
		spatial_cols(pb, p, &m, live, nl, b);
	}
	for (i1 = 0; i1 < nl; i1++) {
		int d1 = live[i1], nu = unrolls(pb->D[d1], p->pe_rows, u);

		for (j = 0; j < nu; j++) {
			if (u[j] < 2)
				continue;
			for (i2 = -1; i2 < nl; i2++) {
				int d2 = i2 < 0 ? -1 : live[i2];
				struct spatial m;

				if (d2 == d1)
					continue;
				memset(&m, 0, sizeof(m));
				for (d = 0; d < ND; d++)
					m.s[d] = 1;
				m.rd[0] = (uint8_t)d1;
				m.rf[0] = u[j];
				m.s[d1] = u[j];
				m.rd[1] = m.cd = GCONV_COST_NODIM;
				m.rf[1] = m.cf = 1;
				if (d2 >= 0) {
					uint32_t u2 = balanced(
						pb->D[d2], p->pe_rows / u[j]);

					if (u2 < 2)
						continue;
					m.rd[1] = (uint8_t)d2;
					m.rf[1] = u2;
					m.s[d2] = u2;
				}
				spatial_cols(pb, p, &m, live, nl, b);
			}
		}
	}
}

/* ---- one GCONV ----------------------------------------------------------- */

static uint64_t exact_macs(const struct gconv_desc *d)
{
	/* every factor <= 2^24 and the product <= 2^44: checked before */
	return (uint64_t)d->n * d->g * d->k * d->p * d->q * d->c * d->r * d->s;
}

static void fill_mapping(const struct cprob *pb, const struct orders *o,
			 const struct spatial *sp, const struct lsearch *as,
			 const struct lsearch *ds, struct gconv_cost_mapping *m)
{
	int d;

	memset(m, 0, sizeof(*m));
	for (d = 0; d < ND; d++) {
		m->spatial[d] = sp->s[d];
		m->rf_tile[d] = (uint32_t)as->bt[d];
		m->glb_tile[d] = (uint32_t)ds->bt[d];
	}
	m->row_dim[0] = sp->rd[0];
	m->row_dim[1] = sp->rd[1];
	m->col_dim = sp->cd;
	m->row_factor[0] = sp->rf[0];
	m->row_factor[1] = sp->rf[1];
	m->col_factor = sp->cf;
	order_dims(pb, o, as->bo, m->rf_order);
	order_dims(pb, o, ds->bo, m->glb_order);
}

/* Step 2 for one spatial mapping; subtrees that cannot beat @cut (the
 * best of the spatial mappings tried before) are pruned. */
static int array_search(const struct cprob *pb,
			const struct gconv_cost_params *p,
			const struct orders *o, const struct spatial *sp,
			double cut, struct lsearch *s)
{
	double a[ND], e[ND];
	int d;

	for (d = 0; d < ND; d++) {
		a[d] = dmin(sp->s[d], pb->D[d]);
		e[d] = ceil(pb->D[d] / sp->s[d]);
	}
	level_init(s, pb, o, p, 1, e, a, p->rf_bytes, 0);
	s->cut = cut;
	return level_run(s);
}

static void fill_flags(uint32_t ctx, struct gconv_cost *out)
{
	out->flags = GCONV_COST_R_MAPPED;
	if (ctx & (GCONV_COST_CTX_X_RESIDENT | GCONV_COST_CTX_Y_RESIDENT |
		   GCONV_COST_CTX_B_RESIDENT))
		out->flags |= GCONV_COST_R_IN_ONCHIP;
	if (ctx & GCONV_COST_CTX_OUT_KEEP)
		out->flags |= GCONV_COST_R_OUT_ONCHIP;
	if (ctx & GCONV_COST_CTX_OUT_NOWRITE)
		out->flags |= GCONV_COST_R_OUT_NOWRITE;
}

int gconv_cost_desc_ctx(const struct gconv_cost_params *p,
			const struct gconv_desc *d,
			const struct gconv_cost_ctx *ctx,
			struct gconv_cost *out)
{
	struct cprob pb;
	struct orders o;
	struct sbest sb;
	struct lsearch as, best_as, ds;
	uint32_t flags = ctx ? ctx->flags : 0;
	double cap, rf, noc, glb, dram;
	int r, i, bi = -1;

	memset(&best_as, 0, sizeof(best_as));
	if (out)
		memset(out, 0, sizeof(*out));
	if (!p || !d || !out)
		return GCONV_COST_EARG;
	if (ctx && ((ctx->flags & ~GCONV_COST_CTX_ALL) || ctx->reserved))
		return GCONV_COST_EARG;
	r = gconv_cost_params_check(p);
	if (!r)
		r = gcost_prob_init(p, d, &pb);
	if (r)
		return r;
	orders_init(&pb, &o);

	/* step 3: DRAM level, in the GLB space resident data leaves */
	cap = (double)p->glb_bytes - (ctx ? (double)ctx->resident_bytes : 0);
	if (flags & GCONV_COST_CTX_OUT_KEEP)
		cap -= pb.total[OO] * pb.esize[OO];
	if (cap < 0)
		return GCONV_COST_ENOSPACE;
	level_init(&ds, &pb, &o, p, 0, pb.D, NULL, cap, flags);
	r = level_run(&ds);
	if (r)
		return r;

	/* steps 1 and 2 */
	spatial_search(&pb, p, &sb);
	for (i = 0; i < sb.n; i++) {
		if (array_search(&pb, p, &o, &sb.m[i],
				 bi < 0 ? INFINITY : best_as.best, &as))
			continue;
		if (bi < 0 || as.best < best_as.best) {
			best_as = as;
			bi = i;
		}
	}
	if (bi < 0)
		return GCONV_COST_ENOSPACE;

	dram = ds.best;
	rf = best_as.best_on.rf;
	noc = best_as.best_on.noc;
	glb = best_as.best_on.glb + dram; /* DRAM words pass the GLB */
	out->macs = exact_macs(d);
	out->compute_cycles = gcost_sat(sb.c0);
	out->dram_bytes = gcost_sat(ds.best_bytes);
	out->dram_cycles =
		gcost_sat(ceil(ds.best_bytes / p->dram_bytes_per_cycle));
	out->cycles = out->compute_cycles > out->dram_cycles
			      ? out->compute_cycles
			      : out->dram_cycles;
	out->rf = gcost_sat(rf);
	out->noc = gcost_sat(noc);
	out->glb = gcost_sat(glb);
	out->dram = gcost_sat(dram);
	out->energy = p->e_mac * pb.macs + p->e_rf * rf + p->e_noc * noc +
		      p->e_glb * glb + p->e_dram * dram;
	out->utilization = pb.macs / (sb.c0 * p->pe_rows * p->pe_cols);
	fill_flags(flags, out);
	fill_mapping(&pb, &o, &sb.m[bi], &best_as, &ds, &out->map);
	return 0;
}

int gconv_cost_desc(const struct gconv_cost_params *p,
		    const struct gconv_desc *d, struct gconv_cost *out)
{
	return gconv_cost_desc_ctx(p, d, NULL, out);
}

/* ---- sums and printing -----------------------------------------------------
 */

void gconv_cost_add(struct gconv_cost *sum, const struct gconv_cost *c)
{
	double pes_cycles;

	if (!sum || !c)
		return;
	/* utilisation of the sum: MAC-weighted through compute cycles */
	pes_cycles =
		sum->utilization > 0 ? (double)sum->macs / sum->utilization : 0;
	if (c->utilization > 0)
		pes_cycles += (double)c->macs / c->utilization;
	sum->cycles = sat_add(sum->cycles, c->cycles);
	sum->compute_cycles = sat_add(sum->compute_cycles, c->compute_cycles);
	sum->dram_cycles = sat_add(sum->dram_cycles, c->dram_cycles);
	sum->macs = sat_add(sum->macs, c->macs);
	sum->rf = sat_add(sum->rf, c->rf);
	sum->noc = sat_add(sum->noc, c->noc);
	sum->glb = sat_add(sum->glb, c->glb);
	sum->dram = sat_add(sum->dram, c->dram);
	sum->dram_bytes = sat_add(sum->dram_bytes, c->dram_bytes);
	sum->energy += c->energy;
	sum->utilization = pes_cycles > 0 ? (double)sum->macs / pes_cycles : 0;
	sum->flags = (sum->flags | c->flags) & ~GCONV_COST_R_MAPPED;
	memset(&sum->map, 0, sizeof(sum->map));
}

/* A tiny string builder: no stdio in this file. */
struct sbuf {
	char *buf;
	size_t len, pos;
};

static void sb_putc(struct sbuf *b, char ch)
{
	if (b->len && b->pos + 1 < b->len)
		b->buf[b->pos] = ch;
	b->pos++;
}

static void sb_puts(struct sbuf *b, const char *s)
{
	while (*s)
		sb_putc(b, *s++);
}

static void sb_putu(struct sbuf *b, uint64_t v)
{
	char tmp[24];
	int n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		sb_putc(b, tmp[--n]);
}

static const char dim_letter[ND] = { 'N', 'G', 'K', 'C', 'P', 'Q', 'R', 'S' };

static void sb_dimu(struct sbuf *b, uint8_t d, uint32_t v)
{
	sb_putc(b, d < ND ? dim_letter[d] : '?');
	sb_putu(b, v);
}

static void sb_tiles(struct sbuf *b, const uint32_t *t, const uint8_t *order)
{
	int i, any = 0;

	for (i = 0; i < ND && order[i] < ND; i++) {
		if (any)
			sb_putc(b, ' ');
		sb_dimu(b, order[i], t[order[i]]);
		any = 1;
	}
	if (!any)
		sb_putc(b, '-');
}

size_t gconv_cost_mapping_format(const struct gconv_cost_mapping *m, char *buf,
				 size_t len)
{
	struct sbuf b = { buf, buf ? len : 0, 0 };

	if (!m) {
		if (buf && len)
			buf[0] = 0;
		return 0;
	}
	sb_puts(&b, "array ");
	if (m->row_dim[0] < ND) {
		sb_dimu(&b, m->row_dim[0], m->row_factor[0]);
		if (m->row_dim[1] < ND) {
			sb_putc(&b, '*');
			sb_dimu(&b, m->row_dim[1], m->row_factor[1]);
		}
	} else {
		sb_putc(&b, '1');
	}
	sb_puts(&b, " x ");
	if (m->col_dim < ND)
		sb_dimu(&b, m->col_dim, m->col_factor);
	else
		sb_putc(&b, '1');
	sb_puts(&b, " | rf ");
	sb_tiles(&b, m->rf_tile, m->rf_order);
	sb_puts(&b, " | glb ");
	sb_tiles(&b, m->glb_tile, m->glb_order);
	if (b.len)
		b.buf[b.pos < b.len ? b.pos : b.len - 1] = 0;
	return b.pos;
}
