"""Model servers. ``llm_studio_api`` talks to LM Studio and any OpenAI-compatible server."""
