"""``search``: the full-text search from the command line, for scripts.

``python -m core.cli search "words" [--limit N] [--offset N] [--chat ID] [--json]`` runs
:func:`core.services.search.search_messages` — the same query language and ranking as the History
page — and prints one hit per two lines (where, who, when; then the snippet), or with ``--json``
one JSON document: the page's ``total`` / ``estimated`` and every hit's fields, dates in ISO 8601
UTC, snippets with their ``**`` marks. The exit status is 0 when something matched and 1 when
nothing did, like ``grep``, so a script can test it.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from datetime import UTC
from typing import Any

from core.conf.settings import get_settings
from core.locales import t
from core.services.search import MAX_LIMIT, SearchPage, search_messages


def _limit(value: str) -> int:
    number = int(value)
    if not 1 <= number <= MAX_LIMIT:
        raise argparse.ArgumentTypeError(f"must be between 1 and {MAX_LIMIT}")
    return number


def as_json(page: SearchPage) -> dict[str, Any]:
    """The page as plain JSON-ready data."""
    hits = []
    for hit in page.hits:
        fields = asdict(hit)
        fields["created_at"] = hit.created_at.astimezone(UTC).isoformat()
        hits.append(fields)
    return {
        "query": page.query,
        "total": page.total,
        "estimated": page.estimated,
        "offset": page.offset,
        "limit": page.limit,
        "hits": hits,
    }


def _run(args: argparse.Namespace) -> int:
    filters: dict[str, Any] = {} if args.chat is None else {"chat_id": args.chat}
    page = search_messages(args.query, limit=args.limit, offset=args.offset, **filters)
    if args.json:
        json.dump(as_json(page), sys.stdout, ensure_ascii=False, indent=2)
        print()
        return 0 if page.hits else 1
    lang = get_settings().language
    if not page.parsed.searchable:
        print(t("search.nothing_to_search", lang), file=sys.stderr)
        return 1
    if not page.hits:
        print(t("search.none", lang), file=sys.stderr)
        return 1
    count_key = "search.count_about" if page.estimated else "search.count"
    print(t(count_key, lang, count=page.total, shown=page.reachable))
    for hit in page.hits:
        when = hit.created_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
        who = hit.model if hit.sender == "llm" and hit.model else hit.sender
        print(
            f"\nchat {hit.chat_id} · message {hit.message_id} · {hit.chat_title} · {who} · {when}"
        )
        print(f"  {hit.snippet}")
    return 0


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("search", help=t("search.cli_help"))
    parser.add_argument("query", help='words, "an exact phrase", prefix*, -exclude, tag:name')
    parser.add_argument("--limit", type=_limit, default=20, help="hits per page (1-100)")
    parser.add_argument("--offset", type=int, default=0, help="hits to skip (paging)")
    parser.add_argument("--chat", type=int, default=None, help="only this chat's messages")
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    parser.set_defaults(run=_run)
