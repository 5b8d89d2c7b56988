#!/usr/bin/env bash
# portls builds on Linux only, and says where: every library or tool source that uses a
# Linux-only call has an #error for other hosts, which a compile without __linux__ reaches.
set -euo pipefail
cd "$SOURCE_DIR"
fail() { echo "FAIL: $*"; exit 1; }
linux_only='getrandom|SO_BINDTODEVICE|TCP_KEEPIDLE|TCP_KEEPINTVL|TCP_KEEPCNT|SOCK_CLOEXEC|SOCK_NONBLOCK|MSG_NOSIGNAL|accept4|pipe2|epoll_|eventfd|signalfd|inotify_|prctl|/proc/'
files=$(grep -rlE --include='*.c' "$linux_only" components tools | grep -v '/test/' || true)
[ -n "$files" ] || fail "no Linux-only call found: the pattern is out of date"
for f in $files; do
    grep -q '^#ifndef __linux__' "$f" || fail "$f uses a Linux-only call without a guard"
    out=$(cc -E -U__linux__ "$f" 2>&1 >/dev/null || true)
    grep -q "#error" <<<"$out" || fail "$f: no #error without __linux__: $out"
done
echo "Linux-only calls guarded in: $(echo $files)"
