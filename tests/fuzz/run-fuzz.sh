#!/usr/bin/env bash
# Builds the protocol fuzz target with clang++ (libFuzzer + ASan + UBSan) straight from the
# sources and runs it over a copy of the committed seed corpus.
#
#   tests/fuzz/run-fuzz.sh [--seconds N] [--build-dir DIR] [--build-only] [-- libFuzzer args]
#
# Exit status: 0 no finding; 77 skipped (no clang++ or no libFuzzer runtime; the reason is
# printed); anything else is a build failure or a finding (crash, sanitizer report, broken
# invariant, timeout, out of memory). Findings are kept as DIR/artifacts/crash-* etc.;
# reproduce one with: DIR/protocol_fuzzer DIR/artifacts/crash-...
# New inputs the run discovers go to DIR/corpus-<time>, never into the committed corpus;
# that folder is removed after a clean run and kept after a finding.
set -uo pipefail

SKIP=77
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=$(cd "$here/../.." && pwd)
seconds=20
build_dir="${TMPDIR:-/tmp}/lockstep-protocol-fuzz"
build_only=0
extra=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --seconds) seconds="$2"; shift 2 ;;
    --build-dir) build_dir="$2"; shift 2 ;;
    --build-only) build_only=1; shift ;;
    --) shift; extra=("$@"); break ;;
    *) echo "run-fuzz.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done

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

if ! sodium_flags=$(pkg-config --cflags --libs libsodium); then
  echo "run-fuzz.sh: libsodium not found by pkg-config (apt-get install libsodium-dev)" >&2
  exit 1
fi

sources=(
  "$src/net/protocol/codec.cpp"
  "$src/net/protocol/describe.cpp"
  "$src/net/protocol/auth.cpp"
  "$src/net/protocol/sealer.cpp"
  "$src/net/protocol/identity.cpp"
  "$src/net/protocol/cpace.cpp"
  "$here/protocol_fuzzer.cpp"
)
flags=(-std=c++20 -O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined
       -fno-sanitize-recover=undefined -I"$src" -I"$src/engine" -I"$here")
launcher=()
command -v ccache >/dev/null 2>&1 && launcher=(ccache)

# Rebuild only when a source or header is newer than the binary.
binary="$build_dir/protocol_fuzzer"
stale=1
if [[ -x "$binary" ]]; then
  newer=$(find "$src/net/protocol" "$src/net/protocol_version.h" "$src/engine/core/result.h" \
               "$here" -maxdepth 1 -newer "$binary" \( -name '*.cpp' -o -name '*.h' \) -print -quit)
  [[ -z "$newer" && "$0" -ot "$binary" ]] && stale=0
fi
if [[ $stale -eq 1 ]]; then
  echo "building $binary with $cxx"
  objects=()
  for source in "${sources[@]}"; do
    object="$build_dir/obj/$(basename "${source%.cpp}").o"
    # shellcheck disable=SC2086  # pkg-config output is a word list
    "${launcher[@]}" "$cxx" "${flags[@]}" $(pkg-config --cflags libsodium) -c "$source" -o "$object" || exit 1
    objects+=("$object")
  done
  # shellcheck disable=SC2086
  "$cxx" "${flags[@]}" "${objects[@]}" $sodium_flags -o "$binary" || exit 1
fi
[[ $build_only -eq 1 ]] && exit 0

corpus="$build_dir/corpus-$(date +%Y%m%d-%H%M%S)-$$"
mkdir -p "$corpus" && cp "$here/corpus/protocol/"* "$corpus/" || exit 1
echo "fuzzing for ${seconds}s: $binary over $corpus (seeds: $here/corpus/protocol)"
# libFuzzer's own default error exit code is 77, which ctest would read as "skipped":
# findings must exit with something else.
"$binary" -max_total_time="$seconds" -max_len=65600 -timeout=10 -rss_limit_mb=2048 \
  -error_exitcode=1 -timeout_exitcode=2 -print_final_stats=1 -artifact_prefix="$build_dir/artifacts/" "${extra[@]}" "$corpus"
status=$?
[[ $status -eq $SKIP ]] && status=1
if [[ $status -ne 0 ]]; then
  echo "FUZZ FINDING (exit $status): inputs in $build_dir/artifacts/, corpus kept in $corpus" >&2
else
  rm -rf "$corpus"
fi
exit $status
