import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { IaasConfigError, resolveIaasConfig } from '../../src/iaas/index.ts';

describe('resolveIaasConfig', () => {
  test('defaults to the STACKIT IaaS endpoint with authentication on', () => {
    const c = resolveIaasConfig({});
    assert.equal(c.endpoint, 'https://iaas.api.stackit.cloud');
    assert.equal(c.endpointSource, 'default');
    assert.equal(c.noAuth, false);
    assert.equal(c.tokenUrl, undefined);
  });

  test('override beats STACKIT_IAAS_ENDPOINT, which beats STACKIT_API_ENDPOINT', () => {
    const env = { STACKIT_IAAS_ENDPOINT: 'http://iaas.local:8080', STACKIT_API_ENDPOINT: 'http://api.local' };
    assert.equal(
      resolveIaasConfig(env, { endpoint: 'http://override.local/' }).endpoint,
      'http://override.local',
    );
    const fromIaas = resolveIaasConfig(env);
    assert.equal(fromIaas.endpoint, 'http://iaas.local:8080');
    assert.equal(fromIaas.endpointSource, 'STACKIT_IAAS_ENDPOINT');
    const fromApi = resolveIaasConfig({
      STACKIT_API_ENDPOINT: 'http://api.local',
      STACKIT_IAAS_ENDPOINT: ' ',
    });
    assert.equal(fromApi.endpoint, 'http://api.local');
    assert.equal(fromApi.endpointSource, 'STACKIT_API_ENDPOINT');
  });

  test('a trailing slash or /v2 on the endpoint is dropped because request paths carry /v2', () => {
    assert.equal(
      resolveIaasConfig({ STACKIT_API_ENDPOINT: 'http://127.0.0.1:9000/v2/' }).endpoint,
      'http://127.0.0.1:9000',
    );
    assert.equal(
      resolveIaasConfig({ STACKIT_API_ENDPOINT: 'http://sim/prefix/' }).endpoint,
      'http://sim/prefix',
    );
  });

  test('token URL: override, then STACKIT_TOKEN_BASEURL', () => {
    const env = { STACKIT_TOKEN_BASEURL: 'http://tokens.local/token' };
    assert.equal(resolveIaasConfig(env).tokenUrl, 'http://tokens.local/token');
    assert.equal(resolveIaasConfig(env, { tokenUrl: 'http://other/token' }).tokenUrl, 'http://other/token');
  });

  test('STACKIT_NO_AUTH accepts true/1/false/0 and rejects anything else by name', () => {
    const sim = { STACKIT_API_ENDPOINT: 'http://127.0.0.1:1234' };
    assert.equal(resolveIaasConfig({ ...sim, STACKIT_NO_AUTH: 'true' }).noAuth, true);
    assert.equal(resolveIaasConfig({ ...sim, STACKIT_NO_AUTH: '1' }).noAuth, true);
    assert.equal(resolveIaasConfig({ ...sim, STACKIT_NO_AUTH: 'TRUE' }).noAuth, true);
    assert.equal(resolveIaasConfig({ ...sim, STACKIT_NO_AUTH: '0' }).noAuth, false);
    assert.throws(
      () => resolveIaasConfig({ ...sim, STACKIT_NO_AUTH: 'yes' }),
      (e: unknown) => e instanceof IaasConfigError && e.fields.includes('STACKIT_NO_AUTH'),
    );
  });

  test('no-auth is refused for stackit.cloud hosts', () => {
    for (const endpoint of [
      'https://iaas.api.stackit.cloud',
      'https://IAAS.API.STACKIT.CLOUD.',
      'https://stackit.cloud',
    ]) {
      assert.throws(
        () => resolveIaasConfig({ STACKIT_NO_AUTH: 'true' }, { endpoint }),
        (e: unknown) => e instanceof IaasConfigError && /only for simulators/.test(e.message),
        endpoint,
      );
    }
    assert.throws(
      () => resolveIaasConfig({ STACKIT_NO_AUTH: 'true' }),
      IaasConfigError,
      'the default endpoint too',
    );
    // A look-alike host is not STACKIT.
    assert.equal(
      resolveIaasConfig({}, { endpoint: 'http://notstackit.cloud.example', noAuth: true }).noAuth,
      true,
    );
  });

  test('every invalid value is reported at once, by variable name', () => {
    assert.throws(
      () =>
        resolveIaasConfig({
          STACKIT_IAAS_ENDPOINT: 'ftp://x',
          STACKIT_TOKEN_BASEURL: 'not a url',
          STACKIT_NO_AUTH: 'maybe',
        }),
      (e: unknown) =>
        e instanceof IaasConfigError &&
        ['STACKIT_IAAS_ENDPOINT', 'STACKIT_TOKEN_BASEURL', 'STACKIT_NO_AUTH'].every((f) =>
          e.fields.includes(f),
        ),
    );
  });
});
