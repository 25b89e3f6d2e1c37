"""Slot offers on the national demo: seconds per ticket, and whether each offer is real.

Usage: ``DATABASE_URL=... python bench/slots.py [--tickets 20] [--book 3]``. Takes on-site
tickets waiting for a visit ("hidden" from the agent: any of them), times
``offers_for`` on each (the budget is 2 s), then books the first offer of ``--book``
of them in a copy-free transaction that is rolled back, checking the booking
accepts every offer it was given. Prints the figures; not a test.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from datetime import UTC, datetime

from sqlalchemy import select

from data.db import sessions
from data.models import RepairTicket
from dispatch.booking.book import book
from dispatch.booking.offers import offers_for
from dispatch.cli.common import CliUser


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tickets", type=int, default=20)
    ap.add_argument("--book", type=int, default=5)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    now = datetime.now(UTC)
    with sessions(writer=True)() as s:
        ids = list(
            s.scalars(
                select(RepairTicket.id).where(
                    RepairTicket.resolution_path == "onsite",
                    RepairTicket.status == "triaged",
                )
            )
        )
        random.Random(args.seed).shuffle(ids)
        took, counts, booked = [], [], 0
        for tid in ids[: args.tickets]:
            t0 = time.perf_counter()
            got = offers_for(s, tid, now=now)
            took.append(time.perf_counter() - t0)
            counts.append(len(got.offers))
            if booked < args.book and got.offers:
                for o in got.offers:  # every offer must be bookable as offered
                    nested = s.begin_nested()
                    book(s, tid, o.id, actor=CliUser("bench"), now=now)
                    nested.rollback()
                booked += 1
        s.rollback()
    took.sort()
    print(
        f"{len(took)} tickets: offers in median {statistics.median(took):.2f} s, "
        f"p95 {took[int(0.95 * (len(took) - 1))]:.2f} s, max {took[-1]:.2f} s; "
        f"{sum(counts) / len(counts):.1f} offers each; "
        f"{booked} tickets had every offer booked successfully (rolled back)"
    )


if __name__ == "__main__":
    main()
