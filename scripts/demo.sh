#!/usr/bin/env bash
# The main job on a built-in default: builds the sample disk (an unaligned qcow2 GPT disk with an ESP and an ext4
# root holding a Debian-like guest that is not Azure-ready), then runs the core's whole pipeline on it the way a Job
# pod does — inspect, convert + align, patch, check — and prints the compliance report. No root, no mount, no cluster.
# Upload is shown when AZURE_BLOB_URL and AZURE_SAS_FILE are set.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
./mvnw -B -ntp -q package -DskipTests
demo=target/demo
rm -rf "$demo"
scripts/make-sample-disk.sh "$demo" >/dev/null
li() { java -jar target/quarkus-app/quarkus-run.jar "$@"; }

echo "== linuximage inspect $demo/sample.qcow2"
li inspect "$demo/sample.qcow2"
echo
echo "== linuximage prepare $demo/sample.qcow2 --remove-user builder"
upload=()
if [ -n "${AZURE_BLOB_URL:-}" ] && [ -n "${AZURE_SAS_FILE:-}" ]; then
  upload=(--blob-url "$AZURE_BLOB_URL" --sas-file "$AZURE_SAS_FILE")
fi
li prepare "$demo/sample.qcow2" --output "$demo/sample.vhd" --report "$demo/report.json" --remove-user builder \
  "${upload[@]}"
echo
echo "== linuximage check $demo/sample.vhd (read-only audit of the result)"
li check "$demo/sample.vhd" --remove-user builder --quiet && echo "compliant: exit code 0"
echo
echo "The fixed VHD is $demo/sample.vhd; the full JSON report is $demo/report.json."
