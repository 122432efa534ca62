"""The Python encoder, signer and ECIES against the shared vectors in testdata/."""

import hashlib
import json
import os
import unittest

from thingdevice import ecies
from thingdevice import encoding as enc
from thingdevice import secp256k1 as ec

TESTDATA = os.environ.get("THINGDEVICE_TESTDATA") or os.path.join(os.path.dirname(__file__), "..", "..", "..", "testdata")


def load(name):
    path = os.path.join(TESTDATA, name)
    if not os.path.exists(path):
        raise unittest.SkipTest("%s not in testdata/ yet" % name)
    with open(path) as f:
        return json.load(f)


class TransactionVectors(unittest.TestCase):
    """testdata/transactions.json (format thingchain-tx-v1): every byte."""

    @classmethod
    def setUpClass(cls):
        cls.doc = load("transactions.json")

    def test_format(self):
        self.assertEqual(self.doc["format"], "thingchain-tx-v1")
        self.assertGreaterEqual(len(self.doc["vectors"]), 12)

    def test_envelope_signature_txid(self):
        for v in self.doc["vectors"]:
            with self.subTest(v["name"]):
                t = v["tx"]
                key = ec.PrivateKey(bytes.fromhex(v["private_key"]))
                self.assertEqual(key.public_key().hex(), t["sender"])
                tx = enc.Tx(t["chain_id"], t["type"], t["nonce"], t["fee"], t["expiry"],
                            bytes.fromhex(t["sender"]), bytes.fromhex(t["payload"]))
                self.assertEqual(tx.unsigned().hex(), v["unsigned"])
                self.assertEqual(tx.sig_hash().hex(), v["sig_hash"])
                tx.sign(key)
                self.assertEqual(tx.signature.hex(), v["signature"])
                self.assertTrue(ec.verify(tx.sender, tx.sig_hash(), tx.signature))
                self.assertEqual(tx.encode().hex(), v["signed"])
                self.assertEqual(tx.txid().hex(), v["txid"])
                net = v["network"]
                self.assertEqual(t["chain_id"], enc.NETWORKS[net][v["chain"]])

    def vector(self, name):
        return next(v for v in self.doc["vectors"] if v["name"] == name)

    def test_checkin_payload_and_owner_signature(self):
        v = self.vector("metadata/CheckIn")
        f = v["payload_fields"]
        owner = bytes.fromhex(f["Owner"])
        td, md = bytes.fromhex(f["ThingDescription"]), bytes.fromhex(f["Metadata"])
        terms = (f["Terms"]["ReservePerPoint"], f["Terms"]["PointsPerPeriod"], f["Terms"]["AccessPeriodSeconds"])
        payload = enc.checkin_payload(owner, f["Region"], terms, td, md, bytes.fromhex(f["OwnerSig"]))
        self.assertEqual(payload.hex(), v["tx"]["payload"])
        # The owner's signature covers the enable hash of this very check-in.
        h = enc.enable_hash(v["tx"]["chain_id"], bytes.fromhex(v["tx"]["sender"]), owner, td, md, f["Region"], terms, v["tx"]["nonce"])
        self.assertTrue(ec.verify(owner, h, bytes.fromhex(f["OwnerSig"])))

    def test_device_and_auction_payloads(self):
        dis = self.vector("metadata/Disable")
        self.assertEqual(enc.disable_payload(bytes.fromhex(dis["payload_fields"]["DeviceKey"])).hex(), dis["tx"]["payload"])
        st = self.vector("metadata/SetTerms")
        t = st["payload_fields"]["Terms"]
        self.assertEqual(enc.set_terms_payload(bytes.fromhex(st["payload_fields"]["DeviceKey"]),
                                               (t["ReservePerPoint"], t["PointsPerPeriod"], t["AccessPeriodSeconds"])).hex(), st["tx"]["payload"])
        op = self.vector("auction/OpenAuction")
        self.assertEqual(enc.open_auction_payload(bytes.fromhex(op["payload_fields"]["Device"]), op["payload_fields"]["Seq"]).hex(), op["tx"]["payload"])
        pay = self.vector("auction/Pay")
        self.assertEqual(enc.pay_payload(bytes.fromhex(pay["payload_fields"]["Auction"])).hex(), pay["tx"]["payload"])
        dk = self.vector("auction/DeliverKey")
        f = dk["payload_fields"]
        self.assertEqual(enc.deliver_key_payload(bytes.fromhex(f["Auction"]), bytes.fromhex(f["KeyHash"]),
                                                 bytes.fromhex(f["EncryptedKey"])).hex(), dk["tx"]["payload"])

    def test_auction_id(self):
        op = self.vector("auction/OpenAuction")
        pay = self.vector("auction/Pay")
        # The vectors pay the auction they opened: seq 0 of the device.
        self.assertEqual(enc.auction_id(bytes.fromhex(op["payload_fields"]["Device"]), 0).hex(),
                         pay["payload_fields"]["Auction"])


class WalletVectors(unittest.TestCase):
    """testdata/tx_vectors.json (the wallet's and web app's vectors): same envelope, same signatures."""

    def test_wallet_transactions(self):
        doc = load("tx_vectors.json")
        key = ec.PrivateKey(bytes.fromhex(doc["key"]["private"]))
        self.assertEqual(key.public_key().hex(), doc["key"]["public"])
        self.assertEqual(enc.address(key.public_key(), doc["key"]["hrp"]), doc["key"]["address"])
        for v in doc["txs"]:
            with self.subTest(v["name"]):
                tx = enc.Tx(v["chain_id"], v["type"], v["nonce"], v["fee"], v["expiry"], bytes.fromhex(v["sender"]), bytes.fromhex(v["payload"]))
                self.assertEqual(tx.unsigned().hex(), v["unsigned"])
                self.assertEqual(tx.sig_hash().hex(), v["sighash"])
                self.assertEqual(tx.sign(key).encode().hex(), v["signed"])


class EnableHashExample(unittest.TestCase):
    """The enable hash of docs/device-api.md section 7 (keys from seeds)."""

    def test_keys_from_seeds(self):
        dev = ec.PrivateKey(hashlib.sha256(b"example device").digest())
        owner = ec.PrivateKey(hashlib.sha256(b"example owner").digest())
        self.assertEqual(dev.public_key().hex(), "022e3d8041b76a7fc9152abffc67c7ac1c7a0c71e23f03e6417847919b56da7b69")
        self.assertEqual(owner.public_key().hex(), "036cb3345fabc2fa3e0f6a6e52646000fa3eca5906aa5999ac9099b670062b2815")


class ECIESVectors(unittest.TestCase):
    """testdata/ecies.json (docs/auction.md section 9)."""

    @classmethod
    def setUpClass(cls):
        cls.doc = load("ecies.json")

    def test_valid_reproduced_byte_for_byte(self):
        for v in self.doc["valid"]:
            with self.subTest(v["name"]):
                eph = ec.PrivateKey(bytes.fromhex(v["ephemeral_secret"]))
                self.assertEqual(ec.uncompressed(eph.point).hex(), v["ephemeral_public"])
                shared = ec.uncompressed(ec.mul(eph.d, ec.decode_point(bytes.fromhex(v["recipient_public"]))))
                self.assertEqual(shared.hex(), v["shared_point"])
                self.assertEqual(ecies.derive_key(bytes.fromhex(v["ephemeral_public"]), shared).hex(), v["aes_key"])
                ct = ecies.encrypt(bytes.fromhex(v["recipient_public"]), bytes.fromhex(v["plaintext"]),
                                   ephemeral_secret=bytes.fromhex(v["ephemeral_secret"]), nonce=bytes.fromhex(v["nonce"]))
                self.assertEqual(ct.hex(), v["ciphertext"])
                self.assertEqual(ecies.decrypt(bytes.fromhex(v["recipient_secret"]), ct).hex(), v["plaintext"])

    def test_invalid_refused(self):
        for v in self.doc["invalid"]:
            with self.subTest(v["name"]):
                with self.assertRaises(ecies.DecryptError):
                    ecies.decrypt(bytes.fromhex(v["recipient_secret"]), bytes.fromhex(v["ciphertext"]))

    def test_round_trip_random(self):
        k = ec.PrivateKey.generate()
        msg = os.urandom(32)
        ct = ecies.encrypt(k.public_key(), msg)
        self.assertEqual(len(ct), 129)
        self.assertEqual(ecies.decrypt(k, ct), msg)


class Primitives(unittest.TestCase):
    def test_varint(self):
        for n, want in [(0, "00"), (127, "7f"), (128, "8001"), (300, "ac02"), (16384, "808001")]:
            self.assertEqual(enc.varint(n).hex(), want)

    def test_strings_refuse_control_characters(self):
        with self.assertRaises(ValueError):
            enc.string("EU\n")
        with self.assertRaises(ValueError):
            enc.string("x" * 17, 16)

    def test_signature_low_s_and_verifies(self):
        k = ec.PrivateKey.generate()
        for i in range(8):
            d = hashlib.sha256(bytes([i])).digest()
            sig = k.sign(d)
            self.assertLessEqual(int.from_bytes(sig[32:], "big"), ec.N // 2)
            self.assertTrue(ec.verify(k.public_key(), d, sig))
            self.assertFalse(ec.verify(k.public_key(), hashlib.sha256(d).digest(), sig))

    def test_bad_points_refused(self):
        with self.assertRaises(ec.KeyError_):
            ec.decode_point(bytes([2]) + (5).to_bytes(32, "big"))  # x=5: no point
        with self.assertRaises(ec.KeyError_):
            ec.decode_point(b"\x04" + b"\x01" * 64)

    def test_address_bech32m(self):
        # The regtest address of the docs/api.md example bidder key.
        key = bytes.fromhex("0372a1a7ac8765f032f9ab392202b95069063ee3800fd225078e19f4cf443335fe")
        self.assertEqual(enc.address(key, "tcr"), "tcr10qjrgu9ddlu6q4dxkwa9ygut0vukpfnrs47kh6")


if __name__ == "__main__":
    unittest.main()
