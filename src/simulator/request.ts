// Request plumbing shared by the resource handlers: the project scope, the body check and the
// labels check, with messages that name the field.
import { badRequest } from './api-error.ts';
import type { OpContext } from './context.ts';
import { labelsProblem } from './labels.ts';
import type { ProjectRecord } from './store.ts';
import { validateBody } from './validation.ts';

export const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** A caller-given value for a message, shortened so a huge input cannot flood the answer. */
export const quote = (v: unknown): string => JSON.stringify(String(v).slice(0, 80));

export function scope(ctx: OpContext): { project: ProjectRecord; region: string } {
  if (!ctx.project || !ctx.region) throw new Error(`${ctx.operationId} without project scope`);
  return { project: ctx.project, region: ctx.region };
}

export function requireBody(body: unknown): Record<string, unknown> {
  if (body === undefined) throw badRequest('request body has an error: value is required but missing');
  if (!isObject(body))
    throw badRequest(
      'request body has an error: doesn\'t match schema: Error at "/": value must be an object',
    );
  return body;
}

/** `allowNull` for updates, where a null value removes the key. */
export function checkLabels(body: Record<string, unknown>, allowNull: boolean): void {
  if (body.labels === undefined) return;
  const p = labelsProblem('labels', body.labels, allowNull);
  if (p) throw badRequest(p);
}

/**
 * A create (`update` false) or update body: an object, valid against the spec schema, with valid
 * labels (on update a null value removes a key).
 */
export function labelledBody<T>(
  ctx: OpContext,
  schema: string,
  update: boolean,
): T & Record<string, unknown> {
  const body = requireBody(ctx.body);
  validateBody(schema, body);
  checkLabels(body, update);
  return body as T & Record<string, unknown>;
}

export const nowIso = (ctx: OpContext): string => new Date(ctx.now).toISOString();
