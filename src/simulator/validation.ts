// Request-body validation against the spec's component schemas. Messages follow the shape STACKIT
// documents (it validates with kin-openapi): `request body has an error: doesn't match schema:
// Error at "/name": ...`, so the failing field is always named.
import type { Ajv, ErrorObject } from 'ajv';
import { badRequest } from './api-error.ts';
import { createSpecAjv, schemaRef } from './spec.ts';

let requestAjv: Ajv | undefined;

function ajv(): Ajv {
  requestAjv ??= createSpecAjv(false);
  return requestAjv;
}

/** Compiles the validators up front so the first request is not slow. */
export function warmUpValidators(names: string[]): void {
  for (const n of names) ajv().getSchema(schemaRef(n));
}

function reason(e: ErrorObject): { path: string; text: string } {
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'required':
      return {
        path: `${e.instancePath}/${String(p.missingProperty)}`,
        text: `property "${String(p.missingProperty)}" is missing`,
      };
    case 'additionalProperties':
      return { path: e.instancePath, text: `property "${String(p.additionalProperty)}" is unsupported` };
    case 'type': {
      const t = String(p.type);
      return { path: e.instancePath, text: `value must be ${/^[aeiou]/.test(t) ? 'an' : 'a'} ${t}` };
    }
    case 'pattern':
      return {
        path: e.instancePath,
        text: `string doesn't match the regular expression "${String(p.pattern)}"`,
      };
    case 'maxLength':
      return { path: e.instancePath, text: `maximum string length is ${String(p.limit)}` };
    case 'minLength':
      return { path: e.instancePath, text: `minimum string length is ${String(p.limit)}` };
    case 'maxItems':
      return { path: e.instancePath, text: `maximum number of items is ${String(p.limit)}` };
    case 'minItems':
      return { path: e.instancePath, text: `minimum number of items is ${String(p.limit)}` };
    case 'minimum':
    case 'maximum':
      return {
        path: e.instancePath,
        text: `number must be ${e.keyword === 'minimum' ? 'at least' : 'at most'} ${String(p.limit)}`,
      };
    case 'format':
      return { path: e.instancePath, text: `string doesn't match the format "${String(p.format)}"` };
    case 'oneOf':
      return { path: e.instancePath, text: "doesn't match exactly one schema in oneOf" };
    case 'enum':
      return { path: e.instancePath, text: 'value is not one of the allowed values' };
    default:
      return { path: e.instancePath, text: e.message ?? 'is invalid' };
  }
}

/** The message for the most telling error: a failed oneOf says more than its branches' errors. */
export function describeErrors(errors: ErrorObject[]): string {
  const chosen = errors.find((e) => e.keyword === 'oneOf') ?? errors[0];
  if (!chosen) return "request body has an error: doesn't match schema";
  const { path, text } = reason(chosen);
  return `request body has an error: doesn't match schema: Error at "${path || '/'}": ${text}`;
}

/** Throws a 400 IaasError when `body` does not match the named component schema. */
export function validateBody(schemaName: string, body: unknown): void {
  const validate = ajv().getSchema(schemaRef(schemaName));
  if (!validate) throw new Error(`schema ${schemaName} not found in the spec`);
  if (!validate(body)) throw badRequest(describeErrors(validate.errors ?? []));
}
