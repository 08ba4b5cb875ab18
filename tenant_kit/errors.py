"""The one error a kit run reports: a single line, never a traceback."""


class KitError(Exception):
    """Bad input (an unknown tenant, a runtime the platform does not publish) or a kit that cannot be made; one line."""
