import { HttpError } from './errors.js';

/**
 * Reads a request's JSON body, holding at most `maxBytes` of it: a `content-length` above
 * the cap is refused before reading, and a body without one is read chunk by chunk and
 * cancelled as soon as it passes the cap (413). Invalid UTF-8 or JSON is a 400.
 */
export async function readJsonBody(request: Request, maxBytes: number): Promise<unknown> {
  const tooLarge = () =>
    new HttpError(413, `the request body is larger than the limit of ${maxBytes} bytes`, 'request_too_large');
  const declared = request.headers.get('content-length');
  if (declared !== null && Number(declared) > maxBytes) throw tooLarge();
  if (request.body === null)
    throw new HttpError(400, 'the request has no body: send a JSON object', 'invalid_json');
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      reader.cancel().catch(() => {});
      throw tooLarge();
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new HttpError(400, 'the request body is not valid UTF-8', 'invalid_json');
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new HttpError(
      400,
      `the request body is not valid JSON (${(error as Error).message})`,
      'invalid_json',
    );
  }
}
