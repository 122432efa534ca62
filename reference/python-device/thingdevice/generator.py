"""Data sources for a TD's affordances.

A generator answers property reads and action invocations with values
that follow the TD's data schemas:

    read_property(name, schema, now)          -> value
    invoke_action(name, affordance, params, now) -> value
      params: the URI variables and the JSON input ("input") of the call

`--data builtin` is SchemaGenerator (values made from the schemas alone);
`--data FILE.py` loads FILE's make_generator(td) (see examples/).
Raise BadRequest to answer 400.
"""

import importlib.util
import math
from datetime import datetime, timezone


class BadRequest(Exception):
    def __init__(self, code, message):
        super().__init__(message)
        self.code = code


def iso(dt):
    return dt.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(name, text):
    try:
        if text.endswith("Z") or text.endswith("z"):
            text = text[:-1] + "+00:00"
        dt = datetime.fromisoformat(text)
    except ValueError:
        raise BadRequest("bad_time", "%s must be an RFC 3339 time such as 2026-01-02T15:04:05Z" % name) from None
    if dt.tzinfo is None:
        raise BadRequest("bad_time", "%s must carry a time zone (Z or +hh:mm)" % name)
    return dt


def sample(schema, now, seed=0.0):
    """A value valid for a data schema, varying smoothly with time."""
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return schema["enum"][0]
    t = schema.get("type")
    phase = now.timestamp() / 600.0 + seed
    if t in ("number", "integer"):
        lo = schema.get("minimum", schema.get("exclusiveMinimum", 0))
        hi = schema.get("maximum", schema.get("exclusiveMaximum", lo + 100))
        v = lo + (hi - lo) * (0.5 + 0.4 * math.sin(phase))
        return int(round(v)) if t == "integer" else round(v, 2)
    if t == "boolean":
        return math.sin(phase) > 0
    if t == "string":
        if schema.get("format") == "date-time":
            return iso(now)
        return "ok"
    if t == "array":
        n = max(schema.get("minItems", 1), 1)
        if "maxItems" in schema:
            n = min(n, schema["maxItems"])
        return [sample(schema.get("items", {}), now, seed + i) for i in range(n)]
    if t == "object" or "properties" in schema:
        return {k: sample(s, now, seed + i) for i, (k, s) in enumerate(sorted(schema.get("properties", {}).items()))}
    if t == "null":
        return None
    return None


class SchemaGenerator:
    """Values made from the TD's own data schemas."""

    def __init__(self, td):
        self.td = td

    def read_property(self, name, schema, now):
        return sample(schema, now, seed=len(name))

    def invoke_action(self, name, affordance, params, now):
        for var, schema in (affordance.get("uriVariables") or {}).items():
            if var in params and schema.get("format") == "date-time":
                parse_time(var, params[var])
        return sample(affordance.get("output", {}), now)


def load(spec, td):
    """builtin, or a Python file defining make_generator(td)."""
    if spec in ("builtin", "schema"):
        return SchemaGenerator(td)
    mod_spec = importlib.util.spec_from_file_location("thingdevice_data", spec)
    if mod_spec is None:
        raise ValueError("--data: %s is neither 'builtin' nor a Python file" % spec)
    mod = importlib.util.module_from_spec(mod_spec)
    mod_spec.loader.exec_module(mod)
    if not hasattr(mod, "make_generator"):
        raise ValueError("--data: %s defines no make_generator(td)" % spec)
    return mod.make_generator(td)
