/**
 * The node operator's exit page: sign in with the node's identity file, then per satellite the
 * exit's progress, bytes and pieces transferred, result and receipt (verified in the page), and
 * starting an exit once the operator typed the satellite — the CLI's confirmation. One poll a
 * second keeps it live; every call is the SDK's NodeAdminCalls, owner-only at the node.
 */
import { h } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { NodeAdminCalls } from '../../node/admin/calls.js';
import type { AdminExitStatus, AdminSatellite } from '../../node/admin/methods.js';
import type { ConsoleConfig } from '../server.js';
import { ExitTable, StartExitForm } from './exit-page.js';
import { signInAsNode } from './node-connection.js';
import { SignInShell, type SignInText } from './sign-in.js';

const POLL_MS = 1000;

/** What one poll read. */
export interface NodeReport {
  readonly nodeId: Uint8Array;
  readonly satellites: readonly AdminSatellite[];
  readonly exits: readonly AdminExitStatus[];
  readonly history: readonly AdminExitStatus[];
}

async function report(admin: NodeAdminCalls): Promise<NodeReport> {
  const [overview, exits] = await Promise.all([admin.overview(), admin.exitReport()]);
  return { nodeId: overview.nodeId, satellites: overview.satellites, exits: exits.exits, history: exits.history };
}

function ExitsPage({ admin, nodeId }: { admin: NodeAdminCalls; nodeId: string }) {
  const [state, setState] = useState<NodeReport | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let stopped = false;
    const poll = async () => {
      try {
        const next = await report(admin);
        if (!stopped) {
          setState(next);
          setError(undefined);
        }
      } catch (err) {
        if (!stopped) setError(`${(err as Error).name}: ${(err as Error).message}`);
      }
    };
    void poll();
    const timer = setInterval(() => void poll(), POLL_MS);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, [admin, tick]);
  return h(
    'main',
    null,
    h('h1', null, 'Graceful exits'),
    h('p', { class: 'who' }, `Storage node ${nodeId}`),
    error ? h('p', { role: 'alert', class: 'error' }, error) : null,
    state === undefined ? h('p', null, 'Loading…') : h(ExitTable, { report: state }),
    state === undefined ? null : h(StartExitForm, { admin, satellites: state.satellites, onStarted: () => setTick((t) => t + 1) }),
  );
}

const TEXT: SignInText = {
  heading: 'Sign in to the storage node',
  intro: 'Load or paste the node’s identity file (identity.pem in its data directory): its admin endpoint serves the node’s own key only. The key stays in this page and is never sent.',
  footer: (config) => `Storage node ${config.coreId}, admin endpoint at ${config.coreAddress}`,
};

/** The exit page's shell. */
export function ExitApp() {
  return h(SignInShell<NodeAdminCalls>, { text: TEXT, signIn: signInAsNode, page: (admin: NodeAdminCalls, config: ConsoleConfig) => h(ExitsPage, { admin, nodeId: config.coreId }) });
}
