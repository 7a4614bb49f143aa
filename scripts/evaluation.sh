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
  EVALUATION_BACKEND EVALUATION_SEED MARKOV_PRESET_FILE
)

# Fill LAUNCH_ARGS from "$@": export NAME=value for each NAME:=value of a variable
# above (EVALUATION_BACKEND:=x becomes backend:=x: the launch's backend does not
# read it); keep every other argument. Returns 2 on an unknown upper-case NAME:=.
launch_arguments() {
  LAUNCH_ARGS=()
  local arg name
  for arg in "$@"; do
    if [[ $arg =~ ^([A-Z][A-Z0-9_]*):=(.*)$ ]]; then
      name=${BASH_REMATCH[1]}
      if [[ " ${EVALUATION_VARIABLES[*]} " != *" $name "* ]]; then
        echo "evaluation.sh: unknown configuration variable in '$arg'; accepted as" \
             "NAME:=value: ${EVALUATION_VARIABLES[*]} (see README.md, Configuration)," \
             "or a launch argument in lower case (e.g. world_name:=easy_track)" >&2
        return 2
      fi
      if [[ $name == EVALUATION_BACKEND ]]; then
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
bash "$ROOT/scripts/setup.sh" --quiet
source_workspaces
exec roslaunch deepracer_simulation evaluation.launch "${LAUNCH_ARGS[@]}"
