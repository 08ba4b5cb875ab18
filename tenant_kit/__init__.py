"""A local development kit per tenant: an Astro CLI project built on the platform's vetted Runtime image,
with the tenant's settings as the program sends them to its deployment (docs/local-kit.md)."""
