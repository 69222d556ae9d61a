// The records a request may see: those of its project in its region, whether the project keeps them
// itself (networks, security and affinity groups) or the store keeps them for all projects (servers,
// NICs, volumes). Anything else is a 404, as in the API.
import { notFound } from './api-error.ts';
import type { OpContext } from './context.ts';
import { scope } from './request.ts';
import type { ProjectRecord } from './store.ts';

type Regional = { region: string };
type Owned = Regional & { projectId: string };

/** The records of one kind that the project keeps itself (networks, groups), in the request's region. */
export function regional<T extends Regional>(
  ctx: OpContext,
  kind: (p: ProjectRecord) => Map<string, T>,
): T[] {
  const { project, region } = scope(ctx);
  return [...kind(project).values()].filter((r) => r.region === region);
}

/** One of them by id; a 404 `<what> not found` when it is not there or in another region. */
export function findRegional<T extends Regional>(
  ctx: OpContext,
  kind: (p: ProjectRecord) => Map<string, T>,
  id: string,
  what: string,
): T {
  const { project, region } = scope(ctx);
  const r = kind(project).get(id);
  if (!r || r.region !== region) throw notFound(`${what} not found`);
  return r;
}

/** The records of one kind the store keeps for all projects (servers, NICs, volumes), in the request's project and region. */
export function owned<T extends Owned>(ctx: OpContext, records: Map<string, T>): T[] {
  const { project, region } = scope(ctx);
  return [...records.values()].filter((r) => r.projectId === project.id && r.region === region);
}

/** One of them by id; a 404 `<what> not found` when it is not there or another project's or region's. */
export function findOwned<T extends Owned>(
  ctx: OpContext,
  records: Map<string, T>,
  id: string,
  what: string,
): T {
  const { project, region } = scope(ctx);
  const r = records.get(id);
  if (!r || r.projectId !== project.id || r.region !== region) throw notFound(`${what} not found`);
  return r;
}
