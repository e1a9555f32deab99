"""Texts of signing in and out, the users page (admins) and the ``users`` commands."""

from __future__ import annotations

TEXTS: dict[str, dict[str, str]] = {
    "users.no_such_person": {
        "en": "Nobody has signed in with {email} yet. Ask them to sign in once, then try again.",
        "es": "Nadie ha iniciado sesión con {email} todavía. Pide que inicie sesión una vez y "
        "vuelve a intentarlo.",
    },
    "users.several_people": {
        "en": "{count} people signed in with {email} (from different sign-in services); "
        "hand the chats over in the database by user id.",
        "es": "{count} personas iniciaron sesión con {email} (desde servicios distintos); "
        "pasa los chats en la base de datos por id de usuario.",
    },
    "users.claimed": {
        "en": "{count} chats now belong to {email}.",
        "es": "{count} chats pertenecen ahora a {email}.",
    },
    "users.claimed_one": {
        "en": "1 chat now belongs to {email}.",
        "es": "1 chat pertenece ahora a {email}.",
    },
    "users.sign_in_title": {"en": "Sign in to Charla", "es": "Inicia sesión en Charla"},
    "users.sign_in_body": {
        "en": "Each person has a private history here. Sign in to see your chats.",
        "es": "Aquí cada persona tiene su historial privado. Inicia sesión para ver tus chats.",
    },
    "users.sign_in": {"en": "Sign in", "es": "Iniciar sesión"},
    "users.sign_out": {"en": "Sign out", "es": "Cerrar sesión"},
    "users.signed_in_as": {"en": "Signed in as {name}", "es": "Sesión de {name}"},
    "users.no_proxy_identity": {
        "en": "Charla did not receive who you are from the sign-in proxy, so it shows nothing. "
        "Open Charla through your organisation's address, not the app's own port.",
        "es": "Charla no recibió quién eres desde el proxy de acceso, así que no muestra nada. "
        "Abre Charla por la dirección de tu organización, no por el puerto de la aplicación.",
    },
    "users.proxy_not_loopback": {
        "en": "CHARLA_AUTH is proxy, so Charla trusts an identity header and must listen on "
        "127.0.0.1 only. Start it with --server.address 127.0.0.1 behind your proxy.",
        "es": "CHARLA_AUTH es proxy, así que Charla confía en una cabecera de identidad y solo "
        "debe escuchar en 127.0.0.1. Arráncalo con --server.address 127.0.0.1 detrás del proxy.",
    },
    "users.auth_not_configured": {
        "en": "CHARLA_AUTH is oidc but .streamlit/secrets.toml has no [auth] section. Copy "
        ".streamlit/secrets.toml.example, fill it in and restart Charla.",
        "es": "CHARLA_AUTH es oidc pero .streamlit/secrets.toml no tiene sección [auth]. Copia "
        ".streamlit/secrets.toml.example, rellénalo y reinicia Charla.",
    },
    "users.page_title": {"en": "Users", "es": "Usuarios"},
    "users.page_caption": {
        "en": "Who uses Charla and how much. Their chats stay private.",
        "es": "Quién usa Charla y cuánto. Sus chats siguen siendo privados.",
    },
    "users.col_person": {"en": "Person", "es": "Persona"},
    "users.col_email": {"en": "Email", "es": "Correo"},
    "users.col_chats": {"en": "Chats", "es": "Chats"},
    "users.col_messages": {"en": "Messages", "es": "Mensajes"},
    "users.col_last_seen": {"en": "Last seen", "es": "Última visita"},
    "users.col_since": {"en": "Since", "es": "Desde"},
    "users.never": {"en": "never", "es": "nunca"},
    "users.local_person": {"en": "Local (single-user history)", "es": "Local (historial único)"},
}
