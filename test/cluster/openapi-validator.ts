/**
 * Holds responses of a live REST server to its OpenAPI document: finds the operation a request
 * went to (the path template with the fewest parameters that matches, so /jobs/overview is not
 * taken for /jobs/{jobid}) and validates the body against the response schema of its status.
 */
import { Ajv, type ValidateFunction } from 'ajv';

interface Operation {
  readonly responses: Record<string, { readonly content?: { readonly 'application/json'?: { readonly schema: object } } }>;
}

export interface OpenApiDocument {
  readonly openapi: string;
  readonly paths: Record<string, Record<string, Operation>>;
}

export class OpenApiValidator {
  private readonly ajv = new Ajv({ strict: false, allErrors: true });
  private readonly templates: { readonly template: string; readonly pattern: RegExp; readonly params: number }[];
  private readonly compiled = new Map<string, ValidateFunction>();
  /** `METHOD template` of every operation a validated response went to. */
  readonly covered = new Set<string>();

  constructor(private readonly document: OpenApiDocument) {
    this.ajv.addKeyword('example');
    this.templates = Object.keys(document.paths)
      .map((template) => ({ template, pattern: new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`), params: (template.match(/\{/g) ?? []).length }))
      .sort((a, b) => a.params - b.params);
  }

  /** Every `METHOD template` the document declares. */
  get operations(): string[] {
    return Object.entries(this.document.paths).flatMap(([template, methods]) => Object.keys(methods).map((method) => `${method.toUpperCase()} ${template}`));
  }

  /** Throws, naming the operation and what does not match, unless `body` is what the document promises. */
  validate(method: string, url: string, status: number, body: unknown): void {
    const path = new URL(url, 'http://x').pathname.replace(/\/$/, '');
    const match = this.templates.find(({ pattern }) => pattern.test(path));
    if (match === undefined) {
      if (status === 404) return;
      throw new Error(`${method} ${path}: no operation of the OpenAPI document matches it, yet it answered ${status}`);
    }
    const operation = this.document.paths[match.template]?.[method.toLowerCase()];
    if (operation === undefined) throw new Error(`${method} ${match.template} is not in the OpenAPI document`);
    const response = operation.responses[String(status)];
    if (response === undefined) throw new Error(`${method} ${match.template} answered ${status}, which the OpenAPI document does not declare`);
    const schema = response.content?.['application/json']?.schema;
    const key = `${method} ${match.template} ${status}`;
    this.covered.add(`${method.toUpperCase()} ${match.template}`);
    if (schema === undefined) return;
    const validate = this.compiled.get(key) ?? this.ajv.compile(schema);
    this.compiled.set(key, validate);
    if (!validate(body)) throw new Error(`${key}: the body does not match the OpenAPI document: ${this.ajv.errorsText(validate.errors)}\n${JSON.stringify(body).slice(0, 2000)}`);
  }
}
