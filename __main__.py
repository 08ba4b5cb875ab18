"""astronomer-platform: Astronomer on one cluster for many lines of business.

Validates the stack config (every problem at once, nothing created on error), then declares the
images, one Tenant per configured line of business, the platform chart and the Kerberos ticket
manager, all through one explicitly configured Kubernetes provider.
"""

import pulumi
import pulumi_docker as docker
import pulumi_kubernetes as k8s

from components.datakit_image import DatakitImage, datakit_image_args, runtime_image_args
from components.kerberos import KerberosSidecar, KerberosSidecarArgs
from components.platform import AstronomerPlatform, PlatformArgs
from components.tenant import Tenant, TenantArgs
from config.loader import load

config, secrets = load()

kubernetes = k8s.Provider(
    "kubernetes",
    context=config.kubernetes.context,
    kubeconfig=config.kubernetes.kubeconfig,
)
k8s_opts = pulumi.ResourceOptions(providers=[kubernetes])

# Images are built only with images.build; the Docker provider is explicit like the Kubernetes one.
docker_opts = (
    pulumi.ResourceOptions(providers=[docker.Provider("docker")]) if config.images.build else None
)
runtime_image = DatakitImage("astro-runtime-krb5", runtime_image_args(config, secrets), opts=docker_opts)
images = {"astro-runtime-krb5": runtime_image} | {
    f"datakit-{name}": DatakitImage(
        f"datakit-{name}",
        datakit_image_args(config, secrets, name, base_image=runtime_image.image_ref),
        opts=docker_opts,
    )
    for name in config.datakits
}

tenants = {
    tenant.name: Tenant(
        tenant.name,
        TenantArgs(
            config=config,
            tenant=tenant,
            datakit_images={kit: images[f"datakit-{kit}"].image_ref for kit in tenant.datakits},
        ),
        opts=k8s_opts,
    )
    for tenant in config.tenants
}

platform = AstronomerPlatform(
    "astronomer",
    PlatformArgs(
        config=config,
        secrets=secrets,
        project=pulumi.get_project(),
        stack=pulumi.get_stack(),
        tenant_namespaces=[tenant.namespace for tenant in tenants.values()],
    ),
    opts=k8s_opts,
)

KerberosSidecar(
    "kerberos",
    KerberosSidecarArgs(
        config=config,
        secrets=secrets,
        platform_namespace=platform.namespace.metadata.name,
        tenant_namespaces={name: tenant.namespace_name for name, tenant in tenants.items()},
    ),
    opts=k8s_opts,
)

pulumi.export("platformNamespace", platform.namespace.metadata.name)
pulumi.export("houstonUrl", platform.houston_url)
pulumi.export("releaseStatus", platform.release.status.apply(lambda status: status.status))
pulumi.export("tenantNamespaces", {t.name: t.namespace for t in config.tenants})
pulumi.export("images", {name: image.image_ref for name, image in images.items()})
