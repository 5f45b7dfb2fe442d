#!/usr/bin/env bash
# Makes sure a Chromium is on PATH for the browser tests
# (infra/local/browser_test.go). Quiet and quick when one is there already.
#
#   - chromium, chromium-browser or google-chrome on PATH: nothing to do;
#   - else, as root with apt-get: installs the Debian package `chromium`;
#   - else: says how to install one and exits 0. The browser test then skips
#     on a laptop, and fails in CI (CI set), so CI never passes without it.
set -euo pipefail

for b in chromium chromium-browser google-chrome; do
	if command -v "$b" >/dev/null 2>&1; then
		exit 0
	fi
done

if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
	echo "browser: installing chromium for the browser tests (apt-get)" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends chromium >/dev/null
	command -v chromium >/dev/null 2>&1 && exit 0
	echo "browser: apt-get installed chromium, but it is not on PATH" >&2
	exit 1
fi

cat >&2 <<'MSG'
browser: no Chromium found (chromium, chromium-browser or google-chrome).
  The browser tests skip without one (and fail when CI is set). Install one:
    Debian/Ubuntu:  sudo apt-get install chromium   (or chromium-browser)
    Fedora:         sudo dnf install chromium
    macOS:          brew install --cask chromium    (then put it on PATH)
MSG
exit 0
