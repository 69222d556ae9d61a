// The vendored IaaS v2 OpenAPI document, turned into what the simulator needs: an operation table
// (method + path template -> operationId, path parameters) and AJV validators for the spec's
// component schemas. Request and response validation both come from here, so the simulator and
// its tests judge bodies by the same document.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';

const addFormats = addFormatsModule.default;

interface SpecParameter {
  $ref?: string;
  name?: string;
  in?: string;
  schema?: { $ref?: string; type?: string };
}
interface SpecResponse {
  $ref?: string;
  content?: Record<string, { schema?: { $ref?: string } }>;
}
interface SpecOperationObject {
  operationId?: string;
  parameters?: SpecParameter[];
  requestBody?: { content?: Record<string, { schema?: { $ref?: string } }> };
  responses?: Record<string, SpecResponse>;
}
type SpecPathItem = Record<string, SpecOperationObject | SpecParameter[] | undefined> & {
  parameters?: SpecParameter[];
};
export interface SpecDocument {
  paths: Record<string, SpecPathItem>;
  components: {
    parameters: Record<string, SpecParameter>;
    responses: Record<string, SpecResponse>;
    schemas: Record<string, Record<string, unknown>>;
  };
}

const SPEC_CANDIDATES = [
  '../../api/stackit-iaas/iaas-v2.json', // src/simulator -> repo root
  '../../../api/stackit-iaas/iaas-v2.json', // dist/src/simulator -> repo root
];

let cachedSpec: SpecDocument | undefined;

export function loadSpec(): SpecDocument {
  if (cachedSpec) return cachedSpec;
  for (const rel of SPEC_CANDIDATES) {
    const p = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(p)) {
      cachedSpec = JSON.parse(readFileSync(p, 'utf8')) as SpecDocument;
      return cachedSpec;
    }
  }
  throw new Error('IaaS v2 spec api/stackit-iaas/iaas-v2.json not found next to the simulator sources');
}

/** Reference to a component schema, e.g. schemaRef('Server'). */
export const schemaRef = (name: string): string => `iaas#/components/schemas/${name}`;

/**
 * An AJV instance holding the spec's components. `forResponses` makes `writeOnly` properties an
 * error (a server must never send them back); requests ignore `readOnly` ones, as STACKIT does for
 * the fields the SDK echoes.
 */
export function createSpecAjv(forResponses: boolean): Ajv {
  const ajv = new Ajv({ strict: false, allErrors: false, validateFormats: true });
  addFormats(ajv);
  ajv.addFormat('json', true);
  if (forResponses) {
    ajv.removeKeyword('writeOnly');
    ajv.addKeyword({
      keyword: 'writeOnly',
      schemaType: 'boolean',
      validate: function writeOnly(schema: boolean) {
        // Evaluated only for properties present in the data, so presence alone is the violation.
        return !schema;
      },
      errors: false,
    });
  }
  const spec = loadSpec();
  ajv.addSchema({ $id: 'iaas', components: spec.components }, 'iaas');
  return ajv;
}

export interface SpecOperation {
  operationId: string;
  method: string;
  template: string;
  pathParams: string[];
  /** Path parameters whose schema is the spec's UUID. */
  uuidParams: Set<string>;
  /** Path parameters with their own pattern (keypair names, machine types). */
  patternParams: Map<string, RegExp>;
  regex: RegExp;
  literalSegments: number;
  operation: SpecOperationObject;
}

let cachedOps: SpecOperation[] | undefined;

function resolveParameter(spec: SpecDocument, p: SpecParameter): SpecParameter {
  if (p.$ref) {
    const name = p.$ref.replace('#/components/parameters/', '');
    return spec.components.parameters[name] ?? p;
  }
  return p;
}

export function specOperations(): SpecOperation[] {
  if (cachedOps) return cachedOps;
  const spec = loadSpec();
  const ops: SpecOperation[] = [];
  for (const [template, item] of Object.entries(spec.paths)) {
    const shared = (item.parameters ?? []).map((p) => resolveParameter(spec, p));
    for (const [method, value] of Object.entries(item)) {
      if (method === 'parameters' || typeof value !== 'object' || Array.isArray(value)) continue;
      const op = value as SpecOperationObject;
      if (!op.operationId) continue;
      const params = [...shared, ...(op.parameters ?? []).map((p) => resolveParameter(spec, p))];
      const uuidParams = new Set<string>();
      const patternParams = new Map<string, RegExp>();
      for (const p of params) {
        if (p.in !== 'path' || !p.name) continue;
        const ref = p.schema?.$ref?.replace('#/components/schemas/', '');
        if (ref === 'UUID') uuidParams.add(p.name);
        else if (ref) {
          const pattern = spec.components.schemas[ref]?.pattern;
          if (typeof pattern === 'string') patternParams.set(p.name, new RegExp(pattern));
        }
      }
      const segments = template.split('/').filter(Boolean);
      const pathParams = segments.filter((s) => s.startsWith('{')).map((s) => s.slice(1, -1));
      const regex = new RegExp(
        `^/${segments.map((s) => (s.startsWith('{') ? '([^/]+)' : s.replace(/[.*+?^$()|[\]\\]/g, '\\$&'))).join('/')}$`,
      );
      ops.push({
        operationId: op.operationId,
        method: method.toUpperCase(),
        template,
        pathParams,
        uuidParams,
        patternParams,
        regex,
        literalSegments: segments.length - pathParams.length,
        operation: op,
      });
    }
  }
  // Literal segments win over parameters when two templates match the same path.
  ops.sort((a, b) => b.literalSegments - a.literalSegments);
  cachedOps = ops;
  return ops;
}

export type RouteMatch =
  | { kind: 'operation'; op: SpecOperation; params: Record<string, string> }
  | { kind: 'method-not-allowed'; allowed: string[] }
  | { kind: 'none' };

export function matchRoute(method: string, path: string): RouteMatch {
  const allowed: string[] = [];
  for (const op of specOperations()) {
    const m = op.regex.exec(path);
    if (!m) continue;
    if (op.method !== method) {
      allowed.push(op.method);
      continue;
    }
    const params: Record<string, string> = {};
    op.pathParams.forEach((name, i) => {
      let v = m[i + 1] ?? '';
      try {
        v = decodeURIComponent(v);
      } catch {
        // keep the raw segment; validation reports it
      }
      params[name] = v;
    });
    return { kind: 'operation', op, params };
  }
  return allowed.length > 0 ? { kind: 'method-not-allowed', allowed } : { kind: 'none' };
}

export function operationById(operationId: string): SpecOperation | undefined {
  return specOperations().find((o) => o.operationId === operationId);
}

/** The component schema name of an operation's response body for a status, if it has one. */
export function responseSchemaName(operationId: string, status: number): string | undefined {
  const op = operationById(operationId);
  if (!op) return undefined;
  const spec = loadSpec();
  let r = op.operation.responses?.[String(status)];
  if (r?.$ref) r = spec.components.responses[r.$ref.replace('#/components/responses/', '')];
  const ref = r?.content?.['application/json']?.schema?.$ref;
  return ref?.replace('#/components/schemas/', '');
}

/** Properties a component schema requires, following allOf. */
export function requiredProperties(schemaName: string): string[] {
  const spec = loadSpec();
  const out = new Set<string>();
  const visit = (s: Record<string, unknown> | undefined) => {
    if (!s) return;
    if (typeof s.$ref === 'string')
      visit(spec.components.schemas[s.$ref.replace('#/components/schemas/', '')]);
    if (Array.isArray(s.required)) for (const r of s.required) out.add(String(r));
    if (Array.isArray(s.allOf)) for (const sub of s.allOf) visit(sub as Record<string, unknown>);
  };
  visit(spec.components.schemas[schemaName]);
  return [...out];
}

export type { ValidateFunction };
