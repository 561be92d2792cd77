"""HQ reference data (the JSON files next to this module) and the translatable list of its
default texts (messages.py)."""
