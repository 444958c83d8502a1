"""The password hashing port implemented with Argon2id (argon2-cffi; RFC 9106 parameters of the library)."""

from __future__ import annotations

from argon2 import PasswordHasher as Argon2
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError


class Argon2PasswordHasher:
    """Salted Argon2id hashes; ``verify`` never raises for a wrong password or a damaged hash."""

    def __init__(self, *, time_cost: int = 3, memory_cost_kib: int = 65536) -> None:
        self._argon2 = Argon2(time_cost=time_cost, memory_cost=memory_cost_kib)

    def hash(self, password: str) -> str:
        return self._argon2.hash(password)

    def verify(self, password_hash: str, password: str) -> bool:
        try:
            return self._argon2.verify(password_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, password_hash: str) -> bool:
        try:
            return self._argon2.check_needs_rehash(password_hash)
        except InvalidHashError:
            return True
