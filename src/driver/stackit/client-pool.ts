// One IaaS client (and one inventory per class) per distinct credential: a rotated Secret gets a new
// client on the next call with no restart, and MachineClasses in different projects work side by
// side. Creating a client that fails is not remembered, so a fixed Secret works on the next call.

import { createIaasClient, type IaasAuth, type IaasClient, type RequestHook } from '../../iaas/index.ts';
import { classSelector } from '../../machine-class/server-identity.ts';
import { ServerInventory } from './inventory.ts';

export interface ClientKey {
  /** Hash of the credential data (never the data itself). */
  fingerprint: string;
  endpoint: string;
  projectId: string;
  region: string;
}

interface Entry {
  client: IaasClient;
  inventories: Map<string, ServerInventory>;
  lastUsed: number;
}

export interface ClientPoolOptions {
  inventoryMaxAgeMs: number;
  onRequest?: RequestHook;
  /** Entries unused for this long are dropped (old credentials after a rotation). */
  idleMs?: number;
}

export class ClientPool {
  readonly #entries = new Map<string, Entry>();
  readonly #opts: ClientPoolOptions;

  constructor(opts: ClientPoolOptions) {
    this.#opts = opts;
  }

  get size(): number {
    return this.#entries.size;
  }

  client(
    key: ClientKey,
    auth: () => IaasAuth,
  ): { client: IaasClient; inventory: (className: string) => ServerInventory } {
    const id = `${key.fingerprint}|${key.endpoint}|${key.projectId.toLowerCase()}|${key.region}`;
    const now = Date.now();
    this.#evictIdle(now);
    let entry = this.#entries.get(id);
    if (!entry) {
      const client = createIaasClient({
        endpoint: key.endpoint,
        projectId: key.projectId.toLowerCase(),
        region: key.region,
        auth: auth(),
        onRequest: this.#opts.onRequest,
      });
      entry = { client, inventories: new Map(), lastUsed: now };
      this.#entries.set(id, entry);
    }
    entry.lastUsed = now;
    const e = entry;
    return {
      client: e.client,
      inventory: (className) => {
        let inv = e.inventories.get(className);
        if (!inv) {
          inv = new ServerInventory(
            (labelSelector, call) => e.client.listServers({ ...call, labelSelector, details: true }),
            classSelector(className),
            { maxAgeMs: this.#opts.inventoryMaxAgeMs },
          );
          e.inventories.set(className, inv);
        }
        return inv;
      },
    };
  }

  #evictIdle(now: number): void {
    const idle = this.#opts.idleMs ?? 60 * 60_000;
    for (const [id, e] of this.#entries) if (now - e.lastUsed > idle) this.#entries.delete(id);
  }
}
