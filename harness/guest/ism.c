// SPDX-License-Identifier: GPL-2.0
/*
 * PID 1 of the ISM guest (harness/ism/run.sh, make ism): drive the DMA API
 * of the kernel under test on the one zPCI function whose type is ISM (5)
 * in the QEMU of harness/qemu/, a virtio-rng whose driver maps one IOVA
 * page per 256-byte request and unmaps it when the request completes.
 *
 * With ISM_VFIO_IOVA set, hands the function to vfio-pci and maps and
 * unmaps VFIO_PAGES pages there one ioctl each (the IOMMU API path), then
 * hands it back; loads the modules of /modules/order (virtio-pci,
 * virtio-rng), which bind to it (the DMA API path; enabling the function
 * makes its debugfs statistics and resets their counters), and reads
 * /dev/hwrng in a child until the function has made ISM_MAPS mappings or
 * has made none for ISM_STALL seconds, and prints on the console, for
 * harness/ism/report.py:
 *
 *   ism: function BDF pft 0xNN
 *   ism: vfio maps N unmaps N at IOVA
 *   ism: reads ok | ism: reads stopped
 *   ism: stat NAME: VALUE         (the function's debugfs statistics)
 *   ism: error events N           (zpci "reports an error" lines)
 *   ### ism end
 *
 * A function that is put into the error state stops completing requests:
 * the child blocks in read() and is killed, the run goes on.
 */
#include <dirent.h>
#include <linux/vfio.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/reboot.h>
#include <sys/wait.h>
#include <time.h>

#include "guest.h"

#define ISM_PFT		"0x05"
#define VFIO_PAGES	64

static char fn[64];

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	dprintf(1, "ism: %s\n", buf);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static long env_long(const char *name, long def)
{
	const char *v = getenv(name);

	return v && *v ? strtol(v, NULL, 0) : def;
}

/* The first PCI function whose type is ISM, into fn; 0 or -ENODEV. */
static int find_ism_function(void)
{
	char path[512], pft[16];
	struct dirent *d;
	DIR *dir = opendir("/sys/bus/pci/devices");
	int fd, n;

	if (!dir)
		return -errno;
	while ((d = readdir(dir))) {
		if (d->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/pft", d->d_name);
		fd = open(path, O_RDONLY);
		if (fd < 0)
			continue;
		n = read(fd, pft, sizeof(pft) - 1);
		close(fd);
		pft[n > 0 ? n : 0] = 0;
		pft[strcspn(pft, "\n")] = 0;
		say("function %s pft %s", d->d_name, pft);
		if (!strcmp(pft, ISM_PFT) && !fn[0])
			snprintf(fn, sizeof(fn), "%.63s", d->d_name);
	}
	closedir(dir);
	return fn[0] ? 0 : -ENODEV;
}

/* The function's debugfs statistics, open for reading, or NULL. */
static FILE *open_stats(void)
{
	char path[512];

	snprintf(path, sizeof(path), "/sys/kernel/debug/pci/%s/statistics", fn);
	return fopen(path, "r");
}

/* The next "name: value" line of @f into *@key and *@val; 0 at its end. */
static int next_stat(FILE *f, char *line, int len, char **key, long long *val)
{
	char *colon;

	while (fgets(line, len, f)) {
		colon = strchr(line, ':');
		if (!colon)
			continue;
		*colon = 0;
		for (*key = line; **key == ' '; (*key)++)
			;
		*val = strtoll(colon + 1, NULL, 10);
		return 1;
	}
	return 0;
}

/* A counter of the function's debugfs statistics, or -1. */
static long long stat_of(const char *name)
{
	char line[256], *key;
	long long v, found = -1;
	FILE *f = open_stats();

	if (!f)
		return -1;
	while (found < 0 && next_stat(f, line, sizeof(line), &key, &v))
		if (!strcmp(key, name))
			found = v;
	fclose(f);
	return found;
}

static void print_stats(void)
{
	char line[256], *key;
	long long v;
	FILE *f = open_stats();

	if (!f) {
		say("no statistics: %s", strerror(errno));
		return;
	}
	while (next_stat(f, line, sizeof(line), &key, &v))
		say("stat %s: %lld", key, v);
	fclose(f);
}

/*
 * The IOMMU API path, as a VFIO user drives it: VFIO_PAGES maps of one
 * page at @iova on, one ioctl each, then as many unmaps; the function is
 * handed back to the driver that matches it, if one is loaded.
 */
static void vfio_phase(unsigned long long iova)
{
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map), .size = 4096,
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
	};
	struct vfio_iommu_type1_dma_unmap unmap = { .argsz = sizeof(unmap) };
	int group, container, i, maps = 0, unmaps = 0, rc;
	char path[512], *buf;

	rc = bind_vfio(fn);
	if (rc) {
		say("vfio: binding %s: %s", fn, strerror(-rc));
		return;
	}
	container = vfio_container(fn, &group);
	buf = mmap(NULL, VFIO_PAGES * 4096, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (container < 0 || buf == MAP_FAILED) {
		say("vfio: container: %s", strerror(container < 0 ? -container : errno));
	} else {
		for (i = 0; i < VFIO_PAGES; i++) {
			map.vaddr = (uintptr_t)buf + i * 4096;
			map.iova = iova + i * 4096;
			maps += !ioctl(container, VFIO_IOMMU_MAP_DMA, &map);
		}
		for (i = 0; i < VFIO_PAGES; i++) {
			unmap.iova = iova + i * 4096;
			unmap.size = 4096;
			unmaps += !ioctl(container, VFIO_IOMMU_UNMAP_DMA, &unmap) &&
				  unmap.size == 4096;
		}
	}
	if (buf != MAP_FAILED)
		munmap(buf, VFIO_PAGES * 4096);
	if (group >= 0)
		close(group);
	if (container >= 0)
		close(container);
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver_override", fn);
	write_file(path, "\n");
	write_file("/sys/bus/pci/drivers/vfio-pci/unbind", fn);
	write_file("/sys/bus/pci/drivers_probe", fn);	/* a built-in driver */
	say("vfio maps %d unmaps %d at %#llx", maps, unmaps, iova);
}

/*
 * The reader: 4 KiB reads of /dev/hwrng until it is killed or fails.
 *
 * Non-blocking, retried: 6.1.192's virtio-rng (copy_data()) compares the
 * index into its buffer with the bytes left instead of the bytes it got,
 * so once a read took less than a whole buffer (the core's first read of
 * 32 bytes at registration) a blocking read can wait for a completion
 * that was already taken, with no request queued, and never return. A
 * non-blocking read never waits: it queues the next request when it finds
 * the buffer drained, and the buffers line up again.
 */
static void reader(void)
{
	char buf[4096];
	int fd = open("/dev/hwrng", O_RDONLY | O_NONBLOCK);

	if (fd < 0) {
		say("open /dev/hwrng: %s", strerror(errno));
		_exit(1);
	}
	for (;;) {
		if (read(fd, buf, sizeof(buf)) < 0 && errno != EAGAIN) {
			say("read /dev/hwrng: %s", strerror(errno));
			_exit(1);
		}
	}
}

/*
 * Read until the function has mapped @goal pages; false when it stopped
 * mapping for @stall seconds first (or the reader failed).
 */
static int read_until(long long goal, double stall)
{
	long long maps = stat_of("Mapped pages"), last = maps;
	double t = now(), since = t;
	int status, ok = 0;
	pid_t pid = fork();

	if (pid == 0)
		reader();
	for (;;) {
		usleep(200000);
		if (waitpid(pid, &status, WNOHANG) == pid) {
			say("the reader exited");
			return 0;
		}
		maps = stat_of("Mapped pages");
		if (maps >= goal) {
			ok = 1;
			break;
		}
		if (maps != last) {
			last = maps;
			since = now();
		} else if (now() - since > stall) {
			break;
		}
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	say("%lld maps in %.1f s", maps, now() - t);
	return ok;
}

/*
 * Make the function's virtio-rng the one /dev/hwrng reads: the hwrng core
 * reads the best rng it has, which need not be this one (6.12 builds in
 * the s390 TRNG, and when the function goes to vfio-pci and comes back its
 * rng registers anew behind the one that took over). Prints the rngs.
 */
static void read_this_rng(void)
{
	const char *dir = "/sys/class/misc/hw_random";
	char path[256], avail[256], cur[64], *tok, *save;
	int fd, n;

	snprintf(path, sizeof(path), "%s/rng_available", dir);
	fd = open(path, O_RDONLY);
	n = fd < 0 ? 0 : read(fd, avail, sizeof(avail) - 1);
	if (fd >= 0)
		close(fd);
	avail[n > 0 ? n : 0] = 0;
	avail[strcspn(avail, "\n")] = 0;
	say("rngs: %s", avail);
	for (tok = strtok_r(avail, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
		if (strncmp(tok, "virtio_rng", 10))
			continue;
		snprintf(cur, sizeof(cur), "%.63s", tok);
		snprintf(path, sizeof(path), "%s/rng_current", dir);
		if (write_file(path, cur))
			say("cannot make %s the current rng", cur);
		else
			say("reading %s", cur);
		return;
	}
}

/* How many zpci error events the kernel log reports. */
static int error_events(void)
{
	char rec[2048];
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK), n = 0;
	ssize_t len;

	if (fd < 0)
		return -1;
	while ((len = read(fd, rec, sizeof(rec) - 1)) >= 0 || errno == EPIPE) {
		if (len < 0)
			continue;
		rec[len] = 0;
		if (strstr(rec, "zpci: ") && strstr(rec, " reports an error for PCI function"))
			n++;
	}
	close(fd);
	return n;
}

int main(void)
{
	long long goal = env_long("ISM_MAPS", 81920);
	double stall = env_long("ISM_STALL", 20);
	int loaded, failed, i;

	mount_or_warn("proc", "/proc", "proc");
	mount_or_warn("sysfs", "/sys", "sysfs");
	mount_or_warn("devtmpfs", "/dev", "devtmpfs");
	mount_or_warn("debugfs", "/sys/kernel/debug", "debugfs");

	if (find_ism_function()) {
		say("no function of type ISM");
		goto out;
	}
	if (getenv("ISM_VFIO_IOVA"))
		vfio_phase(strtoull(getenv("ISM_VFIO_IOVA"), NULL, 0));
	failed = load_modules("/modules", &loaded);
	say("%d modules loaded, %d failed", loaded, failed);
	for (i = 0; i < 100 && (access("/dev/hwrng", F_OK) || stat_of("Mapped pages") < 0); i++)
		usleep(100000);
	read_this_rng();
	say("reads %s", read_until(goal, stall) ? "ok" : "stopped");
	print_stats();
out:
	say("error events %d", error_events());
	dprintf(1, "### ism end\n");
	sync();
	reboot(RB_POWER_OFF);
	return 0;
}
