"""Persistence: typed models, the engine and session factory, and the queries.

This floor imports nothing from `bot/` or `handlers/`.
"""
