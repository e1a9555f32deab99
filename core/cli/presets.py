"""``presets import PATH…`` and ``presets list``: LM Studio presets into Charla, from a shell.

``PATH`` is a ``*.preset.json`` file or a folder of them (``~/.lmstudio/config-presets``). The
import is all or nothing: a file that is not a preset stops it with one sentence, nothing stored.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from core.conf.settings import get_settings
from core.errors import InputError
from core.i18n import t
from core.services import presets
from core.services.preset_files import SUFFIX


def _files(paths: list[str]) -> list[Path]:
    found: list[Path] = []
    for raw in paths:
        path = Path(raw).expanduser()
        found += sorted(path.glob(f"*{SUFFIX}")) if path.is_dir() else [path]
    return found


def _import(args: argparse.Namespace) -> int:
    lang = get_settings().language
    files = _files(args.paths)
    try:
        contents = [(path.name, path.read_bytes()) for path in files]
    except OSError as exc:
        print(t("presets.not_a_preset", lang, file=exc.filename or ""), file=sys.stderr)
        return 1
    if not contents:
        print(t("presets.not_a_preset", lang, file=", ".join(args.paths)), file=sys.stderr)
        return 1
    try:
        report = presets.import_lmstudio(contents)
    except InputError as exc:
        print(exc.user_message(lang), file=sys.stderr)
        return 1
    if report.added:
        count = len(report.added)
        print(t("presets.imported", lang, count=count, names=", ".join(report.added)))
    if report.unchanged:
        print(t("presets.import_unchanged", lang, names=", ".join(report.unchanged)))
    if report.skipped_keys:
        print(t("presets.import_skipped", lang, keys=", ".join(report.skipped_keys)))
    return 0


def _list(_args: argparse.Namespace) -> int:
    lang = get_settings().language
    for preset in presets.list_presets():
        name = (
            t("presets.default_mark", lang, name=preset.name) if preset.is_default else preset.name
        )
        print(name)
    return 0


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("presets", help="import LM Studio presets, list presets")
    actions = parser.add_subparsers(dest="presets_command", required=True)
    importing = actions.add_parser("import", help="import *.preset.json files or a folder of them")
    importing.add_argument("paths", nargs="+", metavar="PATH")
    importing.set_defaults(run=_import)
    actions.add_parser("list", help="the saved presets").set_defaults(run=_list)
