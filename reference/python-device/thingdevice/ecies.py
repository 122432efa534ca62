"""ECIES in the format of eciesjs/eciespy's defaults (docs/auction.md section 9).

ciphertext = E (65, uncompressed) || nonce (16) || tag (16) || AES-256-GCM(M)
K = HKDF-SHA256(IKM = E || S, no salt, empty info, 32 bytes), S = e*P uncompressed.
"""

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from . import secp256k1 as ec

OVERHEAD = 65 + 16 + 16


class DecryptError(ValueError):
    """The ciphertext cannot be opened (one error for every cause)."""


def derive_key(ephemeral_public, shared_point):
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"").derive(ephemeral_public + shared_point)


def encrypt(recipient_public, plaintext, ephemeral_secret=None, nonce=None):
    """Encrypts to a 33- or 65-byte public key. ephemeral_secret and nonce
    are drawn at random unless given (test vectors give them)."""
    recipient = ec.decode_point(recipient_public)
    eph = ec.PrivateKey(ephemeral_secret) if ephemeral_secret is not None else ec.PrivateKey.generate()
    if nonce is None:
        nonce = os.urandom(16)
    if len(nonce) != 16:
        raise ValueError("the nonce is 16 bytes")
    e_pub = ec.uncompressed(eph.point)
    shared = ec.uncompressed(ec.mul(eph.d, recipient))
    sealed = AESGCM(derive_key(e_pub, shared)).encrypt(nonce, plaintext, None)  # ciphertext || tag
    body, tag = sealed[:-16], sealed[-16:]
    return e_pub + nonce + tag + body


def decrypt(recipient_secret, data):
    if len(data) < OVERHEAD or data[0] != 4:
        raise DecryptError("cannot decrypt")
    try:
        e_pt = ec.decode_point(data[:65])
    except ec.KeyError_:
        raise DecryptError("cannot decrypt") from None
    d = recipient_secret.d if isinstance(recipient_secret, ec.PrivateKey) else int.from_bytes(recipient_secret, "big")
    shared = ec.uncompressed(ec.mul(d, e_pt))
    nonce, tag, body = data[65:81], data[81:97], data[97:]
    try:
        return AESGCM(derive_key(data[:65], shared)).decrypt(nonce, body + tag, None)
    except InvalidTag:
        raise DecryptError("cannot decrypt") from None
