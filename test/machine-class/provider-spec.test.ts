import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  type FieldError,
  formatFieldErrors,
  parseProviderSpec,
} from '../../src/machine-class/provider-spec.ts';
import { U1, U2, U3 } from './fixtures.ts';

const base = { machineType: 'c2i.4', imageId: U1 };

function expectOk(raw: unknown) {
  const r = parseProviderSpec(raw);
  assert.ok(r.ok, `expected valid, got: ${r.ok ? '' : formatFieldErrors(r.errors)}`);
  return r;
}

function expectError(raw: unknown, path: string, message?: RegExp): FieldError {
  const r = parseProviderSpec(raw);
  assert.equal(r.ok, false, `expected an error at ${path}`);
  if (r.ok) throw new Error('unreachable');
  const e = r.errors.find((x) => x.path === path);
  assert.ok(e, `no error at ${path}; got: ${formatFieldErrors(r.errors)}`);
  if (message) assert.match(e.message, message);
  return e;
}

type Case = { name: string; patch: Record<string, unknown> };
type BadCase = Case & { path: string; message?: RegExp; value?: string };

const good: Case[] = [
  { name: 'machine type with family letters and d suffix', patch: { machineType: 'm2a.1d' } },
  { name: 'uppercase image UUID (lowercased)', patch: { imageId: U1.toUpperCase().replaceAll('1', 'A') } },
  { name: 'region eu01', patch: { region: 'eu01' } },
  { name: 'region eu02', patch: { region: 'eu02' } },
  { name: 'zone eu01-1', patch: { availabilityZone: 'eu01-1' } },
  { name: 'zone eu01-3', patch: { availabilityZone: 'eu01-3' } },
  { name: 'metro zone eu01-m', patch: { availabilityZone: 'eu01-m' } },
  { name: 'zone eu02-1 with region eu02', patch: { region: 'eu02', availabilityZone: 'eu02-1' } },
  { name: 'label with slash in key', patch: { labels: { 'kubernetes.io/cluster': 'shoot--a--b' } } },
  { name: 'empty label value', patch: { labels: { marker: '' } } },
  { name: 'label of 63 characters', patch: { labels: { ['k'.repeat(63)]: 'v'.repeat(63) } } },
  { name: 'networkId', patch: { networking: { networkId: U2 } } },
  { name: 'nicIds', patch: { networking: { nicIds: [U2, U3] } } },
  { name: 'security groups by name and ID', patch: { securityGroups: ['default', U3, 'my group'] } },
  { name: 'userData', patch: { userData: '#cloud-config\n' } },
  { name: 'bootVolume without source (from imageId)', patch: { bootVolume: { size: 20 } } },
  {
    name: 'bootVolume from a volume, no imageId',
    patch: { imageId: undefined, bootVolume: { source: { type: 'volume', id: U2 } } },
  },
  {
    name: 'bootVolume from a snapshot',
    patch: { imageId: undefined, bootVolume: { source: { type: 'snapshot', id: U2 } } },
  },
  { name: 'performance class', patch: { bootVolume: { performanceClass: 'storage_premium_perf1' } } },
  { name: 'deleteOnTermination false', patch: { bootVolume: { deleteOnTermination: false } } },
  { name: 'volumes', patch: { volumes: [U2, U3] } },
  { name: 'keypair name with @._-', patch: { keypairName: 'me@example.com_key-1' } },
  { name: 'keypair of 127 characters', patch: { keypairName: 'k'.repeat(127) } },
  { name: 'affinity group', patch: { affinityGroup: U3 } },
  { name: 'one service account', patch: { serviceAccountMails: ['my-sa@sa.stackit.cloud'] } },
  { name: 'agent provisioned', patch: { agent: { provisioned: false } } },
  { name: 'empty agent', patch: { agent: {} } },
  {
    name: 'metadata of strings, numbers, booleans',
    patch: { metadata: { 'a b:c.d_e-f': 'x', n: 5, t: true } },
  },
  {
    name: 'allowedAddresses list',
    patch: { allowedAddresses: ['10.96.0.0/11', '2001:db8::/64', '10.0.0.1'] },
  },
];

const bad: BadCase[] = [
  {
    name: 'machineType missing',
    patch: { machineType: undefined },
    path: 'providerSpec.machineType',
    message: /required/,
  },
  {
    name: 'machineType wrong type',
    patch: { machineType: 4 },
    path: 'providerSpec.machineType',
    message: /string/,
  },
  {
    name: 'machineType bad characters',
    patch: { machineType: 'c2i.4!' },
    path: 'providerSpec.machineType',
    message: /machine type/,
    value: '"c2i.4!"',
  },
  {
    name: 'machineType too long',
    patch: { machineType: 'c'.repeat(128) },
    path: 'providerSpec.machineType',
    message: /127/,
  },
  {
    name: 'imageId not a UUID',
    patch: { imageId: 'ubuntu' },
    path: 'providerSpec.imageId',
    message: /UUID/,
    value: '"ubuntu"',
  },
  {
    name: 'no image at all',
    patch: { imageId: undefined },
    path: 'providerSpec.imageId',
    message: /bootVolume\.source/,
  },
  {
    name: 'RegionOne',
    patch: { region: 'RegionOne' },
    path: 'providerSpec.region',
    message: /OpenStack.*eu01/,
  },
  { name: 'zone as region', patch: { region: 'eu01-1' }, path: 'providerSpec.region', message: /zone.*eu01/ },
  {
    name: 'nonsense region',
    patch: { region: 'europe' },
    path: 'providerSpec.region',
    message: /eu01 or eu02/,
  },
  {
    name: 'bad zone',
    patch: { availabilityZone: 'eu01-a' },
    path: 'providerSpec.availabilityZone',
    message: /eu01-m/,
  },
  {
    name: 'zone outside region',
    patch: { region: 'eu02', availabilityZone: 'eu01-1' },
    path: 'providerSpec.availabilityZone',
    message: /region eu01.*eu02/,
  },
  {
    name: 'reserved label kubernetes.io/machine',
    patch: { labels: { 'kubernetes.io/machine': 'x' } },
    path: 'providerSpec.labels."kubernetes.io/machine"',
    message: /driver/,
  },
  {
    name: 'reserved label kubernetes.io/machineclass',
    patch: { labels: { 'kubernetes.io/machineclass': 'x' } },
    path: 'providerSpec.labels."kubernetes.io/machineclass"',
    message: /driver/,
  },
  {
    name: 'reserved label machine.sapcloud.io/namespace (the driver would silently replace it)',
    patch: { labels: { 'machine.sapcloud.io/namespace': 'other' } },
    path: 'providerSpec.labels."machine.sapcloud.io/namespace"',
    message:
      /set by the driver.*reserved: kubernetes\.io\/machine, kubernetes\.io\/machineclass, machine\.sapcloud\.io\/namespace/,
  },
  {
    name: 'stackit- label prefix',
    patch: { labels: { 'stackit-x': 'y' } },
    path: 'providerSpec.labels."stackit-x"',
    message: /reserved/,
  },
  {
    name: 'label key too long',
    patch: { labels: { ['k'.repeat(64)]: 'v' } },
    path: `providerSpec.labels.${'k'.repeat(64)}`,
    message: /63/,
  },
  {
    name: 'label key bad chars',
    patch: { labels: { 'a b': 'v' } },
    path: 'providerSpec.labels."a b"',
    message: /letter or digit/,
  },
  {
    name: 'label value too long',
    patch: { labels: { a: 'v'.repeat(64) } },
    path: 'providerSpec.labels.a',
    message: /63/,
  },
  {
    name: 'label value bad chars',
    patch: { labels: { a: '-x' } },
    path: 'providerSpec.labels.a',
    message: /letter or digit/,
  },
  {
    name: 'label value number',
    patch: { labels: { a: 5 } },
    path: 'providerSpec.labels.a',
    message: /quote/,
  },
  { name: 'labels not a map', patch: { labels: ['a'] }, path: 'providerSpec.labels' },
  {
    name: 'networking empty',
    patch: { networking: {} },
    path: 'providerSpec.networking',
    message: /networkId or nicIds/,
  },
  {
    name: 'networking both',
    patch: { networking: { networkId: U2, nicIds: [U3] } },
    path: 'providerSpec.networking',
    message: /not both/,
  },
  {
    name: 'networkId not a UUID',
    patch: { networking: { networkId: 'net' } },
    path: 'providerSpec.networking.networkId',
    message: /UUID/,
  },
  {
    name: 'nicIds empty',
    patch: { networking: { nicIds: [] } },
    path: 'providerSpec.networking.nicIds',
    message: /at least one/,
  },
  {
    name: 'nicIds bad item',
    patch: { networking: { nicIds: [U2, 'x'] } },
    path: 'providerSpec.networking.nicIds.1',
    message: /UUID/,
  },
  {
    name: 'nicIds duplicate',
    patch: { networking: { nicIds: [U2, U2] } },
    path: 'providerSpec.networking.nicIds.1',
    message: /twice/,
  },
  {
    name: 'security group bad',
    patch: { securityGroups: ['ok', '-bad'] },
    path: 'providerSpec.securityGroups.1',
    message: /security group/,
  },
  {
    name: 'security groups not a list',
    patch: { securityGroups: 'default' },
    path: 'providerSpec.securityGroups',
    message: /list/,
  },
  { name: 'userData not a string', patch: { userData: 5 }, path: 'providerSpec.userData', message: /string/ },
  {
    name: 'boot size zero',
    patch: { bootVolume: { size: 0 } },
    path: 'providerSpec.bootVolume.size',
    message: /at least 1/,
  },
  {
    name: 'boot size fraction',
    patch: { bootVolume: { size: 1.5 } },
    path: 'providerSpec.bootVolume.size',
    message: /whole/,
  },
  {
    name: 'boot size string',
    patch: { bootVolume: { size: '50' } },
    path: 'providerSpec.bootVolume.size',
    message: /GB/,
  },
  {
    name: 'performance class bad',
    patch: { bootVolume: { performanceClass: '!' } },
    path: 'providerSpec.bootVolume.performanceClass',
    message: /performance class/,
  },
  {
    name: 'deleteOnTermination string',
    patch: { bootVolume: { deleteOnTermination: 'yes' } },
    path: 'providerSpec.bootVolume.deleteOnTermination',
    message: /true or false/,
  },
  {
    name: 'source type iso',
    patch: { bootVolume: { source: { type: 'iso', id: U1 } } },
    path: 'providerSpec.bootVolume.source.type',
    message: /image, volume or snapshot/,
    value: '"iso"',
  },
  {
    name: 'source type missing',
    patch: { bootVolume: { source: { id: U1 } } },
    path: 'providerSpec.bootVolume.source.type',
    message: /required/,
  },
  {
    name: 'source id bad',
    patch: { bootVolume: { source: { type: 'image', id: 'abc' } } },
    path: 'providerSpec.bootVolume.source.id',
    message: /UUID/,
  },
  {
    name: 'volume source without id',
    patch: { bootVolume: { source: { type: 'volume' } } },
    path: 'providerSpec.bootVolume.source.id',
    message: /volume or snapshot/,
  },
  {
    name: 'image source without id and no imageId',
    patch: { imageId: undefined, bootVolume: { source: { type: 'image', id: null } } },
    path: 'providerSpec.bootVolume.source.id',
    message: /cloud profile/,
  },
  {
    name: 'imageId conflicts with another source image',
    patch: { bootVolume: { source: { type: 'image', id: U2 } } },
    path: 'providerSpec.imageId',
    message: /not both/,
  },
  {
    name: 'imageId conflicts with a volume source',
    patch: { bootVolume: { source: { type: 'volume', id: U1 } } },
    path: 'providerSpec.imageId',
    message: /not both/,
  },
  { name: 'volumes bad item', patch: { volumes: ['x'] }, path: 'providerSpec.volumes.0', message: /UUID/ },
  {
    name: 'volumes duplicate (case-insensitive)',
    patch: { volumes: [U2, U2.toUpperCase()] },
    path: 'providerSpec.volumes.1',
    message: /twice/,
  },
  {
    name: 'keypair bad chars',
    patch: { keypairName: 'my key' },
    path: 'providerSpec.keypairName',
    message: /@ \. _ -/,
  },
  {
    name: 'keypair too long',
    patch: { keypairName: 'k'.repeat(128) },
    path: 'providerSpec.keypairName',
    message: /127/,
  },
  {
    name: 'affinity group bad',
    patch: { affinityGroup: 'group' },
    path: 'providerSpec.affinityGroup',
    message: /UUID/,
  },
  {
    name: 'two service accounts',
    patch: { serviceAccountMails: ['a@sa.stackit.cloud', 'b@sa.stackit.cloud'] },
    path: 'providerSpec.serviceAccountMails',
    message: /at most one/,
  },
  {
    name: 'service account not an e-mail',
    patch: { serviceAccountMails: ['nobody'] },
    path: 'providerSpec.serviceAccountMails.0',
    message: /e-mail/,
  },
  {
    name: 'agent provisioned string',
    patch: { agent: { provisioned: 'yes' } },
    path: 'providerSpec.agent.provisioned',
    message: /true or false/,
  },
  {
    name: 'metadata bad key',
    patch: { metadata: { 'a/b': 'x' } },
    path: 'providerSpec.metadata."a/b"',
    message: /metadata keys/,
  },
  {
    name: 'metadata object value',
    patch: { metadata: { a: { b: 1 } } },
    path: 'providerSpec.metadata.a',
    message: /string, number or boolean/,
  },
  {
    name: 'metadata long value',
    patch: { metadata: { a: 'x'.repeat(256) } },
    path: 'providerSpec.metadata.a',
    message: /255/,
  },
  {
    name: 'metadata reserved key',
    patch: { metadata: { 'kubernetes.io-machine': 'x' } },
    path: 'providerSpec.metadata."kubernetes.io-machine"',
    message: /driver/,
  },
  {
    name: 'metadata reserved keys managed-by and machine.sapcloud.io-namespace',
    patch: { metadata: { 'managed-by': 'me', 'machine.sapcloud.io-namespace': 'x' } },
    path: 'providerSpec.metadata."managed-by"',
    message: /set by the driver/,
  },
  {
    name: 'allowedAddresses bad prefix',
    patch: { allowedAddresses: ['10.0.0.0/33'] },
    path: 'providerSpec.allowedAddresses.0',
    message: /CIDR/,
  },
  {
    name: 'allowedAddresses hostname',
    patch: { allowedAddresses: 'example.com' },
    path: 'providerSpec.allowedAddresses.0',
    message: /CIDR/,
  },
  {
    name: 'allowedAddresses number',
    patch: { allowedAddresses: 5 },
    path: 'providerSpec.allowedAddresses',
    message: /list/,
  },
];

function apply(patch: Record<string, unknown>) {
  const spec: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(patch)) {
    if (v === undefined) delete spec[k];
    else spec[k] = v;
  }
  return spec;
}

describe('parseProviderSpec: each field', () => {
  for (const c of good) {
    test(`accepts ${c.name}`, () => {
      const r = expectOk(apply(c.patch));
      assert.deepEqual(r.warnings, []);
    });
  }
  for (const c of bad) {
    test(`rejects ${c.name}`, () => {
      const e = expectError(apply(c.patch), c.path, c.message);
      if (c.value !== undefined) assert.equal(e.value, c.value);
    });
  }
});

describe('parseProviderSpec: results', () => {
  test('defaults deleteOnTermination to true and lowercases UUIDs', () => {
    const r = expectOk({
      machineType: 'c2i.4',
      bootVolume: { source: { type: 'image', id: U1.replaceAll('1', 'A') } },
    });
    assert.equal(r.spec.bootVolume?.deleteOnTermination, true);
    assert.equal(r.spec.bootVolume?.source?.id, U1.replaceAll('1', 'a'));
  });

  test('fills an image source without id from imageId', () => {
    const r = expectOk({ ...base, bootVolume: { size: null, source: { type: 'image', id: null } } });
    assert.deepEqual(r.spec.bootVolume?.source, { type: 'image', id: U1 });
    assert.equal(r.spec.bootVolume?.size, undefined);
  });

  test('stores metadata values as text', () => {
    const r = expectOk({ ...base, metadata: { n: 5, t: true, s: 'x' } });
    assert.deepEqual(r.spec.metadata, { n: '5', t: 'true', s: 'x' });
  });

  test('treats empty userData and keypairName as unset', () => {
    const r = expectOk({ ...base, userData: '', keypairName: '' });
    assert.equal(r.spec.userData, undefined);
    assert.equal(r.spec.keypairName, undefined);
  });

  test('null means unset for every optional field', () => {
    const r = expectOk({
      ...base,
      region: null,
      availabilityZone: null,
      labels: { a: null, b: 'x' },
      networking: null,
      securityGroups: null,
      userData: null,
      bootVolume: { size: null, performanceClass: null, deleteOnTermination: null, source: null },
      volumes: null,
      keypairName: null,
      affinityGroup: null,
      serviceAccountMails: null,
      agent: { provisioned: null },
      metadata: null,
      allowedAddresses: null,
    });
    assert.deepEqual(r.spec, {
      machineType: 'c2i.4',
      imageId: U1,
      labels: { b: 'x' },
      bootVolume: { deleteOnTermination: true },
      agent: {},
    });
  });

  test('rejects a null item inside a list', () => {
    expectError({ ...base, volumes: [null] }, 'providerSpec.volumes.0', /must be a string, not null/);
  });

  test('rejects a providerSpec that is not an object, without throwing', () => {
    for (const raw of [null, undefined, 'c2i.4', 5, [], true]) {
      const r = parseProviderSpec(raw);
      assert.equal(r.ok, false);
      if (!r.ok) assert.equal(r.errors[0]?.path, 'providerSpec');
    }
  });
});

describe('parseProviderSpec: allowedAddresses forms', () => {
  const cases: [string, unknown, string[]][] = [
    ['a list', ['10.96.0.0/11', '100.64.0.0/12'], ['10.96.0.0/11', '100.64.0.0/12']],
    ['Go %v string', '[10.96.0.0/11 100.64.0.0/12]', ['10.96.0.0/11', '100.64.0.0/12']],
    ['space-separated string', '10.96.0.0/11 100.64.0.0/12', ['10.96.0.0/11', '100.64.0.0/12']],
    ['comma-separated string', '10.96.0.0/11, 100.64.0.0/12', ['10.96.0.0/11', '100.64.0.0/12']],
    ['YAML reading of [a b]', ['10.96.0.0/11 100.64.0.0/12'], ['10.96.0.0/11', '100.64.0.0/12']],
    ['one CIDR in %v form', '[10.96.0.0/11]', ['10.96.0.0/11']],
    ['empty %v form', '[]', []],
  ];
  for (const [name, input, want] of cases) {
    test(`accepts ${name}`, () => {
      assert.deepEqual(expectOk({ ...base, allowedAddresses: input }).spec.allowedAddresses, want);
    });
  }
  test('names the bad address inside the string form', () => {
    const e = expectError(
      { ...base, allowedAddresses: '[10.96.0.0/11 300.1.1.1/8]' },
      'providerSpec.allowedAddresses.1',
    );
    assert.equal(e.value, '"300.1.1.1/8"');
  });
});

describe('parseProviderSpec: reporting', () => {
  test('reports every error at once, each with path, allowed values and the value given', () => {
    const r = parseProviderSpec({
      machineType: 'c2i 4 !',
      imageId: 'not-a-uuid',
      region: 'RegionOne',
      availabilityZone: 'zone-a',
      bootVolume: { size: -5, source: { type: 'iso', id: U1 } },
      volumes: ['v1'],
      keypairName: 'bad key',
      serviceAccountMails: ['x', 'y'],
    });
    assert.equal(r.ok, false);
    if (r.ok) return;
    const paths = r.errors.map((e) => e.path);
    for (const p of [
      'providerSpec.machineType',
      'providerSpec.imageId',
      'providerSpec.region',
      'providerSpec.availabilityZone',
      'providerSpec.bootVolume.size',
      'providerSpec.bootVolume.source.type',
      'providerSpec.volumes.0',
      'providerSpec.keypairName',
      'providerSpec.serviceAccountMails',
      'providerSpec.serviceAccountMails.0',
      'providerSpec.serviceAccountMails.1',
    ]) {
      assert.ok(paths.includes(p), `missing ${p} in ${paths.join(', ')}`);
    }
    for (const e of r.errors) assert.ok(e.message.length > 10, `vague message at ${e.path}`);
    const size = r.errors.find((e) => e.path === 'providerSpec.bootVolume.size');
    assert.equal(size?.value, '-5');
  });

  test('formats one line per error with no square brackets', () => {
    const r = parseProviderSpec({ machineType: '[x]', imageId: '[a b]', allowedAddresses: '[1.2.3.4/99]' });
    assert.equal(r.ok, false);
    if (r.ok) return;
    const text = formatFieldErrors(r.errors);
    assert.equal(text.split('\n').length, r.errors.length);
    assert.doesNotMatch(text, /[[\]]/);
    assert.match(text, /^providerSpec\.machineType: .*\(got "\(x\)"\)$/m);
  });

  test('never shows userData, even when it is the wrong type or next to other errors', () => {
    const secretText = 'password=hunter2-very-secret';
    for (const userData of [secretText, [secretText], { a: secretText }, 12345]) {
      const r = parseProviderSpec({ imageId: 'x', userData });
      assert.equal(r.ok, false);
      if (r.ok) continue;
      const text = formatFieldErrors(r.errors) + r.warnings.join('\n');
      assert.doesNotMatch(text, /hunter2|12345/);
    }
  });

  test('shortens long values', () => {
    const e = expectError({ ...base, imageId: 'x'.repeat(500) }, 'providerSpec.imageId');
    assert.ok(e.value !== undefined && e.value.length < 70, e.value);
  });

  test('warns about unknown fields with their paths and suggestions, and still accepts', () => {
    const r = expectOk({
      ...base,
      machinetype: 'c2i.8',
      bootVolume: { size: 20, deleteOnTerminaton: false },
      networking: { networkId: U2, subnetId: U3 },
      somethingElse: 1,
    });
    assert.deepEqual(r.warnings.toSorted(), [
      'providerSpec.bootVolume.deleteOnTerminaton: unknown field, ignored; did you mean deleteOnTermination?',
      'providerSpec.machinetype: unknown field, ignored; did you mean machineType?',
      'providerSpec.networking.subnetId: unknown field, ignored',
      'providerSpec.somethingElse: unknown field, ignored',
    ]);
    assert.equal(r.spec.machineType, 'c2i.4');
    assert.equal(r.spec.bootVolume?.deleteOnTermination, true);
    assert.ok(!('machinetype' in r.spec));
  });

  test('reports unknown fields as warnings also when the spec is invalid', () => {
    const r = parseProviderSpec({ imageId: U1, machinetype: 'c2i.4' });
    assert.equal(r.ok, false);
    assert.match(r.warnings.join('\n'), /machinetype.*did you mean machineType/);
    if (!r.ok) assert.ok(r.errors.some((e) => e.path === 'providerSpec.machineType'));
  });

  test('a JSON key __proto__ stays an unknown field', () => {
    const r = expectOk(JSON.parse(`{"machineType":"c2i.4","imageId":"${U1}","__proto__":{"x":1}}`));
    assert.match(r.warnings.join('\n'), /__proto__/);
  });
});
