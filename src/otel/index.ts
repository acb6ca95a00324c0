/**
 * OpenTelemetry bridge: spans and GenAI metrics from a router's events. Imports only
 * `@opentelemetry/api` (an optional peer dependency); bring your own SDK.
 *
 * @module routeplane/otel
 */
import {
  type Attributes,
  type Context,
  context,
  type Histogram,
  type Meter,
  type MeterProvider,
  metrics,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  type TracerProvider,
  trace,
} from '@opentelemetry/api';
import type {
  AuditRecord,
  RequestCompletedEvent,
  RequestStartedEvent,
  RouteDecidedEvent,
} from '../events/types.js';
import type { Router } from '../router.js';

/** Options of `instrumentRouter()`. Each default comes from the global API. */
export interface InstrumentOptions {
  /** Default: `tracerProvider.getTracer('routeplane')`. */
  tracer?: Tracer;
  /** Default: `meterProvider.getMeter('routeplane')`. */
  meter?: Meter;
  /** Default: the global tracer provider (`trace.getTracerProvider()`). */
  tracerProvider?: TracerProvider;
  /** Default: the global meter provider (`metrics.getMeterProvider()`). */
  meterProvider?: MeterProvider;
  /**
   * Adds `routeplane.tenant` to the metrics' attributes. Off by default: one series per
   * tenant can exceed a backend's cardinality limits. Spans always carry it.
   */
  tenantMetricAttribute?: boolean;
}

/** A router instrumented by `instrumentRouter()`. */
export interface Instrumentation {
  /** Stops listening: calls still in flight get no span. */
  close(): void;
}

const SCOPE = 'routeplane';

/** Bucket boundaries advised by the GenAI semantic conventions. */
const TOKEN_BUCKETS = [
  1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864,
];
const DURATION_BUCKETS = [
  0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
];

/** Provider entry names to `gen_ai.provider.name` values; other names are passed as they are. */
const PROVIDER_NAMES: Record<string, string> = {
  openai: 'openai',
  anthropic: 'anthropic',
  mistral: 'mistral_ai',
};

/** Calls started and not yet audited that are remembered (explain() calls are never audited). */
const MAX_IN_FLIGHT = 10_000;

interface InFlight {
  /** The context active when the call began: the call span's parent. */
  parent: Context;
  startTime: number;
  requestModel?: string;
  finishReason?: string;
}

/**
 * Instruments a router with OpenTelemetry: one span per call (`chat {model}`, from
 * `request.started` to its audit record, a child of the context active when the call
 * began), one child `CLIENT` span per provider attempt, with the GenAI semantic-convention
 * attributes; and the `gen_ai.client.token.usage` and `gen_ai.client.operation.duration`
 * histograms.
 *
 * Spans are recorded when the call ends, from its audit record, with explicit start and end
 * times (`router.explain()` emits `request.started` but is never audited, so a span opened
 * at start could never be ended). Each attempt's duration is exact, its placement is not:
 * attempts are laid back to back, the last one ending with the call (retry back-off shows
 * as time before them).
 *
 * @example
 * ```ts
 * import { instrumentRouter } from 'routeplane/otel';
 * const otel = instrumentRouter(router); // global tracer and meter providers
 * ```
 */
export function instrumentRouter(router: Router, options: InstrumentOptions = {}): Instrumentation {
  const tracer = options.tracer ?? (options.tracerProvider ?? trace.getTracerProvider()).getTracer(SCOPE);
  const meter = options.meter ?? (options.meterProvider ?? metrics.getMeterProvider()).getMeter(SCOPE);
  const tokenUsage: Histogram = meter.createHistogram('gen_ai.client.token.usage', {
    description: 'Number of input and output tokens used',
    unit: '{token}',
    advice: { explicitBucketBoundaries: TOKEN_BUCKETS },
  });
  const duration: Histogram = meter.createHistogram('gen_ai.client.operation.duration', {
    description: 'GenAI operation duration',
    unit: 's',
    advice: { explicitBucketBoundaries: DURATION_BUCKETS },
  });
  const inFlight = new Map<string, InFlight>();

  const onStarted = (event: RequestStartedEvent): void => {
    // `router.explain()` emits `request.started` but no audit record: bound what is kept.
    if (inFlight.size >= MAX_IN_FLIGHT) {
      const oldest = inFlight.keys().next().value;
      if (oldest !== undefined) inFlight.delete(oldest);
    }
    inFlight.set(event.requestId, { parent: context.active(), startTime: event.timestamp });
  };

  const onDecided = (event: RouteDecidedEvent): void => {
    const call = inFlight.get(event.requestId);
    if (call && event.chosen !== undefined) call.requestModel = event.chosen;
  };

  const onCompleted = (event: RequestCompletedEvent): void => {
    const call = inFlight.get(event.requestId);
    // `finishReason` is not on the event yet; read it when a router version adds it.
    const finishReason = (event as { finishReason?: unknown }).finishReason;
    if (call && typeof finishReason === 'string') call.finishReason = finishReason;
  };

  const onAudit = (record: AuditRecord): void => {
    const call = inFlight.get(record.requestId);
    inFlight.delete(record.requestId);
    const startTime = call?.startTime ?? record.timestamp;
    const endTime = startTime + record.latencyMs;
    const provider = record.provider !== undefined ? providerName(record.provider) : undefined;
    const requestModel = call?.requestModel ?? record.attempts[0]?.model ?? record.model;
    const failed = record.outcome !== 'success';
    const errorType = failed ? (record.errorCode ?? 'internal') : undefined;

    const attributes: Attributes = {
      'gen_ai.operation.name': 'chat',
      'routeplane.tenant': record.tenant,
      'routeplane.request_id': record.requestId,
      'routeplane.stream': record.stream,
      'routeplane.outcome': record.outcome,
      'routeplane.cost_usd': record.costUsd,
      'routeplane.cached': record.cached,
      'routeplane.attempts': record.attempts.length,
      'routeplane.fallbacks': record.fallbacks.length,
    };
    if (record.strategy !== undefined) attributes['routeplane.strategy'] = record.strategy;
    if (provider !== undefined) {
      attributes['gen_ai.provider.name'] = provider;
      attributes['gen_ai.system'] = provider;
    }
    if (requestModel !== undefined) attributes['gen_ai.request.model'] = requestModel;
    if (record.outcome === 'success' && record.model !== undefined)
      attributes['gen_ai.response.model'] = record.model;
    if (record.usage) {
      attributes['gen_ai.usage.input_tokens'] = record.usage.inputTokens;
      attributes['gen_ai.usage.output_tokens'] = record.usage.outputTokens;
    }
    if (call?.finishReason !== undefined) attributes['gen_ai.response.finish_reasons'] = [call.finishReason];
    if (record.region !== undefined) attributes['routeplane.region'] = record.region;
    if (record.queueWaitMs !== undefined) attributes['routeplane.queue_wait_ms'] = record.queueWaitMs;
    if (record.ttftMs !== undefined) attributes['routeplane.ttft_ms'] = record.ttftMs;
    if (record.overCap !== undefined) attributes['routeplane.over_cap'] = record.overCap;
    if (errorType !== undefined) attributes['error.type'] = errorType;
    const span = tracer.startSpan(
      requestModel !== undefined ? `chat ${requestModel}` : 'chat',
      { kind: SpanKind.INTERNAL, startTime, attributes },
      call?.parent ?? context.active(),
    );
    if (failed) span.setStatus({ code: SpanStatusCode.ERROR, message: errorType });

    // Attempts, back to back, the last ending with the call.
    const parent = trace.setSpan(call?.parent ?? context.active(), span);
    let cursor = endTime;
    const placed = [...record.attempts]
      .reverse()
      .map((attempt) => {
        const end = cursor;
        const start = Math.max(startTime, end - attempt.latencyMs);
        cursor = start;
        return { attempt, start, end };
      })
      .reverse();
    placed.forEach(({ attempt, start, end }, index) => {
      const attemptProvider = providerName(attempt.provider);
      const attrs: Attributes = {
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': attemptProvider,
        'gen_ai.system': attemptProvider,
        'gen_ai.request.model': attempt.model,
        'routeplane.tenant': record.tenant,
        'routeplane.attempt': index + 1,
      };
      if (attempt.status !== undefined) attrs['http.response.status_code'] = attempt.status;
      const last = index === placed.length - 1;
      if (attempt.ok && last && record.outcome === 'success') {
        if (record.model !== undefined) attrs['gen_ai.response.model'] = record.model;
        if (record.usage) {
          attrs['gen_ai.usage.input_tokens'] = record.usage.inputTokens;
          attrs['gen_ai.usage.output_tokens'] = record.usage.outputTokens;
        }
        if (call?.finishReason !== undefined) attrs['gen_ai.response.finish_reasons'] = [call.finishReason];
      }
      if (!attempt.ok) attrs['error.type'] = attempt.errorCode ?? 'unknown';
      const child = tracer.startSpan(
        `chat ${attempt.model}`,
        { kind: SpanKind.CLIENT, startTime: start, attributes: attrs },
        parent,
      );
      if (!attempt.ok)
        child.setStatus({ code: SpanStatusCode.ERROR, message: attempt.errorCode ?? 'unknown' });
      child.end(end);
    });
    span.end(endTime);

    // Metrics: one duration per call; tokens of the calls a provider answered.
    const metricAttributes: Attributes = { 'gen_ai.operation.name': 'chat' };
    if (provider !== undefined) metricAttributes['gen_ai.provider.name'] = provider;
    if (requestModel !== undefined) metricAttributes['gen_ai.request.model'] = requestModel;
    if (record.outcome === 'success' && record.model !== undefined)
      metricAttributes['gen_ai.response.model'] = record.model;
    if (errorType !== undefined) metricAttributes['error.type'] = errorType;
    if (options.tenantMetricAttribute) metricAttributes['routeplane.tenant'] = record.tenant;
    duration.record(record.latencyMs / 1000, metricAttributes);
    if (record.usage && !record.cached) {
      tokenUsage.record(record.usage.inputTokens, { ...metricAttributes, 'gen_ai.token.type': 'input' });
      tokenUsage.record(record.usage.outputTokens, { ...metricAttributes, 'gen_ai.token.type': 'output' });
    }
  };

  router.on('request.started', onStarted);
  router.on('route.decided', onDecided);
  router.on('request.completed', onCompleted);
  router.on('audit', onAudit);
  let closed = false;

  return {
    close() {
      if (closed) return;
      closed = true;
      router.off('request.started', onStarted);
      router.off('route.decided', onDecided);
      router.off('request.completed', onCompleted);
      router.off('audit', onAudit);
      inFlight.clear();
    },
  };
}

function providerName(entry: string): string {
  return PROVIDER_NAMES[entry] ?? entry;
}
