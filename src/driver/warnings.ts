// MachineClass warnings, driver-neutral. Unknown providerSpec fields and ignored values do not fail
// a call, so nothing on the cluster would show them: the plugin runs every driver call inside
// withWarnings and returns what the driver reported, and the bridge posts each warning as a
// ProviderSpecWarning Event on the MachineClass, once per class generation (docs/operations.md).
// Warnings name fields and keys, never Secret values. Outside a call reporting is a no-op.
import { AsyncLocalStorage } from 'node:async_hooks';

const store = new AsyncLocalStorage<Set<string>>();

/** Reports warnings about the request's MachineClass or Secret to the driver call being served. */
export function reportWarnings(warnings: readonly string[]): void {
  const sink = store.getStore();
  if (sink) for (const w of warnings) sink.add(w);
}

/** Runs fn, adding every warning reported on its behalf to `sink` (also when fn throws). */
export function withWarnings<T>(sink: Set<string>, fn: () => Promise<T>): Promise<T> {
  return store.run(sink, fn);
}
