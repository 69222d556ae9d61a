// The plugin command lines the local stack runs. PLUGIN_NODE_FLAGS are the V8 flags the Go
// machine-controller puts in its default command (cmd/machine-controller/internal/plugin/command.go
// NodeFlags, what the Deployment and the image run); test/bridge/plugin-command.test.ts keeps them equal.
import { join } from 'node:path';
import { repoRoot } from './binaries.ts';

export const PLUGIN_NODE_FLAGS = [
  '--max-semi-space-size=1',
  '--max-old-space-size=128',
  '--no-maglev',
  '--no-turbofan',
] as const;

const node = join(repoRoot, 'node_modules/.bin/node');

/** The plugin from source (type stripping, no build step): what tests, demo and start run. */
export const PLUGIN_COMMAND = [node, ...PLUGIN_NODE_FLAGS, join(repoRoot, 'src/plugin/main.ts')].join(' ');

/** The compiled plugin (`npm run build` first) with the shipped flags: the image's command. */
export const SHIPPED_PLUGIN_COMMAND = [
  node,
  ...PLUGIN_NODE_FLAGS,
  join(repoRoot, 'dist/src/plugin/main.js'),
].join(' ');
