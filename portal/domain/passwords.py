"""Staff passwords: hashed with Argon2id, older hashes upgraded at the next
sign-in, and refused when they are short or easy to guess.

``PORTAL_PASSWORD_HASH_METHOD`` is ``argon2id`` (the library's recommended
cost) or ``argon2id:TIME:MEMORY_KIB:PARALLELISM`` (tests use a cheap one).
Hashes written by earlier versions (Werkzeug's ``scrypt:...``) are still
checked, and replaced once the password has been typed again.
"""

from __future__ import annotations

from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from werkzeug.security import check_password_hash
from zxcvbn import zxcvbn

from . import limits

MIN_LENGTH = 12
#: zxcvbn's guessability score (0 to 4) a password must reach: 3 is "safely
#: unguessable" (about 10^8 guesses or more).
MIN_SCORE = 3
#: zxcvbn reads only this much of a password (its cost grows with the length).
_ESTIMATED_CHARACTERS = 100
#: The hash of an account that has no password yet (invited): nothing matches it.
UNUSABLE = "!unusable"


@lru_cache(maxsize=8)
def hasher(method: str) -> PasswordHasher:
    """Return the Argon2id hasher for a ``PORTAL_PASSWORD_HASH_METHOD``."""
    name, *costs = method.split(":")
    if name != "argon2id" or len(costs) not in (0, 3):
        raise ValueError(f"{method!r} is not argon2id or argon2id:TIME:MEMORY_KIB:PARALLELISM")
    if not costs:
        return PasswordHasher()
    time_cost, memory_cost, parallelism = (int(cost) for cost in costs)
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism)


def hash_password(password: str, method: str) -> str:
    """Return the Argon2id hash of a password."""
    return hasher(method).hash(password)


def verify(stored: str, password: str, method: str) -> bool:
    """Tell whether ``password`` matches the stored hash (Argon2id, or a
    Werkzeug hash from before); never for an unusable one."""
    if not usable(stored):
        return False
    if not stored.startswith("$argon2"):
        return check_password_hash(stored, password)
    try:
        return hasher(method).verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def usable(stored: str) -> bool:
    """Tell whether a stored hash can match a password (not an invited account's)."""
    return not stored.startswith("!")


def needs_rehash(stored: str, method: str) -> bool:
    """Tell whether a stored hash is older or cheaper than the method asks."""
    return not stored.startswith("$argon2id") or hasher(method).check_needs_rehash(stored)


def weakness(password: str, *, known_words: tuple[str, ...] = ()) -> str | None:
    """Say why a password is refused, or None: ``too_short`` (under 12
    characters) or ``too_common`` (a common password, word, name, date or
    keyboard pattern, or built from ``known_words`` such as the email address),
    or ``too_long`` (over ``limits.PASSWORD`` characters)."""
    if len(password) < MIN_LENGTH:
        return "too_short"
    if len(password) > limits.PASSWORD:
        return "too_long"
    estimate = zxcvbn(password[:_ESTIMATED_CHARACTERS], user_inputs=[w for w in known_words if w])
    return "too_common" if estimate["score"] < MIN_SCORE else None
