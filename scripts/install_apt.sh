#!/usr/bin/env bash
# Install the Debian packages listed in scripts/apt-packages.txt that are not installed yet.
# Nothing to do → no apt-get call at all (idempotent, works offline). Needs root or sudo.
set -euo pipefail
cd "$(dirname "$0")/.."

list_file=scripts/apt-packages.txt
mapfile -t wanted < <(sed -e 's/#.*//' -e 's/[[:space:]]//g' "$list_file" | grep -v '^$' | sort -u)

missing=()
for pkg in "${wanted[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
    [[ "$status" == "install ok installed" ]] || missing+=("$pkg")
done

if ((${#missing[@]} == 0)); then
    echo "apt: all ${#wanted[@]} packages from $list_file are installed"
    exit 0
fi

if ! command -v apt-get >/dev/null; then
    echo "apt: missing ${missing[*]} and this machine has no apt-get; install them by hand" >&2
    exit 1
fi

sudo_cmd=()
if [[ $(id -u) -ne 0 ]]; then
    if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
        sudo_cmd=(sudo -n)
    else
        echo "apt: missing ${missing[*]}; run as root or with passwordless sudo:" >&2
        echo "     apt-get update && apt-get install -y --no-install-recommends ${missing[*]}" >&2
        exit 1
    fi
fi

echo "apt: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
