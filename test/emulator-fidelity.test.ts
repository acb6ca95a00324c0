import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { EmulatedProvider, Emulator } from '../src/testing/index.js';
import { useEmulator } from './support/harness.js';

/*
 * Holds the emulator's output against the corpus of recorded provider payloads in
 * test/fixtures/wire/ (see its SOURCES.md): for every recording, the emulator is asked for
 * the same kind of answer, and both are reduced to their shape: the sequence of event kinds
 * of a stream, and per kind of event (or for a JSON body) the set of field paths, recursively.
 * Values are never compared. A difference the emulator does not reproduce, or a field a
 * recording predates, is listed with its reason beside the case; an unlisted difference fails,
 * and so does a listed one that no longer occurs.
 */

const CORPUS = fileURLToPath(new URL('./fixtures/wire/', import.meta.url));
/** The providers with recordings in the corpus; the cloud wires (Bedrock, Vertex) are tested in their own files. */
type RecordedProvider = Extract<EmulatedProvider, 'openai' | 'anthropic' | 'mistral' | 'azure' | 'gemini'>;
const PROVIDERS: readonly RecordedProvider[] = ['openai', 'anthropic', 'mistral', 'azure'];
const MODEL = 'fidelity-model';

/** A difference between a recording and the emulator that is known, and why. */
interface Known {
  /** `'+'` the emulator sends it and the recording lacks it; `'-'` the other way. */
  side: '+' | '-';
  /** `kind: path` of a field, `headers: name`, or `kind` alone to leave that kind of event out. */
  what: string;
  why: string;
}

interface Case {
  /** Scripts the emulator for one request to MODEL. */
  setup(emu: Emulator): void;
  stream?: boolean;
  /** Fields added to the request body (for OpenAI: `stream_options`). */
  body?: Record<string, unknown>;
  /**
   * The recording is a dump of the Python SDK's objects, which fill every absent field with
   * null: a null-only field of the recording may be absent from the emulator's output.
   */
  sdkFilledNulls?: boolean;
  known?: Known[];
}

const INCLUDE_USAGE = { stream_options: { include_usage: true } };
/** A marker in a case's `body`: the Azure request goes without its `api-version` (not sent). */
const NO_API_VERSION = '__no_api_version';

// --- what each recording is compared with -------------------------------------------------

const OPENAI_2024 = 'a 2024 recording, before the API added service_tier and obfuscation to chunks';
const openaiBefore2025Chunks = (kinds: string[]): Known[] =>
  kinds.flatMap((kind) => [
    { side: '+', what: `${kind}: service_tier`, why: OPENAI_2024 },
    { side: '+', what: `${kind}: obfuscation`, why: OPENAI_2024 },
  ]);
const openaiUsageNull = (kinds: string[]): Known[] =>
  kinds.map((kind) => ({
    side: '+',
    what: `${kind}: usage`,
    why: 'with include_usage the API now sends usage: null on every chunk; this 2024 recording does not',
  }));
const OPENAI_USAGE_DETAILS = [
  'usage.prompt_tokens_details',
  'usage.prompt_tokens_details.cached_tokens',
  'usage.prompt_tokens_details.audio_tokens',
  'usage.completion_tokens_details',
  'usage.completion_tokens_details.reasoning_tokens',
  'usage.completion_tokens_details.audio_tokens',
  'usage.completion_tokens_details.accepted_prediction_tokens',
  'usage.completion_tokens_details.rejected_prediction_tokens',
];
const openaiUsageDetails = (kind: string, why: string): Known[] =>
  OPENAI_USAGE_DETAILS.map((path) => ({ side: '+', what: `${kind}: ${path}`, why }));

const ANTHROPIC_STOP_DETAILS = 'stop_details (null unless a refusal) is newer than this recording';
const THINKING_TOKENS =
  'message_delta usage gained output_tokens_details.thinking_tokens after this recording';
const anthropicStreamNewer: Known[] = [
  { side: '+', what: 'message_start: message.stop_details', why: ANTHROPIC_STOP_DETAILS },
  { side: '+', what: 'message_delta: delta.stop_details', why: ANTHROPIC_STOP_DETAILS },
  { side: '+', what: 'message_delta: usage.output_tokens_details', why: THINKING_TOKENS },
  { side: '+', what: 'message_delta: usage.output_tokens_details.thinking_tokens', why: THINKING_TOKENS },
];
const NO_GEO = 'inference_geo is newer than this recording';

const AZURE_2024 =
  'a 2024 recording (gpt-35-turbo, api-version 2024-02-01), before the usage details and rate-limit totals of the 2026 text.json';
const AZURE_JAILBREAK = (at: string): Known[] =>
  ['', '.filtered', '.detected'].map((suffix) => ({
    side: '+',
    what: `${at}.jailbreak${suffix}`,
    why: 'the prompt shield (jailbreak) result is newer than this recording; the 2026 text.json has it',
  }));

const CASES: Record<RecordedProvider, Record<string, Case>> = {
  openai: {
    'text.json': { setup: (emu) => emu.respond(MODEL, { text: 'Galaxy Day' }) },
    'text-obfuscation.sse': {
      setup: (emu) => emu.respond(MODEL, { text: 'Holiday Name: Harmony Day' }),
      stream: true,
      body: INCLUDE_USAGE,
    },
    'structured.sse': {
      setup: (emu) => emu.respond(MODEL, { text: '{"city":"San Francisco","units":"c"}' }),
      stream: true,
      body: INCLUDE_USAGE,
      known: [
        ...openaiBefore2025Chunks(['role', 'content', 'finish', 'usage']),
        ...openaiUsageNull(['role', 'content', 'finish']),
        ...openaiUsageDetails('usage', OPENAI_2024),
      ],
    },
    'refusal.sse': {
      setup: (emu) => emu.fail(MODEL, { refusal: "I'm very sorry, but I can't assist with that request." }),
      stream: true,
      body: INCLUDE_USAGE,
      known: [
        ...openaiBefore2025Chunks(['role', 'refusal', 'finish', 'usage']),
        ...openaiUsageNull(['role', 'refusal', 'finish']),
        ...openaiUsageDetails('usage', OPENAI_2024),
        ...['role', 'refusal'].flatMap((kind): Known[] =>
          [
            'choices[].logprobs.content',
            'choices[].logprobs.refusal',
            ...(kind === 'refusal'
              ? [
                  'choices[].logprobs.refusal[].token',
                  'choices[].logprobs.refusal[].logprob',
                  'choices[].logprobs.refusal[].bytes',
                  'choices[].logprobs.refusal[].top_logprobs',
                ]
              : []),
          ].map((path) => ({
            side: '-',
            what: `${kind}: ${path}`,
            why: 'the recorded request asked for logprobs; the emulator never sends them',
          })),
        ),
      ],
    },
    'cut-before-usage.sse': {
      // The role chunk, three words and the finish chunk; then the connection is cut.
      setup: (emu) => {
        emu.respond(MODEL, { text: '{"city": "San Francisco"}' });
        emu.fail(MODEL, { cutAfter: 5 });
      },
      stream: true,
      body: INCLUDE_USAGE,
      known: [
        ...openaiBefore2025Chunks(['role', 'content', 'finish']),
        ...openaiUsageNull(['role', 'content', 'finish']),
      ],
    },
    'tool-call.sse': {
      setup: (emu) =>
        emu.respond(MODEL, { toolCalls: [{ name: 'get_weather', arguments: { location: 'Tokyo' } }] }),
      stream: true,
      body: INCLUDE_USAGE,
      sdkFilledNulls: true,
      known: [
        {
          side: '+',
          what: 'role: obfuscation',
          why: 'the Python SDK dump leaves out fields it does not model',
        },
        {
          side: '+',
          what: 'tool_call: obfuscation',
          why: 'the Python SDK dump leaves out fields it does not model',
        },
        {
          side: '+',
          what: 'tool_arguments: obfuscation',
          why: 'the Python SDK dump leaves out fields it does not model',
        },
        {
          side: '+',
          what: 'finish: obfuscation',
          why: 'the Python SDK dump leaves out fields it does not model',
        },
        {
          side: '+',
          what: 'usage: obfuscation',
          why: 'the Python SDK dump leaves out fields it does not model',
        },
      ],
    },
    'no-usage.sse': {
      setup: (emu) => emu.fail(MODEL, { noUsage: true }),
      stream: true,
      body: INCLUDE_USAGE,
      known: [
        ...openaiBefore2025Chunks(['role', 'content', 'finish']),
        {
          side: '+',
          what: 'role: choices[].delta.refusal',
          why: 'a 2024 recording, before the role chunk carried refusal: null',
        },
      ],
    },
    'refusal.json': {
      setup: (emu) => emu.fail(MODEL, { refusal: "I'm sorry, I cannot assist with that request." }),
      known: [
        {
          side: '+',
          what: 'body: choices[].message.content',
          why: 'the documentation example leaves out content: null',
        },
        {
          side: '+',
          what: 'body: choices[].message.annotations',
          why: 'annotations are newer than the documentation example',
        },
        {
          side: '+',
          what: 'body: service_tier',
          why: 'service_tier is newer than the documentation example',
        },
        ...openaiUsageDetails('body', 'the documentation example predates the usage details'),
      ],
    },
    'reasoning-deepseek.json': {
      setup: (emu) =>
        emu.respond(MODEL, {
          text: '{"location":"San Francisco"}',
          reasoningTokens: 118,
          cacheReadTokens: 320,
        }),
      known: [
        {
          side: '-',
          what: 'body: choices[].message.reasoning_content',
          why: "DeepSeek's own field: OpenAI does not return the reasoning",
        },
        { side: '-', what: 'body: usage.prompt_cache_hit_tokens', why: "DeepSeek's own field" },
        { side: '-', what: 'body: usage.prompt_cache_miss_tokens', why: "DeepSeek's own field" },
        ...[
          'choices[].message.refusal',
          'choices[].message.annotations',
          'service_tier',
          'usage.prompt_tokens_details.audio_tokens',
          'usage.completion_tokens_details.audio_tokens',
          'usage.completion_tokens_details.accepted_prediction_tokens',
          'usage.completion_tokens_details.rejected_prediction_tokens',
        ].map(
          (path): Known => ({
            side: '+',
            what: `body: ${path}`,
            why: 'an OpenAI field that DeepSeek, an OpenAI-compatible API, does not send',
          }),
        ),
      ],
    },
    'error-400-unsupported-parameter.json': { setup: (emu) => emu.fail(MODEL, { status: 400 }) },
    'error-400-invalid-prompt.json': { setup: (emu) => emu.fail(MODEL, { policyFlag: true }) },
    'error-400-context-length.json': { setup: (emu) => emu.fail(MODEL, { status: 400 }) },
    'error-401-invalid-api-key.json': { setup: (emu) => emu.fail(MODEL, { status: 401 }) },
    'error-429-insufficient-quota.json': { setup: (emu) => emu.fail(MODEL, { quota: true }) },
    'error-429-insufficient-quota-code-null.json': { setup: (emu) => emu.fail(MODEL, { quota: true }) },
    'error-429-tokens-reset-headers.json': {
      setup: (emu) => emu.fail(MODEL, { status: 429 }),
      known: [
        {
          side: '+',
          what: 'headers: x-request-id',
          why: "the rate-limit guide's example lists only the rate-limit headers",
        },
      ],
    },
    'error-429-requests-reset-174ms.json': {
      setup: (emu) => emu.fail(MODEL, { status: 429 }),
      known: [
        'x-ratelimit-limit-requests',
        'x-ratelimit-limit-tokens',
        'x-ratelimit-remaining-requests',
        'x-ratelimit-remaining-tokens',
        'x-request-id',
      ].map(
        (name): Known => ({
          side: '+',
          what: `headers: ${name}`,
          why: 'the adapted recording carries only the two reset headers',
        }),
      ),
    },
  },

  anthropic: {
    'text.json': {
      setup: (emu) => emu.respond(MODEL, { text: "Hello! I'm doing well." }),
      known: [{ side: '+', what: 'body: stop_details', why: ANTHROPIC_STOP_DETAILS }],
    },
    'text.sse': {
      setup: (emu) => emu.respond(MODEL, { text: "Hello! I'm doing well, thank you for asking." }),
      stream: true,
      known: anthropicStreamNewer,
    },
    'thinking-signature.sse': {
      setup: (emu) => emu.respond(MODEL, { text: '925 ÷ 5 = 185', reasoningTokens: 40 }),
      stream: true,
      known: [
        ...anthropicStreamNewer,
        {
          side: '-',
          what: 'message_delta: context_management',
          why: 'the recorded request used context management (a beta), which the emulator does not emulate',
        },
        {
          side: '-',
          what: 'message_delta: context_management.applied_edits',
          why: 'the recorded request used context management (a beta), which the emulator does not emulate',
        },
      ],
    },
    'tool-use-input-json.sse': {
      setup: (emu) =>
        emu.respond(MODEL, {
          toolCalls: [{ name: 'json', arguments: { elements: [{ location: 'San Francisco' }] } }],
        }),
      stream: true,
      known: [
        ...anthropicStreamNewer,
        { side: '+', what: 'message_start: message.usage.inference_geo', why: NO_GEO },
      ],
    },
    'tool-no-args.json': {
      setup: (emu) =>
        emu.respond(MODEL, {
          text: 'Okay, I will update the issue list:',
          toolCalls: [{ name: 'updateIssueList', arguments: {} }],
        }),
      known: [
        { side: '+', what: 'body: stop_details', why: ANTHROPIC_STOP_DETAILS },
        { side: '+', what: 'body: usage.inference_geo', why: NO_GEO },
      ],
    },
    'tool-no-args.sse': {
      setup: (emu) =>
        emu.respond(MODEL, {
          text: "I'll update the issue list.",
          toolCalls: [{ name: 'updateIssueList', arguments: {} }],
        }),
      stream: true,
      known: [
        ...anthropicStreamNewer,
        { side: '+', what: 'message_start: message.usage.inference_geo', why: NO_GEO },
      ],
    },
    'refusal.json': {
      setup: (emu) =>
        emu.fail(MODEL, { refusal: 'This request triggered restrictions on violative cyber content.' }),
      known: [
        {
          side: '-',
          what: 'body: stop_details.recommended_model',
          why: "vercel/ai's rendering of a refusal; the SDK's RefusalStopDetails has type, category and explanation only",
        },
      ],
    },
    'refusal-no-details.json': {
      setup: (emu) => emu.fail(MODEL, { refusal: 'Refused.' }),
      known: ['stop_details.type', 'stop_details.category', 'stop_details.explanation'].map(
        (path): Known => ({
          side: '+',
          what: `body: ${path}`,
          why: 'a refusal without details (stop_details null); the emulator always explains its refusal',
        }),
      ),
    },
    'refusal.sse': {
      setup: (emu) =>
        emu.fail(MODEL, { refusal: 'This request triggered restrictions on violative cyber content.' }),
      stream: true,
      known: [
        {
          side: '-',
          what: 'message_delta: delta.stop_details.recommended_model',
          why: "vercel/ai's rendering of a refusal; the SDK's RefusalStopDetails has type, category and explanation only",
        },
        {
          side: '+',
          what: 'message_start: message.stop_details',
          why: 'the newest recordings (prompt-cache-write.sse) carry stop_details: null in message_start too',
        },
        { side: '+', what: 'message_delta: usage.output_tokens_details', why: THINKING_TOKENS },
        {
          side: '+',
          what: 'message_delta: usage.output_tokens_details.thinking_tokens',
          why: THINKING_TOKENS,
        },
      ],
    },
    'message-delta-input-tokens.sse': {
      setup: (emu) => emu.respond(MODEL, { text: 'pong' }),
      stream: true,
      known: [
        ...anthropicStreamNewer,
        ...[
          'message.usage.cache_creation_input_tokens',
          'message.usage.cache_read_input_tokens',
          'message.usage.cache_creation',
          'message.usage.cache_creation.ephemeral_5m_input_tokens',
          'message.usage.cache_creation.ephemeral_1h_input_tokens',
          'message.usage.service_tier',
          'message.usage.inference_geo',
        ].map(
          (path): Known => ({
            side: '+',
            what: `message_start: ${path}`,
            why: 'this recording (a 32-hex message id: not Anthropic itself) reports input and output tokens only',
          }),
        ),
        ...['usage.cache_creation_input_tokens', 'usage.cache_read_input_tokens'].map(
          (path): Known => ({
            side: '+',
            what: `message_delta: ${path}`,
            why: 'this recording (a 32-hex message id: not Anthropic itself) reports input and output tokens only',
          }),
        ),
      ],
    },
    'prompt-cache-write.sse': {
      setup: (emu) =>
        emu.respond(MODEL, { text: 'The squares of 1 to 12.', cacheWriteTokens: 3068, cacheReadTokens: 0 }),
      stream: true,
      known: [
        ...['server_tool_use', 'bash_code_execution_tool_result'].map(
          (block): Known => ({
            side: '-',
            what: `content_block_*:${block}`,
            why: 'server tools (code execution) are not emulated',
          }),
        ),
        ...[
          'delta.container',
          'delta.container.id',
          'delta.container.expires_at',
          'usage.server_tool_use',
          'usage.server_tool_use.web_search_requests',
          'usage.server_tool_use.web_fetch_requests',
        ].map(
          (path): Known => ({
            side: '-',
            what: `message_delta: ${path}`,
            why: 'server tools (code execution) are not emulated',
          }),
        ),
      ],
    },
    'cache-write-1h.json': {
      setup: (emu) =>
        emu.respond(MODEL, {
          text: "Hello! I'm doing well.",
          cacheWriteTokens: 2048,
          cacheWrite1hTokens: 1536,
          cacheReadTokens: 1024,
        }),
      known: [{ side: '+', what: 'body: stop_details', why: ANTHROPIC_STOP_DETAILS }],
    },
    'error-event-mid-stream.sse': {
      setup: (emu) => {
        emu.respond(MODEL, { text: "Hello! I'm doing well" });
        emu.fail(MODEL, { errorEvent: 'overloaded', afterParts: 2 });
      },
      stream: true,
      known: [
        { side: '+', what: 'message_start: message.stop_details', why: ANTHROPIC_STOP_DETAILS },
        {
          side: '+',
          what: 'error: error.details',
          why: "the recording's error event is the streaming guide's example; 2026 captures of mid-stream errors carry details: null (anthropics/claude-code#51226, gotgenes/pi-anthropic-auth#73)",
        },
        {
          side: '+',
          what: 'error: request_id',
          why: "the recording's error event is the streaming guide's example; 2026 captures of mid-stream errors carry the request_id",
        },
      ],
    },
    'error-529-overloaded.json': { setup: (emu) => emu.fail(MODEL, { status: 529 }) },
    'error-500-api-error.json': { setup: (emu) => emu.fail(MODEL, { status: 500 }) },
    'error-400-credit-balance.json': { setup: (emu) => emu.fail(MODEL, { quota: true }) },
    'error-400-prompt-too-long.json': { setup: (emu) => emu.fail(MODEL, { status: 400 }) },
    'error-413-context-window.json': {
      setup: (emu) => emu.fail(MODEL, { status: 413 }),
      known: [
        {
          side: '-',
          what: 'body: type',
          why: "the API's own 413 (context window); the emulator sends the edge's 413 (request_too_large), recorded in error-413-request-too-large.json",
        },
        {
          side: '-',
          what: 'body: request_id',
          why: "the API's own 413 (context window); the emulator sends the edge's 413 (request_too_large), recorded in error-413-request-too-large.json",
        },
      ],
    },
    'error-413-request-too-large.json': { setup: (emu) => emu.fail(MODEL, { status: 413 }) },
    'error-429-ratelimit-reset-headers.json': {
      setup: (emu) => emu.fail(MODEL, { status: 429 }),
      known: [
        {
          side: '+',
          what: 'body: request_id',
          why: 'the adapted recording wraps a message seen through a proxy, without the request_id the API adds',
        },
        {
          side: '+',
          what: 'headers: retry-after',
          why: 'a March 2024 capture; since July 2024 the API sends retry-after on every 429 (anthropics/anthropic-sdk-typescript#357)',
        },
      ],
    },
  },

  mistral: {
    'text.json': { setup: (emu) => emu.respond(MODEL, { text: '**Holiday Name: World Kindness Day**' }) },
    'text.sse': {
      setup: (emu) => emu.respond(MODEL, { text: 'Hello, world! This is a test response.' }),
      stream: true,
    },
    'tool-call.json': {
      setup: (emu) =>
        emu.respond(MODEL, { toolCalls: [{ name: 'weather', arguments: { location: 'San Francisco' } }] }),
    },
    'tool-call.sse': {
      setup: (emu) =>
        emu.respond(MODEL, { toolCalls: [{ name: 'weather', arguments: { location: 'San Francisco' } }] }),
      stream: true,
    },
    'incremental-tool-call.sse': {
      setup: (emu) =>
        emu.respond(MODEL, {
          toolCalls: [{ name: 'webSearchTool', arguments: { query: 'current Berlin weather' } }],
          mistralToolCalls: 'incremental',
          cacheReadTokens: 128,
        }),
      stream: true,
      known: [
        {
          side: '+',
          what: 'role',
          why: 'the recorded model, served through the API by another engine, opens without a role chunk; Mistral models send one',
        },
      ],
    },
    'reasoning.json': { setup: (emu) => emu.respond(MODEL, { text: '2 + 2 = 4', reasoningTokens: 36 }) },
    'reasoning.sse': {
      setup: (emu) => emu.respond(MODEL, { text: '2 + 2 = 4', reasoningTokens: 36 }),
      stream: true,
    },
    'no-usage.sse': { setup: (emu) => emu.fail(MODEL, { noUsage: true }), stream: true },
    'error-429-rate-limited.json': { setup: (emu) => emu.fail(MODEL, { status: 429 }) },
    'error-429-requests-rate-limit.json': {
      setup: (emu) => emu.fail(MODEL, { status: 429 }),
      known: ['object', 'type', 'param', 'code'].map(
        (path): Known => ({
          side: '+',
          what: `body: ${path}`,
          why: "a second 429 form ({ message } only, from a layer before the API); the emulator sends the API's flat error, recorded in error-429-rate-limited.json",
        }),
      ),
    },
    'error-401-unauthorized.json': { setup: (emu) => emu.fail(MODEL, { status: 401 }) },
    'error-401-detail.json': {
      setup: (emu) => emu.fail(MODEL, { status: 401 }),
      known: [
        {
          side: '-',
          what: 'body: detail',
          why: "a second 401 form ({ detail }); the emulator sends the gateway's { message, request_id }, recorded in error-401-unauthorized.json",
        },
        ...['message', 'request_id'].map(
          (path): Known => ({
            side: '+',
            what: `body: ${path}`,
            why: "a second 401 form ({ detail }); the emulator sends the gateway's { message, request_id }, recorded in error-401-unauthorized.json",
          }),
        ),
      ],
    },
    'error-400-invalid-model.json': { setup: (emu) => emu.fail(MODEL, { status: 400 }) },
    'error-422-extra-forbidden.json': { setup: (emu) => emu.fail(MODEL, { status: 422 }) },
    'error-503-service-tier-capacity.json': { setup: (emu) => emu.fail(MODEL, { status: 503 }) },
  },
  azure: {
    'text.json': {
      setup: (emu) => emu.respond(MODEL, { text: 'Why did the developer trace it?' }),
      known: ['x-ratelimit-reset-requests', 'x-ratelimit-reset-tokens'].map((name) => ({
        side: '-',
        what: `headers: ${name}`,
        why: "Azure's resets are bare numbers ('500', '7') of no documented unit: the emulator leaves them out rather than guess",
      })),
    },
    'content-filter-answer.json': {
      setup: (emu) => emu.respond(MODEL, { text: '', finishReason: 'content_filter' }),
      known: [
        ...['x-ratelimit-limit-requests', 'x-ratelimit-limit-tokens'].map(
          (name): Known => ({ side: '+', what: `headers: ${name}`, why: AZURE_2024 }),
        ),
        ...OPENAI_USAGE_DETAILS.map((path): Known => ({ side: '+', what: `body: ${path}`, why: AZURE_2024 })),
        ...AZURE_JAILBREAK('body: prompt_filter_results[].content_filter_results'),
      ],
    },
    'prompt-filter-first-chunk.sse': {
      setup: (emu) => emu.respond(MODEL, { text: 'Hello! How can I assist you today?' }),
      stream: true,
      known: AZURE_JAILBREAK('empty: prompt_filter_results[].content_filter_results'),
    },
    'error-400-content-filter.json': {
      setup: (emu) => emu.fail(MODEL, { policyFlag: true }),
      known: AZURE_JAILBREAK('body: error.innererror.content_filter_result'),
    },
    'error-401-access-denied.json': { setup: (emu) => emu.fail(MODEL, { status: 401 }) },
    'error-404-deployment-not-found.json': { setup: (emu) => emu.fail(MODEL, { status: 404 }) },
    'error-404-missing-api-version.json': { setup: () => {}, body: { [NO_API_VERSION]: true } },
    'error-429-token-rate-limit.json': {
      setup: (emu) => emu.fail(MODEL, { status: 429 }),
      known: [
        {
          side: '+',
          what: 'headers: retry-after-ms',
          why: 'the issue quotes only the body; Azure sends retry-after-ms beside retry-after, which the SDKs read first',
        },
        ...[
          'x-ratelimit-limit-requests',
          'x-ratelimit-limit-tokens',
          'x-ratelimit-remaining-requests',
          'x-ratelimit-remaining-tokens',
          'x-request-id',
        ].map(
          (name): Known => ({
            side: '+',
            what: `headers: ${name}`,
            why: 'the issue quotes only the body; the emulator sends the headers of every Azure answer (text.json)',
          }),
        ),
      ],
    },
  },
  // Not in PROVIDERS yet: Gemini's recordings are replayed through the SDK in test/wire/gemini.test.ts.
  gemini: {},
};

// --- reading recordings and the emulator ----------------------------------------------------

interface Exchange {
  status: number;
  headers: Record<string, string>;
  /** JSON body, or the raw text of an SSE stream. */
  body: unknown;
  sse: boolean;
}

function readRecording(provider: RecordedProvider, file: string): Exchange {
  const path = `${CORPUS}${provider}/${file}`;
  if (file.endsWith('.sse')) {
    let sidecar: { status?: number; headers?: Record<string, string> } = {};
    try {
      sidecar = JSON.parse(readFileSync(`${path}.json`, 'utf8'));
    } catch {}
    return {
      status: sidecar.status ?? 200,
      headers: sidecar.headers ?? {},
      body: readFileSync(path, 'utf8'),
      sse: true,
    };
  }
  const recorded = JSON.parse(readFileSync(path, 'utf8')) as Exchange;
  return { status: recorded.status, headers: recorded.headers ?? {}, body: recorded.body, sse: false };
}

/** The files of a provider's corpus that hold a recording (a `.sse.json` is a sidecar of its `.sse`). */
function recordings(provider: RecordedProvider): string[] {
  return readdirSync(`${CORPUS}${provider}`)
    .filter((file) => file.endsWith('.json') || file.endsWith('.sse'))
    .filter((file) => !file.endsWith('.sse.json'))
    .sort();
}

const emu = useEmulator();

async function askEmulator(provider: RecordedProvider, spec: Case): Promise<Exchange> {
  const stream = spec.stream ?? false;
  const messages = [{ role: 'user', content: 'Hello there' }];
  const base = {
    openai: '/openai/v1/chat/completions',
    anthropic: '/anthropic/v1/messages',
    mistral: '/mistral/v1/chat/completions',
    azure: `/azure/openai/deployments/${MODEL}/chat/completions`,
    gemini: `/gemini/v1beta/models/${MODEL}:generateContent`,
  };
  const { [NO_API_VERSION]: noVersion, ...extra } = spec.body ?? {};
  const body = {
    model: MODEL,
    messages,
    ...(provider === 'anthropic' && { max_tokens: 1024 }),
    ...(stream && { stream: true }),
    ...extra,
  };
  const query = provider === 'azure' && !noVersion ? '?api-version=2024-10-21' : '';
  const response = await fetch(`${emu.url}${base[provider]}${query}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(provider === 'anthropic'
        ? { 'x-api-key': 'emu-key' }
        : provider === 'azure'
          ? { 'api-key': 'emu-key' }
          : { authorization: 'Bearer emu-key' }),
    },
    body: JSON.stringify(body),
  });
  const text = await readAll(response);
  const headers = Object.fromEntries(response.headers);
  const sse = (headers['content-type'] ?? '').startsWith('text/event-stream');
  return { status: response.status, headers, body: sse ? text : JSON.parse(text), sse };
}

/** The body as far as it came: a stream the emulator cuts ends in an error, after its bytes. */
async function readAll(response: Response): Promise<string> {
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
  } catch {}
  return text;
}

// --- shapes ---------------------------------------------------------------------------------

/** Field paths and whether every value seen there was null. */
type Shape = Map<string, boolean>;

/**
 * The paths of every field, recursively: `a.b`, arrays as `a[]`, and arrays of objects with a
 * string `type` as `a[type]` so that content blocks of different types stay apart. (Not
 * FastAPI's `detail` list, whose `type` is the kind of validation error, not of shape.)
 */
function shapeOf(value: unknown, shape: Shape = new Map(), prefix = ''): Shape {
  if (Array.isArray(value)) {
    const discriminated = !/(^|\.)detail$/.test(prefix);
    for (const item of value) {
      const type = discriminated && isRecord(item) && typeof item.type === 'string' ? item.type : '';
      shapeOf(item, shape, `${prefix}[${type}]`);
    }
  } else if (isRecord(value)) {
    for (const [key, field] of Object.entries(value)) {
      const path = prefix === '' ? key : `${prefix}.${key}`;
      shape.set(path, (shape.get(path) ?? true) && field === null);
      shapeOf(field, shape, path);
    }
  }
  return shape;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

interface StreamEvent {
  kind: string;
  data: unknown;
}

/** SSE blocks as (event name, data) pairs. */
function sseBlocks(text: string): Array<{ event?: string; data: string }> {
  return text
    .split(/\n\n/)
    .filter((block) => block.trim() !== '')
    .map((block) => {
      const lines = block.split('\n');
      const event = lines
        .find((line) => line.startsWith('event:'))
        ?.slice(6)
        .trim();
      const data = lines
        .filter((line) => line.startsWith('data:'))
        .map((line) => line.slice(5).trimStart())
        .join('\n');
      return { ...(event !== undefined && { event }), data };
    });
}

/** Anthropic events, their kind qualified by block type and delta type: `content_block_delta:text:text_delta`. */
function anthropicEvents(text: string): StreamEvent[] {
  const blockTypes = new Map<number, string>();
  return sseBlocks(text).map(({ event, data }) => {
    const parsed = JSON.parse(data) as Record<string, unknown>;
    expect(parsed.type, `the data of an "${event}" event names its type`).toBe(event);
    const index = typeof parsed.index === 'number' ? parsed.index : -1;
    switch (event) {
      case 'content_block_start': {
        const type = String((parsed.content_block as { type?: unknown }).type);
        blockTypes.set(index, type);
        return { kind: `content_block_start:${type}`, data: parsed };
      }
      case 'content_block_delta':
        return {
          kind: `content_block_delta:${blockTypes.get(index)}:${String((parsed.delta as { type?: unknown }).type)}`,
          data: parsed,
        };
      case 'content_block_stop':
        return { kind: `content_block_stop:${blockTypes.get(index)}`, data: parsed };
      default:
        return { kind: String(event), data: parsed };
    }
  });
}

/** OpenAI and Mistral chunks, by what they carry. */
function chunkEvents(text: string): StreamEvent[] {
  return sseBlocks(text).map(({ data }) => {
    if (data === '[DONE]') return { kind: '[DONE]', data: {} };
    const chunk = JSON.parse(data) as Record<string, unknown>;
    return { kind: chunkKind(chunk), data: chunk };
  });
}

function chunkKind(chunk: Record<string, unknown>): string {
  if (chunk.error !== undefined) return 'error';
  const choices = Array.isArray(chunk.choices) ? chunk.choices : [];
  if (choices.length === 0) return chunk.usage ? 'usage' : 'empty';
  const choice = choices[0] as Record<string, unknown>;
  if (choice.finish_reason !== null && choice.finish_reason !== undefined) return 'finish';
  const delta = (choice.delta ?? {}) as Record<string, unknown>;
  if (typeof delta.role === 'string') return 'role';
  if (Array.isArray(delta.tool_calls)) {
    return delta.tool_calls.some((call) => isRecord(call) && typeof call.id === 'string')
      ? 'tool_call'
      : 'tool_arguments';
  }
  if (typeof delta.refusal === 'string') return 'refusal';
  if (Array.isArray(delta.content)) {
    const types = delta.content.map((part) => (isRecord(part) ? String(part.type) : '?'));
    return `content:${[...new Set(types)].join('+')}`;
  }
  return 'content';
}

function eventsOf(provider: RecordedProvider, text: string): StreamEvent[] {
  return provider === 'anthropic' ? anthropicEvents(text) : chunkEvents(text);
}

/**
 * Where a stream's first `ping` comes, by the events around it: Anthropic sends it once the
 * first content block has started (some recordings after a delta or two), or after
 * `message_start` when the answer has no block.
 */
function pingPlacement(events: StreamEvent[]): string {
  const ping = events.findIndex((event) => event.kind === 'ping');
  if (ping === -1) return 'none';
  const block = events.findIndex((event) => event.kind.startsWith('content_block_start'));
  if (block === -1) return 'with no content block';
  return ping > block ? 'after the first block starts' : 'before the first block';
}

/** Does a `Known` entry's kind (a kind, or `prefix*:suffix`) name this kind of event? */
function kindMatches(pattern: string, kind: string): boolean {
  if (!pattern.includes('*')) return pattern === kind;
  const [head, tail] = pattern.split('*') as [string, string];
  return kind.startsWith(head) && kind.includes(tail);
}

/** The provider's own API headers, not those of the HTTP server or the CDN. */
const API_HEADER =
  /^(x-ratelimit-|anthropic-ratelimit-|retry-after|x-should-retry$|request-id$|x-request-id$)/;

/**
 * Every difference between a recording and the emulator's answer, as `+ …` (only the
 * emulator has it) and `- …` (only the recording has it), with the known ones taken out.
 * Returns the unexplained differences and the known ones that did not occur.
 */
function compare(
  provider: RecordedProvider,
  recording: Exchange,
  emulated: Exchange,
  spec: Case,
): { unexplained: string[]; unused: string[] } {
  const known = (spec.known ?? []).map(parseKnown);
  const found: string[] = [];
  const dropped = (side: '+' | '-', kind: string) =>
    known.some((entry) => entry.side === side && entry.path === undefined && kindMatches(entry.kind, kind));

  if (recording.status !== emulated.status)
    found.push(`status: recorded ${recording.status}, emulated ${emulated.status}`);
  expect(emulated.sse, 'the emulator answers in the same form (stream or JSON) as the recording').toBe(
    recording.sse,
  );

  // Headers, where the recording kept the provider's own.
  const recordedHeaders = Object.keys(recording.headers).filter((name) => API_HEADER.test(name));
  if (recordedHeaders.length > 0) {
    const emulatedHeaders = Object.keys(emulated.headers).filter((name) => API_HEADER.test(name));
    for (const name of emulatedHeaders) if (!recordedHeaders.includes(name)) found.push(`+ headers: ${name}`);
    for (const name of recordedHeaders) if (!emulatedHeaders.includes(name)) found.push(`- headers: ${name}`);
  }

  // Bodies: a JSON body is one event of kind `body`.
  let recorded: StreamEvent[];
  let ours: StreamEvent[];
  if (recording.sse) {
    const allRecorded = eventsOf(provider, recording.body as string);
    const allOurs = eventsOf(provider, emulated.body as string);
    recorded = allRecorded.filter((event) => !dropped('-', event.kind));
    ours = allOurs.filter((event) => !dropped('+', event.kind));
    const sequence = (events: StreamEvent[]) =>
      events
        .map((event) => event.kind)
        .filter((kind) => kind !== 'ping')
        .filter((kind, i, all) => kind !== all[i - 1]);
    const a = sequence(recorded);
    const b = sequence(ours);
    if (a.join(' ') !== b.join(' '))
      found.push(`sequence: recorded [${a.join(', ')}], emulated [${b.join(', ')}]`);
    // Placed among all events: a block left out of the comparison still opens the stream.
    const pings = [pingPlacement(allRecorded), pingPlacement(allOurs)];
    if (pings[0] !== pings[1]) found.push(`ping: recorded ${pings[0]}, emulated ${pings[1]}`);
  } else {
    recorded = [{ kind: 'body', data: recording.body }];
    ours = [{ kind: 'body', data: emulated.body }];
  }
  const kinds = new Set([...recorded, ...ours].map((event) => event.kind));
  for (const kind of kinds) {
    const theirs = new Map<string, boolean>();
    const mine = new Map<string, boolean>();
    for (const event of recorded) if (event.kind === kind) shapeOf(event.data, theirs);
    for (const event of ours) if (event.kind === kind) shapeOf(event.data, mine);
    // A kind on one side only is already a sequence difference.
    if (theirs.size === 0 || mine.size === 0) continue;
    for (const path of mine.keys()) if (!theirs.has(path)) found.push(`+ ${kind}: ${path}`);
    for (const [path, nullOnly] of theirs) {
      if (mine.has(path) || (spec.sdkFilledNulls && nullOnly)) continue;
      found.push(`- ${kind}: ${path}`);
    }
  }

  const line = (entry: ParsedKnown) => `${entry.side} ${entry.kind}: ${entry.path}`;
  const explained = new Set(known.filter((entry) => entry.path !== undefined).map(line));
  const used = (entry: ParsedKnown) => {
    if (entry.path !== undefined) return found.includes(line(entry));
    // A kind left out is used when there were events of that kind to leave out.
    const side = entry.side === '-' ? recording : emulated;
    return eventsOf(provider, side.body as string).some((event) => kindMatches(entry.kind, event.kind));
  };
  return {
    unexplained: found.filter((difference) => !explained.has(difference)),
    unused: known
      .filter((entry) => !used(entry))
      .map((entry) => `${entry.side} ${entry.kind}: ${entry.path ?? '*'}`),
  };
}

interface ParsedKnown {
  side: '+' | '-';
  kind: string;
  /** Absent: every event of `kind` is left out of the comparison. */
  path?: string;
}

/** `kind: path` names a field (or `headers: name` a header); a bare `kind` a kind of event. */
function parseKnown(entry: Known): ParsedKnown {
  const at = entry.what.indexOf(': ');
  if (at === -1) return { side: entry.side, kind: entry.what };
  return { side: entry.side, kind: entry.what.slice(0, at), path: entry.what.slice(at + 2) };
}

// --- the tests ------------------------------------------------------------------------------

describe('the wire corpus', () => {
  it.each(PROVIDERS)(
    'has a comparison case for every %s recording, and a recording for every case',
    (provider) => {
      expect(Object.keys(CASES[provider]).sort()).toEqual(recordings(provider));
    },
  );
});

describe.each(PROVIDERS)('the emulator against the %s recordings', (provider) => {
  it.each(recordings(provider))('%s: same event kinds in the same order, same fields', async (file) => {
    const spec = CASES[provider][file];
    if (!spec) throw new Error(`no comparison case for ${provider}/${file}`);
    spec.setup(emu);

    const { unexplained, unused } = compare(
      provider,
      readRecording(provider, file),
      await askEmulator(provider, spec),
      spec,
    );

    expect(unexplained, 'differences with no reason listed').toEqual([]);
    expect(unused, 'known differences that no longer occur').toEqual([]);
  });
});
