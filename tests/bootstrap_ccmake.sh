#!/usr/bin/env bash
# The README's menuconfig, `ccmake build`, is there after scripts/bootstrap: the Debian package
# that provides ccmake is one that bootstrap installs.
set -euo pipefail
ccmake=$(command -v ccmake) || { echo "no ccmake: scripts/bootstrap did not install it"; exit 1; }
pkg=$(dpkg -S "$(readlink -f "$ccmake")" | cut -d: -f1)
# Read whole first: grep -q stops at the first match, and a writer cut short fails the pipeline.
packages=$("$SOURCE_DIR/scripts/bootstrap" --packages)
grep -qx "$pkg" <<<"$packages" \
    || { echo "scripts/bootstrap does not install $pkg, which provides ccmake"; exit 1; }
ccmake --version
