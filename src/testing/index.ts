/**
 * Test helpers for routeplane users: a provider emulator that speaks the OpenAI, Anthropic
 * and Mistral wire formats on loopback, so routing policies can be tested offline.
 *
 * @module routeplane/testing
 */
export {
  createEmulator,
  type EmulatedAnswer,
  type EmulatedAnswerSource,
  type EmulatedFault,
  type EmulatedRequest,
  type Emulator,
  type EmulatorOptions,
  type EmulatorProviders,
} from './emulator.js';
export type { EmulatedProvider } from './wire.js';
