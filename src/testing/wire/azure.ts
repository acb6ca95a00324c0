// The Azure OpenAI wire: OpenAI's chat completions bodies (rendered by the openai wire) at
// Azure's deployment paths, with Azure's content-filter fields, error bodies and headers.
import type { IdSource } from '../ids.js';
import type {
  ResolvedAnswer,
  SseEvent,
  SseStream,
  StreamErrorKind,
  WireContext,
  WireError,
  WireFormat,
  WireRequest,
  WireRoute,
} from '../wire.js';
import { openaiWire } from './openai.js';

type Json = Record<string, unknown>;

const DEPLOYMENT_PATH = /^\/openai\/deployments\/([^/]+)\/chat\/completions$/;

/** The version the emulator names in its rate-limit message, as Azure names the one asked for. */
const API_VERSION = '2024-10-21';

const SAFE = { filtered: false, severity: 'safe' };
/** A category result of Azure's default filters: nothing found. */
const CLEAN: Json = { hate: SAFE, self_harm: SAFE, sexual: SAFE, violence: SAFE };
/** The prompt-side results also carry the jailbreak (prompt shield) check. */
const CLEAN_PROMPT: Json = { ...CLEAN, jailbreak: { filtered: false, detected: false } };
/** The answer-side results also carry the protected-material checks (2026 answers). */
const NOT_DETECTED = { detected: false, filtered: false };
const CLEAN_ANSWER: Json = {
  ...CLEAN,
  protected_material_code: NOT_DETECTED,
  protected_material_text: NOT_DETECTED,
};
/** An answer the output filter stopped: one category filtered. */
const FILTERED: Json = { ...CLEAN, hate: { filtered: true, severity: 'high' } };

/**
 * The Azure OpenAI wire format: `POST /openai/deployments/{deployment}/chat/completions
 * ?api-version=…` (the deployment is the model that scripts and faults name; a missing
 * `api-version` is Azure's 404 "Resource not found"), keyed by the `api-key` header or an
 * Entra ID bearer token. Answers are OpenAI's with Azure's additions: `prompt_filter_results`
 * at the top and `content_filter_results` on each choice; a stream opens with a chunk that
 * has no choices and only the prompt's filter results (`id: ""`, `created: 0`). An answer
 * scripted with `finishReason: 'content_filter'` and no text comes as Azure's output filter
 * sends it: the choice without a `message`. Every answer carries `apim-request-id`,
 * `x-ms-region` and `x-ratelimit-remaining-*`.
 */
export const azureWire: WireFormat = {
  provider: 'azure',
  path: '/openai/deployments/{deployment}/chat/completions',
  route: routeOf,
  read(body, route) {
    if (!route?.model) return { invalid: 'no deployment in the path' };
    // The SDK leaves `model` in the body; Azure serves the deployment the path names.
    const parsed = openaiWire.read(
      typeof body === 'object' && body !== null ? { ...body, model: route.model } : body,
    );
    return 'invalid' in parsed ? parsed : { ...parsed, includeObfuscation: false };
  },
  requestId: (ids) => uuid(ids),
  toolCallId: openaiWire.toolCallId,
  json: renderCompletion,
  sse: renderChunks,
  error: renderError,
  quotaError: () => ({
    status: 403,
    body: azureError('403', 'Out of call volume quota. Quota will be replenished in 5.03:23:11.'),
  }),
  policyFlag: () => ({
    status: 400,
    body: {
      error: {
        message:
          "The response was filtered due to the prompt triggering Azure OpenAI's content management policy. Please modify your prompt and retry. To learn more about our content filtering policies please read our documentation: https://go.microsoft.com/fwlink/?linkid=2198766",
        type: null,
        param: 'prompt',
        code: 'content_filter',
        status: 400,
        innererror: {
          code: 'ResponsibleAIPolicyViolation',
          content_filter_result: { ...CLEAN_PROMPT, violence: { filtered: true, severity: 'medium' } },
        },
      },
    },
  }),
  failure: (kind, context) => renderError(kind === 'overloaded' ? 503 : 500, context),
  headers: (status, context) => ({
    'apim-request-id': context.requestId,
    'x-request-id': context.requestId,
    'x-ms-region': 'Sweden Central',
    ...(context.model !== '' && { 'x-ms-deployment-name': context.model }),
    'x-ms-rai-invoked': 'true',
    'x-ratelimit-limit-requests': '120',
    'x-ratelimit-limit-tokens': '120000',
    'x-ratelimit-remaining-requests': status === 429 ? '0' : '119',
    'x-ratelimit-remaining-tokens': '119984',
  }),
};

function routeOf(path: string, url: URL): WireRoute | undefined {
  const match = DEPLOYMENT_PATH.exec(path);
  if (!match) return undefined;
  const model = decodeURIComponent(match[1]!);
  if (!url.searchParams.get('api-version')) {
    return { model, reject: { status: 404, body: azureError('404', 'Resource not found') } };
  }
  return { model };
}

function azureError(code: string, message: string): Json {
  return { error: { code, message } };
}

function uuid(ids: IdSource): string {
  const hex = ids.hex(32);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function renderCompletion(answer: ResolvedAnswer, request: WireRequest, ids: IdSource): unknown {
  const body = openaiWire.json(answer, request, ids) as Json;
  delete body.service_tier;
  const filtered = answer.finishReason === 'content_filter' && answer.refusal === undefined;
  body.choices = (body.choices as Json[]).map((choice) => {
    const out: Json = { ...choice, content_filter_results: filtered ? FILTERED : CLEAN_ANSWER };
    // The output filter's answer has no message at all when nothing was let through.
    if (filtered && answer.text === '' && answer.toolCalls.length === 0) delete out.message;
    return out;
  });
  body.prompt_filter_results = [{ prompt_index: 0, content_filter_results: CLEAN_PROMPT }];
  return body;
}

/**
 * OpenAI's chunks, re-rendered the Azure way: first a chunk with no choices and the prompt's
 * filter results, then each chunk with `content_filter_results` on its choice (empty on the
 * role chunk, the category results on the others), without OpenAI's `obfuscation` and
 * `service_tier`.
 */
function renderChunks(answer: ResolvedAnswer, request: WireRequest, ids: IdSource): SseStream {
  const openai = openaiWire.sse(answer, { ...request, includeObfuscation: false }, ids);
  const filtered = answer.finishReason === 'content_filter' && answer.refusal === undefined;
  const events: SseEvent[] = [
    {
      data: sse({
        choices: [],
        created: 0,
        id: '',
        model: '',
        object: '',
        prompt_filter_results: [{ prompt_index: 0, content_filter_results: CLEAN_PROMPT }],
      }),
    },
  ];
  for (const event of openai.events) {
    const text = String(event.data);
    if (!text.startsWith('data: {')) {
      events.push(event);
      continue;
    }
    const chunk = JSON.parse(text.slice(6)) as Json;
    delete chunk.service_tier;
    delete chunk.obfuscation;
    chunk.choices = (chunk.choices as Json[]).map((choice) => {
      const delta = (choice.delta ?? {}) as Json;
      // The role chunk and the finish chunk carry empty results, unless the filter stopped the answer.
      const results =
        choice.finish_reason === 'content_filter'
          ? FILTERED
          : delta.role !== undefined || choice.finish_reason
            ? {}
            : filtered
              ? FILTERED
              : CLEAN;
      return { ...choice, content_filter_results: results };
    });
    events.push({ ...event, data: sse(chunk) });
  }
  return { events, failure: streamFailure };
}

function sse(data: unknown): string {
  return `data: ${JSON.stringify(data)}\n\n`;
}

/** A failure after the stream started: a chunk holding only the error, then `[DONE]`, as OpenAI. */
function streamFailure(kind: StreamErrorKind, context: WireContext): string[] {
  return [sse(azureWire.failure(kind, context).body), 'data: [DONE]\n\n'];
}

/**
 * The bodies Azure sends (test/fixtures/wire/azure and SOURCES.md there): its own
 * `{ error: { code, message } }` for 401, 404 and 429, OpenAI's shape for a request it
 * refuses (400) and for server errors.
 */
function renderError(status: number, context: WireContext, message?: string): WireError {
  const said = (fallback: string) => message ?? fallback;
  switch (status) {
    case 400:
      return {
        status,
        body: {
          error: {
            message: said(`emulated 400 for ${context.model}`),
            type: 'invalid_request_error',
            param: null,
            code: null,
          },
        },
      };
    case 401:
      return {
        status,
        body: azureError(
          '401',
          said(
            'Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource.',
          ),
        ),
      };
    case 404:
      return {
        status,
        body: azureError(
          'DeploymentNotFound',
          said(
            'The API deployment for this resource does not exist. If you created the deployment within the last 5 minutes, please wait a moment and try again.',
          ),
        ),
      };
    case 429:
      return {
        status,
        body: azureError(
          '429',
          said(
            `Requests to the ChatCompletions_Create Operation under Azure OpenAI API version ${API_VERSION} have exceeded token rate limit of your current OpenAI S0 pricing tier. Please retry after 6 seconds. Please go here: https://aka.ms/oai/quotaincrease if you would like to further increase the default rate limit.`,
          ),
        ),
        headers: { 'retry-after': '6', 'retry-after-ms': '6000' },
      };
    default:
      return {
        status,
        body: {
          error: {
            message: said(
              status === 503
                ? 'The service is temporarily unable to process your request. Please try again later.'
                : `The server had an error while processing your request. Sorry about that! (request ${context.requestId})`,
            ),
            type: status >= 500 ? 'server_error' : 'invalid_request_error',
            param: null,
            code: status >= 500 ? null : String(status),
          },
        },
      };
  }
}
