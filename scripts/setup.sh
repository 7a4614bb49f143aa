#!/usr/bin/env bash
# Set up the workspace in one idempotent command: Debian packages, the Python
# venv (.venv) and colcon builds of simulation_ws and robot_ws. Each step is
# skipped when its inputs have not changed since it last succeeded.
set -euo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

usage() {
  cat <<EOF
Usage: scripts/setup.sh [--runtime] [--no-build] [--quiet]
  --runtime   install only the Debian runtime packages (for bundles), nothing else
  --no-build  install packages and the venv, but do not build the workspaces
  --quiet     print only the steps that do work
EOF
}

RUNTIME=0 BUILD=1 QUIET=0
for arg in "$@"; do
  case "$arg" in
    --runtime) RUNTIME=1 ;;
    --no-build) BUILD=0 ;;
    --quiet) QUIET=1 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "setup.sh: unknown option '$arg'" >&2; usage >&2; exit 2 ;;
  esac
done

STEPS=6
if (( RUNTIME )); then STEPS=1; elif (( ! BUILD )); then STEPS=4; fi
STEP=0
step() { STEP=$((STEP + 1)); CURRENT="[setup] $STEP/$STEPS $1"; }
done_already() { (( QUIET )) || echo "$CURRENT ... $1"; }
working() { echo "$CURRENT ... $1"; }

as_root() {
  if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi
}

install_debian_packages() {
  local wanted=("$@") missing=() pkg status
  for pkg in "${wanted[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
    [[ "$status" == "install ok installed" ]] || missing+=("$pkg")
  done
  if (( ${#missing[@]} == 0 )); then
    done_already "already installed (${#wanted[@]} packages)"
    return
  fi
  working "installing ${missing[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
}

make_venv() {
  if [[ -f "$VENV/pyvenv.cfg" && -x "$VENV_PYTHON" ]]; then
    done_already "already exists ($VENV)"
    return
  fi
  working "creating $VENV"
  rm -f "$STAMPS/requirements.sha256"  # a new venv needs the requirements again
  /usr/bin/python3 -m venv --system-site-packages "$VENV"
}

install_requirements() {
  local requirements="$ROOT/scripts/requirements.txt" stamp="$STAMPS/requirements.sha256" hash
  hash=$(file_hash "$requirements")
  if [[ -f "$stamp" && "$(cat "$stamp")" == "$hash" ]]; then
    done_already "already installed (scripts/requirements.txt unchanged)"
    return
  fi
  working "pip install -r scripts/requirements.txt"
  "$VENV_PYTHON" -m pip install -q -r "$requirements"
  mkdir -p "$STAMPS"
  echo "$hash" > "$stamp"
}

# Drop build/ and install/ folders of packages that are no longer in src/.
prune_removed_packages() {
  local dir=$1 current=" " xml index name
  while IFS= read -r -d '' xml; do
    current+="$(sed -n 's:.*<name>[[:space:]]*\([^<[:space:]]*\).*:\1:p' "$xml" | head -n 1) "
  done < <(find "$dir/src" -name package.xml -print0)
  for index in "$dir"/install/*/share/colcon-core/packages/*; do
    [[ -f "$index" ]] || continue
    name=${index##*/}
    if [[ "$current" != *" $name "* ]]; then
      echo "[setup] removing the build of $name (no longer in ${dir##*/}/src)"
      rm -rf "${dir:?}/install/$name" "${dir:?}/build/$name"
    fi
  done
}

build_workspace() {
  local ws=$1 dir="$ROOT/$1" stamp="$STAMPS/$1.sha256" hash start
  local cmake_args=("-DPYTHON_EXECUTABLE=$VENV_PYTHON" -DCATKIN_ENABLE_TESTING=ON)
  mkdir -p "$dir/src"
  hash=$({ echo "${cmake_args[*]}"; tree_hash "$dir/src"; } | sha256sum | cut -d' ' -f1)
  if [[ -f "$stamp" && "$(cat "$stamp")" == "$hash" && -f "$dir/install/setup.bash" ]]; then
    done_already "already built ($ws/src unchanged)"
    return
  fi
  working "colcon build in $ws"
  start=$SECONDS
  rm -f "$stamp"
  prune_removed_packages "$dir"
  # Each workspace builds on its own (robot_ws must not depend on simulation_ws).
  mkdir -p "$dir/log"
  if ! (cd "$dir" && env -u CMAKE_PREFIX_PATH -u AMENT_PREFIX_PATH -u COLCON_PREFIX_PATH \
        colcon build --cmake-args "${cmake_args[@]}" > "$dir/log/colcon_build.out" 2>&1); then
    tail -n 40 "$dir/log/colcon_build.out" >&2
    echo "[setup] colcon build in $ws failed; full output: $ws/log/colcon_build.out" >&2
    return 1
  fi
  mkdir -p "$STAMPS"
  echo "$hash" > "$stamp"
  echo "[setup] built $ws in $((SECONDS - start)) s"
}

# --- colcon bundle plugin: makes `colcon bundle` (scripts/colcon_bundle_local) visible to
# Debian's colcon, which runs on /usr/bin/python3 (an editable .pth + dist-info; docs/bundle.md).
install_bundle_plugin() {
  local installer="$ROOT/scripts/colcon_bundle_local/install_plugin.py"
  if /usr/bin/python3 "$installer" --check > /dev/null 2>&1; then
    done_already "already installed (colcon bundle)"
    return
  fi
  working "installing the colcon bundle verb for /usr/bin/python3"
  /usr/bin/python3 "$installer"
}

if (( RUNTIME )); then
  step "Debian runtime packages"
  install_debian_packages "${DEBIAN_RUNTIME_PACKAGES[@]}"
  exit 0
fi

step "Debian packages"
install_debian_packages "${DEBIAN_RUNTIME_PACKAGES[@]}" "${DEBIAN_BUILD_PACKAGES[@]}"
step "Python venv"
make_venv
step "Python requirements"
install_requirements
step "colcon bundle plugin"
install_bundle_plugin
if (( BUILD )); then
  for ws in "${WORKSPACES[@]}"; do
    step "build $ws"
    build_workspace "$ws"
  done
fi
