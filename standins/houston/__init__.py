"""A Houston stand-in for tests and the end-to-end run: a GraphQL server written from public sources.

It is not Houston, whose source is private: see ``standins.houston.server`` for what it reproduces and
docs/houston.md for what it cannot tell.
"""
