import { describe, expect, it } from 'vitest';
import { ToolCallAssembler } from './shared.js';

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
