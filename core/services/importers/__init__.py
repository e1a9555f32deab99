"""Importing chats: Charla's own JSON, ChatGPT's data export, LM Studio's conversation files and
Open WebUI's chat export, detected from their content.

- :mod:`.sources` opens what was given (files, folders, zips: safely, in memory);
- :mod:`.detect` checks each document whole and says which export it is;
- :mod:`.chatgpt`, :mod:`.lmstudio`, :mod:`.openwebui`, :mod:`.charla` turn one conversation of
  their format into a :class:`~.model.Conversation` (:mod:`.tree` makes another app's tree
  Charla's; :mod:`.fields` reads odd fields);
- :mod:`.load` stores conversations, one transaction each, and runs the whole import.

Pages and the CLI import from here.
"""

from __future__ import annotations

from core.services.importers.load import import_files, import_paths, import_uploads, store
from core.services.importers.model import (
    Conversation,
    FileReport,
    ImportReport,
    Problem,
    Progress,
    Turn,
)
from core.services.importers.sources import MAX_IMPORT_BYTES, MAX_RATIO, human_size

__all__ = [
    "MAX_IMPORT_BYTES",
    "MAX_RATIO",
    "Conversation",
    "FileReport",
    "ImportReport",
    "Problem",
    "Progress",
    "Turn",
    "human_size",
    "import_files",
    "import_paths",
    "import_uploads",
    "store",
]
