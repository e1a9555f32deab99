"""Texts of the Compare page: one prompt, several models side by side (keys ``compare.*``).

The live statistics reuse the chat page's ``msg.ttft``, ``msg.speed`` and ``msg.tokens``."""

from __future__ import annotations

TEXTS: dict[str, dict[str, str]] = {
    "compare.page": {"en": "Compare", "es": "Comparar"},
    "compare.title": {"en": "Compare models side by side", "es": "Compara modelos lado a lado"},
    "compare.caption": {
        "en": "One prompt, two to four models: the answers are written side by side with their speed, and stored. Keep the one you like to go on chatting with it.",
        "es": "Un prompt, de dos a cuatro modelos: las respuestas se escriben lado a lado con su velocidad, y se guardan. Quédate con la que te guste para seguir chateando con ella.",
    },
    # --- the form --------------------------------------------------------------------------------
    "compare.prompt": {"en": "Prompt", "es": "Prompt"},
    "compare.prompt_placeholder": {
        "en": "What every model should answer",
        "es": "Lo que debe responder cada modelo",
    },
    "compare.system_prompt": {"en": "System prompt", "es": "Prompt de sistema"},
    "compare.system_prompt_help": {
        "en": "Sent to every model as it is; leave it empty to send none.",
        "es": "Se envía tal cual a cada modelo; déjalo vacío para no enviar ninguno.",
    },
    "compare.models": {"en": "Models", "es": "Modelos"},
    "compare.models_help": {
        "en": "Two to four models of the server's list. A model that is not loaded is loaded when its turn comes (LM Studio loads models on demand).",
        "es": "De dos a cuatro modelos de la lista del servidor. Un modelo que no está cargado se carga cuando le toca (LM Studio carga los modelos bajo demanda).",
    },
    "compare.models_placeholder": {"en": "Choose models", "es": "Elige modelos"},
    "compare.not_loaded": {"en": "{model} (not loaded)", "es": "{model} (no cargado)"},
    "compare.one_at_a_time": {
        "en": "One at a time (fair timing)",
        "es": "De uno en uno (tiempos justos)",
    },
    "compare.one_at_a_time_help": {
        "en": "Models that answer at once share your machine, and a server that answers one request at a time makes the others wait: their times would include that. Turn this off only for a server that answers several requests in parallel.",
        "es": "Los modelos que responden a la vez comparten tu máquina, y un servidor que atiende una petición cada vez hace esperar a las demás: sus tiempos lo incluirían. Desactívalo solo con un servidor que atienda varias peticiones en paralelo.",
    },
    "compare.start": {"en": "Compare", "es": "Comparar"},
    "compare.no_models": {
        "en": "The model server offers fewer than two chat models, so there is nothing to compare.",
        "es": "El servidor de modelos ofrece menos de dos modelos de chat, así que no hay nada que comparar.",
    },
    "compare.no_model_list": {
        "en": "Cannot read the server's models.",
        "es": "No se puede leer la lista de modelos del servidor.",
    },
    "compare.need_models": {
        "en": "Choose between {low} and {high} different models.",
        "es": "Elige entre {low} y {high} modelos distintos.",
    },
    "compare.not_an_answer": {
        "en": "That is not one of this comparison's answers.",
        "es": "Esa no es una de las respuestas de esta comparación.",
    },
    # --- following the answers -------------------------------------------------------------------
    "compare.prompt_shown": {"en": "Prompt", "es": "Prompt"},
    "compare.queued": {"en": "Waiting for its turn…", "es": "Esperando su turno…"},
    "compare.loading": {"en": "Loading the model…", "es": "Cargando el modelo…"},
    "compare.waiting": {"en": "Reading the prompt…", "es": "Leyendo el prompt…"},
    "compare.writing": {"en": "Writing…", "es": "Escribiendo…"},
    "compare.stop": {"en": "Stop", "es": "Detener"},
    "compare.cold": {
        "en": "the first token includes loading the model",
        "es": "el primer token incluye la carga del modelo",
    },
    "compare.cold_help": {
        "en": "The server had to load this model first and could not say how long that took (LM Studio 0.4 or later can): its time to first token includes the load.",
        "es": "El servidor tuvo que cargar primero este modelo y no pudo decir cuánto tardó (LM Studio 0.4 o posterior sí puede): su tiempo hasta el primer token incluye la carga.",
    },
    "compare.loaded_apart": {
        "en": "model loaded first in {seconds} s, not counted in its time to first token",
        "es": "modelo cargado antes en {seconds} s, sin contarlo en su tiempo hasta el primer token",
    },
    # --- the result ------------------------------------------------------------------------------
    "compare.fastest": {
        "en": "Fastest: **{model}** ({value} tok/s)",
        "es": "Más rápido: **{model}** ({value} tok/s)",
    },
    "compare.quickest": {
        "en": "First to start: **{model}** ({value} s)",
        "es": "Primero en empezar: **{model}** ({value} s)",
    },
    "compare.shortest": {
        "en": "Shortest: **{model}** ({count} tokens)",
        "es": "Más corta: **{model}** ({count} tokens)",
    },
    "compare.longest": {
        "en": "Longest: **{model}** ({count} tokens)",
        "es": "Más larga: **{model}** ({count} tokens)",
    },
    "compare.no_summary": {
        "en": "No answer finished normally, so there is nothing to rank.",
        "es": "Ninguna respuesta terminó con normalidad, así que no hay nada que clasificar.",
    },
    "compare.keep": {"en": "Keep this answer", "es": "Quedarme con esta"},
    "compare.keep_help": {
        "en": "Turns the comparison into a chat with this answer, to go on with this model. The other answers stay as its other versions (‹ 1 / N ›).",
        "es": "Convierte la comparación en un chat con esta respuesta, para seguir con este modelo. Las demás respuestas quedan como sus otras versiones (‹ 1 / N ›).",
    },
    "compare.kept": {
        "en": "This comparison was kept as a chat.",
        "es": "Esta comparación se conservó como chat.",
    },
    "compare.open_chat": {"en": "Open the chat", "es": "Abrir el chat"},
    "compare.new": {"en": "New comparison", "es": "Nueva comparación"},
    "compare.recent": {"en": "Recent comparisons", "es": "Comparaciones recientes"},
    "compare.recent_item": {"en": "{title} · {when}", "es": "{title} · {when}"},
    "compare.not_found": {
        "en": "This comparison no longer exists.",
        "es": "Esta comparación ya no existe.",
    },
}
