"""The device's HTTP endpoint, built from its Thing Description.

Every form of the TD (HTTP binding, TD 1.1 defaults) becomes a route:
  property forms (op readproperty, the default)  -> the bare value
  Thing-level readallproperties forms             -> {name: value}
  action forms (op invokeaction, the default)     -> the action's output
Form hrefs are resolved against the TD's base; a URI template's query part
({?from,to}) declares the URI variables. The TD itself is public at
/things/<device>/td and /.well-known/wot; every affordance needs the
winner's access key (access.ChainAccess). Responses are JSON; errors are
{"error": "...", "code": "..."} with the status codes of docs/device-api.md.
"""

import json
import logging
import re
import threading
import urllib.parse
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from .access import AccessDenied, AccessRequired
from .generator import BadRequest

log = logging.getLogger("thingdevice.http")

_TEMPLATE = re.compile(r"\{[^}]*\}")


def _ops(form, default):
    op = form.get("op", default)
    return [op] if isinstance(op, str) else list(op)


def form_route(base, href):
    """(path, declared query variables) of a form's href."""
    variables = []
    for m in _TEMPLATE.finditer(href):
        expr = m.group(0)[1:-1]
        if expr[:1] in "?&":
            variables += [v.strip() for v in expr[1:].split(",")]
        else:
            raise ValueError("href %r: path templates are not supported, only {?var,...} query templates" % href)
    url = urllib.parse.urljoin(base, _TEMPLATE.sub("", href))
    return urllib.parse.urlsplit(url).path or "/", variables


def routes(td):
    """{(method, path): (kind, name, affordance)} from a TD."""
    base = td.get("base", "")
    out = {}

    def add(method, path, entry):
        key = (method.upper(), path)
        if key in out and out[key][:2] != entry[:2]:
            raise ValueError("two affordances share %s %s" % key)
        out[key] = entry

    for name, prop in (td.get("properties") or {}).items():
        for form in prop.get("forms", []):
            if "readproperty" in _ops(form, ["readproperty", "writeproperty"]):
                path, _ = form_route(base, form["href"])
                add(form.get("htv:methodName", "GET"), path, ("property", name, prop))
    for form in td.get("forms") or []:
        if "readallproperties" in _ops(form, []):
            path, _ = form_route(base, form["href"])
            add(form.get("htv:methodName", "GET"), path, ("allproperties", None, None))
    for name, action in (td.get("actions") or {}).items():
        for form in action.get("forms", []):
            if "invokeaction" in _ops(form, ["invokeaction"]):
                path, _ = form_route(base, form["href"])
                add(form.get("htv:methodName", "POST"), path, ("action", name, action))
    return out


class DeviceServer:
    """Serves a TD and its affordances on (host, port)."""

    def __init__(self, td_bytes, device, generator, access, host, port, now=None):
        self.td_bytes = td_bytes
        self.td = json.loads(td_bytes)
        self.routes = routes(self.td)
        self.device_hex = device.hex()
        self.generator, self.access = generator, access
        self.now = now or (lambda: datetime.now(timezone.utc))
        self.td_paths = {"/things/%s/td" % self.device_hex, "/.well-known/wot"}
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, fmt, *args):
                log.debug("%s %s", self.address_string(), fmt % args)

            def do_GET(self):
                server.handle(self, "GET")

            def do_POST(self):
                server.handle(self, "POST")

            def do_PUT(self):
                server.handle(self, "PUT")

        self.httpd = ThreadingHTTPServer((host, port), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self._thread = None

    def start(self):
        self._thread = threading.Thread(target=self.httpd.serve_forever, name="http", daemon=True)
        self._thread.start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()

    def _send(self, h, status, body, content_type="application/json", extra=None):
        data = body if isinstance(body, bytes) else (json.dumps(body, ensure_ascii=False, separators=(",", ":")) + "\n").encode()
        h.send_response(status)
        h.send_header("Content-Type", content_type)
        h.send_header("Cache-Control", "no-store")
        h.send_header("Content-Length", str(len(data)))
        for k, v in (extra or {}).items():
            h.send_header(k, v)
        h.end_headers()
        h.wfile.write(data)

    def _error(self, h, status, code, message):
        extra = {}
        if status == 401:
            extra["WWW-Authenticate"] = 'Bearer realm="thingchain", error="invalid_token"'
        self._send(h, status, {"error": message, "code": code}, extra=extra)

    def handle(self, h, method):
        url = urllib.parse.urlsplit(h.path)
        try:
            length = int(h.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if not 0 <= length <= 1 << 20:
            h.close_connection = True
            return self._error(h, 400, "bad_request", "Content-Length must be a number of bytes, at most 1 MiB")
        body = h.rfile.read(length) if length else b""
        if method == "GET" and url.path in self.td_paths:
            return self._send(h, 200, self.td_bytes, "application/td+json")
        entry = self.routes.get((method, url.path))
        if entry is None:
            if any(p == url.path for (_, p) in self.routes):
                return self._error(h, 405, "method_not_allowed", "%s is not declared for %s in the Thing Description" % (method, url.path))
            return self._error(h, 404, "not_found", "no such resource; the Thing Description is at /things/%s/td" % self.device_hex)
        try:
            auction = self.access.check(h.headers.get("Authorization"))
        except (AccessRequired, AccessDenied) as e:
            log.info("refused %s %s: %d %s", method, url.path, e.status, e)
            return self._error(h, e.status, e.code, str(e))
        kind, name, aff = entry
        now = self.now()
        try:
            if kind == "property":
                value = self.generator.read_property(name, aff, now)
            elif kind == "allproperties":
                value = {n: self.generator.read_property(n, p, now)
                         for n, p in (self.td.get("properties") or {}).items()
                         if not p.get("writeOnly")}
            else:
                # Only the URI variables the TD declares reach the generator;
                # others are ignored, as the Go devices ignore them.
                declared = aff.get("uriVariables") or {}
                params = {k: v for k, v in urllib.parse.parse_qsl(url.query) if k in declared}
                if body:
                    try:
                        params["input"] = json.loads(body)
                    except ValueError:
                        raise BadRequest("bad_input", "the action input must be JSON") from None
                value = self.generator.invoke_action(name, aff, params, now)
        except BadRequest as e:
            return self._error(h, 400, e.code, str(e))
        except Exception:  # a generator bug must not kill the device
            log.exception("generator failed for %s %s", kind, name)
            return self._error(h, 500, "internal_error", "the device could not produce the value")
        log.info("served %s %s to auction %s", kind, name or "", auction.hex()[:16])
        self._send(h, 200, value)
