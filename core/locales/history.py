"""Texts of the History page: table, filters, reading a chat, CSV export (keys ``history.*``).

Deleting reuses the chat page's confirmation texts (``chat.delete_confirm``, ``chat.delete_yes``,
``chat.cancel``, ``chat.deleted``) and a long chat reuses ``chat.show_older``: one sentence, one key.
"""

from __future__ import annotations

TEXTS: dict[str, dict[str, str]] = {
    "history.title": {"en": "History", "es": "Historial"},
    # --- filters -------------------------------------------------------------------------------
    "history.search": {"en": "Search", "es": "Buscar"},
    "history.search_placeholder": {
        "en": 'Words, "an exact phrase", photo*, -leave_out, tag:work',
        "es": 'Palabras, "una frase exacta", foto*, -excluir, tag:trabajo',
    },
    "history.search_help": {
        "en": 'Finds messages and chats with every word, in any order; upper and lower case and accents do not matter. "Quotes" for an exact phrase, a trailing * for a prefix, -word to leave a word out, tag:name for chats with that tag.',
        "es": 'Encuentra mensajes y chats con todas las palabras, en cualquier orden; mayúsculas y acentos dan igual. "Comillas" para una frase exacta, un * al final para un prefijo, -palabra para excluirla, tag:nombre para los chats con esa etiqueta.',
    },
    "history.messages_found": {"en": "Messages", "es": "Mensajes"},
    "history.chats_found": {"en": "Chats", "es": "Chats"},
    "history.dates": {"en": "Last activity", "es": "Última actividad"},
    "history.dates_help": {
        "en": "Chats whose last message falls between these days, both included. Pick one day for a single day.",
        "es": "Chats cuyo último mensaje cae entre estos días, ambos incluidos. Elige un solo día para ver ese día.",
    },
    "history.model": {"en": "Model", "es": "Modelo"},
    "history.all_models": {"en": "All models", "es": "Todos los modelos"},
    # --- table ---------------------------------------------------------------------------------
    "history.col_title": {"en": "Title", "es": "Título"},
    "history.col_created": {"en": "Created", "es": "Creado"},
    "history.col_last": {"en": "Last activity", "es": "Última actividad"},
    "history.col_messages": {"en": "Messages", "es": "Mensajes"},
    "history.col_model": {"en": "Model", "es": "Modelo"},
    "history.no_chats": {
        "en": "No chats yet: start one on the Chat page.",
        "es": "Aún no hay chats: empieza uno en la página Chat.",
    },
    "history.no_match": {
        "en": "No chat matches these filters.",
        "es": "Ningún chat coincide con estos filtros.",
    },
    "history.page": {
        "en": "Page {page} of {pages} · {total} chats",
        "es": "Página {page} de {pages} · {total} chats",
    },
    "history.previous": {"en": "Previous", "es": "Anterior"},
    "history.next": {"en": "Next", "es": "Siguiente"},
    # --- reading one chat ------------------------------------------------------------------------
    "history.pick": {"en": "Read a chat", "es": "Leer un chat"},
    "history.pick_placeholder": {
        "en": "Select a row in the table, or choose a chat here",
        "es": "Selecciona una fila de la tabla o elige un chat aquí",
    },
    "history.meta": {
        "en": "Created {created} · last activity {last} · {count} messages",
        "es": "Creado {created} · última actividad {last} · {count} mensajes",
    },
    "history.meta_one": {
        "en": "Created {created} · last activity {last} · 1 message",
        "es": "Creado {created} · última actividad {last} · 1 mensaje",
    },
    "history.meta_versions": {
        "en": " (and {count} in other versions)",
        "es": " (y {count} en otras versiones)",
    },
    "history.meta_versions_one": {
        "en": " (and 1 in another version)",
        "es": " (y 1 en otra versión)",
    },
    "history.empty_chat": {
        "en": "This chat has no messages.",
        "es": "Este chat no tiene mensajes.",
    },
    "history.open_in_chat": {"en": "Open in chat", "es": "Abrir en el chat"},
    "history.delete": {"en": "Delete chat", "es": "Borrar chat"},
    # --- export --------------------------------------------------------------------------------
    "history.all_versions": {"en": "Every version", "es": "Todas las versiones"},
    "history.all_versions_help": {
        "en": "Off: each chat as it is shown (the versions selected). On: every version of every message, with columns that say which version a row is (version, selected, parent_id).",
        "es": "Desactivado: cada chat tal como se muestra (las versiones elegidas). Activado: todas las versiones de cada mensaje, con columnas que dicen qué versión es cada fila (version, selected, parent_id).",
    },
    "history.safe": {"en": "Safe for spreadsheets", "es": "Seguro para hojas de cálculo"},
    "history.safe_help": {
        "en": "On: a cell that starts with =, +, -, @, a tab or a carriage return gets a ' in front, so Excel or LibreOffice shows it as text instead of running it as a formula (a message could otherwise contain a harmful formula). Off: exact text, for programs such as pandas.",
        "es": "Activado: una celda que empieza por =, +, -, @, un tabulador o un retorno de carro lleva delante un ', así Excel o LibreOffice la muestran como texto en vez de ejecutarla como fórmula (un mensaje podría contener una fórmula dañina). Desactivado: texto exacto, para programas como pandas.",
    },
    "history.download_chat": {"en": "Selected chat", "es": "Chat seleccionado"},
    "history.download_filtered": {
        "en": "Filtered chats ({count})",
        "es": "Chats filtrados ({count})",
    },
    "history.download_all": {"en": "Everything ({count})", "es": "Todo ({count})"},
    "history.download_chat_help": {
        "en": "Select a chat first.",
        "es": "Primero selecciona un chat.",
    },
}
