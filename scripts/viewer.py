#!/usr/bin/env python3
"""Serve the live viewer of a training: camera, policy view, track map and charts.

    scripts/viewer.py [PREFIX] [--host 127.0.0.1] [--port 8080] [--feed DIR]

It reads the feed the training writes under <LOCAL_MODEL_STORE or models/>/.live/<PREFIX>
(PREFIX defaults to MODEL_S3_PREFIX or rl-deepracer-sagemaker; the feed is local even
when the model goes to S3). Bound to 127.0.0.1 unless --host says otherwise. The
training writes frames only while a browser has the page open.
"""
import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
try:
    import markov  # noqa: F401  (a sourced workspace provides it)
except ImportError:
    for src in sorted((ROOT / "simulation_ws" / "src").glob("*/src")):
        sys.path.append(str(src))

from markov.store import DEFAULT_PREFIX  # noqa: E402
from markov.watch.feed import feed_dir  # noqa: E402
from markov.watch.viewer import make_server  # noqa: E402


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("prefix", nargs="?",
                        default=(os.environ.get("MODEL_S3_PREFIX") or DEFAULT_PREFIX).strip("/"))
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--feed", type=Path, help="feed folder (default: from the prefix)")
    args = parser.parse_args(argv)
    folder = args.feed or feed_dir(os.environ.get("LOCAL_MODEL_STORE", ""), args.prefix)
    server = make_server(folder, args.host, args.port)
    host, port = server.server_address[:2]
    print(f"viewer of {folder} on http://{host}:{port}/ (Ctrl-C to stop)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
