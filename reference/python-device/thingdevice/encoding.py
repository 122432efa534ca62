"""Canonical transaction encoding and hashes (docs/device-api.md sections 1-3,
docs/auction.md section 4, docs/consensus.md "Encoding").

Every integer is little-endian; the payload length in the envelope is an
unsigned LEB128 varint; payload strings are u16 length + UTF-8 and blobs
u32 length + bytes.
"""

import hashlib
import struct

from . import secp256k1 as ec

# Networks: chain IDs of the metadata and auction chains, address prefix.
NETWORKS = {
    "main": {"metadata": 0x74630001, "auction": 0x74630002, "hrp": "tc"},
    "test": {"metadata": 0x74631001, "auction": 0x74631002, "hrp": "tct"},
    "regtest": {"metadata": 0x74632001, "auction": 0x74632002, "hrp": "tcr"},
}

# Transaction types.
TX_CHECKIN = 4
TX_DISABLE = 5
TX_SET_TERMS = 6
TX_OPEN_AUCTION = 10
TX_PAY = 13
TX_DELIVER_KEY = 14


def sha256(b):
    return hashlib.sha256(b).digest()


def H(b):
    """Double SHA-256."""
    return sha256(sha256(b))


def u16(v):
    return struct.pack("<H", v)


def u32(v):
    return struct.pack("<I", v)


def u64(v):
    return struct.pack("<Q", v)


def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def string(s, max_len=None):
    b = s.encode("utf-8")
    if max_len is not None and len(b) > max_len:
        raise ValueError("string of %d bytes, at most %d" % (len(b), max_len))
    if any(c < 0x20 or c == 0x7F for c in b):
        raise ValueError("control characters are not allowed in %r" % s)
    return u16(len(b)) + b


def blob(b):
    return u32(len(b)) + bytes(b)


class Tx:
    """The transaction envelope (docs/consensus.md)."""

    def __init__(self, chain_id, type_, nonce, fee, expiry, sender, payload, signature=b""):
        if len(sender) != 33:
            raise ValueError("the sender is a 33-byte compressed public key")
        self.chain_id, self.type, self.nonce, self.fee, self.expiry = chain_id, type_, nonce, fee, expiry
        self.sender, self.payload, self.signature = bytes(sender), bytes(payload), bytes(signature)

    def unsigned(self):
        return (u32(self.chain_id) + u16(self.type) + u64(self.nonce) + u64(self.fee) + u64(self.expiry)
                + self.sender + varint(len(self.payload)) + self.payload)

    def sig_hash(self):
        return H(b"thingchain/tx/v1" + self.unsigned())

    def sign(self, key):
        if key.public_key() != self.sender:
            raise ValueError("the signing key is not the transaction's sender")
        self.signature = key.sign(self.sig_hash())
        return self

    def encode(self):
        if len(self.signature) != 64:
            raise ValueError("unsigned transaction")
        return self.unsigned() + self.signature

    def txid(self):
        return H(self.encode())


def new_tx(chain_id, type_, nonce, key, payload, fee=0, expiry=0):
    return Tx(chain_id, type_, nonce, fee, expiry, key.public_key(), payload).sign(key)


# --- metadata chain (docs/device-api.md section 3) ---------------------------

def terms_bytes(terms):
    reserve, points, period = terms
    return u64(reserve) + u64(points) + u64(period)


def enable_hash(chain_id, device, owner, td, metadata, region, terms, device_nonce):
    """The hash the owner signs to consent to a check-in (section 3.4)."""
    return H(b"thingchain/enable/v1" + u32(chain_id) + device + owner + sha256(td) + sha256(metadata)
             + string(region, 16) + terms_bytes(terms) + u64(device_nonce))


def checkin_payload(owner, region, terms, td, metadata, owner_sig):
    if len(owner_sig) != 64:
        raise ValueError("the owner signature is 64 bytes")
    return owner + string(region, 16) + terms_bytes(terms) + blob(td) + blob(metadata) + owner_sig


def disable_payload(device):
    return bytes(device)


def set_terms_payload(device, terms):
    return bytes(device) + terms_bytes(terms)


def attest_payload(device, model_id):
    return bytes(device) + string(model_id, 64)


# --- auction chain (docs/auction.md section 4) -------------------------------

def open_auction_payload(device, seq):
    return bytes(device) + u64(seq)


def pay_payload(auction_id):
    return bytes(auction_id)


def deliver_key_payload(auction_id, key_hash, ciphertext):
    if len(auction_id) != 32 or len(key_hash) != 32:
        raise ValueError("auction ID and key hash are 32 bytes")
    return bytes(auction_id) + bytes(key_hash) + u32(len(ciphertext)) + bytes(ciphertext)


def auction_id(device, n):
    """ID of the n-th auction of a device."""
    return sha256(b"thingchain/auction/id/v1" + bytes(device) + u64(n))


# --- addresses: first 20 bytes of SHA-256(pubkey), bech32m (BIP-350) ---------

_CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_BECH32M = 0x2BC830A3


def _polymod(values):
    gen = [0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3]
    chk = 1
    for v in values:
        top = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ v
        for i in range(5):
            chk ^= gen[i] if ((top >> i) & 1) else 0
    return chk


def _hrp_expand(hrp):
    return [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]


def _to5(data):
    acc = bits = 0
    out = []
    for b in data:
        acc = (acc << 8) | b
        bits += 8
        while bits >= 5:
            bits -= 5
            out.append((acc >> bits) & 31)
    if bits:
        out.append((acc << (5 - bits)) & 31)
    return out


def address(pubkey, hrp):
    """The bech32m address of a public key: the 20 bytes as 32 five-bit
    characters (no witness version), BIP-350 checksum."""
    data = _to5(sha256(bytes(pubkey))[:20])
    pm = _polymod(_hrp_expand(hrp) + data + [0] * 6) ^ _BECH32M
    checksum = [(pm >> 5 * (5 - i)) & 31 for i in range(6)]
    return hrp + "1" + "".join(_CHARSET[d] for d in data + checksum)


def device_urn(pubkey):
    return "urn:thingchain:device:" + bytes(pubkey).hex()


def parse_pubkey(hex_or_bytes):
    b = bytes.fromhex(hex_or_bytes) if isinstance(hex_or_bytes, str) else bytes(hex_or_bytes)
    ec.decode_point(b)
    if len(b) != 33:
        raise ValueError("public keys are 33-byte compressed keys")
    return b
