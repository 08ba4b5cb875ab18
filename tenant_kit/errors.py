"""The one error a kit run reports: a single line, never a traceback."""


class KitError(Exception):
    """Bad input (an unknown tenant, a kit a team edited) or a kit that cannot be made; one line."""
