import { monitorEventLoopDelay } from 'node:perf_hooks';
import { type AuditRecord, createRouter, type Guardrail, type Router, type TenantPolicy } from 'routeplane';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { recordAll, rejection, useEmulator } from './support/harness.js';

const emu = useEmulator();

const MODEL = 'claude-sonnet-5-5';

// Distinctive values: none of them may appear in an event, an error or an audit record.
const EMAIL = 'zelda.quixote7@example-pii.test';
const CARD = '4111 1111 1111 1111';
const IBAN = 'DE89 3704 0044 0532 0130 00';
const SECRET_TERM = 'xyzzyproject';

function routerWith(policy: TenantPolicy, extra: Partial<Parameters<typeof createRouter>[0]> = {}): Router {
  return createRouter({
    providers: emu.providers,
    tenants: { acme: { strategy: 'force_model', model: MODEL, ...policy } },
    ...extra,
  });
}

function sentText(i = 0): string {
  return JSON.stringify(emu.requests[i]!.body);
}

describe('input guardrails', () => {
  it('redacts PII before the provider sees it; no value reaches events, errors or the audit', async () => {
    const router = routerWith({ guardrails: { pii: { action: 'redact' } } });
    const events = recordAll(router);
    emu.respond(MODEL, { text: 'noted' });
    const result = await router.complete({
      tenant: 'acme',
      messages: [{ role: 'user', content: `Mail ${EMAIL}, pay with ${CARD} or IBAN ${IBAN}.` }],
    });
    expect(result.text).toBe('noted');
    expect(sentText()).toContain('Mail [EMAIL], pay with [CARD] or IBAN [IBAN].');
    for (const value of [EMAIL, CARD, IBAN]) expect(sentText()).not.toContain(value);

    expect(events.of('guardrail.triggered')).toEqual([
      expect.objectContaining({
        guardrail: 'pii',
        stage: 'input',
        action: 'redact',
        kinds: ['email', 'card', 'iban'],
      }),
    ]);
    const audit = events.of('audit')[0]!;
    expect(audit).toMatchObject({ outcome: 'success', guardrails: ['pii'] });
    expect(audit.content).toBeUndefined();
    const everything = JSON.stringify(events.all);
    for (const value of [EMAIL, CARD, IBAN, 'zelda']) expect(everything).not.toContain(value);
  });

  it('captureContent puts the redacted prompt and answer in the audit record', async () => {
    const router = routerWith({ captureContent: true, guardrails: { pii: { action: 'redact' } } });
    const events = recordAll(router);
    emu.respond(MODEL, { text: 'I will write to you' });
    await router.complete({ tenant: 'acme', messages: [{ role: 'user', content: `Contact ${EMAIL}` }] });
    const audit = events.of('audit')[0] as AuditRecord;
    expect(audit.content).toEqual({
      messages: [{ role: 'user', content: 'Contact [EMAIL]' }],
      text: 'I will write to you',
    });
    expect(JSON.stringify(events.all)).not.toContain(EMAIL);
  });

  it('denies PII with guardrail_blocked naming the kinds, never the values; no provider call', async () => {
    const router = routerWith({ guardrails: { pii: { action: 'deny', types: ['card'] } } });
    const events = recordAll(router);
    const error = await rejection(
      router.complete({ tenant: 'acme', messages: [{ role: 'user', content: `card ${CARD}, ${EMAIL}` }] }),
    );
    expect(error.code).toBe('guardrail_blocked');
    expect(error.message).toContain("guardrail 'pii'");
    expect(error.message).toContain('card');
    expect(emu.hits()).toBe(0);
    expect(events.of('policy.denied')).toEqual([expect.objectContaining({ code: 'guardrail_blocked' })]);
    expect(events.of('audit')[0]).toMatchObject({
      outcome: 'denied',
      errorCode: 'guardrail_blocked',
      guardrails: ['pii'],
    });
    const everything = JSON.stringify(events.all) + error.message;
    expect(everything).not.toContain(CARD);
    expect(everything).not.toContain(EMAIL);
  });

  it('`types` limits the kinds: an email passes when only cards are checked', async () => {
    const router = routerWith({ guardrails: { pii: { action: 'redact', types: ['card'] } } });
    await router.complete({ tenant: 'acme', messages: [{ role: 'user', content: `${EMAIL} ${CARD}` }] });
    expect(sentText()).toContain(`${EMAIL} [CARD]`);
  });

  it('denies a blocked term in the input, whole words only', async () => {
    const router = routerWith({ guardrails: { blockedTerms: [SECRET_TERM, 'ass'] } });
    const events = recordAll(router);
    await router.complete({ tenant: 'acme', messages: [{ role: 'user', content: 'a first-class answer' }] });
    const error = await rejection(
      router.complete({
        tenant: 'acme',
        messages: [{ role: 'user', content: `About ${SECRET_TERM.toUpperCase()}?` }],
      }),
    );
    expect(error.code).toBe('guardrail_blocked');
    expect(error.message).toContain("guardrail 'blocked-terms'");
    expect(emu.hits()).toBe(1);
    expect(JSON.stringify(events.all).toLowerCase()).not.toContain(SECRET_TERM);
    expect(error.message.toLowerCase()).not.toContain(SECRET_TERM);
  });

  it('takes any string a user can type as a blocked term: hyphens, brackets, backslashes, emoji, RTL', async () => {
    const terms = [
      'self-harm',
      '[draft]',
      'C:\\temp\\x',
      'a|b',
      '(?<x>',
      '🔥 sale',
      'שלום',
      'cafe\u0301',
      '-v',
    ];
    const router = routerWith({ guardrails: { blockedTerms: terms } });
    const clean = 'self harm, draft, C:/temp, a or b, fire sale, shalom, cafe, -- v';
    const ok = await router.complete({ tenant: 'acme', messages: [{ role: 'user', content: clean }] });
    expect(ok.text).toBeTruthy();
    for (const term of terms) {
      const error = await rejection(
        router.complete({
          tenant: 'acme',
          messages: [{ role: 'user', content: `see ${term.toUpperCase()} here` }],
        }),
      );
      expect(error.code, term).toBe('guardrail_blocked');
    }
    expect(emu.hits()).toBe(1);
  });

  it('refuses a blocked term that cannot work when the policy is set, naming the field, never at call time', async () => {
    const blank = { guardrails: { blockedTerms: ['fine', ' \t '] } };
    expect(() => routerWith(blank)).toThrow(
      expect.objectContaining({
        code: 'invalid_config',
        message: expect.stringContaining('tenants.acme.guardrails.blockedTerms[1]'),
      }),
    );
    const router = routerWith({});
    expect(() => router.tenants.set('acme', blank)).toThrow(
      expect.objectContaining({
        code: 'invalid_config',
        message: expect.stringContaining('blockedTerms[1]'),
      }),
    );
    const sourced = createRouter({ providers: emu.providers, tenants: { get: () => blank } });
    const error = await rejection(
      sourced.complete({ tenant: 'acme', messages: [{ role: 'user', content: 'hi' }] }),
    );
    expect(error).toMatchObject({
      code: 'invalid_config',
      message: expect.stringContaining('blockedTerms[1]'),
    });
    expect(emu.hits()).toBe(0);
  });

  it('denies an input above maxInputTokens', async () => {
    const router = routerWith({ guardrails: { maxInputTokens: 50 } });
    await router.complete({ tenant: 'acme', messages: [{ role: 'user', content: 'short' }] });
    const error = await rejection(
      router.complete({ tenant: 'acme', messages: [{ role: 'user', content: 'long '.repeat(40) }] }),
    );
    expect(error.code).toBe('guardrail_blocked');
    expect(error.message).toMatch(/max-input-tokens.*above the tenant's limit of 50/);
    expect(emu.hits()).toBe(1);
  });

  it('explain() runs the input checks, so it refuses what the call would refuse', async () => {
    const router = routerWith({ guardrails: { blockedTerms: [SECRET_TERM] } });
    const error = await rejection(
      router.explain({ tenant: 'acme', messages: [{ role: 'user', content: SECRET_TERM }] }),
    );
    expect(error.code).toBe('guardrail_blocked');
    await expect(
      router.explain({ tenant: 'acme', messages: [{ role: 'user', content: 'hi' }] }),
    ).resolves.toBeDefined();
  });

  it('tier guardrails merge with the tenant ones (one level deep)', async () => {
    const router = createRouter({
      providers: emu.providers,
      tiers: { regulated: { guardrails: { pii: { action: 'redact' }, blockedTerms: [SECRET_TERM] } } },
      tenants: {
        acme: {
          tier: 'regulated',
          strategy: 'force_model',
          model: MODEL,
          guardrails: { maxInputTokens: 500 },
        },
      },
    });
    await router.complete({ tenant: 'acme', messages: [{ role: 'user', content: `mail ${EMAIL}` }] });
    expect(sentText()).toContain('mail [EMAIL]');
    expect(
      (
        await rejection(
          router.complete({ tenant: 'acme', messages: [{ role: 'user', content: SECRET_TERM }] }),
        )
      ).code,
    ).toBe('guardrail_blocked');
    expect(
      (
        await rejection(
          router.complete({ tenant: 'acme', messages: [{ role: 'user', content: 'x'.repeat(600) }] }),
        )
      ).message,
    ).toContain('max-input-tokens');
    expect(emu.hits()).toBe(1);
  });
});

describe('hostile input', () => {
  /** 1 MiB meant to make each PII pattern work hard: near-emails, digit runs, hex groups, IBAN shapes. */
  function adversarialPrompt(): string {
    const pieces = [
      'a@a.a',
      'aa@aa.aa ',
      'x.y-z_w+v%u@',
      `+${'1'.repeat(40)} `,
      `+1${' 1'.repeat(20)}x `,
      '4111 1111 ',
      `4${'1'.repeat(30)} `,
      '078-05-1120-',
      'DE89 ABCD EFGH IJKL ',
      `${'1:'.repeat(12)} `,
      `${'ab:'.repeat(12)}: `,
      '1.1.1.1.',
      `a@${'a-'.repeat(40)} `,
      `a@${'a.'.repeat(40)} `,
    ];
    const share = Math.ceil((1 << 20) / pieces.length);
    return pieces.map((p) => p.repeat(Math.ceil(share / p.length)).slice(0, share)).join('\n');
  }

  it('redacts PII in a 1 MB adversarial prompt without blocking the event loop (max delay under 1 s)', async () => {
    const router = routerWith(
      { model: 'huge', guardrails: { pii: { action: 'redact' }, blockedTerms: ['self-harm', 'c++'] } },
      {
        models: [
          {
            id: 'huge',
            provider: 'openai',
            model: 'huge-up',
            contextWindow: 8_000_000,
            pricing: { inputPerMTok: 0, outputPerMTok: 0 },
          },
        ],
      },
    );
    // Warm up (SDK load, first connection), so the measure is of this call's own work.
    await router.complete({ tenant: 'acme', messages: [{ role: 'user', content: 'hi' }] });
    const prompt = adversarialPrompt();
    const tick = () => new Promise((resolve) => setTimeout(resolve, 20));
    const delay = monitorEventLoopDelay({ resolution: 5 });
    delay.enable();
    await tick(); // the monitor records from its first tick on
    const result = await router.complete({ tenant: 'acme', messages: [{ role: 'user', content: prompt }] });
    await tick();
    delay.disable();
    expect(result.text).toBeTruthy();
    const sent = sentText(1);
    expect(sent).toContain('[EMAIL]');
    expect(sent).not.toContain('aa@aa.aa');
    // A linear scan of this input blocks for tens of ms (up to ~600 ms seen on a machine
    // shared with other jobs); the bound is there to catch a scan that is not linear.
    expect(delay.max / 1e6).toBeLessThan(1_000);
  });

  it('refuses as invalid_request, naming the limit, an input too large to scan (2 MiB of text)', async () => {
    const router = routerWith({ guardrails: { pii: { action: 'redact' } } });
    const half = 'x'.repeat(1 << 20);
    const error = await rejection(
      router.explain({
        tenant: 'acme',
        messages: [
          { role: 'system', content: half },
          { role: 'user', content: `${half}!` },
        ],
      }),
    );
    expect(error.code).toBe('invalid_request');
    expect(error.message).toContain('2,097,152');
    expect(error.message).toContain('guardrails');
    // At the limit the text is scanned; without guardrails that scan text there is no limit.
    await expect(
      router.explain({ tenant: 'acme', messages: [{ role: 'user', content: `${half}${half}` }] }),
    ).resolves.toMatchObject({ chosen: MODEL });
    const unguarded = routerWith({ guardrails: { maxInputTokens: 10_000_000 } });
    await expect(
      unguarded.explain({ tenant: 'acme', messages: [{ role: 'user', content: `${half}${half}!` }] }),
    ).resolves.toMatchObject({ chosen: MODEL });
  });
});

describe('output guardrails', () => {
  it('denies a blocked term in a complete answer (after the call, which was paid)', async () => {
    const router = routerWith({ guardrails: { blockedTerms: [SECRET_TERM] } });
    const events = recordAll(router);
    emu.respond(MODEL, { text: `the codename is ${SECRET_TERM} indeed` });
    const error = await rejection(
      router.complete({ tenant: 'acme', messages: [{ role: 'user', content: 'hi' }] }),
    );
    expect(error.code).toBe('guardrail_blocked');
    expect(error.message).toContain('refused the output');
    expect(emu.hits()).toBe(1);
    expect(events.of('guardrail.triggered')).toEqual([
      expect.objectContaining({ guardrail: 'blocked-terms', stage: 'output', action: 'deny' }),
    ]);
    expect((await router.usage('acme')).spentUsd).toBeGreaterThan(0);
    expect(JSON.stringify(events.all)).not.toContain(SECRET_TERM);
  });

  it('stops a stream when a blocked term arrives, even split across parts: error part', async () => {
    const router = routerWith({ guardrails: { blockedTerms: ['project falcon'] } });
    const events = recordAll(router);
    emu.respond(MODEL, { text: 'one two project falcon three four five six' });
    const stream = router.stream({ tenant: 'acme', messages: [{ role: 'user', content: 'hi' }] });
    const seen: string[] = [];
    const error = await rejection(
      (async () => {
        for await (const part of stream) seen.push(part.type === 'text' ? part.text : part.type);
      })(),
    );
    expect(error.code).toBe('guardrail_blocked');
    expect(seen.at(-1)).toBe('error');
    const text = seen.slice(0, -1).join('');
    expect(text).not.toContain('falcon');
    expect(text).not.toContain('three');
    expect((await rejection(stream.result)).code).toBe('guardrail_blocked');
    expect(events.of('audit')[0]).toMatchObject({
      outcome: 'denied',
      stream: true,
      guardrails: ['blocked-terms'],
    });
    expect(JSON.stringify(events.all)).not.toContain('falcon');
  });

  it('lets a clean stream through unchanged', async () => {
    const router = routerWith({ guardrails: { blockedTerms: ['ass'] } });
    emu.respond(MODEL, { text: 'a first class assessment' });
    const stream = router.stream({ tenant: 'acme', messages: [{ role: 'user', content: 'hi' }] });
    const types: string[] = [];
    for await (const part of stream) types.push(part.type);
    expect(types.at(-1)).toBe('finish');
    expect((await stream.result).text).toBe('a first class assessment');
  });

  const person = {
    type: 'object',
    properties: { name: { type: 'string' }, age: { type: 'integer' } },
    required: ['name', 'age'],
  };

  for (const [label, outputSchema] of [
    ['a JSON Schema', person],
    ['a zod schema', z.object({ name: z.string(), age: z.number().int() })],
  ] as const) {
    it(`validates structured output with ${label}`, async () => {
      const router = routerWith({ guardrails: { outputSchema } });
      emu.respond(
        MODEL,
        { text: '{"name":"Ada","age":36}' },
        { text: '{"name":"Ada"}' },
        { text: 'Sure: Ada, 36' },
      );
      const ok = await router.complete({ tenant: 'acme', messages: [{ role: 'user', content: 'who' }] });
      expect(JSON.parse(ok.text)).toEqual({ name: 'Ada', age: 36 });
      const mismatch = await rejection(
        router.complete({ tenant: 'acme', messages: [{ role: 'user', content: 'who' }] }),
      );
      expect(mismatch.code).toBe('guardrail_blocked');
      expect(mismatch.message).toContain('does not match');
      const notJson = await rejection(
        router.complete({ tenant: 'acme', messages: [{ role: 'user', content: 'who' }] }),
      );
      expect(notJson.message).toContain('not valid JSON');
    });
  }

  it('skips the schema check for an answer that only calls tools', async () => {
    const router = routerWith({ guardrails: { outputSchema: person } });
    emu.respond(MODEL, { toolCalls: [{ id: 'c1', name: 'lookup', arguments: { q: 'x' } }] });
    const tools = [{ name: 'lookup', parameters: { type: 'object', properties: { q: { type: 'string' } } } }];
    const result = await router.complete({
      tenant: 'acme',
      tools,
      messages: [{ role: 'user', content: 'who' }],
    });
    expect(result.finishReason).toBe('tool_calls');
  });

  it('checks the schema of a stream at its end, before the finish part', async () => {
    const router = routerWith({ guardrails: { outputSchema: person } });
    emu.respond(MODEL, { text: '{"name": "Ada", "age": "old"}' });
    const stream = router.stream({ tenant: 'acme', messages: [{ role: 'user', content: 'who' }] });
    const types: string[] = [];
    const error = await rejection(
      (async () => {
        for await (const part of stream) types.push(part.type);
      })(),
    );
    expect(error.code).toBe('guardrail_blocked');
    expect(types).not.toContain('finish');
    expect(types.at(-1)).toBe('error');
  });
});

describe('custom guardrails', () => {
  it('run in order, async, per stage: input redaction reaches the provider, output redaction the caller', async () => {
    const calls: string[] = [];
    const custom: Guardrail[] = [
      {
        name: 'ticket-ids',
        stage: 'input',
        async check({ messages }) {
          calls.push('ticket-ids');
          await new Promise((r) => setTimeout(r, 5));
          const redacted = messages.map((m) =>
            m.role === 'user' && typeof m.content === 'string'
              ? { ...m, content: m.content.replace(/TCK-\d+/g, '[TICKET]') }
              : m,
          );
          return { action: 'redact', messages: redacted };
        },
      },
      {
        name: 'sees-redacted',
        stage: 'input',
        check({ messages }) {
          calls.push('sees-redacted');
          return JSON.stringify(messages).includes('TCK-')
            ? { action: 'deny', reason: 'unredacted ticket' }
            : { action: 'allow' };
        },
      },
      {
        name: 'no-shouting',
        stage: 'output',
        async check({ text, stage }) {
          calls.push(`no-shouting:${stage}`);
          return { action: 'redact', text: text!.toLowerCase() };
        },
      },
    ];
    const router = routerWith({ captureContent: true, guardrails: { custom } });
    const events = recordAll(router);
    emu.respond(MODEL, { text: 'HELLO THERE' });
    const result = await router.complete({
      tenant: 'acme',
      messages: [{ role: 'user', content: 'About TCK-98765' }],
    });
    expect(calls).toEqual(['ticket-ids', 'sees-redacted', 'no-shouting:output']);
    expect(sentText()).toContain('About [TICKET]');
    expect(result.text).toBe('hello there');
    const audit = events.of('audit')[0]!;
    expect(audit.guardrails).toEqual(['ticket-ids', 'no-shouting']);
    expect(audit.content).toEqual({
      messages: [{ role: 'user', content: 'About [TICKET]' }],
      text: 'hello there',
    });
    expect(JSON.stringify(events.all)).not.toContain('TCK-98765');
  });

  it('a deny stops the call with the guardrail named; later guardrails do not run', async () => {
    let later = false;
    const router = routerWith({
      guardrails: {
        custom: [
          {
            name: 'office-hours',
            stage: 'input',
            check: async () => ({ action: 'deny', reason: 'outside office hours' }),
          },
          {
            name: 'later',
            stage: 'input',
            check: () => {
              later = true;
              return { action: 'allow' };
            },
          },
        ],
      },
    });
    const error = await rejection(
      router.complete({ tenant: 'acme', messages: [{ role: 'user', content: 'hi' }] }),
    );
    expect(error.code).toBe('guardrail_blocked');
    expect(error.message).toBe("guardrail 'office-hours' refused the input: outside office hours");
    expect(later).toBe(false);
    expect(emu.hits()).toBe(0);
  });
});
