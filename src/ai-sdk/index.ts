/**
 * routeplane as a language model of the Vercel AI SDK (`ai` 6, language model
 * specification V3 of `@ai-sdk/provider` 3): `generateText`, `streamText`,
 * `generateObject` / `Output.object` and tool calling, with every routeplane policy
 * behind them.
 *
 * @module routeplane/ai-sdk
 */
import type { Router } from '../router.js';
import { RouteplaneLanguageModel } from './model.js';
import { type AiSdkModelOptions, parseModelOptions } from './options.js';

export type { AiSdkErrorData } from './errors.js';
export { STATUS_OF_CODE } from './errors.js';
export type { RouteplaneLanguageModel } from './model.js';
export type { AiSdkCallOptions, AiSdkModelOptions, AiSdkRoutingOptions } from './options.js';

/**
 * A language model of the AI SDK's provider specification (V3, `ai` 6) whose every call
 * goes through `router`: the tenant's policy picks the model, falls back, enforces budgets
 * and rate limits, and audits the call.
 *
 * Routing options are given here and per call in `providerOptions.routeplane` (the call's
 * win; `tags` and `vars` are merged). A tenant is required in one of the two. A bad option
 * throws `invalid_config` here, or the AI SDK's `InvalidArgumentError` naming the field
 * (`providerOptions.routeplane.strategy`) in a call.
 *
 * Mapping: `maxOutputTokens` → `maxTokens`, `temperature`, `abortSignal` → `signal`,
 * function tools and `toolChoice`, `responseFormat` json (with a schema: `json_schema`).
 * `topP`, `topK`, penalties, `seed`, `stopSequences` and `headers` are not sent: each one
 * set is an `unsupported` warning. Images go as images; other files are refused
 * (`UnsupportedFunctionalityError`).
 *
 * Results carry `providerMetadata.routeplane`: `requestId`, `tenant`, `model`, `provider`,
 * `deployment`, `region`, `costUsd`, `cached`, `latencyMs`, `attempts` and `fallbacks`
 * (the models fallen back from). `modelId` is `'routeplane'`, or the forced model.
 *
 * Errors: a `RouterError` becomes the AI SDK's `APICallError` with `isRetryable: false`
 * (the router has already retried and fallen back, so `maxRetries` never runs a call
 * twice), `statusCode` from its code (see `STATUS_OF_CODE`: `policy_denied` 403,
 * `rate_limited` and `budget_exceeded` 429, `providers_exhausted` 502, `timeout` 504…),
 * `data: { code, tenant, requestId, retryAfterMs? }` and the `RouterError` as `cause`.
 * An abort by the caller's `abortSignal` rejects with the signal's reason.
 *
 * Streaming: the call resolves once the router has the first part of the answer, so a
 * failure before any token rejects `doStream` (streamText reports it through `onError`);
 * a failure after it is an `error` part. Tool calls arrive whole (one input delta).
 *
 * @example
 * ```ts
 * import { generateText, streamText } from 'ai';
 * import { aiSdkModel } from 'routeplane/ai-sdk';
 *
 * const model = aiSdkModel(router, { tenant: 'acme', user: 'u-42' });
 * const { text, providerMetadata } = await generateText({ model, prompt: 'Hello' });
 * console.log(text, providerMetadata?.routeplane?.model);
 *
 * // Another tenant for one call, capped at a tenth of a cent:
 * const stream = streamText({
 *   model,
 *   prompt: 'Hello',
 *   providerOptions: { routeplane: { tenant: 'globex', maxCost: 0.001 } },
 * });
 * for await (const delta of stream.textStream) process.stdout.write(delta);
 * ```
 */
export function aiSdkModel(router: Router, options: AiSdkModelOptions = {}): RouteplaneLanguageModel {
  return new RouteplaneLanguageModel(router, parseModelOptions(options));
}
