/**
 * The console's shell: sign-in with the user's identity file (the shared {@link SignInShell}), then the side menu ("Runs": a few
 * running tasks and a link to the Tasks page), the Tasks page and the notifications. One poll a
 * second keeps progress live; every call is the user's own TransferClient, so the core shows
 * only the user's tasks.
 */
import { h } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import type { TransferTask } from '../../transfer/types.js';
import { signIn, type Session } from './connection.js';
import { percent } from './format.js';
import { notificationsFor, remember, type SeenStates, type TaskNotification } from './notifications.js';
import { browseOptionsFor, NO_FILTER, TasksPage, type TaskFilter } from './tasks-page.js';
import { SettingsPanel } from './settings-panel.js';
import { SignInShell, type SignInText } from './sign-in.js';
import { TransferDialog } from './transfer-dialog.js';

const POLL_MS = 1000;
const RUNS_IN_MENU = 3;

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

const TEXT: SignInText = {
  heading: 'Sign in to the transfer core',
  intro: 'Load or paste your identity file (handoff identity new). The key proves who you are to the core over the SDK’s own connection; it stays in this page and is never sent.',
  footer: (config) => `Core ${config.coreId} at ${config.coreAddress}`,
};

/** The whole console. */
export function App() {
  return h(SignInShell<Session>, { text: TEXT, signIn, page: (session: Session) => h(Shell, { session }) });
}
