"""The one place where a worker's errors are reported: once, clearly, with an exit code."""
import os
import sys

from markov.store import StoreError

# What a user can cause and fix: bad files or settings (ValueError subclasses), an
# unreachable or refusing store, a missing file.
USER_ERRORS = (ValueError, StoreError, OSError)


def run_main(name, work, extra_errors=()) -> int:
    """Call `work()`; return 0, 1 after printing a known error to stderr, or 130 on Ctrl-C."""
    try:
        work()
    except USER_ERRORS + tuple(extra_errors) as err:
        sys.stdout.flush()
        print(f"[{name}] error: {err}", file=sys.stderr, flush=True)
        return 1
    except KeyboardInterrupt:
        print(f"[{name}] interrupted", file=sys.stderr, flush=True)
        return 130
    return 0


def run_worker(name, make_settings, worker_class, environ=None, params=None, extra_errors=()) -> int:
    """Build a worker from the environment (and launch `params`), run it, return the exit code."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # keep TensorFlow's start-up chatter out

    def work():
        worker = worker_class(make_settings(os.environ if environ is None else environ, params))
        worker.stop.install(worker.progress)
        try:
            worker.run()
        finally:
            worker.stop.uninstall()
    return run_main(name, work, extra_errors)
