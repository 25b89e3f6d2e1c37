"""``python -m dispatch.planning.worker RUN_ID``: execute one recorded plan run (see dispatch.planning.runs)."""

from __future__ import annotations

import sys

from dispatch.planning.runs import RunFailed, execute


def main(argv: list[str]) -> int:
    if len(argv) != 1 or not argv[0].isdigit():
        print("usage: python -m dispatch.planning.worker RUN_ID", file=sys.stderr)
        return 2
    try:
        return 0 if execute(int(argv[0])) is not None else 1
    except RunFailed as exc:  # one line in the run's log; the run row says failed
        print(f"plan run {argv[0]}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
