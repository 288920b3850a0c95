// SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause)
/* Do not edit directly, auto-generated from: */
/*	docs/netlink/gconv.yaml */
/* YNL-GEN kernel source */

#include <net/netlink.h>
#include <net/genetlink.h>

#include "gconv_nl_gen.h"

#include <uapi/linux/gconv.h>

/* GCONV_CMD_DEV_GET - do */
static const struct nla_policy gconv_dev_get_nl_policy[GCONV_A_DEV_INDEX + 1] = {
	[GCONV_A_DEV_INDEX] = { .type = NLA_U32, },
};

/* GCONV_CMD_STATS_GET - do */
static const struct nla_policy gconv_stats_get_nl_policy[GCONV_A_STATS_DEV_INDEX + 1] = {
	[GCONV_A_STATS_DEV_INDEX] = { .type = NLA_U32, },
};

/* GCONV_CMD_CLIENT_GET - dump */
static const struct nla_policy gconv_client_get_nl_policy[GCONV_A_CLIENT_DEV_INDEX + 1] = {
	[GCONV_A_CLIENT_DEV_INDEX] = { .type = NLA_U32, },
};

/* GCONV_CMD_RESET - do */
static const struct nla_policy gconv_reset_nl_policy[GCONV_A_DEV_INDEX + 1] = {
	[GCONV_A_DEV_INDEX] = { .type = NLA_U32, },
};

/* Ops table for gconv */
static const struct genl_split_ops gconv_nl_ops[] = {
	{
		.cmd		= GCONV_CMD_DEV_GET,
		.doit		= gconv_nl_dev_get_doit,
		.policy		= gconv_dev_get_nl_policy,
		.maxattr	= GCONV_A_DEV_INDEX,
		.flags		= GENL_CMD_CAP_DO,
	},
	{
		.cmd	= GCONV_CMD_DEV_GET,
		.dumpit	= gconv_nl_dev_get_dumpit,
		.flags	= GENL_CMD_CAP_DUMP,
	},
	{
		.cmd		= GCONV_CMD_STATS_GET,
		.doit		= gconv_nl_stats_get_doit,
		.policy		= gconv_stats_get_nl_policy,
		.maxattr	= GCONV_A_STATS_DEV_INDEX,
		.flags		= GENL_CMD_CAP_DO,
	},
	{
		.cmd		= GCONV_CMD_CLIENT_GET,
		.dumpit		= gconv_nl_client_get_dumpit,
		.policy		= gconv_client_get_nl_policy,
		.maxattr	= GCONV_A_CLIENT_DEV_INDEX,
		.flags		= GENL_CMD_CAP_DUMP,
	},
	{
		.cmd		= GCONV_CMD_RESET,
		.doit		= gconv_nl_reset_doit,
		.policy		= gconv_reset_nl_policy,
		.maxattr	= GCONV_A_DEV_INDEX,
		.flags		= GENL_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
};

static const struct genl_multicast_group gconv_nl_mcgrps[] = {
	[GCONV_NLGRP_EVENTS] = { "events", },
};

struct genl_family gconv_nl_family __ro_after_init = {
	.name		= GCONV_FAMILY_NAME,
	.version	= GCONV_FAMILY_VERSION,
	.netnsok	= true,
	.parallel_ops	= true,
	.module		= THIS_MODULE,
	.split_ops	= gconv_nl_ops,
	.n_split_ops	= ARRAY_SIZE(gconv_nl_ops),
	.mcgrps		= gconv_nl_mcgrps,
	.n_mcgrps	= ARRAY_SIZE(gconv_nl_mcgrps),
};
