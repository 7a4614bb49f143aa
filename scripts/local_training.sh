#!/usr/bin/env bash
# Train a DeepRacer model locally with the built-in simulator:
# set up and build if needed, then roslaunch deepracer_simulation local_training.launch.
# Arguments are passed to roslaunch (e.g. WORLD_NAME:=reInvent2019_track).
set -euo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

LAUNCH="$ROOT/simulation_ws/src/deepracer_simulation/launch/local_training.launch"
if [[ ! -f "$LAUNCH" ]]; then
  echo "local_training.sh: ${LAUNCH#"$ROOT"/} does not exist yet" >&2
  exit 1
fi

bash "$ROOT/scripts/setup.sh" --quiet
source_workspaces
exec roslaunch deepracer_simulation local_training.launch "$@"
