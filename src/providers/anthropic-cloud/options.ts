/**
 * AWS credentials as the AWS SDKs' credential providers resolve them (`fromIni()`,
 * `fromTemporaryCredentials()`… of `@aws-sdk/credential-providers` return such a function).
 */
export type AwsCredentialProvider = () => Promise<{
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}>;

/**
 * What the entry needs of a `google-auth-library` `GoogleAuth` (or any object that gets a
 * client whose `getRequestHeaders()` gives the `Authorization` header).
 */
export interface GoogleAuthLike {
  getClient(): Promise<unknown>;
}

/**
 * The options of an `anthropic-bedrock` entry (Claude on Amazon Bedrock, over
 * `@anthropic-ai/bedrock-sdk`). Credentials, in order: the entry's `apiKey` (a Bedrock API
 * key), `awsAccessKey` with `awsSecretKey`, `awsCredentials`, else the SDK's default: the
 * `AWS_BEARER_TOKEN_BEDROCK` variable, then the default AWS chain (environment, shared
 * config and SSO, container and instance roles). A tenant's own AWS keys override them all
 * (see `Credential`).
 *
 * @example
 * ```ts
 * providers: {
 *   'bedrock-eu': { type: 'anthropic-bedrock', awsRegion: 'eu-central-1' },   // default AWS chain
 *   'bedrock-us': { type: 'anthropic-bedrock', awsRegion: 'us-east-1',
 *                   awsAccessKey: process.env.AWS_ACCESS_KEY_ID, awsSecretKey: process.env.AWS_SECRET_ACCESS_KEY },
 * }
 * ```
 */
export interface AnthropicBedrockOptions {
  /** The AWS region of the Bedrock runtime endpoint, e.g. `eu-central-1`. Default: `AWS_REGION`, else `us-east-1`. */
  awsRegion?: string;
  /** An AWS access key id; needs `awsSecretKey`. */
  awsAccessKey?: string;
  /** The secret access key of `awsAccessKey`. */
  awsSecretKey?: string;
  /** The session token of temporary credentials (STS, SSO). */
  awsSessionToken?: string;
  /** Resolves AWS credentials for each request, in place of the default AWS chain. */
  awsCredentials?: AwsCredentialProvider;
  /**
   * Which Bedrock API serves the entry. `'invoke'` (the default): `InvokeModel` on
   * `bedrock-runtime`, AWS event-stream framing, ARN-versioned model ids
   * (`anthropic.claude-sonnet-4-5-20250929-v1:0`, `eu.anthropic.claude-sonnet-4-6`), Claude
   * Opus 4.6 and earlier. `'messages'`: Claude in Amazon Bedrock, the Messages API on the
   * `bedrock-mantle` endpoint (`AnthropicBedrockMantle`), SSE, for the models that have no
   * ARN-versioned id.
   */
  bedrockApi?: 'invoke' | 'messages';
}

/**
 * The options of an `anthropic-vertex` entry (Claude on Google Vertex AI, over
 * `@anthropic-ai/vertex-sdk`). Credentials, in order: `accessToken`, `googleAuth`, else
 * Application Default Credentials (`GOOGLE_APPLICATION_CREDENTIALS`, `gcloud auth
 * application-default login`, the metadata server). A tenant's own access token overrides
 * them (see `Credential`).
 *
 * The location is `location`, not `region`: a deployment's `region` is its residency label
 * (`'eu'`), which the router filters on; the location is where Vertex serves it.
 *
 * @example
 * ```ts
 * providers: {
 *   'vertex-eu': { type: 'anthropic-vertex', projectId: 'acme-prod', location: 'europe-west1' },
 * }
 * ```
 */
export interface AnthropicVertexOptions {
  /** The Google Cloud project. Default: `ANTHROPIC_VERTEX_PROJECT_ID`, else the credentials' project. */
  projectId?: string;
  /** The Vertex AI location: `us-east5`, `europe-west1`, `global`… Default: `CLOUD_ML_REGION`. */
  location?: string;
  /** A Google OAuth access token (short-lived: an hour). */
  accessToken?: string;
  /** A `GoogleAuth` of `google-auth-library`, with the `https://www.googleapis.com/auth/cloud-platform` scope. */
  googleAuth?: GoogleAuthLike;
}
