#!/usr/bin/env bash
# Installs what the build, the tests and the demo need on a fresh Debian machine, skipping what is present.
# Idempotent; safe to run every time. Debian packages via apt-get, Azurite via npm into ./node_modules,
# Maven dependencies via the wrapper on first build.
set -euo pipefail
cd "$(dirname "$0")/.."

# Oracle and fixture tools (see docs/testing.md): qemu-img, e2fsprogs, sgdisk/sfdisk, dosfstools+mtools, xfsprogs,
# cpio/lsinitramfs, dracut-core (lsinitrd, skipcpio: dracut's listing oracle; unlike `dracut` it does not replace
# initramfs-tools),
# decompressors for initramfs fixtures, debootstrap + QEMU for real guests and boots.
# LVM fixtures (lvm2), module indexes (kmod), objcopy (binutils: KernelFixture.retargeted sets a module's vermagic), unit-file oracles (systemd), the report-ready script's runtimes
# (curl, wget, busybox, dash, python3), the netplan oracle (netplan.io: `netplan generate --root-dir`), the page-cache oracle
# of the direct-I/O tests (fincore, in util-linux-extra).
PACKAGES=(qemu-utils e2fsprogs gdisk fdisk dosfstools mtools xfsprogs cpio initramfs-tools-core dracut-core zstd xz-utils lz4
  bzip2 debootstrap lvm2 kmod binutils systemd curl wget busybox dash python3 file netplan.io util-linux-extra)
if [ "${LINUXIMAGE_SETUP_BOOT:-0}" = 1 ]; then
  # genisoimage: the Azure provisioning medium (ovf-env.xml on a CD) for the waagent boot
  PACKAGES+=(qemu-system-x86 ovmf genisoimage)
fi

# The kernel fixture fetches Debian's kernel package with `apt-get download`: it needs package lists.
if [ -z "$(ls -A /var/lib/apt/lists 2>/dev/null | grep -v -e lock -e partial)" ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
fi

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v npm >/dev/null; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq nodejs npm >/dev/null
fi
if [ ! -x node_modules/.bin/azurite-blob ]; then
  echo "setup: installing Azurite (npm, into ./node_modules)"
  npm ci --no-audit --no-fund --silent 2>/dev/null || npm install --no-audit --no-fund --silent
fi
