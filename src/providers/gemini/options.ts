/**
 * The options of a `gemini` provider entry beyond `apiKey`, `baseURL` and `client`, for
 * Gemini on Vertex AI. With `vertexai` left out the entry calls the Gemini Developer API
 * (generativelanguage.googleapis.com) with its `apiKey`.
 *
 * @example
 * ```ts
 * createRouter({
 *   providers: {
 *     gemini: { type: 'gemini', apiKey: process.env.GEMINI_API_KEY },
 *     'vertex-eu': { type: 'gemini', vertexai: true, project: 'acme-prod', location: 'europe-west4', region: 'eu' },
 *   },
 *   …
 * });
 * ```
 */
export interface GeminiEntryOptions {
  /**
   * Calls Gemini on Vertex AI instead of the Gemini Developer API. Credentials: the entry's
   * `googleAuthOptions`, else Application Default Credentials; an `apiKey` (on the entry or
   * a tenant's credential) uses Vertex AI express mode instead. Default `false`.
   */
  vertexai?: boolean;
  /** Vertex AI only: the Google Cloud project. Default: the `GOOGLE_CLOUD_PROJECT` variable. */
  project?: string;
  /** Vertex AI only: the location (`us-central1`, `europe-west4`, `global`). Default: `GOOGLE_CLOUD_LOCATION`. */
  location?: string;
  /**
   * Vertex AI only: `GoogleAuthOptions` of `google-auth-library` (`credentials`, `keyFile`,
   * `scopes`, `authClient`…), handed to the SDK as they are. Kept out of every message.
   */
  googleAuthOptions?: object;
}
