"""Reusable string rules for stack config values.

Every rule type below is written as ``Annotated[str, ...]``, so a type checker sees a plain
``str``. Its ``Rule`` items run in order after the strict string check; the first that fails raises
a ``ValueError`` whose text is the rule in plain words, so an error line reads
``<key path>: <value> <rule>``.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import AfterValidator, GetCoreSchemaHandler, GetJsonSchemaHandler, StringConstraints
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, core_schema

from config.errors import HiddenValueError
from config.sizing import MAX_QUANTITY, parse_quantity
from domain.registry_policy import is_public_registry


@dataclass(frozen=True)
class Rule:
    """One check of a string: the whole value matches ``pattern``, ``test`` holds and it has at
    most ``max_length`` characters (each when given); otherwise ``ValueError(message)``.

    ``pattern`` and ``max_length`` also go into the JSON schema, so an editor flags the value too.
    Patterns are written so that Python and ECMAScript (the dialect of JSON schema patterns) read
    them alike: ``[0-9]`` rather than ``\\d`` (which is Unicode-wide in Python), no named groups.
    """

    message: str
    pattern: str | None = None
    test: Callable[[str], bool] | None = None
    max_length: int | None = None
    hide_value: bool = False
    """the error does not show the value (it may hold a secret)"""

    def __call__(self, value: str) -> str:
        if (
            (self.pattern is not None and re.fullmatch(self.pattern, value) is None)
            or (self.test is not None and not self.test(value))
            or (self.max_length is not None and len(value) > self.max_length)
        ):
            raise HiddenValueError(self.message) if self.hide_value else ValueError(self.message)
        return value

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        return core_schema.no_info_after_validator_function(self, handler(source))

    def __get_pydantic_json_schema__(self, schema: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        json_schema = handler(schema)
        if self.pattern is not None:
            json_schema["pattern"] = f"^(?:{self.pattern})$"
        if self.max_length is not None:
            json_schema["maxLength"] = self.max_length
        return json_schema


@dataclass(frozen=True)
class Bound:
    """A bound of an integer, with the reason for it: ``<value> is above <maximum>, the most this key takes:
    <reason>`` (or below ``minimum``). Goes into the JSON schema as ``maximum`` (``minimum``)."""

    maximum: int | None
    reason: str
    minimum: int | None = None

    def __call__(self, value: int) -> int:
        if self.maximum is not None and value > self.maximum:
            raise ValueError(f"is above {self.maximum}, the most this key takes: {self.reason}")
        if self.minimum is not None and value < self.minimum:
            raise ValueError(f"is below {self.minimum}, the least this key takes: {self.reason}")
        return value

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        return core_schema.no_info_after_validator_function(self, handler(source))

    def __get_pydantic_json_schema__(self, schema: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        json_schema = handler(schema)
        if self.maximum is not None:
            json_schema["maximum"] = self.maximum
        if self.minimum is not None:
            json_schema["minimum"] = self.minimum
        return json_schema


# At most 63 characters: 1 + 61 + 1.
_LABEL = r"[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?"
# A label that starts with a letter (RFC 1035): what a Service name must be.
_DNS1035 = r"[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?"
_HOST = rf"{_LABEL}(?:\.{_LABEL})*(?::[0-9]{{1,5}})?"
_REPO_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_REPO_PATH = rf"{_REPO_COMPONENT}(?:/{_REPO_COMPONENT})*"
_TAG = r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}"
_REALM = r"[A-Z0-9](?:[A-Z0-9.-]*[A-Z0-9])?"


def _names_no_registry(value: str) -> bool:
    # As Docker reads a reference: a first component with '.' or ':', or 'localhost', is a host.
    first, slash, _ = value.partition("/")
    return not slash or not ("." in first or ":" in first or first == "localhost")


def _is_https_url(value: str) -> bool:
    try:
        parts = urlsplit(value)
    except ValueError:  # e.g. an unbalanced '[' around the host
        return False
    return parts.scheme == "https" and bool(parts.hostname)


def _no_login(value: str) -> bool:
    # Any user-info part: 'user:password@', or a token given as the user.
    return "@" not in value.split("://", 1)[-1].split("/", 1)[0]


_NO_LOGIN = Rule(
    "has a login in it (user:password@host); the stack file and every render of it are plain text, and the "
    "program adds its login itself: drop it (and rotate that password)",
    test=_no_login, hide_value=True,
)


def _quantity_in_range(value: str) -> bool:
    return parse_quantity(value) <= MAX_QUANTITY


def _cidr(value: str) -> str:
    # Not a Rule: the message names the block as it should be written. ipaddress's own messages repeat the value.
    try:
        network = ipaddress.ip_network(value, strict=True)
    except ValueError:
        try:
            network = ipaddress.ip_network(value, strict=False)
        except ValueError:
            raise ValueError("is not a CIDR block (an IPv4 or IPv6 network such as 10.20.0.0/24)") from None
        raise ValueError(f"is not a CIDR block: it has host bits set (the network is {network})") from None
    # A netmask (/255.0.0.0), leading zeros or upper case: Python reads them, Kubernetes' NetworkPolicy does not.
    if str(network) != value:
        raise ValueError(f"is not written as Kubernetes reads a CIDR block; write {network}")
    return value


_STRICT = StringConstraints(strict=True)

# The rules, one type each.
NonEmptyStr = Annotated[str, StringConstraints(strict=True, min_length=1)]
Rfc1123Label = Annotated[str, _STRICT, Rule(
    "is not an RFC 1123 label (lowercase letters, digits and '-', starting and ending with a letter or "
    "digit, at most 63 characters)",
    pattern=_LABEL,
)]
Rfc1035Label = Annotated[str, _STRICT, Rule(
    "is not an RFC 1035 label, which the Services named after it must be (lowercase letters, digits and '-', "
    "starting with a letter, ending with a letter or digit, at most 63 characters)",
    pattern=_DNS1035,
)]
# The charts name Services after the release: an RFC 1035 label.
HelmReleaseName = Annotated[Rfc1035Label, Rule(
    "is longer than the 53 characters Helm allows for a release name", max_length=53
)]
DnsDomain = Annotated[str, _STRICT, Rule(
    "is not a valid DNS domain (two or more lowercase RFC 1123 labels separated by '.', at most 253 "
    "characters, no scheme, no trailing dot)",
    pattern=rf"{_LABEL}(?:\.{_LABEL})+",
    max_length=253,
)]
# Kubernetes keeps kube-* and default, OpenShift openshift and openshift-*, for their own namespaces.
RESERVED_NAMESPACE_PREFIXES = ("kube-", "openshift-")
RESERVED_NAMESPACES = frozenset({"default", "openshift", "kube-system", "kube-public", "kube-node-lease"})
NamespaceName = Annotated[Rfc1123Label, Rule(
    "is a namespace Kubernetes or OpenShift keeps for itself (default, openshift, kube-*, openshift-*); "
    "choose one of its own",
    test=lambda value: value not in RESERVED_NAMESPACES and not value.startswith(RESERVED_NAMESPACE_PREFIXES),
)]
RegistryHost = Annotated[
    str,
    _STRICT,
    Rule("must be a bare registry host without a scheme (drop the 'https://')", test=lambda v: "://" not in v,
         hide_value=True),
    Rule("must be a bare registry host without a path (repositories go elsewhere)", test=lambda v: "/" not in v),
    Rule("is not a registry host name (lowercase DNS name, optional ':port')", pattern=_HOST),
    Rule("is a public registry: the platform's builds would push its images there, with the Artifactory "
         "password; name the company's Artifactory host", test=lambda v: not is_public_registry(v)),
]
HostWithPort = Annotated[str, _STRICT, Rule(
    "is not a host name with an optional ':port' (no scheme, no path)", pattern=_HOST
)]
RepositoryPath = Annotated[str, _STRICT, Rule(
    "is not a repository path (lowercase components of letters, digits, '.', '_', '-' separated by '/')",
    pattern=_REPO_PATH,
)]
_LATEST = "uses the tag 'latest', which moves under a deployment; pin a version"
# 'name:tag' relative to an Artifactory repository; a reference to any registry is refused.
ImageNameTag = Annotated[
    str,
    _STRICT,
    Rule(
        "names a registry; give only 'name:tag' inside the Artifactory repository (the host and "
        "repository are added from 'artifactory')",
        test=_names_no_registry,
    ),
    Rule("is not an image reference of the form 'name:tag' (a tag is required)", pattern=rf"{_REPO_PATH}:{_TAG}"),
    Rule(_LATEST, test=lambda value: value.rsplit(":", 1)[-1] != "latest"),
]
ImageTag = Annotated[str, _STRICT, Rule(
    "is not a valid image tag (letters, digits, '_', '.', '-'; at most 128)", pattern=_TAG
), Rule(_LATEST, test=lambda value: value != "latest")]
ExactChartVersion = Annotated[str, _STRICT, Rule(
    "is not an exact chart version such as '2.1.0' ('latest', ranges and wildcards are not allowed: "
    "pin the version)",
    pattern=r"[0-9]+\.[0-9]+\.[0-9]+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?",
)]
ReleaseVersion = Annotated[str, _STRICT, Rule(
    "is not an exact version of the form 'X.Y.Z'", pattern=r"[0-9]+\.[0-9]+\.[0-9]+"
)]
PythonVersion = Annotated[str, _STRICT, Rule(
    "is not a Python version of the form '3.X' (quote it: 3.10 is a number)", pattern=r"3\.[0-9]{1,2}"
)]
# A Kubernetes resource.Quantity without a sign: 500m, 2, 1.5, 64Gi, 1e3. The exponent has at most two
# digits, so that no quantity is too large to compute with; the sizes that take one bound it further.
Quantity = Annotated[str, _STRICT, Rule(
    "is not a Kubernetes quantity (for example '4', '500m', '16Gi')",
    pattern=r"(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[KMGTPE]i|[mkMGTPE]|[eE][+-]?[0-9]{1,2})?",
), Rule("is larger than a Kubernetes quantity can be (9223372036854775807)", test=_quantity_in_range)]
KerberosRealm = Annotated[str, _STRICT, Rule(
    "is not a Kerberos realm (upper case, for example 'CORP.COMPANY.COM')", pattern=_REALM
)]
KerberosPrincipal = Annotated[
    str,
    _STRICT,
    Rule(
        "is not a Kerberos principal of the form 'name[/instance]@REALM'",
        pattern=rf"[^/@\s]+(?:/[^/@\s]+)?@{_REALM}",
    ),
    Rule("uses _HOST, which expands to a pod name on Kubernetes; name the host", test=lambda v: "_HOST" not in v),
]
HttpsUrl = Annotated[str, _STRICT, _NO_LOGIN, Rule("is not an https:// URL with a host", test=_is_https_url)]
# Houston's endpoint: https, or http on the loopback interface only (a stand-in, a port-forward).
HoustonUrl = Annotated[str, _STRICT, _NO_LOGIN, Rule(
    "is not an https:// URL with a host (http only on 127.0.0.1 or localhost), without spaces",
    pattern=r"(?:https://[^/\s]+|http://(?:127\.0\.0\.1|localhost)(?::[0-9]+)?)(?:/\S*)?",
)]
ConfigKey = Annotated[str, _STRICT, Rule(
    "is not a key of letters, digits, '_', '.' and '-'", pattern=r"[A-Za-z0-9_.-]+"
)]
Cidr = Annotated[str, _STRICT, AfterValidator(_cidr)]
AbsolutePath = Annotated[str, _STRICT, Rule(
    "is not an absolute path without a trailing '/', '//', '.' or '..'",
    pattern=r"/|(?:/[^/]+)+", test=lambda value: not {".", ".."} & set(value.split("/")),
)]
# Free text that says why a risk is taken: a sentence, not a placeholder.
_PLACEHOLDERS = frozenset({"todo", "tbd", "n/a", "na", "none", "null", "reason", "because", "why", "x", "-", "?",
                           "test", "temp", "fixme", "placeholder"})


def _is_a_reason(value: str) -> bool:
    text = " ".join(value.split())
    return len(text) >= 10 and any(c.isalpha() for c in text) and text.lower().strip(".!") not in _PLACEHOLDERS


Reason = Annotated[str, _STRICT, Rule(
    "is not a reason: say in a sentence (at least 10 characters) why, e.g. 'SaaS endpoints without fixed "
    "addresses (RISK-1234)'",
    test=_is_a_reason,
)]
# A user allowed to change tenants' isolation objects. system:anonymous is every request without
# credentials (when the API server allows those).
DeployerUser = Annotated[str, StringConstraints(strict=True, min_length=1), Rule(
    "is every unauthenticated request; name the identity that runs pulumi up",
    test=lambda value: value != "system:anonymous",
)]
# An IdP group bound in a tenant namespace. Kubernetes reserves 'system:' groups for itself, and
# some mean everyone (system:authenticated, system:unauthenticated, system:serviceaccounts).
IdpGroup = Annotated[str, StringConstraints(strict=True, min_length=1), Rule(
    "is a Kubernetes system group (system:authenticated means every user); bind the IdP's own groups",
    test=lambda value: not value.startswith("system:"),
)]
