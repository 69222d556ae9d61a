// The local stack runs the plugin with the same V8 flags as the machine-controller's default command
// (what the Deployment and the image run), so tests, demo and benchmark see the shipped memory limits.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { repoRoot } from '../../stack/binaries.ts';
import { PLUGIN_COMMAND, PLUGIN_NODE_FLAGS, SHIPPED_PLUGIN_COMMAND } from '../../stack/plugin-command.ts';

test("the stack's plugin flags are the Go default command's NodeFlags", () => {
  const go = readFileSync(join(repoRoot, 'cmd/machine-controller/internal/plugin/command.go'), 'utf8');
  const m = /var NodeFlags = \[\]string\{([^}]*)\}/.exec(go);
  assert.ok(m, 'NodeFlags in command.go');
  const goFlags = [...(m[1] as string).matchAll(/"([^"]*)"/g)].map((x) => x[1]);
  assert.deepEqual(goFlags, [...PLUGIN_NODE_FLAGS]);
  for (const command of [PLUGIN_COMMAND, SHIPPED_PLUGIN_COMMAND]) {
    const words = command.split(' ');
    assert.deepEqual(words.slice(1, -1), [...PLUGIN_NODE_FLAGS], command);
    assert.match(words.at(-1) ?? '', /plugin\/main\.(ts|js)$/);
  }
});
