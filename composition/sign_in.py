"""The stack config's sign-in settings as a ``SignInSpec`` (components.sign_in_specs)."""

from __future__ import annotations

from collections.abc import Collection

from components.sign_in_specs import IdentityProviderSpec, SignInSpec, SystemRoleGroups
from config.stack import StackConfig


def sign_in_spec(stack: StackConfig, client_secrets: Collection[str]) -> SignInSpec | None:
    """None without ``signIn``: the chart's sign-in stays. ``client_secrets`` names the provider kinds whose
    client secret is set."""
    sign_in = stack.sign_in
    if sign_in is None:
        return None
    roles = sign_in.system_roles
    return SignInSpec(
        providers=[IdentityProviderSpec(
            houston_key=p.houston_key, client_id=p.client_id, discovery_url=p.discovery_url,
            groups_claim=p.groups_claim, extra_scopes=tuple(p.extra_scopes),
            # Entra ID issues tokens for the app's own client id as audience (docs/sign-in.md).
            audience=p.audience or (p.client_id if p.kind == "microsoft" else None),
            display_name=p.display_name, has_client_secret=p.kind in client_secrets,
        ) for p in sign_in.providers],
        flow=sign_in.flow,
        local_accounts=sign_in.local_accounts_in(stack.environment),
        social_logins=sign_in.social_logins,
        import_groups=sign_in.imports_groups,
        system_roles=SystemRoleGroups(tuple(roles.admin_groups), tuple(roles.editor_groups),
                                      tuple(roles.viewer_groups)) if roles else None,
    )
