# SPDX-License-Identifier: GPL-2.0
"""pytest for harness/core/report.py: each console log of fixtures/report/ is
a run, good or broken in one way; report.py must pass the good ones and
fail each broken one for its reason, counting one failure per check.

The logs are small and made by hand; plain-*.log are judged with
plain.config (a kernel without debug detectors), debug-*.log with
debug.config (kmemleak, hung task and lockup detectors). kunit.py's parser
comes from the kernel tree in $REPORT_TREE (make test: build/linux).

    REPORT_TREE=build/linux /usr/bin/python3 -m pytest harness/core/test_report.py
"""
import json
import os
import subprocess
import sys

import pytest

HARNESS = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HARNESS, 'fixtures', 'report')
TREE = os.environ.get('REPORT_TREE',
                      os.path.join(HARNESS, '..', '..', 'build', 'linux'))

# fixture: (exit status, failed count, text that a problem or a failing
# result must contain; None for a pass)
CASES = {
    'plain-good.log': (0, 0, None),
    'plain-expected-error-event.log': (0, 0, None),
    'plain-late-expected-error-event.log': (0, 0, None),
    'debug-good.log': (0, 0, None),
    'plain-program-crashed.log': (1, 1, 'guest: prog reported "not ok"'),
    'plain-suite-not-ok.log': (1, 1, 'kunit: demo reported "not ok"'),
    'plain-guest-not-ended.log': (1, 3, 'no "### guest tests end" line'),
    'plain-no-kernel-log.log': (1, 4, 'no "### kernel log" line'),
    'plain-kernel-log-cut.log': (1, 1, 'no "### kernel log end" line'),
    'plain-warn-after-kernel-log.log': (1, 1, 'console after the kernel log: WARNING: CPU'),
    'plain-warn-in-boot-console-only.log': (1, 1, 'boot console: WARNING: CPU'),
    'plain-warn-twice.log': (1, 1, 'kernel log: WARNING: CPU'),
    'plain-rcu-stall.log': (1, 1, 'self-detected stall'),
    'plain-error-event.log': (1, 1, 'reports an error for PCI function'),
    'debug-kmemleak-not-run.log': (1, 1, 'the kmemleak scan did not run'),
    'debug-kmemleak-scan-failed.log': (1, 1, 'the kmemleak scan did not run'),
    'debug-leak.log': (1, 1, 'unreferenced object'),
    'debug-hung-task.log': (1, 1, 'blocked for more than'),
    'debug-soft-lockup.log': (1, 2, 'soft lockup - CPU'),
}


def run_report(fixture, tmp_path):
    config = fixture.split('-', 1)[0] + '.config'
    env = dict(os.environ, KUNIT_EXPECTED='1',
               MANIFEST=os.path.join(FIXTURES, 'manifest'))
    res = subprocess.run([sys.executable, os.path.join(HARNESS, 'report.py'),
                          os.path.join(FIXTURES, fixture), str(tmp_path), TREE,
                          os.path.join(FIXTURES, config)],
                         env=env, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True)
    with open(tmp_path / 'summary.json') as f:
        return res, json.load(f)


def test_every_fixture_has_a_case():
    logs = sorted(f for f in os.listdir(FIXTURES) if f.endswith('.log'))
    assert logs == sorted(CASES)


def test_the_tree_has_kunit_py():
    assert os.path.exists(os.path.join(TREE, 'tools/testing/kunit/kunit.py')), \
        'no kernel tree at %s (set REPORT_TREE)' % TREE


@pytest.mark.parametrize('fixture', sorted(CASES))
def test_report(fixture, tmp_path):
    status, failed, text = CASES[fixture]
    res, summary = run_report(fixture, tmp_path)
    assert res.returncode == status, res.stdout
    assert summary['failed'] == failed, res.stdout
    if text is None:
        assert not summary['problems'], res.stdout
        assert summary['passed'] > 0
        return
    failing = [r['name'] for r in summary['results'] if r['status'] == 'FAIL']
    assert any(text in p for p in summary['problems'] + failing), res.stdout
