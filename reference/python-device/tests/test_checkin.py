"""Check-in: the device's transaction is byte for byte the Go vector's,
whether the owner signs here (--owner-key) or sent a consent file."""

import hashlib
import json
import os
import tempfile
import unittest

from thingdevice import encoding as enc
from thingdevice import secp256k1 as ec
from thingdevice.agent import Agent, Consent, State

from .test_vectors import load


class Node:
    """Answers like a regtest node before and after one check-in."""

    def __init__(self, nonce, record_after):
        self.nonce, self.record_after, self.submitted = nonce, record_after, []

    def call(self, method, params=None):
        if method == "node.info":
            return {"network": "regtest"}
        if method == "registry.device":
            return self.record_after if self.submitted else {"enabled": False}
        if method == "account.nextNonce":
            assert params["chain"] == "metadata"
            return self.nonce
        if method == "tx.submit":
            self.submitted.append(params["raw"])
            return {"txid": enc.H(bytes.fromhex(params["raw"])).hex(), "chain": "metadata"}
        raise AssertionError(method)


class CheckIn(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.v = next(v for v in load("transactions.json")["vectors"] if v["name"] == "metadata/CheckIn")
        f = cls.v["payload_fields"]
        cls.td, cls.md = bytes.fromhex(f["ThingDescription"]), bytes.fromhex(f["Metadata"])
        cls.terms = (f["Terms"]["ReservePerPoint"], f["Terms"]["PointsPerPeriod"], f["Terms"]["AccessPeriodSeconds"])
        cls.region, cls.owner = f["Region"], f["Owner"]
        cls.key = ec.PrivateKey(bytes.fromhex(cls.v["private_key"]))

    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        rec = {"enabled": True, "owner": enc.address(bytes.fromhex(self.owner), "tcr"), "td": json.loads(self.td),
               "metadata": json.loads(self.md), "region": self.region,
               "terms": dict(zip(("reserve_per_point", "points_per_period", "access_period_seconds"), self.terms))}
        self.node = Node(self.v["tx"]["nonce"], rec)
        self.agent = Agent(self.node, self.key, State(os.path.join(self.dir.name, "s.json"), self.key.public_key().hex()))

    def tearDown(self):
        self.dir.cleanup()

    def consent_file(self, **over):
        c = {"network": "regtest", "device": self.key.public_key().hex(), "owner": self.owner,
             "device_nonce": self.v["tx"]["nonce"], "region": self.region,
             "terms": dict(zip(("reserve_per_point", "points_per_period", "access_period_seconds"), self.terms)),
             "td": self.td.decode(), "metadata": self.md.decode(), "owner_sig": self.v["payload_fields"]["OwnerSig"]}
        c.update(over)
        path = os.path.join(self.dir.name, "consent.json")
        with open(path, "w") as f:
            json.dump(c, f)
        return Consent(path, "regtest", self.key.public_key())

    def test_consent_file_gives_the_vector_transaction(self):
        c = self.consent_file()
        self.agent.check_in(None, c.td, c.metadata, c.region, c.terms, timeout=5, consent=c)
        self.assertEqual(self.node.submitted, [self.v["signed"]])

    def test_already_enabled_sends_nothing(self):
        self.node.submitted.append("x")  # the record already matches
        c = self.consent_file()
        self.agent.check_in(None, c.td, c.metadata, c.region, c.terms, timeout=5, consent=c)
        self.assertEqual(self.node.submitted, ["x"])

    def test_stale_or_foreign_consent_refused(self):
        c = self.consent_file(device_nonce=self.v["tx"]["nonce"] + 1)
        with self.assertRaises(SystemExit) as cm:
            self.agent.check_in(None, c.td, c.metadata, c.region, c.terms, timeout=5, consent=c)
        self.assertIn("sign again", str(cm.exception))
        c = self.consent_file(region="EU-FR")  # signed for EU-DE
        with self.assertRaises(SystemExit) as cm:
            self.agent.check_in(None, c.td, c.metadata, c.region, c.terms, timeout=5, consent=c)
        self.assertIn("does not cover", str(cm.exception))
        with self.assertRaises(SystemExit):
            self.consent_file(network="test")
        self.assertEqual(self.node.submitted, [])

    def test_owner_key_signs_the_same_transaction(self):
        # RFC 6979: the owner signing here gives the bytes the Go code gave
        # (the vector's owner key is SHA-256 of "thingchain vector owner").
        owner_key = ec.PrivateKey(hashlib.sha256(b"thingchain vector owner").digest())
        self.assertEqual(owner_key.public_key().hex(), self.owner)
        self.agent.check_in(owner_key, self.td, self.md, self.region, self.terms, timeout=5)
        self.assertEqual(self.node.submitted, [self.v["signed"]])


if __name__ == "__main__":
    unittest.main()
