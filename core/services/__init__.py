"""Use cases that combine storage and the provider: the chat flow and the history."""
