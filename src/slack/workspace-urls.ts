import type { Config } from '../config.js';
import type { ServiceName } from '../invitations/request.js';

/** Kantata projects have a stable web address; Huddle documents none, so its workspaces are not linked. */
export function workspaceUrls(config: Config): (service: ServiceName, workspaceId: string) => string | undefined {
  const kantataWebUrl = config.kantata?.webUrl;
  return (service, workspaceId) =>
    service === 'kantata' && kantataWebUrl && /^\d+$/.test(workspaceId) ? `${kantataWebUrl}/workspaces/${workspaceId}` : undefined;
}
