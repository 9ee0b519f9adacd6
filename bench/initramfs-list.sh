#!/bin/sh
# Compares listing a large initramfs with InitramfsReader against Debian's lsinitramfs, in the same run.
# Image: the drivers/net/fs module tree of Debian's kernel package (src/test/fixtures/kernel.sh) as one newc archive
# (~350 MB), compressed with zstd -3 and gzip -6. Usage: bench/initramfs-list.sh   (after ./mvnw -o compile)
set -eu
cd "$(dirname "$0")/.."
v=$(sh src/test/fixtures/kernel.sh target/kernel)
out=target/bench-initramfs
mkdir -p $out
if [ ! -f $out/main.zst ]; then
  (cd target/kernel/root/lib/modules/$v && find kernel/drivers kernel/net kernel/fs | cpio --quiet -o -H newc) > $out/main.cpio
  zstd -q -3 -T2 -f $out/main.cpio -o $out/main.zst
  gzip -6 -c $out/main.cpio > $out/main.cpio.gz
  rm $out/main.cpio
fi
M=${MAVEN_REPO:-$HOME/.m2/repository}
CP=target/classes:$M/org/tukaani/xz/1.10/xz-1.10.jar:$M/io/airlift/aircompressor/0.27/aircompressor-0.27.jar
CP=$CP:$M/org/apache/commons/commons-compress/1.28.0/commons-compress-1.28.0.jar
CP=$CP:$(ls $M/commons-io/commons-io/*/commons-io-*.jar | tail -1):$(ls $M/org/apache/commons/commons-lang3/*/commons-lang3-*.jar | tail -1)
for f in main.zst main.cpio.gz; do
  java -Xmx160m -cp "$CP" bench/InitramfsListBench.java $out/$f
  s=$(date +%s.%N); n=$(lsinitramfs $out/$f | wc -l); e=$(date +%s.%N)
  echo "lsinitramfs: $out/$f: $n entries, $(echo "$e - $s" | bc) s"
done
