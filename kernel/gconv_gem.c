// SPDX-License-Identifier: GPL-2.0-only
/*
 * gconv: buffer objects.  shmem-backed GEM objects, mapped into the device
 * address space of each file that uses them (the creator at creation, an
 * importer on its first BO_INFO or SUBMIT), pinned while mapped.
 */
#include <drm/drm_drv.h>
#include <drm/drm_gem.h>
#include <drm/drm_print.h>
#include <linux/mm.h>
#include <linux/slab.h>

#include "gconv_drv.h"
#include "gconv_accel.h"

static void gconv_bo_free(struct drm_gem_object *obj)
{
	struct gconv_bo *bo = to_gconv_bo(obj);
	struct gconv_mapping *m, *tmp;

	/* no job can hold the BO any more: its mappings can go */
	list_for_each_entry_safe(m, tmp, &bo->mappings, link) {
		gconv_vm_unmap(m->vm, m->node.start, m->node.size);
		mutex_lock(&m->vm->lock);
		drm_mm_remove_node(&m->node);
		mutex_unlock(&m->vm->lock);
		gconv_vm_put(m->vm);
		list_del(&m->link);
		kfree(m);
		if (!obj->import_attach)
			drm_gem_shmem_unpin(&bo->base);
	}
	mutex_destroy(&bo->lock);
	atomic_dec(&to_gconv_dev(obj->dev)->bo_count);
	drm_gem_shmem_free(&bo->base);
}

static const struct drm_gem_object_funcs gconv_gem_funcs = {
	.free = gconv_bo_free,
	.print_info = drm_gem_shmem_object_print_info,
	.pin = drm_gem_shmem_object_pin,
	.unpin = drm_gem_shmem_object_unpin,
	.get_sg_table = drm_gem_shmem_object_get_sg_table,
	.vmap = drm_gem_shmem_object_vmap,
	.vunmap = drm_gem_shmem_object_vunmap,
	.mmap = drm_gem_shmem_object_mmap,
	.vm_ops = &drm_gem_shmem_vm_ops,
};

struct drm_gem_object *
gconv_gem_create_object(struct drm_device *drm, size_t size)
{
	struct gconv_bo *bo = kzalloc(sizeof(*bo), GFP_KERNEL);

	if (!bo)
		return ERR_PTR(-ENOMEM);
	/*
	 * Not counted yet: if drm_gem_shmem_create() fails after this it
	 * kfree()s the object without calling .free.  The BO is counted once
	 * creation or import has succeeded.
	 */
	bo->base.base.funcs = &gconv_gem_funcs;
	bo->base.map_wc = false;
	mutex_init(&bo->lock);
	INIT_LIST_HEAD(&bo->mappings);
	return &bo->base.base;
}

struct drm_gem_object *
gconv_gem_prime_import_sg_table(struct drm_device *drm,
				struct dma_buf_attachment *attach,
				struct sg_table *sgt)
{
	struct drm_gem_object *obj;

	obj = drm_gem_shmem_prime_import_sg_table(drm, attach, sgt);
	if (!IS_ERR(obj))
		atomic_inc(&to_gconv_dev(drm)->bo_count);
	return obj;
}

/*
 * The device address of @bo in @vm, mapping it there first if needed.
 * Takes a VM reference for the mapping's lifetime (the BO's).
 */
int gconv_bo_map(struct gconv_bo *bo, struct gconv_vm *vm, u64 *addr)
{
	struct gconv_mapping *m;
	struct sg_table *sgt;
	int ret;

	mutex_lock(&bo->lock);
	list_for_each_entry(m, &bo->mappings, link) {
		if (m->vm == vm) {
			*addr = m->node.start;
			mutex_unlock(&bo->lock);
			return 0;
		}
	}
	m = kzalloc(sizeof(*m), GFP_KERNEL);
	if (!m) {
		ret = -ENOMEM;
		goto err_unlock;
	}
	if (bo->base.base.import_attach) {
		/* imported: the attachment's mapping lasts as long as we do */
		sgt = bo->base.sgt;
		if (!sgt) {
			ret = -EINVAL;
			goto err_free;
		}
	} else {
		ret = drm_gem_shmem_pin(&bo->base);
		if (ret)
			goto err_free;
		sgt = drm_gem_shmem_get_pages_sgt(&bo->base);
		if (IS_ERR(sgt)) {
			ret = PTR_ERR(sgt);
			goto err_unpin;
		}
	}
	mutex_lock(&vm->lock);
	ret = drm_mm_insert_node_generic(&vm->mm, &m->node, bo->base.base.size,
					 GCONV_HW_PAGE_SIZE, 0, 0);
	mutex_unlock(&vm->lock);
	if (ret)
		goto err_unpin;
	ret = gconv_vm_map_sgt(vm, m->node.start, sgt,
			       !(bo->flags & DRM_GCONV_BO_DEVICE_READ_ONLY));
	if (ret)
		goto err_node;
	kref_get(&vm->ref);
	m->vm = vm;
	list_add(&m->link, &bo->mappings);
	*addr = m->node.start;
	mutex_unlock(&bo->lock);
	return 0;

err_node:
	mutex_lock(&vm->lock);
	drm_mm_remove_node(&m->node);
	mutex_unlock(&vm->lock);
err_unpin:
	if (!bo->base.base.import_attach)
		drm_gem_shmem_unpin(&bo->base);
err_free:
	kfree(m);
err_unlock:
	mutex_unlock(&bo->lock);
	return ret;
}

int gconv_ioctl_bo_create(struct drm_device *drm, void *data,
			  struct drm_file *file)
{
	struct gconv_file *gf = file->driver_priv;
	struct drm_gconv_bo_create *args = data;
	struct drm_gem_shmem_object *shmem;
	struct gconv_bo *bo;
	u64 addr;
	int ret;

	if (args->reserved) {
		drm_dbg(drm, "bo_create: reserved field is not zero\n");
		return -EINVAL;
	}
	if (args->flags & ~DRM_GCONV_BO_FLAGS) {
		drm_dbg(drm, "bo_create: unknown flags 0x%x\n", args->flags);
		return -EINVAL;
	}
	if (!args->size || args->size > GCONV_VA_END - GCONV_VA_START) {
		drm_dbg(drm, "bo_create: bad size %llu\n", args->size);
		return -EINVAL;
	}
	/* BOs are pinned from creation: one larger than RAM can never be */
	if (args->size > (u64)totalram_pages() << PAGE_SHIFT) {
		drm_dbg(drm, "bo_create: %llu bytes is more than RAM\n",
			args->size);
		return -ENOMEM;
	}

	shmem = drm_gem_shmem_create(drm, PAGE_ALIGN(args->size));
	if (IS_ERR(shmem))
		return PTR_ERR(shmem);
	atomic_inc(&to_gconv_dev(drm)->bo_count);
	bo = container_of(shmem, struct gconv_bo, base);
	bo->flags = args->flags;
	ret = gconv_bo_map(bo, gf->vm, &addr);
	if (ret)
		goto out;
	ret = drm_gem_handle_create(file, &shmem->base, &args->handle);
	if (ret)
		goto out;
	args->device_addr = addr;
out:
	/* the handle (if any) holds the BO now */
	drm_gem_object_put(&shmem->base);
	return ret;
}

int gconv_ioctl_bo_info(struct drm_device *drm, void *data,
			struct drm_file *file)
{
	struct gconv_file *gf = file->driver_priv;
	struct drm_gconv_bo_info *args = data;
	struct drm_gem_object *obj;
	struct gconv_bo *bo;
	u64 addr;
	int ret;

	if (args->reserved) {
		drm_dbg(drm, "bo_info: reserved field is not zero\n");
		return -EINVAL;
	}
	obj = drm_gem_object_lookup(file, args->handle);
	if (!obj) {
		drm_dbg(drm, "bo_info: no BO with handle %u\n", args->handle);
		return -ENOENT;
	}
	bo = to_gconv_bo(obj);
	ret = drm_gem_create_mmap_offset(obj);
	if (ret)
		goto out;
	ret = gconv_bo_map(bo, gf->vm, &addr);
	if (ret)
		goto out;
	args->flags = bo->flags;
	args->mmap_offset = drm_vma_node_offset_addr(&obj->vma_node);
	args->device_addr = addr;
	args->size = obj->size;
out:
	drm_gem_object_put(obj);
	return ret;
}
