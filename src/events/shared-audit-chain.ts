import type { AuditChainStore, ChainHead } from '../store/audit.js';
import { keyPart } from '../store/keys.js';
import { type AuditLinker, GENESIS_HASH, hashRecord } from './audit-chain.js';
import type { AuditRecord } from './types.js';

/** Compare-and-set attempts per batch before the router gives up on the store for it. */
const MAX_ATTEMPTS = 100;

/** One tenant's records in this router: the head it believes, and what waits to be linked. */
interface Line {
  key: string;
  head: ChainHead;
  queue: AuditRecord[];
  running: Promise<void> | undefined;
}

/**
 * Links audit records into one chain per tenant shared by every router on the store
 * (`Store.auditChain`). A tenant's records wait in a queue while a link of that tenant is in
 * flight, and go to the store together: hashed after the head this router believes, then a
 * compare-and-set of the head; when another router moved it, hashed again after the head
 * the store returned. Records are delivered once linked, in chain order per tenant.
 *
 * When the store fails (down, timeout, or the head kept moving for `MAX_ATTEMPTS`), the
 * records are delivered anyway, exactly as last sent (linked after the head this router
 * believed), and `onFailure` reports each one. If the store applied the link after all (a
 * timeout after it ran) the chain is whole; if not, they are a branch that
 * `verifyAuditChain` reports as a fork.
 */
export class SharedAuditChain implements AuditLinker {
  private readonly lines = new Map<string, Line>();
  private readonly running = new Set<Promise<void>>();

  constructor(
    private readonly store: AuditChainStore,
    private readonly onFailure: (record: AuditRecord, error: Error) => void,
  ) {}

  link(record: AuditRecord, deliver: (record: AuditRecord) => void): void {
    let line = this.lines.get(record.tenant);
    if (!line) {
      line = {
        key: `audit:{${keyPart(record.tenant)}}`,
        head: { hash: GENESIS_HASH, seq: 0 },
        queue: [],
        running: undefined,
      };
      this.lines.set(record.tenant, line);
    }
    line.queue.push(record);
    if (line.running) return;
    const running = this.flush(line, deliver);
    line.running = running;
    this.running.add(running);
  }

  async drain(): Promise<void> {
    while (this.running.size > 0) await Promise.all(this.running);
  }

  private async flush(line: Line, deliver: (record: AuditRecord) => void): Promise<void> {
    try {
      while (line.queue.length > 0) {
        const batch = line.queue;
        line.queue = [];
        try {
          await this.linkBatch(line, batch);
        } catch (error) {
          // Not the store's (it is caught in linkBatch): a record that cannot be hashed.
          for (const record of batch) this.onFailure(record, error as Error);
        }
        for (const record of batch) deliver(record);
      }
    } finally {
      this.running.delete(line.running!);
      line.running = undefined;
    }
  }

  private async linkBatch(line: Line, batch: AuditRecord[]): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const next = chainAfter(line.head, batch);
      let failure: Error;
      try {
        const reply = await this.store.link(line.key, line.head, next);
        if (reply.ok) {
          line.head = next;
          return;
        }
        line.head = reply.head;
        if (attempt < MAX_ATTEMPTS) continue;
        // Linked after the head the store last returned, without it.
        line.head = chainAfter(line.head, batch);
        failure = new Error(`the chain head moved on each of ${MAX_ATTEMPTS} attempts`);
      } catch (error) {
        // Delivered as sent: if the store applied it after all, the next link continues it.
        line.head = next;
        failure = error instanceof Error ? error : new Error(String(error));
      }
      for (const record of batch) this.onFailure(record, failure);
      return;
    }
  }
}

/** Hashes `batch` as the records after `head`, in order; returns the new head. */
function chainAfter(head: ChainHead, batch: AuditRecord[]): ChainHead {
  let { hash, seq } = head;
  for (const record of batch) {
    record.prevHash = hash;
    record.seq = ++seq;
    hash = hashRecord(record);
    record.hash = hash;
  }
  return { hash, seq };
}
