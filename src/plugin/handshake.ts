// go-plugin's handshake, the twin of cmd/machine-controller/internal/protocol/handshake.go: both
// sides must agree on every value here.

/** go-plugin's own protocol version (first field of the handshake line). */
export const CORE_PROTOCOL_VERSION = 1;
/** Version of proto/stackit/driver/v1; bump on both sides on incompatible changes. */
export const APP_PROTOCOL_VERSION = 1;
export const MAGIC_COOKIE_KEY = 'MCM_STACKIT_DRIVER_PLUGIN';
export const MAGIC_COOKIE_VALUE = '6f1c2a57-2d0e-4c51-9a59-0b7c3f2f5e8d';
/** Prefix of the temp dir holding the socket; the Go side removes such dirs left by a dead plugin. */
export const SOCKET_DIR_PREFIX = 'mcm-stackit-plugin-';

/** The line go-plugin reads from the plugin's stdout to find the server. */
export const handshakeLine = (socketPath: string): string =>
  `${CORE_PROTOCOL_VERSION}|${APP_PROTOCOL_VERSION}|unix|${socketPath}|grpc\n`;

/**
 * Why this process must not serve, or undefined if go-plugin started it correctly: the magic cookie
 * is set and the host offers our protocol version.
 */
export function handshakeProblem(env: NodeJS.ProcessEnv): string | undefined {
  if (env[MAGIC_COOKIE_KEY] !== MAGIC_COOKIE_VALUE) {
    return 'This binary is the driver plugin of the machine-controller and is started by it; it is not meant to be run directly.';
  }
  const offered = (env.PLUGIN_PROTOCOL_VERSIONS ?? String(APP_PROTOCOL_VERSION))
    .split(',')
    .map((v) => v.trim());
  if (!offered.includes(String(APP_PROTOCOL_VERSION))) {
    return `The machine-controller speaks driver protocol version(s) ${offered.join(',')}, this plugin speaks ${APP_PROTOCOL_VERSION}.`;
  }
  return undefined;
}
