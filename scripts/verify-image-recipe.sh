#!/usr/bin/env bash
# Verifies the Dockerfile's CPU image without a Docker engine: interprets the
# Dockerfile's own instructions (FROM, ARG, ENV, WORKDIR, RUN, COPY, USER,
# EXPOSE, STOPSIGNAL, ENTRYPOINT, CMD) against root file systems made by
# debootstrap, then runs the result as a container would and classifies a
# document through it. Nothing is copied from the Dockerfile into this
# script: the RUN lines (package lists included) run as written, and the
# runtime package list is read back with scripts/check-image-recipe.sh.
#
#   scripts/verify-image-recipe.sh [--reuse-builder] [WORKDIR]
#
# WORKDIR (default /tmp/wersa-image-verify) holds:
#   base/     debootstrap --variant=minbase bookworm, made once and reused
#             (delete it to refresh); the official debian:bookworm and
#             debian:bookworm-slim images are minbase builds too (debuerreotype)
#   builder/  the "build" stage: install-deps.sh --build and the CMake build,
#             rebuilt every run (15-25 min on 2 cores) unless --reuse-builder
#             finds a finished one
#   runtime/  the "runtime" stage, rebuilt every run
# The host's wersa-client (build/client/wersa-client, or $WERSA_CLIENT)
# classifies through the running image.
#
# The image runs as Docker and the Deployment would run it: PID 1 of its own
# PID, mount and network namespaces, the ENTRYPOINT and CMD as the USER with
# the image's ENV and WORKDIR, a read-only root with a tmpfs /tmp (the pod's
# readOnlyRootFilesystem), a minimal /dev, and STOPSIGNAL to stop it.
#
# Needs root, debootstrap, unshare, nsenter, curl and the network (apt).
# Not in CI: too slow, and it needs root and deb.debian.org. Prints PASS or
# FAIL per step; exits 1 if any step failed.
set -euo pipefail

reuse_builder=0
if [ "${1:-}" = "--reuse-builder" ]; then
  reuse_builder=1
  shift
fi
repo="$(cd "$(dirname "$0")/.." && pwd)"
dockerfile="$repo/Dockerfile"
work="${1:-/tmp/wersa-image-verify}"
client="${WERSA_CLIENT:-$repo/build/client/wersa-client}"
mirror="http://deb.debian.org/debian"
# Docker's PATH for a RUN when the image sets none.
default_path=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

if [ "$(id -u)" -ne 0 ]; then
  echo "verify-image-recipe: needs root (debootstrap, chroot, namespaces)" >&2
  exit 2
fi
for tool in debootstrap unshare nsenter curl ip; do
  command -v "$tool" >/dev/null || {
    echo "verify-image-recipe: $tool not found" >&2
    exit 2
  }
done
[ -x "$client" ] || {
  echo "verify-image-recipe: no wersa-client at $client (build it, or set WERSA_CLIENT)" >&2
  exit 2
}
mkdir -p "$work"

passed=0
failed=0
pass() {
  echo "PASS: $*"
  passed=$((passed + 1))
}
fail() {
  echo "FAIL: $*"
  failed=$((failed + 1))
}
summary() {
  echo "verify-image-recipe: $passed passed, $failed failed (logs in $work)"
  [ "$failed" -eq 0 ]
}
# Fails a step the rest depends on, and stops.
fatal() {
  fail "$*"
  summary || true
  exit 1
}

# ------------------------------------------------------------------ parsing
# One record per instruction: stage, keyword, arguments. Continuation lines
# are joined and comment lines inside them dropped, as Docker does.
stages=()
declare -A stage_from=()
rec_stage=() rec_keyword=() rec_args=()
declare -A build_args=()
current=""
while IFS=$'\t' read -r keyword args; do
  if [ "$keyword" = FROM ]; then
    read -r image as name <<<"$args"
    if [ "${as,,}" != as ] || [ -z "$name" ]; then fatal "parse: FROM without AS: $args"; fi
    current="$name"
    stages+=("$name")
    stage_from[$name]="$image"
  elif [ -z "$current" ]; then
    [ "$keyword" = ARG ] || fatal "parse: $keyword before the first FROM"
    build_args[${args%%=*}]="${args#*=}"
  else
    rec_stage+=("$current")
    rec_keyword+=("$keyword")
    rec_args+=("$args")
  fi
done < <(awk '
  !cont && (/^[ \t]*#/ || /^[ \t]*$/) { next }
  cont && /^[ \t]*#/ { next }
  { buf = buf $0 }
  /\\$/ { sub(/\\$/, "", buf); cont = 1; next }
  {
    cont = 0
    sub(/^[ \t]+/, "", buf)
    keyword = toupper(buf); sub(/[ \t].*/, "", keyword)
    args = buf; sub(/^[^ \t]+[ \t]*/, "", args)
    print keyword "\t" args
    buf = ""
  }' "$dockerfile")
[ "${build_args[VARIANT]:-}" = cpu ] ||
  fatal "parse: the default VARIANT is '${build_args[VARIANT]:-}'; only cpu can be verified here"
pass "parse: ${#stages[@]} stages (${stages[*]}), VARIANT=cpu"

expand_args() {  # ${NAME} of the global ARGs
  local text="$1" name
  for name in "${!build_args[@]}"; do text="${text//\$\{$name\}/${build_args[$name]}}"; done
  echo "$text"
}

# ---------------------------------------------------------------- base images
if [ ! -f "$work/base/.debootstrap-done" ]; then
  rm -rf "$work/base"
  if nice -n 15 debootstrap --variant=minbase bookworm "$work/base" "$mirror" \
    >"$work/debootstrap.log" 2>&1; then
    touch "$work/base/.debootstrap-done"
    pass "base: debootstrap --variant=minbase bookworm"
  else
    fatal "base: debootstrap (see $work/debootstrap.log)"
  fi
else
  pass "base: reusing $work/base (debootstrap --variant=minbase bookworm)"
fi

# A root file system for a Debian image: the base, with the apt sources of
# the official images (bookworm, bookworm-updates, bookworm-security); -slim
# also leaves out documentation, manuals and translations, as that image does.
make_base() {
  local image="$1" root="$2"
  case "$image" in
    debian:bookworm | debian:bookworm-slim) ;;
    *) fatal "base: no recipe for the image $image" ;;
  esac
  rm -rf "$root"
  cp -a "$work/base" "$root"
  rm -f "$root/.debootstrap-done" "$root/etc/apt/sources.list"
  cat >"$root/etc/apt/sources.list.d/debian.sources" <<'SOURCES'
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES
  if [ "$image" = debian:bookworm-slim ]; then
    cat >"$root/etc/dpkg/dpkg.cfg.d/docker" <<'SLIM'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
SLIM
  fi
  # Docker provides the host's resolver configuration to a RUN.
  cp /etc/resolv.conf "$root/etc/resolv.conf"
}

# The build context: the working tree less .dockerignore's patterns.
context="$work/context"
rm -rf "$context"
mkdir -p "$context"
excludes=()
while read -r pattern; do
  if [ -z "$pattern" ] || [ "${pattern:0:1}" = "#" ]; then continue; fi
  pattern="${pattern%/}"
  if [ "${pattern:0:3}" = "**/" ]; then
    excludes+=(--no-anchored "--exclude=${pattern:3}")
  else
    excludes+=(--anchored "--exclude=./$pattern")
  fi
done <"$repo/.dockerignore"
tar -C "$repo" "${excludes[@]}" -cf - . | tar -C "$context" -xf -
pass "context: $(find "$context" -type f | wc -l) files ($(du -sh "$context" | cut -f1)) after .dockerignore"

# ------------------------------------------------------------------ executing
# The image configuration of the chain being built.
declare -A copy_root=()
reset_config() {
  cfg_env=() cfg_workdir=/ cfg_user="" cfg_entrypoint="" cfg_cmd="" cfg_stopsignal=""
  cfg_expose=()
}

# Runs a command in a root file system as a RUN step would: root, a private
# mount namespace with /proc, /sys and the host's /dev, the image's ENV.
in_root() {
  local root="$1" workdir="$2"
  shift 2
  nice -n 15 unshare --mount --propagation private -- /bin/bash -c '
    root="$1"; shift
    mount -t proc proc "$root/proc"
    mount -t sysfs sysfs "$root/sys"
    mount --rbind /dev "$root/dev"
    exec "$@"' _ "$root" \
    chroot "$root" /usr/bin/env -i "PATH=$default_path" HOME=/root \
    "${cfg_env[@]}" /bin/sh -c "cd '$workdir' && $*"
}

json_words() {  # the strings of an exec-form (JSON array) instruction
  python3 -c 'import json, sys; print("\n".join(json.loads(sys.argv[1])))' "$1"
}

do_copy() {
  local root="$1" from="" words=() sources dest src path
  read -ra words <<<"$2"
  if [ "${words[0]#--from=}" != "${words[0]}" ]; then
    from="${words[0]#--from=}"
    words=("${words[@]:1}")
    [ -n "${copy_root[$from]:-}" ] || fatal "COPY --from=$from: that stage was not built"
  fi
  sources=("${words[@]:0:${#words[@]}-1}")
  dest="${words[-1]}"
  [ "${dest:0:1}" = / ] || dest="${cfg_workdir%/}/$dest"
  for src in "${sources[@]}"; do
    if [ -n "$from" ]; then path="${copy_root[$from]}/$src"; else path="$context/$src"; fi
    [ -e "$path" ] || fatal "COPY ${2}: $src does not exist"
    if [ -d "$path" ]; then  # a directory's contents
      mkdir -p "$root/$dest"
      cp -a "$path/." "$root/$dest/"
    elif [ "${dest: -1}" = / ] || [ "${#sources[@]}" -gt 1 ]; then
      mkdir -p "$root/$dest"
      cp -a "$path" "$root/$dest/"
    else
      mkdir -p "$(dirname "$root/$dest")"
      cp -a "$path" "$root/$dest"
    fi
  done
}

# Builds `stage` (after the stages it is FROM) into `root`; logs in `log`.
build_stage() {
  local stage="$1" root="$2" log="$3" from i keyword args pair
  from="$(expand_args "${stage_from[$stage]}")"
  if [ -n "${stage_from[$from]:-}" ]; then
    build_stage "$from" "$root" "$log"
  else
    make_base "$from" "$root"
    pass "$stage: FROM $from (debootstrap minbase copy)"
  fi
  for i in "${!rec_stage[@]}"; do
    [ "${rec_stage[$i]}" = "$stage" ] || continue
    keyword="${rec_keyword[$i]}" args="${rec_args[$i]}"
    case "$keyword" in
      ARG) ;;  # only the global VARIANT is used, in FROM
      ENV)
        for pair in $args; do
          [[ "$pair" == *=* && "$pair" != *'$'* ]] || fatal "$stage: ENV $args: only KEY=VALUE pairs are interpreted"
          cfg_env+=("$pair")
        done ;;
      WORKDIR)
        cfg_workdir="$args"
        mkdir -p "$root/$args" ;;
      COPY)
        do_copy "$root" "$args"
        pass "$stage: COPY $args" ;;
      RUN)
        echo "== $stage: RUN $args" >>"$log"
        if in_root "$root" "$cfg_workdir" "$args" >>"$log" 2>&1; then
          pass "$stage: RUN ${args:0:70}..."
        else
          fatal "$stage: RUN ${args:0:70}... (see $log)"
        fi ;;
      USER) cfg_user="$args" ;;
      EXPOSE) read -ra cfg_expose <<<"$args" ;;
      STOPSIGNAL) cfg_stopsignal="$args" ;;
      ENTRYPOINT) cfg_entrypoint="$args" ;;
      CMD) cfg_cmd="$args" ;;
      *) fatal "$stage: $keyword is not interpreted by this script" ;;
    esac
  done
}

builder="$work/builder"
if [ "$reuse_builder" -eq 1 ] && [ -f "$builder/.stage-done" ]; then
  pass "build: reusing the finished builder in $builder"
else
  reset_config
  rm -f "$work/builder.log"
  build_stage build "$builder" "$work/builder.log"
  touch "$builder/.stage-done"
fi
copy_root[build]="$builder"
for binary in server/wersa-server client/wersa-client client/wersa-load; do
  [ -x "$builder/build/$binary" ] || fatal "build: /build/$binary was not built"
done
pass "build: wersa-server, wersa-client and wersa-load built in the builder"
# The recipe check of CTest's deploy_image_recipe, on the builder's fresh
# package set rather than a development machine's.
cp "$dockerfile" "$builder/tmp/Dockerfile"
if in_root "$builder" /src "bash scripts/check-image-recipe.sh /tmp/Dockerfile /build/server/wersa-server /build/client/wersa-client /build/client/wersa-load" \
  >"$work/check-image-recipe.log" 2>&1; then
  pass "build: check-image-recipe.sh in the builder: $(tail -n 1 "$work/check-image-recipe.log")"
else
  fail "build: check-image-recipe.sh in the builder (see $work/check-image-recipe.log)"
fi

runtime="$work/runtime"
reset_config
rm -f "$work/runtime.log"
build_stage runtime "$runtime" "$work/runtime.log"

# ------------------------------------------------------------ the runtime image
arch_dir="$(in_root "$runtime" / 'echo "$(dpkg --print-architecture | sed "s/amd64/x86_64/;s/arm64/aarch64/")-linux-gnu"')"
missing=()
while read -r package; do
  status="$(in_root "$runtime" / "dpkg-query -W -f='\${Status}' $package 2>/dev/null" || true)"
  [ "$status" = "install ok installed" ] || missing+=("$package")
done < <(bash "$repo/scripts/check-image-recipe.sh" --packages "$dockerfile")
if [ "${#missing[@]}" -eq 0 ]; then
  pass "runtime: every package between the markers is installed"
else
  fail "runtime: not installed: ${missing[*]}"
fi
dev_packages="$(in_root "$runtime" / "dpkg-query -W -f='\${Package}\n'" | grep -E -- '-dev$|^g\+\+|^gcc-[0-9]+$|^cmake$' || true)"
if [ -z "$dev_packages" ]; then
  pass "runtime: no -dev packages, compilers or cmake ($(in_root "$runtime" / "dpkg-query -W | wc -l") packages in all)"
else
  fail "runtime: build packages present: $(echo "$dev_packages" | tr '\n' ' ')"
fi
for binary in wersa-server wersa-client wersa-load; do
  if in_root "$runtime" / "ldd /usr/local/bin/$binary" >"$work/ldd-$binary.txt" 2>&1 &&
    ! grep -q "not found" "$work/ldd-$binary.txt"; then
    pass "runtime: ldd resolves all $(grep -c '=>' "$work/ldd-$binary.txt") libraries of $binary"
  else
    fail "runtime: ldd $binary: $(grep 'not found' "$work/ldd-$binary.txt" | tr '\n' ' ')"
  fi
done
blas="$(in_root "$runtime" / "readlink -f /usr/lib/$arch_dir/libblas.so.3")"
if [[ "$blas" == */openblas-openmp/* ]]; then
  pass "runtime: libblas.so.3 is OpenBLAS's OpenMP build ($blas)"
else
  fail "runtime: libblas.so.3 is $blas, not OpenBLAS's OpenMP build"
fi

# ---------------------------------------------------------- running the image
[ -n "$cfg_entrypoint" ] || fatal "run: the image has no ENTRYPOINT"
[ -n "$cfg_user" ] || fatal "run: the image has no USER (it would run as root)"
mapfile -t argv < <(json_words "$cfg_entrypoint")
[ -z "$cfg_cmd" ] || mapfile -t -O "${#argv[@]}" argv < <(json_words "$cfg_cmd")
home="$(awk -F: -v uid="${cfg_user%%:*}" '$3 == uid { print $6 }' "$runtime/etc/passwd")"
[ -n "$home" ] || fatal "run: USER ${cfg_user%%:*} has no /etc/passwd entry in the image"
pass "run: USER $cfg_user exists (home $home); ENTRYPOINT+CMD: ${argv[*]}"

server_log="$work/server.log"
# PID 1 of new PID, mount and network namespaces; the root read-only.
unshare --pid --fork --kill-child --mount --propagation private --net -- /bin/bash -c '
  root="$1" workdir="$2" user="$3"; shift 3
  ip link set lo up
  mount --bind "$root" "$root"
  mount -o remount,bind,ro "$root"
  mount -t proc proc "$root/proc"
  mount -t sysfs -o ro sysfs "$root/sys"
  mount -t tmpfs -o nosuid,mode=1777 tmpfs "$root/tmp"
  mount -t tmpfs -o nosuid,mode=755 tmpfs "$root/dev"
  for node in null zero full random urandom tty; do
    touch "$root/dev/$node"
    mount --bind "/dev/$node" "$root/dev/$node"
  done
  mkdir "$root/dev/shm" && mount -t tmpfs -o nosuid,nodev,mode=1777 tmpfs "$root/dev/shm"
  exec chroot --userspec="$user" "$root" /usr/bin/env -C "$workdir" "$@"' \
  _ "$runtime" "$cfg_workdir" "$cfg_user" \
  env -i "PATH=$default_path" HOSTNAME=wersa-verify "HOME=$home" "${cfg_env[@]}" "${argv[@]}" \
  >"$server_log" 2>&1 &
namespace_pid=$!
stop_server() {  # --kill-child takes the server with it
  kill -KILL "$namespace_pid" 2>/dev/null || true
}
trap stop_server EXIT
in_net() { nsenter --net="/proc/$namespace_pid/ns/net" "$@"; }

server_pid=""
for _ in $(seq 1 50); do
  server_pid="$(awk '{ print $1 }' "/proc/$namespace_pid/task/$namespace_pid/children" 2>/dev/null || true)"
  [ -n "$server_pid" ] && break
  sleep 0.1
done
[ -n "$server_pid" ] || fatal "run: the server did not start (see $server_log)"
ready=0
for _ in $(seq 1 240); do
  if in_net curl -fsS -o /dev/null http://127.0.0.1:9090/readyz 2>/dev/null; then
    ready=1
    break
  fi
  kill -0 "$namespace_pid" 2>/dev/null || break
  sleep 0.5
done
[ "$ready" -eq 1 ] || fatal "run: /readyz never answered 200 (see $server_log)"
uid="$(awk '/^Uid:/ { print $2 }' "/proc/$server_pid/status")"
comm="$(cat "/proc/$server_pid/comm")"
inner_pid="$(awk '/^NSpid:/ { print $NF }' "/proc/$server_pid/status")"
root_options="$(awk '$5 == "/" { print $6 }' "/proc/$server_pid/mountinfo")"
if [ "$uid" = "${cfg_user%%:*}" ] && [ "$comm" = wersa-server ] && [ "$inner_pid" = 1 ] &&
  [[ ",$root_options," == *,ro,* ]]; then
  pass "run: wersa-server is PID 1 of its namespace, uid $uid, root mounted $root_options; /readyz 200"
else
  fail "run: expected wersa-server as PID 1, uid ${cfg_user%%:*}, read-only root; found $comm, pid $inner_pid, uid $uid, root $root_options"
fi
listening="$(in_net ss -Hltn 2>/dev/null | awk '{ print $4 }' | sed 's/.*://' | sort -un | tr '\n' ' ')"
for port in "${cfg_expose[@]}"; do
  if [[ " $listening " == *" $port "* ]]; then
    pass "run: EXPOSEd port $port listens"
  else
    fail "run: EXPOSEd port $port does not listen (listening: $listening)"
  fi
done

document="$work/document.txt"
cat >"$document" <<'DOCUMENT'
We study the evolution of dark matter haloes in cosmological N-body
simulations and compare the resulting galaxy rotation curves with
observations of nearby spiral galaxies. The simulated haloes follow a
universal density profile whose concentration depends on halo mass and
redshift, and baryonic feedback from supernovae flattens the inner cusp.
We measure the stellar velocity dispersion, the luminosity function and the
star formation rate of the simulated galaxies and find agreement with
Hubble Space Telescope photometry and spectroscopic surveys of the local
universe.
DOCUMENT
if in_net "$client" --target 127.0.0.1:50051 --top_k 3 "$document" >"$work/classify-host.txt" 2>&1; then
  pass "run: the host's wersa-client classified a document: $(tr '\n' ' ' <"$work/classify-host.txt")"
else
  fail "run: the host's wersa-client: $(tr '\n' ' ' <"$work/classify-host.txt")"
fi
if in_net chroot --userspec="$cfg_user" "$runtime" /usr/local/bin/wersa-client \
  --target 127.0.0.1:50051 --top_k 1 --json - <"$document" >"$work/classify-image.txt" 2>&1; then
  pass "run: the image's wersa-client classified it too: $(tr '\n' ' ' <"$work/classify-image.txt" | cut -c1-160)"
else
  fail "run: the image's wersa-client: $(tr '\n' ' ' <"$work/classify-image.txt")"
fi
if in_net curl -fsS http://127.0.0.1:9090/metrics >"$work/metrics.txt" 2>&1; then
  ok_requests="$(awk '/^wersa_requests_total\{/ && /code="OK"/ { sum += $NF } END { print sum + 0 }' "$work/metrics.txt")"
  if [ "$ok_requests" -ge 2 ]; then
    pass "run: /metrics on 9090: wersa_requests_total{code=\"OK\"} = $ok_requests"
  else
    fail "run: /metrics on 9090 counts $ok_requests OK requests, expected at least 2"
  fi
else
  fail "run: /metrics on 9090 did not answer"
fi

# STOPSIGNAL to PID 1: it only arrives if the server handles it.
started_stop="$(date +%s)"
kill -s "${cfg_stopsignal#SIG}" "$server_pid"
status=0
if timeout 60 tail --pid="$namespace_pid" -f /dev/null; then
  wait "$namespace_pid" || status=$?
  trap - EXIT
  if [ "$status" -eq 0 ]; then
    pass "run: $cfg_stopsignal to PID 1: exited 0 after $(($(date +%s) - started_stop)) s"
  else
    fail "run: $cfg_stopsignal to PID 1: exit status $status (see $server_log)"
  fi
else
  fail "run: $cfg_stopsignal to PID 1: still running after 60 s"
fi

summary
