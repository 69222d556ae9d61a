#!/usr/bin/env node
// The driver plugin process, started by the machine-controller through hashicorp/go-plugin.
// stdout carries exactly one line, the go-plugin handshake; all logs go to stderr.
import { parseArgs } from 'node:util';
import { createLogger } from '../util/log.ts';
import { handshakeLine, handshakeProblem } from './handshake.ts';
import { selectDriver } from './select-driver.ts';
import { startPluginServer } from './server.ts';

// Taken first: if the machine-controller dies without stopping us, we are reparented (see below).
const parent = process.ppid;

const problem = handshakeProblem(process.env);
if (problem) {
  process.stderr.write(`${problem}\n`);
  process.exit(1);
}

const { values } = parseArgs({ options: { driver: { type: 'string' } }, strict: false });
const driverName =
  (typeof values.driver === 'string' ? values.driver : undefined) ?? process.env.MC_DRIVER ?? 'stackit';
const log = createLogger('driver-plugin').child({ driver: driverName });

let stopping = false;
let stopServer: ((graceMs?: number) => Promise<void>) | undefined;
async function stop(reason: string, opts: { graceMs?: number } = {}): Promise<void> {
  if (stopping) return;
  stopping = true;
  log.info({ reason }, 'driver plugin stopping');
  await stopServer?.(opts.graceMs);
  process.exit(0);
}

try {
  const driver = await selectDriver(driverName, process.env, log);
  const server = await startPluginServer({
    driver,
    log,
    socketBaseDir: process.env.PLUGIN_UNIX_SOCKET_DIR,
    onShutdownRequest: () => void stop('the machine-controller asked to shut down'),
  });
  stopServer = server.close;
  process.stdout.write(handshakeLine(server.socketPath));
  // go-plugin discards the plugin's stdout after the handshake: send stray console.log output of
  // driver code to stderr, which the machine-controller forwards to its log.
  process.stdout.write = process.stderr.write.bind(process.stderr) as typeof process.stdout.write;
  log.info({ pid: process.pid }, 'driver plugin serving');
} catch (err) {
  log.fatal({ err }, 'driver plugin failed to start');
  process.exit(1);
}

process.on('SIGTERM', () => void stop('SIGTERM'));
// Ctrl-C in a terminal reaches the whole process group: the machine-controller decides when we stop.
process.on('SIGINT', () => log.debug('SIGINT ignored; waiting for the machine-controller'));
// If the machine-controller dies without stopping us (SIGKILL), we are reparented: exit too, with
// no grace: nobody waits for the answers, and a create finishing now could race the next leader.
setInterval(() => {
  if (process.ppid !== parent) void stop('the machine-controller exited', { graceMs: 0 });
}, 1000).unref();
