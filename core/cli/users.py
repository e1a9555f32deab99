"""``users claim-local EMAIL``: hand the single-user history to a person who signed in.

Before sign-in was turned on (``CHARLA_AUTH=none``), every chat belonged to the local user. Once a
team signs in, the person who used Charla alone runs this to make those chats theirs (they must
have signed in once, so that their user exists).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from core.conf.settings import get_settings
from core.errors import CharlaError
from core.locales import t
from core.services import users


def _claim_local(args: argparse.Namespace) -> int:
    lang = get_settings().language
    try:
        count = users.claim_local(args.email)
    except CharlaError as exc:
        print(exc.user_message(lang), file=sys.stderr)
        return 1
    print(t("users.claimed", lang, count=count, email=args.email))
    return 0


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("users", help="people and their histories")
    commands = parser.add_subparsers(dest="users_command", required=True)
    claim = commands.add_parser(
        "claim-local", help="give the single-user history to the person with this email"
    )
    claim.add_argument("email")
    claim.set_defaults(run=_claim_local)
