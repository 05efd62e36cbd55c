"""Janus 1.1 VideoRoom as the large-deployment media backend (docs/architecture.md, "Media", "Janus").

client.py: Janus's HTTP API from asyncio; backend.py: the rooms our server controls in Janus, behind the
``MediaBackend`` interface; config.py: Janus's configuration files written from our settings (tests, dev).
"""
