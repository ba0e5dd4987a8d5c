// The API contract, enforced on every exchange the tests have with the storefront API: infra/api/openapi.json read
// once, its schemas compiled with Ajv (JSON Schema 2020-12, the dialect of OpenAPI 3.1), and each request and answer
// checked against its operation. An answer whose status, content type, body or headers the document does not
// describe fails the test; so does a request to a storefront route that the document refuses and the API
// nevertheless accepted (2xx/3xx).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';

export const OPENAPI_PATH = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../infra/api/openapi.json');

type Json = any;

/** One request to the API and its answer, as seen on the wire. */
export interface Exchange {
  method: string;
  /** The request path, without the query string: /payments/T1/refunds. */
  path: string;
  requestHeaders?: Record<string, string>;
  /** The body as sent (undefined: none). */
  requestBody?: Buffer | string;
  status: number;
  /** Lower-cased names. */
  headers: Record<string, string>;
  body: string;
}

export class ContractViolation extends Error {
  override readonly name = 'ContractViolation';
}

/** A copy of a schema of the document whose refs to its schemas point at the one registered as openapi.json. */
const rebase = (schema: Json): Json =>
  JSON.parse(JSON.stringify(schema), (k, value) => (k === '$ref' && typeof value === 'string' && value.startsWith('#/components/schemas/') ? `openapi.json#/$defs/${value.slice('#/components/schemas/'.length)}` : value));

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;

/** A loaded document and its compiled schemas. */
export class ApiContract {
  private readonly ajv: Ajv2020;
  private readonly compiled = new Map<object, ValidateFunction>();
  private readonly templates: { template: string; pattern: RegExp; names: string[] }[];

  constructor(readonly doc: Json) {
    this.ajv = addFormats(new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true, strictRequired: false }));
    // The document's schemas under one id, so "#/components/schemas/…" refs resolve from any schema compiled below.
    this.ajv.addSchema({ $id: 'openapi.json', $defs: rebase(doc.components.schemas) });
    this.templates = Object.keys(doc.paths).map((template) => {
      const names: string[] = [];
      const source = template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{(\w+)\}/g, (_, name: string) => {
        names.push(name);
        return '([^/]+)';
      });
      return { template, pattern: new RegExp(`^${source}$`), names };
    });
  }

  static load(file = OPENAPI_PATH): ApiContract {
    return new ApiContract(JSON.parse(readFileSync(file, 'utf8')));
  }

  /** A schema of the document, compiled once; its "#/components/…" refs point into the document. */
  private validator(schema: Json): ValidateFunction {
    let v = this.compiled.get(schema);
    if (!v) {
      v = this.ajv.compile(rebase(schema));
      this.compiled.set(schema, v);
    }
    return v;
  }

  private deref(node: Json): Json {
    while (node && typeof node.$ref === 'string') {
      node = node.$ref.slice(2).split('/').reduce((n: Json, key: string) => n?.[key.replace(/~1/g, '/').replace(/~0/g, '~')], this.doc);
    }
    return node;
  }

  /** Problems with `value` under `schema`, as readable lines (empty: none). */
  problems(schema: Json, value: unknown): string[] {
    const v = this.validator(schema);
    return v(value) ? [] : (v.errors ?? []).map((e: ErrorObject) => `${e.instancePath || '(root)'} ${e.message}${e.params && Object.keys(e.params).length ? ` ${JSON.stringify(e.params)}` : ''}`);
  }

  /** The operation for a method and a concrete path, with the path parameters. */
  operation(method: string, requestPath: string): { template: string; op: Json; pathParams: Record<string, string> } {
    for (const t of this.templates) {
      const m = t.pattern.exec(requestPath);
      if (!m) continue;
      const op = this.doc.paths[t.template][method.toLowerCase()];
      if (!op) throw new ContractViolation(`${method} ${t.template} is not in the API document (${OPENAPI_PATH})`);
      const pathParams = Object.fromEntries(t.names.map((n, i) => [n, decodeURIComponent(m[i + 1]!)]));
      return { template: t.template, op, pathParams };
    }
    throw new ContractViolation(`no route of the API document matches ${method} ${requestPath}`);
  }

  /** Why the request breaks the document (empty: it conforms). */
  requestProblems(x: Exchange): string[] {
    const { template, op, pathParams } = this.operation(x.method, x.path);
    const found: string[] = [];
    const params = [...(this.doc.paths[template].parameters ?? []), ...(op.parameters ?? [])].map((p: Json) => this.deref(p));
    for (const p of params.filter((p: Json) => p.in === 'path')) {
      found.push(...this.problems(p.schema, pathParams[p.name]).map((e) => `path parameter ${p.name}: ${e}`));
    }
    const bodyBytes = x.requestBody === undefined ? 0 : Buffer.byteLength(x.requestBody);
    const spec = op.requestBody ? this.deref(op.requestBody) : undefined;
    if (bodyBytes === 0) {
      if (spec?.required) found.push('the request has no body; the operation requires one');
      return found;
    }
    if (!spec) return [...found, 'the request has a body; the operation takes none'];
    const type = (x.requestHeaders?.['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    const media = spec.content[type];
    if (!media) return [...found, `request content type "${type}" is not one of ${Object.keys(spec.content).join(', ')}`];
    if (type !== 'application/json') return found;
    let value: unknown;
    try {
      value = JSON.parse(Buffer.isBuffer(x.requestBody) ? new TextDecoder('utf-8', { fatal: true }).decode(x.requestBody) : x.requestBody!);
    } catch {
      return [...found, 'the request body is not JSON in UTF-8'];
    }
    return [...found, ...this.problems(media.schema, value).map((e) => `request body ${e}`)];
  }

  /** Why the answer breaks the document (empty: it conforms). */
  responseProblems(x: Exchange): string[] {
    const { template, op } = this.operation(x.method, x.path);
    const documented = op.responses[String(x.status)];
    if (!documented) return [`status ${x.status} is not documented for ${x.method} ${template} (documented: ${Object.keys(op.responses).join(', ')})`];
    const answer = this.deref(documented);
    const found: string[] = [];
    for (const [name, h] of Object.entries<Json>(answer.headers ?? {})) {
      const value = x.headers[name.toLowerCase()];
      if (value === undefined) {
        if (h.required) found.push(`header ${name} is missing`);
      } else found.push(...this.problems(h.schema, value).map((e) => `header ${name}: ${e}`));
    }
    if (!answer.content) return x.body === '' ? found : [...found, `status ${x.status} has no documented body, yet one came`];
    const type = (x.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    const media = answer.content[type];
    if (!media) return [...found, `content type "${type}" is not documented for ${x.status} (documented: ${Object.keys(answer.content).join(', ')})`];
    let value: unknown = x.body;
    if (type === 'application/json') {
      try {
        value = JSON.parse(x.body);
      } catch {
        return [...found, 'the body is not JSON'];
      }
    }
    return [...found, ...this.problems(media.schema, value).map((e) => `body ${e}`)];
  }

  /** Throws a ContractViolation, saying what and where, when the exchange breaks the document. */
  check(x: Exchange): void {
    const where = `${x.method} ${x.path} → ${x.status}`;
    const answer = this.responseProblems(x);
    if (answer.length > 0) throw new ContractViolation(`${where}: the answer breaks the API document:\n  ${answer.join('\n  ')}\n  body: ${x.body.slice(0, 500)}`);
    // Alipay's and the browser's routes (no storefront token) answer in their own protocol: notify refuses with
    // 200 "fail", return with a page. Their answers are checked above; "accepted" has no meaning for them.
    const { op } = this.operation(x.method, x.path);
    if (Array.isArray(op.security) && op.security.length === 0) return;
    const request = this.requestProblems(x);
    if (request.length > 0 && x.status < 400) {
      throw new ContractViolation(`${where}: the API accepted a request its document refuses:\n  ${request.join('\n  ')}`);
    }
  }
}

let shared: ApiContract | undefined;
/** The document of this checkout, loaded once per process. */
export const apiContract = (): ApiContract => (shared ??= ApiContract.load());

/**
 * fetch for the storefront API: the exchange is checked against the document before the answer is handed back. A
 * violation is thrown, or, with `onViolation`, handed to it and the answer handed back all the same.
 */
export async function contractFetch(url: string, init: RequestInit = {}, onViolation?: (violation: ContractViolation) => void): Promise<Response> {
  const res = await fetch(url, init);
  try {
    await checkFetched(url, init, res);
  } catch (err) {
    if (!onViolation || !(err instanceof ContractViolation)) throw err;
    onViolation(err);
  }
  return res;
}

/** Checks one fetch exchange against the document (throws ContractViolation); the response stays unread. */
async function checkFetched(url: string, init: RequestInit, res: Response): Promise<void> {
  const body = await res.clone().text();
  const headers: Record<string, string> = {};
  res.headers.forEach((v, k) => (headers[k] = v));
  const requestHeaders: Record<string, string> = {};
  new Headers(init.headers).forEach((v, k) => (requestHeaders[k] = v));
  const requestBody = typeof init.body === 'string' ? init.body : init.body === undefined || init.body === null ? undefined : Buffer.from(init.body as ArrayBuffer);
  apiContract().check({ method: init.method ?? 'GET', path: new URL(url).pathname, requestHeaders, ...(requestBody === undefined ? {} : { requestBody }), status: res.status, headers, body });
}
