"""Import benchmark: N customers (default 300,000) through `tournee import customers`.

Writes a CSV like a CRM export (`;`, BOM, decimal commas, a third of the rows with
coordinates, half with a machine), imports it from the CLI into a fresh SQLite
database (or ``--url``), and prints the wall time and the CLI's peak memory.

    python bench/import_customers.py [--rows 300000] [--keep DIR] [--url URL]
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from data.gazetteer import gazetteer  # noqa: E402

FIRST = [
    "Élise",
    "Jean",
    "Luc",
    "Anaïs",
    "Hélène",
    "Marc",
    "Zoé",
    "Noël",
    "Inès",
    "Paul",
]
LAST = ["Moreau", "Dupont", "Martin", "Lefèvre", "Garnier", "Roux", "Faure", "Blanc"]
FAMILIES = ["espresso_manual", "bean_to_cup", "capsule", "milk_frother"]


def write_file(path: Path, rows: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    ranked = [
        (p, w)
        for p, w in gazetteer().towns_weighted_by_population()
        if p.postcode.isdigit() and len(p.postcode) == 5
    ][:5000]
    towns = [p for p, _ in ranked]
    weights = [w for _, w in ranked]
    picks = rng.choices(towns, weights=weights, k=rows)
    header = (
        "ref;name;phone;email;address;postcode;town;lat;lon;"
        "machine_model;machine_family;machine_serial;machine_purchased_on\r\n"
    )
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        fh.write(header)
        for n, place in enumerate(picks, 1):
            name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
            phone = f"06 {n // 1000000 % 100:02d} {n // 10000 % 100:02d} {n // 100 % 100:02d} {n % 100:02d}"
            lat = lon = ""
            if n % 3 == 0:
                lat = f"{place.lat + rng.uniform(-0.02, 0.02):.5f}".replace(".", ",")
                lon = f"{place.lon + rng.uniform(-0.02, 0.02):.5f}".replace(".", ",")
            machine = ";;;"
            if n % 2 == 0:
                fam = rng.choice(FAMILIES)
                machine = f"Model {fam};{fam};SN{n:08d};{rng.randint(1, 28):02d}/0{rng.randint(1, 9)}/2024"
            fh.write(
                f"B{n:07d};{name};{phone};client{n}@example.fr;{n % 90 + 1} rue de la Gare;"
                f"{place.postcode};{place.name};{lat};{lon};{machine}\r\n"
            )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=300_000)
    ap.add_argument("--keep", type=Path, help="write the CSV and database here")
    ap.add_argument("--url", help="database URL (default: a fresh SQLite file)")
    args = ap.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="tournee-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    csv_path = work / f"customers_{args.rows}.csv"
    t0 = time.perf_counter()
    write_file(csv_path, args.rows)
    size = csv_path.stat().st_size / 1e6
    print(
        f"generated {args.rows:,} rows ({size:.0f} MB) in {time.perf_counter() - t0:.1f} s"
    )
    db = work / "bench.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": args.url or f"sqlite:///{db}",
    }
    cli = [sys.executable, "-m", "dispatch.cli"]
    subprocess.run([*cli, "migrate"], env=env, check=True, capture_output=True)
    t0 = time.perf_counter()
    done = subprocess.run(
        [*cli, "import", "customers", str(csv_path)],
        env=env,
        text=True,
        capture_output=True,
    )
    wall = time.perf_counter() - t0
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    peak_mb = usage.ru_maxrss / 1024
    cpu = usage.ru_utime + usage.ru_stime
    print((done.stdout or done.stderr).strip().splitlines()[0])
    print(
        f"import of {args.rows:,} customers: {wall:.1f} s wall ({cpu:.1f} s CPU, "
        f"load average {os.getloadavg()[0]:.1f}), peak memory {peak_mb:.0f} MB"
    )
    return done.returncode


if __name__ == "__main__":
    raise SystemExit(main())
