import type Anthropic from '@anthropic-ai/sdk';
import { parseToolArguments } from '../shared.js';
import type { ProviderStreamPart } from '../types.js';
import { type AnthropicUsage, toFinishReason, toUsage } from './response.js';

interface ToolBlock {
  id: string;
  name: string;
  /** The `input_json_delta` pieces so far. */
  json: string;
  /** The input the block started with, used when no delta follows. */
  input: unknown;
}

/**
 * Turns the raw events of a Messages API stream into stream parts, one event at a time:
 * a `text` part per `text_delta`, a `tool-call` part when a `tool_use` block stops (its input
 * assembled from the `input_json_delta` pieces), and one `finish` part at `message_stop`, with
 * the input usage of `message_start` and the cumulative output usage of `message_delta`.
 * Events it does not know (thinking, server tools, new event types) yield nothing.
 */
export class AnthropicStreamMapper {
  private usage: AnthropicUsage = {};
  private stopReason: string | null = null;
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
        this.usage = { ...event.message.usage };
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
        this.mergeUsage(event.usage);
        return undefined;
      case 'message_stop':
        this.stopped = true;
        return { type: 'finish', finishReason: toFinishReason(this.stopReason), usage: toUsage(this.usage) };
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

  /** `message_delta` counts are cumulative; a field it leaves null keeps `message_start`'s value. */
  private mergeUsage(delta: AnthropicUsage): void {
    const usage = this.usage;
    if (typeof delta.output_tokens === 'number') usage.output_tokens = delta.output_tokens;
    if (typeof delta.input_tokens === 'number') usage.input_tokens = delta.input_tokens;
    if (typeof delta.cache_read_input_tokens === 'number')
      usage.cache_read_input_tokens = delta.cache_read_input_tokens;
    if (typeof delta.cache_creation_input_tokens === 'number') {
      usage.cache_creation_input_tokens = delta.cache_creation_input_tokens;
    }
  }
}
