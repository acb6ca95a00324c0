/**
 * The options of an `azure-openai` provider entry, beside `apiKey` and `client`.
 *
 * On Azure the upstream model is the deployment name: a catalog model's `model` (or its id,
 * when `model` is left out) is sent as the deployment, in the path
 * `/openai/deployments/{deployment}/chat/completions`.
 *
 * @example
 * ```ts
 * createRouter({
 *   providers: {
 *     'azure-eu': {
 *       type: 'azure-openai',
 *       endpoint: 'https://my-resource-swedencentral.openai.azure.com',
 *       apiKey: process.env.AZURE_OPENAI_API_KEY,
 *     },
 *   },
 *   models: [{ id: 'gpt-4o', provider: 'azure-eu', model: 'my-gpt-4o-deployment', region: 'eu', pricing }],
 * });
 * ```
 */
export interface AzureOpenAIEntryOptions {
  /**
   * Azure OpenAI only: your resource's endpoint, `https://<resource>.openai.azure.com`
   * (the SDK adds `/openai`). Required for an `azure-openai` entry without a ready `client`.
   */
  endpoint?: string;
  /**
   * Azure OpenAI only: the data-plane `api-version` sent with every request. Default
   * `'2024-10-21'`, the latest GA inference version (a preview such as
   * `'2025-04-01-preview'` works the same way).
   */
  apiVersion?: string;
  /**
   * Azure OpenAI only: a Microsoft Entra ID token source, instead of `apiKey`: any
   * `() => Promise<string>`, e.g. `getBearerTokenProvider(new DefaultAzureCredential(),
   * 'https://cognitiveservices.azure.com/.default')` from `@azure/identity`. Its tokens are
   * sent as `Authorization: Bearer` and kept out of every error message.
   */
  azureADTokenProvider?: () => Promise<string>;
}

/** The GA data-plane inference version used when an entry sets no `apiVersion`. */
export const DEFAULT_AZURE_API_VERSION = '2024-10-21';
