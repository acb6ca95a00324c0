import type { ProviderStreamPart } from '../providers/types.js';
import type { Usage } from '../types.js';
import type { RouteContext } from './context.js';

/**
 * For stages that settle after the call: runs `settle` with the call's usage once the answer
 * is complete — at once for `complete`, when the stream ends for `stream`. The usage is
 * undefined when it is unknown: the stream did not end normally, or the provider reported
 * none (`usageReported: false`), which must never read as a free answer.
 */
export async function afterAnswer(
  ctx: RouteContext,
  settle: (usage: Usage | undefined) => Promise<void>,
): Promise<void> {
  if (ctx.mode === 'complete') {
    const response = ctx.response;
    await settle(response?.usageReported === false ? undefined : response?.usage);
    return;
  }
  const inner = ctx.stream;
  if (inner === undefined) return;
  ctx.stream = {
    async *[Symbol.asyncIterator]() {
      let usage: Usage | undefined;
      let ended = false;
      try {
        for await (const part of inner as AsyncIterable<ProviderStreamPart>) {
          if (part.type === 'finish') usage = part.usageReported === false ? undefined : part.usage;
          yield part;
        }
        ended = true;
      } finally {
        await settle(ended ? usage : undefined);
      }
    },
  };
}
