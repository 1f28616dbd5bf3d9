#!/bin/bash
# make check, the series in the configuration its users run: Debian's own
# s390x config (config.s390x_none_s390x of linux-config-6.1:s390x) plus
# harness/distro/series.config (VFIO, VFIO_PCI, VFIO_IOMMU_TYPE1 and ISM as
# modules, SMC) and make olddefconfig, at the base and at the tip of the
# series:
#  - the Kconfig symbols the series adds are off in that config, also with
#    KUNIT=m and KUNIT_ALL_TESTS=m, and the series enables nothing the
#    base does not (the same options are =y/=m at the base and the tip);
#  - vmlinux.o, every object of the directories the series touches
#    ($DISTRO_DIRS) and the modules there build, and the modules link:
#    modpost checks their symbols against vmlinux.o and the modules they
#    need ($DISTRO_DEP_MODULES) (modfinal, which only compiles the .mod.c
#    files and links the .ko, is not run);
#  - no compiler or modpost warning over the base;
#  - what the series does to the module ABI: the exports whose symbol
#    version (CRC, CONFIG_MODVERSIONS) differs between base and tip, from
#    the symvers modpost writes (a report: it fails only without data).
# The final vmlinux is not linked: modpost reads the exports of vmlinux.o.
# Without debug information (harness/distro/nodebug.config): it changes
# neither code nor exports. The tip is built incrementally on the base's
# objects, so it costs what the series changes; the touched directories
# are rebuilt whole each time, so that their warnings are seen.
#
# Sourced by proof/check.sh (distro_check); run alone it prints the same items.
# Works in $DISTRO_SRC and $DISTRO_OUT (distro/lib.sh: in the user's cache
# dir, reused by the next run); logs and configs go to build/distro.
# shellcheck shell=bash

[ -n "${TOP:-}" ] || . "$(dirname "${BASH_SOURCE[0]}")/../core/lib.sh"
. "$TOP/harness/distro/lib.sh"
DISTRO_DIRS="drivers/iommu drivers/vfio arch/s390/pci drivers/s390/net"
# Modules outside those directories that export symbols theirs use:
# modpost resolves only against vmlinux.o and the modules it is given.
# Their directories are built too. modpost runs with -w, so that what
# these need in turn (smc.ko needs ib_core.ko, ...) does not have to be
# built; an unresolved symbol of a module in $DISTRO_DIRS fails the build
# all the same, and any other modpost message counts as a warning. A new
# dependency shows as '"symbol" [drivers/...ko] undefined!'.
DISTRO_DEP_MODULES="net/smc/smc.ko arch/s390/kvm/kvm.ko virt/lib/irqbypass.ko
	drivers/s390/cio/ccwgroup.ko net/bridge/bridge.ko"

# $DISTRO_SRC at REV of build/linux. Checkout writes only the files that
# differ from what the tree holds, so make rebuilds only what they change.
distro_worktree() {	# distro_worktree REV
	cached_checkout "$DISTRO_SRC" "$DISTRO_OUT" "$1"
}

# Compiler and modpost messages of a build log -> one a line, paths
# relative to the tree, line and column numbers dropped, sorted (a
# multiset: one more of the same warning in a file counts as new).
# modpost reports ten unresolved symbols at most and then how many more
# it suppressed; that count is dropped (the modules of $DISTRO_DIRS come
# first, so theirs are among the ten, and fail the build anyway).
distro_warnings() {	# distro_warnings LOG
	grep -E '(warning|error):|^(WARNING|ERROR): modpost:' "$1" |
		grep -v 'modpost: suppressed [0-9]* unresolved symbol warnings' |
		sed -E -e "s|$DISTRO_SRC/||g" -e "s|$DISTRO_OUT/||g" -e 's/:[0-9]+:[0-9]+:/:/' -e 's/:[0-9]+:/:/' |
		sort
}

# Configure and build REV; log to DIR/distro.NAME.build. Prints the time
# of each step.
distro_build() {	# distro_build REV NAME DIR
	local rev=$1 name=$2 dir=$3 log=$3/distro.$2.build t0 t1 c0 c1 mods d undef
	: >"$log"
	distro_worktree "$rev" >>"$log" 2>&1 || return 1
	distro_configure "$DISTRO_SRC" "$DISTRO_OUT" "$TOP/harness/distro/series.config" \
		"$TOP/harness/distro/nodebug.config" >>"$log" 2>&1 || return 1
	cp "$DISTRO_OUT/.config" "$dir/distro.$name.config"
	# shellcheck disable=SC2086
	for d in $DISTRO_DIRS; do rm -rf "${DISTRO_OUT:?}/$d"; done
	t0=$(date +%s) c0=$(cpu_seconds)
	distro_make "$DISTRO_SRC" "$DISTRO_OUT" -j"$JOBS" vmlinux_o modules_prepare modpost >>"$log" 2>&1 || return 1
	t1=$(date +%s) c1=$(cpu_seconds)
	step "distro config, $name: vmlinux.o (and modpost on it) in $((t1 - t0))s (CPU $((c1 - c0))s)" >&2
	# The directories (objects, .mod files, modules.order) with make's
	# single-directory targets, then modpost itself, as scripts/
	# Makefile.modpost runs it, on their modules: 6.1's single .ko targets
	# rebuild objects at the wrong directory level (a composite module's
	# .mod then names the module itself), so they are not used.
	# shellcheck disable=SC2046
	distro_make "$DISTRO_SRC" "$DISTRO_OUT" -j"$JOBS" $(for m in $DISTRO_DIRS $DISTRO_DEP_MODULES; do
		[ "${m%.ko}" = "$m" ] && echo "$m/" || echo "$(dirname "$m")/"; done | sort -u) \
		>>"$log" 2>&1 || return 1
	mods=$(for d in $DISTRO_DIRS; do cat "$DISTRO_OUT/$d/modules.order" 2>/dev/null; done | sort -u)
	echo "$mods" | grep -c . >"$dir/distro.$name.nmods"
	# shellcheck disable=SC2086
	(cd "$DISTRO_OUT" && printf '%s\n' $mods $DISTRO_DEP_MODULES | sed 's/ko$/o/' |
		scripts/mod/modpost -w -o distro-modules.symvers -T - vmlinux.o \
		$(grep -q '^CONFIG_MODVERSIONS=y' .config && echo -m) \
		$(grep -q '^CONFIG_SECTION_MISMATCH_WARN_ONLY=y' .config || echo -E) \
		$(grep -q '^CONFIG_MODULE_ALLOW_MISSING_NAMESPACE_IMPORTS=y' .config && echo -N)) \
		>>"$log" 2>&1 || { echo "ERROR: modpost failed" >>"$log"; return 1; }
	step "distro config, $name: $DISTRO_DIRS and $(cat "$dir/distro.$name.nmods") modules (+ $(echo $DISTRO_DEP_MODULES | wc -w) they need) in $(($(date +%s) - t1))s (CPU $(($(cpu_seconds) - c1))s)" >&2
	cp "$DISTRO_OUT/distro-modules.symvers" "$dir/distro.$name.symvers"
	undef=$(grep -E "modpost: \"[^\"]+\" \[($(echo $DISTRO_DIRS | tr ' ' '|'))/[^]]+\] undefined!" "$log")
	[ -z "$undef" ] || { echo "${undef//WARNING:/ERROR:}" >>"$log"; return 1; }
}

# The exports whose symbol version differs between two symvers files of
# modpost: a first line that counts them, then one line each. Fails when
# either file is missing or has no version at all (no CONFIG_MODVERSIONS).
distro_abi() {	# distro_abi BASE_SYMVERS TIP_SYMVERS
	python3 - "$1" "$2" <<'PY'
import sys

def read(path):
    out = {}
    for line in open(path):
        f = line.rstrip('\n').split('\t')
        if len(f) >= 3:
            out[f[1]] = (f[0], f[2])
    return out

try:
    base, tip = read(sys.argv[1]), read(sys.argv[2])
except OSError as e:
    print('no symvers: %s' % e)
    sys.exit(1)
if not base or not tip or all(int(c, 16) == 0 for c, _ in tip.values()):
    print('no symbol versions in %s or %s' % tuple(sys.argv[1:3]))
    sys.exit(1)
changed = sorted(s for s in base if s in tip and base[s][0] != tip[s][0])
added = sorted(s for s in tip if s not in base)
gone = sorted(s for s in base if s not in tip)
print('%d exports change their symbol version, %d are added, %d go '
      '(of %d at the base)' % (len(changed), len(added), len(gone), len(base)))
for kind, names, table in (('changed', changed, tip), ('added', added, tip),
                           ('gone', gone, base)):
    for s in names:
        print('%-8s %s (%s)' % (kind, s, table[s][1]))
PY
}

distro_check() {	# distro_check DIR
	local dir=$1 st syms s t0 cfg tip_ok
	mkdir -p "$dir" "$DISTRO" "$CACHE/distro"
	# one clone at a time in the shared tree, until the end of the check
	exec 8>"$CACHE/distro/.lock"
	flock 8
	t0=$(date +%s)
	"$TOP/harness/core/deps.sh" ccache xz-utils >/dev/null || { result "distro config: ccache installed" 1; return 1; }
	rm -f "$dir"/distro.*

	# 1. The base, then the tip on its objects.
	cfg=$(distro_base_config 2>"$dir/distro.fetch") ||
		{ result "distro config: Debian's $DISTRO_CONFIG_NAME ($DISTRO_CONFIG_PKG:s390x)" 1 "$dir/distro.fetch"; return 1; }
	step "distro config: ${cfg##*/} + harness/distro/series.config, base and tip (vmlinux.o, $DISTRO_DIRS, modpost)" >&2
	if distro_build base base "$dir" 2>>"$dir/distro.times"; then
		result "distro config: the base builds (vmlinux.o, $DISTRO_DIRS, modpost)" 0
		distro_warnings "$dir/distro.base.build" >"$dir/distro.base.warnings"
	else
		grep -E 'error|Error|ERROR' "$dir/distro.base.build" >"$dir/distro.base.errors"
		result "distro config: the base builds (vmlinux.o, $DISTRO_DIRS, modpost)" 1 "$dir/distro.base.errors"
		: >"$dir/distro.base.warnings"
	fi
	tip_ok=0
	if distro_build HEAD tip "$dir" 2>>"$dir/distro.times"; then
		tip_ok=1
		result "distro config: the tip builds; $(cat "$dir/distro.tip.nmods") modules of $DISTRO_DIRS link (modpost)" 0
	else
		grep -E 'error|Error|ERROR' "$dir/distro.tip.build" >"$dir/distro.tip.errors"
		[ -s "$dir/distro.tip.errors" ] || tail -n 15 "$dir/distro.tip.build" >"$dir/distro.tip.errors"
		result "distro config: the tip builds; the modules of $DISTRO_DIRS link (modpost)" 1 "$dir/distro.tip.errors"
	fi
	cat "$dir/distro.times" >&2
	# The tip's kernel with VFIO as modules, booted (harness/distro/boot.sh)
	if [ "${DISTRO_BOOT:-1}" = 0 ]; then
		# turned off is skipped, and a skip fails make check
		result "distro config: the tip's kernel boots (skipped: DISTRO_BOOT=0)" 1
	elif [ $tip_ok = 1 ]; then
		"$TOP/harness/distro/boot.sh" >"$dir/distro.boot" 2>&1
		result "distro config: the tip's kernel boots, /init loads vfio, vfio_iommu_type1, vfio-pci as modules, the VFIO selftests pass" \
			$? "$dir/distro.boot"
		grep -E '^==> ' "$dir/distro.boot" >&2
	fi
	distro_warnings "$dir/distro.tip.build" >"$dir/distro.tip.warnings"
	comm -13 "$dir/distro.base.warnings" "$dir/distro.tip.warnings" >"$dir/distro.new-warnings"
	[ ! -s "$dir/distro.new-warnings" ]
	result "distro config: no compiler or modpost warning over the base" $? "$dir/distro.new-warnings"
	if distro_abi "$dir/distro.base.symvers" "$dir/distro.tip.symvers" >"$dir/distro.abi"; then
		result "distro config: module ABI, base vs tip: $(head -n 1 "$dir/distro.abi")" 0
		sed 1d "$dir/distro.abi" | sed 's/^/         /'
	else
		result "distro config: module ABI, base vs tip (symbol versions)" 1 "$dir/distro.abi"
	fi

	# 2. The series' own Kconfig symbols: off, enabling nothing new, also
	#    where a distribution builds KUnit as a module with all its tests.
	syms=$(git -C "$TREE" diff base HEAD -- '*Kconfig*' |
		sed -nE 's/^\+[[:space:]]*(menu)?config[[:space:]]+([A-Za-z0-9_]+).*/\2/p' | sort -u)
	: >"$dir/distro.kconfig"
	for s in $syms; do
		grep -qE "^CONFIG_$s=" "$dir/distro.tip.config" 2>/dev/null &&
			echo "CONFIG_$s is on: $(grep -E "^CONFIG_$s=" "$dir/distro.tip.config")" >>"$dir/distro.kconfig"
	done
	diff <(enabled_options "$dir/distro.base.config" 2>/dev/null) \
		<(enabled_options "$dir/distro.tip.config" 2>/dev/null) |
		grep '^[<>]' | sed -e 's/^</only at the base:/' -e 's/^>/only at the tip:/' >>"$dir/distro.kconfig"
	printf 'CONFIG_KUNIT=m\nCONFIG_KUNIT_ALL_TESTS=m\n' >"$DISTRO/kunit-m.config"
	if distro_configure "$DISTRO_SRC" "$DISTRO/out-kunit-m" "$TOP/harness/distro/series.config" \
		"$DISTRO/kunit-m.config" >"$dir/distro.kunit-m.log" 2>&1; then
		for s in $syms; do
			grep -qE "^CONFIG_$s=" "$DISTRO/out-kunit-m/.config" &&
				echo "with KUNIT=m KUNIT_ALL_TESTS=m: CONFIG_$s is on" >>"$dir/distro.kconfig"
		done
	else
		cat "$dir/distro.kunit-m.log" >>"$dir/distro.kconfig"
	fi
	[ ! -s "$dir/distro.kconfig" ]
	st=$?	# before the command substitution below resets $?
	result "distro config: the series' Kconfig symbols ($(echo ${syms:-none})) are off, also with KUNIT=m KUNIT_ALL_TESTS=m, and it enables nothing new" \
		$st "$dir/distro.kconfig"
	step "distro config: $(($(date +%s) - t0))s in all" >&2
	exec 8>&-
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	set -uo pipefail
	passed=0 failed=0
	distro_check "$RESULTS/checks"
	echo "distro: $passed passed, $failed failed"
	[ "$failed" -eq 0 ]
fi
