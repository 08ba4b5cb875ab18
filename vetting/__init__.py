"""Image vetting: the images the pinned platform pulls, scanned, then mirrored into Artifactory by digest.

``python -m vetting lock|check|vet|mirror`` (docs/image-vetting.md).
"""
