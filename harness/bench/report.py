#!/usr/bin/env python3
"""Summarise the console logs of make bench (harness/bench/run.sh).

    report.py RESULTS_DIR OUT_DIR

Reads RESULTS_DIR/<kernel>-<mode>.log ("BENCH key=value ..." lines of
harness/guest/bench.c), prints a markdown table and the targets of the
benchmark, and writes OUT_DIR/bench.md, bench.json and bench.svg.
Counts do not depend on timing; times are medians over the repetitions,
with their spread, and compared as ratios only.
"""
import glob
import json
import math
import os
import re
import statistics
import subprocess
import sys

KERNELS = ['base', 'series', '6.12']
MODES = ['vfio', 'dma-lazy', 'dma-strict']
VFIO_BATCH = 512	# VFIO_IOMMU_TLB_SYNC_MAX: unmaps per iotlb_sync
SIZES = {'frag64': 64 << 20, 'contig64': 64 << 20, '1g': 1 << 30, '4k': 4096}
LABELS = {'frag64': '64 MiB fragmented', 'contig64': '64 MiB contiguous',
          '1g': '1 GiB', '4k': '4096 x 4 KiB', 'dma': 'DMA API read'}
SHORT = {'frag64': 'frag 64M', 'contig64': 'contig 64M', '1g': '1G', '4k': '4096x4K'}


def parse(results):
    recs, info, traces = [], {}, {}
    for k in KERNELS:
        for m in MODES:
            paths = [os.path.join(results, f'{k}-{m}.log')]
            paths += sorted(glob.glob(os.path.join(results, f'{k}-{m}.[0-9]*.log')),
                            key=lambda p: int(p.rsplit('.', 2)[1]))
            for boot, path in enumerate(paths, 1):
                if os.path.exists(path):
                    parse_log(path, k, m, boot, recs, info, traces)
    return recs, info, traces


def parse_log(path, k, m, boot, recs, info, traces):
    """The BENCH, BENCHINFO and BENCHTRACE lines of one console log."""
    cur = None
    for line in open(path, errors='replace'):
        line = line.strip()
        if line.startswith('BENCHINFO '):
            key, _, val = line[10:].partition('=')
            info.setdefault(k, {}).setdefault(m, {}).setdefault(key, []).append(val)
        if line.startswith('BENCHTRACE '):
            f = line[11:].split()
            us, cur = int(f[2].partition('=')[2]), None
            old = traces.setdefault(k, {}).get(' '.join(f[:2]))
            if not old or old['us'] < us:	# the worst of all boots
                cur = {'us': us, 'boot': boot, 'lines': []}
                traces[k][' '.join(f[:2])] = cur
            continue
        if line.startswith('BENCHTRACE| '):
            if cur:
                cur['lines'].append(line[12:])
            continue
        if not line.startswith('BENCH '):
            continue
        r = {'kernel': k, 'mode': m, 'boot': boot}
        for kv in line.split()[1:]:
            key, _, val = kv.partition('=')
            if re.fullmatch(r'-?\d+', val):
                val = int(val)
            elif re.fullmatch(r'-?\d+\.\d*', val):
                val = float(val)
            r[key] = val
        recs.append(r)


def med(xs):
    return statistics.median(xs) if xs else None


def spread(xs):
    """(max - min) / median in percent: how noisy the repetitions were."""
    m = med(xs)
    return 100.0 * (max(xs) - min(xs)) / m if xs and m else 0.0


def group(recs, kernel, mode, workload, phase):
    return [r for r in recs if r['kernel'] == kernel and r['mode'] == mode and
            r['workload'] == workload and r['phase'] == phase]


def count(rs, key):
    """The count of a phase; counts must not vary between repetitions."""
    xs = [r.get(key, 0) for r in rs]
    return (med(xs), len(set(xs)) > 1) if xs else (None, False)


def unmaps(r):
    return r.get('iommu_unmap', 0) + r.get('iommu_unmap_fast', 0)


def batches(r):
    """Upper bound of the IOTLB syncs VFIO asks for: one per iommu_unmap()
    and one per VFIO_BATCH iommu_unmap_fast() calls, per UNMAP_DMA."""
    return r.get('iommu_unmap', 0) + max(r['ops'], math.ceil(r.get('iommu_unmap_fast', 0) / VFIO_BATCH))


def globals_of(r, traced):
    """Refreshes of the whole DMA range: the debugfs counter, else the
    profiled flush function; None where neither exists (in the base,
    zpci_refresh_global() is inlined and has no counter)."""
    if 'dbg_global' in r:
        return r['dbg_global']
    for f in ('zpci_refresh_global', 's390_iommu_flush_iotlb_all'):
        if f in traced:
            return r.get(f, 0)
    return None


def summarise(recs, info):
    rows = []
    for w in ['frag64', 'contig64', '1g', '4k']:
        for k in KERNELS:
            maps = group(recs, k, 'vfio', w, 'map')
            ums = group(recs, k, 'vfio', w, 'unmap')
            if not maps or not ums:
                continue
            row = {'workload': w, 'kernel': k, 'reps': len(maps),
                   'buffer': maps[0].get('buffer', '')}
            row['chunks'], v1 = count(maps, 'iommu_map')
            row['map_rpcits'], v2 = count(maps, 'zpci_refresh_trans')
            row['unmap_rpcits'], v3 = count(ums, 'zpci_refresh_trans')
            row['unmap_calls'] = med([unmaps(r) for r in ums])
            row['unmap_batches'] = med([batches(r) for r in ums])
            row['pages'] = SIZES[w] // 4096	# per UNMAP_DMA
            row['counts_vary'] = v1 or v2 or v3
            row['map_ms'] = med([r['ns'] for r in maps]) / 1e6
            row['unmap_ms'] = med([r['ns'] for r in ums]) / 1e6
            tot = [a['ns'] + b['ns'] for a, b in zip(maps, ums)]
            row['total_ms'] = med(tot) / 1e6
            row['spread_pct'] = spread(tot)
            rows.append(row)
    for m in ['dma-lazy', 'dma-strict']:
        for k in KERNELS:
            rs = group(recs, k, m, 'dma', 'read')
            if not rs:
                continue
            ops = sum(r['ops'] for r in rs)
            traced = info.get(k, {}).get(m, {}).get('traced', [])
            gl = [globals_of(r, traced) for r in rs]
            row = {'workload': m, 'kernel': k, 'reps': len(rs), 'ops': ops,
                   'rpcits': sum(r.get('zpci_refresh_trans', 0) for r in rs),
                   'globals': None if None in gl else sum(gl),
                   'allocs': sum(r.get('__dma_alloc_iommu', 0) for r in rs),
                   'maps': sum(r.get('iommu_map', 0) for r in rs),
                   'unmap_calls': sum(unmaps(r) for r in rs),
                   'us_per_op': med([r['ns'] / r['ops'] for r in rs]) / 1e3,
                   'spread_pct': spread([r['ns'] for r in rs])}
            row['rpcits_per_op'] = row['rpcits'] / ops
            rows.append(row)
    return rows


IRQ_WORKLOADS = ['frag64', 'contig64', '1g', '4k']


def irqsoff(recs):
    """Worst IRQs-off section (us) of every repetition, per workload,
    phase and kernel: {(workload, phase): {kernel: [us, ...]}}."""
    out = {}
    for w in IRQ_WORKLOADS:
        for ph in ('map', 'unmap'):
            for k in KERNELS:
                xs = [r['irqsoff_us'] for r in group(recs, k, 'vfio', w, ph)
                      if 'irqsoff_us' in r]
                if xs:
                    out.setdefault((w, ph), {})[k] = xs
    return out


def noise(*lists):
    """The noise of a comparison: the widest spread (max - min) that the
    repetitions of any of the compared kernels show."""
    return max((max(xs) - min(xs) for xs in lists if xs), default=0)


MB_RES = 0.1	# dma_map_benchmark prints us with one decimal


def mapbench(recs):
    """dma_map_benchmark per policy and kernel: latency runs (profiler
    off) and the counting run (profiler on)."""
    rows = []
    for m in ['dma-lazy', 'dma-strict']:
        for k in KERNELS:
            lat = [r for r in group(recs, k, m, 'mapbench', 'lat') if 'map_us' in r]
            cnt = group(recs, k, m, 'mapbench', 'count')
            if not lat:
                continue
            row = {'policy': m[4:], 'kernel': k, 'runs': len(lat)}
            for key in ('map_us', 'map_sd', 'unmap_us', 'unmap_sd'):
                row[key] = med([float(r[key]) for r in lat])
                row[key + '_all'] = [float(r[key]) for r in lat]
            row['map_noise'] = noise(row['map_us_all'])
            row['unmap_noise'] = noise(row['unmap_us_all'])
            if cnt:
                c = cnt[0]
                row['maps'] = c['ops']
                row['unmaps'] = c.get('dma_unmap_page_attrs', 0)
                row['rpcits'] = c.get('zpci_refresh_trans', 0)
                row['rpcit_per_map'] = row['rpcits'] / row['maps'] if row['maps'] else None
            rows.append(row)
    return rows


def find_mb(mb, policy, k):
    return next((r for r in mb if r['policy'] == policy and r['kernel'] == k), None)


def find(rows, w, k):
    return next((r for r in rows if r['workload'] == w and r['kernel'] == k), None)


def ratio(a, b):
    return a / b if a is not None and b else None


def fmt(x, nd=2):
    if x is None:
        return '-'
    if isinstance(x, float) and not x.is_integer():
        return f'{x:.{nd}f}'
    return f'{int(x)}'


def agreement(recs):
    """The debugfs RPCIT counters against the profiler, per kernel:
    {kernel: (checks, agreeing)}. VFIO phases are checked one by one (no
    other DMA runs meanwhile); the DMA API boots as a whole, between quiet
    moments, as virtio-rng maps its next buffer in the background. The
    VFIO boot as a whole is not: 6.12 counts per IOMMU domain, and VFIO
    replaces the domain."""
    res = {}
    for r in recs:
        if 'dbg_map' not in r or (r['mode'] == 'vfio') == (r['workload'] == 'total'):
            continue
        n, ok = res.get(r['kernel'], (0, 0))
        same = r['dbg_map'] + r['dbg_unmap'] + r['dbg_global'] == r.get('zpci_refresh_trans', 0)
        if not same:
            print(f"debugfs disagrees: {r['kernel']} {r['mode']}: {r}", file=sys.stderr)
        res[r['kernel']] = (n + 1, ok + same)
    return res


def targets(rows, recs, irq=None, mb=None):
    out = []

    def add(name, ok, detail):
        out.append({'target': name, 'result': 'PASS' if ok else 'MISS',
                    'detail': detail})

    for w in ['frag64', 'contig64', '1g', '4k']:
        s = find(rows, w, 'series')
        if not s:
            continue
        add(f'Map: at most one RPCIT per chunk ({LABELS[w]})',
            s['map_rpcits'] <= s['chunks'],
            f"series {fmt(s['map_rpcits'])} RPCITs for {fmt(s['chunks'])} chunks")
        # A 4 KiB UNMAP_DMA is its own batch of one page: "never one
        # per page" is about unmaps of more than one page.
        per_page = s['pages'] > 1 and s['unmap_rpcits'] >= s['pages']
        add(f'Unmap: at most one RPCIT per batch, never one per page ({LABELS[w]})',
            s['unmap_rpcits'] <= s['unmap_batches'] and not per_page,
            f"series {fmt(s['unmap_rpcits'])} RPCITs, {fmt(s['unmap_batches'])} batches, "
            f"{fmt(s['pages'])} pages")
    # Contiguity differs between boots, and every chunk costs a map: time
    # is judged between kernels that mapped about as many chunks, or where
    # the difference cannot have decided the result (a PASS with more
    # chunks than the other kernel, a MISS with fewer).
    for w in ['frag64', 'contig64']:
        s = find(rows, w, 'series')
        for k, limit in (('base', 0.5), ('6.12', 1.0)):
            o = find(rows, w, k)
            if not s or not o:
                continue
            name = f'Time per 64 MiB map+unmap: series <= {limit} x {k} ({LABELS[w]})'
            r = ratio(s['total_ms'], o['total_ms'])
            detail = (f"series/{k} = {r:.2f} (spread {s['spread_pct']:.0f}% / "
                      f"{o['spread_pct']:.0f}%)")
            ok = r <= limit
            same = abs(s['chunks'] - o['chunks']) <= 0.1 * o['chunks']
            if not same and ok != (s['chunks'] > o['chunks']):
                out.append({'target': name, 'result': 'n/a', 'detail':
                            f"{detail}; not comparable: {fmt(s['chunks'])} vs "
                            f"{fmt(o['chunks'])} chunks"})
                continue
            if not same:
                detail += f"; {fmt(s['chunks'])} vs {fmt(o['chunks'])} chunks"
            add(name, ok, detail)
    s, b = find(rows, 'dma-lazy', 'series'), find(rows, 'dma-lazy', 'base')
    if s and b:
        # The base cannot count its global flushes (zpci_refresh_global()
        # is inlined): its RPCITs include them, and __dma_alloc_iommu()
        # runs once more per wrap of the IOVA allocator.
        same = (abs(s['rpcits'] - b['rpcits']) <= 0.001 * b['rpcits'] + 2 and
                abs(s['allocs'] - b['allocs']) <= 0.001 * b['allocs'] + 2)
        add('DMA API path: lazy policy unchanged from base', same,
            f"RPCITs series {s['rpcits']} base {b['rpcits']}, IOVA allocator calls "
            f"{s['allocs']} vs {b['allocs']}, series global flushes {fmt(s['globals'])}, "
            f"time/op series/base = {ratio(s['us_per_op'], b['us_per_op']):.2f} (not judged)")
    # Interrupts-off: the worst section of each phase, median over the
    # repetitions, series against 6.12 with the noise of the phase (the
    # widest max - min of the three kernels) as margin, and against the
    # base with no margin.
    for (w, ph), by in (irq or {}).items():
        s = by.get('series')
        if not s:
            continue
        name = f"{LABELS[w]} {'MAP_DMA' if ph == 'map' else 'UNMAP_DMA'}"
        u = by.get('6.12')
        n = noise(*by.values())
        if u:
            add(f'IRQs off: series <= 6.12 within noise ({name})',
                med(s) <= med(u) + n,
                f'median worst section series {fmt(med(s))} us, 6.12 {fmt(med(u))} us, '
                f'noise {fmt(n)} us')
        b = by.get('base')
        if b:
            add(f'IRQs off: series <= base ({name})', med(s) <= med(b),
                f'median worst section series {fmt(med(s))} us, base {fmt(med(b))} us')
    # The lazy DMA API, dma_map_benchmark: the series as the base, within
    # the noise of the runs (at least the tool's 0.1 us resolution).
    s, b = find_mb(mb or [], 'lazy', 'series'), find_mb(mb or [], 'lazy', 'base')
    if s and b:
        for op in ('map', 'unmap'):
            n = max(noise(s[op + '_us_all'], b[op + '_us_all']), MB_RES)
            d = s[op + '_us'] - b[op + '_us']
            add(f'dma_map_benchmark lazy {op} latency: series within noise of base',
                abs(d) <= n + 1e-9,
                f"series {s[op + '_us']:.1f} us, base {b[op + '_us']:.1f} us, "
                f"difference {d:+.1f} us, noise {n:.1f} us")
        if s.get('rpcit_per_map') is not None and b.get('rpcit_per_map') is not None:
            add('dma_map_benchmark lazy: RPCITs per map as in the base',
                abs(s['rpcit_per_map'] - b['rpcit_per_map']) <= 0.001,
                f"series {s['rpcit_per_map']:.4f}, base {b['rpcit_per_map']:.4f}")
    agr = agreement(recs)
    if 'series' in agr:
        n, ok = agr['series']
        add('Series debugfs RPCIT counters agree with the ftrace profiler',
            n == ok, ', '.join(f'{k} {a[1]}/{a[0]} checks' for k, a in agr.items()))
    return out


def where(trace):
    """The first function the irqsoff tracer recorded in a worst section
    (with function tracing off: where interrupts went off)."""
    for line in trace['lines'] if trace else []:
        m = re.match(r'\s*\S+\s+\d\S*\s+\d+us\S*\s*:\s*(\S+) <-(\S+)', line)
        if m:
            return m.group(1)
    return None


def table(rows, tgts, meta, irq=None, mb=None, traces=None):
    L = []
    L.append('### make bench: IOTLB refreshes, IRQs-off time and DMA mapping cost, base vs series vs 6.12')
    L.append('')
    for line in meta:
        L.append(f'    {line}')
    L.append('')
    if any(r['workload'] in SIZES for r in rows):
        L.append('#### VFIO type1 MAP_DMA / UNMAP_DMA (per MAP_DMA+UNMAP_DMA cycle; '
                 '4 KiB: per 4096 cycles)')
        L.append('')
        L.append('| workload | kernel | chunks | map RPCITs | unmap RPCITs | unmap calls | '
                 'unmap batches | map ms | unmap ms | map+unmap ms | spread | us/chunk | '
                 'vs base | vs 6.12 |')
        L.append('|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|')
        for r in rows:
            if r['workload'] not in SIZES:
                continue
            b, u = find(rows, r['workload'], 'base'), find(rows, r['workload'], '6.12')
            name = LABELS[r['workload']] + (f" ({r['buffer']})" if r['buffer'] else '')
            L.append(f"| {name} | {r['kernel']} | {fmt(r['chunks'])} | {fmt(r['map_rpcits'])} | "
                     f"{fmt(r['unmap_rpcits'])} | {fmt(r['unmap_calls'])} | {fmt(r['unmap_batches'])} | "
                     f"{r['map_ms']:.1f} | {r['unmap_ms']:.1f} | {r['total_ms']:.1f} | "
                     f"{r['spread_pct']:.0f}% | {1000 * r['total_ms'] / r['chunks']:.1f} | "
                     f"{fmt(ratio(r['total_ms'], b and b['total_ms']))} | "
                     f"{fmt(ratio(r['total_ms'], u and u['total_ms']))} |"
                     + (' counts varied!' if r['counts_vary'] else ''))
        L.append('')
    L.append('#### DMA API path: virtio-rng reads through the zPCI IOMMU (one map+unmap each)')
    L.append('')
    L.append('| policy | kernel | reads | RPCITs | RPCIT/read | global flushes | '
             '6.1 IOVA allocs | iommu_map | unmap calls | us/read | spread | vs base |')
    L.append('|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|')
    for r in rows:
        if not r['workload'].startswith('dma'):
            continue
        b = find(rows, r['workload'], 'base')
        L.append(f"| {r['workload'][4:]} | {r['kernel']} | {r['ops']} | {r['rpcits']} | "
                 f"{r['rpcits_per_op']:.4f} | {fmt(r['globals'])} | {fmt(r['allocs'] or None)} | "
                 f"{r['maps']} | {r['unmap_calls']} | "
                 f"{r['us_per_op']:.1f} | {r['spread_pct']:.0f}% | "
                 f"{fmt(ratio(r['us_per_op'], b and b['us_per_op']))} |")
    L.append('')
    if irq:
        L.append('#### Worst IRQs-off section per phase, us (irqsoff tracer, '
                 'tracing_max_latency reset before each VFIO ioctl)')
        L.append('')
        L.append('Each cell: median over the repetitions [min-max]. '
                 'noise: the widest max-min of the three kernels.')
        L.append('')
        L.append('| workload | phase | reps | base | series | 6.12 | noise | '
                 'series vs base | series vs 6.12 |')
        L.append('|---|---|--:|--:|--:|--:|--:|--:|--:|')
        for (w, ph), by in irq.items():
            def cell(k):
                xs = by.get(k)
                return f'{fmt(med(xs))} [{min(xs)}-{max(xs)}]' if xs else '-'
            s, b, u = by.get('series'), by.get('base'), by.get('6.12')
            reps = max(len(x) for x in by.values())
            L.append(f"| {LABELS[w]} | {ph} | {reps} | {cell('base')} | {cell('series')} | "
                     f"{cell('6.12')} | {fmt(noise(*by.values()))} | "
                     f"{fmt(ratio(med(s), b and med(b)) if s else None)} | "
                     f"{fmt(ratio(med(s), u and med(u)) if s else None)} |")
        L.append('')
        if traces:
            L.append('Where the worst section of all repetitions was (first function the '
                     'tracer recorded in it; traces in irqsoff/KERNEL-WORKLOAD-PHASE.txt):')
            L.append('')
            L.append('| workload | phase | base | series | 6.12 |')
            L.append('|---|---|---|---|---|')
            for (w, ph) in irq:
                cells = []
                for k in KERNELS:
                    t = traces.get(k, {}).get(f'workload={w} phase={ph}')
                    cells.append(f"{where(t) or '-'} ({t['us']} us)" if t else '-')
                L.append(f"| {LABELS[w]} | {ph} | {' | '.join(cells)} |")
            L.append('')
    if mb:
        L.append('#### DMA API latency: dma_map_benchmark (1 thread, 1 page, '
                 'the zPCI function bound to dma_map_benchmark)')
        L.append('')
        L.append('map/unmap us: median over the runs of the mean latency [min-max], '
                 'sd: median of the standard deviations the tool prints; '
                 'RPCITs per map from one more run with the function profiler.')
        L.append('')
        L.append('| policy | kernel | runs | map us | map sd | unmap us | unmap sd | '
                 'maps counted | RPCITs | RPCIT/map | map vs base | unmap vs base |')
        L.append('|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|')
        for r in mb:
            b = find_mb(mb, r['policy'], 'base')
            L.append(f"| {r['policy']} | {r['kernel']} | {r['runs']} | "
                     f"{r['map_us']:.1f} [{min(r['map_us_all']):.1f}-{max(r['map_us_all']):.1f}] | "
                     f"{r['map_sd']:.1f} | "
                     f"{r['unmap_us']:.1f} [{min(r['unmap_us_all']):.1f}-{max(r['unmap_us_all']):.1f}] | "
                     f"{r['unmap_sd']:.1f} | {fmt(r.get('maps'))} | {fmt(r.get('rpcits'))} | "
                     f"{fmt(r.get('rpcit_per_map'), 4)} | "
                     f"{fmt(ratio(r['map_us'], b and b['map_us']))} | "
                     f"{fmt(ratio(r['unmap_us'], b and b['unmap_us']))} |")
        L.append('')
        for k in KERNELS:
            lz, st = find_mb(mb, 'lazy', k), find_mb(mb, 'strict', k)
            if not lz or not st:
                continue
            rp = ''
            if lz.get('rpcit_per_map') is not None and st.get('rpcit_per_map') is not None:
                rp = f", {st['rpcit_per_map'] - lz['rpcit_per_map']:+.4f} RPCIT per map+unmap"
            L.append(f"- strict - lazy, {k}: map {st['map_us'] - lz['map_us']:+.1f} us, "
                     f"unmap {st['unmap_us'] - lz['unmap_us']:+.1f} us{rp} "
                     f"(what an ISM function, always strict in the series, pays per unmap)")
        L.append('')
    L.append('#### Targets')
    L.append('')
    for t in tgts:
        L.append(f"- {t['result']}: {t['target']}: {t['detail']}")
    return '\n'.join(L) + '\n'


def chart(rows, outdir, irq):
    """Three panels, log scale, one bar per kernel: RPCITs and median guest
    time per MAP_DMA+UNMAP_DMA cycle, and the median of the worst IRQs-off
    section of each VFIO phase. Written as OUT_DIR/bench.svg by gnuplot."""
    dat = os.path.join(outdir, 'bench.dat')
    irqdat = os.path.join(outdir, 'bench-irqsoff.dat')
    ws = [w for w in ['frag64', 'contig64', '1g', '4k'] if find(rows, w, 'base')]
    ks = [k for k in KERNELS if any(find(rows, w, k) for w in ws)]
    with open(dat, 'w') as f:
        f.write('# workload ' + ' '.join(f'rpcit_{k} ms_{k}' for k in ks) + '\n')
        for w in ws:
            f.write(f'"{SHORT[w]}"')
            for k in ks:
                r = find(rows, w, k)
                f.write(f" {max(1, r['map_rpcits'] + r['unmap_rpcits']) if r else 0}"
                        f" {r['total_ms'] if r else 0}")
            f.write('\n')
    with open(irqdat, 'w') as f:
        f.write('# phase ' + ' '.join(f'us_{k}' for k in ks) + '\n')
        for (w, ph), by in irq.items():
            f.write(f'"{SHORT.get(w, w)} {ph}"')
            for k in ks:
                f.write(f" {med(by[k]) if k in by else 0}")
            f.write('\n')
    svg = os.path.join(outdir, 'bench.svg')
    rp = ', '.join(f"'{dat}' using {2 + 2 * i}:xtic(1) title '{k}'" for i, k in enumerate(ks))
    ms = ', '.join(f"'{dat}' using {3 + 2 * i}:xtic(1) title '{k}'" for i, k in enumerate(ks))
    us = ', '.join(f"'{irqdat}' using {2 + i}:xtic(1) title '{k}'" for i, k in enumerate(ks))
    script = f"""
set terminal svg size 1500,520 noenhanced font 'sans,11'
set output '{svg}'
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set logscale y
set key top left
set grid ytics
set xtics rotate by -30
set multiplot layout 1,3
set title 'RPCITs per MAP_DMA+UNMAP_DMA'
set yrange [1:*]
plot {rp}
set title 'guest ms per MAP_DMA+UNMAP_DMA, median'
set yrange [1:*]
plot {ms}
set title 'worst IRQs-off section per phase, us, median'
set yrange [1:*]
plot {us}
unset multiplot
"""
    try:
        subprocess.run(['gnuplot'], input=script, text=True, check=True,
                       capture_output=True)
    except (OSError, subprocess.CalledProcessError) as e:
        print(f'warning: no chart: {e}', file=sys.stderr)
        return None
    return svg


def main():
    results, outdir = sys.argv[1], sys.argv[2]
    recs, info, traces = parse(results)
    if not recs:
        sys.exit(f'error: no BENCH lines in {results}/*.log')
    meta_path = os.path.join(results, 'meta.txt')
    meta = open(meta_path).read().splitlines() if os.path.exists(meta_path) else []
    for k in KERNELS:
        kinfo = info.get(k, {}).get('vfio', {})
        if kinfo:
            meta.append(f"{k}: uname {kinfo.get('kernel', ['?'])[0]}, traced "
                        f"{','.join(dict.fromkeys(kinfo.get('traced', [])))}")
    dur_path = os.path.join(results, 'durations.txt')
    if os.path.exists(dur_path):
        durs = {}
        for line in open(dur_path):
            k, what, secs = line.split()
            durs.setdefault(k, []).append(f'{what} {secs}')
        for k in KERNELS:
            if k in durs:
                meta.append(f"{k}: host seconds per boot: {', '.join(durs[k])}")
    rows = summarise(recs, info)
    irq = irqsoff(recs)
    mb = mapbench(recs)
    tgts = targets(rows, recs, irq, mb)
    md = table(rows, tgts, meta, irq, mb, traces)
    tdir = os.path.join(outdir, 'irqsoff')
    os.makedirs(tdir, exist_ok=True)
    for k, by in traces.items():
        for key, t in by.items():
            w, ph = (x.partition('=')[2] for x in key.split())
            with open(os.path.join(tdir, f'{k}-{w}-{ph}.txt'), 'w') as f:
                f.write(f'# worst IRQs-off section of {k}, {w} {ph}: {t["us"]} us '
                        f'(vfio boot {t["boot"]})\n')
                f.write('\n'.join(t['lines']) + '\n')
    svg = chart(rows, outdir, irq)
    with open(os.path.join(outdir, 'bench.md'), 'w') as f:
        f.write(md)
    with open(os.path.join(outdir, 'bench.json'), 'w') as f:
        json.dump({'meta': meta, 'info': info, 'summary': rows,
                   'irqsoff': {f'{w} {ph}': by for (w, ph), by in irq.items()},
                   'mapbench': mb, 'targets': tgts, 'records': recs}, f, indent=1)
    print(md, end='')
    print(f"\nwritten: {outdir}/bench.md, bench.json{', bench.svg' if svg else ''}"
          f"{', irqsoff/*.txt' if traces else ''}")


if __name__ == '__main__':
    main()
