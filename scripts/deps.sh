#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Install every Debian package pallocbits needs, and nothing when all are present.
#
#   scripts/deps.sh [GROUP...]     groups: build kunit lint oracle vm fuzz pkg rt profile
#                                  (default: all)
#
# Quiet when everything is installed; otherwise installs the missing packages with
# apt-get (root or sudo).  Safe to run concurrently with itself (apt's lock serialises).
set -eu

pkgs_build="make gcc libc6-dev linux-headers-amd64"
pkgs_kunit="linux-source-6.1 xz-utils flex bison bc libelf-dev libssl-dev python3"
pkgs_lint="sparse perl"
pkgs_oracle="golang-go"
pkgs_vm="qemu-system-x86 busybox-static cpio kmod"
pkgs_fuzz="clang libclang-rt-14-dev"
pkgs_pkg="dkms kmod"
# The PREEMPT_RT headers for `make vmtest-rt` (the image is only downloaded,
# by scripts/vmlinux.sh rt-amd64, never installed).
pkgs_rt="linux-headers-rt-amd64"
# perf for `make profile` (scripts/profile.sh).
pkgs_profile="linux-perf"

[ $# -gt 0 ] || set -- build kunit lint oracle vm fuzz pkg rt profile
want=""
for g in "$@"; do
	eval "want=\"\$want \${pkgs_$g:?unknown group $g}\""
done

missing=""
for p in $want; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing="$missing $p"
	fi
done
[ -n "$missing" ] || exit 0

echo "deps: installing:$missing" >&2
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
# A stale or missing package list is the usual reason for "Unable to locate package".
if ! $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null 2>&1; then
	$SUDO apt-get update -qq
	$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
