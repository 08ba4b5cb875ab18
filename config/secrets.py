"""Secret stack config: each secret is its own top-level key, read as a Pulumi secret.

``require_object`` on a structured key that holds a ``secure:`` value returns plain text, so a
secret is never accepted inside a structured key.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

REQUIRED_SECRETS = ("artifactoryPassword", "databaseConnection", "delineaPassword")
OPTIONAL_SECRETS = ("tlsCertificate", "tlsKey")
SECRET_KEYS = REQUIRED_SECRETS + OPTIONAL_SECRETS
# What each holds: the JSON schema's descriptions and the README's config reference.
SECRET_DESCRIPTIONS = {
    "artifactoryPassword": "Artifactory password (pull secret, Helm repository, image pushes)",
    "databaseConnection": "postgres://USER:PASS@HOST:5432 of the platform database",
    "delineaPassword": "Delinea password of the ticket manager",
    "tlsCertificate": "PEM certificate for the base domain and its wildcard (with tlsKey)",
    "tlsKey": "PEM key of tlsCertificate",
}


@dataclass(frozen=True)
class Secrets:
    artifactory_password: pulumi.Output[str]
    database_connection: pulumi.Output[str]
    delinea_password: pulumi.Output[str]
    tls_certificate: pulumi.Output[str] | None
    tls_key: pulumi.Output[str] | None

    @classmethod
    def from_config(cls, config: pulumi.Config) -> Secrets:
        # require_secret/get_secret mark the value secret even when the stack file holds it
        # unencrypted.
        return cls(
            artifactory_password=config.require_secret("artifactoryPassword"),
            database_connection=config.require_secret("databaseConnection"),
            delinea_password=config.require_secret("delineaPassword"),
            tls_certificate=config.get_secret("tlsCertificate"),
            tls_key=config.get_secret("tlsKey"),
        )
