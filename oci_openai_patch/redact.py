"""Secrets that do not show themselves: tokens, keys and pass phrases held as :class:`Secret`.

Error reporters render tracebacks with every frame's locals, and debugging sessions dump
``vars()`` of objects; a session token held as a plain ``str`` appears in both. A
``Secret`` prints as ``Secret('…')`` in ``repr`` and ``str``; code that needs the value
asks for it with :meth:`Secret.reveal`, at the last moment.
"""

from __future__ import annotations


class Secret:
    """A credential value whose ``repr`` and ``str`` never contain it."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """The value itself: for signing and parsing only, never for messages or logs."""
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __repr__(self) -> str:
        return "Secret('…')"

    __str__ = __repr__

    def __reduce__(self) -> str | tuple[object, ...]:
        raise TypeError("a Secret cannot be pickled")


class SecretBytes:
    """:class:`Secret` for bytes (a PEM private key, a pass phrase), until the parse call."""

    __slots__ = ("_value",)

    def __init__(self, value: bytes) -> None:
        self._value = value

    def reveal(self) -> bytes:
        """The bytes themselves: for the parse call only."""
        return self._value

    def strip(self) -> SecretBytes:
        return SecretBytes(self._value.strip())

    def __bool__(self) -> bool:
        return bool(self._value)

    def __repr__(self) -> str:
        return f"SecretBytes(<{len(self._value)} bytes>)"

    __str__ = __repr__

    def __reduce__(self) -> str | tuple[object, ...]:
        raise TypeError("a SecretBytes cannot be pickled")


def redact_key_id(key_id: str) -> str:
    """A key id safe to print: security tokens are credentials, so only their tail shows."""
    if key_id.startswith("ST$"):
        return "ST$..." + key_id[-6:]
    return key_id


def url_without_userinfo(url: str) -> str:
    """``url`` with any ``user:password@`` replaced by ``***@``: for messages and logs."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc="***@" + parts.netloc.rpartition("@")[2]))
