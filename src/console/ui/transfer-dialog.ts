/**
 * The transfer dialog (seed 004): the user browses their drives and ticks one or more files or
 * folders they may read, browses to one destination folder on a drive they may edit, and gives
 * the three confirmations before anything is sent. Items the core refuses show its reason beside
 * them; accepted ones get their key exchange from this page (the user's client, in sessions the
 * core grants), so the source can start sending.
 */
import { h } from 'preact';
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import type { DriveAccess } from '../../transfer/core/ports.js';
import type { TransferClient } from '../../transfer/session/transfer-client.js';
import { FileBrowser } from './file-browser.js';

/** The seed's three confirmations, in its words' order. */
export const CONFIRMATIONS = [
  'The transfer moves files to another provider and physical location, which may take a long time.',
  'I am responsible for checking that the data processing agreement allows this transfer.',
  'I can follow and control the transfer on the Tasks page.',
] as const;

/** The names of the dialog's two browsers (their regions and controls). */
export const SOURCES_LABEL = 'Files or folders to transfer';
export const DESTINATION_LABEL = 'Destination folder';
/** The destination region's heading. */
export const DESTINATION_HEADING = 'Destination folder, at another provider';

/** What became of one source. */
type Outcome = { readonly source: string; readonly text: string; readonly ok: boolean };

function randomKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  return `console-${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}

export interface TransferDialogProps {
  readonly client: TransferClient;
  readonly onClose: () => void;
}

/** The dialog; it stays open after a submission to show what happened to each item. */
export function TransferDialog({ client, onClose }: TransferDialogProps) {
  const [drives, setDrives] = useState<DriveAccess[] | undefined>();
  const [ticked, setTicked] = useState<string[]>([]);
  const [chosen, setChosen] = useState<string | undefined>();
  // The fallback: paths typed instead of (or besides) browsing.
  const [typedSources, setTypedSources] = useState('');
  const [typedDestination, setTypedDestination] = useState('');
  const [confirmed, setConfirmed] = useState<boolean[]>(CONFIRMATIONS.map(() => false));
  const [busy, setBusy] = useState(false);
  const [outcomes, setOutcomes] = useState<Outcome[]>([]);
  const [error, setError] = useState<string | undefined>();
  // One key per opened dialog: a double submission (or a retry after a dropped answer) is one request.
  const [idempotencyKey] = useState(randomKey);
  const self = useRef<HTMLDivElement>(null);
  // Keyboard users start in the dialog, not behind it — as it renders: a plain effect waits for
  // the next animation frame, and keys typed before it went to the page behind.
  useLayoutEffect(() => self.current?.focus(), []);
  // Escape closes it wherever the focus is (a button disabled under it drops the focus to the page).
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && onClose();
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [onClose]);
  useEffect(() => {
    client.listDrives().then(setDrives, (err: Error) => setError(`${err.name}: ${err.message}`));
  }, [client]);

  const typed = typedSources.split('\n').map((s) => s.trim()).filter((s) => s !== '' && !ticked.includes(s));
  const sources = [...ticked, ...typed];
  const destination = typedDestination.trim() !== '' ? typedDestination.trim() : chosen;
  const ready = sources.length > 0 && destination !== undefined && confirmed.every(Boolean) && !busy && outcomes.length === 0;
  const toggle = (path: string, on: boolean) => setTicked((old) => (on ? (old.includes(path) ? old : [...old, path]) : old.filter((p) => p !== path)));

  const submit = async (event: Event) => {
    event.preventDefault();
    if (!ready || destination === undefined) return;
    setBusy(true);
    setError(undefined);
    try {
      const results = await client.transfer(sources, destination, { idempotencyKey });
      const shown: Outcome[] = [];
      for (const [i, result] of results.entries()) {
        const source = sources[i]!;
        if (!result.ok) {
          shown.push({ source, ok: false, text: `refused: ${result.reason}` });
          continue;
        }
        try {
          await client.exchangeKeys(result.taskId);
          shown.push({ source, ok: true, text: `task #${result.taskId} started` });
        } catch (err) {
          shown.push({ source, ok: false, text: `task #${result.taskId} accepted, but the key exchange failed: ${(err as Error).message}` });
        }
      }
      setOutcomes(shown);
    } catch (err) {
      setError(`${(err as Error).name}: ${(err as Error).message}`);
    } finally {
      setBusy(false);
    }
  };

  const browser = (mode: 'sources' | 'destination') => {
    if (!drives) return h('p', { role: 'status' }, 'Loading your drives…');
    return mode === 'sources'
      ? h(FileBrowser, { client, mode, label: SOURCES_LABEL, drives: drives.filter((d) => d.canRead), selected: ticked, onToggle: toggle })
      : h(FileBrowser, { client, mode, label: DESTINATION_LABEL, drives: drives.filter((d) => d.canEdit), chosen, onChoose: setChosen });
  };

  return h(
    'div',
    { role: 'dialog', 'aria-modal': 'true', 'aria-labelledby': 'transfer-heading', class: 'dialog', ref: self, tabIndex: -1 },
    h('h2', { id: 'transfer-heading' }, 'Transfer to another provider'),
    h(
      'form',
      { onSubmit: submit },
      h(
        'div',
        { class: 'browsers' },
        h(
          'section',
          { 'aria-labelledby': 'sources-heading' },
          h('h3', { id: 'sources-heading' }, SOURCES_LABEL),
          browser('sources'),
          h('p', { id: 'sources-summary' }, sources.length === 0 ? 'Nothing selected yet.' : `${sources.length} selected:`),
          sources.length > 0
            ? h(
                'ul',
                { 'aria-label': 'Selected sources', class: 'chosen' },
                ...ticked.map((path) => h('li', { key: path }, h('code', null, path), ' ', h('button', { type: 'button', onClick: () => toggle(path, false), 'aria-label': `Remove ${path}` }, '×'))),
                ...typed.map((path) => h('li', { key: `typed:${path}` }, h('code', null, path), ' (typed)')),
              )
            : null,
        ),
        h(
          'section',
          { 'aria-labelledby': 'destination-heading' },
          h('h3', { id: 'destination-heading' }, DESTINATION_HEADING),
          browser('destination'),
          h('p', { role: 'status', 'aria-label': 'Chosen destination' }, destination === undefined ? 'No destination chosen yet.' : h('span', null, 'Destination: ', h('code', null, destination))),
        ),
      ),
      h(
        'details',
        { class: 'typed' },
        h('summary', null, 'Enter paths instead'),
        h('div', { class: 'field' }, h('label', { for: 'transfer-sources' }, 'Files or folders to transfer (one path per line)'), h('textarea', { id: 'transfer-sources', rows: 3, value: typedSources, onInput: (e: Event) => setTypedSources((e.currentTarget as HTMLTextAreaElement).value) })),
        h('div', { class: 'field' }, h('label', { for: 'transfer-destination' }, 'Destination folder (at another provider)'), h('input', { id: 'transfer-destination', value: typedDestination, onInput: (e: Event) => setTypedDestination((e.currentTarget as HTMLInputElement).value) })),
        h('p', { class: 'meta' }, 'Typed sources are sent with the ticked ones; a typed destination replaces the chosen one.'),
      ),
      h(
        'fieldset',
        null,
        h('legend', null, 'Please confirm that you understand'),
        ...CONFIRMATIONS.map((text, i) =>
          h(
            'div',
            { class: 'confirm' },
            h('input', { id: `confirm-${i}`, type: 'checkbox', checked: confirmed[i], onChange: (e: Event) => setConfirmed(confirmed.map((c, j) => (j === i ? (e.currentTarget as HTMLInputElement).checked : c))) }),
            h('label', { for: `confirm-${i}` }, text),
          ),
        ),
      ),
      h('button', { type: 'submit', disabled: !ready }, busy ? 'Starting…' : 'Start transfer'),
      h('button', { type: 'button', onClick: onClose }, 'Close'),
    ),
    error ? h('p', { role: 'alert', class: 'error' }, error) : null,
    outcomes.length > 0
      ? h('ul', { 'aria-label': 'Transfer results' }, ...outcomes.map((o) => h('li', { class: o.ok ? 'ok' : 'refused' }, h('code', null, o.source), ' — ', o.text)))
      : null,
  );
}
