/** The values a system prompt template may use. */
export interface TemplateValues {
  tenant: string;
  user: string | undefined;
  vars: Readonly<Record<string, string>> | undefined;
}

/** A template compiled once: renders the values, or names what is missing. */
export type CompiledTemplate = (values: TemplateValues) => { text: string } | { missing: string };

const PLACEHOLDER = /\{\{\s*([A-Za-z0-9_.-]+)\s*\}\}/g;

/**
 * Compiles a system prompt template with `{{tenant}}`, `{{user}}` and `{{vars.NAME}}`
 * placeholders. Any other placeholder is refused here, when the policy is set, so a typo
 * fails at configuration time rather than on a tenant's call.
 */
export function compileTemplate(template: string, where: string): CompiledTemplate {
  const pieces: (string | { key: 'tenant' | 'user' } | { variable: string })[] = [];
  let last = 0;
  for (const match of template.matchAll(PLACEHOLDER)) {
    pieces.push(template.slice(last, match.index));
    const name = match[1]!;
    if (name === 'tenant' || name === 'user') pieces.push({ key: name });
    else if (name.startsWith('vars.') && name.length > 5) pieces.push({ variable: name.slice(5) });
    else
      throw new Error(`${where}: unknown placeholder {{${name}}}; use {{tenant}}, {{user}} or {{vars.NAME}}`);
    last = match.index + match[0].length;
  }
  pieces.push(template.slice(last));

  return (values) => {
    let text = '';
    for (const piece of pieces) {
      if (typeof piece === 'string') text += piece;
      else if ('key' in piece) {
        const value = values[piece.key];
        if (value === undefined) return { missing: piece.key };
        text += value;
      } else {
        const value = values.vars?.[piece.variable];
        if (value === undefined) return { missing: `vars.${piece.variable}` };
        text += value;
      }
    }
    return { text };
  };
}
