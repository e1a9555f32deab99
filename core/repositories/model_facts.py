"""``ModelFactRepository``: what was learnt about each model (its context length), kept across
restarts, so a model whose server does not say its context is asked only once."""

from __future__ import annotations

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from core.models import ModelFact, utcnow

# Read on the way to every answer's first token (core.repositories.statements says why built once).
_CONTEXT_LENGTH = select(ModelFact.context_length).where(ModelFact.model == bindparam("model"))


class ModelFactRepository:
    def __init__(self, db: Session) -> None:
        self.db = db

    def context_length(self, model: str) -> int | None:
        return self.db.connection().execute(_CONTEXT_LENGTH, {"model": model}).scalar()

    def learn_context_length(self, model: str, context_length: int, source: str) -> None:
        """Remember ``context_length`` for ``model`` (``source``: where it was learnt)."""
        fact = self.db.get(ModelFact, model)
        if fact is None:
            self.db.add(
                ModelFact(
                    model=model, context_length=context_length, source=source, updated_at=utcnow()
                )
            )
        else:
            fact.context_length, fact.source = context_length, source
        self.db.flush()
