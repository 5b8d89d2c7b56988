#!/usr/bin/env bash
# The bash completion (docs/completion/portls.bash, installed as bash-completion's portls): sourced
# in bash, it completes the commands, a command's subcommands and its flags, from portls itself.
set -euo pipefail
fail() { echo "FAIL: $*"; exit 1; }
# shellcheck source=../docs/completion/portls.bash
. "$SOURCE_DIR/docs/completion/portls.bash"
complete -p portls | grep -qF -- "-F _portls" || fail "no completion registered for portls"

# complete WORDS...: what completing the last word of "portls WORDS..." offers, space-separated.
complete_words() {
    COMP_WORDS=("$PORTLS" "$@")
    COMP_CWORD=$(($# ))
    _portls
    printf '%s ' "${COMPREPLY[@]}"
}

# expect WANT WORDS...: the completions of WORDS are exactly WANT
expect() {
    local want=$1 got
    shift
    got=$(complete_words "$@")
    [ "$got" = "$want" ] || fail "portls $*<TAB>: '$got', not '$want'"
}

expect "connect " conn
expect "get " g
expect "mqtt " mq
expect "--help --version " --
all=$(complete_words "")
for c in connect serve get mqtt bundle flash image ota; do
    grep -qw -- "$c" <<<"$all" || fail "the commands lack $c: $all"
done
expect "pub sub " mqtt ""
expect "build " bundle b
expect "mark-invalid mark-valid " flash mark
expect "--connect-timeout " get https://x/ --conn
expect "--cacert --capath " connect localhost:443 --ca
expect "-P " mqtt pub -P
expect "--max-time " get x --max
expect "--json " bundle list x --js
# after a command's flags, a file name
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
touch "$tmp/ca-file.pem"
expect "$tmp/ca-file.pem " connect localhost:443 --cacert "$tmp/ca-"
echo "bash completion: commands, subcommands, flags and files"
