/**
 * Where a router's heap goes: reads two V8 heap snapshots (`v8.writeHeapSnapshot`) and
 * reports, for each per-tenant structure of the router, its retained size in both and the
 * difference, plus the constructors whose self size grew most.
 *
 * Retained size is the V8 one: the bytes that would be freed if the structure went (what it
 * dominates). It is computed by marking from the GC roots twice, once as is and once with
 * the structure's node cut out; weak edges retain nothing. A structure is found by the edge
 * that holds it: a property of an instance of a named class (`TenantRegistry.compiled`),
 * or a variable of a closure's context (`budgets` in `createMemoryStore`). The built
 * package keeps these names (tsup does not minify).
 *
 *   npx tsx bench/heap-attribution.ts before.heapsnapshot after.heapsnapshot [tenants]
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** A structure to attribute: the edge that holds it. */
interface Target {
  label: string;
  /** Property `edge` of an object whose constructor is `owner`; or, without owner, a closure variable. */
  owner?: string;
  edges: string[];
}

export const TARGETS: Target[] = [
  { label: 'tenant registry: compiled policies (`compiled`)', owner: 'TenantRegistry', edges: ['compiled'] },
  {
    label: 'tenant registry: shared compiled policies (`interned`)',
    owner: 'TenantRegistry',
    edges: ['interned'],
  },
  { label: 'tenant registry: configured policies (`local`)', owner: 'TenantRegistry', edges: ['local'] },
  { label: 'memory store: budget entries (`budgets`)', edges: ['budgets'] },
  { label: 'memory store: GCRA entries (`rates`)', edges: ['rates'] },
  { label: 'memory store: settled lease ids', edges: ['settledNew', 'settledOld'] },
  { label: 'noisy-neighbour rates (`NoisyNeighbors.tenants`)', owner: 'NoisyNeighbors', edges: ['tenants'] },
  { label: 'fair queue (`FairQueue.tenants`)', owner: 'FairQueue', edges: ['tenants'] },
  { label: 'health tracker (`deployments`)', owner: 'HealthTracker', edges: ['deployments'] },
  { label: 'limited deployments (`until`)', owner: 'LimitedDeployments', edges: ['until'] },
  { label: 'prompt-cache keys (`keys`)', edges: ['keys'] },
  { label: 'answer cache (`lru`)', edges: ['lru'] },
  { label: 'settlement journal (`pending`)', owner: 'SettlementJournal', edges: ['pending'] },
  { label: 'lease renewals (`held`)', owner: 'LeaseRenewals', edges: ['held'] },
  { label: 'budget waiters (`waiters`)', owner: 'RoomWaiters', edges: ['waiters'] },
  { label: 'calls in flight (`inFlight`)', owner: 'RouterImpl', edges: ['inFlight'] },
];

/** A parsed snapshot: flat node and edge arrays as V8 writes them. */
interface Snapshot {
  nodeFields: number;
  edgeFields: number;
  nodes: Float64Array;
  edges: Float64Array;
  strings: string[];
  nodeTypes: string[];
  edgeTypes: string[];
  /** Offsets of the node fields. */
  f: { type: number; name: number; selfSize: number; edgeCount: number };
  /** Offsets of the edge fields. */
  e: { type: number; nameOrIndex: number; toNode: number };
  /** Index (in edges) of each node's first edge. */
  firstEdge: Uint32Array;
  count: number;
}

/** Parses a flat array of non-negative integers from `buf` starting after `[` at `start`. */
function parseInts(buf: Buffer, start: number, expected: number): { values: Float64Array; end: number } {
  const values = new Float64Array(expected);
  let n = 0;
  let current = 0;
  let inNumber = false;
  let i = start;
  for (; i < buf.length; i++) {
    const c = buf[i]!;
    if (c >= 48 && c <= 57) {
      current = current * 10 + (c - 48);
      inNumber = true;
    } else {
      if (inNumber) {
        values[n++] = current;
        current = 0;
        inNumber = false;
      }
      if (c === 93) break; // ]
    }
  }
  if (n !== expected) throw new Error(`heap snapshot: expected ${expected} values, read ${n}`);
  return { values, end: i };
}

export function readSnapshot(file: string): Snapshot {
  const buf = readFileSync(file);
  const nodesAt = buf.indexOf('"nodes":[');
  const header = JSON.parse(`${buf.subarray(0, nodesAt).toString().replace(/,\s*$/, '')}}`);
  const meta = header.snapshot.meta;
  const nodeFieldNames: string[] = meta.node_fields;
  const edgeFieldNames: string[] = meta.edge_fields;
  const nodeFields = nodeFieldNames.length;
  const edgeFields = edgeFieldNames.length;
  const count: number = header.snapshot.node_count;
  const nodes = parseInts(buf, nodesAt + 9, count * nodeFields);
  const edgesAt = buf.indexOf('"edges":[', nodes.end);
  const edges = parseInts(buf, edgesAt + 9, header.snapshot.edge_count * edgeFields);
  const stringsAt = buf.indexOf('"strings":[', edges.end);
  const end = buf.lastIndexOf(']');
  const strings = JSON.parse(buf.subarray(stringsAt + 10, end + 1).toString()) as string[];
  const f = {
    type: nodeFieldNames.indexOf('type'),
    name: nodeFieldNames.indexOf('name'),
    selfSize: nodeFieldNames.indexOf('self_size'),
    edgeCount: nodeFieldNames.indexOf('edge_count'),
  };
  const e = {
    type: edgeFieldNames.indexOf('type'),
    nameOrIndex: edgeFieldNames.indexOf('name_or_index'),
    toNode: edgeFieldNames.indexOf('to_node'),
  };
  const firstEdge = new Uint32Array(count + 1);
  let edge = 0;
  for (let n = 0; n < count; n++) {
    firstEdge[n] = edge;
    edge += nodes.values[n * nodeFields + f.edgeCount]! * edgeFields;
  }
  firstEdge[count] = edge;
  return {
    nodeFields,
    edgeFields,
    nodes: nodes.values,
    edges: edges.values,
    strings,
    nodeTypes: meta.node_types[0],
    edgeTypes: meta.edge_types[0],
    f,
    e,
    firstEdge,
    count,
  };
}

/** Marks what the root reaches without passing through `cut`; weak edges do not count. */
function mark(s: Snapshot, cut: ReadonlySet<number>): Uint8Array {
  const seen = new Uint8Array(s.count);
  const weak = s.edgeTypes.indexOf('weak');
  const stack = new Uint32Array(s.count);
  let top = 0;
  stack[top++] = 0;
  seen[0] = 1;
  while (top > 0) {
    const n = stack[--top]!;
    for (let i = s.firstEdge[n]!; i < s.firstEdge[n + 1]!; i += s.edgeFields) {
      if (s.edges[i + s.e.type] === weak) continue;
      const to = s.edges[i + s.e.toNode]! / s.nodeFields;
      if (seen[to] || cut.has(to)) continue;
      seen[to] = 1;
      stack[top++] = to;
    }
  }
  return seen;
}

function nameOf(s: Snapshot, n: number): string {
  return s.strings[s.nodes[n * s.nodeFields + s.f.name]!]!;
}

/** The nodes a target's edges point to. */
function targetNodes(s: Snapshot, target: Target): Set<number> {
  const found = new Set<number>();
  const context = s.edgeTypes.indexOf('context');
  const property = s.edgeTypes.indexOf('property');
  const objectType = s.nodeTypes.indexOf('object');
  for (let n = 0; n < s.count; n++) {
    if (target.owner !== undefined) {
      if (s.nodes[n * s.nodeFields + s.f.type] !== objectType || nameOf(s, n) !== target.owner) continue;
    }
    for (let i = s.firstEdge[n]!; i < s.firstEdge[n + 1]!; i += s.edgeFields) {
      const type = s.edges[i + s.e.type];
      if (type !== (target.owner === undefined ? context : property)) continue;
      if (!target.edges.includes(s.strings[s.edges[i + s.e.nameOrIndex]!]!)) continue;
      found.add(s.edges[i + s.e.toNode]! / s.nodeFields);
    }
  }
  return found;
}

function sizeOf(s: Snapshot, seen: Uint8Array, minus?: Uint8Array): number {
  let total = 0;
  for (let n = 0; n < s.count; n++)
    if (seen[n] && !minus?.[n]) total += s.nodes[n * s.nodeFields + s.f.selfSize]!;
  return total;
}

/** Retained bytes of each target, and of all of them together, in one snapshot. */
function retained(s: Snapshot): { sizes: number[]; all: number; total: number } {
  const full = mark(s, new Set());
  const total = sizeOf(s, full);
  const everything = new Set<number>();
  const sizes = TARGETS.map((target) => {
    const cut = targetNodes(s, target);
    for (const n of cut) everything.add(n);
    if (cut.size === 0) return 0;
    return total - sizeOf(s, mark(s, cut));
  });
  return { sizes, all: total - sizeOf(s, mark(s, everything)), total };
}

/** Self size by constructor (objects) or node type (strings, code, arrays…), of live nodes. */
function byConstructor(s: Snapshot): Map<string, number> {
  const seen = mark(s, new Set());
  const out = new Map<string, number>();
  const objectType = s.nodeTypes.indexOf('object');
  for (let n = 0; n < s.count; n++) {
    if (!seen[n]) continue;
    const type = s.nodes[n * s.nodeFields + s.f.type]!;
    const key = type === objectType ? nameOf(s, n) : `(${s.nodeTypes[type]})`;
    out.set(key, (out.get(key) ?? 0) + s.nodes[n * s.nodeFields + s.f.selfSize]!);
  }
  return out;
}

export interface Attribution {
  rows: { label: string; before: number; after: number }[];
  unattributed: { before: number; after: number };
  total: { before: number; after: number };
  constructors: { name: string; before: number; after: number }[];
}

export function attribute(beforeFile: string, afterFile: string): Attribution {
  const result = (file: string) => {
    const s = readSnapshot(file);
    return { ...retained(s), constructors: byConstructor(s) };
  };
  const before = result(beforeFile);
  const after = result(afterFile);
  const names = new Set([...before.constructors.keys(), ...after.constructors.keys()]);
  const constructors = [...names]
    .map((name) => ({
      name,
      before: before.constructors.get(name) ?? 0,
      after: after.constructors.get(name) ?? 0,
    }))
    .sort((a, b) => Math.abs(b.after - b.before) - Math.abs(a.after - a.before))
    .slice(0, 15);
  return {
    rows: TARGETS.map((t, i) => ({ label: t.label, before: before.sizes[i]!, after: after.sizes[i]! })),
    unattributed: { before: before.total - before.all, after: after.total - after.all },
    total: { before: before.total, after: after.total },
    constructors,
  };
}

export function formatAttribution(a: Attribution, tenants: number): string {
  const per = (x: { before: number; after: number }) => ((x.after - x.before) / tenants).toFixed(1);
  const lines = [
    '| structure (retained size) | before | after | bytes per active tenant |',
    '|---|--:|--:|--:|',
  ];
  for (const row of a.rows) {
    if (row.before === 0 && row.after === 0) continue;
    lines.push(
      `| ${row.label} | ${row.before.toLocaleString('en-US')} | ${row.after.toLocaleString('en-US')} | ${per(row)} |`,
    );
  }
  lines.push(
    `| everything else | ${a.unattributed.before.toLocaleString('en-US')} | ${a.unattributed.after.toLocaleString('en-US')} | ${per(a.unattributed)} |`,
    `| **live heap in the snapshot** | ${a.total.before.toLocaleString('en-US')} | ${a.total.after.toLocaleString('en-US')} | **${per(a.total)}** |`,
    '',
    'Self size by constructor (largest changes):',
    '',
    '| constructor or node type | before | after | bytes per active tenant |',
    '|---|--:|--:|--:|',
    ...a.constructors.map(
      (c) =>
        `| ${c.name || '(anonymous)'} | ${c.before.toLocaleString('en-US')} | ${c.after.toLocaleString('en-US')} | ${per(c)} |`,
    ),
  );
  return lines.join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [before, after, tenants] = process.argv.slice(2);
  if (!before || !after) {
    console.error(
      'usage: npx tsx bench/heap-attribution.ts before.heapsnapshot after.heapsnapshot [tenants]',
    );
    process.exit(2);
  }
  console.log(formatAttribution(attribute(before, after), Number(tenants ?? 1)));
}
