/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause) */
/* Do not edit directly, auto-generated from: */
/*	docs/netlink/gconv.yaml */
/* YNL-GEN kernel header */

#ifndef _LINUX_GCONV_GEN_H
#define _LINUX_GCONV_GEN_H

#include <net/netlink.h>
#include <net/genetlink.h>

#include <uapi/linux/gconv.h>

int gconv_nl_dev_get_doit(struct sk_buff *skb, struct genl_info *info);
int gconv_nl_dev_get_dumpit(struct sk_buff *skb, struct netlink_callback *cb);
int gconv_nl_stats_get_doit(struct sk_buff *skb, struct genl_info *info);
int gconv_nl_client_get_dumpit(struct sk_buff *skb,
			       struct netlink_callback *cb);
int gconv_nl_reset_doit(struct sk_buff *skb, struct genl_info *info);

enum {
	GCONV_NLGRP_EVENTS,
};

extern struct genl_family gconv_nl_family;

#endif /* _LINUX_GCONV_GEN_H */
