"""The one place where a worker's errors are reported: once, clearly, with an exit code."""
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
