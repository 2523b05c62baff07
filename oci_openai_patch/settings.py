"""The environment contract: every variable the package reads, parsed in one place.

Each variable is a documented constant. :func:`load_settings` turns the environment
into one frozen :class:`Settings`, or fails with a :class:`ConfigurationError` that names
the variable and the fix. Nothing here reads files or imports heavy modules.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from .errors import ConfigurationError
from .oci_config import DEFAULT_CONFIG_FILE, DEFAULT_PROFILE
from .trust.deployments import deployment_url, parse_deployment_ocid
from .trust.hosts import OCI_OPENAI_HOSTS as OCI_OPENAI_HOSTS  # the contract names every variable
from .trust.hosts import HostPattern, configured_hosts, region_base_url

#: Chooses the model-deployment routing mode (``path``, ``header`` or ``off``) where no
#: client argument does (:mod:`.transport.model_deployments`).
OCI_OPENAI_DEPLOYMENT_ROUTING = "OCI_OPENAI_DEPLOYMENT_ROUTING"
ROUTING_MODES = ("path", "header", "off")
DEFAULT_ROUTING = "path"
#: Switches the zero-code shim on and picks the principal kind; unset or empty: off.
OCI_OPENAI_AUTH = "OCI_OPENAI_AUTH"
#: Config profile (else ``OCI_CLI_PROFILE``, else ``OCI_CONFIG_PROFILE``, else ``DEFAULT``).
OCI_OPENAI_PROFILE = "OCI_OPENAI_PROFILE"
#: Config file (else ``OCI_CLI_CONFIG_FILE``, else ``OCI_CONFIG_FILE``, else ``~/.oci/config``).
OCI_OPENAI_CONFIG_FILE = "OCI_OPENAI_CONFIG_FILE"
#: Generative AI Project OCID (``ocid1.generativeaiproject.``), given to OCI-bound clients as
#: openai's own ``project`` (the ``OpenAI-Project`` header): the GA way to scope the data plane.
#: A ``project=`` the caller passes that is such an OCID wins; openai's ``OPENAI_PROJECT_ID``
#: counts when this is unset.
OCI_OPENAI_PROJECT_ID = "OCI_OPENAI_PROJECT_ID"
#: openai's own variable for ``project``; it counts as given for OCI hosts when it holds a project OCID.
OPENAI_PROJECT_ID = "OPENAI_PROJECT_ID"
#: Compartment OCID (else ``OCI_COMPARTMENT_ID``): the control plane's ``opc-compartment-id``,
#: and the older (pre-GA) scope of the data plane, used there only when no project is given.
OCI_OPENAI_COMPARTMENT_ID = "OCI_OPENAI_COMPARTMENT_ID"
#: Conversation store OCID, sent as ``opc-conversation-store-id`` (the older form; projects replace it).
OCI_OPENAI_CONVERSATION_STORE_ID = "OCI_OPENAI_CONVERSATION_STORE_ID"
#: Region whose Generative AI endpoint a client with no base URL at all is pointed at.
OCI_OPENAI_REGION = "OCI_OPENAI_REGION"
#: A Data Science model deployment OCID: a client with no base URL at all is pointed at that
#: deployment (in ``OCI_OPENAI_REGION``, else the region the OCID names) instead.
OCI_OPENAI_MODEL_DEPLOYMENT_ID = "OCI_OPENAI_MODEL_DEPLOYMENT_ID"
#: Where model-deployment requests go: ``path`` (the default: streamed ones to
#: ``predictWithResponseStream``), ``header`` (header routing), ``off`` (as sent).
DEPLOYMENT_ROUTING = OCI_OPENAI_DEPLOYMENT_ROUTING
#: ``legacy=oci,...``: rewrite the ``model`` of JSON bodies bound for OCI hosts.
OCI_OPENAI_MODEL_MAP = "OCI_OPENAI_MODEL_MAP"
#: Routes past the openai client to leave alone, comma-separated (as OpenTelemetry's
#: ``OTEL_PYTHON_DISABLED_INSTRUMENTATIONS``): the HTTP stacks of :data:`ROUTES`.
OCI_OPENAI_DISABLED_ROUTES = "OCI_OPENAI_DISABLED_ROUTES"
#: The HTTP stacks whose requests to an OCI host the shim signs besides openai's clients.
ROUTES = ("httpx", "httpx2", "requests", "aiohttp", "urllib", "lm15")
#: Instance principal federation endpoint (else the SDK finds it from instance metadata).
OCI_OPENAI_FEDERATION_ENDPOINT = "OCI_OPENAI_FEDERATION_ENDPOINT"
#: Workload identity: the Kubernetes service-account token file.
OCI_OPENAI_SERVICE_ACCOUNT_TOKEN_PATH = "OCI_OPENAI_SERVICE_ACCOUNT_TOKEN_PATH"

#: Seconds a security-token principal may take to obtain a token before a clear error (default 30).
OCI_OPENAI_AUTH_TIMEOUT = "OCI_OPENAI_AUTH_TIMEOUT"

#: The OCI CLI's principal choice; the fallback for ``OCI_OPENAI_AUTH`` when that is unset.
#: It never switches the zero-code shim on by itself (only ``OCI_OPENAI_AUTH`` does): an
#: environment that merely has the CLI set up must not start signing by surprise.
OCI_CLI_AUTH = "OCI_CLI_AUTH"
#: ``OCI_CLI_AUTH`` values -> our kinds.
CLI_AUTH_KINDS = {
    "api_key": "user_principal",
    "security_token": "session",
    "instance_principal": "instance_principal",
    "resource_principal": "resource_principal",
    "oke_workload_identity": "workload_identity",
    "instance_obo_user": "delegation_token",
}

#: Accepted values of ``OCI_OPENAI_AUTH`` (aliases included) -> canonical kind.
AUTH_KINDS = {
    "user_principal": "user_principal",
    "api_key": "user_principal",
    "session": "session",
    "security_token": "session",
    "instance_principal": "instance_principal",
    "resource_principal": "resource_principal",
    "workload_identity": "workload_identity",
    "oke_workload_identity": "workload_identity",
    "delegation_token": "delegation_token",
    "instance_obo_user": "delegation_token",
}
_OCID = re.compile(r"ocid1\.[a-z0-9_-]+\.[a-z0-9_-]*\.[a-z0-9_-]*\.[A-Za-z0-9._-]+\Z")


def _first(env: Mapping[str, str], *names: str) -> tuple[str, str] | None:
    for name in names:
        value = env.get(name, "").strip()
        if value:
            return name, value
    return None


#: Where the config file and profile are named, first one set wins (ours, then the OCI CLI's).
CONFIG_FILE_VARIABLES = (OCI_OPENAI_CONFIG_FILE, "OCI_CLI_CONFIG_FILE", "OCI_CONFIG_FILE")
PROFILE_VARIABLES = (OCI_OPENAI_PROFILE, "OCI_CLI_PROFILE", "OCI_CONFIG_PROFILE")


def config_location(environ: Mapping[str, str] | None = None) -> tuple[str, str]:
    """The config file and profile the environment names, else ``~/.oci/config`` and ``DEFAULT``."""
    env = os.environ if environ is None else environ
    config_file = _first(env, *CONFIG_FILE_VARIABLES)
    profile = _first(env, *PROFILE_VARIABLES)
    return (config_file[1] if config_file else DEFAULT_CONFIG_FILE, profile[1] if profile else DEFAULT_PROFILE)


def shim_requested(environ: Mapping[str, str] | None = None) -> bool:
    """True when ``OCI_OPENAI_AUTH`` is set to something (the shim should install)."""
    env = os.environ if environ is None else environ
    return bool(env.get(OCI_OPENAI_AUTH, "").strip())


@dataclass(frozen=True)
class Settings:
    """The resolved zero-code configuration."""

    auth_kind: str
    profile: str = DEFAULT_PROFILE
    config_file: str = DEFAULT_CONFIG_FILE
    compartment_id: str | None = None
    conversation_store_id: str | None = None
    project_id: str | None = None
    region: str | None = None
    hosts: tuple[HostPattern, ...] = ()
    model_map: dict[str, str] = field(default_factory=dict)
    model_deployment_id: str | None = None
    deployment_routing: str = "path"
    disabled_routes: frozenset[str] = frozenset()

    @property
    def region_base_url(self) -> str | None:
        """The base URL a client given none is pointed at: the model deployment's, else the
        region's Generative AI data plane, else None."""
        if self.model_deployment_id:
            return deployment_url(
                self.model_deployment_id,
                self.region,
                source=OCI_OPENAI_MODEL_DEPLOYMENT_ID,
                region_source=OCI_OPENAI_REGION,
            )
        return region_base_url(self.region) if self.region else None


def requested_auth(env: Mapping[str, str]) -> tuple[str, str] | None:
    """The principal kind the environment asks for, and where: ``OCI_OPENAI_AUTH``, else
    ``OCI_CLI_AUTH``; None when neither is set."""
    ours = env.get(OCI_OPENAI_AUTH, "").strip()
    if ours:
        return parse_auth_kind(ours), f"{OCI_OPENAI_AUTH}={ours}"
    cli = env.get(OCI_CLI_AUTH, "").strip()
    if not cli:
        return None
    kind = CLI_AUTH_KINDS.get(cli.lower())
    if kind is None:
        raise ConfigurationError(
            f"{OCI_CLI_AUTH}={cli!r} is not a value the OCI CLI knows; use one of {', '.join(CLI_AUTH_KINDS)}, "
            f"or set {OCI_OPENAI_AUTH}"
        )
    return kind, f"{OCI_CLI_AUTH}={cli}"


def parse_auth_kind(value: str, *, source: str = OCI_OPENAI_AUTH) -> str:
    kind = AUTH_KINDS.get(value.strip().lower())
    if kind is None:
        raise ConfigurationError(f"{source}={value.strip()!r} is not an auth kind; use one of {', '.join(AUTH_KINDS)}")
    return kind


def parse_compartment(value: str, *, source: str) -> str:
    return parse_ocid(value, source=source, what="the compartment OCID")


def parse_ocid(value: str, *, source: str, what: str) -> str:
    """``value`` stripped, if it has an OCID's shape (ASCII: it travels in a header), else a
    ``ConfigurationError`` naming ``source``; a placeholder pasted from docs (``…``) fails here."""
    if not isinstance(value, str) or not _OCID.match(value.strip()):
        example = "ocid1.compartment.oc1.." if "compartment" in what else "ocid1.<resource>.oc1.<region>.<id>"
        raise ConfigurationError(f"{source} is not an OCID; set it to {what} ({example})")
    return value.strip()


#: The resource type of a Generative AI Project OCID.
PROJECT_OCID_PREFIX = "ocid1.generativeaiproject."


def parse_project(value: str, *, source: str) -> str:
    """A Generative AI Project OCID, stripped, else a ``ConfigurationError`` naming ``source``
    (an OpenAI ``proj_...`` id means nothing to OCI)."""
    example = "ocid1.generativeaiproject.oc1.<region>.<id>"
    fix = f"{source} is not a Generative AI Project OCID; set it to the project's OCID ({example})"
    if not _is_project_ocid(value) or not _OCID.match(value.strip()):
        raise ConfigurationError(fix)
    return value.strip()


def _is_project_ocid(value: object) -> bool:
    return isinstance(value, str) and value.strip().startswith(PROJECT_OCID_PREFIX)


def resolve_project(
    given: object, configured: str | None, environ: Mapping[str, str] | None = None
) -> tuple[str | None, str]:
    """The project an OCI Generative AI client sends, and where it comes from.

    In order: the caller's ``project=`` if it is a project OCID; ``configured``
    (``OCI_OPENAI_PROJECT_ID``, already parsed), which also replaces a caller's value of
    another kind; the caller's value, which then fails naming ``project=``; openai's
    ``OPENAI_PROJECT_ID``; else none. ``given`` is None (or openai's not-given sentinel)
    when the caller passed nothing.
    """
    passed = given is not None and type(given).__name__ not in ("NotGiven", "Omit")
    if passed and (_is_project_ocid(given) or configured is None):
        return parse_project(given, source="project="), "project="  # type: ignore[arg-type]
    if configured is not None:
        return configured, OCI_OPENAI_PROJECT_ID
    env = os.environ if environ is None else environ
    from_openai = env.get(OPENAI_PROJECT_ID, "").strip()
    if from_openai:
        return parse_project(from_openai, source=OPENAI_PROJECT_ID), OPENAI_PROJECT_ID
    return None, "-"


def _conversation_store(env: Mapping[str, str]) -> str | None:
    value = env.get(OCI_OPENAI_CONVERSATION_STORE_ID, "").strip()
    if not value:
        return None
    return parse_ocid(value, source=OCI_OPENAI_CONVERSATION_STORE_ID, what="the conversation store OCID")


def parse_model_map(text: str, *, source: str = OCI_OPENAI_MODEL_MAP) -> dict[str, str]:
    mapping: dict[str, str] = {}
    for item in text.split(","):
        if not item.strip():
            continue
        legacy, sep, target = item.partition("=")
        if not sep or not legacy.strip() or not target.strip():
            raise ConfigurationError(f"{source}: {item.strip()!r} is not legacy=oci; write e.g. gpt-4o=openai.gpt-4o")
        if legacy.strip().startswith("ocid1."):
            raise ConfigurationError(
                f"{source}: {legacy.strip()!r} is an OCID (a dedicated endpoint), which is sent as it is; "
                "map model names only"
            )
        mapping[legacy.strip()] = target.strip()
    return mapping


def extra_hosts_from_env(environ: Mapping[str, str] | None = None) -> tuple[HostPattern, ...]:
    """The host patterns of :data:`OCI_OPENAI_HOSTS` (empty when unset)."""
    return configured_hosts(None, environ)


def disabled_routes_from_env(environ: Mapping[str, str] | None = None) -> frozenset[str]:
    """The routes ``OCI_OPENAI_DISABLED_ROUTES`` switches off; an unknown name is an error."""
    env = os.environ if environ is None else environ
    names = [name.strip().lower() for name in env.get(OCI_OPENAI_DISABLED_ROUTES, "").split(",") if name.strip()]
    for name in names:
        if name not in ROUTES:
            raise ConfigurationError(
                f"{OCI_OPENAI_DISABLED_ROUTES}: {name!r} is not a route; the routes are {', '.join(ROUTES)}"
            )
    return frozenset(names)


def auth_timeout_from_env(environ: Mapping[str, str] | None = None) -> float | None:
    """``OCI_OPENAI_AUTH_TIMEOUT`` in seconds, or None when unset."""
    env = os.environ if environ is None else environ
    text = env.get(OCI_OPENAI_AUTH_TIMEOUT, "").strip()
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value > 0 or value == float("inf"):
        raise ConfigurationError(f"{OCI_OPENAI_AUTH_TIMEOUT}={text!r} is not a number of seconds; set e.g. 30")
    return value


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Read the whole environment contract; raise one clear error for the first problem."""
    env = os.environ if environ is None else environ
    requested = requested_auth(env)
    if requested is None:
        raise ConfigurationError(f"{OCI_OPENAI_AUTH} is not set; set it to one of {', '.join(AUTH_KINDS)}")
    config_file, profile = config_location(env)
    compartment = _first(env, OCI_OPENAI_COMPARTMENT_ID, "OCI_COMPARTMENT_ID")
    project = _first(env, OCI_OPENAI_PROJECT_ID)
    region = _first(env, OCI_OPENAI_REGION)
    deployment = _first(env, OCI_OPENAI_MODEL_DEPLOYMENT_ID)
    if region and not deployment:
        region_base_url(region[1])  # an unknown region fails here, naming itself
    settings = Settings(
        auth_kind=requested[0],
        profile=profile,
        config_file=config_file,
        compartment_id=parse_compartment(compartment[1], source=compartment[0]) if compartment else None,
        conversation_store_id=_conversation_store(env),
        project_id=parse_project(project[1], source=project[0]) if project else None,
        region=region[1] if region else None,
        hosts=extra_hosts_from_env(env),
        model_map=parse_model_map(env.get(OCI_OPENAI_MODEL_MAP, "")),
        model_deployment_id=parse_deployment_ocid(deployment[1], source=deployment[0]) if deployment else None,
        deployment_routing=routing_from_env(env),
        disabled_routes=disabled_routes_from_env(env),
    )
    if deployment:
        _ = settings.region_base_url  # a deployment in no known region, or not in OCI_OPENAI_REGION, fails here
    auth_timeout_from_env(env)  # a malformed timeout fails here, even for kinds that never wait
    return settings


def parse_routing(value: str, *, source: str = OCI_OPENAI_DEPLOYMENT_ROUTING) -> str:
    """A routing mode, else a ``ConfigurationError`` naming ``source``."""
    mode = value.strip().lower() if isinstance(value, str) else ""
    if mode not in ROUTING_MODES:
        raise ConfigurationError(
            f"{source}={str(value).strip()!r} is not a deployment routing mode; use one of {', '.join(ROUTING_MODES)}"
        )
    return mode


def routing_from_env(environ: Mapping[str, str]) -> str:
    """``OCI_OPENAI_DEPLOYMENT_ROUTING``, parsed; the default when unset."""
    value = environ.get(OCI_OPENAI_DEPLOYMENT_ROUTING, "").strip()
    return parse_routing(value) if value else DEFAULT_ROUTING
