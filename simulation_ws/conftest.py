"""Let pytest import the workspace's libraries straight from their source folders."""
import sys
from pathlib import Path

for src in sorted(Path(__file__).parent.glob("src/*/src")):
    if str(src) not in sys.path:
        sys.path.insert(0, str(src))
