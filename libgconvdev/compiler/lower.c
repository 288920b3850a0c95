// SPDX-License-Identifier: MIT
/*
 * Lowering: every ONNX node to one GCONV or a short chain of them.
 * docs/lowering.md writes each operator's chain down.
 *
 * Values live in views (buffer + element offset + per-dimension strides),
 * so Reshape/Flatten/Squeeze/Unsqueeze/Transpose/Slice/Identity and Concat
 * usually cost nothing: consumers read the producer's memory with other
 * strides, and Concat's producers write straight into their slices.
 * An activation whose producer is a single GCONV becomes that GCONV's
 * post operator.
 */
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ir.h"

#define IS(n, s) (!strcmp((n)->op, (s)))

int gc_window_geometry(struct graph *g, struct node *n, const int64_t *in,
		       int nsp, const int64_t *kernel, int transposed,
		       int64_t *stride, int64_t *dil, int64_t *pb, int64_t *pe,
		       int64_t *out, int64_t *outpad);
int gc_slice_params(struct graph *g, struct node *n, int64_t *start,
		    int64_t *step, int64_t *outd);
int gc_resize_sizes(struct graph *g, struct node *n, int64_t *out,
		    double *scale);

static struct value *in_v(struct graph *g, struct node *n, int i)
{
	return i < n->nin && n->in[i] >= 0 ? &g->val[n->in[i]] : NULL;
}

static struct value *out_v(struct graph *g, struct node *n)
{
	return &g->val[n->out[0]];
}

/* ---- views --------------------------------------------------------------- */

static int is_contig(const struct value *v, const struct view *w)
{
	int64_t s[MAXD];
	int i;

	gc_contig_strides(v->ndim, v->dims, s);
	for (i = 0; i < v->ndim; i++)
		if (v->dims[i] != 1 && w->strides[i] != s[i])
			return 0;
	return 1;
}

/* Storage of a value used as an input: constants become weights. */
static int view_of(struct graph *g, int vi, struct view *out)
{
	struct value *v = &g->val[vi];

	if (!v->has_view) {
		int b;

		if (!v->fdata && !v->idata)
			return gc_error(g, "value '%s' has no storage (internal "
					"error)", v->name);
		if (v->idata) {
			/* an integer constant used as data (e.g. an integer
			 * exponent): the engine computes in float */
			int64_t i, cnt = gc_numel(v);
			float *f = malloc((size_t)(cnt ? cnt : 1) *
					  sizeof(float));

			if (!f)
				return -ENOMEM;
			for (i = 0; i < cnt; i++)
				f[i] = (float)v->idata[i];
			b = gc_weight_buffer(g, f, cnt);
			free(f);
		} else {
			b = gc_weight_buffer(g, v->fdata, gc_numel(v));
		}
		if (b < 0)
			return b;
		v->v.buf = b;
		v->v.off = 0;
		gc_contig_strides(v->ndim, v->dims, v->v.strides);
		v->has_view = 1;
	}
	*out = v->v;
	return 0;
}

/* Fresh storage for a node's output (or its preassigned concat slice). */
static int new_view(struct graph *g, int vi, struct view *out)
{
	struct value *v = &g->val[vi];

	if (v->has_pre) {
		v->v = v->pre;
	} else {
		int b = gc_buffer_add(g, BUF_ARENA, gc_numel(v));

		if (b < 0)
			return b;
		v->v.buf = b;
		v->v.off = 0;
		gc_contig_strides(v->ndim, v->dims, v->v.strides);
	}
	v->has_view = 1;
	*out = v->v;
	return 0;
}

/* A temporary arena tensor of the given shape. */
static int temp_view(struct graph *g, int ndim, const int64_t *dims,
		     struct view *out)
{
	int64_t n = 1;
	int i, b;

	for (i = 0; i < ndim; i++)
		n *= dims[i];
	b = gc_buffer_add(g, BUF_ARENA, n);
	if (b < 0)
		return b;
	out->buf = b;
	out->off = 0;
	gc_contig_strides(ndim, dims, out->strides);
	return 0;
}

/* Strides of @v's view seen from an output of rank @rank (numpy
 * broadcasting: missing leading dims and size-1 dims get stride 0). */
static void bview(const struct value *v, const struct view *w, int rank,
		  const int64_t *dims, struct view *out)
{
	int i;

	(void)dims;
	out->buf = w->buf;
	out->off = w->off;
	for (i = 0; i < rank; i++) {
		int vi = i - (rank - v->ndim);

		out->strides[i] = vi >= 0 && v->dims[vi] != 1 ?
					  w->strides[vi] : 0;
	}
}

/* ---- descriptors -------------------------------------------------------- */

struct opnd {
	int buf;
	int64_t off;
	uint64_t st[GCONV_SLOTS];
};

static void opnd_set(struct gconv_operand *op, const struct opnd *o)
{
	int i;

	memset(op, 0, sizeof(*op));
	op->dtype = GCONV_DTYPE_F32;
	for (i = 0; i < GCONV_SLOTS; i++)
		op->stride[i] = o->st[i];
}

/* Append a descriptor; operands given as (buffer, offset, strides). */
static int emit_desc(struct graph *g, struct gconv_desc *d,
		     const struct opnd *x, const struct opnd *y,
		     const struct opnd *b, const struct opnd *o)
{
	const struct opnd *ops[4] = { x, y, b, o };
	struct gconv_operand *dst[4] = { &d->x, &d->y, &d->b, &d->o };
	const char names[4] = { 'X', 'Y', 'B', 'O' };
	int buf[4];
	int64_t off[4];
	int i;

	for (i = 0; i < 4; i++) {
		if (!ops[i]) {
			memset(dst[i], 0, sizeof(*dst[i]));
			buf[i] = -1;
			off[i] = 0;
			continue;
		}
		opnd_set(dst[i], ops[i]);
		dst[i]->extent = gconv_operand_min_extent(d, names[i]);
		buf[i] = ops[i]->buf;
		off[i] = ops[i]->off;
	}
	return gc_emit(g, d, buf, off);
}

/* ---- element-wise maps ---------------------------------------------------- */

/*
 * out = post(combine(main(pre(x), y), b)) element by element over @dims,
 * each operand a view with one stride per output dimension (0 where it
 * broadcasts).  Y may only vary along the n, g, k slots; B and O along
 * all five.  Dimensions are coalesced where every operand allows it, and
 * what does not fit in one descriptor is unrolled into several.
 * Returns the index of the single emit, or -1 if it took several (>= 0
 * means a later activation may fuse into it), or a negative errno - 2.
 */
#define MAP_SEVERAL (-1)
#define MAP_ERR(e) ((e) - 2)

struct mapctx {
	int m;			/* dims after coalescing */
	int64_t d[MAXD];
	int64_t st[4][MAXD];	/* X, Y, B, O */
	const struct view *v[4];
	int slot[MAXD];		/* GCONV_SLOT_* or -1 for an outer loop */
	int nouter;
	const struct gconv_desc *ops;
	int count;
};

static int map_emit_one(struct graph *g, struct mapctx *c, const int64_t *add)
{
	struct gconv_desc d = *c->ops;
	struct opnd o[4];
	uint64_t size[GCONV_SLOTS] = { 1, 1, 1, 1, 1, 1 };
	int i, j;

	memset(o, 0, sizeof(o));
	for (j = 0; j < 4; j++)
		if (c->v[j]) {
			o[j].buf = c->v[j]->buf;
			o[j].off = c->v[j]->off + add[j];
		}
	for (i = 0; i < c->m; i++) {
		int s = c->slot[i];

		if (s < 0)
			continue;
		size[s] = (uint64_t)c->d[i];
		for (j = 0; j < 4; j++)
			o[j].st[s] = (uint64_t)c->st[j][i];
	}
	d.n = (uint32_t)size[GCONV_SLOT_N];
	d.g = (uint32_t)size[GCONV_SLOT_G];
	d.k = (uint32_t)size[GCONV_SLOT_K];
	d.p = (uint32_t)size[GCONV_SLOT_ROW];
	d.q = (uint32_t)size[GCONV_SLOT_COL];
	d.c = d.r = d.s = 1;
	d.in_h = d.p;
	d.in_w = d.q;
	d.stride_h = d.stride_w = d.dilation_h = d.dilation_w = 1;
	d.in_dilation_h = d.in_dilation_w = 1;
	d.pad_top = d.pad_bottom = d.pad_left = d.pad_right = 0;
	/* Y sees no p, q */
	o[1].st[GCONV_SLOT_ROW] = o[1].st[GCONV_SLOT_COL] = 0;
	c->count++;
	return emit_desc(g, &d, c->v[0] ? &o[0] : NULL, c->v[1] ? &o[1] : NULL,
			 c->v[2] ? &o[2] : NULL, &o[3]);
}

static int map_loop(struct graph *g, struct mapctx *c, int level,
		    int64_t *add)
{
	int64_t i, save[4];
	int j, ret = 0;

	if (level == c->nouter)
		return map_emit_one(g, c, add);
	for (i = 0; i < c->d[level]; i++) {
		for (j = 0; j < 4; j++) {
			save[j] = add[j];
			add[j] += i * c->st[j][level];
		}
		ret = map_loop(g, c, level + 1, add);
		for (j = 0; j < 4; j++)
			add[j] = save[j];
		if (ret < 0)
			return ret;
	}
	return ret;
}

static void coalesce(int *m, int64_t *d, int64_t st[][MAXD], int nops,
		     const int *present)
{
	int i, j, k;

	for (i = *m - 1; i >= 1; i--) {
		int ok = 1;

		for (j = 0; j < nops; j++)
			if (present[j] && st[j][i - 1] != st[j][i] * d[i])
				ok = 0;
		if (!ok)
			continue;
		d[i - 1] *= d[i];
		for (j = 0; j < nops; j++)
			st[j][i - 1] = st[j][i];
		for (k = i; k < *m - 1; k++) {
			d[k] = d[k + 1];
			for (j = 0; j < nops; j++)
				st[j][k] = st[j][k + 1];
		}
		(*m)--;
	}
}

static int emit_map(struct graph *g, int rank, const int64_t *dims,
		    const struct view *o, const struct view *x,
		    const struct view *y, const struct view *b,
		    const struct gconv_desc *ops)
{
	static const int seq[5] = { GCONV_SLOT_COL, GCONV_SLOT_ROW,
				    GCONV_SLOT_K, GCONV_SLOT_G, GCONV_SLOT_N };
	struct mapctx c = { 0 };
	int present[4], i, j, si, ret;
	int64_t add[4] = { 0 }, outer = 1;

	c.v[0] = x;
	c.v[1] = y;
	c.v[2] = b;
	c.v[3] = o;
	c.ops = ops;
	for (j = 0; j < 4; j++)
		present[j] = c.v[j] != NULL;
	for (i = 0; i < rank; i++)
		if (!dims[i])
			return MAP_SEVERAL; /* nothing to compute */
	for (i = 0; i < rank; i++) {
		if (dims[i] == 1)
			continue;
		c.d[c.m] = dims[i];
		for (j = 0; j < 4; j++)
			c.st[j][c.m] = c.v[j] ? c.v[j]->strides[i] : 0;
		c.m++;
	}
	coalesce(&c.m, c.d, c.st, 4, present);

	for (i = 0; i < c.m; i++)
		c.slot[i] = -1;
	for (i = c.m - 1, si = 0; i >= 0 && si < 5;) {
		int s = seq[si];

		if ((s == GCONV_SLOT_ROW || s == GCONV_SLOT_COL) && y &&
		    c.st[1][i]) {
			si = 2;
			continue;
		}
		c.slot[i--] = s;
		si++;
	}
	c.nouter = i + 1;
	/* outer dims must come first: they do, as slots fill from the end */
	for (i = 0; i < c.nouter; i++)
		outer *= c.d[i];
	if (outer > 4096)
		return MAP_ERR(gc_error(g, "tensor layout needs %lld descriptors "
					"(at most 4096)", (long long)outer));
	ret = map_loop(g, &c, 0, add);
	if (ret < 0)
		return MAP_ERR(ret);
	return c.count == 1 ? ret : MAP_SEVERAL;
}

/* An operator template for element-wise maps */
static void ops_init(struct gconv_desc *d, int main_op, int combine, int post)
{
	gconv_desc_init(d);
	d->main = (uint8_t)main_op;
	d->combine = (uint8_t)combine;
	d->post = (uint8_t)post;
}

static void set_param(uint32_t *p, float a, float b, float c)
{
	p[0] = gconv_f32_bits(a);
	p[1] = gconv_f32_bits(b);
	p[2] = gconv_f32_bits(c);
}

/* Record which single GCONV produced a whole value (for fusion). */
static int finish_map(struct graph *g, int vi, int r)
{
	if (r < MAP_SEVERAL)
		return r + 2;
	g->val[vi].last_gconv = r;
	return 0;
}

/* Copy a view into another over a shape (materialise). */
static int emit_copy(struct graph *g, int rank, const int64_t *dims,
		     const struct view *dst, const struct view *src)
{
	struct gconv_desc ops;
	int r;

	ops_init(&ops, GCONV_MAIN_TAKE_X, GCONV_COMBINE_NONE,
		 GCONV_POST_IDENTITY);
	r = emit_map(g, rank, dims, dst, src, NULL, NULL, &ops);
	return r < MAP_SEVERAL ? r + 2 : 0;
}

/* ---- reductions ------------------------------------------------------------- */

/*
 * o = post(reduce over the axes marked in @red of main(pre(x), y)) for an
 * input of shape @dims.  @o's strides are per input dim and ignored on
 * reduced axes; @y (optional) has strides per input dim.
 */
static int emit_reduce(struct graph *g, int rank, const int64_t *dims,
		       const int *red, const struct view *x,
		       const struct view *y, const struct view *o,
		       const struct gconv_desc *ops)
{
	int64_t kd[MAXD], kst[3][MAXD], rd[MAXD], rst[2][MAXD];
	int nk = 0, nr = 0, i, j, present[3] = { 1, y != NULL, 1 };
	struct gconv_desc d = *ops;
	struct opnd ox = { 0 }, oy = { 0 }, oo = { 0 };
	int kslot[MAXD], nouter, count = 0, ret = 0;
	int64_t outer = 1, idx;

	for (i = 0; i < rank; i++) {
		if (dims[i] == 1)
			continue;
		if (red[i]) {
			rd[nr] = dims[i];
			rst[0][nr] = x->strides[i];
			rst[1][nr] = y ? y->strides[i] : 0;
			nr++;
		} else {
			kd[nk] = dims[i];
			kst[0][nk] = x->strides[i];
			kst[1][nk] = y ? y->strides[i] : 0;
			kst[2][nk] = o->strides[i];
			nk++;
		}
	}
	coalesce(&nk, kd, kst, 3, present);
	coalesce(&nr, rd, rst, 2, present);
	if (nr > 3)
		return gc_error(g, "reduction over %d non-adjacent axis groups "
				"(at most 3)", nr);

	/* kept dims: from the last, q and p (if Y does not vary and the
	 * reduction needs only c), then k, g, n; the rest are unrolled */
	for (i = 0; i < nk; i++)
		kslot[i] = -1;
	{
		static const int seq[5] = { GCONV_SLOT_COL, GCONV_SLOT_ROW,
					    GCONV_SLOT_K, GCONV_SLOT_G,
					    GCONV_SLOT_N };
		int si = nr >= 2 ? 2 : 0;

		for (i = nk - 1; i >= 0 && si < 5;) {
			int s = seq[si];

			if (si < 2 && kst[1][i]) {
				si = 2;
				continue;
			}
			kslot[i--] = s;
			si++;
		}
		nouter = i + 1;
	}
	for (i = 0; i < nouter; i++)
		outer *= kd[i];
	if (outer > 4096)
		return gc_error(g, "reduction layout needs %lld descriptors",
				(long long)outer);

	d.n = d.g = d.k = d.p = d.q = 1;
	for (i = nouter; i < nk; i++) {
		uint32_t sz = (uint32_t)kd[i];

		switch (kslot[i]) {
		case GCONV_SLOT_N:
			d.n = sz;
			break;
		case GCONV_SLOT_G:
			d.g = sz;
			break;
		case GCONV_SLOT_K:
			d.k = sz;
			break;
		case GCONV_SLOT_ROW:
			d.p = sz;
			break;
		default:
			d.q = sz;
			break;
		}
		ox.st[kslot[i]] = (uint64_t)kst[0][i];
		oy.st[kslot[i]] = (uint64_t)kst[1][i];
		oo.st[kslot[i]] = (uint64_t)kst[2][i];
	}
	oy.st[GCONV_SLOT_ROW] = oy.st[GCONV_SLOT_COL] = 0;
	d.c = d.r = d.s = 1;
	d.in_h = d.p;
	d.in_w = d.q;
	if (nr >= 1) {
		d.c = (uint32_t)rd[0];
		ox.st[GCONV_SLOT_C] = (uint64_t)rst[0][0];
		oy.st[GCONV_SLOT_C] = (uint64_t)rst[1][0];
	}
	if (nr == 2) {
		d.s = (uint32_t)rd[1];
		d.in_w = d.s;
		ox.st[GCONV_SLOT_COL] = (uint64_t)rst[0][1];
		oy.st[GCONV_SLOT_COL] = (uint64_t)rst[1][1];
	} else if (nr == 3) {
		d.r = (uint32_t)rd[1];
		d.s = (uint32_t)rd[2];
		d.in_h = d.r;
		d.in_w = d.s;
		ox.st[GCONV_SLOT_ROW] = (uint64_t)rst[0][1];
		ox.st[GCONV_SLOT_COL] = (uint64_t)rst[0][2];
		oy.st[GCONV_SLOT_ROW] = (uint64_t)rst[1][1];
		oy.st[GCONV_SLOT_COL] = (uint64_t)rst[1][2];
	}
	d.stride_h = d.stride_w = d.dilation_h = d.dilation_w = 1;
	d.in_dilation_h = d.in_dilation_w = 1;
	d.pad_top = d.pad_bottom = d.pad_left = d.pad_right = 0;

	for (idx = 0; idx < outer; idx++) {
		int64_t r = idx, ax = 0, ay = 0, ao = 0;

		for (j = nouter - 1; j >= 0; j--) {
			int64_t k = r % kd[j];

			r /= kd[j];
			ax += k * kst[0][j];
			ay += k * kst[1][j];
			ao += k * kst[2][j];
		}
		ox.buf = x->buf;
		ox.off = x->off + ax;
		oo.buf = o->buf;
		oo.off = o->off + ao;
		if (y) {
			oy.buf = y->buf;
			oy.off = y->off + ay;
		}
		ret = emit_desc(g, &d, &ox, y ? &oy : NULL, NULL, &oo);
		if (ret < 0)
			return ret;
		count++;
	}
	return count == 1 ? ret : MAP_SEVERAL;
}

/* ---- activations and unary ops ----------------------------------------- */

/* post operator (and its parameters) of an activation node, or -1 */
static int activation(struct graph *g, struct node *n, uint32_t *param,
		      int *pre)
{
	*pre = GCONV_PRE_IDENTITY;
	memset(param, 0, 4 * sizeof(uint32_t));
	if (IS(n, "Relu"))
		return GCONV_POST_RELU;
	if (IS(n, "LeakyRelu")) {
		set_param(param, gc_attr_float(n, "alpha", 0.01f), 0, 0);
		return GCONV_POST_LEAKY;
	}
	if (IS(n, "Sigmoid"))
		return GCONV_POST_SIGMOID;
	if (IS(n, "Tanh"))
		return GCONV_POST_TANH;
	if (IS(n, "HardSigmoid")) {
		set_param(param, gc_attr_float(n, "alpha", 0.2f),
			  gc_attr_float(n, "beta", 0.5f), 0);
		return GCONV_POST_HARD_SIGMOID;
	}
	if (IS(n, "HardSwish"))
		return GCONV_POST_HARD_SWISH;
	if (IS(n, "Elu")) {
		set_param(param, gc_attr_float(n, "alpha", 1.0f), 0, 0);
		return GCONV_POST_ELU;
	}
	if (IS(n, "Selu")) {
		set_param(param,
			  gc_attr_float(n, "alpha", 1.67326319217681884765625f),
			  gc_attr_float(n, "gamma", 1.05070102214813232421875f),
			  0);
		return GCONV_POST_SELU;
	}
	if (IS(n, "Softplus"))
		return GCONV_POST_SOFTPLUS;
	if (IS(n, "Abs"))
		return GCONV_POST_ABS;
	if (IS(n, "Neg"))
		return GCONV_POST_NEG;
	if (IS(n, "Exp"))
		return GCONV_POST_EXP;
	if (IS(n, "Log"))
		return GCONV_POST_LOG;
	if (IS(n, "Sqrt"))
		return GCONV_POST_SQRT;
	if (IS(n, "Reciprocal"))
		return GCONV_POST_RECIP;
	if (IS(n, "Clip")) {
		float lo = -FLT_MAX, hi = FLT_MAX;

		if (g->opset < 11) {
			lo = gc_attr_float(n, "min", -FLT_MAX);
			hi = gc_attr_float(n, "max", FLT_MAX);
		} else {
			struct value *a = in_v(g, n, 1), *b = in_v(g, n, 2);

			if ((a && !a->fdata) || (b && !b->fdata))
				return -3; /* runtime bounds: lower_clip */
			if (a)
				lo = a->fdata[0];
			if (b)
				hi = b->fdata[0];
		}
		set_param(param, lo, hi, 0);
		return GCONV_POST_CLIP;
	}
	return -1;
}

/*
 * Output view for an element-wise op on input @xi: in place when the input
 * is an arena value nobody else reads, else fresh storage.
 */
static int unary_out_view(struct graph *g, int xi, int oi, struct view *ov)
{
	struct value *x = &g->val[xi], *o = &g->val[oi];

	if (!(g->flags & GCONV_COMPILE_NO_INPLACE) && x->uses == 1 &&
	    !x->is_input && !x->is_output && !x->fdata && x->has_view &&
	    g->buf[x->v.buf].kind == BUF_ARENA &&
	    (!o->has_pre || (o->pre.buf == x->v.buf && o->pre.off == x->v.off))) {
		o->v = x->v;
		o->has_view = 1;
		*ov = o->v;
		return 0;
	}
	return new_view(g, oi, ov);
}

/* Clip whose bounds are runtime tensors: max with lo, then min with hi. */
static int lower_clip_runtime(struct graph *g, struct node *n)
{
	struct value *x = in_v(g, n, 0), *o = out_v(g, n);
	struct view xv, ov, cur;
	struct gconv_desc ops;
	int r, i, e = MAP_SEVERAL;

	r = view_of(g, n->in[0], &xv);
	if (!r)
		r = new_view(g, n->out[0], &ov);
	if (r)
		return r;
	cur = xv;
	for (i = 1; i <= 2; i++) {
		struct value *bnd = in_v(g, n, i);
		struct view bv, bb;

		if (!bnd)
			continue;
		if (gc_numel(bnd) != 1)
			return gc_error(g, "min and max must be scalars");
		r = view_of(g, n->in[i], &bv);
		if (r)
			return r;
		bview(bnd, &bv, x->ndim, x->dims, &bb);
		ops_init(&ops, GCONV_MAIN_TAKE_X,
			 i == 1 ? GCONV_COMBINE_MAX : GCONV_COMBINE_MIN,
			 GCONV_POST_IDENTITY);
		e = emit_map(g, x->ndim, x->dims, &ov, &cur, NULL, &bb, &ops);
		if (e < MAP_SEVERAL)
			return e + 2;
		cur = ov;
	}
	if (e == MAP_SEVERAL && cur.buf == xv.buf && cur.off == xv.off)
		return emit_copy(g, x->ndim, x->dims, &ov, &xv);
	(void)o;
	return 0;
}

static int lower_activation(struct graph *g, struct node *n)
{
	struct value *x = in_v(g, n, 0), *o = out_v(g, n);
	uint32_t param[4];
	int pre, post = activation(g, n, param, &pre), r;
	struct view xv, ov;
	struct gconv_desc ops;

	if (post == -3)
		return lower_clip_runtime(g, n);
	if (post < 0)
		return gc_error(g, "not an activation");
	r = view_of(g, n->in[0], &xv);
	if (r)
		return r;
	r = unary_out_view(g, n->in[0], n->out[0], &ov);
	if (r)
		return r;

	/* fuse into the producer's post when it wrote x in one GCONV here */
	if (!(g->flags & GCONV_COMPILE_NO_FUSE) && x->last_gconv >= 0 &&
	    ov.buf == xv.buf && ov.off == xv.off &&
	    !memcmp(ov.strides, xv.strides, sizeof(int64_t) * x->ndim)) {
		struct emit *e = &g->emit[x->last_gconv];

		if (e->d.post == GCONV_POST_IDENTITY && e->buf[3] == xv.buf) {
			e->d.post = (uint8_t)post;
			memcpy(e->d.post_param, param, sizeof(param));
			o->last_gconv = x->last_gconv;
			return 0;
		}
	}
	ops_init(&ops, GCONV_MAIN_TAKE_X, GCONV_COMBINE_NONE, post);
	memcpy(ops.post_param, param, sizeof(param));
	return finish_map(g, n->out[0],
			  emit_map(g, o->ndim, o->dims, &ov, &xv, NULL, NULL,
				   &ops));
}

/* ---- binary and variadic element-wise ------------------------------------ */

static int binary_combine(const char *op)
{
	if (!strcmp(op, "Add") || !strcmp(op, "Sum") || !strcmp(op, "Mean"))
		return GCONV_COMBINE_ADD;
	if (!strcmp(op, "Sub"))
		return GCONV_COMBINE_SUB;
	if (!strcmp(op, "Mul"))
		return GCONV_COMBINE_MUL;
	if (!strcmp(op, "Div"))
		return GCONV_COMBINE_DIV;
	if (!strcmp(op, "Max"))
		return GCONV_COMBINE_MAX;
	if (!strcmp(op, "Min"))
		return GCONV_COMBINE_MIN;
	return -1;
}

static int lower_binary_into(struct graph *g, struct node *n, int ai, int bi,
			     const struct view *ov, int post, float pa,
			     int *emitted)
{
	struct value *o = out_v(g, n), *a = &g->val[ai], *b = &g->val[bi];
	struct view av, bv, abv, bbv;
	struct gconv_desc ops;
	int r;

	r = view_of(g, ai, &av);
	if (!r)
		r = view_of(g, bi, &bv);
	if (r)
		return r;
	bview(a, &av, o->ndim, o->dims, &abv);
	bview(b, &bv, o->ndim, o->dims, &bbv);
	ops_init(&ops, GCONV_MAIN_TAKE_X, binary_combine(n->op), post);
	set_param(ops.post_param, pa, 0, 0);
	r = emit_map(g, o->ndim, o->dims, ov, &abv, NULL, &bbv, &ops);
	if (r < MAP_SEVERAL)
		return r + 2;
	*emitted = r;
	return 0;
}

static int lower_binary(struct graph *g, struct node *n)
{
	struct value *o = out_v(g, n);
	struct view ov;
	int r, e = MAP_SEVERAL, i;

	if (IS(n, "Pow") || IS(n, "PRelu")) {
		struct value *a = in_v(g, n, 0), *b = in_v(g, n, 1);
		struct view av, bv, abv, bbv;
		struct gconv_desc ops;

		r = view_of(g, n->in[0], &av);
		if (r)
			return r;
		r = new_view(g, n->out[0], &ov);
		if (r)
			return r;
		if (IS(n, "Pow") && b->fdata && gc_numel(b) == 1) {
			ops_init(&ops, GCONV_MAIN_TAKE_X, GCONV_COMBINE_NONE,
				 GCONV_POST_POW);
			set_param(ops.post_param, b->fdata[0], 0, 0);
			bview(a, &av, o->ndim, o->dims, &abv);
			return finish_map(g, n->out[0],
					  emit_map(g, o->ndim, o->dims, &ov,
						   &abv, NULL, NULL, &ops));
		}
		r = view_of(g, n->in[1], &bv);
		if (r)
			return r;
		bview(a, &av, o->ndim, o->dims, &abv);
		bview(b, &bv, o->ndim, o->dims, &bbv);
		ops_init(&ops, IS(n, "Pow") ? GCONV_MAIN_POW : GCONV_MAIN_PRELU,
			 GCONV_COMBINE_NONE, GCONV_POST_IDENTITY);
		return finish_map(g, n->out[0],
				  emit_map(g, o->ndim, o->dims, &ov, &abv, &bbv,
					   NULL, &ops));
	}

	r = new_view(g, n->out[0], &ov);
	if (r)
		return r;
	if (n->nin == 1) {
		struct view xv, bxv;

		r = view_of(g, n->in[0], &xv);
		if (r)
			return r;
		bview(in_v(g, n, 0), &xv, o->ndim, o->dims, &bxv);
		return emit_copy(g, o->ndim, o->dims, &ov, &bxv);
	}
	/* variadic: fold left, accumulating in the output */
	for (i = 1; i < n->nin; i++) {
		int last = i == n->nin - 1;
		int post = last && IS(n, "Mean") ? GCONV_POST_AFFINE :
						   GCONV_POST_IDENTITY;
		float pa = 1.0f / (float)n->nin;

		if (i == 1) {
			r = lower_binary_into(g, n, n->in[0], n->in[1], &ov, post,
					      pa, &e);
		} else {
			/* out = out (op) in[i]: the output is already in
			 * out's layout, so read it back as X */
			struct view bv, bbv;
			struct gconv_desc ops;

			r = view_of(g, n->in[i], &bv);
			if (r)
				return r;
			bview(in_v(g, n, i), &bv, o->ndim, o->dims, &bbv);
			ops_init(&ops, GCONV_MAIN_TAKE_X, binary_combine(n->op),
				 post);
			set_param(ops.post_param, pa, 0, 0);
			r = emit_map(g, o->ndim, o->dims, &ov, &ov, NULL, &bbv,
				     &ops);
			e = r >= 0 ? r : MAP_SEVERAL;
			r = r < MAP_SEVERAL ? r + 2 : 0;
		}
		if (r)
			return r;
	}
	if (n->nin == 2)
		o->last_gconv = e;
	return 0;
}

/* ---- views without compute -------------------------------------------- */

/* Output aliases the input's storage with contiguous strides of the new
 * shape, or is a copy when the input is not contiguous. */
static int lower_reshape_like(struct graph *g, struct node *n)
{
	struct value *x = in_v(g, n, 0), *o = out_v(g, n);
	struct view xv, ov;
	int r = view_of(g, n->in[0], &xv);

	if (r)
		return r;
	if (!(g->flags & GCONV_COMPILE_NO_INPLACE) && !o->has_pre &&
	    is_contig(x, &xv)) {
		o->v.buf = xv.buf;
		o->v.off = xv.off;
		gc_contig_strides(o->ndim, o->dims, o->v.strides);
		o->has_view = 1;
		o->last_gconv = x->last_gconv;
		return 0;
	}
	r = new_view(g, n->out[0], &ov);
	if (r)
		return r;
	if (is_contig(x, &xv) || x->ndim == 0) {
		/* same element order: copy as a flat vector */
		int64_t cnt = gc_numel(o);
		struct view a = xv, b = ov;

		if (!is_contig(o, &ov)) {
			/* destination is a slice: copy in the output's shape */
			bview(o, &ov, o->ndim, o->dims, &b);
			gc_contig_strides(o->ndim, o->dims, a.strides);
			return emit_copy(g, o->ndim, o->dims, &b, &a);
		}
		a.strides[0] = cnt == 1 ? 0 : 1;
		b.strides[0] = cnt == 1 ? 0 : 1;
		return emit_copy(g, 1, &cnt, &b, &a);
	}
	/* non-contiguous input: materialise it in its own shape first */
	{
		struct view t;

		r = temp_view(g, x->ndim, x->dims, &t);
		if (!r)
			r = emit_copy(g, x->ndim, x->dims, &t, &xv);
		if (r)
			return r;
		{
			int64_t cnt = gc_numel(o);
			struct view a = t, b = ov;

			if (!is_contig(o, &ov)) {
				gc_contig_strides(o->ndim, o->dims, a.strides);
				return emit_copy(g, o->ndim, o->dims, &b, &a);
			}
			a.strides[0] = cnt == 1 ? 0 : 1;
			b.strides[0] = cnt == 1 ? 0 : 1;
			return emit_copy(g, 1, &cnt, &b, &a);
		}
	}
}

static int lower_identity(struct graph *g, struct node *n)
{
	struct value *x = in_v(g, n, 0), *o = out_v(g, n);
	struct view xv, ov;
	int r = view_of(g, n->in[0], &xv);

	if (r)
		return r;
	if (!o->has_pre) {
		o->v = xv;
		o->has_view = 1;
		o->last_gconv = x->last_gconv;
		return 0;
	}
	r = new_view(g, n->out[0], &ov);
	return r ? r : emit_copy(g, o->ndim, o->dims, &ov, &xv);
}

static int alias_or_copy(struct graph *g, struct node *n, const struct view *v)
{
	struct value *o = out_v(g, n);
	struct view ov;
	int r;

	if (!o->has_pre) {
		o->v = *v;
		o->has_view = 1;
		return 0;
	}
	r = new_view(g, n->out[0], &ov);
	return r ? r : emit_copy(g, o->ndim, o->dims, &ov, v);
}

static int lower_transpose(struct graph *g, struct node *n)
{
	struct value *x = in_v(g, n, 0), *o = out_v(g, n);
	int64_t perm[MAXD];
	struct view xv, pv;
	int r = view_of(g, n->in[0], &xv), k, cnt;

	if (r)
		return r;
	cnt = gc_attr_ints(n, "perm", perm, MAXD);
	if (cnt < 0)
		for (k = 0, cnt = x->ndim; k < cnt; k++)
			perm[k] = cnt - 1 - k;
	pv = xv;
	for (k = 0; k < o->ndim; k++)
		pv.strides[k] = xv.strides[perm[k]];
	return alias_or_copy(g, n, &pv);
}

static int emit_axis_map(struct graph *g, int rank, const int64_t *dims,
			 int axis, const struct view *xv, const struct view *ov,
			 int64_t out, int mbuf);

/*
 * Slice with negative steps: strides cannot run backwards, so each axis
 * with a negative step is a selection-matrix map (out[i] = in[start +
 * i*step]), and the positive-step axes stay a view of the input.
 */
static int lower_slice_reversed(struct graph *g, struct node *n,
				const int64_t *start, const int64_t *step,
				const int64_t *outd)
{
	struct value *x = in_v(g, n, 0), *o = out_v(g, n);
	int64_t cur[MAXD];
	struct view cv, dst, ov;
	int r, k, last = -1;

	r = view_of(g, n->in[0], &cv);
	if (r)
		return r;
	memcpy(cur, x->dims, sizeof(cur));
	for (k = 0; k < x->ndim; k++) {
		if (step[k] > 0 || outd[k] <= 1) {
			cv.off += start[k] * cv.strides[k];
			cv.strides[k] *= step[k] > 0 ? step[k] : 1;
			cur[k] = outd[k];
		} else {
			last = k;
		}
	}
	r = new_view(g, n->out[0], &ov);
	if (r)
		return r;
	for (k = 0; k <= last; k++) {
		float *m;
		int64_t i;
		int mb;

		if (step[k] > 0 || outd[k] <= 1)
			continue;
		m = calloc((size_t)(outd[k] * x->dims[k]), sizeof(float));
		if (!m)
			return -ENOMEM;
		for (i = 0; i < outd[k]; i++)
			m[i * x->dims[k] + start[k] + i * step[k]] = 1.0f;
		mb = gc_weight_buffer(g, m, outd[k] * x->dims[k]);
		free(m);
		if (mb < 0)
			return mb;
		if (k == last) {
			dst = ov;
		} else {
			int64_t dd[MAXD];

			memcpy(dd, cur, sizeof(dd));
			dd[k] = outd[k];
			r = temp_view(g, x->ndim, dd, &dst);
			if (r)
				return r;
		}
		r = emit_axis_map(g, x->ndim, cur, k, &cv, &dst, outd[k], mb);
		if (r)
			return r;
		cur[k] = outd[k];
		cv = dst;
	}
	(void)o;
	return 0;
}

static int lower_slice(struct graph *g, struct node *n)
{
	struct value *x = in_v(g, n, 0);
	int64_t start[MAXD], step[MAXD], dims[MAXD];
	struct view xv, sv;
	int r = view_of(g, n->in[0], &xv), k;

	if (r)
		return r;
	r = gc_slice_params(g, n, start, step, dims);
	if (r)
		return r;
	sv = xv;
	for (k = 0; k < x->ndim; k++) {
		if (step[k] < 0 && dims[k] > 1)
			return lower_slice_reversed(g, n, start, step, dims);
		sv.off += start[k] * xv.strides[k];
		sv.strides[k] = xv.strides[k] * (step[k] > 0 ? step[k] : 1);
	}
	return alias_or_copy(g, n, &sv);
}

static int lower_gather(struct graph *g, struct node *n)
{
	struct value *x = in_v(g, n, 0), *ind = in_v(g, n, 1);
	int64_t axis = gc_attr_int(n, "axis", 0), cnt = gc_numel(ind), j;
	struct view xv, ov;
	int r = view_of(g, n->in[0], &xv), k;

	if (r)
		return r;
	if (axis < 0)
		axis += x->ndim;
	if (ind->ndim == 0) {
		/* select one index: a view with the axis dropped */
		struct view sv = xv;
		int64_t ix = ind->idata[0] < 0 ? ind->idata[0] + x->dims[axis]
					       : ind->idata[0];

		sv.off += ix * xv.strides[axis];
		for (k = (int)axis; k < x->ndim - 1; k++)
			sv.strides[k] = xv.strides[k + 1];
		return alias_or_copy(g, n, &sv);
	}
	if (cnt > 4096)
		return gc_error(g, "at most 4096 indices are supported");
	r = new_view(g, n->out[0], &ov);
	if (r)
		return r;
	/* one copy per index: source slice ix of the axis, destination at
	 * the index's position among the output's index dimensions */
	for (j = 0; j < cnt; j++) {
		int64_t ix = ind->idata[j] < 0 ? ind->idata[j] + x->dims[axis]
					       : ind->idata[j];
		struct view s = xv, d = ov;
		int64_t dims[MAXD], rem = j;

		s.off += ix * xv.strides[axis];
		for (k = ind->ndim - 1; k >= 0; k--) {
			d.off += (rem % ind->dims[k]) * ov.strides[axis + k];
			rem /= ind->dims[k];
		}
		/* the copy's shape is x's with the gathered axis removed */
		for (k = 0; k < x->ndim - 1; k++) {
			int src = k < axis ? k : k + 1;
			int dst = k < axis ? k : k + ind->ndim;

			dims[k] = x->dims[src];
			s.strides[k] = xv.strides[src];
			d.strides[k] = ov.strides[dst];
		}
		r = emit_copy(g, x->ndim - 1, dims, &d, &s);
		if (r)
			return r;
	}
	return 0;
}

static int lower_expand(struct graph *g, struct node *n)
{
	struct value *x = in_v(g, n, 0), *o = out_v(g, n);
	struct view xv, bv, ov;
	int r = view_of(g, n->in[0], &xv);

	if (r)
		return r;
	bview(x, &xv, o->ndim, o->dims, &bv);
	r = new_view(g, n->out[0], &ov);
	return r ? r : emit_copy(g, o->ndim, o->dims, &ov, &bv);
}

static int lower_concat(struct graph *g, struct node *n)
{
	struct value *o = out_v(g, n);
	int64_t axis = gc_attr_int(n, "axis", 1), off = 0;
	struct view ov;
	int r, i;

	if (axis < 0)
		axis += o->ndim;
	if (!o->has_view) {
		r = new_view(g, n->out[0], &ov);
		if (r)
			return r;
	}
	ov = o->v;
	for (i = 0; i < n->nin; i++) {
		struct value *x = in_v(g, n, i);
		struct view xv, dst = ov;

		r = view_of(g, n->in[i], &xv);
		if (r)
			return r;
		dst.off += off * ov.strides[axis];
		off += x->dims[axis];
		if (xv.buf == dst.buf && xv.off == dst.off &&
		    !memcmp(xv.strides, dst.strides,
			    sizeof(int64_t) * (size_t)x->ndim))
			continue; /* the producer wrote it in place */
		{
			struct view bxv;

			bview(x, &xv, x->ndim, x->dims, &bxv);
			r = emit_copy(g, x->ndim, x->dims, &dst, &bxv);
			if (r)
				return r;
		}
	}
	return 0;
}

/* Producer writes its own output (so it can write into a slice). */
static int writes_own_output(const struct node *p)
{
	static const char *const ops[] = {
		"Conv", "ConvTranspose", "MaxPool", "AveragePool",
		"GlobalAveragePool", "GlobalMaxPool", "Gemm", "MatMul", "Add",
		"Sub", "Mul", "Div", "Max", "Min", "Sum", "Mean", "Pow",
		"PRelu", "BatchNormalization", "InstanceNormalization", "LRN",
		"Softmax", "LogSoftmax", "Resize", "Upsample", "Pad", "Relu",
		"LeakyRelu", "Sigmoid", "Tanh", "Clip", "HardSigmoid",
		"HardSwish", "Elu", "Selu", "Softplus", "Abs", "Neg", "Exp",
		"Log", "Sqrt", "Reciprocal", "Concat", "ReduceMean",
		"ReduceMax", "ReduceMin", "ReduceSum",
	};
	size_t i;

	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (!strcmp(p->op, ops[i]))
			return 1;
	return 0;
}

static int is_unary_activation(const struct node *p)
{
	static const char *const ops[] = {
		"Relu", "LeakyRelu", "Sigmoid", "Tanh", "Clip", "HardSigmoid",
		"HardSwish", "Elu", "Selu", "Softplus", "Abs", "Neg", "Exp",
		"Log", "Sqrt", "Reciprocal", "BatchNormalization",
	};
	size_t i;

	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (!strcmp(p->op, ops[i]))
			return 1;
	return 0;
}

/*
 * An activation writing a concat slice works in place, so its input may
 * live in the slice too: then the producer writes there directly and the
 * activation fuses into it.
 */
static void propagate_through_unary(struct graph *g, struct value *x)
{
	while (x->producer >= 0 && is_unary_activation(&g->node[x->producer])) {
		struct node *p = &g->node[x->producer];
		struct value *w;

		if (p->in[0] < 0)
			return;
		w = &g->val[p->in[0]];
		if (w->producer < 0 || w->uses != 1 || w->is_output ||
		    w->has_pre || w->fdata || w->idata ||
		    !writes_own_output(&g->node[w->producer]))
			return;
		w->pre = x->pre;
		w->has_pre = 1;
		x = w;
	}
}

/*
 * Before lowering: give each Concat its output storage and let every
 * eligible input's producer write straight into its slice.
 */
static int preassign_concats(struct graph *g)
{
	int i, j, r;

	if (g->flags & GCONV_COMPILE_NO_INPLACE)
		return 0;
	for (i = g->nnode - 1; i >= 0; i--) {
		struct node *n = &g->node[i];
		struct value *o;
		int64_t axis, off = 0;

		if (n->done || !IS(n, "Concat"))
			continue;
		o = &g->val[n->out[0]];
		if (o->fdata || o->idata)
			continue;
		g->cur_node = i;
		if (!o->has_view) {
			struct view ov;

			r = new_view(g, n->out[0], &ov);
			if (r)
				return r;
		}
		axis = gc_attr_int(n, "axis", 1);
		if (axis < 0)
			axis += o->ndim;
		for (j = 0; j < n->nin; j++) {
			struct value *x = &g->val[n->in[j]];
			int seen = 0, k;

			for (k = 0; k < j; k++)
				seen |= n->in[k] == n->in[j];
			if (!seen && x->producer >= 0 && x->uses == 1 &&
			    !x->is_output && !x->has_pre && !x->fdata &&
			    !x->idata &&
			    writes_own_output(&g->node[x->producer])) {
				x->pre = o->v;
				x->pre.off += off * o->v.strides[axis];
				x->has_pre = 1;
				propagate_through_unary(g, x);
			}
			off += x->dims[axis];
		}
	}
	g->cur_node = -1;
	return 0;
}

/* ---- convolution and pooling ---------------------------------------------- */

/* 1-D tensors [N, C, W] are 2-D with H = 1. */
static void as_2d(const struct value *v, const struct view *w, int64_t *dims,
		  int64_t *st)
{
	if (v->ndim == 3) {
		dims[0] = v->dims[0];
		dims[1] = v->dims[1];
		dims[2] = 1;
		dims[3] = v->dims[2];
		st[0] = w->strides[0];
		st[1] = w->strides[1];
		st[2] = 0;
		st[3] = w->strides[2];
	} else {
		memcpy(dims, v->dims, 4 * sizeof(int64_t));
		memcpy(st, w->strides, 4 * sizeof(int64_t));
	}
}

static int geometry_2d(struct graph *g, struct node *n, const struct value *x,
		       const int64_t *kernel, int transposed, int64_t *stride,
		       int64_t *dil, int64_t *pb, int64_t *pe, int64_t *out)
{
	int64_t k1[MAXD], s1[MAXD], d1[MAXD], b1[MAXD], e1[MAXD], o1[MAXD];
	int64_t op[MAXD], in[2];
	int nsp = x->ndim - 2, r;

	if (nsp == 1) {
		k1[0] = kernel[1];
		r = gc_window_geometry(g, n, x->dims + 2, 1, k1, transposed,
				       s1, d1, b1, e1, o1, op);
		if (r)
			return r;
		stride[0] = dil[0] = 1;
		pb[0] = pe[0] = 0;
		out[0] = 1;
		stride[1] = s1[0];
		dil[1] = d1[0];
		pb[1] = b1[0];
		pe[1] = e1[0];
		out[1] = o1[0];
		return 0;
	}
	in[0] = x->dims[2];
	in[1] = x->dims[3];
	return gc_window_geometry(g, n, in, 2, kernel, transposed, stride, dil,
				  pb, pe, out, op);
}

/* The loop nest of a (transposed) convolution on 2-D NCHW views:
 * x dims, w dims (as_2d), o dims, groups, K and C per group, dilation. */
static void conv_nest(struct gconv_desc *d, const int64_t *xd,
		      const int64_t *wd, const int64_t *od, int64_t groups,
		      int64_t K, int64_t C, const int64_t *dil)
{
	gconv_desc_init(d);
	d->n = (uint32_t)xd[0];
	d->g = (uint32_t)groups;
	d->k = (uint32_t)K;
	d->p = (uint32_t)od[2];
	d->q = (uint32_t)od[3];
	d->c = (uint32_t)C;
	d->r = (uint32_t)wd[2];
	d->s = (uint32_t)wd[3];
	d->in_h = (uint32_t)xd[2];
	d->in_w = (uint32_t)xd[3];
	d->dilation_h = (uint32_t)dil[0];
	d->dilation_w = (uint32_t)dil[1];
}

/*
 * The convolution GCONV shared by Conv and ConvTranspose: @d has the loop
 * nest (n, g = groups, k and c per group, ...), @xs and @os the 4-D NCHW
 * strides of input and output, @oy the weights operand, @bias an optional
 * per-output-channel vector.
 */
static int emit_conv(struct graph *g, struct gconv_desc *d,
		     const struct view *xv, const int64_t *xs,
		     const struct opnd *oy, const struct view *ov,
		     const int64_t *os, const struct value *bias,
		     const struct view *bv, struct value *o)
{
	uint64_t C = d->c, K = d->k;
	struct opnd ox = { xv->buf, xv->off,
			   { (uint64_t)xs[0], C * (uint64_t)xs[1], 0,
			     (uint64_t)xs[1], (uint64_t)xs[2],
			     (uint64_t)xs[3] } };
	struct opnd oo = { ov->buf, ov->off,
			   { (uint64_t)os[0], K * (uint64_t)os[1],
			     (uint64_t)os[1], 0, (uint64_t)os[2],
			     (uint64_t)os[3] } };
	struct opnd ob = { 0 };
	int r;

	if (bias) {
		uint64_t s = bias->dims[0] == 1 ? 0 : (uint64_t)bv->strides[0];

		d->combine = GCONV_COMBINE_ADD;
		ob = (struct opnd){ bv->buf, bv->off, { 0, K * s, s, 0, 0, 0 } };
	}
	r = emit_desc(g, d, &ox, oy, bias ? &ob : NULL, &oo);
	if (r < 0)
		return r;
	o->last_gconv = r;
	return 0;
}

static int lower_conv(struct graph *g, struct node *n)
{
	struct value *x = in_v(g, n, 0), *w = in_v(g, n, 1), *bias = in_v(g, n, 2);
	struct value *o = out_v(g, n);
	int64_t xd[4], xs[4], wd[4], ws[4], od[4], os[4];
	int64_t kernel[2], stride[2], dil[2], pb[2], pe[2], out[2];
	int64_t group = gc_attr_int(n, "group", 1), K, C;
	struct view xv, wv, ov, bv;
	struct opnd oy;
	struct gconv_desc d;
	int r;

	r = view_of(g, n->in[0], &xv);
	if (!r)
		r = view_of(g, n->in[1], &wv);
	if (!r && bias)
		r = view_of(g, n->in[2], &bv);
	if (!r)
		r = new_view(g, n->out[0], &ov);
	if (r)
		return r;
	as_2d(x, &xv, xd, xs);
	as_2d(w, &wv, wd, ws);
	as_2d(o, &ov, od, os);
	kernel[0] = wd[2];
	kernel[1] = wd[3];
	r = geometry_2d(g, n, x, kernel, 0, stride, dil, pb, pe, out);
	if (r)
		return r;
	K = wd[0] / group;
	C = xd[1] / group;

	conv_nest(&d, xd, wd, od, group, K, C, dil);
	d.stride_h = (uint32_t)stride[0];
	d.stride_w = (uint32_t)stride[1];
	d.pad_top = (uint32_t)pb[0];
	d.pad_bottom = (uint32_t)pe[0];
	d.pad_left = (uint32_t)pb[1];
	d.pad_right = (uint32_t)pe[1];

	oy = (struct opnd){ wv.buf, wv.off,
			    { 0, (uint64_t)(K * ws[0]), (uint64_t)ws[0],
			      (uint64_t)ws[1], (uint64_t)ws[2],
			      (uint64_t)ws[3] } };
	return emit_conv(g, &d, &xv, xs, &oy, &ov, os, bias, &bv, o);
}

static int emit_axis_map(struct graph *g, int rank, const int64_t *dims,
			 int axis, const struct view *xv, const struct view *ov,
			 int64_t out, int mbuf);

/* anti-diagonal matrix: out[i] = in[n - 1 - i] */
static int flip_matrix(struct graph *g, int64_t len)
{
	float *m = calloc((size_t)(len * len), sizeof(float));
	int64_t i;
	int b;

	if (!m)
		return -ENOMEM;
	for (i = 0; i < len; i++)
		m[i * len + (len - 1 - i)] = 1.0f;
	b = gc_weight_buffer(g, m, len * len);
	free(m);
	return b;
}

/* A runtime ConvTranspose weight with its kernel axes reversed, in a new
 * arena tensor of the same shape. */
static int flip_runtime_weights(struct graph *g, struct node *n,
				const struct value *w, struct view *out)
{
	struct view cur, dst;
	int axis, r;

	(void)n;
	r = view_of(g, (int)(w - g->val), &cur);
	if (r)
		return r;
	for (axis = 2; axis < w->ndim; axis++) {
		int mb;

		if (w->dims[axis] == 1)
			continue;
		mb = flip_matrix(g, w->dims[axis]);
		if (mb < 0)
			return mb;
		r = temp_view(g, w->ndim, w->dims, &dst);
		if (!r)
			r = emit_axis_map(g, w->ndim, w->dims, axis, &cur, &dst,
					  w->dims[axis], mb);
		if (r)
			return r;
		cur = dst;
	}
	if (cur.buf == w->v.buf && cur.off == w->v.off) {
		/* nothing to flip (1x1 kernel): still need [C][K][R][S] */
		r = temp_view(g, w->ndim, w->dims, &dst);
		if (!r)
			r = emit_copy(g, w->ndim, w->dims, &dst, &cur);
		if (r)
			return r;
		cur = dst;
	}
	*out = cur;
	return 0;
}

static int lower_conv_transpose(struct graph *g, struct node *n)
{
	struct value *x = in_v(g, n, 0), *w = in_v(g, n, 1), *bias = in_v(g, n, 2);
	struct value *o = out_v(g, n);
	int64_t xd[4], xs[4], wd[4], ws[4], od[4], os[4];
	int64_t kernel[2], stride[2], dil[2], pb[2], pe[2], out[2];
	int64_t group = gc_attr_int(n, "group", 1), K, C, G, i;
	struct view xv, ov, bv, fv;
	struct opnd oy;
	struct gconv_desc d;
	float *flip;
	int r, fb;

	r = view_of(g, n->in[0], &xv);
	if (!r && bias)
		r = view_of(g, n->in[2], &bv);
	if (!r)
		r = new_view(g, n->out[0], &ov);
	if (r)
		return r;
	as_2d(x, &xv, xd, xs);
	{
		struct view tmp;

		gc_contig_strides(w->ndim, w->dims, tmp.strides);
		as_2d(w, &tmp, wd, ws);
	}
	as_2d(o, &ov, od, os);
	kernel[0] = wd[2];
	kernel[1] = wd[3];
	r = geometry_2d(g, n, x, kernel, 1, stride, dil, pb, pe, out);
	if (r)
		return r;
	G = group;
	C = xd[1] / G;		/* input channels per group */
	K = wd[1];		/* output channels per group */

	if (!w->fdata) {
		/* runtime weights: flip r and s on the device with two
		 * anti-diagonal axis maps, keep the [C_in][K][R][S] layout */
		r = flip_runtime_weights(g, n, w, &fv);
		if (r)
			return r;
		oy = (struct opnd){ fv.buf, fv.off,
				    { 0, (uint64_t)(C * K * wd[2] * wd[3]),
				      (uint64_t)(wd[2] * wd[3]),
				      (uint64_t)(K * wd[2] * wd[3]),
				      (uint64_t)wd[3], 1 } };
		goto have_weights;
	}
	/* Y[g][k][c][r][s] = W[g*C + c][k][R-1-r][S-1-s] */
	flip = malloc((size_t)(G * K * C * wd[2] * wd[3]) * sizeof(float));
	if (!flip)
		return -ENOMEM;
	for (i = 0; i < G * K * C * wd[2] * wd[3]; i++) {
		int64_t s = i % wd[3], rr = (i / wd[3]) % wd[2];
		int64_t c = (i / (wd[3] * wd[2])) % C;
		int64_t k = (i / (wd[3] * wd[2] * C)) % K;
		int64_t gg = i / (wd[3] * wd[2] * C * K);
		int64_t src = ((gg * C + c) * K + k) * wd[2] * wd[3] +
			      (wd[2] - 1 - rr) * wd[3] + (wd[3] - 1 - s);

		flip[i] = w->fdata[src];
	}
	fb = gc_weight_buffer(g, flip, G * K * C * wd[2] * wd[3]);
	free(flip);
	if (fb < 0)
		return fb;
	fv.buf = fb;
	fv.off = 0;
	oy = (struct opnd){ fv.buf, 0,
			    { 0, (uint64_t)(K * C * wd[2] * wd[3]),
			      (uint64_t)(C * wd[2] * wd[3]),
			      (uint64_t)(wd[2] * wd[3]), (uint64_t)wd[3], 1 } };
have_weights:
	if (wd[2] == 1)
		oy.st[GCONV_SLOT_ROW] = 0;
	if (wd[3] == 1)
		oy.st[GCONV_SLOT_COL] = 0;

	conv_nest(&d, xd, wd, od, G, K, C, dil);
	d.in_dilation_h = (uint32_t)stride[0];
	d.in_dilation_w = (uint32_t)stride[1];
	/* full-correlation padding minus the requested crop */
	{
		int64_t t = dil[0] * (wd[2] - 1) - pb[0];
		int64_t l = dil[1] * (wd[3] - 1) - pb[1];

		if (t < 0 || l < 0)
			return gc_error(g, "pads larger than the dilated kernel "
					"are not supported");
		d.pad_top = (uint32_t)t;
		d.pad_left = (uint32_t)l;
		d.pad_bottom = (uint32_t)(dil[0] * (wd[2] - 1));
		d.pad_right = (uint32_t)(dil[1] * (wd[3] - 1));
	}
	return emit_conv(g, &d, &xv, xs, &oy, &ov, os, bias, &bv, o);
}

static int lower_pool(struct graph *g, struct node *n)
{
	struct value *x = in_v(g, n, 0), *o = out_v(g, n);
	int64_t xd[4], xs[4], od[4], os[4], kernel[2] = { 1, 1 };
	int64_t stride[2] = { 1, 1 }, dil[2] = { 1, 1 }, pb[2] = { 0, 0 };
	int64_t pe[2] = { 0, 0 }, out[2];
	int global = !strncmp(n->op, "Global", 6), is_max = strstr(n->op, "Max") != NULL;
	struct view xv, ov;
	struct opnd ox, oo;
	struct gconv_desc d;
	int r;

	r = view_of(g, n->in[0], &xv);
	if (!r)
		r = new_view(g, n->out[0], &ov);
	if (r)
		return r;
	as_2d(x, &xv, xd, xs);
	as_2d(o, &ov, od, os);
	if (global) {
		kernel[0] = xd[2];
		kernel[1] = xd[3];
	} else {
		int64_t ks[MAXD];
		int c = gc_attr_ints(n, "kernel_shape", ks, MAXD);

		if (c == 1) {
			kernel[1] = ks[0];
		} else {
			kernel[0] = ks[0];
			kernel[1] = ks[1];
		}
		r = geometry_2d(g, n, x, kernel, 0, stride, dil, pb, pe, out);
		if (r)
			return r;
	}
	gconv_desc_init(&d);
	d.n = (uint32_t)xd[0];
	d.k = (uint32_t)xd[1];
	d.p = (uint32_t)od[2];
	d.q = (uint32_t)od[3];
	d.r = (uint32_t)kernel[0];
	d.s = (uint32_t)kernel[1];
	d.in_h = (uint32_t)xd[2];
	d.in_w = (uint32_t)xd[3];
	d.stride_h = (uint32_t)stride[0];
	d.stride_w = (uint32_t)stride[1];
	d.dilation_h = (uint32_t)dil[0];
	d.dilation_w = (uint32_t)dil[1];
	d.pad_top = (uint32_t)pb[0];
	d.pad_bottom = (uint32_t)pe[0];
	d.pad_left = (uint32_t)pb[1];
	d.pad_right = (uint32_t)pe[1];
	d.main = GCONV_MAIN_TAKE_X;
	if (is_max) {
		d.reduce = GCONV_REDUCE_MAX;
		d.pad_value = gconv_f32_bits(-INFINITY);
	} else if (global) {
		d.reduce = GCONV_REDUCE_MEAN_ALL;
	} else {
		d.reduce = gc_attr_int(n, "count_include_pad", 0) ?
				   GCONV_REDUCE_MEAN_PADDED :
				   GCONV_REDUCE_MEAN_VALID;
	}
	ox = (struct opnd){ xv.buf, xv.off,
			    { (uint64_t)xs[0], 0, (uint64_t)xs[1], 0,
			      (uint64_t)xs[2], (uint64_t)xs[3] } };
	oo = (struct opnd){ ov.buf, ov.off,
			    { (uint64_t)os[0], 0, (uint64_t)os[1], 0,
			      (uint64_t)os[2], (uint64_t)os[3] } };
	r = emit_desc(g, &d, &ox, NULL, NULL, &oo);
	if (r < 0)
		return r;
	o->last_gconv = r;
	return 0;
}

/* ---- matrix products -------------------------------------------------------- */

static int lower_gemm(struct graph *g, struct node *n)
{
	struct value *a = in_v(g, n, 0), *cv = in_v(g, n, 2);
	struct value *o = out_v(g, n);
	float alpha = gc_attr_float(n, "alpha", 1.0f);
	float beta = gc_attr_float(n, "beta", 1.0f);
	int ta = (int)gc_attr_int(n, "transA", 0), tb = (int)gc_attr_int(n, "transB", 0);
	int64_t M = o->dims[0], N = o->dims[1], K;
	int64_t am, ak, bk, bn;
	struct view av, bv, ov, cvv;
	struct opnd ox, oy, ob = { 0 }, oo;
	struct gconv_desc d;
	int r, use_b = 0;

	r = view_of(g, n->in[0], &av);
	if (!r)
		r = view_of(g, n->in[1], &bv);
	if (!r)
		r = new_view(g, n->out[0], &ov);
	if (r)
		return r;
	K = ta ? a->dims[0] : a->dims[1];
	am = ta ? av.strides[1] : av.strides[0];
	ak = ta ? av.strides[0] : av.strides[1];
	bk = tb ? bv.strides[1] : bv.strides[0];
	bn = tb ? bv.strides[0] : bv.strides[1];

	gconv_desc_init(&d);
	d.n = (uint32_t)M;
	d.k = (uint32_t)N;
	d.c = (uint32_t)K;
	if (alpha != 1.0f) {
		d.pre = GCONV_PRE_AFFINE;
		d.pre_param[0] = gconv_f32_bits(alpha);
	}
	if (cv && beta != 0.0f) {
		struct view cb;

		r = view_of(g, n->in[2], &cvv);
		if (r)
			return r;
		bview(cv, &cvv, 2, o->dims, &cb);
		if (beta == 1.0f) {
			use_b = 1;
			d.combine = GCONV_COMBINE_ADD;
			ob = (struct opnd){ cb.buf, cb.off,
					    { (uint64_t)cb.strides[0], 0,
					      (uint64_t)cb.strides[1], 0, 0,
					      0 } };
		} else {
			/* O = beta * C first, then accumulate alpha * A B */
			struct gconv_desc ops;
			int e;

			ops_init(&ops, GCONV_MAIN_TAKE_X, GCONV_COMBINE_NONE,
				 GCONV_POST_AFFINE);
			set_param(ops.post_param, beta, 0, 0);
			e = emit_map(g, 2, o->dims, &ov, &cb, NULL, NULL, &ops);
			if (e < MAP_SEVERAL)
				return e + 2;
			d.flags |= GCONV_DESC_F_ACCUMULATE;
		}
	}
	ox = (struct opnd){ av.buf, av.off,
			    { (uint64_t)(M == 1 ? 0 : am), 0, 0,
			      (uint64_t)(K == 1 ? 0 : ak), 0, 0 } };
	oy = (struct opnd){ bv.buf, bv.off,
			    { 0, 0, (uint64_t)(N == 1 ? 0 : bn),
			      (uint64_t)(K == 1 ? 0 : bk), 0, 0 } };
	oo = (struct opnd){ ov.buf, ov.off,
			    { (uint64_t)ov.strides[0], 0,
			      (uint64_t)ov.strides[1], 0, 0, 0 } };
	r = emit_desc(g, &d, &ox, &oy, use_b ? &ob : NULL, &oo);
	if (r < 0)
		return r;
	o->last_gconv = (d.flags & GCONV_DESC_F_ACCUMULATE) ? -1 : r;
	return 0;
}

static int lower_matmul(struct graph *g, struct node *n)
{
	struct value *a = in_v(g, n, 0), *b = in_v(g, n, 1), *o = out_v(g, n);
	struct view av, bv, ov;
	int64_t M, N, K, am, ak, bk, bn, om, on;
	int64_t bd[MAXD], bs[3][MAXD], idx;
	int r, nb, i, j, present[3] = { 1, 1, 1 }, count = 0;
	int64_t outer = 1;
	struct gconv_desc d;

	r = view_of(g, n->in[0], &av);
	if (!r)
		r = view_of(g, n->in[1], &bv);
	if (!r)
		r = new_view(g, n->out[0], &ov);
	if (r)
		return r;
	/* [.., M, K] x [.., K, N]; a 1-D side has no M (or N) axis */
	if (a->ndim == 1) {
		M = 1;
		K = a->dims[0];
		am = 0;
		ak = av.strides[0];
	} else {
		M = a->dims[a->ndim - 2];
		K = a->dims[a->ndim - 1];
		am = av.strides[a->ndim - 2];
		ak = av.strides[a->ndim - 1];
	}
	if (b->ndim == 1) {
		N = 1;
		bk = bv.strides[0];
		bn = 0;
	} else {
		N = b->dims[b->ndim - 1];
		bk = bv.strides[b->ndim - 2];
		bn = bv.strides[b->ndim - 1];
	}
	nb = o->ndim - (a->ndim > 1) - (b->ndim > 1);
	om = a->ndim > 1 ? ov.strides[nb] : 0;
	on = b->ndim > 1 ? ov.strides[o->ndim - 1] : 0;
	/* batch dims, broadcast per operand */
	for (i = 0; i < nb; i++) {
		int ai = i - (nb - (a->ndim - 2)), bi = i - (nb - (b->ndim - 2));

		bd[i] = o->dims[i];
		bs[0][i] = ai >= 0 && a->dims[ai] != 1 ? av.strides[ai] : 0;
		bs[1][i] = bi >= 0 && b->dims[bi] != 1 ? bv.strides[bi] : 0;
		bs[2][i] = ov.strides[i];
	}
	for (i = 0, j = 0; i < nb; i++)
		if (bd[i] != 1) {
			bd[j] = bd[i];
			bs[0][j] = bs[0][i];
			bs[1][j] = bs[1][i];
			bs[2][j] = bs[2][i];
			j++;
		}
	nb = j;
	coalesce(&nb, bd, bs, 3, present);
	for (i = 0; i < nb - 2; i++)
		outer *= bd[i];
	if (outer > 4096)
		return gc_error(g, "too many batch dimensions");

	gconv_desc_init(&d);
	d.p = (uint32_t)M;
	d.in_h = (uint32_t)M;
	d.k = (uint32_t)N;
	d.c = (uint32_t)K;
	d.n = nb >= 1 ? (uint32_t)bd[nb - 1] : 1;
	d.g = nb >= 2 ? (uint32_t)bd[nb - 2] : 1;
	for (idx = 0; idx < outer; idx++) {
		int64_t rr = idx, ao = 0, bo = 0, oo2 = 0;
		struct opnd ox, oy, oo;

		for (j = nb - 3; j >= 0; j--) {
			int64_t k = rr % bd[j];

			rr /= bd[j];
			ao += k * bs[0][j];
			bo += k * bs[1][j];
			oo2 += k * bs[2][j];
		}
		ox = (struct opnd){ av.buf, av.off + ao,
				    { nb >= 1 ? (uint64_t)bs[0][nb - 1] : 0,
				      nb >= 2 ? (uint64_t)bs[0][nb - 2] : 0, 0,
				      (uint64_t)(K == 1 ? 0 : ak),
				      (uint64_t)(M == 1 ? 0 : am), 0 } };
		oy = (struct opnd){ bv.buf, bv.off + bo,
				    { nb >= 1 ? (uint64_t)bs[1][nb - 1] : 0,
				      nb >= 2 ? (uint64_t)bs[1][nb - 2] : 0,
				      (uint64_t)(N == 1 ? 0 : bn),
				      (uint64_t)(K == 1 ? 0 : bk), 0, 0 } };
		oo = (struct opnd){ ov.buf, ov.off + oo2,
				    { nb >= 1 ? (uint64_t)bs[2][nb - 1] : 0,
				      nb >= 2 ? (uint64_t)bs[2][nb - 2] : 0,
				      (uint64_t)(N == 1 ? 0 : on), 0,
				      (uint64_t)(M == 1 ? 0 : om), 0 } };
		r = emit_desc(g, &d, &ox, &oy, NULL, &oo);
		if (r < 0)
			return r;
		count++;
	}
	o->last_gconv = count == 1 ? r : -1;
	return 0;
}

/* ---- softmax, reductions, normalisation -------------------------------- */

/* reduced-shape temp: same rank, reduced axes of size 1 */
static int reduced_temp(struct graph *g, const struct value *x, const int *red,
			struct view *t)
{
	int64_t dims[MAXD];
	int i, r;

	for (i = 0; i < x->ndim; i++)
		dims[i] = red[i] ? 1 : x->dims[i];
	r = temp_view(g, x->ndim, dims, t);
	if (r)
		return r;
	for (i = 0; i < x->ndim; i++)
		if (red[i])
			t->strides[i] = 0;
	return 0;
}

static int lower_softmax(struct graph *g, struct node *n)
{
	struct value *x = in_v(g, n, 0);
	int logsm = IS(n, "LogSoftmax");
	int64_t axis = gc_attr_int(n, "axis", g->opset >= 13 ? -1 : 1);
	int red[MAXD] = { 0 }, i, r, e;
	struct view xv, ov, m, t, s;
	struct gconv_desc ops;

	if (axis < 0)
		axis += x->ndim;
	if (axis < 0 || axis >= x->ndim)
		return gc_error(g, "axis out of range");
	for (i = 0; i < x->ndim; i++)
		red[i] = g->opset >= 13 ? i == axis : i >= axis;
	r = view_of(g, n->in[0], &xv);
	if (!r)
		r = new_view(g, n->out[0], &ov);
	if (!r)
		r = reduced_temp(g, x, red, &m);
	if (!r)
		r = reduced_temp(g, x, red, &s);
	if (!r)
		r = temp_view(g, x->ndim, x->dims, &t);
	if (r)
		return r;
	for (i = 0; i < x->ndim; i++)
		if (x->dims[i] == 1)
			t.strides[i] = 0;

	/* 1: m = max over the axis */
	gconv_desc_init(&ops);
	ops.main = GCONV_MAIN_TAKE_X;
	ops.reduce = GCONV_REDUCE_MAX;
	r = emit_reduce(g, x->ndim, x->dims, red, &xv, NULL, &m, &ops);
	if (r < MAP_SEVERAL)
		return r;
	/* 2: t = x - m (softmax: exp(x - m)) */
	ops_init(&ops, GCONV_MAIN_TAKE_X, GCONV_COMBINE_SUB,
		 logsm ? GCONV_POST_IDENTITY : GCONV_POST_EXP);
	e = emit_map(g, x->ndim, x->dims, &t, &xv, NULL, &m, &ops);
	if (e < MAP_SEVERAL)
		return e + 2;
	/* 3: s = sum t (log-softmax: log sum exp t) */
	gconv_desc_init(&ops);
	ops.main = GCONV_MAIN_TAKE_X;
	if (logsm) {
		ops.pre = GCONV_PRE_EXP;
		ops.post = GCONV_POST_LOG;
	}
	r = emit_reduce(g, x->ndim, x->dims, red, &t, NULL, &s, &ops);
	if (r < MAP_SEVERAL)
		return r;
	/* 4: out = t / s (log-softmax: t - s) */
	ops_init(&ops, GCONV_MAIN_TAKE_X,
		 logsm ? GCONV_COMBINE_SUB : GCONV_COMBINE_DIV,
		 GCONV_POST_IDENTITY);
	return finish_map(g, n->out[0],
			  emit_map(g, x->ndim, x->dims, &ov, &t, NULL, &s,
				   &ops));
}

static int lower_reduce(struct graph *g, struct node *n)
{
	struct value *x = in_v(g, n, 0), *o = out_v(g, n);
	int64_t axes[MAXD];
	int red[MAXD] = { 0 }, i, cnt, r;
	int from = IS(n, "ReduceSum") ? 13 : 18;
	struct view xv, ov, rv;
	struct gconv_desc ops;

	if (g->opset >= from) {
		cnt = 0;
		if (n->nin > 1 && n->in[1] >= 0) {
			struct value *av = in_v(g, n, 1);

			for (i = 0; i < gc_numel(av) && i < MAXD; i++)
				axes[i] = av->idata[i];
			cnt = (int)gc_numel(av);
		}
	} else {
		cnt = gc_attr_ints(n, "axes", axes, MAXD);
		if (cnt < 0)
			cnt = 0;
	}
	r = view_of(g, n->in[0], &xv);
	if (r)
		return r;
	if (!cnt && gc_attr_int(n, "noop_with_empty_axes", 0)) {
		r = new_view(g, n->out[0], &ov);
		return r ? r : emit_copy(g, x->ndim, x->dims, &ov, &xv);
	}
	for (i = 0; i < x->ndim; i++)
		red[i] = !cnt;
	for (i = 0; i < cnt; i++)
		red[axes[i] < 0 ? axes[i] + x->ndim : axes[i]] = 1;
	r = new_view(g, n->out[0], &ov);
	if (r)
		return r;
	/* output strides seen in the input's rank (reduced axes: 0) */
	{
		int k = 0, keep = (int)gc_attr_int(n, "keepdims", 1);

		rv = ov;
		for (i = 0; i < x->ndim; i++) {
			if (red[i]) {
				rv.strides[i] = 0;
				if (keep)
					k++;
			} else {
				rv.strides[i] = ov.strides[k++];
			}
		}
	}
	gconv_desc_init(&ops);
	ops.main = GCONV_MAIN_TAKE_X;
	if (IS(n, "ReduceMean")) {
		ops.reduce = GCONV_REDUCE_MEAN_ALL;
	} else if (IS(n, "ReduceMax")) {
		ops.reduce = GCONV_REDUCE_MAX;
	} else if (IS(n, "ReduceMin")) {
		ops.reduce = GCONV_REDUCE_MIN;
	} else if (IS(n, "ReduceSumSquare")) {
		ops.pre = GCONV_PRE_SQUARE;
	} else if (IS(n, "ReduceL1")) {
		ops.pre = GCONV_PRE_ABS;
	} else if (IS(n, "ReduceL2")) {
		ops.pre = GCONV_PRE_SQUARE;
		ops.post = GCONV_POST_SQRT;
	} else if (IS(n, "ReduceLogSum")) {
		ops.post = GCONV_POST_LOG;
	} else if (IS(n, "ReduceLogSumExp")) {
		ops.pre = GCONV_PRE_EXP;
		ops.post = GCONV_POST_LOG;
	}
	r = emit_reduce(g, x->ndim, x->dims, red, &xv, NULL, &rv, &ops);
	if (r < MAP_SEVERAL)
		return r;
	o->last_gconv = r >= 0 ? r : -1;
	return 0;
}

/* per-channel [C] constant as a view broadcast over an [N, C, ...] tensor */
static int channel_view(struct graph *g, const float *data, int64_t c,
			int rank, struct view *out)
{
	int b = gc_weight_buffer(g, data, c), i;

	if (b < 0)
		return b;
	out->buf = b;
	out->off = 0;
	for (i = 0; i < rank; i++)
		out->strides[i] = 0;
	out->strides[1] = c == 1 ? 0 : 1;
	return 0;
}

/*
 * BatchNorm whose parameters are runtime tensors: compute the per-channel
 * a = scale / sqrt(var + eps) and b = B - mean * a with four small GCONVs,
 * then y = x * a + b.
 */
static int lower_batchnorm_runtime(struct graph *g, struct node *n)
{
	struct value *x = in_v(g, n, 0);
	float eps = gc_attr_float(n, "epsilon", 1e-5f);
	int64_t C = x->dims[1];
	struct view pv[4], a, b, t, xv, ov, av, bv;
	struct gconv_desc ops;
	int r, i, e;

	for (i = 0; i < 4; i++) {
		struct value *p = in_v(g, n, i + 1);

		if (gc_numel(p) != C)
			return gc_error(g, "parameters must have %lld elements",
					(long long)C);
		r = view_of(g, n->in[i + 1], &pv[i]);
		if (r)
			return r;
		pv[i].strides[0] = C == 1 ? 0 : pv[i].strides[0];
	}
	r = temp_view(g, 1, &C, &a);
	if (!r)
		r = temp_view(g, 1, &C, &b);
	if (!r)
		r = temp_view(g, 1, &C, &t);
	if (r)
		return r;
	/* t = (var + eps)^-1/2 ; a = scale * t */
	ops_init(&ops, GCONV_MAIN_TAKE_X, GCONV_COMBINE_NONE,
		 GCONV_POST_AFFINE_POW);
	set_param(ops.post_param, 1.0f, eps, -0.5f);
	e = emit_map(g, 1, &C, &t, &pv[3], NULL, NULL, &ops);
	if (e < MAP_SEVERAL)
		return e + 2;
	ops_init(&ops, GCONV_MAIN_TAKE_X, GCONV_COMBINE_MUL,
		 GCONV_POST_IDENTITY);
	e = emit_map(g, 1, &C, &a, &pv[0], NULL, &t, &ops);
	if (e < MAP_SEVERAL)
		return e + 2;
	/* b = -(mean * a) + B */
	ops_init(&ops, GCONV_MAIN_TAKE_X, GCONV_COMBINE_MUL, GCONV_POST_NEG);
	e = emit_map(g, 1, &C, &t, &pv[2], NULL, &a, &ops);
	if (e < MAP_SEVERAL)
		return e + 2;
	ops_init(&ops, GCONV_MAIN_TAKE_X, GCONV_COMBINE_ADD,
		 GCONV_POST_IDENTITY);
	e = emit_map(g, 1, &C, &b, &t, NULL, &pv[1], &ops);
	if (e < MAP_SEVERAL)
		return e + 2;
	/* y = x * a + b, per channel */
	r = view_of(g, n->in[0], &xv);
	if (!r)
		r = new_view(g, n->out[0], &ov);
	if (r)
		return r;
	av = a;
	bv = b;
	for (i = 0; i < x->ndim; i++)
		av.strides[i] = bv.strides[i] = 0;
	av.strides[1] = bv.strides[1] = C == 1 ? 0 : 1;
	ops_init(&ops, GCONV_MAIN_MUL, GCONV_COMBINE_ADD, GCONV_POST_IDENTITY);
	return finish_map(g, n->out[0],
			  emit_map(g, x->ndim, x->dims, &ov, &xv, &av, &bv,
				   &ops));
}

static int lower_batchnorm(struct graph *g, struct node *n)
{
	struct value *x = in_v(g, n, 0);
	struct value *sc = in_v(g, n, 1), *bi = in_v(g, n, 2);
	struct value *mean = in_v(g, n, 3), *var = in_v(g, n, 4);
	float eps = gc_attr_float(n, "epsilon", 1e-5f), *a, *b;
	int64_t C = x->dims[1], i;
	struct view xv, ov, av, bv;
	struct gconv_desc ops;
	int r;

	if (n->nin < 5 || !sc || !bi || !mean || !var)
		return gc_error(g, "needs scale, B, mean and var");
	if (!sc->fdata || !bi->fdata || !mean->fdata || !var->fdata)
		return lower_batchnorm_runtime(g, n);
	if (gc_numel(sc) != C || gc_numel(bi) != C || gc_numel(mean) != C ||
	    gc_numel(var) != C)
		return gc_error(g, "parameters must have %lld elements",
				(long long)C);
	a = malloc((size_t)C * sizeof(float));
	b = malloc((size_t)C * sizeof(float));
	if (!a || !b) {
		free(a);
		free(b);
		return -ENOMEM;
	}
	for (i = 0; i < C; i++) {
		double inv = 1.0 / sqrt((double)var->fdata[i] + eps);

		a[i] = (float)(sc->fdata[i] * inv);
		b[i] = (float)(bi->fdata[i] - mean->fdata[i] * sc->fdata[i] * inv);
	}
	r = channel_view(g, a, C, x->ndim, &av);
	if (!r)
		r = channel_view(g, b, C, x->ndim, &bv);
	free(a);
	free(b);
	if (!r)
		r = view_of(g, n->in[0], &xv);
	if (!r)
		r = unary_out_view(g, n->in[0], n->out[0], &ov);
	if (r)
		return r;
	ops_init(&ops, GCONV_MAIN_MUL, GCONV_COMBINE_ADD, GCONV_POST_IDENTITY);
	return finish_map(g, n->out[0],
			  emit_map(g, x->ndim, x->dims, &ov, &xv, &av, &bv,
				   &ops));
}

static int lower_instancenorm(struct graph *g, struct node *n)
{
	struct value *x = in_v(g, n, 0), *o = out_v(g, n);
	struct value *sc = in_v(g, n, 1), *bi = in_v(g, n, 2);
	float eps = gc_attr_float(n, "epsilon", 1e-5f);
	int red[MAXD] = { 0 }, i, r, e;
	struct view xv, ov, mean, inv, sv, bv;
	struct gconv_desc ops;

	if (!sc || !bi)
		return gc_error(g, "needs scale and B");
	for (i = 2; i < x->ndim; i++)
		red[i] = 1;
	r = view_of(g, n->in[0], &xv);
	if (!r)
		r = view_of(g, n->in[1], &sv);
	if (!r)
		r = view_of(g, n->in[2], &bv);
	if (!r)
		r = new_view(g, n->out[0], &ov);
	if (!r)
		r = reduced_temp(g, x, red, &mean);
	if (!r)
		r = reduced_temp(g, x, red, &inv);
	if (r)
		return r;
	/* 1: mean over the spatial axes */
	gconv_desc_init(&ops);
	ops.main = GCONV_MAIN_TAKE_X;
	ops.reduce = GCONV_REDUCE_MEAN_ALL;
	r = emit_reduce(g, x->ndim, x->dims, red, &xv, NULL, &mean, &ops);
	if (r < MAP_SEVERAL)
		return r;
	/* 2: 1/sqrt(mean((x - mean)^2) + eps) */
	gconv_desc_init(&ops);
	ops.main = GCONV_MAIN_SQDIFF;
	ops.reduce = GCONV_REDUCE_MEAN_ALL;
	ops.post = GCONV_POST_AFFINE_POW;
	set_param(ops.post_param, 1.0f, eps, -0.5f);
	r = emit_reduce(g, x->ndim, x->dims, red, &xv, &mean, &inv, &ops);
	if (r < MAP_SEVERAL)
		return r;
	/* 3: (x - mean) * inv */
	ops_init(&ops, GCONV_MAIN_SUB, GCONV_COMBINE_MUL, GCONV_POST_IDENTITY);
	e = emit_map(g, x->ndim, x->dims, &ov, &xv, &mean, &inv, &ops);
	if (e < MAP_SEVERAL)
		return e + 2;
	/* 4: * scale + B, in place */
	{
		struct view s2, b2;

		bview(sc, &sv, x->ndim, x->dims, &s2);
		bview(bi, &bv, x->ndim, x->dims, &b2);
		for (i = 0; i < x->ndim; i++)
			if (i != 1) {
				s2.strides[i] = 0;
				b2.strides[i] = 0;
			}
		s2.strides[1] = sc->dims[0] == 1 ? 0 : sv.strides[0];
		b2.strides[1] = bi->dims[0] == 1 ? 0 : bv.strides[0];
		ops_init(&ops, GCONV_MAIN_MUL, GCONV_COMBINE_ADD,
			 GCONV_POST_IDENTITY);
		return finish_map(g, n->out[0],
				  emit_map(g, x->ndim, x->dims, &ov, &ov, &s2,
					   &b2, &ops));
	}
	(void)o;
}

static int lower_lrn(struct graph *g, struct node *n)
{
	struct value *x = in_v(g, n, 0);
	float alpha = gc_attr_float(n, "alpha", 1e-4f);
	float beta = gc_attr_float(n, "beta", 0.75f);
	float bias = gc_attr_float(n, "bias", 1.0f);
	int64_t size = gc_attr_int(n, "size", 0), N, C, H, W;
	struct view xv, ov, t;
	struct opnd ox, oo;
	struct gconv_desc d;
	int r, e;

	if (size < 1)
		return gc_error(g, "size must be positive");
	if (x->ndim != 4)
		return gc_error(g, "only 4-D inputs are supported");
	N = x->dims[0];
	C = x->dims[1];
	H = x->dims[2];
	W = x->dims[3];
	r = view_of(g, n->in[0], &xv);
	if (!r)
		r = new_view(g, n->out[0], &ov);
	if (!r)
		r = temp_view(g, 4, x->dims, &t);
	if (r)
		return r;
	/* 1: channels as rows: t = (bias + alpha/size * window sum x^2)^beta */
	gconv_desc_init(&d);
	d.n = (uint32_t)N;
	d.g = (uint32_t)H;
	d.k = (uint32_t)W;
	d.p = (uint32_t)C;
	d.in_h = (uint32_t)C;
	d.r = (uint32_t)size;
	d.pad_top = (uint32_t)((size - 1) / 2);
	d.pad_bottom = (uint32_t)(size / 2);
	d.pre = GCONV_PRE_SQUARE;
	d.main = GCONV_MAIN_TAKE_X;
	d.post = GCONV_POST_AFFINE_POW;
	set_param(d.post_param, alpha / (float)size, bias, beta);
	ox = (struct opnd){ xv.buf, xv.off,
			    { (uint64_t)xv.strides[0], (uint64_t)xv.strides[2],
			      (uint64_t)xv.strides[3], 0,
			      (uint64_t)xv.strides[1], 0 } };
	oo = (struct opnd){ t.buf, t.off,
			    { (uint64_t)t.strides[0], (uint64_t)t.strides[2],
			      (uint64_t)t.strides[3], 0,
			      (uint64_t)t.strides[1], 0 } };
	r = emit_desc(g, &d, &ox, NULL, NULL, &oo);
	if (r < 0)
		return r;
	/* 2: x / t */
	{
		struct gconv_desc ops;

		ops_init(&ops, GCONV_MAIN_TAKE_X, GCONV_COMBINE_DIV,
			 GCONV_POST_IDENTITY);
		e = emit_map(g, 4, x->dims, &ov, &xv, NULL, &t, &ops);
	}
	return finish_map(g, n->out[0], e);
}

/* ---- padding and resizing -------------------------------------------------- */

static int lower_pad(struct graph *g, struct node *n)
{
	struct value *x = in_v(g, n, 0), *o = out_v(g, n);
	const char *mode = gc_attr_str(n, "mode", "constant");
	int64_t pads[2 * MAXD], dims[MAXD];
	float value = 0;
	struct view xv, ov, fill, src, dst;
	struct gconv_desc ops;
	int r, i, cnt, e, any = 0, runtime_value = -1;

	if (strcmp(mode, "constant"))
		return gc_error(g, "mode '%s' is not supported (constant is)",
				mode);
	if (g->opset >= 11) {
		struct value *p = in_v(g, n, 1), *cv = in_v(g, n, 2);

		cnt = (int)gc_numel(p);
		for (i = 0; i < cnt; i++)
			pads[i] = p->idata[i];
		if (cv && cv->fdata)
			value = cv->fdata[0];
		else if (cv)
			runtime_value = n->in[2];
	} else {
		cnt = gc_attr_ints(n, "pads", pads, 2 * MAXD);
		value = gc_attr_float(n, "value", 0.0f);
	}
	r = view_of(g, n->in[0], &xv);
	if (!r)
		r = new_view(g, n->out[0], &ov);
	if (r)
		return r;
	/* fill the whole output with the constant, then copy the input in */
	if (runtime_value >= 0) {
		r = view_of(g, runtime_value, &fill);
		if (r)
			return r;
	} else {
		r = gc_weight_buffer(g, &value, 1);
		if (r < 0)
			return r;
		fill.buf = r;
		fill.off = 0;
	}
	memset(fill.strides, 0, sizeof(fill.strides));
	for (i = 0; i < x->ndim; i++)
		any |= pads[i] > 0 || pads[i + x->ndim] > 0;
	if (any) {
		ops_init(&ops, GCONV_MAIN_TAKE_Y, GCONV_COMBINE_NONE,
			 GCONV_POST_IDENTITY);
		e = emit_map(g, o->ndim, o->dims, &ov, NULL, &fill, NULL, &ops);
		if (e < MAP_SEVERAL)
			return e + 2;
	}
	src = xv;
	dst = ov;
	for (i = 0; i < x->ndim; i++) {
		int64_t b = pads[i], en = pads[i + x->ndim];

		dims[i] = x->dims[i];
		if (b < 0) {
			src.off += -b * xv.strides[i];
			dims[i] += b;
		} else {
			dst.off += b * ov.strides[i];
		}
		if (en < 0)
			dims[i] += en;
		if (dims[i] <= 0)
			return 0; /* everything cropped away: all fill */
	}
	return emit_copy(g, x->ndim, dims, &dst, &src);
}

/* ONNX Resize's source coordinate of output index i along one axis */
static double resize_coord(const char *mode, int64_t i, int64_t in,
			   int64_t out, double scale)
{
	double len_out = in * scale;	/* as ONNX's reference: unrounded */

	(void)out;
	if (!strcmp(mode, "align_corners"))
		return len_out == 1 ? 0.0 : (double)i * (in - 1) / (len_out - 1);
	if (!strcmp(mode, "asymmetric"))
		return i / scale;
	if (!strcmp(mode, "pytorch_half_pixel"))
		return len_out > 1 ? (i + 0.5) / scale - 0.5 : -0.5;
	if (!strcmp(mode, "tf_half_pixel_for_nn"))
		return (i + 0.5) / scale;
	return (i + 0.5) / scale - 0.5; /* half_pixel */
}

/* interpolation matrix [out][in] for one axis, following ONNX's
 * reference: neighbours are the n nearest indices (edge-clamped) */
static int resize_matrix(struct graph *g, struct node *n, int64_t in,
			 int64_t out, double scale, float *m)
{
	const char *cmode = gc_attr_str(n, "coordinate_transformation_mode",
					"half_pixel");
	char ctm[48], mode[16], nmode[32];
	double A = gc_attr_float(n, "cubic_coeff_a", -0.75f);
	int excl = (int)gc_attr_int(n, "exclude_outside", 0);
	int64_t i, j;

	snprintf(ctm, sizeof(ctm), "%s", g->opset >= 11 ? cmode : "asymmetric");
	if (IS(n, "Upsample"))
		snprintf(ctm, sizeof(ctm), "asymmetric");
	snprintf(mode, sizeof(mode), "%s", gc_attr_str(n, "mode", "nearest"));
	/* Upsample and Resize-10 pick the floor for nearest */
	snprintf(nmode, sizeof(nmode), "%s",
		 gc_attr_str(n, "nearest_mode",
			     g->opset >= 11 && !IS(n, "Upsample") ?
				     "round_prefer_floor" : "floor"));
	if (strcmp(ctm, "half_pixel") && strcmp(ctm, "align_corners") &&
	    strcmp(ctm, "asymmetric") && strcmp(ctm, "pytorch_half_pixel") &&
	    strcmp(ctm, "tf_half_pixel_for_nn"))
		return gc_error(g, "coordinate_transformation_mode '%s' is not "
				"supported", ctm);
	if (strcmp(nmode, "round_prefer_floor") &&
	    strcmp(nmode, "round_prefer_ceil") && strcmp(nmode, "floor") &&
	    strcmp(nmode, "ceil"))
		return gc_error(g, "nearest_mode '%s' is unknown", nmode);
	if (gc_attr_int(n, "antialias", 0))
		return gc_error(g, "antialias is not supported");
	if (strcmp(mode, "nearest") && strcmp(mode, "linear") &&
	    strcmp(mode, "cubic") && strcmp(mode, "bilinear"))
		return gc_error(g, "mode '%s' is not supported", mode);
	memset(m, 0, (size_t)(in * out) * sizeof(float));
	for (i = 0; i < out; i++) {
		double x = resize_coord(ctm, i, in, out, scale);
		double x0 = floor(x), ratio = x == x0 ? 1.0 : x - x0;
		double c[4];
		int64_t base, cnt;

		if (!strcmp(mode, "nearest")) {
			int64_t ix;

			if (x == x0)
				ix = (int64_t)x;
			else if (!strcmp(nmode, "floor"))
				ix = (int64_t)x0;
			else if (!strcmp(nmode, "ceil"))
				ix = (int64_t)x0 + 1;
			else if (!strcmp(nmode, "round_prefer_ceil"))
				ix = (int64_t)x0 + (ratio >= 0.5);
			else
				ix = (int64_t)x0 + (ratio > 0.5);
			if (ix < 0)
				ix = 0;
			if (ix > in - 1)
				ix = in - 1;
			m[i * in + ix] = 1.0f;
			continue;
		}
		if (!strcmp(mode, "cubic")) {
			double r1 = ratio + 1, r2 = 1 - ratio, r3 = 2 - ratio;

			c[0] = ((A * r1 - 5 * A) * r1 + 8 * A) * r1 - 4 * A;
			c[1] = ((A + 2) * ratio - (A + 3)) * ratio * ratio + 1;
			c[2] = ((A + 2) * r2 - (A + 3)) * r2 * r2 + 1;
			c[3] = ((A * r3 - 5 * A) * r3 + 8 * A) * r3 - 4 * A;
			cnt = 4;
			base = x == x0 ? (int64_t)x - 2 : (int64_t)x0 - 1;
		} else {
			c[0] = 1 - ratio;
			c[1] = ratio;
			cnt = 2;
			base = x == x0 ? (int64_t)x - 1 : (int64_t)x0;
		}
		if (excl) {
			double sum = 0;

			for (j = 0; j < cnt; j++)
				if (base + j < 0 || base + j >= in)
					c[j] = 0;
			for (j = 0; j < cnt; j++)
				sum += c[j];
			if (sum != 0)
				for (j = 0; j < cnt; j++)
					c[j] /= sum;
		}
		for (j = 0; j < cnt; j++) {
			int64_t ix = base + j;

			ix = ix < 0 ? 0 : (ix > in - 1 ? in - 1 : ix);
			m[i * in + ix] += (float)c[j];
		}
	}
	return 0;
}

/* out = M · in along one axis: n, g <- dims before, k <- out index,
 * c <- in index, p, q <- dims after (coalesced) */
static int emit_axis_map(struct graph *g, int rank, const int64_t *dims,
			 int axis, const struct view *xv, const struct view *ov,
			 int64_t out, int mbuf)
{
	int64_t bd[MAXD], bs[2][MAXD], ad[MAXD], as[2][MAXD], idx, outer = 1;
	int nb = 0, na = 0, i, present[2] = { 1, 1 }, r = 0;
	struct gconv_desc d;

	for (i = 0; i < axis; i++)
		if (dims[i] != 1) {
			bd[nb] = dims[i];
			bs[0][nb] = xv->strides[i];
			bs[1][nb] = ov->strides[i];
			nb++;
		}
	for (i = axis + 1; i < rank; i++)
		if (dims[i] != 1) {
			ad[na] = dims[i];
			as[0][na] = xv->strides[i];
			as[1][na] = ov->strides[i];
			na++;
		}
	coalesce(&nb, bd, bs, 2, present);
	coalesce(&na, ad, as, 2, present);
	if (na > 2)
		return gc_error(g, "cannot resize this layout");
	for (i = 0; i < nb - 2; i++)
		outer *= bd[i];
	gconv_desc_init(&d);
	d.n = nb >= 1 ? (uint32_t)bd[nb - 1] : 1;
	d.g = nb >= 2 ? (uint32_t)bd[nb - 2] : 1;
	d.k = (uint32_t)out;
	d.c = (uint32_t)dims[axis];
	d.p = na == 2 ? (uint32_t)ad[0] : 1;
	d.q = na >= 1 ? (uint32_t)ad[na - 1] : 1;
	d.in_h = d.p;
	d.in_w = d.q;
	for (idx = 0; idx < outer; idx++) {
		int64_t rr = idx, xo = 0, oo2 = 0;
		int j;
		struct opnd ox, oy, oo;

		for (j = nb - 3; j >= 0; j--) {
			int64_t k = rr % bd[j];

			rr /= bd[j];
			xo += k * bs[0][j];
			oo2 += k * bs[1][j];
		}
		ox = (struct opnd){ xv->buf, xv->off + xo,
				    { nb >= 1 ? (uint64_t)bs[0][nb - 1] : 0,
				      nb >= 2 ? (uint64_t)bs[0][nb - 2] : 0, 0,
				      (uint64_t)xv->strides[axis],
				      na == 2 ? (uint64_t)as[0][0] : 0,
				      na >= 1 ? (uint64_t)as[0][na - 1] : 0 } };
		oy = (struct opnd){ mbuf, 0,
				    { 0, 0, (uint64_t)dims[axis], 1, 0, 0 } };
		oo = (struct opnd){ ov->buf, ov->off + oo2,
				    { nb >= 1 ? (uint64_t)bs[1][nb - 1] : 0,
				      nb >= 2 ? (uint64_t)bs[1][nb - 2] : 0,
				      (uint64_t)ov->strides[axis], 0,
				      na == 2 ? (uint64_t)as[1][0] : 0,
				      na >= 1 ? (uint64_t)as[1][na - 1] : 0 } };
		if (out == 1)
			oy.st[GCONV_SLOT_K] = oo.st[GCONV_SLOT_K] = 0;
		r = emit_desc(g, &d, &ox, &oy, NULL, &oo);
		if (r < 0)
			return r;
	}
	return 0;
}

static int lower_resize(struct graph *g, struct node *n)
{
	struct value *x = in_v(g, n, 0), *o = out_v(g, n);
	int64_t out[MAXD], cur[MAXD];
	double scale[MAXD];
	struct view xv, ov, cv;
	int r, i, last = -1, steps = 0;

	r = gc_resize_sizes(g, n, out, scale);
	if (!r)
		r = view_of(g, n->in[0], &xv);
	if (!r)
		r = new_view(g, n->out[0], &ov);
	if (r)
		return r;
	for (i = 0; i < x->ndim; i++)
		if (out[i] != x->dims[i] || scale[i] != 1.0)
			last = i;
	if (last < 0)
		return emit_copy(g, x->ndim, x->dims, &ov, &xv);
	memcpy(cur, x->dims, sizeof(cur));
	cv = xv;
	for (i = 0; i <= last; i++) {
		float *m;
		int mb;
		struct view dst;

		if (out[i] == x->dims[i] && scale[i] == 1.0)
			continue;
		m = malloc((size_t)(out[i] * x->dims[i]) * sizeof(float));
		if (!m)
			return -ENOMEM;
		r = resize_matrix(g, n, x->dims[i], out[i], scale[i], m);
		if (r) {
			free(m);
			return r;
		}
		mb = gc_weight_buffer(g, m, out[i] * x->dims[i]);
		free(m);
		if (mb < 0)
			return mb;
		cur[i] = out[i];
		if (i == last) {
			dst = ov;
		} else {
			r = temp_view(g, x->ndim, cur, &dst);
			if (r)
				return r;
		}
		{
			int64_t dd[MAXD];

			memcpy(dd, cur, sizeof(dd));
			dd[i] = x->dims[i];
			r = emit_axis_map(g, x->ndim, dd, i, &cv, &dst, out[i],
					  mb);
		}
		if (r)
			return r;
		cv = dst;
		steps++;
	}
	(void)steps;
	(void)o;
	return 0;
}

/* ---- driver ------------------------------------------------------------------ */

struct lower_rule {
	const char *op;
	int (*fn)(struct graph *g, struct node *n);
};

static const struct lower_rule lrules[] = {
	{ "Conv", lower_conv }, { "ConvTranspose", lower_conv_transpose },
	{ "MaxPool", lower_pool }, { "AveragePool", lower_pool },
	{ "GlobalAveragePool", lower_pool }, { "GlobalMaxPool", lower_pool },
	{ "Gemm", lower_gemm }, { "MatMul", lower_matmul },
	{ "Add", lower_binary }, { "Sub", lower_binary },
	{ "Mul", lower_binary }, { "Div", lower_binary },
	{ "Max", lower_binary }, { "Min", lower_binary },
	{ "Sum", lower_binary }, { "Mean", lower_binary },
	{ "Pow", lower_binary }, { "PRelu", lower_binary },
	{ "Relu", lower_activation }, { "LeakyRelu", lower_activation },
	{ "Sigmoid", lower_activation }, { "Tanh", lower_activation },
	{ "Clip", lower_activation }, { "HardSigmoid", lower_activation },
	{ "HardSwish", lower_activation }, { "Elu", lower_activation },
	{ "Selu", lower_activation }, { "Softplus", lower_activation },
	{ "Abs", lower_activation }, { "Neg", lower_activation },
	{ "Exp", lower_activation }, { "Log", lower_activation },
	{ "Sqrt", lower_activation }, { "Reciprocal", lower_activation },
	{ "Softmax", lower_softmax }, { "LogSoftmax", lower_softmax },
	{ "BatchNormalization", lower_batchnorm },
	{ "InstanceNormalization", lower_instancenorm }, { "LRN", lower_lrn },
	{ "Identity", lower_identity }, { "Dropout", lower_identity },
	{ "Cast", lower_identity },
	{ "Reshape", lower_reshape_like }, { "Flatten", lower_reshape_like },
	{ "Squeeze", lower_reshape_like }, { "Unsqueeze", lower_reshape_like },
	{ "Transpose", lower_transpose }, { "Slice", lower_slice },
	{ "Gather", lower_gather }, { "Expand", lower_expand },
	{ "Concat", lower_concat }, { "Pad", lower_pad },
	{ "Resize", lower_resize }, { "Upsample", lower_resize },
	{ "ReduceMean", lower_reduce }, { "ReduceMax", lower_reduce },
	{ "ReduceMin", lower_reduce }, { "ReduceSum", lower_reduce },
	{ "ReduceSumSquare", lower_reduce }, { "ReduceL1", lower_reduce },
	{ "ReduceL2", lower_reduce }, { "ReduceLogSum", lower_reduce },
	{ "ReduceLogSumExp", lower_reduce },
};

/* Graph inputs get arena storage of their own, live for the whole run. */
static int place_inputs(struct graph *g)
{
	int i;

	for (i = 0; i < g->ninputs; i++) {
		struct value *v = &g->val[g->inputs[i]];
		struct view vv;
		int r = new_view(g, g->inputs[i], &vv);

		if (r)
			return r;
		/* inputs stay intact for the whole run: callers may run a
		 * session again on the same input */
		g->buf[vv.buf].pinned_start = 1;
		g->buf[vv.buf].pinned_end = 1;
		(void)v;
	}
	return 0;
}

/* Every graph output must end up contiguous in an arena buffer of its own
 * kind; copy it there when it is a view of something else. */
static int place_outputs(struct graph *g)
{
	int i, j;

	g->cur_node = -1;
	for (i = 0; i < g->noutputs; i++) {
		struct value *v = &g->val[g->outputs[i]];
		struct view vv;
		int r, shared = 0;

		r = view_of(g, g->outputs[i], &vv);
		if (r)
			return r;
		for (j = 0; j < i; j++)
			shared |= g->val[g->outputs[j]].v.buf == vv.buf;
		if (!gc_numel(v))
			return gc_error(g, "output '%s' has no elements; empty "
					"tensors are not supported", v->name);
		/* an output of its own: not a weight, not a graph input,
		 * not a strided view, not shared with another output */
		if (g->buf[vv.buf].kind != BUF_ARENA || !is_contig(v, &vv) ||
		    shared || g->buf[vv.buf].pinned_start) {
			struct view nv;

			r = temp_view(g, v->ndim, v->dims, &nv);
			if (!r)
				r = emit_copy(g, v->ndim, v->dims, &nv, &vv);
			if (r)
				return r;
			v->v = nv;
		}
		g->buf[v->v.buf].pinned_end = 1;
	}
	return 0;
}

int gc_lower(struct graph *g)
{
	int i, r;
	size_t k;

	r = place_inputs(g);
	if (r)
		return r;
	r = preassign_concats(g);
	if (r)
		return r;
	for (i = 0; i < g->nnode; i++) {
		struct node *n = &g->node[i];

		if (n->done)
			continue;
		g->cur_node = i;
		for (k = 0; k < sizeof(lrules) / sizeof(lrules[0]); k++)
			if (!strcmp(lrules[k].op, n->op))
				break;
		if (k == sizeof(lrules) / sizeof(lrules[0]))
			return gc_error(g, "operator '%s' is not supported on "
					"runtime data", n->op);
		if (g->val[n->out[0]].fdata || g->val[n->out[0]].idata)
			continue; /* folded */
		r = lrules[k].fn(g, n);
		if (r)
			return r;
	}
	return place_outputs(g);
}
