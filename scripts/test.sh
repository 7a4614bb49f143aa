#!/usr/bin/env bash
# Run every test of the workspace: set up and build if needed, then pytest over
# simulation_ws and robot_ws, then each rostest file (*/src/*/test/*.test).
# Ends with "N passed, N failed"; exits non-zero when anything failed.
set -euo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

usage() {
  cat <<EOF
Usage: scripts/test.sh [--fast] [-- PYTEST_ARGS...]
  --fast   skip the tests marked slow (the bundle build and run from the unpacked bundle)
  PYTEST_ARGS are passed to every pytest run (e.g. -- -x -k track)
EOF
}

MARKER=()
PYTEST_ARGS=()
while (( $# )); do
  case "$1" in
    --fast) MARKER=(-m "not slow") ;;
    --slow) MARKER=() ;;  # the default; kept for old habits
    -h|--help) usage; exit 0 ;;
    --) shift; PYTEST_ARGS=("$@"); break ;;
    *) echo "test.sh: unknown option '$1'" >&2; usage >&2; exit 2 ;;
  esac
  shift
done

bash "$ROOT/scripts/setup.sh" --quiet
source_workspaces

RESULTS=$(mktemp -d /tmp/deepracer_test.XXXXXX)
# Everything the tests write to the temporary directory (TensorFlow's
# __autograph_generated_file*.py, deepracer-training-* work folders of killed
# workers, rostest's files) goes under $RESULTS/tmp and is removed with it.
export TMPDIR="$RESULTS/tmp"
mkdir -p "$TMPDIR"
trap 'report_leftovers; rm -rf "$RESULTS"' EXIT

# Say what the tests left in the private temporary directory (removed at exit).
report_leftovers() {
  local left
  left=$(find "$TMPDIR" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)
  if (( left )); then
    echo "[test] removed $left temporary file(s) or folder(s) left by the tests in \$TMPDIR"
  fi
}
PASSED=0 FAILED=0

# Print "passed failed" from a JUnit XML file.
junit_counts() {
  "$VENV_PYTHON" - "$1" <<'EOF'
import sys
import xml.etree.ElementTree as ET

root = ET.parse(sys.argv[1]).getroot()
suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
total = sum(int(s.get("tests", 0)) for s in suites)
failed = sum(int(s.get("failures", 0)) + int(s.get("errors", 0)) for s in suites)
skipped = sum(int(s.get("skipped", 0)) for s in suites)
print(total - failed - skipped, failed)
EOF
}

has_pytest_files() {
  [[ -n "$(find "$ROOT/$1/src" \( -name build -o -name install -o -name __pycache__ \) -prune \
           -o -type f \( -name 'test_*.py' -o -name '*_test.py' \) -print -quit)" ]]
}

run_pytest() {
  local ws=$1 xml="$RESULTS/$1.xml" rc=0 counts
  if ! has_pytest_files "$ws"; then
    echo "[test] pytest $ws: no test files"
    return
  fi
  echo "[test] pytest $ws"
  (cd "$ROOT" && "$VENV_PYTHON" -m pytest -q "${MARKER[@]}" --junitxml="$xml" \
     "${PYTEST_ARGS[@]}" "$ws") 2>&1 | tee "$RESULTS/$ws.out" || rc=$?
  if (( rc == 5 )); then
    if grep -q "deselected" "$RESULTS/$ws.out"; then
      echo "[test] pytest $ws: every test deselected"
    else
      echo "[test] pytest $ws: test files found but no test collected" >&2
      FAILED=$((FAILED + 1))
    fi
    return
  fi
  if [[ -f "$xml" ]]; then
    counts=$(junit_counts "$xml")
    PASSED=$((PASSED + ${counts% *})) FAILED=$((FAILED + ${counts#* }))
  fi
  if (( rc != 0 )) && [[ ! -f "$xml" || ${counts#* } -eq 0 ]]; then
    echo "[test] pytest $ws exited with $rc" >&2
    FAILED=$((FAILED + 1))
  fi
}

# Run one rostest file (its own master on a free port) and count its test cases.
run_rostest() {
  local file=$1 name log rc=0 tests errors failures
  name=$(basename "$(dirname "$(dirname "$file")")")/$(basename "$file")
  log="$RESULTS/$(echo "$name" | tr '/' '_').log"
  timeout 600 rostest --results-base-dir "$RESULTS/rostest" "$file" > "$log" 2>&1 || rc=$?
  tests=$(sed -n 's/^ \* TESTS: \([0-9]*\).*/\1/p' "$log" | tail -n 1)
  errors=$(sed -n 's/^.* \* ERRORS: \([0-9]*\).*/\1/p' "$log" | tail -n 1)
  failures=$(sed -n 's/^.* \* FAILURES: \([0-9]*\).*/\1/p' "$log" | tail -n 1)
  tests=${tests:-0} errors=${errors:-0} failures=${failures:-0}
  if (( rc != 0 && errors + failures == 0 )); then failures=1; fi
  local bad=$((errors + failures)) good=$((tests - errors - failures))
  (( good > 0 )) || good=0
  PASSED=$((PASSED + good)) FAILED=$((FAILED + bad))
  if (( bad )); then
    echo "[test] rostest $name: FAILED ($good passed, $bad failed)"
    tail -n 40 "$log" | sed 's/^/    /'
  else
    echo "[test] rostest $name: $good passed"
  fi
}

for ws in "${WORKSPACES[@]}"; do
  run_pytest "$ws"
done
shopt -s nullglob
for ws in "${WORKSPACES[@]}"; do
  for file in "$ROOT/$ws"/src/*/test/*.test; do
    run_rostest "$file"
  done
done

echo "$PASSED passed, $FAILED failed"
(( FAILED == 0 ))
