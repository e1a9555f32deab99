"""Texts of errors and input validation (keys ``error.*``, ``input.*``)."""

from __future__ import annotations

TEXTS: dict[str, dict[str, str]] = {
    # --- errors: what happened, then what to do --------------------------------------------------
    "error.unexpected": {
        "en": "Something unexpected went wrong: {detail}",
        "es": "Algo inesperado ha fallado: {detail}",
    },
    "error.config": {
        "en": "Configuration key {key} is wrong: {detail}. Fix it in .env or the environment and restart.",
        "es": "La clave de configuración {key} es incorrecta: {detail}. Corrígela en .env o en el entorno y reinicia.",
    },
    "error.input": {
        "en": "This input cannot be used: {detail}",
        "es": "No se puede usar esta entrada: {detail}",
    },
    "input.empty_message": {
        "en": "The message is empty. Type something before sending.",
        "es": "El mensaje está vacío. Escribe algo antes de enviarlo.",
    },
    "input.message_too_long": {
        "en": "The message is too long ({length} characters; the limit is {limit}). Shorten it or split it.",
        "es": "El mensaje es demasiado largo ({length} caracteres; el límite es {limit}). Acórtalo o divídelo.",
    },
    "input.nul_character": {
        "en": "The text contains a NUL character, which cannot be stored. Remove it and try again.",
        "es": "El texto contiene un carácter NUL, que no se puede guardar. Quítalo e inténtalo de nuevo.",
    },
    "input.invalid_characters": {
        "en": "The text contains characters that cannot be stored (a broken emoji or an unpaired surrogate). Remove them and try again.",
        "es": "El texto contiene caracteres que no se pueden guardar (un emoji roto o un sustituto sin pareja). Quítalos e inténtalo de nuevo.",
    },
    "input.out_of_range": {
        "en": "{name} must be between {low} and {high} (got {value}).",
        "es": "{name} debe estar entre {low} y {high} (se recibió {value}).",
    },
    "input.invalid_value": {
        "en": "{name} has an invalid value: {value}.",
        "es": "{name} tiene un valor no válido: {value}.",
    },
    "input.bad_sender": {
        "en": "Unknown sender {value!r}: use 'user' or 'llm'.",
        "es": "Remitente desconocido {value!r}: usa 'user' o 'llm'.",
    },
    "input.bad_status": {
        "en": "Unknown message status {value!r}.",
        "es": "Estado de mensaje desconocido {value!r}.",
    },
    "input.nothing_to_regenerate": {
        "en": "There is no message to answer again in this chat.",
        "es": "No hay ningún mensaje que volver a responder en este chat.",
    },
    "input.not_a_user_message": {
        "en": "Only your own messages can be edited; regenerate an answer instead.",
        "es": "Solo se pueden editar tus mensajes; regenera la respuesta en su lugar.",
    },
    "input.empty_tag": {
        "en": "The tag is empty. Type a name for it.",
        "es": "La etiqueta está vacía. Escribe un nombre.",
    },
    "input.empty_title": {
        "en": "The title is empty. Type a title.",
        "es": "El título está vacío. Escribe un título.",
    },
    "error.not_found": {"en": "Not found: {detail}", "es": "No encontrado: {detail}"},
    "error.not_signed_in": {
        "en": "You are not signed in. Sign in to see your chats.",
        "es": "No has iniciado sesión. Inicia sesión para ver tus chats.",
    },
    "error.admins_only": {
        "en": "Only administrators (CHARLA_ADMINS) can see this page.",
        "es": "Solo los administradores (CHARLA_ADMINS) pueden ver esta página.",
    },
    "error.chat_not_found": {
        "en": "Chat {chat_id} does not exist (it may have been deleted). Pick another chat or start a new one.",
        "es": "El chat {chat_id} no existe (puede que se haya borrado). Elige otro chat o empieza uno nuevo.",
    },
    "error.message_not_found": {
        "en": "Message {message_id} does not exist (it may have been deleted).",
        "es": "El mensaje {message_id} no existe (puede que se haya borrado).",
    },
    "error.provider": {
        "en": "The model server reported a problem: {detail}",
        "es": "El servidor del modelo informó de un problema: {detail}",
    },
    "error.server_unreachable": {
        "en": "Cannot reach the model server at {url}. Start LM Studio, open the Developer tab and "
        "switch on 'Start server' (or run `lms server start`), or fix LM_STUDIO_URL. No LM Studio? "
        "`make demo` runs Charla with a small bundled model.",
        "es": "No se puede conectar con el servidor del modelo en {url}. Abre LM Studio, ve a la pestaña "
        "Developer y activa 'Start server' (o ejecuta `lms server start`), o corrige LM_STUDIO_URL. "
        "¿No tienes LM Studio? `make demo` ejecuta Charla con un modelo pequeño incluido.",
    },
    "error.wrong_url": {
        "en": "Something answers at {url}, but it is not an OpenAI-compatible model server ({detail}). "
        "Check LM_STUDIO_URL: it should look like http://127.0.0.1:1234.",
        "es": "Algo responde en {url}, pero no es un servidor de modelos compatible con OpenAI ({detail}). "
        "Revisa LM_STUDIO_URL: debería ser como http://127.0.0.1:1234.",
    },
    "error.auth": {
        "en": "The model server at {url} refused the request (HTTP {status}): it needs an API key. "
        "Set LM_STUDIO_API_KEY in .env to the server's key and restart.",
        "es": "El servidor del modelo en {url} rechazó la petición (HTTP {status}): necesita una clave de API. "
        "Pon la clave del servidor en LM_STUDIO_API_KEY en .env y reinicia.",
    },
    "error.no_model": {
        "en": "The server has no model loaded. Load one in LM Studio (Developer tab, or `lms load <model>`) "
        "or pick a model on the Settings page.",
        "es": "El servidor no tiene ningún modelo cargado. Carga uno en LM Studio (pestaña Developer, o "
        "`lms load <modelo>`) o elige un modelo en la página de Ajustes.",
    },
    "error.not_enough_memory": {
        "en": "The server could not load '{model}': not enough memory. Unload another model, pick a "
        "shorter context length or a smaller quantization, and try again.",
        "es": "El servidor no pudo cargar '{model}': no hay memoria suficiente. Descarga otro modelo, "
        "elige un contexto más corto o una cuantización más pequeña, e inténtalo de nuevo.",
    },
    "error.preset_not_found": {
        "en": "Preset {preset_id} does not exist (it may have been deleted). Pick another preset.",
        "es": "El preset {preset_id} no existe (puede que se haya borrado). Elige otro preset.",
    },
    "error.model_not_found": {
        "en": "The server does not know the model '{model}'. Pick an available model on the Settings page "
        "or download it in LM Studio.",
        "es": "El servidor no conoce el modelo '{model}'. Elige un modelo disponible en la página de Ajustes "
        "o descárgalo en LM Studio.",
    },
    "error.context_overflow": {
        "en": "The conversation is too long for the model's context window. Start a new chat, lower "
        "max_tokens, or load the model with a larger context length.",
        "es": "La conversación es demasiado larga para la ventana de contexto del modelo. Empieza un chat "
        "nuevo, baja max_tokens o carga el modelo con un contexto mayor.",
    },
    "error.message_over_context": {
        "en": "Your message alone needs about {tokens} tokens, but the model's context holds {context_length}. Shorten it or split it, or load the model with a larger context length. Your message is kept.",
        "es": "Tu mensaje por sí solo necesita unos {tokens} tokens, pero el contexto del modelo admite {context_length}. Acórtalo o divídelo, o carga el modelo con un contexto mayor. Tu mensaje se conserva.",
    },
    "input.message_over_context": {
        "en": "This message needs about {tokens} tokens, but the model's context holds {context_length}: it cannot be answered as it is. Shorten it or split it, or load the model with a larger context length.",
        "es": "Este mensaje necesita unos {tokens} tokens, pero el contexto del modelo admite {context_length}: no se puede responder tal como está. Acórtalo o divídelo, o carga el modelo con un contexto mayor.",
    },
    "input.chat_busy": {
        "en": "This chat is still answering. Wait for the answer to finish, or press Stop, then send again. Your message is kept below.",
        "es": "Este chat todavía está respondiendo. Espera a que termine la respuesta, o pulsa Detener, y vuelve a enviar. Tu mensaje se conserva abajo.",
    },
    "error.timeout": {
        "en": "The model server did not answer in time ({detail}). It may still be loading the model: "
        "wait and retry, or raise LM_STUDIO_READ_TIMEOUT.",
        "es": "El servidor del modelo no respondió a tiempo ({detail}). Puede que aún esté cargando el modelo: "
        "espera y reintenta, o sube LM_STUDIO_READ_TIMEOUT.",
    },
    "error.server_failure": {
        "en": "The model server failed (HTTP {status}): {detail}. Check LM Studio's log; reload the "
        "model if it crashed, then retry.",
        "es": "El servidor del modelo falló (HTTP {status}): {detail}. Revisa el registro de LM Studio; "
        "recarga el modelo si se ha caído y reintenta.",
    },
    "error.bad_request": {
        "en": "The model server refused the request (HTTP {status}): {detail}. Check the generation "
        "settings on the Settings page.",
        "es": "El servidor del modelo rechazó la petición (HTTP {status}): {detail}. Revisa los ajustes "
        "de generación en la página de Ajustes.",
    },
    "error.stream_failed": {
        "en": "The model server reported an error while answering: {detail}. Retry; if it repeats, "
        "check LM Studio's log.",
        "es": "El servidor del modelo informó de un error mientras respondía: {detail}. Reintenta; si se "
        "repite, revisa el registro de LM Studio.",
    },
    "error.stream_interrupted": {
        "en": "The answer was cut off: the connection to the model server ended before the answer was "
        "complete. What arrived is kept. Check that the server is still running, then retry.",
        "es": "La respuesta se cortó: la conexión con el servidor terminó antes de completarla. Se guarda "
        "lo recibido. Comprueba que el servidor sigue en marcha y reintenta.",
    },
    "error.empty_answer": {
        "en": "The model finished without writing anything. This often means the conversation no longer "
        "fits its context: start a new chat or load the model with a larger context, then retry.",
        "es": "El modelo terminó sin escribir nada. Suele significar que la conversación ya no cabe en su "
        "contexto: empieza un chat nuevo o carga el modelo con más contexto y reintenta.",
    },
    "error.interrupted": {
        "en": "This answer was interrupted (the app stopped while it was being written). What arrived is kept.",
        "es": "Esta respuesta se interrumpió (la app se detuvo mientras se escribía). Se guarda lo recibido.",
    },
    # --- demo and server notices ----------------------------------------------------------------
    "error.demo_engine_stopped": {
        "en": "The demo's bundled model engine at {url} has stopped, so nothing answers. Stop the app "
        "(Ctrl-C where `make demo` runs) and run `make demo` again.",
        "es": "El motor de modelo incluido en la demo, en {url}, se ha detenido y nada responde. Detén "
        "la app (Ctrl-C donde se ejecuta `make demo`) y vuelve a ejecutar `make demo`.",
    },
}
