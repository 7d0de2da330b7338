#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Kernel modules for the QEMU initramfs, taken from a Debian kernel image
# package, with everything they depend on:
#
#   vmmodules.sh DEB KVER DIR MODULE...
#
# MODULE is a path under lib/modules/KVER/ (kernel/drivers/block/loop.ko)
# or a module name (vivid; '-' and '_' are the same).  Each MODULE and every
# module it needs, recursively, is extracted from DEB into DIR, once (DIR
# is a cache: DIR/kernel/...).  What a module needs is the depends= of its
# own .modinfo, read with modinfo: the package ships no modules.dep (depmod
# writes it when the package is installed), and modpost wrote depends= from
# the same symbol references that depmod reads.  A compressed module
# (.ko.xz, .ko.gz, .ko.zst) is stored decompressed, as .ko: busybox insmod
# may not read it.
#
# Prints the stored paths, one a line, in load order: every module after
# the modules it depends on, otherwise in the order found.
set -eu
if [ $# -lt 4 ]; then
	echo "usage: $0 DEB KVER DIR MODULE..." >&2
	exit 2
fi
deb=$1
kver=$2
dir=$3
shift 3

die() {
	echo "vmmodules: $*" >&2
	exit 1
}

mkdir -p "$dir"
work=$(mktemp -d "$dir/tmp.XXXXXX")
trap 'rm -rf "$work"' EXIT

# Every module file of the package, relative to lib/modules/KVER/ (listed
# once per cache directory).
list=$dir/modules.list
if [ ! -s "$list" ]; then
	dpkg-deb --fsys-tarfile "$deb" | tar -t |
		sed -n "s|^\./lib/modules/$kver/\(.*\.ko\(\.xz\|\.gz\|\.zst\)\{0,1\}\)$|\1|p" \
		>"$work/list" ||
		die "listing $deb"
	[ -s "$work/list" ] || die "$deb has no modules under lib/modules/$kver"
	mv "$work/list" "$list"
fi

# The package member (relative path, maybe compressed) of a path or name.
member() {
	awk -v want="$1" '
	{
		p = $0
		sub(/\.(xz|gz|zst)$/, "", p)
		if (index(want, "/")) {
			if (p == want)
				print $0
			next
		}
		n = p
		sub(/.*\//, "", n)
		sub(/\.ko$/, "", n)
		w = want
		gsub(/-/, "_", n)
		gsub(/-/, "_", w)
		if (n == w)
			print $0
	}' "$list" | head -n 1
}

# The stored (decompressed) path of a member.
stored() {
	echo "$1" | sed 's/\.\(xz\|gz\|zst\)$//'
}

todo=""
for m in "$@"; do
	r=$(member "$m")
	[ -n "$r" ] || die "$deb has no module $m"
	case " $todo " in *" $r "*) ;; *) todo="$todo $r" ;; esac
done
seen=""
: >"$work/edges"
while [ -n "$todo" ]; do
	# Extract what the cache lacks, in one pass over the package.
	missing=""
	for r in $todo; do
		[ -s "$dir/$(stored "$r")" ] || missing="$missing ./lib/modules/$kver/$r"
	done
	if [ -n "$missing" ]; then
		mkdir -p "$work/x"
		# shellcheck disable=SC2086 # one word per member
		dpkg-deb --fsys-tarfile "$deb" |
			tar -x -C "$work/x" --strip-components=4 $missing ||
			die "extracting$missing from $deb"
		for r in $todo; do
			s=$(stored "$r")
			[ -e "$work/x/$r" ] || continue
			case "$r" in
			*.xz)	xz -dc "$work/x/$r" >"$work/x/$s" ;;
			*.gz)	gzip -dc "$work/x/$r" >"$work/x/$s" ;;
			*.zst)	zstd -q -dc "$work/x/$r" >"$work/x/$s" ;;
			esac || die "decompressing $r"
			mkdir -p "$(dirname "$dir/$s")"
			mv "$work/x/$s" "$dir/$s"
		done
		rm -rf "$work/x"
	fi
	next=""
	for r in $todo; do
		s=$(stored "$r")
		seen="$seen $r"
		deps=$(modinfo -F depends "$dir/$s") || die "modinfo $dir/$s"
		line=$s
		for d in $(echo "$deps" | tr ',' ' '); do
			dr=$(member "$d")
			[ -n "$dr" ] || die "$s depends on $d, which $deb does not have"
			line="$line $(stored "$dr")"
			case " $seen $todo $next " in
			*" $dr "*) ;;
			*) next="$next $dr" ;;
			esac
		done
		echo "$line" >>"$work/edges"
	done
	todo=$next
done

# Load order: a module once all it depends on is out, in the order found.
awk -v dir="$dir" '
{
	n++
	name[n] = $1
	nd[n] = NF - 1
	for (i = 2; i <= NF; i++)
		dep[n, i - 1] = $i
}
END {
	left = n
	while (left > 0) {
		progress = 0
		for (k = 1; k <= n; k++) {
			if (done[name[k]])
				continue
			ok = 1
			for (j = 1; j <= nd[k]; j++)
				if (!done[dep[k, j]])
					ok = 0
			if (!ok)
				continue
			print dir "/" name[k]
			done[name[k]] = 1
			left--
			progress = 1
		}
		if (!progress) {
			print "vmmodules: a dependency cycle" > "/dev/stderr"
			exit 1
		}
	}
}' "$work/edges"
