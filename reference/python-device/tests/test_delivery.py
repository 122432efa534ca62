"""Key delivery: one key per auction, kept across resubmissions and restarts.

The node is a table (what auction.ofDevice/auction.get answer) that
records submitted transactions; the end-to-end test (e2e_device_test.go)
runs the same code against a real node.
"""

import json
import os
import tempfile
import unittest

from thingdevice import ecies
from thingdevice import encoding as enc
from thingdevice import secp256k1 as ec
from thingdevice.agent import Agent, State
from thingdevice.rpc import RPCError


class Node:
    def __init__(self, device, winner):
        self.device, self.winner = device, winner
        self.aid = enc.auction_id(device, 0).hex()
        self.submitted, self.known = [], set()
        self.view = {"id": self.aid, "device": device.hex(), "status": "awaiting_delivery", "delivery": None,
                     "winner": enc.address(winner.public_key(), "tcr"), "price_per_point": 1000,
                     "bid_list": [{"bidder": enc.address(ec.PrivateKey.generate().public_key(), "tcr"), "bidder_key": "02" + "00" * 32},
                                  {"bidder": enc.address(winner.public_key(), "tcr"), "bidder_key": winner.public_key().hex()}]}

    def call(self, method, params=None):
        if method == "node.info":
            return {"network": "regtest"}
        if method == "auction.ofDevice":
            return [{k: v for k, v in self.view.items() if k != "bid_list"}]
        if method == "auction.get":
            return self.view
        if method == "account.nextNonce":
            return len(self.submitted)
        if method == "chain.getTransaction":
            if params["txid"] in self.known:
                return {"status": "pending"}
            raise RPCError(-32000, "transaction not found")
        if method == "tx.submit":
            raw = bytes.fromhex(params["raw"])
            self.submitted.append(raw)
            txid = enc.H(raw).hex()
            self.known.add(txid)
            return {"txid": txid, "chain": "auction"}
        raise AssertionError(method)


def parse_delivery(raw):
    """(type, sender, auction ID, key hash, ciphertext) of a DeliverKey tx."""
    typ = int.from_bytes(raw[4:6], "little")
    sender = raw[30:63]
    n, i = 0, 63
    shift = 0
    while True:
        b = raw[i]
        n |= (b & 0x7F) << shift
        i += 1
        shift += 7
        if not b & 0x80:
            break
    payload = raw[i:i + n]
    ln = int.from_bytes(payload[64:68], "little")
    return typ, sender, payload[:32], payload[32:64], payload[68:68 + ln]


class Delivery(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.key = ec.PrivateKey.generate()
        self.winner = ec.PrivateKey.generate()
        self.node = Node(self.key.public_key(), self.winner)
        self.path = os.path.join(self.dir.name, "state.json")

    def tearDown(self):
        self.dir.cleanup()

    def agent(self):
        return Agent(self.node, self.key, State(self.path, self.key.public_key().hex()))

    def state_json(self):
        with open(self.path) as f:
            return json.load(f)

    def opened_key(self, raw):
        typ, sender, aid, key_hash, ct = parse_delivery(raw)
        self.assertEqual(typ, enc.TX_DELIVER_KEY)
        self.assertEqual(sender, self.key.public_key())
        self.assertEqual(aid.hex(), self.node.aid)
        k = ecies.decrypt(self.winner, ct)
        self.assertEqual(enc.sha256(k), key_hash)
        return k

    def test_one_key_across_resubmission_and_restart(self):
        self.agent().scan()
        self.assertEqual(len(self.node.submitted), 1)
        first = self.opened_key(self.node.submitted[0])
        self.assertEqual(os.stat(self.path).st_mode & 0o777, 0o600)
        self.assertEqual(self.state_json()["auctions"][self.node.aid]["key"], first.hex())
        # Still pending: nothing is sent again.
        self.agent().scan()
        self.assertEqual(len(self.node.submitted), 1)
        # The transaction vanished (evicted): a restarted agent resubmits the same key.
        self.node.known.clear()
        self.agent().scan()
        self.assertEqual(len(self.node.submitted), 2)
        self.assertEqual(self.opened_key(self.node.submitted[1]), first)
        # Delivered: nothing more is sent.
        self.node.view.update(status="delivered", delivery={"height": 9, "expires": 1})
        self.agent().scan()
        self.assertEqual(len(self.node.submitted), 2)
        self.assertEqual(self.state_json()["auctions"][self.node.aid]["delivered_height"], 9)

    def test_winner_key_must_match_the_winner_address(self):
        self.node.view["bid_list"][1]["bidder_key"] = ec.PrivateKey.generate().public_key().hex()
        self.agent().scan()
        self.assertEqual(self.node.submitted, [])

    def test_state_of_another_device_refused(self):
        self.agent().scan()
        with self.assertRaises(SystemExit):
            State(self.path, ec.PrivateKey.generate().public_key().hex())


if __name__ == "__main__":
    unittest.main()
