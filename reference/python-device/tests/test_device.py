"""The data endpoint and the access check, over real HTTP on 127.0.0.1.

The chain is replaced by a table of auction views (what auction.get
answers); tests/../e2e_test.go runs the same code against a real node.
"""

import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.request

from thingdevice import encoding as enc
from thingdevice import generator as gen
from thingdevice import secp256k1 as ec
from thingdevice.access import ChainAccess
from thingdevice.rpc import NodeUnreachable
from thingdevice.server import DeviceServer, routes

HERE = os.path.dirname(os.path.abspath(__file__))
EXAMPLES = os.path.join(HERE, "..", "examples")


class Chain:
    """Answers auction.get from a dict; down=True makes it unreachable."""

    def __init__(self):
        self.auctions, self.down, self.calls = {}, False, 0

    def call(self, method, params=None):
        assert method == "auction.get", method
        self.calls += 1
        if self.down:
            raise NodeUnreachable("connection refused")
        return self.auctions.get(params["id"])


def get(url, token=None):
    req = urllib.request.Request(url)
    if token is not None:
        req.add_header("Authorization", token)
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status, dict(r.headers), json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), json.loads(e.read())


class DeviceEndpoint(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.key = ec.PrivateKey.generate()
        cls.device = cls.key.public_key()
        with open(os.path.join(EXAMPLES, "thermostat.td.template.json")) as f:
            tmpl = f.read()
        text = (tmpl.replace("{{DEVICE_URN}}", enc.device_urn(cls.device)).replace("{{DEVICE_KEY}}", cls.device.hex())
                .replace("{{BASE}}", "http://127.0.0.1:1"))
        cls.td = json.loads(text)
        cls.td_bytes = json.dumps(cls.td, separators=(",", ":")).encode()
        cls.chain = Chain()
        cls.now_ms = int(time.time() * 1000)
        cls.access = ChainAccess(cls.chain, cls.device, now_ms=lambda: cls.now_ms, cache_ttl=0, delivered_ttl=0)
        cls.srv = DeviceServer(cls.td_bytes, cls.device, gen.load(os.path.join(EXAMPLES, "thermostat_data.py"), cls.td),
                               cls.access, "127.0.0.1", 0)
        cls.srv.start()
        cls.base = "http://127.0.0.1:%d/things/%s" % (cls.srv.port, cls.device.hex())
        # One delivered auction of this device, one of another device.
        cls.key_ok = os.urandom(32)
        cls.aid = os.urandom(32).hex()
        cls.other = os.urandom(32).hex()
        d = {"key_hash": hashlib.sha256(cls.key_ok).hexdigest(), "time": cls.now_ms - 1000, "expires": cls.now_ms + 60000, "height": 9}
        cls.chain.auctions[cls.aid] = {"id": cls.aid, "device": cls.device.hex(), "status": "delivered", "delivery": d}
        cls.chain.auctions[cls.other] = {"id": cls.other, "device": "02" + "11" * 32, "status": "delivered", "delivery": d}
        cls.pending = os.urandom(32).hex()
        cls.chain.auctions[cls.pending] = {"id": cls.pending, "device": cls.device.hex(), "status": "awaiting_delivery", "delivery": None}

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()

    def token(self, aid=None, key=None):
        return "Bearer %s.%s" % (aid or self.aid, (key or self.key_ok).hex())

    def test_td_is_public(self):
        for path in (self.base + "/td", "http://127.0.0.1:%d/.well-known/wot" % self.srv.port):
            with urllib.request.urlopen(path, timeout=5) as r:
                self.assertEqual(r.status, 200)
                self.assertEqual(r.headers["Content-Type"], "application/td+json")
                self.assertEqual(r.read(), self.td_bytes)

    def test_routes_follow_the_td(self):
        rs = routes(self.td)
        p = "/things/%s" % self.device.hex()
        self.assertEqual(rs[("GET", p + "/properties/temperature")][:2], ("property", "temperature"))
        self.assertEqual(rs[("GET", p + "/properties")][0], "allproperties")
        self.assertEqual(rs[("GET", p + "/data")][:2], ("action", "history"))
        self.assertEqual(len(rs), 5)

    def test_winner_gets_data_as_declared(self):
        status, _, v = get(self.base + "/properties/temperature", self.token())
        self.assertEqual(status, 200)
        self.assertIsInstance(v, float)  # the bare value, as the schema says
        self.assertTrue(-40 <= v <= 85)
        status, _, all_ = get(self.base + "/properties", self.token())
        self.assertEqual(status, 200)
        self.assertEqual(set(all_), {"temperature", "humidity", "heating"})
        self.assertIsInstance(all_["heating"], bool)
        status, _, h = get(self.base + "/data?from=2026-03-01T00:00:00Z&to=2026-03-01T01:00:00Z", self.token())
        self.assertEqual(status, 200)
        self.assertEqual(len(h["readings"]), 13)
        self.assertEqual(h["readings"][0]["time"], "2026-03-01T00:00:00Z")
        self.assertEqual(h["device"], self.device.hex())

    def test_status_codes(self):
        now = self.now_ms
        expired_key, early_key = os.urandom(32), os.urandom(32)
        ex, early = os.urandom(32).hex(), os.urandom(32).hex()
        self.chain.auctions[ex] = {"id": ex, "device": self.device.hex(), "status": "delivered",
                                   "delivery": {"key_hash": hashlib.sha256(expired_key).hexdigest(), "time": now - 20000, "expires": now - 10000}}
        self.chain.auctions[early] = {"id": early, "device": self.device.hex(), "status": "delivered",
                                      "delivery": {"key_hash": hashlib.sha256(early_key).hexdigest(), "time": now + 10000, "expires": now + 20000}}
        url = self.base + "/properties/humidity"
        cases = [
            ("no header", None, 401, "access_key_required", "required"),
            ("basic scheme", "Basic abc", 401, "access_key_required", "Bearer"),
            ("no dot", "Bearer " + self.aid, 401, "access_key_required", "token must be"),
            ("not hex", "Bearer %s.zz" % self.aid, 401, "access_key_required", "not hex"),
            ("short key", "Bearer %s.%s" % (self.aid, "ab" * 31), 401, "access_key_required", "31 bytes"),
            ("forged key", self.token(key=os.urandom(32)), 403, "access_denied", "forged or wrong key"),
            ("unknown auction", self.token(aid=os.urandom(32).hex()), 403, "access_denied", "forged or wrong key"),
            ("another device's auction", self.token(aid=self.other), 403, "access_denied", "forged or wrong key"),
            ("not delivered yet", self.token(aid=self.pending), 403, "access_denied", "no access key was delivered"),
            ("expired", self.token(aid=ex, key=expired_key), 403, "access_denied", "access period ended at"),
            ("before the period", self.token(aid=early, key=early_key), 403, "access_denied", "access period starts at"),
            ("lower-case scheme", "bearer %s.%s" % (self.aid, self.key_ok.hex()), 200, None, None),
        ]
        for name, tok, status, code, text in cases:
            with self.subTest(name):
                got, headers, body = get(url, tok)
                self.assertEqual(got, status, body)
                if code:
                    self.assertEqual(body["code"], code)
                    self.assertIn(text, body["error"])
                if status == 401:
                    self.assertEqual(headers["WWW-Authenticate"], 'Bearer realm="thingchain", error="invalid_token"')

    def test_node_down_is_401_retry(self):
        self.chain.down = True
        try:
            status, _, body = get(self.base + "/properties/heating", self.token())
        finally:
            self.chain.down = False
        self.assertEqual(status, 401)
        self.assertIn("retry later", body["error"])

    def test_bad_requests(self):
        status, _, body = get(self.base + "/data?from=yesterday", self.token())
        self.assertEqual((status, body["code"]), (400, "bad_time"))
        status, _, body = get(self.base + "/data?from=2026-03-02T00:00:00Z&to=2026-03-01T00:00:00Z", self.token())
        self.assertEqual((status, body["code"]), (400, "bad_range"))
        status, _, body = get(self.base + "/data?limit=3", self.token())  # undeclared: ignored
        self.assertEqual(status, 200)
        self.assertIn(len(body["readings"]), (12, 13))  # the default: the last hour, every 5 minutes
        status, _, body = get(self.base + "/nothing", self.token())
        self.assertEqual((status, body["code"]), (404, "not_found"))

    def test_local_key_refuses_without_asking_the_node(self):
        own = os.urandom(32)
        access = ChainAccess(self.chain, self.device, local_key=lambda a: own if a.hex() == self.aid else None, cache_ttl=0)
        before = self.chain.calls
        with self.assertRaises(Exception) as cm:
            access.check(self.token())
        self.assertIn("forged", str(cm.exception))
        self.assertEqual(self.chain.calls, before)


class Cli(unittest.TestCase):
    def run_cli(self, *args):
        env = dict(os.environ, PYTHONPATH=os.path.join(HERE, ".."))
        return subprocess.run([sys.executable, "-m", "thingdevice", *args], capture_output=True, text=True, env=env, timeout=30)

    def test_help_and_keygen_and_td(self):
        r = self.run_cli("--help")
        self.assertEqual(r.returncode, 0)
        self.assertIn("example", r.stdout)
        r = self.run_cli("run", "--help")
        self.assertIn("--owner-key", r.stdout)
        with tempfile.TemporaryDirectory() as d:
            kf = os.path.join(d, "device.key")
            r = self.run_cli("keygen", "--out", kf, "--json")
            self.assertEqual(r.returncode, 0, r.stderr)
            out = json.loads(r.stdout)
            self.assertEqual(os.stat(kf).st_mode & 0o777, 0o600)
            with open(kf) as f:
                self.assertEqual(ec.PrivateKey(bytes.fromhex(f.read().strip())).public_key().hex(), out["public_key"])
            r = self.run_cli("keygen", "--out", kf)
            self.assertNotEqual(r.returncode, 0)  # never overwrites a key
            tdf = os.path.join(d, "td.json")
            r = self.run_cli("td", "--template", os.path.join(EXAMPLES, "thermostat.td.template.json"), "--device-key", kf,
                             "--base", "http://127.0.0.1:8080/", "--out", tdf)
            self.assertEqual(r.returncode, 0, r.stderr)
            with open(tdf) as f:
                td = json.load(f)
            self.assertEqual(td["id"], out["urn"])
            self.assertEqual(td["base"], "http://127.0.0.1:8080/")

    def test_unreachable_node_is_a_clear_error(self):
        with tempfile.TemporaryDirectory() as d:
            kf = os.path.join(d, "k")
            self.run_cli("keygen", "--out", kf)
            tdf = os.path.join(d, "td.json")
            with open(tdf, "w") as f:
                f.write('{"title":"x","base":"http://127.0.0.1:1/"}')
            r = self.run_cli("--node", "http://127.0.0.1:9", "--td", tdf, "--device-key", kf, "--no-checkin")
            self.assertNotEqual(r.returncode, 0)
            self.assertIn("cannot reach the node", r.stderr)


if __name__ == "__main__":
    unittest.main()
