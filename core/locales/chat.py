"""Texts of the chat page and of the message rendering shared with History (keys ``chat.*``, ``msg.*``)."""

from __future__ import annotations

TEXTS: dict[str, dict[str, str]] = {
    # --- one rendered message (ui/render.py, also used by History) -------------------------------
    "msg.thinking": {"en": "Thinking", "es": "Razonamiento"},
    "msg.tokens": {"en": "{count} tokens", "es": "{count} tokens"},
    "msg.tokens_one": {"en": "1 token", "es": "1 token"},
    "msg.ttft": {"en": "first token {seconds:.2f} s", "es": "primer token {seconds:.2f} s"},
    "msg.speed": {"en": "{rate:.1f} tok/s", "es": "{rate:.1f} tok/s"},
    "msg.status_stopped": {"en": "stopped", "es": "detenida"},
    "msg.status_interrupted": {"en": "interrupted", "es": "interrumpida"},
    "msg.status_streaming": {"en": "being written", "es": "escribiéndose"},
    "msg.status_failed": {"en": "failed", "es": "falló"},
    "msg.status_length": {"en": "cut by max_tokens", "es": "cortada por max_tokens"},
    "msg.status_context_full": {
        "en": "cut: the model's context is full",
        "es": "cortada: el contexto del modelo está lleno",
    },
    # --- a message's versions and menu (ui/message_actions.py) ------------------------------------
    "msg.version": {"en": "{index} / {count}", "es": "{index} / {count}"},
    "msg.previous_version": {"en": "Previous version", "es": "Versión anterior"},
    "msg.next_version": {"en": "Next version", "es": "Versión siguiente"},
    "msg.menu": {"en": "Actions for this message", "es": "Acciones de este mensaje"},
    "msg.action_edit": {"en": "Edit (keeps this version)", "es": "Editar (conserva esta versión)"},
    "msg.action_regenerate": {
        "en": "Regenerate (keeps this answer)",
        "es": "Regenerar (conserva esta respuesta)",
    },
    "msg.action_delete": {"en": "Delete this version…", "es": "Borrar esta versión…"},
    "msg.delete_version_confirm": {
        "en": "Delete this version and the {count} messages after it? The other versions stay. This cannot be undone.",
        "es": "¿Borrar esta versión y los {count} mensajes que la siguen? Las otras versiones se quedan. No se puede deshacer.",
    },
    "msg.version_deleted": {"en": "Version deleted.", "es": "Versión borrada."},
    # --- chat page -------------------------------------------------------------------------------
    "chat.placeholder": {"en": "Message the model…", "es": "Escribe al modelo…"},
    "chat.welcome_title": {"en": "New chat", "es": "Chat nuevo"},
    "chat.welcome": {
        "en": "Type a message below to start a chat. It is saved as soon as you send it.",
        "es": "Escribe un mensaje abajo para empezar un chat. Se guarda en cuanto lo envías.",
    },
    "chat.empty": {
        "en": "No messages yet: type the first one below.",
        "es": "Aún no hay mensajes: escribe el primero abajo.",
    },
    "chat.untitled": {"en": "Untitled chat", "es": "Chat sin título"},
    "chat.new": {"en": "New chat", "es": "Chat nuevo"},
    "chat.no_chats": {"en": "No chats yet.", "es": "Aún no hay chats."},
    "chat.more_chats": {"en": "More chats", "es": "Más chats"},
    "chat.manage": {"en": "Options", "es": "Opciones"},
    "chat.menu_settings": {"en": "Settings of this chat…", "es": "Ajustes de este chat…"},
    "chat.menu_rename": {"en": "Rename…", "es": "Renombrar…"},
    "chat.menu_delete": {"en": "Delete chat…", "es": "Borrar chat…"},
    "chat.rename_title": {"en": "Rename this chat", "es": "Renombrar este chat"},
    "chat.stop": {"en": "Stop", "es": "Detener"},
    "chat.waiting": {
        "en": "Sent when the answer above ends.",
        "es": "Se enviará cuando termine la respuesta de arriba.",
    },
    "chat.regenerate_failed": {
        "en": "The new version could not be written, so the previous one is shown (the failed attempt is kept among the versions). {reason}",
        "es": "No se pudo escribir la versión nueva, así que se muestra la anterior (el intento fallido se conserva entre las versiones). {reason}",
    },
    "chat.not_sent": {
        "en": "Not sent to the model: outside its context.",
        "es": "No se envía al modelo: fuera de su contexto.",
    },
    "chat.meter": {"en": "≈ {tokens} / {window} tokens", "es": "≈ {tokens} / {window} tokens"},
    "chat.meter_unknown": {
        "en": "≈ {tokens} tokens · the model's context size is not known yet",
        "es": "≈ {tokens} tokens · aún no se conoce el tamaño del contexto del modelo",
    },
    "chat.meter_left_out": {
        "en": "{count} older messages not sent",
        "es": "{count} mensajes anteriores no se envían",
    },
    "chat.settings_title": {"en": "Settings of this chat", "es": "Ajustes de este chat"},
    "chat.rename_label": {"en": "Title", "es": "Título"},
    "chat.rename": {"en": "Rename", "es": "Renombrar"},
    "chat.renamed": {"en": "Chat renamed.", "es": "Chat renombrado."},
    "chat.delete_confirm": {
        "en": "Delete «{title}» and all its messages? This cannot be undone.",
        "es": "¿Borrar «{title}» y todos sus mensajes? No se puede deshacer.",
    },
    "chat.delete_yes": {"en": "Yes, delete", "es": "Sí, borrar"},
    "chat.deleted": {"en": "Chat deleted.", "es": "Chat borrado."},
    "chat.cancel": {"en": "Cancel", "es": "Cancelar"},
    "chat.show_older": {
        "en": "Show {count} older messages ({total} hidden)",
        "es": "Mostrar {count} mensajes anteriores ({total} ocultos)",
    },
    "chat.regenerate": {"en": "Regenerate", "es": "Regenerar"},
    "chat.retry": {"en": "Retry", "es": "Reintentar"},
    "chat.edit_label": {"en": "Your message", "es": "Tu mensaje"},
    "chat.edit_note": {
        "en": "Sending adds a new version of this message and answers it; the current one stays.",
        "es": "Al enviar se añade una versión nueva de este mensaje y se responde; la actual se queda.",
    },
    "chat.resend": {"en": "Send", "es": "Enviar"},
    "chat.draft_kept": {
        "en": "Your message was not sent; here it is so you can fix it.",
        "es": "Tu mensaje no se envió; aquí lo tienes para corregirlo.",
    },
    "chat.draft_label": {"en": "Your message", "es": "Tu mensaje"},
    "chat.send_draft": {"en": "Send", "es": "Enviar"},
    "chat.discard_draft": {"en": "Discard", "es": "Descartar"},
    # --- ui polish: day groups of the sidebar list (ui/chat_list.py), the copy button (ui/copy_button.py)
    "chat.group_today": {"en": "Today", "es": "Hoy"},
    "chat.group_yesterday": {"en": "Yesterday", "es": "Ayer"},
    "chat.group_week": {"en": "Previous 7 days", "es": "Últimos 7 días"},
    "chat.group_older": {"en": "Older", "es": "Anteriores"},
    "msg.copy": {"en": "Copy", "es": "Copiar"},
    "msg.copy_help": {"en": "Copy this message", "es": "Copiar este mensaje"},
    "msg.copied": {"en": "Copied", "es": "Copiado"},
    "msg.copy_failed": {"en": "Could not copy", "es": "No se pudo copiar"},
}
