#!/usr/bin/env bash
# Renders a sequence diagram SVG (from `paxos scenario NAME --diagram FILE.svg`) to a PNG with
# headless Chromium, so a person can look at it without a browser at hand.
#
#   scripts/render-diagram.sh DIAGRAM.svg DIAGRAM.png [SCALE]
#
# SCALE (default 1) multiplies the pixel size, e.g. 2 for a sharper picture.
# Chromium comes from Debian's `chromium` package; if it is missing and we are root, the
# script installs it with apt-get.
set -euo pipefail

usage() { echo "usage: $0 DIAGRAM.svg DIAGRAM.png [SCALE]" >&2; exit 2; }
[[ $# -ge 2 && $# -le 3 ]] || usage
svg=$1
png=$2
scale=${3:-1}
[[ -f $svg ]] || { echo "$0: no such file: $svg" >&2; exit 1; }
[[ $scale =~ ^[1-4]$ ]] || { echo "$0: SCALE must be 1-4" >&2; exit 2; }

find_chromium() {
    local name
    for name in chromium chromium-browser google-chrome; do
        if command -v "$name" >/dev/null 2>&1; then command -v "$name"; return 0; fi
    done
    return 1
}

if ! browser=$(find_chromium); then
    if [[ $(id -u) -ne 0 ]]; then
        echo "$0: chromium is not installed; run: sudo apt-get update && sudo apt-get install -y chromium" >&2
        exit 1
    fi
    echo "installing chromium (Debian package) ..." >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update >&2
    apt-get install -y --no-install-recommends chromium fonts-dejavu-core fonts-liberation >&2
    browser=$(find_chromium) || { echo "$0: chromium still not found after apt-get" >&2; exit 1; }
fi

# The window must be the SVG's own size, or Chromium crops it (or pads it with white).
size=$(head -c 4096 "$svg" | tr '\n' ' ' |
    sed -n 's/.*<svg[^>]*[[:space:]]width="\([0-9.]*\)"[^>]*[[:space:]]height="\([0-9.]*\)".*/\1 \2/p')
width=${size% *}
height=${size#* }
if [[ -z ${width:-} || -z ${height:-} ]]; then
    echo "$0: $svg has no width/height attributes on its <svg> element" >&2
    exit 1
fi
width=${width%.*}
height=${height%.*}

svg_path=$(realpath "$svg")
png_dir=$(cd "$(dirname "$png")" && pwd)
png_path=$png_dir/$(basename "$png")

# A private profile so that a running browser or a stale lock does not interfere; removed at the end.
profile=$(mktemp -d "${TMPDIR:-/tmp}/render-diagram.XXXXXX")
trap 'rm -rf "$profile"' EXIT

rm -f "$png_path"
"$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars \
    --no-first-run --no-default-browser-check --disable-extensions \
    --user-data-dir="$profile" \
    --force-device-scale-factor="$scale" \
    --default-background-color=ffffffff \
    --window-size="$width,$height" \
    --screenshot="$png_path" \
    "file://$svg_path" >"$profile/chromium.log" 2>&1 || {
        echo "$0: chromium failed:" >&2
        tail -20 "$profile/chromium.log" >&2
        exit 1
    }
if [[ ! -s $png_path ]]; then
    echo "$0: chromium wrote no PNG:" >&2
    tail -20 "$profile/chromium.log" >&2
    exit 1
fi
echo "$png_path (${width}x${height} px at scale $scale)"
