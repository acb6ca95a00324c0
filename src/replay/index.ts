/**
 * Policy what-if: replay audit records against a proposed router, calling no provider.
 *
 * @module routeplane/replay
 */
export {
  type ChangedCall,
  type ReplayOptions,
  type ReplayReport,
  replayAudit,
  type TenantReplay,
} from './replay.js';
