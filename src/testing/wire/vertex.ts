// Vertex AI's wire for Claude: the Anthropic messages wire (src/testing/wire/anthropic.ts) for
// the answer, its SSE stream and the model's own errors, inside Vertex's paths and Google's errors.
import type { WireContext, WireError, WireFormat, WireRoute } from '../wire.js';
import { anthropicWire } from './anthropic.js';

const PREDICT =
  /^\/v1\/projects\/([^/]+)\/locations\/([^/]+)\/publishers\/anthropic\/models\/([^/:]+):(rawPredict|streamRawPredict)$/;

/**
 * Claude on Google Vertex AI: `POST /v1/projects/{project}/locations/{location}/publishers/
 * anthropic/models/{model}:rawPredict` (the Messages API's JSON answer) and
 * `:streamRawPredict` (its SSE events, unchanged). The body is a Messages request without
 * `model` (the path names it) and with `anthropic_version`. Errors of Google's front end
 * (429 `RESOURCE_EXHAUSTED`, 401, 403, 404) are Google's `{ "error": { code, message,
 * status } }`; the model's own (400, 500, 529 overloaded…) are Anthropic's, passed through.
 * The bearer token is the request's `apiKey`. The SDK's baseURL is `${url}/vertex/v1`.
 */
export const vertexWire: WireFormat = {
  ...anthropicWire,
  provider: 'vertex',
  path: '/v1/projects/{project}/locations/{location}/publishers/anthropic/models/{model}:rawPredict',
  route(path): WireRoute | undefined {
    const match = PREDICT.exec(path);
    if (!match) return undefined;
    return { model: decodeURIComponent(match[3]!), stream: match[4] === 'streamRawPredict' };
  },
  read(body, route) {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      return { invalid: 'request body must be a JSON object' };
    }
    const fields = body as Record<string, unknown>;
    if ('model' in fields) return { invalid: 'model: Extra inputs are not permitted' };
    if (typeof fields.anthropic_version !== 'string') return { invalid: 'anthropic_version: Field required' };
    return anthropicWire.read({ ...fields, model: route?.model ?? '', stream: route?.stream === true });
  },
  requestId: (ids) => `req_vrtx_011C${ids.alnum(20)}`,
  toolCallId: (ids) => `toolu_vrtx_01${ids.alnum(22)}`,
  json: (answer, request, ids) => {
    const message = anthropicWire.json(answer, request, ids) as Record<string, unknown>;
    return { ...message, id: `msg_vrtx_01${ids.alnum(22)}` };
  },
  error: renderError,
  quotaError: (context) => renderError(429, context),
  // Vertex sends none of the API's rate-limit headers.
  headers: () => ({}),
};

const GOOGLE_STATUS: Record<number, string> = {
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  429: 'RESOURCE_EXHAUSTED',
};

/** Google's body for the front end's errors; Anthropic's, as the API would send it, for the rest. */
function renderError(status: number, context: WireContext, message?: string): WireError {
  const googleStatus = GOOGLE_STATUS[status];
  if (googleStatus === undefined) return anthropicWire.error(status, context, message);
  return {
    status,
    body: {
      error: { code: status, message: message ?? googleMessage(status, context), status: googleStatus },
    },
  };
}

function googleMessage(status: number, { model }: WireContext): string {
  switch (status) {
    case 401:
      return 'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.';
    case 403:
      return `Permission 'aiplatform.endpoints.predict' denied on resource '//aiplatform.googleapis.com/publishers/anthropic/models/${model}' (or it may not exist).`;
    case 404:
      return `Publisher Model \`publishers/anthropic/models/${model}\` not found.`;
    default:
      return `Quota exceeded for aiplatform.googleapis.com/online_prediction_requests_per_base_model with base model: anthropic-${model.split('@')[0]}. Please submit a quota increase request. https://cloud.google.com/vertex-ai/docs/generative-ai/quotas-genai.`;
  }
}
