#!/usr/bin/env bash
# Train a DeepRacer model locally with the built-in simulator:
# set up and build if needed, then roslaunch deepracer_simulation local_training.launch.
# Arguments are passed to roslaunch: launch arguments in lower case
# (e.g. world_name:=reInvent2019_track). A configuration variable of README.md
# (Configuration) given as NAME:=value (e.g. WORLD_NAME:=reInvent2019_track) is
# set in the environment instead (TRAINING_BACKEND becomes backend:=); another
# upper-case NAME:= is refused.
set -euo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

# The variables the training worker and local_training.launch read.
TRAINING_VARIABLES=(
  WORLD_NAME REWARD_FILE MODEL_METADATA_FILE HYPERPARAMETERS_FILE MODEL_S3_BUCKET
  MODEL_S3_PREFIX ROS_AWS_REGION S3_ENDPOINT_URL LOCAL_MODEL_STORE PRETRAINED_MODEL_PREFIX
  PRETRAINED_CHECKPOINT MAX_TRAINING_MINUTES STOP_AFTER_FULL_LAPS TRAINING_SEED
  TRAINING_BACKEND PROGRESS_BAR MARKOV_PRESET_FILE BEST_MODEL_METRIC ENVS_PER_WORKER
  ROLLOUT_WORKERS RAY_ADDRESS
  RACE_TYPE NUMBER_OF_OBSTACLES RANDOMIZE_OBSTACLE_LOCATIONS OBSTACLE_TYPE
  MIN_DISTANCE_BETWEEN_OBSTACLES NUMBER_OF_BOT_CARS BOT_CAR_SPEED IS_LANE_CHANGE
  MIN_DISTANCE_BETWEEN_BOT_CARS RANDOMIZE_BOT_CAR_LOCATIONS LOWER_LANE_CHANGE_TIME
  UPPER_LANE_CHANGE_TIME LANE_CHANGE_DISTANCE PENALTY_SECONDS CAMERA_CALIBRATION RANDOMIZATION_FILE
)

# Fill LAUNCH_ARGS from "$@" (lib/common.sh: config_launch_arguments).
launch_arguments() {
  config_launch_arguments local_training.sh TRAINING_BACKEND "${TRAINING_VARIABLES[*]}" "$@"
}

# Sourced (by the tests): define the functions only.
if (return 0 2>/dev/null); then return 0; fi

launch_arguments "$@" || exit
bash "$ROOT/scripts/setup.sh" --quiet
source_workspaces
# Ctrl-C: the worker trains on the episodes finished so far and saves a checkpoint; give it
# 60 s before roslaunch escalates to SIGTERM (its default is 15 s).
exec roslaunch --sigint-timeout 60 deepracer_simulation local_training.launch "${LAUNCH_ARGS[@]}"
