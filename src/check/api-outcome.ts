// One API call's outcome as the check sees it: found, missing, forbidden or failed; failures that
// doom every later call (authentication, network, timeout) end the class's online part instead.
import { IaasApiError, IaasConfigError } from '../iaas/index.ts';

/** Ends a class's online checks: authentication, network, timeouts. */
export class Unverifiable extends Error {}

export type Outcome<T> =
  | { ok: true; value: T }
  | { ok: false; status: 'missing' | 'forbidden' | 'failed'; reason: string };

/** One API call, its failure classified; throws Unverifiable for failures that doom every later call. */
export async function attempt<T>(call: () => Promise<T>): Promise<Outcome<T>> {
  try {
    return { ok: true, value: await call() };
  } catch (e) {
    if (e instanceof IaasApiError) {
      if (e.notFound) return { ok: false, status: 'missing', reason: e.message };
      if (e.kind === 'auth' || e.status === 401)
        throw new Unverifiable(`authentication failed: ${e.message}`);
      if (e.kind === 'network' || e.kind === 'timeout')
        throw new Unverifiable(`cannot reach the API: ${e.message}`);
      if (e.status === 403) return { ok: false, status: 'forbidden', reason: e.message };
      return { ok: false, status: 'failed', reason: e.message };
    }
    if (e instanceof IaasConfigError) return { ok: false, status: 'failed', reason: e.message };
    throw e;
  }
}
