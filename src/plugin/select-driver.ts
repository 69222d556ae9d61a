// Which Driver the plugin serves: MC_DRIVER (or --driver) = stackit (default) | inmemory.
// Each driver module is imported only when selected.
import type { Driver } from '../driver/types.ts';
import type { Logger } from '../util/log.ts';

export const DRIVERS = ['stackit', 'inmemory'] as const;

export async function selectDriver(name: string, env: NodeJS.ProcessEnv, log: Logger): Promise<Driver> {
  switch (name) {
    case 'inmemory': {
      const { createInMemoryDriver, inMemoryOptionsFromEnv } = await import('../driver/inmemory/index.ts');
      return createInMemoryDriver({ ...inMemoryOptionsFromEnv(env), log });
    }
    case 'stackit': {
      let mod: typeof import('../driver/stackit/index.ts');
      try {
        mod = await import('../driver/stackit/index.ts');
      } catch (err) {
        throw new Error(
          `driver "stackit" selected, but the STACKIT driver (src/driver/stackit/index.ts) could not be loaded: ${(err as Error).message}`,
        );
      }
      if (typeof mod.createStackitDriver !== 'function') {
        throw new Error(
          'driver "stackit" selected, but src/driver/stackit/index.ts does not export createStackitDriver',
        );
      }
      return mod.createStackitDriver({ log, env });
    }
    default:
      throw new Error(`unknown driver "${name}": expected one of ${DRIVERS.join(', ')}`);
  }
}
