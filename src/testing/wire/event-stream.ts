import { crc32 } from 'node:zlib';

/** The type tag of a string header value in the AWS event-stream encoding. */
const STRING_TYPE = 7;

/**
 * One message of the AWS event-stream binary framing (`application/vnd.amazon.eventstream`),
 * as Bedrock's `InvokeModelWithResponseStream` sends them: a prelude (total length, headers
 * length, the prelude's CRC32), the headers (each a name, the string type tag 7 and a value),
 * the payload, and the CRC32 of everything before it. Integers are big-endian.
 */
export function encodeEventStreamMessage(headers: Record<string, string>, payload: Uint8Array): Uint8Array {
  const encodedHeaders = Buffer.concat(
    Object.entries(headers).map(([name, value]) => {
      const nameBytes = Buffer.from(name, 'utf8');
      const valueBytes = Buffer.from(value, 'utf8');
      const header = Buffer.alloc(1 + nameBytes.length + 1 + 2 + valueBytes.length);
      header.writeUInt8(nameBytes.length, 0);
      nameBytes.copy(header, 1);
      header.writeUInt8(STRING_TYPE, 1 + nameBytes.length);
      header.writeUInt16BE(valueBytes.length, 2 + nameBytes.length);
      valueBytes.copy(header, 4 + nameBytes.length);
      return header;
    }),
  );
  const total = 12 + encodedHeaders.length + payload.length + 4;
  const message = Buffer.alloc(total);
  message.writeUInt32BE(total, 0);
  message.writeUInt32BE(encodedHeaders.length, 4);
  message.writeUInt32BE(crc32(message.subarray(0, 8)), 8);
  encodedHeaders.copy(message, 12);
  message.set(payload, 12 + encodedHeaders.length);
  message.writeUInt32BE(crc32(message.subarray(0, total - 4)), total - 4);
  return new Uint8Array(message.buffer, message.byteOffset, message.length);
}

/** A Bedrock `chunk` event: `{ "bytes": base64 }` of one Anthropic stream event's JSON. */
export function bedrockChunk(data: string): Uint8Array {
  const payload = JSON.stringify({ bytes: Buffer.from(data, 'utf8').toString('base64') });
  return encodeEventStreamMessage(
    { ':event-type': 'chunk', ':content-type': 'application/json', ':message-type': 'event' },
    Buffer.from(payload, 'utf8'),
  );
}

/** A Bedrock exception mid-stream: `:exception-type` in camel case (`throttlingException`), `{ "message" }`. */
export function bedrockException(type: string, message: string): Uint8Array {
  return encodeEventStreamMessage(
    { ':exception-type': type, ':content-type': 'application/json', ':message-type': 'exception' },
    Buffer.from(JSON.stringify({ message }), 'utf8'),
  );
}
