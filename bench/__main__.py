"""``python -m bench [--quick] [--only NAME ...]``: run the benchmarks, print and save the results."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
import traceback

from bench.common import Metric, table, write_results

SUITES = ("streaming", "engine", "storage", "search", "pages", "browser")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--quick", action="store_true", help="smaller sizes: under a minute")
    parser.add_argument("--only", nargs="*", choices=SUITES, help="run only these suites")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    metrics: list[Metric] = []
    failed = []
    for name in args.only or SUITES:
        print(f"== {name}", flush=True)
        try:
            suite = importlib.import_module(f"bench.{name}").run(quick=args.quick)
        except Exception:  # one broken suite must not hide the others' figures
            traceback.print_exc()
            failed.append(name)
            continue
        print(table(suite), flush=True)
        metrics.extend(suite)
    command = "make bench" + (" QUICK=1" if args.quick else "")
    write_results(metrics, quick=args.quick, command=command)
    print(f"\nWrote bench/results/latest.json and latest.md ({len(metrics)} metrics).")
    if failed:
        print(f"Suites that failed to run: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
