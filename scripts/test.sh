#!/usr/bin/env bash
# The whole test suite on a fresh machine: installs what is missing, then builds and runs every test,
# including the oracle tests (qemu-img, e2fsck, sgdisk, fsck.vfat, xfs_repair, Azurite) and the CRD drift check.
# Extra Maven arguments pass through, e.g.  scripts/test.sh -Pboot  (adds QEMU boots of prepared guests).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec ./mvnw -B -ntp verify "$@"
