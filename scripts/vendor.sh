#!/usr/bin/env bash
# Re-fetch the vendored browser assets from the npm registry (developers only, never at run
# time: bank intranets have no internet, so the app serves its own copies from
# src/bankcrm/web/static/vendor/). Pinned versions below; bump them here, run
# `make vendor`, look at the diff of VERSIONS.md and commit the files.
set -euo pipefail
cd "$(dirname "$0")/.."

HTMX_VERSION=2.0.11     # htmx 2.0.x: the API the templates are written against (not 4.x)
ECHARTS_VERSION=5.6.0   # Apache ECharts 5.x
PICO_VERSION=2.1.1      # Pico CSS 2.x

dest=src/bankcrm/web/static/vendor
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# package  version  file inside the package  vendored name  licence
assets=(
    "htmx.org $HTMX_VERSION dist/htmx.min.js htmx.min.js 0BSD"
    "echarts $ECHARTS_VERSION dist/echarts.min.js echarts.min.js Apache-2.0"
    "@picocss/pico $PICO_VERSION css/pico.min.css pico.min.css MIT"
)

mkdir -p "$dest/licenses"
{
    echo "# Vendored browser assets"
    echo
    echo "Served from \`/static/vendor/\`; re-fetched by \`make vendor\` (scripts/vendor.sh), never at"
    echo "run time. Each file is copied unchanged from the npm package named here; its licence"
    echo "text (and NOTICE, where the package has one) is in \`licenses/<file>.txt\`."
    echo
    echo "| file | package | version | licence | sha256 |"
    echo "|---|---|---|---|---|"
} > "$work/VERSIONS.md"

for asset in "${assets[@]}"; do
    read -r package version inner name licence <<<"$asset"
    unpack="$work/$name.d"
    mkdir -p "$unpack"
    tarball=$(cd "$work" && npm pack --silent "$package@$version")
    tar -xzf "$work/$tarball" -C "$unpack"
    found=$(node -e 'const p=require(process.argv[1]); console.log(p.version + " " + p.license)' \
        "$unpack/package/package.json")
    if [ "$found" != "$version $licence" ]; then
        echo "vendor: $package@$version says '$found', expected '$version $licence'" >&2
        exit 1
    fi
    cp "$unpack/package/$inner" "$dest/$name"
    # The licence text (and Apache's NOTICE) travels with the file it covers.
    shopt -s nullglob
    notices=("$unpack"/package/LICENSE* "$unpack"/package/NOTICE*)
    shopt -u nullglob
    cat /dev/null "${notices[@]}" > "$dest/licenses/$name.txt"
    if [ ! -s "$dest/licenses/$name.txt" ]; then
        echo "vendor: $package@$version ships no LICENSE file" >&2
        exit 1
    fi
    sum=$(sha256sum "$dest/$name" | cut -d' ' -f1)
    echo "| $name | $package | $version | $licence | \`$sum\` |" >> "$work/VERSIONS.md"
done
cp "$work/VERSIONS.md" "$dest/VERSIONS.md"
echo "vendored into $dest:"
cat "$dest/VERSIONS.md"
