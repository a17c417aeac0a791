# Shared by tools/run-demo and tools/run-tests: install what is missing (Debian 12, root),
# configure and build. Sourced, not run.

LOCKSTEP_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

# Packages to build and run the node.
LOCKSTEP_BUILD_PACKAGES=(
  build-essential cmake ninja-build pkg-config ccache
  libvulkan-dev mesa-vulkan-drivers vulkan-tools glslc spirv-tools
  libavformat-dev libavcodec-dev libavfilter-dev libavutil-dev libswscale-dev libswresample-dev ffmpeg
  portaudio19-dev libenet-dev libglfw3-dev libimgui-dev libstb-dev
  libspdlog-dev libfmt-dev libcli11-dev nlohmann-json3-dev libsodium-dev help2man libcpp-httplib-dev
  libminiupnpc-dev libnatpmp-dev libavahi-client-dev
)
# Packages the tests need on top: a display, key events, screenshots, audio devices.
LOCKSTEP_TEST_PACKAGES=(
  libgtest-dev libgmock-dev xvfb xauth x11-utils xdotool xclip imagemagick
  alsa-utils libasound2-plugins pulseaudio pulseaudio-utils vulkan-validationlayers
  clang-14 libclang-rt-14-dev
  lintian systemd chromium
  iproute2 nftables miniupnpd-nftables miniupnpc avahi-daemon avahi-utils dbus-daemon
)
# Packages ./tools/package needs on top of the build: man pages and the package check.
LOCKSTEP_PACKAGE_PACKAGES=(help2man lintian)

log() { printf '\033[1m[lockstep]\033[0m %s\n' "$*" >&2; }
die() { printf '[lockstep] error: %s\n' "$*" >&2; exit 1; }

# install_missing PKG... — installs only what dpkg does not already have.
install_missing() {
  local missing=()
  for p in "$@"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
      missing+=("$p")
    fi
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    die "missing Debian packages: ${missing[*]} — run as root, or: sudo apt-get install ${missing[*]}"
  fi
  log "installing ${#missing[@]} Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  if [ ! -f /var/lib/apt/periodic/lockstep-updated ] || [ -z "$(ls -A /var/lib/apt/lists 2>/dev/null | grep -v lock)" ]; then
    apt-get update -qq
    mkdir -p /var/lib/apt/periodic && touch /var/lib/apt/periodic/lockstep-updated
  fi
  # Packages are installed, never started: no daemon (avahi-daemon, miniupnpd) runs on this
  # machine's network because of us; the tests start their own inside namespaces.
  local own_policy=
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d && own_policy=1
  fi
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
    || { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; } \
    || { [ -n "$own_policy" ] && rm -f /usr/sbin/policy-rc.d; die "apt-get could not install: ${missing[*]}"; }
  [ -n "$own_policy" ] && rm -f /usr/sbin/policy-rc.d
  return 0
}

# build_tree DIR [cmake args...] [-- targets...] — configure once, then build incrementally.
build_tree() {
  local dir=$1; shift
  local cmake_args=() targets=()
  while [ $# -gt 0 ]; do
    if [ "$1" = "--" ]; then shift; targets=("$@"); break; fi
    cmake_args+=("$1"); shift
  done
  if [ ! -f "$dir/build.ninja" ]; then
    log "configuring $dir"
    cmake -S "$LOCKSTEP_ROOT" -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "${cmake_args[@]}" >/dev/null
  fi
  export CCACHE_DIR=${CCACHE_DIR:-$HOME/.cache/ccache}
  log "building ($dir)"
  local target_args=()
  for t in "${targets[@]}"; do target_args+=(--target "$t"); done
  cmake --build "$dir" -j "$(nproc)" "${target_args[@]}"
}

# start_xvfb — starts a private X server on a free display, exports DISPLAY; stop_xvfb ends it.
LOCKSTEP_XVFB_PID=
start_xvfb() {
  local n=90
  while [ -e "/tmp/.X11-unix/X$n" ] || [ -e "/tmp/.X$n-lock" ]; do n=$((n + 1)); done
  Xvfb ":$n" -screen 0 2560x1080x24 -nolisten tcp >/dev/null 2>&1 &
  LOCKSTEP_XVFB_PID=$!
  for _ in $(seq 1 50); do
    [ -e "/tmp/.X11-unix/X$n" ] && break
    sleep 0.1
  done
  [ -e "/tmp/.X11-unix/X$n" ] || die "Xvfb did not start on :$n"
  export DISPLAY=":$n"
  log "Xvfb on $DISPLAY (pid $LOCKSTEP_XVFB_PID)"
}
stop_xvfb() {
  if [ -n "$LOCKSTEP_XVFB_PID" ]; then
    kill "$LOCKSTEP_XVFB_PID" 2>/dev/null || true
    wait "$LOCKSTEP_XVFB_PID" 2>/dev/null || true
    LOCKSTEP_XVFB_PID=
  fi
}

# A private XDG_RUNTIME_DIR (Vulkan and PulseAudio want one, mode 0700).
ensure_runtime_dir() {
  if [ -z "${XDG_RUNTIME_DIR:-}" ] || [ ! -d "$XDG_RUNTIME_DIR" ]; then
    XDG_RUNTIME_DIR=$(mktemp -d /tmp/lockstep-runtime.XXXXXX)
    chmod 700 "$XDG_RUNTIME_DIR"
    export XDG_RUNTIME_DIR
  fi
}
