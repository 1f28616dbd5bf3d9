// SPDX-License-Identifier: GPL-2.0
/*
 * PID 1 of the ISM guest (harness/ism/ism.sh, make ism): drive the DMA API
 * of the kernel under test on the one zPCI function whose type is ISM (5)
 * in the QEMU of harness/qemu/, a virtio-rng whose driver maps one IOVA
 * page per 256-byte request and unmaps it when the request completes.
 *
 * Loads the modules of /modules/order (virtio-pci, virtio-rng), enables
 * the function's measurement block (its counters in debugfs), reads
 * /dev/hwrng in a child until the function has made ISM_MAPS mappings or
 * has made none for ISM_STALL seconds, and prints on the console, for
 * harness/ism/report.py:
 *
 *   ism: function BDF pft 0xNN
 *   ism: reads ok | ism: reads stopped
 *   ism: stat NAME: VALUE         (the function's debugfs statistics)
 *   ism: error events N           (zpci "reports an error" lines)
 *   ### ism end
 *
 * A function that is put into the error state stops completing requests:
 * the child blocks in read() and is killed, the run goes on.
 */
#include <dirent.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/reboot.h>
#include <sys/wait.h>
#include <time.h>

#include "guest.h"

#define ISM_PFT		"0x05"

static char fn[256];

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
			snprintf(fn, sizeof(fn), "%s", d->d_name);
	}
	closedir(dir);
	return fn[0] ? 0 : -ENODEV;
}

/* Enable the function's measurement block: its counters, from 0. */
static int enable_statistics(void)
{
	char path[512];
	int rc;

	snprintf(path, sizeof(path), "/sys/kernel/debug/pci/%s/statistics", fn);
	rc = write_file(path, "1");
	if (rc)
		say("enabling %s: %s", path, strerror(-rc));
	return rc;
}

/* A counter of the function's debugfs statistics, or -1. */
static long long stat_of(const char *name)
{
	char path[512], line[256];
	long long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/kernel/debug/pci/%s/statistics", fn);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');
		char *key = line;

		if (!colon)
			continue;
		*colon = 0;
		while (*key == ' ')
			key++;
		if (!strcmp(key, name)) {
			v = strtoll(colon + 1, NULL, 10);
			break;
		}
	}
	fclose(f);
	return v;
}

static void print_stats(void)
{
	char path[512], line[256];
	FILE *f;

	snprintf(path, sizeof(path), "/sys/kernel/debug/pci/%s/statistics", fn);
	f = fopen(path, "r");
	if (!f) {
		say("no statistics: %s", strerror(errno));
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');
		char *key = line;

		if (!colon)
			continue;
		*colon = 0;
		while (*key == ' ')
			key++;
		say("stat %s: %lld", key, strtoll(colon + 1, NULL, 10));
	}
	fclose(f);
}

/* The reader: 4 KiB reads of /dev/hwrng until it is killed or fails. */
static void reader(void)
{
	char buf[4096];
	int fd = open("/dev/hwrng", O_RDONLY);

	if (fd < 0) {
		say("open /dev/hwrng: %s", strerror(errno));
		_exit(1);
	}
	for (;;) {
		if (read(fd, buf, sizeof(buf)) < 0) {
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

	failed = load_modules("/modules", &loaded);
	say("%d modules loaded, %d failed", loaded, failed);
	if (find_ism_function()) {
		say("no function of type ISM");
		goto out;
	}
	/* the hwrng core reads the new device once it registers */
	for (i = 0; i < 100 && access("/dev/hwrng", F_OK); i++)
		usleep(100000);
	if (enable_statistics())
		goto out;
	say("reads %s", read_until(goal, stall) ? "ok" : "stopped");
	print_stats();
out:
	say("error events %d", error_events());
	dprintf(1, "### ism end\n");
	sync();
	reboot(RB_POWER_OFF);
	return 0;
}
