/**
 * The transfer dialog (seed 004): one or more sources the user may read, one destination folder
 * at another provider, and the three things the user must confirm before anything is sent.
 * Items the core refuses show its reason beside them; accepted ones get their key exchange from
 * this page (the user's client, in sessions the core grants), so the source can start sending.
 */
import { h } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import type { TransferClient } from '../../transfer/session/transfer-client.js';

/** The seed's three confirmations, in its words' order. */
export const CONFIRMATIONS = [
  'The transfer moves files to another provider and physical location, which may take a long time.',
  'I am responsible for checking that the data processing agreement allows this transfer.',
  'I can follow and control the transfer on the Tasks page.',
] as const;

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
  const [sources, setSources] = useState('');
  const [destination, setDestination] = useState('');
  const [confirmed, setConfirmed] = useState<boolean[]>(CONFIRMATIONS.map(() => false));
  const [busy, setBusy] = useState(false);
  const [outcomes, setOutcomes] = useState<Outcome[]>([]);
  const [error, setError] = useState<string | undefined>();
  // One key per opened dialog: a double submission (or a retry after a dropped answer) is one request.
  const [idempotencyKey] = useState(randomKey);
  const first = useRef<HTMLTextAreaElement>(null);
  // Keyboard users start typing in the dialog, not behind it.
  useEffect(() => first.current?.focus(), []);
  // Escape closes it wherever the focus is (a button disabled under it drops the focus to the page).
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && onClose();
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [onClose]);
  const paths = sources.split('\n').map((s) => s.trim()).filter((s) => s !== '');
  const ready = paths.length > 0 && destination.trim() !== '' && confirmed.every(Boolean) && !busy && outcomes.length === 0;

  const submit = async (event: Event) => {
    event.preventDefault();
    if (!ready) return;
    setBusy(true);
    setError(undefined);
    try {
      const results = await client.transfer(paths, destination.trim(), { idempotencyKey });
      const shown: Outcome[] = [];
      for (const [i, result] of results.entries()) {
        const source = paths[i]!;
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

  return h(
    'div',
    { role: 'dialog', 'aria-modal': 'true', 'aria-labelledby': 'transfer-heading', class: 'dialog' },
    h('h2', { id: 'transfer-heading' }, 'Transfer to another provider'),
    h(
      'form',
      { onSubmit: submit },
      h('div', { class: 'field' }, h('label', { for: 'transfer-sources' }, 'Files or folders to transfer (one path per line)'), h('textarea', { id: 'transfer-sources', ref: first, rows: 4, value: sources, onInput: (e: Event) => setSources((e.currentTarget as HTMLTextAreaElement).value) })),
      h('div', { class: 'field' }, h('label', { for: 'transfer-destination' }, 'Destination folder (at another provider)'), h('input', { id: 'transfer-destination', value: destination, onInput: (e: Event) => setDestination((e.currentTarget as HTMLInputElement).value) })),
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
