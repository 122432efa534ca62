// The device filter language, as `thingchain devices list --filter`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseFilter } from '../src/lib/filter.js';
import { parseTHG, formatTHG, address, hex, amount } from '../src/lib/encoding.js';

test('every filter key maps to its registry.devices parameter', () => {
  assert.deepEqual(parseFilter('kind=thermostat model=m oem=02ab region=EU enabled=true max-reserve=30000 prop:temp=number prop:on=* meta:color="arctic white"'), {
    kind: 'thermostat', model: 'm', oem: '02ab', region_prefix: 'EU', enabled: true, max_reserve: 30000,
    properties: { temp: 'number', on: '' }, metadata: { color: 'arctic white' },
  });
  assert.deepEqual(parseFilter('  '), {});
});

test('bad filters name what is wrong', () => {
  assert.throws(() => parseFilter('kind'), /want KEY=VALUE/);
  assert.throws(() => parseFilter('colour=red'), /unknown key "colour"/);
  assert.throws(() => parseFilter('enabled=maybe'), /true or false/);
  assert.throws(() => parseFilter('max-reserve=0.5'), /whole number/);
});

test('amounts in THG and base units', () => {
  assert.equal(parseTHG('0.0005'), 50000n);
  assert.equal(parseTHG('12'), 1_200_000_000n);
  assert.throws(() => parseTHG('0.000000001'), /up to 8 decimals/);
  assert.throws(() => parseTHG('1e3'), /not an amount/);
  assert.equal(formatTHG(50000), '0.0005 THG');
  assert.equal(formatTHG('1200000000'), '12 THG');
  assert.equal(amount('18446744073709551615'), 18446744073709551615n);
});

test('API spellings of bytes and addresses, before and after issue 11', () => {
  assert.equal(hex([2, 171]), '02ab');
  assert.equal(hex('02AB'), '02ab');
  assert.equal(address(new Array(20).fill(0), 'tcr'), '');
  const a = address(Array.from({ length: 20 }, (_, i) => i), 'tcr');
  assert.match(a, /^tcr1/);
  assert.equal(address(a, 'tcr'), a);
});
