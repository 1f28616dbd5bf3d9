// SPDX-License-Identifier: GPL-2.0
/*
 * PID 1 of the comparison guest (make compare): hand the zPCI function
 * named by VFIO_DEVICE to vfio-pci, make every kind of request a VFIO user
 * can make of the s390 IOMMU driver through a type1 container, good and
 * bad, and print what each one answered, one line each:
 *
 *	compare: <request> | <answer>
 *
 * The same program runs on every kernel compared, so the answers can be
 * put side by side. It judges nothing.
 */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/klog.h>
#include <sys/mman.h>
#include <sys/reboot.h>
#include <unistd.h>
#include <linux/vfio.h>

#include "guest.h"

#define PG		4096ULL
#define MAX_RANGES	8

static int container = -1;
static uint64_t first, last;	/* of the first usable IOVA range, inclusive */
static char *buf;

static void answer(const char *request, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void answer(const char *request, const char *fmt, ...)
{
	va_list ap;

	printf("compare: %s | ", request);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

static const char *errname(int err)
{
	switch (err) {
	case 0: return "ok";
	case EINVAL: return "EINVAL";
	case EEXIST: return "EEXIST";
	case ENOSPC: return "ENOSPC";
	case EFAULT: return "EFAULT";
	case ENOMEM: return "ENOMEM";
	case EPERM: return "EPERM";
	case EBUSY: return "EBUSY";
	default: return strerror(err);
	}
}

static int map(uint64_t iova, uint64_t size, void *vaddr, uint32_t flags)
{
	struct vfio_iommu_type1_dma_map m = {
		.argsz = sizeof(m), .flags = flags,
		.vaddr = (uintptr_t)vaddr, .iova = iova, .size = size,
	};

	return ioctl(container, VFIO_IOMMU_MAP_DMA, &m) ? errno : 0;
}

#define RW	(VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE)

/* Unmap; *size becomes what VFIO says it unmapped */
static int unmap(uint64_t iova, uint64_t *size)
{
	struct vfio_iommu_type1_dma_unmap u = {
		.argsz = sizeof(u), .iova = iova, .size = *size,
	};
	int rc = ioctl(container, VFIO_IOMMU_UNMAP_DMA, &u) ? errno : 0;

	*size = rc ? 0 : u.size;
	return rc;
}

static void unmap_quietly(uint64_t iova, uint64_t size)
{
	unmap(iova, &size);
}

/* Map, answer, unmap again whatever the answer was */
static void try_map(const char *request, uint64_t iova, uint64_t size,
		    uint32_t flags)
{
	int rc = map(iova, size, buf, flags);

	answer(request, "%s", errname(rc));
	if (!rc)
		unmap_quietly(iova, size);
}

/* What VFIO_IOMMU_GET_INFO reports: page sizes and IOVA ranges */
static void report_info(void)
{
	struct vfio_iommu_type1_info *info;
	struct vfio_info_cap_header *cap;
	struct vfio_iommu_type1_info_cap_iova_range *r;
	char ranges[512] = "";
	size_t len = 4096;
	unsigned int i;

	info = calloc(1, len);
	info->argsz = len;
	if (ioctl(container, VFIO_IOMMU_GET_INFO, info)) {
		answer("VFIO_IOMMU_GET_INFO", "%s", errname(errno));
		return;
	}
	answer("IOVA page sizes (iova_pgsizes)", "0x%llx",
	       (unsigned long long)info->iova_pgsizes);
	for (cap = (void *)info + info->cap_offset;
	     info->flags & VFIO_IOMMU_INFO_CAPS && info->cap_offset;
	     cap = (void *)info + cap->next) {
		if (cap->id == VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE) {
			r = (void *)cap;
			for (i = 0; i < r->nr_iovas && i < MAX_RANGES; i++)
				snprintf(ranges + strlen(ranges), sizeof(ranges) - strlen(ranges),
					 "%s0x%llx-0x%llx", i ? ", " : "",
					 (unsigned long long)r->iova_ranges[i].start,
					 (unsigned long long)r->iova_ranges[i].end);
			if (r->nr_iovas) {
				first = r->iova_ranges[0].start;
				last = r->iova_ranges[0].end;
			}
		}
		if (!cap->next)
			break;
	}
	answer("usable IOVA ranges (VFIO_IOMMU_GET_INFO)", "%s", ranges);
	free(info);
}

static void report_reserved_regions(const char *bdf)
{
	char path[PATH_MAX], line[128], out[512] = "";
	FILE *f;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu_group/reserved_regions",
		 bdf);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		snprintf(out + strlen(out), sizeof(out) - strlen(out), "%s%s",
			 out[0] ? ", " : "", line);
	}
	if (f)
		fclose(f);
	answer("reserved regions of the group (sysfs)", "%s", out[0] ? out : "none");
}

static void report_zpci_errors(const char *when)
{
	int len = klogctl(10, NULL, 0), n = 0;
	char *log, *p, request[128];

	log = calloc(1, len + 1);
	if (log && klogctl(3, log, len) >= 0)
		for (p = log; (p = strstr(p, "reports an error for PCI function")); p++)
			n++;
	snprintf(request, sizeof(request), "zPCI error events %s", when);
	answer(request, "%d", n);
	free(log);
}

static void requests(void)
{
	uint64_t size;
	int rc;

	try_map("map 1 page read/write at the first usable IOVA", first, PG, RW);
	try_map("map 1 page read-only", first, PG, VFIO_DMA_MAP_FLAG_READ);
	try_map("map 1 page write-only", first, PG, VFIO_DMA_MAP_FLAG_WRITE);
	try_map("map the last page of the usable range", last + 1 - PG, PG, RW);
	try_map("map the page after the usable range", last + 1, PG, RW);
	try_map("map IOVA 0 (below the usable range)", 0, PG, RW);
	try_map("map 2 pages across the end of the range", last + 1 - PG, 2 * PG, RW);
	try_map("map 0 bytes", first, 0, RW);
	try_map("map an unaligned IOVA", first + 512, PG, RW);
	try_map("map a size that wraps around", first, -PG, RW);
	try_map("map 64 MiB", first, 64ULL << 20, RW);

	rc = map(first, 4 * PG, buf, RW);
	answer("map 4 pages", "%s", errname(rc));
	answer("map 1 page over them", "%s", errname(map(first + PG, PG, buf, RW)));
	size = 2 * PG;
	rc = unmap(first, &size);
	answer("unmap the first half of them", "%s, %llu bytes", errname(rc),
	       (unsigned long long)size);
	size = 4 * PG;
	rc = unmap(first, &size);
	answer("unmap all 4", "%s, %llu bytes", errname(rc), (unsigned long long)size);
	size = 4 * PG;
	rc = unmap(first, &size);
	answer("unmap them again", "%s, %llu bytes", errname(rc), (unsigned long long)size);

	map(first, PG, buf, RW);
	map(first + 2 * PG, PG, buf, RW);
	size = 3 * PG;
	rc = unmap(first, &size);
	answer("unmap 3 pages: mapped, hole, mapped", "%s, %llu bytes", errname(rc),
	       (unsigned long long)size);
}

int main(void)
{
	const char *dev = getenv("VFIO_DEVICE");
	int rc, group;

	guest_start();

	printf("### compare begin\n");
	buf = mmap(NULL, 64 << 20, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	rc = dev ? bind_vfio(dev) : -EINVAL;
	if (!rc) {
		container = vfio_container(dev, &group);
		rc = container < 0 ? container : 0;
	}
	if (rc || buf == MAP_FAILED) {
		answer("open the container", "%s", errname(rc ? -rc : ENOMEM));
	} else {
		report_reserved_regions(dev);
		report_info();
		report_zpci_errors("after the container attach");
		requests();
		report_zpci_errors("after all requests");
	}
	printf("### compare end\n");
	fflush(stdout);
	sync();
	reboot(RB_POWER_OFF);
	return 0;
}
