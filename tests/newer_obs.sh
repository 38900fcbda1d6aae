#!/usr/bin/env bash
# Backdrop on the OBS builds streamers run today: Debian 13 (trixie: OBS 30.2.3, Python 3.13) and
# Debian unstable (sid: OBS 32.2.x, Python 3.14), each in a debootstrap chroot, as root.
#
#   tests/newer_obs.sh prepare SUITE...   build the chroot (or bring a cached one up to date) and unpack
#                                         that OBS's libobs headers for tests/toolchain/test_libobs_signatures.py
#   tests/newer_obs.sh shell SUITE [CMD]  a command (default: bash) in the last leg's copy, e.g.
#                                         `.venv/bin/python -m pytest tests/obs/test_obs_filter.py` on that OBS
#   tests/newer_obs.sh test SUITE [ARGS]  in the chroot, on a clean copy of this checkout: README's two
#                                         commands (`python3 -m installer`, then `./tests/run ARGS`, the
#                                         soak left to the host's OBS) and installer/smoke_obs.py
#
# Chroots live in $BACKDROP_CHROOTS (default /var/cache/backdrop-chroots) and are reused between runs on
# one machine; a fresh machine spends a few minutes per suite building them. Each leg prints the OBS
# version it ran, and says so loudly when it is not the one README records (sid moves).
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
CHROOTS=${BACKDROP_CHROOTS:-/var/cache/backdrop-chroots}
MIRROR=${BACKDROP_DEBIAN_MIRROR:-http://deb.debian.org/debian}
# What README's install command needs on a bare system (the test command installs the rest itself).
PACKAGES=(obs-studio xvfb python3-venv python3-pip git ca-certificates)
# The OBS builds README reports as run for real; a leg on another version says so.
declare -A RECORDED=([trixie]=30.2.3+dfsg-3 [sid]=32.2.2+ds-1+b2)

say() { echo "[backdrop] $*"; }

mounted=()
unmount_all() {
  local i
  for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do umount -l "${mounted[i]}" 2>/dev/null || true; done
  mounted=()
}
trap unmount_all EXIT

mount_into() {  # mount_into ROOT: what OBS, Xvfb, apt and pip need inside a chroot
  local root=$1
  mount -t proc proc "$root/proc" && mounted+=("$root/proc")
  mount -t sysfs sys "$root/sys" && mounted+=("$root/sys")
  mount --bind /dev "$root/dev" && mounted+=("$root/dev")
  mount --bind /dev/pts "$root/dev/pts" && mounted+=("$root/dev/pts")
  mount -t tmpfs -o mode=1777 tmpfs "$root/tmp" && mounted+=("$root/tmp")
  # The evaluation data beside the checkout's copy (../shared/eval), read-only, where the tests look for it.
  if [ -d "$REPO/../shared" ]; then
    mkdir -p "$root/root/shared" && mount --bind -o ro "$REPO/../shared" "$root/root/shared" \
      && mounted+=("$root/root/shared")
  fi
  # The host's name resolution, CA bundle and pip configuration (its index and certificate).
  cp -L /etc/resolv.conf "$root/etc/resolv.conf"
  mkdir -p "$root/etc/ssl/certs" "$root/root/.config/pip" "$root/etc/xdg/pip"
  cp -L /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/ca-certificates.crt.host"
  local f
  for f in /etc/pip.conf /root/.config/pip/pip.conf /etc/xdg/pip/pip.conf /etc/xdg/pip/constraints.txt; do
    if [ -f "$f" ]; then cp -L "$f" "$root$f"; fi
  done
  # Local folders the pip configuration names (find-links, file:// indexes), read-only at the same place.
  local dir
  while read -r dir; do
    if [ -d "$dir" ]; then
      mkdir -p "$root$dir" && mount --bind -o ro "$dir" "$root$dir" && mounted+=("$root$dir")
    fi
  done < <(cat /etc/pip.conf /root/.config/pip/pip.conf 2>/dev/null | grep -oE '(file://)?/[^ ]+' \
           | sed -e 's|^file://||' -e 's|/simple/*$||' | sort -u)
}

in_chroot() {  # in_chroot ROOT LEG CMD...: a clean root environment; LEG tells tests/run it runs in a leg
  local root=$1 leg=$2; shift 2
  chroot "$root" /usr/bin/env -i HOME=/root PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 \
    DEBIAN_FRONTEND=noninteractive PIP_CERT=/etc/ssl/certs/ca-certificates.crt.host CI="${CI:-}" \
    BACKDROP_LEG="$leg" "$@"
}

obs_version() { chroot "$1" dpkg-query -W -f="\${Version}" obs-studio 2>/dev/null || true; }

prepare() {
  local suite=$1 root=$CHROOTS/$1
  if [ ! -x "$root/usr/bin/obs" ]; then
    if [ ! -x "$root/usr/bin/apt-get" ]; then
      command -v debootstrap >/dev/null || { apt-get update -qq && apt-get install -y -qq debootstrap >/dev/null; }
      say "building a $suite chroot in $root (debootstrap, a few minutes once per machine)"
      rm -rf --one-file-system "$root.building"  # never into a mount a failed debootstrap left
      mkdir -p "$CHROOTS"
      debootstrap --variant=minbase "$suite" "$root.building" "$MIRROR" >"$CHROOTS/$suite.debootstrap.log" 2>&1 \
        || { tail -n 20 "$CHROOTS/$suite.debootstrap.log"; return 1; }
      mv "$root.building" "$root"
    fi
  fi
  mount_into "$root"
  # The registry this machine reaches may serve a Release file past its Valid-Until date (sid's is
  # re-signed weekly; a registry snapshot stops that): apt would then refuse the suite altogether.
  echo 'Acquire::Check-Valid-Until "false";' >"$root/etc/apt/apt.conf.d/99backdrop-snapshot"
  say "$suite: bringing the chroot up to date (apt-get dist-upgrade; installs ${PACKAGES[*]})"
  in_chroot "$root" - apt-get update -qq
  in_chroot "$root" - apt-get install -y -qq --no-install-recommends "${PACKAGES[@]}" >/dev/null
  in_chroot "$root" - apt-get dist-upgrade -y -qq >/dev/null
  # libobs's headers of this OBS, for the signature test on the host: downloaded, not installed.
  local version headers
  version=$(obs_version "$root")
  headers=$CHROOTS/headers/$suite
  if [ "$(cat "$headers/VERSION" 2>/dev/null)" != "$version" ]; then
    rm -rf "$headers" && mkdir -p "$headers"
    in_chroot "$root" - sh -c 'cd /tmp && apt-get download -qq libobs-dev >/dev/null && ls libobs-dev_*.deb' \
      | { read -r deb; dpkg-deb -x "$root/tmp/$deb" "$headers"; }
    echo "$version" >"$headers/VERSION"
  fi
  unmount_all
  say "$suite: OBS $version; libobs headers in $headers/usr/include/obs"
}

leg() {
  local suite=$1 root=$CHROOTS/$1; shift
  mount_into "$root"
  local version python
  version=$(obs_version "$root")
  python=$(chroot "$root" python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')
  say "=== leg $suite: OBS $version (Debian $suite, Python $python) ==="
  if [ "$version" != "${RECORDED[$suite]}" ]; then
    say "NOTE: $suite's OBS is now $version; README reports ${RECORDED[$suite]}: update README's table"
  fi
  # A clean copy of the checkout (tracked and new files, nothing ignored: no .venv, no caches).
  rm -rf --one-file-system "$root/root/backdrop" && mkdir -p "$root/root/backdrop"
  git ls-files -z --cached --others --exclude-standard | while IFS= read -r -d '' f; do
    [ -e "$f" ] && printf '%s\0' "$f"
  done | tar -C "$REPO" --null -T - -cf - | tar -C "$root/root/backdrop" -xf -
  local rc=0
  in_chroot "$root" "$suite" sh -c 'cd /root/backdrop && python3 -m installer' || rc=$?
  if [ $rc = 0 ]; then
    in_chroot "$root" "$suite" sh -c 'cd /root/backdrop && ./tests/run --ignore=tests/obs/test_obs_soak.py "$@"' \
      sh "$@" || rc=$?
  fi
  unmount_all
  if [ $rc = 0 ]; then
    say "=== leg $suite: passed on OBS $version (Python $python) ==="
  else
    say "=== leg $suite: FAILED on OBS $version (Python $python) ==="
  fi
  return $rc
}

can_run() {  # why the legs cannot run here, or nothing
  [ "$(id -u)" = 0 ] || { echo "they need root (debootstrap, chroot and mount)"; return; }
  [ "$(uname -m)" = x86_64 ] || { echo "they need an x86_64 machine"; return; }
  command -v apt-get >/dev/null || echo "they need a Debian or Ubuntu host (apt-get, dpkg-deb)"
}

cmd=${1:-}; shift || true
why=$(can_run)
if [ -n "$why" ]; then
  say "the OBS 30.2 and 32.2 legs did NOT run: $why. Only the host's OBS was tested."
  [ "${CI:-}" = true ] && exit 1
  exit 0
fi
case "$cmd" in
  prepare) for suite in "$@"; do prepare "$suite"; done ;;
  test) suite=$1; shift; leg "$suite" "$@" ;;
  shell)
    suite=$1; shift
    mount_into "$CHROOTS/$suite"
    # shellcheck disable=SC2016  # expanded by the chroot's shell
    in_chroot "$CHROOTS/$suite" "$suite" sh -c 'cd /root/backdrop && [ $# -gt 0 ] || set -- bash; exec "$@"' sh "$@" ;;
  *) echo "usage: $0 prepare SUITE... | test SUITE [PYTEST ARGS] | shell SUITE [CMD...]" >&2; exit 2 ;;
esac
