// SPDX-License-Identifier: GPL-2.0-only
/*
 * gconv: PCI probe and remove, device bring-up, the ioctl table and the
 * simple ioctls.
 */
#include <drm/drm_accel.h>
#include <drm/drm_drv.h>
#include <drm/drm_gem.h>
#include <drm/drm_ioctl.h>
#include <drm/drm_print.h>
#include <linux/interrupt.h>
#include <linux/module.h>
#include <linux/pci.h>

#include "gconv_drv.h"
#include "gconv_accel.h"

unsigned int gconv_timeout_ms = 5000;
module_param_named(timeout_ms, gconv_timeout_ms, uint, 0444);
MODULE_PARM_DESC(timeout_ms,
		 "a job whose queue makes no progress for this long is hung (default 5000)");

unsigned int gconv_ban_after = 3;
module_param_named(ban_after, gconv_ban_after, uint, 0644);
MODULE_PARM_DESC(ban_after,
		 "hung or faulting jobs after which a file is banned; 0: never (default 3)");

/*
 * Bound devices, for netlink, in the order of their accel minor index.
 * gconv_dev_lock protects the list; a user takes a drm_device reference.
 */
static LIST_HEAD(gconv_dev_list);
static DEFINE_MUTEX(gconv_dev_lock);

/* The device /dev/accel/accel@index, with a reference, or NULL. */
struct gconv_device *gconv_device_get(u32 index)
{
	struct gconv_device *gdev, *found = NULL;

	mutex_lock(&gconv_dev_lock);
	list_for_each_entry(gdev, &gconv_dev_list, link) {
		if (gdev->drm.accel->index == index) {
			drm_dev_get(&gdev->drm);
			found = gdev;
			break;
		}
	}
	mutex_unlock(&gconv_dev_lock);
	return found;
}

/* The device with the lowest index >= *@index, with a reference. */
struct gconv_device *gconv_device_next(u32 *index)
{
	struct gconv_device *gdev, *found = NULL;

	mutex_lock(&gconv_dev_lock);
	list_for_each_entry(gdev, &gconv_dev_list, link) {
		u32 i = gdev->drm.accel->index;

		if (i >= *index && (!found || i < found->drm.accel->index))
			found = gdev;
	}
	if (found) {
		drm_dev_get(&found->drm);
		*index = found->drm.accel->index;
	}
	mutex_unlock(&gconv_dev_lock);
	return found;
}

u32 gconv_read(struct gconv_device *gdev, u32 off)
{
	return readl(gdev->regs + off);
}

/* A 64-bit register: reading _LO latches _HI. */
u64 gconv_read64(struct gconv_device *gdev, u32 off)
{
	u64 lo = gconv_read(gdev, off);

	return lo | (u64)gconv_read(gdev, off + 4) << 32;
}

/*
 * A device counter since the driver bound the device: the counts before
 * the resets (which clear the device's) plus the live one.  Caller holds
 * gdev->reset_lock.
 */
u64 gconv_hw_counter(struct gconv_device *gdev, u32 reg)
{
	u64 v = gdev->hw_cnt_base[(reg - GCONV_REG_JOBS_COMPLETED) / 8];
	int idx;

	lockdep_assert_held(&gdev->reset_lock);
	if (drm_dev_enter(&gdev->drm, &idx)) {
		v += gconv_read64(gdev, reg);
		drm_dev_exit(idx);
	}
	return v;
}

void gconv_write(struct gconv_device *gdev, u32 off, u32 val)
{
	writel(val, gdev->regs + off);
}

/* Program rings, completion records and interrupts; enable the device. */
int gconv_hw_init(struct gconv_device *gdev)
{
	unsigned int i;

	gconv_write(gdev, GCONV_REG_CONTROL, GCONV_CONTROL_RESET);
	for (i = 0; i < gdev->num_queues; i++) {
		struct gconv_queue *q = &gdev->queue[i];
		u32 base = GCONV_REG_QUEUE(i);

		q->tail = 0;
		gconv_write(gdev, base + GCONV_Q_RING_BASE_LO,
			    lower_32_bits(q->ring_dma));
		gconv_write(gdev, base + GCONV_Q_RING_BASE_HI,
			    upper_32_bits(q->ring_dma));
		gconv_write(gdev, base + GCONV_Q_RING_SIZE,
			    PAGE_SIZE / sizeof(struct gconv_hw_job));
		gconv_write(gdev, base + GCONV_Q_CPL_ADDR_LO,
			    lower_32_bits(q->cpl_dma));
		gconv_write(gdev, base + GCONV_Q_CPL_ADDR_HI,
			    upper_32_bits(q->cpl_dma));
		gconv_write(gdev, base + GCONV_Q_CONTROL, GCONV_Q_ENABLE);
		if (gconv_read(gdev, base + GCONV_Q_STATUS) & GCONV_Q_STOPPED) {
			drm_err(&gdev->drm, "queue %u refused its ring\n", i);
			return -EIO;
		}
	}
	gconv_write(gdev, GCONV_REG_IRQ_MASK, GCONV_IRQ_ALL);
	gconv_write(gdev, GCONV_REG_CONTROL, GCONV_CONTROL_ENABLE);
	return 0;
}

static int gconv_ioctl_get_param(struct drm_device *drm, void *data,
				 struct drm_file *file)
{
	struct gconv_device *gdev = to_gconv_dev(drm);
	struct drm_gconv_get_param *args = data;

	if (args->reserved) {
		drm_dbg(drm, "get_param: reserved field is not zero\n");
		return -EINVAL;
	}
	switch (args->param) {
	case DRM_GCONV_PARAM_DEVICE_ID:
		args->value = gdev->pdev->device;
		break;
	case DRM_GCONV_PARAM_HW_VERSION:
		args->value = gdev->hw_version;
		break;
	case DRM_GCONV_PARAM_ISA_VERSION:
		args->value = gdev->isa_version;
		break;
	case DRM_GCONV_PARAM_NUM_QUEUES:
		args->value = gdev->num_queues;
		break;
	case DRM_GCONV_PARAM_NUM_CONTEXTS:
		args->value = gdev->num_contexts;
		break;
	case DRM_GCONV_PARAM_MAX_CHAIN_LEN:
		args->value = gdev->max_chain_len;
		break;
	case DRM_GCONV_PARAM_DTYPES:
		args->value = gdev->dtypes;
		break;
	case DRM_GCONV_PARAM_MAX_DIM:
		args->value = gdev->max_dim;
		break;
	case DRM_GCONV_PARAM_PAGE_SIZE:
		args->value = GCONV_HW_PAGE_SIZE;
		break;
	case DRM_GCONV_PARAM_VA_START:
		args->value = GCONV_VA_START;
		break;
	case DRM_GCONV_PARAM_VA_END:
		args->value = GCONV_VA_END;
		break;
	case DRM_GCONV_PARAM_MAX_CHAIN_BYTES:
		args->value = gdev->max_chain_bytes;
		break;
	case DRM_GCONV_PARAM_MAX_OPERAND_BYTES:
		args->value = gdev->max_operand_bytes;
		break;
	case DRM_GCONV_PARAM_CLOCK_KHZ:
		args->value = gdev->clock_khz;
		break;
	default:
		drm_dbg(drm, "get_param: unknown param %u\n", args->param);
		return -EINVAL;
	}
	return 0;
}

static int gconv_ioctl_get_stats(struct drm_device *drm, void *data,
				 struct drm_file *file)
{
	struct drm_gconv_stats *args = data;
	struct gconv_file *gf = file->driver_priv;
	struct drm_gem_object *obj;
	int id;

	if (args->reserved0 || args->reserved) {
		drm_dbg(drm, "get_stats: reserved fields are not zero\n");
		return -EINVAL;
	}
	args->faults = atomic_read(&gf->vm->faults);
	args->flags = READ_ONCE(gf->vm->banned) ? DRM_GCONV_STATS_BANNED : 0;
	args->jobs_submitted = atomic64_read(&gf->submitted);
	args->jobs_completed = atomic64_read(&gf->stats->completed);
	args->jobs_failed = atomic64_read(&gf->stats->failed);
	args->bo_count = 0;
	args->bo_bytes = 0;
	spin_lock(&file->table_lock);
	idr_for_each_entry(&file->object_idr, obj, id) {
		args->bo_count++;
		args->bo_bytes += obj->size;
	}
	spin_unlock(&file->table_lock);
	return 0;
}

static int gconv_open(struct drm_device *drm, struct drm_file *file)
{
	struct gconv_device *gdev = to_gconv_dev(drm);
	struct gconv_file *gf;
	int ret;

	gf = kzalloc(sizeof(*gf), GFP_KERNEL);
	if (!gf)
		return -ENOMEM;
	gf->gdev = gdev;
	xa_init(&gf->jobs);
	gf->stats = kzalloc(sizeof(*gf->stats), GFP_KERNEL);
	if (!gf->stats) {
		ret = -ENOMEM;
		goto err_free;
	}
	kref_init(&gf->stats->ref);
	gf->vm = gconv_vm_create(gdev);
	if (IS_ERR(gf->vm)) {
		ret = PTR_ERR(gf->vm);
		goto err_stats;
	}
	gf->vm->client_id = file->client_id;
	gf->vm->pid = task_tgid_nr(current);
	get_task_comm(gf->vm->comm, current);
	ret = gconv_file_sched_init(gdev, gf);
	if (ret)
		goto err_vm;
	file->driver_priv = gf;
	return 0;

err_vm:
	gconv_vm_put(gf->vm);
err_stats:
	gconv_stats_put(gf->stats);
err_free:
	kfree(gf);
	return ret;
}

static void gconv_postclose(struct drm_device *drm, struct drm_file *file)
{
	struct gconv_file *gf = file->driver_priv;
	struct gconv_job_record *rec;
	unsigned long id;

	/* waits (bounded by the job timeout) for this file's jobs */
	gconv_file_sched_fini(gf);
	xa_for_each(&gf->jobs, id, rec)
		gconv_record_put(rec);
	xa_destroy(&gf->jobs);
	gconv_vm_put(gf->vm);
	gconv_stats_put(gf->stats);
	kfree(gf);
}

static const struct drm_ioctl_desc gconv_ioctls[] = {
	DRM_IOCTL_DEF_DRV(GCONV_GET_PARAM, gconv_ioctl_get_param, 0),
	DRM_IOCTL_DEF_DRV(GCONV_BO_CREATE, gconv_ioctl_bo_create, 0),
	DRM_IOCTL_DEF_DRV(GCONV_BO_INFO, gconv_ioctl_bo_info, 0),
	DRM_IOCTL_DEF_DRV(GCONV_SUBMIT, gconv_ioctl_submit, 0),
	DRM_IOCTL_DEF_DRV(GCONV_WAIT, gconv_ioctl_wait, 0),
	DRM_IOCTL_DEF_DRV(GCONV_GET_STATS, gconv_ioctl_get_stats, 0),
};

DEFINE_DRM_ACCEL_FOPS(gconv_fops);

static const struct drm_driver gconv_drm_driver = {
	.driver_features = DRIVER_COMPUTE_ACCEL | DRIVER_GEM | DRIVER_SYNCOBJ,
	.open = gconv_open,
	.postclose = gconv_postclose,
	.gem_create_object = gconv_gem_create_object,
	.gem_prime_import_sg_table = gconv_gem_prime_import_sg_table,
	.ioctls = gconv_ioctls,
	.num_ioctls = ARRAY_SIZE(gconv_ioctls),
	.fops = &gconv_fops,
	.name = DRIVER_NAME,
	.desc = DRIVER_DESC,
	.major = 1,
	.minor = 0,
};

static int gconv_read_caps(struct gconv_device *gdev)
{
	if (gconv_read(gdev, GCONV_REG_ID) != GCONV_HW_ID_VALUE) {
		drm_err(&gdev->drm, "not a gconv device (ID 0x%08x)\n",
			gconv_read(gdev, GCONV_REG_ID));
		return -ENODEV;
	}
	gdev->hw_version = gconv_read(gdev, GCONV_REG_HW_VERSION);
	gdev->isa_version = gconv_read(gdev, GCONV_REG_ISA_VERSION);
	gdev->num_queues = gconv_read(gdev, GCONV_REG_NUM_QUEUES);
	gdev->num_contexts = gconv_read(gdev, GCONV_REG_NUM_CONTEXTS);
	gdev->max_chain_len = gconv_read(gdev, GCONV_REG_MAX_CHAIN_LEN);
	gdev->dtypes = gconv_read(gdev, GCONV_REG_DTYPES);
	gdev->max_dim = gconv_read(gdev, GCONV_REG_MAX_DIM);
	gdev->clock_khz = gconv_read(gdev, GCONV_REG_CLOCK_KHZ);
	gdev->max_chain_bytes = gconv_read(gdev, GCONV_REG_MAX_CHAIN_BYTES);
	gdev->max_operand_bytes = gconv_read(gdev,
					     GCONV_REG_MAX_OPERAND_BYTES);
	if (gdev->hw_version >> 16 != GCONV_HW_VERSION_VALUE >> 16 ||
	    !gdev->num_queues || gdev->num_queues > GCONV_HW_NUM_QUEUES ||
	    !gdev->num_contexts ||
	    gdev->num_contexts > GCONV_HW_NUM_CONTEXTS ||
	    gconv_read(gdev, GCONV_REG_PAGE_SHIFT) != GCONV_HW_PAGE_SHIFT ||
	    gconv_read(gdev, GCONV_REG_VA_BITS) < 48) {
		drm_err(&gdev->drm, "unsupported device version 0x%08x\n",
			gdev->hw_version);
		return -ENODEV;
	}
	return 0;
}

static void gconv_free_irqs(void *data)
{
	struct gconv_device *gdev = data;
	unsigned int i;

	for (i = 0; i < GCONV_HW_NUM_VECTORS; i++)
		free_irq(pci_irq_vector(gdev->pdev, i), gdev);
	pci_free_irq_vectors(gdev->pdev);
}

static int gconv_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct gconv_device *gdev;
	unsigned int i;
	int ret, nvec;

	gdev = devm_drm_dev_alloc(&pdev->dev, &gconv_drm_driver,
				  struct gconv_device, drm);
	if (IS_ERR(gdev))
		return PTR_ERR(gdev);
	gdev->pdev = pdev;
	pci_set_drvdata(pdev, gdev);
	mutex_init(&gdev->ctx_lock);
	mutex_init(&gdev->reset_lock);
	spin_lock_init(&gdev->fence_lock);
	spin_lock_init(&gdev->recent_lock);

	ret = pcim_enable_device(pdev);
	if (ret)
		return ret;
	ret = dma_set_mask_and_coherent(&pdev->dev, DMA_BIT_MASK(48));
	if (ret)
		return ret;
	ret = pcim_iomap_regions(pdev, BIT(GCONV_BAR_REGS), DRIVER_NAME);
	if (ret)
		return ret;
	gdev->regs = pcim_iomap_table(pdev)[GCONV_BAR_REGS];
	pci_set_master(pdev);

	ret = gconv_read_caps(gdev);
	if (ret)
		return ret;

	for (i = 0; i < gdev->num_queues; i++) {
		struct gconv_queue *q = &gdev->queue[i];

		q->gdev = gdev;
		q->idx = i;
		spin_lock_init(&q->lock);
		q->ring = dmam_alloc_coherent(&pdev->dev, PAGE_SIZE,
					      &q->ring_dma, GFP_KERNEL);
		q->cpl = dmam_alloc_coherent(&pdev->dev,
					     sizeof(struct gconv_hw_completion),
					     &q->cpl_dma, GFP_KERNEL);
		if (!q->ring || !q->cpl)
			return -ENOMEM;
	}

	nvec = pci_alloc_irq_vectors(pdev, GCONV_HW_NUM_VECTORS,
				     GCONV_HW_NUM_VECTORS, PCI_IRQ_MSIX);
	if (nvec < 0)
		return nvec;
	for (i = 0; i < GCONV_HW_NUM_VECTORS; i++) {
		ret = request_threaded_irq(pci_irq_vector(pdev, i), gconv_irq,
					   gconv_irq_thread, 0, DRIVER_NAME,
					   gdev);
		if (ret) {
			while (i--)
				free_irq(pci_irq_vector(pdev, i), gdev);
			pci_free_irq_vectors(pdev);
			return ret;
		}
	}
	ret = devm_add_action_or_reset(&pdev->dev, gconv_free_irqs, gdev);
	if (ret)
		return ret;

	ret = gconv_sched_init(gdev);
	if (ret)
		return ret;
	ret = gconv_hw_init(gdev);
	if (ret)
		goto err_sched;
	ret = gconv_sysfs_init(gdev);
	if (ret)
		goto err_hw;
	gconv_debugfs_init(gdev);
	ret = drm_dev_register(&gdev->drm, 0);
	if (ret)
		goto err_hw;
	mutex_lock(&gconv_dev_lock);
	list_add_tail(&gdev->link, &gconv_dev_list);
	mutex_unlock(&gconv_dev_lock);
	drm_info(&gdev->drm, "gconv %u.%u: %u queues, %u contexts\n",
		 gdev->hw_version >> 16, gdev->hw_version & 0xffff,
		 gdev->num_queues, gdev->num_contexts);
	return 0;

err_hw:
	gconv_write(gdev, GCONV_REG_CONTROL, GCONV_CONTROL_RESET);
err_sched:
	gconv_sched_fini(gdev);
	return ret;
}

static void gconv_remove(struct pci_dev *pdev)
{
	struct gconv_device *gdev = pci_get_drvdata(pdev);

	mutex_lock(&gconv_dev_lock);
	list_del(&gdev->link);
	mutex_unlock(&gconv_dev_lock);
	drm_dev_unplug(&gdev->drm);
	gconv_sched_fini(gdev);
	gconv_write(gdev, GCONV_REG_IRQ_MASK, 0);
	gconv_write(gdev, GCONV_REG_CONTROL, GCONV_CONTROL_RESET);
}

static const struct pci_device_id gconv_pci_ids[] = {
	{ PCI_DEVICE(GCONV_PCI_VENDOR_ID, GCONV_PCI_DEVICE_ID) },
	{ }
};
MODULE_DEVICE_TABLE(pci, gconv_pci_ids);

static struct pci_driver gconv_pci_driver = {
	.name = DRIVER_NAME,
	.id_table = gconv_pci_ids,
	.probe = gconv_probe,
	.remove = gconv_remove,
};

static int __init gconv_init(void)
{
	int ret;

	if (!gconv_timeout_ms) {
		pr_err("gconv: timeout_ms must be at least 1\n");
		return -EINVAL;
	}
	ret = gconv_nl_register();
	if (ret)
		return ret;
	ret = pci_register_driver(&gconv_pci_driver);
	if (ret)
		gconv_nl_unregister();
	return ret;
}
module_init(gconv_init);

static void __exit gconv_exit(void)
{
	pci_unregister_driver(&gconv_pci_driver);
	gconv_nl_unregister();
}
module_exit(gconv_exit);

MODULE_DESCRIPTION(DRIVER_DESC);
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(DMA_BUF);
