"""Delegation token (OCI Cloud Shell): the instance principal acting for a user."""

from __future__ import annotations

import os

from ..errors import CredentialsError
from ..oci_config import read_profile
from ..permissions import warn_if_readable_by_others
from ..redact import Secret

#: The header that carries a delegation token, signed with the request.
OBO_HEADER = "opc-obo-token"


class DelegationToken:
    """A user's delegation token (Cloud Shell): given, or read from a file that is read
    again when it changes (the platform renews it in place). Never shown: its ``repr`` is redacted."""

    def __init__(self, value: str | None = None, path: str | None = None) -> None:
        self._value = Secret(value.strip()) if value else None
        self.path = path
        self._stamp: tuple[float, int] | None = None

    def __repr__(self) -> str:
        return f"DelegationToken(path={self.path!r})"

    @classmethod
    def find(
        cls, value: str | None, path: str | None, profile_name: str | None, config_file: str | None
    ) -> DelegationToken:
        """The token from the argument, the file argument, or the profile's ``delegation_token_file``."""
        if value:
            return cls(value=value)
        if not path:
            from ..settings import config_location

            named_file, named_profile = config_location()
            profile = read_profile(config_file or named_file, profile_name or named_profile)
            path = profile.path("delegation_token_file", "Cloud Shell's profiles name the delegation token file")
        token = cls(path=os.path.expanduser(path))
        token.value()  # a missing or empty file fails here, at construction
        return token

    def value(self) -> str:
        if self.path is None:
            assert self._value is not None
            return self._value.reveal()
        try:
            status = os.stat(self.path)
            stamp = (status.st_mtime, status.st_size)
            if stamp != self._stamp or self._value is None:
                warn_if_readable_by_others(self.path, "delegation token file")
                with open(self.path, encoding="utf-8") as handle:
                    text = handle.read().strip()
                if not text:
                    raise CredentialsError(f"delegation token file {self.path} is empty; check delegation_token_file")
                self._value, self._stamp = Secret(text), stamp
        except OSError as error:
            raise CredentialsError(
                f"delegation token file {self.path} cannot be read ({error.strerror}); check delegation_token_file"
            ) from None
        return self._value.reveal()
