"""The package's exception types.

Every message is one line that names the variable or file at fault and how to fix it,
and never contains a key, token or passphrase.
"""

from __future__ import annotations


class OciOpenAIError(Exception):
    """Base class of every error this package raises on purpose."""


class ConfigurationError(OciOpenAIError, ValueError):
    """The user's configuration (environment, config file, arguments) cannot be used."""


class CredentialsError(OciOpenAIError):
    """Credentials could not be loaded or refreshed (expired token, unreachable endpoint)."""


class InsecurePermissionsWarning(UserWarning):
    """A key, config or token file can be read by other users of the machine."""
