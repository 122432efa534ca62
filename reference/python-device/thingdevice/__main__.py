"""Command line: python3 -m thingdevice [run] --node URL --td FILE ... | keygen | td"""

import argparse
import json
import logging
import os
import signal
import sys
import time
import urllib.parse

from . import __version__
from . import encoding as enc
from . import generator as gen
from .access import ChainAccess
from .agent import Agent, Consent, State, generate_key_file, load_key_file
from .rpc import Client, NodeUnreachable, RPCError
from .server import DeviceServer

EPILOG_RUN = """example (regtest, after the OEM attested the device key):
  python3 -m thingdevice --node http://127.0.0.1:29741 --td thermostat.td.json \\
      --device-key device.key --owner-key owner.key --data examples/thermostat_data.py \\
      --region EU-DE --reserve 20000 --points 2 --period 600
"""


class UTCFormatter(logging.Formatter):
    converter = time.gmtime

    def formatTime(self, record, datefmt=None):
        return time.strftime("%Y-%m-%dT%H:%M:%S", self.converter(record.created)) + ".%03dZ" % record.msecs


class JSONFormatter(UTCFormatter):
    def format(self, record):
        return json.dumps({"time": self.formatTime(record), "level": record.levelname, "logger": record.name,
                           "msg": record.getMessage()}, ensure_ascii=False)


def setup_logging(level, as_json=False):
    h = logging.StreamHandler(sys.stderr)
    h.setFormatter(JSONFormatter() if as_json else UTCFormatter("%(asctime)s %(levelname)-5s %(name)s: %(message)s"))
    logging.basicConfig(level=level, handlers=[h])


def parse_args(argv):
    p = argparse.ArgumentParser(prog="python3 -m thingdevice",
                                description="thingchain reference device: checks in with its Thing Description, "
                                            "serves its data to auction winners and delivers their access keys.",
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog="commands: run (the default), keygen, pubkey, td.  "
                                       "'python3 -m thingdevice run --help' lists the device's options.\n\n" + EPILOG_RUN)
    p.add_argument("--version", action="version", version="thingdevice " + __version__)
    sub = p.add_subparsers(dest="cmd")

    k = sub.add_parser("keygen", help="generate a secp256k1 key file (mode 0600)",
                       epilog="example: python3 -m thingdevice keygen --out device.key", formatter_class=argparse.RawDescriptionHelpFormatter)
    k.add_argument("--out", required=True, help="key file to create (refuses to overwrite)")
    k.add_argument("--json", action="store_true", help="print the result as JSON")

    pk = sub.add_parser("pubkey", help="print a key file's public key (hex) and the device URN",
                        epilog="example: thingchain oem attest --key acme-oem --device $(python3 -m thingdevice pubkey --key device.key) ...",
                        formatter_class=argparse.RawDescriptionHelpFormatter)
    pk.add_argument("--key", required=True)
    pk.add_argument("--json", action="store_true")

    t = sub.add_parser("td", help="fill a TD template's {{DEVICE_URN}}, {{DEVICE_KEY}} and {{BASE}} placeholders",
                       epilog="example: python3 -m thingdevice td --template examples/thermostat.td.template.json "
                              "--device-key device.key --base http://127.0.0.1:8080/ --out thermostat.td.json",
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    t.add_argument("--template", required=True)
    t.add_argument("--device-key", required=True)
    t.add_argument("--base", required=True, help="the URL the device serves at (the TD's base)")
    t.add_argument("--out", required=True)
    t.add_argument("--json", action="store_true")

    r = sub.add_parser("run", help="run the device", epilog=EPILOG_RUN, formatter_class=argparse.RawDescriptionHelpFormatter)
    r.add_argument("--node", required=True, help="node API URL, e.g. http://127.0.0.1:29741")
    r.add_argument("--td", required=True, help="the device's Thing Description file (checked in byte for byte)")
    r.add_argument("--device-key", required=True, help="the device's key file (python3 -m thingdevice keygen)")
    r.add_argument("--owner-key", help="the owner's key file: the owner consents to the check-in by signing its enable hash")
    r.add_argument("--consent", help="instead of --owner-key: the owner's consent file (thingchain owner enable --consent-out); "
                                     "its TD must be the --td file, and its metadata, region and terms are used")
    r.add_argument("--data", default="builtin", help="data generator: 'builtin' (values from the TD's schemas) or FILE.py defining make_generator(td)")
    r.add_argument("--metadata", help="metadata JSON file (default {})")
    r.add_argument("--region", default="EU", help="region code, e.g. EU-DE (default EU)")
    r.add_argument("--reserve", type=int, default=0, help="reserve price per data point, base units")
    r.add_argument("--points", type=int, default=720, help="data points per access period")
    r.add_argument("--period", type=int, default=2592000, help="access period, seconds")
    r.add_argument("--state", help="state file (default DEVICE-KEY.state.json): the access key of every delivered auction")
    r.add_argument("--listen", help="HOST:PORT to serve on (default: the host and port of the TD's base)")
    r.add_argument("--fee", type=int, help="fee of key-delivery transactions, base units (default: 0 on regtest, "
                                           "10000 on test and main, whose pools refuse fees below 1 unit per byte)")
    r.add_argument("--no-checkin", action="store_true", help="do not check in; serve and deliver only")
    r.add_argument("--checkin-timeout", type=float, default=120.0, help="seconds to wait for the check-in to be mined")
    r.add_argument("-v", "--verbose", action="store_true", help="log every auction block and HTTP request too")
    r.add_argument("--json", action="store_true", help="log JSON lines (time, level, logger, msg) instead of text")

    cmds = {"run", "keygen", "pubkey", "td"}
    if argv and argv[0] not in cmds and argv[0] not in ("-h", "--help", "--version"):
        argv = ["run"] + argv
    args = p.parse_args(argv)
    if args.cmd is None:
        p.print_help()
        sys.exit(2)
    return args


def listen_address(td, listen):
    if listen:
        host, _, port = listen.rpartition(":")
        return host or "127.0.0.1", int(port)
    base = td.get("base")
    if not base:
        raise SystemExit("the TD has no base URL; give --listen HOST:PORT")
    u = urllib.parse.urlsplit(base)
    return u.hostname, u.port or 80


def cmd_keygen(args):
    key = generate_key_file(args.out)
    pub = key.public_key().hex()
    if args.json:
        print(json.dumps({"file": args.out, "public_key": pub, "urn": enc.device_urn(key.public_key())}))
    else:
        print("wrote %s\npublic key %s\nTD id      %s" % (args.out, pub, enc.device_urn(key.public_key())))


def cmd_pubkey(args):
    key = load_key_file(args.key, "the")
    pub = key.public_key()
    print(json.dumps({"public_key": pub.hex(), "urn": enc.device_urn(pub)}) if args.json else pub.hex())


def cmd_td(args):
    key = load_key_file(args.device_key, "device")
    with open(args.template) as f:
        text = f.read()
    text = (text.replace("{{DEVICE_URN}}", enc.device_urn(key.public_key()))
                .replace("{{DEVICE_KEY}}", key.public_key().hex())
                .replace("{{BASE}}", args.base.rstrip("/")))
    if "{{" in text:
        raise SystemExit("%s: placeholders left after filling: %s" % (args.template, text[text.index("{{"):][:40]))
    td = json.loads(text)
    compact = json.dumps(td, ensure_ascii=False, separators=(",", ":")).encode()
    with open(args.out, "wb") as f:
        f.write(compact)
    print(json.dumps({"file": args.out, "bytes": len(compact)}) if args.json else "wrote %s (%d bytes)" % (args.out, len(compact)))


def cmd_run(args):
    setup_logging(logging.DEBUG if args.verbose else logging.INFO, as_json=args.json)
    log = logging.getLogger("thingdevice")
    with open(args.td, "rb") as f:
        td_bytes = f.read()
    try:
        td = json.loads(td_bytes)
    except ValueError as e:
        raise SystemExit("--td %s: not JSON: %s" % (args.td, e))
    metadata = b"{}"
    if args.metadata:
        with open(args.metadata, "rb") as f:
            metadata = f.read()
    device_key = load_key_file(args.device_key, "device")
    device = device_key.public_key()
    if td.get("id") not in (None, enc.device_urn(device)):
        raise SystemExit("--td: id is %r, but this device's URN is %s" % (td.get("id"), enc.device_urn(device)))
    client = Client(args.node)
    try:
        agent = Agent(client, device_key, State(args.state or args.device_key + ".state.json", device.hex()), fee=args.fee)
    except NodeUnreachable as e:
        raise SystemExit("cannot reach the node at %s: %s" % (args.node, e))
    log.info("device %s on %s (node %s)", device.hex(), agent.network, args.node)
    if args.fee is None:
        agent.fee = 0 if agent.network == "regtest" else 10000
    if agent.fee:
        addr = enc.address(device, agent.net["hrp"])
        acct = client.call("account.get", {"address": addr})
        if (acct or {}).get("balance", 0) < 10 * agent.fee:
            log.warning("the device's auction-chain account %s holds %s base units; key deliveries cost %d each: "
                        "send it coin (thingchain wallet send … %s …) or it cannot deliver", addr, (acct or {}).get("balance", 0), agent.fee, addr)

    generator = gen.load(args.data, td)
    access = ChainAccess(client, device, local_key=agent.state.key)
    host, port = listen_address(td, args.listen)
    server = DeviceServer(td_bytes, device, generator, access, host, port)
    server.start()
    log.info("serving the TD at http://%s:%d/things/%s/td (%d affordance routes)", host, server.port, device.hex(), len(server.routes))

    def on_signal(signum, frame):
        log.info("signal %d: stopping", signum)
        agent.stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        if not args.no_checkin:
            if bool(args.owner_key) == bool(args.consent):
                raise SystemExit("pass --owner-key or --consent to check in (or --no-checkin)")
            if args.consent:
                consent = Consent(args.consent, agent.network, device)
                if consent.td != td_bytes:
                    raise SystemExit("--consent covers another TD than --td %s: the device must serve the TD it checks in" % args.td)
                agent.check_in(None, consent.td, consent.metadata, consent.region, consent.terms,
                               timeout=args.checkin_timeout, consent=consent)
            else:
                owner_key = load_key_file(args.owner_key, "owner")
                agent.check_in(owner_key, td_bytes, metadata, args.region, (args.reserve, args.points, args.period),
                               timeout=args.checkin_timeout)
        agent.run()
    except RPCError as e:
        raise SystemExit("the node refused: %s%s" % (e.message, " (%s)" % e.kind if e.kind else ""))
    finally:
        server.stop()
    log.info("stopped")


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    {"keygen": cmd_keygen, "pubkey": cmd_pubkey, "td": cmd_td, "run": cmd_run}[args.cmd](args)


if __name__ == "__main__":
    main()
