#!/usr/bin/env bash
# Evaluate a trained DeepRacer model in the built-in simulator: set up and build
# if needed, then roslaunch deepracer_simulation evaluation.launch.
# The model comes from MODEL_S3_BUCKET/MODEL_S3_PREFIX (or the local store);
# NUMBER_OF_TRIALS laps (default 3). Arguments are passed to roslaunch: launch
# arguments in lower case (e.g. world_name:=easy_track checkpoint:=last). A
# configuration variable of README.md (Configuration) given as NAME:=value (e.g.
# WORLD_NAME:=easy_track) is set in the environment instead (EVALUATION_BACKEND
# becomes backend:=); another upper-case NAME:= is refused.
set -euo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

# The variables the evaluation worker and evaluation.launch read.
EVALUATION_VARIABLES=(
  WORLD_NAME MODEL_S3_BUCKET MODEL_S3_PREFIX ROS_AWS_REGION S3_ENDPOINT_URL LOCAL_MODEL_STORE
  NUMBER_OF_TRIALS EVALUATION_CHECKPOINT OFF_TRACK_PENALTY EVALUATION_MAX_RESETS
  EVALUATION_BACKEND EVALUATION_SEED MARKOV_PRESET_FILE EVALUATION_VIDEO
  RACE_TYPE NUMBER_OF_OBSTACLES RANDOMIZE_OBSTACLE_LOCATIONS OBSTACLE_TYPE
  MIN_DISTANCE_BETWEEN_OBSTACLES NUMBER_OF_BOT_CARS BOT_CAR_SPEED IS_LANE_CHANGE
  MIN_DISTANCE_BETWEEN_BOT_CARS RANDOMIZE_BOT_CAR_LOCATIONS LOWER_LANE_CHANGE_TIME
  UPPER_LANE_CHANGE_TIME LANE_CHANGE_DISTANCE PENALTY_SECONDS CAMERA_CALIBRATION RANDOMIZATION_FILE
)

# Fill LAUNCH_ARGS from "$@" (lib/common.sh: config_launch_arguments).
launch_arguments() {
  config_launch_arguments evaluation.sh EVALUATION_BACKEND "${EVALUATION_VARIABLES[*]}" "$@"
}

# Sourced (by the tests): define the functions only.
if (return 0 2>/dev/null); then return 0; fi

launch_arguments "$@" || exit
bash "$ROOT/scripts/setup.sh" --quiet
source_workspaces
exec roslaunch deepracer_simulation evaluation.launch "${LAUNCH_ARGS[@]}"
