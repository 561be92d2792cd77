"""One-time backup codes: generation and the one normal form they are compared in."""

from __future__ import annotations

import secrets

# No 0/1/i/l/o: codes are read off paper. 31 symbols, 10 of them: about 49 bits.
ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
CODE_LENGTH = 10
CODES_PER_SET = 10


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def display_code(code: str) -> str:
    """`abcdefghjk` -> `abcde-fghjk` (easier to copy; the dash is optional when typing)."""
    half = len(code) // 2
    return f"{code[:half]}-{code[half:]}"


def normalise_code(raw: str) -> str:
    """What the user typed -> the form the hash was made from (case, spaces, dashes ignored)."""
    return "".join(ch for ch in raw.strip().lower() if ch not in " -\t")


def looks_like_backup_code(raw: str) -> bool:
    code = normalise_code(raw)
    return len(code) == CODE_LENGTH and all(ch in ALPHABET for ch in code)
