"""Input the translator refuses: each message one line, saying where and what to do."""

from __future__ import annotations

from ..errors import KitError


class TranslationInputError(KitError):
    """SQL the translator cannot read at all: nothing is translated."""


class SqlSyntaxError(TranslationInputError):
    """Source SQL that does not parse; the message names its line and column."""


class UnknownDialect(TranslationInputError):
    """A dialect the translator does not read or write; the message lists the known ones."""


class EmptyScript(TranslationInputError):
    """A script with no statement in it (empty, blank, or only comments)."""


class UnreadableInput(TranslationInputError):
    """A file that does not exist, cannot be read, or is not UTF-8 text."""
