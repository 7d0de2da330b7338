#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Print the kernel build directory to compile against: the running kernel's
# if it has headers installed and is a 6.1 kernel, else the newest installed
# Debian 6.1 amd64 headers.
set -eu
run=/lib/modules/$(uname -r)/build
case "$(uname -r)" in
6.1.*)	if [ -d "$run" ]; then echo "$run"; exit 0; fi ;;
esac
kdir=$(ls -d /usr/src/linux-headers-6.1.*-amd64 2>/dev/null | sort -V | tail -n 1)
if [ -z "$kdir" ]; then
	echo "kdir: no linux-headers-6.1 amd64 found (scripts/deps.sh build installs them)" >&2
	exit 1
fi
echo "$kdir"
