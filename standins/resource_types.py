"""Type tokens of the resources the offline tools treat specially (the rest are Kubernetes objects)."""

RELEASE_TYPE = "kubernetes:helm.sh/v3:Release"
IMAGE_TYPE = "docker:index/image:Image"
