// SPDX-License-Identifier: GPL-2.0
/*
 * PID 1 of the nested test's L2 guest, which QEMU runs inside L1 with the
 * zPCI function of L0 passed through (make test, harness/nested/run.sh): drive
 * the function's virtio-rng through L2's DMA API, so that every DMA
 * mapping of L2 becomes an RPCIT that L1's QEMU shadows into L1's IOMMU.
 *
 * It talks to L1's init (nested-l1.c) over the console. Every line meant
 * for it starts with "L2: ":
 *   L2: ok NAME [# detail]      a check passed (not ok: failed)
 *   L2: ready PHASE             L2 is idle; L1 samples its RPCIT counters
 *                               and answers "go" on L2's console input
 *   L2: stat NAME=VALUE         L2's own counters, for the record
 * Reads run in a child that PID 1 kills when it hangs (a read from a
 * broken device sleeps until a fatal signal, which PID 1 never gets),
 * after printing where it hangs.
 *
 * Environment (kernel parameters "name=value"):
 *   L2_DEVICE  the function as L2 sees it (default 0009:00:00.0)
 *   L2_KIB     KiB per read pass; two passes (default 64)
 */
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/klog.h>
#include <sys/reboot.h>
#include <sys/wait.h>
#include <unistd.h>

#include "guest.h"

/* One read of /dev/hwrng: one virtio-rng request, one DMA map and unmap */
#define READ_SIZE	256
#define READ_TIMEOUT	300
#define DRAIN_TIMEOUT	15
#define REBINDS		3
#define VIRTIO_RNG	"/sys/bus/virtio/drivers/virtio_rng"
#define GO_TIMEOUT	60

static const char *dev;

static void result(int ok, const char *name, const char *detail)
{
	printf("L2: %sok %s%s%s\n", ok ? "" : "not ", name,
	       detail && *detail ? " # " : "", detail ? detail : "");
}

static int read_line(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "r");
	int ok;

	if (!f)
		return -errno;
	ok = fgets(buf, size, f) != NULL;
	fclose(f);
	if (!ok)
		return -EIO;
	buf[strcspn(buf, "\n")] = 0;
	return 0;
}

/*
 * Tell L1 that L2 is idle and wait for its "go": the RPCITs between two
 * "ready" lines are those of the phase between them. Without an answer
 * L2 goes on, and L1 fails the phase.
 */
static void ready(const char *phase)
{
	struct pollfd p = { .fd = 0, .events = POLLIN };
	char buf[64];

	printf("L2: ready %s\n", phase);
	if (poll(&p, 1, GO_TIMEOUT * 1000) <= 0 || read(0, buf, sizeof(buf)) <= 0)
		printf("L2: no go from L1 within %d s\n", GO_TIMEOUT);
}

/* The function is there, is virtio-rng modern, and virtio-pci has it */
static void check_device(void)
{
	char path[256], buf[16], link[256];
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/device", dev);
	if (read_line(path, buf, sizeof(buf))) {
		result(0, "function_is_there", dev);
		return;
	}
	snprintf(link, sizeof(link), "%s [1af4:%s]", dev, buf + 2);
	result(!strcmp(buf, "0x1044"), "function_is_there", link);

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver", dev);
	n = readlink(path, link, sizeof(link) - 1);
	link[n > 0 ? n : 0] = 0;
	result(n > 0 && strstr(link, "/virtio-pci"), "virtio_pci_drives_it",
	       n > 0 ? strrchr(link, '/') + 1 : "no driver");
}

static int all_zero(const unsigned char *p, size_t n)
{
	while (n--)
		if (*p++)
			return 0;
	return 1;
}

/* Where a child hangs: its kernel stack, for the log */
static void print_stack(pid_t pid, const char *what)
{
	char path[64], line[256];
	FILE *f;

	printf("L2: %s hangs; its kernel stack:\n", what);
	snprintf(path, sizeof(path), "/proc/%d/stack", pid);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f))
		printf("L2:   %s", line);
	if (f)
		fclose(f);
}

/*
 * Run fn in a child and wait up to timeout seconds. Returns its exit
 * status, or -1 if it was killed or had to be killed.
 */
static int in_child(void (*fn)(size_t), size_t arg, int timeout,
		    const char *what)
{
	int status, i;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		fn(arg);
		exit(0);
	}
	if (pid < 0)
		return -1;
	for (i = 0; i < timeout * 10; i++) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
		usleep(100000);
	}
	print_stack(pid, what);
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return -1;
}

/*
 * The virtio-rng of the base (6.1.192, hardened copy_data()) loses track
 * of its buffer after a read of less than the whole buffer, such as the
 * 32 bytes hwrng_register() takes when the device has already answered:
 * the next blocking read of more than what is left waits for a request
 * that was never made. Reads that do not block empty the buffer, and then
 * it asks the device again; but if the hwrng kthread made that blocking
 * read first, it sleeps holding the reading lock, and only unbinding
 * virtio_rng (which completes the request) wakes it.
 */
static void drain(size_t unused __attribute__((unused)))
{
	unsigned char buf[READ_SIZE];
	int fd = open("/dev/hwrng", O_RDONLY | O_NONBLOCK), i;
	ssize_t n, total = 0;

	/* Until a whole buffer comes (or none is ready): then it is in step */
	for (i = 0; fd >= 0 && i < 64; i++) {
		n = read(fd, buf, sizeof(buf));
		if (n <= 0)
			break;
		total += n;
		if (n == READ_SIZE)
			break;
	}
	printf("L2: drained %zd bytes without blocking\n", total);
	exit(fd < 0);
}

/* Unbind and bind virtio_rng again: its new hwrng starts in step */
static void rebind(void)
{
	char path[256], name[64] = "";
	struct dirent *e;
	DIR *d = opendir(VIRTIO_RNG);

	while (d && (e = readdir(d)))
		if (!strncmp(e->d_name, "virtio", 6) && strlen(e->d_name) < sizeof(name))
			strcpy(name, e->d_name);
	if (d)
		closedir(d);
	printf("L2: hwrng stuck; rebinding virtio_rng to %s\n", *name ? name : "?");
	snprintf(path, sizeof(path), VIRTIO_RNG "/unbind");
	write_file(path, name);
	snprintf(path, sizeof(path), VIRTIO_RNG "/bind");
	write_file(path, name);
}

/* Select the function's virtio-rng and get its reads in step */
static void select_rng(void)
{
	char buf[64], detail[96];
	int i, ok = 0;

	for (i = 0; i <= REBINDS && !ok; i++) {
		if (i)
			rebind();
		/* Its virtio-rng, not the CPU's TRNG */
		write_file("/sys/class/misc/hw_random/rng_quality", "0");
		write_file("/sys/class/misc/hw_random/rng_current", "virtio_rng.0");
		ok = !in_child(drain, 0, DRAIN_TIMEOUT, "a read that does not block");
	}
	if (read_line("/sys/class/misc/hw_random/rng_current", buf, sizeof(buf)))
		strcpy(buf, "none");
	result(!strcmp(buf, "virtio_rng.0"), "rng_current_is_virtio_rng.0", buf);
	snprintf(detail, sizeof(detail), "after %d rebind(s) of virtio_rng", i - 1);
	result(ok, "hwrng_reads_without_blocking", detail);
}

static int read_pass(int fd, unsigned char *buf, size_t size)
{
	size_t off;

	for (off = 0; off < size; off += READ_SIZE)
		if (read(fd, buf + off, READ_SIZE) != READ_SIZE)
			return -1;
	return 0;
}

/* In a child: two passes of size bytes, each in READ_SIZE reads */
static void reads(size_t size)
{
	unsigned char *a = malloc(size), *b = malloc(size);
	char detail[128];
	int fd, ok;

	fd = open("/dev/hwrng", O_RDONLY);
	if (fd < 0 || !a || !b) {
		result(0, "hwrng_reads", strerror(errno));
		exit(1);
	}
	ok = !read_pass(fd, a, size);
	snprintf(detail, sizeof(detail), "%zu reads of %d bytes",
		 size / READ_SIZE, READ_SIZE);
	result(ok, "first_pass_reads_all", ok ? detail : strerror(errno));
	if (ok) {
		ok = !read_pass(fd, b, size);
		result(ok, "second_pass_reads_all", ok ? detail : strerror(errno));
	}
	if (ok) {
		result(!all_zero(a, size) && !all_zero(b, size),
		       "data_is_not_all_zero", NULL);
		result(memcmp(a, b, size) != 0, "passes_differ", NULL);
	}
	exit(ok ? 0 : 1);
}

/* L2's own view: its DMA API's RPCITs (counter names of the series) */
static void print_stats(void)
{
	char path[256], line[256], name[128];
	unsigned long long val;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/kernel/debug/pci/%s/statistics", dev);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, " %127[^:]:%llu", name, &val) == 2 &&
		    strstr(name, "RPCIT"))
			printf("L2: stat %s=%llu\n", name, val);
	if (f)
		fclose(f);
}

static void dump_kernel_log(void)
{
	int len = klogctl(10 /* SYSLOG_ACTION_SIZE_BUFFER */, NULL, 0);
	char *buf = len > 0 ? malloc(len) : NULL;

	if (!buf)
		return;
	len = klogctl(3 /* SYSLOG_ACTION_READ_ALL */, buf, len);
	printf("L2: kernel log begin\n");
	if (len > 0)
		fwrite(buf, 1, len, stdout);
	printf("L2: kernel log end\n");
	free(buf);
}

int main(void)
{
	const char *kib = getenv("L2_KIB");
	size_t size = (kib ? strtoul(kib, NULL, 0) : 64) * 1024;
	char buf[64];

	dev = getenv("L2_DEVICE") ? getenv("L2_DEVICE") : "0009:00:00.0";
	mount_or_warn("proc", "/proc", "proc");
	mount_or_warn("sysfs", "/sys", "sysfs");
	mount_or_warn("devtmpfs", "/dev", "devtmpfs");
	mount_or_warn("debugfs", "/sys/kernel/debug", "debugfs");
	setvbuf(stdout, NULL, _IOLBF, 0);
	/* Keep kernel messages out of the lines L1 parses; dumped below */
	write_file("/proc/sys/kernel/printk", "1");
	if (!read_line("/proc/uptime", buf, sizeof(buf)))
		printf("L2: init, uptime %s\n", buf);

	check_device();
	select_rng();

	ready("reads");
	if (in_child(reads, size, READ_TIMEOUT, "a read") < 0)
		result(0, "reads_end_in_time", NULL);
	ready("done");
	print_stats();
	dump_kernel_log();
	printf("L2: end\n");
	fflush(stdout);
	reboot(RB_POWER_OFF);
	return 0;
}
