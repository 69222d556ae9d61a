// gRPC's standard health service (grpc.health.v1), which go-plugin's host and the machine-controller's
// probe call for service "plugin". Served from the vendored proto's generated code rather than the
// grpc-health-check package, which parses its .proto with protobufjs at run time: 3 MiB of the
// plugin's memory for three small methods (docs/operations.md "Memory").
import { type Server, type ServerWritableStream, status } from '@grpc/grpc-js';
import {
  type HealthCheckRequest,
  type HealthCheckResponse,
  type HealthServer,
  HealthService,
  HealthCheckResponse_ServingStatus as Serving,
} from './generated/grpc/health/v1/health.ts';

export type ServingStatus = 'SERVING' | 'NOT_SERVING';

export interface Health {
  setStatus(service: string, s: ServingStatus): void;
}

/** Adds the health service to `server`; `initial` maps service names ('' = the whole server) to their status. */
export function addHealthService(server: Server, initial: Record<string, ServingStatus>): Health {
  const statuses = new Map(Object.entries(initial).map(([k, v]) => [k, Serving[v]]));
  const watchers = new Map<string, Set<ServerWritableStream<HealthCheckRequest, HealthCheckResponse>>>();

  const impl: HealthServer = {
    check(call, callback) {
      const s = statuses.get(call.request.service);
      if (s === undefined)
        callback({ code: status.NOT_FOUND, details: `unknown service ${call.request.service}` });
      else callback(null, { status: s });
    },
    watch(call) {
      const service = call.request.service;
      const set = watchers.get(service) ?? new Set();
      watchers.set(service, set);
      set.add(call);
      call.on('cancelled', () => set.delete(call));
      call.write({ status: statuses.get(service) ?? Serving.SERVICE_UNKNOWN });
    },
    list(_call, callback) {
      const all: Record<string, HealthCheckResponse> = {};
      for (const [k, v] of statuses) all[k] = { status: v };
      callback(null, { statuses: all });
    },
  };
  server.addService(HealthService, impl);

  return {
    setStatus(service, s) {
      statuses.set(service, Serving[s]);
      for (const call of watchers.get(service) ?? []) call.write({ status: Serving[s] });
    },
  };
}
