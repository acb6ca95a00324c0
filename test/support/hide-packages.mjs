// A Node module hook (`node --import ./hide-packages.mjs`) that makes the packages named in
// HIDE_PACKAGES (comma-separated) unresolvable, exactly as if they were not installed, and
// those in SLOW_PACKAGES resolve only after SLOW_MS, like a cold import of a large SDK.
import { register } from 'node:module';

const list = (name) => (process.env[name] ?? '').split(',').filter(Boolean);
const hook = `const hidden = ${JSON.stringify(list('HIDE_PACKAGES'))};
const slow = ${JSON.stringify(list('SLOW_PACKAGES'))};
const slowMs = ${Number(process.env.SLOW_MS ?? 0)};
export async function resolve(specifier, context, next) {
  if (slow.includes(specifier)) await new Promise((resolve) => setTimeout(resolve, slowMs));
  if (hidden.some((name) => specifier === name || specifier.startsWith(name + '/'))) {
    const error = new Error("Cannot find package '" + specifier + "' imported from " + context.parentURL);
    error.code = 'ERR_MODULE_NOT_FOUND';
    throw error;
  }
  return next(specifier, context);
}`;
register(`data:text/javascript,${encodeURIComponent(hook)}`);
