// The in-memory reference driver: MCM contract behaviour, persistence across restarts, faults.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { createInMemoryDriver, inMemoryOptionsFromEnv } from '../../src/driver/inmemory/index.ts';
import type { CallContext, MachineRequest } from '../../src/driver/types.ts';
import { Code, MachineError } from '../../src/mcm/errors.ts';
import { captureLogger } from './helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'inmemory-driver-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const ctx = (): CallContext => ({
  signal: new AbortController().signal,
  deadline: Date.now() + 5000,
  log: captureLogger().log,
});
const req = (name: string, providerID?: string, cls = 'class-a'): MachineRequest => ({
  machine: { metadata: { name }, spec: providerID ? { providerID } : {} } as MachineRequest['machine'],
  machineClass: { metadata: { name: cls } } as MachineRequest['machineClass'],
  secret: {},
});

const code = (c: number) => (e: unknown) => e instanceof MachineError && e.code === c;

test('create is idempotent by machine name; status, list, delete follow the MCM contract', async () => {
  const d = createInMemoryDriver();
  const a = await d.createMachine(req('m-a'), ctx());
  assert.match(a.providerId, /^inmemory:\/\/[0-9a-f-]{36}$/);
  assert.equal(a.nodeName, 'm-a');
  assert.equal((await d.createMachine(req('m-a'), ctx())).providerId, a.providerId);
  await d.createMachine(req('m-b', undefined, 'class-b'), ctx());

  assert.equal((await d.getMachineStatus(req('m-a', a.providerId), ctx())).providerId, a.providerId);
  assert.equal((await d.getMachineStatus(req('m-a'), ctx())).providerId, a.providerId, 'found by name');
  await assert.rejects(d.getMachineStatus(req('m-x'), ctx()), code(Code.NotFound));
  await assert.rejects(d.initializeMachine(req('m-x'), ctx()), code(Code.NotFound));

  const list = await d.listMachines({ machineClass: req('x').machineClass, secret: {} }, ctx());
  assert.deepEqual(list.machineList, { [a.providerId]: 'm-a' });

  await d.deleteMachine(req('m-a', a.providerId), ctx());
  await d.deleteMachine(req('m-a', a.providerId), ctx()); // absent: OK
  await assert.rejects(d.getMachineStatus(req('m-a', a.providerId), ctx()), code(Code.NotFound));
});

test('GetVolumeIDs reports only its own CSI volumes', async () => {
  const d = createInMemoryDriver();
  const res = await d.getVolumeIds(
    {
      pvSpecs: [
        { csi: { driver: 'inmemory.csi.local', volumeHandle: 'v1' } },
        { csi: { driver: 'other', volumeHandle: 'v2' } },
        {},
      ],
    },
    ctx(),
  );
  assert.deepEqual(res.volumeIds, ['v1']);
});

test('a state file keeps VMs across driver restarts', async () => {
  const stateFile = join(dir, 'state.json');
  const first = createInMemoryDriver({ stateFile });
  const created = await first.createMachine(req('persisted'), ctx());
  const second = createInMemoryDriver({ stateFile });
  assert.equal((await second.getMachineStatus(req('persisted'), ctx())).providerId, created.providerId);
});

test('faults: per-method code with partial identity, "*" default, times, delay honouring the deadline', async () => {
  const faultsFile = join(dir, 'faults.json');
  const d = createInMemoryDriver(inMemoryOptionsFromEnv({ MC_INMEMORY_FAULTS_FILE: faultsFile }));
  const vm = await d.createMachine(req('f-1'), ctx());

  writeFileSync(
    faultsFile,
    JSON.stringify({ getMachineStatus: { code: 17, message: 'not yet', partial: true } }),
  );
  await assert.rejects(d.getMachineStatus(req('f-1'), ctx()), (e: unknown) => {
    assert.ok(e instanceof MachineError);
    assert.equal(e.code, Code.Uninitialized);
    assert.equal(e.partial?.providerId, vm.providerId);
    return true;
  });

  writeFileSync(faultsFile, JSON.stringify({ '*': { code: 14 }, listMachines: { code: 0 } }));
  await assert.rejects(d.deleteMachine(req('f-1'), ctx()), code(Code.Unavailable));
  await d.listMachines({ machineClass: req('x').machineClass, secret: {} }, ctx());

  writeFileSync(faultsFile, JSON.stringify({ initializeMachine: { code: 8, times: 1 } }));
  // Counters are per driver instance: initializeMachine has not been called yet.
  await assert.rejects(d.initializeMachine(req('f-1'), ctx()), code(Code.ResourceExhausted));
  await d.initializeMachine(req('f-1'), ctx());

  writeFileSync(faultsFile, JSON.stringify({ getMachineStatus: { delayMs: 60_000 } }));
  const ac = new AbortController();
  const pending = d.getMachineStatus(req('f-1'), { ...ctx(), signal: ac.signal });
  ac.abort(new Error('deadline'));
  await assert.rejects(pending, /deadline/);

  writeFileSync(faultsFile, '');
  assert.equal((await d.getMachineStatus(req('f-1'), ctx())).providerId, vm.providerId);
});
