import { Writable } from 'node:stream';
import { credentials, Metadata, type ServiceError } from '@grpc/grpc-js';
import { pino } from 'pino';
import { DriverServiceClient } from '../../src/plugin/generated/stackit/driver/v1/driver.ts';
import type { Logger } from '../../src/util/log.ts';

/** A logger whose output the test can read. */
export function captureLogger(): { log: Logger; text: () => string } {
  const chunks: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      chunks.push(String(chunk));
      cb();
    },
  });
  return { log: pino({ level: 'debug' }, sink), text: () => chunks.join('') };
}

export function driverClient(socketPath: string): DriverServiceClient {
  return new DriverServiceClient(`unix:${socketPath}`, credentials.createInsecure());
}

/** Promisifies one callback-style gRPC call: `invoke((cb) => client.listMachines(req, md(), opts(), cb))`. */
export function invoke<Res>(fn: (cb: (err: ServiceError | null, res: Res) => void) => void): Promise<Res> {
  return new Promise((resolve, reject) => fn((err, res) => (err ? reject(err) : resolve(res))));
}

export const md = () => new Metadata();
export const within = (ms = 10_000) => ({ deadline: Date.now() + ms });

export const json = (v: unknown): Buffer => Buffer.from(JSON.stringify(v));

export const machine = (name: string, providerID?: string) =>
  json({ metadata: { name, namespace: 'default' }, spec: providerID ? { providerID } : {} });
export const machineClass = (name = 'class-a') =>
  json({ metadata: { name, namespace: 'default' }, provider: 'STACKIT' });
export const secret = (data: Record<string, string>) =>
  json({
    data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
  });
