#!/usr/bin/env bash
# Builds the demo's built-in sample disk without mounting anything: a 64 MiB + 123 KiB (deliberately unaligned)
# GPT disk with an EFI system partition (FAT, mtools) and an ext4 root (mke2fs -d), holding a small Debian-like
# configuration tree as a custom-built image would have it before Azure preparation: `quiet` on the kernel command
# line, swap in fstab, udf disabled, no Azure datasource, SSH host keys and a build user left behind.
# Then converts it to qcow2, the usual output of a KVM build.  Usage: make-sample-disk.sh OUTDIR
set -euo pipefail
out=${1:?usage: make-sample-disk.sh OUTDIR}
mkdir -p "$out"
work=$(mktemp -d "$out/.tree.XXXXXX")
trap 'rm -rf "$work"' EXIT
tree=$work/root
cp -a "$(dirname "$0")/sample-guest/." "$tree"
mkdir -p "$tree"/{proc,sys,dev,run,tmp,mnt,var/log,var/lib/dhcp,boot/efi,home/builder/.ssh,root/.ssh,etc/ssh,etc/cloud/cloud.cfg.d,etc/systemd/system/multi-user.target.wants}
echo "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeBuilderKeyForTheDemoOnly builder@build" > "$tree/home/builder/.ssh/authorized_keys"
echo "ls -la" > "$tree/root/.bash_history"
echo "sudo reboot" > "$tree/home/builder/.bash_history"
printf '0123456789abcdef0123456789abcdef\n' > "$tree/etc/machine-id"
echo "demo-host-key-not-a-real-key" > "$tree/etc/ssh/ssh_host_ed25519_key"
echo "lease { interface \"eth0\"; fixed-address 192.168.122.10; }" > "$tree/var/lib/dhcp/dhclient.eth0.leases"

disk=$work/sample.raw
size=$((64 * 1024 * 1024 + 123 * 1024))
truncate -s "$size" "$disk"
sgdisk -o \
  -n 1:2048:+1M -t 1:ef02 -c 1:bios \
  -n 2:0:+16M -t 2:ef00 -c 2:esp \
  -n 3:0:0 -t 3:8300 -c 3:root \
  -u 3:6a1d9f0e-3b57-4cde-9d11-2b9e6f1c0a01 "$disk" >/dev/null
part() { sgdisk -i "$1" "$disk" | awk -v k="$2" '$0 ~ k {print $3}'; }
esp_start=$(part 2 'First sector'); esp_end=$(part 2 'Last sector')
root_start=$(part 3 'First sector'); root_end=$(part 3 'Last sector')

# ESP: FAT with the fallback boot path present (contents are placeholders: the demo does not boot).
esp=$work/esp.img
truncate -s $(( (esp_end - esp_start + 1) * 512 )) "$esp"
mkfs.vfat -n ESP -i 1A2B3C4D "$esp" >/dev/null
mmd -i "$esp" ::/EFI ::/EFI/BOOT ::/EFI/debian
printf 'demo placeholder\n' > "$work/BOOTX64.EFI"
mcopy -i "$esp" "$work/BOOTX64.EFI" ::/EFI/BOOT/BOOTX64.EFI
printf 'search --fs-uuid --set=root 3f0d5a52-6c52-4a8e-9a4e-6a4a7b9d1c11\nset prefix=($root)/boot/grub\nconfigfile $prefix/grub.cfg\n' > "$work/grub.cfg"
mcopy -i "$esp" "$work/grub.cfg" ::/EFI/debian/grub.cfg
dd if="$esp" of="$disk" bs=512 seek="$esp_start" conv=notrunc status=none

# Root: ext4 written straight into its partition.
mke2fs -q -t ext4 -L root -U 3f0d5a52-6c52-4a8e-9a4e-6a4a7b9d1c11 -d "$tree" -E offset=$((root_start * 512)) \
  "$disk" $(( (root_end - root_start + 1) / 2 ))k

qemu-img convert -f raw -O qcow2 "$disk" "$out/sample.qcow2"
echo "$out/sample.qcow2"
