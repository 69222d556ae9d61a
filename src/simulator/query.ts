// Query parameters shared by several operations.
import { badRequest } from './api-error.ts';
import { list, type OpContext, type Reply } from './context.ts';
import { type Labels, matchesSelector, parseLabelSelector, type SelectorTerm } from './labels.ts';

export function boolParam(ctx: OpContext, name: string): boolean {
  const v = ctx.query.get(name);
  if (v === null || v === '') return false;
  if (v === 'true') return true;
  if (v === 'false') return false;
  throw badRequest(
    `parameter "${name}" in query has an error: value ${JSON.stringify(v.slice(0, 40))}: an invalid boolean`,
  );
}

export function selectorParam(ctx: OpContext): SelectorTerm[] | undefined {
  const raw = ctx.query.get('label_selector');
  if (raw === null || raw === '') return undefined;
  const terms = parseLabelSelector(raw);
  if (typeof terms === 'string') throw badRequest(terms);
  return terms;
}

export function bySelector<T>(items: T[], terms: SelectorTerm[] | undefined, labels: (t: T) => unknown): T[] {
  if (!terms) return items;
  return items.filter((i) => matchesSelector(labels(i) as Labels | undefined, terms));
}

/** The list reply: the items the request's label_selector selects, each rendered. */
export function listSelected<T extends { labels?: unknown }>(
  ctx: OpContext,
  items: T[],
  render: (t: T) => unknown = (t) => t,
): Reply {
  return list(bySelector(items, selectorParam(ctx), (t) => t.labels).map(render));
}
