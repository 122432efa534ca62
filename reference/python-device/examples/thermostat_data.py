"""Data of the example thermostat (--data examples/thermostat_data.py).

A real device reads its sensors here; this one computes a smooth daily
curve from the time, so every reading of a given time is the same.
"""

import math
from datetime import timedelta

from thingdevice.generator import BadRequest, iso, parse_time

INTERVAL = timedelta(minutes=5)
MAX_READINGS = 2000


def values_at(t):
    day = (t.timestamp() % 86400) / 86400 * 2 * math.pi
    temperature = round(20.5 + 2.5 * math.sin(day - 2.0), 2)
    return {
        "temperature": temperature,
        "humidity": round(45 + 10 * math.cos(day), 1),
        "heating": temperature < 20.0,
    }


class Thermostat:
    def __init__(self, td):
        self.device = td["id"].rsplit(":", 1)[-1]

    def read_property(self, name, schema, now):
        return values_at(now)[name]

    def invoke_action(self, name, affordance, params, now):
        if name != "history":
            raise BadRequest("unknown_action", "no action " + name)
        to = parse_time("to", params["to"]) if "to" in params else now
        start = parse_time("from", params["from"]) if "from" in params else to - timedelta(hours=1)
        to = min(to, now)  # no data from the future
        if start > to:
            raise BadRequest("bad_range", "from is after to")
        # Readings on the 5-minute grid, newest last, at most MAX_READINGS.
        first = start + (-(start.timestamp()) % INTERVAL.total_seconds()) * timedelta(seconds=1)
        readings = []
        t = first
        while t <= to and len(readings) < MAX_READINGS:
            readings.append({"time": iso(t), "values": values_at(t)})
            t += INTERVAL
        return {"device": self.device, "interval": "5m0s", "readings": readings}


def make_generator(td):
    return Thermostat(td)
