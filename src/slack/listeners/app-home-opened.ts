import type { App } from '@slack/bolt';
import type { AppHome } from '../app-home.js';

export const APP_HOME_OPENED = 'app_home_opened';

/** `app_home_opened`: each time someone opens the bot's Home tab, it is published fresh for them. */
export function registerAppHomeOpened(app: App, home: AppHome): void {
  app.event(APP_HOME_OPENED, async ({ event, body }) => {
    // The Messages tab opens with the same event; only the Home tab has something to show.
    if (event.tab !== 'home') return;
    await home.publish({ teamId: body.team_id ?? '', userId: event.user });
  });
}
