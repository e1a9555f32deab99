"""Configuration (``settings``) and the database engine (``db``)."""
