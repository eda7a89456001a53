#!/usr/bin/env bash
# Install the pinned Stoplight Prism (an independent OpenAPI mock server, used by
# tests/test_prism.py) into .tools/prism, from the committed lockfile beside this script.
#
#   bash tools/prism/install.sh      # from anywhere; needs only node >= 18.20.1 and npm
#
# Idempotent: when .tools/prism already holds exactly this lockfile's install, it does nothing.
# The pin lives in tools/prism/package.json; to move it, edit the version there and run
#   (cd tools/prism && npm install --package-lock-only --no-audit --no-fund)
# then commit both files. Prism 5.15 and newer need node >= 24; 5.14.2 is the newest 5.x
# that runs on node 18.20.1+ (5.x reads OpenAPI 3.1).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
SRC="$ROOT/tools/prism"
DEST="$ROOT/.tools/prism"
BIN="$DEST/node_modules/.bin/prism"
STAMP="$DEST/.installed"
MIN_NODE="18.20.1"

say() { echo "prism: $*"; }

for tool in node npm; do
    command -v "$tool" >/dev/null 2>&1 || {
        say "error: '$tool' not found; install Node.js >= $MIN_NODE (with npm) first" >&2
        exit 1
    }
done

# The pinned version, as written in tools/prism/package.json.
PIN="$(node -p 'require(process.argv[1]).dependencies["@stoplight/prism-cli"]' "$SRC/package.json")"
# What the stamp must say: the pin and a checksum of the committed manifest and lockfile.
WANT="@stoplight/prism-cli@$PIN $(cat "$SRC/package.json" "$SRC/package-lock.json" | cksum | cut -d' ' -f1)"

installed_version() {
    node -p 'require(process.argv[1]).version' "$DEST/node_modules/@stoplight/prism-cli/package.json" \
        2>/dev/null || true
}

if [[ -x "$BIN" && -f "$STAMP" && "$(cat "$STAMP")" == "$WANT" && "$(installed_version)" == "$PIN" ]]; then
    say "@stoplight/prism-cli@$PIN already installed in .tools/prism (nothing to do)"
    exit 0
fi

node -e '
    const [a, b] = [process.versions.node, process.argv[1]].map(v => v.split(".").map(Number));
    for (let i = 0; i < 3; i++) if (a[i] !== b[i]) process.exit(a[i] > b[i] ? 0 : 1);
' "$MIN_NODE" || {
    say "error: node $(node --version) is too old for @stoplight/prism-cli@$PIN (needs >= $MIN_NODE)" >&2
    exit 1
}

say "installing @stoplight/prism-cli@$PIN into .tools/prism (node $(node --version), npm $(npm --version 2>/dev/null))"
mkdir -p "$DEST"
rm -f "$STAMP"
cp "$SRC/package.json" "$SRC/package-lock.json" "$DEST/"
say "running: npm ci --prefix .tools/prism --no-audit --no-fund --ignore-scripts"
start=$SECONDS
# npm ci installs exactly the lockfile (and fails if package.json and the lockfile disagree).
# --ignore-scripts: Prism needs no install scripts.
npm ci --prefix "$DEST" --no-audit --no-fund --ignore-scripts --loglevel=error
got="$(installed_version)"
if [[ ! -x "$BIN" || "$got" != "$PIN" ]]; then
    say "error: after npm ci, $BIN is missing or reports version '${got}', not $PIN" >&2
    exit 1
fi
echo "$WANT" >"$STAMP"
say "installed @stoplight/prism-cli@$got in $((SECONDS - start)) s: $BIN"
