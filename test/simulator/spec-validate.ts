// Judges response bodies by the vendored IaaS v2 spec: the operation's documented schema for the
// status (error statuses use the spec's Error schema). `writeOnly` properties in a response are an
// error. Reusable by any test that talks to the simulator or checks IaaS fixtures.
import assert from 'node:assert/strict';
import type { Ajv } from 'ajv';
import { createSpecAjv, operationById, responseSchemaName, schemaRef } from '../../src/simulator/spec.ts';

let ajv: Ajv | undefined;

export interface SpecCheck {
  valid: boolean;
  /** Whether the spec documents this status for the operation. */
  documented: boolean;
  schema: string | undefined;
  errors: string[];
}

export function validateResponse(operationId: string, status: number, body: unknown): SpecCheck {
  const op = operationById(operationId);
  if (!op)
    return {
      valid: false,
      documented: false,
      schema: undefined,
      errors: [`unknown operationId ${operationId}`],
    };
  const documented = op.operation.responses?.[String(status)] !== undefined;
  if (
    status === 204 ||
    (status >= 200 && status < 300 && responseSchemaName(operationId, status) === undefined)
  ) {
    const empty = body === undefined || body === '' || body === null;
    return { valid: empty, documented, schema: undefined, errors: empty ? [] : ['expected no body'] };
  }
  const schema = responseSchemaName(operationId, status) ?? (status >= 400 ? 'Error' : undefined);
  if (!schema)
    return { valid: false, documented, schema, errors: [`no schema for ${operationId} ${status}`] };
  ajv ??= createSpecAjv(true);
  const validate = ajv.getSchema(schemaRef(schema));
  if (!validate) return { valid: false, documented, schema, errors: [`schema ${schema} not found`] };
  const valid = validate(body) as boolean;
  const errors = (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? e.keyword}`);
  return { valid, documented, schema, errors: valid ? [] : errors };
}

/** Fails the test when the body does not match the spec's schema for this operation and status. */
export function assertMatchesSpec(operationId: string, status: number, body: unknown): void {
  const r = validateResponse(operationId, status, body);
  assert.ok(
    r.valid,
    `${operationId} ${status} body does not match ${r.schema ?? 'the spec'}: ${r.errors.join('; ')}\n${JSON.stringify(body)}`,
  );
}
