import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { validateResponse } from './spec-validate.ts';

describe('validateResponse (the spec judge the other tests rely on)', () => {
  const server = { id: '5097f855-d772-4950-ab1c-41b216d0a8d8', name: 'a', machineType: 'c2i.2' };

  test('accepts a minimal Server and rejects one without machineType', () => {
    assert.equal(validateResponse('GetServer', 200, server).valid, true);
    const { machineType: _m, ...noType } = server;
    const r = validateResponse('GetServer', 200, noType);
    assert.equal(r.valid, false);
    assert.match(r.errors.join(), /machineType/);
  });

  test('rejects networking {} and write-only fields in responses', () => {
    assert.equal(validateResponse('GetServer', 200, { ...server, networking: {} }).valid, false);
    assert.equal(validateResponse('GetServer', 200, { ...server, securityGroups: ['x'] }).valid, false);
    assert.equal(
      validateResponse('GetServer', 200, {
        ...server,
        bootVolume: { source: { type: 'image', id: server.id } },
      }).valid,
      false,
    );
  });

  test('server NICs need nicId, networkId, networkName, mac and nicSecurity', () => {
    const nic = {
      nicId: server.id,
      networkId: server.id,
      networkName: 'n',
      mac: 'fa:16:3e:00:00:01',
      nicSecurity: true,
    };
    assert.equal(validateResponse('GetServer', 200, { ...server, nics: [nic] }).valid, true);
    const { mac: _mac, ...noMac } = nic;
    assert.equal(validateResponse('GetServer', 200, { ...server, nics: [noMac] }).valid, false);
  });

  test('lists need items; errors need code and msg; 204 has no body', () => {
    assert.equal(validateResponse('ListServers', 200, {}).valid, false);
    assert.equal(validateResponse('ListServers', 200, { items: [] }).valid, true);
    assert.equal(validateResponse('GetServer', 404, { code: 404 }).valid, false);
    assert.equal(validateResponse('GetServer', 404, { code: 404, msg: 'server not found' }).valid, true);
    assert.equal(validateResponse('DeleteServer', 204, undefined).valid, true);
    assert.equal(validateResponse('DeleteServer', 204, { x: 1 }).valid, false);
  });

  test('reports whether the status is documented (CreateServer documents no 429)', () => {
    const r = validateResponse('CreateServer', 429, { code: 429, msg: 'Too Many Requests' });
    assert.equal(r.valid, true);
    assert.equal(r.documented, false);
    assert.equal(
      validateResponse('CreateServer', 403, { code: 403, msg: 'quota exceeded: vCPU' }).documented,
      true,
    );
  });
});
