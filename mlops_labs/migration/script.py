"""A Redshift script split into statements, each with its tokens and place in the file."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import sqlglot
from sqlglot.errors import ParseError, TokenError
from sqlglot.tokens import Token, TokenType

from .errors import EmptyScript, SqlSyntaxError

_COMMANDS = sqlglot.Dialect.get_or_raise("redshift").tokenizer_class.COMMANDS


@dataclass(frozen=True)
class Statement:
    """One statement of a script: its text and tokens, positions counted in the whole script."""

    text: str
    start: int  # offset of its first character in the script
    tokens: tuple[Token, ...]

    @property
    def line(self) -> int:
        """The line its first token is on (1-based)."""
        return self.tokens[0].line

    @property
    def words(self) -> list[str]:
        """Its tokens' texts, upper-cased (string literals as written inside their quotes)."""
        return [token.text.upper() for token in self.tokens]

    def masked(self, script: str) -> str:
        """The script up to this statement with everything but line breaks blanked, then it.

        Parsed in this form, sqlglot's lines and columns are the script's own.
        """
        before = "".join("\n" if char == "\n" else " " for char in script[: self.start])
        return before + self.text


def start_column(token: Token) -> int:
    """The 1-based column of a token's first character (sqlglot keeps its last)."""
    return max(token.col - len(token.text) + 1, 1)


def split(script: str, source: str = "<stdin>") -> list[Statement]:
    """The script's statements in order; EmptyScript if it has none, SqlSyntaxError if a quote
    or comment never closes."""
    try:
        tokens = sqlglot.tokenize(script, read="redshift")
    except TokenError as error:
        line, column = _unclosed(script)
        raise SqlSyntaxError(
            f"{source}:{line}:{column}: syntax error: a quoted string or comment never closes "
            f"({str(error).splitlines()[0]})"
        ) from None
    statements: list[Statement] = []
    current: list[Token] = []
    for token in [*tokens, None]:
        if token is None or token.token_type == TokenType.SEMICOLON:
            if current:
                start, end = current[0].start, current[-1].end + 1
                current = _opened(script, current)
                statements.append(Statement(script[start:end], start, tuple(current)))
            current = []
        else:
            current.append(token)
    if not statements:
        raise EmptyScript(f"{source} holds no SQL statement: give a file of Redshift SQL")
    return statements


def _opened(script: str, tokens: list[Token]) -> list[Token]:
    """A command's tokens (UNLOAD, REFRESH, VACUUM...): sqlglot keeps all after its first word
    as one string; here they are read as tokens too, at their places in the script."""
    if len(tokens) != 2 or tokens[0].token_type not in _COMMANDS:
        return tokens
    rest = tokens[1]
    if rest.token_type != TokenType.STRING:
        return tokens
    begin = tokens[0].end + 1  # the string token's own start is not where the rest begins
    prefix = "\n" * script.count("\n", 0, begin) + " " * (_column(script, begin) - 1)
    try:
        inner = sqlglot.tokenize(prefix + script[begin : rest.end + 1], read="redshift")
    except TokenError:
        return tokens
    shift = begin - len(prefix)
    moved = [
        Token(t.token_type, t.text, t.line, t.col, t.start + shift, t.end + shift, t.comments)
        for t in inner
    ]
    return [tokens[0], *moved] if moved else tokens


def _column(script: str, offset: int) -> int:
    return offset - (script.rfind("\n", 0, offset) + 1) + 1


def syntax_error(
    error: ParseError,
    source: str,
    place: Callable[[int, int], tuple[int, int]] | None = None,
    where: str = "",
) -> SqlSyntaxError:
    """sqlglot's parse error as one line: where (line and column) and what it expected.

    ``place`` maps a line and column of the parsed text to the script's (for the query inside
    an UNLOAD's string literal, ``where`` then says so)."""
    detail = error.errors[0] if error.errors else {}
    highlight = str(detail.get("highlight") or "")
    line = detail.get("line") or 1
    column = max((detail.get("col") or 1) - len(highlight) + 1, 1)
    if place is not None:
        line, column = place(line, column)
    description = str(detail.get("description") or error).splitlines()[0]
    # sqlglot names tokens by their repr: "<Token token_type: ..., text: WHERE, ...>".
    description = re.sub(
        r"<Token token_type: [^>]*?text: (.*?), line: [^>]*>", r"'\1'", description
    )
    description = description.replace("'SENTINEL'", "the end of the statement")
    description = re.sub(r"<class 'sqlglot\.[\w.]*?(\w+)'>", r"\1", description)
    near = f" near {highlight!r}" if highlight else ""
    return SqlSyntaxError(f"{source}:{line}:{column}: syntax error{where}: {description}{near}")


def _unclosed(script: str) -> tuple[int, int]:
    """Where the quoted string, quoted name or block comment that never closes begins."""
    index, opened, closing = 0, 0, ""
    while index < len(script):
        if closing:
            if script.startswith(closing, index):
                index += len(closing)
                closing = ""
                continue
            if closing == "'" and script.startswith("\\", index):
                index += 1
            index += 1
            continue
        if script.startswith("--", index):
            newline = script.find("\n", index)
            index = len(script) if newline < 0 else newline
            continue
        for opener, closer in (("/*", "*/"), ("'", "'"), ('"', '"')):
            if script.startswith(opener, index):
                opened, closing = index, closer
                index += len(opener)
                break
        else:
            index += 1
    before = script[:opened]
    return before.count("\n") + 1, opened - (before.rfind("\n") + 1) + 1


class Locator:
    """Where the constructs of one statement are: the next unreported occurrence of each."""

    def __init__(
        self,
        tokens: tuple[Token, ...] | list[Token],
        place: Callable[[Token], tuple[int, int]] | None = None,
    ) -> None:
        self._all = list(tokens)
        self._tokens = [t for t in tokens if t.token_type != TokenType.STRING]
        self._place = place or (lambda token: (token.line, start_column(token)))
        # sqlglot keeps some phrases as one token ("PRIMARY KEY", "GROUP BY"): match by word.
        self._words = [
            (word.upper(), token) for token in self._tokens for word in token.text.split() or [""]
        ]
        self._used: dict[tuple[str, ...], int] = {}

    @property
    def tokens(self) -> list[Token]:
        """The statement's tokens but its string literals, in order."""
        return self._tokens

    def string_arguments(self, function: str) -> list[str]:
        """For each call of ``function``, in order, its last string literal argument ('' if
        none): what sqlglot rewrote before the kit could read it (TO_CHAR's format)."""
        found = []
        for index, token in enumerate(self._all[:-1]):
            if token.text.upper() != function or self._all[index + 1].text != "(":
                continue
            depth, last = 0, ""
            for inner in self._all[index + 1 :]:
                depth += {TokenType.L_PAREN: 1, TokenType.R_PAREN: -1}.get(inner.token_type, 0)
                if depth == 1 and inner.token_type == TokenType.STRING:
                    last = inner.text
                if depth == 0:
                    break
            found.append(last)
        return found

    @property
    def start(self) -> tuple[int, int]:
        """Where the statement begins."""
        return self._place(self._tokens[0]) if self._tokens else (1, 1)

    def find(self, *words: str) -> tuple[int, int]:
        """The line and column of the next occurrence of ``words`` (in any case); the
        statement's start when they do not occur again."""
        wanted = tuple(word.upper() for word in words)
        begin = self._used.get(wanted, 0)
        for index in range(begin, len(self._words) - len(wanted) + 1):
            window = self._words[index : index + len(wanted)]
            if tuple(word for word, _ in window) == wanted:
                self._used[wanted] = index + 1
                return self._place(window[0][1])
        return self.start
