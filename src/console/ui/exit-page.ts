/**
 * The exit page's two parts: the table of satellites with their exits (progress, bytes and
 * pieces transferred, result, receipt verified here with the satellite's id) and the form that
 * starts an exit. The form follows `handoff node exit-satellite`: it states what an exit means,
 * and Start stays disabled until the operator typed the chosen satellite's id or address.
 */
import { h } from 'preact';
import { useState } from 'preact/hooks';
import type { ExitBandwidthChoice } from '../../exit/types.js';
import type { NodeAdminCalls } from '../../node/admin/calls.js';
import type { AdminExitStatus, AdminSatellite } from '../../node/admin/methods.js';
import { stillServes } from '../../node/admin/service.js';
import type { NodeReport } from './exit-app.js';
import { base64, bytesText, receiptVerdict, resultText, satelliteIdText, typedSatellite } from './exit-view.js';

const sameId = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((byte, i) => byte === b[i]);

function ReceiptCell({ exit, nodeId }: { exit: AdminExitStatus; nodeId: Uint8Array }) {
  const verdict = receiptVerdict(exit, nodeId);
  if (verdict === 'none') return h('span', { class: 'status' }, exit.state === 'exiting' ? 'when it ends' : 'none');
  const text = base64(exit.receipt!);
  return h(
    'div',
    null,
    h('span', { class: verdict === 'verified' ? 'state-success' : 'reason' }, verdict === 'verified' ? 'verified: signed by the satellite for this node' : 'DOES NOT VERIFY'),
    h('details', null, h('summary', null, 'receipt (base64)'), h('code', { class: 'receipt' }, text)),
  );
}

function ExitRow({ satellite, exit, nodeId }: { satellite: { id: Uint8Array; address: string; usedBytes?: number }; exit: AdminExitStatus | undefined; nodeId: Uint8Array }) {
  const name = satelliteIdText(satellite.id);
  return h(
    'tr',
    { 'aria-label': `satellite ${name}` },
    h('td', null, h('code', null, name), h('div', { class: 'status' }, satellite.address || '(address unknown)')),
    h('td', null, satellite.usedBytes === undefined ? '' : bytesText(satellite.usedBytes)),
    exit === undefined
      ? h('td', { colSpan: 4 }, h('span', { class: 'status' }, 'no exit started'))
      : [
          h('td', null, h('progress', { max: 100, value: exit.percent, 'aria-label': `exit progress of ${name}` }), ` ${exit.percent.toFixed(1)} %`, h('div', { class: 'status' }, `${exit.kind}${exit.targetBytes === null ? '' : ` (${bytesText(exit.targetBytes)})`}, ${exit.policy}`)),
          h('td', null, `${bytesText(exit.bytesTransferred)}`, h('div', { class: 'status' }, `${exit.piecesTransferred} pieces transferred, ${exit.piecesFailed} failed, ${exit.piecesDeleted} deleted`)),
          h('td', { class: `state-${exit.state === 'completed' ? 'success' : exit.state === 'failed' ? 'failure' : 'running'}` }, resultText(exit)),
          h('td', null, h(ReceiptCell, { exit, nodeId })),
        ],
  );
}

/** Every satellite the node serves with its current exit, then the archived exits. */
export function ExitTable({ report }: { report: NodeReport }) {
  const head = h('tr', null, ...['Satellite', 'Stored', 'Progress', 'Transferred', 'Result', 'Receipt'].map((t) => h('th', { scope: 'col' }, t)));
  const exitOf = (id: Uint8Array) => report.exits.find((e) => sameId(e.satelliteId, id));
  return h(
    'section',
    { 'aria-label': 'Exits' },
    h('table', { class: 'tasks' }, h('thead', null, head), h('tbody', null, ...report.satellites.map((s) => h(ExitRow, { satellite: s, exit: exitOf(s.id), nodeId: report.nodeId })))),
    report.history.length === 0
      ? null
      : h('section', { 'aria-label': 'Earlier exits' }, h('h2', null, 'Earlier exits (archived by a later exit or a rejoin)'), h('table', { class: 'tasks' }, h('thead', null, head), h('tbody', null, ...report.history.map((e) => h(ExitRow, { satellite: { id: e.satelliteId, address: e.satelliteAddress }, exit: e, nodeId: report.nodeId }))))),
  );
}

/** Starts a full graceful exit from one satellite, after the operator typed it. */
export function StartExitForm({ admin, satellites, onStarted }: { admin: NodeAdminCalls; satellites: readonly AdminSatellite[]; onStarted: () => void }) {
  const open = satellites.filter((s) => s.exit === null || stillServes(s.exit));
  const [chosen, setChosen] = useState('');
  const [typed, setTyped] = useState('');
  const [bandwidth, setBandwidth] = useState<'' | ExitBandwidthChoice>('');
  const [message, setMessage] = useState<{ text: string; error: boolean } | undefined>();
  const [busy, setBusy] = useState(false);
  const said = message ? h('p', { role: message.error ? 'alert' : 'status', class: message.error ? 'error' : 'state-success' }, message.text) : null;
  // A short exit can end before the next poll: the form goes, what the start said stays.
  if (open.length === 0) return h('div', null, said, h('p', null, 'This node has no satellite left to exit.'));
  const target = open.find((s) => satelliteIdText(s.id) === chosen);
  const confirmed = target !== undefined && typedSatellite(typed, [target]) !== undefined;
  const submit = async (event: Event) => {
    event.preventDefault();
    if (!target || !confirmed) return;
    setBusy(true);
    setMessage(undefined);
    try {
      const [result] = await admin.startExit({ satelliteId: target.id }, bandwidth === '' ? {} : { bandwidth });
      const needs = result?.error?.bandwidthChoiceRequired;
      if (needs) setMessage({ text: `Nothing was started: this exit needs about ${bytesText(needs.neededBytes)} of bandwidth, but ${bytesText(needs.remainingBytes)} of this month’s ${bytesText(needs.allocationBytes)} is left. Choose to exceed the allocation or wait for it, and start again.`, error: true });
      else if (result?.error) setMessage({ text: `The satellite refused the exit: ${result.error.message}`, error: true });
      else {
        setMessage({ text: `Graceful exit from satellite ${chosen} started (it cannot be cancelled).`, error: false });
        setTyped('');
        onStarted();
      }
    } catch (err) {
      setMessage({ text: `${(err as Error).name}: ${(err as Error).message}`, error: true });
    } finally {
      setBusy(false);
    }
  };
  return h(
    'form',
    { onSubmit: submit, 'aria-label': 'Start a graceful exit', class: 'start-exit' },
    h('h2', null, 'Start a graceful exit'),
    h(
      'ul',
      null,
      h('li', null, 'It hands every piece this node stores for the satellite to other nodes and earns the held amount back.'),
      h('li', null, 'It cannot be cancelled once started: keep the node running until it finishes.'),
      h('li', null, 'The satellite stops sending new data; each piece is deleted from this disk once its new holder is recorded.'),
      h('li', null, 'If it fails (pieces lost or not handed over, bad data sent, offline for too long), the satellite disqualifies this node and keeps its held amount.'),
      h('li', null, 'When it completes, the satellite signs a receipt, shown above.'),
    ),
    h(
      'div',
      { class: 'filter' },
      h('div', { class: 'field' }, h('label', { for: 'exit-satellite' }, 'Satellite to exit'), h('select', { id: 'exit-satellite', value: chosen, onChange: (e: Event) => setChosen((e.currentTarget as HTMLSelectElement).value) }, h('option', { value: '' }, 'choose…'), ...open.map((s) => h('option', { value: satelliteIdText(s.id) }, `${satelliteIdText(s.id)} (${s.address}, ${bytesText(s.usedBytes)})`)))),
      h('div', { class: 'field' }, h('label', { for: 'exit-bandwidth' }, 'If the bandwidth allocation falls short'), h('select', { id: 'exit-bandwidth', value: bandwidth, onChange: (e: Event) => setBandwidth((e.currentTarget as HTMLSelectElement).value as '' | ExitBandwidthChoice) }, h('option', { value: '' }, 'ask me'), h('option', { value: 'exceed' }, 'exceed it'), h('option', { value: 'wait' }, 'wait for next month'))),
    ),
    h('div', { class: 'field' }, h('label', { for: 'exit-confirm' }, target ? `Type the id or address of satellite ${target.address} to confirm` : 'Choose a satellite, then type its id or address to confirm'), h('input', { id: 'exit-confirm', value: typed, disabled: !target, autocomplete: 'off', onInput: (e: Event) => setTyped((e.currentTarget as HTMLInputElement).value) })),
    h('button', { type: 'submit', class: 'primary', disabled: busy || !confirmed }, 'Start exit'),
    said,
  );
}
