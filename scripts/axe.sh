#!/usr/bin/env bash
# axe-core for the browser tests' accessibility checks (tests/test_browser.py): installs the npm
# package, at a pinned version, into .axe/ in the repository (ignored by git) when missing, then
# prints the path of axe.min.js. The tests inject that file into each page themselves: no page ever
# loads it from a CDN.
set -euo pipefail
VERSION=4.14.1
HERE="$(cd "$(dirname "$0")/.." && pwd)"
PREFIX="$HERE/.axe"
SCRIPT="$PREFIX/node_modules/axe-core/axe.min.js"

installed_version() {
  node -e 'process.stdout.write(require(process.argv[1]).version)' \
    "$PREFIX/node_modules/axe-core/package.json" 2>/dev/null || true
}

if [ ! -f "$SCRIPT" ] || [ "$(installed_version)" != "$VERSION" ]; then
  if ! command -v npm >/dev/null; then
    echo "installing npm (Debian package) for axe-core" >&2
    if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends npm >/dev/null
  fi
  echo "installing axe-core $VERSION (npm) into $PREFIX" >&2
  mkdir -p "$PREFIX"
  npm install --prefix "$PREFIX" --no-save --no-audit --no-fund --loglevel=error "axe-core@$VERSION" >&2
fi
# Fail here, with the reason, rather than in the middle of the test run.
[ -f "$SCRIPT" ] || { echo "axe-core did not install: $SCRIPT is missing" >&2; exit 1; }
echo "$SCRIPT"
