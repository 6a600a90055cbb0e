#!/bin/sh
# Screenshots of a weekly report as a director sees it, at desktop width
# (1280 px) and at phone width (390 px, the width of a common phone), in
# Debian's headless Chromium: the whole page, taller than the screen, so
# nothing below the fold is missed.
#
#   scripts/report_screenshots.sh [REPORT.html] [OUTDIR]
#
# Defaults: the latest out/report-*.html (as ./scripts/demo.sh leaves it)
# and out/screenshots/. Writes report-desktop.png and report-phone.png.
set -eu
cd "$(dirname "$0")/.."
report=${1:-$(ls out/report-*.html 2>/dev/null | sort | tail -n 1)}
outdir=${2:-out/screenshots}
if [ -z "$report" ] || [ ! -f "$report" ]; then
    echo "report_screenshots: no report (run ./scripts/demo.sh first)" >&2
    exit 2
fi
browser=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$browser" ]; then
    echo "report_screenshots: chromium is not installed (scripts/deps.sh test)" >&2
    exit 2
fi
if ! /usr/bin/python3 -c "import PIL" 2>/dev/null; then
    echo "report_screenshots: python3-pil is not installed (scripts/deps.sh test)" >&2
    exit 2
fi
mkdir -p "$outdir"
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
url="file://$(realpath "$report")"

# Chromium's --screenshot takes the window, not the page: the window is
# made taller than any report and the white below the page is cut off
# (Debian's python3-pil), so the file shows exactly the page.
shot() {
    width=$1 height=$2 out=$3
    "$browser" --headless --no-sandbox --disable-gpu \
        --disable-background-networking --disable-component-update \
        --disable-sync --no-first-run --hide-scrollbars \
        --user-data-dir="$profile" --window-size="$width,$height" \
        --screenshot="$out" "$url" >/dev/null 2>&1
    /usr/bin/python3 - "$out" <<'PY'
import sys
from PIL import Image, ImageChops
path = sys.argv[1]
im = Image.open(path).convert("RGB")
box = ImageChops.difference(im, Image.new("RGB", im.size, (255, 255, 255))).getbbox()
if box:
    im = im.crop((0, 0, im.size[0], min(im.size[1], box[3] + 24)))
im.save(path, optimize=True)
print("wrote %s (%dx%d)" % (path, im.size[0], im.size[1]))
PY
}
shot 1280 16000 "$outdir/report-desktop.png"
shot 390 40000 "$outdir/report-phone.png"
