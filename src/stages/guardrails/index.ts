import { RouterError } from '../../errors.js';
import { onAnswer } from '../../pipeline/answer.js';
import type { Middleware } from '../../pipeline/compose.js';
import type { RouteContext } from '../../pipeline/context.js';
import { inputTokensOf } from '../../pipeline/estimate.js';
import type { Guardrail, Guardrails, PiiType } from '../../pipeline/policy.js';
import type { TermMatcher } from './blocked-terms.js';
import { rewriteMessageText, someMessageText } from './messages.js';
import { checkOutput, type SafeParser } from './output-schema.js';
import { redactPii } from './pii.js';

/**
 * The tenant's guardrails (`policy.guardrails`, tier and tenant fields merged).
 *
 * Input, before the call, on `ctx.messages` (the caller's messages; the system prompt is
 * added after this stage), in this order: `maxInputTokens`, the scan size limit
 * (`MAX_SCANNED_INPUT_CHARS`, with `blockedTerms` or `pii`), `blockedTerms`, `pii`, then the
 * `custom` guardrails of stage `input` in their order. A redaction replaces `ctx.messages`, so
 * the provider, the cache key and the captured audit content all see the redacted text. A
 * denial throws `guardrail_blocked` (audited as `denied`; no provider is called). `explain()`
 * runs the input checks too, so it refuses what the call would refuse.
 *
 * Output, after the call: `blockedTerms`, `outputSchema` (the answer must be JSON and match),
 * then the `custom` guardrails of stage `output`. PII detection applies to the input only; an
 * answer that only calls tools skips the schema check.
 * - complete: checks `ctx.response.content`; a redaction rewrites it; a denial throws
 *   `guardrail_blocked`. The call has already cost money: the budget stage, inside this one,
 *   has settled its actual cost before the check runs.
 * - stream: blocked terms are checked as text arrives (a short tail of earlier text is kept,
 *   so a term split across two parts is caught); on a hit the stream stops, the provider
 *   stream is closed, and the wrapped iterator throws `guardrail_blocked`, which the caller
 *   receives as an `error` part. Text parts already delivered stay delivered (the part holding
 *   the term is not). The schema and the custom output guardrails run on the whole text when
 *   the provider finishes, before the `finish` part; a custom `redact` cannot rewrite text
 *   already sent, so on a stream it fails closed as a denial.
 *
 * `router.embed()`: the input checks apply to its texts (one user message each: a
 * redaction replaces the text sent to the provider, a denial refuses the whole call); there
 * is no output to check.
 *
 * Every action emits `guardrail.triggered` and adds the guardrail's name to the audit's
 * `guardrails`; neither, nor any error message, ever holds the matched text. A policy without
 * guardrails skips the stage at no cost.
 */
export const guardrailsStage: Middleware<RouteContext> = (ctx, next) => {
  const guardrails = ctx.policy?.guardrails;
  // Not an async function: a policy without guardrails passes through without a promise of its own.
  return guardrails ? guarded(ctx, next, guardrails) : next();
};

async function guarded(ctx: RouteContext, next: () => Promise<void>, guardrails: Guardrails): Promise<void> {
  await checkInput(ctx, guardrails);
  await next();
  // Vectors have no text to check: an embed call's guardrails are its input's.
  if (ctx.mode === 'explain' || ctx.mode === 'embed') return;

  const terms = ctx.policy!.termMatcher;
  const schema = ctx.policy!.outputParser;
  const custom = guardrails.custom?.filter((g) => g.stage === 'output');
  if (!terms && !schema && !custom?.length) return;

  // A stream is scanned for terms as its text passes; a complete answer all at once at the end.
  const scanner = ctx.mode === 'stream' ? terms?.scanner() : undefined;
  await onAnswer(ctx, {
    ...(scanner && {
      part: (part) => {
        if (part.type === 'text' && scanner.push(part.text))
          deny(ctx, 'blocked-terms', 'output', BLOCKED_OUTPUT);
      },
    }),
    end: async (answer) => {
      if (!answer) return;
      // An answer that only calls tools has no structured output to check.
      const toolCallsOnly = !answer.content && (answer.toolCalls?.length ?? 0) > 0;
      const outputSchema = toolCallsOnly ? undefined : schema;
      if (ctx.mode === 'stream') {
        if (scanner?.end()) deny(ctx, 'blocked-terms', 'output', BLOCKED_OUTPUT);
        await checkText(ctx, answer.content, undefined, outputSchema, custom, true);
        return;
      }
      const content = await checkText(ctx, answer.content, terms, outputSchema, custom, false);
      // A new object: the cache may hold the provider's one.
      if (content !== answer.content) ctx.response = { ...answer, content };
    },
  });
}

const BLOCKED_INPUT =
  'the input contains a term blocked by the tenant policy; rephrase the request without it';
const BLOCKED_OUTPUT =
  'the answer contains a term blocked by the tenant policy; the answer was withheld, rephrase the request or retry';

async function checkInput(ctx: RouteContext, guardrails: Guardrails): Promise<void> {
  const max = guardrails.maxInputTokens;
  if (max !== undefined) {
    const estimated = inputTokensOf(ctx);
    if (estimated > max) {
      deny(
        ctx,
        'max-input-tokens',
        'input',
        `the input is estimated at ${estimated} tokens, above the tenant's limit of ${max} (guardrails.maxInputTokens); shorten the conversation`,
      );
    }
  }

  if (guardrails.blockedTerms || guardrails.pii) checkScanSize(ctx);

  if (guardrails.blockedTerms) {
    const terms = ctx.policy!.termMatcher;
    if (terms && someMessageText(ctx.messages, terms.test))
      deny(ctx, 'blocked-terms', 'input', BLOCKED_INPUT);
  }

  const pii = guardrails.pii;
  if (pii) {
    const kinds = new Set<PiiType>();
    const redacted = rewriteMessageText(ctx.messages, (text) => {
      const out = redactPii(text, pii.types);
      for (const kind of out.kinds) kinds.add(kind);
      return out.text;
    });
    if (redacted) {
      const found = [...kinds];
      if (pii.action === 'deny') {
        deny(
          ctx,
          'pii',
          'input',
          `the input contains personal data (${found.join(', ')}); remove it, or set guardrails.pii.action to 'redact'`,
          found,
        );
      }
      ctx.messages = redacted;
      triggered(ctx, 'pii', 'input', 'redact', found);
    }
  }

  for (const guardrail of guardrails.custom ?? []) {
    if (guardrail.stage !== 'input') continue;
    const verdict = await guardrail.check({
      tenant: ctx.tenant,
      user: ctx.request.user,
      stage: 'input',
      messages: ctx.messages,
    });
    if (verdict.action === 'deny') denyCustom(ctx, guardrail, verdict.reason);
    else if (verdict.action === 'redact') {
      if (verdict.messages) ctx.messages = verdict.messages;
      triggered(ctx, guardrail.name, 'input', 'redact');
    }
  }
}

/**
 * The most text, in UTF-16 code units summed over the messages, that the built-in input
 * scanners (`pii`, `blockedTerms`) take in one call: 2 MiB, about 500,000 tokens of prose.
 * Scanning is linear, but it runs on the event loop, where every other call waits for it:
 * about 60 ms per MiB for text made to be hard (one AMD EPYC server core), so a call at the
 * limit holds the loop for about an eighth of a second. A larger input is refused as
 * `invalid_request` before any scan; a tenant without these two guardrails has no such limit.
 */
export const MAX_SCANNED_INPUT_CHARS = 2 * 1024 * 1024;

function checkScanSize(ctx: RouteContext): void {
  let total = 0;
  someMessageText(ctx.messages, (text) => {
    total += text.length;
    return false;
  });
  if (total <= MAX_SCANNED_INPUT_CHARS) return;
  throw new RouterError(
    'invalid_request',
    `the input holds ${total.toLocaleString('en-US')} characters of text, above the ${MAX_SCANNED_INPUT_CHARS.toLocaleString('en-US')} (2 MiB) that the tenant's guardrails (pii, blockedTerms) scan in one call; shorten the input`,
    { tenant: ctx.tenant, requestId: ctx.requestId },
  );
}

/** The output checks of a whole text; returns it, rewritten by custom redactions. */
async function checkText(
  ctx: RouteContext,
  text: string,
  terms: TermMatcher | undefined,
  schema: SafeParser | undefined,
  custom: Guardrail[] | undefined,
  streamed: boolean,
): Promise<string> {
  if (terms?.test(text)) deny(ctx, 'blocked-terms', 'output', BLOCKED_OUTPUT);
  if (schema) {
    const failure = checkOutput(text, schema);
    if (failure) {
      deny(
        ctx,
        'output-schema',
        'output',
        failure === 'not_json'
          ? 'the answer is not valid JSON, as guardrails.outputSchema requires; ask for JSON (responseFormat) or retry'
          : 'the answer does not match guardrails.outputSchema; retry, or pass the schema as responseFormat',
      );
    }
  }
  let out = text;
  for (const guardrail of custom ?? []) {
    const verdict = await guardrail.check({
      tenant: ctx.tenant,
      user: ctx.request.user,
      stage: 'output',
      messages: ctx.messages,
      text: out,
    });
    if (verdict.action === 'deny') denyCustom(ctx, guardrail, verdict.reason);
    else if (verdict.action === 'redact') {
      if (streamed) {
        deny(
          ctx,
          guardrail.name,
          'output',
          `guardrail '${guardrail.name}' asked to redact a streamed answer, whose text was already sent; the stream was stopped (use complete() for output redaction)`,
        );
      }
      if (verdict.text !== undefined) out = verdict.text;
      triggered(ctx, guardrail.name, 'output', 'redact');
    }
  }
  return out;
}

function denyCustom(ctx: RouteContext, guardrail: Guardrail, reason: string): never {
  deny(ctx, guardrail.name, guardrail.stage, reason);
}

/** Records the denial and throws `guardrail_blocked`. */
function deny(
  ctx: RouteContext,
  guardrail: string,
  stage: 'input' | 'output',
  message: string,
  kinds?: string[],
): never {
  triggered(ctx, guardrail, stage, 'deny', kinds);
  throw new RouterError('guardrail_blocked', `guardrail '${guardrail}' refused the ${stage}: ${message}`, {
    tenant: ctx.tenant,
    requestId: ctx.requestId,
  });
}

function triggered(
  ctx: RouteContext,
  guardrail: string,
  stage: 'input' | 'output',
  action: 'redact' | 'deny',
  kinds?: string[],
): void {
  if (!ctx.guardrailsTriggered.includes(guardrail)) ctx.guardrailsTriggered.push(guardrail);
  ctx.services.emit('guardrail.triggered', () => ({
    requestId: ctx.requestId,
    tenant: ctx.tenant,
    timestamp: ctx.services.now(),
    guardrail,
    stage,
    action,
    ...(kinds !== undefined && { kinds }),
  }));
}
