"""The HQ catalogue pages (issue 14, item 1): kept apart from the dealer stock pages to come."""
