import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { checkOutput, compileOutputSchema } from './output-schema.js';

const jsonSchema = {
  type: 'object',
  properties: { name: { type: 'string' }, age: { type: 'integer', minimum: 0 } },
  required: ['name', 'age'],
};

describe('output schema', () => {
  it('checks JSON validity and a JSON Schema', () => {
    const parser = compileOutputSchema(jsonSchema);
    expect(checkOutput('{"name":"Ada","age":36}', parser)).toBeUndefined();
    expect(checkOutput('{"name":"Ada"}', parser)).toBe('mismatch');
    expect(checkOutput('{"name":"Ada","age":-1}', parser)).toBe('mismatch');
    expect(checkOutput('Sure! {"name":"Ada","age":36}', parser)).toBe('not_json');
    expect(checkOutput('', parser)).toBe('not_json');
  });

  it('uses a zod schema as it is', () => {
    const schema = z.object({ ok: z.literal(true) });
    expect(compileOutputSchema(schema)).toBe(schema);
    expect(checkOutput('{"ok":true}', schema)).toBeUndefined();
    expect(checkOutput('{"ok":false}', schema)).toBe('mismatch');
  });
});
