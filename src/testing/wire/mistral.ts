import type { WireFormat } from '../wire.js';

// Placeholder: replaced by the mistral wire format.
export const mistralWire: WireFormat = {
  provider: 'mistral',
  path: '/v1/chat/completions',
  read: () => ({ invalid: 'not implemented' }),
  json: () => ({}),
  sse: () => [],
  errorBody: (_status, message) => ({ error: { message } }),
};
