/**
 * OpenTelemetry bridge. Placeholder until the bridge lands.
 *
 * @module routeplane/otel
 */
export {};
