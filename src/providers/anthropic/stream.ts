import type Anthropic from '@anthropic-ai/sdk';
import { IncompleteStreamError } from '../classify.js';
import { parseToolArguments } from '../shared.js';
import type { ProviderStreamPart } from '../types.js';
import { type AnthropicUsage, refusalText, toFinishReason, toUsage } from './response.js';

interface ToolBlock {
  id: string;
  name: string;
  /** The `input_json_delta` pieces so far. */
  json: string;
  /** The input the block started with, used when no delta follows. */
  input: unknown;
}

/**
 * Maps a Messages API stream with an `AnthropicStreamMapper`. A failure after `message_stop`
 * loses nothing, so it ends the stream quietly. Throws `IncompleteStreamError` when the
 * events end before `message_stop`: the SDK ends a stream quietly when its signal aborts,
 * and a cut connection can end it too.
 */
export async function* fromEvents(
  events: AsyncIterable<Anthropic.RawMessageStreamEvent>,
): AsyncGenerator<ProviderStreamPart, void, undefined> {
  const mapper = new AnthropicStreamMapper();
  try {
    for await (const event of events) {
      const part = mapper.read(event);
      if (part) yield part;
    }
  } catch (error) {
    if (mapper.finished) return;
    throw error;
  }
  if (!mapper.finished) throw new IncompleteStreamError('the stream ended before message_stop');
}

/**
 * Turns the raw events of a Messages API stream into stream parts, one event at a time:
 * a `text` part per `text_delta`, a `tool-call` part when a `tool_use` block stops (its input
 * assembled from the `input_json_delta` pieces), and one `finish` part at `message_stop`.
 *
 * Usage: `message_start` gives a first count; `message_delta` repeats and revises it (input,
 * cache reads and writes, output, thinking), and its values, being cumulative, replace the
 * earlier ones field by field. A stream that reported no usage anywhere finishes with
 * `usageReported: false`. A `refusal` stop carries `stop_details.explanation` as `refusal`.
 * Events it does not know (thinking, signatures, server tools, ping, new event types) yield
 * nothing.
 */
export class AnthropicStreamMapper {
  private usage: AnthropicUsage = {};
  private usageReported = false;
  private stopReason: string | null = null;
  private stopDetails: unknown;
  private readonly toolBlocks = new Map<number, ToolBlock>();
  private stopped = false;

  /** True once `message_stop` was read: the answer is complete. */
  get finished(): boolean {
    return this.stopped;
  }

  /** The part this event completes, if any. */
  read(event: Anthropic.RawMessageStreamEvent): ProviderStreamPart | undefined {
    switch (event.type) {
      case 'message_start':
        if (event.message.usage) {
          this.usage = { ...event.message.usage };
          this.usageReported = true;
        }
        return undefined;
      case 'content_block_start':
        if (event.content_block.type === 'tool_use') {
          const { id, name, input } = event.content_block;
          this.toolBlocks.set(event.index, { id, name, json: '', input });
        }
        return undefined;
      case 'content_block_delta':
        return this.readDelta(event);
      case 'content_block_stop':
        return this.closeBlock(event.index);
      case 'message_delta':
        this.stopReason = event.delta.stop_reason;
        this.stopDetails = (event.delta as { stop_details?: unknown }).stop_details;
        if (event.usage) {
          this.mergeUsage(event.usage);
          this.usageReported = true;
        }
        return undefined;
      case 'message_stop': {
        this.stopped = true;
        const refusal = refusalText(this.stopReason, this.stopDetails);
        return {
          type: 'finish',
          finishReason: toFinishReason(this.stopReason),
          usage: toUsage(this.usage),
          ...(refusal !== undefined && { refusal }),
          ...(!this.usageReported && { usageReported: false }),
        };
      }
      default:
        return undefined;
    }
  }

  private readDelta(event: Anthropic.RawContentBlockDeltaEvent): ProviderStreamPart | undefined {
    const { delta } = event;
    if (delta.type === 'text_delta')
      return delta.text === '' ? undefined : { type: 'text', text: delta.text };
    if (delta.type === 'input_json_delta') {
      const block = this.toolBlocks.get(event.index);
      if (block) block.json += delta.partial_json;
    }
    return undefined;
  }

  private closeBlock(index: number): ProviderStreamPart | undefined {
    const block = this.toolBlocks.get(index);
    if (!block) return undefined;
    this.toolBlocks.delete(index);
    const input = block.json === '' ? block.input : block.json;
    return {
      type: 'tool-call',
      toolCall: { id: block.id, name: block.name, arguments: parseToolArguments(input) },
    };
  }

  /**
   * `message_delta` counts are cumulative and final; a field it leaves out or null keeps the
   * earlier value. The split of cache writes by lifetime (`cache_creation`) comes with
   * `message_start` only, so it is kept as given there.
   */
  private mergeUsage(delta: AnthropicUsage): void {
    const usage = this.usage;
    if (typeof delta.output_tokens === 'number') usage.output_tokens = delta.output_tokens;
    if (typeof delta.input_tokens === 'number') usage.input_tokens = delta.input_tokens;
    if (typeof delta.cache_read_input_tokens === 'number')
      usage.cache_read_input_tokens = delta.cache_read_input_tokens;
    if (typeof delta.cache_creation_input_tokens === 'number') {
      usage.cache_creation_input_tokens = delta.cache_creation_input_tokens;
    }
    if (delta.cache_creation) usage.cache_creation = delta.cache_creation;
    if (delta.output_tokens_details) usage.output_tokens_details = delta.output_tokens_details;
  }
}
