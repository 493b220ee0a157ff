"""``python -m bench``: run every benchmark, print the results, write bench/RESULTS.md."""

from __future__ import annotations

import argparse
import json
import logging
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import console, environment, fanout, operations, report
from bench import schedule as scheduled
from bench.meter import Meter
from devstack import emulator

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
SIZES = (10, 1_000, 100_000)

logger = logging.getLogger("bench")


def _latency(requests: int) -> dict:
    """The local-stack latencies, measured in a process of their own: its settings (the
    emulator's endpoint, its Cognito pool) differ from the in-process benchmarks'."""
    return _own_process("bench.latency", "--requests", str(requests))


def _growth() -> dict:
    """Ask latency as the local stack's table grows, in a process of its own (as above)."""
    return _own_process("bench.growth")


def _own_process(module: str, *args: str) -> dict:
    with tempfile.TemporaryDirectory() as work:
        out = Path(work) / "out.json"
        subprocess.run(  # noqa: S603
            [sys.executable, "-m", module, str(out), *args],
            cwd=ROOT,
            check=True,
        )
        return json.loads(out.read_text(encoding="utf-8"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="skip the 100,000-member organization")
    parser.add_argument("--no-cold-start", action="store_true")
    parser.add_argument("--no-latency", action="store_true")
    parser.add_argument("--no-growth", action="store_true", help="skip the local stack's growth")
    parser.add_argument("--no-console", action="store_true", help="skip the console's first-visit bytes")
    parser.add_argument("--latency-requests", type=int, default=300, help="requests per route (300)")
    parser.add_argument("--cold-start-runs", type=int, default=11, help="fresh processes per path (11)")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    # The benchmark's own progress only: the app's per-email and botocore's per-client
    # lines would bury it (warnings still show).
    logging.basicConfig(level=logging.WARNING, format="%(name)s: %(message)s")
    logging.getLogger("bench").setLevel(logging.INFO)
    started = time.perf_counter()

    console_size = None
    if not args.no_console:
        logger.info("the console's first visit")
        console_size = console.first_visit()
    latency = None
    if not args.no_latency:
        logger.info("latency through the local stack (%d requests per route)", args.latency_requests)
        latency = _latency(args.latency_requests)
    growth = None
    if not args.no_growth:
        logger.info("ask latency as the local stack's table grows")
        growth = _growth()
    cold = None
    if not args.no_cold_start:
        from bench import coldstart

        logger.info("cold starts (%d processes per path)", args.cold_start_runs)
        cold = coldstart.run(args.cold_start_runs)

    # Before the app is imported (bench.harness does it): its decorators read the settings.
    issuer = environment.configure()
    meter = Meter(items=emulator.stored_item).install()
    try:
        runs = []
        for members in SIZES[:-1] if args.quick else SIZES:
            logger.info("operations on an organization of %s members", f"{members:,}")
            runs.append(operations.run_size(members, issuer, meter))
        logger.info("stream fan-out")
        fan = fanout.run(issuer, meter)
        sizes = scheduled.SIZES[:-1] if args.quick else scheduled.SIZES
        logger.info("the scheduled pass among %s pending requests", ", ".join(f"{n:,}" for n in sizes))
        passes = scheduled.run(meter, sizes)
    finally:
        meter.uninstall()
        issuer.stop()
    flat = operations.flat_ratio(runs)
    text = report.render(
        runs, flat, fan, cold, latency, time.perf_counter() - started, growth, console_size, passes
    )
    args.out.write_text(text, encoding="utf-8")
    sys.stdout.write(text)
    logger.info("written to %s", args.out)
    _warn_about_targets(runs, flat, fan, cold, growth, console_size)
    for run in passes.runs:
        if not run.at_floor:
            logger.warning("scheduled pass above its floor among %s pending requests", f"{run.pending:,}")
    if passes.flat != 1.0:
        logger.warning("scheduled pass: largest/smallest calls per due request is %.2f", passes.flat)
    return 0


def _warn_about_targets(runs, flat: float, fan, cold, growth: dict | None, console_size: dict | None) -> None:
    """A benchmark reports rather than fails (tests/cost/ is the gate); it says what it missed."""
    for row in runs[-1].rows:
        if not row.at_floor:
            logger.warning("above its floor: %s", row.name)
    if flat != 1.0:
        logger.warning("largest/smallest is %.2f, not 1.00", flat)
    if fanout.admin_lookups(fan.batch) > fan.organizations or fan.batch.ses_calls != 300:
        logger.warning(
            "fan-out: %d admin lookups, %d SES calls", fanout.admin_lookups(fan.batch), fan.batch.ses_calls
        )
    ledger_writes = fanout.Ledger.of(fan.batch).writes
    if ledger_writes > fan.batch.ses_calls:
        logger.warning("fan-out: %d ledger writes for %d emails", ledger_writes, fan.batch.ses_calls)
    if cold is not None and cold.worst[1] > 1.25:
        logger.warning("cold start ratio above 1.25: %s, %.2f", *cold.worst)
    if growth is not None and growth["ratio"] > 1.5:
        logger.warning("local stack growth above 1.5: %.2f", growth["ratio"])
    if console_size is not None and console_size["kb"] > console.BUDGET_KB:
        logger.warning("%s, above the budget of %d KB", console.line(console_size), console.BUDGET_KB)


if __name__ == "__main__":
    sys.exit(main())
