"""Texts of model control: the model list, loading and unloading (settings page, chat menu)."""

from __future__ import annotations

TEXTS: dict[str, dict[str, str]] = {
    "models.title": {"en": "Models", "es": "Modelos"},
    "models.help": {
        "en": "Load a model with the context length you want, or unload it to free memory.",
        "es": "Carga un modelo con el contexto que quieras, o descárgalo para liberar memoria.",
    },
    "models.pick": {"en": "Model", "es": "Modelo"},
    "models.context_length": {"en": "Context length (tokens)", "es": "Contexto (tokens)"},
    "models.load": {"en": "Load", "es": "Cargar"},
    "models.unload": {"en": "Unload", "es": "Descargar"},
    "models.loading": {
        "en": "Loading {model} with {tokens} tokens of context…",
        "es": "Cargando {model} con {tokens} tokens de contexto…",
    },
    "models.loaded_in": {
        "en": "{model} loaded in {seconds:.1f} s.",
        "es": "{model} cargado en {seconds:.1f} s.",
    },
    "models.unloaded": {"en": "{model} unloaded.", "es": "{model} descargado."},
    "models.loaded_instance": {
        "en": "loaded, {tokens} tokens of context",
        "es": "cargado, {tokens} tokens de contexto",
    },
    "models.not_loaded": {"en": "not loaded", "es": "no cargado"},
    "models.max_context": {"en": "up to {tokens} tokens", "es": "hasta {tokens} tokens"},
    "models.vision": {"en": "vision", "es": "visión"},
    "models.tools": {"en": "tool use", "es": "herramientas"},
    "models.reasoning": {"en": "reasoning", "es": "razonamiento"},
    "models.size": {"en": "{size:.1f} GB", "es": "{size:.1f} GB"},
    "models.menu": {"en": "Model", "es": "Modelo"},
    "models.jit_notice": {
        "en": "{model} is not loaded: the first answer loads it, which can take a while.",
        "es": "{model} no está cargado: la primera respuesta lo carga, y puede tardar.",
    },
    "models.loading_model": {"en": "loading model…", "es": "cargando el modelo…"},
}
