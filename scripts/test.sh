#!/usr/bin/env bash
# The whole test suite on a fresh machine: installs what is missing, then
#  1. builds and runs the default suite: unit, oracle (qemu-img, e2fsck, debugfs, sgdisk, fsck.vfat, xfs_repair,
#     cpio/lsinitramfs, modprobe, Azurite), fuzz regression corpora, operator tests on the mock API server, CRD drift;
#  2. runs the real-guest pass (-Pguests): Debian bookworm guests built offline with debootstrap, prepared by the
#     product, checked with the oracle tools and booted in QEMU.
# Guest trees are cached in $GUEST_CACHE_DIR (default ~/.cache/linuximage/guests): a cold build takes ~4 minutes (up to 20 under load).
# Extra Maven arguments pass through to both passes. LINUXIMAGE_SKIP_GUESTS=1 runs only the default suite.
set -euo pipefail
cd "$(dirname "$0")/.."
LINUXIMAGE_SETUP_BOOT=1 scripts/setup.sh
export GUEST_CACHE_DIR=${GUEST_CACHE_DIR:-$HOME/.cache/linuximage/guests}
# Formatting (Spotless, palantir-java-format; see docs/testing.md#formatting): refuses unformatted code before the tests.
# Fix with `./mvnw spotless:apply`.
./mvnw -B -ntp spotless:check
./mvnw -B -ntp verify "$@"
if [ "${LINUXIMAGE_SKIP_GUESTS:-0}" != 1 ]; then
  ./mvnw -B -ntp surefire:test -Pguests "$@"
fi
