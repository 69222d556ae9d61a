// Every call carries the whole MachineClass and Secret, but they change rarely: parse and validate
// each content once, keep the parsed key (a KeyObject), and hand later calls the same result. At
// N = 1000 this is most of the plugin's work per call and most of its garbage.
//
// Keys are SHA-256 digests of the content, never the content: the Secret's userData is left out
// (MCM puts each Machine's own bootstrap token in it) and applied per call by the caller.
import { createHash } from 'node:crypto';
import {
  type ParseProviderSpecResult,
  type ParseSecretResult,
  parseProviderSpec,
  parseSecret,
} from '../../machine-class/index.ts';
import type { MachineClass, SecretData } from '../types.ts';

/** The Secret key MCM fills per Machine; not part of a cache key. */
export const PER_MACHINE_SECRET_KEY = 'userData';

export interface ParseCacheOptions {
  /** Most entries per kind (oldest used go first). */
  maxEntries?: number;
  /** A parsed Secret is checked again after this long (a key's validUntil can pass). */
  secretTtlMs?: number;
  now?: () => number;
}

interface Entry<T> {
  value: T;
  at: number;
}

/** A least-recently-used map of fixed size. */
class Lru<T> {
  readonly #map = new Map<string, Entry<T>>();
  readonly #max: number;

  constructor(max: number) {
    this.#max = max;
  }

  get size(): number {
    return this.#map.size;
  }

  get(key: string): Entry<T> | undefined {
    const e = this.#map.get(key);
    if (e) {
      this.#map.delete(key);
      this.#map.set(key, e);
    }
    return e;
  }

  set(key: string, value: T, at: number): void {
    this.#map.delete(key);
    this.#map.set(key, { value, at });
    if (this.#map.size > this.#max) this.#map.delete(this.#map.keys().next().value!);
  }
}

export interface Parsed<T> {
  result: T;
  /** True the first time this content was parsed: warnings are worth logging then, not on every call. */
  fresh: boolean;
}

export class ParseCache {
  readonly #secrets: Lru<ParseSecretResult>;
  readonly #specs: Lru<ParseProviderSpecResult>;
  readonly #ttl: number;
  readonly #now: () => number;

  constructor(o: ParseCacheOptions = {}) {
    this.#secrets = new Lru(o.maxEntries ?? 256);
    this.#specs = new Lru(o.maxEntries ?? 256);
    this.#ttl = o.secretTtlMs ?? 60_000;
    this.#now = o.now ?? Date.now;
  }

  get sizes(): { secrets: number; specs: number } {
    return { secrets: this.#secrets.size, specs: this.#specs.size };
  }

  /** The Secret without its per-Machine user data, parsed (userData is never in the result). */
  secret(data: SecretData, credentialsRequired: boolean): Parsed<ParseSecretResult> {
    const hash = createHash('sha256').update(credentialsRequired ? 'c' : 'n');
    const shared: SecretData = {};
    for (const k of Object.keys(data ?? {}).sort()) {
      if (k === PER_MACHINE_SECRET_KEY) continue;
      const v = data[k]!;
      shared[k] = v;
      hash.update(`\u0000${k}\u0000${v.length}\u0000`).update(v);
    }
    const key = hash.digest('hex');
    const now = this.#now();
    const hit = this.#secrets.get(key);
    if (hit && now - hit.at < this.#ttl) return { result: hit.value, fresh: false };
    const result = parseSecret(shared, { credentialsRequired, now });
    this.#secrets.set(key, result, now);
    return { result, fresh: hit === undefined };
  }

  /** The class's providerSpec, parsed once per class generation (or per content without metadata). */
  providerSpec(machineClass: MachineClass): Parsed<ParseProviderSpecResult> {
    const m = machineClass.metadata;
    const key =
      m?.uid && m.resourceVersion
        ? `rv\u0000${m.uid}\u0000${m.resourceVersion}`
        : `h\u0000${createHash('sha256')
            .update(JSON.stringify(machineClass.providerSpec ?? null))
            .digest('hex')}`;
    const hit = this.#specs.get(key);
    if (hit) return { result: hit.value, fresh: false };
    const result = parseProviderSpec(machineClass.providerSpec);
    this.#specs.set(key, result, this.#now());
    return { result, fresh: true };
  }
}
