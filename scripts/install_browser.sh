#!/usr/bin/env bash
# Install Debian's chromium for the explorer's browser test (tests/views/test_explorer.py), when missing.
# Never fails: where chromium cannot be installed (not root, no apt-get, no package), it says why
# and the browser test is skipped with that reason.
set -uo pipefail

say() { printf 'install_browser: %s\n' "$*"; }

if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; then
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    say "chromium is missing and there is no apt-get; the browser test will be skipped"
    exit 0
fi
if [ "$(id -u)" != 0 ]; then
    say "chromium is missing; as root: apt-get install chromium (the browser test will be skipped)"
    exit 0
fi
say "installing chromium (Debian package) for the explorer's browser test"
export DEBIAN_FRONTEND=noninteractive
if ! apt-get install -y -qq chromium >/dev/null 2>&1; then
    apt-get update -qq >/dev/null 2>&1
    apt-get install -y -qq chromium >/dev/null 2>&1 \
        || say "apt-get install chromium failed; the browser test will be skipped"
fi
exit 0
