// SPDX-License-Identifier: GPL-2.0-only
/*
 * gconv: sysfs attributes of the PCI device: identity, capabilities and
 * the device's busy time.
 */
#include <linux/device.h>
#include <linux/sysfs.h>

#include "gconv_drv.h"

static struct gconv_device *dev_to_gdev(struct device *dev)
{
	return pci_get_drvdata(to_pci_dev(dev));
}

static ssize_t hw_version_show(struct device *dev,
			       struct device_attribute *attr, char *buf)
{
	struct gconv_device *gdev = dev_to_gdev(dev);

	return sysfs_emit(buf, "%u.%u\n", gdev->hw_version >> 16,
			  gdev->hw_version & 0xffff);
}
static DEVICE_ATTR_RO(hw_version);

static ssize_t isa_version_show(struct device *dev,
				struct device_attribute *attr, char *buf)
{
	struct gconv_device *gdev = dev_to_gdev(dev);

	return sysfs_emit(buf, "%u.%u\n", gdev->isa_version >> 16,
			  gdev->isa_version & 0xffff);
}
static DEVICE_ATTR_RO(isa_version);

static ssize_t capabilities_show(struct device *dev,
				 struct device_attribute *attr, char *buf)
{
	struct gconv_device *gdev = dev_to_gdev(dev);

	return sysfs_emit(buf, "queues %u\ncontexts %u\nmax_chain_len %u\n"
			  "dtypes 0x%x\nmax_dim %u\nclock_khz %u\n",
			  gdev->num_queues, gdev->num_contexts,
			  gdev->max_chain_len, gdev->dtypes, gdev->max_dim,
			  gdev->clock_khz);
}
static DEVICE_ATTR_RO(capabilities);

static ssize_t busy_ns_show(struct device *dev, struct device_attribute *attr,
			    char *buf)
{
	struct gconv_device *gdev = dev_to_gdev(dev);
	u64 v;

	/* the _LO read latches the _HI half */
	v = gconv_read(gdev, GCONV_REG_BUSY_NS);
	v |= (u64)gconv_read(gdev, GCONV_REG_BUSY_NS + 4) << 32;
	return sysfs_emit(buf, "%llu\n", v);
}
static DEVICE_ATTR_RO(busy_ns);

static struct attribute *gconv_attrs[] = {
	&dev_attr_hw_version.attr,
	&dev_attr_isa_version.attr,
	&dev_attr_capabilities.attr,
	&dev_attr_busy_ns.attr,
	NULL,
};

static const struct attribute_group gconv_attr_group = {
	.name = "gconv",
	.attrs = gconv_attrs,
};

int gconv_sysfs_init(struct gconv_device *gdev)
{
	return devm_device_add_group(&gdev->pdev->dev, &gconv_attr_group);
}
