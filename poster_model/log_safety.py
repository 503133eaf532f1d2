"""Text from a request goes into log lines escaped: a %0a in a URL must not start a forged line of its own."""
import logging
import unicodedata

ESCAPED_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp"})
"""Control and format characters (newline, carriage return, bidi overrides...) and line/paragraph separators."""


def escape_control_characters(text: str) -> str:
    """text with a backslash escape for each control or format character (and for the backslash itself)."""
    escaped = []
    for character in text:
        if character == "\\":
            escaped.append("\\\\")
        elif unicodedata.category(character) in ESCAPED_CATEGORIES:
            code = ord(character)
            escaped.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
        else:
            escaped.append(character)
    return "".join(escaped)


class OneLineFormatter(logging.Formatter):
    """Every record on one line, whatever its message or traceback holds (tracebacks as escaped newlines)."""

    def format(self, record: logging.LogRecord) -> str:
        return escape_control_characters(super().format(record))


def configure_text_logging(level: int) -> None:
    """The root logger's text lines (waitress's own messages quote request paths too), one line per record."""
    handler = logging.StreamHandler()
    handler.setFormatter(OneLineFormatter("%(asctime)s %(levelname)s %(message)s"))
    logging.basicConfig(level=level, handlers=[handler])
