#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turn one guest console log into results.

The log holds the kernel's boot output with the KUnit KTAP, then the
guest's KTAP between '### guest tests begin/end', then the kernel log.
Both KTAP streams are parsed by the kernel's own kunit.py parser; the
kernel log is scanned for splats. Writes <dir>/{kunit,guest}.{log,json}
and <dir>/summary.json, prints one line per failure and the counts.

usage: report.py CONSOLE_LOG RESULTS_DIR KERNEL_TREE
KUNIT_EXPECTED=0 in the environment: the tree has no KUnit suite of the
series (the base), so no KUnit results is no error.
"""
import json
import os
import re
import subprocess
import sys

SPLATS = [
    ('no WARN', r'WARNING: CPU'),
    ('no BUG', r'\bBUG: '),
    ('no Oops or panic', r'Oops|Kernel panic|kernel BUG at'),
    ('no KASAN/UBSAN report', r'KASAN: |UBSAN: '),
    ('no lockdep report', r'possible circular locking|possible recursive locking|'
     r'inconsistent lock state|suspicious RCU usage|BUG: sleeping function'),
    ('no memory leak', r'unreferenced object'),
    ('no zPCI error event', r'reports an error for PCI function'),
]


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


def expected_warnings():
    """Regexes of the warnings that tests provoke on purpose."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                        'expected-warnings')
    with open(path) as f:
        return [re.compile(l.strip()) for l in f
                if l.strip() and not l.startswith('#')]


def drop_expected_warnings(klog):
    """The kernel log without the WARNING lines that tests expect."""
    allowed = expected_warnings()
    return '\n'.join(l for l in klog.split('\n')
                     if 'WARNING: CPU' not in l
                     or not any(r.search(l) for r in allowed))


def main():
    console, outdir, tree = (os.path.abspath(a) for a in sys.argv[1:4])
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

    klog = ''.join(section(lines, '### kernel log', '### kernel log end'))
    klog = drop_expected_warnings(klog)
    # A test that provokes a zPCI error event on purpose says so first.
    before_expected_error = klog.split('an error event is expected')[0]
    for title, pattern in SPLATS:
        m = re.search(pattern, before_expected_error
                      if title == 'no zPCI error event' else klog)
        results.append(('kernel-log:' + title, 'FAIL' if m else 'PASS'))
        if m:
            start = klog.rfind('\n', 0, m.start()) + 1
            problems.append('kernel log: %s' % klog[start:klog.find('\n', m.end())])

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
