"""The REST API at /api/v1/: DRF views over the same services and selectors as the pages.

A request authenticates with a workspace token (``Authorization: Bearer <token>``) or the
browser's session; access.api_member is the one membership check every view makes.
"""
