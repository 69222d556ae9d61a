// The demo's Secret and MachineClass, applied by the demo and written as one YAML file the user can
// copy, edit and `kubectl apply`. The file holds the simulator service-account key: mode 0600.
import { chmodSync, writeFileSync } from 'node:fs';
import YAML from 'yaml';
import type { McmObject } from '../../stack/mcm-objects.ts';
import type { Stack } from '../../stack/stack.ts';

export const SECRET_NAME = 'stackit-credentials';

export interface DemoClass {
  secret: McmObject;
  machineClass: McmObject;
}

export function demoClass(stack: Stack, className: string): DemoClass {
  const d = stack.sim.defaults;
  const { namespace } = stack;
  const ref = { name: SECRET_NAME, namespace };
  return {
    secret: {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: SECRET_NAME, namespace },
      type: 'Opaque',
      stringData: {
        projectId: d.projectId,
        // Pretty JSON becomes a readable YAML block in the file; the driver parses either.
        serviceAccountKey: `${JSON.stringify(stack.key, null, 2)}\n`,
        region: d.region,
        userData: '#cloud-config\n# bootstrap <<BOOTSTRAP_TOKEN>> for <<MACHINE_NAME>>\n',
      },
    },
    machineClass: {
      apiVersion: 'machine.sapcloud.io/v1alpha1',
      kind: 'MachineClass',
      metadata: { name: className, namespace },
      provider: 'stackit',
      // The seed's keypair and security group too, so the file shows where each ID goes.
      providerSpec: stack.providerSpec({
        ...(d.keypairName ? { keypairName: d.keypairName } : {}),
        ...(d.securityGroupId ? { securityGroups: [d.securityGroupId] } : {}),
      }),
      secretRef: ref,
      credentialsSecretRef: ref,
    },
  };
}

export function writeDemoClassFile(path: string, objects: DemoClass, kubeconfig: string): void {
  const header = [
    `# The Secret and MachineClass the demo applied in namespace ${objects.secret.metadata.namespace}.`,
    '# Copy it, rename both objects, edit the providerSpec, then:',
    `#   kubectl --kubeconfig ${kubeconfig} apply -f <your copy>`,
    '# It holds the simulator service-account key: keep it private.',
  ].join('\n');
  const docs = [objects.secret, objects.machineClass].map((o) =>
    YAML.stringify(o, { aliasDuplicateObjects: false, lineWidth: 0 }),
  );
  writeFileSync(path, `${header}\n${docs.join('---\n')}`, { mode: 0o600 });
  chmodSync(path, 0o600);
}
