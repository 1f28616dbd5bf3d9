#!/usr/bin/env python3
"""Tests of harness/ism/report.py on made-up logs: a sound run of each
kernel passes, and each way a run can be broken fails the test it should.
Run by harness/ism/run.sh before the boots: python3 -m unittest."""
import json
import os
import subprocess
import sys
import tempfile
import unittest

REPORT = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'report.py')
PAGES = 8


def rpcit(start, pages, glob=0, made=0, gone=0, held=0, error=0):
    return ('s390_pci_rpcit zPCI fid 0x2: RPCIT 0x%x+0x%x global %d made %d '
            'gone %d held %d error 0x%x\n' %
            (start, pages * 4096, glob, made, gone, held, error))


def fill(iova):
    return ('s390_pci_iotlb_fill zPCI fid 0x2: IOTLB miss at 0x%x filled '
            'from the guest\'s tables\n' % iova)


def series_trace(rounds=2.5):
    """One fill and one unmap RPCIT per map, round a range of PAGES pages."""
    out, base = [], 0x100000000
    for i in range(int(rounds * (PAGES - 1))):
        iova = base + 4096 * (1 + i % (PAGES - 1))
        out += [fill(iova), rpcit(iova, 1, gone=1)]
    return out, int(rounds * (PAGES - 1))


VFIO = 64


def vfio_trace(after_map):
    """VFIO's maps (with or without a refresh each) and unmaps."""
    out = []
    for i in range(VFIO):
        if after_map:
            out.append(rpcit(0x100000000 + 4096 * i, 1, made=1))
    for i in range(VFIO):
        out.append(rpcit(0x100000000 + 4096 * i, 1))
    return out


IN_USE = 's390_pci_ism_in_use zPCI fid 0x2: x\n'


def base_failure_trace(after_map):
    """VFIO's maps, the DMA API round the range, then the global refresh
    over the page still in use that the model refuses."""
    trace = vfio_trace(after_map)
    trace += [fill(0x100000000 + 4096 * i) for i in range(1, PAGES)]
    trace += [IN_USE, rpcit(0x100000000, PAGES, glob=1, held=1, error=0xc)]
    return trace


def console(reads='ok', maps=0, unmapped=0, events=0, end=True, extra=(),
            series_counters=None, vfio=(VFIO, VFIO)):
    lines = ['ism: function 0003:00:00.0 pft 0x05',
             'ism: vfio maps %d unmaps %d at 0x100000000' % vfio,
             'ism: reads %s' % reads,
             'ism: stat Mapped pages: %d' % maps,
             'ism: stat Unmapped pages: %d' % unmapped]
    for k, v in (series_counters or {}).items():
        lines.append('ism: stat %s: %d' % (k, v))
    lines += list(extra)
    lines.append('ism: error events %d' % events)
    if end:
        lines.append('### ism end')
    return '\n'.join(lines) + '\n'


class ReportTest(unittest.TestCase):
    def run_report(self, kernel, console_text, trace_lines):
        d = tempfile.mkdtemp()
        os.makedirs(os.path.join(d, kernel))
        with open(os.path.join(d, kernel, 'console.log'), 'w') as f:
            f.write(console_text)
        if trace_lines is not None:
            with open(os.path.join(d, kernel, 'qemu-trace.log'), 'w') as f:
                f.writelines(trace_lines)
        p = subprocess.run([sys.executable, REPORT, d, kernel],
                           capture_output=True, text=True)
        with open(os.path.join(d, 'summary.json')) as f:
            s = json.load(f)
        failed = {r['name'].split('.', 1)[1] for r in s['results']
                  if r['status'] == 'FAIL'}
        return p.returncode, failed, p.stdout

    def healthy_series(self, **kw):
        trace, n = series_trace()
        trace = vfio_trace(False) + trace
        args = dict(maps=n + 1, unmapped=n,
                    series_counters={'Global RPCITs': 0, 'Sync Map RPCITs': 0,
                                     'Sync RPCITs': n})
        args.update(kw)
        return console(**args), trace

    def test_sound_series_passes(self):
        rc, failed, out = self.run_report('series', *self.healthy_series())
        self.assertEqual((rc, failed), (0, set()), out)
        self.assertIn('ism series: maps 18, wraps 2, error events 0, global '
                      'RPCITs 0, RPCITs after map 0, RPCITs per unmap 1.00', out)

    def test_vfio_unmap_without_refresh_fails(self):
        c, trace = self.healthy_series()
        rc, failed, _ = self.run_report('series', c, trace[1:])
        self.assertEqual((rc, failed), (1, {'one_rpcit_per_unmap'}))

    def test_vfio_probe_unmaps_before_the_dma_api_pass(self):
        c, trace = self.healthy_series()
        probe = [rpcit(0x100000000, 1), rpcit(0x100001000, 1)]
        rc, failed, out = self.run_report('series', c, probe + trace)
        self.assertEqual((rc, failed), (0, set()), out)

    def test_driver_bound_at_boot_counts_before_the_vfio_phase(self):
        # a built-in virtio-rng (6.12) maps and unmaps at boot, before
        # the VFIO phase: neither VFIO's unmaps nor the DMA API's
        c, trace = self.healthy_series()
        top = 0x100000000 + 4096 * (PAGES - 1)
        boot = [fill(top), rpcit(top, 1, gone=1)]
        rc, failed, out = self.run_report('series', c, boot + trace)
        self.assertEqual((rc, failed), (0, set()), out)

    def test_dma_api_unmap_counted_as_vfio_fails(self):
        # without VFIO's last unmap refresh, the DMA API's unmaps up to
        # its first refresh of that page would be taken for VFIO's
        c, trace = self.healthy_series()
        rc, failed, _ = self.run_report('series', c,
                                        trace[:VFIO - 1] + trace[VFIO:])
        self.assertEqual((rc, failed), (1, {'one_rpcit_per_unmap'}))

    def test_sound_base_failure_passes(self):
        c = console(reads='stopped', maps=PAGES - 1, events=1)
        rc, failed, out = self.run_report('base', c, base_failure_trace(True))
        self.assertEqual((rc, failed), (0, set()), out)

    def test_base_that_keeps_reading_fails(self):
        trace, n = series_trace()
        rc, failed, _ = self.run_report(
            'base', console(maps=n, unmapped=n), vfio_trace(True) + trace)
        self.assertEqual(rc, 1)
        self.assertEqual(failed, {'error_event_at_the_first_wrap', 'reads_stop'})

    def test_base_without_refresh_after_vfio_map_fails(self):
        c = console(reads='stopped', maps=PAGES - 1, events=1)
        rc, failed, _ = self.run_report('base', c, base_failure_trace(False))
        self.assertEqual((rc, failed), (1, {'rpcit_after_every_vfio_map'}))

    def test_vfio_phase_that_failed_fails(self):
        c, trace = self.healthy_series(vfio=(VFIO, 3))
        rc, failed, _ = self.run_report('series', c, trace)
        self.assertEqual(rc, 1)
        self.assertIn('vfio_maps_and_unmaps_each_page', failed)

    def test_series_error_event_fails(self):
        c, trace = self.healthy_series(events=1)
        trace.append(IN_USE)
        rc, failed, _ = self.run_report('series', c, trace)
        self.assertEqual(rc, 1)
        self.assertIn('no_error_event', failed)

    def test_series_global_refresh_fails(self):
        c, trace = self.healthy_series()
        trace.append(rpcit(0x100000000, PAGES, glob=1))
        rc, failed, _ = self.run_report('series', c, trace)
        self.assertEqual((rc, failed), (1, {'no_global_rpcit'}))

    def test_series_refresh_after_vfio_map_fails(self):
        c, trace = self.healthy_series()
        trace = vfio_trace(True) + trace[VFIO:]
        rc, failed, _ = self.run_report('series', c, trace)
        self.assertEqual((rc, failed), (1, {'no_rpcit_after_map'}))

    def test_series_unmap_without_refresh_fails(self):
        c, trace = self.healthy_series()
        rc, failed, _ = self.run_report('series', c, trace[:-1])
        self.assertEqual((rc, failed), (1, {'one_rpcit_per_unmap'}))

    def test_series_that_stops_reading_fails(self):
        c, trace = self.healthy_series(reads='stopped')
        rc, failed, _ = self.run_report('series', c, trace)
        self.assertEqual((rc, failed), (1, {'reads_go_on_after_two_wraps'}))

    def test_one_wrap_is_not_enough(self):
        trace, n = series_trace(rounds=1.5)
        trace = vfio_trace(False) + trace
        c = console(maps=n + 1, unmapped=n)
        rc, failed, _ = self.run_report('series', c, trace)
        self.assertEqual((rc, failed), (1, {'reads_go_on_after_two_wraps'}))

    def test_splat_fails(self):
        c, trace = self.healthy_series(
            extra=['WARNING: CPU: 0 PID: 1 at drivers/iommu/s390-iommu.c:1'])
        rc, failed, _ = self.run_report('series', c, trace)
        self.assertEqual((rc, failed), (1, {'no_kernel_splat'}))

    def test_guest_that_did_not_end_fails_everything(self):
        c, trace = self.healthy_series(end=False)
        rc, failed, _ = self.run_report('series', c, trace)
        self.assertEqual(rc, 1)
        self.assertIn('guest_ran_to_its_end', failed)
        self.assertIn('no_error_event', failed)

    def test_missing_trace_fails(self):
        c, _ = self.healthy_series()
        rc, failed, _ = self.run_report('series', c, None)
        self.assertEqual(rc, 1)
        self.assertIn('guest_ran_to_its_end', failed)

    def test_no_logs_at_all_fails(self):
        d = tempfile.mkdtemp()
        p = subprocess.run([sys.executable, REPORT, d, 'series'],
                           capture_output=True, text=True)
        self.assertEqual(p.returncode, 1)
        self.assertIn('ism: 0 passed', p.stdout)


if __name__ == '__main__':
    unittest.main()
