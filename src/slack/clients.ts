import * as webApi from '@slack/web-api';
import type { Metrics } from '../metrics.js';
import { lightFetch } from './light-fetch.js';
import { slackErrorCode } from './slack-errors.js';

export interface SlackClientSettings {
  readonly token: string;
  readonly apiUrl?: string;
  /** Retries of the patient client; tests use 0 so a scripted error is seen at once. */
  readonly patientRetries?: number;
  readonly metrics?: Metrics;
}

/**
 * Two Web API clients with one token, split by urgency. A 429 pauses a client's whole queue for the
 * Retry-After (seen in @slack/web-api 8), so the calls that must answer within Slack's 3 seconds (the
 * permission check, views.open, answers only the requester sees) never share a client with outcome posts,
 * which may wait as long as Slack asks.
 *
 * The urgent client fails fast: no retries, a 429 is an error at once. Bolt builds its own client (the
 * one listeners receive) from these options.
 */
export function urgentClientOptions(settings: Pick<SlackClientSettings, 'apiUrl'>): webApi.WebClientOptions {
  return {
    ...(settings.apiUrl ? { slackApiUrl: settings.apiUrl } : {}),
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    // Whatever happens, an urgent call gives up while the 3-second ack can still say so.
    timeout: 2_500,
    fetch: lightFetch,
    logLevel: webApi.LogLevel.ERROR,
  };
}

/** The patient client: outcome posts and updates, retried, and told to wait when Slack asks. */
export function patientClientOptions(settings: Pick<SlackClientSettings, 'apiUrl' | 'patientRetries'>): webApi.WebClientOptions {
  return {
    ...(settings.apiUrl ? { slackApiUrl: settings.apiUrl } : {}),
    retryConfig: { retries: settings.patientRetries ?? 3, factor: 2, minTimeout: 500, maxTimeout: 5_000 },
    timeout: 30_000,
    fetch: lightFetch,
    logLevel: webApi.LogLevel.ERROR,
  };
}

/** Counts every failed Web API call by method and Slack's error code. */
export function countErrors(client: webApi.WebClient, metrics: Metrics | undefined): webApi.WebClient {
  if (!metrics) return client;
  const original = client.apiCall.bind(client);
  client.apiCall = async (method, options) => {
    try {
      return await original(method, options);
    } catch (error) {
      metrics.slackError(method, slackErrorCode(error));
      throw error;
    }
  };
  return client;
}

export function createPatientClient(settings: SlackClientSettings): webApi.WebClient {
  return countErrors(new webApi.WebClient(settings.token, patientClientOptions(settings)), settings.metrics);
}
