"""The access check of data requests (docs/device-api.md section 9).

A request carries  Authorization: Bearer <auction ID, 64 hex>.<key K, 64 hex>
and is served when the auction (auction.get) is one of this device's, has a
key delivery whose key_hash is SHA-256(K), and now (Unix ms) lies in
[delivery.time, delivery.expires).
"""

import hashlib
import hmac
import threading
import time
from datetime import datetime, timezone

from .rpc import NodeUnreachable, RPCError


class AccessRequired(Exception):
    """401 access_key_required."""

    status, code = 401, "access_key_required"


class AccessDenied(Exception):
    """403 access_denied."""

    status, code = 403, "access_denied"


FORGED = "the access key does not grant this request: forged or wrong key"


def rfc3339(ms):
    return datetime.fromtimestamp(ms / 1000, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_authorization(header):
    """Returns (auction ID bytes, key bytes) or raises AccessRequired."""
    if not header:
        raise AccessRequired("an access key is required: send \"Authorization: Bearer <auction ID hex>.<access key hex>\"")
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise AccessRequired("an access key is required: the Authorization header must be \"Bearer <auction ID hex>.<access key hex>\"")
    id_hex, dot, key_hex = token.partition(".")
    if not dot:
        raise AccessRequired("an access key is required: the token must be <auction ID hex>.<access key hex>")
    try:
        auction = bytes.fromhex(id_hex)
    except ValueError:
        raise AccessRequired("an access key is required: auction ID: not hex") from None
    if len(auction) != 32:
        raise AccessRequired("an access key is required: auction ID: %d bytes, want 32" % len(auction))
    try:
        key = bytes.fromhex(key_hex)
    except ValueError:
        raise AccessRequired("an access key is required: access key: not hex") from None
    if len(key) != 32:
        raise AccessRequired("an access key is required: access key: %d bytes, want 32" % len(key))
    return auction, key


class ChainAccess:
    """Checks bearer tokens against the chain, caching auction reads
    (cache_ttl seconds; delivered_ttl once a delivery is known)."""

    def __init__(self, client, device, local_key=None, now_ms=None, cache_ttl=5.0, delivered_ttl=60.0):
        self.client, self.device_hex = client, device.hex()
        self.local_key = local_key  # auction ID bytes -> key bytes or None
        self.now_ms = now_ms or (lambda: int(time.time() * 1000))
        self.cache_ttl, self.delivered_ttl = cache_ttl, delivered_ttl
        self._cache = {}
        self._lock = threading.Lock()

    def _auction(self, auction):
        now = time.monotonic()
        with self._lock:
            hit = self._cache.get(auction)
            if hit:
                view, fetched = hit
                age = now - fetched
                if age < self.cache_ttl or (view and view.get("delivery") and age < self.delivered_ttl):
                    return view
        view = self.client.call("auction.get", {"id": auction.hex()})
        with self._lock:
            if len(self._cache) >= 4096:
                self._cache.clear()
            self._cache[auction] = (view, now)
        return view

    def check(self, authorization):
        auction, key = parse_authorization(authorization)
        key_hash = hashlib.sha256(key).digest()
        if self.local_key:
            own = self.local_key(auction)
            if own is not None and not hmac.compare_digest(hashlib.sha256(own).digest(), key_hash):
                raise AccessDenied(FORGED)
        try:
            view = self._auction(auction)
        except (NodeUnreachable, RPCError) as e:
            raise AccessRequired("an access key is required: cannot check the key now (%s); retry later" % e) from None
        if not view or view.get("device") != self.device_hex:
            raise AccessDenied(FORGED)
        d = view.get("delivery")
        if not d:
            raise AccessDenied("the access key does not grant this request: no access key was delivered for auction %s yet (status %s)"
                               % (auction.hex(), view.get("status")))
        if not hmac.compare_digest(bytes.fromhex(d["key_hash"]), key_hash):
            raise AccessDenied(FORGED)
        now = self.now_ms()
        if now < d["time"]:
            raise AccessDenied("the access key does not grant this request: access period starts at %s" % rfc3339(d["time"]))
        if now >= d["expires"]:
            raise AccessDenied("the access key does not grant this request: access period ended at %s" % rfc3339(d["expires"]))
        return auction
