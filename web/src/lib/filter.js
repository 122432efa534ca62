// filter.js parses the device filter language of `thingchain devices list
// --filter KEY=VALUE` (cmd/thingchain/devices.go) into registry.devices
// parameters. Terms are separated by spaces; a value with spaces is quoted:
//   kind=thermostat region=EU enabled=true max-reserve=30000
//   prop:temperature_c=number prop:heating=* meta:color="arctic white"
export function tokenize(text) {
  const out = [];
  const re = /\s*([^\s=]+=(?:"[^"]*"|\S*))\s*|\s*(\S+)\s*/gy;
  let m;
  while ((m = re.exec(text)) && m[0] !== '') {
    if (m[2]) out.push(m[2]);
    else out.push(m[1].replace(/="(.*)"$/, '=$1'));
  }
  return out;
}

export function parseFilter(text) {
  const f = {};
  for (const term of tokenize(text || '')) {
    const i = term.indexOf('=');
    if (i <= 0) throw new Error(`filter "${term}": want KEY=VALUE, e.g. kind=fridge`);
    const key = term.slice(0, i);
    let value = term.slice(i + 1);
    if (key === 'kind') f.kind = value;
    else if (key === 'model') f.model = value;
    else if (key === 'oem') f.oem = value;
    else if (key === 'region') f.region_prefix = value;
    else if (key === 'enabled') {
      const v = { true: true, false: false, 1: true, 0: false, t: true, f: false }[value.toLowerCase()];
      if (v === undefined) throw new Error(`filter "${term}": enabled takes true or false`);
      f.enabled = v;
    } else if (key === 'max-reserve') {
      if (!/^\d+$/.test(value)) throw new Error(`filter "${term}": max-reserve takes a whole number of base units`);
      f.max_reserve = Number(value);
    } else if (key.startsWith('prop:') && key.length > 5) {
      if (value === '*') value = '';
      (f.properties ??= {})[key.slice(5)] = value;
    } else if (key.startsWith('meta:') && key.length > 5) {
      (f.metadata ??= {})[key.slice(5)] = value;
    } else {
      throw new Error(`filter "${term}": unknown key "${key}"; use kind, model, oem, region, enabled, max-reserve, prop:NAME or meta:FIELD`);
    }
  }
  return f;
}
