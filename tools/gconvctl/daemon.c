// SPDX-License-Identifier: MIT
/*
 * gconvctl: gconvd's side, through its administration operations
 * (protocol version 3, docs/protocol.md): an administration connection
 * (root or the policy's admin-group), one ADMIN request per command.  The
 * queries come back as JSON documents (metrics as Prometheus text), which
 * --json prints as they are and the tables below lay out.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gconv/client.h>
#include <gconv/protocol.h>

#include "gconvctl.h"

/* The exit code for a failed client call returning @ret. */
static int code_of(int ret)
{
	switch (ret) {
	case -ENOENT:
		return CTL_NOT_FOUND;
	case -EACCES:
	case -EPERM:
		return CTL_DENIED;
	case -ECONNREFUSED:
	case -ECONNRESET:
	case -EPROTONOSUPPORT:
		return CTL_UNAVAILABLE;
	case -EINVAL:
		return CTL_USAGE;
	default:
		return CTL_FAILED;
	}
}

/* An administration connection to gconvd, or NULL with *@code set. */
static struct gconv_client *admin_connect(struct ctl *ctl, int *code)
{
	struct gconv_client *c;
	char err[512];
	int ret;

	ret = gconv_client_admin_connect(ctl->socket, "gconvctl", &c, err,
					 sizeof(err));
	if (!ret) {
		*code = CTL_OK;
		return c;
	}
	/* no socket, or nobody listening: gconvd is not running */
	if (ret == -ENOENT || ret == -ECONNREFUSED)
		*code = ctl_error(CTL_UNAVAILABLE, "gconvd is not running: %s",
				  err);
	else
		*code = ctl_error(code_of(ret), "%s", err);
	return NULL;
}

/*
 * One operation: a query's document in *@doc (the caller frees it), or
 * NULL for a change.  Returns an exit code (the error printed).
 */
static int admin(struct ctl *ctl, uint32_t op, const char *name,
		 const char *arg, char **doc)
{
	struct gconv_client *c;
	char err[512];
	int code, ret;

	c = admin_connect(ctl, &code);
	if (!c)
		return code;
	ret = gconv_client_admin(c, op, name, arg, doc, NULL, err, sizeof(err));
	gconv_client_close(c);
	if (ret)
		return ctl_error(code_of(ret), "%s", err);
	return CTL_OK;
}

/* A query whose answer is JSON: the parsed document in *@out. */
static int admin_json(struct ctl *ctl, uint32_t op, json_object **out)
{
	char *doc = NULL;
	int code;

	*out = NULL;
	code = admin(ctl, op, NULL, NULL, &doc);
	if (code)
		return code;
	*out = json_tokener_parse(doc);
	free(doc);
	if (!*out)
		return ctl_error(CTL_FAILED, "gconvd's answer is not JSON");
	return CTL_OK;
}

static int64_t jint(json_object *o, const char *k)
{
	json_object *v;

	return json_object_object_get_ex(o, k, &v) ? json_object_get_int64(v)
						   : 0;
}

static const char *jstr(json_object *o, const char *k)
{
	json_object *v;

	return json_object_object_get_ex(o, k, &v) ? json_object_get_string(v)
						   : NULL;
}

/*
 * A command that takes no arguments (main.c answers --help): true if one
 * was given, with the exit code in *@code.
 */
static bool no_args(int argc, char **argv, const char *usage, int *code)
{
	if (argc > 1) {
		*code = ctl_error(CTL_USAGE,
				  "%s: unexpected argument '%s' (usage: "
				  "gconvctl %s)",
				  argv[0], argv[1], usage);
		return true;
	}
	return false;
}

/* ---- status ---------------------------------------------------------------
 */

static void print_gconvd_status(struct ctl *ctl, json_object *st)
{
	static const char *const h[] = { "INDEX",   "SPEC",	"STATE",
					 "PLACED",  "JOBS",	"ERRORS",
					 "RETRIES", "MOVED-IN", "BUSY" };
	json_object *devs;
	struct table *t;
	size_t i, n;
	int64_t up = jint(st, "uptime_ns") / 1000000000;

	fprintf(ctl->out,
		"gconvd %s (protocol %" PRId64 "), pid %" PRId64 ", up %" PRId64
		"h%02" PRId64 "m%02" PRId64 "s, %" PRId64 " workers\n",
		jstr(st, "version"), jint(st, "protocol"), jint(st, "pid"),
		up / 3600, up / 60 % 60, up % 60, jint(st, "workers"));
	fprintf(ctl->out, "  policy %s, socket %s\n", jstr(st, "policy"),
		jstr(st, "socket"));
	fprintf(ctl->out,
		"  %" PRId64 " clients, %" PRId64 " tenants, %" PRId64
		" models cached; %" PRId64 " requests queued, %" PRId64
		" running\n",
		jint(st, "clients"), jint(st, "tenants"),
		jint(st, "models_cached"), jint(st, "queued"),
		jint(st, "running"));
	fprintf(ctl->out,
		"  segments of %" PRId64 " GCONVs; %" PRId64
		" batches (%" PRId64 " requests)\n",
		jint(st, "segment"), jint(st, "batches"),
		jint(st, "batched_requests"));
	if (!json_object_object_get_ex(st, "devices", &devs))
		return;
	fputs("\ngconvd's devices:\n", ctl->out);
	t = table_new(9, h);
	n = json_object_array_length(devs);
	for (i = 0; i < n; i++) {
		json_object *d = json_object_array_get_idx(devs, i);
		const char *row[9] = {
			table_fmt(t, "%" PRId64, jint(d, "index")),
			jstr(d, "spec"),
			jstr(d, "state"),
			table_bytes(
				t, (unsigned long long)jint(d, "placed_bytes")),
			table_fmt(t, "%" PRId64, jint(d, "jobs")),
			table_fmt(t, "%" PRId64, jint(d, "device_errors")),
			table_fmt(t, "%" PRId64, jint(d, "retries")),
			table_fmt(t, "%" PRId64, jint(d, "models_moved_in")),
			table_ns(t, (unsigned long long)jint(d, "busy_ns")),
		};

		table_row(t, row);
	}
	table_print(ctl, t);
	table_free(t);
}

static void print_kernel_devices(struct ctl *ctl, json_object *devs)
{
	static const char *const h[] = { "INDEX",   "NAME",   "PCI",
					 "CLIENTS", "JOBS",   "FAILED",
					 "HANGS",   "RESETS", "BUSY" };
	struct table *t = table_new(9, h);
	size_t i, n = json_object_array_length(devs);

	fputs("\ngconv.ko's devices:\n", ctl->out);
	for (i = 0; i < n; i++) {
		json_object *d = json_object_array_get_idx(devs, i);
		const char *row[9] = {
			table_fmt(t, "%" PRId64, jint(d, "index")),
			jstr(d, "name"),
			jstr(d, "pci_slot"),
			table_fmt(t, "%" PRId64, jint(d, "clients")),
			table_fmt(t, "%" PRId64, jint(d, "jobs_completed")),
			table_fmt(t, "%" PRId64, jint(d, "jobs_failed")),
			table_fmt(t, "%" PRId64, jint(d, "hangs")),
			table_fmt(t, "%" PRId64, jint(d, "resets")),
			table_ns(t, (unsigned long long)jint(d, "busy_ns")),
		};

		table_row(t, row);
	}
	table_print(ctl, t);
	table_free(t);
}

int cmd_status(struct ctl *ctl, int argc, char **argv)
{
	json_object *st = NULL, *kdevs, *all;
	int code, kcode = CTL_OK, r;

	if (no_args(argc, argv, "status", &r))
		return r;
	code = admin_json(ctl, GCONVD_ADMIN_STATUS, &st);
	/* gconv.ko may be missing (the cpu backend): say so, go on */
	kdevs = kernel_devices(&kcode);
	if (ctl->json) {
		all = json_object_new_object();
		json_object_object_add(all, "gconvd", st);
		json_object_object_add(all, "kernel", kdevs);
		out_json(ctl, all);
		json_object_put(all);
		return code;
	}
	if (st)
		print_gconvd_status(ctl, st);
	if (kdevs)
		print_kernel_devices(ctl, kdevs);
	else
		fputs("\ngconv.ko's devices: none (the module is not "
		      "loaded)\n",
		      ctl->out);
	json_object_put(st);
	json_object_put(kdevs);
	return code;
}

/* ---- tenants, jobs, clients ------------------------------------------------
 */

int cmd_tenants(struct ctl *ctl, int argc, char **argv)
{
	static const char *const h[] = {
		"NAME",	  "PRIORITY", "WEIGHT",	 "CLIENTS",
		"MODELS", "QUEUED",   "RUNNING", "COMPLETED",
		"FAILED", "REJECTED", "MEMORY",	 "DEVICE-TIME",
	};
	json_object *a;
	struct table *t;
	size_t i, n;
	int code, r;

	if (no_args(argc, argv, "tenants", &r))
		return r;
	code = admin_json(ctl, GCONVD_ADMIN_TENANTS, &a);
	if (code)
		return code;
	if (ctl->json) {
		out_json(ctl, a);
		json_object_put(a);
		return CTL_OK;
	}
	t = table_new(12, h);
	n = json_object_array_length(a);
	for (i = 0; i < n; i++) {
		json_object *x = json_object_array_get_idx(a, i);
		const char *row[12] = {
			jstr(x, "name"),
			jstr(x, "priority"),
			table_fmt(t, "%" PRId64, jint(x, "weight")),
			table_fmt(t, "%" PRId64, jint(x, "clients")),
			table_fmt(t, "%" PRId64, jint(x, "models")),
			table_fmt(t, "%" PRId64, jint(x, "queued")),
			table_fmt(t, "%" PRId64, jint(x, "running")),
			table_fmt(t, "%" PRId64, jint(x, "completed")),
			table_fmt(t, "%" PRId64, jint(x, "failed")),
			table_fmt(t, "%" PRId64, jint(x, "rejected")),
			table_bytes(t, (unsigned long long)jint(x, "memory")),
			table_ns(t, (unsigned long long)jint(x, "device_ns")),
		};

		table_row(t, row);
	}
	if (!n)
		fputs("no tenant has connected yet\n", ctl->out);
	else
		table_print(ctl, t);
	table_free(t);
	json_object_put(a);
	return CTL_OK;
}

int cmd_jobs(struct ctl *ctl, int argc, char **argv)
{
	static const char *const h[] = { "TENANT", "PID",    "MODEL",  "SEQ",
					 "STATE",  "DEVICE", "WAITED", "RAN" };
	json_object *a;
	struct table *t;
	size_t i, n;
	int code, r;

	if (no_args(argc, argv, "jobs", &r))
		return r;
	code = admin_json(ctl, GCONVD_ADMIN_JOBS, &a);
	if (code)
		return code;
	if (ctl->json) {
		out_json(ctl, a);
		json_object_put(a);
		return CTL_OK;
	}
	t = table_new(8, h);
	n = json_object_array_length(a);
	for (i = 0; i < n; i++) {
		json_object *x = json_object_array_get_idx(a, i), *dev;
		const char *row[8] = {
			jstr(x, "tenant"),
			table_fmt(t, "%" PRId64, jint(x, "pid")),
			jstr(x, "model"),
			table_fmt(t, "%" PRId64, jint(x, "seq")),
			jstr(x, "state"),
			json_object_object_get_ex(x, "device", &dev)
				? table_fmt(t, "%" PRId64,
					    json_object_get_int64(dev))
				: NULL,
			table_ns(t, (unsigned long long)jint(x, "waited_ns")),
			table_ns(t, (unsigned long long)jint(x, "ran_ns")),
		};

		table_row(t, row);
	}
	if (!n)
		fputs("no request is queued or running\n", ctl->out);
	else
		table_print(ctl, t);
	table_free(t);
	json_object_put(a);
	return CTL_OK;
}

int cmd_clients(struct ctl *ctl, int argc, char **argv)
{
	static const char *const h[] = { "PID",	   "UID",    "TENANT",
					 "CLIENT", "MODELS", "PENDING" };
	static const char *const kh[] = { "DEVICE",  "PID",    "COMM",
					  "CONTEXT", "JOBS",   "FAILED",
					  "MEMORY",  "FAULTS", "BANNED" };
	json_object *a = NULL, *k, *all;
	struct table *t;
	size_t i, n;
	int code, kcode = CTL_OK, r;

	if (no_args(argc, argv, "clients", &r))
		return r;
	code = admin_json(ctl, GCONVD_ADMIN_CLIENTS, &a);
	k = kernel_clients(&kcode);
	if (ctl->json) {
		all = json_object_new_object();
		json_object_object_add(all, "gconvd", a);
		json_object_object_add(all, "kernel", k);
		out_json(ctl, all);
		json_object_put(all);
		return code;
	}
	if (a) {
		fputs("gconvd's connections:\n", ctl->out);
		t = table_new(6, h);
		n = json_object_array_length(a);
		for (i = 0; i < n; i++) {
			json_object *x = json_object_array_get_idx(a, i), *v;
			bool adm = json_object_object_get_ex(x, "admin", &v) &&
				   json_object_get_boolean(v);
			const char *row[6] = {
				table_fmt(t, "%" PRId64, jint(x, "pid")),
				table_fmt(t, "%" PRId64, jint(x, "uid")),
				adm ? "(admin)" : jstr(x, "tenant"),
				jstr(x, "client"),
				table_fmt(t, "%" PRId64, jint(x, "models")),
				table_fmt(t, "%" PRId64, jint(x, "pending")),
			};

			table_row(t, row);
		}
		table_print(ctl, t);
		table_free(t);
	}
	if (k) {
		fputs("\ngconv.ko's open device files:\n", ctl->out);
		t = table_new(9, kh);
		n = json_object_array_length(k);
		for (i = 0; i < n; i++) {
			json_object *x = json_object_array_get_idx(k, i), *v;
			bool banned =
				json_object_object_get_ex(x, "banned", &v) &&
				json_object_get_boolean(v);
			const char *row[9] = {
				table_fmt(t, "%" PRId64, jint(x, "dev_index")),
				table_fmt(t, "%" PRId64, jint(x, "pid")),
				jstr(x, "comm"),
				table_fmt(t, "%" PRId64, jint(x, "context")),
				table_fmt(t, "%" PRId64,
					  jint(x, "jobs_submitted")),
				table_fmt(t, "%" PRId64,
					  jint(x, "jobs_failed")),
				table_bytes(t, (unsigned long long)jint(
						       x, "mem_bytes")),
				table_fmt(t, "%" PRId64, jint(x, "faults")),
				banned ? "yes" : "no",
			};

			table_row(t, row);
		}
		table_print(ctl, t);
		table_free(t);
	} else {
		fputs("\ngconv.ko's open device files: none (the module is "
		      "not loaded)\n",
		      ctl->out);
	}
	json_object_put(a);
	json_object_put(k);
	return code;
}

/* ---- changes ----------------------------------------------------------------
 */

int cmd_tenant(struct ctl *ctl, int argc, char **argv)
{
	static const char usage[] =
		"tenant set NAME KEY=VALUE...\n"
		"  keys: weight=1..1000000 priority=realtime|normal|batch\n"
		"        max-queued=1..1000000 max-in-flight=1..1024\n"
		"  (until gconvd reloads its policy)";
	char arg[GCONVD_MSG_LEN] = "";
	size_t off = 0;
	int i;

	if (argc < 4 || strcmp(argv[1], "set"))
		return ctl_error(CTL_USAGE, "usage: gconvctl %s", usage);
	for (i = 3; i < argc; i++) {
		int n;

		if (!strchr(argv[i], '='))
			return ctl_error(CTL_USAGE,
					 "'%s' is not KEY=VALUE (usage: "
					 "gconvctl %s)",
					 argv[i], usage);
		n = snprintf(arg + off, sizeof(arg) - off, "%s%s",
			     off ? " " : "", argv[i]);
		if (n < 0 || (size_t)n >= sizeof(arg) - off)
			return ctl_error(CTL_USAGE, "settings too long");
		off += (size_t)n;
	}
	i = admin(ctl, GCONVD_ADMIN_TENANT_SET, argv[2], arg, NULL);
	if (!i && !ctl->json)
		fprintf(ctl->out, "tenant %s: %s\n", argv[2], arg);
	return i;
}

int cmd_drain(struct ctl *ctl, int argc, char **argv)
{
	static const char usage[] = "drain [--undo] DEVICE\n"
				    "  DEVICE: gconvd's device index, its "
				    "--device spec or its node";
	bool undo = false;
	int i = 1, code;

	if (i < argc && !strcmp(argv[i], "--undo")) {
		undo = true;
		i++;
	}
	if (argc - i != 1)
		return ctl_error(CTL_USAGE, "usage: gconvctl %s", usage);
	code = admin(ctl, undo ? GCONVD_ADMIN_UNDRAIN : GCONVD_ADMIN_DRAIN,
		     argv[i], NULL, NULL);
	if (!code && !ctl->json)
		fprintf(ctl->out,
			undo ? "device %s takes work again\n"
			     : "device %s drains: no new models go there, and "
			       "its models move to the other devices as they "
			       "next run\n",
			argv[i]);
	return code;
}

int cmd_metrics(struct ctl *ctl, int argc, char **argv)
{
	char *text = NULL;
	int code, r;

	if (no_args(argc, argv, "metrics", &r))
		return r;
	code = admin(ctl, GCONVD_ADMIN_METRICS, NULL, NULL, &text);
	if (code)
		return code;
	if (ctl->json) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "format",
				       json_object_new_string("prometheus "
							      "0.0.4"));
		json_object_object_add(o, "text", json_object_new_string(text));
		out_json(ctl, o);
		json_object_put(o);
	} else {
		fputs(text, ctl->out);
	}
	free(text);
	return CTL_OK;
}
