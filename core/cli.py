"""Command line: ``python -m core.cli migrate`` (what ``make run`` does before starting the app)
and ``python -m core.cli check`` (is the model server reachable, which model answers)."""

from __future__ import annotations

import argparse
import sys

from core.errors import CharlaError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="charla")
    parser.add_argument("command", choices=["migrate", "check"])
    args = parser.parse_args(argv)
    try:
        from core.bootstrap import start

        settings = start()
        if args.command == "migrate":
            print("Database ready.")
            return 0
        from core.providers.llm_studio_api import get_provider

        status = get_provider().check_connection()
        if status.ok:
            state = {True: "loaded", False: "not loaded", None: "load state unknown"}[status.loaded]
            print(f"Model server at {settings.lm_studio_url}: OK; model {status.model} ({state}).")
            return 0
        assert status.error is not None
        print(status.error.user_message(settings.language), file=sys.stderr)
        return 1
    except CharlaError as exc:
        print(exc.user_message(), file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
