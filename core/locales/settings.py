"""Texts of the model settings page (keys ``settings.*``)."""

from __future__ import annotations

TEXTS: dict[str, dict[str, str]] = {
    "settings.title": {"en": "Model settings", "es": "Ajustes del modelo"},
    # --- server ----------------------------------------------------------------------------------
    "settings.server": {"en": "Server", "es": "Servidor"},
    "settings.server_url": {"en": "Server URL", "es": "URL del servidor"},
    "settings.api_key_set": {
        "en": "API key: **set** (sent with every request; never shown).",
        "es": "Clave de API: **definida** (se envía en cada petición; nunca se muestra).",
    },
    "settings.api_key_unset": {
        "en": "API key: **not set** (LM Studio does not need one unless you turned authentication on).",
        "es": "Clave de API: **no definida** (LM Studio no la necesita salvo que actives la autenticación).",
    },
    "settings.server_help": {
        "en": "The server address and the API key are read when Charla starts, from its configuration file (.env, see the README). Change them there and restart Charla.",
        "es": "La dirección del servidor y la clave de API se leen al arrancar Charla, de su archivo de configuración (.env, ver el README). Cámbialas allí y reinicia Charla.",
    },
    "settings.test": {"en": "Test connection", "es": "Probar la conexión"},
    "settings.test_ok": {
        "en": "The server answers: {count} models; {model} will answer.",
        "es": "El servidor responde: {count} modelos; responderá {model}.",
    },
    "settings.no_model_list": {
        "en": "The model list is not available: the server does not answer (the sidebar says why). The settings can still be saved.",
        "es": "La lista de modelos no está disponible: el servidor no responde (la barra lateral dice por qué). Los ajustes se pueden guardar igualmente.",
    },
    # --- generation ------------------------------------------------------------------------------
    "settings.generation": {"en": "Generation", "es": "Generación"},
    "settings.scope": {"en": "Settings for", "es": "Ajustes de"},
    "settings.scope_defaults": {
        "en": "Defaults: every chat without settings of its own",
        "es": "Valores por defecto: todos los chats sin ajustes propios",
    },
    "settings.scope_chat": {"en": "Only the chat «{title}»", "es": "Solo el chat «{title}»"},
    "settings.scope_chat_own": {
        "en": "Only the chat «{title}» · has its own settings",
        "es": "Solo el chat «{title}» · tiene ajustes propios",
    },
    "settings.editing_defaults": {
        "en": "You are editing the defaults. They apply to new chats and to every chat that has no settings of its own.",
        "es": "Estás editando los valores por defecto. Se aplican a los chats nuevos y a todos los chats sin ajustes propios.",
    },
    "settings.editing_own": {
        "en": "You are editing the settings of «{title}» only. This chat has settings of its own; the defaults do not change it.",
        "es": "Estás editando solo los ajustes de «{title}». Este chat tiene ajustes propios; los valores por defecto no lo cambian.",
    },
    "settings.editing_follows": {
        "en": "«{title}» follows the defaults, shown below. Saving gives this chat settings of its own; the defaults stay as they are.",
        "es": "«{title}» sigue los valores por defecto, que se muestran abajo. Al guardar, este chat tendrá ajustes propios; los valores por defecto no cambian.",
    },
    "settings.model": {"en": "Model", "es": "Modelo"},
    "settings.model_auto": {
        "en": "Automatic (the model loaded in the server)",
        "es": "Automático (el modelo cargado en el servidor)",
    },
    "settings.model_auto_configured": {
        "en": "Automatic ({model}, from the configuration)",
        "es": "Automático ({model}, de la configuración)",
    },
    "settings.model_missing": {
        "en": "{id} · not offered by the server now",
        "es": "{id} · el servidor no lo ofrece ahora",
    },
    "settings.loaded": {"en": "loaded", "es": "cargado"},
    "settings.not_loaded": {"en": "not loaded", "es": "no cargado"},
    "settings.context": {"en": "{tokens} tokens of context", "es": "{tokens} tokens de contexto"},
    "settings.server_default_for": {
        "en": "{name}: server default (Charla sends none)",
        "es": "{name}: lo decide el servidor (Charla no envía ningún valor)",
    },
    "settings.temperature": {"en": "Temperature", "es": "Temperatura"},
    "settings.temperature_help": {
        "en": "0 = always the most likely word; higher = more varied answers.",
        "es": "0 = siempre la palabra más probable; más alta = respuestas más variadas.",
    },
    "settings.no_limit": {"en": "No limit", "es": "Sin límite"},
    "settings.max_tokens": {"en": "Max tokens per answer", "es": "Máximo de tokens por respuesta"},
    "settings.max_tokens_help": {
        "en": "An answer stops at this length (shown as “cut by max_tokens”). “No limit” sends none: the answer runs until the model ends it or its context is full. The scale goes up to the model's context ({top} tokens).",
        "es": "Una respuesta se corta en esta longitud (se indica «cortada por max_tokens»). «Sin límite» no envía ninguno: la respuesta sigue hasta que el modelo la acaba o se llena su contexto. La escala llega hasta el contexto del modelo ({top} tokens).",
    },
    "settings.top_p": {"en": "Top P (nucleus sampling)", "es": "Top P (muestreo por núcleo)"},
    "settings.top_p_help": {
        "en": "Sample only from the most likely words that add up to this probability.",
        "es": "Elegir solo entre las palabras más probables que suman esta probabilidad.",
    },
    "settings.top_k": {"en": "Top K (candidate words)", "es": "Top K (palabras candidatas)"},
    "settings.top_k_help": {
        "en": "Sample only from this many most likely words (0 = no limit).",
        "es": "Elegir solo entre este número de palabras más probables (0 = sin límite).",
    },
    "settings.repeat_penalty": {"en": "Repeat penalty", "es": "Penalización por repetición"},
    "settings.repeat_penalty_help": {
        "en": "Above 1 discourages repeating words already written; 1 = no penalty.",
        "es": "Por encima de 1 evita repetir palabras ya escritas; 1 = sin penalización.",
    },
    "settings.seed": {"en": "Seed", "es": "Semilla"},
    "settings.seed_help": {
        "en": "The same seed, settings and conversation give the same answer. Server default: a random one each time.",
        "es": "La misma semilla, ajustes y conversación dan la misma respuesta. El del servidor: una aleatoria cada vez.",
    },
    "settings.stop": {
        "en": "Stop strings (one per line)",
        "es": "Secuencias de parada (una por línea)",
    },
    "settings.stop_help": {
        "en": "The answer ends when the model writes one of these (at most 4).",
        "es": "La respuesta termina cuando el modelo escribe una de estas (4 como máximo).",
    },
    "settings.system_prompt": {"en": "System prompt", "es": "Instrucciones del sistema"},
    "settings.system_prompt_help": {
        "en": "Sent before the conversation with every request. Empty: none is sent.",
        "es": "Se envían antes de la conversación en cada petición. Vacías: no se envía ninguna.",
    },
    "settings.save_defaults": {"en": "Save defaults", "es": "Guardar valores por defecto"},
    "settings.save_chat": {"en": "Save for this chat", "es": "Guardar para este chat"},
    "settings.reset_chat": {
        "en": "Follow the defaults again",
        "es": "Volver a seguir los valores por defecto",
    },
    "settings.saved_defaults": {"en": "Defaults saved.", "es": "Valores por defecto guardados."},
    "settings.saved_chat": {"en": "Saved for this chat.", "es": "Guardado para este chat."},
    "settings.chat_reset": {
        "en": "This chat now follows the defaults.",
        "es": "Este chat sigue ahora los valores por defecto.",
    },
    "settings.too_many_stops": {
        "en": "{count} stop strings given; servers accept at most {limit}. Remove some lines.",
        "es": "Hay {count} secuencias de parada; los servidores aceptan {limit} como máximo. Quita algunas líneas.",
    },
    "settings.max_tokens_over_context": {
        "en": "Max tokens ({max_tokens}) must be smaller than the context of {model} ({context} tokens), or the question would not fit. Lower it or pick “No limit”.",
        "es": "El máximo de tokens ({max_tokens}) debe ser menor que el contexto de {model} ({context} tokens), o la pregunta no cabría. Bájalo o elige «Sin límite».",
    },
    # --- interface -------------------------------------------------------------------------------
    "settings.interface": {"en": "Interface", "es": "Interfaz"},
    "settings.language": {"en": "Language", "es": "Idioma"},
}
