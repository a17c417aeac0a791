#!/usr/bin/env bash
# Builds one fuzz target with clang++ (libFuzzer + ASan + UBSan) straight from the sources
# and runs it over a copy of its committed seed corpus.
#
#   tests/fuzz/run-fuzz.sh [--target protocol|session|client|media] [--seconds N] [--build-dir DIR]
#                          [--build-only] [-- libFuzzer args]
#
# Targets (default protocol):
#   protocol  net/protocol: decode/re-encode, the handshake, AeadSealer (protocol_fuzzer.cpp)
#   session   the session server's logic, SessionCore, driven by op scripts (session_fuzzer.cpp)
#   client    the session client's logic (an offline SessionClient) against a hostile server
#             (client_fuzzer.cpp)
#   media     MediaReader over an in-memory file: demux, decode, seek (media_fuzzer.cpp)
# Each has its seed corpus in tests/fuzz/corpus/<target>/ and its binary DIR/<target>_fuzzer
# (DIR defaults to $TMPDIR/lockstep-<target>-fuzz).
#
# Exit status: 0 no finding; 77 skipped (no clang++ or no libFuzzer runtime; the reason is
# printed); anything else is a build failure or a finding (crash, sanitizer report, broken
# invariant, timeout, out of memory). Findings are kept as DIR/artifacts/crash-* etc.;
# reproduce one with: DIR/<target>_fuzzer DIR/artifacts/crash-...
# New inputs the run discovers go to DIR/corpus-<time>, never into the committed corpus;
# that folder is removed after a clean run and kept after a finding.
set -uo pipefail

SKIP=77
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=$(cd "$here/../.." && pwd)
target=protocol
seconds=20
build_dir=""
build_only=0
extra=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --target) target="$2"; shift 2 ;;
    --seconds) seconds="$2"; shift 2 ;;
    --build-dir) build_dir="$2"; shift 2 ;;
    --build-only) build_only=1; shift ;;
    --) shift; extra=("$@"); break ;;
    *) echo "run-fuzz.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
[[ -n "$build_dir" ]] || build_dir="${TMPDIR:-/tmp}/lockstep-$target-fuzz"

# Per target: the sources, the pkg-config packages, what a rebuild watches (folders are
# searched one level deep for .cpp/.h), the longest input and any flags of its own.
target_flags=()
protocol_sources=(
  "$src/net/protocol/codec.cpp"
  "$src/net/protocol/describe.cpp"
  "$src/net/protocol/auth.cpp"
  "$src/net/protocol/sealer.cpp"
  "$src/net/protocol/identity.cpp"
  "$src/net/protocol/cpace.cpp"
)
case "$target" in
  protocol)
    sources=("${protocol_sources[@]}" "$here/protocol_fuzzer.cpp")
    packages=(libsodium)
    watch=("$src/net/protocol" "$src/net/protocol_version.h" "$src/engine/core/result.h")
    max_len=65600
    ;;
  session)
    sources=("${protocol_sources[@]}"
             "$src/net/session/session_core.cpp"
             "$src/net/session/wire_checks.cpp"
             "$src/engine/clock/transport.cpp"
             "$src/engine/clock/transport_command.cpp"
             "$src/engine/core/log.cpp"
             "$src/engine/core/time.cpp"
             "$here/session_fuzzer.cpp")
    packages=(libsodium spdlog fmt)
    watch=("$src/net/protocol" "$src/net/session" "$src/net/transport" "$src/net/protocol_version.h"
           "$src/engine/clock" "$src/engine/core")
    max_len=16384
    ;;
  client)
    sources=("${protocol_sources[@]}"
             "$src/net/session/session_client.cpp"
             "$src/net/session/drift_memory.cpp"
             "$src/net/session/media_match.cpp"
             "$src/net/session/wire_checks.cpp"
             "$src/net/transport/enet_transport.cpp"
             "$src/net/transport/cookie_gate.cpp"
             "$src/net/clocksync/clock_estimator.cpp"
             "$src/net/clocksync/offset_fit.cpp"
             "$src/net/clocksync/sim_clock.cpp"
             "$src/engine/clock/transport.cpp"
             "$src/engine/clock/transport_command.cpp"
             "$src/engine/core/endpoint.cpp"
             "$src/engine/core/log.cpp"
             "$src/engine/core/time.cpp"
             "$here/client_fuzzer.cpp")
    packages=(libsodium libenet spdlog fmt)
    watch=("$src/net/protocol" "$src/net/session" "$src/net/transport" "$src/net/clocksync" "$src/net/protocol_version.h"
           "$src/engine/clock" "$src/engine/core")
    max_len=16384
    ;;
  media)
    sources=("$src"/engine/media/*.cpp "$src"/engine/core/*.cpp "$src"/engine/clock/*.cpp "$here/media_fuzzer.cpp")
    packages=(libavformat libavcodec libavfilter libavutil libswscale libswresample spdlog fmt)
    watch=("$src/engine/media" "$src/engine/core" "$src/engine/clock")
    max_len=65536
    # FFmpeg's C structs carry values from the bitstream in enum-typed fields (a colorspace
    # of 64 from a damaged stream); C allows it, and reading one is no lockstep bug.
    target_flags=(-fno-sanitize=enum)
    ;;
  *) echo "run-fuzz.sh: unknown target '$target' (protocol, session, client or media)" >&2; exit 2 ;;
esac
seeds="$here/corpus/$target"

skip() {
  echo "SKIPPED: $*"
  exit $SKIP
}

cxx="${LOCKSTEP_FUZZ_CXX:-}"
if [[ -z "$cxx" ]]; then
  for candidate in clang++-14 clang++; do
    if command -v "$candidate" >/dev/null 2>&1; then cxx=$(command -v "$candidate"); break; fi
  done
fi
[[ -n "$cxx" ]] || skip "no clang++ found (libFuzzer needs clang; apt-get install clang-14)"

mkdir -p "$build_dir/obj" "$build_dir/artifacts" || exit 1
probe_log="$build_dir/libfuzzer-probe.log"
printf 'extern "C" int LLVMFuzzerTestOneInput(const unsigned char*, unsigned long) { return 0; }\n' \
  >"$build_dir/probe.cpp"
if ! "$cxx" -fsanitize=fuzzer,address,undefined "$build_dir/probe.cpp" -o "$build_dir/probe" \
     >"$probe_log" 2>&1; then
  skip "$cxx cannot link -fsanitize=fuzzer,address,undefined (apt-get install libclang-rt-14-dev); see $probe_log"
fi

if ! pkg_cflags=$(pkg-config --cflags "${packages[@]}") || ! pkg_libs=$(pkg-config --libs "${packages[@]}"); then
  echo "run-fuzz.sh: pkg-config cannot find ${packages[*]} (apt-get install libsodium-dev" \
       "libspdlog-dev libfmt-dev libavformat-dev libavcodec-dev libavfilter-dev libswscale-dev" \
       "libswresample-dev)" >&2
  exit 1
fi

flags=(-std=c++20 -O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined
       -fno-sanitize-recover=undefined "${target_flags[@]}" -I"$src" -I"$src/engine" -I"$here")
launcher=()
command -v ccache >/dev/null 2>&1 && launcher=(ccache)

# Rebuild only when a source or header is newer than the binary (or this script is).
binary="$build_dir/${target}_fuzzer"
stale=1
if [[ -x "$binary" ]]; then
  newer=$(find "${watch[@]}" "$here" -maxdepth 1 -newer "$binary" \( -name '*.cpp' -o -name '*.h' \) \
               -print -quit)
  [[ -z "$newer" && "$0" -ot "$binary" ]] && stale=0
fi
if [[ $stale -eq 1 ]]; then
  echo "building $binary with $cxx"
  objects=()
  for source in "${sources[@]}"; do
    # Named by the path under the source tree: engine/clock/transport.cpp and a
    # net/transport/*.cpp must not share an object.
    relative="${source#"$src"/}"
    object="$build_dir/obj/${relative//\//_}"
    object="${object%.cpp}.o"
    # shellcheck disable=SC2086  # pkg-config output is a word list
    "${launcher[@]}" "$cxx" "${flags[@]}" $pkg_cflags -c "$source" -o "$object" || exit 1
    objects+=("$object")
  done
  # shellcheck disable=SC2086
  "$cxx" "${flags[@]}" "${objects[@]}" $pkg_libs -o "$binary" || exit 1
fi
[[ $build_only -eq 1 ]] && exit 0

corpus="$build_dir/corpus-$(date +%Y%m%d-%H%M%S)-$$"
mkdir -p "$corpus" && cp "$seeds/"* "$corpus/" || exit 1
echo "fuzzing for ${seconds}s: $binary over $corpus (seeds: $seeds)"
# libFuzzer's own default error exit code is 77, which ctest would read as "skipped":
# findings must exit with something else.
"$binary" -max_total_time="$seconds" -max_len="$max_len" -timeout=10 -rss_limit_mb=2048 \
  -error_exitcode=1 -timeout_exitcode=2 -print_final_stats=1 -artifact_prefix="$build_dir/artifacts/" \
  "${extra[@]}" "$corpus"
status=$?
[[ $status -eq $SKIP ]] && status=1
if [[ $status -ne 0 ]]; then
  echo "FUZZ FINDING (exit $status): inputs in $build_dir/artifacts/, corpus kept in $corpus" >&2
else
  rm -rf "$corpus"
fi
exit $status
