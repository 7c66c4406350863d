#!/usr/bin/env bash
# Vendor the front-end libraries AgriTrace serves itself (the service runs on a closed
# network: no CDN). Fetches pinned tarballs from the npm registry with `npm pack`, copies
# only the distribution files needed into agritrace/web/static/vendor/ (Chart.js into
# agritrace/misuse/static/misuse/vendor/), and rewrites the VERSIONS.txt files. Re-run
# after changing a pin below; commit the result.
#
# Usage: scripts/vendor-frontend.sh            (needs node/npm and the npm registry)
set -euo pipefail

LEAFLET_VERSION="1.9.4"
LEAFLET_DRAW_VERSION="1.0.4"
HTMX_VERSION="2.0.11"
CHARTJS_VERSION="4.6.1"

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENDOR="$ROOT/agritrace/web/static/vendor"
# Chart.js serves the misuse app's charts only: it lives with that app's static files.
MISUSE_VENDOR="$ROOT/agritrace/misuse/static/misuse/vendor"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

command -v npm >/dev/null || { echo "npm is required" >&2; exit 1; }

fetch() {  # fetch NAME VERSION -> unpacks into $WORK/NAME/package
    local name="$1" version="$2" tgz
    mkdir -p "$WORK/$name"
    tgz="$(cd "$WORK/$name" && npm pack --silent "$name@$version" 2>/dev/null | tail -n1)"
    tar -xzf "$WORK/$name/$tgz" -C "$WORK/$name"
}

licence() {  # licence DIR -> "SPDX" from package.json
    node -e 'const p=require(process.argv[1]+"/package.json");console.log(typeof p.license==="string"?p.license:JSON.stringify(p.license))' "$1"
}

fetch leaflet "$LEAFLET_VERSION"
fetch leaflet-draw "$LEAFLET_DRAW_VERSION"
fetch htmx.org "$HTMX_VERSION"
fetch chart.js "$CHARTJS_VERSION"

rm -rf "$VENDOR/leaflet" "$VENDOR/leaflet-draw" "$VENDOR/htmx"
mkdir -p "$VENDOR/leaflet/images" "$VENDOR/leaflet-draw/images" "$VENDOR/htmx"

# Leaflet: the minified build is dist/leaflet.js; its CSS refers to images/ relatively.
src="$WORK/leaflet/package"
cp "$src/dist/leaflet.js" "$src/dist/leaflet.css" "$VENDOR/leaflet/"
cp "$src"/dist/images/*.png "$VENDOR/leaflet/images/"
# The source map is not vendored: drop its reference (avoids a 404 in the browser and a
# failure under a manifest static-files storage).
sed -i '/^\/\/# sourceMappingURL=/d' "$VENDOR/leaflet/leaflet.js"
cp "$src/LICENSE" "$VENDOR/leaflet/LICENSE"

# Leaflet.draw: dist/leaflet.draw.js is the minified build; CSS uses images/spritesheet*.
src="$WORK/leaflet-draw/package"
cp "$src/dist/leaflet.draw.js" "$src/dist/leaflet.draw.css" "$VENDOR/leaflet-draw/"
# Only the sprites are referenced by leaflet.draw.css (marker images come from leaflet/).
cp "$src"/dist/images/spritesheet* "$VENDOR/leaflet-draw/images/"
# The npm package ships no licence file (package.json says MIT): write the MIT text with the
# copyright line from the header of dist/leaflet.draw.js.
cat > "$VENDOR/leaflet-draw/LICENSE" <<'MIT'
MIT License

Copyright (c) 2012-2017, Jacob Toye, Jon West, Smartrak, Leaflet
(https://github.com/Leaflet/Leaflet.draw)

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in
all copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN
THE SOFTWARE.
MIT

# htmx
src="$WORK/htmx.org/package"
cp "$src/dist/htmx.min.js" "$VENDOR/htmx/"
cp "$src/LICENSE" "$VENDOR/htmx/LICENSE"

# Chart.js: the UMD build (window.Chart), minified; its source map is not vendored.
src="$WORK/chart.js/package"
rm -rf "$MISUSE_VENDOR/chartjs"
mkdir -p "$MISUSE_VENDOR/chartjs"
cp "$src/dist/chart.umd.min.js" "$MISUSE_VENDOR/chartjs/"
sed -i '/^\/\/# sourceMappingURL=/d' "$MISUSE_VENDOR/chartjs/chart.umd.min.js"
cp "$src/LICENSE.md" "$MISUSE_VENDOR/chartjs/LICENSE"
{
    echo "# Front-end files vendored from the npm registry by scripts/vendor-frontend.sh."
    echo "# package@version  licence  files"
    echo "chart.js@$CHARTJS_VERSION  $(licence "$WORK/chart.js/package")  chartjs/chart.umd.min.js"
    echo "#"
    echo "# Copied unchanged from the package's dist/, except that the sourceMappingURL comment is"
    echo "# removed (source maps are not vendored). chartjs/LICENSE is the package's LICENSE.md."
} > "$MISUSE_VENDOR/VERSIONS.txt"

{
    echo "# Front-end files vendored from the npm registry by scripts/vendor-frontend.sh."
    echo "# package@version  licence  files"
    echo "leaflet@$LEAFLET_VERSION  $(licence "$WORK/leaflet/package")  leaflet/leaflet.js leaflet/leaflet.css leaflet/images/"
    echo "leaflet-draw@$LEAFLET_DRAW_VERSION  $(licence "$WORK/leaflet-draw/package")  leaflet-draw/leaflet.draw.js leaflet-draw/leaflet.draw.css leaflet-draw/images/"
    echo "htmx.org@$HTMX_VERSION  $(licence "$WORK/htmx.org/package")  htmx/htmx.min.js"
    echo "#"
    echo "# Files are copied unchanged from each package's dist/, except: the sourceMappingURL"
    echo "# comment is removed from leaflet.js (source maps are not vendored), and"
    echo "# leaflet-draw/LICENSE is written by the script (the package ships none; MIT per its"
    echo "# package.json). Each directory holds the package's licence text as LICENSE."
} > "$VENDOR/VERSIONS.txt"

echo "Vendored into $VENDOR and $MISUSE_VENDOR:"
cat "$VENDOR/VERSIONS.txt" "$MISUSE_VENDOR/VERSIONS.txt"
