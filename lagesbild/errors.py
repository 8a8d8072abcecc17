"""Errors that carry a Swedish message meant for the user."""


class LagesbildError(Exception):
    """Base class: ``str(err)`` is a complete Swedish sentence for the user."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class ConfigError(LagesbildError):
    """The catalogue or settings are wrong."""


class DataError(LagesbildError):
    """A file or frame does not hold what we need.

    ``problems`` lists every problem found (the message may show only the first few);
    ``unknown`` maps a column to the category values the catalogue and profile do not know,
    so that a user can map them.
    """

    def __init__(self, message: str, problems: list[str] | None = None,
                 unknown: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.problems = problems if problems is not None else [message]
        self.unknown = unknown or {}


class GeoError(LagesbildError):
    """A geographic layer cannot be used."""


class UnknownError(LagesbildError):
    """A measure, dimension or value that the catalogue does not know."""
