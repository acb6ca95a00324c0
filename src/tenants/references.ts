import type { ResolvedModel } from '../catalog/types.js';
import { compileOutputSchema } from '../guardrails/output-schema.js';
import type { TenantPolicy } from '../pipeline/policy.js';

/**
 * What a policy names that the router must know: providers (of its own models and its
 * credentials) and model ids (`model`, `fallbacks`, `split`, in the catalog or the policy's
 * own `models`). Returns the first problem, naming the field under `where`.
 */
export function referenceProblem(
  policy: Partial<TenantPolicy>,
  where: string,
  providers: ReadonlySet<string>,
  catalog: ReadonlyMap<string, ResolvedModel>,
): string | undefined {
  const configured = () => [...providers].join(', ');
  for (const [i, model] of (policy.models ?? []).entries()) {
    if (!providers.has(model.provider)) {
      return `${where}.models[${i}].provider '${model.provider}' is not a configured provider (configured: ${configured()})`;
    }
  }
  for (const provider of Object.keys(policy.credentials ?? {})) {
    if (!providers.has(provider)) {
      return `${where}.credentials.${provider} names no configured provider (configured: ${configured()})`;
    }
  }
  const own = new Set((policy.models ?? []).map((m) => m.id));
  const known = (id: string) => catalog.has(id) || own.has(id);
  const unknown = (field: string, id: string) =>
    `${where}.${field} '${id}' is not in the model catalog: use a catalog id or add it to models`;
  if (policy.model !== undefined && !known(policy.model)) return unknown('model', policy.model);
  for (const id of policy.fallbacks ?? []) if (!known(id)) return unknown('fallbacks', id);
  for (const arm of policy.split ?? []) if (!known(arm.model)) return unknown('split', arm.model);
  const schema = policy.guardrails?.outputSchema;
  if (schema !== undefined) {
    try {
      compileOutputSchema(schema);
    } catch (error) {
      return `${where}.guardrails.outputSchema cannot be used as a JSON Schema: ${(error as Error).message}`;
    }
  }
  return undefined;
}
