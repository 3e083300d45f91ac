#!/bin/sh
# Installs the Debian packages wasmaot needs, only those missing.
# The lists live in scripts/packages/*.list (one package per line, # comments),
# one file per module so modules do not fight over one list.
set -eu
cd "$(dirname "$0")/.."
pkgs=$(cat scripts/packages/*.list | sed 's/#.*//' | tr -s ' \t\n' '\n' | sort -u)
missing=""
for p in $pkgs; do
  if ! dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed'; then
    missing="$missing $p"
  fi
done
[ -z "$missing" ] && exit 0
echo "setup: installing:$missing"
SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q >/dev/null
# shellcheck disable=SC2086
$SUDO apt-get install -y -q --no-install-recommends $missing >/dev/null
echo "setup: done"
