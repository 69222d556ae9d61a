// The plugin's gRPC server on a Unix socket: the driver service plus what go-plugin's host expects
// of a plugin (health service "plugin", GRPCController.Shutdown, GRPCStdio).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Server, ServerCredentials, type ServerWritableStream } from '@grpc/grpc-js';
import type { Driver } from '../driver/types.ts';
import type { Logger } from '../util/log.ts';
import type { Empty } from './generated/google/protobuf/empty.ts';
import { GRPCControllerService } from './generated/plugin/grpc_controller.ts';
import { GRPCStdioService, type StdioData } from './generated/plugin/grpc_stdio.ts';
import { DriverServiceService } from './generated/stackit/driver/v1/driver.ts';
import { SOCKET_DIR_PREFIX } from './handshake.ts';
import { addHealthService } from './health.ts';
import { pluginProcessMetrics } from './metrics.ts';
import { driverService } from './service.ts';

/** go-plugin's health check service name. */
const HEALTH_SERVICE = 'plugin';
const MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

export interface PluginServerOptions {
  driver: Driver;
  log: Logger;
  /** Parent of the socket's temp dir (go-plugin's PLUGIN_UNIX_SOCKET_DIR, else the OS temp dir). */
  socketBaseDir?: string;
  /** The host asked the plugin to exit (go-plugin calls this from Client.Kill). */
  onShutdownRequest?: () => void;
}

export interface PluginServer {
  socketPath: string;
  /** Stops serving: waits up to graceMs for in-flight calls, then cuts them. Idempotent. */
  close(graceMs?: number): Promise<void>;
}

export async function startPluginServer(opts: PluginServerOptions): Promise<PluginServer> {
  const { log } = opts;
  const dir = mkdtempSync(join(opts.socketBaseDir || tmpdir(), SOCKET_DIR_PREFIX));
  const socketPath = join(dir, 'plugin.sock');
  const server = new Server({
    'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
    'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
  });

  let inFlight = 0;
  let idle: (() => void) | undefined;
  const track = (d: 1 | -1) => {
    inFlight += d;
    if (inFlight === 0) idle?.();
  };
  server.addService(
    DriverServiceService,
    driverService({ driver: opts.driver, log, track, pluginMetrics: pluginProcessMetrics() }),
  );

  const health = addHealthService(server, { '': 'SERVING', [HEALTH_SERVICE]: 'SERVING' });

  server.addService(GRPCControllerService, {
    shutdown: (_call: unknown, callback: (err: null, res: Empty) => void) => {
      callback(null, {});
      setImmediate(() => opts.onShutdownRequest?.());
    },
  });

  // Our logs go to the real stderr, which go-plugin reads itself; the stdio stream stays open and
  // silent so the host does not warn that the service is missing.
  const stdioStreams = new Set<ServerWritableStream<Empty, StdioData>>();
  server.addService(GRPCStdioService, {
    streamStdio: (call: ServerWritableStream<Empty, StdioData>) => {
      stdioStreams.add(call);
      call.on('cancelled', () => stdioStreams.delete(call));
    },
  });

  await new Promise<void>((resolve, reject) =>
    server.bindAsync(`unix:${socketPath}`, ServerCredentials.createInsecure(), (err) =>
      err ? reject(err) : resolve(),
    ),
  );
  log.debug({ socketPath }, 'plugin server listening');

  let closing: Promise<void> | undefined;
  const close = (graceMs = 1500) => {
    closing ??= (async () => {
      health.setStatus(HEALTH_SERVICE, 'NOT_SERVING');
      for (const s of stdioStreams) s.end();
      if (inFlight > 0) {
        log.info({ inFlight, graceMs }, 'waiting for in-flight driver calls');
        await new Promise<void>((resolve) => {
          idle = resolve;
          setTimeout(resolve, graceMs).unref();
        });
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, 200);
        t.unref();
        server.tryShutdown(() => {
          clearTimeout(t);
          resolve();
        });
      });
      rmSync(dir, { recursive: true, force: true });
    })();
    return closing;
  };
  return { socketPath, close };
}
