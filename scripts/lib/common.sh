# Shared helpers of the workspace scripts; source it, do not run it.
# shellcheck shell=bash

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VENV="$ROOT/.venv"
VENV_PYTHON="$VENV/bin/python3"
STAMPS="$ROOT/.setup-stamps"
WORKSPACES=(simulation_ws robot_ws)

# Debian packages needed to run the workspace (the car and bundles need only these).
DEBIAN_RUNTIME_PACKAGES=(
  ros-core python3-rospy python3-roslaunch
  ros-std-msgs ros-sensor-msgs ros-geometry-msgs ros-nav-msgs ros-std-srvs ros-rosgraph-msgs
  python3-std-msgs python3-sensor-msgs python3-geometry-msgs python3-nav-msgs python3-rosgraph-msgs
  ros-message-runtime python3-genpy python3-cv-bridge ros-robot-state-publisher python3-venv
  python3-visualization-msgs python3-tf2-msgs
)
# Debian packages needed on top of those to build and test the workspaces.
DEBIAN_BUILD_PACKAGES=(
  python3-rostest python3-rosunit librostest-dev
  libstd-msgs-dev libsensor-msgs-dev libgeometry-msgs-dev libnav-msgs-dev libstd-srvs-dev
  libros-rosgraph-msgs-dev ros-message-generation python3-genmsg libcv-bridge-dev
  catkin python3-catkin-pkg colcon python3-colcon-ros python3-colcon-cmake
  python3-colcon-python-setup-py python3-colcon-bash liburdfdom-tools
  ffmpeg chromium chromium-driver rviz
)

# Print a hash of a folder's files (paths, permissions, contents), ignoring Python caches.
tree_hash() {
  local dir=$1
  (
    cd "$dir"
    find . \( -name __pycache__ -o -name .pytest_cache \) -prune -o -type f -printf '%m %p\n' \
      | LC_ALL=C sort
    find . \( -name __pycache__ -o -name .pytest_cache \) -prune -o -type f -print0 \
      | LC_ALL=C sort -z | xargs -0 -r sha256sum
  ) | sha256sum | cut -d' ' -f1
}

# Print a file's sha256.
file_hash() {
  sha256sum "$1" | cut -d' ' -f1
}

# Source the install of each built workspace, simulation_ws first, robot_ws as an overlay.
source_workspaces() {
  local ws setup
  for ws in "${WORKSPACES[@]}"; do
    setup="$ROOT/$ws/install/setup.bash"
    if [[ -f "$setup" ]]; then
      set +u  # colcon's setup scripts read unset variables
      # shellcheck disable=SC1090
      source "$setup"
      set -u
    fi
  done
}

# config_launch_arguments SCRIPT BACKEND_VARIABLE "VARIABLE ..." ARG...
# Fill LAUNCH_ARGS from the ARGs of a launch script: export NAME=value for each
# NAME:=value whose NAME is one of the VARIABLEs (README.md, Configuration), except
# BACKEND_VARIABLE:=x, which becomes backend:=x (the launch's backend arg does not read
# it); keep every other argument. Returns 2, naming SCRIPT, on an unknown upper-case NAME:=.
config_launch_arguments() {
  local script=$1 backend=$2 variables=$3 arg name
  shift 3
  LAUNCH_ARGS=()
  for arg in "$@"; do
    if [[ $arg =~ ^([A-Z][A-Z0-9_]*):=(.*)$ ]]; then
      name=${BASH_REMATCH[1]}
      if [[ " $variables " != *" $name "* ]]; then
        echo "$script: unknown configuration variable in '$arg'; accepted as" \
             "NAME:=value: $variables (see README.md, Configuration)," \
             "or a launch argument in lower case (e.g. world_name:=easy_track)" >&2
        return 2
      fi
      if [[ $name == "$backend" ]]; then
        LAUNCH_ARGS+=("backend:=${BASH_REMATCH[2]}")
      else
        export "$name=${BASH_REMATCH[2]}"
      fi
    else
      LAUNCH_ARGS+=("$arg")
    fi
  done
}
