"""Parts stock tables (filled in by issue 15)."""

__all__: list[str] = []
