#!/usr/bin/env bash
# Source checks: no banned functions (strcpy, strcat, sprintf, vsprintf,
# gets, atoi, atol) in our C code, no api/ header included below api/, and
# every C file formatted by .clang-format, and src/store/pg_X.c what
# scripts/pg_mirror.py makes of src/store/sqlite_X.c.
set -euo pipefail
cd "$(dirname "$0")/.."
files=$(git ls-files 'src/*.c' 'src/*.h' 'src/*.cc' 'tests/*.c' 'bench/*.c' 'fuzz/*.c' 2>/dev/null || true)
[ -n "$files" ] || files=$(find src tests bench fuzz -name '*.[ch]' -o -name '*.cc' 2>/dev/null)
status=0
if grep -nE '\b(strcpy|strcat|sprintf|vsprintf|gets|atoi|atol)\s*\(' $files; then
  echo "check-source: banned function above (use snprintf, strtol, buf_*)" >&2
  status=1
fi
# layering: nothing below api/ includes api/ (main.c composes everything)
if grep -nE '#include "api/' $(git ls-files 'src/*.c' 'src/*.h' 'src/*.cc' 2>/dev/null | grep -vE '^src/(api/|main\.c)'); then
  echo "check-source: only src/api/ and src/main.c may include api/ headers" >&2
  status=1
fi
if command -v clang-format >/dev/null; then
  bad=$(for f in $files; do clang-format --dry-run -Werror "$f" >/dev/null 2>&1 || echo "$f"; done)
  if [ -n "$bad" ]; then
    echo "check-source: not formatted (run make format):" >&2
    echo "$bad" >&2
    status=1
  fi
fi
# the PostgreSQL backend's mirrored files follow their SQLite twins (the
# script formats what it writes with clang-format)
if command -v clang-format >/dev/null && ! python3 scripts/pg_mirror.py --check; then
  echo "check-source: a sqlite_X.c changed: run scripts/pg_mirror.py (see docs/scaling.md)" >&2
  status=1
fi
exit $status
