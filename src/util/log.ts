// One logger for every process. Redaction is a second line of defence: code must not pass
// secret material to the logger in the first place.
import { type Logger, type LoggerOptions, pino } from 'pino';

export type { Logger };

export const redactPaths = [
  'secret',
  'secretData',
  '*.secret',
  '*.secretData',
  'serviceAccountKey',
  '*.serviceAccountKey',
  'privateKey',
  '*.privateKey',
  'token',
  '*.token',
  'accessToken',
  '*.accessToken',
  'authorization',
  '*.authorization',
  'headers.authorization',
  'userData',
  '*.userData',
];

export function createLogger(name: string, opts: LoggerOptions = {}): Logger {
  return pino(
    {
      name,
      level: process.env.LOG_LEVEL ?? 'info',
      redact: { paths: redactPaths, censor: '[redacted]' },
      ...opts,
    },
    // stderr: stdout of the plugin process belongs to the go-plugin handshake.
    pino.destination(2),
  );
}
