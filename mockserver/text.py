"""Text that is safe to print on one line: control characters escaped, length bounded.

Error messages quote values from files and requests (a fixture entry, a spec node, a path);
an escape sequence or a newline in one of them must not forge or garble a console line.
"""

from __future__ import annotations

MAX_SHOWN = 300


def escape_controls(text: str) -> str:
    """Control characters (C0, DEL, C1) as visible escapes: `\\n`, `\\x1b`, `\\u2028`..."""
    if text.isprintable():
        return text
    out = []
    for char in text:
        if char.isprintable() or char == " ":
            out.append(char)
        elif char == "\n":
            out.append("\\n")
        elif char == "\r":
            out.append("\\r")
        elif char == "\t":
            out.append("\\t")
        elif ord(char) < 0x100:
            out.append(f"\\x{ord(char):02x}")
        else:
            out.append(f"\\u{ord(char):04x}")
    return "".join(out)


def one_line(text: str, limit: int = MAX_SHOWN * 3) -> str:
    """`text` escaped to one printable line of at most `limit` characters."""
    text = escape_controls(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def shown(value: object, limit: int = MAX_SHOWN) -> str:
    """A value as it appears in a message: its repr, escaped and bounded."""
    return one_line(repr(value), limit)
