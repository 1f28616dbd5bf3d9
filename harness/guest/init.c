// SPDX-License-Identifier: GPL-2.0
/*
 * PID 1 of the test guest: bind the zPCI function named by VFIO_DEVICE to
 * vfio-pci, run every program in /tests as a KTAP subtest, dump the kernel
 * log (and, on a debug kernel, what kmemleak finds) and power off.
 *
 * The kernel passes unknown "name=value" command line parameters to init as
 * environment variables; the harness uses that for VFIO_DEVICE and
 * TEST_TIMEOUT. Test programs inherit the environment.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/klog.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "guest.h"

#define TESTS_DIR	"/tests"
#define MAX_TESTS	64

static int cmpstr(const void *a, const void *b)
{
	return strcmp(*(char * const *)a, *(char * const *)b);
}

static int list_tests(char **names)
{
	DIR *d = opendir(TESTS_DIR);
	struct dirent *e;
	int n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d)) && n < MAX_TESTS) {
		if (e->d_name[0] == '.')
			continue;
		names[n++] = strdup(e->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(*names), cmpstr);
	return n;
}

/*
 * Run one program with its output indented by four spaces, which makes its
 * own TAP a nested KTAP subtest. A program that outlives the timeout is
 * killed and counted as failed.
 */
static int run_one(const char *name, int timeout)
{
	char path[256], line[4096];
	int pipefd[2], status = 0, named = 0;
	pid_t pid;
	FILE *out;

	snprintf(path, sizeof(path), "%s/%s", TESTS_DIR, name);
	if (pipe(pipefd))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		dup2(pipefd[1], 1);
		dup2(pipefd[1], 2);
		close(pipefd[0]);
		close(pipefd[1]);
		alarm(timeout);
		execl(path, path, (char *)NULL);
		printf("exec %s: %s\n", path, strerror(errno));
		_exit(127);
	}
	close(pipefd[1]);
	out = fdopen(pipefd[0], "r");
	while (out && fgets(line, sizeof(line), out)) {
		/* KTAP wants the version line before the subtest's name. */
		if (!named && strstr(line, "TAP version ") == line) {
			printf("    %s    # Subtest: %s\n", line, name);
			named = 1;
			continue;
		}
		if (!named) {
			printf("    # Subtest: %s\n", name);
			named = 1;
		}
		printf("    %s", line);
		if (!strchr(line, '\n'))
			putchar('\n');
		fflush(stdout);
	}
	if (out)
		fclose(out);
	waitpid(pid, &status, 0);
	if (WIFSIGNALED(status)) {
		printf("    # %s: killed by signal %d%s\n", name, WTERMSIG(status),
		       WTERMSIG(status) == SIGALRM ? " (timeout)" : "");
		return -1;
	}
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

/* Print the kernel log so that the host can scan it for splats. */
static void dump_kernel_log(void)
{
	int len = klogctl(10 /* SYSLOG_ACTION_SIZE_BUFFER */, NULL, 0);
	char *buf;

	if (len <= 0)
		return;
	buf = malloc(len);
	if (!buf)
		return;
	len = klogctl(3 /* SYSLOG_ACTION_READ_ALL */, buf, len);
	if (len > 0)
		fwrite(buf, 1, len, stdout);
	free(buf);
}

/*
 * On a kernel with kmemleak, scan for leaks and print what it found into
 * the kernel log section, before the kernel log itself. Objects younger than five seconds are not
 * reported, so wait that long after the last test first.
 */
static void report_leaks(void)
{
	const char *path = "/sys/kernel/debug/kmemleak";
	char line[512];
	int leaks = 0;
	FILE *f;

	if (access(path, F_OK))
		return;
	sleep(6);
	if (write_file(path, "scan")) {
		printf("# init: kmemleak scan failed\n");
		return;
	}
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f)) {
		fputs(line, stdout);
		leaks += !strncmp(line, "unreferenced object", 19);
	}
	if (f)
		fclose(f);
	printf("# init: kmemleak scan: %d suspected leaks\n", leaks);
}

int main(void)
{
	const char *dev = getenv("VFIO_DEVICE");
	const char *tmo = getenv("TEST_TIMEOUT");
	int timeout = tmo ? atoi(tmo) : 120;
	char *names[MAX_TESTS];
	int i, n, rc;

	mount_or_warn("proc", "/proc", "proc");
	mount_or_warn("sysfs", "/sys", "sysfs");
	mount_or_warn("devtmpfs", "/dev", "devtmpfs");
	mount_or_warn("debugfs", "/sys/kernel/debug", "debugfs");
	setvbuf(stdout, NULL, _IOLBF, 0);
	setenv("PATH", "/tests:/", 1);

	/* Keep kernel messages from interleaving with the TAP stream. */
	write_file("/proc/sys/kernel/printk", "1");

	printf("### guest tests begin\n");
	printf("KTAP version 1\n");
	n = list_tests(names);
	printf("1..%d\n", n + 1);
	rc = dev ? bind_vfio(dev) : -EINVAL;
	printf("%sok 1 bind_%s_to_vfio_pci", rc ? "not " : "", dev ? dev : "none");
	if (rc)
		printf(" # %s", strerror(-rc));
	printf("\n");
	for (i = 0; i < n; i++) {
		rc = run_one(names[i], timeout);
		printf("%sok %d %s\n", rc ? "not " : "", i + 2, names[i]);
	}
	printf("### guest tests end\n");
	printf("### kernel log\n");
	/* The scan first: the dump then holds what the scan itself logged. */
	report_leaks();
	dump_kernel_log();
	printf("### kernel log end\n");
	/* Let the console show what power-off logs: the host scans it too. */
	write_file("/proc/sys/kernel/printk", "7");
	fflush(stdout);
	sync();
	reboot(RB_POWER_OFF);
	return 0;
}
