#!/usr/bin/env bash
# Runs a command and checks its exit code, exact stdout and/or regexes over stdout+stderr.
# usage: check.sh --exit N [--stdout TEXT] [--match ERE]... [--no-match ERE]... -- command...
set -u
exit_want=0; stdout_want=; have_stdout=0; matches=(); nomatches=()
while [[ $# -gt 0 && $1 != -- ]]; do
  case $1 in
    --exit) exit_want=$2; shift 2 ;;
    --stdout) stdout_want=$(printf '%b' "$2"); have_stdout=1; shift 2 ;;
    --match) matches+=("$2"); shift 2 ;;
    --no-match) nomatches+=("$2"); shift 2 ;;
    *) echo "check.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
shift
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
"$@" >"$tmp/out" 2>"$tmp/err"
code=$?
cat "$tmp/out"; cat "$tmp/err" >&2
fail=0
if [[ $code -ne $exit_want ]]; then echo "check: exit code $code, want $exit_want" >&2; fail=1; fi
if [[ $have_stdout -eq 1 && "$(cat "$tmp/out")" != "$stdout_want" ]]; then
  echo "check: stdout differs; want:" >&2; printf '%s\n' "$stdout_want" >&2; fail=1
fi
for re in "${matches[@]+"${matches[@]}"}"; do
  if ! cat "$tmp/out" "$tmp/err" | grep -Eq -- "$re"; then echo "check: no line matches /$re/" >&2; fail=1; fi
done
for re in "${nomatches[@]+"${nomatches[@]}"}"; do
  if cat "$tmp/out" "$tmp/err" | grep -Eq -- "$re"; then echo "check: a line matches /$re/" >&2; fail=1; fi
done
exit $fail
