"""Texts of full-text search: the History search box and its hits, "Find in this chat", the
``search`` command (keys ``search.*``)."""

from __future__ import annotations

TEXTS: dict[str, dict[str, str]] = {
    # --- the search box ------------------------------------------------------------------------
    "search.help": {
        "en": 'Every word must be in the message, in any order; upper and lower case and accents do not matter. "Quotes" for an exact phrase, a trailing * for a prefix, -word to leave a word out, tag:name for chats with that tag.',
        "es": 'Todas las palabras deben estar en el mensaje, en cualquier orden; mayúsculas y acentos dan igual. "Comillas" para una frase exacta, un * al final para un prefijo, -palabra para excluirla, tag:nombre para los chats con esa etiqueta.',
    },
    "search.count": {"en": "{count} messages match", "es": "{count} mensajes coinciden"},
    "search.count_one": {"en": "1 message matches", "es": "1 mensaje coincide"},
    "search.count_about": {
        "en": "About {count} messages match; the {shown} newest are ranked. Add a word or a filter to narrow it.",
        "es": "Unos {count} mensajes coinciden; se ordenan los {shown} más recientes. Añade una palabra o un filtro para acotar.",
    },
    "search.none": {
        "en": "No message matches. Try fewer words, or a prefix such as photo*.",
        "es": "Ningún mensaje coincide. Prueba con menos palabras o con un prefijo como foto*.",
    },
    "search.nothing_to_search": {
        "en": "Type a word with letters or digits to search.",
        "es": "Escribe una palabra con letras o números para buscar.",
    },
    "search.page": {"en": "Page {page} of {pages}", "es": "Página {page} de {pages}"},
    "search.previous": {"en": "Previous", "es": "Anterior"},
    "search.next": {"en": "Next", "es": "Siguiente"},
    "search.open": {"en": "Open", "es": "Abrir"},
    "search.open_help": {
        "en": "Open the chat at this message",
        "es": "Abrir el chat en este mensaje",
    },
    "search.in_reasoning": {"en": "in the reasoning", "es": "en el razonamiento"},
    "search.in_file": {"en": "in the file {name}", "es": "en el archivo {name}"},
    "search.other_version": {"en": "another version", "es": "otra versión"},
    "search.archived": {"en": "archived", "es": "archivado"},
    "search.sender_user": {"en": "You", "es": "Tú"},
    "search.sender_llm": {"en": "Model", "es": "Modelo"},
    # --- find in this chat ---------------------------------------------------------------------
    "search.find_in_chat": {"en": "Find in this chat", "es": "Buscar en este chat"},
    "search.find_placeholder": {"en": "Words to find", "es": "Palabras a buscar"},
    # --- the command line ----------------------------------------------------------------------
    "search.cli_help": {
        "en": 'search every message (words, "phrase", prefix*, -exclude, tag:name)',
        "es": 'buscar en todos los mensajes (palabras, "frase", prefijo*, -excluir, tag:nombre)',
    },
}
