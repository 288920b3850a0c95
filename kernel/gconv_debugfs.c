// SPDX-License-Identifier: GPL-2.0-only
/*
 * gconv: debugfs, under /sys/kernel/debug/accel/<pci-bdf>/.
 *   queues    per queue: ring head/tail, seqnos, the job on the hardware
 *   contexts  which file's VM owns each hardware context slot
 *   clients   the open files: process, context, faults, ban
 *   faults    the latched fault registers
 *   jobs      the last 32 jobs that ended: queue, context, pid, status
 *   bos       how many BOs exist (0 once every file is closed)
 *   reset     writing anything resets the device
 */
#include <drm/drm_debugfs.h>
#include <drm/drm_file.h>
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <drm/drm_file.h>
#include <drm/drm_print.h>
#include <linux/seq_file.h>

#include "gconv_drv.h"

static int queues_show(struct seq_file *m, void *unused)
{
	struct drm_debugfs_entry *entry = m->private;
	struct gconv_device *gdev = to_gconv_dev(entry->dev);
	unsigned int i;

	for (i = 0; i < gdev->num_queues; i++) {
		struct gconv_queue *q = &gdev->queue[i];
		u32 base = GCONV_REG_QUEUE(i);
		u64 active;

		spin_lock(&q->lock);
		active = q->active ? q->active->seqno : 0;
		spin_unlock(&q->lock);
		seq_printf(m,
			   "queue %u: head %u tail %u status 0x%x submitted %llu completed %llu on-hw %llu\n",
			   i,
			   gconv_read(gdev, base + GCONV_Q_HEAD),
			   gconv_read(gdev, base + GCONV_Q_TAIL),
			   gconv_read(gdev, base + GCONV_Q_STATUS), q->seqno,
			   READ_ONCE(q->cpl->seqno), active);
	}
	return 0;
}

static int contexts_show(struct seq_file *m, void *unused)
{
	struct drm_debugfs_entry *entry = m->private;
	struct gconv_device *gdev = to_gconv_dev(entry->dev);
	unsigned int i;

	mutex_lock(&gdev->ctx_lock);
	for (i = 0; i < gdev->num_contexts; i++) {
		struct gconv_vm *vm = gdev->ctx_owner[i];

		if (vm)
			seq_printf(m, "context %u: pid %d comm %s hw-jobs %d\n",
				   i, vm->pid, vm->comm,
				   atomic_read(&vm->hw_jobs));
		else
			seq_printf(m, "context %u: free\n", i);
	}
	mutex_unlock(&gdev->ctx_lock);
	return 0;
}

static int clients_show(struct seq_file *m, void *unused)
{
	struct drm_debugfs_entry *entry = m->private;
	struct drm_device *drm = entry->dev;
	struct drm_file *file;

	mutex_lock(&drm->filelist_mutex);
	list_for_each_entry(file, &drm->filelist, lhead) {
		struct gconv_vm *vm = ((struct gconv_file *)file->driver_priv)->vm;

		seq_printf(m, "client %llu pid %d comm %s context %d faults %d banned %d\n",
			   file->client_id, vm->pid, vm->comm, READ_ONCE(vm->ctx),
			   atomic_read(&vm->faults), READ_ONCE(vm->banned));
	}
	mutex_unlock(&drm->filelist_mutex);
	return 0;
}

static int faults_show(struct seq_file *m, void *unused)
{
	struct drm_debugfs_entry *entry = m->private;
	struct gconv_device *gdev = to_gconv_dev(entry->dev);
	u64 addr = gconv_read(gdev, GCONV_REG_FAULT_ADDR_LO);

	addr |= (u64)gconv_read(gdev, GCONV_REG_FAULT_ADDR_HI) << 32;
	seq_printf(m,
		   "status %u queue %u context %u flags 0x%x addr 0x%llx info 0x%x\n",
		   gconv_read(gdev, GCONV_REG_FAULT_STATUS),
		   gconv_read(gdev, GCONV_REG_FAULT_QUEUE),
		   gconv_read(gdev, GCONV_REG_FAULT_CONTEXT),
		   gconv_read(gdev, GCONV_REG_FAULT_FLAGS), addr,
		   gconv_read(gdev, GCONV_REG_FAULT_INFO));
	return 0;
}

static int jobs_show(struct seq_file *m, void *unused)
{
	struct drm_debugfs_entry *entry = m->private;
	struct gconv_device *gdev = to_gconv_dev(entry->dev);
	unsigned int i, n = ARRAY_SIZE(gdev->recent);

	spin_lock(&gdev->recent_lock);
	for (i = 0; i < n; i++) {
		struct gconv_recent_job *r =
			&gdev->recent[(gdev->recent_next + i) % n];

		if (!r->seqno)
			continue;
		seq_printf(m,
			   "queue %u seqno %llu context %u pid %d status %u info 0x%x fault 0x%llx\n",
			   r->queue, r->seqno, r->context, r->pid, r->status,
			   r->info, r->fault_addr);
	}
	spin_unlock(&gdev->recent_lock);
	return 0;
}

static int bos_show(struct seq_file *m, void *unused)
{
	struct drm_debugfs_entry *entry = m->private;
	struct gconv_device *gdev = to_gconv_dev(entry->dev);

	seq_printf(m, "%d\n", atomic_read(&gdev->bo_count));
	return 0;
}

static ssize_t reset_write(struct file *f, const char __user *buf,
			   size_t len, loff_t *pos)
{
	struct gconv_device *gdev = file_inode(f)->i_private;
	int ret = gconv_reset(gdev, NULL, GCONV_RESET_REASON_DEBUGFS);

	return ret ? ret : len;
}

static const struct file_operations reset_fops = {
	.owner = THIS_MODULE,
	.write = reset_write,
	.llseek = noop_llseek,
};

static const struct drm_debugfs_info gconv_debugfs_list[] = {
	{ "queues", queues_show, 0 },
	{ "contexts", contexts_show, 0 },
	{ "clients", clients_show, 0 },
	{ "faults", faults_show, 0 },
	{ "jobs", jobs_show, 0 },
	{ "bos", bos_show, 0 },
};

void gconv_debugfs_init(struct gconv_device *gdev)
{
	drm_debugfs_add_files(&gdev->drm, gconv_debugfs_list,
			      ARRAY_SIZE(gconv_debugfs_list));
	debugfs_create_file("reset", 0200, gdev->drm.debugfs_root, gdev,
			    &reset_fops);
}
