// SPDX-License-Identifier: GPL-2.0
/*
 * PID 1 of the guest that boots the kernel of make deb's package
 * (harness/deb-boot.sh): load the modules named in /modules/order, one
 * file name a line with dependencies first (made from the package's
 * modules.dep), with finit_module(2), then do all that init.c does: bind
 * VFIO_DEVICE to vfio-pci, run /tests, dump the kernel log, power off.
 * A module that does not load is named on the console; vfio-pci missing
 * fails the bind, which is the guest's first test.
 */
#define main init_main
#include "init.c"
#undef main

#include <sys/syscall.h>

#define MODULES_DIR	"/modules"

int main(void)
{
	char line[256], path[512];
	int loaded = 0, failed = 0;
	FILE *order = fopen(MODULES_DIR "/order", "r");

	/* fd writes only: init_main() sets up stdout's buffering itself */
	if (!order) {
		dprintf(1, "# modinit: no " MODULES_DIR "/order: %s\n", strerror(errno));
		return init_main();
	}
	while (fgets(line, sizeof(line), order)) {
		int fd;

		line[strcspn(line, "\n")] = '\0';
		if (!line[0])
			continue;
		snprintf(path, sizeof(path), MODULES_DIR "/%s", line);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || (syscall(SYS_finit_module, fd, "", 0) && errno != EEXIST)) {
			dprintf(1, "# modinit: %s: %s\n", line, strerror(errno));
			failed++;
		} else {
			loaded++;
		}
		if (fd >= 0)
			close(fd);
	}
	fclose(order);
	dprintf(1, "# modinit: %d modules loaded, %d failed\n", loaded, failed);
	return init_main();
}
