// SPDX-License-Identifier: GPL-2.0-only
/*
 * gconv: device address spaces.
 *
 * Each open file has a struct gconv_vm: a four-level page table in host
 * memory in the device's format (docs/hw-spec.md, "The device MMU") and a
 * drm_mm range allocator for BO placements.  A simple range allocator is
 * enough: BOs are mapped whole, once per VM, and never split or remapped,
 * which is what drm_gpuvm's extra machinery (sparse binding, VM_BIND) is
 * for.  The VM is bound to one of the device's context slots while it has
 * jobs to run; with more active files than slots, an idle VM's slot is
 * taken over.
 */
#include <drm/drm_print.h>
#include <linux/dma-mapping.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>

#include "gconv_drv.h"

static int pt_alloc(struct gconv_device *gdev, struct gconv_pt *pt)
{
	pt->cpu = dma_alloc_coherent(&gdev->pdev->dev, GCONV_HW_PAGE_SIZE,
				     &pt->dma, GFP_KERNEL);
	return pt->cpu ? 0 : -ENOMEM;
}

static void pt_free(struct gconv_device *gdev, struct gconv_pt *pt)
{
	dma_free_coherent(&gdev->pdev->dev, GCONV_HW_PAGE_SIZE, pt->cpu,
			  pt->dma);
}

struct gconv_vm *gconv_vm_create(struct gconv_device *gdev)
{
	struct gconv_vm *vm = kzalloc(sizeof(*vm), GFP_KERNEL);
	int ret;

	if (!vm)
		return ERR_PTR(-ENOMEM);
	ret = pt_alloc(gdev, &vm->root);
	if (ret) {
		kfree(vm);
		return ERR_PTR(ret);
	}
	vm->gdev = gdev;
	kref_init(&vm->ref);
	mutex_init(&vm->lock);
	drm_mm_init(&vm->mm, GCONV_VA_START, GCONV_VA_END - GCONV_VA_START);
	xa_init(&vm->tables);
	vm->ctx = -1;
	return vm;
}

static void gconv_vm_release(struct kref *ref)
{
	struct gconv_vm *vm = container_of(ref, struct gconv_vm, ref);
	struct gconv_device *gdev = vm->gdev;
	struct gconv_pt *pt;
	unsigned long key;

	mutex_lock(&gdev->ctx_lock);
	if (vm->ctx >= 0) {
		gconv_write(gdev, GCONV_REG_CTX(vm->ctx) + GCONV_CTX_CONTROL, 0);
		gdev->ctx_owner[vm->ctx] = NULL;
	}
	mutex_unlock(&gdev->ctx_lock);
	xa_for_each(&vm->tables, key, pt) {
		pt_free(gdev, pt);
		kfree(pt);
	}
	xa_destroy(&vm->tables);
	/* BOs take their nodes out before they drop their VM reference */
	drm_mm_takedown(&vm->mm);
	pt_free(gdev, &vm->root);
	mutex_destroy(&vm->lock);
	kfree(vm);
}

void gconv_vm_put(struct gconv_vm *vm)
{
	kref_put(&vm->ref, gconv_vm_release);
}

/* key of the table at @level (2..0) covering @va */
static unsigned long table_key(u64 va, int level)
{
	return ((unsigned long)level << 40) |
	       (unsigned long)(va >> (12 + 9 * (level + 1)));
}

/* The leaf table for @va, allocating the path to it. */
static u64 *leaf_table(struct gconv_vm *vm, u64 va)
{
	u64 *table = vm->root.cpu;
	int level;

	lockdep_assert_held(&vm->lock);
	for (level = 2; level >= 0; level--) {
		unsigned long key = table_key(va, level);
		struct gconv_pt *pt = xa_load(&vm->tables, key);
		u64 *entry = &table[GCONV_PT_INDEX(va, level + 1)];

		if (!pt) {
			pt = kzalloc(sizeof(*pt), GFP_KERNEL);
			if (!pt || pt_alloc(vm->gdev, pt)) {
				kfree(pt);
				return NULL;
			}
			if (xa_err(xa_store(&vm->tables, key, pt, GFP_KERNEL))) {
				pt_free(vm->gdev, pt);
				kfree(pt);
				return NULL;
			}
			/*
			 * The device reads tables from memory: the entry is
			 * written after the table it points to is zeroed.
			 */
			wmb();
			WRITE_ONCE(*entry, pt->dma | GCONV_PTE_VALID);
		}
		table = pt->cpu;
	}
	return table;
}

/* Map the DMA pages of @sgt at @va (page aligned). */
int gconv_vm_map_sgt(struct gconv_vm *vm, u64 va, struct sg_table *sgt,
		     bool writable)
{
	u64 perm = GCONV_PTE_VALID | GCONV_PTE_READ |
		   (writable ? GCONV_PTE_WRITE : 0);
	struct sg_dma_page_iter iter;
	u64 start = va;
	int ret = 0;

	mutex_lock(&vm->lock);
	for_each_sgtable_dma_page(sgt, &iter, 0) {
		dma_addr_t pa = sg_page_iter_dma_address(&iter);
		u64 *leaf = leaf_table(vm, va);

		if (!leaf) {
			ret = -ENOMEM;
			break;
		}
		WRITE_ONCE(leaf[GCONV_PT_INDEX(va, 0)], pa | perm);
		va += GCONV_HW_PAGE_SIZE;
	}
	mutex_unlock(&vm->lock);
	if (ret)
		gconv_vm_unmap(vm, start, va - start);
	return ret;
}

void gconv_vm_unmap(struct gconv_vm *vm, u64 va, u64 size)
{
	u64 end = va + size;

	mutex_lock(&vm->lock);
	for (; va < end; va += GCONV_HW_PAGE_SIZE) {
		struct gconv_pt *pt = xa_load(&vm->tables, table_key(va, 0));

		if (pt)
			WRITE_ONCE(pt->cpu[GCONV_PT_INDEX(va, 0)], 0);
	}
	mutex_unlock(&vm->lock);
}

/*
 * Give @vm a hardware context slot (if it has none): a free one, else the
 * least recently used one whose VM has no job on the hardware, and count
 * one more hardware job of @vm (the completion path drops it).  Called
 * before each job of @vm goes to the hardware; -EBUSY if every slot is in
 * use by a running job.  gconv_vm_rebind_ctx() binds without counting, for
 * a job that goes back to the hardware after a reset.
 */
static int bind_ctx(struct gconv_vm *vm, bool count)
{
	struct gconv_device *gdev = vm->gdev;
	int i, victim = -1;

	mutex_lock(&gdev->ctx_lock);
	vm->last_used = jiffies;
	if (vm->ctx >= 0)
		goto out;
	for (i = 0; i < gdev->num_contexts; i++) {
		struct gconv_vm *o = gdev->ctx_owner[i];

		if (!o) {
			victim = i;
			break;
		}
		if (!atomic_read(&o->hw_jobs) &&
		    (victim < 0 ||
		     time_before64(o->last_used,
				   gdev->ctx_owner[victim]->last_used)))
			victim = i;
	}
	if (victim < 0) {
		mutex_unlock(&gdev->ctx_lock);
		return -EBUSY;
	}
	if (gdev->ctx_owner[victim])
		gdev->ctx_owner[victim]->ctx = -1;
	gdev->ctx_owner[victim] = vm;
	vm->ctx = victim;
	gconv_write(gdev, GCONV_REG_CTX(victim) + GCONV_CTX_PT_ROOT_LO,
		    lower_32_bits(vm->root.dma));
	gconv_write(gdev, GCONV_REG_CTX(victim) + GCONV_CTX_PT_ROOT_HI,
		    upper_32_bits(vm->root.dma));
	gconv_write(gdev, GCONV_REG_CTX(victim) + GCONV_CTX_CONTROL,
		    GCONV_CTX_VALID);
out:
	/* counted under the lock: a VM with a hardware job keeps its slot */
	if (count)
		atomic_inc(&vm->hw_jobs);
	mutex_unlock(&gdev->ctx_lock);
	return 0;
}

int gconv_vm_bind_ctx(struct gconv_vm *vm)
{
	return bind_ctx(vm, true);
}

int gconv_vm_rebind_ctx(struct gconv_vm *vm)
{
	return bind_ctx(vm, false);
}

/* After a device reset every slot is invalid: forget the bindings. */
void gconv_vm_unbind_all(struct gconv_device *gdev)
{
	int i;

	mutex_lock(&gdev->ctx_lock);
	for (i = 0; i < GCONV_HW_NUM_CONTEXTS; i++) {
		if (gdev->ctx_owner[i])
			gdev->ctx_owner[i]->ctx = -1;
		gdev->ctx_owner[i] = NULL;
	}
	mutex_unlock(&gdev->ctx_lock);
}
