#!/usr/bin/env bash
# Set up everything OsteoPlan needs on a fresh Debian/Ubuntu machine, then run it or its tests.
#
#   bash installer/bootstrap.sh demo    # set up, then start the program on its bundled sample case
#   bash installer/bootstrap.sh test    # set up, then run the whole test suite (what CI runs)
#   bash installer/bootstrap.sh setup   # set up only
#
# Set-up is idempotent: Debian packages are installed only when missing (apt-get, as root or through
# sudo), the virtual environment .venv is created once, and the pinned dependencies in
# requirements.lock are installed only when that file changed since the last install.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
mode="${1:-setup}"
shift || true

say() { printf '\033[1m[osteoplan]\033[0m %s\n' "$*" >&2; }

# Qt's xcb plugin, Mesa (software OpenGL and EGL), a virtual display for tests, PDF rendering for
# report tests, fonts. DESIGN.md lists the Qt/Mesa set; python3-venv provides `python3 -m venv`.
debian_packages=(
  python3 python3-venv python3-dev
  xvfb xauth libgl1 libglx-mesa0 libgl1-mesa-dri libegl1 libegl-mesa0
  libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0 libxcb-render-util0 libxcb-shape0
  libxcb-randr0 libxcb-xfixes0 libxcb-xkb1 libxcb-sync1 libxkbcommon-x11-0 libxkbcommon0 libx11-xcb1
  libfontconfig1 libfreetype6 fonts-dejavu-core libdbus-1-3 libglib2.0-0
  poppler-utils dcm2niix
)

install_system_packages() {
  if ! command -v dpkg-query >/dev/null 2>&1; then
    say "not a Debian/Ubuntu system: install the equivalents of: ${debian_packages[*]}"
    return 0
  fi
  local missing=()
  for p in "${debian_packages[@]}"; do
    # python3 may come from elsewhere (pyenv); then its Debian package is not needed
    if [[ "$p" == python3* ]] && python3 -c "import venv, ensurepip" >/dev/null 2>&1; then continue; fi
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [[ ${#missing[@]} -eq 0 ]] && return 0
  local sudo=""
  if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null 2>&1 || { say "need root to install: ${missing[*]}"; exit 1; }
    sudo="sudo"
  fi
  say "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# pip, with the lines about unused local index folders (a machine's pip.conf) filtered out
pip_quiet() {
  .venv/bin/python -m pip --quiet "$@" 2> >(grep -v "is ignored: it is neither a file nor a directory" >&2)
}

setup_python() {
  if [[ ! -x .venv/bin/python ]]; then
    say "creating the virtual environment .venv"
    python3 -m venv .venv
  fi
  local stamp=.venv/.osteoplan-lock.sha256
  local want; want="$(sha256sum requirements.lock pyproject.toml | sha256sum | cut -d' ' -f1)"
  if [[ ! -f "$stamp" ]] || [[ "$(cat "$stamp")" != "$want" ]]; then
    say "installing pinned dependencies (requirements.lock)"
    pip_quiet install --upgrade pip
    pip_quiet install -r requirements.lock
    pip_quiet install --no-deps -e .
    echo "$want" > "$stamp"
  fi
}

run_tests() {
  local rc=0
  say "ruff"
  .venv/bin/ruff check . || rc=1
  .venv/bin/ruff format --check . || rc=1
  say "mypy (strict: imaging/, planning/)"
  .venv/bin/mypy || rc=1
  say "import-linter (imaging/ and planning/ stay headless)"
  .venv/bin/lint-imports || rc=1
  say "pytest (GUI tests under Xvfb)"
  # -noreset: without it some VTK windows silently fall back to a broken context (DESIGN.md)
  xvfb-run -a -s "-screen 0 1280x1024x24 -noreset" \
    .venv/bin/python -m pytest -p no:xvfb -p no:cacheprovider "$@" || rc=$?
  return $rc
}

install_system_packages
setup_python

case "$mode" in
  setup) say "ready: .venv/bin/osteoplan" ;;
  test) run_tests "$@" ;;
  demo)
    if [[ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]]; then
      exec .venv/bin/osteoplan demo "$@"
    fi
    say "no display: rendering the demo on a virtual screen to osteoplan-demo.png instead"
    xvfb-run -a -s "-screen 0 1600x1000x24 -noreset" .venv/bin/osteoplan demo --screenshot osteoplan-demo.png "$@"
    say "saved osteoplan-demo.png"
    ;;
  *) say "usage: bash installer/bootstrap.sh demo|test|setup"; exit 2 ;;
esac
