"""JSON-RPC 2.0 over HTTP (POST /) and a minimal WebSocket client for
subscriptions (docs/api.md), standard library only."""

import base64
import hashlib
import itertools
import json
import os
import select
import socket
import struct
import urllib.error
import urllib.parse
import urllib.request


class RPCError(Exception):
    """The node answered with a JSON-RPC error; kind is error.data.kind."""

    def __init__(self, code, message, data=None):
        super().__init__("%s (code %d)" % (message, code))
        self.code, self.message, self.data = code, message, data
        self.kind = data.get("kind") if isinstance(data, dict) else None


class NodeUnreachable(Exception):
    """The node could not be asked (connection, timeout, HTTP error)."""


class Client:
    def __init__(self, url, timeout=10.0):
        self.url = url.rstrip("/")
        self.timeout = timeout
        self._ids = itertools.count(1)

    def call(self, method, params=None):
        req = {"jsonrpc": "2.0", "id": next(self._ids), "method": method}
        if params is not None:
            req["params"] = params
        body = json.dumps(req).encode()
        http_req = urllib.request.Request(self.url + "/", data=body, headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(http_req, timeout=self.timeout) as resp:
                reply = json.loads(resp.read())
        except urllib.error.HTTPError as e:
            detail = e.read()[:300].decode("utf-8", "replace")
            raise NodeUnreachable("%s: HTTP %d %s" % (method, e.code, detail)) from None
        except (OSError, ValueError) as e:
            raise NodeUnreachable("%s: %s" % (method, e)) from None
        if "error" in reply and reply["error"] is not None:
            err = reply["error"]
            raise RPCError(err.get("code", 0), err.get("message", ""), err.get("data"))
        return reply.get("result")


class WebSocketClosed(Exception):
    pass


class WebSocket:
    """A client WebSocket (RFC 6455): text frames, masking, ping/pong, close."""

    GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

    def __init__(self, url, timeout=10.0):
        u = urllib.parse.urlsplit(url)
        if u.scheme not in ("ws", "http"):
            raise ValueError("only ws:// (plain) URLs are supported: %s" % url)
        host, port = u.hostname, u.port or 80
        self.sock = socket.create_connection((host, port), timeout=timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        hostport = "%s:%d" % (("[%s]" % host) if ":" in host else host, port)
        path = u.path or "/"
        self.sock.sendall(("GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                           "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n" % (path, hostport, key)).encode())
        self._buf = b""
        head = self._read_until(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        if not lines[0].startswith("HTTP/1.1 101"):
            raise ConnectionError("WebSocket upgrade refused: %s" % lines[0])
        headers = {l.split(":", 1)[0].strip().lower(): l.split(":", 1)[1].strip() for l in lines[1:] if ":" in l}
        want = base64.b64encode(hashlib.sha1((key + self.GUID).encode()).digest()).decode()
        if headers.get("sec-websocket-accept") != want:
            raise ConnectionError("WebSocket upgrade: bad Sec-WebSocket-Accept")

    def _read_until(self, marker):
        while marker not in self._buf:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise WebSocketClosed("connection closed during the handshake")
            self._buf += chunk
        head, self._buf = self._buf.split(marker, 1)
        return head

    def _read_exact(self, n):
        while len(self._buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise WebSocketClosed("connection closed")
            self._buf += chunk
        out, self._buf = self._buf[:n], self._buf[n:]
        return out

    def _send_frame(self, opcode, payload):
        mask = os.urandom(4)
        n = len(payload)
        if n < 126:
            head = struct.pack("!BB", 0x80 | opcode, 0x80 | n)
        elif n < 65536:
            head = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, n)
        else:
            head = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, n)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(head + mask + masked)

    def send_text(self, text):
        self._send_frame(0x1, text.encode())

    def recv_text(self, timeout=None):
        """The next text message; answers pings; raises WebSocketClosed on close
        and socket.timeout when nothing arrived within timeout."""
        # Wait for the start of a frame up to timeout; a frame once begun is
        # read whole (30 s bound), so a timeout never splits one.
        if not self._buf:
            ready, _, _ = select.select([self.sock], [], [], timeout)
            if not ready:
                raise socket.timeout("no message within %s s" % timeout)
        self.sock.settimeout(30.0)
        message = b""
        while True:
            b0, b1 = self._read_exact(2)
            fin, opcode = b0 & 0x80, b0 & 0x0F
            n = b1 & 0x7F
            if n == 126:
                n = struct.unpack("!H", self._read_exact(2))[0]
            elif n == 127:
                n = struct.unpack("!Q", self._read_exact(8))[0]
            mask = self._read_exact(4) if b1 & 0x80 else None
            data = self._read_exact(n)
            if mask:
                data = bytes(b ^ mask[i % 4] for i, b in enumerate(data))
            if opcode == 0x9:
                self._send_frame(0xA, data)
                continue
            if opcode == 0xA:
                continue
            if opcode == 0x8:
                try:
                    self._send_frame(0x8, data[:2])
                except OSError:
                    pass
                raise WebSocketClosed("closed by the node")
            message += data
            if fin:
                return message.decode("utf-8")

    def close(self):
        try:
            self._send_frame(0x8, struct.pack("!H", 1000))
        except OSError:
            pass
        self.sock.close()


class Subscription:
    """A node subscription over its own WebSocket: subscribe("newHeads", "auction")."""

    def __init__(self, url, name, *args, timeout=10.0):
        ws_url = url.replace("http://", "ws://", 1)
        self.ws = WebSocket(ws_url, timeout=timeout)
        self.ws.send_text(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "subscribe", "params": [name, *args]}))
        self._pending = []
        while True:
            msg = json.loads(self.ws.recv_text(timeout=timeout))
            if msg.get("id") == 1:
                if msg.get("error"):
                    e = msg["error"]
                    raise RPCError(e.get("code", 0), e.get("message", ""), e.get("data"))
                self.id = msg["result"]
                break
            self._pending.append(msg)

    def next(self, timeout=None):
        """The next notification's result, or None after timeout seconds."""
        while self._pending:
            msg = self._pending.pop(0)
            if msg.get("method") == "subscription":
                return msg["params"]["result"]
        try:
            msg = json.loads(self.ws.recv_text(timeout=timeout))
        except socket.timeout:
            return None
        if msg.get("method") == "subscription" and msg["params"].get("subscription") == self.id:
            return msg["params"]["result"]
        return self.next(timeout=timeout)

    def close(self):
        self.ws.close()
