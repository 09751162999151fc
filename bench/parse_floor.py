"""The parse floor: read and `ast.parse` every .py file under the given folders, in 1 or N processes.

No analyzer can do less work than this and still see the code, so the speed
benchmark runs it as a subprocess, exactly like `ainascan scan`, and reports
every tool as a multiple of it. Usage: `python bench/parse_floor.py --jobs N PATH...`
"""

from __future__ import annotations

import argparse
import ast
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from corpus import python_files

CHUNK_SIZE = 32  # the largest chunk `ainascan scan` hands a worker


def parse_file(path: Path) -> int:
    """Parse one file from its bytes (the parser applies the PEP 263 encoding) and return its count of top-level statements."""
    tree = ast.parse(path.read_bytes(), filename=str(path))
    return len(tree.body)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("paths", nargs="+", type=Path)
    args = parser.parse_args()
    files = [path for root in args.paths for path in python_files(root)]
    if args.jobs <= 1:
        for path in files:
            parse_file(path)
        return
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        for _ in pool.map(parse_file, files, chunksize=CHUNK_SIZE):
            pass


if __name__ == "__main__":
    main()
