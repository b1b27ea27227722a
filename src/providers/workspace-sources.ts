import { titleMatches, type Workspace, type WorkspaceSource } from '../invitations/workspaces.js';
import type { HuddleClient } from './huddle.js';
import type { KantataClient, KantataWorkspace } from './kantata.js';

/** Kantata projects through `GET /workspaces`: only those the token's user may invite to. */
export function kantataWorkspaces(client: Pick<KantataClient, 'listWorkspaces' | 'getWorkspace'>): WorkspaceSource {
  const toWorkspace = (project: KantataWorkspace): Workspace => ({ service: 'kantata', id: project.id, title: project.title, ...(project.teams ? { teams: project.teams } : {}) });
  return {
    async search(query) {
      const projects = await client.listWorkspaces(query);
      return projects.filter((project) => project.canInvite && !project.archived).map(toWorkspace);
    },
    async find(id) {
      const project = await client.getWorkspace(id);
      return project ? toWorkspace(project) : undefined;
    },
  };
}

/**
 * Huddle workspaces from the account's one list, filtered here by the typed words. The list is the same
 * whatever is typed, so one fetch serves every keystroke for `listTtlMs`.
 */
export function huddleWorkspaces(client: Pick<HuddleClient, 'listWorkspaces'>, listTtlMs: number, now: () => number = Date.now): WorkspaceSource {
  let cached: { readonly expiresAt: number; readonly list: Promise<Workspace[]> } | undefined;
  const list = (): Promise<Workspace[]> => {
    if (cached && cached.expiresAt > now()) return cached.list;
    const fresh = client.listWorkspaces().then((items) => items.map((item): Workspace => ({ service: 'huddle', id: item.id, title: item.title })));
    const entry = { expiresAt: now() + listTtlMs, list: fresh };
    cached = entry;
    fresh.catch(() => {
      if (cached === entry) cached = undefined;
    });
    return fresh;
  };
  return {
    async search(query) {
      return (await list()).filter((workspace) => workspace.id === query.trim() || titleMatches(workspace.title, query));
    },
    async find(id) {
      return (await list()).find((workspace) => workspace.id === id);
    },
  };
}
