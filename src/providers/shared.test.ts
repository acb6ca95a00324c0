import { describe, expect, it } from 'vitest';
import { isStrictSchema, ToolCallAssembler } from './shared.js';

describe('ToolCallAssembler', () => {
  it('keeps two whole calls apart when the SDK gave both the default index 0', () => {
    const calls = new ToolCallAssembler();
    calls.add({ index: 0, id: 'a', name: 'f', arguments: '{}' });
    calls.add({ index: 0, id: 'b', name: 'g', arguments: { x: 1 } });
    expect(calls.complete()).toEqual([
      { id: 'a', name: 'f', arguments: {} },
      { id: 'b', name: 'g', arguments: { x: 1 } },
    ]);
  });

  it("treats the id 'null' as no id, continuing the call at that index", () => {
    const calls = new ToolCallAssembler();
    calls.add({ index: 0, id: 'a', name: 'f', arguments: '' });
    calls.add({ index: 0, id: 'null', name: '', arguments: '{"q": 1}' });
    expect(calls.complete()).toEqual([{ id: 'a', name: 'f', arguments: { q: 1 } }]);
    expect(calls.pending).toBe(false);
  });
});

describe('isStrictSchema', () => {
  const obj = (properties: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
    type: 'object',
    properties,
    required: Object.keys(properties),
    additionalProperties: false,
    ...extra,
  });

  it('accepts objects that close their properties and require them all, at every depth', () => {
    expect(
      isStrictSchema(
        obj({ a: { type: 'string' }, b: { type: 'array', items: obj({ c: { type: 'number' } }) } }),
      ),
    ).toBe(true);
    expect(isStrictSchema(obj({ a: { anyOf: [{ type: 'null' }, obj({ d: { type: 'string' } })] } }))).toBe(
      true,
    );
  });

  it('refuses a root that is not an object, an open object, or an optional property', () => {
    expect(isStrictSchema({ type: 'array', items: { type: 'string' } })).toBe(false);
    expect(isStrictSchema({ type: 'object', properties: { a: { type: 'string' } }, required: ['a'] })).toBe(
      false,
    );
    expect(isStrictSchema(obj({ a: { type: 'string' } }, { required: [] }))).toBe(false);
    expect(isStrictSchema(obj({ a: { type: 'object', properties: { b: { type: 'string' } } } }))).toBe(false);
    expect(isStrictSchema(obj({ a: { $ref: '#/$defs/x' } }, { $defs: { x: { type: 'object' } } }))).toBe(
      false,
    );
  });
});
