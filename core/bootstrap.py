"""Start-up: validate the configuration, migrate the database, tidy answers a crash left open.

Called once per process (the Streamlit entry file caches it; ``python -m core.cli migrate`` calls
it too). Raising here, before any page draws, is what turns a wrong ``.env`` into one clear sentence.
"""

from __future__ import annotations

import logging

from core.conf.db import get_engine, init_db
from core.conf.settings import Settings, get_settings
from core.services.liveness import mark_interrupted_answers

log = logging.getLogger("charla")


def start() -> Settings:
    settings = get_settings()  # raises ConfigError naming the wrong key
    init_db(get_engine())
    interrupted = mark_interrupted_answers()
    if interrupted:
        log.warning(
            "%d answer(s) were interrupted by an earlier stop; marked as interrupted", interrupted
        )
    return settings
