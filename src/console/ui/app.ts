/**
 * The console's shell: sign-in with the user's identity file, then the side menu ("Runs": a few
 * running tasks and a link to the Tasks page), the Tasks page and the notifications. One poll a
 * second keeps progress live; every call is the user's own TransferClient, so the core shows
 * only the user's tasks.
 */
import { h } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import type { TransferTask } from '../../transfer/types.js';
import type { ConsoleConfig } from '../server.js';
import { loadConfig, signIn, type Session } from './connection.js';
import { percent } from './format.js';
import { notificationsFor, remember, type SeenStates, type TaskNotification } from './notifications.js';
import { browseOptionsFor, NO_FILTER, TasksPage, type TaskFilter } from './tasks-page.js';
import { SettingsPanel } from './settings-panel.js';
import { TransferDialog } from './transfer-dialog.js';

const POLL_MS = 1000;
const RUNS_IN_MENU = 3;

function SignIn({ config, onSignedIn }: { config: ConsoleConfig; onSignedIn: (session: Session) => void }) {
  const [pem, setPem] = useState('');
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      onSignedIn(await signIn(config, pem));
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
    h('h1', null, 'Sign in to the transfer core'),
    h('p', null, 'Load or paste your identity file (handoff identity new). The key proves who you are to the core over the SDK’s own connection; it stays in this page and is never sent.'),
    h(
      'form',
      { onSubmit: submit, 'aria-label': 'Sign in' },
      h('div', { class: 'field' }, h('label', { for: 'identity-file' }, 'Identity file'), h('input', { id: 'identity-file', type: 'file', accept: '.pem,text/plain', onChange: load })),
      h('div', { class: 'field' }, h('label', { for: 'identity-text' }, 'Identity (PEM)'), h('textarea', { id: 'identity-text', rows: 8, value: pem, onInput: (e: Event) => setPem((e.currentTarget as HTMLTextAreaElement).value) })),
      h('button', { type: 'submit', disabled: busy || pem.trim() === '' }, 'Sign in'),
      error ? h('p', { role: 'alert', class: 'error' }, error) : null,
    ),
    h('p', null, h('small', null, `Core ${config.coreId} at ${config.coreAddress}`)),
  );
}

function SideMenu({ running }: { running: readonly TransferTask[] }) {
  return h(
    'nav',
    { 'aria-label': 'Side menu', class: 'side' },
    h('h2', null, 'Runs'),
    h('ul', null, h('li', null, h('a', { href: '#tasks', 'aria-current': 'page' }, 'Background tasks'))),
    h(
      'ul',
      { 'aria-label': 'Running tasks', class: 'runs' },
      ...running.slice(0, RUNS_IN_MENU).map((t) => h('li', { key: t.id }, h('a', { href: '#tasks' }, `#${t.id} ${t.sourcePath}`), ' ', h('span', null, `${t.state} ${percent(t)}`))),
    ),
    running.length === 0 ? h('p', null, 'Nothing running.') : null,
    running.length > RUNS_IN_MENU ? h('p', null, h('a', { href: '#tasks' }, `All ${running.length} running tasks`)) : null,
  );
}

function Notifications({ items, onDismiss }: { items: readonly TaskNotification[]; onDismiss: (index: number) => void }) {
  return h(
    'section',
    { 'aria-label': 'Notifications', class: 'notifications' },
    h(
      'ul',
      { role: 'log', 'aria-live': 'polite' },
      ...items.map((n, i) => h('li', { class: n.kind, 'data-task': n.taskId }, n.text, ' ', h('button', { type: 'button', onClick: () => onDismiss(i), 'aria-label': `Dismiss: ${n.text}` }, '×'))),
    ),
  );
}

function Shell({ session }: { session: Session }) {
  const client = session.transfers;
  const [tasks, setTasks] = useState<TransferTask[] | undefined>();
  const [running, setRunning] = useState<TransferTask[]>([]);
  const [filter, setFilter] = useState<TaskFilter>(NO_FILTER);
  const [notes, setNotes] = useState<TaskNotification[]>([]);
  const [error, setError] = useState<string | undefined>();
  const [transferring, setTransferring] = useState(false);
  const seen = useRef<SeenStates>(new Map());
  const watchingSince = useRef(Date.now());

  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const poll = async () => {
      try {
        const [page, live] = await Promise.all([client.browse({ ...browseOptionsFor(filter), limit: 200 }), client.browse({ states: ['INITIATED', 'RUNNING', 'PAUSED'], limit: 200 })]);
        if (stopped) return;
        // Notifications follow every task the page has seen, filtered or not.
        const all = [...new Map([...page.tasks, ...live.tasks].map((t) => [t.id, t])).values()];
        const fresh = notificationsFor(seen.current, all, watchingSince.current);
        seen.current = remember(seen.current, all);
        if (fresh.length > 0) setNotes((old) => [...fresh, ...old].slice(0, 20));
        setTasks(page.tasks);
        setRunning(live.tasks);
        setError(undefined);
      } catch (err) {
        if (!stopped) setError(`${(err as Error).name}: ${(err as Error).message}`);
      }
      if (!stopped) timer = setTimeout(() => void poll(), POLL_MS);
    };
    void poll();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [client, filter]);

  const control = async (task: TransferTask, what: 'pause' | 'resume' | 'cancel') => {
    const updated = await client[what](task.id);
    setTasks((old) => old?.map((t) => (t.id === updated.id ? updated : t)));
  };

  return h(
    'div',
    { class: 'shell' },
    h(SideMenu, { running }),
    h(
      'main',
      { id: 'tasks' },
      h('p', { class: 'who' }, `Signed in as key ${client.identity.id.toString()}`),
      error ? h('p', { role: 'alert', class: 'error' }, error) : null,
      h(Notifications, { items: notes, onDismiss: (i) => setNotes((old) => old.filter((_, j) => j !== i)) }),
      h('button', { type: 'button', class: 'primary', onClick: () => setTransferring(true), 'aria-haspopup': 'dialog' }, 'New transfer…'),
      transferring ? h(TransferDialog, { client, onClose: () => setTransferring(false) }) : null,
      h(TasksPage, { tasks, filter, onFilter: setFilter, onControl: control, onHistory: (task) => session.console.history(task.id) }),
      h(SettingsPanel, { console: session.console }),
    ),
  );
}

/** The whole console. */
export function App() {
  const [config, setConfig] = useState<ConsoleConfig | undefined>();
  const [session, setSession] = useState<Session | undefined>();
  const [error, setError] = useState<string | undefined>();
  useEffect(() => {
    loadConfig().then(setConfig, (err: Error) => setError(err.message));
  }, []);
  if (error) return h('p', { role: 'alert' }, error);
  if (!config) return h('p', { role: 'status' }, 'Loading…');
  return session ? h(Shell, { session }) : h(SignIn, { config, onSignedIn: setSession });
}
