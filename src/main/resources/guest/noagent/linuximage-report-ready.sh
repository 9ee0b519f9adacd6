#!/bin/sh
# linuximage-report-ready: agent-less Azure provisioning (requirement NOAGENT-REPORT-READY).
#
# At first boot: read the goal state from the wireserver, report the role instance "Ready" (without that Azure
# reboots the VM and the deployment fails), take the hostname from the instance metadata service, then disable
# this unit. Installed by linuximage; POSIX sh with curl, wget or python3, whichever the guest has.
#
# Test hooks (environment): LINUXIMAGE_WIRESERVER, LINUXIMAGE_IMDS (base URLs), LINUXIMAGE_HTTP_CLIENT
# (curl|wget|python3), LINUXIMAGE_ATTEMPTS, LINUXIMAGE_RETRY_DELAY, LINUXIMAGE_RETRY_MAX_DELAY (seconds).
set -u

WIRESERVER=${LINUXIMAGE_WIRESERVER:-http://168.63.129.16}
IMDS=${LINUXIMAGE_IMDS:-http://169.254.169.254}
ATTEMPTS=${LINUXIMAGE_ATTEMPTS:-12}
DELAY=${LINUXIMAGE_RETRY_DELAY:-2}
MAX_DELAY=${LINUXIMAGE_RETRY_MAX_DELAY:-64}
AGENT_NAME=linuximage-report-ready
UNIT=linuximage-report-ready.service
WANTS_LINK=/etc/systemd/system/multi-user.target.wants/$UNIT

log() {
    echo "linuximage-report-ready: $*" >&2
}

CLIENT=${LINUXIMAGE_HTTP_CLIENT:-}
if [ -z "$CLIENT" ]; then
    for c in curl wget python3; do
        if command -v "$c" >/dev/null 2>&1; then
            CLIENT=$c
            break
        fi
    done
fi
if [ -z "$CLIENT" ]; then
    log "no HTTP client: need curl, wget or python3"
    exit 1
fi

# GNU wget retries by itself unless told not to (-t 1). BusyBox wget has no --version and no -t, and its -T
# crashes some builds (Debian's 1.35), so there the time limit comes from timeout(1) when present.
WGET_OPTS=
WGET_LIMIT=
if [ "$CLIENT" = wget ]; then
    if wget --version >/dev/null 2>&1; then
        WGET_OPTS="-T 30 -t 1"
    elif command -v timeout >/dev/null 2>&1; then
        WGET_LIMIT="timeout 30"
    fi
fi

WORK=$(mktemp -d) || exit 1
trap 'rm -rf "$WORK"' EXIT

# request METHOD URL BODYFILE HEADER... : response body on stdout; non-zero on any failure (HTTP >= 400 included)
request() {
    method=$1
    url=$2
    body=$3
    shift 3
    case $CLIENT in
    curl)
        for h do
            set -- "$@" -H "$h"
            shift
        done
        if [ "$method" = POST ]; then
            set -- "$@" --data-binary "@$body"
        fi
        curl -fsS --max-time 30 -X "$method" "$@" "$url"
        ;;
    wget)
        for h do
            set -- "$@" "--header=$h"
            shift
        done
        if [ "$method" = POST ]; then
            set -- "$@" "--post-file=$body"
        fi
        # shellcheck disable=SC2086 # WGET_LIMIT and WGET_OPTS are empty or words to split
        $WGET_LIMIT wget -q -O - $WGET_OPTS "$@" "$url"
        ;;
    python3)
        python3 - "$method" "$url" "$body" "$@" <<'PYEOF'
import sys, urllib.request
method, url, body = sys.argv[1], sys.argv[2], sys.argv[3]
data = open(body, "rb").read() if method == "POST" else None
req = urllib.request.Request(url, data=data, method=method)
for h in sys.argv[4:]:
    k, _, v = h.partition(":")
    req.add_header(k.strip(), v.strip())
try:
    with urllib.request.urlopen(req, timeout=30) as r:
        sys.stdout.write(r.read().decode("utf-8", "replace"))
except Exception as e:
    sys.stderr.write(str(e) + "\n")
    sys.exit(1)
PYEOF
        ;;
    *)
        log "unknown HTTP client '$CLIENT'"
        return 2
        ;;
    esac
}

# retry COMMAND... : runs it until it succeeds, waiting DELAY, 2*DELAY, 4*DELAY ... (capped) between attempts
retry() {
    n=1
    d=$DELAY
    while :; do
        if "$@"; then
            return 0
        fi
        if [ "$n" -ge "$ATTEMPTS" ]; then
            log "giving up after $n attempts"
            return 1
        fi
        log "attempt $n failed; retrying in ${d}s"
        sleep "$d"
        n=$((n + 1))
        d=$((d * 2))
        if [ "$d" -gt "$MAX_DELAY" ]; then
            d=$MAX_DELAY
        fi
    done
}

# xml_value TAG FILE : text of the first <TAG> element, restricted to characters an ID may hold
xml_value() {
    tr -d '\r\n' <"$2" | sed -n "s:.*<$1>\([^<]*\)</$1>.*:\1:p" | head -n 1 | tr -cd 'A-Za-z0-9._-'
}

report_ready_once() {
    request GET "$WIRESERVER/machine/?comp=goalstate" - \
        "x-ms-version: 2012-11-30" "x-ms-agent-name: $AGENT_NAME" >"$WORK/goalstate.xml" || return 1
    incarnation=$(xml_value Incarnation "$WORK/goalstate.xml")
    container_id=$(xml_value ContainerId "$WORK/goalstate.xml")
    instance_id=$(xml_value InstanceId "$WORK/goalstate.xml")
    if [ -z "$incarnation" ] || [ -z "$container_id" ] || [ -z "$instance_id" ]; then
        log "goal state incomplete (incarnation='$incarnation' container='$container_id' instance='$instance_id')"
        return 1
    fi
    cat >"$WORK/health.xml" <<XMLEOF
<?xml version="1.0" encoding="utf-8"?>
<Health xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema">
  <GoalStateIncarnation>$incarnation</GoalStateIncarnation>
  <Container>
    <ContainerId>$container_id</ContainerId>
    <RoleInstanceList>
      <Role>
        <InstanceId>$instance_id</InstanceId>
        <Health>
          <State>Ready</State>
        </Health>
      </Role>
    </RoleInstanceList>
  </Container>
</Health>
XMLEOF
    request POST "$WIRESERVER/machine?comp=health" "$WORK/health.xml" \
        "x-ms-version: 2012-11-30" "x-ms-agent-name: $AGENT_NAME" \
        "Content-Type: text/xml;charset=utf-8" >/dev/null || return 1
    log "reported Ready (incarnation $incarnation)"
}

fetch_hostname_once() {
    request GET "$IMDS/metadata/instance/compute/name?api-version=2019-06-01&format=text" - \
        "Metadata: true" >"$WORK/name" || return 1
    [ -s "$WORK/name" ]
}

# sshd needs host keys; a generalized image has none (DEPROVISION-SSH-HOSTKEYS) and no agent recreates them.
if command -v ssh-keygen >/dev/null 2>&1 && ! ls /etc/ssh/ssh_host_*_key >/dev/null 2>&1; then
    ssh-keygen -A || log "ssh-keygen -A failed"
fi

retry report_ready_once || exit 1

if retry fetch_hostname_once; then
    name=$(tr -cd 'A-Za-z0-9.-' <"$WORK/name" | cut -c1-63)
    if [ -n "$name" ]; then
        if command -v hostnamectl >/dev/null 2>&1; then
            hostnamectl set-hostname "$name" || log "hostnamectl failed"
        else
            hostname "$name" && echo "$name" >/etc/hostname
        fi
    fi
else
    log "no hostname from the instance metadata service; keeping the current one"
fi

if command -v systemctl >/dev/null 2>&1; then
    systemctl disable "$UNIT" || rm -f "$WANTS_LINK"
else
    rm -f "$WANTS_LINK"
fi
exit 0
