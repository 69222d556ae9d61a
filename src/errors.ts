// The single table that turns a failure into an MCM code. The code decides how MCM retries
// (machinecontroller/machine.go, machine_util.go): choose it for the retry you want.
//
// | failure                                         | code              | MCM retries create / delete in |
// |-------------------------------------------------|-------------------|--------------------------------|
// | providerSpec / Secret invalid, HTTP 400, 422    | InvalidArgument   | 3 min / 10 min (fix the class)  |
// | HTTP 401, token request refused                 | Unauthenticated   | 3 min / 10 min (fix the key)    |
// | HTTP 404 of a resource a create references      | InvalidArgument   | 3 min (fix the class)           |
// | HTTP 403                                        | PermissionDenied  | 3 min / 10 min (fix the roles)  |
// | HTTP 403/400 naming a quota; server ERROR "no   | ResourceExhausted | --resource-exhausted-retry      |
// |   valid host" / capacity                        |                   |   (10 min) / 10 min             |
// | HTTP 404                                        | NotFound          | (create: creates; delete: done) |
// | HTTP 409                                        | Aborted           | 5 s                             |
// | HTTP 429, 5xx, network error, timeout, token    | Unavailable       | 5 s                             |
// |   endpoint down,                                |                   |                                 |
// |   malformed response, server still in progress  |                   |                                 |
// | anything else (a bug, an unexpected state)      | Internal          | 3 min / 10 min                  |
//
// Capacity is recognised by status first (server status ERROR, HTTP 403/400 with a quota body);
// the English text is only the fallback because the API has no dedicated error code for it.
import { IaasApiError, IaasConfigError } from './iaas/errors.ts';
import { Code, type CodeValue } from './mcm/codes.ts';
import { MachineError } from './mcm/errors.ts';

export interface Classified {
  code: CodeValue;
  /** Words for the operator: what happened and what to change. */
  hint: string;
}

const quotaText = /quota|limit exceeded|exceeds? (the )?(allowed|maximum)/i;
const capacityText =
  /no valid host|not enough hosts|insufficient (capacity|resources)|out of capacity|capacity/i;

/** Whether a server's errorMessage says the cloud ran out of capacity (text fallback, see above). */
export function isCapacityMessage(message: string | undefined): boolean {
  return message !== undefined && capacityText.test(message);
}

export function classifyIaasError(e: IaasApiError): Classified {
  switch (e.kind) {
    case 'network':
      return { code: Code.Unavailable, hint: 'the STACKIT API could not be reached; retrying' };
    case 'timeout':
      return { code: Code.Unavailable, hint: 'the STACKIT API did not answer in time; retrying' };
    case 'malformed-response':
      return {
        code: Code.Unavailable,
        hint: 'the STACKIT API sent a response that does not match its spec; retrying',
      };
    case 'auth':
      if (e.retryable) {
        return {
          code: Code.Unavailable,
          hint: 'the STACKIT token endpoint could not be reached or failed; retrying',
        };
      }
      return {
        code: Code.Unauthenticated,
        hint: 'check the service account key in the Secret (serviceAccountKey / serviceaccount.json)',
      };
    case 'http':
      break;
  }
  const status = e.status ?? 0;
  const msg = e.body?.msg ?? '';
  if ((status === 403 || status === 400) && quotaText.test(msg)) {
    return {
      code: Code.ResourceExhausted,
      hint: 'a STACKIT project quota is exhausted; raise the quota or scale down',
    };
  }
  if (status === 400 || status === 422) {
    return {
      code: Code.InvalidArgument,
      hint: 'the STACKIT API rejected the request; check the MachineClass providerSpec',
    };
  }
  if (status === 401) {
    return {
      code: Code.Unauthenticated,
      hint: 'the access token was refused; check the service account key',
    };
  }
  if (status === 403) {
    return {
      code: Code.PermissionDenied,
      hint: 'the service account lacks permission in this project; grant it the IaaS roles',
    };
  }
  if (status === 404) return { code: Code.NotFound, hint: 'not found' };
  if (status === 409)
    return { code: Code.Aborted, hint: 'the resource is busy with another change; retrying soon' };
  if (status === 429)
    return { code: Code.Unavailable, hint: 'the STACKIT API is rate limiting; backing off' };
  if (status >= 500) return { code: Code.Unavailable, hint: 'the STACKIT API failed; retrying' };
  return { code: Code.Internal, hint: 'unexpected answer from the STACKIT API' };
}

/** Any thrown value -> MachineError with the code from the table and a message that says what to do. */
export function toMachineError(e: unknown, context: string): MachineError {
  if (e instanceof MachineError) return e;
  if (e instanceof IaasApiError) {
    const { code, hint } = classifyIaasError(e);
    return new MachineError(code, `${context}: ${e.message} (${hint})`, { cause: e });
  }
  if (e instanceof IaasConfigError) {
    return new MachineError(Code.InvalidArgument, `${context}: ${e.message}`, { cause: e });
  }
  // Never echo arbitrary error text: it could carry request data. Name the type only.
  const kind = e instanceof Error ? e.name : typeof e;
  return new MachineError(
    Code.Internal,
    `${context}: unexpected ${kind} in the driver (see the driver log)`,
    {
      cause: e,
    },
  );
}
