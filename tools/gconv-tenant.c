// SPDX-License-Identifier: MIT
/*
 * gconv-tenant: one tenant's workload through gconvd, checked.  Runs every
 * sample of an .npy file (the first dimension) through a model loaded K
 * times (K requests in flight), R rounds, and prints what a user of an
 * inference service wants to know: throughput, latency, and whether the
 * answers are right (against labels, PyTorch's predictions or PyTorch's
 * outputs).  `make demo` runs three of these at once as three tenants.
 *
 *	gconv-tenant [--socket PATH] [--uid U] [--label TEXT]
 *		     [--instances K] [--rounds R] MODEL --samples X.npy
 *		     [--labels Y.npy] [--expect-pred P.npy]
 *		     [--expect-out O.npy [--tol T]]
 *
 * Exit status: 0 if every answer is as expected (predictions equal to
 * --expect-pred's, outputs within --tol of --expect-out's relative to
 * their largest magnitude; --labels only reports an accuracy), 1 if not,
 * 2 for usage errors, 3 if gconvd cannot be reached or refuses.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <gconv/client.h>
#include <gconv/tensor_io.h>

#define MAX_INSTANCES 16

static struct {
	const char *socket, *label, *model, *samples, *labels, *pred, *out;
	long uid;
	unsigned int instances, rounds;
	double tol;
} o = { .uid = -1, .instances = 2, .rounds = 1, .tol = 1e-4 };

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: gconv-tenant [--socket PATH] [--uid U] [--label TEXT]\n"
		"                    [--instances K] [--rounds R] MODEL "
		"--samples X.npy\n"
		"                    [--labels Y.npy] [--expect-pred P.npy]\n"
		"                    [--expect-out O.npy [--tol T]]\n");
}

static int read_npy(const char *path, struct gconv_tensor *t)
{
	char err[512];

	if (gconv_npy_read(path, t, err, sizeof(err))) {
		fprintf(stderr, "gconv-tenant: %s\n", err);
		return -1;
	}
	return 0;
}

static unsigned int argmax(const float *v, uint64_t n)
{
	uint64_t j, best = 0;

	for (j = 1; j < n; j++)
		if (v[j] > v[best])
			best = j;
	return (unsigned int)best;
}

static int parse(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "uid", required_argument, NULL, 'u' },
		{ "label", required_argument, NULL, 'L' },
		{ "instances", required_argument, NULL, 'k' },
		{ "rounds", required_argument, NULL, 'r' },
		{ "samples", required_argument, NULL, 'x' },
		{ "labels", required_argument, NULL, 'y' },
		{ "expect-pred", required_argument, NULL, 'p' },
		{ "expect-out", required_argument, NULL, 'o' },
		{ "tol", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	char *end;
	long v;
	int c;

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 's':
			o.socket = optarg;
			break;
		case 'u':
			o.uid = strtol(optarg, &end, 10);
			if (*end || o.uid < 0)
				goto bad;
			break;
		case 'L':
			o.label = optarg;
			break;
		case 'k':
		case 'r':
			v = strtol(optarg, &end, 10);
			if (*end || v < 1 ||
			    v > (c == 'k' ? MAX_INSTANCES : 1000000))
				goto bad;
			if (c == 'k')
				o.instances = (unsigned int)v;
			else
				o.rounds = (unsigned int)v;
			break;
		case 'x':
			o.samples = optarg;
			break;
		case 'y':
			o.labels = optarg;
			break;
		case 'p':
			o.pred = optarg;
			break;
		case 'o':
			o.out = optarg;
			break;
		case 't':
			o.tol = strtod(optarg, &end);
			if (*end || !(o.tol >= 0))
				goto bad;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
	}
	if (optind + 1 != argc || !o.samples) {
		usage(stderr);
		return -1;
	}
	o.model = argv[optind];
	return 0;
bad:
	fprintf(stderr, "gconv-tenant: bad value '%s' for --%s\n", optarg,
		lo[c == 'u' ? 1 : c == 'k' ? 3 : c == 'r' ? 4 : 9].name);
	return -1;
}

int main(int argc, char **argv)
{
	struct gconv_tensor x = { 0 }, y = { 0 }, p = { 0 }, want = { 0 };
	struct gconv_client_model *m[MAX_INSTANCES];
	const struct gconv_client_tensor *in, *out;
	uint64_t *lat, t0, start[MAX_INSTANCES], nsamp, total, i, done = 0;
	uint64_t correct = 0, agree = 0, slot_sample[MAX_INSTANCES];
	struct gconv_client_info info;
	struct gconv_client *c;
	const char *label;
	double worst = 0, scale = 0, secs;
	unsigned int k;
	char err[512];
	int ok = 1;

	if (parse(argc, argv))
		return 2;
	label = o.label ? o.label : o.model;
	if (o.uid >= 0 && (setgroups(0, NULL) || setgid((gid_t)o.uid) ||
			   setuid((uid_t)o.uid))) {
		fprintf(stderr, "gconv-tenant: becoming uid %ld: %s\n", o.uid,
			strerror(errno));
		return 2;
	}
	if (read_npy(o.samples, &x) || (o.labels && read_npy(o.labels, &y)) ||
	    (o.pred && read_npy(o.pred, &p)) ||
	    (o.out && read_npy(o.out, &want)))
		return 2;
	if (gconv_client_connect(o.socket, "gconv-tenant", &c, err,
				 sizeof(err))) {
		fprintf(stderr, "[%s] %s\n", label, err);
		return 3;
	}
	gconv_client_get_info(c, &info);
	for (k = 0; k < o.instances; k++) {
		if (gconv_client_load_file(c, o.model, NULL, &m[k], err,
					   sizeof(err))) {
			fprintf(stderr, "[%s] %s\n", label, err);
			return 3;
		}
	}
	in = gconv_client_input(m[0], 0);
	out = gconv_client_output(m[0], 0);
	nsamp = x.ndim ? (uint64_t)x.dims[0] : 1;
	if (nsamp * in->elems != x.elems) {
		fprintf(stderr,
			"[%s] %s holds %llu values: not a whole number of "
			"%llu-value inputs\n",
			label, o.samples, (unsigned long long)x.elems,
			(unsigned long long)in->elems);
		return 2;
	}
	if ((o.labels && y.elems < nsamp) || (o.pred && p.elems < nsamp) ||
	    (o.out && want.elems != nsamp * out->elems)) {
		fprintf(stderr, "[%s] the expected answers do not match the "
				"%llu samples\n",
			label, (unsigned long long)nsamp);
		return 2;
	}
	printf("[%s] tenant '%s': %s, %u instances, %llu samples x %u "
	       "rounds\n",
	       label, info.tenant, o.model, o.instances,
	       (unsigned long long)nsamp, o.rounds);
	fflush(stdout);
	if (o.out)
		for (i = 0; i < want.elems; i++)
			if (fabs(want.data[i]) > scale)
				scale = fabs(want.data[i]);

	total = nsamp * o.rounds;
	lat = calloc(total, sizeof(*lat));
	if (!lat)
		return 2;
	t0 = now_ns();
	/* K in flight: start one per instance, then refill as each ends */
	for (i = 0; i < total + o.instances; i++) {
		k = (unsigned int)(i % o.instances);
		if (i >= o.instances) { /* the request on instance k ends */
			uint64_t s = slot_sample[k];
			const float *got;

			if (gconv_client_infer_wait(m[k], -1, NULL, err,
						    sizeof(err))) {
				fprintf(stderr, "[%s] %s\n", label, err);
				return 1;
			}
			lat[done++] = now_ns() - start[k];
			got = gconv_client_output_data(m[k], 0);
			if (o.labels && argmax(got, out->elems) ==
						(unsigned int)(y.idata ? y.idata[s]
								      : y.data[s]))
				correct++;
			if (o.pred && argmax(got, out->elems) ==
					      (unsigned int)(p.idata ? p.idata[s]
								    : p.data[s]))
				agree++;
			if (o.out) {
				uint64_t j;

				for (j = 0; j < out->elems; j++) {
					double d = fabs(
						got[j] -
						want.data[s * out->elems + j]);

					if (d > worst)
						worst = d;
				}
			}
		}
		if (i < total) {
			uint64_t s = i % nsamp;

			memcpy(gconv_client_input_data(m[k], 0),
			       x.data + s * in->elems, in->bytes);
			slot_sample[k] = s;
			start[k] = now_ns();
			if (gconv_client_infer_start(m[k], err, sizeof(err))) {
				fprintf(stderr, "[%s] %s\n", label, err);
				return 1;
			}
		}
	}
	secs = (double)(now_ns() - t0) / 1e9;
	qsort(lat, done, sizeof(*lat), cmp_u64);
	printf("[%s] %llu requests in %.2f s: %.1f per second; latency p50 "
	       "%.1f ms, p99 %.1f ms\n",
	       label, (unsigned long long)done, secs, (double)done / secs,
	       (double)lat[done / 2] / 1e6,
	       (double)lat[done * 99 / 100] / 1e6);
	if (o.labels)
		printf("[%s] accuracy: %llu/%llu against the labels\n", label,
		       (unsigned long long)correct, (unsigned long long)done);
	if (o.pred) {
		printf("[%s] predictions equal to PyTorch's: %llu/%llu\n",
		       label, (unsigned long long)agree,
		       (unsigned long long)done);
		ok &= agree == done;
	}
	if (o.out) {
		double rel = scale ? worst / scale : worst;

		printf("[%s] outputs against PyTorch's: largest difference "
		       "%.2e of their largest value (allowed %.0e)\n",
		       label, rel, o.tol);
		ok &= rel <= o.tol;
	}
	printf("[%s] %s\n", label, ok ? "OK" : "WRONG ANSWERS");
	free(lat);
	gconv_client_close(c);
	gconv_tensor_free(&x);
	gconv_tensor_free(&y);
	gconv_tensor_free(&p);
	gconv_tensor_free(&want);
	return ok ? 0 : 1;
}
