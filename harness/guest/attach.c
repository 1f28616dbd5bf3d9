// SPDX-License-Identifier: GPL-2.0
/*
 * PID 1 of the attach cost benchmark (harness/bench/attach-cost.sh): what a VFIO
 * user pays to set up and tear down a type1 container for the zPCI
 * function ATTACH_DEVICE. ATTACH_CYCLES times: open the container and
 * the group and set the IOMMU (the function is attached to a domain:
 * "setup"), then close both (it is detached, and the DMA API takes it
 * back: "teardown"). Prints the median and the mean of each in
 * microseconds of guest time and powers off.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <time.h>
#include <unistd.h>
#include <linux/vfio.h>

#include "guest.h"

#define MAX_CYCLES	1000

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void print_stats(const char *what, double *v, int n)
{
	double sum = 0;
	int i;

	for (i = 0; i < n; i++)
		sum += v[i];
	qsort(v, n, sizeof(*v), cmp_double);
	printf("ATTACH %s cycles=%d median_us=%.0f mean_us=%.0f min_us=%.0f max_us=%.0f\n",
	       what, n, v[n / 2], sum / n, v[0], v[n - 1]);
}

int main(void)
{
	const char *dev = getenv("ATTACH_DEVICE");
	const char *s = getenv("ATTACH_CYCLES");
	static double setup[MAX_CYCLES], teardown[MAX_CYCLES];
	int cycles = s ? atoi(s) : 20;
	int i, rc, container, group;
	double t0, t1;

	guest_start();
	if (cycles < 1 || cycles > MAX_CYCLES)
		cycles = 20;

	printf("### attach begin\n");
	rc = dev ? bind_vfio(dev) : -EINVAL;
	if (rc) {
		printf("ATTACH error: bind %s to vfio-pci: %s\n", dev ? dev : "(none)",
		       strerror(-rc));
		goto out;
	}
	for (i = 0; i < cycles; i++) {
		t0 = now_us();
		container = vfio_container(dev, &group);
		t1 = now_us();
		if (container < 0) {
			printf("ATTACH error: cycle %d: %s\n", i, strerror(-container));
			goto out;
		}
		close(group);
		close(container);
		setup[i] = t1 - t0;
		teardown[i] = now_us() - t1;
	}
	print_stats("setup", setup, cycles);
	print_stats("teardown", teardown, cycles);
out:
	printf("### attach end\n");
	fflush(stdout);
	reboot(RB_POWER_OFF);
	return 0;
}
