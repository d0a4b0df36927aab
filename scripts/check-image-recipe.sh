#!/usr/bin/env bash
# Checks the Dockerfile's runtime package list against the built binaries:
# every library `ldd` resolves for them must come from libc6, from a package
# named between the "# BEGIN runtime packages" and "# END runtime packages"
# markers of the Dockerfile, or from a dependency (Depends/Pre-Depends,
# recursively, as installed on this machine) of a named package; and every
# library a binary links directly (ELF NEEDED) must come from a named package
# (or libc6), so the image does not rely on another package's dependencies
# for what the code itself uses. Any library ldd cannot find fails too.
#
#   scripts/check-image-recipe.sh DOCKERFILE BINARY...
#   scripts/check-image-recipe.sh --packages DOCKERFILE   prints the list only
#                                 (for scripts/verify-image-recipe.sh)
#
# Runs on the Debian 12 machine that built the binaries (CTest:
# deploy_image_recipe); it needs dpkg, dpkg-query, ldd and objdump.
set -euo pipefail

if [ "$#" -lt 2 ]; then
  echo "usage: $0 DOCKERFILE BINARY... | $0 --packages DOCKERFILE" >&2
  exit 2
fi
list_only=0
if [ "$1" = "--packages" ]; then
  list_only=1
  shift
fi
dockerfile="$1"
shift

# The runtime packages: words between the markers that look like package names.
mapfile -t named < <(awk '
  /^# BEGIN runtime packages/ { on = 1; next }
  /^# END runtime packages/   { on = 0; next }
  on { for (i = 1; i <= NF; i++) if ($i ~ /^[a-z0-9][a-z0-9+.-]+$/) print $i }
' "$dockerfile" | sort -u)
if [ "${#named[@]}" -eq 0 ]; then
  echo "check-image-recipe: no runtime packages between the markers in $dockerfile" >&2
  exit 1
fi
if [ "$list_only" -eq 1 ]; then
  printf '%s\n' "${named[@]}"
  exit 0
fi
declare -A is_named=([libc6]=1)
for p in "${named[@]}"; do is_named[$p]=1; done

# Recursive dependency closure of the named packages (installed ones only; an
# alternative "a | b" counts whichever is installed).
declare -A installed=() depends=()
while IFS='|' read -r pkg status deps; do
  [ "$status" = "install ok installed" ] || continue
  installed[$pkg]=1
  depends[$pkg]="$deps"
done < <(dpkg-query -W -f='${Package}|${Status}|${Depends}, ${Pre-Depends}\n')
declare -A closure=()
queue=("${named[@]}")
while [ "${#queue[@]}" -gt 0 ]; do
  pkg="${queue[0]}"
  queue=("${queue[@]:1}")
  [ -z "${closure[$pkg]:-}" ] || continue
  closure[$pkg]=1
  for choice in $(echo "${depends[$pkg]:-}" | sed 's/([^)]*)//g; s/:any//g; s/[,|]/ /g'); do
    [ -n "${installed[$choice]:-}" ] && queue+=("$choice")
  done
done

# Owners of every library path, from one dpkg -S call (paths as ldd gives
# them, resolved, and under /usr for the merged /lib).
declare -A owner=()
all_libraries="$(for binary in "$@"; do [ -x "$binary" ] && ldd "$binary"; done | awk '$2 == "=>" && $3 ~ /^\// { print $3 }' | sort -u)"
candidates() {  # a path's spellings
  local path="$1" real
  real="$(readlink -f "$path")"
  printf '%s\n' "$path" "$real" "${path/#\/lib\//\/usr\/lib\/}" "${real/#\/lib\//\/usr\/lib\/}"
}
if [ -n "$all_libraries" ]; then
  while IFS= read -r line; do
    pkgs="${line%%: *}"
    pkgs="${pkgs%%,*}"
    owner["${line#*: }"]="${pkgs%%:*}"  # without the :arch qualifier
  done < <(dpkg -S $(while read -r path; do candidates "$path"; done <<<"$all_libraries" | sort -u) 2>/dev/null | grep -v '^diversion' || true)
fi
package_of() {  # the package that ships a library path ('' if none)
  local candidate
  while read -r candidate; do
    if [ -n "${owner[$candidate]:-}" ]; then echo "${owner[$candidate]}"; return; fi
  done < <(candidates "$1")
}

failures=0
for binary in "$@"; do
  if [ ! -x "$binary" ]; then
    echo "check-image-recipe: $binary is not an executable" >&2
    failures=$((failures + 1))
    continue
  fi
  libraries="$(ldd "$binary")"
  if grep -q "not found" <<<"$libraries"; then
    echo "check-image-recipe: $(basename "$binary"): ldd cannot find: $(grep 'not found' <<<"$libraries" | awk '{print $1}' | tr '\n' ' ')" >&2
    failures=$((failures + 1))
  fi
  mapfile -t needed < <(objdump -p "$binary" | awk '/NEEDED/ { print $2 }')
  checked=0
  while read -r name path; do
    [ -n "$path" ] || continue
    pkg="$(package_of "$path")"
    if [ -z "$pkg" ]; then
      echo "check-image-recipe: $(basename "$binary"): $name ($path) belongs to no Debian package" >&2
      failures=$((failures + 1))
      continue
    fi
    direct=0
    for n in "${needed[@]}"; do [ "$n" = "$name" ] && direct=1; done
    if [ "$direct" -eq 1 ] && [ -z "${is_named[$pkg]:-}" ]; then
      echo "check-image-recipe: $(basename "$binary") links $name directly; its package $pkg is not named in the Dockerfile's runtime stage" >&2
      failures=$((failures + 1))
    elif [ -z "${is_named[$pkg]:-}" ] && [ -z "${closure[$pkg]:-}" ]; then
      echo "check-image-recipe: $(basename "$binary") loads $name from $pkg, which neither the Dockerfile's runtime stage names nor any named package depends on" >&2
      failures=$((failures + 1))
    fi
    checked=$((checked + 1))
  done < <(awk '$2 == "=>" && $3 ~ /^\// { print $1, $3 }' <<<"$libraries")
  echo "check-image-recipe: $(basename "$binary"): ${#needed[@]} direct, $checked loaded libraries checked"
done

if [ "$failures" -gt 0 ]; then
  echo "check-image-recipe: $failures problem(s); update the runtime packages in $dockerfile" >&2
  exit 1
fi
echo "check-image-recipe: the runtime packages (${named[*]}) cover every library"
