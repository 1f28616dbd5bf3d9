// SPDX-License-Identifier: GPL-2.0
/*
 * PID 1 of the guest that boots the kernel of make deb's package
 * (harness/distro/deb-boot.sh): load the modules named in /modules/order, one
 * file name a line with dependencies first (made from the package's
 * modules.dep), with finit_module(2), then do all that init.c does: bind
 * VFIO_DEVICE to vfio-pci, run /tests, dump the kernel log, power off.
 * A module that does not load is named on the console; vfio-pci missing
 * fails the bind, which is the guest's first test.
 */
#define main init_main
#include "init.c"
#undef main

#define MODULES_DIR	"/modules"

int main(void)
{
	int loaded, failed = load_modules(MODULES_DIR, &loaded);

	/* fd writes only: init_main() sets up stdout's buffering itself */
	if (failed < 0)
		dprintf(1, "# modinit: no " MODULES_DIR "/order: %s\n", strerror(-failed));
	else
		dprintf(1, "# modinit: %d modules loaded, %d failed\n", loaded, failed);
	return init_main();
}
