"""Charla's command line: ``python -m core.cli <command>``.

Each command lives in a module of this package that defines ``register(subparsers)``: it adds its
sub-parser and sets ``run`` (a function of the parsed arguments returning the exit status) as the
parser's default. Commands run after the app's start-up (configuration checked, database migrated)
and report a failure as one sentence, never a traceback: exit status 2 for a configuration or
database problem, 1 for a command that could not do all it was asked.

- ``migrate`` — bring the database to the newest schema (what ``make run`` does first);
- ``check`` — is the model server reachable, which model answers;
- ``users claim-local EMAIL`` — give the single-user history to a person who signed in;
- ``search`` — full-text search over every message (:mod:`core.cli.search`).
- ``export`` — chats to a CSV, Charla JSON or Markdown file; ``import`` — chats from ChatGPT,
  LM Studio, Open WebUI or Charla JSON (:mod:`core.cli.transfer`).
- ``presets import PATH…`` / ``presets list`` — LM Studio presets into Charla.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from core.cli import presets, search, server, transfer, users
from core.errors import CharlaError

# Every command module, in the order ``--help`` lists them.
COMMANDS = (server, search, transfer, presets, users)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m core.cli", description="Charla's commands.")
    subparsers = parser.add_subparsers(dest="command", required=True)
    for module in COMMANDS:
        module.register(subparsers)
    args = parser.parse_args(argv)
    try:
        from core.bootstrap import start

        start()
        return int(args.run(args))
    except CharlaError as exc:
        print(exc.user_message(), file=sys.stderr)
        return 2
