import type { WireFormat } from '../wire.js';

// Placeholder: replaced by the anthropic wire format.
export const anthropicWire: WireFormat = {
  provider: 'anthropic',
  path: '/v1/chat/completions',
  read: () => ({ invalid: 'not implemented' }),
  json: () => ({}),
  sse: () => [],
  errorBody: (_status, message) => ({ error: { message } }),
};
