# bash completion for portls: commands, subcommands and flags, read from portls's own --help (so
# they are always the installed tool's), and file names for everything else.

# The commands portls --help lists.
_portls_commands()
{
    "$1" --help 2>/dev/null | awk '/^commands:/ {on = 1; next} on && /^  [a-z]/ {print $1}'
}

# The subcommands COMMAND --help's usage lines name ("portls flash mark-valid|mark-invalid ...").
_portls_subcommands()
{
    "$1" "$2" --help 2>/dev/null | awk -v cmd="$2" '{
        for (i = 1; i < NF; i++)
            if ($i == "portls" && $(i + 1) == cmd && $(i + 2) ~ /^[a-z][a-z|-]*$/) {
                n = split($(i + 2), s, "|")
                for (j = 1; j <= n; j++) print s[j]
            }
    }' | sort -u
}

# Every flag COMMAND --help mentions, and --help.
_portls_flags()
{
    {
        "$1" "$2" --help 2>/dev/null | grep -oE '(^|[[ (|,])--?[A-Za-z]([A-Za-z0-9.-]*[A-Za-z0-9])?' | sed -E 's/^[[ (|,]//'
        echo --help
    } | sort -u
}

_portls()
{
    local cur=${COMP_WORDS[COMP_CWORD]} tool=${COMP_WORDS[0]}
    COMPREPLY=()
    if [ "$COMP_CWORD" -eq 1 ]; then
        mapfile -t COMPREPLY < <(compgen -W "$(_portls_commands "$tool") --help --version" -- "$cur")
        return 0
    fi
    local command=${COMP_WORDS[1]} subs
    if [ "$COMP_CWORD" -eq 2 ] && [[ $cur != -* ]]; then
        subs=$(_portls_subcommands "$tool" "$command")
        if [ -n "$subs" ]; then
            mapfile -t COMPREPLY < <(compgen -W "$subs" -- "$cur")
            return 0
        fi
    fi
    if [[ $cur == -* ]]; then
        mapfile -t COMPREPLY < <(compgen -W "$(_portls_flags "$tool" "$command")" -- "$cur")
        return 0
    fi
    mapfile -t COMPREPLY < <(compgen -f -- "$cur")
}
complete -o filenames -F _portls portls
