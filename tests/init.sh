#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# /init of the pallocbits QEMU initramfs (busybox sh), packed by
# scripts/mkinitramfs.sh and booted by scripts/vmtest.sh.
#
# Kernel command line parameters without a dot reach us as environment
# variables:
#   pb_mode=test|demo|bench what to run (default test)
#   pb_base=ADDR pb_size=N  the memmap= reserved range
#   pb_ram=ADDR             an address inside System RAM (insmod there must fail)
#   pb_grab_size=N          bytes for the self-grabbed run (default 64 MiB)
#   pb_stress=SECONDS       vmtest's stress test length
#   pb_pages=yes|no         whether the reserved range has struct pages
#   pb_struct_pages=yes|no  load reserved mode with struct_pages=0 when no
#                           (then its mappings are PFN maps: pb_maps=pfn)
#   pb_maps=devmap|devmap-4k|pfn  how reserved-mode mappings must be made
#
# The verdict goes to QEMU's isa-debug-exit port 0xf4 through /dev/port:
# 0 = PASS (QEMU exits 1), 1 = FAIL (QEMU exits 3).
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc none /proc
mount -t sysfs none /sys
mount -t devtmpfs none /dev
mount -t debugfs none /sys/kernel/debug
mount -t tmpfs none /tmp
exec </dev/console >/dev/console 2>&1

mode=${pb_mode:-test}
base=${pb_base:-0x40000000}
size=${pb_size:-0x4000000}
ram=${pb_ram:-0x1000000}
grab_size=${pb_grab_size:-0x4000000}
KO=/pallocbits.ko
DBG=/sys/kernel/debug/pallocbits

steps_pass=0
steps_fail=0
failed_steps=""
vt_pass=0
vt_fail=0
vt_skip=0

say() {
	echo "init: $*"
}

pass() {
	steps_pass=$((steps_pass + 1))
	say "PASS $*"
}

fail() {
	steps_fail=$((steps_fail + 1))
	failed_steps="$failed_steps
  $*"
	say "FAIL $*"
}

check() {
	# check "description" command...: PASS if the command succeeds
	desc=$1
	shift
	if "$@"; then pass "$desc"; else fail "$desc"; fi
}

# Write the verdict to isa-debug-exit, then power off as a fallback.  The
# port ends QEMU at once: first let the console drain what was written to
# it (a summary cut off after the verdict left the host without counts).
verdict() {
	sleep 2
	if [ "$1" -eq 0 ]; then
		printf '\000' | dd of=/dev/port bs=1 seek=244 count=1 2>/dev/null
	else
		printf '\001' | dd of=/dev/port bs=1 seek=244 count=1 2>/dev/null
	fi
	sleep 1
	poweroff -f
}

loaded() {
	grep -q '^pallocbits ' /proc/modules
}

stat_of() {
	# stat_of NAME: a value of debugfs stats
	sed -n "s/^$1: //p" "$DBG/stats" 2>/dev/null
}

# Run vmtest with PB_MODE=$1; add its counts to the totals.
run_vmtest() {
	log=/tmp/vmtest-$1.log
	say "running vmtest ($1 mode)"
	{
		PB_MODE=$1 PB_BASE=$2 PB_SIZE=$3 PB_MAPS=$4 PB_STRESS=${pb_stress:-5} \
			vmtest 2>&1
		echo "vmtest-exit: $?"
	} | tee "$log"
	plan=$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' "$log" | head -n 1)
	p=$(grep -c '^ok [0-9]' "$log")
	s=$(grep -c '^ok [0-9].*# SKIP' "$log")
	f=$(grep -c '^not ok [0-9]' "$log")
	p=$((p - s))
	# Tests that never reported (vmtest crashed) count as failed.
	missing=$(( ${plan:-0} - p - s - f ))
	[ "$missing" -gt 0 ] || missing=0
	f=$((f + missing))
	[ -n "$plan" ] || f=$((f + 1))
	vt_pass=$((vt_pass + p))
	vt_fail=$((vt_fail + f + s))
	vt_skip=$((vt_skip + s))
	say "vmtest ($1 mode): $p passed, $f failed, $s skipped (skips count as failures)"
	if [ "$f" -eq 0 ] && [ "$s" -eq 0 ] && grep -q '^vmtest-exit: 0$' "$log"; then
		pass "vmtest in $1 mode"
	else
		fail "vmtest in $1 mode"
		grep -E '^not ok|^# .*(FAIL|Expected|failed|changed|terminated)' "$log" | head -n 60
	fi
}

# After vmtest: nothing in use, the allocator consistent.
after_vmtest() {
	check "$1 mode: pages_inuse is 0 after vmtest ($(stat_of pages_inuse))" \
		test "$(stat_of pages_inuse)" = 0
	check "$1 mode: debugfs check reads ok" test "$(cat $DBG/check)" = ok
}

# pallocctl against the live module: batch, errors, JSON, the map fallback.
ctl_batch() {
	pallocctl -f /tmp/ctl.pb >/tmp/ctl.out 2>&1
}

pallocctl_checks() {
	printf 'alloc 4\nalloc 600 --align 512 --zero\nfree @1\nfree @2\n' >/tmp/ctl.pb
	check "pallocctl: batch alloc/free" ctl_batch
	check "pallocctl: batch reports the runs" grep -q 'alloc @2: offset 0x' /tmp/ctl.out
	if pallocctl free 0 1 >/tmp/ctl.out 2>&1; then
		fail "pallocctl: freeing an unowned run fails"
	else
		check "pallocctl: freeing an unowned run fails and says why" \
			grep -q 'not owned by this open file' /tmp/ctl.out
	fi
	printf 'alloc 2\nfree 0x1 1\nalloc 2\n' >/tmp/ctl.pb
	if ctl_batch; then
		fail "pallocctl: a batch stops at the first error"
	else
		check "pallocctl: a batch stops at the first error" \
			test "$(grep -c '^alloc @' /tmp/ctl.out)" = 1
	fi
	# dma-bufs: export a run, free it (the dma-buf holds it), a heap buffer.
	printf 'alloc 8\nexport @1\nfree @1\nheap-alloc 10000\nruns\nstats\n' >/tmp/ctl.pb
	check "pallocctl: export, free of the exported run, heap-alloc" ctl_batch
	check "pallocctl: runs shows the exported run" grep -q 'exported (fd' /tmp/ctl.out
	check "pallocctl: stats counts two exported runs, 11 pages no file owns" sh -c \
		'grep -E -q "runs_exported:? +2$" /tmp/ctl.out && grep -E -q "pages_held:? +11$" /tmp/ctl.out'
	check "the README's libpallocbits example runs" sh -c \
		'dmabuf-example | grep -q "^2097152 bytes at offset 0x[0-9a-f]*: dma-buf fd [0-9]*$"'
	check "pallocctl: --json info" sh -c 'pallocctl --json info | grep -q "\"abi_version\":3,"'
	check "pallocctl: --json errors" sh -c \
		'pallocctl --json scavenge 0 2>/dev/null | grep -q "\"error\":\"EINVAL\""'
	check "pallocctl: map from the counters without debugfs" sh -c \
		'pallocctl --debugfs /nonexistent map | grep -q "^\[[#c.-]*\]$"'
	check "pallocctl: nothing left in use" test "$(stat_of pages_inuse)" = 0
}

# The tracepoints: enabled, an alloc/free/scavenge batch shows each event.
tracepoint_checks() {
	T=/sys/kernel/tracing
	[ -d $T/events ] || mount -t tracefs nodev $T
	if [ ! -d $T/events/pallocbits ]; then
		fail "tracepoints: events/pallocbits exists"
		return
	fi
	echo > $T/trace
	echo 1 > $T/events/pallocbits/enable
	# A scavenge first flushes the per-CPU caches (earlier tests leave them
	# fragmented), so that "alloc 3" refills one: path=cache.  The whole
	# range cannot fit while 3 pages are held: an ENOMEM.
	printf 'scavenge 1\nalloc 3\nalloc 40\nfree @2\n- alloc %s\nfree @1\nscavenge 64 --force\n' \
		"$(stat_of npages)" >/tmp/trace.pb
	pallocctl -f /tmp/trace.pb >/dev/null 2>&1
	echo 0 > $T/events/pallocbits/enable
	cat $T/trace >/tmp/trace.out
	for ev in palloc_alloc: palloc_free: palloc_scavenge: palloc_alloc_fail:; do
		check "tracepoints: $ev events recorded" grep -q " $ev " /tmp/trace.out
	done
	check "tracepoints: the alloc event names the path" grep -q 'path=cache' /tmp/trace.out
}

# rmmod must fail while a process holds the device open (with a run),
# and succeed once it is gone.
rmmod_while_open() {
	{ printf 'alloc 16\nsleep 600\n' | pallocctl - >/dev/null 2>&1; } &
	holder=$!
	n=0
	while [ "$(stat_of pages_inuse)" != 16 ] && [ $n -lt 100 ]; do
		sleep 0.1
		n=$((n + 1))
	done
	check "holder process owns 16 pages" test "$(stat_of pages_inuse)" = 16
	if rmmod pallocbits 2>/dev/null; then
		fail "rmmod while the device is open is refused"
		return
	fi
	check "rmmod while the device is open is refused" loaded
	# Kill the pallocctl child of the holder subshell, then the subshell.
	pkill_holder
	wait "$holder" 2>/dev/null
	n=0
	while [ "$(stat_of pages_inuse)" != 0 ] && [ $n -lt 50 ]; do
		sleep 0.1
		n=$((n + 1))
	done
	check "the holder's pages are freed when it dies" test "$(stat_of pages_inuse)" = 0
}

# A process pins a page of a run (vmsplice into a pipe it keeps), then
# frees the run and closes the device: the page is quarantined, and the
# module must stay until the pin goes (unloading would free pages in use).
rmmod_while_pinned() {
	vmtest --pin-hold >/tmp/pinhold.log 2>&1 &
	pinner=$!
	n=0
	while ! grep -q -e '^pinned' -e '^no pin' /tmp/pinhold.log && [ $n -lt 100 ]; do
		sleep 0.1
		n=$((n + 1))
	done
	if grep -q '^no pin' /tmp/pinhold.log; then
		check "no pin on PFN mappings: nothing quarantined ($(cat /tmp/pinhold.log))" \
			grep -q " 0 pages quarantined in 0 ranges" $DBG/runs
		wait "$pinner"
		return
	fi
	check "a pinned page of a freed run is quarantined" \
		grep -q " 1 pages quarantined in 1 ranges" $DBG/runs
	if rmmod pallocbits 2>/dev/null; then
		fail "rmmod while a page is pinned is refused"
		kill -9 "$pinner"
		wait "$pinner" 2>/dev/null
		return
	fi
	check "rmmod while a page is pinned is refused" loaded
	kill -9 "$pinner"
	wait "$pinner" 2>/dev/null
	n=0
	while ! grep -q " 0 pages quarantined in 0 ranges" $DBG/runs && [ $n -lt 50 ]; do
		sleep 0.1
		n=$((n + 1))
	done
	check "the pinned page comes back when its holder dies" \
		grep -q " 0 pages quarantined in 0 ranges" $DBG/runs
	check "nothing in use after the pin" test "$(stat_of pages_inuse)" = 0
}

pkill_holder() {
	for pid in $(pidof pallocctl); do
		kill -9 "$pid"
	done
	kill "$holder" 2>/dev/null
}

demo() {
	load_extra_modules
	check "insmod reserved base=$base size=$size" insmod $KO base="$base" size="$size"
	cat >/tmp/demo.pb <<-'EOF'
	# A scripted session: one open of /dev/pallocbits for all of it.
	echo ===== the device
	info
	stats
	map
	echo ===== allocate runs of 1, 16, 100, 300 and 1000 pages
	alloc 1
	alloc 16
	alloc 100
	alloc 300
	alloc 1000
	stats
	map
	echo ===== free the 16- and the 300-page runs: two holes
	free @2
	free @4
	stats
	map
	echo ===== a 2 MiB allocation aligned to 2 MiB (512 pages, align 512)
	alloc 512 --align 512
	stats
	map
	echo ===== 10 pages: first fit puts them into the first hole
	alloc 10
	map
	echo ===== freeing a run twice is refused (the '-' carries on)
	- free @2
	echo ===== scavenge (zero) up to 2000 free pages now
	scavenge 2000
	stats
	map
	echo ===== forced scavenge of everything free
	scavenge 100000 --force
	stats
	map
	show chunks
	show scavenger
	show check
	EOF
	if pallocctl -f /tmp/demo.pb; then
		pass "demo session"
	else
		fail "demo session"
	fi
	echo "===== after the session: its runs were freed when it closed the device"
	pallocctl map
	echo "===== a real importer: vivid (a V4L2 driver) captures into dma-bufs of"
	echo "===== /dev/dma_heap/pallocbits"
	run_importer demo --demo
	pallocctl map
	check "rmmod" rmmod pallocbits
}

# vivid, the importer of tests/importer.c: one instance (n_devs) with only
# a video capture node (node_types bit 0), one webcam input (num_inputs,
# input_types 0: progressive, no signal to lose), vb2-dma-contig buffers
# (allocators=1: a dma-buf must be one contiguous DMA range to be queued),
# and no error-injection controls (no_error_inj).
VIVID_PARAMS="n_devs=1 node_types=0x1 num_inputs=1 input_types=0x0 allocators=1 no_error_inj=1"

# make bench: tests/userbench.c on a reserved range (its figures go to the
# host's report), beside 2 MiB MAP_HUGETLB faults in the same boot.
userbench_run() {
	echo 16 >/proc/sys/vm/nr_hugepages
	say "huge pages: $(cat /proc/sys/vm/nr_hugepages) of 2 MiB"
	if insmod $KO base="$base" size="$size"; then
		check "userbench" userbench
		check "rmmod after userbench" rmmod pallocbits
	else
		fail "insmod reserved base=$base size=$size (userbench)"
	fi
}

# Kernel modules scripts/mkinitramfs.sh packed besides ours (the loop driver
# for vmtest's O_DIRECT tests; vivid and the modules it needs for the
# importer): load each one the kernel does not have yet, built in (a debug
# kernel) or loaded, in the order of /lib/modules/extra/order (dependencies
# first; a cpio without it: glob order).
load_extra_modules() {
	if [ -f /lib/modules/extra/order ]; then
		kos=$(sed 's|^|/lib/modules/extra/|' /lib/modules/extra/order)
	else
		kos=$(ls /lib/modules/extra/*.ko 2>/dev/null)
	fi
	for ko in $kos; do
		[ -e "$ko" ] || continue
		name=$(basename "$ko" .ko)
		[ "$name" = loop ] && [ -e /dev/loop-control ] && continue
		[ -d "/sys/module/$(echo "$name" | tr - _)" ] && continue
		# shellcheck disable=SC2086 # one word per parameter
		case "$name" in
		loop)	check "insmod loop (for vmtest)" insmod "$ko" ;;
		vivid)	check "insmod vivid $VIVID_PARAMS (for the importer)" \
				insmod "$ko" $VIVID_PARAMS ;;
		*)	check "insmod $name (for the importer)" insmod "$ko" ;;
		esac
	done
}

# tests/importer.c [ARGS...]: vivid captures frames into dma-bufs from the
# heap node (or, with --mmap-only, into its own buffers).  $1 names the run.
# Exit 0 is a passed step, 4 a skip (no vivid, or no heap node), anything
# else a failed one.  After a run that allocated, every run must be back.
run_importer() {
	where=$1
	shift
	name="importer${*:+ $*} ($where)"
	log=/tmp/importer.log
	say "running $name"
	{
		importer "$@" 2>&1
		echo "importer-exit: $?"
	} | tee "$log"
	rc=$(sed -n 's/^importer-exit: //p' "$log")
	case "$rc" in
	0)	pass "$name" ;;
	4)	why=$(sed -n 's/^importer: SKIP //p' "$log" | tail -n 1)
		# With vivid loaded and the module's heap node there, nothing
		# may make it skip.
		if [ -d /sys/module/vivid ] && [ -c /dev/dma_heap/pallocbits ]; then
			fail "$name: skipped with vivid and the heap node there: $why"
		else
			say "skip $name: $why"
		fi ;;
	*)	fail "$name: exit $rc" ;;
	esac
	if [ "$rc" != 4 ] && [ -f "$DBG/stats" ]; then
		n=0
		while [ "$(stat_of pages_inuse)" != 0 ] && [ $n -lt 50 ]; do
			sleep 0.1
			n=$((n + 1))
		done
		check "$where: pages_inuse is 0 after the importer ($(stat_of pages_inuse))" \
			test "$(stat_of pages_inuse)" = 0
	fi
}

tests() {
	load_extra_modules
	# vivid and the pixels expected of it, before any dma-buf is involved.
	run_importer "vivid self-check" --mmap-only
	say "reserved range base=$base size=$size, RAM probe $ram"
	grep -i -E 'reserved|pallocbits' /proc/iomem | head -n 20

	# --- reserved mode ---
	resv_params=""
	[ "${pb_struct_pages:-yes}" = yes ] || resv_params="struct_pages=0"
	if insmod $KO base="$base" size="$size" $resv_params; then
		pass "insmod reserved base=$base size=$size $resv_params"
		check "/dev/pallocbits exists" test -c /dev/pallocbits
		heap_node_checks
		check "debugfs directory exists" test -d $DBG
		# How importers get DMA addresses (dmabuf.c): pages where the
		# range has a memory map, dma_map_resource() where it has none.
		# scripts/vmtest.sh says which one this range must be.
		check "reserved range: struct pages ${pb_pages:-yes}, as the host placed it" \
			grep -q "has struct pages: ${pb_pages:-yes}$" $DBG/runs
		check "/proc/iomem shows the claimed range" grep -q pallocbits /proc/iomem
		case "${pb_maps:-devmap}" in
		devmap)	want_maps="mappings zone-device-pages, 2 MiB entries yes" ;;
		devmap-4k) want_maps="mappings zone-device-pages, 2 MiB entries no" ;;
		*)	want_maps="mappings pfn, 2 MiB entries no" ;;
		esac
		check "reserved range: $want_maps" grep -q "^# $want_maps," $DBG/runs
		run_vmtest reserved "$base" "$size" "${pb_maps:-devmap}"
		after_vmtest reserved
		run_importer "reserved mode"
		pallocctl_checks
		tracepoint_checks
		hibernation_refused
		rmmod_while_open
		rmmod_while_pinned
		check "rmmod (reserved)" rmmod pallocbits
		if grep -q pallocbits /proc/iomem; then
			fail "the range is released on rmmod"
		else
			pass "the range is released on rmmod"
		fi
	else
		fail "insmod reserved base=$base size=$size"
	fi

	# --- self-grabbed mode ---
	if insmod $KO size="$grab_size"; then
		pass "insmod self-grabbed size=$grab_size"
		check "/dev/pallocbits exists" test -c /dev/pallocbits
		heap_node_checks
		check "grabbed range: RAM pages, 4 KiB entries" \
			grep -q "^# mappings ram-pages, 2 MiB entries no," $DBG/runs
		run_vmtest grabbed "" "$grab_size" ram
		after_vmtest grabbed
		run_importer "grabbed mode"
		grab_zone_check 0
		rmmod_while_pinned
		check "rmmod (self-grabbed)" rmmod pallocbits
	else
		fail "insmod self-grabbed size=$grab_size"
	fi
	if insmod $KO size="$grab_size" grab_movable=1; then
		pass "insmod self-grabbed size=$grab_size grab_movable=1"
		grab_zone_check 1
		# A long-term pin (IORING_REGISTER_BUFFERS) fails cleanly there.
		PB_ONLY=pb.info,pb.io_uring_register_mapping,pb.o_direct_read_into_mapping \
			run_vmtest movable "" "$grab_size" pfn
		check "rmmod (self-grabbed, grab_movable=1)" rmmod pallocbits
	else
		fail "insmod self-grabbed size=$grab_size grab_movable=1"
	fi

	# --- an elastic pool: idle chunks go back to the kernel, come back on
	# demand; in a normal zone and in ZONE_MOVABLE ---
	for mv in 0 1; do
		maps=ram
		elastic=normal
		[ "$mv" = 0 ] || { maps=pfn; elastic=movable; }
		if insmod $KO size="$grab_size" min_size=0x1000000 grab_movable=$mv; then
			pass "insmod elastic size=$grab_size min_size=16M grab_movable=$mv"
			PB_ELASTIC=$elastic PB_ONLY=pb.info,pb.elastic_shrink_grow,pb.elastic_pressure,pb.elastic_unmovable,fuzz.one_process_exact,fuzz.processes \
				run_vmtest elastic$mv "" "$grab_size" $maps
			check "elastic pool (grab_movable=$mv): nothing in use after vmtest" \
				test "$(stat_of pages_inuse)" = 0
			check "rmmod (elastic, grab_movable=$mv)" rmmod pallocbits
		else
			fail "insmod elastic size=$grab_size min_size=16M grab_movable=$mv"
		fi
	done

	# --- invalid parameters: insmod must fail and leave nothing behind ---
	bad_insmod "base inside System RAM" base="$ram" size=0x400000
	bad_insmod "range running from the reservation into RAM" \
		base=$((base + size - 0x200000)) size=0x400000
	bad_insmod "unaligned base" base=$((base + 0x800)) size=0x400000
	bad_insmod "unaligned size" base="$base" size=0x400800
	bad_insmod "size 0" base="$base" size=0
	bad_insmod "goal_percent 101" base="$base" size="$size" goal_percent=101
	bad_insmod "budget_percent 0" base="$base" size="$size" budget_percent=0
	bad_insmod "min_size in reserved mode" base="$base" size="$size" min_size=0x100000
	bad_insmod "min_size above size" size="$grab_size" min_size=$((grab_size + 0x200000))
	bad_insmod "struct_pages=maybe" base="$base" size="$size" struct_pages=maybe
	bad_insmod "huge_mappings=2" base="$base" size="$size" huge_mappings=2
	# Not reserved memory (finding 5): a hole above RAM, and a device's BAR.
	bad_insmod "a range with no memory behind it" base=0x100000000 size=0x400000
	bar=$(sed -n 's/^ *\([0-9a-f]*\)-[0-9a-f]* : 0000:00:02\.0$/\1/p' /proc/iomem | head -n 1)
	if [ -n "$bar" ]; then
		bad_insmod "the VGA device's BAR 0x$bar" base="0x$bar" size=0x100000
	else
		fail "found a PCI BAR of 0000:00:02.0 in /proc/iomem"
	fi

	# The dma-heap name (heap_name): a file name, and not taken.
	bad_insmod "heap_name with a /" base="$base" size="$size" heap_name=a/b
	bad_insmod "heap_name .." base="$base" size="$size" heap_name=..
	bad_insmod "an empty heap_name" base="$base" size="$size" heap_name=
	mkdir -p /dev/dma_heap
	touch /dev/dma_heap/taken
	bad_insmod "heap_name of an existing /dev/dma_heap node" base="$base" size="$size" \
		heap_name=taken
	rm -f /dev/dma_heap/taken
	if [ -d /sys/class/dma_heap/system ]; then
		# A kernel with dma-heaps (the debug kernel): its system heap.
		bad_insmod "heap_name of the kernel's system heap" base="$base" size="$size" \
			heap_name=system
		if insmod $KO base="$base" size="$size"; then
			check "the pallocbits heap coexists with the kernel's system heap" \
				test -c /dev/dma_heap/pallocbits -a -c /dev/dma_heap/system
			rmmod pallocbits
		else
			fail "insmod beside the kernel's system heap"
		fi
	fi
	if insmod $KO base="$base" size="$size" heap_name=linux,cma; then
		check "heap_name=linux,cma: /dev/dma_heap/linux,cma" test -c /dev/dma_heap/linux,cma
		check "heap_name=linux,cma: no /dev/dma_heap/pallocbits" \
			test ! -e /dev/dma_heap/pallocbits
		check "heap_name=linux,cma: vmtest's heap tests" env PB_HEAP=linux,cma \
			PB_ONLY=pb.heap_alloc_scm_rights,pb.heap_bad_args vmtest
		rmmod pallocbits
		check "rmmod removes /dev/dma_heap/linux,cma" test ! -e /dev/dma_heap/linux,cma
	else
		fail "insmod heap_name=linux,cma"
	fi

	# --- and it still loads after all that ---
	check "insmod reserved again" insmod $KO base="$base" size="$size"
	check "rmmod again" rmmod pallocbits
}

# /dev/dma_heap/NAME: the kernel's dma-heap ABI on our own misc device,
# root-only like /dev/pallocbits.
heap_node_checks() {
	check "/dev/dma_heap/pallocbits exists" test -c /dev/dma_heap/pallocbits
	check "/dev/dma_heap/pallocbits is 0600 root" \
		test "$(stat -c '%a %u' /dev/dma_heap/pallocbits)" = "600 0"
}

# Where the grabbed range lies against ZONE_MOVABLE (finding 6): outside it
# unless grab_movable=1 ($1), inside it then.  The guest boots with
# movablecore= so that the top of RAM is ZONE_MOVABLE.
grab_zone_check() {
	mstart=$(awk '/^Node 0, zone +Movable/ { m = 1 } m && /start_pfn:/ { print $2; exit }' /proc/zoneinfo)
	gbase=$(dmesg | sed -n 's/.*pallocbits: grabbed range \(0x[0-9a-f]*\),.*/\1/p' | tail -n 1)
	if [ -z "$mstart" ] || [ "$mstart" = 0 ] || [ -z "$gbase" ]; then
		fail "grabbed range ($gbase) and ZONE_MOVABLE (start_pfn $mstart) found"
		return
	fi
	gpfn=$((gbase >> 12))
	npages=$((grab_size >> 12))
	if [ "$1" = 0 ]; then
		check "grabbed pfns $gpfn+$npages stay below ZONE_MOVABLE ($mstart)" \
			test $((gpfn + npages)) -le "$mstart"
	else
		check "grab_movable=1: grabbed pfn $gpfn is in ZONE_MOVABLE ($mstart)" \
			test "$gpfn" -ge "$mstart"
		# 6.1 would retry migrating such pages before a long-term pin
		# forever: they are mapped as PFNs (pages.c).
		check "grab_movable=1: ZONE_MOVABLE pages are mapped as PFNs" \
			grep -q "^# mappings pfn, " $DBG/runs
	fi
}

# Reserved mode refuses hibernation (finding 13): the range is not saved.
# pm_test=freezer stops a hibernation that gets past the notifiers right
# after freezing tasks, so a missing refusal costs seconds, not the guest.
hibernation_refused() {
	if ! grep -qw disk /sys/power/state 2>/dev/null || [ ! -w /sys/power/pm_test ]; then
		say "hibernation check skipped: no hibernation or no pm_test in this kernel"
		return
	fi
	echo freezer >/sys/power/pm_test
	if echo disk >/sys/power/state 2>/tmp/hib.err; then
		fail "hibernation is refused while a reserved range is loaded"
	else
		pass "hibernation is refused while a reserved range is loaded: $(cat /tmp/hib.err)"
	fi
	echo none >/sys/power/pm_test
}

bad_insmod() {
	desc=$1
	shift
	if insmod $KO "$@" 2>/tmp/insmod.err; then
		fail "insmod refuses $desc ($*)"
		rmmod pallocbits
	else
		pass "insmod refuses $desc: $(tail -n 1 /tmp/insmod.err)"
	fi
	if loaded || [ -e /dev/pallocbits ] || [ -d $DBG ] || [ -e /dev/dma_heap/pallocbits ]; then
		fail "nothing left behind after the refused insmod ($desc)"
	fi
}

say "pallocbits $mode run, kernel $(uname -r)"
start=$(cut -d ' ' -f 1 /proc/uptime)
case "$mode" in
demo)	demo ;;
bench)	userbench_run ;;
*)	tests ;;
esac

# --- the kernel's own verdict ---
if dmesg | grep -E 'BUG:|WARNING:|Oops|Call Trace|KASAN|UBSAN' >/tmp/bad-dmesg; then
	fail "dmesg has no BUG/WARNING/Oops/KASAN/UBSAN"
	head -n 40 /tmp/bad-dmesg
	dmesg | grep -E -A 30 'BUG:|WARNING:|Oops' | head -n 120
else
	pass "dmesg has no BUG/WARNING/Oops/KASAN/UBSAN"
fi
tainted=$(cat /proc/sys/kernel/tainted)
if [ $((tainted & ~12288)) -eq 0 ]; then
	pass "taint $tainted (only O and E allowed)"
else
	fail "taint $tainted has bits beyond O|E (12288): $((tainted & ~12288))"
fi

echo "----- pallocbits kernel messages -----"
dmesg | grep -i pallocbits | tail -n 30
end=$(cut -d ' ' -f 1 /proc/uptime)
echo "========== pallocbits $mode summary =========="
if [ "$mode" = test ]; then
	echo "vmtest: $vt_pass passed, $vt_fail failed"
	[ "$vt_skip" -eq 0 ] || echo "vmtest: $vt_skip skipped (counted as failed)"
fi
echo "init steps: $steps_pass passed, $steps_fail failed"
[ -z "$failed_steps" ] || echo "failed:$failed_steps"
echo "guest time: ${start}s .. ${end}s"
if [ "$steps_fail" -eq 0 ] && [ "$vt_fail" -eq 0 ]; then
	echo "RESULT: PASS"
	verdict 0
else
	echo "RESULT: FAIL"
	verdict 1
fi
