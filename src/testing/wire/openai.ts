import type { WireFormat } from '../wire.js';

// Placeholder: replaced by the openai wire format.
export const openaiWire: WireFormat = {
  provider: 'openai',
  path: '/v1/chat/completions',
  read: () => ({ invalid: 'not implemented' }),
  json: () => ({}),
  sse: () => [],
  errorBody: (_status, message) => ({ error: { message } }),
};
