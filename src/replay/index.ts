/**
 * Policy what-if: replay audit records against a proposed router, calling no provider.
 *
 * @module routeplane/replay
 */

export {
  formatReplayTable,
  type ReplayHtmlOptions,
  type ReplayTableOptions,
  renderReplayHtml,
} from './format.js';
export {
  type ChangedCall,
  type ReplayOptions,
  type ReplayReport,
  replayAudit,
  type TenantReplay,
} from './replay.js';
