/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the guest programs (init.c, the test guest's PID 1, bench.c, the
 * benchmark guest's, ism.c, the ISM guest's) need: mounting, writing a
 * sysfs file, loading modules and handing a PCI function to vfio-pci.
 */
#ifndef HARNESS_GUEST_H
#define HARNESS_GUEST_H

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static inline void mount_or_warn(const char *src, const char *dst, const char *type)
{
	mkdir(dst, 0755);
	if (mount(src, dst, type, 0, NULL) && errno != EBUSY)
		printf("# mount %s on %s: %s\n", type, dst, strerror(errno));
}

static inline int write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	close(fd);
	return n == (ssize_t)strlen(val) ? 0 : -errno;
}

/*
 * Load the modules named in @dir/order, one file name a line with
 * dependencies first, with finit_module(2); name each that fails on fd 1.
 * Returns how many failed, or -errno when there is no order file.
 */
static inline int load_modules(const char *dir, int *loaded)
{
	char line[256], path[512];
	int failed = 0;
	FILE *order;

	snprintf(path, sizeof(path), "%s/order", dir);
	order = fopen(path, "r");
	*loaded = 0;
	if (!order)
		return -errno;
	while (fgets(line, sizeof(line), order)) {
		int fd;

		line[strcspn(line, "\n")] = '\0';
		if (!line[0])
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, line);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || (syscall(SYS_finit_module, fd, "", 0) && errno != EEXIST)) {
			dprintf(1, "# modules: %s: %s\n", line, strerror(errno));
			failed++;
		} else {
			(*loaded)++;
		}
		if (fd >= 0)
			close(fd);
	}
	fclose(order);
	return failed;
}

/* Hand the function to @driver (driver_override), whatever it had before. */
/*
 * What a small /init starts with: /proc, /sys and /dev mounted, stdout
 * line-buffered, and kernel messages kept off the console, so that they do
 * not interleave with what it prints.
 */
static inline void guest_start(void)
{
	mount_or_warn("proc", "/proc", "proc");
	mount_or_warn("sysfs", "/sys", "sysfs");
	mount_or_warn("devtmpfs", "/dev", "devtmpfs");
	setvbuf(stdout, NULL, _IOLBF, 0);
	write_file("/proc/sys/kernel/printk", "1");
}

static inline int bind_driver(const char *bdf, const char *driver)
{
	char path[256];
	int rc;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver_override", bdf);
	rc = write_file(path, driver);
	if (rc)
		return rc;
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver/unbind", bdf);
	write_file(path, bdf);
	rc = write_file("/sys/bus/pci/drivers_probe", bdf);
	if (rc)
		return rc;
	snprintf(path, sizeof(path), "/sys/bus/pci/drivers/%s/%s", driver, bdf);
	return access(path, F_OK) ? -ENODEV : 0;
}

static inline int bind_vfio(const char *bdf)
{
	return bind_driver(bdf, "vfio-pci");
}

#ifdef VFIO_TYPE1v2_IOMMU
/*
 * A VFIO type1v2 container with the group of @bdf in it: the container's
 * fd, the group's in *@group, or -errno.
 */
static inline int vfio_container(const char *bdf, int *group)
{
	char path[256], link[256];
	int container;
	ssize_t n;

	*group = -1;
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu_group", bdf);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return -errno;
	link[n] = 0;
	snprintf(path, sizeof(path), "/dev/vfio/%s", strrchr(link, '/') + 1);
	container = open("/dev/vfio/vfio", O_RDWR);
	*group = open(path, O_RDWR);
	if (container < 0 || *group < 0)
		return -errno;
	if (ioctl(*group, VFIO_GROUP_SET_CONTAINER, &container) ||
	    ioctl(container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU))
		return -errno;
	return container;
}
#endif

#endif
