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
tests to expect, instead of harness/manifest.

Every test that harness/manifest expects of this tree must be there and
pass: a missing, skipped or unlisted test fails. A scan of the kernel log
for a kind of report counts as a check only where the kernel has the
detector that makes such reports (KASAN, lockdep, kmemleak); a report
fails whatever the kernel. A warning is allowed only inside the output of
the test that harness/expected-warnings names for it, and that test must
have made it.
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
    ('no zPCI error event', r'reports an error for PCI function', None),
]
HARNESS = os.path.dirname(os.path.abspath(__file__))


def section(lines, begin, end):
    out, inside = [], False
    for line in lines:
        if line.startswith(begin):
            inside = True
            continue
        if line.startswith(end):
            break
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
    """The tests this tree must report: harness/manifest, for the suites
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
    results, problems = [], []
    for name, part in (('kunit', boot),
                       ('guest', section(lines, '### guest tests begin',
                                         '### guest tests end'))):
        cases, errors = parse(tree, name, part, outdir)
        if name == 'kunit' and os.environ.get('KUNIT_EXPECTED') == '0':
            errors = []             # the base has no suites of ours
        elif not cases:
            problems.append('%s: no test results' % name)
        problems.extend(errors)
        results.extend((name + ':' + n, s) for n, s in cases)

    # Every expected test there, none skipped, none unlisted
    want = manifest(tree)
    got = dict(results)
    for n in want:
        if n not in got:
            problems.append('missing: %s' % n)
        elif got[n] == 'SKIP':
            problems.append('skipped: %s' % n)
    for n in got:
        if n not in want:
            problems.append('not in harness/manifest: %s' % n)

    klog = ''.join(section(lines, '### kernel log', '### kernel log end'))
    klog = re.sub(r'(?m)^<\d>', '', klog)
    klog, warn_problems, made = check_warnings(klog)
    problems.extend(warn_problems)
    for t in sorted(made):
        results.append(('kernel-log:the expected warning of ' + t, 'PASS'))
    # A test that provokes a zPCI error event on purpose says so first.
    before_expected_error = klog.split('an error event is expected')[0]
    options = kernel_config(config)
    for title, pattern, detectors in SPLATS:
        m = re.search(pattern, before_expected_error
                      if title == 'no zPCI error event' else klog)
        if m:
            results.append(('kernel-log:' + title, 'FAIL'))
            start = klog.rfind('\n', 0, m.start()) + 1
            problems.append('kernel log: %s' % klog[start:klog.find('\n', m.end())])
        elif detectors is None or options & set(detectors):
            results.append(('kernel-log:' + title, 'PASS'))

    passed = sum(1 for _, s in results if s == 'PASS')
    skipped = sum(1 for _, s in results if s == 'SKIP')
    failed = len(results) - passed - skipped + len(problems)
    for n, s in results:
        if s not in ('PASS', 'SKIP'):
            print('  %s %s' % (s, n))
    for p in problems:
        print('  PROBLEM %s' % p)
    with open(os.path.join(outdir, 'summary.json'), 'w') as f:
        json.dump({'results': [{'name': n, 'status': s} for n, s in results],
                   'problems': problems, 'passed': passed,
                   'failed': failed, 'skipped': skipped}, f, indent=1)
    print('guest: %d passed, %d failed, %d skipped (console log: %s)'
          % (passed, failed, skipped, console))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
