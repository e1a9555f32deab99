"""Texts of exporting and importing (keys ``transfer.*``): the History page's Export and Import
sections, the Markdown files' headings, the import's problems and summary, and the CLI.

An import problem is one sentence that starts with the file it is about (``{name}``), says what is
wrong and, where there is one, what to do. Sizes are given already formatted (``{size}``,
``{limit}``: "1.2 GB"); counts are integers, which :func:`core.locales.t` writes with the reader's
digit groups, and sentences put them after a label ("messages: 1") so no plural is ever wrong.
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
    # --- the import section ----------------------------------------------------------------------
    "transfer.import": {"en": "Import", "es": "Importar"},
    "transfer.import_caption": {
        "en": "Chats from ChatGPT (its data export: conversations.json or the .zip), LM Studio (*.conversation.json files, or a zip of them), Open WebUI (Export Chats) or a Charla JSON export, with their versions, reasoning and models. Importing a file again adds nothing. Up to {limit} MB per file here; for bigger exports use: python -m core.cli import PATH",
        "es": "Chats de ChatGPT (su exportación de datos: conversations.json o el .zip), LM Studio (archivos *.conversation.json, o un zip con ellos), Open WebUI (Export Chats) o una exportación JSON de Charla, con sus versiones, razonamiento y modelos. Importar de nuevo un archivo no añade nada. Hasta {limit} MB por archivo aquí; para exportaciones mayores usa: python -m core.cli import RUTA",
    },
    "transfer.upload": {"en": "Files to import", "es": "Archivos para importar"},
    "transfer.upload_help": {
        "en": "JSON files or zips, several at once. The format is recognised from the content, whatever the file is called.",
        "es": "Archivos JSON o zips, varios a la vez. El formato se reconoce por el contenido, se llame como se llame el archivo.",
    },
    "transfer.import_button": {"en": "Import", "es": "Importar"},
    "transfer.importing": {"en": "Checking the files…", "es": "Comprobando los archivos…"},
    "transfer.file_summary": {
        "en": "{name}: chats added: {chats}; messages: {messages}; already here: {duplicates}.",
        "es": "{name}: chats añadidos: {chats}; mensajes: {messages}; ya estaban: {duplicates}.",
    },
    # --- Markdown files -------------------------------------------------------------------------
    "transfer.md_you": {"en": "You", "es": "Tú"},
    "transfer.md_assistant": {"en": "Assistant", "es": "Asistente"},
    "transfer.md_reasoning": {"en": "Reasoning", "es": "Razonamiento"},
    "transfer.md_files_note": {
        "en": "Files: {names} (not in this file: the JSON export, or the Markdown zip of several chats, includes them).",
        "es": "Archivos: {names} (no están en este archivo: la exportación JSON, o el zip Markdown de varios chats, los incluye).",
    },
    "transfer.md_versions": {
        "en": "Some messages of this chat have other versions, not shown here: the JSON export keeps them.",
        "es": "Algunos mensajes de este chat tienen otras versiones que aquí no se muestran: la exportación JSON las conserva.",
    },
    # --- import problems: "<file>: <sentence>" ------------------------------------------------
    "transfer.in_conversation": {
        "en": "{file}, conversation «{title}»",
        "es": "{file}, conversación «{title}»",
    },
    "transfer.not_found": {
        "en": "no such file or folder.",
        "es": "no existe ese archivo o carpeta.",
    },
    "transfer.unreadable": {
        "en": "cannot be read ({why}).",
        "es": "no se puede leer ({why}).",
    },
    "transfer.empty": {
        "en": "the file is empty: nothing to import.",
        "es": "el archivo está vacío: no hay nada que importar.",
    },
    "transfer.not_json": {
        "en": "not a chat export: Charla imports JSON files (or zips of them) exported by ChatGPT, LM Studio, Open WebUI or Charla.",
        "es": "no es una exportación de chats: Charla importa archivos JSON (o zips que los contengan) exportados por ChatGPT, LM Studio, Open WebUI o Charla.",
    },
    "transfer.not_utf8": {
        "en": "not UTF-8 text, so not a JSON export. Nothing was imported from it.",
        "es": "no es texto UTF-8, así que no es una exportación JSON. No se ha importado nada de él.",
    },
    "transfer.bad_json": {
        "en": "not valid JSON ({why}). Nothing was imported from it.",
        "es": "no es JSON válido ({why}). No se ha importado nada de él.",
    },
    "transfer.truncated": {
        "en": "the JSON ends too early: the file is incomplete (cut off while downloading or copying?). Nothing was imported from it; export or download it again.",
        "es": "el JSON termina antes de tiempo: el archivo está incompleto (¿se cortó al descargarlo o copiarlo?). No se ha importado nada de él; vuelve a exportarlo o descargarlo.",
    },
    "transfer.unknown_shape": {
        "en": "JSON, but not a chat export Charla knows (ChatGPT's conversations.json, LM Studio's *.conversation.json, Open WebUI's chat export, Charla's JSON). Nothing was imported from it.",
        "es": "es JSON, pero no una exportación de chats que Charla conozca (conversations.json de ChatGPT, *.conversation.json de LM Studio, la exportación de chats de Open WebUI, el JSON de Charla). No se ha importado nada de él.",
    },
    "transfer.no_conversations": {
        "en": "holds no conversations.",
        "es": "no contiene conversaciones.",
    },
    "transfer.nothing_found": {
        "en": "no chat export inside (looked for ChatGPT's conversations.json, LM Studio's conversation files, Open WebUI's and Charla's JSON).",
        "es": "no contiene ninguna exportación de chats (se buscó conversations.json de ChatGPT, archivos de conversación de LM Studio y el JSON de Open WebUI y de Charla).",
    },
    "transfer.charla_version": {
        "en": "a Charla export of version {version}; this Charla reads version 1. Update Charla to import it.",
        "es": "una exportación de Charla de la versión {version}; este Charla lee la versión 1. Actualiza Charla para importarla.",
    },
    "transfer.too_large": {
        "en": "{size}, over the import limit of {limit}.",
        "es": "{size}, por encima del límite de importación de {limit}.",
    },
    "transfer.single_too_large": {
        "en": "one conversation of {size}, over the limit of {limit} for a single conversation.",
        "es": "una sola conversación de {size}, por encima del límite de {limit} para una conversación.",
    },
    "transfer.zip_bad": {
        "en": "a damaged zip ({why}).",
        "es": "un zip dañado ({why}).",
    },
    "transfer.zip_too_many": {
        "en": "refused: a zip of {count} files (at most {limit}).",
        "es": "rechazado: un zip de {count} archivos (como mucho {limit}).",
    },
    "transfer.zip_unsafe_name": {
        "en": "refused: the zip holds a path that points outside it ({member}), which no real export does.",
        "es": "rechazado: el zip contiene una ruta que apunta fuera de él ({member}), algo que ninguna exportación real hace.",
    },
    "transfer.zip_bomb": {
        "en": "refused: {member} would expand to {ratio} times its size in the zip (a real export stays under {limit} times).",
        "es": "rechazado: {member} ocuparía {ratio} veces su tamaño en el zip (una exportación real no pasa de {limit} veces).",
    },
    "transfer.broken": {
        "en": "cannot be read ({why}); skipped.",
        "es": "no se puede leer ({why}); se omite.",
    },
    "transfer.not_stored": {
        "en": "could not be stored ({why}); skipped.",
        "es": "no se pudo guardar ({why}); se omite.",
    },
    # --- import summary ------------------------------------------------------------------------
    "transfer.summary": {
        "en": "Chats added: {chats}; messages: {messages}; already here, skipped: {duplicates}.",
        "es": "Chats añadidos: {chats}; mensajes: {messages}; ya estaban, omitidos: {duplicates}.",
    },
    "transfer.summary_presets": {
        "en": "Presets added: {presets}.",
        "es": "Presets añadidos: {presets}.",
    },
    "transfer.progress": {
        "en": "{done} / {total} conversations",
        "es": "{done} / {total} conversaciones",
    },
    # --- the command line -----------------------------------------------------------------------
    "transfer.cli_exported": {
        "en": "Exported to {path}: chats: {chats}; messages: {messages}.",
        "es": "Exportado a {path}: chats: {chats}; mensajes: {messages}.",
    },
    "transfer.cli_exported_rows": {
        "en": "Exported to {path}: messages: {messages}.",
        "es": "Exportado a {path}: mensajes: {messages}.",
    },
}
