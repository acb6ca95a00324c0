import { describe, expect, it } from 'vitest';
import { compileTemplate } from './template.js';

describe('system prompt templates', () => {
  it('fill tenant, user and vars', () => {
    const render = compileTemplate('You serve {{tenant}} for {{ user }} in {{vars.lang}}.', 'p');
    expect(render({ tenant: 'acme', user: 'u-1', vars: { lang: 'French' } })).toEqual({
      text: 'You serve acme for u-1 in French.',
    });
  });

  it('name the missing value instead of rendering a hole', () => {
    const render = compileTemplate('{{vars.lang}} for {{user}}', 'p');
    expect(render({ tenant: 't', user: 'u', vars: {} })).toEqual({ missing: 'vars.lang' });
    expect(render({ tenant: 't', user: undefined, vars: { lang: 'x' } })).toEqual({ missing: 'user' });
  });

  it('refuse an unknown placeholder when compiled', () => {
    expect(() => compileTemplate('Hi {{tenantt}}', 'tenants.acme.systemPrompt')).toThrow(
      'tenants.acme.systemPrompt: unknown placeholder {{tenantt}}',
    );
  });

  it('leave text without placeholders as it is', () => {
    expect(compileTemplate('plain {text}', 'p')({ tenant: 't', user: undefined, vars: undefined })).toEqual({
      text: 'plain {text}',
    });
  });
});
