#!/usr/bin/env bash
# Style and static checks over the project's C++ sources: clang-format (Google
# style, .clang-format) and clang-tidy (.clang-tidy), warnings as errors.
# Needs a configured build tree (BUILD_DIR, default build/) for the compile
# commands.
#
#   scripts/lint.sh              every tracked source
#   scripts/lint.sh FILE...      only these
set -euo pipefail
cd "$(dirname "$0")/.."
build="${BUILD_DIR:-build}"

if [ "$#" -gt 0 ]; then
  files=("$@")
else
  mapfile -t files < <(git ls-files '*.cc' '*.h' '*.cu')
fi
clang-format --dry-run --Werror "${files[@]}"

# clang cannot read GCC's precompiled header: drop it from the compile commands.
db="$(mktemp -d)"
trap 'rm -rf "$db"' EXIT
sed -E 's# -Winvalid-pch##g; s# -include [^ ]*cmake_pch\.hxx##g' \
  "$build/compile_commands.json" >"$db/compile_commands.json"
printf '%s\n' "${files[@]}" | grep -E '\.cc$' |
  xargs -P "$(nproc)" -n 1 clang-tidy --quiet --warnings-as-errors='*' -p "$db"
echo "lint: clean"
