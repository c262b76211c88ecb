"""Run every benchmark, each in its own process (so memory figures are its own).

    python -m bench            # all
    python -m bench search     # those whose module name contains "search"
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).parent


def main() -> int:
    wanted = sys.argv[1:]
    modules = sorted(p for p in HERE.glob("*_bench.py")
                     if not wanted or any(w in p.stem for w in wanted))
    failed = []
    for module in modules:
        print(f"\n=== {module.stem} ===", flush=True)
        started = time.perf_counter()
        result = subprocess.run([sys.executable, str(module)], check=False)
        print(f"--- {module.stem}: {time.perf_counter() - started:.0f} s, exit {result.returncode}")
        if result.returncode:
            failed.append(module.stem)
    if failed:
        print(f"\nfailed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
