/**
 * Checks HTTP responses against plugin/api/openapi.yaml: the operation must exist, the status
 * must be documented for it, and a JSON body must match the documented schema (JSON Schema
 * 2020-12, as OpenAPI 3.1 uses it; checked with ajv's 2020 dialect and ajv-formats).
 *
 *   const res = await api.get('/api/v1/accounts').set(auth).expect(200);
 *   expectValidResponse(res);
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { parse } from 'yaml';

export const OPENAPI_FILE = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'plugin', 'api', 'openapi.yaml');
const DOC_ID = 'https://octet.invalid/openapi.json';

type Json = Record<string, unknown>;

/** What the checker needs of a supertest (or any) response. */
export interface ResponseLike {
  status: number;
  headers: Record<string, unknown>;
  body: unknown;
  req?: { method?: string; path?: string };
}

function pointer(tokens: string[]): string {
  return '#/' + tokens.map((t) => encodeURIComponent(t.replace(/~/g, '~0').replace(/\//g, '~1'))).join('/');
}

export class OpenApiChecker {
  private readonly doc: Json;
  private readonly ajv: Ajv2020;
  private readonly serverPrefix: string;
  private readonly templates: Array<{ template: string; re: RegExp }>;
  private readonly compiled = new Map<string, ValidateFunction>();

  constructor(file = OPENAPI_FILE) {
    this.doc = parse(readFileSync(file, 'utf8')) as Json;
    // The document mixes OpenAPI keywords with schemas; strict mode would reject the former.
    this.ajv = new Ajv2020({ allErrors: true, strict: false });
    const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => void;
    addFormats(this.ajv);
    this.ajv.addSchema(this.doc, DOC_ID);
    const servers = (this.doc.servers as Array<{ url: string }> | undefined) ?? [];
    this.serverPrefix = servers[0]?.url.replace(/\/$/, '') ?? '';
    this.templates = Object.keys(this.doc.paths as Json).map((template) => ({
      template,
      re: new RegExp('^' + template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+') + '$'),
    }));
  }

  /** Throws an Error describing every mismatch; returns quietly when the response conforms. */
  check(res: ResponseLike, request?: { method: string; path: string }): void {
    const method = (request?.method ?? res.req?.method ?? '').toLowerCase();
    const rawPath = (request?.path ?? res.req?.path ?? '').split('?')[0]!;
    if (!method || !rawPath) throw new Error('cannot tell which request this response answers (pass { method, path })');
    if (!rawPath.startsWith(this.serverPrefix)) throw new Error(`${rawPath} is outside the API (${this.serverPrefix})`);
    const path = rawPath.slice(this.serverPrefix.length) || '/';
    // Literal paths win over templated ones, as OpenAPI requires.
    const match = this.templates.find((t) => t.template === path) ?? this.templates.find((t) => t.re.test(path));
    const where = `${method.toUpperCase()} ${rawPath} -> ${res.status}`;
    if (!match) throw new Error(`${where}: no path of the OpenAPI document matches ${path}`);
    const operation = ((this.doc.paths as Json)[match.template] as Json)[method] as Json | undefined;
    if (!operation) throw new Error(`${where}: the document has no ${method.toUpperCase()} operation on ${match.template}`);
    const responses = operation.responses as Json;
    const statusKey = String(res.status) in responses ? String(res.status) : `${String(res.status)[0]}XX` in responses ? `${String(res.status)[0]}XX` : 'default' in responses ? 'default' : null;
    if (!statusKey) throw new Error(`${where}: status ${res.status} is not documented for ${method.toUpperCase()} ${match.template} (documented: ${Object.keys(responses).join(', ')})`);
    let tokens = ['paths', match.template, method, 'responses', statusKey];
    let response = responses[statusKey] as Json;
    if (typeof response.$ref === 'string') {
      tokens = response.$ref.replace(/^#\//, '').split('/').map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
      response = tokens.reduce<Json>((o, t) => o[t] as Json, this.doc);
    }
    const content = response.content as Json | undefined;
    if (!content) {
      if (res.body !== undefined && res.body !== '' && !(typeof res.body === 'object' && res.body !== null && Object.keys(res.body).length === 0)) {
        throw new Error(`${where}: the document describes no body, but one was sent`);
      }
      return;
    }
    const type = String(res.headers['content-type'] ?? '');
    if (!('application/json' in content)) throw new Error(`${where}: only ${Object.keys(content).join(', ')} documented`);
    if (!type.startsWith('application/json')) throw new Error(`${where}: expected application/json, got "${type}"`);
    const ref = DOC_ID + pointer([...tokens, 'content', 'application/json', 'schema']);
    let validate = this.compiled.get(ref);
    if (!validate) {
      validate = this.ajv.compile({ $ref: ref });
      this.compiled.set(ref, validate);
    }
    if (!validate(res.body)) {
      const errors = (validate.errors ?? []).map((e) => `${e.instancePath || '(body)'} ${e.message ?? ''}${e.params ? ` ${JSON.stringify(e.params)}` : ''}`);
      throw new Error(`${where}: body does not match the OpenAPI document:\n  ${errors.join('\n  ')}\nbody: ${JSON.stringify(res.body).slice(0, 2000)}`);
    }
  }

  /** Checks the body of a webhook delivery against the document's `webhooks.<type>` request body. */
  checkWebhook(type: string, body: unknown): void {
    const item = (this.doc.webhooks as Json | undefined)?.[type] as Json | undefined;
    if (!item?.post) throw new Error(`the document describes no webhook ${type}`);
    const ref = DOC_ID + pointer(['webhooks', type, 'post', 'requestBody', 'content', 'application/json', 'schema']);
    let validate = this.compiled.get(ref);
    if (!validate) {
      validate = this.ajv.compile({ $ref: ref });
      this.compiled.set(ref, validate);
    }
    if (!validate(body)) {
      const errors = (validate.errors ?? []).map((e) => `${e.instancePath || '(body)'} ${e.message ?? ''}`);
      throw new Error(`webhook ${type}: body does not match the OpenAPI document:\n  ${errors.join('\n  ')}\nbody: ${JSON.stringify(body).slice(0, 2000)}`);
    }
  }
}

let shared: OpenApiChecker | null = null;

/** Asserts that a response conforms to plugin/api/openapi.yaml; returns it for chaining. */
export function expectValidResponse<R extends ResponseLike>(res: R, request?: { method: string; path: string }): R {
  shared ??= new OpenApiChecker();
  shared.check(res, request);
  return res;
}

/** Asserts that a webhook delivery's body conforms to `webhooks.<type>` of plugin/api/openapi.yaml. */
export function expectValidWebhook(type: string, body: unknown): void {
  shared ??= new OpenApiChecker();
  shared.checkWebhook(type, body);
}
