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
import { loadConfig } from './connection.js';
import { ExitTable, StartExitForm } from './exit-page.js';
import { signInAsNode } from './node-connection.js';

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

function SignIn({ config, onSignedIn }: { config: ConsoleConfig; onSignedIn: (admin: NodeAdminCalls) => void }) {
  const [pem, setPem] = useState('');
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      onSignedIn(await signInAsNode(config, pem));
    } catch (err) {
      setError(`${(err as Error).name}: ${(err as Error).message}`);
    } finally {
      setBusy(false);
    }
  };
  const load = async (event: Event) => {
    const file = (event.currentTarget as HTMLInputElement).files?.[0];
    if (file) setPem(await file.text());
  };
  return h(
    'main',
    { class: 'signin' },
    h('h1', null, 'Sign in to the storage node'),
    h('p', null, 'Load or paste the node’s identity file (identity.pem in its data directory): its admin endpoint serves the node’s own key only. The key stays in this page and is never sent.'),
    h(
      'form',
      { onSubmit: submit, 'aria-label': 'Sign in' },
      h('div', { class: 'field' }, h('label', { for: 'identity-file' }, 'Identity file'), h('input', { id: 'identity-file', type: 'file', accept: '.pem,text/plain', onChange: load })),
      h('div', { class: 'field' }, h('label', { for: 'identity-text' }, 'Identity (PEM)'), h('textarea', { id: 'identity-text', rows: 8, value: pem, onInput: (e: Event) => setPem((e.currentTarget as HTMLTextAreaElement).value) })),
      h('button', { type: 'submit', disabled: busy || pem.trim() === '' }, 'Sign in'),
      error ? h('p', { role: 'alert', class: 'error' }, error) : null,
    ),
    h('p', null, h('small', null, `Storage node ${config.coreId}, admin endpoint at ${config.coreAddress}`)),
  );
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

/** The exit page's shell. */
export function ExitApp() {
  const [config, setConfig] = useState<ConsoleConfig | undefined>();
  const [admin, setAdmin] = useState<NodeAdminCalls | undefined>();
  const [error, setError] = useState<string | undefined>();
  useEffect(() => {
    loadConfig().then(setConfig, (err: Error) => setError(err.message));
  }, []);
  if (error) return h('p', { role: 'alert', class: 'error' }, error);
  if (!config) return h('p', null, 'Loading…');
  if (!admin) return h(SignIn, { config, onSignedIn: setAdmin });
  return h(ExitsPage, { admin, nodeId: config.coreId });
}
