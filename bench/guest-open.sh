#!/usr/bin/env bash
# Benchmark: open a 20 GiB sparse guest disk (GPT, FAT ESP, XFS root with a few large files, everything else a hole)
# and read files through `linuximage guest cat`, unprivileged and without mounting. Reports wall time and max RSS
# per command and checks every byte against the source files. Reads only headers and the files' own blocks: no
# full-disk scan (the 20 GiB are never read). Usage: bench/guest-open.sh [workdir]   (default target/bench-guest)
set -euo pipefail
cd "$(dirname "$0")/.."
WORK=${1:-target/bench-guest}
JAR=target/quarkus-app/quarkus-run.jar
mkdir -p "$WORK"
for t in sgdisk mkfs.vfat mmd mcopy mkfs.xfs dd /usr/bin/time java; do
  command -v "$t" >/dev/null || { echo "missing tool: $t" >&2; exit 1; }
done
if [ ! -f "$JAR" ]; then
  echo "building $JAR ..." >&2
  ./mvnw -B -q -o package -DskipTests >&2
fi

SRC=$WORK/src; mkdir -p "$SRC"
printf 'NAME="Rocky Linux"\nID=rocky\nVERSION_ID="9.4"\nPRETTY_NAME="Rocky Linux 9.4 (Blue Onyx)"\n' > "$SRC/os-release"
printf 'UUID=11111111-2222-3333-4444-555555555555 / xfs defaults 0 0\nUUID=BEEF-CAFE /boot/efi vfat umask=0077 0 1\n' > "$SRC/fstab"
{ echo 'set timeout=5'; for i in $(seq 1 200); do echo "menuentry 'kernel $i' { linux /vmlinuz-$i root=UUID=11111111-2222-3333-4444-555555555555 ro console=ttyS0 }"; done; } > "$SRC/grub.cfg"
for n in 1 2 3; do [ -f "$SRC/large$n.bin" ] || head -c $((64 << 20)) /dev/urandom > "$SRC/large$n.bin"; done
# an initramfs-sized file (incompressible, as a compressed initramfs is)
[ -f "$SRC/initramfs.img" ] || head -c $((48 << 20)) /dev/urandom > "$SRC/initramfs.img"
cat > "$WORK/root.proto" <<PROTO
/dev/null
0 0
d--755 0 0
etc d--755 0 0
 os-release ---644 0 0 $PWD/$SRC/os-release
 fstab ---644 0 0 $PWD/$SRC/fstab
$
boot d--755 0 0
 efi d--700 0 0
 \$
 grub d--755 0 0
  grub.cfg ---644 0 0 $PWD/$SRC/grub.cfg
 \$
 initramfs-5.14.0-427.el9.x86_64.img ---600 0 0 $PWD/$SRC/initramfs.img
\$
var d--755 0 0
 large1.bin ---644 0 0 $PWD/$SRC/large1.bin
 large2.bin ---644 0 0 $PWD/$SRC/large2.bin
 large3.bin ---644 0 0 $PWD/$SRC/large3.bin
\$
\$
PROTO
sed -i 's/^\$$/$/' "$WORK/root.proto"

DISK=$WORK/disk20g.raw
rm -f "$DISK" "$WORK/root.xfs" "$WORK/esp.fat"
truncate -s 20G "$DISK"
sgdisk -n1:2048:+64M -t1:ef00 -n2:0:+1M -t2:ef02 -n3:0:0 -t3:8304 "$DISK" >/dev/null
ROOT_START=$(sgdisk -i 3 "$DISK" | awk '/First sector/ {print $3}')
truncate -s 1G "$WORK/root.xfs"
mkfs.xfs -q -f -m uuid=11111111-2222-3333-4444-555555555555 -p "$WORK/root.proto" "$WORK/root.xfs"
mkfs.vfat -C -F 32 -i BEEFCAFE "$WORK/esp.fat" $((64 * 1024)) >/dev/null
MTOOLS_SKIP_CHECK=1 mmd -i "$WORK/esp.fat" ::/EFI
dd if="$WORK/esp.fat" of="$DISK" bs=1M seek=1 conv=sparse,notrunc status=none
dd if="$WORK/root.xfs" of="$DISK" bs=512 seek="$ROOT_START" conv=sparse,notrunc status=none
echo "disk: $DISK virtual $(du --apparent-size -h "$DISK" | cut -f1), allocated $(du -h "$DISK" | cut -f1)"

run() { # label, guest path, expected local file
  local out=$WORK/out.bin
  /usr/bin/time -f "%e %M" -o "$WORK/time.txt" java -jar "$JAR" guest cat "$DISK" "$2" > "$out"
  read -r secs rss < "$WORK/time.txt"
  if cmp -s "$out" "$3"; then ok=ok; else ok=MISMATCH; fi
  printf '%-22s %8s bytes  %6ss  max RSS %6s MiB  %s\n' "$1" "$(stat -c %s "$out")" "$secs" $((rss / 1024)) "$ok"
  [ "$ok" = ok ]
}
run "/etc/os-release" /etc/os-release "$SRC/os-release"
run "/etc/fstab" /etc/fstab "$SRC/fstab"
run "/boot/grub/grub.cfg" /boot/grub/grub.cfg "$SRC/grub.cfg"
for n in 1 2 3; do run "/var/large$n.bin" /var/large$n.bin "$SRC/large$n.bin"; done
/usr/bin/time -f "%e %M" -o "$WORK/time.txt" java -jar "$JAR" inspect "$DISK" > "$WORK/inspect.txt"
read -r secs rss < "$WORK/time.txt"
printf '%-22s %6ss  max RSS %6s MiB\n' "inspect" "$secs" $((rss / 1024))
grep -q "Rocky Linux 9.4" "$WORK/inspect.txt"

# The issue's case: one command opens the disk and reads os-release, fstab, grub.cfg and the initramfs.
timed() { # OUTFILE command...: runs the command with stdout to OUTFILE, prints its wall seconds
  local o=$1; shift; /usr/bin/time -f "%e" -o "$WORK/time.txt" "$@" > "$o"; cat "$WORK/time.txt"; }
best() { sort -n | head -1; }
START=$(for i in 1 2 3; do timed /dev/null java -jar "$JAR" --version; done | best)
SMALL=$(for i in 1 2 3; do timed "$WORK/small.out" java -jar "$JAR" guest cat "$DISK" /etc/os-release /etc/fstab \
  /boot/grub/grub.cfg; done | best)
cat "$SRC/os-release" "$SRC/fstab" "$SRC/grub.cfg" | cmp -s - "$WORK/small.out" || { echo "MISMATCH (small files)"; exit 1; }
ALL=$(for i in 1 2 3; do timed "$WORK/all.out" java -jar "$JAR" guest cat "$DISK" /etc/os-release /etc/fstab \
  /boot/grub/grub.cfg /boot/initramfs-5.14.0-427.el9.x86_64.img; done | best)
cat "$SRC/os-release" "$SRC/fstab" "$SRC/grub.cfg" "$SRC/initramfs.img" | cmp -s - "$WORK/all.out" \
  || { echo "MISMATCH (with initramfs)"; exit 1; }
inproc() { # the command's in-process time (LINUXIMAGE_TIMING), best of 3, in seconds
  for i in 1 2 3; do LINUXIMAGE_TIMING=1 java -jar "$JAR" "$@" 2>&1 >/dev/null | sed -n 's/.* took \([0-9]*\) ms.*/\1/p'
  done | sort -n | head -1 | awk '{printf "%.3f", $1 / 1000}'; }
SMALL_IN=$(inproc guest cat "$DISK" /etc/os-release /etc/fstab /boot/grub/grub.cfg)
ALL_IN=$(inproc guest cat "$DISK" /etc/os-release /etc/fstab /boot/grub/grub.cfg /boot/initramfs-5.14.0-427.el9.x86_64.img)
HOSTCAT=$(for i in 1 2 3; do timed /dev/null cat "$SRC/initramfs.img"; done | best)
echo "one command, best of 3 (wall s):"
printf '  JVM start-up alone (--version)                      %6s\n' "$START"
printf '  open + os-release, fstab, grub.cfg                  %6s  (in-process: %s)\n' "$SMALL" "$SMALL_IN"
printf '  open + those + 48 MiB initramfs                     %6s  (in-process: %s)\n' "$ALL" "$ALL_IN"
printf '  host cat of the same initramfs (page cache)         %6s\n' "$HOSTCAT"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
