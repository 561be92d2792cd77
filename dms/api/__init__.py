"""Project-wide DRF building blocks: tenant-scoped viewsets, permissions, pagination, /api/me/."""
