"""Charla's domain: everything the app does except drawing pages.

Layout (each folder one job; nothing here imports ``streamlit``):

- ``conf/``          configuration from the environment / ``.env`` and the database engine.
- ``models.py``      the SQLAlchemy tables (chats, messages, app settings).
- ``repositories/``  the only code that queries the database; hands out plain dataclasses.
- ``providers/``     talking to LM Studio and other OpenAI-compatible servers.
- ``services/``      use cases that combine storage and provider (the chat flow).
- ``export.py``      CSV export of the history.
- ``errors.py``      one exception tree; every failure a user can meet has a class and advice.
- ``i18n.py``        every user-facing text, in English and Spanish.
"""
