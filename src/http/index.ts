/**
 * An OpenAI-compatible HTTP surface for a router: `createHandler()` returns a WHATWG fetch
 * handler (`(Request) => Promise<Response>`) serving `POST /v1/chat/completions` (JSON and
 * SSE), `POST /v1/embeddings` and `GET /v1/models` in OpenAI's wire format, so any OpenAI
 * client, in any language, gets routeplane's policies. Mount it in Hono, Bun, Deno, or Node's
 * `http` and Express with `toNodeListener()`.
 *
 * @module routeplane/http
 */
import type { Router } from '../router.js';
import { readJsonBody } from './body.js';
import { type CallerFields, chatRequestOf, completeJson, completeStream } from './chat.js';
import { canEmbed, embed } from './embeddings.js';
import { errorResponse, HttpError, httpErrorOf } from './errors.js';
import { modelsOf } from './models.js';
import { ChatBodySchema, EmbeddingsBodySchema, parseBody } from './wire.js';

export type { EmbedRequest, EmbedResult } from '../types.js';
export type { EmbeddingRouter } from './embeddings.js';
export type { ModelEntry } from './models.js';
export { type FetchHandler, toNodeListener } from './node.js';

/**
 * Who a request is for, as the host decides it: the tenant, and optionally the caller's
 * role within it, the end user and tags. A `user` here wins over the body's `user` field,
 * which any client can set.
 */
export interface HttpCaller {
  tenant: string;
  role?: string;
  user?: string;
  tags?: Record<string, string>;
}

/** Options of `createHandler()`. */
export interface HandlerOptions {
  /**
   * Resolves the tenant of a request, from a header or an API key: a tenant id, an
   * `HttpCaller`, or undefined (401). A tenant the router does not know is also a 401. The
   * handler never trusts a tenant named by the body.
   *
   * @example
   * ```ts
   * tenantOf: (req) => keys.get(req.headers.get('authorization')?.replace(/^Bearer /, '') ?? '')
   * ```
   */
  tenantOf(request: Request): string | HttpCaller | undefined | Promise<string | HttpCaller | undefined>;
  /** The largest request body accepted, in bytes; a larger one is a 413 and is not read further. Default 1 MiB. */
  maxBodyBytes?: number;
  /** The path prefix the routes live under. Default `/v1`. */
  basePath?: string;
}

const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

type Route = 'chat' | 'embeddings' | 'models' | 'model';
const METHODS: Record<Route, string> = { chat: 'POST', embeddings: 'POST', models: 'GET', model: 'GET' };

/**
 * Creates an OpenAI-compatible fetch handler for `router`.
 *
 * - `POST /v1/chat/completions`: messages (text and `image_url` parts), tools, `tool_choice`,
 *   `response_format` (`json_object`, `json_schema`), `max_tokens` /
 *   `max_completion_tokens`, `temperature`, `user`; `stream: true` answers with SSE
 *   `chat.completion.chunk`s and `data: [DONE]`, with a usage chunk (empty `choices`) when
 *   `stream_options.include_usage` is true. `model` is a catalog id (forced, subject to the
 *   tenant's policy: 403 when it may not use it, 404 when the catalog has no such id) or
 *   `"auto"` (the tenant's strategy decides). The answer's `model` is the model that served.
 * - `POST /v1/embeddings`: `input` (string or strings), `model`, `dimensions`,
 *   `encoding_format` (`float` or `base64`), through `router.embed()` (501 on a router
 *   without it).
 * - `GET /v1/models` and `GET /v1/models/{id}`: the models the tenant may use.
 *
 * Answers carry `x-routeplane-request-id` and, once known, `x-routeplane-model`,
 * `x-routeplane-deployment`, `x-routeplane-cost-usd` and `x-routeplane-cached` (never a key).
 * Errors are OpenAI's body `{ error: { message, type, param, code } }`, `code` being the
 * `RouterError` code, with the status of its code (400, 401, 403, 404, 429 with
 * `retry-after`, 502, 503, 504; see the README's table). The handler never throws: anything
 * a client sends gets a response. The client's `request.signal` aborts the router call.
 *
 * @example
 * ```ts
 * import { createHandler, toNodeListener } from 'routeplane/http';
 * const handler = createHandler(router, { tenantOf: (req) => req.headers.get('x-tenant') ?? undefined });
 * app.all('/v1/*', (c) => handler(c.req.raw));              // Hono
 * createServer(toNodeListener(handler)).listen(8787);       // node:http
 * ```
 */
export function createHandler(
  router: Router,
  options: HandlerOptions,
): (request: Request) => Promise<Response> {
  const maxBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const base = (options.basePath ?? '/v1').replace(/\/+$/, '');

  const serve = async (request: Request): Promise<Response> => {
    const path = new URL(request.url).pathname;
    const rest = path.startsWith(`${base}/`) ? path.slice(base.length) : undefined;
    let route: Route | undefined;
    let modelId: string | undefined;
    if (rest === '/chat/completions') route = 'chat';
    else if (rest === '/embeddings') route = 'embeddings';
    else if (rest === '/models') route = 'models';
    else if (rest?.startsWith('/models/') && rest.length > 8) {
      route = 'model';
      try {
        modelId = decodeURIComponent(rest.slice(8));
      } catch {
        throw new HttpError(404, `no model '${rest.slice(8)}'`, 'model_not_found', 'model');
      }
    }
    if (route === undefined) throw new HttpError(404, `no route for ${request.method} ${path}`, 'not_found');
    if (request.method !== METHODS[route])
      throw new HttpError(
        405,
        `${path} accepts ${METHODS[route]}, not ${request.method}`,
        'method_not_allowed',
        null,
        {
          allow: METHODS[route],
        },
      );

    const caller = await callerOf(request);
    switch (route) {
      case 'chat': {
        const body = parseBody(ChatBodySchema, await readJsonBody(request, maxBytes));
        const chat = chatRequestOf(body, caller, request.signal);
        return body.stream
          ? completeStream(router, chat, body.model, body.stream_options?.include_usage === true)
          : completeJson(router, chat);
      }
      case 'embeddings': {
        const body = parseBody(EmbeddingsBodySchema, await readJsonBody(request, maxBytes));
        if (!canEmbed(router))
          throw new HttpError(
            501,
            'this router has no embed(): update routeplane to serve embeddings',
            'not_implemented',
          );
        return embed(router, body, caller, request.signal);
      }
      case 'models': {
        const data = await modelsOf(router, caller);
        return json({ object: 'list', data });
      }
      case 'model': {
        const found = (await modelsOf(router, caller)).find((m) => m.id === modelId);
        if (!found)
          throw new HttpError(
            404,
            `model '${modelId}' does not exist or tenant '${caller.tenant}' may not use it`,
            'model_not_found',
            'model',
          );
        return json(found);
      }
    }
  };

  const callerOf = async (request: Request): Promise<CallerFields> => {
    let resolved: string | HttpCaller | undefined;
    try {
      resolved = await options.tenantOf(request);
    } catch {
      throw new HttpError(500, 'tenantOf threw: the host could not resolve the tenant', 'internal');
    }
    const caller = typeof resolved === 'string' ? { tenant: resolved } : resolved;
    if (caller === undefined || typeof caller.tenant !== 'string' || caller.tenant === '')
      throw new HttpError(401, 'no tenant: send the credentials this gateway expects', 'tenant_not_found');
    return caller;
  };

  return async (request) => {
    try {
      return await serve(request);
    } catch (error) {
      return errorResponse(error instanceof HttpError ? error : httpErrorOf(error));
    }
  };
}

function json(body: unknown): Response {
  return new Response(JSON.stringify(body), { status: 200, headers: { 'content-type': 'application/json' } });
}
