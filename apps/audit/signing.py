"""Ed25519 keys of the audit log: the signing key from the environment, the keys trusted to verify.

``AUDIT_SIGNING_KEY`` is the base64 of a 32-byte Ed25519 seed. Production refuses to
start without one (config/settings/production.py); elsewhere an empty setting
means a throwaway key derived from a public constant: it is NOT a secret, and
checkpoints signed with it prove nothing to an outsider. ``AUDIT_TRUSTED_PUBLIC_KEYS``
lists retired public keys (base64), so checkpoints signed before a rotation still verify.

cryptography is imported where a key is used, not with this module: its serialization
module pulls in every key type (RSA, EC, DSA, X.509; ~12 MB), which a web worker that
never signs should not carry (config/lean_imports.py, bench/worker_rss.py).
"""

import base64
import binascii
import hashlib
from functools import lru_cache
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

THROWAWAY_SEED = hashlib.sha256(b"clinicops audit throwaway development key, not a secret").digest()


def parse_seed(value: str) -> bytes:
    """The 32-byte seed of a base64 setting; ImproperlyConfigured for anything else."""
    try:
        seed = base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise ImproperlyConfigured("AUDIT_SIGNING_KEY must be base64 (of a 32-byte Ed25519 seed)") from None
    if len(seed) != 32:
        raise ImproperlyConfigured("AUDIT_SIGNING_KEY must decode to exactly 32 bytes (an Ed25519 seed)")
    return seed


def generate_seed_b64() -> str:
    """A new random seed, base64, for AUDIT_SIGNING_KEY."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    raw = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    return base64.b64encode(raw).decode()


def public_key_bytes(key: "Ed25519PublicKey") -> bytes:
    from cryptography.hazmat.primitives import serialization

    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id_of(public: bytes) -> str:
    """A short name of a public key: the first 8 bytes of its SHA-256, hex."""
    return hashlib.sha256(public).hexdigest()[:16]


@lru_cache(maxsize=8)
def _private_key(setting: str) -> "Ed25519PrivateKey":
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    seed = parse_seed(setting) if setting else THROWAWAY_SEED
    return Ed25519PrivateKey.from_private_bytes(seed)


def signing_key() -> "Ed25519PrivateKey":
    """The key that signs new checkpoints (the throwaway one when the setting is empty)."""
    return _private_key(settings.AUDIT_SIGNING_KEY or "")


def signing_key_is_throwaway() -> bool:
    return not settings.AUDIT_SIGNING_KEY


def current_public_key() -> bytes:
    return public_key_bytes(signing_key().public_key())


def current_key_id() -> str:
    return key_id_of(current_public_key())


def trusted_public_keys() -> dict[str, bytes]:
    """key id -> raw public key: the current key and every retired one still trusted."""
    keys = {current_key_id(): current_public_key()}
    for value in settings.AUDIT_TRUSTED_PUBLIC_KEYS:
        if value.strip():
            raw = base64.b64decode(value.strip())
            keys[key_id_of(raw)] = raw
    return keys


def sign(message: bytes) -> str:
    """Base64 Ed25519 signature of ``message`` with the current key."""
    return base64.b64encode(signing_key().sign(message)).decode()


def verify_signature(message: bytes, signature_b64: str, public: bytes) -> bool:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        Ed25519PublicKey.from_public_bytes(public).verify(base64.b64decode(signature_b64), message)
    except (InvalidSignature, ValueError, binascii.Error):
        return False
    return True
