/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What both guest programs (init.c, the test guest's PID 1, and bench.c,
 * the benchmark guest's) need: mounting, writing a sysfs file and handing
 * a PCI function to vfio-pci.
 */
#ifndef HARNESS_GUEST_H
#define HARNESS_GUEST_H

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
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

/* Hand the function to vfio-pci, whatever driver it had before. */
static inline int bind_vfio(const char *bdf)
{
	char path[256];
	int rc;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver_override", bdf);
	rc = write_file(path, "vfio-pci");
	if (rc)
		return rc;
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver/unbind", bdf);
	write_file(path, bdf);
	rc = write_file("/sys/bus/pci/drivers_probe", bdf);
	if (rc)
		return rc;
	snprintf(path, sizeof(path), "/sys/bus/pci/drivers/vfio-pci/%s", bdf);
	return access(path, F_OK) ? -ENODEV : 0;
}

#endif
