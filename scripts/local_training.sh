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
  TRAINING_BACKEND PROGRESS_BAR MARKOV_PRESET_FILE
)

# Fill LAUNCH_ARGS from "$@": export NAME=value for each NAME:=value of a variable
# above (TRAINING_BACKEND:=x becomes backend:=x: the launch's backend does not read
# it); keep every other argument. Returns 2 on an unknown upper-case NAME:=.
launch_arguments() {
  LAUNCH_ARGS=()
  local arg name
  for arg in "$@"; do
    if [[ $arg =~ ^([A-Z][A-Z0-9_]*):=(.*)$ ]]; then
      name=${BASH_REMATCH[1]}
      if [[ " ${TRAINING_VARIABLES[*]} " != *" $name "* ]]; then
        echo "local_training.sh: unknown configuration variable in '$arg'; accepted as" \
             "NAME:=value: ${TRAINING_VARIABLES[*]} (see README.md, Configuration)," \
             "or a launch argument in lower case (e.g. world_name:=easy_track)" >&2
        return 2
      fi
      if [[ $name == TRAINING_BACKEND ]]; then
        LAUNCH_ARGS+=("backend:=${BASH_REMATCH[2]}")
      else
        export "$name=${BASH_REMATCH[2]}"
      fi
    else
      LAUNCH_ARGS+=("$arg")
    fi
  done
}

# Sourced (by the tests): define the functions only.
if (return 0 2>/dev/null); then return 0; fi

launch_arguments "$@" || exit
LAUNCH="$ROOT/simulation_ws/src/deepracer_simulation/launch/local_training.launch"
if [[ ! -f "$LAUNCH" ]]; then
  echo "local_training.sh: ${LAUNCH#"$ROOT"/} does not exist yet" >&2
  exit 1
fi

bash "$ROOT/scripts/setup.sh" --quiet
source_workspaces
exec roslaunch deepracer_simulation local_training.launch "${LAUNCH_ARGS[@]}"
