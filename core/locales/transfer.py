"""Texts of exporting and importing (keys ``transfer.*``): the History page's Export and Import
sections, the Markdown files' headings, the import's problems and summary, and the CLI.

An import problem is one sentence that starts with the file it is about (``{name}``), says what is
wrong and, where there is one, what to do. Sizes are given already formatted (``{size}``,
``{limit}``: "1.2 GB").
"""

from __future__ import annotations

TEXTS: dict[str, dict[str, str]] = {
    # --- the export section --------------------------------------------------------------------
    "transfer.export": {"en": "Export", "es": "Exportar"},
    "transfer.format": {"en": "Format", "es": "Formato"},
    "transfer.format_csv": {"en": "CSV", "es": "CSV"},
    "transfer.format_json": {"en": "JSON (Charla)", "es": "JSON (Charla)"},
    "transfer.format_markdown": {"en": "Markdown", "es": "Markdown"},
    "transfer.caption_csv": {
        "en": "One row per message: chat, time (UTC), sender, text, reasoning, model, status, tokens and speed. UTF-8, opens in Excel, LibreOffice and pandas.",
        "es": "Una fila por mensaje: chat, hora (UTC), remitente, texto, razonamiento, modelo, estado, tokens y velocidad. UTF-8; se abre en Excel, LibreOffice y pandas.",
    },
    "transfer.caption_json": {
        "en": "Everything, losslessly: every version of every message, reasoning, errors, models, statistics, each chat's settings, pins, tags and archive. Import it here or in another Charla.",
        "es": "Todo, sin pérdidas: cada versión de cada mensaje, razonamiento, errores, modelos, estadísticas, los ajustes de cada chat, fijados, etiquetas y archivo. Se puede importar aquí o en otro Charla.",
    },
    "transfer.caption_markdown": {
        "en": "One readable file per chat (several chats come as a .zip): the messages shown, with reasoning folded and code kept as it is.",
        "es": "Un archivo legible por chat (varios chats llegan en un .zip): los mensajes que se muestran, con el razonamiento plegado y el código tal cual.",
    },
    "transfer.download_selected": {
        "en": "Selected chats ({count})",
        "es": "Chats seleccionados ({count})",
    },
    # --- Markdown files -------------------------------------------------------------------------
    "transfer.md_you": {"en": "You", "es": "Tú"},
    "transfer.md_assistant": {"en": "Assistant", "es": "Asistente"},
    "transfer.md_reasoning": {"en": "Reasoning", "es": "Razonamiento"},
    "transfer.md_versions": {
        "en": "Some messages of this chat have other versions, not shown here: the JSON export keeps them.",
        "es": "Algunos mensajes de este chat tienen otras versiones que aquí no se muestran: la exportación JSON las conserva.",
    },
}
