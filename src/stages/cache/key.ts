import { hash } from 'node:crypto';
import type { RouteContext } from '../../pipeline/context.js';
import { flatString } from '../../store/keys.js';
import type { Message } from '../../types.js';

/**
 * Everything that changes a call's answer except its messages:
 *
 * - `tenant`: the tenant the call is accounted to (after `resolveTenant`): no answer is
 *   ever shared between tenants.
 * - `policyFingerprint`: a digest of the effective policy, so any policy change (the tenant's,
 *   its tier's or the defaults') invalidates the tenant's entries: allowed models, system
 *   prompt, strategy, split, default response format…; the same on every instance, so a
 *   shared cache (`Store.answers`) is shared (a per-process version number would not be).
 * - the request's `strategy`, `forceModel`, `maxCost` and `role`: they change which model
 *   may answer.
 * - the request's `user`: traffic splits are sticky per (tenant, user), so two users of one
 *   tenant may be routed to different models; and `{{user}}` may be in the system prompt.
 *   Users of one tenant therefore never share entries.
 * - `maxTokens`, `temperature`, `tools`, `toolChoice`, the response format in force
 *   (`ctx.responseFormat`: the request's, else the tenant's default), and `reasoning`.
 *
 * An embed call (`router.embed()`) has a scope of its own, tagged `e`: the tenant, the
 * policy fingerprint, `strategy`, `forceModel`, `maxCost`, `role`, `user` and `dimensions`;
 * its texts are its messages.
 *
 * Not in it: `tags`, `signal`, `timeoutMs` (they do not change the answer), and `vars`
 * (they only reach the model through the system prompt, which is in the messages).
 *
 * Positional: the order is fixed here. Each item is written by `item`, which marks where it
 * ends, so the concatenation is exact: two different scopes never give the same text.
 */
function scopeText(ctx: RouteContext): string {
  const { request } = ctx;
  const common =
    item(ctx.tenant) +
    item(ctx.policy?.fingerprint) +
    item(request.strategy) +
    item(request.forceModel) +
    item(request.maxCost) +
    item(request.role) +
    item(request.user);
  // `router.embed()`: its own scope (what changes its vectors), never equal to a chat call's.
  if (ctx.embed) return `e4|${common}${item(ctx.embed.dimensions)}`;
  return (
    `c4|${common}` +
    item(request.maxTokens) +
    item(request.temperature) +
    item(request.tools) +
    item(request.toolChoice) +
    item(ctx.responseFormat) +
    item(request.reasoning)
  );
}

/**
 * One value of a key, self-delimiting: `u` for absent (undefined or null), a string as
 * `s<length>:<text>`, a number as `n<digits>;`, a boolean as `t` or `f`, anything else as
 * `j<length>:<JSON>`. The tag and the length (or the `;`) say where the item ends, so items
 * written one after another can be read back one by one: the text is exact without escaping
 * the strings, which is most of what `JSON.stringify` would cost here.
 */
function item(value: unknown): string {
  switch (typeof value) {
    case 'undefined':
      return 'u';
    case 'string':
      return `s${value.length}:${value}`;
    case 'number':
      return `n${value};`;
    case 'boolean':
      return value ? 't' : 'f';
    default: {
      if (value === null) return 'u';
      const json = JSON.stringify(value);
      return `j${json.length}:${json}`;
    }
  }
}

/**
 * A message of the key: a message of exactly a role and a text (most are) as `m` and the two
 * items; any other as its JSON (`j`). The two forms never meet: a message with other keys,
 * or parts for content, is only ever written as JSON.
 */
function messageItem(message: Message): string {
  const content = (message as { content?: unknown }).content;
  if (typeof content === 'string') {
    let keys = 0;
    for (const _ in message) keys++;
    if (keys === 2) return `m${item(message.role)}${item(content)}`;
  }
  return item(message);
}

/** Keys up to this length are kept as they are; longer ones as their SHA-256. */
const RAW_KEY_CHARS = 512;

/**
 * The exact-match cache key of a call, for the router's memory: the scope (`scopeText`) and
 * `ctx.messages` as they will be sent (after the input guardrails and the tenant's system
 * prompt), each item self-delimiting, so two different calls never give the same text and no
 * answer can be served for another call. Up to 512 characters the key is that text, which a
 * `Map` compares in full (no hash to compute); a longer one is its SHA-256 (base64url, 43
 * characters, which never hold the `|` every text has at index 2): a long prompt is not kept
 * twice. Messages and tools come out of validation (or the router's stages) with their keys in
 * one order; the same tool schema written with its keys in another order only misses.
 */
export function cacheKey(ctx: RouteContext): string {
  let text = scopeText(ctx);
  const messages = ctx.messages;
  text += `${messages.length};`;
  for (let i = 0; i < messages.length; i++) text += messageItem(messages[i]!);
  return text.length <= RAW_KEY_CHARS ? flatString(text) : sha256(text);
}

/** The key of a call in a shared cache (`Store.answers`): always a SHA-256, never the prompt. */
export function sharedKey(key: string): string {
  return key.charCodeAt(2) === 124 /* '|' */ ? sha256(key) : key;
}

/** The key of everything but the messages: a semantic cache compares prompts only within one scope. */
export function scopeKey(ctx: RouteContext): string {
  return sha256(scopeText(ctx));
}

/** One-shot `crypto.hash` (Node 20.12+): about half the time of `createHash().update().digest()`. */
function sha256(text: string): string {
  return hash('sha256', text, 'base64url');
}
