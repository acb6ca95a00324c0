import { ProviderError, redactSecrets } from '../../errors.js';
import { errorMessage, type FailureContext, withCode } from '../classify.js';
import { classifyOpenAIError } from '../openai/errors.js';

// Azure API Management's and Cognitive Services' spent call quota (a 403, "Out of call
// volume quota. Quota will be replenished in 5.03:23:11"), and the `insufficient_quota` /
// `InsufficientQuota` codes. Not the 429's "https://aka.ms/oai/quotaincrease" link, which
// every Azure rate-limit message carries.
const AZURE_QUOTA = /out of call volume quota|insufficient_?quota/i;
// The SDK's wording when the `azureADTokenProvider` (its `apiKey` function) throws or returns no string.
const TOKEN_FAILURE = /^(Failed to get token from 'apiKey' function|Expected 'apiKey' function argument)/;

/**
 * Classifies what the `AzureOpenAI` client threw. Azure speaks OpenAI's error shape, so
 * `classifyOpenAIError()` does the work: a 400 `content_filter` (with
 * `innererror.content_filter_result`) is `content_filter`; a 429 is `rate_limited`, its
 * wait read from `retry-after-ms` / `retry-after`; `DeploymentNotFound` and the 404 of a
 * missing `api-version` are `not_found`; 401 is `auth`. On top of it, a message that says
 * the call quota is spent is `quota_exceeded`, whatever its status (Azure answers 403);
 * and an Entra ID token provider that fails is `auth` (final: no request was sent).
 */
export function classifyAzureOpenAIError(error: unknown, context: FailureContext): ProviderError {
  const message = errorMessage(error);
  if (!context.aborted && TOKEN_FAILURE.test(message)) {
    const where = context.model ? `${context.provider} (${context.model})` : context.provider;
    return new ProviderError(
      'auth',
      `${where} failed with auth: the azureADTokenProvider gave no token: ${redactSecrets(message, context.secrets)}`,
      { provider: context.provider, ...(context.model !== undefined && { model: context.model }) },
    );
  }
  const classified = classifyOpenAIError(error, context);
  if (classified.code === 'auth' || classified.code === 'rate_limited' || classified.code === 'bad_request') {
    const text = `${classified.providerCode ?? ''} ${classified.message}`;
    if (AZURE_QUOTA.test(text)) return withCode(classified, 'quota_exceeded');
  }
  return classified;
}
