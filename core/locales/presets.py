"""Texts of presets (settings page, chat menu, import, CLI)."""

from __future__ import annotations

TEXTS: dict[str, dict[str, str]] = {
    "presets.title": {"en": "Presets", "es": "Presets"},
    "presets.help": {
        "en": "A preset is a name, a system prompt and any generation settings. Apply one to a "
        "chat, or make one the default for new chats.",
        "es": "Un preset es un nombre, un prompt de sistema y los ajustes de generación que "
        "quieras. Aplícalo a un chat o hazlo el predeterminado de los chats nuevos.",
    },
    "presets.none": {"en": "No presets yet.", "es": "Aún no hay presets."},
    "presets.pick": {"en": "Preset", "es": "Preset"},
    "presets.new": {"en": "New preset", "es": "Preset nuevo"},
    "presets.name": {"en": "Name", "es": "Nombre"},
    "presets.save": {"en": "Save preset", "es": "Guardar preset"},
    "presets.create": {"en": "Create preset", "es": "Crear preset"},
    "presets.duplicate": {"en": "Duplicate", "es": "Duplicar"},
    "presets.delete": {"en": "Delete", "es": "Borrar"},
    "presets.make_default": {"en": "Default for new chats", "es": "Predeterminado de chats nuevos"},
    "presets.default_mark": {"en": "{name} (default)", "es": "{name} (predeterminado)"},
    "presets.no_default": {"en": "No preset", "es": "Sin preset"},
    "presets.apply": {"en": "Apply to this chat", "es": "Aplicar a este chat"},
    "presets.applied": {
        "en": "Preset “{name}” applied to this chat.",
        "es": "Preset «{name}» aplicado a este chat.",
    },
    "presets.for_new_chat": {"en": "Preset for this chat", "es": "Preset para este chat"},
    "presets.created": {"en": "Preset “{name}” created.", "es": "Preset «{name}» creado."},
    "presets.saved": {"en": "Preset “{name}” saved.", "es": "Preset «{name}» guardado."},
    "presets.duplicated": {"en": "Copied as “{name}”.", "es": "Copiado como «{name}»."},
    "presets.deleted": {"en": "Preset “{name}” deleted.", "es": "Preset «{name}» borrado."},
    "presets.default_set": {
        "en": "New chats start from “{name}”.",
        "es": "Los chats nuevos empiezan con «{name}».",
    },
    "presets.default_cleared": {
        "en": "New chats follow the defaults.",
        "es": "Los chats nuevos siguen los ajustes predeterminados.",
    },
    "presets.import": {
        "en": "Import LM Studio presets (*.preset.json)",
        "es": "Importar presets de LM Studio (*.preset.json)",
    },
    "presets.import_help": {
        "en": "LM Studio keeps them in ~/.lmstudio/config-presets.",
        "es": "LM Studio los guarda en ~/.lmstudio/config-presets.",
    },
    "presets.import_button": {"en": "Import", "es": "Importar"},
    "presets.imported": {
        "en": "Imported {count} presets: {names}.",
        "es": "Importados {count} presets: {names}.",
    },
    "presets.imported_one": {
        "en": "Imported 1 preset: {names}.",
        "es": "Importado 1 preset: {names}.",
    },
    "presets.import_unchanged": {
        "en": "Already here, unchanged: {names}.",
        "es": "Ya estaban, sin cambios: {names}.",
    },
    "presets.import_skipped": {
        "en": "LM Studio settings Charla does not use were left out: {keys}.",
        "es": "Se omitieron ajustes de LM Studio que Charla no usa: {keys}.",
    },
    "presets.name_empty": {
        "en": "The preset has no name. Type a name for it.",
        "es": "El preset no tiene nombre. Escribe uno.",
    },
    "presets.name_taken": {
        "en": "There is already a preset called “{name}”. Pick another name.",
        "es": "Ya hay un preset llamado «{name}». Elige otro nombre.",
    },
    "presets.not_a_preset": {
        "en": "{file} is not an LM Studio preset (a *.preset.json file). Nothing was imported.",
        "es": "{file} no es un preset de LM Studio (un archivo *.preset.json). No se importó nada.",
    },
}
