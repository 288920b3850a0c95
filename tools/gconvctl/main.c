// SPDX-License-Identifier: MIT
/*
 * gconvctl: the command line.
 *
 *	gconvctl [--json] [--socket PATH] COMMAND [ARGS]
 *
 * The global options may also follow the command (before a "--"): they
 * are taken out of its arguments here.  "COMMAND --help" prints the
 * command's help; a command that returns CTL_USAGE gets its usage line
 * printed after its own message.  Commands with a subcommand ("tenant
 * set", "cdi generate") are called with argv[0] the command and argv[1]
 * the subcommand, which is checked here.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gconv/protocol.h>
#include <linux/gconv.h>

#include "gconvctl.h"

#define GCONVCTL_VERSION "1"

struct command {
	const char *name;
	const char *sub; /* the one subcommand, or NULL */
	ctl_cmd fn;
	const char *args;    /* after the name (and the subcommand) */
	const char *summary; /* one line for the command list */
	const char *help;    /* more, for COMMAND --help; or NULL */
};

/* gconv.ko's, over generic netlink (kernel.c) */
static const struct command kernel_commands[] = {
	{ "devices", NULL, cmd_devices, "[DEVICE]",
	  "gconv.ko's devices and their counters",
	  "Columns: INDEX NAME PCI HW ISA QUEUES CONTEXTS CLIENTS (open "
	  "files)\n"
	  "JOBS (submitted) FAILED HANGS RESETS BUSY (device busy time).\n"
	  "--json prints every attribute of DEV_GET and STATS_GET.\n" },
	{ "events", NULL, cmd_events,
	  "(--follow | --timeout SECONDS | --count N)...",
	  "gconv.ko's events (faults, hangs, resets, bans) as they happen",
	  "  --follow           until SIGINT or SIGTERM\n"
	  "  --timeout SECONDS  for SECONDS, then exit 0\n"
	  "  --count N          until N events were printed\n"
	  "Only events from now on: the kernel keeps no history.  With "
	  "--count\n"
	  "and --timeout, fewer than N events in time is a failure (exit 1).\n"
	  "--json prints one JSON object per line (JSON Lines).\n" },
	{ "reset", NULL, cmd_reset, "DEVICE",
	  "reset a device (root: CAP_NET_ADMIN and CAP_SYS_ADMIN)",
	  "Jobs the device had taken end ABORTED; waiting jobs run after the\n"
	  "reset.  Prints nothing on success.\n" },
	{ "cdi", "generate", cmd_cdi, "[--output FILE]",
	  "a Container Device Interface spec of the gconv devices",
	  "One CDI device per gconv accel node (gconv.dev/accel=N) and\n"
	  "gconv.dev/accel=all.  Without --output the spec goes to stdout;\n"
	  "with it, FILE is replaced atomically (e.g. /etc/cdi/gconv.json).\n"
	  "No gconv device is an error (exit 5) and writes nothing.\n" },
	{ NULL },
};

/* gconvd's, over its socket (daemon.c) */
static const struct command daemon_commands[] = {
	{ "status", NULL, cmd_status, "", "gconvd and gconv.ko at a glance",
	  "gconvd's devices (working, draining, taken out), tenants, clients,\n"
	  "queued and running requests, and the kernel's devices.\n" },
	{ "tenants", NULL, cmd_tenants, "",
	  "gconvd's tenants and their counters",
	  "Columns: NAME PRIORITY WEIGHT CLIENTS MODELS QUEUED RUNNING\n"
	  "COMPLETED FAILED REJECTED MEMORY DEVICE-TIME.\n" },
	{ "jobs", NULL, cmd_jobs, "", "gconvd's queued and running requests",
	  "Columns: TENANT PID MODEL SEQ STATE DEVICE WAITED.\n" },
	{ "clients", NULL, cmd_clients, "",
	  "gconvd's connections and the kernel's open device files",
	  "gconvd's connections: PID UID TENANT CLIENT MODELS PENDING; then\n"
	  "the open files of gconv.ko's devices.\n" },
	{ "tenant", "set", cmd_tenant, "NAME KEY=VALUE...",
	  "change a live tenant (weight=N, priority=realtime|normal|batch)",
	  "Keys: weight=1..1000000, priority=realtime|normal|batch,\n"
	  "max-queued=1..1000000, max-in-flight=1..1024.  The change lasts\n"
	  "until gconvd reloads its policy.\n" },
	{ "drain", NULL, cmd_drain, "[--undo] DEVICE",
	  "stop placing models on a gconvd device (--undo: put it back)",
	  "DEVICE is gconvd's device index or its --device spec.  The "
	  "device's\n"
	  "models move to the other devices as they next run.\n" },
	{ "metrics", NULL, cmd_metrics, "",
	  "gconvd's metrics (Prometheus text exposition format)", NULL },
	{ NULL },
};

static void synopsis(FILE *f, const struct command *c)
{
	fprintf(f, "usage: gconvctl [--json] [--socket PATH] %s%s%s%s%s\n",
		c->name, c->sub ? " " : "", c->sub ? c->sub : "",
		*c->args ? " " : "", c->args);
}

static void list_commands(FILE *f, const struct command *c)
{
	for (; c->name; c++) {
		char head[48];

		snprintf(head, sizeof(head), "%s%s%s", c->name,
			 c->sub ? " " : "", c->sub ? c->sub : "");
		fprintf(f, "  %-16s %s\n", head, c->summary);
	}
}

static void usage(FILE *f)
{
	fputs("usage: gconvctl [--json] [--socket PATH] COMMAND [ARGS]\n"
	      "       gconvctl COMMAND --help\n"
	      "       gconvctl --help | --version\n"
	      "\n"
	      "The administration tool of gconv.\n"
	      "\n"
	      "gconv.ko (generic netlink):\n",
	      f);
	list_commands(f, kernel_commands);
	fputs("\ngconvd (its socket):\n", f);
	list_commands(f, daemon_commands);
	fprintf(f,
		"\n"
		"Options:\n"
		"  -j, --json         machine-readable output (JSON)\n"
		"  -s, --socket PATH  gconvd's socket (default %s)\n"
		"  -h, --help         this help; after a command, its help\n"
		"  -V, --version      the version\n"
		"\n"
		"DEVICE (devices, reset): N, accelN or /dev/accel/accelN.\n"
		"Exit status: 0 done, 1 failed, 2 usage error, 3 gconv.ko not "
		"loaded or\n"
		"gconvd not running, 4 not allowed, 5 no such device, tenant, "
		"...\n"
		"See gconvctl(8).\n",
		GCONVD_DEFAULT_SOCKET);
}

static void command_help(const struct command *c)
{
	synopsis(stdout, c);
	printf("\n%s.\n", c->summary);
	if (c->help)
		printf("\n%s", c->help);
}

static int usage_error(const char *fmt, const char *arg)
{
	fputs("gconvctl: ", stderr);
	fprintf(stderr, fmt, arg);
	fputs("\nusage: gconvctl [--json] [--socket PATH] COMMAND [ARGS]\n"
	      "Run 'gconvctl --help' for the commands.\n",
	      stderr);
	return CTL_USAGE;
}

static const struct command *find_command(const char *name)
{
	const struct command *c;

	for (c = kernel_commands; c->name; c++)
		if (!strcmp(c->name, name))
			return c;
	for (c = daemon_commands; c->name; c++)
		if (!strcmp(c->name, name))
			return c;
	return NULL;
}

/*
 * A global option at argv[*i]: 1 (and *i past it) if it was one, 0 if
 * not, -1 if it lacks its value.
 */
static int global_option(struct ctl *ctl, int argc, char **argv, int *i,
			 int after_command)
{
	const char *a = argv[*i];

	if (!strcmp(a, "--json") || (!after_command && !strcmp(a, "-j"))) {
		ctl->json = true;
		(*i)++;
		return 1;
	}
	if (!strncmp(a, "--socket=", 9)) {
		ctl->socket = a + 9;
		(*i)++;
		return 1;
	}
	if (!strcmp(a, "--socket") || (!after_command && !strcmp(a, "-s"))) {
		if (*i + 1 >= argc)
			return -1;
		ctl->socket = argv[*i + 1];
		*i += 2;
		return 1;
	}
	return 0;
}

static int finish(int rc)
{
	if (fflush(stdout) || ferror(stdout)) {
		if (errno == EPIPE)
			return rc;
		return ctl_error(rc ? rc : CTL_FAILED, "writing the output: %s",
				 strerror(errno));
	}
	return rc;
}

int main(int argc, char **argv)
{
	struct ctl ctl = {
		.json = false,
		.socket = GCONVD_DEFAULT_SOCKET,
		.out = stdout,
	};
	const struct command *c;
	char **args;
	int i = 1, n = 0, r, rc, ended = 0;

	/* global options before the command */
	while (i < argc && argv[i][0] == '-') {
		const char *a = argv[i];

		r = global_option(&ctl, argc, argv, &i, 0);
		if (r < 0)
			return usage_error("%s needs a PATH", a);
		if (r)
			continue;
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			return finish(CTL_OK);
		}
		if (!strcmp(a, "--version") || !strcmp(a, "-V")) {
			printf("gconvctl %s (generic netlink family %s version "
			       "%d, gconvd protocol version %d)\n",
			       GCONVCTL_VERSION, GCONV_FAMILY_NAME,
			       GCONV_FAMILY_VERSION, GCONVD_VERSION);
			return finish(CTL_OK);
		}
		if (!strcmp(a, "--")) {
			i++;
			break;
		}
		return usage_error("unknown option '%s'", a);
	}
	if (i >= argc)
		return usage_error("%s", "no command given");
	c = find_command(argv[i]);
	if (!c)
		return usage_error("unknown command '%s'", argv[i]);

	/* the command's arguments, without the global options */
	args = calloc((size_t)(argc - i + 1), sizeof(*args));
	if (!args)
		return ctl_error(CTL_FAILED, "out of memory");
	args[n++] = argv[i++];
	while (i < argc) {
		if (!ended) {
			r = global_option(&ctl, argc, argv, &i, 1);
			if (r < 0) {
				ctl_error(CTL_USAGE, "%s needs a PATH",
					  argv[i]);
				synopsis(stderr, c);
				free(args);
				return CTL_USAGE;
			}
			if (r)
				continue;
			if (!strcmp(argv[i], "--help") ||
			    !strcmp(argv[i], "-h")) {
				command_help(c);
				free(args);
				return finish(CTL_OK);
			}
			ended = !strcmp(argv[i], "--");
		}
		args[n++] = argv[i++];
	}
	args[n] = NULL;

	if (c->sub && (n < 2 || strcmp(args[1], c->sub))) {
		if (n < 2)
			ctl_error(CTL_USAGE, "%s needs a subcommand: %s",
				  c->name, c->sub);
		else
			ctl_error(CTL_USAGE, "%s: unknown subcommand '%s'",
				  c->name, args[1]);
		synopsis(stderr, c);
		free(args);
		return CTL_USAGE;
	}
	rc = c->fn(&ctl, n, args);
	if (rc == CTL_USAGE)
		synopsis(stderr, c);
	free(args);
	return finish(rc);
}
