#!/usr/bin/env bash
# Evaluate a trained DeepRacer model in the built-in simulator: set up and build
# if needed, then roslaunch deepracer_simulation evaluation.launch.
# The model comes from MODEL_S3_BUCKET/MODEL_S3_PREFIX (or the local store);
# NUMBER_OF_TRIALS laps (default 3). Arguments are passed to roslaunch
# (e.g. world_name:=easy_track checkpoint:=last).
set -euo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

bash "$ROOT/scripts/setup.sh" --quiet
source_workspaces
exec roslaunch deepracer_simulation evaluation.launch "$@"
