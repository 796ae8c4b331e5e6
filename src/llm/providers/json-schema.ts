/**
 * A zod schema as an OpenAI structured-output format. Strict mode only takes a subset of JSON
 * Schema (object root, no $ref at the root, every property required, additionalProperties
 * false, no records); when a schema cannot fit it is sent with strict: false and the answer is
 * still checked by zod, which stays the judge either way.
 */
import { z } from 'zod';

export interface StructuredOutputSchema {
  schema: Record<string, unknown>;
  strict: boolean;
}

type Node = Record<string, unknown>;

/** Keywords strict mode rejects; dropping them only loosens the sent schema, zod still checks. */
const DROPPED = ['$schema', '$id', 'id', 'minLength', 'maxLength'];
/** Keywords strict mode cannot express at all. */
const NOT_STRICT = ['oneOf', 'allOf', 'not', 'if', 'then', 'else', 'prefixItems', 'patternProperties', 'propertyNames', 'dependentSchemas'];

export function toStructuredOutputSchema(
  schema: z.ZodType,
  opts: { categories?: readonly string[] | undefined } = {},
): StructuredOutputSchema {
  let raw: Node;
  try {
    raw = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Node;
  } catch {
    return { schema: { type: 'object' }, strict: false };
  }
  const defs = { ...(isNode(raw['$defs']) ? raw['$defs'] : {}) } as Record<string, Node>;
  delete raw['$defs'];
  const cycle = { found: false };
  const root = inline(raw, defs, new Set(), cycle);
  let strict = !cycle.found && isObjectSchema(root) && root['anyOf'] === undefined;
  if (!strictify(root)) strict = false;
  if (cycle.found) {
    for (const def of Object.values(defs)) strictify(def);
    root['$defs'] = defs;
  }
  if (opts.categories && opts.categories.length > 0) constrainCategories(root, opts.categories);
  return { schema: root, strict };
}

function inline(node: Node, defs: Record<string, Node>, visiting: Set<string>, cycle: { found: boolean }): Node {
  const ref = node['$ref'];
  if (typeof ref === 'string' && ref.startsWith('#/$defs/')) {
    const name = ref.slice('#/$defs/'.length);
    const def = defs[name];
    if (def === undefined || visiting.has(name)) {
      cycle.found = true;
      return node;
    }
    const { $ref: _ignored, ...rest } = node;
    visiting.add(name);
    const resolved = inline({ ...def, ...rest }, defs, visiting, cycle);
    visiting.delete(name);
    return resolved;
  }
  const out: Node = {};
  for (const [key, value] of Object.entries(node)) out[key] = mapChildren(value, (child) => inline(child, defs, visiting, cycle));
  return out;
}

function mapChildren(value: unknown, fn: (n: Node) => Node): unknown {
  if (Array.isArray(value)) return value.map((v) => (isNode(v) ? fn(v) : v));
  if (isNode(value)) return fn(value);
  return value;
}

/** Edits in place; false when the node cannot be strict. */
function strictify(node: Node): boolean {
  let ok = true;
  for (const key of DROPPED) delete node[key];
  for (const key of NOT_STRICT) if (node[key] !== undefined) ok = false;
  if (isObjectSchema(node)) {
    if (isNode(node['additionalProperties'])) ok = false;
    const props = isNode(node['properties']) ? node['properties'] : {};
    const required = Array.isArray(node['required']) ? (node['required'] as unknown[]) : [];
    // An optional property cannot be strict: forcing it to be required would make the model invent values.
    if (Object.keys(props).some((k) => !required.includes(k))) ok = false;
    if (node['additionalProperties'] === undefined || node['additionalProperties'] === true) node['additionalProperties'] = false;
    for (const child of Object.values(props)) if (isNode(child) && !strictify(child)) ok = false;
  }
  for (const key of ['items', 'anyOf', 'oneOf', 'allOf', 'additionalProperties', 'prefixItems'] as const) {
    const value = node[key];
    const children = Array.isArray(value) ? value : [value];
    for (const child of children) if (isNode(child) && !strictify(child)) ok = false;
  }
  return ok;
}

/** A classify answer whose category is a free string gets the allowed list as an enum. */
function constrainCategories(root: Node, categories: readonly string[]): void {
  const props = isNode(root['properties']) ? root['properties'] : undefined;
  if (!props) return;
  addEnum(props['category'], categories);
  const scores = props['scores'];
  if (isNode(scores) && isNode(scores['items']) && isNode(scores['items']['properties'])) {
    addEnum(scores['items']['properties']['category'], categories);
  }
}

function addEnum(prop: unknown, categories: readonly string[]): void {
  if (isNode(prop) && prop['type'] === 'string' && prop['enum'] === undefined) prop['enum'] = [...categories];
}

function isObjectSchema(node: Node): boolean {
  const t = node['type'];
  return t === 'object' || (Array.isArray(t) && t.includes('object')) || (t === undefined && isNode(node['properties']));
}

function isNode(v: unknown): v is Node {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
