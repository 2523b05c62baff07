"""oci-openai-patch: the stock openai SDK on OCI Generative AI and Data Science, signed with OCI IAM.

Public names are imported on first use, so ``import oci_openai_patch`` (which the .pth
line does in every interpreter when the shim is on) imports no openai, oci or httpx.

PYTEST_DONT_REWRITE: the .pth line imports this package before pytest starts, so pytest
could not rewrite its asserts anyway, and says so with a warning that projects running
with warnings as errors cannot start past. These words ask pytest to leave it alone.
"""

# The .pth line imports this package in every interpreter where the shim is on, so it
# imports nothing at all at run time (``typing`` alone costs milliseconds).
TYPE_CHECKING = False

__version__ = "0.1.0"

_EXPORTS = {
    "OciOpenAI": "openai_clients.clients",
    "AsyncOciOpenAI": "openai_clients.clients",
    "OciAuth": "transport.auth",
    "HttpxOciAuth": "transport.auth",
    "OciUserPrincipalAuth": "transport.principals",
    "OciSessionAuth": "transport.principals",
    "OciInstancePrincipalAuth": "transport.principals",
    "OciResourcePrincipalAuth": "transport.principals",
    "OciWorkloadIdentityAuth": "transport.principals",
    "OciDelegationTokenAuth": "transport.principals",
    "ConfigurationError": "errors",
    "CredentialsError": "errors",
    "OciOpenAIError": "errors",
    "region_base_url": "trust.hosts",
    "control_plane_base_url": "trust.hosts",
    "is_oci_service_host": "trust.hosts",
    "deployment_base_url": "trust.deployments",
}

__all__ = [
    "AsyncOciOpenAI",
    "ConfigurationError",
    "CredentialsError",
    "HttpxOciAuth",
    "OciAuth",
    "OciDelegationTokenAuth",
    "OciInstancePrincipalAuth",
    "OciOpenAI",
    "OciOpenAIError",
    "OciResourcePrincipalAuth",
    "OciSessionAuth",
    "OciUserPrincipalAuth",
    "OciWorkloadIdentityAuth",
    "control_plane_base_url",
    "deployment_base_url",
    "is_oci_service_host",
    "region_base_url",
]

if TYPE_CHECKING:
    from .errors import ConfigurationError, CredentialsError, OciOpenAIError
    from .openai_clients.clients import AsyncOciOpenAI, OciOpenAI
    from .transport.auth import HttpxOciAuth, OciAuth
    from .transport.principals import (
        OciDelegationTokenAuth,
        OciInstancePrincipalAuth,
        OciResourcePrincipalAuth,
        OciSessionAuth,
        OciUserPrincipalAuth,
        OciWorkloadIdentityAuth,
    )
    from .trust.deployments import deployment_base_url
    from .trust.hosts import control_plane_base_url, is_oci_service_host, region_base_url


def __getattr__(name: str) -> object:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'oci_openai_patch' has no attribute {name!r}")
    value = getattr(__import__(f"{__name__}.{module}", fromlist=[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(list(globals()) + __all__)
