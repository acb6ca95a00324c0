import { AsyncLocalStorage } from 'node:async_hooks';
import {
  type Context,
  type ContextManager,
  context,
  ROOT_CONTEXT,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import {
  type DataPoint,
  type Histogram,
  MeterProvider,
  MetricReader,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { createRouter, type Router } from 'routeplane';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { instrumentRouter } from '../src/otel/index.js';
import { rejection, useEmulator, useRouters } from './support/harness.js';

/** A minimal AsyncLocalStorage context manager, as `@opentelemetry/context-async-hooks` provides. */
class AlsContextManager implements ContextManager {
  private readonly storage = new AsyncLocalStorage<Context>();
  active(): Context {
    return this.storage.getStore() ?? ROOT_CONTEXT;
  }
  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
    ctx: Context,
    fn: F,
    thisArg?: ThisParameterType<F>,
    ...args: A
  ): ReturnType<F> {
    return this.storage.run(ctx, () => fn.call(thisArg, ...args));
  }
  bind<T>(_ctx: Context, target: T): T {
    return target;
  }
  enable(): this {
    return this;
  }
  disable(): this {
    this.storage.disable();
    return this;
  }
}

/** A reader the test collects from on demand. */
class TestReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

const emu = useEmulator();

let exporter: InMemorySpanExporter;
let tracerProvider: BasicTracerProvider;
let reader: TestReader;
let meterProvider: MeterProvider;
beforeEach(() => {
  exporter = new InMemorySpanExporter();
  tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  reader = new TestReader();
  meterProvider = new MeterProvider({ readers: [reader] });
});
afterEach(async () => {
  await tracerProvider.shutdown();
  await meterProvider.shutdown();
});
// Registered after the hook above, so its afterEach runs first: routers close before the providers shut down.
const routers = useRouters();

const hello = [{ role: 'user' as const, content: 'Hello there' }];

function makeRouter(): Router {
  const router = createRouter({
    providers: emu.providers,
    tenants: {
      acme: { strategy: 'force_model', model: 'claude-sonnet-5-5' },
      fb: { model: 'claude-sonnet-5-5', fallbacks: ['mistral-large-latest'] },
    },
    retry: { retries: 0 },
  });
  routers.push(router);
  return router;
}

const toMs = ([s, ns]: [number, number]) => s * 1e3 + ns / 1e6;
const childrenOf = (spans: ReadableSpan[], parent: ReadableSpan) =>
  spans.filter((s) => s.parentSpanContext?.spanId === parent.spanContext().spanId);

function histogram(metrics: ResourceMetrics, name: string) {
  const found = metrics.scopeMetrics.flatMap((s) => s.metrics).find((m) => m.descriptor.name === name);
  if (!found) throw new Error(`no metric ${name}`);
  return { descriptor: found.descriptor, points: found.dataPoints as DataPoint<Histogram>[] };
}

describe('instrumentRouter', () => {
  it('makes a span per call and per attempt, with the GenAI attributes', async () => {
    const router = makeRouter();
    const otel = instrumentRouter(router, { tracerProvider, meterProvider });
    const result = await router.complete({ tenant: 'acme', messages: hello });

    const spans = exporter.getFinishedSpans();
    const call = spans.find((s) => s.attributes['routeplane.request_id'] === result.id)!;
    expect(call.name).toBe('chat claude-sonnet-5-5');
    expect(call.status.code).toBe(SpanStatusCode.UNSET);
    expect(call.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'anthropic',
      'gen_ai.system': 'anthropic',
      'gen_ai.request.model': 'claude-sonnet-5-5',
      'gen_ai.response.model': 'claude-sonnet-5-5',
      'gen_ai.usage.input_tokens': result.usage.inputTokens,
      'gen_ai.usage.output_tokens': result.usage.outputTokens,
      'routeplane.tenant': 'acme',
      'routeplane.strategy': 'force_model',
      'routeplane.outcome': 'success',
      'routeplane.cost_usd': result.costUsd,
    });
    const attempts = childrenOf(spans, call);
    expect(attempts).toHaveLength(1);
    expect(attempts[0]!.attributes).toMatchObject({
      'gen_ai.request.model': 'claude-sonnet-5-5',
      'gen_ai.provider.name': 'anthropic',
      'routeplane.attempt': 1,
    });
    expect(attempts[0]!.spanContext().traceId).toBe(call.spanContext().traceId);
    // The attempt lies within the call.
    expect(toMs(attempts[0]!.startTime)).toBeGreaterThanOrEqual(toMs(call.startTime) - 1e-3);
    expect(toMs(attempts[0]!.endTime)).toBeLessThanOrEqual(toMs(call.endTime) + 1e-3);
    expect(toMs(call.endTime) - toMs(call.startTime)).toBeCloseTo(result.latencyMs, 0);
    otel.close();
  });

  it('records a fallback as two attempts, the failed one with its error', async () => {
    const router = makeRouter();
    const otel = instrumentRouter(router, { tracerProvider, meterProvider });
    emu.fail('claude-sonnet-5-5', { status: 529 });
    const result = await router.complete({ tenant: 'fb', messages: hello });
    const spans = exporter.getFinishedSpans();
    const call = spans.find((s) => s.attributes['routeplane.request_id'] === result.id)!;
    expect(call.attributes).toMatchObject({
      'gen_ai.request.model': 'claude-sonnet-5-5',
      'gen_ai.response.model': 'mistral-large-latest',
      'gen_ai.provider.name': 'mistral_ai',
      'routeplane.fallbacks': 1,
    });
    const attempts = childrenOf(spans, call).sort((a, b) => toMs(a.startTime) - toMs(b.startTime));
    expect(attempts.map((a) => a.attributes['gen_ai.request.model'])).toEqual([
      'claude-sonnet-5-5',
      'mistral-large-latest',
    ]);
    expect(attempts[0]!.status).toEqual({ code: SpanStatusCode.ERROR, message: 'overloaded' });
    expect(attempts[0]!.attributes).toMatchObject({
      'error.type': 'overloaded',
      'http.response.status_code': 529,
    });
    expect(attempts[1]!.status.code).toBe(SpanStatusCode.UNSET);
    expect(toMs(attempts[0]!.endTime)).toBeLessThanOrEqual(toMs(attempts[1]!.startTime) + 1e-3);
    otel.close();
  });

  it("sets a failed call's span status and error.type", async () => {
    const router = makeRouter();
    const otel = instrumentRouter(router, { tracerProvider, meterProvider });
    emu.fail('claude-sonnet-5-5', { status: 500 });
    const error = await rejection(router.complete({ tenant: 'acme', messages: hello }));
    expect(error.code).toBe('providers_exhausted');
    const denied = await rejection(router.complete({ tenant: 'ghost', messages: hello }));
    expect(denied.code).toBe('tenant_not_found');

    const calls = exporter.getFinishedSpans().filter((s) => s.parentSpanContext === undefined);
    expect(calls).toHaveLength(2);
    const [failed, refused] = calls;
    expect(failed!.status).toEqual({ code: SpanStatusCode.ERROR, message: 'providers_exhausted' });
    expect(failed!.attributes).toMatchObject({
      'routeplane.outcome': 'failed',
      'error.type': 'providers_exhausted',
      'routeplane.tenant': 'acme',
    });
    expect(refused!.status).toEqual({ code: SpanStatusCode.ERROR, message: 'tenant_not_found' });
    expect(refused!.attributes).toMatchObject({
      'routeplane.outcome': 'denied',
      'routeplane.tenant': 'ghost',
    });
    otel.close();
  });

  it('records both GenAI histograms, with error.type on failures', async () => {
    const router = makeRouter();
    const otel = instrumentRouter(router, { tracerProvider, meterProvider });
    const ok = await router.complete({ tenant: 'acme', messages: hello });
    await router.complete({ tenant: 'acme', messages: hello });
    emu.fail('claude-sonnet-5-5', { status: 500 });
    await rejection(router.complete({ tenant: 'acme', messages: hello }));

    const { resourceMetrics } = await reader.collect();
    const tokens = histogram(resourceMetrics, 'gen_ai.client.token.usage');
    expect(tokens.descriptor.unit).toBe('{token}');
    const input = tokens.points.find((p) => p.attributes['gen_ai.token.type'] === 'input')!;
    const output = tokens.points.find((p) => p.attributes['gen_ai.token.type'] === 'output')!;
    expect(input.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'anthropic',
      'gen_ai.request.model': 'claude-sonnet-5-5',
      'gen_ai.response.model': 'claude-sonnet-5-5',
    });
    expect(input.value.count).toBe(2);
    expect(input.value.sum).toBe(2 * ok.usage.inputTokens);
    expect(output.value.sum).toBe(2 * ok.usage.outputTokens);

    const duration = histogram(resourceMetrics, 'gen_ai.client.operation.duration');
    expect(duration.descriptor.unit).toBe('s');
    const good = duration.points.find((p) => p.attributes['error.type'] === undefined)!;
    const bad = duration.points.find((p) => p.attributes['error.type'] === 'providers_exhausted')!;
    expect(good.value.count).toBe(2);
    expect(good.value.sum).toBeGreaterThan(0);
    expect(good.value.sum).toBeLessThan(60);
    expect(bad.value.count).toBe(1);
    expect(bad.attributes).not.toHaveProperty('gen_ai.response.model');
    otel.close();
  });

  it('parents the call span on the context active when the call began, and close() stops', async () => {
    context.setGlobalContextManager(new AlsContextManager());
    try {
      const router = makeRouter();
      const otel = instrumentRouter(router, { tracerProvider, meterProvider });
      const outer = tracerProvider.getTracer('host').startSpan('http request');
      const result = await context.with(trace.setSpan(context.active(), outer), () =>
        router.complete({ tenant: 'acme', messages: hello }),
      );
      outer.end();
      const call = exporter
        .getFinishedSpans()
        .find((s) => s.attributes['routeplane.request_id'] === result.id)!;
      expect(call.parentSpanContext?.spanId).toBe(outer.spanContext().spanId);
      expect(call.spanContext().traceId).toBe(outer.spanContext().traceId);
      otel.close();
      exporter.reset();
      await router.complete({ tenant: 'acme', messages: hello });
      expect(exporter.getFinishedSpans()).toHaveLength(0);
    } finally {
      context.disable();
    }
  });
});
