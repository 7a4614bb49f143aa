"""Suite `viewer`: what the live viewer costs a training (issue 13: < 5 % with no browser).

    .venv/bin/python scripts/benchmark.py viewer [--rounds 3] [--episodes 12]

Runs the same seeded training (--episodes episodes, 4 per iteration, one epoch,
in-process simulator) repeatedly into fresh local stores, interleaving three
modes per round: no viewer; scripts/viewer.py running with no browser; and the
viewer polled as a browser does (state, camera, policy view, episodes every 0.3 s).
Figures: env steps per wall-clock second of each mode (median of the rounds) and
the overheads of the last two against the first, in percent.
"""


def _viewer_options(parser):
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds of the 3 modes")
    parser.add_argument("--episodes", type=int, default=12, help="training episodes per run")
    parser.add_argument("--world", default="easy_track")


bench.suite("viewer", "live viewer: training throughput with and without it", _viewer_options)  # noqa: F821


def _train_once(args, root, feed_holder):
    import io
    import json
    import time
    from pathlib import Path

    from markov.workers.progress import Progress
    from markov.workers.settings import training_settings
    from markov.workers.training import TrainingWorker

    Path(root).mkdir(parents=True, exist_ok=True)
    hp = Path(root) / "hp.json"
    hp.write_text(json.dumps({"num_episodes_between_training": 4, "num_epochs": 1,
                              "term_cond_max_episodes": args.episodes}))
    settings = training_settings({"WORLD_NAME": args.world, "LOCAL_MODEL_STORE": str(root),
                                  "HYPERPARAMETERS_FILE": str(hp), "TRAINING_SEED": "7",
                                  "PROGRESS_BAR": "false"})
    t0 = time.perf_counter()
    summary = TrainingWorker(settings, progress=Progress("train", stream=io.StringIO())).run()
    return summary.steps / (time.perf_counter() - t0)


@bench.benchmark("viewer", "viewer_overhead_idle_pct", one_core=False)  # noqa: F821
def viewer_overhead_idle_pct(args):
    import os
    import statistics
    import subprocess
    import sys
    import tempfile
    import threading
    import time
    import urllib.request
    from pathlib import Path

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from markov.watch.feed import feed_dir

    rates = {"without": [], "idle": [], "watched": []}
    script = Path(bench.ROOT) / "scripts" / "viewer.py"  # noqa: F821
    with tempfile.TemporaryDirectory(prefix="viewer_benchmark.") as tmp:
        _train_once(args, Path(tmp) / "warmup", None)  # imports, TF graph building
        for r in range(args.rounds):
            for mode in ("without", "idle", "watched"):
                root = Path(tmp) / f"{mode}-{r}"
                root.mkdir()
                server, stop = None, threading.Event()
                if mode != "without":
                    server = subprocess.Popen(
                        [sys.executable, str(script), "--feed",
                         str(feed_dir(str(root), "rl-deepracer-sagemaker")), "--port", "0"],
                        stdout=subprocess.PIPE, text=True)
                    url = server.stdout.readline().split(" on ")[1].split()[0]
                    if mode == "watched":
                        def poll(url=url):
                            while not stop.is_set():
                                for path in ("state.json", "camera.jpg", "policy.png",
                                             "episodes.json"):
                                    try:
                                        urllib.request.urlopen(url + path, timeout=2).read()
                                    except OSError:
                                        pass
                                stop.wait(0.3)
                        threading.Thread(target=poll, daemon=True).start()
                try:
                    rates[mode].append(_train_once(args, root, None))
                finally:
                    stop.set()
                    if server is not None:
                        server.terminate()
                        server.wait()
                print(f"viewer benchmark round {r} {mode}: {rates[mode][-1]:.1f} steps/s",
                      file=sys.stderr)
    median = {m: statistics.median(v) for m, v in rates.items()}
    yield "viewer_train_steps_per_s_without", median["without"], "steps/s"
    yield "viewer_train_steps_per_s_idle", median["idle"], "steps/s"
    yield "viewer_train_steps_per_s_watched", median["watched"], "steps/s"
    yield "viewer_overhead_idle_pct", 100.0 * (1 - median["idle"] / median["without"]), "%"
    yield "viewer_overhead_watched_pct", 100.0 * (1 - median["watched"] / median["without"]), "%"
