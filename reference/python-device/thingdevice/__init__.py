"""thingdevice: a thingchain reference device agent in Python.

Written from docs/device-api.md, docs/api.md and docs/auction.md alone,
with the standard library and Debian's python3-cryptography:

  secp256k1  keys, RFC 6979 ECDSA signatures with low s, point arithmetic
  encoding   the transaction envelope, payloads, hashes, addresses
  ecies      ECIES in the eciesjs format (docs/auction.md section 9)
  rpc        JSON-RPC 2.0 over HTTP and a minimal WebSocket client
  access     the Bearer <auction>.<key> check of data requests
  server     the HTTP endpoint serving the TD and data as the TD declares
  generator  data sources for the TD's affordances
  agent      check-in, key delivery for every won auction, the state file
"""

__version__ = "0.1.0"
