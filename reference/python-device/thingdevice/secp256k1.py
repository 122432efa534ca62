"""secp256k1 with Python integers: keys, RFC 6979 ECDSA (low s), ECDH points.

Signatures are 64 bytes r || s (big-endian) with s <= n/2, the form
docs/device-api.md and docs/consensus.md require. Nonces are RFC 6979
(HMAC-SHA256), so a signature is a function of key and hash and equals the
Go node's byte for byte. Plain integer arithmetic: fine for a device that
signs a few transactions an hour, not constant-time (see README).
"""

import hashlib
import hmac
import os

P = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFC2F
N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
G = (
    0x79BE667EF9DCBBAC55A06295CE870B07029BFCDB2DCE28D959F2815B16F81798,
    0x483ADA7726A3C4655DA4FBFC0E1108A8FD17B448A68554199C47D08FFB10D4B8,
)


class KeyError_(ValueError):
    """A key or point that is not valid secp256k1."""


def _inv(a, m):
    return pow(a, -1, m)


# Jacobian coordinates keep a multiplication to one inversion.
def _jdouble(p):
    x, y, z = p
    if y == 0 or z == 0:
        return (0, 1, 0)
    ysq = y * y % P
    s = 4 * x * ysq % P
    m = 3 * x * x % P
    nx = (m * m - 2 * s) % P
    ny = (m * (s - nx) - 8 * ysq * ysq) % P
    nz = 2 * y * z % P
    return (nx, ny, nz)


def _jadd(p, q):
    if p[2] == 0:
        return q
    if q[2] == 0:
        return p
    x1, y1, z1 = p
    x2, y2, z2 = q
    z1s, z2s = z1 * z1 % P, z2 * z2 % P
    u1, u2 = x1 * z2s % P, x2 * z1s % P
    s1, s2 = y1 * z2s * z2 % P, y2 * z1s * z1 % P
    if u1 == u2:
        if s1 != s2:
            return (0, 1, 0)
        return _jdouble(p)
    h = (u2 - u1) % P
    r = (s2 - s1) % P
    h2 = h * h % P
    h3 = h * h2 % P
    u1h2 = u1 * h2 % P
    nx = (r * r - h3 - 2 * u1h2) % P
    ny = (r * (u1h2 - nx) - s1 * h3) % P
    nz = h * z1 * z2 % P
    return (nx, ny, nz)


def _affine(p):
    if p[2] == 0:
        return None
    zi = _inv(p[2], P)
    zi2 = zi * zi % P
    return (p[0] * zi2 % P, p[1] * zi2 * zi % P)


def mul(k, point=G):
    """k * point (affine in, affine out; None is the point at infinity)."""
    if point is None:
        return None
    acc = (0, 1, 0)
    add = (point[0], point[1], 1)
    k %= N
    while k:
        if k & 1:
            acc = _jadd(acc, add)
        add = _jdouble(add)
        k >>= 1
    return _affine(acc)


def add(p, q):
    if p is None:
        return q
    if q is None:
        return p
    return _affine(_jadd((p[0], p[1], 1), (q[0], q[1], 1)))


def on_curve(pt):
    x, y = pt
    return 0 <= x < P and 0 <= y < P and (y * y - x * x * x - 7) % P == 0


def compress(pt):
    return bytes([2 + (pt[1] & 1)]) + pt[0].to_bytes(32, "big")


def uncompressed(pt):
    return b"\x04" + pt[0].to_bytes(32, "big") + pt[1].to_bytes(32, "big")


def decode_point(b):
    """A 33-byte compressed or 65-byte uncompressed point, checked on the curve."""
    if len(b) == 33 and b[0] in (2, 3):
        x = int.from_bytes(b[1:], "big")
        if x >= P:
            raise KeyError_("x coordinate out of range")
        y2 = (pow(x, 3, P) + 7) % P
        y = pow(y2, (P + 1) // 4, P)
        if y * y % P != y2:
            raise KeyError_("not a point on secp256k1")
        if (y & 1) != (b[0] & 1):
            y = P - y
        return (x, y)
    if len(b) == 65 and b[0] == 4:
        pt = (int.from_bytes(b[1:33], "big"), int.from_bytes(b[33:], "big"))
        if not on_curve(pt):
            raise KeyError_("not a point on secp256k1")
        return pt
    raise KeyError_("a public key is 33 bytes (02/03 || X) or 65 bytes (04 || X || Y), got %d bytes" % len(b))


class PrivateKey:
    """A secp256k1 secret d, 1 <= d < n."""

    def __init__(self, secret):
        if isinstance(secret, (bytes, bytearray)):
            if len(secret) != 32:
                raise KeyError_("a private key is 32 bytes, got %d" % len(secret))
            secret = int.from_bytes(secret, "big")
        if not 1 <= secret < N:
            raise KeyError_("private key out of range")
        self.d = secret
        self.point = mul(secret)

    @classmethod
    def generate(cls):
        while True:
            d = int.from_bytes(os.urandom(32), "big")
            if 1 <= d < N:
                return cls(d)

    def to_bytes(self):
        return self.d.to_bytes(32, "big")

    def public_key(self):
        """The 33-byte compressed public key."""
        return compress(self.point)

    def sign(self, digest):
        """ECDSA over a 32-byte digest: r || s, RFC 6979 nonce, low s."""
        return sign(self.d, digest)


def _bits2int(b):
    # qlen = blen = 256 for secp256k1 and a 32-byte hash.
    return int.from_bytes(b, "big")


def rfc6979_nonces(d, digest):
    """RFC 6979 section 3.2 candidates k for secret d and a 32-byte digest."""
    x = d.to_bytes(32, "big")
    h1 = (_bits2int(digest) % N).to_bytes(32, "big")
    v = b"\x01" * 32
    k = b"\x00" * 32
    k = hmac.new(k, v + b"\x00" + x + h1, hashlib.sha256).digest()
    v = hmac.new(k, v, hashlib.sha256).digest()
    k = hmac.new(k, v + b"\x01" + x + h1, hashlib.sha256).digest()
    v = hmac.new(k, v, hashlib.sha256).digest()
    while True:
        v = hmac.new(k, v, hashlib.sha256).digest()
        cand = _bits2int(v)
        if 1 <= cand < N:
            yield cand
        k = hmac.new(k, v + b"\x00", hashlib.sha256).digest()
        v = hmac.new(k, v, hashlib.sha256).digest()


def sign(d, digest):
    if len(digest) != 32:
        raise ValueError("sign a 32-byte digest")
    e = _bits2int(digest) % N
    for k in rfc6979_nonces(d, digest):
        r = mul(k)[0] % N
        if r == 0:
            continue
        s = _inv(k, N) * (e + r * d) % N
        if s == 0:
            continue
        if s > N // 2:
            s = N - s
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def verify(pub, digest, sig):
    """Checks a 64-byte r || s signature (low s required) by a public key."""
    if len(sig) != 64:
        return False
    pt = decode_point(pub)
    r, s = int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big")
    if not (1 <= r < N and 1 <= s <= N // 2):
        return False
    e = _bits2int(digest) % N
    w = _inv(s, N)
    q = add(mul(e * w % N), mul(r * w % N, pt))
    return q is not None and q[0] % N == r
