/**
 * Which interaction payloads a listener of this app answers. Anything else that Slack signs and sends
 * (a `view_closed` nobody asked for, a shortcut, another app's `callback_id`, a URL button's click) is
 * answered at once with an empty 200, never left to Bolt's 404 after three seconds.
 */
export interface HandledInteraction {
  readonly type: 'view_submission' | 'view_closed' | 'block_suggestion' | 'block_actions' | 'shortcut' | 'message_action';
  /** For views and shortcuts. */
  readonly callbackId?: string;
  /** For block_actions and block_suggestion: the element's action_id. */
  readonly actionId?: string;
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

function actionIdsOf(payload: Record<string, unknown>): string[] {
  if (typeof payload.action_id === 'string') return [payload.action_id];
  if (!Array.isArray(payload.actions)) return [];
  return payload.actions.flatMap((action) => (isRecord(action) && typeof action.action_id === 'string' ? [action.action_id] : []));
}

function callbackIdOf(payload: Record<string, unknown>): string | undefined {
  if (isRecord(payload.view) && typeof payload.view.callback_id === 'string') return payload.view.callback_id;
  return typeof payload.callback_id === 'string' ? payload.callback_id : undefined;
}

/** True when some listener answers this interaction payload. */
export function isHandledInteraction(handled: readonly HandledInteraction[], payload: Record<string, unknown>): boolean {
  const callbackId = callbackIdOf(payload);
  const actionIds = actionIdsOf(payload);
  return handled.some(
    (entry) =>
      entry.type === payload.type &&
      (entry.callbackId === undefined || entry.callbackId === callbackId) &&
      (entry.actionId === undefined || actionIds.includes(entry.actionId)),
  );
}

/** The Events API event inside an `event_callback` body (HTTP) or an `events_api` envelope's payload (Socket Mode). */
export function eventOf(body: Record<string, unknown>): { readonly type: string; readonly id?: string } | undefined {
  if (body.type !== 'event_callback' || !isRecord(body.event) || typeof body.event.type !== 'string') return undefined;
  return { type: body.event.type, ...(typeof body.event_id === 'string' ? { id: body.event_id } : {}) };
}

/** True when some listener answers this event (by its type); any other is acknowledged and dropped at once. */
export function isHandledEvent(handled: readonly string[], body: Record<string, unknown>): boolean {
  const event = eventOf(body);
  return event !== undefined && handled.includes(event.type);
}
