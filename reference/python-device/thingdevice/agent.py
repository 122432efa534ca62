"""The device agent: key files, the state file, the owner's consent and
check-in, and key delivery for every won auction (docs/device-api.md
sections 3.4 and 9, docs/auction.md sections 2, 4 and 9)."""

import json
import logging
import os
import socket
import tempfile
import threading
import time

from . import ecies
from . import encoding as enc
from . import secp256k1 as ec
from .rpc import NodeUnreachable, RPCError, Subscription, WebSocketClosed

log = logging.getLogger("thingdevice.agent")


# --- files -------------------------------------------------------------------

def write_private(path, data):
    """Writes data to path atomically with mode 0600 (temp file, fsync, rename)."""
    d = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=d, prefix=".tmp-")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    dfd = os.open(d, os.O_RDONLY)
    try:
        os.fsync(dfd)
    finally:
        os.close(dfd)


def generate_key_file(path):
    if os.path.exists(path):
        raise FileExistsError("%s exists; refusing to overwrite a key" % path)
    key = ec.PrivateKey.generate()
    write_private(path, (key.to_bytes().hex() + "\n").encode())
    return key


def load_key_file(path, what):
    try:
        with open(path) as f:
            text = f.read().strip()
    except OSError as e:
        raise SystemExit("%s key file %s: %s (create one with: python3 -m thingdevice keygen --out %s)" % (what, path, e.strerror, path))
    try:
        return ec.PrivateKey(bytes.fromhex(text))
    except ValueError as e:
        raise SystemExit("%s key file %s: want 64 hex digits of a secp256k1 secret: %s" % (what, path, e))


class State:
    """The device's durable state: the access key of every auction it
    delivered (never two keys for one auction) and the delivery's txid."""

    def __init__(self, path, device_hex):
        self.path = path
        self.lock = threading.Lock()
        self.data = {"device": device_hex, "auctions": {}}
        if os.path.exists(path):
            with open(path) as f:
                data = json.load(f)
            if data.get("device") != device_hex:
                raise SystemExit("state file %s belongs to device %s, not %s" % (path, data.get("device"), device_hex))
            self.data = data

    def save(self):
        write_private(self.path, json.dumps(self.data, indent=1, sort_keys=True).encode())

    def auction(self, auction_hex):
        with self.lock:
            return dict(self.data["auctions"].get(auction_hex, {}))

    def update(self, auction_hex, **fields):
        with self.lock:
            self.data["auctions"].setdefault(auction_hex, {}).update(fields)
            self.save()

    def key(self, auction_id):
        e = self.auction(auction_id.hex())
        return bytes.fromhex(e["key"]) if "key" in e else None


class Consent:
    """An owner's consent file (docs/device-api.md, "Onboarding a real
    device"): the owner signed the enable hash of exactly this check-in on
    another machine (thingchain owner enable --consent-out FILE)."""

    def __init__(self, path, network, device):
        try:
            with open(path) as f:
                c = json.load(f)
            self.network, self.device_hex = c["network"], c["device"]
            self.owner = enc.parse_pubkey(c["owner"])
            self.device_nonce = int(c["device_nonce"])
            self.region = c["region"]
            t = c["terms"]
            self.terms = (int(t["reserve_per_point"]), int(t["points_per_period"]), int(t["access_period_seconds"]))
            self.td, self.metadata = c["td"].encode("utf-8"), c["metadata"].encode("utf-8")
            self.owner_sig = bytes.fromhex(c["owner_sig"])
        except (OSError, ValueError, KeyError, TypeError) as e:
            raise SystemExit("consent file %s: %s" % (path, e))
        if len(self.owner_sig) != 64:
            raise SystemExit("consent file %s: owner_sig is not 64 bytes of hex" % path)
        if self.network != network or self.device_hex != device.hex():
            raise SystemExit("consent file %s is for device %s on %s, not %s on %s" % (path, self.device_hex, self.network, device.hex(), network))


# --- the agent ---------------------------------------------------------------

class Agent:
    def __init__(self, client, device_key, state, fee=0):
        self.client = client
        self.key = device_key
        self.device = device_key.public_key()
        self.state = state
        self.fee = fee
        info = client.call("node.info")
        self.network = info["network"]
        if self.network not in enc.NETWORKS:
            raise SystemExit("the node runs network %r, which this device does not know" % self.network)
        self.net = enc.NETWORKS[self.network]
        self.stop = threading.Event()

    # -- check-in ------------------------------------------------------------

    def record(self):
        return self.client.call("registry.device", {"device": self.device.hex()})

    def _matches(self, rec, owner_addr, td, metadata, region, terms):
        t = rec.get("terms") or {}
        return (rec.get("enabled") and rec.get("owner") == owner_addr and rec.get("td") == json.loads(td)
                and rec.get("metadata") == json.loads(metadata) and rec.get("region") == region
                and (t.get("reserve_per_point"), t.get("points_per_period"), t.get("access_period_seconds")) == tuple(terms))

    def check_in(self, owner_key, td, metadata, region, terms, timeout=120.0, consent=None):
        """Makes the chain's record match (TD, metadata, region, terms, owner):
        the owner signs the enable hash (here with owner_key, or beforehand:
        a consent file's owner and owner_sig), the device submits the
        check-in, then waits until a block holds it."""
        owner = consent.owner if consent else owner_key.public_key()
        owner_addr = enc.address(owner, self.net["hrp"])
        rec = self.record()
        if rec is None:
            raise SystemExit("device %s is not attested on %s: ask the OEM to attest it "
                             "(thingchain oem attest --device %s ...) and start again" % (self.device.hex(), self.network, self.device.hex()))
        if self._matches(rec, owner_addr, td, metadata, region, terms):
            log.info("check-in: already enabled with this TD, metadata, region and terms (owner %s)", owner_addr)
            return rec
        nonce = self.client.call("account.nextNonce", {"pubkey": self.device.hex(), "chain": "metadata"})
        chain_id = self.net["metadata"]
        h = enc.enable_hash(chain_id, self.device, owner, td, metadata, region, terms, nonce)
        if consent:
            if consent.device_nonce != nonce:
                raise SystemExit("the consent covers device nonce %d, but the device's next nonce is %d: ask the owner to sign "
                                 "again for nonce %d" % (consent.device_nonce, nonce, nonce))
            if not ec.verify(owner, h, consent.owner_sig):
                raise SystemExit("the consent's owner signature does not cover this check-in (TD, metadata, region, terms, nonce)")
            owner_sig = consent.owner_sig
        else:
            owner_sig = owner_key.sign(h)
        payload = enc.checkin_payload(owner, region, terms, td, metadata, owner_sig)
        tx = enc.new_tx(chain_id, enc.TX_CHECKIN, nonce, self.key, payload)
        res = self.client.call("tx.submit", {"raw": tx.encode().hex()})
        log.info("check-in submitted: txid %s, owner %s, region %s, terms reserve %d/point, %d points, %d s",
                 res["txid"], owner_addr, region, *terms)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not self.stop.is_set():
            rec = self.record()
            if rec and self._matches(rec, owner_addr, td, metadata, region, terms):
                log.info("check-in confirmed at metadata height %s: the device is on the market", rec.get("enabled_height"))
                return rec
            self.stop.wait(0.25)
        raise SystemExit("check-in %s not confirmed within %.0f s: is a node mining the metadata chain?" % (res["txid"], timeout))

    # -- key delivery --------------------------------------------------------

    @staticmethod
    def winner_key(view):
        """The public key that signed the winning bid (a bid_list entry whose
        bidder is the auction's winner), checked against the address."""
        for bid in view.get("bid_list") or []:
            if bid.get("bidder") == view.get("winner") and bid.get("bidder_key"):
                return bytes.fromhex(bid["bidder_key"])
        return None

    def scan(self):
        """Delivers a key for every auction of this device awaiting delivery."""
        views = self.client.call("auction.ofDevice", {"device": self.device.hex()}) or []
        for view in views:
            aid = view["id"]
            st = self.state.auction(aid)
            if view.get("delivery"):
                if st.get("key") and not st.get("delivered_height"):
                    d = view["delivery"]
                    self.state.update(aid, delivered_height=d["height"])
                    log.info("key delivery of auction %s confirmed at height %d; access until %s",
                             aid[:16], d["height"], time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(d["expires"] / 1000)))
                continue
            if view.get("status") == "awaiting_delivery":
                # auction.get has every bid, with the winner's public key.
                full = self.client.call("auction.get", {"id": aid})
                if full and full.get("status") == "awaiting_delivery" and not full.get("delivery"):
                    self.deliver(full)

    def deliver(self, view):
        aid_hex = view["id"]
        aid = bytes.fromhex(aid_hex)
        st = self.state.auction(aid_hex)
        if st.get("txid"):
            try:
                self.client.call("chain.getTransaction", {"chain": "auction", "txid": st["txid"]})
                return  # pending or confirmed: wait for it
            except RPCError:
                log.info("delivery %s of auction %s is gone from the node; resubmitting with the same key", st["txid"][:16], aid_hex[:16])
        winner = self.winner_key(view)
        if winner is None or enc.address(winner, self.net["hrp"]) != view.get("winner"):
            log.warning("auction %s: cannot find the winner's public key in the auction's bids; skipping", aid_hex[:16])
            return
        key = self.state.key(aid)
        if key is None:
            key = os.urandom(32)
            # Saved before anything is sent: a restart must reuse it.
            self.state.update(aid_hex, key=key.hex(), winner=view["winner"], winner_key=winner.hex())
            log.info("auction %s won by %s at %d per point: new access key drawn and saved", aid_hex[:16], view["winner"], view.get("price_per_point", 0))
        ciphertext = ecies.encrypt(winner, key)
        payload = enc.deliver_key_payload(aid, enc.sha256(key), ciphertext)
        nonce = self.client.call("account.nextNonce", {"pubkey": self.device.hex(), "chain": "auction"})
        tx = enc.new_tx(self.net["auction"], enc.TX_DELIVER_KEY, nonce, self.key, payload, fee=self.fee)
        try:
            res = self.client.call("tx.submit", {"raw": tx.encode().hex()})
        except RPCError as e:
            if e.kind == "ErrAlreadyDelivered":
                return
            log.warning("delivery of auction %s refused: %s (kind %s); retrying at the next block", aid_hex[:16], e.message, e.kind)
            return
        self.state.update(aid_hex, txid=res["txid"])
        log.info("key for auction %s delivered to %s: txid %s (ECIES, key hash %s)",
                 aid_hex[:16], view["winner"], res["txid"][:16], enc.sha256(key).hex()[:16])

    def run(self, rescan_interval=5.0):
        """Scans at every new auction block (WebSocket subscription) and every
        rescan_interval seconds, reconnecting when the node goes away."""
        sub = None
        while not self.stop.is_set():
            try:
                if sub is None:
                    sub = Subscription(self.client.url, "newHeads", "auction")
                    log.info("subscribed to new auction blocks")
                self.scan()
                head = sub.next(timeout=rescan_interval)
                if head:
                    log.debug("auction block %d %s", head.get("height"), head.get("hash", "")[:16])
            except (NodeUnreachable, OSError, WebSocketClosed, ConnectionError) as e:
                log.warning("node unreachable (%s); retrying", e)
                if sub:
                    try:
                        sub.close()
                    except OSError:
                        pass
                sub = None
                self.stop.wait(1.0)
            except RPCError as e:
                log.warning("node refused a call: %s", e)
                self.stop.wait(1.0)
        if sub:
            sub.close()
