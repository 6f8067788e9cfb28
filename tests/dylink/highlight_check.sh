#!/bin/bash
# The plugin example's CLI on its sample files (CTest dylink.highlight_example): the three
# language plugins highlight their files from one instance, the faulty plugin's trap is reported
# and the instance rebuilt without it, and files after it are still highlighted.
# usage: highlight_check.sh WISP_HIGHLIGHT SAMPLES_DIR
set -u
bin="$1" samples="$2"
fail=0
check() {  # check NAME PATTERN FILE: the file has a line matching the pattern
  if ! grep -qE -- "$2" "$3"; then
    echo "FAIL: $1 (no line matching '$2')"
    fail=1
  fi
}
for tier in 0 1; do
  out=$(mktemp) err=$(mktemp)
  "$bin" --tier "$tier" --tokens "$samples/hello.c" "$samples/config.json" "$samples/notes.md" \
    "$samples/faulty.crash" "$samples/hello.c" "$samples/notes.md" >"$out" 2>"$err"
  status=$?
  echo "== tier $tier: exit status $status"
  cat "$err"
  [ "$status" -eq 1 ] || { echo "FAIL: exit status $status, expected 1 (one plugin trapped)"; fail=1; }
  check "C preprocessor line" '^1:1 preproc #include <stdio.h>$' "$out"
  check "C comment across lines (the plugin's context)" '^3:1 comment    over two lines \*/$' "$out"
  check "C keyword" '^7:3 keyword return$' "$out"
  check "JSON key" '^2:3 key "name"$' "$out"
  check "JSON literal" '^5:50 keyword null$' "$out"
  check "Markdown heading" '^1:1 heading # Plugins in one instance$' "$out"
  check "Markdown fence (the plugin's context)" '^4:1 code int not_highlighted_as_c = 1;$' "$out"
  check "faulty plugin before its trap" '^1:12 number 42$' "$out"
  check "trap reported" 'plugin lang_crashy trapped' "$err"
  check "rebuilt without it" '3 plugins in one instance, 1 rebuilds' "$err"
  # hello.c and notes.md again, after the rebuild: the same tokens as the first time.
  [ "$(grep -c '^7:3 keyword return$' "$out")" -eq 2 ] || { echo "FAIL: hello.c not highlighted twice"; fail=1; }
  [ "$(grep -c '^4:1 code int not_highlighted_as_c = 1;$' "$out")" -eq 2 ] || { echo "FAIL: notes.md not highlighted twice"; fail=1; }
  rm -f "$out" "$err"
done
# A file no plugin takes.
if "$bin" --tier 0 "$samples/../plugins_main.c.none" 2>/dev/null; then
  echo "FAIL: a file without a plugin did not fail"
  fail=1
fi
exit $fail
