// SPDX-License-Identifier: GPL-2.0-only
/*
 * gconv: the "gconv" generic netlink family (docs/netlink/gconv.yaml; the
 * attribute policies, the ops table and the family are generated from it
 * into gconv_nl_gen.c).
 *
 * Handlers find a device by its accel minor index and hold a reference to
 * its drm_device while they use it; register access is inside
 * drm_dev_enter().  Events go to the "events" group of the initial network
 * namespace.  They may be raised from the interrupt thread with a queue
 * spinlock held, so they are allocated atomically, and the ones that could
 * not be allocated are counted (events-dropped).
 */
#include <drm/drm_drv.h>
#include <drm/drm_file.h>
#include <linux/capability.h>
#include <net/genetlink.h>

#include "gconv_drv.h"
#include "gconv_accel.h"
#include "gconv_nl_gen.h"

static u32 dev_index(struct gconv_device *gdev)
{
	return gdev->drm.accel->index;
}

/* The device named by attribute @attr of @info, with a reference. */
static struct gconv_device *lookup(struct genl_info *info, int attr)
{
	struct gconv_device *gdev;
	u32 index;

	if (GENL_REQ_ATTR_CHECK(info, attr)) {
		NL_SET_ERR_MSG_MOD(info->extack, "a device index is required");
		return ERR_PTR(-EINVAL);
	}
	index = nla_get_u32(info->attrs[attr]);
	gdev = gconv_device_get(index);
	if (!gdev) {
		NL_SET_ERR_MSG_ATTR_FMT(info->extack, info->attrs[attr],
					"no gconv device accel%u", index);
		return ERR_PTR(-ENODEV);
	}
	return gdev;
}

static u32 count_clients(struct gconv_device *gdev)
{
	struct drm_file *file;
	u32 n = 0;

	mutex_lock(&gdev->drm.filelist_mutex);
	list_for_each_entry(file, &gdev->drm.filelist, lhead)
		n++;
	mutex_unlock(&gdev->drm.filelist_mutex);
	return n;
}

static int fill_dev(struct sk_buff *skb, struct gconv_device *gdev)
{
	if (nla_put_u32(skb, GCONV_A_DEV_INDEX, dev_index(gdev)) ||
	    nla_put_string(skb, GCONV_A_DEV_NAME, gdev->drm.accel->kdev ?
			   dev_name(gdev->drm.accel->kdev) : "") ||
	    nla_put_string(skb, GCONV_A_DEV_PCI_SLOT, pci_name(gdev->pdev)) ||
	    nla_put_u32(skb, GCONV_A_DEV_HW_VERSION, gdev->hw_version) ||
	    nla_put_u32(skb, GCONV_A_DEV_ISA_VERSION, gdev->isa_version) ||
	    nla_put_u32(skb, GCONV_A_DEV_NUM_QUEUES, gdev->num_queues) ||
	    nla_put_u32(skb, GCONV_A_DEV_NUM_CONTEXTS, gdev->num_contexts) ||
	    nla_put_u32(skb, GCONV_A_DEV_CLOCK_KHZ, gdev->clock_khz) ||
	    nla_put_u32(skb, GCONV_A_DEV_CLIENTS, count_clients(gdev)))
		return -EMSGSIZE;
	return 0;
}

int gconv_nl_dev_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct gconv_device *gdev = lookup(info, GCONV_A_DEV_INDEX);
	struct sk_buff *msg;
	void *hdr;
	int ret = -ENOMEM;

	if (IS_ERR(gdev))
		return PTR_ERR(gdev);
	msg = genlmsg_new(GENLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg)
		goto out;
	hdr = genlmsg_iput(msg, info);
	if (!hdr || fill_dev(msg, gdev)) {
		nlmsg_free(msg);
		ret = -EMSGSIZE;
		goto out;
	}
	genlmsg_end(msg, hdr);
	ret = genlmsg_reply(msg, info);
out:
	drm_dev_put(&gdev->drm);
	return ret;
}

/* cb->args[0]: the device index to dump next */
int gconv_nl_dev_get_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
{
	u32 index = cb->args[0];
	struct gconv_device *gdev;
	void *hdr;
	int ret;

	while ((gdev = gconv_device_next(&index))) {
		hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid,
				  cb->nlh->nlmsg_seq, &gconv_nl_family,
				  NLM_F_MULTI, GCONV_CMD_DEV_GET);
		ret = hdr ? fill_dev(skb, gdev) : -EMSGSIZE;
		drm_dev_put(&gdev->drm);
		if (ret) {
			if (hdr)
				genlmsg_cancel(skb, hdr);
			break;
		}
		genlmsg_end(skb, hdr);
		index++;
	}
	cb->args[0] = index;
	return skb->len;
}

static int put_u64(struct sk_buff *skb, int attr, u64 v, int pad)
{
	return nla_put_u64_64bit(skb, attr, v, pad);
}

int gconv_nl_stats_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	static const struct {
		int attr;
		u32 reg;
	} hw[] = {
		{ GCONV_A_STATS_BUSY_NS, GCONV_REG_BUSY_NS },
		{ GCONV_A_STATS_MODELED_CYCLES, GCONV_REG_MODELED_CYCLES },
		{ GCONV_A_STATS_GCONVS, GCONV_REG_GCONVS },
		{ GCONV_A_STATS_MACS, GCONV_REG_MACS },
		{ GCONV_A_STATS_BYTES_READ, GCONV_REG_BYTES_READ },
		{ GCONV_A_STATS_BYTES_WRITTEN, GCONV_REG_BYTES_WRITTEN },
	};
	static const int sw[GCONV_CNT_MAX] = {
		[GCONV_CNT_SUBMITTED] = GCONV_A_STATS_JOBS_SUBMITTED,
		[GCONV_CNT_COMPLETED] = GCONV_A_STATS_JOBS_COMPLETED,
		[GCONV_CNT_FAILED] = GCONV_A_STATS_JOBS_FAILED,
		[GCONV_CNT_MMU_FAULTS] = GCONV_A_STATS_MMU_FAULTS,
		[GCONV_CNT_JOB_FAULTS] = GCONV_A_STATS_JOB_FAULTS,
		[GCONV_CNT_HANGS] = GCONV_A_STATS_HANGS,
		[GCONV_CNT_RESETS] = GCONV_A_STATS_RESETS,
		[GCONV_CNT_BANS] = GCONV_A_STATS_BANS,
		[GCONV_CNT_EVENTS_DROPPED] = GCONV_A_STATS_EVENTS_DROPPED,
	};
	struct gconv_device *gdev = lookup(info, GCONV_A_STATS_DEV_INDEX);
	struct sk_buff *msg;
	unsigned int i;
	void *hdr;
	int ret = -ENOMEM;

	if (IS_ERR(gdev))
		return PTR_ERR(gdev);
	msg = genlmsg_new(GENLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg)
		goto out;
	hdr = genlmsg_iput(msg, info);
	if (!hdr)
		goto err_msg;
	ret = -EMSGSIZE;
	if (nla_put_u32(msg, GCONV_A_STATS_DEV_INDEX, dev_index(gdev)))
		goto err_msg;
	for (i = 0; i < GCONV_CNT_MAX; i++)
		if (put_u64(msg, sw[i], atomic64_read(&gdev->cnt[i]),
			    GCONV_A_STATS_PAD))
			goto err_msg;
	/* device counters: the ones before the last reset plus the live ones */
	ret = mutex_lock_interruptible(&gdev->reset_lock);
	if (ret)
		goto err_msg;
	for (i = 0; i < ARRAY_SIZE(hw); i++) {
		if (put_u64(msg, hw[i].attr, gconv_hw_counter(gdev, hw[i].reg),
			    GCONV_A_STATS_PAD)) {
			ret = -EMSGSIZE;
			break;
		}
	}
	mutex_unlock(&gdev->reset_lock);
	if (ret)
		goto err_msg;
	genlmsg_end(msg, hdr);
	ret = genlmsg_reply(msg, info);
	goto out;

err_msg:
	nlmsg_free(msg);
out:
	drm_dev_put(&gdev->drm);
	return ret;
}

static int fill_client(struct sk_buff *skb, struct gconv_device *gdev,
		       struct drm_file *file)
{
	struct gconv_file *gf = file->driver_priv;
	struct gconv_vm *vm = gf->vm;
	struct drm_gem_object *obj;
	u64 bytes = 0;
	u32 bos = 0;
	int id;

	spin_lock(&file->table_lock);
	idr_for_each_entry(&file->object_idr, obj, id) {
		bos++;
		bytes += obj->size;
	}
	spin_unlock(&file->table_lock);
	if (nla_put_u32(skb, GCONV_A_CLIENT_DEV_INDEX, dev_index(gdev)) ||
	    put_u64(skb, GCONV_A_CLIENT_ID, file->client_id,
		    GCONV_A_CLIENT_PAD) ||
	    nla_put_u32(skb, GCONV_A_CLIENT_PID, vm->pid) ||
	    nla_put_string(skb, GCONV_A_CLIENT_COMM, vm->comm) ||
	    nla_put_s32(skb, GCONV_A_CLIENT_CONTEXT, READ_ONCE(vm->ctx)) ||
	    put_u64(skb, GCONV_A_CLIENT_JOBS_SUBMITTED,
		    atomic64_read(&gf->submitted), GCONV_A_CLIENT_PAD) ||
	    put_u64(skb, GCONV_A_CLIENT_JOBS_COMPLETED,
		    atomic64_read(&gf->stats->completed), GCONV_A_CLIENT_PAD) ||
	    put_u64(skb, GCONV_A_CLIENT_JOBS_FAILED,
		    atomic64_read(&gf->stats->failed), GCONV_A_CLIENT_PAD) ||
	    nla_put_u32(skb, GCONV_A_CLIENT_BO_COUNT, bos) ||
	    put_u64(skb, GCONV_A_CLIENT_MEM_BYTES, bytes, GCONV_A_CLIENT_PAD) ||
	    nla_put_u32(skb, GCONV_A_CLIENT_FAULTS, atomic_read(&vm->faults)) ||
	    nla_put_u8(skb, GCONV_A_CLIENT_BANNED, READ_ONCE(vm->banned)))
		return -EMSGSIZE;
	return 0;
}

/*
 * cb->args[0]: the device index to dump next; cb->args[1]: how many of its
 * clients are already dumped.  An optional dev-index limits the dump to one
 * device.
 */
int gconv_nl_client_get_dumpit(struct sk_buff *skb,
			       struct netlink_callback *cb)
{
	const struct genl_info *info = genl_info_dump(cb);
	struct nlattr *only = info->attrs[GCONV_A_CLIENT_DEV_INDEX];
	u32 index = cb->args[0];
	struct gconv_device *gdev;
	int ret = 0;

	if (only && !cb->args[0] && !cb->args[1]) {
		index = nla_get_u32(only);
		gdev = gconv_device_get(index);
		if (!gdev) {
			NL_SET_ERR_MSG_ATTR_FMT(cb->extack, only,
						"no gconv device accel%u",
						index);
			return -ENODEV;
		}
		drm_dev_put(&gdev->drm);
	}
	while (!ret && (gdev = gconv_device_next(&index))) {
		struct drm_file *file;
		long n = 0;

		if (only && index != nla_get_u32(only)) {
			drm_dev_put(&gdev->drm);
			break;
		}
		mutex_lock(&gdev->drm.filelist_mutex);
		list_for_each_entry(file, &gdev->drm.filelist, lhead) {
			void *hdr;

			if (n++ < cb->args[1])
				continue;
			hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid,
					  cb->nlh->nlmsg_seq, &gconv_nl_family,
					  NLM_F_MULTI, GCONV_CMD_CLIENT_GET);
			if (!hdr || fill_client(skb, gdev, file)) {
				if (hdr)
					genlmsg_cancel(skb, hdr);
				ret = -EMSGSIZE;
				break;
			}
			genlmsg_end(skb, hdr);
			cb->args[1] = n;
		}
		mutex_unlock(&gdev->drm.filelist_mutex);
		drm_dev_put(&gdev->drm);
		if (!ret) {
			index++;
			cb->args[1] = 0;
		}
	}
	cb->args[0] = index;
	return skb->len;
}

int gconv_nl_reset_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct gconv_device *gdev;
	int ret;

	if (!netlink_capable(skb, CAP_SYS_ADMIN)) {
		NL_SET_ERR_MSG_MOD(info->extack,
				   "resetting a device needs CAP_SYS_ADMIN");
		return -EPERM;
	}
	gdev = lookup(info, GCONV_A_DEV_INDEX);
	if (IS_ERR(gdev))
		return PTR_ERR(gdev);
	ret = gconv_reset(gdev, NULL, GCONV_RESET_REASON_NETLINK);
	if (ret)
		NL_SET_ERR_MSG_MOD(info->extack, "the reset failed");
	drm_dev_put(&gdev->drm);
	return ret;
}

/* ---- events ---------------------------------------------------------- */

/* A new event message, or NULL if nobody listens or there is no memory. */
static struct sk_buff *event_new(struct gconv_device *gdev, u32 type,
				 void **hdr)
{
	struct sk_buff *skb;

	if (!genl_has_listeners(&gconv_nl_family, &init_net,
				GCONV_NLGRP_EVENTS))
		return NULL;
	skb = genlmsg_new(NLMSG_GOODSIZE, GFP_ATOMIC);
	if (!skb)
		goto dropped;
	*hdr = genlmsg_put(skb, 0, 0, &gconv_nl_family, 0,
			   GCONV_CMD_EVENT_NTF);
	if (!*hdr || nla_put_u32(skb, GCONV_A_EVENT_TYPE, type) ||
	    nla_put_u32(skb, GCONV_A_EVENT_DEV_INDEX, dev_index(gdev))) {
		nlmsg_free(skb);
		goto dropped;
	}
	return skb;

dropped:
	atomic64_inc(&gdev->cnt[GCONV_CNT_EVENTS_DROPPED]);
	return NULL;
}

static void event_send(struct gconv_device *gdev, struct sk_buff *skb,
		       void *hdr, int err)
{
	if (err) {
		nlmsg_free(skb);
		atomic64_inc(&gdev->cnt[GCONV_CNT_EVENTS_DROPPED]);
		return;
	}
	genlmsg_end(skb, hdr);
	genlmsg_multicast(&gconv_nl_family, skb, 0, GCONV_NLGRP_EVENTS,
			  GFP_ATOMIC);
}

static int put_client(struct sk_buff *skb, struct gconv_vm *vm)
{
	return put_u64(skb, GCONV_A_EVENT_CLIENT_ID, vm->client_id,
		       GCONV_A_EVENT_PAD) ||
	       nla_put_s32(skb, GCONV_A_EVENT_CONTEXT, READ_ONCE(vm->ctx));
}

void gconv_nl_job_event(struct gconv_device *gdev, struct gconv_job *job,
			u32 type, u32 status, u32 info, u64 fault_addr,
			bool write)
{
	struct sk_buff *skb;
	void *hdr;
	int err;

	skb = event_new(gdev, type, &hdr);
	if (!skb)
		return;
	err = put_client(skb, job->vm) ||
	      nla_put_u32(skb, GCONV_A_EVENT_PID, job->pid) ||
	      nla_put_string(skb, GCONV_A_EVENT_COMM, job->comm) ||
	      nla_put_u32(skb, GCONV_A_EVENT_QUEUE, job->queue->idx) ||
	      put_u64(skb, GCONV_A_EVENT_SEQNO, job->seqno,
		      GCONV_A_EVENT_PAD) ||
	      nla_put_u32(skb, GCONV_A_EVENT_STATUS, status) ||
	      nla_put_u32(skb, GCONV_A_EVENT_INFO, info);
	if (!err && (status == DRM_GCONV_JOB_MMU_FAULT ||
		     status == DRM_GCONV_JOB_DMA_ERROR))
		err = put_u64(skb, GCONV_A_EVENT_FAULT_ADDR, fault_addr,
			      GCONV_A_EVENT_PAD) ||
		      nla_put_u8(skb, GCONV_A_EVENT_FAULT_WRITE, write);
	event_send(gdev, skb, hdr, err);
}

void gconv_nl_reset_event(struct gconv_device *gdev, u32 reason,
			  u32 aborted, u32 requeued)
{
	struct sk_buff *skb;
	void *hdr;

	skb = event_new(gdev, GCONV_EVENT_TYPE_RESET, &hdr);
	if (!skb)
		return;
	event_send(gdev, skb, hdr,
		   nla_put_u32(skb, GCONV_A_EVENT_RESET_REASON, reason) ||
		   nla_put_u32(skb, GCONV_A_EVENT_JOBS_ABORTED, aborted) ||
		   nla_put_u32(skb, GCONV_A_EVENT_JOBS_REQUEUED, requeued));
}

void gconv_nl_ban_event(struct gconv_device *gdev, struct gconv_vm *vm)
{
	struct sk_buff *skb;
	void *hdr;

	skb = event_new(gdev, GCONV_EVENT_TYPE_BAN, &hdr);
	if (!skb)
		return;
	event_send(gdev, skb, hdr,
		   put_client(skb, vm) ||
		   nla_put_u32(skb, GCONV_A_EVENT_PID, vm->pid) ||
		   nla_put_string(skb, GCONV_A_EVENT_COMM, vm->comm));
}

int gconv_nl_register(void)
{
	return genl_register_family(&gconv_nl_family);
}

void gconv_nl_unregister(void)
{
	genl_unregister_family(&gconv_nl_family);
}
