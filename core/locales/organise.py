"""Texts of organising chats: pin, archive, tags — in the chat's menu, in History's filters and
in History's actions on several selected chats (keys ``organise.*``)."""

from __future__ import annotations

TEXTS: dict[str, dict[str, str]] = {
    # --- the chat's menu -----------------------------------------------------------------------
    "organise.pin": {"en": "Pin", "es": "Fijar"},
    "organise.unpin": {"en": "Unpin", "es": "Desfijar"},
    "organise.archive": {"en": "Archive", "es": "Archivar"},
    "organise.unarchive": {"en": "Unarchive", "es": "Desarchivar"},
    "organise.tags": {"en": "Tags", "es": "Etiquetas"},
    "organise.tags_title": {"en": "Tags of this chat", "es": "Etiquetas de este chat"},
    "organise.tags_label": {"en": "Tags", "es": "Etiquetas"},
    "organise.tags_help": {
        "en": "Pick tags or type a new one and press Enter. Case does not matter.",
        "es": "Elige etiquetas o escribe una nueva y pulsa Intro. Mayúsculas y minúsculas dan igual.",
    },
    "organise.save": {"en": "Save", "es": "Guardar"},
    "organise.pinned_done": {"en": "Pinned.", "es": "Fijado."},
    "organise.unpinned_done": {"en": "Unpinned.", "es": "Desfijado."},
    "organise.archived_done": {
        "en": "Archived: it stays in History and search.",
        "es": "Archivado: sigue en el Historial y en la búsqueda.",
    },
    "organise.unarchived_done": {
        "en": "Back in the sidebar.",
        "es": "De vuelta en la barra lateral.",
    },
    "organise.tags_done": {"en": "Tags saved.", "es": "Etiquetas guardadas."},
    # --- History's filters ---------------------------------------------------------------------
    "organise.manage_tags": {"en": "Manage tags", "es": "Gestionar etiquetas"},
    "organise.tag_count": {"en": "{tag} ({count} chats)", "es": "{tag} ({count} chats)"},
    "organise.tag_count_one": {"en": "{tag} (1 chat)", "es": "{tag} (1 chat)"},
    "organise.new_name": {"en": "New name", "es": "Nombre nuevo"},
    "organise.rename_tag": {"en": "Rename", "es": "Renombrar"},
    "organise.delete_tag": {"en": "Remove from every chat", "es": "Quitar de todos los chats"},
    "organise.delete_tag_confirm": {
        "en": "Remove the tag «{tag}» from its {count} chats? The chats stay.",
        "es": "¿Quitar la etiqueta «{tag}» de sus {count} chats? Los chats se quedan.",
    },
    "organise.delete_tag_confirm_one": {
        "en": "Remove the tag «{tag}» from its chat? The chat stays.",
        "es": "¿Quitar la etiqueta «{tag}» de su chat? El chat se queda.",
    },
    "organise.tag_renamed": {"en": "«{old}» is now «{tag}».", "es": "«{old}» ahora es «{tag}»."},
    "organise.tag_deleted": {
        "en": "The tag «{tag}» is gone; its chats stay.",
        "es": "La etiqueta «{tag}» ya no está; sus chats se quedan.",
    },
    "organise.tag_filter": {"en": "Tag", "es": "Etiqueta"},
    "organise.all_tags": {"en": "All tags", "es": "Todas las etiquetas"},
    "organise.show": {"en": "Show", "es": "Mostrar"},
    "organise.show_all": {"en": "All chats", "es": "Todos los chats"},
    "organise.show_pinned": {"en": "Pinned", "es": "Fijados"},
    "organise.show_archived": {"en": "Archived", "es": "Archivados"},
    "organise.show_active": {"en": "Not archived", "es": "No archivados"},
    "organise.col_tags": {"en": "Tags", "es": "Etiquetas"},
    "organise.col_pinned": {"en": "Pinned", "es": "Fijado"},
    # --- History's actions on the selected chats -----------------------------------------------
    "organise.selected": {"en": "{count} chats selected", "es": "{count} chats seleccionados"},
    "organise.selected_one": {"en": "1 chat selected", "es": "1 chat seleccionado"},
    "organise.delete_selected": {"en": "Delete", "es": "Borrar"},
    "organise.delete_confirm": {
        "en": "Delete {count} chats and all their messages? This cannot be undone.",
        "es": "¿Borrar {count} chats y todos sus mensajes? No se puede deshacer.",
    },
    "organise.delete_confirm_one": {
        "en": "Delete 1 chat and all its messages? This cannot be undone.",
        "es": "¿Borrar 1 chat y todos sus mensajes? No se puede deshacer.",
    },
    "organise.deleted": {"en": "{count} chats deleted.", "es": "{count} chats borrados."},
    "organise.deleted_one": {"en": "1 chat deleted.", "es": "1 chat borrado."},
    "organise.add_tag": {"en": "Add tag", "es": "Añadir etiqueta"},
    "organise.tag_name": {"en": "Tag name", "es": "Nombre de la etiqueta"},
    "organise.tagged": {"en": "Tagged “{tag}”.", "es": "Etiquetado «{tag}»."},
    "organise.done": {"en": "Done.", "es": "Hecho."},
}
