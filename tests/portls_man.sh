#!/usr/bin/env bash
# The man pages: portls(1) and one page per command that `portls --help` lists (so a command added
# later is covered too), each naming every flag its code accepts: the long options of the
# command's getopt tables and the letters of its short-option strings (tools/portls/src/cmd_NAME*.c),
# and every flag its --help mentions. `make install` puts the generated pages and the bash
# completion where man and bash-completion look.
set -euo pipefail
fail() { echo "FAIL: $*"; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
man_dir=$SOURCE_DIR/docs/man

commands=$("$PORTLS" --help | awk '/^commands:/ {on = 1; next} on && /^  [a-z]/ {print $1}')
[ -n "$commands" ] || fail "portls --help lists no commands"
for c in $commands; do
    grep -qF "*portls-$c*(1)" "$man_dir/portls.1.scd" || fail "portls(1) does not refer to portls-$c(1)"
    page=$man_dir/portls-$c.1.scd
    [ -f "$page" ] || fail "no man page source $page"
    [ -s "$BUILD_DIR/docs/man/portls-$c.1" ] || fail "portls-$c.1 was not generated"
    "$PORTLS" "$c" --help > "$work/help" || fail "portls $c --help: exit $?"
    python3 - "$page" "$work/help" "$SOURCE_DIR"/tools/portls/src/cmd_"$c"*.c <<'PY' || fail "portls-$c(1): flags missing"
import re, sys
page = open(sys.argv[1]).read()
flags = set()
for path in sys.argv[3:]:
    src = open(path).read()
    flags |= {"--" + m for m in re.findall(r'\{\s*"([A-Za-z0-9.-]+)",\s*(?:no|required|optional)_argument', src)}
    # short-option strings: getopt's and cli_parse's third argument, a cli_spec_t's second member,
    # and the one cmd_flash.c's parse() passes
    specs = re.findall(r'(?:getopt(?:_long)?|cli_parse)\([^;"]*?"([A-Za-z0-9:]*)"', src)
    specs += re.findall(r'cli_spec_t\s+\w+\s*=\s*\{\s*"[^"]*",\s*"([A-Za-z0-9:]*)"', src)
    specs += re.findall(r'parse\(argc, argv, &o, "([A-Za-z0-9:]*)"', src)
    for s in specs:
        flags |= {"-" + ch for ch in s.replace(":", "")}
# the --help synopsis: its "usage:" lines and their indented continuations (not the prose)
synopsis = "\n".join(l for l in open(sys.argv[2]) if re.match(r'(usage:|\s+(\[|portls |-|\())', l))
flags |= set(re.findall(r'(?:^|[\[ (|,])(--?[A-Za-z](?:[A-Za-z0-9.-]*[A-Za-z0-9])?)', synopsis, re.M))
assert flags, "no flags found in " + " ".join(sys.argv[3:])
missing = sorted(f for f in flags if not re.search(r'(?<![A-Za-z0-9-])' + re.escape(f) + r'(?![A-Za-z0-9-])', page))
if missing:
    print(sys.argv[1], "lacks", " ".join(missing))
    sys.exit(1)
print(sys.argv[1], ":", len(flags), "flags, all on the page")
PY
done

# make install (every component; here the pages' and completion's alone, which need no other
# target built): the pages under share/man/man1 (man renders them), the completion file
cmake --install "$BUILD_DIR" --prefix "$work/prefix" --component portls_docs > /dev/null
for c in "" $commands; do
    name=portls${c:+-$c}.1
    [ -s "$work/prefix/share/man/man1/$name" ] || fail "$name is not installed"
    MANWIDTH=80 man -l "$work/prefix/share/man/man1/$name" 2>/dev/null | grep -q "^NAME" || fail "$name does not render"
done
[ -s "$work/prefix/share/bash-completion/completions/portls" ] || fail "the bash completion is not installed"
echo "man pages: portls(1) and $(wc -w <<<"$commands") command pages, every flag on its page, installed"
