/* SPDX-License-Identifier: MIT */
/*
 * gconvctl: the administration tool (docs/gconvctl.md, gconvctl(8)).
 *
 * main.c parses the command line and calls one subcommand.  Kernel facts
 * (devices, device files, events, reset) come from gconv.ko's generic
 * netlink family through libnl-genl (kernel.c); daemon facts (tenants,
 * requests, connections, metrics, tenant settings, draining) from
 * gconvd's admin operations over its socket (daemon.c).  Every subcommand
 * builds its answer as a json-c object: printed as JSON with --json, as
 * human tables otherwise (out.c).
 */
#ifndef GCONVCTL_H
#define GCONVCTL_H

#include <stdbool.h>
#include <stdio.h>

#include <json-c/json.h>

/* Exit codes (gconvctl(8), EXIT STATUS). */
enum {
	CTL_OK = 0,
	CTL_FAILED = 1,	     /* the operation failed (the message says why) */
	CTL_USAGE = 2,	     /* bad command line */
	CTL_UNAVAILABLE = 3, /* gconv.ko is not loaded, or gconvd not running */
	CTL_DENIED = 4,	     /* not allowed (root, CAP_NET_ADMIN or the
				gconvd admin group needed) */
	CTL_NOT_FOUND = 5,   /* no such device, tenant, ... */
};

/* Options every subcommand shares. */
struct ctl {
	bool json;	    /* --json: machine-readable output */
	const char *socket; /* --socket: gconvd's (GCONVD_DEFAULT_SOCKET) */
	FILE *out;	    /* where answers go (stdout) */
};

/* A subcommand: argv[0] is its name; returns an exit code above. */
typedef int (*ctl_cmd)(struct ctl *ctl, int argc, char **argv);

/* kernel.c (gconv.ko over generic netlink) */
int cmd_devices(struct ctl *ctl, int argc, char **argv);
int cmd_events(struct ctl *ctl, int argc, char **argv);
int cmd_reset(struct ctl *ctl, int argc, char **argv);
int cmd_cdi(struct ctl *ctl, int argc, char **argv);
/*
 * The kernel's part of `status` and `clients`: a JSON array of the
 * devices (with their statistics) / of the open device files.  NULL with
 * *@code set (CTL_UNAVAILABLE if gconv.ko is not loaded) and a message
 * printed to stderr.
 */
json_object *kernel_devices(int *code);
json_object *kernel_clients(int *code);

/* daemon.c (gconvd's admin operations) */
int cmd_status(struct ctl *ctl, int argc, char **argv);
int cmd_tenants(struct ctl *ctl, int argc, char **argv);
int cmd_jobs(struct ctl *ctl, int argc, char **argv);
int cmd_clients(struct ctl *ctl, int argc, char **argv);
int cmd_tenant(struct ctl *ctl, int argc, char **argv);
int cmd_drain(struct ctl *ctl, int argc, char **argv);
int cmd_metrics(struct ctl *ctl, int argc, char **argv);

/* out.c */
/* Print @o as JSON (pretty, one document) to ctl->out. */
void out_json(struct ctl *ctl, json_object *o);
/*
 * A human table: @cols column headers, then rows of as many strings
 * (NULL prints "-"); columns are as wide as their widest cell; numbers
 * (cells that parse as one) are right-aligned.
 */
struct table;
struct table *table_new(unsigned int cols, const char *const *headers);
void table_row(struct table *t, const char *const *cells);
void table_print(struct ctl *ctl, const struct table *t);
void table_free(struct table *t);
/* Short forms for table cells: a static buffer per call site is not
 * needed; these return strings that live until table_free(). */
const char *table_fmt(struct table *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* "1.5 GiB", "312 KiB": @bytes for humans. */
const char *table_bytes(struct table *t, unsigned long long bytes);
/* "3.2 ms", "41 us", "2.1 s": @ns for humans. */
const char *table_ns(struct table *t, unsigned long long ns);

/* Print "gconvctl: " and the message to stderr; returns @code. */
int ctl_error(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif /* GCONVCTL_H */
