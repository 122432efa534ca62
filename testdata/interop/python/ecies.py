#!/usr/bin/env python3
"""thingchain's ECIES (docs/auction.md section 9; the eciesjs/eciespy default
format) in Python, written from the spec with only the `cryptography`
package (Debian: python3-cryptography) and integer arithmetic for the
secp256k1 point multiplication, which `cryptography` does not expose (its
ECDH returns only the X coordinate, and the format hashes the whole point).

    ciphertext = E (65, 0x04||X||Y) || nonce (16) || tag (16) || AES-256-GCM body
    key        = HKDF-SHA256(IKM = E || S, no salt, empty info, 32 bytes)
    S          = e * P (uncompressed), E = e * G

Run as a script it answers chain/keys TestECIESInteropPython with the same
JSON protocol as ../eciesjs/interop.cjs: it checks testdata/ecies.json,
decrypts the Go ciphertexts in "from_go" and encrypts "to_go" for Go.
"""
import json
import os
import sys

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

# secp256k1
P = 2**256 - 2**32 - 977
N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
G = (0x79BE667EF9DCBBAC55A06295CE870B07029BFCDB2DCE28D959F2815B16F81798,
     0x483ADA7726A3C4655DA4FBFC0E1108A8FD17B448A68554199C47D08FFB10D4B8)


def _jdouble(p):
    x, y, z = p
    if y == 0:
        return (0, 1, 0)
    s = 4 * x * y * y % P
    m = 3 * x * x % P  # a = 0
    x2 = (m * m - 2 * s) % P
    return (x2, (m * (s - x2) - 8 * pow(y, 4, P)) % P, 2 * y * z % P)


def _jadd(p, q):
    if p[2] == 0:
        return q
    if q[2] == 0:
        return p
    z1z1, z2z2 = p[2] * p[2] % P, q[2] * q[2] % P
    u1, u2 = p[0] * z2z2 % P, q[0] * z1z1 % P
    s1, s2 = p[1] * q[2] * z2z2 % P, q[1] * p[2] * z1z1 % P
    if u1 == u2:
        return _jdouble(p) if s1 == s2 else (0, 1, 0)
    h, r = (u2 - u1) % P, (s2 - s1) % P
    hh = h * h % P
    hhh, v = h * hh % P, u1 * hh % P
    x3 = (r * r - hhh - 2 * v) % P
    return (x3, (r * (v - x3) - s1 * hhh) % P, h * p[2] * q[2] % P)


def _mul(k, pt):
    """k * pt in Jacobian coordinates (one inversion at the end)."""
    out, add = (0, 1, 0), (pt[0], pt[1], 1)
    while k:
        if k & 1:
            out = _jadd(out, add)
        add = _jdouble(add)
        k >>= 1
    if out[2] == 0:
        raise ValueError("point at infinity")
    zi = pow(out[2], P - 2, P)
    return out[0] * zi * zi % P, out[1] * zi * zi * zi % P


def _encode(pt):
    return b"\x04" + pt[0].to_bytes(32, "big") + pt[1].to_bytes(32, "big")


def _decode(b):
    """Parses a compressed (33) or uncompressed (65) point on the curve."""
    if len(b) == 65 and b[0] == 4:
        x, y = int.from_bytes(b[1:33], "big"), int.from_bytes(b[33:], "big")
    elif len(b) == 33 and b[0] in (2, 3):
        x = int.from_bytes(b[1:], "big")
        y = pow((x * x * x + 7) % P, (P + 1) // 4, P)
        if y % 2 != b[0] % 2:
            y = P - y
    else:
        raise ValueError("not a compressed or uncompressed point")
    if x >= P or y >= P or (y * y - x * x * x - 7) % P:
        raise ValueError("point not on secp256k1")
    return x, y


def _key(eph, shared):
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"").derive(eph + shared)


def encrypt(recipient, plaintext, e=None, nonce=None):
    """Encrypts to a 33- or 65-byte public key. e and nonce are for vectors."""
    p = _decode(recipient)
    if e is None:
        e = int.from_bytes(os.urandom(32), "big") % (N - 1) + 1
    nonce = os.urandom(16) if nonce is None else nonce
    eph, shared = _encode(_mul(e, G)), _encode(_mul(e, p))
    sealed = AESGCM(_key(eph, shared)).encrypt(nonce, plaintext, None)
    return eph + nonce + sealed[-16:] + sealed[:-16]


def decrypt(secret, ct):
    """Decrypts with a 32-byte secret; raises on any failure."""
    if len(ct) < 97 or ct[0] != 4:
        raise ValueError("not an ECIES ciphertext")
    eph = ct[:65]
    shared = _encode(_mul(int.from_bytes(secret, "big"), _decode(eph)))
    nonce, tag, body = ct[65:81], ct[81:97], ct[97:]
    return AESGCM(_key(eph, shared)).decrypt(nonce, body + tag, None)


def _fail(msg):
    sys.stderr.write("python ECIES interop: %s\n" % msg)
    sys.exit(1)


def main():
    req = json.load(sys.stdin)
    with open(req["vectors"]) as f:
        vectors = json.load(f)
    ok = 0
    for v in vectors["valid"]:
        rs = bytes.fromhex(v["recipient_secret"])
        pub = _mul(int.from_bytes(rs, "big"), G)
        if (b"\x02" if pub[1] % 2 == 0 else b"\x03") + pub[0].to_bytes(32, "big") != bytes.fromhex(v["recipient_public"]):
            _fail("%s: recipient_public differs" % v["name"])
        ct = encrypt(bytes.fromhex(v["recipient_public"]), bytes.fromhex(v["plaintext"]),
                     e=int(v["ephemeral_secret"], 16), nonce=bytes.fromhex(v["nonce"]))
        if ct.hex() != v["ciphertext"]:
            _fail("%s: ciphertext differs\n got %s\nwant %s" % (v["name"], ct.hex(), v["ciphertext"]))
        if decrypt(rs, bytes.fromhex(v["ciphertext"])).hex() != v["plaintext"]:
            _fail("%s: decrypts to another plaintext" % v["name"])
        ok += 1
    bad = 0
    for v in vectors["invalid"]:
        try:
            pt = decrypt(bytes.fromhex(v["recipient_secret"]), bytes.fromhex(v["ciphertext"]))
        except Exception:
            bad += 1
            continue
        _fail('invalid vector "%s" decrypted to %s' % (v["name"], pt.hex()))
    from_go = 0
    for i, c in enumerate(req.get("from_go") or []):
        try:
            pt = decrypt(bytes.fromhex(c["recipient_secret"]), bytes.fromhex(c["ciphertext"]))
        except Exception as e:
            _fail("from_go[%d]: cannot decrypt the Go ciphertext: %r" % (i, e))
        if pt.hex() != c["plaintext"]:
            _fail("from_go[%d]: decrypts to %s" % (i, pt.hex()))
        from_go += 1
    to_go = [encrypt(bytes.fromhex(c["recipient_public"]), bytes.fromhex(c["plaintext"])).hex()
             for c in req.get("to_go") or []]
    json.dump({"vectors": ok, "invalid": bad, "from_go": from_go, "to_go": to_go}, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
