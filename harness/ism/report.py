#!/usr/bin/env python3
"""Read the ISM boots of harness/ism/run.sh and judge them.

usage: report.py RESULTS_DIR KERNEL...

For each KERNEL, RESULTS_DIR/KERNEL/console.log is what the guest
(harness/guest/ism.c) printed and RESULTS_DIR/KERNEL/qemu-trace.log is the
trace of the model (harness/qemu/): s390_pci_iotlb_fill for each new
translation the function found on a miss (refresh=off), s390_pci_rpcit for each refresh
with what it found, s390_pci_ism_in_use for each time the ISM rule fired.
Prints one line per kernel,

  ism KERNEL: maps N, wraps N, error events N, global RPCITs N, RPCITs after map N, RPCITs per unmap X.XX

then one "ok"/"FAILED" line per test, and writes RESULTS_DIR/summary.json
and the last line "ism: N passed, N failed". A kernel without its logs, or
whose guest did not reach its end, fails every test it has.

maps and the unmapped pages are the guest's own counters (debugfs
statistics of the function, all kernels have them, from the enable by
virtio-pci on: the VFIO phase before is counted by QEMU and the guest's
own line); QEMU's unmap RPCITs up to the one that refreshes the last page
VFIO unmapped are VFIO's (with those of a driver built into the kernel,
which binds at boot, before the VFIO phase), those after it the DMA
API's; error events are the model's ISM errors (each reported to the guest as an error event,
which the tests also look for in the guest's kernel log); the RPCITs are
QEMU's count. A wrap is the IOVA of a new
translation falling back by more than half the range it covers: of the translations the function found itself, or
where it found none (refresh=on), of the ranges refreshed after a map.
"""
import json
import os
import re
import sys

RPCIT = re.compile(r's390_pci_rpcit .*RPCIT (0x[0-9a-f]+)\+(0x[0-9a-f]+) '
                   r'global (\d) made (\d+) gone (\d+) held (\d+) error (0x[0-9a-f]+)')
FILL = re.compile(r's390_pci_iotlb_fill .*miss at (0x[0-9a-f]+)')
IN_USE = re.compile(r's390_pci_ism_in_use ')
GUEST = re.compile(r'^ism: (.*)$')
VFIO_PAGES = 64			# what harness/guest/ism.c maps through VFIO
SPLAT = re.compile(r'WARNING: CPU|\bBUG:|Oops|Kernel panic|RCU stall|'
                   r'soft lockup|blocked for more than')


def read_guest(path):
    g = {'stats': {}, 'pft': None, 'reads': None, 'events': None,
         'end': False, 'splats': [], 'vfio': None, 'vfio_iova': None}
    try:
        lines = open(path, errors='replace').read().splitlines()
    except OSError:
        return g
    for line in lines:
        line = line.strip()
        if SPLAT.search(line):
            g['splats'].append(line)
        if line == '### ism end':
            g['end'] = True
        m = GUEST.match(line)
        if not m:
            continue
        what = m.group(1)
        if what.startswith('stat '):
            k, _, v = what[5:].rpartition(': ')
            g['stats'][k] = int(v)
        elif what.startswith('vfio maps '):
            w = what.split()	# vfio maps N unmaps N at IOVA
            g['vfio'] = (int(w[2]), int(w[4]))
            g['vfio_iova'] = int(w[6], 16) if len(w) > 6 else None
        elif what.startswith('reads '):
            g['reads'] = what[6:]
        elif what.startswith('error events '):
            g['events'] = int(what.split()[-1])
        elif what.startswith('function ') and ' pft ' in what:
            pft = what.split(' pft ')[1]
            if g['pft'] is None or pft == '0x05':
                g['pft'] = pft
    return g


def read_trace(path, vfio_last=None, fid=None):
    """QEMU's trace (of function fid only, if given); unmap RPCITs up to
    the first one that covers vfio_last (the last page of the VFIO phase)
    are "early_unmap"."""
    in_vfio = vfio_last is not None
    t = {'global': 0, 'after_map': 0, 'unmap': 0, 'early_unmap': 0, 'in_use': 0,
         'new': [], 'fills': [], 'first_global_error': None, 'global_pages': None,
         'made': 0, 'errors': 0, 'ok': False}
    mark = None if fid is None else 'zPCI fid 0x%x: ' % fid
    try:
        f = open(path, errors='replace')
    except OSError:
        return t
    t['ok'] = True
    for line in f:
        if mark and mark not in line:
            continue
        m = RPCIT.search(line)
        if m:
            start, length = int(m.group(1), 16), int(m.group(2), 16)
            glob, made = int(m.group(3)), int(m.group(4))
            error = int(m.group(7), 16)
            t['made'] += made > 0	# refreshes that found new translations
            t['errors'] += error != 0
            if glob:
                if t['global'] == 0:
                    t['first_global_error'] = error
                    t['global_pages'] = length // 4096
                t['global'] += 1
            elif made:
                t['after_map'] += 1
                t['new'].append(start)
            elif in_vfio:
                t['early_unmap'] += 1
                in_vfio = not start <= vfio_last < start + length
            else:
                t['unmap'] += 1
            continue
        m = FILL.search(line)
        if m:
            t['fills'].append(int(m.group(1), 16))
            continue
        if IN_USE.search(line):
            t['in_use'] += 1
    return t


def wraps(iovas):
    if len(iovas) < 2:
        return 0
    half = (max(iovas) - min(iovas)) // 2
    return sum(1 for a, b in zip(iovas, iovas[1:]) if b < a - half)


def judge(kernel, g, t):
    """The tests of one kernel: [(name, passed, why)]."""
    maps = g['stats'].get('Mapped pages', 0)
    vfio_maps, vfio_unmaps = g['vfio'] or (0, 0)
    unmaps = g['stats'].get('Unmapped pages', 0)	# one page each
    # the device's own new translations (refresh=off), else the refreshed
    w = wraps(t['fills'] or t['new'])
    events = g['events'] if g['events'] is not None else -1
    per_unmap = t['unmap'] / unmaps if unmaps else 0.0
    print('ism %s: maps %d, wraps %d, error events %d, global RPCITs %d, '
          'RPCITs after map %d, RPCITs per unmap %.2f' %
          (kernel, maps, w, t['in_use'], t['global'], t['after_map'],
           per_unmap))
    ran = g['end'] and t['ok'] and g['events'] is not None
    tests = [('guest_ran_to_its_end', ran, 'no "### ism end" or no trace')]
    tests.append(('function_reports_type_ism', g['pft'] == '0x05',
                  'pft %s' % g['pft']))
    tests.append(('no_kernel_splat', ran and not g['splats'],
                  '; '.join(g['splats'][:3])))
    tests.append(('vfio_maps_and_unmaps_each_page',
                  vfio_maps > 0 and (vfio_maps, vfio_unmaps) == (VFIO_PAGES,) * 2,
                  'vfio maps %d unmaps %d of %d' % (vfio_maps, vfio_unmaps,
                                                    VFIO_PAGES)))
    if kernel == 'base':
        tests += [
            ('error_event_at_the_first_wrap',
             ran and t['in_use'] >= 1 and events >= 1 and
             t['first_global_error'] == 0xc and w == 0 and
             t['global_pages'] is not None and maps >= t['global_pages'] * 9 // 10,
             'ISM errors %d, guest error events %d, first global RPCIT error %s, '
             'wraps %d, maps %d of %s pages' %
             (t['in_use'], events, t['first_global_error'], w, maps,
              t['global_pages'])),
            ('reads_stop', ran and g['reads'] == 'stopped',
             'reads %s' % g['reads']),
            # VFIO's fgsp probe maps too, before the test's maps
            ('rpcit_after_every_vfio_map',
             ran and vfio_maps > 0 and t['after_map'] >= vfio_maps,
             'QEMU %d, VFIO maps %d' % (t['after_map'], vfio_maps)),
        ]
    else:
        stats = g['stats']
        tests += [
            ('no_error_event', ran and events == 0 and t['in_use'] == 0,
             'guest error events %d, ISM errors %d' % (events, t['in_use'])),
            # 6.12's allocator reuses freed IOVAs at once: no wraps
            ('reads_go_on' if kernel == '6.12' else 'reads_go_on_after_two_wraps',
             ran and g['reads'] == 'ok' and (w >= 2 or kernel == '6.12'),
             'reads %s, wraps %d' % (g['reads'], w)),
            ('no_global_rpcit', ran and t['global'] == 0 and
             stats.get('Global RPCITs', 0) == 0,
             'QEMU %d, guest %s' % (t['global'], stats.get('Global RPCITs'))),
            ('no_rpcit_after_map',
             ran and maps > 0 and vfio_maps > 0 and t['after_map'] == 0 and
             stats.get('Sync Map RPCITs', 0) == 0,
             'QEMU %d, guest %s' % (t['after_map'], stats.get('Sync Map RPCITs'))),
            # DMA API: QEMU's count after VFIO's last unmap, and the
            # guest's from the driver's enable on; VFIO's phase also
            # refreshes the unmaps of VFIO's fgsp probe
            ('one_rpcit_per_unmap',
             ran and unmaps > 0 and t['unmap'] == unmaps and
             stats.get('Sync RPCITs', unmaps) == unmaps and
             t['early_unmap'] >= vfio_unmaps > 0,
             'DMA API: QEMU %d, guest Sync RPCITs %s, unmapped pages %d; '
             'VFIO: QEMU %d, unmaps %d' %
             (t['unmap'], stats.get('Sync RPCITs'), unmaps, t['early_unmap'],
              vfio_unmaps)),
        ]
    return tests


def main():
    res, kernels = sys.argv[1], sys.argv[2:]
    passed = failed = 0
    lines, results = [], []
    for k in kernels:
        d = os.path.join(res, k)
        g = read_guest(os.path.join(d, 'console.log'))
        last = None
        if g['vfio_iova'] is not None:
            last = g['vfio_iova'] + (VFIO_PAGES - 1) * 4096
        t = read_trace(os.path.join(d, 'qemu-trace.log'), last)
        for name, ok, why in judge(k, g, t):
            results.append({'name': 'ism:%s.%s' % (k, name),
                            'status': 'PASS' if ok else 'FAIL'})
            if ok:
                passed += 1
                lines.append('ok     ism:%s.%s' % (k, name))
            else:
                failed += 1
                lines.append('FAILED ism:%s.%s: %s' % (k, name, why))
    print('\n'.join(lines))
    with open(os.path.join(res, 'summary.json'), 'w') as f:
        json.dump({'passed': passed, 'failed': failed, 'results': results}, f)
    print('ism: %d passed, %d failed' % (passed, failed))
    return 1 if failed or not kernels else 0


if __name__ == '__main__':
    sys.exit(main())
