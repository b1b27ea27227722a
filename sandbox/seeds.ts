import type { FakeHuddleWorkspace } from '../test/fakes/fake-huddle.js';
import type { FakeKantataWorkspace } from '../test/fakes/fake-kantata.js';

/** Projects the sandbox's Kantata stand-in holds: enough to try search, ambiguity, refusals and archives. */
export const SANDBOX_KANTATA_WORKSPACES: Readonly<Record<string, FakeKantataWorkspace>> = {
  '12345': { title: 'Acme Rollout', canInvite: true },
  '12346': { title: 'Acme Rollout Phase 2', canInvite: true },
  '20001': { title: 'Globex Website Redesign', canInvite: true },
  '20002': { title: 'Initech Payroll Migration', canInvite: true },
  '20003': { title: 'Umbrella Security Audit', canInvite: false },
  '20004': { title: 'Hooli Launch 2025', canInvite: true, archived: true },
};

/** Workspaces of the sandbox's Huddle stand-in. */
export const SANDBOX_HUDDLE_WORKSPACES: Readonly<Record<string, FakeHuddleWorkspace>> = {
  '89178': { title: 'Acme Board Pack', canInvite: true },
  '89179': { title: 'Globex Due Diligence', canInvite: true },
  '89180': { title: 'Initech Legal Review', canInvite: false },
};
