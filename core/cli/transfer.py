"""``export`` and ``import``: the history out to a file, and chats in from other apps.

::

    python -m core.cli export --format csv|json|markdown [--chat ID ...] [--query WORDS] --out PATH
    python -m core.cli import PATH [PATH ...]

``export`` writes the chats given with ``--chat``, those whose title or messages contain the
``--query`` words (the History page's search: :class:`~core.services.history.HistoryFilter` through
:meth:`ExportScope.matching <core.services.export.ExportScope.matching>`), both (the chats given
that match), or everything. The file is written beside ``PATH`` and renamed into place when
complete. CSV is "safe for spreadsheets" unless ``--exact``, and holds the versions shown unless
``--every-version``; JSON always holds every version; Markdown is one ``.md`` for a single
``--chat``, else a zip of one file per chat.

``import`` takes files, folders and zips (ChatGPT's export zip, a folder of LM Studio
conversations…), shows a progress bar on standard error, prints what was added, and then one line
per problem. Exit status 0 when every file went in whole (conversations already there are fine), 1
otherwise.

Sentences are in the configured language (``APP_LANGUAGE``).
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any, TextIO

from core.conf.settings import get_settings
from core.errors import ChatNotFound
from core.i18n import t
from core.services import chats
from core.services.export import ExportFormat, ExportScope, export_file
from core.services.history import HistoryFilter
from core.services.importers import import_paths

BAR_WIDTH = 30
REDRAW_SECONDS = 0.2  # a terminal's bar is redrawn at most this often
LOG_STEPS = 10  # elsewhere (a log), a line at each tenth of the way


def _scope(args: argparse.Namespace) -> ExportScope:
    query = " ".join(args.query or ()).strip()
    ids = tuple(sorted(set(args.chat))) if args.chat else None
    return ExportScope(
        chat_ids=ids,
        filter=HistoryFilter(text=query) if query else None,
        all_versions=args.every_version,
    )


def _export(args: argparse.Namespace) -> int:
    lang = get_settings().language
    for chat_id in args.chat or ():
        if not chats.chat_exists(chat_id):
            print(ChatNotFound(chat_id).user_message(lang), file=sys.stderr)
            return 1
    fmt = ExportFormat(args.format)
    counts = export_file(args.out, _scope(args), fmt, safe=not args.exact, lang=lang)
    if counts.chats is None:
        print(t("transfer.cli_exported_rows", lang, messages=counts.messages, path=args.out))
    else:
        print(
            t(
                "transfer.cli_exported",
                lang,
                chats=counts.chats,
                messages=counts.messages,
                path=args.out,
            )
        )
    return 0


class ProgressBar:
    """``[#########.....]  812 / 1,993 conversations`` on a terminal (redrawn in place, a few
    times a second); a line at each tenth of the way elsewhere."""

    def __init__(self, stream: TextIO, lang: str) -> None:
        self.stream = stream
        self.lang = lang
        self.live = stream.isatty()
        self.shown_at = 0.0
        self.logged = -1

    def __call__(self, done: int, total: int) -> None:
        finished = done >= total
        if self.live:
            now = time.monotonic()
            if not finished and now - self.shown_at < REDRAW_SECONDS:
                return
            self.shown_at = now
            self.stream.write("\r" + self.line(done, total) + ("\n" if finished else ""))
        else:
            step = LOG_STEPS * done // max(total, 1)
            if step == self.logged:
                return
            self.logged = step
            self.stream.write(self.line(done, total) + "\n")
        self.stream.flush()

    def line(self, done: int, total: int) -> str:
        filled = BAR_WIDTH * done // max(total, 1)
        counts = t("transfer.progress", self.lang, done=done, total=total)
        return f"[{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {counts}"


def _import(args: argparse.Namespace) -> int:
    lang = get_settings().language
    report = import_paths(args.paths, progress=ProgressBar(sys.stderr, lang))
    print(report.summary(lang))
    for problem in report.problems:
        print(problem.text(lang), file=sys.stderr)
    return 0 if report.ok else 1


def register(subparsers: Any) -> None:
    export = subparsers.add_parser(
        "export", help="export chats to CSV, Charla JSON or Markdown", description=__doc__
    )
    export.add_argument("--format", choices=[f.value for f in ExportFormat], required=True)
    export.add_argument(
        "--chat", type=int, nargs="+", action="extend", metavar="ID", help="these chats only"
    )
    export.add_argument(
        "--query", nargs="+", metavar="WORDS", help="chats whose title or messages contain this"
    )
    export.add_argument("--out", required=True, metavar="PATH", help="the file to write")
    export.add_argument(
        "--exact", action="store_true", help="CSV: exact text, not spreadsheet-safe"
    )
    export.add_argument(
        "--every-version", action="store_true", help="CSV: every version of every message"
    )
    export.set_defaults(run=_export)
    imports = subparsers.add_parser(
        "import",
        help="import chats from ChatGPT, LM Studio, Open WebUI or Charla JSON",
        description=__doc__,
    )
    imports.add_argument("paths", nargs="+", metavar="PATH", help="files, folders or zips")
    imports.set_defaults(run=_import)
