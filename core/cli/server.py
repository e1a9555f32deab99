"""``migrate`` and ``check``: the database is ready; the model server answers."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from core.conf.settings import get_settings
from core.services import server


def _migrate(_args: argparse.Namespace) -> int:
    print("Database ready.")  # the start-up (run for every command) migrated it
    return 0


def _check(_args: argparse.Namespace) -> int:
    settings = get_settings()
    status = server.check()
    if status.ok:
        state = {True: "loaded", False: "not loaded", None: "load state unknown"}[status.loaded]
        print(f"Model server at {settings.lm_studio_url}: OK; model {status.model} ({state}).")
        return 0
    assert status.error is not None
    print(status.error.user_message(settings.language), file=sys.stderr)
    return 1


def register(subparsers: Any) -> None:
    subparsers.add_parser("migrate", help="bring the database to the newest schema").set_defaults(
        run=_migrate
    )
    subparsers.add_parser("check", help="is the model server reachable?").set_defaults(run=_check)
