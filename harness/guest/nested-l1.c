// SPDX-License-Identifier: GPL-2.0
/*
 * PID 1 of the nested test's L1 guest (make test, harness/nested/run.sh): the
 * kernel under test hands its zPCI function to vfio-pci and runs Debian's
 * s390x QEMU, which passes the function through to an L2 guest
 * (nested-l2.c) whose DMA API drives it. Every RPCIT of L2 is intercepted
 * by that QEMU and shadowed into L1's IOMMU through VFIO type1, so L1's
 * IOMMU driver and VFIO serve a real client.
 *
 * L2 runs once per entry of NESTED_RUNS:
 *   lazy      L2's default DMA API policy
 *   strict    L2 booted with s390_iommu=strict
 *   pressure  lazy, with L1's vfio_iommu_type1.dma_entry_limit at
 *             NESTED_DMA_LIMIT, so that QEMU answers L2's RPCITs with
 *             "insufficient resources" and L2 must free mappings
 *   ism       strict, through NESTED_ISM_DEVICE instead: the function
 *             that L0 (the QEMU of harness/qemu/) models as ISM, which
 *             needs no refresh after a map; L1 must refresh each unmap
 *             and no map (L0 judges the refreshes by the ISM rules)
 * Each L2 run is a KTAP subtest, one test per check; its console lines go
 * to L1's console as "RUN| line", and the RPCITs L1 issued while L2 read,
 * counted in debugfs, are printed as "# NESTED run=..." lines. The KTAP
 * comes last, between the markers report.py looks for, with the kernel
 * log after it.
 *
 * Environment (kernel parameters "name=value"):
 *   NESTED_DEVICE      L1's function (default 0001:00:00.0)
 *   NESTED_ISM_DEVICE  the function of the ism run (default 0003:00:00.0)
 *   NESTED_DMA_RANGE   its DMA range, START-END in hex, as L0 gives it
 *   NESTED_RUNS        (default "lazy strict pressure")
 *   NESTED_KIB         KiB per L2 read pass, two passes (default 64)
 *   NESTED_DMA_LIMIT   dma_entry_limit under pressure (default 64)
 *   NESTED_L2_TIMEOUT  seconds before a QEMU run is killed (default 600)
 */
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/klog.h>
#include <sys/reboot.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "guest.h"

#define QEMU		"/usr/bin/qemu-system-s390x"
#define L2_DEVICE	"0009:00:00.0"
#define READ_SIZE	256	/* bytes per L2 read, as in nested-l2.c */
#define LIMIT_PARAM	"/sys/module/vfio_iommu_type1/parameters/dma_entry_limit"
#define ZPCI_EVENT	"reports an error for PCI function"
#define ISM_PFT		"0x05"
#define MAX_RUNS	8
#define MAX_RESULTS	256
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

static const char *dev;		/* the function of the current run */
static char stats_path[128];

struct result {
	int run;		/* -1: a top-level test */
	int ok;
	char name[64];
	char detail[256];
};

static struct result results[MAX_RESULTS];
static int nr_results;
static char run_names[MAX_RUNS][16];
static char run_summary[MAX_RUNS][512];
static int nr_runs;

static void add(int run, int ok, const char *name, const char *fmt, ...)
{
	struct result *r;
	va_list ap;

	if (nr_results == MAX_RESULTS)
		return;
	r = &results[nr_results++];
	r->run = run;
	r->ok = ok;
	snprintf(r->name, sizeof(r->name), "%s", name);
	r->detail[0] = 0;
	if (fmt) {
		va_start(ap, fmt);
		vsnprintf(r->detail, sizeof(r->detail), fmt, ap);
		va_end(ap);
	}
	/* Also now, for whoever reads the log of a run that hangs later */
	printf("# nested: %s: %sok %s%s%s\n", run < 0 ? "l1" : run_names[run],
	       ok ? "" : "not ", r->name, *r->detail ? " # " : "", r->detail);
}

static int has_result(int run, const char *name)
{
	int i;

	for (i = 0; i < nr_results; i++)
		if (results[i].run == run && !strcmp(results[i].name, name))
			return 1;
	return 0;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* How many zPCI error events (arch/s390/pci/pci_event.c) L1 has logged */
static int zpci_events(void)
{
	int len = klogctl(10 /* SYSLOG_ACTION_SIZE_BUFFER */, NULL, 0), n = 0;
	char *buf = len > 0 ? malloc(len + 1) : NULL, *p;

	if (!buf)
		return -1;
	len = klogctl(3 /* SYSLOG_ACTION_READ_ALL */, buf, len);
	buf[len > 0 ? len : 0] = 0;
	for (p = buf; (p = strstr(p, ZPCI_EVENT)); p++)
		n++;
	free(buf);
	return n;
}

/*
 * The RPCIT counters of L1's function in debugfs, parsed by name: the
 * series calls them "Map RPCITs", "Unmap RPCITs" and "Global RPCITs",
 * 6.12 "Sync Map RPCITs", "Sync RPCITs" and "Global RPCITs"; the base
 * has none. "Refresh operations" is the function measurement block,
 * which the hypervisor (L0's QEMU) updates every few seconds.
 */
struct counters {
	int valid, sw, fmb;
	unsigned long long map, unmap, global, total;
	unsigned long long fmb_rpcits, samples, last_update;
};

static void read_counters(struct counters *c)
{
	char line[256], name[128];
	unsigned long long v;
	FILE *f = fopen(stats_path, "r");

	memset(c, 0, sizeof(*c));
	if (!f)
		return;
	c->valid = 1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "Samples: %llu", &v) == 1) {
			c->samples = v;
			continue;
		}
		if (sscanf(line, "Last update TOD: %llx", &v) == 1) {
			c->last_update = v;
			continue;
		}
		if (sscanf(line, " %127[^:]:%llu", name, &v) != 2)
			continue;
		if (!strcmp(name, "Refresh operations")) {
			c->fmb = 1;
			c->fmb_rpcits = v;
		} else if (strstr(name, "RPCITs")) {
			c->sw = 1;
			c->total += v;
			if (strstr(name, "Map RPCITs"))
				c->map += v;
			else if (!strncmp(name, "Global", 6))
				c->global += v;
			else
				c->unmap += v;
		}
	}
	fclose(f);
}

/*
 * Counters while L2 waits: the software counters are exact at once; the
 * FMB is taken from the first complete update (U bit, the low bit of the
 * update time, clear) that began after L2 went idle.
 */
static void sample(struct counters *c)
{
	struct counters first;
	double end = now() + 10;

	read_counters(&first);
	*c = first;
	if (!first.fmb)
		return;
	while (now() < end) {
		usleep(100000);
		read_counters(c);
		if (c->samples != first.samples && !(c->last_update & 1))
			return;
	}
	c->fmb = 0;	/* no fresh update: do not trust it */
}

/*
 * The function's DMA range as two reserved regions of its IOMMU group:
 * [0, start - 1] and [end + 1, end of the aperture].
 */
static void check_reserved_regions(const char *range)
{
	char path[256], link[256], line[128], type[32], detail[256] = "";
	unsigned long long start[3], end[3], dma_start = 0, dma_end = 0;
	int n = 0, ok;
	ssize_t len;
	FILE *f;

	if (sscanf(range, "%llx-%llx", &dma_start, &dma_end) != 2)
		dma_start = dma_end = 0;
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu_group", dev);
	len = readlink(path, link, sizeof(link) - 1);
	link[len > 0 ? len : 0] = 0;
	snprintf(path, sizeof(path), "/sys/kernel/iommu_groups/%s/reserved_regions",
		 len > 0 ? strrchr(link, '/') + 1 : "none");
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		if (n < 3 && sscanf(line, "%llx %llx %31s", &start[n], &end[n], type) == 3 &&
		    !strcmp(type, "reserved"))
			snprintf(detail + strlen(detail), sizeof(detail) - strlen(detail),
				 "%s0x%llx-0x%llx", n ? ", " : "", start[n], end[n]);
		else
			snprintf(detail + strlen(detail), sizeof(detail) - strlen(detail),
				 "%sother: %.40s", n ? ", " : "", line);
		n++;
	}
	if (f)
		fclose(f);
	ok = n == 2 && !strstr(detail, "other") && dma_start && start[0] == 0 &&
	     end[0] == dma_start - 1 && start[1] == dma_end + 1 && end[1] > dma_end;
	add(-1, ok, "iommu_group_has_the_two_reserved_regions",
	    "%s (DMA range %s)", f ? (n ? detail : "none") : "no reserved_regions file",
	    range);
}

/* What a run expects from L2, so that a check L2 never reached fails */
static const char * const l2_checks[] = {
	"function_is_there",
	"virtio_pci_drives_it",
	"rng_current_is_virtio_rng.0",
	"hwrng_reads_without_blocking",
	"first_pass_reads_all",
	"second_pass_reads_all",
	"data_is_not_all_zero",
	"passes_differ",
};

static int is_splat(const char *l)
{
	return strstr(l, "WARNING: CPU") || strstr(l, "BUG: ") ||
	       strstr(l, "Oops") || strstr(l, "Kernel panic") ||
	       strstr(l, "kernel BUG at");
}

static int icontains(const char *s, const char *word)
{
	size_t n = strlen(word);

	for (; *s; s++)
		if (!strncasecmp(s, word, n))
			return 1;
	return 0;
}

struct run_state {
	int run, l2_lines, init_seen, end_seen, go_sent;
	int l2_events, l2_splats, qemu_errors, qemu_errors_at_attach;
	int attach_events, events_before;
	double t_init;
	unsigned long long l2_global;
	int l2_global_seen;
	struct counters c0, c1;
	char first_event[160], first_splat[160], first_qemu_error[160];
};

/* Where QEMU hangs: the state and kernel stack of each of its threads */
static void print_tasks(const char *run, pid_t pid)
{
	char path[128], line[256], state[64];
	struct dirent *e;
	DIR *d;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	d = opendir(path);
	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%.16s/stat", pid, e->d_name);
		f = fopen(path, "r");
		state[0] = 0;
		/* "tid (comm) S ...": comm and state, up to the first number */
		if (f && fgets(line, sizeof(line), f))
			sscanf(line, "%*d %63[^0-9]", state);
		if (f)
			fclose(f);
		printf("# nested: %s: hung: task %s %s\n", run, e->d_name, state);
		snprintf(path, sizeof(path), "/proc/%d/task/%.16s/stack", pid, e->d_name);
		f = fopen(path, "r");
		while (f && fgets(line, sizeof(line), f))
			printf("# nested: %s:   %s", run, line);
		if (f)
			fclose(f);
	}
	if (d)
		closedir(d);
}

static void go(int fd)
{
	if (write(fd, "go\n", 3) != 3)
		printf("# nested: cannot answer L2: %s\n", strerror(errno));
}

/* One line of L2's console (and QEMU's own messages) */
static void l2_line(struct run_state *s, char *l, int in, double t)
{
	char name[64], *detail;
	int ok;

	printf("%s %5.0f| %s\n", run_names[s->run], t, l);
	if (!strncmp(l, "qemu-system-s390x:", 18)) {
		if (icontains(l, "error") || icontains(l, "fail")) {
			if (!s->qemu_errors++)
				snprintf(s->first_qemu_error, 160, "%.150s", l);
			if (!s->l2_lines)
				s->qemu_errors_at_attach++;
		}
		return;
	}
	if (!*l)
		return;
	if (!s->l2_lines++)	/* L2 runs: QEMU's container attach is done */
		s->attach_events = zpci_events() - s->events_before;
	if (strstr(l, ZPCI_EVENT) && !s->l2_events++)
		snprintf(s->first_event, 160, "%.150s", l);
	if (is_splat(l) && !s->l2_splats++)
		snprintf(s->first_splat, 160, "%.150s", l);
	if (strncmp(l, "L2: ", 4))
		return;
	l += 4;
	if (!strncmp(l, "init", 4) && !s->init_seen) {
		s->init_seen = 1;
		s->t_init = t;
	} else if (!strcmp(l, "ready reads")) {
		sample(&s->c0);
		go(in);
		s->go_sent++;
	} else if (!strcmp(l, "ready done")) {
		sample(&s->c1);
		go(in);
		s->go_sent++;
	} else if (sscanf(l, "stat Global RPCITs=%llu", &s->l2_global) == 1) {
		s->l2_global_seen = 1;
	} else if (!strcmp(l, "end")) {
		s->end_seen = 1;
	} else if (sscanf(l, "ok %63s", name) == 1 ||
		   sscanf(l, "not ok %63s", name) == 1) {
		ok = !strncmp(l, "ok ", 3);
		detail = strstr(l, " # ");
		add(s->run, ok, name, "%s", detail ? detail + 3 : "");
	}
}

static double per_read(unsigned long long n, unsigned long reads)
{
	return reads ? (double)n / reads : 0;
}

static void run_l2(int run, const char *extra, unsigned long kib, int timeout)
{
	char append[256], line[1024], *nl;
	char *argv[] = {
		QEMU, "-machine", "s390-ccw-virtio", "-cpu", "qemu",
		"-m", "256", "-smp", "1", "-nodefaults", "-nographic",
		"-no-reboot", "-serial", "stdio", "-L", "/usr/share/qemu",
		"-kernel", "/l2/bzImage", "-initrd", "/l2/initramfs.cpio",
		"-append", append,
		"-device", "zpci,uid=9,fid=9,target=hd0",
		"-device", NULL, NULL,
	};
	unsigned long reads = 2 * kib * 1024 / READ_SIZE;
	int ism = !strcmp(run_names[run], "ism");
	int in[2], out[2], status = 0, killed = 0, i;
	const char *count_check;
	struct run_state s = { .run = run };
	char vfio[64];
	size_t fill = 0;
	double t0, t;
	ssize_t n;
	pid_t pid;

	snprintf(append, sizeof(append),
		 "console=ttyS0 panic=-1 L2_DEVICE=%s L2_KIB=%lu %s",
		 L2_DEVICE, kib, extra);
	snprintf(vfio, sizeof(vfio), "vfio-pci,host=%s,id=hd0", dev);
	argv[ARRAY_SIZE(argv) - 2] = vfio;

	printf("# nested: %s: %s -append \"%s\"\n", run_names[run], QEMU, append);
	s.events_before = zpci_events();
	if (pipe(in) || pipe(out)) {
		add(run, 0, "qemu_starts", "pipe: %s", strerror(errno));
		return;
	}
	fflush(stdout);
	t0 = now();
	pid = fork();
	if (pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		dup2(out[1], 2);
		close(in[1]);
		close(out[0]);
		setenv("LD_LIBRARY_PATH", "/lib/s390x-linux-gnu:/usr/lib/s390x-linux-gnu", 1);
		execv(QEMU, argv);
		printf("qemu-system-s390x: exec failed: %s\n", strerror(errno));
		_exit(127);
	}
	close(in[0]);
	close(out[1]);

	/* L2's console, line by line, until QEMU closes it or time is up */
	for (;;) {
		struct pollfd p = { .fd = out[0], .events = POLLIN };

		t = now() - t0;
		if (t > timeout) {
			print_tasks(run_names[run], pid);
			kill(pid, SIGKILL);
			killed = 1;
			break;
		}
		if (poll(&p, 1, 1000) <= 0)
			continue;
		n = read(out[0], line + fill, sizeof(line) - 1 - fill);
		if (n <= 0)
			break;
		fill += n;
		line[fill] = 0;
		while ((nl = strchr(line, '\n')) || fill == sizeof(line) - 1) {
			if (nl)
				*nl = 0;
			else
				nl = line + fill - 1;
			if (nl > line && nl[-1] == '\r')
				nl[-1] = 0;
			l2_line(&s, line, in[1], now() - t0);
			fill -= nl + 1 - line;
			memmove(line, nl + 1, fill);
			line[fill] = 0;
		}
	}
	close(in[1]);
	close(out[0]);
	waitpid(pid, &status, 0);
	t = now() - t0;

	if (!s.l2_lines)	/* then the attach failed or never ended */
		s.attach_events = zpci_events() - s.events_before;
	snprintf(line, sizeof(line), "%s%s%s", s.l2_lines ? "" : "L2 never started",
		 !s.l2_lines && (s.attach_events || s.qemu_errors_at_attach) ? "; " : "",
		 s.qemu_errors_at_attach ? s.first_qemu_error : "");
	if (s.attach_events)
		snprintf(line + strlen(line), sizeof(line) - strlen(line),
			 "%s%d zPCI error event(s) in L1's log",
			 s.qemu_errors_at_attach ? "; " : "", s.attach_events);
	add(run, s.l2_lines && !s.attach_events && !s.qemu_errors_at_attach,
	    "qemu_attach_raises_no_zpci_error", "%s", line);
	if (s.init_seen)
		add(run, 1, "l2_reaches_its_init", "after %.0f s", s.t_init);
	else
		add(run, 0, "l2_reaches_its_init", "not within %.0f s", t);
	for (i = 0; i < (int)ARRAY_SIZE(l2_checks); i++)
		if (!has_result(run, l2_checks[i]))
			add(run, 0, l2_checks[i], "L2 did not report it");
	count_check = ism ? "l1_refreshes_each_unmap_and_no_map" :
			    "l1_counts_the_rpcits_of_the_reads";
	if (s.go_sent < 2)
		add(run, 0, count_check, "L2 did not get that far");
	else if (!s.c0.sw || !s.c1.sw)
		add(run, 0, count_check, "%s: no RPCIT counters", stats_path);
	else if (ism)
		/*
		 * Strict L2: each read's unmap reaches L1 as a VFIO unmap,
		 * which L1 refreshes; its maps need no refresh on ISM (9
		 * in 10, for reads that reuse a mapping).
		 */
		add(run, s.c1.map == s.c0.map &&
		    (s.c1.unmap - s.c0.unmap) * 10 >= reads * 9, count_check,
		    "%llu Map and %llu Unmap RPCITs for %lu reads",
		    s.c1.map - s.c0.map, s.c1.unmap - s.c0.unmap, reads);
	else
		/*
		 * Each L2 read maps a page through VFIO in L1, and L0's
		 * function needs a refresh after a map: at least one Map
		 * RPCIT a read (9 in 10, for reads that reuse a mapping).
		 */
		add(run, (s.c1.map - s.c0.map) * 10 >= reads * 9, count_check,
		    "%llu Map RPCITs for %lu reads", s.c1.map - s.c0.map, reads);
	if (!strcmp(run_names[run], "pressure")) {
		if (s.l2_global_seen)
			add(run, s.l2_global > 0,
			    "l2_frees_mappings_on_insufficient_resources",
			    "L2's Global RPCITs: %llu", s.l2_global);
		else
			add(run, 0, "l2_frees_mappings_on_insufficient_resources",
			    "L2 reported no Global RPCITs");
	}
	add(run, !s.l2_events, "l2_log_has_no_zpci_error_event", "%s", s.first_event);
	add(run, !s.l2_splats, "l2_log_has_no_splat", "%s", s.first_splat);
	i = zpci_events() - s.events_before;
	if (i)
		add(run, 0, "l1_log_has_no_zpci_error_event",
		    "%d new in L1's kernel log", i);
	else
		add(run, 1, "l1_log_has_no_zpci_error_event", NULL);
	add(run, !s.qemu_errors, "qemu_reports_no_error", "%s", s.first_qemu_error);
	if (killed)
		add(run, 0, "l2_powers_off_in_time", "killed after %d s", timeout);
	else if (!s.end_seen || !WIFEXITED(status) || WEXITSTATUS(status))
		add(run, 0, "l2_powers_off_in_time",
		    "L2 did not finish; QEMU wait status 0x%x", status);
	else
		add(run, 1, "l2_powers_off_in_time", "%.0f s", t);

	/* The cost of L2's reads to L1, and to L0 (its FMB count) */
	snprintf(run_summary[run], sizeof(run_summary[run]),
		 "run=%s reads=%lu seconds=%.0f l1_rpcits=%s", run_names[run],
		 reads, t, s.c0.sw && s.c1.sw && s.go_sent == 2 ? "" : "n/a");
	if (s.c0.sw && s.c1.sw && s.go_sent == 2)
		snprintf(run_summary[run] + strlen(run_summary[run]),
			 sizeof(run_summary[run]) - strlen(run_summary[run]),
			 "%llu per_read=%.3f map=%llu unmap=%llu global=%llu",
			 s.c1.total - s.c0.total,
			 per_read(s.c1.total - s.c0.total, reads),
			 s.c1.map - s.c0.map, s.c1.unmap - s.c0.unmap,
			 s.c1.global - s.c0.global);
	if (s.c0.fmb && s.c1.fmb && s.go_sent == 2)
		snprintf(run_summary[run] + strlen(run_summary[run]),
			 sizeof(run_summary[run]) - strlen(run_summary[run]),
			 " fmb_rpcits=%llu fmb_per_read=%.3f",
			 s.c1.fmb_rpcits - s.c0.fmb_rpcits,
			 per_read(s.c1.fmb_rpcits - s.c0.fmb_rpcits, reads));
	else
		strcat(run_summary[run], " fmb_rpcits=n/a");
	snprintf(run_summary[run] + strlen(run_summary[run]),
		 sizeof(run_summary[run]) - strlen(run_summary[run]),
		 " l2_global=%s", s.l2_global_seen ? "" : "n/a");
	if (s.l2_global_seen)
		snprintf(run_summary[run] + strlen(run_summary[run]),
			 sizeof(run_summary[run]) - strlen(run_summary[run]),
			 "%llu", s.l2_global);
	printf("# NESTED %s\n", run_summary[run]);
}

static void print_ktap(void)
{
	int i, run, n, top = 0;

	printf("### guest tests begin\n");
	printf("KTAP version 1\n");
	for (i = 0; i < nr_results; i++)
		top += results[i].run < 0;
	printf("1..%d\n", top + nr_runs);
	n = 0;
	for (i = 0; i < nr_results; i++)
		if (results[i].run < 0)
			printf("%sok %d %s%s%s\n", results[i].ok ? "" : "not ", ++n,
			       results[i].name, *results[i].detail ? " # " : "",
			       results[i].detail);
	for (run = 0; run < nr_runs; run++) {
		int sub = 0, ok = 1;

		printf("    KTAP version 1\n");
		printf("    # Subtest: l2_%s\n", run_names[run]);
		for (i = 0; i < nr_results; i++)
			sub += results[i].run == run;
		printf("    1..%d\n", sub);
		sub = 0;
		for (i = 0; i < nr_results; i++) {
			if (results[i].run != run)
				continue;
			ok &= results[i].ok;
			printf("    %sok %d %s%s%s\n", results[i].ok ? "" : "not ",
			       ++sub, results[i].name,
			       *results[i].detail ? " # " : "", results[i].detail);
		}
		printf("# NESTED %s\n", run_summary[run]);
		printf("%sok %d l2_%s\n", ok ? "" : "not ", ++n, run_names[run]);
	}
	printf("### guest tests end\n");
}

static void dump_kernel_log(void)
{
	int len = klogctl(10 /* SYSLOG_ACTION_SIZE_BUFFER */, NULL, 0);
	char *buf = len > 0 ? malloc(len) : NULL;

	printf("### kernel log\n");
	if (buf) {
		len = klogctl(3 /* SYSLOG_ACTION_READ_ALL */, buf, len);
		if (len > 0)
			fwrite(buf, 1, len, stdout);
		free(buf);
	}
	printf("### kernel log end\n");
}

static const char *env(const char *name, const char *def)
{
	const char *v = getenv(name);

	return v && *v ? v : def;
}

/* The function the next checks and the next L2 run use */
static void use_function(const char *bdf)
{
	dev = bdf;
	snprintf(stats_path, sizeof(stats_path),
		 "/sys/kernel/debug/pci/%s/statistics", dev);
}

/* The ism run: its function must be ISM and go to vfio-pci first */
static void prepare_ism_run(int run, const char *bdf)
{
	char path[128], pft[16] = "";
	FILE *f;
	int rc;

	use_function(bdf);
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/pft", dev);
	f = fopen(path, "r");
	if (!f || !fgets(pft, sizeof(pft), f))
		snprintf(pft, sizeof(pft), "none");
	if (f)
		fclose(f);
	pft[strcspn(pft, "\n")] = 0;
	add(run, !strcmp(pft, ISM_PFT), "function_is_type_ism", "%s: pft %s", dev, pft);
	rc = bind_vfio(dev);
	add(run, !rc, "binds_to_vfio_pci", "%s%s%s", dev, rc ? ": " : "",
	    rc ? strerror(-rc) : "");
}

int main(void)
{
	unsigned long kib = strtoul(env("NESTED_KIB", "64"), NULL, 0);
	const char *limit = env("NESTED_DMA_LIMIT", "64");
	int timeout = atoi(env("NESTED_L2_TIMEOUT", "600")), rc;
	char runs[128], *tok, *save, def_limit[32] = "";
	const char *main_dev = env("NESTED_DEVICE", "0001:00:00.0");

	mount_or_warn("proc", "/proc", "proc");
	mount_or_warn("sysfs", "/sys", "sysfs");
	mount_or_warn("devtmpfs", "/dev", "devtmpfs");
	mount_or_warn("debugfs", "/sys/kernel/debug", "debugfs");
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	use_function(main_dev);
	snprintf(runs, sizeof(runs), "%s", env("NESTED_RUNS", "lazy strict pressure"));

	rc = bind_vfio(dev);
	add(-1, !rc, "bind_to_vfio_pci", "%s%s%s", dev, rc ? ": " : "",
	    rc ? strerror(-rc) : "");
	check_reserved_regions(env("NESTED_DMA_RANGE", "?"));

	{
		FILE *f = fopen(LIMIT_PARAM, "r");

		if (!f || !fgets(def_limit, sizeof(def_limit), f))
			snprintf(def_limit, sizeof(def_limit), "65535");
		def_limit[strcspn(def_limit, "\n")] = 0;
		if (f)
			fclose(f);
	}
	for (tok = strtok_r(runs, " ,", &save); tok && nr_runs < MAX_RUNS;
	     tok = strtok_r(NULL, " ,", &save)) {
		int run = nr_runs++;

		snprintf(run_names[run], sizeof(run_names[run]), "%s", tok);
		/* QEMU takes the number of mappings it may make at open */
		rc = write_file(LIMIT_PARAM, strcmp(tok, "pressure") ? def_limit : limit);
		if (rc)
			add(run, 0, "dma_entry_limit_is_set", "%s", strerror(-rc));
		if (!strcmp(tok, "ism"))
			prepare_ism_run(run, env("NESTED_ISM_DEVICE", "0003:00:00.0"));
		run_l2(run, strcmp(tok, "strict") && strcmp(tok, "ism") ? "" :
		       "s390_iommu=strict", kib, timeout);
		use_function(main_dev);
	}
	write_file(LIMIT_PARAM, def_limit);

	/* Keep kernel messages from interleaving with the KTAP */
	write_file("/proc/sys/kernel/printk", "1");
	print_ktap();
	dump_kernel_log();
	fflush(stdout);
	sync();
	reboot(RB_POWER_OFF);
	return 0;
}
