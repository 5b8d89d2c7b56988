#!/usr/bin/env bash
# The README's portls diagnose example, run as written (on a free port), and its quoted output
# compared with this run's, numbers masked (timings, ports, dates and heap figures vary). The
# connections' log stays off without PORTLS_LOG_LEVEL: nothing on stderr.
set -euo pipefail
# shellcheck source=servers.sh
. "$(dirname "$0")/servers.sh"
fail() { echo "FAIL: $*"; exit 1; }
work=$S_SERVER_WORK
PYTHON=$(command -v /usr/bin/python3 || command -v python3)

# block N KIND: the N-th ```KIND block of the README's portls diagnose section.
block() {
    awk -v n="$1" -v kind="$2" '/^## / {in_sec = $0 == "## portls diagnose"} in_sec && $0 == "```" kind {k++; on = k == n; next}
                                 /^```$/ {on = 0} on' "$SOURCE_DIR/README.md"
}
port=$(free_port)
block 1 sh | sed "s/8071/$port/g" >"$work/example.sh"
block 1 text | sed "s/8071/$port/g" >"$work/expected.txt"
[ -s "$work/example.sh" ] && [ -s "$work/expected.txt" ] || fail "no example in the README's portls diagnose section"

unset PORTLS_LOG_LEVEL
(cd "$work" && PATH=$(dirname "$PORTLS"):$PATH bash -e example.sh) >"$work/got.txt" 2>"$work/stderr.txt" ||
    fail "the example failed: $(cat "$work/got.txt" "$work/stderr.txt")"
[ ! -s "$work/stderr.txt" ] || fail "the example wrote to stderr: $(cat "$work/stderr.txt")"

# Paragraphs with digits masked; those a build option changes (the heap figures without heap
# accounting or with the small configuration, the bundle's finding without a bundle, the records'
# without record_size_limit) are compared only where the build is the README's.
"$PYTHON" - "$work/expected.txt" "$work/got.txt" "$HEAP_ACCOUNTING" <<'PY'
import re, sys
def paragraphs(path):
    text = re.sub(r"\d+(\.\d+)?", "#", open(path).read())
    return [p.strip() for p in text.split("\n\n") if p.strip()]
want, got = paragraphs(sys.argv[1]), paragraphs(sys.argv[2])
def drop(ps, prefix):
    return [p for p in ps if not p.split(": ")[0].endswith(prefix)]
if sys.argv[3] != "ON" or any("DYNAMIC_BUFFER=y" in p for p in got):  # figures of another configuration
    want, got = drop(want, "] memory"), drop(got, "] memory")
if not any(p.split(": ")[0].endswith("] chain-bundle") for p in got):
    want = drop(want, "] chain-bundle")
if any("CONFIG_MBEDTLS_SSL_RECORD_SIZE_LIMIT off" in p for p in got):  # a build that does not send it
    want, got = drop(want, "] records"), drop(got, "] records")
if want != got:
    for w, g in zip(want + [""] * len(got), got + [""] * len(want)):
        if w != g:
            sys.exit("FAIL: the README says\n%s\nthe run printed\n%s" % (w, g))
PY
echo "the README's portls diagnose example: as quoted"
