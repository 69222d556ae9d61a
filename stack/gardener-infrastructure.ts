// What gardener-extension-provider-stackit's infrastructure step creates for a shoot before any
// Machine exists (an SSH keypair, the shoot's network, the nodes' security group), made through the
// simulator's IaaS API with a token it issued, not seeded: tests and checks then use the IDs.
import type { RunningSimulator } from '../src/simulator/index.ts';

export interface GardenerInfrastructure {
  keypair: string;
  networkId: string;
  securityGroupId: string;
}

export async function createGardenerInfrastructure(
  sim: RunningSimulator,
  kid: string,
  shoot: string,
): Promise<GardenerInfrastructure> {
  const d = sim.defaults;
  const token = await sim.mintAccessToken(kid);
  const post = async (path: string, body: unknown) => {
    const res = await fetch(`${sim.url}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`POST ${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as { id?: string; name: string };
  };
  const scope = `/v2/projects/${d.projectId}/regions/${d.region}`;
  const keypair = await post('/v2/keypairs', {
    name: `${shoot}-ssh-publickey`,
    publicKey:
      'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIDsPd27M449akqCtdFg2+AmRVJz6eWio0oMP9dVg7Xe shoot@gardener',
  });
  const network = await post(`${scope}/networks`, { name: shoot, ipv4: { prefixLength: 24 } });
  const group = await post(`${scope}/security-groups`, { name: `${shoot}-nodes` });
  if (!network.id || !group.id) throw new Error('the simulator answered a create without an id');
  return { keypair: keypair.name, networkId: network.id, securityGroupId: group.id };
}
