"""Texts of the app frame: navigation, access check, connection badge (keys ``app.*``)."""

from __future__ import annotations

TEXTS: dict[str, dict[str, str]] = {
    # --- navigation ------------------------------------------------------------------------------
    "app.page_chat": {"en": "Chat", "es": "Chat"},
    "app.page_history": {"en": "History", "es": "Historial"},
    "app.page_settings": {"en": "Model settings", "es": "Ajustes del modelo"},
    "app.start_failed": {
        "en": "Charla cannot start.",
        "es": "Charla no puede arrancar.",
    },
    # --- access -------------------------------------------------------------------------------------
    "app.exposed": {
        "en": "Charla is listening on a network address ({address}) without a password, so anyone on the network could read your chats. Set CHARLA_PASSWORD in .env (or the environment) and restart, or listen on 127.0.0.1 only (server.address in .streamlit/config.toml).",
        "es": "Charla escucha en una dirección de red ({address}) sin contraseña, así que cualquiera en la red podría leer tus chats. Define CHARLA_PASSWORD en .env (o en el entorno) y reinicia, o escucha solo en 127.0.0.1 (server.address en .streamlit/config.toml).",
    },
    "app.locked_title": {"en": "Charla is locked", "es": "Charla está bloqueada"},
    "app.password": {"en": "Password", "es": "Contraseña"},
    "app.unlock": {"en": "Unlock", "es": "Desbloquear"},
    "app.wrong_password": {
        "en": "Wrong password. Try again (it is CHARLA_PASSWORD in the server's .env).",
        "es": "Contraseña incorrecta. Inténtalo de nuevo (es CHARLA_PASSWORD en el .env del servidor).",
    },
    # --- connection badge ------------------------------------------------------------------------
    "app.connected": {"en": "Connected", "es": "Conectado"},
    "app.not_connected": {"en": "Not connected", "es": "Sin conexión"},
    "app.model_loaded": {"en": "loaded", "es": "cargado"},
    "app.model_not_loaded": {
        "en": "not loaded yet (the first message loads it)",
        "es": "aún no cargado (el primer mensaje lo carga)",
    },
    "app.check_again": {"en": "Check again", "es": "Comprobar de nuevo"},
    # --- demo and server notices ----------------------------------------------------------------
    "app.no_server": {
        "en": "No model server answers at {url}. Start LM Studio's server (Developer tab → "
        "*Start server*), or run `make demo` to try Charla with a small bundled model.",
        "es": "Ningún servidor de modelos responde en {url}. Arranca el servidor de LM Studio "
        "(pestaña Developer → *Start server*) o ejecuta `make demo` para probar Charla con un "
        "modelo pequeño incluido.",
    },
    "app.demo_engine_stopped": {
        "en": "The demo's bundled model engine at {url} has stopped. Stop the app (Ctrl-C where "
        "`make demo` runs) and run `make demo` again.",
        "es": "El motor de modelo incluido en la demo, en {url}, se ha detenido. Detén la app "
        "(Ctrl-C donde se ejecuta `make demo`) y vuelve a ejecutar `make demo`.",
    },
}
