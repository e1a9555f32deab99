"""Texts of the model settings page (keys ``settings.*``)."""

from __future__ import annotations

TEXTS: dict[str, dict[str, str]] = {
    "settings.title": {"en": "Model settings", "es": "Ajustes del modelo"},
    # --- server ----------------------------------------------------------------------------------
    "settings.server": {"en": "Server", "es": "Servidor"},
    "settings.server_url": {"en": "Server URL", "es": "URL del servidor"},
    "settings.api_key_set": {
        "en": "API key: **set** (LM_STUDIO_API_KEY).",
        "es": "Clave de API: **definida** (LM_STUDIO_API_KEY).",
    },
    "settings.api_key_unset": {
        "en": "API key: **not set** (LM Studio does not need one unless you turned authentication on).",
        "es": "Clave de API: **no definida** (LM Studio no la necesita salvo que actives la autenticación).",
    },
    "settings.server_help": {
        "en": "The URL and the key come from .env (LM_STUDIO_URL, LM_STUDIO_API_KEY); change them there and restart.",
        "es": "La URL y la clave vienen de .env (LM_STUDIO_URL, LM_STUDIO_API_KEY); cámbialas allí y reinicia.",
    },
    "settings.test": {"en": "Test connection", "es": "Probar la conexión"},
    "settings.test_ok": {
        "en": "The server answers: {count} models; {model} will answer.",
        "es": "El servidor responde: {count} modelos; responderá {model}.",
    },
    "settings.no_model_list": {
        "en": "The model list is not available.",
        "es": "La lista de modelos no está disponible.",
    },
    # --- generation ------------------------------------------------------------------------------
    "settings.generation": {"en": "Generation", "es": "Generación"},
    "settings.editing_defaults": {
        "en": "These are the defaults for every chat. Open a chat first to give it settings of its own.",
        "es": "Estos son los valores por defecto de todos los chats. Abre un chat para darle ajustes propios.",
    },
    "settings.editing_chat": {
        "en": "Showing the settings chat {chat_id} uses (its own over the defaults).",
        "es": "Se muestran los ajustes que usa el chat {chat_id} (los suyos sobre los por defecto).",
    },
    "settings.model": {"en": "Model", "es": "Modelo"},
    "settings.model_auto": {
        "en": "Automatic (LM_STUDIO_MODEL, else the loaded model)",
        "es": "Automático (LM_STUDIO_MODEL, si no el modelo cargado)",
    },
    "settings.model_missing": {
        "en": "{id} · not offered by the server now",
        "es": "{id} · el servidor no lo ofrece ahora",
    },
    "settings.loaded": {"en": "loaded", "es": "cargado"},
    "settings.not_loaded": {"en": "not loaded", "es": "no cargado"},
    "settings.context": {"en": "{tokens} tokens of context", "es": "{tokens} tokens de contexto"},
    "settings.temperature": {"en": "Temperature", "es": "Temperatura"},
    "settings.temperature_help": {
        "en": "0 = always the most likely word; higher = more varied answers.",
        "es": "0 = siempre la palabra más probable; más alta = respuestas más variadas.",
    },
    "settings.no_limit": {"en": "No limit", "es": "Sin límite"},
    "settings.max_tokens": {"en": "Max tokens per answer", "es": "Máximo de tokens por respuesta"},
    "settings.max_tokens_help": {
        "en": "An answer stops at this length (shown as “cut by max_tokens”).",
        "es": "Una respuesta se corta en esta longitud (se indica «cortada por max_tokens»).",
    },
    "settings.server_default": {"en": "server default", "es": "el del servidor"},
    "settings.top_p_help": {
        "en": "Sample only from the most likely words that add up to this probability.",
        "es": "Elegir solo entre las palabras más probables que suman esta probabilidad.",
    },
    "settings.top_k_help": {
        "en": "Sample only from this many most likely words (0 = no limit).",
        "es": "Elegir solo entre este número de palabras más probables (0 = sin límite).",
    },
    "settings.repeat_penalty": {"en": "Repeat penalty", "es": "Penalización por repetición"},
    "settings.seed": {"en": "Seed", "es": "Semilla"},
    "settings.seed_random": {"en": "random", "es": "aleatoria"},
    "settings.stop": {
        "en": "Stop strings (one per line)",
        "es": "Secuencias de parada (una por línea)",
    },
    "settings.stop_help": {
        "en": "The answer ends when the model writes one of these (at most 4).",
        "es": "La respuesta termina cuando el modelo escribe una de estas (4 como máximo).",
    },
    "settings.system_prompt": {"en": "System prompt", "es": "Instrucciones del sistema"},
    "settings.save_defaults": {"en": "Save as defaults", "es": "Guardar por defecto"},
    "settings.apply_chat": {"en": "Apply to this chat only", "es": "Aplicar solo a este chat"},
    "settings.reset_chat": {
        "en": "Reset this chat to defaults",
        "es": "Volver a los valores por defecto en este chat",
    },
    "settings.saved_defaults": {"en": "Defaults saved.", "es": "Valores por defecto guardados."},
    "settings.saved_chat": {"en": "Saved for this chat.", "es": "Guardado para este chat."},
    "settings.chat_reset": {
        "en": "This chat now uses the defaults.",
        "es": "Este chat usa ahora los valores por defecto.",
    },
    "settings.too_many_stops": {
        "en": "{count} stop strings given; servers accept at most {limit}. Remove some lines.",
        "es": "Hay {count} secuencias de parada; los servidores aceptan {limit} como máximo. Quita algunas líneas.",
    },
    "settings.max_tokens_over_context": {
        "en": "Max tokens ({max_tokens}) must be smaller than the context of {model} ({context} tokens), or the question would not fit. Lower it or tick “No limit”.",
        "es": "El máximo de tokens ({max_tokens}) debe ser menor que el contexto de {model} ({context} tokens), o la pregunta no cabría. Bájalo o marca «Sin límite».",
    },
    # --- interface -------------------------------------------------------------------------------
    "settings.interface": {"en": "Interface", "es": "Interfaz"},
    "settings.language": {"en": "Language", "es": "Idioma"},
}
