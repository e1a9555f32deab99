"""Texts of files and images in a message (keys ``input.file*``, ``input.pdf*``, ``input.image*``,
``attachments.*``)."""

from __future__ import annotations

TEXTS: dict[str, dict[str, str]] = {
    # --- refusals: before anything is sent; the typed text is kept ---------------------------
    "input.file_too_large": {
        "en": "«{name}» is {size}; a file can be at most {limit}. Attach a smaller file, or paste the part you need.",
        "es": "«{name}» ocupa {size}; un archivo puede ocupar como mucho {limit}. Adjunta un archivo más pequeño o pega la parte que necesites.",
    },
    "input.file_text_too_long": {
        "en": "«{name}» holds {length} characters of text; a file can hold at most {limit}. Attach a part of it.",
        "es": "«{name}» contiene {length} caracteres de texto; un archivo puede contener como mucho {limit}. Adjunta una parte.",
    },
    "input.too_many_files": {
        "en": "{count} files are attached; a message can carry at most {limit}. Send them in several messages.",
        "es": "Hay {count} archivos adjuntos; un mensaje puede llevar como mucho {limit}. Envíalos en varios mensajes.",
    },
    "input.file_type_unsupported": {
        "en": "Charla cannot read «{name}». Attach text, Markdown, code, CSV, JSON or PDF files, or PNG, JPEG, WebP or GIF images.",
        "es": "Charla no puede leer «{name}». Adjunta archivos de texto, Markdown, código, CSV, JSON o PDF, o imágenes PNG, JPEG, WebP o GIF.",
    },
    "input.pdf_protected": {
        "en": "«{name}» is protected by a password, so its text cannot be read. Remove the password (or save it as a new PDF) and attach it again.",
        "es": "«{name}» está protegido con contraseña, así que no se puede leer su texto. Quita la contraseña (o guárdalo como un PDF nuevo) y adjúntalo otra vez.",
    },
    "input.pdf_unreadable": {
        "en": "«{name}» could not be read as a PDF: it may be damaged or not really a PDF. Open it and save it again, or paste its text.",
        "es": "«{name}» no se pudo leer como PDF: puede estar dañado o no ser un PDF. Ábrelo y guárdalo de nuevo, o pega su texto.",
    },
    "input.pdf_no_text": {
        "en": "«{name}» has no text to read (scanned pages are pictures). Paste the text, or attach the pages as images for a model with vision.",
        "es": "«{name}» no tiene texto que leer (las páginas escaneadas son imágenes). Pega el texto o adjunta las páginas como imágenes para un modelo con visión.",
    },
    "input.image_unreadable": {
        "en": "«{name}» could not be read as an image: it may be damaged, or too large. Attach it as PNG or JPEG.",
        "es": "«{name}» no se pudo leer como imagen: puede estar dañada o ser demasiado grande. Adjúntala como PNG o JPEG.",
    },
    "input.image_needs_vision": {
        "en": "The model {model} cannot see images (it has no vision). Choose a vision model, or remove the image and send the text.",
        "es": "El modelo {model} no puede ver imágenes (no tiene visión). Elige un modelo con visión, o quita la imagen y envía el texto.",
    },
    "input.file_over_context": {
        "en": "With «{name}» this message needs about {tokens} tokens, but the model's context holds {context_length}. Attach a shorter file or the part you need, or load the model with a larger context length.",
        "es": "Con «{name}» este mensaje necesita unos {tokens} tokens, pero el contexto del modelo admite {context_length}. Adjunta un archivo más corto o la parte que necesites, o carga el modelo con un contexto mayor.",
    },
    # --- in the chat ------------------------------------------------------------------------------
    "attachments.files_lost": {
        "en": "The attached files were not sent: attach them again with the message.",
        "es": "Los archivos adjuntos no se enviaron: adjúntalos otra vez con el mensaje.",
    },
    "attachments.kept_on_edit": {
        "en": "The files of this message are kept with the new version.",
        "es": "Los archivos de este mensaje se conservan en la nueva versión.",
    },
}
