// The manifests' RBAC is enough, and not more: both containers of kubernetes/control/deployment.yaml
// run with the flags from that file and with tokens of the manifests' ServiceAccounts (control:
// <namespace>/machine-controller-manager, target: kube-system/machine-controller-manager), never as
// cluster-admin, while a MachineDeployment goes 0 -> 1 Running Machine -> 0 on the simulator. Any
// "forbidden" in either log fails the test, and some permissions the controllers must not have are
// checked to be denied.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { pino } from 'pino';
import { type RunningSimulator, startSimulator } from '../../src/simulator/index.ts';
import { repoRoot } from '../../stack/binaries.ts';
import { type ControlPlane, startControlPlane } from '../../stack/control-plane.ts';
import { type MachineControllerManager, startMachineControllerManager } from '../../stack/mcm.ts';
import { createNamespace, type McmObject, mcmClient } from '../../stack/mcm-objects.ts';
import { type NodeSimulator, startNodeSimulator } from '../../stack/node-simulator.ts';
import { freePort, type ManagedProcess, removeOnExit, startProcess, waitFor } from '../../stack/processes.ts';
import { MACHINE_CONTROLLER_BIN, PLUGIN_COMMAND } from '../../stack/stack.ts';
import {
  allowed,
  controlDeployment,
  controlDir,
  kubeRequest,
  loadDocs,
  localArgs,
  manifestDocs,
  serverSideApply,
  serviceAccountToken,
  targetDir,
  writeTokenKubeconfig,
} from './manifests.ts';

const namespace = 'shoot--packaging--rbac';
const controlUser = `system:serviceaccount:${namespace}:machine-controller-manager`;
const targetUser = 'system:serviceaccount:kube-system:machine-controller-manager';
const quiet = pino({ level: 'silent' });
const phaseOf = (m: McmObject): string => m.status?.currentStatus?.phase ?? '';

describe('the manifests RBAC runs a Machine end to end', { timeout: 600_000 }, () => {
  let dir: string;
  let forgetDir: () => void = () => {};
  let sim: RunningSimulator | undefined;
  let cp: ControlPlane | undefined;
  let mcm: MachineControllerManager | undefined;
  let controller: ManagedProcess | undefined;
  let nodes: NodeSimulator | undefined;
  let socketDir: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mcm-stackit-rbac-'));
    forgetDir = removeOnExit(dir);
    sim = await startSimulator({ bootDelayMs: 2_000, deleteDelayMs: 1_000, randomSeed: 11, logger: quiet });
    cp = await startControlPlane({ logDir: dir });
    await createNamespace(cp.kubeConfig, namespace);
    for (const { doc } of [...manifestDocs(controlDir), ...manifestDocs(targetDir)]) {
      await serverSideApply(cp.kubeConfig, doc, namespace);
    }
  });

  after(async () => {
    await nodes?.stop().catch(() => undefined);
    await controller?.stop().catch(() => undefined);
    await mcm?.stop().catch(() => undefined);
    await cp?.stop().catch(() => undefined);
    await sim?.close().catch(() => undefined);
    forgetDir();
  });

  test('MachineDeployment 1 -> Running -> 0 with the ServiceAccounts tokens, no forbidden request', async () => {
    assert.ok(cp && sim);
    const admin = cp.kubeConfig;
    const controlKubeconfig = writeTokenKubeconfig(
      join(dir, 'control-sa.kubeconfig'),
      cp.server,
      cp.caPem,
      await serviceAccountToken(admin, namespace, 'machine-controller-manager'),
    );
    const targetKubeconfig = writeTokenKubeconfig(
      join(dir, 'target-sa.kubeconfig'),
      cp.server,
      cp.caPem,
      await serviceAccountToken(admin, 'kube-system', 'machine-controller-manager'),
    );
    // The tokens authenticate as the ServiceAccounts, and the control one is not an admin.
    const saKc = new KubeConfig();
    saKc.loadFromFile(controlKubeconfig);
    const whoami = await kubeRequest(saKc, 'POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'SelfSubjectReview',
    });
    assert.equal(whoami.json.status?.userInfo?.username, controlUser);
    assert.equal((await kubeRequest(saKc, 'GET', '/api/v1/namespaces/default/secrets')).status, 403);

    const { mcm: mcmContainer, provider } = controlDeployment();
    const env = (c: McmObject) =>
      Object.fromEntries(
        (c.env as McmObject[]).filter((e) => typeof e.value === 'string').map((e) => [e.name, e.value]),
      );
    mcm = await startMachineControllerManager(cp, {
      namespace,
      targetKubeconfig,
      logDir: dir,
      extraArgs: localArgs(mcmContainer.args, { namespace, controlKubeconfig, targetKubeconfig }),
    });

    socketDir = mkdtempSync(join(dir, 'tmp-'));
    const port = await freePort();
    controller = startProcess({
      name: 'machine-controller',
      command: MACHINE_CONTROLLER_BIN,
      args: localArgs(provider.args, { namespace, controlKubeconfig, targetKubeconfig, port }),
      env: {
        ...process.env,
        ...env(provider),
        TMPDIR: socketDir,
        MC_DRIVER_PLUGIN_CMD: PLUGIN_COMMAND,
        STACKIT_IAAS_ENDPOINT: sim.url,
      },
      logDir: dir,
    });
    await waitFor(
      async () => (await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined))?.ok === true,
      {
        timeoutMs: 90_000,
        what: 'machine-controller /healthz',
        process: controller,
      },
    );
    // Leader election with the manifests' lease names (the Role grants only those two).
    await waitFor(
      async () => {
        const res = await kubeRequest(
          admin,
          'GET',
          `/apis/coordination.k8s.io/v1/namespaces/${namespace}/leases`,
        );
        const names = (res.json.items ?? []).map((l: McmObject) => l.metadata.name);
        return names.includes('machine-controller') && names.includes('machine-controller-manager');
      },
      { timeoutMs: 90_000, what: 'both leader-election leases', process: controller },
    );

    nodes = startNodeSimulator({
      simulatorUrl: sim.url,
      targetKubeConfig: admin,
      joinDelayMs: 1_000,
      pollIntervalMs: 500,
    });

    // What the operator (or Gardener) creates: the credentials Secret and the class, with the admin.
    const d = sim.defaults;
    const key = await sim.createServiceAccountKey({ name: 'rbac-test' });
    await admin.makeApiClient(CoreV1Api).createNamespacedSecret({
      namespace,
      body: {
        metadata: { name: 'stackit-credentials', namespace },
        stringData: {
          projectId: d.projectId,
          serviceAccountKey: JSON.stringify(key),
          region: d.region,
          networkId: d.networkId,
          userData: '#cloud-config\n# <<BOOTSTRAP_TOKEN>> <<MACHINE_NAME>>\n',
        },
      },
    });
    const [minimal] = loadDocs(join(repoRoot, 'samples/machine-class-minimal.yaml'));
    const [deployment] = loadDocs(join(repoRoot, 'samples/machine-deployment.yaml'));
    assert.ok(minimal && deployment);
    minimal.metadata.namespace = namespace;
    minimal.secretRef.namespace = namespace;
    minimal.providerSpec = { ...minimal.providerSpec, machineType: d.machineType, imageId: d.imageId };
    deployment.metadata.namespace = namespace;
    deployment.spec.replicas = 1;
    await serverSideApply(admin, minimal);
    await serverSideApply(admin, deployment);

    const objects = mcmClient(admin, namespace);
    let last: McmObject[] = [];
    await waitFor(
      async () => {
        last = await objects.list('machines');
        return last.length === 1 && phaseOf(last[0] as McmObject) === 'Running';
      },
      {
        timeoutMs: 240_000,
        what: `one Running Machine (now: ${last.map((m) => `${m.metadata.name}=${phaseOf(m)}`).join(', ')})`,
        process: controller,
      },
    );
    const machine = last[0] as McmObject;
    const server = sim.servers().find((s) => machine.spec.providerID.endsWith(s.id));
    assert.equal(server?.status, 'ACTIVE');
    const node = await admin.makeApiClient(CoreV1Api).readNode({ name: machine.metadata.labels.node });
    assert.ok(server && node.spec?.providerID?.endsWith(server.id), 'the Node belongs to the server');
    // The bridge's Events, written with the control ServiceAccount's token (docs/operations.md).
    const events = await admin.makeApiClient(CoreV1Api).listNamespacedEvent({
      namespace,
      fieldSelector: `involvedObject.kind=Machine,involvedObject.name=${machine.metadata.name}`,
    });
    assert.ok(
      events.items.some((e) => e.reason === 'ServerCreated' && e.source?.component === 'stackit-driver'),
      'the machine-controller may post Events on Machines',
    );

    // Scale to 0: drain, server deletion, Node deletion, bootstrap token clean-up.
    deployment.spec.replicas = 0;
    await serverSideApply(admin, deployment);
    await waitFor(async () => (await objects.list('machines')).length === 0 && sim?.servers().length === 0, {
      timeoutMs: 240_000,
      what: 'no Machine and no server left',
      process: controller,
    });
    const kubeSystemSecrets = await admin
      .makeApiClient(CoreV1Api)
      .listNamespacedSecret({ namespace: 'kube-system' });
    assert.deepEqual(
      kubeSystemSecrets.items.map((s) => s.metadata?.name).filter((n) => n?.startsWith('bootstrap-token-')),
      [],
      'bootstrap token Secrets are deleted with their Machine',
    );

    // The plugin's socket lives under $TMPDIR (the pod's /tmp emptyDir).
    assert.ok(readdirSync(socketDir).length >= 1, 'the plugin created its socket directory under TMPDIR');

    for (const p of [controller, mcm.process]) {
      const forbidden = p
        .readLog()
        .split('\n')
        .filter((l) => /forbidden/i.test(l));
      assert.deepEqual(forbidden.slice(0, 5), [], `${p.name} was refused requests (log: ${p.logPath})`);
    }
  });

  test('permissions the controllers must not have are denied', async () => {
    assert.ok(cp);
    const admin = cp.kubeConfig;
    const denied: [string, Parameters<typeof allowed>[2]][] = [
      [controlUser, { verb: 'delete', resource: 'secrets', namespace }],
      [controlUser, { verb: 'create', resource: 'secrets', namespace }],
      [controlUser, { verb: 'get', resource: 'secrets', namespace: 'default' }],
      [controlUser, { verb: 'list', resource: 'secrets' }],
      [controlUser, { verb: 'create', resource: 'machineclasses', group: 'machine.sapcloud.io', namespace }],
      [controlUser, { verb: 'delete', resource: 'machineclasses', group: 'machine.sapcloud.io', namespace }],
      [
        controlUser,
        { verb: 'list', resource: 'machines', group: 'machine.sapcloud.io', namespace: 'default' },
      ],
      [controlUser, { verb: 'update', resource: 'leases', group: 'coordination.k8s.io', namespace }],
      [controlUser, { verb: 'create', resource: 'pods', namespace }],
      [targetUser, { verb: 'list', resource: 'secrets', namespace: 'kube-system' }],
      [targetUser, { verb: 'update', resource: 'secrets', namespace: 'kube-system' }],
      [targetUser, { verb: 'get', resource: 'secrets', namespace: 'default' }],
      [targetUser, { verb: 'create', resource: 'nodes' }],
      [targetUser, { verb: 'update', resource: 'deployments', group: 'apps', namespace: 'default' }],
      [targetUser, { verb: 'create', resource: 'pods', namespace: 'default' }],
      [targetUser, { verb: 'delete', resource: 'persistentvolumes' }],
    ];
    const granted = [];
    for (const [user, attrs] of denied)
      if (await allowed(admin, user, attrs)) granted.push({ user, ...attrs });
    assert.deepEqual(granted, []);
    // And the reviews do say yes where the manifests grant something.
    assert.equal(await allowed(admin, controlUser, { verb: 'update', resource: 'secrets', namespace }), true);
    assert.equal(
      await allowed(admin, targetUser, { verb: 'create', resource: 'secrets', namespace: 'kube-system' }),
      true,
    );
  });
});
