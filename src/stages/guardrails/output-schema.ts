import { z } from 'zod';
import type { JSONSchema } from '../../types.js';

/** Something with zod's `safeParse`. */
export interface SafeParser {
  safeParse(value: unknown): { success: boolean };
}

/** Why an answer failed its schema; never its content. */
export type SchemaFailure = 'not_json' | 'mismatch';

function isParser(schema: unknown): schema is SafeParser {
  return typeof (schema as SafeParser).safeParse === 'function';
}

/**
 * Builds the validator of an `outputSchema`: a zod schema is used as it is; a JSON Schema
 * is converted once with `z.fromJSONSchema`. Throws on a JSON Schema zod cannot convert.
 */
export function compileOutputSchema(schema: JSONSchema | SafeParser): SafeParser {
  return isParser(schema) ? schema : z.fromJSONSchema(schema as Parameters<typeof z.fromJSONSchema>[0]);
}

/** Checks an answer's text: undefined when it is JSON matching the schema. */
export function checkOutput(text: string, parser: SafeParser): SchemaFailure | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return 'not_json';
  }
  return parser.safeParse(value).success ? undefined : 'mismatch';
}
