#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turn one guest console log into results.

The log holds the kernel's boot output with the KUnit KTAP, then the
guest's KTAP between '### guest tests begin/end', then the kernel log.
Both KTAP streams are parsed by the kernel's own kunit.py parser; the
kernel log is scanned for splats. Writes <dir>/{kunit,guest}.{log,json}
and <dir>/summary.json, prints one line per failure and the counts.

usage: report.py CONSOLE_LOG RESULTS_DIR KERNEL_TREE KERNEL_CONFIG
KUNIT_EXPECTED=0 in the environment: the kernel has no KUnit suite of the
series (the base, a distribution config), so no KUnit results is no error
and the manifest's [kunit] sections expect nothing. MANIFEST=FILE: the
tests to expect, instead of harness/core/manifest.

Every test that harness/core/manifest expects of this tree must be there and
pass: a missing, skipped or unlisted test fails, and so does a suite or
program whose own result is "not ok" (a crash, a timeout or a non-zero
exit after its tests passed). The log must be whole: the guest's end, a
kernel log section and its end. The scans for splats read the kernel log
section and the console outside the guest's tests (the boot, and what
follows the kernel log); a scan counts as a check only where the kernel
has the detector that makes such reports (KASAN, lockdep, kmemleak, the
hung task and soft lockup detectors); a report fails whatever the kernel.
On a kernel with kmemleak, its scan must have run. A warning is allowed
only inside the output of the test that harness/core/expected-warnings names
for it, and that test must have made it. "failed" counts checks: a failed
scan is one failure, however many reports it found.
"""
import json
import os
import re
import subprocess
import sys

# title, pattern, the config options of which one must be set for the
# kernel to make such reports at all (None: any kernel can)
SPLATS = [
    ('no WARN', r'WARNING: CPU', None),
    ('no BUG', r'\bBUG: ', None),
    ('no Oops or panic', r'Oops|Kernel panic|kernel BUG at', None),
    ('no KASAN/UBSAN report', r'KASAN: |UBSAN: ', ('CONFIG_KASAN', 'CONFIG_UBSAN')),
    ('no lockdep report', r'possible circular locking|possible recursive locking|'
     r'inconsistent lock state|suspicious RCU usage|BUG: sleeping function',
     ('CONFIG_PROVE_LOCKING', 'CONFIG_DEBUG_ATOMIC_SLEEP')),
    ('no memory leak', r'unreferenced object', ('CONFIG_DEBUG_KMEMLEAK',)),
    ('no RCU stall', r'rcu: INFO: \w+ (self-)?detected stalls?|'
     r'rcu_\w+ (self-)?detected stalls?', ('CONFIG_RCU_STALL_COMMON',)),
    ('no hung task', r'INFO: task \S+ blocked for more than',
     ('CONFIG_DETECT_HUNG_TASK',)),
    ('no soft or hard lockup', r'soft lockup - CPU|[Hh]ard LOCKUP',
     ('CONFIG_SOFTLOCKUP_DETECTOR', 'CONFIG_HARDLOCKUP_DETECTOR')),
    ('no zPCI error event', r'reports an error for PCI function', None),
]
HARNESS = os.path.dirname(os.path.abspath(__file__))
# What init prints once kmemleak has scanned (harness/guest/init.c)
KMEMLEAK_SCANNED = re.compile(r'^# init: kmemleak scan: \d+ suspected leaks$', re.M)
# A suite's or a program's own result: a top-level KTAP line
TOP_RESULT = re.compile(r'^(?:\[[\s\d.]+\] )?(not )?ok \d+ (\S+)')


def section(lines, begin, end):
    """The lines between the line BEGIN and the line END ("### kernel
    log" must not take "### kernel log end" for itself)."""
    out, inside = [], False
    for line in lines:
        if line.rstrip('\n') == end and inside:
            break
        if line.rstrip('\n') == begin:
            inside = True
            continue
        if inside:
            out.append(line)
    return out


def parse(tree, name, lines, outdir):
    log = os.path.join(outdir, name + '.log')
    js = os.path.join(outdir, name + '.json')
    with open(log, 'w') as f:
        f.writelines(lines)
    if os.path.exists(js):
        os.unlink(js)
    kunit = os.path.join(tree, 'tools/testing/kunit/kunit.py')
    res = subprocess.run([sys.executable, kunit, 'parse', '--json=' + js, log],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         text=True)
    with open(os.path.join(outdir, name + '.parsed'), 'w') as f:
        f.write(res.stdout)
    errors = [l for l in res.stdout.splitlines() if '[ERROR]' in l]
    if not os.path.exists(js):
        return [], ['%s: kunit.py parse wrote no results' % name] + errors
    with open(js) as f:
        return leaves(json.load(f), []), errors


def leaves(group, path):
    out = []
    name = group.get('name', '')
    here = path + ([name] if name and name != 'KUnit Test Group' else [])
    for case in group.get('test_cases', []):
        out.append(('.'.join(here + [case['name']]), case['status']))
    for sub in group.get('sub_groups', []):
        out.extend(leaves(sub, here))
    return out


def kernel_config(path):
    """The options set (=y or =m) in a kernel .config."""
    try:
        with open(path) as f:
            return {l.split('=')[0] for l in f if re.match(r'CONFIG_\w+=[ym]', l)}
    except OSError:
        return set()


def expected_warnings():
    """(test, regex) of each warning a test provokes on purpose."""
    out = []
    with open(os.path.join(HARNESS, 'expected-warnings')) as f:
        for l in f:
            if l.strip() and not l.startswith('#'):
                test, regex = l.split(None, 1)
                out.append((test, re.compile(regex.strip())))
    return out


def check_warnings(klog):
    """The kernel log without the warnings that tests made on purpose, the
    problems (a warning outside its test, an expected one that its test,
    which ran, did not make) and the tests that made theirs.

    In the log each KUnit case ends with its "ok N name" line, indented
    by 4 spaces under its suite's "# Subtest: suite" line, so a warning
    belongs to the first case that ends after it."""
    lines = klog.split('\n')
    owner, ended, suite, pending = {}, set(), None, []
    for i, l in enumerate(lines):
        m = re.match(r'^    # Subtest: (\S+)', l)
        if m:
            suite = m.group(1)
        if 'WARNING: CPU' in l:
            pending.append(i)
        m = re.match(r'^    (?:not )?ok \d+ (\S+)', l)
        if m and suite:
            case = '%s.%s' % (suite, m.group(1))
            ended.add(case)
            for j in pending:
                owner[j] = case
            pending = []
    allowed, made, kept = expected_warnings(), set(), []
    for i, l in enumerate(lines):
        hit = [t for t, r in allowed if 'WARNING: CPU' in l and
               r.search(l) and owner.get(i) == t]
        if hit:
            made.add(hit[0])
        else:
            kept.append(l)
    problems = ['%s ran but did not make its expected warning' % t
                for t, _ in allowed if t in ended and t not in made]
    return '\n'.join(kept), problems, made


def manifest(tree):
    """The tests this tree must report: harness/core/manifest, for the suites
    and selftest programs the tree has. Its sections: "[kunit SUITE]",
    expected where a test file of the tree defines the suite, "[guest
    PROGRAM]", where tools/testing/selftests/iommu/PROGRAM.c exists, and
    "[always]"; each line below one is a test as summary.json names it.
    With KUNIT_EXPECTED=0 the kernel runs no KUnit, whatever the tree has."""
    want, on = [], False
    kunit = os.environ.get('KUNIT_EXPECTED') != '0'
    path = os.environ.get('MANIFEST', os.path.join(HARNESS, 'manifest'))
    with open(path) as f:
        for l in f:
            l = l.rstrip('\n')
            if not l or l.startswith('#'):
                continue
            m = re.match(r'^\[(kunit|guest|always)\s*(\S*)\]$', l)
            if m:
                on = m.group(1) == 'always' or (
                    (m.group(1) != 'kunit' or kunit) and
                    has_tests(tree, m.group(1), m.group(2)))
            elif on:
                want.append(l.strip())
    return want


def has_tests(tree, kind, name):
    if kind == 'guest':
        return os.path.exists(os.path.join(
            tree, 'tools/testing/selftests/iommu', name + '.c'))
    res = subprocess.run(['grep', '-rlF', '--include=*.c', '.name = "%s",' % name,
                          os.path.join(tree, 'drivers/iommu'),
                          os.path.join(tree, 'drivers/vfio'),
                          os.path.join(tree, 'arch/s390/pci')],
                         stdout=subprocess.PIPE, text=True)
    return bool(res.stdout.strip())


def top_level_failures(name, part, results):
    """Suites or programs whose own line says "not ok" although none of
    their cases failed: a crash, a timeout, a non-zero exit status."""
    out = []
    for line in part:
        m = TOP_RESULT.match(line)
        if not m or not m.group(1):
            continue
        top = '%s:%s' % (name, m.group(2))
        if not any(n == top or (n.startswith(top + '.') and s == 'FAIL')
                   for n, s in results):
            out.append('%s: %s reported "not ok" after its tests (crash, '
                       'timeout or exit status)' % (name, m.group(2)))
    return out


def whole_log(lines):
    """What a console log that ended as it should lacks."""
    marks = [l.rstrip('\n') for l in lines if l.startswith('### ')]
    out = []
    for mark in ('### guest tests begin', '### guest tests end',
                 '### kernel log', '### kernel log end'):
        if mark not in marks:
            out.append('the console log has no "%s" line: the guest did not '
                       'end its run' % mark)
    return out


def scan_splats(texts, options, results, problems):
    """One check per kind of splat over all TEXTS (name, text, the part of
    it where a zPCI error event is not expected)."""
    for title, pattern, detectors in SPLATS:
        found = None
        for where, text, unexpected in texts:
            m = re.search(pattern, unexpected if title == 'no zPCI error event'
                          else text)
            if m:
                start = text.rfind('\n', 0, m.start()) + 1
                end = text.find('\n', m.end())
                found = '%s: %s' % (where, text[start:end if end >= 0 else None])
                break
        if found:
            results.append(('kernel-log:' + title, 'FAIL'))
            problems.append(('detail', found))
        elif title == 'no memory leak' and 'CONFIG_DEBUG_KMEMLEAK' in options \
                and not KMEMLEAK_SCANNED.search(texts[0][1]):
            results.append(('kernel-log:' + title, 'FAIL'))
            problems.append(('detail', 'kernel log: the kmemleak scan did not run'))
        elif detectors is None or options & set(detectors):
            results.append(('kernel-log:' + title, 'PASS'))


def main():
    console, outdir, tree, config = (os.path.abspath(a) for a in sys.argv[1:5])
    with open(console, errors='replace') as f:
        lines = f.readlines()
    os.makedirs(outdir, exist_ok=True)

    boot = []
    for line in lines:
        if line.startswith('### guest tests begin'):
            break
        boot.append(line)
    guest = section(lines, '### guest tests begin', '### guest tests end')
    # problems: ('count', text) fails on its own; ('detail', text) says
    # why a result failed, which counts already
    results, problems = [], [('count', p) for p in whole_log(lines)]
    for name, part in (('kunit', boot), ('guest', guest)):
        cases, errors = parse(tree, name, part, outdir)
        if name == 'kunit' and os.environ.get('KUNIT_EXPECTED') == '0':
            errors = []             # the base has no suites of ours
        elif not cases:
            problems.append(('count', '%s: no test results' % name))
        problems.extend(('count', e) for e in errors)
        cases = [(name + ':' + n, s) for n, s in cases]
        problems.extend(('count', p) for p in top_level_failures(name, part, cases))
        results.extend(cases)

    # Every expected test there, none skipped, none unlisted
    want = manifest(tree)
    got = dict(results)
    for n in want:
        if n not in got:
            problems.append(('count', 'missing: %s' % n))
        elif got[n] == 'SKIP':
            problems.append(('count', 'skipped: %s' % n))
    for n in got:
        if n not in want:
            problems.append(('count', 'not in harness/core/manifest: %s' % n))

    klog = ''.join(section(lines, '### kernel log', '### kernel log end'))
    klog = re.sub(r'(?m)^<\d+>', '', klog)
    klog, warn_problems, made = check_warnings(klog)
    # The console outside the guest's tests and the kernel log: the boot
    # (its KUnit warnings are judged as in the kernel log) and what came
    # after the last of the guest's marks (power-off, or all that followed
    # where the guest stopped short)
    tail = []
    for line in reversed(lines):
        if line.rstrip('\n') in ('### kernel log end', '### guest tests end',
                                  '### guest tests begin'):
            break
        tail.insert(0, line)
    if len(tail) == len(lines):
        tail = []
    bootlog, boot_problems, boot_made = check_warnings(''.join(boot))
    made |= boot_made
    # an expected warning made where either log shows it is made
    problems.extend(('count', p) for p in sorted(set(warn_problems + boot_problems))
                    if p.split(' ran but', 1)[0] not in made)
    for t in sorted(made):
        results.append(('kernel-log:the expected warning of ' + t, 'PASS'))
    # A test that provokes a zPCI error event on purpose says so first.
    before_expected_error = klog.split('an error event is expected')[0]
    tailtext = ''.join(tail)
    # an error event announced in the kernel log may be reported after it
    late_events = '' if before_expected_error != klog else tailtext
    scan_splats([('kernel log', klog, before_expected_error),
                 ('boot console', bootlog, bootlog),
                 ('console after the kernel log', tailtext, late_events)],
                kernel_config(config), results, problems)

    passed = sum(1 for _, s in results if s == 'PASS')
    skipped = sum(1 for _, s in results if s == 'SKIP')
    failed = len(results) - passed - skipped + \
        sum(1 for kind, _ in problems if kind == 'count')
    for n, s in results:
        if s not in ('PASS', 'SKIP'):
            print('  %s %s' % (s, n))
    for _, p in problems:
        print('  PROBLEM %s' % p)
    with open(os.path.join(outdir, 'summary.json'), 'w') as f:
        json.dump({'results': [{'name': n, 'status': s} for n, s in results],
                   'problems': [p for _, p in problems], 'passed': passed,
                   'failed': failed, 'skipped': skipped}, f, indent=1)
    print('guest: %d passed, %d failed, %d skipped (console log: %s)'
          % (passed, failed, skipped, console))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
