"""Model servers: LM Studio and any OpenAI-compatible server, one job per module.

- ``llm_studio_api``  the seed's import path: ``lm_studio_provider`` and the names callers import
- ``client``          ``LMStudioAPIProvider``: the app's sync face and the seed's async face
- ``connection``      what a provider talks to its server with, built on first use
- ``catalog``         model lists in their three shapes, context lengths, connection status
- ``http``            clients, headers, timeouts, TLS and the one retry policy (sync and async sends)
- ``payload``         the request body
- ``stream``          SSE → chunks (one decoder for both faces); ``ReplyStream`` and ``StreamStats``
- ``reasoning``       thinking apart from the answer: ``ThinkSplitter``, ``AnswerParts``
- ``translate``       HTTP, stream and transport failures → :mod:`core.errors`

A module imports only modules listed below it: ``translate``, ``reasoning`` and ``payload`` need
none of the others, ``stream`` and ``http`` only those, and nothing imports ``client`` but the facade.
"""
