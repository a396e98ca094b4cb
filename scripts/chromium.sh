#!/usr/bin/env bash
# Headless Chromium for the browser tests (tests/test_browser.py): installs Debian's chromium (and
# fonts, so screenshots show text and the pages' emoji, not boxes) when missing, then prints the
# executable path.
# Playwright drives it through `executable_path`; it never downloads a browser (no `playwright install`).
set -euo pipefail
EXE=/usr/bin/chromium
PACKAGES=(chromium fonts-liberation fonts-noto-color-emoji)

installed() {
  local p
  for p in "${PACKAGES[@]}"; do
    [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" = "install ok installed" ] || return 1
  done
}

if ! installed || [ ! -x "$EXE" ]; then
  echo "installing Chromium (Debian packages: ${PACKAGES[*]})" >&2
  if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
    "${PACKAGES[@]}" >/dev/null
fi
# Fail here, with the reason, rather than in the middle of the test run.
version="$("$EXE" --version 2>&1)" || { echo "$EXE does not start: $version" >&2; exit 1; }
echo "$EXE"
