#!/bin/sh
# Install the Debian packages listed in scripts/packages.txt that are missing.
# Uses sudo when not root. Safe to run repeatedly: does nothing when all are there.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
group=${1:-}
# packages of the base list, then of [$group]
list=$(awk -v g="$group" '/^[[:space:]]*#/ || /^[[:space:]]*$/ {next}
	/^\[/ {cur=substr($0, 2, length($0) - 2); next}
	cur == "" || cur == g {print}' "$here/packages.txt")
missing=""
for p in $list; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0
echo "mmlens: installing missing Debian packages:$missing" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
		echo "mmlens: need root or sudo to install:$missing" >&2; exit 1; fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >&2 || true
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >&2
