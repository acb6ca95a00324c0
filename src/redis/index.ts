/**
 * Shared state on Redis for many router instances. Placeholder until the Redis store lands.
 *
 * @module routeplane/redis
 */
export {};
