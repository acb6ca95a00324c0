import { BUILTIN_MODELS, CATALOG_DATE } from '../catalog/models.js';
import type { Router } from '../router.js';
import { isPolicyExclusion } from '../stages/access.js';
import type { CallerFields } from './chat.js';

/** One entry of OpenAI's model list. */
export interface ModelEntry {
  id: string;
  object: 'model';
  created: number;
  owned_by: string;
}

const CREATED = Math.floor(Date.parse(CATALOG_DATE) / 1000);
const BUILTIN_PROVIDER = new Map(
  BUILTIN_MODELS.map((m) => [m.id, m.provider ?? m.deployments?.[0]?.provider]),
);

/**
 * The models the tenant (and the caller's role) may use: every model of the catalog that
 * its policy (allow and deny lists, role, regions) does not forbid, i.e. every id that
 * `model` may name without a 403. Computed with `router.explain()` for a one-token request,
 * so it sees the tenant's own catalog; a model left out for the moment (open circuit,
 * quality under `minQuality`, which a forced call bypasses) is still listed. `owned_by` is
 * the provider entry that serves it first; `created` is the catalog's date.
 */
export async function modelsOf(router: Router, caller: CallerFields): Promise<ModelEntry[]> {
  const decision = await router.explain({
    tenant: caller.tenant,
    ...(caller.role !== undefined && { role: caller.role }),
    strategy: 'lowest_cost',
    maxTokens: 1,
    messages: [{ role: 'user', content: '.' }],
  });
  const entries: ModelEntry[] = decision.candidates.map((c) => entry(c.model, c.provider));
  for (const excluded of decision.excluded) {
    if (!isPolicyExclusion(excluded.reason))
      entries.push(entry(excluded.model, BUILTIN_PROVIDER.get(excluded.model) ?? 'routeplane'));
  }
  return entries.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

function entry(id: string, provider: string): ModelEntry {
  return { id, object: 'model', created: CREATED, owned_by: provider };
}
