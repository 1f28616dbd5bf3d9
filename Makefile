# The s390 IOMMU / ISM / VFIO series for Linux 6.1 and its proving ground.
# See README.md.

.PHONY: all run test stress nested ism check prove bench compare attach-cost deb export prepare clean distclean

# The main job: base + series, build, boot, tests, summary.
all run:
	@harness/core/run.sh

# Everything the project checks; the last line is "N passed, N failed".
test:
	@harness/core/test.sh

# The same tests on a debug kernel: KASAN, lockdep, kmemleak, fault injection.
stress:
	@harness/core/stress.sh

# Nested VFIO: L2 in QEMU in L1 drives L0's zPCI functions, one of them
# modelled as ISM; L1 is the series, or the base with BASE=1 (part of
# make test: the series).
nested:
	@harness/nested/run.sh $(if $(BASE),base,series)

# ISM in QEMU with a model of its refresh rules (harness/qemu/): the
# failure on the base, none with the series or 6.12 (part of make test).
ism:
	@harness/ism/run.sh

# checkpatch, regeneration of patches/, per-patch build/warnings/tests.
check:
	@harness/proof/check.sh

# Undo each fix on top of the series and show which tests catch it.
prove:
	@harness/proof/prove.sh

# Benchmarks: base vs series vs 6.12, IOTLB refreshes and map/unmap cost.
bench:
	@harness/bench/run.sh

# What a VFIO user gets for each kind of request on base, series and 6.12.
compare:
	@harness/bench/compare.sh

# What setting up and tearing down a VFIO container costs, base vs
# series (patch 7's grace periods); not part of make test.
attach-cost:
	@harness/bench/attach-cost.sh

# A Debian package of the series' kernel for s390x from Debian's config,
# booted in QEMU with its modules (not part of make test; see README).
deb:
	@harness/distro/deb.sh

# Developer loop: write the commits of build/linux back to patches/.
export:
	@harness/core/export.sh

prepare:
	@harness/core/deps.sh && harness/core/prepare.sh

# (build/out, out-debug and nested/out-series are links: the tip's builds
# stay in ~/.cache/s390-iommu-series/tip, which make rebuilds incrementally.)
clean:
	rm -rf build/out build/out-debug build/results build/results-debug build/nested build/ism

distclean:
	rm -rf build
