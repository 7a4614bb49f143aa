#!/usr/bin/env bash
# Regenerate data/easy_track_model.tar.gz, the trained model of sim_loop_lap.test:
# train DEEP_CONVOLUTIONAL_NETWORK (the default action space) on easy_track with the
# training worker until its evaluation completes every lap (STOP_AFTER_FULL_LAPS=3),
# evaluate the best checkpoint over 3 laps, and copy the car package here.
#
#   robot_ws/src/deepracer_bringup/test/make_test_model.sh [--seed N] [--minutes M] [--keep DIR]
#       [--stop-after-full-laps K] [--stereo | --wide]
#
# Without an option: the URDF pinhole and no randomization (CAMERA_CALIBRATION=pinhole,
# RANDOMIZATION_FILE=none), as the kept model was made.
# --stereo trains with "sensor": ["STEREO_CAMERAS"] and writes data/easy_track_stereo_model.tar.gz
# (sim_loop_lap_stereo.test).
# --wide trains with the training defaults, the car's wide-angle lens and the standard
# randomization (CAMERA_CALIBRATION=deepracer_wide_angle, RANDOMIZATION_FILE=standard), evaluates
# with the same lens and randomization, and writes data/easy_track_wide_model.tar.gz (sim_loop_lap_wide.test).
# --keep DIR keeps the model store (checkpoints, metrics, sim traces) in DIR. Prints the
# training and evaluation logs (data/README.md records them). About 2 minutes on 2 cores.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../../../.." && pwd)"
PYTHON="$ROOT/.venv/bin/python"
OUT="$HERE/data/easy_track_model.tar.gz"
SEED=1 MINUTES=30 KEEP="" FULL_LAPS=3 SENSOR=FRONT_FACING_CAMERA CAMERA=pinhole RANDOMIZATION=none

while (( $# )); do
  case "$1" in
    --seed) SEED=$2; shift ;;
    --minutes) MINUTES=$2; shift ;;
    --keep) KEEP=$2; shift ;;
    --stop-after-full-laps) FULL_LAPS=$2; shift ;;
    --stereo) SENSOR=STEREO_CAMERAS; OUT="$HERE/data/easy_track_stereo_model.tar.gz" ;;
    --wide) CAMERA=deepracer_wide_angle RANDOMIZATION=standard; OUT="$HERE/data/easy_track_wide_model.tar.gz" ;;
    -h|--help) sed -n 2,20p "${BASH_SOURCE[0]}"; exit 0 ;;
    *) echo "make_test_model.sh: unknown option '$1'" >&2; exit 2 ;;
  esac
  shift
done

STORE=${KEEP:-$(mktemp -d /tmp/easy_track_model.XXXXXX)}
mkdir -p "$STORE"
[[ -n "$KEEP" ]] || trap 'rm -rf "$STORE"' EXIT

# The shipped metadata with the 5-conv network, whose frozen graph is 1.7 MB (the
# shallow default's dense layer makes 23 MB).
"$PYTHON" - "$ROOT/simulation_ws/src/sagemaker_rl_agent/config/model_metadata.json" \
  "$STORE/model_metadata.json" "$SENSOR" <<'EOF'
import json, sys
metadata = json.load(open(sys.argv[1]))
metadata["neural_network"] = "DEEP_CONVOLUTIONAL_NETWORK"
metadata["sensor"] = [sys.argv[3]]
json.dump(metadata, open(sys.argv[2], "w"), indent=4)
EOF

export PYTHONPATH="$(printf '%s:' "$ROOT"/simulation_ws/src/*/src)${PYTHONPATH:-}"
export WORLD_NAME=easy_track LOCAL_MODEL_STORE="$STORE/store" MODEL_S3_PREFIX=easy_track_dcn
export MODEL_METADATA_FILE="$STORE/model_metadata.json" TRAINING_SEED=$SEED
export MAX_TRAINING_MINUTES=$MINUTES STOP_AFTER_FULL_LAPS=$FULL_LAPS PROGRESS_BAR=false
export NUMBER_OF_TRIALS=3 EVALUATION_CHECKPOINT=best EVALUATION_SEED=$SEED
export CAMERA_CALIBRATION=$CAMERA RANDOMIZATION_FILE=$RANDOMIZATION
export PYTHONPATH="$(printf '%s:' "$ROOT"/robot_ws/src/*/src)$PYTHONPATH"  # the lens (camera_pkg)

start=$SECONDS
"$PYTHON" -m markov.workers.training
echo "[make_test_model] trained in $(( (SECONDS - start) / 60 )) min $(( (SECONDS - start) % 60 )) s"
"$PYTHON" -m markov.workers.evaluation
# Keep the model only when every evaluation lap was completed.
"$PYTHON" - "$STORE"/store/easy_track_dcn/metrics/EvaluationMetrics-*.json <<'EOF'
import json, sys
trials = json.load(open(sys.argv[-1]))["metrics"]
print(json.dumps(trials, indent=1))
if not trials or any(t["completion_percentage"] < 100 for t in trials):
    sys.exit("[make_test_model] the evaluation did not complete every lap: model not kept")
EOF

mkdir -p "$(dirname "$OUT")"
cp "$STORE/store/easy_track_dcn/model.tar.gz" "$OUT"
echo "[make_test_model] wrote $OUT ($(stat -c %s "$OUT") bytes)"
