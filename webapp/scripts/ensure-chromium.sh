#!/usr/bin/env bash
# Makes sure the real-browser test has a browser: installs Debian's `chromium` package (plus the
# Open Sans font the Mattermost UI uses, for faithful screenshots) when it is missing. Never downloads
# a browser build of its own. Needs root (CI runs as root on a fresh machine); a no-op when both are
# already there. CHROMIUM_PATH points the check (and the test) at another Chromium binary.
set -euo pipefail

chromium="${CHROMIUM_PATH:-/usr/bin/chromium}"
packages=()
[ -x "$chromium" ] || packages+=(chromium)
dpkg -s fonts-open-sans >/dev/null 2>&1 || packages+=(fonts-open-sans)

if [ "${#packages[@]}" -eq 0 ]; then
    echo "ensure-chromium: $chromium is present"
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        apt=(sudo apt-get)
    else
        echo "ensure-chromium: need root to install ${packages[*]} (apt-get install ${packages[*]})" >&2
        exit 1
    fi
else
    apt=(apt-get)
fi

echo "ensure-chromium: installing ${packages[*]} from Debian"
"${apt[@]}" update -qq
DEBIAN_FRONTEND=noninteractive "${apt[@]}" install -y -qq "${packages[@]}" >/dev/null
if [ ! -x "$chromium" ]; then
    echo "ensure-chromium: $chromium still missing after installing ${packages[*]}" >&2
    exit 1
fi
echo "ensure-chromium: $("$chromium" --version 2>/dev/null || echo "$chromium installed")"
