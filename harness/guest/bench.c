// SPDX-License-Identifier: GPL-2.0
/*
 * PID 1 of the benchmark guest (make bench): measure IOTLB refreshes
 * (RPCIT), IOMMU map/unmap calls, the worst interrupts-off section and
 * guest time of DMA mapping on the zPCI function BENCH_DEVICE, print one
 * "BENCH" line per measured phase and power off. The same program runs on
 * every kernel.
 *
 * Counting: the ftrace function profiler, filtered to the RPCIT helper
 * zpci_refresh_trans(), to the IOMMU API entry points and to the DMA API's
 * dma_map_page_attrs()/dma_unmap_page_attrs(), read before and after each
 * phase. Where the kernel has debugfs RPCIT counters
 * (/sys/kernel/debug/pci/<function>/statistics: the series and 6.12,
 * "Sync Map RPCITs", "Sync RPCITs", "Global RPCITs") they are read too, so
 * that the host can check that both agree.
 *
 * Interrupts-off time (vfio mode): the irqsoff tracer, with function
 * tracing off; tracing_max_latency is set to 0 right before each VFIO
 * ioctl (or loop of ioctls) and read right after, so each phase reports
 * its worst section ("irqsoff_us"). The trace of the worst section of
 * each workload and phase is printed at the end (BENCHTRACE lines).
 *
 * DMA API latency (dma mode, after the hwrng reads): the function is
 * handed to the dma_map_benchmark driver (driver_override: it has no ID
 * table) and /bin/dma_map_benchmark, the kernel's own tool built from the
 * same tree, runs BENCH_MB_REPS times for BENCH_MB_SECONDS with the
 * profiler off (phase "lat"), then once more with the profiler on to
 * count RPCITs per dma_map_page_attrs() (phase "count").
 *
 * Environment (unknown kernel parameters "name=value" end up here):
 *   BENCH_MODE    vfio: VFIO type1 MAP_DMA/UNMAP_DMA workloads
 *                 dma:  the DMA API path, reads of /dev/hwrng
 *   BENCH_DEVICE  the zPCI function, e.g. 0001:00:00.0
 *   BENCH_REPS    repetitions of each workload (default 5)
 *   BENCH_1G_REPS repetitions of the 1 GiB workload (default 3)
 *   BENCH_DMA_OPS reads of /dev/hwrng per repetition (default 16384)
 *   BENCH_MB_REPS runs of dma_map_benchmark (default 3)
 *   BENCH_MB_SECONDS seconds of each run (default 2)
 */
#include <dirent.h>
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
#include <sys/wait.h>
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
	"dma_map_page_attrs",		/* DMA API: one per dma_map_single() */
	"dma_unmap_page_attrs",
};
#define NR_FUNCS	ARRAY_SIZE(funcs)

/*
 * The RPCIT counters in debugfs: 6.12's names, which the series (patch
 * "Count IOTLB refreshes per function") uses too.
 */
static const char * const dbg_names[] = {
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
	long long irqsoff_us;		/* worst section since the last
					 * irqsoff_reset(); -1: not measured */
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
			if (!strcmp(name, dbg_names[i]))
				dbg[i] = strtoll(colon + 1, NULL, 10);
	}
	fclose(f);
}

static void snap(struct counts *c)
{
	debugfs_read(c->dbg);
	profiler_read(c->hits);
	c->ns = now_ns();
	c->irqsoff_us = -1;
}

/* The irqsoff tracer: on (vfio mode only), reset, read */
static int irqsoff_on;

static void irqsoff_setup(void)
{
	char cur[32] = "";
	FILE *f;

	/* only the start and end of the worst section, and its stack */
	write_file(TRACING "/options/function-trace", "0");
	write_file(TRACING "/tracing_thresh", "0");
	if (write_file(TRACING "/current_tracer", "irqsoff"))
		printf("BENCHERR current_tracer=irqsoff: %s\n", strerror(errno));
	f = fopen(TRACING "/current_tracer", "r");
	if (f) {
		if (fgets(cur, sizeof(cur), f))
			cur[strcspn(cur, "\n")] = 0;
		fclose(f);
	}
	irqsoff_on = !strcmp(cur, "irqsoff");
	printf("BENCHINFO irqsoff=%s\n", irqsoff_on ? "yes" : "no");
}

static void irqsoff_reset(void)
{
	if (irqsoff_on)
		write_file(TRACING "/tracing_max_latency", "0");
}

static long long irqsoff_read(void)
{
	char val[32];
	ssize_t n;
	int fd;

	if (!irqsoff_on)
		return -1;
	fd = open(TRACING "/tracing_max_latency", O_RDONLY);
	if (fd < 0)
		return -1;
	n = read(fd, val, sizeof(val) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	val[n] = 0;
	return strtoll(val, NULL, 10);
}

/*
 * The worst section per workload and phase, with its trace (the irqsoff
 * tracer's max buffer), printed at the end of the boot.
 */
#define MAX_WORST	16
#define TRACE_BYTES	8192
static struct worst {
	char key[48];
	long long us;
	char trace[TRACE_BYTES];
} worst[MAX_WORST];

static void irqsoff_keep(const char *workload, const char *phase, long long us)
{
	struct worst *w = NULL;
	char key[48];
	unsigned int i;
	ssize_t n;
	int fd;

	if (us < 0)
		return;
	snprintf(key, sizeof(key), "workload=%s phase=%s", workload, phase);
	for (i = 0; i < MAX_WORST; i++) {
		if (!worst[i].key[0] || !strcmp(worst[i].key, key)) {
			w = &worst[i];
			break;
		}
	}
	if (!w || (w->key[0] && w->us >= us))
		return;
	strcpy(w->key, key);
	w->us = us;
	w->trace[0] = 0;
	fd = open(TRACING "/trace", O_RDONLY);
	if (fd < 0)
		return;
	n = read(fd, w->trace, sizeof(w->trace) - 1);
	while (n > 0 && (size_t)n < sizeof(w->trace) - 1) {
		ssize_t m = read(fd, w->trace + n, sizeof(w->trace) - 1 - n);

		if (m <= 0)
			break;
		n += m;
	}
	w->trace[n > 0 ? n : 0] = 0;
	close(fd);
}

static void irqsoff_print(void)
{
	unsigned int i;
	char *line, *save;

	for (i = 0; i < MAX_WORST && worst[i].key[0]; i++) {
		printf("BENCHTRACE %s us=%lld\n", worst[i].key, worst[i].us);
		for (line = strtok_r(worst[i].trace, "\n", &save); line;
		     line = strtok_r(NULL, "\n", &save))
			printf("BENCHTRACE| %s\n", line);
	}
}

/* Print one phase: what happened between snapshots @a and @b. */
static void report(const char *workload, const char *phase, int rep,
		   unsigned long ops, const struct counts *a,
		   const struct counts *b, const char *extra)
{
	unsigned int i;

	printf("BENCH workload=%s phase=%s rep=%d ops=%lu ns=%.0f", workload,
	       phase, rep, ops, b->ns - a->ns);
	if (b->irqsoff_us >= 0)
		printf(" irqsoff_us=%lld", b->irqsoff_us);
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
	int container, group;
	uint32_t argsz;

	container = vfio_container(bdf, &group);
	if (container < 0)
		return container;
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

	long long irq;

	for (rep = 1; rep <= reps; rep++) {
		snap(&a);
		irqsoff_reset();
		rc = dma_map(container, buf, iova, size);
		irq = irqsoff_read();
		irqsoff_keep(workload, "map", irq);
		snap(&b);
		b.irqsoff_us = irq;
		if (rc) {
			printf("BENCHERR workload=%s MAP_DMA: %s\n", workload, strerror(-rc));
			return;
		}
		irqsoff_reset();
		rc = dma_unmap(container, iova, size);
		irq = irqsoff_read();
		irqsoff_keep(workload, "unmap", irq);
		snap(&c);
		c.irqsoff_us = irq;
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
	long long irq;
	int rep;

	if (buf == MAP_FAILED)
		return;
	touch(buf, n * PAGE);
	for (rep = 1; rep <= reps; rep++) {
		snap(&a);
		irqsoff_reset();
		for (i = 0; i < n; i++)
			if (dma_map(container, buf + i * PAGE, iova + i * PAGE, PAGE))
				break;
		irq = irqsoff_read();
		irqsoff_keep("4k", "map", irq);
		snap(&b);
		b.irqsoff_us = irq;
		if (i < n) {
			printf("BENCHERR workload=4k MAP_DMA %lu: %s\n", i, strerror(errno));
			return;
		}
		irqsoff_reset();
		for (i = 0; i < n; i++)
			if (dma_unmap(container, iova + i * PAGE, PAGE))
				break;
		irq = irqsoff_read();
		irqsoff_keep("4k", "unmap", irq);
		snap(&c);
		c.irqsoff_us = irq;
		if (i < n) {
			printf("BENCHERR workload=4k UNMAP_DMA %lu: %s\n", i, strerror(errno));
			return;
		}
		report("4k", "map", rep, n, &a, &b, NULL);
		report("4k", "unmap", rep, n, &b, &c, NULL);
	}
	munmap(buf, n * PAGE);
}

static void bench_vfio(int reps, int reps_1g)
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
	/* as contiguous as the guest can get it: the worst IRQs-off case */
	buf = contiguous_buffer(size, &kind);
	if (!buf) {
		printf("BENCHERR workload=1g: %s\n", strerror(errno));
		return;
	}
	snprintf(extra, sizeof(extra), "buffer=%s pfn_runs=%lu", kind, pfn_runs(buf, size));
	bench_map_unmap(container, "1g", buf, iova, size, reps_1g, extra);
	write_file("/proc/sys/vm/nr_hugepages", "0");
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
#define VIRTIO_RNG	"/sys/bus/virtio/drivers/virtio_rng"

/* Read without blocking until a whole buffer comes; exit 0 if one did */
static void hwrng_drain(void)
{
	int fd = open("/dev/hwrng", O_RDONLY | O_NONBLOCK), i;
	char buf[256];
	ssize_t n;

	for (i = 0; fd >= 0 && i < 2000; i++) {
		n = read(fd, buf, sizeof(buf));
		if (n == sizeof(buf))
			_exit(0);
		if (n <= 0)
			usleep(5000);
	}
	_exit(1);
}

/* The virtio device that virtio_rng drives, e.g. virtio0 */
static int hwrng_device(char *name, size_t len)
{
	DIR *d = opendir(VIRTIO_RNG);
	struct dirent *e;
	int found = 0;

	while (d && (e = readdir(d)))
		if (!strncmp(e->d_name, "virtio", 6) && strlen(e->d_name) < len) {
			strcpy(name, e->d_name);
			found = 1;
		}
	if (d)
		closedir(d);
	return found;
}

/*
 * The virtio-rng of 6.1.192 loses track of its buffer after a partial
 * read, as hwrng_register() makes, and a blocking read then waits for
 * good, holding the hwrng's reading lock (see nested-l2.c). Drain it
 * without blocking, in a child that is killed if it hangs on that lock;
 * if that does not get it in step, rebind virtio_rng, whose new hwrng
 * starts in step, and try again.
 */
static void hwrng_in_step(void)
{
	int status, i, try;
	char name[64];
	pid_t pid;

	for (try = 0; try < 3; try++) {
		if (try && hwrng_device(name, sizeof(name))) {
			printf("BENCHINFO hwrng stuck: rebinding virtio_rng to %s\n", name);
			write_file(VIRTIO_RNG "/unbind", name);
			write_file(VIRTIO_RNG "/bind", name);
			write_file("/sys/class/misc/hw_random/rng_current", "virtio_rng.0");
		}
		fflush(stdout);
		pid = fork();
		if (pid == 0)
			hwrng_drain();
		for (i = 0; pid > 0 && i < 150; i++) {
			if (waitpid(pid, &status, WNOHANG) == pid) {
				if (WIFEXITED(status) && !WEXITSTATUS(status))
					return;
				break;
			}
			usleep(100000);
		}
		if (pid > 0 && i == 150) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
		}
	}
	printf("BENCHERR hwrng does not read\n");
}

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
	write_file("/sys/class/misc/hw_random/rng_quality", "0");
	if (write_file("/sys/class/misc/hw_random/rng_current", "virtio_rng.0"))
		printf("BENCHERR cannot select virtio_rng.0\n");
	print_file("hwrng", "/sys/class/misc/hw_random/rng_current");
	hwrng_in_step();
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

/*
 * One run of the kernel's dma_map_benchmark tool: one thread, one page
 * per map, a 64-bit mask (the zPCI DMA range may start above 4 GiB).
 * Its "average map latency(us):X standard deviation:Y" lines go to @res
 * as map_us/map_sd/unmap_us/unmap_sd.
 */
static int run_mapbench(int seconds, char *res, size_t len)
{
	char secs[16], line[256], *p = res;
	double avg, sd;
	int pfd[2], status, got = 0;
	pid_t pid;
	FILE *f;

	*res = 0;
	snprintf(secs, sizeof(secs), "%d", seconds);
	if (pipe(pfd))
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (!pid) {
		dup2(pfd[1], 1);
		dup2(pfd[1], 2);
		close(pfd[0]);
		execl("/bin/dma_map_benchmark", "dma_map_benchmark", "-t", "1",
		      "-s", secs, "-b", "64", "-g", "1", (char *)NULL);
		_exit(127);
	}
	close(pfd[1]);
	f = fdopen(pfd[0], "r");
	while (f && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		printf("BENCHINFO mapbench=%s\n", line);
		if (sscanf(line, "average map latency(us):%lf standard deviation:%lf",
			   &avg, &sd) == 2) {
			p += snprintf(p, len - (p - res), "%smap_us=%.1f map_sd=%.1f",
				      p == res ? "" : " ", avg, sd);
			got++;
		} else if (sscanf(line, "average unmap latency(us):%lf standard deviation:%lf",
				  &avg, &sd) == 2) {
			p += snprintf(p, len - (p - res), "%sunmap_us=%.1f unmap_sd=%.1f",
				      p == res ? "" : " ", avg, sd);
			got++;
		}
	}
	if (f)
		fclose(f);
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status))
		return -EIO;
	return got == 2 ? 0 : -EIO;
}

static void bench_mapbench(int reps, int seconds)
{
	struct counts a, b;
	unsigned long ops = 0;
	unsigned int i;
	char res[128];
	int rep, rc;

	rc = bind_driver(device, "dma_map_benchmark");
	if (rc) {
		printf("BENCHERR bind %s to dma_map_benchmark: %s\n", device, strerror(-rc));
		return;
	}
	if (access("/sys/kernel/debug/dma_map_benchmark", F_OK)) {
		printf("BENCHERR no /sys/kernel/debug/dma_map_benchmark\n");
		return;
	}
	/* Latency without the profiler: it would add a hit per profiled call. */
	write_file(TRACING "/function_profile_enabled", "0");
	for (rep = 1; rep <= reps; rep++) {
		snap(&a);
		rc = run_mapbench(seconds, res, sizeof(res));
		snap(&b);
		if (rc) {
			printf("BENCHERR workload=mapbench rep %d: %s\n", rep, strerror(-rc));
			return;
		}
		report("mapbench", "lat", rep, 0, &a, &b, res);
	}
	/* Once more with the profiler, to count RPCITs per map. */
	if (write_file(TRACING "/function_profile_enabled", "1"))
		printf("BENCHERR cannot enable the function profiler\n");
	snap(&a);
	rc = run_mapbench(seconds, res, sizeof(res));
	snap(&b);
	if (rc) {
		printf("BENCHERR workload=mapbench count: %s\n", strerror(-rc));
		return;
	}
	for (i = 0; i < NR_FUNCS; i++)
		if (!strcmp(funcs[i], "dma_map_page_attrs"))
			ops = b.hits[i] - a.hits[i];
	report("mapbench", "count", 1, ops, &a, &b, res);
}

int main(void)
{
	const char *mode = getenv("BENCH_MODE");
	const char *s;
	int reps = (s = getenv("BENCH_REPS")) ? atoi(s) : 2;
	unsigned long ops = (s = getenv("BENCH_DMA_OPS")) ? strtoul(s, NULL, 0) : 16384;
	int reps_1g = (s = getenv("BENCH_1G_REPS")) ? atoi(s) : 3;
	int mb_reps = (s = getenv("BENCH_MB_REPS")) ? atoi(s) : 3;
	int mb_seconds = (s = getenv("BENCH_MB_SECONDS")) ? atoi(s) : 2;
	int dma = mode && !strcmp(mode, "dma");
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
	if (!dma)
		irqsoff_setup();
	usleep(200000);
	snap(&all0);
	if (dma)
		bench_dma(reps, ops);
	else
		bench_vfio(reps, reps_1g);
	usleep(200000);
	snap(&all1);
	report("total", "all", 0, 0, &all0, &all1, NULL);
	/* after "total": the function leaves virtio-pci, and its debugfs */
	if (dma)
		bench_mapbench(mb_reps, mb_seconds);
	irqsoff_print();

	printf("### bench end\n");
	fflush(stdout);
	sync();
	reboot(RB_POWER_OFF);
	return 0;
}
