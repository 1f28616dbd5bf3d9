// SPDX-License-Identifier: GPL-2.0
/*
 * PID 1 of the benchmark guest (make bench): measure IOTLB refreshes
 * (RPCIT), IOMMU map/unmap calls and guest time of DMA mapping on the zPCI
 * function BENCH_DEVICE, print one "BENCH" line per measured phase and
 * power off. The same program runs on every kernel.
 *
 * Counting: the ftrace function profiler, filtered to the RPCIT helper
 * zpci_refresh_trans() and to the IOMMU API entry points, read before and
 * after each phase. Where the kernel has the series' debugfs counters
 * (/sys/kernel/debug/pci/<function>/statistics) they are read too, so
 * that the host can check that both agree.
 *
 * Environment (unknown kernel parameters "name=value" end up here):
 *   BENCH_MODE    vfio: VFIO type1 MAP_DMA/UNMAP_DMA workloads
 *                 dma:  the DMA API path, reads of /dev/hwrng
 *   BENCH_DEVICE  the zPCI function, e.g. 0001:00:00.0
 *   BENCH_REPS    repetitions of each workload (default 5)
 *   BENCH_DMA_OPS reads of /dev/hwrng per repetition (default 16384)
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>
#include <linux/vfio.h>

#include "guest.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define TRACING		"/sys/kernel/tracing"
#define PAGE		4096UL
#define MIB		(1024UL * 1024)

/* Profiled functions; not every kernel has (or can trace) every one. */
static const char * const funcs[] = {
	"zpci_refresh_trans",		/* the RPCIT helper, all kernels */
	"iommu_map",			/* one call per chunk VFIO maps */
	"iommu_unmap",
	"iommu_unmap_fast",
	"zpci_refresh_global",		/* 6.1 DMA API, if not inlined */
	"s390_iommu_flush_iotlb_all",	/* 6.12 flush queue */
	"__dma_alloc_iommu",		/* 6.1 DMA API IOVA allocator */
};
#define NR_FUNCS	ARRAY_SIZE(funcs)

/*
 * The RPCIT counters in debugfs: those of the series (patch "Count IOTLB
 * refreshes per function") and their 6.12 counterparts, same order.
 */
static const char * const dbg_names[] = {
	"Map RPCITs", "Unmap RPCITs", "Global RPCITs",
};
static const char * const dbg_names_612[] = {
	"Sync Map RPCITs", "Sync RPCITs", "Global RPCITs",
};
static const char * const dbg_keys[] = {
	"dbg_map", "dbg_unmap", "dbg_global",
};
#define NR_DBG		ARRAY_SIZE(dbg_names)

struct counts {
	unsigned long long hits[NR_FUNCS];
	long long dbg[NR_DBG];		/* -1: not available */
	double ns;
};

static const char *device;
static char stats_path[256];

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/*
 * Filter the function tracer to the functions above and turn the profiler
 * on. A function the kernel does not have is left out and reported.
 */
static void profiler_setup(void)
{
	char line[128];
	unsigned int i;
	FILE *f;
	int fd;

	fd = open(TRACING "/set_ftrace_filter", O_WRONLY | O_TRUNC);
	if (fd < 0) {
		printf("# bench: no set_ftrace_filter: %s\n", strerror(errno));
		return;
	}
	for (i = 0; i < NR_FUNCS; i++) {
		snprintf(line, sizeof(line), "%s\n", funcs[i]);
		if (write(fd, line, strlen(line)) < 0)
			printf("BENCHINFO untraceable=%s\n", funcs[i]);
	}
	close(fd);
	f = fopen(TRACING "/set_ftrace_filter", "r");
	while (f && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		printf("BENCHINFO traced=%s\n", line);
	}
	if (f)
		fclose(f);
	if (write_file(TRACING "/function_profile_enabled", "1"))
		printf("# bench: cannot enable the function profiler\n");
}

/* Sum the profiler's hit counts over all CPUs. */
static void profiler_read(unsigned long long *hits)
{
	char path[64], line[256], name[128];
	unsigned long long hit;
	unsigned int i;
	int cpu;
	FILE *f;

	memset(hits, 0, sizeof(*hits) * NR_FUNCS);
	for (cpu = 0; ; cpu++) {
		snprintf(path, sizeof(path), TRACING "/trace_stat/function%d", cpu);
		f = fopen(path, "r");
		if (!f)
			break;
		while (fgets(line, sizeof(line), f)) {
			if (sscanf(line, " %127s %llu", name, &hit) != 2)
				continue;
			for (i = 0; i < NR_FUNCS; i++)
				if (!strcmp(name, funcs[i]))
					hits[i] += hit;
		}
		fclose(f);
	}
}

static void debugfs_read(long long *dbg)
{
	char line[256];
	unsigned int i;
	FILE *f;

	for (i = 0; i < NR_DBG; i++)
		dbg[i] = -1;
	f = fopen(stats_path, "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':'), *name = line;

		if (!colon)
			continue;
		*colon = 0;
		while (*name == ' ')
			name++;
		for (i = 0; i < NR_DBG; i++)
			if (!strcmp(name, dbg_names[i]) || !strcmp(name, dbg_names_612[i]))
				dbg[i] = strtoll(colon + 1, NULL, 10);
	}
	fclose(f);
}

static void snap(struct counts *c)
{
	debugfs_read(c->dbg);
	profiler_read(c->hits);
	c->ns = now_ns();
}

/* Print one phase: what happened between snapshots @a and @b. */
static void report(const char *workload, const char *phase, int rep,
		   unsigned long ops, const struct counts *a,
		   const struct counts *b, const char *extra)
{
	unsigned int i;

	printf("BENCH workload=%s phase=%s rep=%d ops=%lu ns=%.0f", workload,
	       phase, rep, ops, b->ns - a->ns);
	for (i = 0; i < NR_FUNCS; i++)
		printf(" %s=%llu", funcs[i], b->hits[i] - a->hits[i]);
	for (i = 0; i < NR_DBG; i++) {
		if (a->dbg[i] < 0 || b->dbg[i] < 0)
			continue;
		printf(" %s=%lld", dbg_keys[i], b->dbg[i] - a->dbg[i]);
	}
	printf("%s%s\n", extra ? " " : "", extra ? extra : "");
}

/* A VFIO type1 container with the group of @bdf; the first usable IOVA. */
static int vfio_open(const char *bdf, uint64_t *iova, uint64_t *iova_end)
{
	struct vfio_iommu_type1_info *info;
	struct vfio_info_cap_header *hdr;
	char path[256], link[256];
	int container, group;
	uint32_t argsz;
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu_group", bdf);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return -errno;
	link[n] = 0;
	snprintf(path, sizeof(path), "/dev/vfio/%s", strrchr(link, '/') + 1);
	container = open("/dev/vfio/vfio", O_RDWR);
	group = open(path, O_RDWR);
	if (container < 0 || group < 0)
		return -errno;
	if (ioctl(group, VFIO_GROUP_SET_CONTAINER, &container) ||
	    ioctl(container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU))
		return -errno;
	/*
	 * Open the device, as a VFIO user does: vfio-pci enables the
	 * function only then, and its debugfs directory exists only while
	 * it is enabled.
	 */
	if (ioctl(group, VFIO_GROUP_GET_DEVICE_FD, bdf) < 0)
		printf("BENCHERR VFIO_GROUP_GET_DEVICE_FD: %s\n", strerror(errno));

	argsz = sizeof(*info);
	info = calloc(1, argsz);
	info->argsz = argsz;
	if (ioctl(container, VFIO_IOMMU_GET_INFO, info))
		return -errno;
	if (info->argsz > argsz) {
		argsz = info->argsz;
		info = realloc(info, argsz);
		memset(info, 0, argsz);
		info->argsz = argsz;
		if (ioctl(container, VFIO_IOMMU_GET_INFO, info))
			return -errno;
	}
	*iova = 0;
	*iova_end = 0;
	if (info->flags & VFIO_IOMMU_INFO_CAPS && info->cap_offset) {
		hdr = (void *)((char *)info + info->cap_offset);
		for (;;) {
			if (hdr->id == VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE) {
				struct vfio_iommu_type1_info_cap_iova_range *r = (void *)hdr;

				if (r->nr_iovas) {
					*iova = r->iova_ranges[0].start;
					*iova_end = r->iova_ranges[0].end;
				}
				break;
			}
			if (!hdr->next)
				break;
			hdr = (void *)((char *)info + hdr->next);
		}
	}
	free(info);
	return container;
}

static int dma_map(int container, void *buf, uint64_t iova, uint64_t size)
{
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map),
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.vaddr = (uintptr_t)buf,
		.iova = iova,
		.size = size,
	};

	return ioctl(container, VFIO_IOMMU_MAP_DMA, &map) ? -errno : 0;
}

static int dma_unmap(int container, uint64_t iova, uint64_t size)
{
	struct vfio_iommu_type1_dma_unmap unmap = {
		.argsz = sizeof(unmap),
		.iova = iova,
		.size = size,
	};

	if (ioctl(container, VFIO_IOMMU_UNMAP_DMA, &unmap))
		return -errno;
	return unmap.size == size ? 0 : -EIO;
}

static void touch(char *buf, size_t size)
{
	size_t off;

	for (off = 0; off < size; off += PAGE)
		buf[off] = 1;
}

/*
 * A buffer whose pages are physically apart: its pages and those of a
 * second buffer are first touched in turn, so that the frames alternate,
 * then the second buffer is freed.
 */
static char *fragmented_buffer(size_t size)
{
	char *a = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *b = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	size_t off;

	if (a == MAP_FAILED || b == MAP_FAILED)
		return NULL;
	madvise(a, size, MADV_NOHUGEPAGE);
	madvise(b, size, MADV_NOHUGEPAGE);
	for (off = 0; off < size; off += PAGE) {
		a[off] = 1;
		b[off] = 1;
	}
	munmap(b, size);
	return a;
}

/* Runs of physically consecutive pages in @buf, from /proc/self/pagemap */
static unsigned long pfn_runs(const char *buf, size_t size)
{
	uint64_t ent, prev = 0;
	unsigned long runs = 0;
	size_t off;
	int fd = open("/proc/self/pagemap", O_RDONLY);

	if (fd < 0)
		return 0;
	for (off = 0; off < size; off += PAGE) {
		if (pread(fd, &ent, sizeof(ent),
			  (uintptr_t)(buf + off) / PAGE * sizeof(ent)) != sizeof(ent)) {
			runs = 0;
			break;
		}
		ent &= (1ULL << 55) - 1;	/* the PFN */
		if (!off || ent != prev + 1)
			runs++;
		prev = ent;
	}
	close(fd);
	return runs;
}

static char *touched_buffer(size_t size, int backwards)
{
	char *p = mmap(NULL, size + MIB, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	size_t off;

	if (p == MAP_FAILED)
		return NULL;
	p = (char *)(((uintptr_t)p + MIB - 1) & ~(MIB - 1));
	madvise(p, size, MADV_HUGEPAGE);
	for (off = 0; off < size; off += PAGE)
		p[backwards ? size - PAGE - off : off] = 1;
	return p;
}

/*
 * A buffer that is as contiguous as the kernel lets us have it: hugetlbfs
 * pages (1 MiB on s390, needs EDAT1), else THP, else plain pages touched
 * forwards or backwards, whichever the page allocator hands out in more
 * physically consecutive runs. @kind says which.
 */
static char *contiguous_buffer(size_t size, const char **kind)
{
	char val[32], *p, *q;

	snprintf(val, sizeof(val), "%lu", size / MIB + 8);
	if (!write_file("/proc/sys/vm/nr_hugepages", val)) {
		p = mmap(NULL, size, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
		if (p != MAP_FAILED) {
			*kind = "hugetlb";
			touch(p, size);
			return p;
		}
	}
	/* s390 has THP only with EDAT1, which QEMU TCG may not offer */
	if (!access("/sys/kernel/mm/transparent_hugepage/enabled", F_OK)) {
		*kind = "thp";
		return touched_buffer(size, 0);
	}
	p = touched_buffer(size, 0);
	q = touched_buffer(size, 1);
	if (!p || !q)
		return NULL;
	if (pfn_runs(q, size) < pfn_runs(p, size)) {
		*kind = "plain-backwards";
		return q;
	}
	*kind = "plain-forwards";
	return p;
}

/* MAP_DMA then UNMAP_DMA of @buf, each measured, @reps times. */
static void bench_map_unmap(int container, const char *workload, char *buf,
			    uint64_t iova, uint64_t size, int reps,
			    const char *extra)
{
	struct counts a, b, c;
	int rep, rc;

	for (rep = 1; rep <= reps; rep++) {
		snap(&a);
		rc = dma_map(container, buf, iova, size);
		snap(&b);
		if (rc) {
			printf("BENCHERR workload=%s MAP_DMA: %s\n", workload, strerror(-rc));
			return;
		}
		rc = dma_unmap(container, iova, size);
		snap(&c);
		if (rc) {
			printf("BENCHERR workload=%s UNMAP_DMA: %s\n", workload, strerror(-rc));
			return;
		}
		report(workload, "map", rep, 1, &a, &b, extra);
		report(workload, "unmap", rep, 1, &b, &c, extra);
	}
}

/* @n MAP_DMA of one 4 KiB page each, then @n UNMAP_DMA, @reps times. */
static void bench_small(int container, uint64_t iova, unsigned long n, int reps)
{
	char *buf = mmap(NULL, n * PAGE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct counts a, b, c;
	unsigned long i;
	int rep;

	if (buf == MAP_FAILED)
		return;
	touch(buf, n * PAGE);
	for (rep = 1; rep <= reps; rep++) {
		snap(&a);
		for (i = 0; i < n; i++)
			if (dma_map(container, buf + i * PAGE, iova + i * PAGE, PAGE))
				break;
		snap(&b);
		if (i < n) {
			printf("BENCHERR workload=4k MAP_DMA %lu: %s\n", i, strerror(errno));
			return;
		}
		for (i = 0; i < n; i++)
			if (dma_unmap(container, iova + i * PAGE, PAGE))
				break;
		snap(&c);
		if (i < n) {
			printf("BENCHERR workload=4k UNMAP_DMA %lu: %s\n", i, strerror(errno));
			return;
		}
		report("4k", "map", rep, n, &a, &b, NULL);
		report("4k", "unmap", rep, n, &b, &c, NULL);
	}
	munmap(buf, n * PAGE);
}

static void bench_vfio(int reps)
{
	uint64_t iova = 0, iova_end = 0, size = 64 * MIB;
	const char *kind = "none";
	char extra[64], *buf;
	int container, rc;

	rc = bind_vfio(device);
	if (rc) {
		printf("BENCHERR bind %s to vfio-pci: %s\n", device, strerror(-rc));
		return;
	}
	container = vfio_open(device, &iova, &iova_end);
	if (container < 0) {
		printf("BENCHERR VFIO container: %s\n", strerror(-container));
		return;
	}
	printf("BENCHINFO iova=0x%llx-0x%llx\n", (unsigned long long)iova,
	       (unsigned long long)iova_end);

	buf = fragmented_buffer(size);
	if (buf) {
		snprintf(extra, sizeof(extra), "pfn_runs=%lu", pfn_runs(buf, size));
		bench_map_unmap(container, "frag64", buf, iova, size, reps, extra);
		munmap(buf, size);
	}
	buf = contiguous_buffer(size, &kind);
	snprintf(extra, sizeof(extra), "buffer=%s pfn_runs=%lu", kind,
		 buf ? pfn_runs(buf, size) : 0);
	if (buf)
		bench_map_unmap(container, "contig64", buf, iova, size, reps, extra);
	write_file("/proc/sys/vm/nr_hugepages", "0");

	bench_small(container, iova, 4096, reps);

	size = 1024 * MIB;
	if (iova_end - iova + 1 < size) {
		printf("BENCHERR workload=1g: IOVA range too small\n");
		return;
	}
	buf = touched_buffer(size, !strcmp(kind, "plain-backwards"));
	if (!buf) {
		printf("BENCHERR workload=1g: %s\n", strerror(errno));
		return;
	}
	snprintf(extra, sizeof(extra), "pfn_runs=%lu", pfn_runs(buf, size));
	bench_map_unmap(container, "1g", buf, iova, size, 1, extra);
}

static void print_file(const char *tag, const char *path)
{
	char line[512];
	FILE *f = fopen(path, "r");

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		printf("BENCHINFO %s=%s\n", tag, line);
	}
	fclose(f);
}

/*
 * The DMA API path: every read of up to SMP_CACHE_BYTES from virtio-rng
 * maps and unmaps its buffer through the zPCI IOMMU (the device offers
 * VIRTIO_F_ACCESS_PLATFORM). Enough reads wrap the IOVA allocator.
 */
static void bench_dma(int reps, unsigned long ops)
{
	struct counts a, b;
	unsigned long i;
	char buf[256];
	int fd, rep;

	/*
	 * Use the virtio-rng of the zPCI function (QEMU's CPU may offer a
	 * TRNG too) and keep the hwrng kthread from reading in the background.
	 */
	if (write_file("/sys/class/misc/hw_random/rng_current", "virtio_rng.0"))
		printf("BENCHERR cannot select virtio_rng.0\n");
	write_file("/sys/class/misc/hw_random/rng_quality", "0");
	print_file("hwrng", "/sys/class/misc/hw_random/rng_current");
	fd = open("/dev/hwrng", O_RDONLY);
	if (fd < 0) {
		printf("BENCHERR /dev/hwrng: %s\n", strerror(errno));
		return;
	}
	for (i = 0; i < 64; i++)
		if (read(fd, buf, sizeof(buf)) <= 0)
			break;
	for (rep = 1; rep <= reps; rep++) {
		snap(&a);
		for (i = 0; i < ops; i++)
			if (read(fd, buf, sizeof(buf)) <= 0)
				break;
		snap(&b);
		if (i < ops) {
			printf("BENCHERR workload=dma read %lu: %s\n", i, strerror(errno));
			break;
		}
		report("dma", "read", rep, ops, &a, &b, NULL);
	}
	close(fd);
}

int main(void)
{
	const char *mode = getenv("BENCH_MODE");
	const char *s;
	int reps = (s = getenv("BENCH_REPS")) ? atoi(s) : 5;
	unsigned long ops = (s = getenv("BENCH_DMA_OPS")) ? strtoul(s, NULL, 0) : 16384;
	struct counts all0, all1;
	long long dbg[NR_DBG];
	struct utsname u;

	mount_or_warn("proc", "/proc", "proc");
	mount_or_warn("sysfs", "/sys", "sysfs");
	mount_or_warn("devtmpfs", "/dev", "devtmpfs");
	mount_or_warn("debugfs", "/sys/kernel/debug", "debugfs");
	mount_or_warn("tracefs", TRACING, "tracefs");
	setvbuf(stdout, NULL, _IOLBF, 0);
	write_file("/proc/sys/kernel/printk", "1");

	device = getenv("BENCH_DEVICE");
	if (!device)
		device = "0001:00:00.0";
	snprintf(stats_path, sizeof(stats_path), "/sys/kernel/debug/pci/%s/statistics", device);

	printf("### bench begin\n");
	uname(&u);
	printf("BENCHINFO kernel=%s\n", u.release);
	print_file("cmdline", "/proc/cmdline");
	print_file("hwrng", "/sys/class/misc/hw_random/rng_current");
	print_file("thp", "/sys/kernel/mm/transparent_hugepage/enabled");
	print_file("hugepages", "/proc/sys/vm/nr_hugepages");
	print_file("cpu", "/proc/cpuinfo");
	debugfs_read(dbg);
	printf("BENCHINFO debugfs_rpcit_counters=%s\n", dbg[0] < 0 ? "no" : "yes");
	profiler_setup();

	/*
	 * The whole run once more, between quiet moments, for comparing
	 * the debugfs counters with the profiler: a phase's two snapshots
	 * are not taken at the same instant.
	 */
	usleep(200000);
	snap(&all0);
	if (mode && !strcmp(mode, "dma"))
		bench_dma(reps, ops);
	else
		bench_vfio(reps);
	usleep(200000);
	snap(&all1);
	report("total", "all", 0, 0, &all0, &all1, NULL);

	printf("### bench end\n");
	fflush(stdout);
	sync();
	reboot(RB_POWER_OFF);
	return 0;
}
